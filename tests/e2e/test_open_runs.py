"""Open runs (issue 17, part 3): a run id finds its run among many open ones,
a monitor holds at most LOOM_OPEN_RUNS_MAX open runs (past it a start closes
the oldest as timed out, with its monitor.timeout event), and a run id makes
a retried start or finish answer the first time's run instead of recording
again (docs/runs.md)."""

import uuid

import msgpack
import pytest
import zmq

from loomtest import Http


def create(api, slug, **extra):
    body = {"slug": slug, "schedule": {"type": "cron", "expression": "0 * * * *"}, **extra}
    r = api.post("/api/crons/monitors", body)
    assert r.status == 201, r
    return r.json()["monitor"]


def checkins(api, slug, limit=1000):
    r = api.get(f"/api/crons/monitors/{slug}/checkins?limit={limit}")
    assert r.status == 200, r
    return r.json()["checkins"]


def by_id(api, slug):
    return {c["id"]: c for c in checkins(api, slug)}


def events_of(loom, checkin_id):
    w = loom.wire()
    try:
        evs, _ = w.events()
    finally:
        w.close()
    return [e["type"] for e in evs if (e.get("checkin") or {}).get("id") == checkin_id]


def start(anon, key, rid=None, env=None):
    q = "&".join(f"{k}={v}" for k, v in (("rid", rid), ("env", env)) if v)
    r = anon.get(f"/ping/{key}/start" + ("?" + q if q else ""))
    assert r.status == 200, r
    return r.json()["checkin_id"]


def open_many(loom, key, rids, pairs=256):
    """Starts one run per run id, straight to storaged, pairs per message."""
    w = loom.wire()
    w.sock.setsockopt(zmq.RCVTIMEO, 30000)
    for i in range(0, len(rids), pairs):
        frames = []
        for n, rid in enumerate(rids[i:i + pairs]):
            frames += [b"checkin.record", msgpack.packb(
                {"v": 1, "rid": 10000 + i + n, "key": key, "kind": "start", "source": "ping",
                 "run_id": rid})]
        w.send_raw(*frames)
        reply = w.sock.recv_multipart()
        assert all(x == b"ok" for x in reply[0::2]), msgpack.unpackb(reply[1])
    w.close()


@pytest.fixture
def api(loom):
    return loom.http()


@pytest.fixture
def anon(loom):
    return Http(loom.http_addr)


@pytest.mark.env(LOOM_OPEN_RUNS_MAX="10000")
def test_a_run_id_finds_its_run_among_thousands_of_open_runs(loom, api, anon):
    mon = create(api, "many", environments=["production"])
    key = mon["ping_key"]
    rids = [str(uuid.uuid4()) for _ in range(3000)]
    open_many(loom, key, rids)
    plain = start(anon, key)                  # the latest open run, without a run id
    untracked = start(anon, key, rid=rids[5], env="staging")   # same run id, untracked

    # Each finish lands on the run its run id names, whatever its age.
    assert anon.get(f"/ping/{key}/3?rid={rids[17]}").status == 200
    assert anon.get(f"/ping/{key}/0?rid={rids[2999]}").status == 200
    assert anon.get(f"/ping/{key}/fail?rid={rids[5]}&env=staging").status == 200
    got = checkins(api, "many", limit=5)
    assert got[0]["run_id"] == rids[5] and got[0]["id"] == untracked
    assert got[0]["status"] == "error" and got[0]["tracked"] is False
    every = _all(api, "many")
    named = {(c["run_id"], c["tracked"]): c for c in every if c["run_id"]}
    assert (named[rids[17], True]["status"], named[rids[17], True]["exit_code"]) == ("error", 3)
    assert named[rids[2999], True]["status"] == "ok"
    assert named[rids[5], True]["status"] == "in_progress"
    assert named[rids[5], False]["status"] == "error"
    assert sum(c["status"] == "in_progress" for c in every) == 3000 - 2 + 1

    # Without a run id a finish completes the latest open run.
    assert anon.get(f"/ping/{key}").status == 200
    assert by_id(api, "many")[plain]["status"] == "ok"
    assert len(_all(api, "many")) == 3002


def _all(api, slug):
    out, cursor = [], ""
    while True:
        r = api.get(f"/api/crons/monitors/{slug}/checkins?limit=1000" +
                    (f"&cursor={cursor}" if cursor else ""))
        assert r.status == 200, r
        out += r.json()["checkins"]
        cursor = r.json().get("next_cursor")
        if not cursor:
            return out


