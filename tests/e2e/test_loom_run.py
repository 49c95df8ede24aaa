"""loom-run, the job wrapper, against the real running system (black box).

Each test runs build/bin/loom-run around a small shell job and reads what
was recorded back through the API.  Only PATH and what a test sets reach
loom-run's environment, so ambient LOOM_* variables cannot leak in.
"""

import os
import signal
import subprocess
import time

import pytest

from loomtest import Http, binary, free_port, wait_for

LOOM_RUN = binary("loom-run")
KEYLESS = "0b7c1a64-3c9e-4d4e-9a57-5f1d2c3b4a59"    # a well-formed key no monitor has


@pytest.fixture
def api(loom):
    return loom.http()


def create(api, slug, **extra):
    body = {"slug": slug, "schedule": {"type": "cron", "expression": "0 * * * *"}, **extra}
    r = api.post("/api/crons/monitors", body)
    assert r.status == 201, r
    answer = r.json()
    return answer.get("monitor", answer)     # {"monitor": {...}} once the server wraps it


def checkins(api, slug):
    r = api.get(f"/api/crons/monitors/{slug}/checkins")
    assert r.status == 200, r
    return r.json()["checkins"]


def env_with(**extra):
    return {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), **extra}


def loom_run(*argv, env=None, stdin=subprocess.DEVNULL, timeout=60):
    """Runs loom-run with argv; returns the CompletedProcess (bytes)."""
    return subprocess.run([LOOM_RUN, *argv], env=env or env_with(), stdin=stdin,
                          capture_output=True, timeout=timeout)


def with_key(loom, key, *job, options=()):
    return loom_run("--url", loom.base_url, "--key", key, *options, "--", *job)


def closed_url():
    return f"http://127.0.0.1:{free_port()}"


# --- what a run reports ----------------------------------------------------

def test_success_is_an_ok_checkin_with_duration_and_output(loom, api):
    mon = create(api, "backup")
    r = with_key(loom, mon["ping_key"], "sh", "-c", "echo hello; echo oops >&2; sleep 0.3")
    assert r.returncode == 0, r.stderr
    assert r.stdout == b"hello\n"
    assert r.stderr == b"oops\n"          # the job's own, and nothing from loom-run
    got = checkins(api, "backup")
    assert len(got) == 1, got
    ck = got[0]
    assert (ck["status"], ck["exit_code"], ck["source"]) == ("ok", 0, "ping")
    assert ck["duration_ms"] >= 300
    assert ck["output"] == "hello\noops\n" and ck["output_truncated"] is False
    assert len(ck["run_id"]) == 36         # the start and the end were paired by rid


def test_failure_exit_code_is_reported_and_returned(loom, api):
    mon = create(api, "report")
    r = with_key(loom, mon["ping_key"], "sh", "-c", "echo failing; exit 3",
                 options=("--env", "staging"))
    assert r.returncode == 3
    assert r.stdout == b"failing\n"
    [ck] = checkins(api, "report")
    assert (ck["status"], ck["exit_code"], ck["output"]) == ("error", 3, "failing\n")
    assert ck["environment"] == "staging"


def test_a_job_killed_by_a_signal_exits_128_plus_the_signal(loom, api):
    mon = create(api, "killed")
    r = with_key(loom, mon["ping_key"], "sh", "-c", "echo before; kill -KILL $$")
    assert r.returncode == 137
    [ck] = checkins(api, "killed")
    assert (ck["status"], ck["exit_code"], ck["output"]) == ("error", 137, "before\n")


def test_output_over_10_kib_keeps_the_last_10_kib_flagged(loom, api):
    mon = create(api, "chatty")
    job = "head -c 20000 /dev/zero | tr '\\0' a; printf 'THE END'"
    r = with_key(loom, mon["ping_key"], "sh", "-c", job)
    assert r.returncode == 0
    assert r.stdout == b"a" * 20000 + b"THE END"      # everything passed through
    [ck] = checkins(api, "chatty")
    assert ck["output"] == "a" * (10240 - 7) + "THE END"
    assert ck["output_truncated"] is True


def test_stdin_is_the_jobs(loom, api):
    mon = create(api, "reader")
    r = subprocess.run([LOOM_RUN, "--url", loom.base_url, "--key", mon["ping_key"], "--",
                        "cat"], input=b"line 1\nline 2\n", capture_output=True, timeout=60,
                       env=env_with())
    assert r.returncode == 0
    assert r.stdout == b"line 1\nline 2\n"
    assert checkins(api, "reader")[0]["output"] == "line 1\nline 2\n"


