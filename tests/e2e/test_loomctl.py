"""loomctl against the real system: monitors list, get, create, update,
pause, resume and delete, check-ins, stats, tokens, the event stream, and
errors from the API and from bad settings.  Every result is also checked
through the API itself.  A stand-in server checks how list pages through
the API and reads the answers' {"monitor": ...} wrapping.
"""

import http.server
import json
import os
import subprocess
import threading
import urllib.parse

import pytest

from loomtest import Http, binary, exists, free_port, wait_for

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


def unwrapped(answer):
    """The monitor of an API answer: {"monitor": {...}} (or, from an older server, bare)."""
    return answer.get("monitor", answer)


def monitor(loom, slug):
    return unwrapped(loom.http().get(f"/api/crons/monitors/{slug}").json())


def record(text):
    """A loomctl record (name, then value, per line) as a dict."""
    return dict(line.split(None, 1) if " " in line else (line, "")
                for line in text.rstrip("\n").split("\n"))


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
    m = monitor(loom, "nightly-backup")
    assert m["schedule"] == {"type": "cron", "expression": "0 3 * * *"}
    assert (m["timezone"], m["checkin_margin_minutes"], m["max_runtime_minutes"]) == \
        ("Europe/Berlin", 10, 60)
    assert (m["failure_issue_threshold"], m["recovery_threshold"]) == (2, 3)
    assert m["name"] == "Nightly backup"
    assert m["environments"] == ["production", "staging"]


def test_create_an_interval_monitor_as_json(loom):
    r = ctl(loom, "--json", "monitors", "create", "invoices", "--every", "2", "--unit", "hour")
    assert r.returncode == 0, r.stderr
    m = unwrapped(json.loads(r.stdout))
    assert m["slug"] == "invoices"
    assert m["schedule"]["value"] == 2 and m["schedule"]["unit"] == "hour"
    assert monitor(loom, "invoices")["id"] == m["id"]


def test_list_as_a_table_and_as_json(loom):
    for slug, sched in (("a-job", ["--cron", "*/5 * * * *"]),
                        ("b-job", ["--every", "30"])):
        assert ctl(loom, "monitors", "create", slug, *sched).returncode == 0
    key = monitor(loom, "a-job")["ping_key"]
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
    assert monitor(loom, "job")["status"] == "paused"
    assert [row["SLUG"] for row in table(ctl(loom, "monitors", "list", "--status",
                                              "paused").stdout)] == ["job"]

    r = ctl(loom, "--json", "monitors", "resume", "job")
    assert r.returncode == 0 and unwrapped(json.loads(r.stdout))["status"] == "active"
    assert monitor(loom, "job")["status"] == "active"

    r = ctl(loom, "monitors", "delete", "job")
    assert r.returncode == 0 and r.stdout == "deleted job\n"
    assert h.get("/api/crons/monitors/job").status == 404

    r = ctl(loom, "monitors", "delete", "job")
    assert r.returncode == 1
    assert r.stderr.startswith("loomctl: 404 not_found: ")
    assert "(field: slug)" in r.stderr


def test_checkins_newest_first(loom):
    assert ctl(loom, "monitors", "create", "job", "--every", "5").returncode == 0
    key = monitor(loom, "job")["ping_key"]
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
    key = monitor(loom, "job")["ping_key"]
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


