"""The product specification's own examples, pasted as written.

Only the placeholders change: https://loom.example.com becomes the test's base
URL, abc123-def456 / xxx a real ping key, <token> the admin token, and the
user's own code (my-script.sh, cleanup.sh, sendEmailDigest, a crash client)
small stand-ins.  Each test reads back through the API what was recorded.

    Creating Monitors (curl), the interval request    test_the_spec_create_*
    Simple Ping URLs                                   test_the_spec_ping_urls
    Shell Script Integration, Kubernetes CronJob       test_the_spec_*script*, *cronjob*
    Statistics                                         test_the_spec_stats_example
    SDK check-in bodies (POST, PATCH)                  test_the_spec_sdk_bodies
    Real-time Updates (SSE listener)                   test_the_spec_sse_listener
    SDK-Based Monitoring, TypeScript                   test_typescript_sdk_example
    SDK-Based Monitoring, Rust                         test_rust_sdk_example (sdk/rust/examples/spec.rs)
"""

import json
import os
import re
import subprocess

import pytest

from loomtest import Http, wait_for
from test_api import MIN_US, create, us_of
from test_stream import EventSource, api_ready, open_stream
from sdkrun import (RUST_SDK, build_typescript_sdk, cargo_env, node, run, tsc,
                    typescript_project)

SPEC_CREATE = """curl -X POST https://loom.example.com/api/crons/monitors \\
-H "Authorization: Bearer <token>" \\
-H "Content-Type: application/json" \\
-d '{
"slug": "daily-cleanup",
"name": "Daily Cleanup Job",
"schedule": {
"type": "cron",
"expression": "0 0 * * *"
},
"timezone": "America/New_York",
"checkin_margin_minutes": 5,
"max_runtime_minutes": 60,
"environments": ["production"]
}'"""

SPEC_CREATE_INTERVAL = """{
"slug" : "daily-backup" ,
"name" : "Daily Database Backup" ,
"schedule" : {
"type" : "interval" ,
"minutes" : 1440
},
"timezone" : "UTC"
}"""

SPEC_PINGS = [
    ("curl https://loom.example.com/ping/abc123-def456", "ok", None),
    ("curl https://loom.example.com/ping/abc123-def456/start", "in_progress", None),
    ("curl https://loom.example.com/ping/abc123-def456/fail", "error", None),
    ('curl "https://loom.example.com/ping/abc123-def456?exit_code=1"', "error", 1),
    ('curl -X POST https://loom.example.com/ping/abc123-def456 \\\n'
     '-d "Job completed. Processed 1000 records."', "ok", None),
]

SPEC_SIMPLE_SCRIPT = """#!/bin/bash
set -e
# Run job
/usr/local/bin/my-script.sh
# Success ping
curl -fsS https://loom.example.com/ping/xxx
"""

SPEC_ERROR_HANDLING_SCRIPT = """#!/bin/bash
set -e
# Signal start
curl -fsS https://loom.example.com/ping/xxx/start
# Run job
if /usr/local/bin/my-script.sh 2>&1 | tee /tmp/job-output.txt ; then
# Success
curl -fsS -X POST https://loom.example.com/ping/xxx \\
-d @/tmp/job-output.txt
else
# Failure
curl -fsS -X POST "https://loom.example.com/ping/xxx/fail?exit_code=$?" \\
-d @/tmp/job-output.txt
fi
"""

SPEC_CRONJOB_COMMAND = """curl -fsS https://loom.example.com/ping/xxx/start
if /app/cleanup.sh; then
curl -fsS https://loom.example.com/ping/xxx
else
curl -fsS https://loom.example.com/ping/xxx/fail
fi
"""


def paste(text, loom, key="", script=None):
    """The example with the test's URL, key, token and job script in place."""
    text = text.replace("https://loom.example.com", loom.base_url)
    text = text.replace("abc123-def456", key).replace("/ping/xxx", f"/ping/{key}")
    text = text.replace("<token>", loom.admin_token)
    if script is not None:
        text = text.replace("/usr/local/bin/my-script.sh", script)
        text = text.replace("/app/cleanup.sh", script)
    return text


def job(tmp_path, name, exit_code, output):
    path = tmp_path / name
    path.write_text(f"#!/bin/sh\necho '{output}'\nexit {exit_code}\n")
    path.chmod(0o755)
    return str(path)


def sh(text, *shell):
    return subprocess.run([*shell, text] if shell else ["bash", "-c", text],
                          capture_output=True, text=True, timeout=30)


