"""Status badges: GET /badge/<badge-key>[/<slug>].svg|.json without a token.

The badge key is the organization's own secret for badges: shown by
GET /api/crons/organization, rotated by POST /api/crons/organization/badge-key,
and accepted nowhere else (not as an API token, not as a ping key)."""

import xml.etree.ElementTree as ET

import pytest

from loomtest import Http, wait_for
from test_ping import create

SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture
def api(loom):
    return loom.http()


@pytest.fixture
def anon(loom):
    return Http(loom.http_addr)


def badge_key(api):
    r = api.get("/api/crons/organization")
    assert r.status == 200, r
    return r.json()["badge_key"]


def svg(anon, path):
    """The badge at path: (label, message) as its texts say, after checking the
    document parses and speaks to screen readers."""
    r = anon.get(path)
    assert r.status == 200, r
    assert r.headers["content-type"].startswith("image/svg+xml")
    root = ET.fromstring(r.body)
    assert root.tag == SVG + "svg" and root.get("role") == "img"
    texts = [t.text for t in root.iter(SVG + "text") if t.get("aria-hidden") != "true"]
    assert len(texts) == 2, texts
    title = root.find(SVG + "title").text
    assert title == root.get("aria-label") == f"{texts[0]}: {texts[1]}"
    assert float(root.get("width")) > 0 and root.get("height") == "20"
    return texts[0], texts[1]


def shields(anon, path):
    r = anon.get(path)
    assert r.status == 200, r
    assert r.headers["content-type"].startswith("application/json")
    body = r.json()
    # shields.io's endpoint schema: these keys, these types, nothing it does not know
    assert set(body) <= {"schemaVersion", "label", "message", "color", "labelColor",
                         "isError", "namedLogo", "logoSvg", "logoColor", "logoWidth",
                         "style", "cacheSeconds"}
    assert body["schemaVersion"] == 1
    assert all(isinstance(body[k], str) and body[k] for k in ("label", "message", "color"))
    return body


def test_the_organization_shows_its_badge_key_to_read_tokens(api):
    key = badge_key(api)
    assert key.startswith("bdg_") and len(key) == 30
    org = api.get("/api/crons/organization").json()
    assert key not in (org["ping_key"],)
    read = api.post("/api/crons/tokens", {"name": "viewer", "scopes": ["read"]}).json()["token"]
    r = api.get("/api/crons/organization", token=read)
    assert r.status == 200 and r.json()["badge_key"] == key
    # rotating is an admin's
    r = api.post("/api/crons/organization/badge-key", token=read)
    assert r.status == 403, r
    other = api.post("/api/crons/organizations", {"name": "team-b", "monitor_limit": 5}).json()
    assert other["organization"]["badge_key"].startswith("bdg_")
    assert other["organization"]["badge_key"] != key


def test_a_monitor_badge_follows_its_health_and_status(api, anon):
    key = badge_key(api)
    mon = create(api, "backup", name="Nightly backup")
    assert svg(anon, f"/badge/{key}/backup.svg") == ("Nightly backup", "new")
    assert anon.get(f"/ping/{mon['ping_key']}").status == 200
    assert svg(anon, f"/badge/{key}/backup.svg") == ("Nightly backup", "up")
    assert anon.get(f"/ping/{mon['ping_key']}/fail").status == 200
    assert svg(anon, f"/badge/{key}/backup.svg") == ("Nightly backup", "down")
    assert api.post("/api/crons/monitors/backup/pause").status == 200
    assert svg(anon, f"/badge/{key}/backup.svg") == ("Nightly backup", "paused")
    assert api.post("/api/crons/monitors/backup/resume").status == 200
    assert svg(anon, f"/badge/{key}/backup.svg")[1] == "down"  # resume keeps its health
    assert api.patch("/api/crons/monitors/backup", {"status": "disabled"}).status == 200
    assert svg(anon, f"/badge/{key}/backup.svg")[1] == "disabled"
    # without a name, the slug is the label
    create(api, "unnamed")
    assert svg(anon, f"/badge/{key}/unnamed.svg") == ("unnamed", "new")


def test_the_colours_differ_by_state_and_the_json_form_matches(api, anon):
    key = badge_key(api)
    ok, bad = create(api, "ok-job"), create(api, "bad-job")
    anon.get(f"/ping/{ok['ping_key']}")
    anon.get(f"/ping/{bad['ping_key']}/fail")
    up, down = shields(anon, f"/badge/{key}/ok-job.json"), shields(anon, f"/badge/{key}/bad-job.json")
    assert (up["label"], up["message"]) == ("ok-job", "up")
    assert (down["label"], down["message"]) == ("bad-job", "down")
    assert up["color"] != down["color"]
    # the SVG paints the message with the colour the JSON names
    assert f'fill="#{down["color"]}"'.encode() in anon.get(f"/badge/{key}/bad-job.svg").body


