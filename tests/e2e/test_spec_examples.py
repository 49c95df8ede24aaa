"""The product specification's own examples, pasted as written.

Only the placeholders change: https://loom.example.com becomes the test's base
URL, abc123-def456 / xxx a real ping key, <token> the admin token, and the
user's own job scripts (my-script.sh, cleanup.sh) small stand-ins.
"""

import json
import os
import subprocess

import pytest

from loomtest import Http, wait_for

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
