"""The admin and SDK API of ingestd, black-box over real HTTP."""

import datetime
import json

import pytest

from loomtest import Http

CRON = {"type": "cron", "expression": "*/15 * * * *"}


@pytest.fixture
def api(loom):
    return loom.http()


def create(api, slug, **extra):
    r = api.post("/api/crons/monitors", {"slug": slug, "schedule": CRON, **extra})
    assert r.status == 201, r
    return r.json()["monitor"]


def error_of(r, status):
    assert r.status == status, r
    err = r.json()["error"]
    assert set(err) == {"code", "message", "field"}
    assert err["message"]
    return err


# --- monitors -----------------------------------------------------------

def test_create_returns_the_monitor_with_defaults(loom, api):
    m = create(api, "db-backup", name="Database backup")
    assert m["id"].startswith("mon_") and m["slug"] == "db-backup"
    assert m["name"] == "Database backup"
    assert m["status"] == "active" and m["health"] == "unknown"
    assert m["schedule"] == CRON and m["timezone"] == "UTC"
    assert m["checkin_margin_minutes"] == 5 and m["max_runtime_minutes"] is None
    assert m["failure_issue_threshold"] == 1 and m["recovery_threshold"] == 1
    assert m["environments"] == []
    assert m["ping_url"] == f"{loom.base_url}/ping/{m['ping_key']}"
    assert m["last_checkin_at"] is None and m["next_expected_at"] is None
    assert m["created_at"].endswith("Z")


def test_every_schedule_form_is_accepted(api):
    forms = [
        ({"type": "cron", "expression": "@daily"}, "cron"),
        ({"type": "crontab", "value": "0 5 * * MON-FRI"}, "cron"),
        ({"type": "interval", "minutes": 30}, "interval"),
        ({"type": "interval", "value": 2, "unit": "hour"}, "interval"),
        ({"type": "interval", "value": 1, "unit": "months"}, "interval"),
    ]
    for i, (sched, kind) in enumerate(forms):
        r = api.post("/api/crons/monitors", {"slug": f"s{i}", "schedule": sched})
        assert r.status == 201, (sched, r)
        assert r.json()["monitor"]["schedule"]["type"] == kind
    assert api.get("/api/crons/monitors/s3").json()["monitor"]["schedule"] == {
        "type": "interval", "value": 2, "unit": "hour", "minutes": 120}


@pytest.mark.parametrize("body,field,words", [
    ({"schedule": CRON}, "slug", "required"),
    ({"slug": "Bad Slug", "schedule": CRON}, "slug", "a-z"),
    ({"slug": "x" * 65, "schedule": CRON}, "slug", "64"),
    ({"slug": "a"}, "schedule", "required"),
    ({"slug": "a", "schedule": {"type": "hourly"}}, "schedule", "unknown schedule type"),
    ({"slug": "a", "schedule": "0 * * * *"}, "schedule", "object"),
    ({"slug": "a", "schedule": {"type": "cron", "expression": "61 * * * *"}}, "schedule",
     "minute: 61 is out of range 0-59"),
    ({"slug": "a", "schedule": {"type": "cron", "expression": "0 0 30 2 *"}}, "schedule",
     "30 never occurs in FEB"),
    ({"slug": "a", "schedule": {"type": "interval", "minutes": 0}}, "schedule", "minutes"),
    ({"slug": "a", "schedule": {"type": "interval", "value": 3, "unit": "year"}}, "schedule",
     "unit"),
    ({"slug": "a", "schedule": CRON, "timezone": "Mars/Olympus_Mons"}, "timezone",
     "Mars/Olympus_Mons"),
    ({"slug": "a", "schedule": CRON, "timezone": "../etc/passwd"}, "timezone", ""),
    ({"slug": "a", "schedule": CRON, "checkin_margin_minutes": 0}, "checkin_margin_minutes",
     "between 1"),
    ({"slug": "a", "schedule": CRON, "checkin_margin_minutes": "5"}, "checkin_margin_minutes",
     "whole number"),
    ({"slug": "a", "schedule": CRON, "max_runtime_minutes": 40321}, "max_runtime_minutes",
     "28 days"),
    ({"slug": "a", "schedule": CRON, "failure_issue_threshold": 0},
     "failure_issue_threshold", "between 1"),
    ({"slug": "a", "schedule": CRON, "recovery_threshold": -3}, "recovery_threshold",
     "between 1"),
    ({"slug": "a", "schedule": CRON, "environments": "prod"}, "environments", "list"),
    ({"slug": "a", "schedule": CRON, "environments": ["ok", "bad env"]}, "environments",
     "bad env"),
    ({"slug": "a", "schedule": CRON, "status": "sleeping"}, "status", "active"),
    ({"slug": "a", "schedule": CRON, "name": 42}, "name", "string"),
    ({"slug": "a", "schedule": CRON, "colour": "blue"}, "colour", "unknown field"),
])
def test_validation_errors_name_the_field_and_change_nothing(api, body, field, words):
    err = error_of(api.post("/api/crons/monitors", body), 400)
    assert err["code"] == "invalid_field"
    assert err["field"] == field
    assert words in err["message"], err
    assert api.get("/api/crons/monitors").json()["monitors"] == []


