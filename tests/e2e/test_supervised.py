"""The whole system under runit, started the way `make run` starts it.

scripts/run generates the service directories from scripts/runit/ into a
temporary directory and runs runsvdir over them (supervise.Supervised).
These tests drive it from outside: the API and the stream through ingestd,
runit's own view (supervise/pid, sv status), the logs the log services
write, and Ctrl-C at the end, after which every daemon must have exited 0
and no process may be left.  Everything is polled with a deadline.

The flow tests need all four daemons.  Where schedd or streamd is not
built they are skipped, except in CI (CI set), where that is a failure.
"""

import datetime
import json
import os
import signal
import subprocess
import time

import pytest

from loomtest import SSE, Http, free_port, wait_for
from supervise import ALL, Supervised, need_all, procs_in, run_supervised, unclean_exits

S = 1_000_000


@pytest.fixture
def sv(request):
    """The release builds of whatever daemons are built."""
    yield from run_supervised(request, testhooks=False)


@pytest.fixture
def sv_all(request):
    """The release builds, all four daemons."""
    need_all(False)
    yield from run_supervised(request, testhooks=False)


@pytest.fixture
def sv_clock(request):
    """The test-hook builds, all four daemons: sv_clock.advance() moves their clock."""
    need_all(True)
    yield from run_supervised(request, testhooks=True)


def next_event(stream, what, pred=lambda ev, data: True, timeout=15.0):
    """The next event of type what (skipping others) that satisfies pred."""
    seen = []
    deadline = time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            raise AssertionError(f"no {what} within {timeout}s; saw {seen}")
        try:
            ev = stream.next_event(timeout=left)
        except TimeoutError:
            continue
        data = ev_data(ev)
        seen.append((ev.get("id"), ev.get("event")))
        if ev.get("event") == what and pred(ev, data):
            return ev, data


def ev_data(ev):
    return json.loads(ev["data"]) if "data" in ev else {}


def us(rfc3339):
    return int(datetime.datetime.fromisoformat(rfc3339).timestamp() * S)


def create(sv, slug, schedule, **fields):
    r = sv.http().post("/api/crons/monitors", json_body={"slug": slug, "schedule": schedule,
                                                        **fields})
    assert r.status == 201, r
    return r.json()["monitor"]


# --- make run itself ---