def test_signals_are_forwarded_to_the_job(loom, api, tmp_path):
    mon = create(api, "signalled")
    job = ('trap "echo got USR1" USR1; trap "echo got TERM; exit 42" TERM; '
           'echo ready; while :; do sleep 0.02; done')
    out = tmp_path / "out"
    with open(out, "wb") as f:
        p = subprocess.Popen([LOOM_RUN, "--url", loom.base_url, "--key", mon["ping_key"],
                              "--", "sh", "-c", job], stdout=f, stderr=subprocess.PIPE,
                             stdin=subprocess.DEVNULL, env=env_with())
    try:
        wait_for("the job to be ready", lambda: b"ready" in out.read_bytes())
        p.send_signal(signal.SIGUSR1)
        wait_for("USR1 to reach the job", lambda: b"got USR1" in out.read_bytes())
        p.send_signal(signal.SIGTERM)
        assert p.wait(30) == 42
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    assert out.read_bytes() == b"ready\ngot USR1\ngot TERM\n"
    [ck] = checkins(api, "signalled")
    assert (ck["status"], ck["exit_code"]) == ("error", 42)
    assert ck["output"] == "ready\ngot USR1\ngot TERM\n"


def test_a_command_that_cannot_run_is_127_and_reported(loom, api):
    mon = create(api, "missing")
    r = with_key(loom, mon["ping_key"], "/nonexistent/job", "arg")
    assert r.returncode == 127
    assert b"/nonexistent/job" in r.stderr
    [ck] = checkins(api, "missing")
    assert (ck["status"], ck["exit_code"]) == ("error", 127)
    assert "/nonexistent/job" in ck["output"]


# --- SDK mode and configuration ------------------------------------------------

def test_sdk_mode_reports_check_ins_with_duration(loom, api):
    create(api, "sdk-job")
    token = api.post("/api/crons/tokens", {"name": "jobs", "scopes": ["checkins"]}).json()[
        "token"]
    r = loom_run("--url", loom.base_url, "--slug", "sdk-job", "--token", token,
                 "--env", "production", "--", "sh", "-c", "echo via sdk; sleep 0.2; exit 5")
    assert r.returncode == 5, r.stderr
    assert r.stdout == b"via sdk\n"
    [ck] = checkins(api, "sdk-job")
    assert (ck["status"], ck["exit_code"], ck["source"]) == ("error", 5, "sdk")
    assert ck["duration_ms"] >= 200
    assert ck["output"] == "via sdk\n" and ck["environment"] == "production"
    assert len(ck["run_id"]) == 36
    # The environment supplies what the command line does not.
    r = loom_run("--", "sh", "-c", "echo again", env=env_with(
        LOOM_URL=loom.base_url, LOOM_SLUG="sdk-job", LOOM_TOKEN=token))
    assert r.returncode == 0, r.stderr
    latest = checkins(api, "sdk-job")[0]
    assert (latest["status"], latest["exit_code"], latest["output"]) == ("ok", 0, "again\n")


def test_sdk_mode_keeps_the_end_of_a_long_output(loom, api):
    create(api, "sdk-chatty")
    job = "head -c 30000 /dev/zero | tr '\\0' b; printf '\\303\\251nd'"    # ends in "énd"
    r = loom_run("--url", loom.base_url, "--slug", "sdk-chatty", "--token", loom.admin_token,
                 "--", "sh", "-c", job)
    assert r.returncode == 0, r.stderr
    [ck] = checkins(api, "sdk-chatty")
    assert ck["output"].endswith("énd") and ck["output_truncated"] is True
    assert len(ck["output"].encode()) == 10240


def test_ping_key_from_the_environment(loom, api):
    mon = create(api, "env-key")
    r = loom_run("true", env=env_with(LOOM_URL=loom.base_url, LOOM_PING_KEY=mon["ping_key"]))
    assert r.returncode == 0, r.stderr
    assert checkins(api, "env-key")[0]["status"] == "ok"


@pytest.mark.parametrize("argv,words", [
    ((), "no command"),
    (("--key", KEYLESS), "no command"),
    (("--key", KEYLESS, "--colour", "blue", "--", "JOB"), "unknown option"),
    (("--key",), "needs a value"),
])
def test_usage_errors_exit_64_and_run_nothing(tmp_path, argv, words):
    marker = tmp_path / "ran"
    job = ("sh", "-c", f"touch {marker}")
    r = loom_run(*[part for a in argv for part in (job if a == "JOB" else (a,))])
    assert r.returncode == 64, r
    assert words.encode() in r.stderr, r.stderr
    assert b"usage: loom-run" in r.stderr
    assert not marker.exists()


