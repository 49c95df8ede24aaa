"""CORS on the public URL: the admin API answers browsers of the origins in
LOOM_CORS_ORIGINS (and no one's by default); pings and the stream allow
every origin."""

import pytest

from loomtest import Http

APP = "https://app.example.com"
LOCAL = "http://localhost:3000"
OTHER = "https://evil.example"
CRON = {"type": "cron", "expression": "*/15 * * * *"}


def preflight(http, path, origin, method="POST"):
    return http.request("OPTIONS", path, token=None, headers={
        "Origin": origin, "Access-Control-Request-Method": method,
        "Access-Control-Request-Headers": "authorization, content-type, idempotency-key"})


def allow_headers(r):
    return {k: v for k, v in r.headers.items() if k.startswith("access-control-")}


@pytest.mark.env(LOOM_CORS_ORIGINS=f"{APP}, {LOCAL}")
def test_listed_origins_get_preflights_and_named_answers(loom):
    api = loom.http()
    for origin in (APP, LOCAL):
        for path, method in (("/api/crons/monitors", "POST"),
                             ("/api/crons/monitors/job", "PATCH"),
                             ("/api/crons/checkins/chk_aaaaaaaaaaaaaaaaaaaaaaaaaa", "GET"),
                             ("/api/crons/tokens/tok_aaaaaaaaaaaaaaaaaaaaaaaaaa", "DELETE")):
            r = preflight(api, path, origin, method)
            assert r.status == 204, (path, r)
            assert allow_headers(r) == {
                "access-control-allow-origin": origin,
                "access-control-allow-methods": "GET, POST, PATCH, DELETE",
                "access-control-allow-headers": "Authorization, Content-Type, Idempotency-Key",
                "access-control-max-age": "86400"}
            assert r.headers["vary"] == "Origin"
    # The answers themselves name the origin, errors included, so the page can read them.
    r = api.post("/api/crons/monitors", {"slug": "job", "schedule": CRON},
                 headers={"Origin": APP})
    assert r.status == 201 and r.headers["access-control-allow-origin"] == APP, r
    assert r.headers["vary"] == "Origin"
    r = api.get("/api/crons/monitors", token=None, headers={"Origin": LOCAL})
    assert r.status == 401 and r.headers["access-control-allow-origin"] == LOCAL, r
    assert api.get("/api/crons/monitors/job", headers={"Origin": APP}).headers[
        "access-control-allow-origin"] == APP


@pytest.mark.env(LOOM_CORS_ORIGINS=APP)
def test_other_origins_get_no_allow_headers(loom):
    api = loom.http()
    r = preflight(api, "/api/crons/monitors", OTHER)
    assert r.status == 405 and allow_headers(r) == {}, r
    assert r.headers["vary"] == "Origin"
    r = api.get("/api/crons/monitors", headers={"Origin": OTHER})
    assert r.status == 200 and allow_headers(r) == {}, r
    r = api.get("/api/crons/monitors")                      # not a browser
    assert r.status == 200 and allow_headers(r) == {}, r


def test_by_default_the_api_sends_no_cors_headers(loom):
    api = loom.http()
    r = preflight(api, "/api/crons/monitors", APP)
    assert r.status == 405 and allow_headers(r) == {} and "vary" not in r.headers, r
    r = api.get("/api/crons/monitors", headers={"Origin": APP})
    assert r.status == 200 and allow_headers(r) == {} and "vary" not in r.headers, r


@pytest.mark.env(LOOM_CORS_ORIGINS=APP)
def test_pings_and_the_stream_keep_allowing_every_origin(loom):
    api = loom.http()
    mon = api.post("/api/crons/monitors", {"slug": "pinged", "schedule": CRON}).json()["monitor"]
    anon = Http(loom.http_addr)
    for origin in (APP, OTHER):
        r = anon.get(f"/ping/{mon['ping_key']}", headers={"Origin": origin})
        assert r.status == 200 and r.headers["access-control-allow-origin"] == "*", r
        r = preflight(anon, "/api/crons/stream", origin, "GET")
        assert r.status == 204 and r.headers["access-control-allow-origin"] == "*", r
        s = loom.sse(headers={"Origin": origin})
        try:
            assert s.status == 200 and s.headers["access-control-allow-origin"] == "*"
        finally:
            s.close()
