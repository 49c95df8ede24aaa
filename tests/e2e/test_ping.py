"""Ping endpoints of ingestd, black-box over real HTTP (DESIGN.md: Endpoints)."""

import uuid

import pytest

from loomtest import Http


def create(api, slug, **extra):
    body = {"slug": slug, "schedule": {"type": "cron", "expression": "0 * * * *"}, **extra}
    r = api.post("/api/crons/monitors", body)
    assert r.status == 201, r
    return r.json()["monitor"]


def checkins(api, slug, **query):
    q = "&".join(f"{k}={v}" for k, v in query.items())
    r = api.get(f"/api/crons/monitors/{slug}/checkins" + ("?" + q if q else ""))
    assert r.status == 200, r
    return r.json()["checkins"]


@pytest.fixture
def api(loom):
    return loom.http()


@pytest.fixture
def anon(loom):
    return Http(loom.http_addr)


def test_plain_ping_records_ok_with_healthchecks_headers(loom, api, anon):
    mon = create(api, "backup")
    assert mon["ping_url"] == f"{loom.base_url}/ping/{mon['ping_key']}"
    for method in ("GET", "POST", "HEAD"):
        r = anon.request(method, f"/ping/{mon['ping_key']}")
        assert r.status == 200, (method, r)
        assert r.headers["ping-body-limit"] == "10240"
        assert r.headers["access-control-allow-origin"] == "*"
        if method != "HEAD":
            assert r.text == "OK\n"
    got = checkins(api, "backup")
    assert [c["status"] for c in got] == ["ok", "ok", "ok"]
    assert all(c["source"] == "ping" for c in got)


def test_a_200_means_the_checkin_can_be_read_back(api, anon):
    mon = create(api, "durable")
    for i in range(25):
        assert anon.post(f"/ping/{mon['ping_key']}", body=f"run {i}").status == 200
        latest = checkins(api, "durable", limit=1)[0]
        assert latest["output"] == f"run {i}"


def test_start_then_ok_pairs_into_one_run_with_a_duration(loom, api, anon):
    mon = create(api, "paired")
    r = anon.get(f"/ping/{mon['ping_key']}/start")
    assert r.status == 200 and r.headers["content-type"].startswith("application/json")
    run = r.json()["checkin_id"]
    assert run.startswith("chk_")
    assert checkins(api, "paired")[0]["status"] == "in_progress"
    assert anon.get(f"/ping/{mon['ping_key']}").status == 200
    got = checkins(api, "paired")
    assert len(got) == 1
    assert got[0]["id"] == run and got[0]["status"] == "ok"
    assert got[0]["duration_ms"] is not None and got[0]["duration_ms"] >= 0
    assert got[0]["finished_at"] >= got[0]["started_at"]


def test_fail_and_exit_codes(api, anon):
    mon = create(api, "codes")
    key = mon["ping_key"]
    assert anon.get(f"/ping/{key}/fail").status == 200
    assert anon.get(f"/ping/{key}/0").status == 200
    assert anon.get(f"/ping/{key}/7").status == 200
    assert anon.get(f"/ping/{key}?exit_code=3").status == 200
    assert anon.get(f"/ping/{key}?exit_code=0").status == 200
    assert anon.get(f"/ping/{key}/4?exit_code=4").status == 200    # the same code twice
    got = checkins(api, "codes")[::-1]     # oldest first
    assert [(c["status"], c["exit_code"]) for c in got] == [
        ("error", None), ("ok", 0), ("error", 7), ("error", 3), ("ok", 0), ("error", 4)]


@pytest.mark.parametrize("path,field", [
    ("/{key}/256", "exit_code"),
    ("/{key}/99999999999", "exit_code"),
    ("/{key}?exit_code=256", "exit_code"),
    ("/{key}?exit_code=-1", "exit_code"),
    ("/{key}?exit_code=abc", "exit_code"),
    ("/{key}/start?exit_code=1", "exit_code"),
    ("/{key}/1?exit_code=0", "exit_code"),        # two different exit codes
    ("/{key}/0?exit_code=2", "exit_code"),
    ("/{key}?rid=not-a-uuid", "rid"),
    ("/{key}/start?rid=1234", "rid"),
    ("/{key}?env=bad%20name", "env"),
    ("/{key}?env=" + "x" * 65, "env"),
])
def test_bad_ping_parameters_are_400_and_record_nothing(api, anon, path, field):
    mon = create(api, "strict")
    r = anon.get("/ping" + path.format(key=mon["ping_key"]))
    assert r.status == 400, r
    assert r.json()["error"]["field"] == field
    assert checkins(api, "strict") == []


