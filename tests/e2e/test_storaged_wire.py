"""storaged over ZeroMQ, black-box: the wire protocol of common/proto/proto.h."""

import subprocess

import msgpack
import pytest

from loomtest import Subscriber, wait_for

pytestmark = pytest.mark.daemons("storaged")


def org_of(loom, wire):
    return wire.ok("token.verify", token=loom.admin_token)["org"]


def test_ping_answers_with_the_committed_sequence(loom):
    w = loom.wire()
    reply = w.ok("ping")
    assert reply["daemon"] == "storaged"
    assert reply["seq"] == 0


def test_malformed_messages_get_errors_and_storaged_keeps_serving(loom):
    w = loom.wire()
    bad = [
        [b"ping", b"\xdd\xff\xff\xff\xff"],            # array claiming 4G elements
        [b"ping", b"\xc1"],                             # reserved byte
        [b"ping", msgpack.packb([1, 2, 3])],            # not a map
        [b"ping", msgpack.packb({"v": 1, "rid": 1}) + b"x"],  # trailing byte
        [b"ping"],                                      # one frame
        [b"checkin.record", msgpack.packb({"v": 1, "rid": 9, "kind": "ok"})],
        [b"checkin.record", msgpack.packb({"v": 2, "rid": 9, "key": "x", "kind": "ok",
                                           "source": "ping"})],
        [b"no.such.message", msgpack.packb({"v": 1, "rid": 9})],
        [b"monitor.get", msgpack.packb({"v": 1, "rid": 9, "org": "org_x", "slug": "a"})],
    ]
    for frames in bad:
        w.send_raw(*frames)
        name, body = w.recv()
        assert name == "err", frames
        assert body["code"] == "bad_request", body
        assert body["message"]
    assert w.ok("ping")["seq"] == 0   # nothing was recorded


def test_a_checkin_is_acknowledged_after_commit_and_published_in_sequence(loom):
    w = loom.wire()
    sub = Subscriber(loom.pub_endpoint)
    org = org_of(loom, w)
    mon = w.ok("monitor.create", org=org, monitor={
        "slug": "nightly", "schedule": {"type": "cron", "expression": "0 3 * * *"}})["monitor"]
    started = w.ok("checkin.record", key=mon["ping_key"], kind="start", source="ping")
    done = w.ok("checkin.record", key=mon["ping_key"], kind="ok", source="ping", output=b"done")
    assert started["checkin_id"] == done["checkin_id"]   # the finish completed the open run
    assert done["status"] == "ok" and done["recorded"] is True

    seen = []
    while len(seen) < 3:
        name, ev = sub.next()
        seen.append((ev["seq"], name))
    assert [s for s, _ in seen] == [1, 2, 3]
    assert [n for _, n in seen] == ["monitor.created", "checkin.started", "checkin.ok"]

    listed = w.ok("checkin.list", org=org, slug="nightly", limit=10)["checkins"]
    assert len(listed) == 1 and listed[0]["output"] == b"done"
    assert listed[0]["finished_at"] >= listed[0]["started_at"]
    replay = w.ok("events.after", after=1, limit=10)
    assert [e["seq"] for e in replay["events"]] == [2, 3]
    assert replay["head"] == 3 and replay["first"] == 1


def test_unknown_ping_key_is_not_found(loom):
    w = loom.wire()
    name, body = w.call("checkin.record", key="0b7c1a64-3c9e-4d4e-9a57-5f1d2c3b4a59",
                        kind="ok", source="ping")
    assert name == "err" and body["code"] == "not_found" and body["field"] == "key"


# --- helpers ------------------------------------------------------------

HOURLY = {"type": "cron", "expression": "0 * * * *"}
US = 1_000_000
OTHER_MONITOR = "mon_aaaaaaaaaaaaaaaaaaaaaaaaaa"


def create(w, org, slug, schedule=HOURLY, **spec):
    return w.ok("monitor.create", org=org,
                monitor={"slug": slug, "schedule": schedule, **spec})["monitor"]


def error(w, name, /, **fields):
    rname, body = w.call(name, **fields)
    assert rname == "err", f"{name} {fields}: {body}"
    assert body["rid"] == w.rid and body["message"]
    return body


def all_events(w, org=None):
    """Every committed event, oldest first, in small pages (paging is tested too)."""
    return w.events(org=org, limit=50)[0]


def get(w, org, slug):
    return w.ok("monitor.get", org=org, slug=slug)["monitor"]


def checkins(w, org, slug, **extra):
    return w.ok("checkin.list", org=org, slug=slug, limit=1000, **extra)["checkins"]


# --- monitors -----------------------------------------------------------