def checkins(loom, slug):
    r = loom.http().get(f"/api/crons/monitors/{slug}/checkins")
    assert r.status == 200, r
    return r.json()["checkins"]


@pytest.fixture
def cleanup_monitor(loom):
    """The spec's curl create, run by the shell; answers its parsed output."""
    r = sh(paste(SPEC_CREATE, loom))
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def test_the_spec_create_answers_the_spec_response(loom, cleanup_monitor):
    m = cleanup_monitor["monitor"]
    assert m["id"].startswith("mon_") and m["slug"] == "daily-cleanup"
    assert m["ping_url"] == f"{loom.base_url}/ping/{m['ping_key']}"
    assert (m["status"], m["health"]) == ("active", "unknown")
    assert (m["name"], m["timezone"], m["environments"]) == \
        ("Daily Cleanup Job", "America/New_York", ["production"])
    # `jq .monitor.ping_url` in a user's script reads the same URL
    assert Http(loom.http_addr).get(m["ping_url"].removeprefix(loom.base_url)).status == 200


def test_the_spec_interval_create_request(loom):
    r = loom.http().post("/api/crons/monitors", json.loads(SPEC_CREATE_INTERVAL))
    assert r.status == 201, r
    schedule = r.json()["monitor"]["schedule"]
    assert (schedule["type"], schedule["minutes"]) == ("interval", 1440)


def test_the_spec_ping_urls(loom, cleanup_monitor):
    key = cleanup_monitor["monitor"]["ping_key"]
    for example, status, exit_code in SPEC_PINGS:
        r = sh(paste(example, loom, key))
        assert r.returncode == 0, (example, r.stderr)
        latest = checkins(loom, "daily-cleanup")[0]
        assert latest["status"] == status, (example, latest)
        if exit_code is not None:
            assert latest["exit_code"] == exit_code
        if example.startswith("curl -X POST"):
            assert latest["output"] == "Job completed. Processed 1000 records."
        if example.endswith("/start"):
            assert json.loads(r.stdout)["checkin_id"] == latest["id"]


def test_the_spec_simple_script(loom, cleanup_monitor, tmp_path):
    key = cleanup_monitor["monitor"]["ping_key"]
    script = tmp_path / "simple.sh"
    script.write_text(paste(SPEC_SIMPLE_SCRIPT, loom, key, job(tmp_path, "ok.sh", 0, "fine")))
    assert subprocess.run(["bash", str(script)], capture_output=True, timeout=30).returncode == 0
    assert [c["status"] for c in checkins(loom, "daily-cleanup")] == ["ok"]
    # set -e: a failing job sends no ping, and the schedule reports it missed later
    script.write_text(paste(SPEC_SIMPLE_SCRIPT, loom, key, job(tmp_path, "bad.sh", 3, "no")))
    assert subprocess.run(["bash", str(script)], capture_output=True, timeout=30).returncode == 3
    assert len(checkins(loom, "daily-cleanup")) == 1


