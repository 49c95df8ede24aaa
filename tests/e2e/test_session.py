"""The dashboard's sign-in (issue 19): an API token is traded for a session
cookie (HttpOnly, SameSite=Strict, with an expiry) at POST /api/crons/session;
the API and the stream take the cookie; a change made with it needs the
X-Loom-CSRF header; signing out or revoking the token ends it."""

import time

import pytest

from loomtest import Http, wait_for

STREAM = "/api/crons/stream"


def api_ready(loom):
    """ingestd's /healthz does not wait for its storaged connection: wait for the API."""
    h = Http(loom.http_addr, loom.admin_token)
    wait_for("the API", lambda: h.get("/api/crons/organization").status == 200, interval=0.02)


def sign_in(loom, token):
    r = Http(loom.http_addr, None).post("/api/crons/session", {"token": token})
    assert r.status == 201, r
    cookie = r.headers["set-cookie"]
    secret = cookie.split(";", 1)[0].split("=", 1)[1]
    return r.json()["session"], cookie, secret


def browser(loom, secret, csrf=None):
    """A client that sends what a browser would: the cookie, and the header if the page set it."""
    headers = {"Cookie": f"theme=dark; loom_session={secret}"}
    if csrf is not None:
        headers["X-Loom-CSRF"] = csrf
    http = Http(loom.http_addr, None)
    return http, headers


def test_a_token_is_traded_for_a_cookie_that_the_api_accepts(loom):
    session, cookie, secret = sign_in(loom, loom.admin_token)
    attrs = [a.strip() for a in cookie.split(";")]
    assert attrs[0].startswith("loom_session=lses_")
    assert {"HttpOnly", "SameSite=Strict", "Path=/"} <= set(attrs), attrs
    max_age = [a for a in attrs if a.startswith("Max-Age=")]
    assert max_age and 7 * 86400 - 60 <= int(max_age[0].split("=")[1]) <= 7 * 86400, attrs
    assert "Secure" not in attrs            # LOOM_PUBLIC_URL is http:// here
    assert set(session["scopes"]) == {"admin", "checkins", "read"}
    assert session["organization"].startswith("org_")
    assert session["expires_at"].endswith("Z") and len(session["csrf"]) == 32
    assert loom.admin_token not in cookie and loom.admin_token not in str(session)

    http, headers = browser(loom, secret)
    r = http.get("/api/crons/monitors", headers=headers)
    assert r.status == 200, r
    r = http.get("/api/crons/session", headers=headers)
    assert r.status == 200 and r.json()["session"] == session, r
    # The token itself has no session to show.
    r = Http(loom.http_addr, loom.admin_token).get("/api/crons/session")
    assert r.status == 404 and r.json()["error"]["field"] == "session", r


def test_a_change_with_the_cookie_needs_the_csrf_header(loom):
    session, _, secret = sign_in(loom, loom.admin_token)
    body = {"slug": "nightly", "schedule": {"type": "cron", "expression": "0 3 * * *"}}
    for csrf in (None, "0" * 32, session["csrf"][:-1]):
        http, headers = browser(loom, secret, csrf)
        r = http.post("/api/crons/monitors", body, headers=headers)
        assert r.status == 403, r
        assert r.json()["error"]["field"] == "X-Loom-CSRF", r
    assert Http(loom.http_addr, loom.admin_token).get(
        "/api/crons/monitors").json()["monitors"] == []
    http, headers = browser(loom, secret, session["csrf"])
    r = http.post("/api/crons/monitors", body, headers=headers)
    assert r.status == 201, r
    # A bearer token needs no such header: no browser sends it by itself.
    r = Http(loom.http_addr, loom.admin_token).post("/api/crons/monitors/nightly/pause")
    assert r.status == 200, r


def test_a_session_has_its_tokens_scopes(loom):
    admin = Http(loom.http_addr, loom.admin_token)
    r = admin.post("/api/crons/tokens", {"name": "viewer", "scopes": ["read"]})
    assert r.status == 201, r
    session, _, secret = sign_in(loom, r.json()["token"])
    assert session["scopes"] == ["read"]
    http, headers = browser(loom, secret, session["csrf"])
    assert http.get("/api/crons/monitors", headers=headers).status == 200
    r = http.post("/api/crons/monitors", {"slug": "x", "schedule": {
        "type": "cron", "expression": "* * * * *"}}, headers=headers)
    assert r.status == 403 and r.json()["error"]["field"] == "Authorization", r