def test_unknown_keys_and_paths_are_404(anon):
    for path in (f"/ping/{uuid.uuid4()}", f"/ping/{uuid.uuid4()}/start", "/ping/not-a-key",
                 f"/ping/{uuid.uuid4()}/nope", "/ping/"):
        r = anon.get(path)
        assert r.status == 404, (path, r)


def test_wrong_method_is_405(api, anon):
    mon = create(api, "methods")
    for method in ("PUT", "DELETE", "PATCH"):
        r = anon.request(method, f"/ping/{mon['ping_key']}")
        assert r.status == 405
        assert "GET" in r.headers["allow"]
    assert checkins(api, "methods") == []


def test_output_over_10_kib_is_truncated_and_flagged(api, anon):
    mon = create(api, "big")
    body = ("x" * 10000 + "y" * 300).encode()
    assert anon.post(f"/ping/{mon['ping_key']}", body=body).status == 200
    small = b"short output"
    assert anon.post(f"/ping/{mon['ping_key']}", body=small).status == 200
    got = checkins(api, "big")
    assert got[1]["output_truncated"] is True
    assert len(got[1]["output"]) == 10240
    assert got[1]["output"] == body[:10240].decode()
    assert got[0]["output_truncated"] is False and got[0]["output"] == "short output"


def test_rid_pairs_two_overlapping_runs(api, anon):
    mon = create(api, "overlap")
    key = mon["ping_key"]
    a, b = str(uuid.uuid4()), str(uuid.uuid4())
    ra = anon.get(f"/ping/{key}/start?rid={a}").json()["checkin_id"]
    rb = anon.get(f"/ping/{key}/start?rid={b}").json()["checkin_id"]
    assert ra != rb
    assert anon.get(f"/ping/{key}/fail?rid={a}").status == 200   # a finishes first, failing
    assert anon.get(f"/ping/{key}?rid={b.upper()}").status == 200  # rids are case-insensitive
    got = {c["id"]: c for c in checkins(api, "overlap")}
    assert len(got) == 2
    assert got[ra]["status"] == "error" and got[ra]["run_id"] == a
    assert got[rb]["status"] == "ok" and got[rb]["run_id"] == b


def test_repeated_start_with_the_same_rid_is_a_keepalive(api, anon):
    mon = create(api, "keepalive", max_runtime_minutes=30)
    rid = str(uuid.uuid4())
    first = anon.get(f"/ping/{mon['ping_key']}/start?rid={rid}").json()["checkin_id"]
    before = checkins(api, "keepalive")[0]["timeout_at"]
    again = anon.get(f"/ping/{mon['ping_key']}/start?rid={rid}").json()["checkin_id"]
    assert again == first
    got = checkins(api, "keepalive")
    assert len(got) == 1 and got[0]["status"] == "in_progress"
    assert got[0]["timeout_at"] > before


def test_a_finished_run_shows_no_deadline(api, anon):
    mon = create(api, "deadline", max_runtime_minutes=30)
    anon.get(f"/ping/{mon['ping_key']}/start")
    [run] = checkins(api, "deadline")
    assert run["status"] == "in_progress" and run["timeout_at"] is not None
    assert anon.get(f"/ping/{mon['ping_key']}").status == 200
    [run] = checkins(api, "deadline")
    assert run["status"] == "ok" and run["timeout_at"] is None


def test_log_records_output_without_changing_the_run(api, anon):
    mon = create(api, "logs")
    key = mon["ping_key"]
    assert anon.post(f"/ping/{key}/log", body="no run yet").status == 404
    anon.get(f"/ping/{key}/start")
    assert anon.post(f"/ping/{key}/log", body="step 1\n").status == 200
    assert anon.post(f"/ping/{key}/log", body="step 2\n").status == 200
    got = checkins(api, "logs")
    assert len(got) == 1 and got[0]["status"] == "in_progress"
    assert got[0]["output"] == "step 1\nstep 2\n"


def test_disabled_monitor_answers_200_and_records_nothing(api, anon):
    mon = create(api, "off", status="disabled")
    assert anon.get(f"/ping/{mon['ping_key']}").status == 200
    assert anon.get(f"/ping/{mon['ping_key']}/start").status == 200
    assert checkins(api, "off") == []