def test_monitor_update_pause_resume_delete(loom):
    w = loom.wire()
    org = org_of(loom, w)
    m = create(w, org, "etl", name="ETL")
    assert m["status"] == "active" and m["health"] == "unknown"
    assert "next_expected_at" not in m          # tracking starts with the first check-in

    # A partial update changes only what it names.
    u = w.ok("monitor.update", org=org, slug="etl",
             monitor={"name": "Nightly ETL", "margin": 10})["monitor"]
    assert u["name"] == "Nightly ETL" and u["margin"] == 10
    assert u["schedule"] == m["schedule"] and u["ping_key"] == m["ping_key"]
    assert u["updated_at"] > m["updated_at"] and u["created_at"] == m["created_at"]
    assert get(w, org, "etl") == u

    # A rename moves the slug; the ping key stays.
    w.ok("monitor.update", org=org, slug="etl", monitor={"slug": "etl-2"})
    assert error(w, "monitor.get", org=org, slug="etl")["code"] == "not_found"
    assert get(w, org, "etl-2")["id"] == m["id"]
    other = create(w, org, "taken")
    assert error(w, "monitor.update", org=org, slug="taken",
                 monitor={"slug": "etl-2"})["code"] == "slug_taken"
    # A bad spec changes nothing and names the field.
    bad = error(w, "monitor.update", org=org, slug="etl-2",
                monitor={"schedule": {"type": "cron", "expression": "61 * * * *"}})
    assert bad["code"] == "bad_request" and bad["field"] == "schedule"
    assert "61" in bad["message"]

    # The first check-in starts tracking.
    w.ok("checkin.record", key=m["ping_key"], kind="ok", source="ping")
    tracked = get(w, org, "etl-2")
    assert tracked["health"] == "healthy" and tracked["next_expected_at"] > 0

    # Pause: check-ins are recorded, nothing is expected, health is not counted.
    paused = w.ok("monitor.update", org=org, slug="etl-2", monitor={"status": "paused"})["monitor"]
    assert paused["status"] == "paused" and "next_expected_at" not in paused
    r = w.ok("checkin.record", key=m["ping_key"], kind="error", source="ping")
    assert r["recorded"] is True and r["status"] == "error"
    assert get(w, org, "etl-2")["health"] == "healthy"
    assert "next_expected_at" not in get(w, org, "etl-2")

    # Resume: tracking restarts from the resume time.
    resumed = w.ok("monitor.update", org=org, slug="etl-2",
                   monitor={"status": "active"})["monitor"]
    assert resumed["next_expected_at"] > resumed["updated_at"]
    assert resumed["next_expected_at"] % (3600 * US) == 0

    # Delete: gone by slug, by ping key and from the list; its check-ins too.
    assert w.ok("monitor.delete", org=org, slug="etl-2") == {"v": 1, "rid": w.rid}
    assert error(w, "monitor.get", org=org, slug="etl-2")["code"] == "not_found"
    assert error(w, "checkin.record", key=m["ping_key"], kind="ok",
                 source="ping")["code"] == "not_found"
    assert error(w, "checkin.list", org=org, slug="etl-2", limit=5)["code"] == "not_found"
    assert [x["slug"] for x in w.ok("monitor.list", org=org)["monitors"]] == ["taken"]
    assert error(w, "monitor.delete", org=org, slug="etl-2")["code"] == "not_found"
    assert w.ok("org.get", org=org)["org"]["monitor_count"] == 1

    names = [e["type"] for e in all_events(w) if e["monitor"]["id"] == m["id"]]
    # The paused monitor's error was recorded, and raised nothing (no checkin.error).
    assert names == ["monitor.created", "monitor.updated", "monitor.updated", "checkin.ok",
                     "monitor.updated", "monitor.updated", "monitor.deleted"]
    assert other["id"] != m["id"]


def test_disabled_monitor_records_nothing(loom):
    w = loom.wire()
    org = org_of(loom, w)
    m = create(w, org, "off", status="disabled")
    head = w.ok("ping")["seq"]
    r = w.ok("checkin.record", key=m["ping_key"], kind="ok", source="ping")
    assert r == {"v": 1, "rid": w.rid, "monitor_id": m["id"], "kind": "ok", "recorded": False}
    assert checkins(w, org, "off") == []
    assert w.ok("ping")["seq"] == head


def test_monitor_list_filters(loom):
    w = loom.wire()
    org = org_of(loom, w)
    a = create(w, org, "a")
    create(w, org, "b", status="paused")
    w.ok("checkin.record", key=a["ping_key"], kind="error", source="ping")
    slugs = lambda **f: [m["slug"] for m in w.ok("monitor.list", org=org, **f)["monitors"]]
    assert slugs() == ["a", "b"]
    assert slugs(status="paused") == ["b"]
    assert slugs(health="failing") == ["a"]
    assert slugs(status="active", health="unknown") == []


# --- check-ins ----------------------------------------------------------