def test_the_organization_badge_counts_what_is_down(api, anon):
    key = badge_key(api)
    assert svg(anon, f"/badge/{key}.svg") == ("default", "no monitors")
    mons = [create(api, f"job-{i}") for i in range(4)]
    assert svg(anon, f"/badge/{key}.svg")[1] == "new"
    for m in mons:
        assert anon.get(f"/ping/{m['ping_key']}").status == 200
    assert svg(anon, f"/badge/{key}.svg")[1] == "up"
    assert shields(anon, f"/badge/{key}.json")["message"] == "up"
    anon.get(f"/ping/{mons[0]['ping_key']}/fail")
    anon.get(f"/ping/{mons[1]['ping_key']}/1")
    assert svg(anon, f"/badge/{key}.svg")[1] == "2 down"
    assert shields(anon, f"/badge/{key}.json")["message"] == "2 down"
    # a paused monitor no longer counts as down; a deleted one not at all
    assert api.post("/api/crons/monitors/job-0/pause").status == 200
    assert svg(anon, f"/badge/{key}.svg")[1] == "1 down"
    assert api.delete("/api/crons/monitors/job-1").status == 204
    assert svg(anon, f"/badge/{key}.svg")[1] == "up"
    anon.get(f"/ping/{mons[2]['ping_key']}/fail")
    anon.get(f"/ping/{mons[2]['ping_key']}")
    assert svg(anon, f"/badge/{key}.svg")[1] == "up"  # recovered
    for slug in ("job-2", "job-3"):
        assert api.post(f"/api/crons/monitors/{slug}/pause").status == 200
    assert svg(anon, f"/badge/{key}.svg")[1] == "paused"


def test_rotation_kills_the_old_key_at_once(api, anon):
    old = badge_key(api)
    create(api, "backup")
    assert anon.get(f"/badge/{old}/backup.svg").status == 200
    r = api.post("/api/crons/organization/badge-key")
    assert r.status == 200, r
    new = r.json()["badge_key"]
    assert new != old and new == badge_key(api)
    for path in (f"/badge/{old}/backup.svg", f"/badge/{old}.svg", f"/badge/{old}.json"):
        assert anon.get(path).status == 404, path
    assert svg(anon, f"/badge/{new}/backup.svg")[0] == "backup"


def test_the_badge_key_opens_nothing_else(api, anon):
    key = badge_key(api)
    mon = create(api, "backup")
    for path in ("/api/crons/organization", "/api/crons/monitors", "/api/crons/monitors/backup"):
        r = anon.get(path, token=key)
        assert r.status == 401, (path, r)
    assert anon.post("/api/crons/monitors/backup/pause", token=key).status == 401
    # nor as a dashboard session cookie, nor traded for one
    r = anon.get("/api/crons/monitors", headers={"Cookie": f"loom_session={key}"})
    assert r.status == 401, r
    assert anon.post("/api/crons/session", {"token": key}).status == 401
    for path in (f"/ping/{key}", f"/ping/{key}/backup", f"/ping/{key}/backup/fail",
                 f"/ping/{key}/backup?create=1"):
        assert anon.get(path).status in (400, 404), path
    assert api.get("/api/crons/monitors/backup/checkins").json()["checkins"] == []
    assert mon["ping_key"] != key


def test_names_are_escaped(api, anon):
    key = badge_key(api)
    name = '<script>alert("x")</script> & co\'s'
    create(api, "xss", name=name)
    r = anon.get(f"/badge/{key}/xss.svg")
    assert r.status == 200
    assert b"<script" not in r.body and b"&lt;script&gt;" in r.body
    assert svg(anon, f"/badge/{key}/xss.svg") == (name, "new")
    assert shields(anon, f"/badge/{key}/xss.json")["label"] == name


def test_unknown_keys_and_slugs_are_one_404(api, anon):
    key = badge_key(api)
    create(api, "mine")
    other = api.post("/api/crons/organizations", {"name": "team-b", "monitor_limit": 5}).json()
    theirs = Http(anon.host + ":" + str(anon.port), token=other["token"]["token"])
    create(theirs, "theirs")
    their_key = other["organization"]["badge_key"]
    assert svg(anon, f"/badge/{their_key}/theirs.svg")[0] == "theirs"
    bodies = set()
    for path in (f"/badge/{key}/theirs.svg",             # another organization's slug
                 f"/badge/{key}/nope.svg",               # no such slug
                 "/badge/bdg_" + "0" * 26 + "/mine.svg",  # no such key
                 "/badge/not-a-key/mine.svg", f"/badge/{key}/Bad%20Slug.svg",
                 f"/badge/{key}/mine.png", f"/badge/{key}/mine/extra.svg"):
        r = anon.get(path)
        assert r.status == 404, (path, r)
        if path.endswith(".svg"):
            ET.fromstring(r.body)
            bodies.add(r.body)
    assert len(bodies) == 1   # the same answer whichever part was wrong
    r = anon.get(f"/badge/{key}/theirs.json")
    assert r.status == 404 and r.json()["message"] == "not found"


