"""Upgrading in place: a database written by the storaged of an older layout
(LAYOUT_1 to LAYOUT_7: the last commit whose storaged writes it, built here
from git) is upgraded at start to CURRENT, and everything in it is still
there and works."""

import contextlib
import os
import shutil
import subprocess
import tempfile
import uuid

import pytest

from loomtest import BUILD, Loom, Wire, wait_for

LAYOUT_1 = "08c81a1"
LAYOUT_2 = "d8c5e41"
LAYOUT_3 = "0acfe8e"
LAYOUT_4 = "8eded58"
LAYOUT_5 = "ac4680e"
LAYOUT_6 = "36e4c93"
LAYOUT_7 = "fb2efc8"
CURRENT = 8
REPO = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
HOURLY = {"type": "cron", "expression": "0 * * * *"}


def old_storaged(commit, testhooks=False):
    """storaged as of commit, built once into the build directory (testhooks:
    the test build, whose clock follows LOOM_TEST_CLOCK_FILE)."""
    out = os.path.join(BUILD, "layout", commit, "storaged" + ("-testhooks" if testhooks else ""))
    if os.path.exists(out):
        return out
    if subprocess.run(["git", "-C", REPO, "cat-file", "-e", commit + "^{commit}"],
                      capture_output=True).returncode != 0:
        pytest.skip(f"needs the git history with commit {commit} (a full clone)")
    src = tempfile.mkdtemp(prefix="loom-layout-")
    try:
        archive = subprocess.run(["git", "-C", REPO, "archive", commit],
                                 capture_output=True, check=True).stdout
        subprocess.run(["tar", "-x", "-C", src], input=archive, check=True)
        target = "build/testhooks/bin/storaged" if testhooks else "build/bin/storaged"
        subprocess.run(["make", "-C", src, "-j2", target], check=True, capture_output=True)
        os.makedirs(os.path.dirname(out), exist_ok=True)
        shutil.copy(os.path.join(src, target), out + ".tmp")
        os.replace(out + ".tmp", out)
    finally:
        shutil.rmtree(src, ignore_errors=True)
    return out


def meta(loom):
    """storaged's meta table, read with mdb_dump (lmdb-utils)."""
    return table(loom, "meta", printable=True)


@contextlib.contextmanager
def stopped_after(loom):
    """Runs a test's body on loom: prints its logs if the body fails, then
    stops it, and fails unless every daemon exits 0."""
    try:
        yield loom
    except Exception:
        print(loom.logs())
        raise
    finally:
        codes = loom.stop()
        loom.cleanup()
    assert all(c == 0 for c in codes.values()), codes


def table(loom, name, printable=False):
    """A table of storaged's, read with mdb_dump (lmdb-utils): {key: value},
    printable text (-p) or hex."""
    text = subprocess.run(["mdb_dump"] + (["-p"] if printable else []) +
                          ["-s", name, loom.data_dir],
                          capture_output=True, text=True, check=True).stdout
    # every key and value line starts with a space, an empty value's too
    lines = [line[1:] for line in text.split("HEADER=END", 1)[1].splitlines()
             if line.startswith(" ")]
    return dict(zip(lines[0::2], lines[1::2]))