@pytest.mark.daemons("storaged")
def test_checkin_update_keepalive_and_finish(loom_clock):
    loom = loom_clock
    w = loom.wire()
    org = org_of(loom, w)
    create(w, org, "job", max_runtime=10)
    run = "f47ac10b-58cc-4372-a567-0e02b2c3d479"
    started = w.ok("checkin.record", org=org, slug="job", kind="start", source="sdk", run_id=run)
    cid = started["checkin_id"]
    assert started["status"] == "in_progress"
    first = checkins(w, org, "job")[0]
    assert first["timeout_at"] == first["started_at"] + 10 * 60 * US

    # A keep-alive a minute later moves the timeout; so does a repeated start of the run.
    loom.advance(60)
    kept = w.ok("checkin.update", org=org, checkin_id=cid, kind="start")["checkin"]
    assert kept["id"] == cid and kept["status"] == "in_progress"
    assert kept["last_seen_at"] >= first["started_at"] + 60 * US
    assert kept["timeout_at"] == kept["last_seen_at"] + 10 * 60 * US
    loom.advance(60)
    again = w.ok("checkin.record", org=org, slug="job", kind="start", source="sdk", run_id=run)
    assert again["checkin_id"] == cid
    assert checkins(w, org, "job")[0]["timeout_at"] >= kept["timeout_at"] + 60 * US

    # Finishing sets the outcome, the duration from the start, and the output.
    done = w.ok("checkin.update", org=org, checkin_id=cid, kind="ok", exit_code=0,
                output=b"42 rows")["checkin"]
    assert done["status"] == "ok" and done["exit_code"] == 0 and done["output"] == b"42 rows"
    assert done["finished_at"] >= first["started_at"] + 120 * US
    assert done["duration_ms"] >= 120_000
    assert len(checkins(w, org, "job")) == 1
    assert get(w, org, "job")["health"] == "healthy"

    # A finished check-in cannot be finished or kept alive again ...
    for kind in ("error", "start"):
        e = error(w, "checkin.update", org=org, checkin_id=cid, kind=kind)
        assert e["code"] == "bad_request" and e["field"] == "status" and "already ok" in e["message"]
    # ... but fields can still be set on it.
    tagged = w.ok("checkin.update", org=org, checkin_id=cid, crash_id="evt-123",
                  duration_ms=5)["checkin"]
    assert tagged["crash_id"] == "evt-123" and tagged["duration_ms"] == 5
    assert tagged["status"] == "ok" and tagged["output"] == b"42 rows"
    assert error(w, "checkin.update", org=org, checkin_id="chk_aaaaaaaaaaaaaaaaaaaaaaaaaa",
                 kind="ok")["code"] == "not_found"

    names = [e["type"] for e in all_events(w)]
    assert names == ["monitor.created", "checkin.started", "checkin.keepalive",
                     "checkin.keepalive", "checkin.ok"]


def test_finish_completes_the_open_run_and_log_appends(loom):
    w = loom.wire()
    org = org_of(loom, w)
    m = create(w, org, "job")
    key = m["ping_key"]
    r1, r2 = "11111111-1111-4111-8111-111111111111", "22222222-2222-4222-8222-222222222222"
    a = w.ok("checkin.record", key=key, kind="start", source="ping", run_id=r1)["checkin_id"]
    b = w.ok("checkin.record", key=key, kind="start", source="ping", run_id=r2)["checkin_id"]
    # With a run id, that run; without, the latest open run.
    assert w.ok("checkin.record", key=key, kind="error", source="ping", run_id=r1,
                exit_code=3)["checkin_id"] == a
    w.ok("checkin.record", key=key, kind="log", source="ping", output=b"step 1\n")
    w.ok("checkin.record", key=key, kind="log", source="ping", output=b"step 2\n")
    assert w.ok("checkin.record", key=key, kind="ok", source="ping")["checkin_id"] == b
    # With none open, a finish records a new finished check-in.
    c = w.ok("checkin.record", key=key, kind="ok", source="ping", duration_ms=7)
    assert c["checkin_id"] not in (a, b) and c["status"] == "ok"
    listed = {x["id"]: x for x in checkins(w, org, "job")}
    assert listed[a]["status"] == "error" and listed[a]["exit_code"] == 3
    assert listed[b]["status"] == "ok" and listed[b]["output"] == b"step 1\nstep 2\n"
    assert listed[c["checkin_id"]]["duration_ms"] == 7
    assert [x["id"] for x in checkins(w, org, "job", status="ok")] == [c["checkin_id"], b]


# --- tokens and organizations -------------------------------------------

def test_tokens_create_list_revoke(loom):
    w = loom.wire()
    org = org_of(loom, w)
    made = w.ok("token.create", org=org, name="ci", scopes=["read", "checkins"])
    tok, secret = made["token"], made["secret"]
    assert secret.startswith("loom_") and len(secret) == 57
    assert tok["id"].startswith("tok_") and tok["org"] == org and tok["name"] == "ci"
    assert tok["scopes"] == ["checkins", "read"]

    v = w.ok("token.verify", token=secret)
    assert v["org"] == org and v["token_id"] == tok["id"]
    assert v["scopes"] == ["checkins", "read"] and v["root"] is True

    listed = w.ok("token.list", org=org)["tokens"]
    assert sorted(t["name"] for t in listed) == ["admin", "ci"]
    assert all("secret" not in t for t in listed) and secret not in repr(listed)

    assert w.ok("token.revoke", org=org, token_id=tok["id"]) == {"v": 1, "rid": w.rid}
    e = error(w, "token.verify", token=secret)
    assert e["code"] == "unauthorized" and e["field"] == "token"
    assert [t["name"] for t in w.ok("token.list", org=org)["tokens"]] == ["admin"]
    assert error(w, "token.revoke", org=org, token_id=tok["id"])["code"] == "not_found"
    assert w.ok("token.verify", token=loom.admin_token)["org"] == org
    assert error(w, "token.verify", token="loom_" + "a" * 52)["code"] == "unauthorized"
    assert error(w, "token.create", org="org_aaaaaaaaaaaaaaaaaaaaaaaaaa", name="x",
                 scopes=["read"])["code"] == "not_found"