def test_make_run_serves_prints_how_to_use_it_and_stops_on_ctrl_c(sv):
    out = sv.output()
    assert f"running at http://{sv.http_addr}" in out
    assert f"admin token   {sv.data_dir}/admin-token" in out
    # The dashboard is where it says, served from the build's share dir.
    assert f"dashboard     http://{sv.http_addr}/  (sign in with the admin token)" in out
    r = Http(sv.http_addr, None).get("/")
    assert r.status == 200 and r.headers["content-type"].startswith("text/html"), r
    assert b"<title>" in r.body
    # Every built daemon runs under its own runsv and answers its probe.
    for d in sv.daemons():
        assert sv.status(d).startswith("run: "), sv.status(d)
        assert sv.serving(d), d
    # The printed curl line works as printed.
    curl = out[out.index("  curl -s -X POST"):].split("\n\n")[0]
    r = subprocess.run(["bash", "-c", curl], capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    assert '"slug":"my-job"' in r.stdout.replace(" ", "")
    assert sv.http().get("/api/crons/monitors/my-job").status == 200
    # Ctrl-C and its checks: the fixture's teardown.


def test_settings_reach_the_daemons_byte_for_byte_and_instances_run_side_by_side():
    # No shell expansion on the way: not by scripts/run, not by the run scripts.
    token = "loom_$HOME;$(id)`id`'\"\\x"
    a = Supervised(env={"LOOM_ADMIN_TOKEN": token, "LOOM_RETENTION_DAYS": "7"})
    b = Supervised()
    try:
        a.start()
        b.start()
        assert Http(a.http_addr, token).get("/api/crons/organization").status == 200
        assert Http(b.http_addr, token).get("/api/crons/organization").status == 401
        assert Http(b.http_addr, b.admin_token).get("/api/crons/organization").status == 200
        with open(os.path.join(a.svdir, ".loom.env")) as f:
            assert "LOOM_RETENTION_DAYS=7\n" in f.read()
        for sv in (a, b):
            code, left = sv.stop()
            assert (code, left) == (0, []), sv.logs()
            assert unclean_exits(sv) == {}, sv.logs()
    finally:
        a.cleanup()
        b.cleanup()


def test_make_run_defaults_to_var_and_reads_loom_env_under_the_environment():
    caller, file_addr, stream = (f"127.0.0.1:{free_port()}" for _ in range(3))
    sv = Supervised(env={"LOOM_HTTP_ADDR": caller}, loom_env=(
        "# settings of this checkout\n\n"
        f"LOOM_HTTP_ADDR={file_addr}\nLOOM_STREAM_ADDR={stream}\nLOOM_RETENTION_DAYS=7\n"))
    sv.stream_addr = stream
    try:
        sv.start()
        checkout = os.path.join(sv.dir, "checkout")
        assert sv.svdir == os.path.join(checkout, "var", "service")
        # The caller's LOOM_HTTP_ADDR wins over ./loom.env; the rest of it applies.
        assert f"running at http://{caller}" in sv.output()
        assert Http(caller, sv.admin_token).get("/api/crons/organization").status == 200
        with open(os.path.join(sv.svdir, ".loom.env")) as f:
            effective = f.read().splitlines()
        assert f"LOOM_HTTP_ADDR={caller}" in effective
        assert "LOOM_RETENTION_DAYS=7" in effective
        assert f"LOOM_DATA_DIR={checkout}/var/data" in effective
        assert os.path.exists(os.path.join(checkout, "var", "data", "admin-token"))
        for d in sv.daemons():
            assert sv.serving(d), d
        code, left = sv.stop()
        assert (code, left) == (0, []), sv.logs()
        assert unclean_exits(sv) == {}, sv.logs()
    finally:
        sv.cleanup()


@pytest.mark.parametrize("var,value,daemon", [
    ("LOOM_RETENTION_DAYS", "ninety", "storaged"),
    ("LOOM_HTTP_ADDR", "nope", "ingestd"),
])
def test_a_bad_setting_fails_make_run_and_its_daemon_stays_down(var, value, daemon):
    sv = Supervised(env={var: value})
    try:
        with pytest.raises(AssertionError, match="scripts/run exited 1"):
            sv.start()
        assert f"{var}: " in sv.output()           # the log's end, shown by scripts/run
        log = sv.log(daemon)
        assert log.count(f"{daemon} error: {var}: ") == 1, log   # started once, not in a loop
        assert "exited 78" in log and "staying down" in log
        assert procs_in(sv.dir) == []
    finally:
        sv.cleanup()


# --- the flow, supervised ---

def test_the_whole_flow_with_a_missed_run_and_recovery(sv_clock):
    sv = sv_clock
    mon = create(sv, "every-minute", {"type": "cron", "expression": "* * * * *"},
                 checkin_margin_minutes=1, recovery_threshold=1)
    key = mon["ping_key"]
    stream = sv.sse("/api/crons/stream?monitor=every-minute")
    assert stream.status == 200
    ping = Http(sv.http_addr, None)

    r = ping.get(f"/ping/{key}/start")
    assert r.status == 200, r
    run = r.json()["checkin_id"]
    _, data = next_event(stream, "checkin.started")
    assert data["checkin"]["id"] == run
    assert ping.get(f"/ping/{key}").status == 200
    _, data = next_event(stream, "checkin.ok")
    assert data["checkin"]["id"] == run                      # completes the started run
    assert data["checkin"]["duration_ms"] is not None
    assert (data["old_health"], data["new_health"]) == ("unknown", "healthy")

    # Nobody pings: once the next run plus the margin has passed, it is missed.
    expected = us(sv.http().get("/api/crons/monitors/every-minute").json()["monitor"]["next_expected_at"])
    sv.advance((expected + 60 * S + 5 * S - sv.now_us()) / S)
    _, data = next_event(stream, "monitor.missed", timeout=30)
    assert data["checkin"]["status"] == "missed"
    assert us(data["checkin"]["expected_at"]) == expected
    assert data["new_health"] == "missed"

    # The next ok run recovers it (recovery_threshold 1).
    assert ping.get(f"/ping/{key}").status == 200
    _, data = next_event(stream, "monitor.healthy")
    assert (data["old_health"], data["new_health"]) == ("missed", "healthy")
    stream.close()
    assert sv.http().get("/api/crons/monitors/every-minute").json()["monitor"]["health"] == "healthy"


def test_each_daemon_killed_is_restarted_and_the_flow_goes_on(sv_all):
    sv = sv_all
    key = create(sv, "survivor", {"type": "interval", "value": 1, "unit": "hour"})["ping_key"]

    def ping_start():
        r = Http(sv.http_addr, None, timeout=5).get(f"/ping/{key}/start")
        return r.json()["checkin_id"] if r.status == 200 else None

    def stream_after(last):
        s = SSE(sv.http_addr, "/api/crons/stream?monitor=survivor", sv.admin_token,
                {"Last-Event-ID": last})
        if s.status == 200:
            return s
        s.close()
        return None

    def seen(run, last):
        """The run's checkin.started arrives on a stream resumed after last; its id."""
        stream = wait_for("the stream", lambda: stream_after(last), timeout=20)
        try:
            ev, _ = next_event(stream, "checkin.started",
                               lambda ev, data: data["checkin"]["id"] == run)
        finally:
            stream.close()
        return ev["id"]

    last = seen(wait_for("a ping answered 200", ping_start), "0")
    for name in ALL:
        old = sv.pid(name)
        assert old, sv.status(name)
        os.kill(old, signal.SIGKILL)
        new = wait_for(f"runsv to restart {name}",
                       lambda: sv.pid(name) not in (None, old) and sv.pid(name), timeout=20)
        wait_for(f"{name} to serve again", lambda: sv.serving(name), timeout=20)
        status = sv.status(name)
        assert status.startswith(f"run: {sv.svdir}/{name}: (pid {new})"), (new, status)
        assert "killed by signal 9" in sv.log(name)
        # The flow: a ping answered 200, and its event on the stream.
        run = wait_for(f"a ping answered 200 after {name} came back", ping_start, timeout=20)
        last = seen(run, last)
