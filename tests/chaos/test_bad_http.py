"""Bad HTTP on the public listener (ingestd) and streamd's own: truncated,
oversized and garbage requests over raw sockets, a slowloris crowd, wrong
methods and wrong content types on every endpoint group.

Each one gets the answer that is due (a 4xx, or a hang-up when the request
never ended), changes nothing (storaged's event head does not move; the
requests aim at a real ping key where that matters) and leaves every daemon
serving.
"""

import json
import select
import socket
import time

import pytest

from loomtest import Http, Wire, wait_for

BODY_MAX = 65536            # LOOM_BODY_MAX for these tests (its minimum)

pytestmark = pytest.mark.env(LOOM_BODY_MAX="64K")


@pytest.fixture
def target(loom):
    """A monitor to aim at.  The test must leave storaged's head where it
    was, but for the events it declares in target["recorded"]."""
    h = loom.http()
    wait_for("ingestd to reach storaged",
             lambda: h.get("/api/crons/organization").status == 200)
    r = h.post("/api/crons/monitors", json_body={
        "slug": "target", "schedule": {"type": "interval", "value": 1, "unit": "hour"}})
    assert r.status == 201, r
    mon = r.json()["monitor"]
    before = head(loom)
    yield mon
    before += mon.get("recorded", 0)
    assert head(loom) == before, "a bad request was recorded"
    for name, d in loom.daemons.items():
        assert d.running(), f"{name} died:\n{d.log()[-2000:]}"
        loom.wait_ready(name)
    # Still works end to end.
    assert Http(loom.http_addr, None).get(f"/ping/{mon['ping_key']}").status == 200
    assert head(loom) == before + 1


def head(loom):
    w = Wire(loom.cmd_endpoint)
    try:
        return w.ok("ping")["seq"]
    finally:
        w.close()


def raw(addr, data, timeout=5.0):
    """Sends data, half-closes, reads until the server closes; (status or
    None, bytes).  Reads while sending: a server that answers a request it
    refuses before reading all of it, then closes, resets the connection,
    and a reset drops whatever the client had not read yet."""
    host, port = addr.rsplit(":", 1)
    s = socket.create_connection((host, int(port)), timeout=timeout)
    out, sent = b"", 0
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            want_write = [s] if sent < len(data) else []
            readable, writable, _ = select.select([s], want_write, [], 0.5)
            try:
                if readable:
                    chunk = s.recv(65536)
                    if not chunk:
                        break
                    out += chunk
                elif writable:
                    sent += s.send(data[sent:sent + 65536])
                    if sent == len(data):
                        s.shutdown(socket.SHUT_WR)
            except (BrokenPipeError, ConnectionResetError):
                break
    finally:
        s.close()
    if out.startswith(b"HTTP/1."):
        return int(out.split(b" ", 2)[1]), out
    return None, out


def req(method, path, headers=(), body=b"", version="HTTP/1.1"):
    lines = [f"{method} {path} {version}".encode(), b"Host: x"] + \
        [h.encode() if isinstance(h, str) else h for h in headers]
    return b"\r\n".join(lines) + b"\r\n\r\n" + body


def cases(key):
    """(name, request bytes, what ingestd answers, what streamd answers);
    None: no answer, the connection is closed (the request never ended)."""
    ping = f"/ping/{key}"
    chunk = b"8000\r\n" + b"x" * 0x8000 + b"\r\n"
    return [
        ("truncated request line", f"GET {ping}".encode(), None, None),
        ("truncated headers", f"GET {ping} HTTP/1.1\r\nHost: x\r\n".encode(), None, None),
        ("truncated body", req("POST", ping, ["Content-Length: 100"], b"short"), None, None),
        ("truncated chunked body", req("POST", ping, ["Transfer-Encoding: chunked"],
                                       b"5\r\nhel"), None, None),
        ("bad chunk size", req("POST", ping, ["Transfer-Encoding: chunked"],
                               b"zz\r\nhello\r\n0\r\n\r\n"), 400, 400),
        ("negative Content-Length", req("POST", ping, ["Content-Length: -1"]), 400, 400),
        ("body over LOOM_BODY_MAX", req("POST", ping, [f"Content-Length: {BODY_MAX + 1}"],
                                        b"x" * (BODY_MAX + 1)), 413, 404),
        ("chunked body over LOOM_BODY_MAX", req("POST", ping, ["Transfer-Encoding: chunked"],
                                                chunk * 3 + b"0\r\n\r\n"), 413, 404),
        ("500 KB header", req("GET", ping, ["X-Big: " + "a" * 500_000]), 400, 400),
        ("300 headers", req("GET", ping, [f"X-{i}: y" for i in range(300)]), 400, 400),
        ("100 KB URL", req("GET", ping + "/" + "a" * 100_000), 404, 404),
        ("NUL in the method", req("G\0T", ping), 400, 400),
        ("NUL in the path", req("GET", ping + "\0"), 400, 400),
        ("unknown HTTP version", req("GET", ping, version="HTTP/9.9"), 400, 400),
        ("binary garbage", bytes(range(256)) * 16, 400, 400),
        ("HTTP/2 preface, then garbage", b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" +
         b"\x00\x00\x00\x04\x00\x00\x00\x00\x00" + b"\x00\xff\xff\x01\x05\x00\x00\x00\x01" +
         bytes(range(200)), "goaway", 400),
    ]