def test_org_create_and_isolation(loom):
    w = loom.wire()
    org_a = org_of(loom, w)
    made = w.ok("org.create", name="Beta", monitor_limit=2)
    org_b, secret_b = made["org"]["id"], made["secret"]
    assert made["org"]["name"] == "Beta" and made["org"]["monitor_limit"] == 2
    assert made["token"]["org"] == org_b and made["token"]["scopes"] == ["admin", "checkins", "read"]
    vb = w.ok("token.verify", token=secret_b)
    assert vb["org"] == org_b and vb["root"] is False

    a_only = create(w, org_a, "a-only")
    a_shared = create(w, org_a, "shared")
    b_shared = create(w, vb["org"], "shared")
    assert a_shared["id"] != b_shared["id"]
    ck = w.ok("checkin.record", key=a_only["ping_key"], kind="start", source="ping")["checkin_id"]

    # B's admin sees none of A's monitors, check-ins, tokens or events.
    assert error(w, "monitor.get", org=org_b, slug="a-only")["code"] == "not_found"
    assert get(w, org_b, "shared")["id"] == b_shared["id"]
    assert [m["id"] for m in w.ok("monitor.list", org=org_b)["monitors"]] == [b_shared["id"]]
    assert error(w, "checkin.list", org=org_b, slug="a-only", limit=5)["code"] == "not_found"
    assert error(w, "checkin.record", org=org_b, slug="a-only", kind="ok",
                 source="sdk")["code"] == "not_found"
    assert error(w, "checkin.update", org=org_b, checkin_id=ck, kind="ok")["code"] == "not_found"
    assert error(w, "monitor.update", org=org_b, slug="a-only",
                 monitor={"name": "x"})["code"] == "not_found"
    assert error(w, "monitor.delete", org=org_b, slug="a-only")["code"] == "not_found"
    assert error(w, "monitor.stats", org=org_b, slug="a-only",
                 period="day")["code"] == "not_found"
    a_admin = [t for t in w.ok("token.list", org=org_a)["tokens"]][0]
    assert [t["org"] for t in w.ok("token.list", org=org_b)["tokens"]] == [org_b]
    assert error(w, "token.revoke", org=org_b, token_id=a_admin["id"])["code"] == "not_found"
    b_events = all_events(w, org=org_b)
    assert b_events and all(e["org"] == org_b for e in b_events)
    assert {e["monitor"]["id"] for e in b_events} == {b_shared["id"]}
    assert sorted(m["slug"] for m in w.ok("monitor.list", org=org_a)["monitors"]) == \
        ["a-only", "shared"]

    # The monitor limit of B: 2.
    create(w, org_b, "second")
    e = error(w, "monitor.create", org=org_b, monitor={"slug": "third", "schedule": HOURLY})
    assert e["code"] == "monitor_limit_exceeded"
    assert w.ok("org.get", org=org_b)["org"]["monitor_count"] == 2
    w.ok("monitor.delete", org=org_b, slug="second")
    create(w, org_b, "third")
    assert error(w, "org.get", org="org_aaaaaaaaaaaaaaaaaaaaaaaaaa")["code"] == "not_found"


# --- stats --------------------------------------------------------------

HOUR = 3600 * US


def hour_start(t):
    return t - t % HOUR


def p95_bin(ms):
    """The documented p95 rule: the nearest-rank duration with all but its 8
    leading binary digits cleared (exact below 256 ms)."""
    drop = max(ms.bit_length() - 8, 0)
    return ms >> drop << drop


def stats(w, org, slug, period="month"):
    return w.ok("monitor.stats", org=org, slug=slug, period=period)["stats"]


def figures(s):
    return (s["total"], s["ok"], s["error"], s["missed"], s["timeout"],
            s.get("avg_duration_ms"), s.get("p95_duration_ms"))


@pytest.mark.daemons("storaged")
def test_stats_figures(loom_clock):
    loom = loom_clock
    w = loom.wire()
    org = org_of(loom, w)
    m = create(w, org, "stats", schedule={"type": "cron", "expression": "* * * * *"}, margin=1)
    key = m["ping_key"]
    empty = w.ok("monitor.stats", org=org, slug="stats", period="day")["stats"]
    assert {k: v for k, v in empty.items() if k not in ("from", "to")} == {
        "total": 0, "ok": 0, "error": 0, "missed": 0, "timeout": 0}

    # 18 ok runs of 100..1800 ms and 2 errors of 1900 and 2000 ms ...
    w.ok("checkin.record", key=key, kind="ok", source="ping", duration_ms=100)
    expected = get(w, org, "stats")["next_expected_at"]
    # ... and one missed run, judged after the margin.
    loom.advance((expected - loom.now_us()) / US + 90)
    assert w.ok("verdict.missed", monitor_id=m["id"], expected_at=expected)["applied"] is True
    for d in range(200, 1900, 100):
        w.ok("checkin.record", key=key, kind="ok", source="ping", duration_ms=d)
    for d in (1900, 2000):
        w.ok("checkin.record", key=key, kind="error", source="ping", duration_ms=d)
    # An open run is not a finished run.
    w.ok("checkin.record", key=key, kind="start", source="ping")

    s = w.ok("monitor.stats", org=org, slug="stats", period="day")["stats"]
    assert (s["total"], s["ok"], s["error"], s["missed"], s["timeout"]) == (21, 18, 2, 1, 0)
    assert s["avg_duration_ms"] == 1050           # (100 + ... + 2000) / 20
    # nearest rank: the 19th of 20, 1900 ms, in its bin: 1896 (8 significant bits)
    assert s["p95_duration_ms"] == p95_bin(1900) == 1896
    assert s["uptime_permille"] == 857            # 18 / 21 = 0.8571
    assert s["from"] == hour_start(s["to"] - 86400 * US)     # whole hours back
    week = w.ok("monitor.stats", org=org, slug="stats", period="week")["stats"]
    assert week["from"] == hour_start(week["to"] - 7 * 86400 * US) and week["total"] == 21

    # A month later, the day and week are empty but the month still counts them.
    loom.advance(8 * 86400)
    assert w.ok("monitor.stats", org=org, slug="stats", period="week")["stats"]["total"] == 0
    assert w.ok("monitor.stats", org=org, slug="stats", period="month")["stats"]["total"] == 21