def test_bad_sign_ins_are_refused_naming_the_field(loom):
    anon = Http(loom.http_addr, None)
    for body, status in (({}, 400), ({"token": 7}, 400), ({"token": ""}, 400),
                         ({"token": "loom_" + "x" * 52}, 401)):
        r = anon.post("/api/crons/session", body)
        assert r.status == status, (body, r)
        assert r.json()["error"]["field"] == "token", r
        assert "set-cookie" not in r.headers
    # A session cannot make another (it would outlive its end).
    _, _, secret = sign_in(loom, loom.admin_token)
    r = anon.post("/api/crons/session", {"token": secret})
    assert r.status == 400 and r.json()["error"]["field"] == "token", r
    # Without any credential the API says how to get one.
    r = anon.get("/api/crons/monitors")
    assert r.status == 401 and "/api/crons/session" in r.json()["error"]["message"], r


def test_signing_out_ends_the_session_and_clears_the_cookie(loom):
    session, _, secret = sign_in(loom, loom.admin_token)
    http, headers = browser(loom, secret)
    r = http.delete("/api/crons/session", headers=headers)
    assert r.status == 403, r               # sign-out is a change: CSRF applies
    http, headers = browser(loom, secret, session["csrf"])
    r = http.delete("/api/crons/session", headers=headers)
    assert r.status == 204, r
    cleared = [a.strip() for a in r.headers["set-cookie"].split(";")]
    assert cleared[0] == "loom_session=" and "Max-Age=0" in cleared, cleared
    r = http.get("/api/crons/monitors", headers=headers)
    assert r.status == 401, r


@pytest.mark.env(LOOM_SSE_HEARTBEAT="500ms")
def test_revoking_the_token_ends_its_sessions_and_their_streams(loom):
    beat = 0.5
    api_ready(loom)
    admin = Http(loom.http_addr, loom.admin_token)
    r = admin.post("/api/crons/tokens", {"name": "laptop", "scopes": ["read"]})
    tok = r.json()
    _, _, secret = sign_in(loom, tok["token"])
    _, _, other = sign_in(loom, loom.admin_token)
    stream = loom.sse(STREAM, token=None, headers={"Cookie": f"loom_session={secret}"})
    assert stream.status == 200, stream.buf
    assert admin.delete(f"/api/crons/tokens/{tok['id']}").status == 204
    started = time.monotonic()
    try:
        while time.monotonic() - started < beat + 2:
            stream.next_event(timeout=beat + 2)
        raise AssertionError("the session's stream outlived its token")
    except EOFError:
        pass
    http, headers = browser(loom, secret)
    assert http.get("/api/crons/monitors", headers=headers).status == 401
    http, headers = browser(loom, other)    # another token's session goes on
    assert http.get("/api/crons/monitors", headers=headers).status == 200


@pytest.mark.env(LOOM_SESSION_TTL="1m", LOOM_SESSIONS_PER_TOKEN="3")
def test_sessions_end_on_time_and_each_token_keeps_a_bounded_number(loom):
    api_ready(loom)
    _, cookie, first = sign_in(loom, loom.admin_token)
    assert "Max-Age=60" in cookie or "Max-Age=59" in cookie, cookie
    later = [sign_in(loom, loom.admin_token)[2] for _ in range(3)]
    # The fourth pushed out the one nearest its end: the first.
    http = Http(loom.http_addr, None)
    assert http.get("/api/crons/monitors",
                    headers={"Cookie": f"loom_session={first}"}).status == 401
    for s in later:
        assert http.get("/api/crons/monitors",
                        headers={"Cookie": f"loom_session={s}"}).status == 200
    verified = loom.wire().ok("token.verify", token=later[0])
    assert verified["session"] is True and verified["expires_at"] > 0


def test_a_session_ends_at_its_expiry(loom_clock):
    api_ready(loom_clock)
    session, _, secret = sign_in(loom_clock, loom_clock.admin_token)
    cookie = {"Cookie": f"loom_session={secret}"}
    http = Http(loom_clock.http_addr, None)
    assert http.get("/api/crons/monitors", headers=cookie).status == 200
    loom_clock.advance(7 * 86400 - 60)
    assert http.get("/api/crons/monitors", headers=cookie).status == 200
    loom_clock.advance(61)
    r = http.get("/api/crons/monitors", headers=cookie)
    assert r.status == 401 and r.json()["error"]["field"] == "Cookie", r
