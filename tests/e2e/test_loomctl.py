"""loomctl against the real system: monitors list, create, pause, resume and
delete, check-ins, the event stream, and errors from the API and from bad
settings.  Every result is also checked through the API itself.
"""

import json
import os
import subprocess

import pytest

from loomtest import Http, binary, exists

LOOMCTL = binary("loomctl")


def need_streamd():
    """The stream needs streamd: skipped where it is not built, except in CI."""
    if not exists("streamd"):
        if os.environ.get("CI"):
            pytest.fail("streamd is not built")
        pytest.skip("streamd is not built (in CI this fails)")


def ctl(loom, *args, token=..., env=None):
    e = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LOOM_URL": loom.base_url}
    if token is ...:
        e["LOOM_TOKEN_FILE"] = os.path.join(loom.data_dir, "admin-token")
    elif token is not None:
        e["LOOM_TOKEN"] = token
    e.update(env or {})
    return subprocess.run([LOOMCTL, *args], env=e, capture_output=True, text=True, timeout=30)


def table(text):
    """Rows of a loomctl table as dicts keyed by the headings."""
    lines = text.rstrip("\n").split("\n")
    heads = lines[0].split("  ")
    heads = [h.strip() for h in heads if h.strip()]
    rows = []
    for line in lines[1:]:
        cells = [c.strip() for c in line.split("  ") if c.strip()]
        rows.append(dict(zip(heads, cells)))
    return rows


@pytest.fixture
def loom(loom):
    loom.admin_token  # storaged has written the token file
    return loom


def test_create_with_every_schedule_option(loom):
    r = ctl(loom, "monitors", "create", "nightly-backup", "--cron", "0 3 * * *",
            "--tz", "Europe/Berlin", "--margin", "10", "--max-runtime", "60",
            "--failure-threshold", "2", "--recovery-threshold", "3", "--name", "Nightly backup",
            "--env", "production", "--env", "staging")
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("created nightly-backup: active, unknown; ping URL "
                               f"{loom.base_url}/ping/")
    m = loom.http().get("/api/crons/monitors/nightly-backup").json()["monitor"]
    assert m["schedule"] == {"type": "cron", "expression": "0 3 * * *"}
    assert (m["timezone"], m["checkin_margin_minutes"], m["max_runtime_minutes"]) == \
        ("Europe/Berlin", 10, 60)
    assert (m["failure_issue_threshold"], m["recovery_threshold"]) == (2, 3)
    assert m["name"] == "Nightly backup"
    assert m["environments"] == ["production", "staging"]


def test_create_an_interval_monitor_as_json(loom):
    r = ctl(loom, "--json", "monitors", "create", "invoices", "--every", "2", "--unit", "hour")
    assert r.returncode == 0, r.stderr
    m = json.loads(r.stdout)["monitor"]
    assert m["slug"] == "invoices"
    assert m["schedule"]["value"] == 2 and m["schedule"]["unit"] == "hour"
    assert loom.http().get("/api/crons/monitors/invoices").json()["monitor"]["id"] == m["id"]


def test_list_as_a_table_and_as_json(loom):
    for slug, sched in (("a-job", ["--cron", "*/5 * * * *"]),
                        ("b-job", ["--every", "30"])):
        assert ctl(loom, "monitors", "create", slug, *sched).returncode == 0
    key = loom.http().get("/api/crons/monitors/a-job").json()["monitor"]["ping_key"]
    assert Http(loom.http_addr, None).get(f"/ping/{key}").status == 200

    r = ctl(loom, "monitors", "list")
    assert r.returncode == 0, r.stderr
    assert r.stdout.split("\n")[0].split() == ["SLUG", "STATUS", "HEALTH", "SCHEDULE",
                                              "TIMEZONE", "LAST", "CHECK-IN", "NEXT",
                                              "EXPECTED"]
    rows = {row["SLUG"]: row for row in table(r.stdout)}
    assert rows["a-job"]["HEALTH"] == "healthy"
    assert rows["a-job"]["SCHEDULE"] == "*/5 * * * *"
    assert rows["b-job"]["SCHEDULE"] == "every 30 minute"
    assert rows["b-job"]["LAST CHECK-IN"] == "-"

    r = ctl(loom, "monitors", "list", "--json")          # --json after the command too
    assert r.returncode == 0, r.stderr
    got = json.loads(r.stdout)
    assert got == loom.http().get("/api/crons/monitors").json()

    r = ctl(loom, "monitors", "list", "--health", "healthy")
    assert [row["SLUG"] for row in table(r.stdout)] == ["a-job"]


def test_pause_resume_delete(loom):
    h = loom.http()
    assert ctl(loom, "monitors", "create", "job", "--every", "5").returncode == 0

    r = ctl(loom, "monitors", "pause", "job")
    assert r.returncode == 0 and r.stdout.startswith("paused job: paused"), r
    assert h.get("/api/crons/monitors/job").json()["monitor"]["status"] == "paused"
    assert [row["SLUG"] for row in table(ctl(loom, "monitors", "list", "--status",
                                              "paused").stdout)] == ["job"]

    r = ctl(loom, "--json", "monitors", "resume", "job")
    assert r.returncode == 0 and json.loads(r.stdout)["monitor"]["status"] == "active"
    assert h.get("/api/crons/monitors/job").json()["monitor"]["status"] == "active"

    r = ctl(loom, "monitors", "delete", "job")
    assert r.returncode == 0 and r.stdout == "deleted job\n"
    assert h.get("/api/crons/monitors/job").status == 404

    r = ctl(loom, "monitors", "delete", "job")
    assert r.returncode == 1
    assert r.stderr.startswith("loomctl: 404 not_found: ")
    assert "(field: slug)" in r.stderr