@pytest.mark.daemons("storaged")
def test_stats_follow_a_run_from_start_to_finish(loom_clock):
    loom = loom_clock
    w = loom.wire()
    org = org_of(loom, w)
    m = create(w, org, "runs")
    run = "22222222-2222-4222-8222-222222222222"
    w.ok("checkin.record", key=m["ping_key"], kind="start", source="ping", run_id=run)
    assert figures(stats(w, org, "runs")) == (0, 0, 0, 0, 0, None, None)   # open: no run yet
    loom.advance(5000)          # into another hour: the run stays in its start's hour
    w.ok("checkin.record", key=m["ping_key"], kind="error", source="ping", run_id=run,
         duration_ms=4321)
    assert figures(stats(w, org, "runs")) == (1, 0, 1, 0, 0, 4321, p95_bin(4321))
    assert p95_bin(4321) == 4320
    # A start and finish without a run id: the same run, counted once.
    w.ok("checkin.record", key=m["ping_key"], kind="start", source="ping")
    w.ok("checkin.record", key=m["ping_key"], kind="ok", source="ping", duration_ms=100)
    assert figures(stats(w, org, "runs")) == (2, 1, 1, 0, 0, 2211, p95_bin(4321))
    assert figures(stats(w, org, "runs", "day")) == figures(stats(w, org, "runs"))


@pytest.mark.daemons("storaged")
def test_stats_count_a_timeout_then_its_late_completion(loom_clock):
    loom = loom_clock
    w = loom.wire()
    org = org_of(loom, w)
    m = create(w, org, "slow", max_runtime=1)
    run = "33333333-3333-4333-8333-333333333333"
    cid = w.ok("checkin.record", key=m["ping_key"], kind="start", source="ping",
               run_id=run)["checkin_id"]
    timeout_at = checkins(w, org, "slow")[0]["timeout_at"]
    loom.advance(90)
    assert w.ok("verdict.timeout", monitor_id=m["id"], checkin_id=cid,
                timeout_at=timeout_at)["applied"] is True
    assert figures(stats(w, org, "slow")) == (1, 0, 0, 0, 1, None, None)
    # The late completion gives the timed-out run its duration; it stays one timeout.
    w.ok("checkin.record", key=m["ping_key"], kind="ok", source="ping", run_id=run,
         duration_ms=95000)
    assert checkins(w, org, "slow")[0]["status"] == "timeout"
    assert figures(stats(w, org, "slow")) == (1, 0, 0, 0, 1, 95000, p95_bin(95000))
    assert p95_bin(95000) == 94720


def stat_hours_rows(loom):
    """The entries of storaged's stat_hours table, read with mdb_dump."""
    text = subprocess.run(["mdb_dump", "-s", "stat_hours", loom.data_dir],
                          capture_output=True, text=True, check=True).stdout
    body = text.split("HEADER=END", 1)[1].split("DATA=END", 1)[0]
    return len([line for line in body.splitlines() if line.strip()]) // 2


@pytest.mark.daemons("storaged")
def test_stats_of_a_deleted_monitor_are_deleted(loom_clock):
    loom = loom_clock
    w = loom.wire()
    org = org_of(loom, w)
    m = create(w, org, "brief")
    for hours in range(3):
        w.ok("checkin.record", key=m["ping_key"], kind="ok", source="ping", duration_ms=10)
        loom.advance(3600)
    assert stats(w, org, "brief")["total"] == 3
    assert stat_hours_rows(loom) == 3
    w.ok("monitor.delete", org=org, slug="brief")
    assert stat_hours_rows(loom) == 0
    create(w, org, "brief")                     # the slug again: a new monitor, no history
    assert figures(stats(w, org, "brief")) == (0, 0, 0, 0, 0, None, None)