def test_bad_json_and_wrong_bodies(api):
    for raw in (b"{", b"[1,2]", b"", b'{"slug": "a", "slug": "b"}', b"\xff\xfe"):
        r = api.request("POST", "/api/crons/monitors", body=raw,
                        headers={"Content-Type": "application/json"})
        assert error_of(r, 400)["code"] == "invalid_json", raw
    r = api.request("POST", "/api/crons/monitors", body=b'{"slug":"a"}',
                    headers={"Content-Type": "text/plain"})
    assert error_of(r, 415)["field"] == "Content-Type"
    big = json.dumps({"slug": "a", "schedule": CRON, "name": "n" * 70000})
    assert error_of(api.request("POST", "/api/crons/monitors", body=big,
                                headers={"Content-Type": "application/json"}), 413)
    assert api.get("/api/crons/monitors").json()["monitors"] == []


def test_duplicate_slug_is_409(api):
    create(api, "twin")
    err = error_of(api.post("/api/crons/monitors", {"slug": "twin", "schedule": CRON}), 409)
    assert err["code"] == "slug_taken" and err["field"] == "slug"


def test_get_list_and_filters(api):
    create(api, "a-job")
    create(api, "b-job", status="paused")
    assert api.get("/api/crons/monitors/a-job").json()["monitor"]["slug"] == "a-job"
    listed = api.get("/api/crons/monitors").json()
    assert [m["slug"] for m in listed["monitors"]] == ["a-job", "b-job"]
    assert listed["next_cursor"] is None
    paused = api.get("/api/crons/monitors?status=paused").json()["monitors"]
    assert [m["slug"] for m in paused] == ["b-job"]
    assert len(api.get("/api/crons/monitors?health=unknown").json()["monitors"]) == 2
    assert api.get("/api/crons/monitors?health=healthy").json()["monitors"] == []
    assert error_of(api.get("/api/crons/monitors?status=nope"), 400)["field"] == "status"
    assert error_of(api.get("/api/crons/monitors?health=nope"), 400)["field"] == "health"
    assert error_of(api.get("/api/crons/monitors/missing"), 404)["code"] == "not_found"


def test_list_pages_with_limit_and_cursor(api):
    slugs = [f"job-{i:02}" for i in range(7)]
    for slug in reversed(slugs):
        create(api, slug)
    seen, cursor, pages = [], None, 0
    while True:
        page = api.get("/api/crons/monitors?limit=3" + (f"&cursor={cursor}" if cursor else ""))
        assert page.status == 200, page
        body = page.json()
        assert len(body["monitors"]) <= 3
        seen += [m["slug"] for m in body["monitors"]]
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert seen == slugs and pages == 3
    assert len(api.get("/api/crons/monitors").json()["monitors"]) == 7     # default limit 100
    for bad in ("0", "1001", "ten"):
        assert error_of(api.get(f"/api/crons/monitors?limit={bad}"), 400)["field"] == "limit"
    assert error_of(api.get("/api/crons/monitors?cursor=NOT%20A%20SLUG"), 400)["field"] == "cursor"
    # filters apply within pages; the cursor still walks every slug
    create(api, "zz-paused", status="paused")
    first = api.get("/api/crons/monitors?status=paused&limit=1").json()
    assert [m["slug"] for m in first["monitors"]] == ["zz-paused"]