@pytest.mark.parametrize("argv,env,words", [
    (("--", "JOB"), {}, "nothing to report to"),
    (("JOB",), {"LOOM_URL": "http://127.0.0.1:1"}, "nothing to report to"),
    (("--key", "", "JOB"), {}, "empty"),
    (("--", "JOB"), {"LOOM_SLUG": "x"}, "--token"),
    (("--key", KEYLESS, "--slug", "x", "--token", "t", "--", "JOB"), {}, "exclude"),
    (("--key", KEYLESS, "--retry-for", "soon", "--", "JOB"), {}, "--retry-for"),
    (("--key", KEYLESS, "--retry-for", "-1", "--", "JOB"), {}, "--retry-for"),
    (("--key", KEYLESS, "--url", "ftp://example.com", "--", "JOB"), {}, "--url"),
    (("--key", KEYLESS, "JOB"), {"LOOM_URL": "example.com"}, "--url"),
])
def test_no_usable_reporting_setting_runs_the_job_unreported(tmp_path, argv, env, words):
    """A cron line whose key did not get set still runs its job, and says so once."""
    marker = tmp_path / "ran"
    job = ("sh", "-c", f"touch {marker}; echo out; echo err >&2; exit 3")
    r = loom_run(*[part for a in argv for part in (job if a == "JOB" else (a,))],
                 env=env_with(**env), timeout=10)
    assert r.returncode == 3, r
    assert marker.exists()
    assert r.stdout == b"out\n"
    warning, job_err = r.stderr.decode().splitlines()
    assert words in warning and "loom-run warning: " in warning, warning
    assert warning.endswith("; running sh unreported"), warning
    assert job_err == "err"


def test_help_and_version():
    r = loom_run("--help")
    assert r.returncode == 0 and r.stdout.startswith(b"usage: loom-run")
    r = loom_run("--version")
    assert r.returncode == 0 and r.stdout.startswith(b"loom-run ")


# --- when monitoring fails, the job does not ----------------------------------------

def test_server_down_the_job_runs_and_loom_run_gives_up_in_time():
    t0 = time.monotonic()
    r = loom_run("--url", closed_url(), "--key", KEYLESS, "--retry-for", "2", "--",
                 "python3", "-c", "import time; print(time.monotonic()); raise SystemExit(4)")
    elapsed = time.monotonic() - t0
    assert r.returncode == 4
    started = float(r.stdout) - t0
    assert started < 2.8, started          # the start report held the job back <= 2 s
    assert elapsed < 2.8 + 2.5, elapsed    # ... and the end report gave up after 2 s
    assert b"gave up" in r.stderr


def test_a_stop_signal_before_the_job_starts_means_it_does_not_run(tmp_path):
    marker = tmp_path / "ran"
    err = tmp_path / "err"
    with open(err, "wb") as f:
        p = subprocess.Popen([LOOM_RUN, "--url", closed_url(), "--key", KEYLESS,
                              "--retry-for", "2", "--", "touch", str(marker)],
                             stdout=subprocess.DEVNULL, stderr=f, env=env_with())
    wait_for("the start report to be retried", lambda: b"retrying" in err.read_bytes())
    p.send_signal(signal.SIGTERM)
    assert p.wait(30) == 128 + signal.SIGTERM
    assert not marker.exists()


def test_a_refused_report_is_not_retried(loom):
    t0 = time.monotonic()
    r = with_key(loom, KEYLESS, "sh", "-c", "exit 2", options=("--retry-for", "30"))
    assert r.returncode == 2
    assert time.monotonic() - t0 < 5
    assert b"HTTP 404" in r.stderr and b"not retried" in r.stderr


@pytest.mark.env(LOOM_STORAGE_TIMEOUT="1s")
def test_503_is_retried_until_storage_is_back_and_stored_once(loom, api, tmp_path):
    mon = create(api, "outage")
    err = tmp_path / "err"
    loom.daemons["storaged"].stop()
    with open(err, "wb") as f:
        p = subprocess.Popen([LOOM_RUN, "--url", loom.base_url, "--key", mon["ping_key"],
                              "--retry-for", "30", "--", "sh", "-c", "echo after the outage"],
                             stdout=subprocess.PIPE, stderr=f, env=env_with())
    try:
        wait_for("the end report to get a 503", lambda: b"reporting the end: HTTP 503"
                 in err.read_bytes(), timeout=20)
        loom.restart("storaged")
        assert p.wait(40) == 0
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    assert p.stdout.read() == b"after the outage\n"
    p.stdout.close()
    got = checkins(api, "outage")
    assert len(got) == 1, got
    assert (got[0]["status"], got[0]["output"]) == ("ok", "after the outage\n")
    assert b"reported at attempt" in err.read_bytes()
    # Nothing that got a 503 shows up later either.
    assert Http(loom.http_addr).get(f"/ping/{mon['ping_key']}").status == 200
    assert len(checkins(api, "outage")) == 2