def test_start_answers_the_same_json_shape_whether_recorded_or_not(api, anon):
    on, off = create(api, "started"), create(api, "stopped", status="disabled")
    r = anon.get(f"/ping/{on['ping_key']}/start")
    assert r.status == 200 and r.headers["content-type"] == "application/json", r
    body = r.json()
    assert set(body) == {"checkin_id", "recorded"}
    assert body["checkin_id"].startswith("chk_") and body["recorded"] is True
    r = anon.get(f"/ping/{off['ping_key']}/start")
    assert r.status == 200 and r.headers["content-type"] == "application/json", r
    assert r.json() == {"checkin_id": None, "recorded": False}
    for mon in (on, off):      # HEAD: the same answer without its body
        r = anon.request("HEAD", f"/ping/{mon['ping_key']}/start")
        assert r.status == 200 and r.headers["content-type"] == "application/json", r
        assert r.body == b""
    assert [c["status"] for c in checkins(api, "started")] == ["in_progress", "in_progress"]
    assert checkins(api, "stopped") == []


def test_other_environments_are_recorded_untracked_and_move_nothing(api, anon):
    mon = create(api, "envs", environments=["production"])
    key = mon["ping_key"]
    assert anon.get(f"/ping/{key}?env=production").status == 200
    tracked = api.get("/api/crons/monitors/envs").json()["monitor"]
    # A staging job's script (`curl -fsS …/start && job && curl -fsS … || curl …/fail`) works.
    assert anon.get(f"/ping/{key}/fail?env=staging").status == 200
    start = anon.get(f"/ping/{key}/start?env=staging")
    assert start.status == 200
    assert anon.get(f"/ping/{key}").status == 200         # no env: finishes the staging run

    got = checkins(api, "envs")                            # newest first
    assert [(c["status"], c["environment"], c["tracked"]) for c in got] == [
        ("ok", "staging", False), ("error", "staging", False), ("ok", "production", True)]
    assert got[0]["id"] == start.json()["checkin_id"]       # the run kept its start's
    # Neither the schedule nor health nor the last check-in moved; stats leave them out.
    assert api.get("/api/crons/monitors/envs").json()["monitor"] == tracked
    stats = api.get("/api/crons/monitors/envs/stats").json()
    assert (stats["total_checkins"], stats["failed_checkins"]) == (1, 0)


def test_finishes_and_logs_land_on_runs_of_their_own_tracking(api, anon):
    key = create(api, "pairs", environments=["production"])["ping_key"]
    staging = anon.get(f"/ping/{key}/start?env=staging").json()["checkin_id"]
    production = anon.get(f"/ping/{key}/start?env=production").json()["checkin_id"]
    # The latest open run is production's, but staging's failure can only end staging's.
    assert anon.get(f"/ping/{key}/fail?env=staging").status == 200
    assert anon.post(f"/ping/{key}/log?env=production", body=b"step 1\n").status == 200
    assert anon.get(f"/ping/{key}?env=production").status == 200
    # A finish that names no environment ends an untracked run when no tracked one is open.
    later = anon.get(f"/ping/{key}/start?env=staging").json()["checkin_id"]
    assert anon.get(f"/ping/{key}").status == 200

    got = {c["id"]: c for c in checkins(api, "pairs")}
    assert len(got) == 3
    assert (got[staging]["status"], got[staging]["tracked"]) == ("error", False)
    assert (got[production]["status"], got[production]["tracked"]) == ("ok", True)
    assert got[production]["output"] == "step 1\n"
    assert (got[later]["status"], got[later]["tracked"]) == ("ok", False)
    assert api.get("/api/crons/monitors/pairs").json()["monitor"]["health"] == "healthy"


@pytest.mark.env(LOOM_STORAGE_TIMEOUT="1s")
def test_storage_down_gives_503_and_nothing_is_recorded(loom, api, anon):
    mon = create(api, "outage")
    key = mon["ping_key"]
    loom.daemons["storaged"].stop()
    r = anon.get(f"/ping/{key}")
    assert r.status == 503
    assert r.text.startswith("storage unavailable")
    # The ping waited in ingestd's queue; once storaged is back it must not be recorded.
    loom.restart("storaged")
    assert checkins(api, "outage") == []
    assert anon.get(f"/ping/{key}").status == 200
    assert len(checkins(api, "outage")) == 1


def test_a_log_of_exactly_10_kib_is_not_flagged(api, anon):
    mon = create(api, "exact")
    anon.get(f"/ping/{mon['ping_key']}/start")
    assert anon.post(f"/ping/{mon['ping_key']}/log", body=b"z" * 10240).status == 200
    got = checkins(api, "exact")[0]
    assert len(got["output"]) == 10240 and got["output_truncated"] is False
    # Full: a later part is dropped, and flagged.
    assert anon.post(f"/ping/{mon['ping_key']}/log", body=b"y").status == 200
    got = checkins(api, "exact")[0]
    assert got["output"] == "z" * 10240 and got["output_truncated"] is True