@pytest.mark.parametrize("n", range(len(cases("k"))), ids=[c[0] for c in cases("k")])
def test_a_malformed_request_is_refused_and_changes_nothing(loom, target, n):
    name, data, want_ingestd, want_streamd = cases(target["ping_key"])[n]
    for addr, want in ((loom.http_addr, want_ingestd), (loom.stream_addr, want_streamd)):
        status, out = raw(addr, data)
        if want == "goaway":
            # h2o speaks HTTP/2 with prior knowledge: its SETTINGS, then a GOAWAY frame.
            assert status is None and b"\x07\x00\x00\x00\x00\x00" in out, out[:100]
        else:
            assert status == want, (name, addr, out[:200])
        if want == 413:     # h2o's own refusal, with the API's JSON error
            assert b'"code":"body_too_large"' in out, out[:300]


def test_both_content_length_and_chunked_take_the_chunks_once(loom, target):
    # RFC 9112 6.3: Transfer-Encoding overrides Content-Length.  Smuggled
    # bytes after the chunked body must not become a second request.
    key = target["ping_key"]
    before = head(loom)
    status, out = raw(loom.http_addr, req("POST", f"/ping/{key}", [
        "Content-Length: 3", "Transfer-Encoding: chunked"], b"3\r\nabc\r\n0\r\n\r\n"))
    assert status == 200, out
    assert out.count(b"HTTP/1.1 ") == 1
    rows = loom.http().get("/api/crons/monitors/target/checkins").json()["checkins"]
    assert [c["output"] for c in rows] == ["abc"]
    assert head(loom) == before + 1
    target["recorded"] = 1


def test_a_slowloris_crowd_does_not_stop_anyone_else(loom, target):
    key = target["ping_key"]
    host, port = loom.http_addr.rsplit(":", 1)
    crowd = []
    try:
        for i in range(200):
            s = socket.create_connection((host, int(port)), timeout=5)
            # Headers or a body that never end: each waits for bytes that never come.
            s.sendall(req("POST", f"/ping/{key}", ["Content-Length: 10"], b"abc")
                      if i % 2 else f"GET /ping/{key} HTTP/1.1\r\nHost: x\r\nX-".encode())
            crowd.append(s)
        h = loom.http()
        assert h.get("/api/crons/monitors/target").status == 200
        stream = loom.sse()
        assert stream.status == 200
        stream.close()
    finally:
        for s in crowd:
            s.close()


def api(loom, method, path, body=None, content_type=None):
    headers = {"Authorization": "Bearer " + loom.admin_token}
    if content_type:
        headers["Content-Type"] = content_type
    return Http(loom.http_addr, None).request(method, path, body=body, headers=headers)


CHK = "chk_aaaaaaaaaaaaaaaaaaaaaaaaaa"
TOK = "tok_aaaaaaaaaaaaaaaaaaaaaaaaaa"
WRONG_METHODS = [
    # (method, path, Allow)
    ("PUT", "/ping/{key}", "GET, HEAD, POST"),
    ("DELETE", "/ping/{key}/start", "GET, HEAD, POST"),
    ("PATCH", "/ping/{key}/fail", "GET, HEAD, POST"),
    ("PUT", "/api/crons/monitors", "GET, POST"),
    ("DELETE", "/api/crons/monitors", "GET, POST"),
    ("POST", "/api/crons/monitors/target", "GET, PATCH, PUT, DELETE"),
    ("GET", "/api/crons/monitors/target/pause", "POST"),
    ("DELETE", "/api/crons/monitors/target/resume", "POST"),
    ("DELETE", "/api/crons/monitors/target/checkins", "GET, POST"),
    ("POST", "/api/crons/monitors/target/stats", "GET"),
    ("POST", f"/api/crons/checkins/{CHK}", "GET, PATCH"),
    ("DELETE", f"/api/crons/checkins/{CHK}", "GET, PATCH"),
    ("PATCH", "/api/crons/tokens", "GET, POST"),
    ("GET", f"/api/crons/tokens/{TOK}", "DELETE"),
    ("DELETE", "/api/crons/organization", "GET"),
    ("GET", "/api/crons/organizations", "POST"),
    ("POST", "/api/crons/stream", "GET, OPTIONS"),
    ("DELETE", "/api/crons/stream", "GET, OPTIONS"),
]