def test_patch_pause_resume_and_delete(api):
    m = create(api, "editable")
    r = api.patch("/api/crons/monitors/editable", {
        "name": "Edited", "checkin_margin_minutes": 10, "max_runtime_minutes": 60,
        "timezone": "Asia/Kathmandu", "schedule": {"type": "cron", "expression": "45 2 * * *"}})
    assert r.status == 200, r
    e = r.json()["monitor"]
    assert (e["name"], e["checkin_margin_minutes"], e["max_runtime_minutes"], e["timezone"]) == \
        ("Edited", 10, 60, "Asia/Kathmandu")
    assert e["id"] == m["id"] and e["ping_key"] == m["ping_key"]
    assert api.patch("/api/crons/monitors/editable", {"max_runtime_minutes": None}).json()["monitor"][
        "max_runtime_minutes"] is None
    err = error_of(api.patch("/api/crons/monitors/editable", {"timezone": "Nowhere/City"}), 400)
    assert err["field"] == "timezone"
    assert api.get("/api/crons/monitors/editable").json()["monitor"]["timezone"] == "Asia/Kathmandu"
    assert api.post("/api/crons/monitors/editable/pause").json()["monitor"]["status"] == "paused"
    assert api.post("/api/crons/monitors/editable/resume").json()["monitor"]["status"] == "active"
    renamed = api.patch("/api/crons/monitors/editable", {"slug": "renamed"})
    assert renamed.json()["monitor"]["slug"] == "renamed"
    assert api.get("/api/crons/monitors/editable").status == 404
    assert api.delete("/api/crons/monitors/renamed").status == 204
    assert api.get("/api/crons/monitors/renamed").status == 404
    assert api.delete("/api/crons/monitors/renamed").status == 404
    assert Http(api.host + ":" + str(api.port)).get(f"/ping/{m['ping_key']}").status == 404


def test_wrong_methods_are_405(api):
    r = api.request("PUT", "/api/crons/monitors")
    assert error_of(r, 405)["code"] == "method_not_allowed"
    assert "POST" in r.headers["allow"]
    r = api.request("DELETE", "/api/crons/checkins/chk_x")
    assert error_of(r, 405) and r.headers["allow"] == "GET, PATCH"
    assert error_of(api.get("/api/crons/nothing-here"), 404)


def test_monitor_limit_is_403(loom, api):
    r = api.post("/api/crons/organizations", {"name": "small", "monitor_limit": 2})
    assert r.status == 201, r
    small = Http(loom.http_addr, r.json()["token"]["token"])
    create(small, "one")
    create(small, "two")
    err = error_of(small.post("/api/crons/monitors", {"slug": "three", "schedule": CRON}), 403)
    assert err["code"] == "monitor_limit_exceeded"
    assert small.get("/api/crons/organization").json()["monitor_count"] == 2
    assert small.delete("/api/crons/monitors/two").status == 204
    create(small, "three")


# --- check-ins and stats -------------------------------------------------

def test_checkin_history_limit_and_status_filter(loom, api):
    m = create(api, "history")
    anon = Http(loom.http_addr)
    for i in range(6):
        anon.get(f"/ping/{m['ping_key']}" + ("/fail" if i % 3 == 0 else ""))
    everything = api.get("/api/crons/monitors/history/checkins").json()["checkins"]
    assert len(everything) == 6
    stamps = [c["created_at"] for c in everything]
    assert stamps == sorted(stamps, reverse=True)      # newest first
    assert len(api.get("/api/crons/monitors/history/checkins?limit=4").json()["checkins"]) == 4
    errors = api.get("/api/crons/monitors/history/checkins?status=error").json()["checkins"]
    assert len(errors) == 2 and all(c["status"] == "error" for c in errors)
    for bad in ("limit=0", "limit=1001", "limit=x", "status=exploded"):
        assert error_of(api.get("/api/crons/monitors/history/checkins?" + bad), 400)
    assert error_of(api.get("/api/crons/monitors/nope/checkins"), 404)