@pytest.mark.parametrize("args,what", [
    ([], "no command given"),
    (["nope"], 'unknown command "nope"'),
    (["monitors"], "monitors needs list, get, create"),
    (["monitors", "frobnicate"], 'unknown monitors command "frobnicate"'),
    (["monitors", "create", "job"], "monitors create needs a schedule"),
    (["monitors", "create", "job", "--cron", "* * * * *", "--every", "5"],
     "give --cron or --every, not both"),
    (["monitors", "create", "job", "--every", "five"], '--every: "five" is not a number'),
    (["monitors", "create", "--every", "5"], "monitors create needs a SLUG"),
    (["monitors", "create", "job", "--every", "5", "--status", "paused"],
     "--status is for monitors update"),
    (["monitors", "list", "--colour", "blue"], "unknown option --colour"),
    (["monitors", "list", "--status"], "--status needs a value"),
    (["monitors", "update", "job"], "monitors update needs a field to change"),
    (["monitors", "update", "job", "--unit", "hour"], "--unit goes with --every"),
    (["monitors", "update", "job", "--max-runtime", "5", "--no-max-runtime"],
     "--max-runtime or --no-max-runtime, not both"),
    (["monitors", "update", "job", "--env", "a", "--all-envs"],
     "--env or --all-envs, not both"),
    (["monitors", "pause"], "pause needs a SLUG"),
    (["monitors", "get", "a", "b"], 'get takes one SLUG, not also "b"'),
    (["checkins"], "checkins needs a SLUG"),
    (["stats", "--period", "week"], "stats needs a SLUG"),
    (["tokens"], "tokens needs list, create or revoke"),
    (["tokens", "create", "--name", "ci"], "tokens create needs a --scope"),
    (["tokens", "revoke"], "tokens revoke needs a TOKEN_ID"),
    (["stream", "--count", "0"], '--count: "0" is not a number of events'),
    (["stream", "--last-event-id", "1x"], '--last-event-id: "1x" is not an event id'),
])
def test_usage_errors_say_what_is_wrong_then_show_the_usage(loom, args, what):
    r = ctl(loom, *args)
    assert r.returncode == 64, r
    first, second = r.stderr.split("\n")[:2]
    assert first.startswith("loomctl: ") and what in first, r.stderr
    assert second.startswith("usage: loomctl"), r.stderr
    assert r.stdout == ""


def test_a_trailing_slash_in_loom_url_is_fine(loom):
    assert ctl(loom, "monitors", "create", "job", "--every", "5").returncode == 0
    for url in (loom.base_url + "/", loom.base_url + "//"):
        r = ctl(loom, "monitors", "list", env={"LOOM_URL": url})
        assert r.returncode == 0, r.stderr
        assert [row["SLUG"] for row in table(r.stdout)] == ["job"]


def test_get_shows_every_field_of_one_monitor(loom):
    assert ctl(loom, "monitors", "create", "nightly", "--cron", "0 3 * * *", "--tz",
               "Europe/Berlin", "--max-runtime", "60", "--env", "production").returncode == 0
    r = ctl(loom, "monitors", "get", "nightly")
    assert r.returncode == 0, r.stderr
    got = record(r.stdout)
    m = monitor(loom, "nightly")
    assert got["slug"] == "nightly" and got["schedule"] == "0 3 * * *"
    assert (got["timezone"], got["max_runtime_minutes"], got["environments"]) == \
        ("Europe/Berlin", "60", "production")
    assert (got["status"], got["health"], got["ping_url"]) == \
        ("active", "unknown", m["ping_url"])
    assert got["checkin_margin_minutes"] == str(m["checkin_margin_minutes"])
    assert got["last_checkin_at"] == "-"

    r = ctl(loom, "--json", "monitors", "get", "nightly")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout) == loom.http().get("/api/crons/monitors/nightly").json()

    r = ctl(loom, "monitors", "get", "absent")
    assert r.returncode == 1 and r.stderr.startswith("loomctl: 404 not_found: ")


def test_update_changes_only_the_fields_given(loom):
    assert ctl(loom, "monitors", "create", "job", "--cron", "0 3 * * *", "--tz",
               "Europe/Berlin", "--max-runtime", "60", "--env", "production").returncode == 0
    r = ctl(loom, "monitors", "update", "job", "--every", "2", "--unit", "hour",
            "--margin", "15", "--name", "The job", "--failure-threshold", "3")
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("updated job: active, unknown; ping URL ")
    m = monitor(loom, "job")
    assert (m["schedule"]["value"], m["schedule"]["unit"]) == (2, "hour")
    assert (m["checkin_margin_minutes"], m["name"], m["failure_issue_threshold"]) == \
        (15, "The job", 3)
    assert (m["timezone"], m["max_runtime_minutes"], m["environments"]) == \
        ("Europe/Berlin", 60, ["production"])       # untouched

    r = ctl(loom, "--json", "monitors", "update", "job", "--no-max-runtime", "--all-envs",
            "--status", "disabled", "--recovery-threshold", "2")
    assert r.returncode == 0, r.stderr
    shown = unwrapped(json.loads(r.stdout))
    m = monitor(loom, "job")
    assert shown == m
    assert (m["max_runtime_minutes"], m["environments"], m["status"],
            m["recovery_threshold"]) == (None, [], "disabled", 2)

    r = ctl(loom, "monitors", "update", "job", "--cron", "61 * * * *")
    assert r.returncode == 1 and "(field: schedule)" in r.stderr
    r = ctl(loom, "monitors", "update", "absent", "--margin", "5")
    assert r.returncode == 1 and r.stderr.startswith("loomctl: 404 not_found: ")