@pytest.mark.daemons("storaged")
@pytest.mark.env(LOOM_RETENTION_DAYS="1", LOOM_RETENTION_PERIOD="200ms")
def test_stats_lose_what_retention_removes(loom_clock):
    loom = loom_clock
    w = loom.wire()
    org = org_of(loom, w)
    m = create(w, org, "trimmed", schedule={"type": "interval", "value": 1, "unit": "week"})
    w.ok("checkin.record", key=m["ping_key"], kind="error", source="ping", duration_ms=5000)
    loom.advance(600)           # the same hour's bucket, mostly
    w.ok("checkin.record", key=m["ping_key"], kind="ok", source="ping", duration_ms=7)
    loom.advance(23 * 3600)
    w.ok("checkin.record", key=m["ping_key"], kind="ok", source="ping", duration_ms=3)
    assert figures(stats(w, org, "trimmed")) == (3, 2, 1, 0, 0, 1670, p95_bin(5000))

    # Two hours later the first two are more than a day old: retention removes them,
    # and the month's stats -- which reach back past them -- no longer count them.
    loom.advance(2 * 3600)
    wait_for("retention to remove the old check-ins",
             lambda: len(checkins(w, org, "trimmed")) == 1)
    assert figures(stats(w, org, "trimmed")) == (1, 1, 0, 0, 0, 3, 3)
    assert stat_hours_rows(loom) == 1


# --- retention ----------------------------------------------------------

@pytest.mark.daemons("storaged")
@pytest.mark.env(LOOM_RETENTION_DAYS="1", LOOM_RETENTION_PERIOD="200ms")
def test_retention_removes_old_checkins_and_events(loom_clock):
    loom = loom_clock
    w = loom.wire()
    org = org_of(loom, w)
    m = create(w, org, "kept", schedule={"type": "interval", "value": 1, "unit": "week"})
    old = w.ok("checkin.record", key=m["ping_key"], kind="ok", source="ping")["checkin_id"]
    loom.advance(23 * 3600)
    young = w.ok("checkin.record", key=m["ping_key"], kind="ok", source="ping")["checkin_id"]
    assert [c["id"] for c in checkins(w, org, "kept")] == [young, old]
    assert w.ok("events.after", after=0, limit=10)["first"] == 1

    # Two hours later the first check-in is more than a day old; the second is not.
    loom.advance(2 * 3600)

    def trimmed():
        ids = [c["id"] for c in checkins(w, org, "kept")]
        first = w.ok("events.after", after=0, limit=10)["first"]
        return (ids, first) if ids == [young] and first == 3 else None
    wait_for("retention to remove the old check-in and its events", trimmed)
    page = w.ok("events.after", after=0, limit=10)
    assert [e["seq"] for e in page["events"]] == [3] and page["head"] == 3
    assert get(w, org, "kept")["id"] == m["id"]        # monitors are not trimmed

    # Much later everything is old, but the newest event stays: numbering resumes after it.
    loom.advance(3 * 86400)
    wait_for("retention to remove everything old",
             lambda: checkins(w, org, "kept") == [] or None)
    page = w.ok("events.after", after=0, limit=10)
    assert page["head"] == 3 and page["first"] == 3 and [e["seq"] for e in page["events"]] == [3]
    w.ok("checkin.record", key=m["ping_key"], kind="ok", source="ping")
    assert [e["seq"] for e in w.ok("events.after", after=0, limit=10)["events"]] == [3, 4]


# --- schedd's view: snapshot, events, verdicts ---------------------------

def test_snapshot_pages(loom):
    w = loom.wire()
    org = org_of(loom, w)
    made = [create(w, org, f"m{i}", max_runtime=30) for i in range(7)]
    w.ok("monitor.update", org=org, slug="m3", monitor={"status": "paused"})
    run = w.ok("checkin.record", key=made[5]["ping_key"], kind="start", source="ping")
    active = sorted(m["id"] for m in made if m["slug"] != "m3")
    head = w.ok("ping")["seq"]

    seen, cursor, pages = [], None, 0
    while True:
        extra = {"cursor": cursor} if cursor else {}
        page = w.ok("snapshot", limit=2, **extra)
        assert page["head"] == head
        pages += 1
        assert len(page["monitors"]) <= 2
        seen += page["monitors"]
        if page["next"] == "":
            break
        cursor = page["next"]
        assert pages < 10
    assert pages >= 4                                   # 7 monitors, 2 per page
    assert [m["id"] for m in seen] == active            # id order, no duplicates, none paused
    by_id = {m["id"]: m for m in seen}
    runs = by_id[made[5]["id"]]["runs"]
    assert [r["id"] for r in runs] == [run["checkin_id"]]
    assert runs[0]["timeout_at"] > 0 and runs[0]["rev"] > 0
    tracked = by_id[made[5]["id"]]
    assert tracked["status"] == "active" and tracked["margin"] == 5
    assert tracked["max_runtime"] == 30 and tracked["next_expected_at"] > 0
    assert all(by_id[m["id"]]["runs"] == [] for m in made if m["id"] in by_id and m is not made[5])
    # One page for everything, and a cursor at the end gives an empty page.
    assert [m["id"] for m in w.ok("snapshot", limit=100)["monitors"]] == active
    last = w.ok("snapshot", cursor=sorted(m["id"] for m in made)[-1], limit=5)
    assert last["monitors"] == [] and last["next"] == ""