def test_stats_figures(loom, api):
    m = create(api, "figures")
    sdk = "/api/crons/monitors/figures/checkins"
    for duration, status in [(100, "ok"), (200, "ok"), (300, "error"), (400, "ok"),
                             (1000, "ok")]:
        r = api.post(sdk, {"status": status, "duration_ms": duration})
        assert r.status == 201, r
    Http(loom.http_addr).get(f"/ping/{m['ping_key']}/start")    # in progress: not counted
    for period in ("day", "week", "month"):
        s = api.get(f"/api/crons/monitors/figures/stats?period={period}").json()
        assert s["period"] == period
        assert s["total_checkins"] == 5
        assert s["successful_checkins"] == 4 and s["failed_checkins"] == 1
        assert s["missed_checkins"] == 0 and s["timeout_checkins"] == 0
        assert s["avg_duration_ms"] == 400
        assert s["p95_duration_ms"] == 1000          # nearest rank: ceil(0.95 * 5) = 5th
        assert s["uptime_percentage"] == 80.0
    assert api.get("/api/crons/monitors/figures/stats").json()["period"] == "day"
    assert error_of(api.get("/api/crons/monitors/figures/stats?period=year"), 400)[
        "field"] == "period"
    empty = create(api, "quiet")
    s = api.get("/api/crons/monitors/quiet/stats").json()
    assert s["total_checkins"] == 0 and s["uptime_percentage"] is None
    assert empty["slug"] == "quiet"


def test_sdk_checkin_start_then_patch_finish(api):
    create(api, "sdk-job", max_runtime_minutes=30)
    r = api.post("/api/crons/monitors/sdk-job/checkins", {"status": "in_progress",
                                                          "environment": "production"})
    assert r.status == 201, r
    cid = r.json()["id"]
    assert api.get("/api/crons/monitors/sdk-job/checkins").json()["checkins"][0][
        "timeout_at"] is not None
    assert r.json()["status"] == "in_progress"
    r = api.patch(f"/api/crons/checkins/{cid}", {"status": "error", "exit_code": 2,
                                                 "duration_ms": 1234, "output": "boom",
                                                 "crash_event_id": "a1b2c3"})
    assert r.status == 200, r
    c = r.json()
    assert (c["id"], c["status"], c["exit_code"], c["duration_ms"], c["output"],
            c["crash_event_id"], c["environment"], c["source"]) == \
        (cid, "error", 2, 1234, "boom", "a1b2c3", "production", "sdk")
    assert c["timeout_at"] is None                    # finished: no deadline any more
    err = error_of(api.patch(f"/api/crons/checkins/{cid}", {"status": "ok"}), 400)
    assert err["field"] == "status"
    assert error_of(api.patch("/api/crons/checkins/chk_aaaaaaaaaaaaaaaaaaaaaaaaaa",
                              {"status": "ok"}), 404)
    assert error_of(api.patch(f"/api/crons/checkins/{cid}", {"status": "done"}), 400)[
        "field"] == "status"


