"""Healthchecks' slug URLs: the organization's ping key, /ping/<ping-key>/<slug>
with its suffixes and ?create=1, rotation of the key, and a runitor run."""

import uuid

import pytest

from test_ping import anon, api, create  # noqa: F401 -- the fixtures too
from test_ping import checkins as newest_first


def checkins(api, slug):
    return newest_first(api, slug)[::-1]


def ping_key(api):
    r = api.get("/api/crons/organization")
    assert r.status == 200, r
    return r.json()["ping_key"]


def test_the_organization_has_its_own_random_ping_key(api):
    key = ping_key(api)
    assert uuid.UUID(key).version == 4 and str(uuid.UUID(key)) == key
    mon = create(api, "backup")
    assert mon["ping_key"] != key
    other = api.post("/api/crons/organizations", {"name": "team-b"}).json()
    assert other["organization"]["ping_key"] not in (key, mon["ping_key"])


def test_every_slug_url_form_records_like_the_uuid_forms(api, anon):
    create(api, "backup")
    key = ping_key(api)
    rid = str(uuid.uuid4())
    for method in ("GET", "HEAD", "POST"):
        r = anon.request(method, f"/ping/{key}/backup")
        assert r.status == 200 and r.headers["ping-body-limit"] == "10240", (method, r)
    r = anon.get(f"/ping/{key}/backup/start?rid={rid}&env=prod")
    assert r.status == 200 and r.json()["checkin_id"].startswith("chk_")
    assert anon.post(f"/ping/{key}/backup/log?rid={rid}", body="step 1\n").status == 200
    assert anon.post(f"/ping/{key}/backup/3?rid={rid}&env=prod", body="step 2\n").status == 200
    assert anon.get(f"/ping/{key}/backup/fail").status == 200
    assert anon.get(f"/ping/{key}/backup?exit_code=4").status == 200
    assert anon.get(f"/ping/{key}/backup/0").status == 200
    got = checkins(api, "backup")
    assert [(c["status"], c["exit_code"]) for c in got] == [
        ("ok", None), ("ok", None), ("ok", None), ("error", 3), ("error", None),
        ("error", 4), ("ok", 0)]
    run = got[3]
    assert run["run_id"] == rid and run["environment"] == "prod"
    assert run["output"] == "step 1\nstep 2\n" and run["duration_ms"] is not None  # log, then finish
    assert all(c["source"] == "ping" for c in got)


def test_the_path_reads_by_whose_key_it_is(api, anon):
    """A monitor may be called "start": under the organization's key that is
    its slug; under a monitor's own key it is the start of a run."""
    named_start = create(api, "start")
    other = create(api, "other")
    assert anon.get(f"/ping/{ping_key(api)}/start").status == 200
    assert [c["status"] for c in checkins(api, "start")] == ["ok"]
    assert anon.get(f"/ping/{other['ping_key']}/start").json()["checkin_id"]
    assert [c["status"] for c in checkins(api, "other")] == ["in_progress"]
    # A monitor's key with a slug path, an organization's key alone: nothing.
    assert anon.get(f"/ping/{other['ping_key']}/start/start").status == 404
    assert anon.get(f"/ping/{ping_key(api)}").status == 404
    assert anon.get(f"/ping/{named_start['ping_key']}/256").status == 400
    assert [c["status"] for c in checkins(api, "start")] == ["ok"]


def test_an_unknown_slug_is_404_and_create_makes_it_with_healthchecks_defaults(api, anon):
    key = ping_key(api)
    r = anon.get(f"/ping/{key}/nightly")
    assert r.status == 404 and r.text == "not found\n"
    assert api.get("/api/crons/monitors/nightly").status == 404
    r = anon.post(f"/ping/{key}/nightly?create=1", body="first run")
    assert r.status == 201 and r.text == "Created\n", r
    mon = api.get("/api/crons/monitors/nightly").json()["monitor"]
    assert mon["name"] == "nightly" and mon["status"] == "active" and mon["timezone"] == "UTC"
    assert mon["schedule"] == {"type": "interval", "value": 1, "unit": "day", "minutes": 1440}
    assert mon["checkin_margin_minutes"] == 60
    assert [c["output"] for c in checkins(api, "nightly")] == ["first run"]
    # Known now: ?create=1 only pings it.
    assert anon.get(f"/ping/{key}/nightly?create=1").status == 200
    assert len(checkins(api, "nightly")) == 2