def test_caching_headers_and_methods(api, anon):
    key = badge_key(api)
    mon = create(api, "backup")
    r = anon.get(f"/badge/{key}/backup.svg")
    assert "no-cache" in r.headers["cache-control"]
    assert r.headers["access-control-allow-origin"] == "*"
    etag = r.headers["etag"]
    again = anon.get(f"/badge/{key}/backup.svg", headers={"If-None-Match": etag})
    assert again.status == 304 and again.body == b""
    anon.get(f"/ping/{mon['ping_key']}")
    changed = anon.get(f"/badge/{key}/backup.svg", headers={"If-None-Match": etag})
    assert changed.status == 200 and changed.headers["etag"] != etag
    assert anon.request("HEAD", f"/badge/{key}/backup.svg").status == 200
    r = anon.post(f"/badge/{key}/backup.svg")
    assert r.status == 405 and "GET" in r.headers["allow"]


def test_an_overdue_run_is_late_then_down(loom_clock):
    api, anon = loom_clock.http(), Http(loom_clock.http_addr)
    key = badge_key(api)
    mon = create(api, "hourly", schedule={"type": "interval", "minutes": 60},
                 checkin_margin_minutes=10)
    assert anon.get(f"/ping/{mon['ping_key']}").status == 200
    assert api.get("/api/crons/monitors/hourly").json()["monitor"]["next_expected_at"]
    assert svg(anon, f"/badge/{key}/hourly.svg")[1] == "up"
    # past the expected time, inside the margin: late (the organization is still up)
    loom_clock.advance(3600 + 60)
    assert svg(anon, f"/badge/{key}/hourly.svg")[1] == "late"
    assert svg(anon, f"/badge/{key}.svg")[1] == "up"
    # past the margin: schedd records the run missed
    loom_clock.advance(10 * 60)
    wait_for("the missed verdict",
             lambda: svg(anon, f"/badge/{key}/hourly.svg")[1] == "down")
    assert svg(anon, f"/badge/{key}.svg")[1] == "1 down"


@pytest.mark.env(LOOM_INFLIGHT_MAX="16")
def test_a_flood_of_badges_takes_only_its_share_and_pings_still_land(loom, api, anon):
    """At most LOOM_INFLIGHT_MAX / 16 badges are answered at once (here 1): the
    others are 503 busy at once, and pings keep their places."""
    import socket
    import threading

    key = badge_key(api)
    mon = create(api, "backup")
    request = (f"GET /badge/{key}/backup.svg HTTP/1.1\r\nHost: x\r\n"
               "Connection: close\r\n\r\n").encode()
    host, port = loom.http_addr.rsplit(":", 1)
    statuses, pings = [], []

    def ping_all():
        p = Http(loom.http_addr)
        for _ in range(20):
            pings.append(p.get(f"/ping/{mon['ping_key']}").status)
    pinger = threading.Thread(target=ping_all)
    pinger.start()
    for _ in range(10):
        socks = [socket.create_connection((host, int(port))) for _ in range(30)]
        for s in socks:
            s.sendall(request)
        for s in socks:
            data = b""
            while chunk := s.recv(65536):
                data += chunk
            s.close()
            statuses.append(int(data.split(b" ", 2)[1]))
        if 503 in statuses:
            break
    pinger.join()
    assert set(statuses) <= {200, 503} and statuses.count(200) >= 1, statuses
    assert 503 in statuses, statuses
    assert pings == [200] * 20
    assert len(api.get("/api/crons/monitors/backup/checkins").json()["checkins"]) == 20
    assert anon.get(f"/badge/{key}/backup.svg").status == 200   # the places came back


def test_loomctl_prints_the_badge_urls(loom, api, anon):
    import json
    import urllib.parse

    from test_loomctl import ctl

    mon = create(api, "backup", name="Nightly backup")
    anon.get(f"/ping/{mon['ping_key']}")
    key = badge_key(api)
    r = ctl(loom, "--json", "badge", "backup")
    assert r.returncode == 0, r.stderr
    urls = json.loads(r.stdout)
    assert urls["svg"] == f"{loom.base_url}/badge/{key}/backup.svg"
    assert urls["json"] == f"{loom.base_url}/badge/{key}/backup.json"
    assert urls["markdown"] == f"![Nightly backup]({urls['svg']})"
    shields_url = urllib.parse.urlparse(urls["shields"])
    assert shields_url.netloc == "img.shields.io" and shields_url.path == "/endpoint"
    assert urllib.parse.parse_qs(shields_url.query)["url"] == [urls["json"]]
    path = urllib.parse.urlparse(urls["svg"]).path
    assert svg(anon, path) == ("Nightly backup", "up")   # the URL it prints works

    r = ctl(loom, "badge")
    assert r.returncode == 0, r.stderr
    assert f"{loom.base_url}/badge/{key}.svg" in r.stdout and "markdown" in r.stdout
    # --rotate: new URLs, and the old ones are dead
    r = ctl(loom, "--json", "badge", "--rotate")
    assert r.returncode == 0, r.stderr
    new = json.loads(r.stdout)["svg"]
    assert key not in new and badge_key(api) in new
    assert anon.get(path).status == 404
    # a slug that does not exist is the API's 404, not a broken URL
    r = ctl(loom, "badge", "nope")
    assert r.returncode == 1 and "not_found" in r.stderr