def test_checkins_show_the_output_tail_and_the_crash_event(loom):
    assert ctl(loom, "monitors", "create", "job", "--every", "5").returncode == 0
    h = loom.http()
    started = h.post("/api/crons/monitors/job/checkins", {"status": "in_progress"})
    assert started.status == 201, started
    log = "step 1 ok\n" + "x" * 100 + "é\tdisk full\n\n"
    r = h.patch(f"/api/crons/checkins/{started.json()['id']}",
                {"status": "error", "exit_code": 2, "output": log, "crash_event_id": "4f1c2d"})
    assert r.status == 200, r
    key = monitor(loom, "job")["ping_key"]
    assert Http(loom.http_addr, None).request("POST", f"/ping/{key}",
                                              body="all good").status == 200

    r = ctl(loom, "checkins", "job")
    assert r.returncode == 0, r.stderr
    heads = r.stdout.split("\n")[0].split()
    assert heads[-4:] == ["ENVIRONMENT", "CRASH", "EVENT", "OUTPUT"]
    ok, failed = table(r.stdout)
    assert (ok["STATUS"], ok["CRASH EVENT"], ok["OUTPUT"]) == ("ok", "-", "all good")
    assert (failed["STATUS"], failed["EXIT"], failed["CRASH EVENT"]) == ("error", "2", "4f1c2d")
    # The end of the last line, at most 60 bytes, a tab shown as a space.
    assert failed["OUTPUT"] == "..." + ("x" * 100 + "é disk full").encode()[-60:].decode()


def test_stats_over_a_period(loom):
    assert ctl(loom, "monitors", "create", "job", "--every", "5").returncode == 0
    key = monitor(loom, "job")["ping_key"]
    p = Http(loom.http_addr, None)
    for path in (f"/ping/{key}", f"/ping/{key}", f"/ping/{key}/fail"):
        assert p.get(path).status == 200
    r = ctl(loom, "stats", "job", "--period", "week")
    assert r.returncode == 0, r.stderr
    got = record(r.stdout)
    assert (got["period"], got["total_checkins"], got["successful_checkins"],
            got["failed_checkins"], got["uptime_percentage"]) == ("week", "3", "2", "1", "66.7")
    r = ctl(loom, "--json", "stats", "job")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["period"] == "day"
    assert json.loads(r.stdout)["total_checkins"] == 3
    r = ctl(loom, "stats", "job", "--period", "year")
    assert r.returncode == 1 and "(field: period)" in r.stderr


def test_tokens_create_list_revoke(loom):
    r = ctl(loom, "tokens", "create", "--scope", "read", "--scope", "checkins", "--name", "ci")
    assert r.returncode == 0, r.stderr
    said, secret = r.stdout.rstrip("\n").split("\n")
    assert said.startswith("created tok_") and said.endswith(
        "(ci: checkins, read); the token, shown only now:"), said
    token_id = said.split()[1]
    assert ctl(loom, "monitors", "list", token=secret).returncode == 0   # it signs in

    r = ctl(loom, "tokens", "list")
    assert r.returncode == 0, r.stderr
    rows = {row["ID"]: row for row in table(r.stdout)}
    assert (rows[token_id]["NAME"], rows[token_id]["SCOPES"]) == ("ci", "checkins, read")
    assert secret not in r.stdout
    r = ctl(loom, "--json", "tokens", "list")
    assert json.loads(r.stdout) == loom.http().get("/api/crons/tokens").json()

    r = ctl(loom, "--json", "tokens", "create", "--scope", "admin")
    assert r.returncode == 0 and json.loads(r.stdout)["token"].startswith("loom_"), r

    r = ctl(loom, "tokens", "revoke", token_id)
    assert (r.returncode, r.stdout) == (0, f"revoked {token_id}\n"), r
    r = ctl(loom, "monitors", "list", token=secret)
    assert r.returncode == 1 and r.stderr.startswith("loomctl: 401 unauthorized: ")
    r = ctl(loom, "tokens", "create", "--scope", "everything")
    assert r.returncode == 1 and "(field: scopes)" in r.stderr