def test_checkins_newest_first(loom):
    assert ctl(loom, "monitors", "create", "job", "--every", "5").returncode == 0
    key = loom.http().get("/api/crons/monitors/job").json()["monitor"]["ping_key"]
    p = Http(loom.http_addr, None)
    assert p.get(f"/ping/{key}/start").status == 200
    assert p.get(f"/ping/{key}").status == 200
    assert p.get(f"/ping/{key}/3").status == 200

    r = ctl(loom, "checkins", "job")
    assert r.returncode == 0, r.stderr
    rows = table(r.stdout)
    assert [(row["STATUS"], row["SOURCE"], row["EXIT"]) for row in rows] == \
        [("error", "ping", "3"), ("ok", "ping", "-")]
    assert rows[1]["DURATION MS"] != "-"            # the finished run has a duration

    r = ctl(loom, "--json", "checkins", "job", "--limit", "1", "--status", "error")
    assert r.returncode == 0, r.stderr
    got = json.loads(r.stdout)["checkins"]
    assert len(got) == 1 and got[0]["exit_code"] == 3


def test_stream_shows_the_events_of_a_ping(loom):
    need_streamd()
    assert ctl(loom, "monitors", "create", "job", "--every", "5").returncode == 0
    key = loom.http().get("/api/crons/monitors/job").json()["monitor"]["ping_key"]
    p = Http(loom.http_addr, None)
    started = p.get(f"/ping/{key}/start").json()["checkin_id"]
    assert p.get(f"/ping/{key}").status == 200

    # From the start of the log: the events are there however fast the pings were.
    r = ctl(loom, "stream", "--monitor", "job", "--last-event-id", "0", "--count", "2")
    assert r.returncode == 0, r.stderr
    lines = [line.split() for line in r.stdout.strip().split("\n")]
    assert [(f[2], f[3]) for f in lines] == [("checkin.started", "job"), ("checkin.ok", "job")]
    assert lines[1][4:] == ["unknown", "->", "healthy"]
    assert int(lines[1][1]) > int(lines[0][1])

    # --json: the events' own JSON, one per line; resumed after the first one.
    r = ctl(loom, "--json", "stream", "--last-event-id", lines[0][1], "--count", "1")
    assert r.returncode == 0, r.stderr
    ev = json.loads(r.stdout)
    assert ev["type"] == "checkin.ok" and ev["checkin"]["id"] == started
    assert ev["monitor"]["slug"] == "job" and ev["new_health"] == "healthy"


def test_a_bad_token_is_refused_with_the_api_message(loom):
    for args in (["monitors", "list"], ["checkins", "job"]):
        r = ctl(loom, *args, token="loom_not_a_token")
        assert r.returncode == 1
        assert r.stderr.startswith("loomctl: 401 unauthorized: "), r.stderr
        assert r.stdout == ""


def test_a_bad_token_is_refused_on_the_stream(loom):
    need_streamd()
    r = ctl(loom, "stream", token="loom_not_a_token")
    assert r.returncode == 1
    assert r.stderr.startswith("loomctl: 401 unauthorized: "), r.stderr


def test_api_validation_errors_name_the_field(loom):
    r = ctl(loom, "monitors", "create", "job", "--cron", "61 * * * *")
    assert r.returncode == 1
    assert r.stderr.startswith("loomctl: 400 ")
    assert "(field: schedule)" in r.stderr
    assert ctl(loom, "monitors", "create", "job", "--every", "5").returncode == 0
    r = ctl(loom, "monitors", "create", "job", "--every", "5")
    assert r.returncode == 1 and r.stderr.startswith("loomctl: 409 slug_taken: ")


def test_unreachable_server(loom):
    r = ctl(loom, "monitors", "list", env={"LOOM_URL": "http://127.0.0.1:1"})
    assert r.returncode == 1
    assert "http://127.0.0.1:1/api/crons/monitors" in r.stderr


@pytest.mark.parametrize("env,text", [
    ({"LOOM_URL": "nope"}, "LOOM_URL: "),
    ({"LOOM_TOKEN_FILE": "/nonexistent/token"}, "LOOM_TOKEN_FILE: /nonexistent/token"),
    ({}, "set LOOM_TOKEN"),
])
def test_bad_settings_exit_78(loom, env, text):
    r = ctl(loom, "monitors", "list", token=None, env=env)
    assert r.returncode == 78
    assert text in r.stderr


@pytest.mark.parametrize("args", [
    [], ["monitors"], ["monitors", "frobnicate"], ["nope"],
    ["monitors", "create", "job"],                                    # no schedule
    ["monitors", "create", "job", "--cron", "* * * * *", "--every", "5"],
    ["monitors", "create", "job", "--every", "five"],
    ["monitors", "pause"], ["checkins"], ["stream", "--count", "0"],
    ["stream", "--last-event-id", "1x"],
])
def test_usage_errors_exit_64(loom, args):
    r = ctl(loom, *args)
    assert r.returncode == 64, r
    assert "usage: loomctl" in r.stderr


def test_help_prints_the_usage_the_readme_shows(loom):
    r = ctl(loom, "--help")
    assert r.returncode == 0
    readme = open(os.path.join(os.path.dirname(__file__), "..", "..", "README.md")).read()
    assert r.stdout in readme