def test_events_after_pages_and_filters(loom):
    w = loom.wire()
    org = org_of(loom, w)
    m = create(w, org, "ev")
    for _ in range(4):
        w.ok("checkin.record", key=m["ping_key"], kind="ok", source="ping")
    page = w.ok("events.after", after=0, limit=2)
    assert [e["seq"] for e in page["events"]] == [1, 2]
    assert (page["head"], page["first"], page["last"]) == (5, 1, 2)
    page = w.ok("events.after", after=2, limit=100)
    assert [e["seq"] for e in page["events"]] == [3, 4, 5] and page["last"] == 5
    empty = w.ok("events.after", after=5, limit=10)
    assert empty["events"] == [] and empty["last"] == 5
    future = w.ok("events.after", after=1000, limit=10)
    assert future["events"] == [] and future["head"] == 5
    other = w.ok("events.after", after=0, limit=10, org="org_aaaaaaaaaaaaaaaaaaaaaaaaaa")
    assert other["events"] == [] and other["last"] == 5
    ev = w.ok("events.after", after=1, limit=1)["events"][0]
    assert ev["type"] == "checkin.ok" and ev["org"] == org and ev["monitor"]["slug"] == "ev"
    assert ev["checkin"]["status"] == "ok" and ev["checkin"]["rev"] == 2
    assert ev["old_health"] == "unknown" and ev["new_health"] == "healthy"


@pytest.mark.daemons("storaged")
def test_verdict_missed_conditions(loom_clock):
    loom = loom_clock
    w = loom.wire()
    org = org_of(loom, w)
    m = create(w, org, "hourly")
    verdict = lambda at, mid=m["id"]: w.ok("verdict.missed", monitor_id=mid, expected_at=at)

    # Before the first check-in nothing is expected.
    assert verdict(loom.now_us())["applied"] is False
    w.ok("checkin.record", key=m["ping_key"], kind="ok", source="ping")
    expected = get(w, org, "hourly")["next_expected_at"]
    assert expected % (3600 * US) == 0 and expected > loom.now_us()

    early = verdict(expected)
    assert early["applied"] is False and early["reason"].startswith("early")
    stale = verdict(expected - 3600 * US)
    assert stale["applied"] is False and stale["reason"].startswith("stale")
    assert verdict(expected)["applied"] is False       # still early: nothing changed

    # Past the margin (5 min): applied once.
    loom.advance((expected - loom.now_us()) / US + 5 * 60 + 1)
    sub = Subscriber(loom.pub_endpoint)
    applied = verdict(expected)
    assert applied["applied"] is True and "reason" not in applied
    again = verdict(expected)
    assert again["applied"] is False and again["reason"].startswith("stale")

    mon = get(w, org, "hourly")
    assert mon["health"] == "missed" and mon["next_expected_at"] == expected + 3600 * US
    missed = checkins(w, org, "hourly")[0]
    assert missed["status"] == "missed" and missed["expected_at"] == expected
    assert missed["source"] == "system"
    ev = [e for e in all_events(w) if e["type"] == "monitor.missed"]
    assert len(ev) == 1 and ev[0]["checkin"]["id"] == missed["id"]
    assert ev[0]["old_health"] == "healthy" and ev[0]["new_health"] == "missed"
    name, pub = sub.next()
    assert name == "monitor.missed" and pub == ev[0]
    sub.close()

    # A check-in recovers it; a verdict on the run it replaced is stale.
    w.ok("checkin.record", key=m["ping_key"], kind="ok", source="ping")
    assert get(w, org, "hourly")["health"] == "healthy"
    assert [e["type"] for e in all_events(w)][-2:] == ["checkin.ok", "monitor.healthy"]
    assert verdict(expected + 3600 * US)["applied"] is False

    # Not for paused monitors, nor for monitors that do not exist.
    nxt = get(w, org, "hourly")["next_expected_at"]
    w.ok("monitor.update", org=org, slug="hourly", monitor={"status": "paused"})
    loom.advance(3 * 3600)
    assert verdict(nxt)["reason"] == "monitor is not active"
    assert verdict(nxt, OTHER_MONITOR)["reason"] == "no such monitor"


@pytest.mark.daemons("storaged")
def test_verdict_timeout_conditions(loom_clock):
    loom = loom_clock
    w = loom.wire()
    org = org_of(loom, w)
    m = create(w, org, "slow", max_runtime=1)
    run = "11111111-1111-4111-8111-111111111111"
    cid = w.ok("checkin.record", key=m["ping_key"], kind="start", source="ping",
               run_id=run)["checkin_id"]
    timeout_at = checkins(w, org, "slow")[0]["timeout_at"]
    verdict = lambda at, c=cid: w.ok("verdict.timeout", monitor_id=m["id"], checkin_id=c,
                                     timeout_at=at)

    assert verdict(timeout_at)["reason"].startswith("early")
    # A keep-alive moves the timeout: a verdict on the old one is stale.
    loom.advance(30)
    w.ok("checkin.record", key=m["ping_key"], kind="start", source="ping", run_id=run)
    moved = checkins(w, org, "slow")[0]["timeout_at"]
    assert moved >= timeout_at + 30 * US
    loom.advance(120)
    assert verdict(timeout_at)["reason"].startswith("stale")
    assert verdict(moved)["applied"] is True
    assert verdict(moved)["reason"].startswith("stale")     # not twice
    assert verdict(moved, "chk_aaaaaaaaaaaaaaaaaaaaaaaaaa")["reason"] == \
        "no such check-in or monitor"

    timed_out = checkins(w, org, "slow")[0]
    assert timed_out["id"] == cid and timed_out["status"] == "timeout"
    assert "finished_at" not in timed_out
    assert get(w, org, "slow")["health"] == "timeout"
    # A late completion is recorded on the timed-out run and changes nothing else.
    late = w.ok("checkin.record", key=m["ping_key"], kind="ok", source="ping", run_id=run,
                output=b"finally")
    assert late["checkin_id"] == cid and late["status"] == "timeout"
    after = checkins(w, org, "slow")
    assert len(after) == 1 and after[0]["status"] == "timeout"
    assert after[0]["finished_at"] > 0 and after[0]["output"] == b"finally"
    assert after[0]["duration_ms"] >= 150_000
    assert get(w, org, "slow")["health"] == "timeout"
    assert [e["type"] for e in all_events(w)] == [
        "monitor.created", "checkin.started", "checkin.keepalive", "monitor.timeout"]