@pytest.mark.env(LOOM_WEBHOOK_ALLOW_PRIVATE="1")
def test_channels_create_list_test_deliveries_delete(loom):
    from alertsink import Hook
    hook = Hook()
    r = ctl(loom, "channels", "create", "--kind", "email", "--to", "ops@example.com",
            "--to", "dev@example.com", "--name", "Ops", "--event", "monitor.missed",
            "--monitor", "db")
    assert r.returncode == 0, r.stderr
    said, secret = r.stdout.rstrip("\n").split("\n")
    assert said.startswith("created chn_") and said.endswith(
        "(email Ops); its signing secret, shown only now:"), said
    assert secret.startswith("whsec_")
    mail_id = said.split()[1]
    r = ctl(loom, "channels", "list")
    rows = {row["ID"]: row for row in table(r.stdout)}
    assert (rows[mail_id]["KIND"], rows[mail_id]["STATE"], rows[mail_id]["TARGET"]) == \
        ("email", "ok", "ops@example.com, dev@example.com")
    assert secret not in r.stdout
    r = ctl(loom, "--json", "channels", "list")
    assert json.loads(r.stdout) == loom.http().get("/api/crons/channels").json()
    # a webhook's test message, then its delivery in the log
    r = ctl(loom, "--json", "channels", "create", "--kind", "webhook", "--url", hook.url)
    hook_id = json.loads(r.stdout)["id"]
    r = ctl(loom, "channels", "test", hook_id)
    assert r.returncode == 0 and r.stdout.startswith("test message queued as event "), r
    hook.wait(1, timeout=20)
    wait_for("the delivery logged", lambda: "delivered" in ctl(
        loom, "channels", "deliveries", hook_id).stdout)
    [row] = table(ctl(loom, "channels", "deliveries", hook_id, "--limit", "5").stdout)
    assert (row["TYPE"], row["STATUS"], row["HTTP"], row["ATTEMPTS"]) == \
        ("channel.test", "delivered", "200", "1")
    r = ctl(loom, "channels", "delete", mail_id)
    assert (r.returncode, r.stdout) == (0, f"deleted {mail_id}\n"), r
    r = ctl(loom, "channels", "create", "--kind", "webhook", "--url", "ftp://x/y")
    assert r.returncode == 1 and "(field: url)" in r.stderr
    r = ctl(loom, "channels", "create", "--url", "https://x.example/y")
    assert r.returncode == 64 and "--kind" in r.stderr


def test_a_refusal_for_want_of_scope_names_the_real_path(loom):
    reader = loom.http().post("/api/crons/tokens", {"name": "r", "scopes": ["read"]}).json()
    assert ctl(loom, "monitors", "create", "job", "--every", "5").returncode == 0
    assert ctl(loom, "checkins", "job", token=reader["token"]).returncode == 0
    r = ctl(loom, "monitors", "pause", "job", token=reader["token"])
    assert r.returncode == 1
    assert r.stderr == ("loomctl: 403 forbidden: this token may not POST "
                        "/api/crons/monitors/job/pause (field: Authorization)\n")


class StandIn(http.server.ThreadingHTTPServer):
    """An API that lists monitors a page at a time and wraps single monitors."""

    PAGES = {None: (["a", "b"], "c2"), "c2": (["c", "d"], "c3"), "c3": (["e"], None)}

    def __init__(self):
        self.paths = []
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                outer.paths.append(self.path)
                url = urllib.parse.urlsplit(self.path)
                query = dict(urllib.parse.parse_qsl(url.query))
                if url.path == "/api/crons/monitors":
                    slugs, cursor = outer.PAGES[query.get("cursor")]
                    body = {"monitors": [outer.monitor(s) for s in slugs],
                            "next_cursor": cursor}
                else:
                    body = {"monitor": outer.monitor(url.path.rsplit("/", 1)[1])}
                data = json.dumps(body).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        super().__init__(("127.0.0.1", free_port()), Handler)
        threading.Thread(target=self.serve_forever, daemon=True).start()

    @staticmethod
    def monitor(slug):
        return {"slug": slug, "status": "active", "health": "healthy", "timezone": "UTC",
                "schedule": {"type": "cron", "expression": "0 * * * *"},
                "ping_url": f"http://x/ping/{slug}", "environments": []}

    def url(self):
        return "http://%s:%d" % self.server_address