@pytest.mark.env(LOOM_OPEN_RUNS_MAX="5")
def test_past_the_cap_a_start_closes_the_oldest_run_as_timed_out(loom, api, anon):
    mon = create(api, "capped", max_runtime_minutes=60)
    key = mon["ping_key"]
    rids = [str(uuid.uuid4()) for _ in range(8)]
    ids = [start(anon, key, rid=rid) for rid in rids[:5]]
    assert all(c["status"] == "in_progress" for c in checkins(api, "capped"))

    # The sixth closes the first: timeout, finished when closed, its event and health.
    ids.append(start(anon, key, rid=rids[5]))
    got = by_id(api, "capped")
    assert got[ids[0]]["status"] == "timeout"
    assert got[ids[0]]["finished_at"] is not None and got[ids[0]]["timeout_at"] is None
    assert [got[i]["status"] for i in ids[1:]] == ["in_progress"] * 5
    assert events_of(loom, ids[0]) == ["checkin.started", "monitor.timeout"]
    assert api.get("/api/crons/monitors/capped").json()["monitor"]["health"] == "timeout"

    # A run without a run id counts too; an untracked one as well.
    ids.append(start(anon, key))
    ids.append(start(anon, key, rid=rids[6], env="staging"))
    got = by_id(api, "capped")
    assert [got[i]["status"] for i in ids] == ["timeout"] * 3 + ["in_progress"] * 5

    # A late finish of a closed run is answered as it is and records nothing.
    before = len(checkins(api, "capped"))
    assert anon.get(f"/ping/{key}/0?rid={rids[0]}").status == 200
    got = by_id(api, "capped")
    assert len(got) == before and got[ids[0]]["status"] == "timeout"
    assert events_of(loom, ids[0]) == ["checkin.started", "monitor.timeout"]
    # An open one still finishes.
    assert anon.get(f"/ping/{key}/0?rid={rids[5]}").status == 200
    assert by_id(api, "capped")[ids[5]]["status"] == "ok"


@pytest.mark.env(LOOM_OPEN_RUNS_MAX="3")
def test_a_closed_untracked_run_raises_nothing(loom, api, anon):
    mon = create(api, "envs", environments=["production"], max_runtime_minutes=60)
    key = mon["ping_key"]
    first = start(anon, key, rid=str(uuid.uuid4()), env="staging")
    for _ in range(3):
        start(anon, key, rid=str(uuid.uuid4()), env="production")
    got = by_id(api, "envs")
    assert got[first]["status"] == "timeout" and got[first]["tracked"] is False
    assert events_of(loom, first) == ["checkin.started"]     # alerting events never are
    assert api.get("/api/crons/monitors/envs").json()["monitor"]["health"] == "unknown"


def test_a_retried_start_or_finish_records_nothing_twice(loom, api, anon):
    mon = create(api, "retries")
    key = mon["ping_key"]
    rid = str(uuid.uuid4())
    first = start(anon, key, rid=rid)
    assert start(anon, key, rid=rid) == first          # a keep-alive, as before
    assert anon.post(f"/ping/{key}/0?rid={rid}", body="done").status == 200
    [run] = checkins(api, "retries")
    assert (run["id"], run["status"], run["exit_code"], run["output"]) == (
        first, "ok", 0, "done")
    seen = events_of(loom, first)
    assert seen == ["checkin.started", "checkin.keepalive", "checkin.ok"]

    # The finish again (a client's retry, even one that says otherwise), then the start.
    assert anon.post(f"/ping/{key}/0?rid={rid}", body="done").status == 200
    assert anon.get(f"/ping/{key}/fail?rid={rid}").status == 200
    assert anon.get(f"/ping/{key}?rid={rid}").status == 200
    r = anon.get(f"/ping/{key}/start?rid={rid}")
    assert r.status == 200 and r.json() == {"checkin_id": first, "recorded": True}
    assert checkins(api, "retries") == [run]
    assert events_of(loom, first) == seen
    assert api.get("/api/crons/monitors/retries").json()["monitor"]["health"] == "healthy"


def test_sdk_check_ins_with_a_run_id_are_retried_safely(loom, api):
    create(api, "sdk")
    rid = str(uuid.uuid4())
    post = lambda body: api.post("/api/crons/monitors/sdk/checkins", {"run_id": rid, **body})
    r = post({"status": "in_progress"})
    assert r.status == 201, r
    first = r.json()["id"]
    ok = post({"status": "ok", "duration_ms": 1200})
    assert ok.status == 201 and ok.json()["id"] == first and ok.json()["status"] == "ok", ok
    again = post({"status": "error", "duration_ms": 5})
    assert again.status == 201, again
    assert (again.json()["id"], again.json()["status"]) == (first, "ok")
    start_again = post({"status": "in_progress"})
    assert (start_again.json()["id"], start_again.json()["status"]) == (first, "ok")
    [run] = checkins(api, "sdk")
    assert (run["id"], run["status"], run["duration_ms"]) == (first, "ok", 1200)
    assert events_of(loom, first) == ["checkin.started", "checkin.ok"]


def test_the_default_cap_is_a_thousand_open_runs(loom, api):
    mon = create(api, "default-cap")
    open_many(loom, mon["ping_key"], [str(uuid.uuid4()) for _ in range(1500)])
    every = _all(api, "default-cap")
    assert len(every) == 1500
    assert sum(c["status"] == "in_progress" for c in every) == 1000
    # The oldest were closed, in order.
    closed = [c for c in every if c["status"] == "timeout"]
    assert len(closed) == 500 and min(c["created_at"] for c in every if
                                      c["status"] == "in_progress") > max(
        c["created_at"] for c in closed)