# --- malformed input ------------------------------------------------------

def test_more_malformed_messages_are_refused_with_the_field(loom):
    w = loom.wire()
    org = org_of(loom, w)
    m = create(w, org, "x")
    frames = [
        [b"ping", b""],                                         # empty body
        [b"ping", b"\xdf\xff\xff\xff\xff"],                     # map of 4G pairs
        [b"ping", b"\xdb\xff\xff\xff\xff" + b"a" * 8],          # string past the end
        [b"ping", b"\x81\xa1v" * 12 + b"\x01"],                 # nested too deeply
        [b"", msgpack.packb({"v": 1, "rid": 1})],               # empty name
        [b"x" * 40, msgpack.packb({"v": 1, "rid": 1})],         # long name
        [b"ping", msgpack.packb({"v": 1, "rid": 1}), b"extra"],
    ]
    for f in frames:
        w.send_raw(*f)
        name, body = w.recv()
        assert name == "err" and body["code"] == "bad_request" and body["message"], f
    fields = [
        ("checkin.record", {"key": m["ping_key"], "kind": "ok", "source": "ping",
                            "output": b"x" * 10241}, "output"),
        ("checkin.record", {"key": m["ping_key"], "kind": "ok", "source": "ping",
                            "exit_code": 256}, "exit_code"),
        ("checkin.record", {"key": m["ping_key"], "kind": "ok", "source": "ping",
                            "env": "not valid"}, "env"),
        ("monitor.create", {"org": org, "monitor": {"slug": "y", "schedule": {
            "type": "cron", "expression": "* * * *"}}}, "schedule"),
        ("monitor.create", {"org": org, "monitor": {"slug": "y", "schedule": HOURLY,
                                                    "timezone": "Mars/Base"}}, "timezone"),
        ("monitor.create", {"org": org, "monitor": {"schedule": HOURLY}}, "slug"),
        ("monitor.create", {"org": org, "monitor": {"slug": "x", "schedule": HOURLY}}, "slug"),
        ("monitor.get", {"org": "org_short", "slug": "x"}, "org"),
        ("checkin.list", {"org": org, "slug": "x", "limit": 0}, "limit"),
        ("token.create", {"org": org, "scopes": ["root"]}, "scopes"),
        ("events.after", {"after": -1}, "after"),
        ("verdict.missed", {"monitor_id": m["id"]}, "expected_at"),
    ]
    for name, body, field in fields:
        e = error(w, name, **body)
        assert e["field"] == field, (name, e)
        assert e["code"] in ("bad_request", "slug_taken"), e
    # Only the monitor.create above was recorded; storaged still serves.
    assert w.ok("ping")["seq"] == 1
    assert checkins(w, org, "x") == []


# --- a full map -----------------------------------------------------------

@pytest.mark.env(LOOM_MAP_SIZE="1M")
def test_a_full_map_grows_and_the_batch_is_committed(loom):
    w = loom.wire()
    org = org_of(loom, w)
    m = create(w, org, "big")
    # 300 check-ins with 8 KiB of output each: about 2.5 MB into a 1 MiB map,
    # sent 30 at a time so that batches hit MDB_MAP_FULL and are staged again.
    ids = []
    for start in range(0, 300, 30):
        for i in range(start, start + 30):
            w.rid += 1
            w.sock.send_multipart([b"checkin.record", msgpack.packb(
                {"v": 1, "rid": w.rid, "key": m["ping_key"], "kind": "ok", "source": "ping",
                 "output": bytes([i % 256]) * 8192}, use_bin_type=True)])
        for _ in range(30):
            name, reply = w.recv()
            assert name == "ok", reply
            ids.append(reply["checkin_id"])
    assert "lmdb: map grown from 1 to 2 MiB" in loom.daemons["storaged"].log()
    listed = checkins(w, org, "big")
    assert len(listed) == 300 and {c["id"] for c in listed} == set(ids)
    assert all(len(c["output"]) == 8192 for c in listed)
    seqs = [e["seq"] for e in all_events(w)]
    assert seqs == list(range(1, 302))                  # no gap from the retried batches