def test_create_stays_within_the_monitor_limit(loom, api, anon):
    made = api.post("/api/crons/organizations", {"name": "small", "monitor_limit": 1}).json()
    small = loom.http(token=made["token"]["token"])
    key = made["organization"]["ping_key"]
    assert anon.get(f"/ping/{key}/first?create=1").status == 201
    r = anon.get(f"/ping/{key}/second/start?create=1")
    assert r.status == 403, r
    assert r.json()["error"]["code"] == "monitor_limit_exceeded"
    assert [m["slug"] for m in small.get("/api/crons/monitors").json()["monitors"]] == ["first"]
    assert small.get("/api/crons/organization").json()["monitor_count"] == 1


@pytest.mark.parametrize("path,status,field", [
    ("/backup?create=yes", 400, "create"),
    ("/backup/256", 400, "exit_code"),
    ("/backup/start?exit_code=1", 400, "exit_code"),
    ("/backup?rid=nope", 400, "rid"),
    ("/backup?env=a%20b", 400, "env"),
    ("/backup/nope", 404, None),
    ("/backup/start/again", 404, None),
    ("/Backup", 404, None),
    ("/backup/", 404, None),
])
def test_bad_slug_urls_record_nothing(api, anon, path, status, field):
    create(api, "backup")
    r = anon.get(f"/ping/{ping_key(api)}" + path)
    assert r.status == status, r
    if field:
        assert r.json()["error"]["field"] == field
    assert checkins(api, "backup") == []


def test_rotating_the_key_retires_the_old_one_at_once(loom, api, anon):
    create(api, "backup")
    old = ping_key(api)
    assert anon.get(f"/ping/{old}/backup").status == 200
    read = api.post("/api/crons/tokens", {"name": "r", "scopes": ["read"]}).json()["token"]
    r = loom.http(token=read).post("/api/crons/organization/ping-key")
    assert r.status == 403, r
    assert ping_key(api) == old
    r = api.post("/api/crons/organization/ping-key")
    assert r.status == 200, r
    new = r.json()["ping_key"]
    assert new != old and uuid.UUID(new).version == 4
    assert ping_key(api) == new
    assert anon.get(f"/ping/{old}/backup").status == 404
    assert anon.get(f"/ping/{old}/backup?create=1").status == 404
    assert anon.get(f"/ping/{new}/backup").status == 200
    assert len(checkins(api, "backup")) == 2


RUNITOR = "runitor/v1.3.0 (linux-amd64; +https://bdd.fi/x/runitor)"


def runitor(anon, url, body=b""):
    """One request as runitor sends it: POST, text/plain, its User-Agent."""
    return anon.request("POST", url, body=body,
                        headers={"User-Agent": RUNITOR, "Content-Type": "text/plain"})


@pytest.mark.env(LOOM_STORAGE_TIMEOUT="1s")
def test_a_runitor_run_verbatim(loom, api, anon):
    """runitor -ping-key K -slug db-backup -create -- cmd: a start and then the
    exit code with the output, each with create=1 and the run's rid; a 5xx is
    retried, and a retried start is recorded once."""
    key = ping_key(api)
    base = f"/ping/{key}/db-backup"

    # First run: storaged is away when the start is sent; runitor retries it.
    rid = str(uuid.uuid4())
    loom.daemons["storaged"].stop()
    assert runitor(anon, f"{base}/start?create=1&rid={rid}").status == 503
    loom.restart("storaged")
    assert runitor(anon, f"{base}/start?create=1&rid={rid}").status == 201
    r = runitor(anon, f"{base}/0?create=1&rid={rid}", b"dumped 3 databases\n")
    assert r.status == 200 and r.text == "OK\n"

    # Second run: the command fails with exit code 3.
    rid2 = str(uuid.uuid4())
    assert runitor(anon, f"{base}/start?create=1&rid={rid2}").status == 200
    out = b"pg_dump: error: connection refused\n\n[runitor] exit status 3"
    assert runitor(anon, f"{base}/3?create=1&rid={rid2}", out).status == 200

    got = checkins(api, "db-backup")
    assert [(c["run_id"], c["status"], c["exit_code"]) for c in got] == [
        (rid, "ok", 0), (rid2, "error", 3)]
    assert got[0]["output"] == "dumped 3 databases\n"
    assert got[1]["output"] == out.decode()
    assert all(c["started_at"] and c["finished_at"] and c["duration_ms"] is not None
               for c in got)
    mon = api.get("/api/crons/monitors/db-backup").json()["monitor"]
    assert mon["health"] == "failing" and mon["checkin_margin_minutes"] == 60