@pytest.fixture
def stand_in():
    server = StandIn()
    yield server
    server.shutdown()
    server.server_close()


def run_against(server, *args):
    return subprocess.run([LOOMCTL, *args], capture_output=True, text=True, timeout=30,
                          env={"PATH": "/usr/bin:/bin", "LOOM_URL": server.url(),
                               "LOOM_TOKEN": "t"})


def test_list_follows_the_cursor_to_the_last_page(stand_in):
    r = run_against(stand_in, "monitors", "list", "--health", "healthy")
    assert r.returncode == 0, r.stderr
    assert [row["SLUG"] for row in table(r.stdout)] == ["a", "b", "c", "d", "e"]
    queries = [dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(p).query))
               for p in stand_in.paths]
    assert [q.get("cursor") for q in queries] == [None, "c2", "c3"]
    assert all(q["health"] == "healthy" and q["limit"] == "1000" for q in queries)

    r = run_against(stand_in, "--json", "monitors", "list")
    assert r.returncode == 0, r.stderr
    got = json.loads(r.stdout)
    assert [m["slug"] for m in got["monitors"]] == ["a", "b", "c", "d", "e"]
    assert got["next_cursor"] is None


def test_get_reads_a_wrapped_monitor(stand_in):
    r = run_against(stand_in, "monitors", "get", "a")
    assert r.returncode == 0, r.stderr
    got = record(r.stdout)
    assert (got["slug"], got["health"], got["environments"]) == ("a", "healthy", "all")


def readme_examples():
    """The lines of README's loomctl example, after its export line."""
    readme = open(os.path.join(os.path.dirname(__file__), "..", "..", "README.md")).read()
    start = readme.index("```sh\nexport LOOM_URL=", readme.index("## loomctl"))
    lines = readme[start:readme.index("\n```", start + 1)].split("\n")[2:]
    assert lines and all(line.startswith("loomctl ") for line in lines), lines
    return lines


def test_the_readme_examples_run(loom):
    need_streamd()
    env = {"PATH": os.path.dirname(LOOMCTL) + ":/usr/bin:/bin", "LOOM_URL": loom.base_url,
           "LOOM_TOKEN_FILE": os.path.join(loom.data_dir, "admin-token")}
    *commands, stream = readme_examples()
    out = {}
    for line in commands:
        r = subprocess.run(["bash", "-ec", "set -o pipefail; " + line], env=env,
                           capture_output=True, text=True, timeout=30)
        assert r.returncode == 0 and r.stderr == "", (line, r)
        out[line] = r.stdout
    m = monitor(loom, "nightly-backup")
    assert (m["checkin_margin_minutes"], m["max_runtime_minutes"]) == (15, None)
    assert monitor(loom, "invoices")["status"] == "paused"
    [pinged] = [o for line, o in out.items() if "ping_url" in line]
    assert sorted(pinged.split()) == sorted(monitor(loom, s)["ping_url"]
                                            for s in ("invoices", "nightly-backup"))
    [token] = [o for line, o in out.items() if "tokens create" in line]
    assert token.startswith("loom_")

    assert stream.startswith("loomctl stream ")
    p = subprocess.Popen(["sh", "-c", "exec " + stream], env=env, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE)
    with pytest.raises(subprocess.TimeoutExpired):       # it follows the stream
        p.wait(1)
    p.terminate()
    p.wait(5)


def test_help_prints_the_usage_the_readme_shows(loom):
    r = ctl(loom, "--help")
    assert r.returncode == 0
    readme = open(os.path.join(os.path.dirname(__file__), "..", "..", "README.md")).read()
    assert r.stdout in readme