def write_layout1(loom):
    """Monitors, check-ins, tokens and a second organization, written by the
    old storaged; returns what the test later looks for."""
    old = subprocess.Popen([old_storaged(LAYOUT_1)], env=loom.env, stdin=subprocess.DEVNULL,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for("the old storaged", lambda: Loom._ping(loom.cmd_endpoint) is not None,
                 timeout=15)
        w = Wire(loom.cmd_endpoint)
        org = w.ok("token.verify", token=loom.admin_token)["org"]
        mon = w.ok("monitor.create", org=org, monitor={
            "slug": "nightly", "schedule": HOURLY,
            "environments": ["production", "staging"]})["monitor"]
        run = str(uuid.uuid4())
        w.ok("checkin.record", key=mon["ping_key"], kind="start", source="ping", run_id=run,
             env="production")
        w.ok("checkin.record", key=mon["ping_key"], kind="ok", source="ping", run_id=run,
             env="production", output=b"done")
        w.ok("checkin.record", org=org, slug="nightly", kind="error", source="sdk",
             env="staging", exit_code=2)
        ci = w.ok("token.create", org=org, name="ci", scopes=["checkins"])["secret"]
        b = w.ok("org.create", name="team-b", monitor_limit=5)
        w.ok("monitor.create", org=b["org"]["id"], monitor={"slug": "sync", "schedule": HOURLY})
        w.ok("checkin.record", org=b["org"]["id"], slug="sync", kind="ok", source="sdk",
             env="eu")
        w.close()
    finally:
        old.terminate()
        assert old.wait(10) == 0
    return {"monitor": mon, "ci": ci, "team_b": b["secret"]}


@pytest.fixture
def upgraded():
    """A system started on a database of layout 1."""
    loom = Loom()
    try:
        before = write_layout1(loom)
        assert meta(loom)["version"] == "1"
        loom.start()
    except Exception:
        print(loom.logs())
        loom.stop()
        loom.cleanup()
        raise
    yield loom, before
    codes = loom.stop()
    loom.cleanup()
    assert all(c == 0 for c in codes.values()), codes


def test_a_layout_1_database_is_upgraded_in_place(upgraded):
    loom, before = upgraded
    api = loom.http()
    log = loom.daemons["storaged"].log()
    assert log.count(f"lmdb: layout 1 upgraded to {CURRENT}") == 1, log

    # Everything is still there, under the same tokens.
    mon = api.get("/api/crons/monitors/nightly").json()["monitor"]
    assert mon["id"] == before["monitor"]["id"]
    assert mon["ping_key"] == before["monitor"]["ping_key"]
    assert mon["environments"] == ["production", "staging"]
    got = api.get("/api/crons/monitors/nightly/checkins").json()["checkins"]
    assert [(c["status"], c["environment"], c["output"]) for c in got] == [
        ("error", "staging", None), ("ok", "production", "done")]
    team_b = loom.http(token=before["team_b"])
    assert [m["slug"] for m in team_b.get("/api/crons/monitors").json()["monitors"]] == [
        "sync"]
    r = loom.http(token=before["ci"]).post("/api/crons/monitors/nightly/checkins",
                                           {"status": "ok", "environment": "production"})
    assert r.status == 201, r

    # Each organization has a ping key, a limit and the environments it used.
    root, b = api.get("/api/crons/organization").json(), team_b.get(
        "/api/crons/organization").json()
    assert (root["environment_limit"], root["environment_count"]) == (100, 2)
    assert (b["environment_limit"], b["environment_count"]) == (100, 1)
    assert uuid.UUID(root["ping_key"]).version == 4 and root["ping_key"] != b["ping_key"]
    assert root["monitor_count"] == 1 and b["monitor_count"] == 1

    # The new features work on the old data.
    anon = loom.http(token=None)
    assert anon.get(f"/ping/{root['ping_key']}/nightly?env=staging").status == 200
    assert anon.get(f"/ping/{b['ping_key']}/sync/start").status == 200
    assert anon.get(f"/ping/{b['ping_key']}/new?create=1").status == 201
    assert anon.get(f"/ping/{before['monitor']['ping_key']}/fail").status == 200
    assert len(api.get("/api/crons/monitors/nightly/checkins").json()["checkins"]) == 5

    # Once upgraded, a restart changes nothing and says nothing of it.
    loom.daemons["storaged"].stop()
    assert meta(loom)["version"] == str(CURRENT)
    loom.restart("storaged")
    assert loom.daemons["storaged"].log().count("upgraded") == 1
    assert api.get("/api/crons/organization").json()["ping_key"] == root["ping_key"]


def test_a_layout_2_database_is_upgraded_in_place():
    """Layout 3 adds the idempotency tables: a database of layout 2 keeps its
    data, and keyed retries work on it at once."""
    loom = Loom()
    with stopped_after(loom):
        old = subprocess.Popen([old_storaged(LAYOUT_2)], env=loom.env,
                               stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
        try:
            wait_for("the old storaged", lambda: Loom._ping(loom.cmd_endpoint) is not None,
                     timeout=15)
            w = Wire(loom.cmd_endpoint)
            org = w.ok("token.verify", token=loom.admin_token)["org"]
            mon = w.ok("monitor.create", org=org, monitor={
                "slug": "nightly", "schedule": HOURLY})["monitor"]
            w.ok("checkin.record", key=mon["ping_key"], kind="ok", source="ping")
            w.close()
        finally:
            old.terminate()
            assert old.wait(10) == 0
        assert meta(loom)["version"] == "2"
        loom.start()
        assert loom.daemons["storaged"].log().count(
            f"lmdb: layout 2 upgraded to {CURRENT}") == 1, loom.logs()
        api = loom.http()
        assert len(api.get("/api/crons/monitors/nightly/checkins").json()["checkins"]) == 1
        anon = loom.http(token=None)
        path = f"/ping/{mon['ping_key']}"
        first = anon.request("POST", path, b"once", headers={"Idempotency-Key": "k1"})
        again = anon.request("POST", path, b"once", headers={"Idempotency-Key": "k1"})
        assert first.status == again.status == 200 and first.body == again.body
        assert len(api.get("/api/crons/monitors/nightly/checkins").json()["checkins"]) == 2
        assert meta(loom)["version"] == str(CURRENT)


def stats_of(w, org, slug):
    """monitor.stats for each period, without the window's ends (layout 4 starts
    the window at a whole hour)."""
    return {p: {k: v for k, v in w.ok("monitor.stats", org=org, slug=slug,
                                     period=p)["stats"].items() if k not in ("from", "to")}
            for p in ("day", "week", "month")}


def write_layout3_checkins(loom, w):
    """Check-ins of every kind the stats count or leave out, over four days, by
    the storaged of layout 3; returns the stats it gave."""
    org = w.ok("token.verify", token=loom.admin_token)["org"]
    m = w.ok("monitor.create", org=org, monitor={
        "slug": "figures", "schedule": {"type": "cron", "expression": "* * * * *"},
        "margin": 1, "environments": ["production"]})["monitor"]
    key = m["ping_key"]

    def record(kind, **extra):
        w.ok("checkin.record", key=key, kind=kind, source="ping", env="production", **extra)

    record("ok", duration_ms=120)          # three days before the rest: week and month only
    loom.advance(3 * 86400)
    record("error", duration_ms=1000)
    expected = w.ok("monitor.get", org=org, slug="figures")["monitor"]["next_expected_at"]
    loom.advance((expected - loom.now_us()) / 1e6 + 90)
    assert w.ok("verdict.missed", monitor_id=m["id"], expected_at=expected)["applied"]
    for ms in (40, 250, 200, 130):          # over several hours
        record("ok", duration_ms=ms)
        loom.advance(1800)
    record("error", duration_ms=2048)
    record("ok")                            # no duration
    w.ok("checkin.record", key=key, kind="ok", source="ping", env="staging",
         duration_ms=99999)                 # untracked: left out
    record("start")                         # open: not a finished run
    got = stats_of(w, org, "figures")
    assert (got["day"]["total"], got["week"]["total"]) == (8, 9), got
    return org, got


def test_a_layout_3_database_keeps_its_stats():
    """Layout 4 keeps stats in hour buckets: the upgrade sums them from the
    check-ins the storaged of layout 3 wrote, and stats are what it answered."""
    loom = Loom(daemons=["storaged"], testhooks=True)
    with stopped_after(loom):
        old = subprocess.Popen([old_storaged(LAYOUT_3, testhooks=True)], env=loom.env,
                               stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
        try:
            wait_for("the old storaged", lambda: Loom._ping(loom.cmd_endpoint) is not None,
                     timeout=15)
            w = Wire(loom.cmd_endpoint)
            org, before = write_layout3_checkins(loom, w)
            w.close()
        finally:
            old.terminate()
            assert old.wait(10) == 0
        assert meta(loom)["version"] == "3"
        loom.start()
        assert loom.daemons["storaged"].log().count(
            f"lmdb: layout 3 upgraded to {CURRENT}") == 1, loom.logs()
        w = loom.wire()
        # Every duration is exact in its bin (below 256 ms, or 1000 and 2048), so the
        # p95 too is what the old storaged's exact nearest rank gave.
        assert stats_of(w, org, "figures") == before
        # New check-ins add to the upgraded buckets.
        w.ok("checkin.record", org=org, slug="figures", kind="error", source="sdk",
             env="production", duration_ms=10)
        after = stats_of(w, org, "figures")["day"]
        assert (after["total"], after["error"]) == (before["day"]["total"] + 1,
                                                    before["day"]["error"] + 1)
        assert meta(loom)["version"] == str(CURRENT)


def write_runs(loom, commit):
    """Open and finished runs, with and without run ids, tracked and not,
    written by the storaged of commit."""
    env = {k: v for k, v in loom.env.items() if k != "LOOM_OPEN_RUNS_MAX"}
    old = subprocess.Popen([old_storaged(commit)], env=env, stdin=subprocess.DEVNULL,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for("the old storaged", lambda: Loom._ping(loom.cmd_endpoint) is not None,
                 timeout=15)
        w = Wire(loom.cmd_endpoint)
        org = w.ok("token.verify", token=loom.admin_token)["org"]
        mon = w.ok("monitor.create", org=org, monitor={
            "slug": "runs", "schedule": HOURLY, "environments": ["production"],
            "max_runtime": 60})["monitor"]
        other = w.ok("monitor.create", org=org, monitor={
            "slug": "other", "schedule": HOURLY})["monitor"]
        ra, rb, rc = (str(uuid.uuid4()) for _ in range(3))
        runs = {}

        def record(name, kind, key=mon["ping_key"], **fields):
            got = w.ok("checkin.record", key=key, kind=kind, source="ping", **fields)
            if name:
                runs[name] = got["checkin_id"]
        record("a", "start", run_id=ra)                     # tracked, named
        record("b", "start", run_id=rb)
        record("c", "start", run_id=rc)
        record(None, "ok", run_id=rc)                       # c finished
        record("d", "start", run_id=ra, env="staging")      # untracked, a's run id
        record("e", "start")                                # tracked, no run id
        record("f", "start", env="staging")                 # untracked, no run id
        record("o", "start", key=other["ping_key"], run_id=rb)
        w.close()
    finally:
        old.terminate()
        assert old.wait(10) == 0
    return mon, other, {"a": ra, "b": rb, "c": rc}, runs


@pytest.mark.parametrize("layout,commit", [(3, LAYOUT_3), (4, LAYOUT_4)])
def test_a_database_of_layout_3_or_4_gets_its_run_indexes(layout, commit):
    """Layout 5 keys open runs by class, counts them and indexes run ids: after
    the upgrade, finishes by run id land on the runs the old storaged opened,
    the counts hold (the cap closes the oldest at once), and a finished run's
    run id is known."""
    loom = Loom(env={"LOOM_OPEN_RUNS_MAX": "5"})
    with stopped_after(loom):
        mon, other, rid, runs = write_runs(loom, commit)
        assert meta(loom)["version"] == str(layout)
        loom.start()
        log = loom.daemons["storaged"].log()
        assert log.count(f"lmdb: layout {layout} upgraded to {CURRENT}") == 1, log
        assert log.count("6 open runs of 2 monitors re-keyed and counted, "
                         "5 check-ins indexed by run id") == 1, log
        loom.daemons["storaged"].stop()
        counts = table(loom, "open_run_counts")
        assert {bytes.fromhex(k).decode(): int(v, 16) for k, v in counts.items()} == {
            mon["id"]: 5, other["id"]: 1}
        assert len(table(loom, "run_ids")) == 5
        loom.restart("storaged")

        api, anon = loom.http(), loom.http(token=None)
        key = mon["ping_key"]

        def runs_now():
            got = api.get("/api/crons/monitors/runs/checkins").json()["checkins"]
            return {c["id"]: c["status"] for c in got}
        # Five open: a sixth start closes the oldest, a.
        g = anon.get(f"/ping/{key}/start?rid={uuid.uuid4()}").json()["checkin_id"]
        assert runs_now()[runs["a"]] == "timeout"
        assert anon.get(f"/ping/{key}/0?rid={rid['b']}").status == 200
        assert anon.get(f"/ping/{key}/fail?rid={rid['a']}&env=staging").status == 200
        assert anon.get(f"/ping/{key}/fail?rid={rid['c']}").status == 200   # a retry
        assert anon.get(f"/ping/{key}").status == 200                       # the latest: g
        assert anon.get(f"/ping/{key}?env=staging").status == 200           # f
        assert runs_now() == {runs["a"]: "timeout", runs["b"]: "ok", runs["c"]: "ok",
                              runs["d"]: "error", runs["e"]: "in_progress",
                              runs["f"]: "ok", g: "ok"}
        assert anon.get(f"/ping/{key}").status == 200                       # then e
        assert runs_now()[runs["e"]] == "ok"
        # The other monitor's run with b's run id was its own.
        assert anon.get(f"/ping/{other['ping_key']}?rid={rid['b']}").status == 200
        got = api.get("/api/crons/monitors/other/checkins").json()["checkins"]
        assert [(c["id"], c["status"]) for c in got] == [(runs["o"], "ok")]
        loom.daemons["storaged"].stop()
        assert table(loom, "open_run_counts") == {}
        loom.restart("storaged")


def test_a_layout_5_database_gets_alert_channels():
    """Layout 6 adds the channel tables: a layout 5 database keeps its
    monitors and runs, and takes channels and their deliveries."""
    loom = Loom(env={"LOOM_WEBHOOK_ALLOW_PRIVATE": "1"})
    with stopped_after(loom):
        mon, other, rid, runs = write_runs(loom, LAYOUT_5)
        assert meta(loom)["version"] == "5"
        loom.start()
        log = loom.daemons["storaged"].log()
        assert log.count(f"lmdb: layout 5 upgraded to {CURRENT}") == 1, log
        api, anon = loom.http(), loom.http(token=None)
        assert anon.get(f"/ping/{mon['ping_key']}/0?rid={rid['b']}").status == 200
        got = api.get("/api/crons/monitors/runs/checkins").json()["checkins"]
        assert {c["id"]: c["status"] for c in got}[runs["b"]] == "ok"
        r = api.post("/api/crons/channels", {"kind": "webhook", "url": "http://127.0.0.1:9/x"})
        assert r.status == 201, r
        assert [c["id"] for c in api.get("/api/crons/channels").json()["channels"]] == \
            [r.json()["id"]]
        loom.daemons["storaged"].stop()
        assert meta(loom)["version"] == str(CURRENT)
        assert len(table(loom, "channels")) == 1
        loom.restart("storaged")


def test_a_layout_6_database_takes_sessions():
    """Layout 7 adds the dashboard's session tables: a layout 6 database
    keeps its monitors and runs, and its tokens sign in."""
    loom = Loom()
    with stopped_after(loom):
        mon, _, rid, runs = write_runs(loom, LAYOUT_6)
        assert meta(loom)["version"] == "6"
        loom.start()
        log = loom.daemons["storaged"].log()
        assert log.count(f"lmdb: layout 6 upgraded to {CURRENT}") == 1, log
        api, anon = loom.http(), loom.http(token=None)
        assert anon.get(f"/ping/{mon['ping_key']}/0?rid={rid['b']}").status == 200
        got = api.get("/api/crons/monitors/runs/checkins").json()["checkins"]
        assert {c["id"]: c["status"] for c in got}[runs["b"]] == "ok"
        r = anon.post("/api/crons/session", {"token": loom.admin_token})
        assert r.status == 201, r
        secret = r.headers["set-cookie"].split(";")[0].split("=", 1)[1]
        r = anon.get("/api/crons/monitors", headers={"Cookie": f"loom_session={secret}"})
        assert r.status == 200 and len(r.json()["monitors"]) == 2, r
        loom.daemons["storaged"].stop()
        assert meta(loom)["version"] == str(CURRENT)
        assert len(table(loom, "sessions")) == 1 and len(table(loom, "token_sessions")) == 1
        loom.restart("storaged")


def write_healths(loom, commit):
    """Monitors in every badge state, in two organizations, written by the
    storaged of commit."""
    old = subprocess.Popen([old_storaged(commit)], env=loom.env, stdin=subprocess.DEVNULL,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for("the old storaged", lambda: Loom._ping(loom.cmd_endpoint) is not None,
                 timeout=15)
        w = Wire(loom.cmd_endpoint)
        org = w.ok("token.verify", token=loom.admin_token)["org"]
        mons = {slug: w.ok("monitor.create", org=org, monitor={
            "slug": slug, "name": slug.title(), "schedule": HOURLY})["monitor"]
            for slug in ("fine", "broken", "fresh", "held", "gone")}
        for slug, kind in (("fine", "ok"), ("broken", "error"), ("held", "error"),
                           ("gone", "error")):
            w.ok("checkin.record", key=mons[slug]["ping_key"], kind=kind, source="ping")
        w.ok("monitor.update", org=org, slug="held", monitor={"status": "paused"})
        w.ok("monitor.delete", org=org, slug="gone")
        b = w.ok("org.create", name="team-b", monitor_limit=5)
        sync = w.ok("monitor.create", org=b["org"]["id"], monitor={
            "slug": "sync", "schedule": HOURLY})["monitor"]
        w.ok("checkin.record", key=sync["ping_key"], kind="ok", source="ping")
        w.close()
    finally:
        old.terminate()
        assert old.wait(10) == 0
    return b["secret"]


def test_a_layout_7_database_gets_badge_keys_and_counts():
    """Layout 8 gives every organization a badge key and counts its monitors
    by badge state: after the upgrade both organizations' badges read what
    the old storaged recorded, and the counts keep up with new check-ins."""
    loom = Loom()
    with stopped_after(loom):
        team_b = write_healths(loom, LAYOUT_7)
        assert meta(loom)["version"] == "7"
        loom.start()
        log = loom.daemons["storaged"].log()
        assert log.count(f"lmdb: layout 7 upgraded to {CURRENT}: 2 organizations got a "
                         "badge key, 5 monitors' badge states counted") == 1, log
        api, b, anon = loom.http(), loom.http(token=team_b), loom.http(token=None)
        key = api.get("/api/crons/organization").json()["badge_key"]
        key_b = b.get("/api/crons/organization").json()["badge_key"]
        assert key.startswith("bdg_") and key_b.startswith("bdg_") and key != key_b

        def badge(k, slug=None):
            r = anon.get(f"/badge/{k}/{slug}.json" if slug else f"/badge/{k}.json")
            assert r.status == 200, r
            return r.json()["label"], r.json()["message"]
        assert [badge(key, s) for s in ("fine", "broken", "fresh", "held")] == [
            ("Fine", "up"), ("Broken", "down"), ("Fresh", "new"), ("Held", "paused")]
        assert anon.get(f"/badge/{key}/gone.json").status == 404
        assert badge(key) == ("default", "1 down")
        assert badge(key_b) == ("team-b", "up")
        assert anon.get(f"/badge/{key}/sync.json").status == 404

        broken = api.get("/api/crons/monitors/broken").json()["monitor"]
        assert anon.get(f"/ping/{broken['ping_key']}").status == 200
        assert badge(key) == ("default", "up")
        loom.daemons["storaged"].stop()
        counts = table(loom, "org_badge_counts")
        assert sorted(int(v, 16) for v in counts.values()) == [1, 1, 1, 2]  # b up; up, new, paused
        loom.restart("storaged")
        assert api.get("/api/crons/organization").json()["badge_key"] == key


def test_a_new_database_is_of_the_current_layout(loom):
    loom.daemons["storaged"].stop()
    assert meta(loom)["version"] == str(CURRENT)
    loom.restart("storaged")
    assert "upgraded" not in loom.daemons["storaged"].log()