def test_the_spec_script_with_error_handling(loom, cleanup_monitor, tmp_path):
    key = cleanup_monitor["monitor"]["ping_key"]
    script = tmp_path / "with-errors.sh"
    script.write_text(paste(SPEC_ERROR_HANDLING_SCRIPT, loom, key,
                            job(tmp_path, "ok.sh", 0, "Processed 1000 records")))
    r = subprocess.run(["bash", str(script)], capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    runs = checkins(loom, "daily-cleanup")
    assert len(runs) == 1, runs                     # the start, finished by the ping
    assert (runs[0]["status"], runs[0]["output"]) == ("ok", "Processed 1000 records")
    assert runs[0]["started_at"] is not None and runs[0]["duration_ms"] is not None


def test_the_spec_script_reports_a_failure_with_pipefail(loom, cleanup_monitor, tmp_path):
    """`if job | tee …` tests tee's status: the job's failure needs pipefail (docs/clients.md)."""
    key = cleanup_monitor["monitor"]["ping_key"]
    script = tmp_path / "with-errors.sh"
    text = paste(SPEC_ERROR_HANDLING_SCRIPT, loom, key, job(tmp_path, "bad.sh", 4, "disk full"))
    script.write_text(text.replace("set -e\n", "set -e\nset -o pipefail\n", 1))
    r = subprocess.run(["bash", str(script)], capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    runs = checkins(loom, "daily-cleanup")
    assert len(runs) == 1, runs
    assert (runs[0]["status"], runs[0]["exit_code"], runs[0]["output"]) == \
        ("error", 4, "disk full")


def test_the_spec_cronjob_command(loom, cleanup_monitor, tmp_path):
    key = cleanup_monitor["monitor"]["ping_key"]
    for exit_code, status in ((0, "ok"), (1, "error")):
        r = sh(paste(SPEC_CRONJOB_COMMAND, loom, key,
                     job(tmp_path, f"cleanup{exit_code}.sh", exit_code, "cleaning")),
               "/bin/sh", "-c")
        assert r.returncode == 0, r.stderr
        latest = checkins(loom, "daily-cleanup")[0]
        assert latest["status"] == status and latest["started_at"] is not None


def test_the_spec_stats_example(loom, cleanup_monitor):
    key = cleanup_monitor["monitor"]["ping_key"]
    assert sh(paste("curl -fsS https://loom.example.com/ping/abc123-def456", loom, key)) \
        .returncode == 0
    # the spec's line, with the token every API call needs
    r = sh(paste("curl -fsS -H 'Authorization: Bearer <token>' "
                 "https://loom.example.com/api/crons/monitors/daily-cleanup/stats?period=week",
                 loom))
    assert r.returncode == 0, r.stderr
    stats = json.loads(r.stdout)
    for field in ("total_checkins", "successful_checkins", "failed_checkins",
                  "missed_checkins", "timeout_checkins", "avg_duration_ms",
                  "p95_duration_ms", "uptime_percentage"):
        assert field in stats, field
    assert (stats["total_checkins"], stats["successful_checkins"]) == (1, 1)
    assert stats["uptime_percentage"] == 100.0


# The product spec's two check-in bodies, verbatim.
SPEC_START = """{
"status" : "in_progress" ,
"started_at" : "2026-01-18T12:00:00Z"
}"""
SPEC_FINISH = """{
"status" : "ok" ,
"finished_at" : "2026-01-18T12:05:00Z" ,
"duration_ms" : 300000 ,
"output" : "Processed 1000 records"
}"""


def test_the_spec_sdk_bodies(loom):
    api = loom.http()
    create(api, "spec-sdk", max_runtime_minutes=60)
    hdrs = {"Content-Type": "application/json"}
    r = api.request("POST", "/api/crons/monitors/spec-sdk/checkins", body=SPEC_START,
                    headers=hdrs)
    assert r.status == 201, r
    cid = r.json()["id"]
    run = api.get(f"/api/crons/checkins/{cid}").json()
    assert run["status"] == "in_progress" and run["started_at"] == "2026-01-18T12:00:00Z"
    # Our clock drives the schedule: the run times out max_runtime after we saw it start.
    assert us_of(run["timeout_at"]) - us_of(run["created_at"]) == 60 * MIN_US
    assert abs(us_of(run["created_at"]) - loom.now_us()) < MIN_US
    r = api.request("PATCH", f"/api/crons/checkins/{cid}", body=SPEC_FINISH, headers=hdrs)
    assert r.status == 200, r
    done = r.json()
    assert (done["status"], done["started_at"], done["finished_at"], done["duration_ms"],
            done["output"], done["timeout_at"]) == \
        ("ok", "2026-01-18T12:00:00Z", "2026-01-18T12:05:00Z", 300000,
         "Processed 1000 records", None)
    m = api.get("/api/crons/monitors/spec-sdk").json()["monitor"]
    assert abs(us_of(m["last_checkin_at"]) - loom.now_us()) < MIN_US
    assert us_of(m["next_expected_at"]) > loom.now_us()
    # A run reported once it is over (README).
    r = api.post("/api/crons/monitors/spec-sdk/checkins", {
        "status": "ok", "started_at": "2026-01-18T12:00:00Z",
        "finished_at": "2026-01-18T12:05:00Z"})
    assert r.status == 201, r
    over = api.get(f"/api/crons/checkins/{r.json()['id']}").json()
    assert (over["started_at"], over["finished_at"], over["duration_ms"]) == \
        ("2026-01-18T12:00:00Z", "2026-01-18T12:05:00Z", 300000)

def test_the_spec_sse_listener(loom_clock):
    """The spec's listener, in Python: data.monitor_name of a monitor.missed."""
    loom = api_ready(loom_clock)
    create_spec_monitor = loom.http().post("/api/crons/monitors", {
        "slug": "daily-cleanup", "name": "Daily Cleanup Job",
        "schedule": {"type": "interval", "minutes": 10}, "checkin_margin_minutes": 1})
    assert create_spec_monitor.status == 201, create_spec_monitor
    key = create_spec_monitor.json()["monitor"]["ping_key"]
    event_source = EventSource(open_stream(loom))
    alerts = []
    event_source.add_event_listener("monitor.missed", lambda data: alerts.append(
        f"Monitor {data['monitor_name']} missed check-in!"))
    assert Http(loom.http_addr).get(f"/ping/{key}").status == 200
    loom.advance(12 * 60)
    event_source.until("monitor.missed", timeout=15)
    assert alerts == ["Monitor Daily Cleanup Job missed check-in!"]


def checkins_token(loom):
    """A token with the checkins scope only, as a job's would be."""
    r = loom.http().post("/api/crons/tokens", {"name": "spec-example", "scopes": ["checkins"]})
    assert r.status == 201, r
    return r.json()["token"]


def create_monitor(loom, slug):
    r = loom.http().post("/api/crons/monitors", {
        "slug": slug, "schedule": {"type": "cron", "expression": "0 0 * * *"}})
    assert r.status == 201, r


def runs_oldest_first(loom, slug):
    """The monitor's check-ins, oldest first."""
    r = loom.http().get(f"/api/crons/monitors/{slug}/checkins")
    assert r.status == 200, r
    return r.json()["checkins"][::-1]


def crash_ids(stdout, message):
    """The event ids the user's crash tracker printed for message, in order."""
    return re.findall(rf"^captured (\S+): {re.escape(message)}$", stdout, re.M)


# --- SDK-Based Monitoring, TypeScript ---------------------------------------------

# The spec's example, token for token; only the key and the base URL get filled in.
SPEC_TYPESCRIPT = """\
import { CronsClient } from '@loom/crons';
import { CrashClient } from '@loom/crash';

const crons = new CronsClient({
  apiKey: 'loom_crons_xxx',
  baseUrl: 'https://loom.example.com',
  crashClient: crash, // Optional
});

// Manual pattern
const checkinId = await crons.checkinStart('email-digest');
try {
  await sendEmailDigest();
  await crons.checkinOk(checkinId, {
    durationMs: Date.now() - startTime,
    output: 'Sent 150 emails',
  });
} catch (error) {
  const crashId = await crash.captureException(error);
  await crons.checkinError(checkinId, {
    durationMs: Date.now() - startTime,
    output: error.message,
    crashEventId: crashId,
  });
}

// Convenience wrapper
await crons.withMonitor('email-digest', async () => {
  await sendEmailDigest();
});
"""

# The user's own definitions around it; sendEmailDigest's body is the last {}.
USER_TYPESCRIPT = """\
// The user's own: their crash tracker, when the run began, the job itself.
const crash = new CrashClient();
const startTime = Date.now();
async function sendEmailDigest(): Promise<void> {%s}

"""

# The user's crash tracker, a package of its own: it captures asynchronously.
CRASH_PACKAGE = {
    "package.json": json.dumps({"name": "@loom/crash", "version": "0.1.0", "type": "module",
                                "exports": {".": {"types": "./index.d.ts",
                                                  "default": "./index.js"}}}),
    "index.d.ts": "export declare class CrashClient {\n"
                  "  captureException(error: unknown): Promise<string>;\n}\n",
    "index.js": "let captured = 0;\n"
                "export class CrashClient {\n"
                "  async captureException(error) {\n"
                "    await new Promise((resolve) => setTimeout(resolve, 10));\n"
                "    const id = `crash-${process.pid}-${++captured}`;\n"
                "    console.log(`captured ${id}: ${error.message}`);\n"
                "    return id;\n"
                "  }\n"
                "}\n",
}

# A new project's settings, as `tsc --init` would give them for Node's ES modules
# (top-level await needs them); the spec reads `error.message` of an untyped
# catch variable, which strict mode would make `unknown`.
TSCONFIG = {"compilerOptions": {
    "target": "ES2022", "module": "node16", "moduleResolution": "node16", "strict": True,
    "useUnknownInCatchVariables": False, "lib": ["ES2022", "DOM"], "types": []}}


def test_typescript_sdk_example(loom, tmp_path):
    build_typescript_sdk()
    typescript_project(tmp_path, {"@loom/crash": CRASH_PACKAGE})
    (tmp_path / "tsconfig.json").write_text(json.dumps(TSCONFIG))
    example = SPEC_TYPESCRIPT.replace("'loom_crons_xxx'", json.dumps(checkins_token(loom))) \
        .replace("'https://loom.example.com'", json.dumps(loom.base_url))
    digests = {"digest-sent": "\n  /* 150 e-mails go out */\n",
               "digest-fails": '\n  throw new Error("the mail server refused the digest");\n'}
    for name, body in digests.items():
        (tmp_path / f"{name}.ts").write_text(USER_TYPESCRIPT % body + example)
    run([tsc(), "-p", "."], cwd=tmp_path, timeout=120)
    create_monitor(loom, "email-digest")

    sent = subprocess.run([node(), "digest-sent.js"], cwd=tmp_path, capture_output=True,
                          text=True, timeout=60)
    assert (sent.returncode, sent.stdout, sent.stderr) == (0, "", "")
    # The wrapper rethrows the job's own error: at the top level, it ends the program.
    failed = subprocess.run([node(), "digest-fails.js"], cwd=tmp_path, capture_output=True,
                            text=True, timeout=60)
    assert failed.returncode == 1, failed
    assert "Error: the mail server refused the digest" in failed.stderr, failed.stderr
    crashes = crash_ids(failed.stdout, "the mail server refused the digest")
    assert len(set(crashes)) == 2, failed.stdout

    manual_ok, wrapped_ok, manual_error, wrapped_error = runs_oldest_first(loom, "email-digest")
    assert (manual_ok["status"], manual_ok["output"], manual_ok["source"]) == \
        ("ok", "Sent 150 emails", "sdk")
    assert manual_ok["duration_ms"] is not None
    assert (wrapped_ok["status"], wrapped_ok["crash_event_id"]) == ("ok", None)
    assert wrapped_ok["run_id"] and wrapped_ok["duration_ms"] is not None
    assert (manual_error["status"], manual_error["output"], manual_error["crash_event_id"]) == \
        ("error", "the mail server refused the digest", crashes[0])
    assert manual_error["duration_ms"] is not None
    # withMonitor awaited the Promise of the crash client's event id.
    assert (wrapped_error["status"], wrapped_error["crash_event_id"]) == \
        ("error", crashes[1])
    assert wrapped_error["output"].startswith("Error: the mail server refused the digest\n")


# --- SDK-Based Monitoring, Rust -----------------------------------------------------

def test_rust_sdk_example(loom):
    env = cargo_env()
    run([os.path.join(RUST_SDK, "debian-cargo"), "build", "--quiet", "--example", "spec"],
        cwd=RUST_SDK, env=env, timeout=900)
    program = os.path.join(env["CARGO_TARGET_DIR"], "debug", "examples", "spec")
    create_monitor(loom, "daily-cleanup")
    settings = {"PATH": "/usr/bin:/bin", "LOOM_URL": loom.base_url,
                "LOOM_TOKEN": checkins_token(loom)}

    ok = subprocess.run([program], env=settings, capture_output=True, text=True, timeout=60)
    assert (ok.returncode, ok.stdout, ok.stderr) == (0, "", "")
    # The wrapper returns the job's own error; `?` ends main with it.
    failed = subprocess.run([program], env={**settings, "CLEANUP": "fails"},
                            capture_output=True, text=True, timeout=60)
    assert failed.returncode == 1, failed
    assert failed.stderr == 'Error: CleanupError("disk full")\n', failed.stderr
    crashes = crash_ids(failed.stdout, "cleanup failed: disk full")
    assert len(set(crashes)) == 2, failed.stdout

    manual_ok, wrapped_ok, manual_error, wrapped_error = runs_oldest_first(loom, "daily-cleanup")
    assert (manual_ok["status"], manual_ok["output"], manual_ok["source"]) == \
        ("ok", "Processed 42 records", "sdk")
    assert manual_ok["duration_ms"] is not None
    assert (wrapped_ok["status"], wrapped_ok["crash_event_id"]) == ("ok", None)
    assert wrapped_ok["run_id"] and wrapped_ok["duration_ms"] is not None
    assert (manual_error["status"], manual_error["exit_code"], manual_error["output"],
            manual_error["crash_event_id"]) == \
        ("error", 1, "cleanup failed: disk full", crashes[0])
    assert manual_error["duration_ms"] is not None
    # with_monitor awaited the crash client it was given by reference.
    assert (wrapped_error["status"], wrapped_error["output"],
            wrapped_error["crash_event_id"]) == \
        ("error", "cleanup failed: disk full", crashes[1])