def iso(us):
    """UTC microseconds as the API writes times (RFC 3339, whole seconds)."""
    t = datetime.datetime.fromtimestamp(us // 1_000_000, datetime.timezone.utc)
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def us_of(text):
    t = datetime.datetime.strptime(text[:19], "%Y-%m-%dT%H:%M:%S")
    return int(t.replace(tzinfo=datetime.timezone.utc).timestamp()) * 1_000_000


MIN_US = 60 * 1_000_000

def test_a_duration_is_derived_from_the_clients_times(loom, api):
    create(api, "derived")
    url = "/api/crons/monitors/derived/checkins"
    now = loom.now_us()
    r = api.post(url, {"status": "error", "started_at": iso(now - 90 * MIN_US),
                       "finished_at": iso(now - 30 * MIN_US)})
    assert r.status == 201, r
    direct = api.get(f"/api/crons/checkins/{r.json()['id']}").json()
    assert (direct["status"], direct["duration_ms"]) == ("error", 60 * MIN_US // 1000)
    assert direct["started_at"] == iso(now - 90 * MIN_US)
    cid = api.post(url, {"status": "in_progress",
                         "started_at": iso(now - 10 * MIN_US)}).json()["id"]
    r = api.patch(f"/api/crons/checkins/{cid}", {"status": "ok",
                                                 "finished_at": iso(now - 4 * MIN_US)})
    assert r.status == 200, r
    assert (r.json()["duration_ms"], r.json()["finished_at"]) == \
        (6 * MIN_US // 1000, iso(now - 4 * MIN_US))
    # An ok POST that completes the open run is measured from that run's start too.
    cid = api.post(url, {"status": "in_progress",
                         "started_at": iso(now - 20 * MIN_US)}).json()["id"]
    assert api.post(url, {"status": "ok", "finished_at": iso(now - 5 * MIN_US)}).json()[
        "id"] == cid
    assert api.get(f"/api/crons/checkins/{cid}").json()["duration_ms"] == 15 * MIN_US // 1000


def test_bad_client_times_are_400_naming_the_field_and_change_nothing(loom, api):
    create(api, "timed")
    url = "/api/crons/monitors/timed/checkins"
    now = loom.now_us()
    ahead = iso(now + 6 * MIN_US)
    cases = [
        ({"status": "in_progress", "started_at": ahead}, "started_at"),
        ({"status": "ok", "finished_at": ahead}, "finished_at"),
        ({"status": "ok", "started_at": iso(now - MIN_US),
          "finished_at": iso(now - 2 * MIN_US)}, "finished_at"),
        ({"status": "in_progress", "finished_at": iso(now)}, "finished_at"),
        ({"status": "ok", "started_at": "2026-01-18 noon"}, "started_at"),
        ({"status": "ok", "started_at": "2026-02-30T00:00:00Z"}, "started_at"),
        ({"status": "ok", "finished_at": 1768737600}, "finished_at"),
        ({"status": "ok", "started_at": "1969-12-31T23:59:59Z"}, "started_at"),
        ({"status": "ok", "started_at": iso(now - MIN_US), "finished_at": iso(now),
          "monitor_config": {"checkin_margin_minutes": 9}}, None),
    ]
    for body, field in cases[:-1]:
        assert error_of(api.post(url, body), 400)["field"] == field, body
        bad = {**body, "monitor_config": {"checkin_margin_minutes": 9}}
        assert error_of(api.post(url, bad), 400)["field"] == field, bad
        assert error_of(api.post("/api/crons/monitors/not-made/checkins", bad), 400)
    assert api.get(url).json()["checkins"] == []
    assert api.get("/api/crons/monitors/timed").json()["monitor"]["checkin_margin_minutes"] == 5
    assert api.get("/api/crons/monitors/not-made").status == 404
    # A finish before the start of the open run it would complete: nothing changes.
    cid = api.post(url, {"status": "in_progress", "started_at": iso(now - MIN_US)}).json()["id"]
    early = iso(now - 2 * MIN_US)
    for req in (lambda: api.patch(f"/api/crons/checkins/{cid}",
                                  {"status": "ok", "finished_at": early}),
                lambda: api.post(url, {"status": "ok", "finished_at": early,
                                       "monitor_config": {"checkin_margin_minutes": 9}})):
        assert error_of(req(), 400)["field"] == "finished_at"
    assert error_of(api.patch(f"/api/crons/checkins/{cid}", {"finished_at": iso(now)}),
                    400)["field"] == "finished_at"
    assert error_of(api.patch(f"/api/crons/checkins/{cid}", {"status": "ok",
                                                             "started_at": iso(now)}),
                    400)["field"] == "started_at"
    assert [c["status"] for c in api.get(url).json()["checkins"]] == ["in_progress"]
    assert api.get("/api/crons/monitors/timed").json()["monitor"]["checkin_margin_minutes"] == 5
    body, _ = cases[-1]
    assert api.post(url, body).status == 201


def test_one_checkin_is_read_by_id_as_the_list_shows_it(loom, api):
    create(api, "readable", max_runtime_minutes=30)
    url = "/api/crons/monitors/readable/checkins"
    started = api.post(url, {"status": "in_progress", "output": "step 1"}).json()["id"]
    finished = api.post(url, {"status": "error", "exit_code": 3}).json()["id"]
    listed = {c["id"]: c for c in api.get(url).json()["checkins"]}
    reader = Http(loom.http_addr, api.post("/api/crons/tokens",
                                           {"scopes": ["read"]}).json()["token"])
    for cid in (started, finished):
        r = reader.get(f"/api/crons/checkins/{cid}")
        assert r.status == 200, r
        assert r.json() == listed[cid]
    sdk = Http(loom.http_addr, api.post("/api/crons/tokens",
                                        {"scopes": ["checkins"]}).json()["token"])
    assert error_of(sdk.get(f"/api/crons/checkins/{started}"), 403)["code"] == "forbidden"
    for bad in ("chk_x", "nope", "mon_0123456789abcdefghjkmnpqrs",
                "chk_aaaaaaaaaaaaaaaaaaaaaaaaaa"):
        err = error_of(api.get(f"/api/crons/checkins/{bad}"), 404)
        assert (err["code"], err["field"]) == ("not_found", "id"), bad


def test_sdk_checkin_from_another_environment_is_created_untracked(api):
    create(api, "prod-only", environments=["production"])
    r = api.post("/api/crons/monitors/prod-only/checkins", {"status": "in_progress",
                                                            "environment": "staging"})
    assert r.status == 201, r
    assert (r.json()["status"], r.json()["tracked"]) == ("in_progress", False)
    # The finish names no environment; the run stays untracked.
    c = api.patch(f"/api/crons/checkins/{r.json()['id']}", {"status": "error"}).json()
    assert (c["status"], c["environment"], c["tracked"]) == ("error", "staging", False)
    m = api.get("/api/crons/monitors/prod-only").json()["monitor"]
    assert (m["health"], m["last_checkin_at"], m["next_expected_at"]) == ("unknown", None, None)

    r = api.post("/api/crons/monitors/prod-only/checkins", {"status": "ok",
                                                            "environment": "production"})
    assert (r.status, r.json()["tracked"]) == (201, True)
    assert api.get("/api/crons/monitors/prod-only").json()["monitor"]["health"] == "healthy"

    # Tracking staging from now on leaves what was recorded as it was.
    assert api.patch("/api/crons/monitors/prod-only",
                     {"environments": ["production", "staging"]}).status == 200
    r = api.post("/api/crons/monitors/prod-only/checkins", {"status": "ok",
                                                            "environment": "staging"})
    assert r.json()["tracked"] is True
    got = api.get("/api/crons/monitors/prod-only/checkins").json()["checkins"]
    assert [(c["environment"], c["tracked"]) for c in got] == [
        ("staging", True), ("production", True), ("staging", False)]


def test_sdk_checkin_with_monitor_config_creates_then_updates(api):
    cfg = {"schedule": {"type": "crontab", "value": "0 * * * *"}, "checkin_margin": 3,
           "max_runtime": 20, "timezone": "Europe/Berlin"}
    r = api.post("/api/crons/monitors/upserted/checkins", {"status": "ok",
                                                           "monitor_config": cfg})
    assert r.status == 201, r
    m = api.get("/api/crons/monitors/upserted").json()["monitor"]
    assert (m["checkin_margin_minutes"], m["max_runtime_minutes"], m["timezone"]) == \
        (3, 20, "Europe/Berlin")
    assert m["health"] == "healthy"
    cfg["checkin_margin"] = 7
    assert api.post("/api/crons/monitors/upserted/checkins",
                    {"status": "ok", "monitor_config": cfg}).status == 201
    assert api.get("/api/crons/monitors/upserted").json()["monitor"]["checkin_margin_minutes"] == 7
    r = api.post("/api/crons/monitors/other/checkins", {
        "status": "ok", "monitor_config": {"schedule": {"type": "cron", "expression": "bad"}}})
    assert error_of(r, 400)["field"] == "schedule"
    assert api.get("/api/crons/monitors/other").status == 404


def test_sdk_checkin_errors(api):
    create(api, "sdk2")
    url = "/api/crons/monitors/sdk2/checkins"
    assert error_of(api.post(url, {}), 400)["field"] == "status"
    assert error_of(api.post(url, {"status": "ok", "exit_code": 300}), 400)["field"] == \
        "exit_code"
    assert error_of(api.post(url, {"status": "ok", "run_id": "nope"}), 400)["field"] == "run_id"
    assert error_of(api.post(url, {"status": "ok", "colour": 1}), 400)["field"] == "colour"
    assert error_of(api.post("/api/crons/monitors/absent/checkins", {"status": "ok"}), 404)
    assert api.get("/api/crons/monitors/sdk2/checkins").json()["checkins"] == []


# Characters that show nothing themselves but reorder or hide the text around them
# ("Trojan Source"): a name holding one can read as another name.
INVISIBLE = ["\u202e", "\u202a", "\u202d", "\u2066", "\u2069", "\u200f", "\u061c",
             "\u200b", "\u2028", "\ufeff", "\u2060", "\u0085"]


@pytest.mark.parametrize("ch", INVISIBLE, ids=[f"U+{ord(c):04X}" for c in INVISIBLE])
def test_bidi_overrides_and_invisible_controls_are_refused_in_every_name(api, ch):
    name = f"backup{ch}gnp.exe"
    err = error_of(api.post("/api/crons/monitors", {"slug": "a", "schedule": CRON,
                                                    "name": name}), 400)
    assert err["field"] == "name", err
    create(api, "b", name="Plain")
    assert error_of(api.patch("/api/crons/monitors/b", {"name": name}), 400)["field"] == "name"
    assert error_of(api.post("/api/crons/monitors/b/checkins",
                             {"status": "ok", "environment": f"prod{ch}"}), 400)["field"] \
        == "environment"
    assert error_of(api.post("/api/crons/monitors", {"slug": f"c{ch}", "schedule": CRON}),
                    400)["field"] == "slug"
    assert error_of(api.post("/api/crons/tokens", {"name": name, "scopes": ["read"]}),
                    400)["field"] == "name"
    assert error_of(api.post("/api/crons/organizations", {"name": name, "monitor_limit": 5}),
                    400)["field"] == "name"
    assert [m["name"] for m in api.get("/api/crons/monitors").json()["monitors"]] == ["Plain"]
    assert all(t["name"] != name for t in api.get("/api/crons/tokens").json()["tokens"])


def test_names_in_any_script_and_emoji_are_accepted(api):
    for slug, name in [("ar", "\u0646\u0633\u062e \u0627\u062d\u062a\u064a\u0627\u0637\u064a"),
                       ("emoji", "\U0001f469\u200d\U0001f4bb deploy"), ("fr", "sauvegarde \u00e9t\u00e9")]:
        assert create(api, slug, name=name)["name"] == name


# --- tokens, scopes and organizations -------------------------------------

def test_auth_missing_wrong_and_revoked(loom, api):
    anon = Http(loom.http_addr)
    err = error_of(anon.get("/api/crons/monitors"), 401)
    assert err["code"] == "unauthorized" and err["field"] == "Authorization"
    assert error_of(Http(loom.http_addr, "loom_not_a_real_token").get("/api/crons/monitors"),
                    401)
    assert error_of(anon.request("GET", "/api/crons/monitors",
                                 headers={"Authorization": "Basic dXNlcjpwYXNz"}), 401)
    r = api.post("/api/crons/tokens", {"name": "ci", "scopes": ["read"]})
    assert r.status == 201, r
    tok = r.json()
    assert tok["token"].startswith("loom_") and tok["scopes"] == ["read"]
    reader = Http(loom.http_addr, tok["token"])
    assert reader.get("/api/crons/monitors").status == 200
    listed = api.get("/api/crons/tokens").json()["tokens"]
    assert {t["id"] for t in listed} >= {tok["id"]}
    assert all("token" not in t for t in listed)          # secrets are shown once
    assert api.delete(f"/api/crons/tokens/{tok['id']}").status == 204
    assert error_of(reader.get("/api/crons/monitors"), 401)
    assert api.delete(f"/api/crons/tokens/{tok['id']}").status == 404


def test_scopes(loom, api):
    m = create(api, "scoped")
    read = Http(loom.http_addr, api.post("/api/crons/tokens",
                                         {"scopes": ["read"]}).json()["token"])
    sdk = Http(loom.http_addr, api.post("/api/crons/tokens",
                                        {"scopes": ["checkins"]}).json()["token"])
    assert read.get("/api/crons/monitors/scoped").status == 200
    assert error_of(read.post("/api/crons/monitors", {"slug": "x", "schedule": CRON}),
                    403)["code"] == "forbidden"
    assert error_of(read.post("/api/crons/monitors/scoped/checkins", {"status": "ok"}), 403)
    assert error_of(read.get("/api/crons/tokens"), 403)
    assert sdk.post("/api/crons/monitors/scoped/checkins", {"status": "ok"}).status == 201
    assert error_of(sdk.get("/api/crons/monitors"), 403)
    assert error_of(sdk.delete("/api/crons/monitors/scoped"), 403)
    assert error_of(read.post("/api/crons/organizations", {"name": "x"}), 403)
    assert m["slug"] == "scoped"
    assert error_of(api.post("/api/crons/tokens", {"scopes": ["root"]}), 400)["field"] == \
        "scopes"


@pytest.mark.parametrize("field,value", [("name", "Renamed"), ("status", "disabled"),
                                         ("environments", ["staging"])])
def test_a_checkins_tokens_monitor_config_sets_only_what_sentrys_upsert_sets(
        loom, api, field, value):
    create(api, "upsert-scope", name="Nightly")
    sdk = Http(loom.http_addr, api.post("/api/crons/tokens",
                                        {"scopes": ["checkins"]}).json()["token"])
    before = api.get("/api/crons/monitors/upsert-scope").json()["monitor"]
    cfg = {"schedule": {"type": "cron", "expression": "0 * * * *"}, field: value}
    for slug in ("upsert-scope", "upsert-new"):
        err = error_of(sdk.post(f"/api/crons/monitors/{slug}/checkins",
                                {"status": "ok", "monitor_config": cfg}), 403)
        assert (err["code"], err["field"]) == ("forbidden", f"monitor_config.{field}")
    # Refused whole: neither the monitor nor its check-ins changed, none was created.
    assert api.get("/api/crons/monitors/upsert-scope").json()["monitor"] == before
    assert api.get("/api/crons/monitors/upsert-scope/checkins").json()["checkins"] == []
    assert api.get("/api/crons/monitors/upsert-new").status == 404
    # What Sentry's upsert sets is the SDK's to set; an admin token may set the rest.
    del cfg[field]
    cfg.update(timezone="Europe/Berlin", checkin_margin=4, max_runtime=9,
               failure_issue_threshold=2, recovery_threshold=3)
    assert sdk.post("/api/crons/monitors/upsert-scope/checkins",
                    {"status": "ok", "monitor_config": cfg}).status == 201
    cfg[field] = value
    assert api.post("/api/crons/monitors/upsert-scope/checkins",
                    {"status": "ok", "monitor_config": cfg}).status in (200, 201)
    m = api.get("/api/crons/monitors/upsert-scope").json()["monitor"]
    assert m[field] == value and m["timezone"] == "Europe/Berlin"


def test_another_organizations_monitors_are_not_found(loom, api):
    mine = create(api, "private")
    r = api.post("/api/crons/organizations", {"name": "tenant-b", "monitor_limit": 10})
    assert r.status == 201, r
    other = Http(loom.http_addr, r.json()["token"]["token"])
    assert other.get("/api/crons/monitors").json()["monitors"] == []
    for req in (lambda: other.get("/api/crons/monitors/private"),
                lambda: other.patch("/api/crons/monitors/private", {"name": "hijacked"}),
                lambda: other.delete("/api/crons/monitors/private"),
                lambda: other.post("/api/crons/monitors/private/pause"),
                lambda: other.get("/api/crons/monitors/private/checkins"),
                lambda: other.get("/api/crons/monitors/private/stats")):
        assert error_of(req(), 404)["code"] == "not_found"
    started = api.post("/api/crons/monitors/private/checkins", {"status": "in_progress"})
    cid = started.json()["id"]
    assert error_of(other.patch(f"/api/crons/checkins/{cid}", {"status": "ok"}), 404)
    assert error_of(other.get(f"/api/crons/checkins/{cid}"), 404)["field"] == "id"
    assert api.get(f"/api/crons/checkins/{cid}").json()["status"] == "in_progress"
    # The same slug is free in the other organization.
    assert other.post("/api/crons/monitors", {"slug": "private", "schedule": CRON}).status == 201
    assert api.get("/api/crons/monitors/private").json()["monitor"]["id"] == mine["id"]
    assert api.get("/api/crons/monitors/private").json()["monitor"]["name"] == "private"
    # Only the first organization's admins create organizations.
    assert error_of(other.post("/api/crons/organizations", {"name": "c"}), 403)