@pytest.mark.parametrize("method,path,allow", WRONG_METHODS,
                         ids=[f"{m} {p}" for m, p, _ in WRONG_METHODS])
def test_a_wrong_method_is_405_with_allow(loom, target, method, path, allow):
    r = api(loom, method, path.format(key=target["ping_key"]),
            body=b"{}" if method in ("POST", "PUT", "PATCH") else None,
            content_type="application/json")
    assert r.status == 405, r
    assert r.headers["allow"] == allow
    assert r.json()["error"]["code"] == "method_not_allowed"


@pytest.mark.parametrize("path", ["/nope", "/api/crons/nope", "/api/crons/monitors/a/b/c",
                                  "/api/crons/monitors/UPPER", "/ping", "/ping/"])
def test_an_unknown_path_is_404(loom, target, path):
    r = api(loom, "GET", path)
    assert r.status == 404, r


JSON_ROUTES = [
    ("POST", "/api/crons/monitors"),
    ("PATCH", "/api/crons/monitors/target"),
    ("PUT", "/api/crons/monitors/target"),
    ("POST", "/api/crons/monitors/target/checkins"),
    ("PATCH", f"/api/crons/checkins/{CHK}"),
    ("POST", "/api/crons/tokens"),
    ("POST", "/api/crons/organizations"),
]
VALID = {
    "/api/crons/monitors": {"slug": "new", "schedule": {"type": "interval", "minutes": 5}},
    "/api/crons/monitors/target": {"name": "renamed"},
    "/api/crons/monitors/target/checkins": {"status": "ok"},
    f"/api/crons/checkins/{CHK}": {"status": "ok"},
    "/api/crons/tokens": {"name": "t", "scopes": ["read"]},
    "/api/crons/organizations": {"name": "other"},
}


@pytest.mark.parametrize("method,path", JSON_ROUTES, ids=[f"{m} {p}" for m, p in JSON_ROUTES])
def test_a_json_route_refuses_other_bodies(loom, target, method, path):
    valid = json.dumps(VALID[path]).encode()
    for content_type, body, status, code in [
        ("text/plain", valid, 415, "unsupported_media_type"),
        ("application/x-www-form-urlencoded", b"slug=new", 415, "unsupported_media_type"),
        ("multipart/form-data; boundary=x", b"--x--", 415, "unsupported_media_type"),
        ("application/jsonx", valid, 415, "unsupported_media_type"),
        ("application/json", b"{\"slug\": ", 400, None),
        ("application/json", b"", 400, None),
        ("application/json", b"[1, 2]", 400, None),
        ("application/json", b"\xff\xfe{}", 400, None),
    ]:
        r = api(loom, method, path, body=body, content_type=content_type)
        assert r.status == status, (content_type, body[:40], r)
        err = r.json()["error"]
        if code:
            assert err["code"] == code, err
        assert err["message"]
    # Past LOOM_BODY_MAX (here equal to the API's 64 KiB) h2o itself refuses
    # the body, before ingestd sees the request, with the same JSON error.
    r = api(loom, method, path, body=b"{\"a\": \"" + b"x" * 70_000 + b"\"}",
            content_type="application/json")
    assert r.status == 413 and r.json()["error"]["code"] == "body_too_large", r


def test_garbage_tokens_are_401(loom, target):
    for value in ["Bearer", "Bearer ", "Basic dXNlcjpwYXNz", "Bearer " + "a" * 10_000,
                  "Bearer loom_\x01\x02", "bearer  " + loom.admin_token + "x",
                  "Bearer " + loom.admin_token[:-1]]:
        r = Http(loom.http_addr, None).request("GET", "/api/crons/monitors",
                                               headers={"Authorization": value})
        assert r.status in (400, 401), (value[:30], r)
        status, _ = raw(loom.stream_addr, req("GET", "/api/crons/stream",
                                              ["Authorization: " + value]))
        assert status in (400, 401), value[:30]


def test_two_different_content_lengths_are_refused(loom, target):
    # A request-smuggling classic: which length would a proxy in front believe?
    status, out = raw(loom.http_addr, req("POST", f"/ping/{target['ping_key']}", [
        "Content-Length: 3", "Content-Length: 5"], b"abcde"))
    assert status == 400, out[:300]
    assert b'"field":"content-length"' in out, out[:300]


@pytest.mark.parametrize("number", ["1e300", "-1e300", "9.3e18", "1e19"])
def test_a_number_out_of_range_is_a_400_naming_its_field(loom, target, number):
    body = ('{"status": "ok", "duration_ms": %s}' % number).encode()
    status, out = raw(loom.http_addr, req("POST", "/api/crons/monitors/target/checkins", [
        f"Authorization: Bearer {loom.admin_token}", "Content-Type: application/json",
        f"Content-Length: {len(body)}", "Connection: close"], body))
    assert status == 400, out[:300]
    assert b'"field":"duration_ms"' in out, out[:300]
