"""streamd, black-box: the SSE stream of check-in and monitor events.

Clients use the public address (ingestd proxies /api/crons/stream to
streamd) unless a test is about streamd itself; events come from real
pings over HTTP and, where a test needs them, from storaged's wire.
"""

import json
import os
import re
import socket
import threading
import time

import msgpack
import pytest
import zmq

from loomtest import Http, Loom, Relay, wait_for

WITHOUT_SCHEDD = ["storaged", "streamd", "ingestd"]
PUBLIC = {"checkin.started", "checkin.ok", "checkin.error", "monitor.missed",
          "monitor.timeout", "monitor.healthy"}
STREAM = "/api/crons/stream"
DOCS_STREAM = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "docs",
                           "stream.md")


# --- helpers ---

def api_ready(system):
    """ingestd's /healthz does not wait for its storaged connection: wait for the API."""
    h = Http(system.http_addr, system.admin_token)
    wait_for("ingestd to reach storaged",
             lambda: h.get("/api/crons/organization").status == 200, interval=0.02)
    h.close()
    return system


@pytest.fixture
def loom(loom):
    return api_ready(loom)


@pytest.fixture
def make_loom(request):
    """Starts systems with extra environment; stops them (exit 0 within 5 s) after the test."""
    systems = []

    def make(env=None, testhooks=False, streamd_env=None, before_start=None, daemons=None):
        system = Loom(env=env, testhooks=testhooks, daemons=daemons)
        if streamd_env is not None:
            system.daemons["streamd"].env = {**system.env, **streamd_env(system)}
        systems.append(system)
        if before_start is not None:
            before_start(system)
        system.start()
        return api_ready(system)

    yield make
    rep = getattr(request.node, "rep_call", None)
    bad = {}
    for system in systems:
        codes = system.stop()
        if rep is not None and rep.failed:
            print(system.logs())
        bad.update({n: c for n, c in codes.items() if c != 0})
        system.cleanup()
    if bad:
        pytest.fail(f"daemons did not stop cleanly on SIGTERM (exit codes): {bad}")


def create_monitor(http, slug, **fields):
    r = http.post("/api/crons/monitors", {
        "slug": slug, "schedule": {"type": "interval", "value": 1, "unit": "hour"}, **fields})
    assert r.status == 201, r
    return r.json()["monitor"]


def ping(key, loom, suffix=""):
    """A ping over HTTP, as a job would send it; returns the send time."""
    sent = time.monotonic()
    r = Http(loom.http_addr, None).get(f"/ping/{key}{suffix}")
    assert r.status == 200, r
    return sent


def open_stream(loom, path=STREAM, token=..., headers=None, addr=None):
    """An SSE client, once streamd has answered 200 (retry hint read)."""
    s = loom.sse(path, token=token, headers=headers, addr=addr)
    assert s.status == 200, (s.status, s.buf)
    return s


def data(ev):
    return json.loads(ev["data"])


def public_seqs(loom, after, org=None):
    """The sequence numbers of streamable events after `after`, from storaged's log."""
    w = loom.wire()
    seqs, cursor = [], after
    while True:
        fields = {"after": cursor, "limit": 1000}
        if org:
            fields["org"] = org
        reply = w.ok("events.after", **fields)
        seqs += [e["seq"] for e in reply["events"] if e["type"] in PUBLIC]
        if reply["last"] >= reply["head"]:
            w.close()
            return seqs
        cursor = reply["last"]


def read_until(stream, last_id, timeout=5.0):
    """Events until the one with id last_id (included)."""
    got = []
    deadline = time.monotonic() + timeout
    while not got or got[-1].get("id") != str(last_id):
        got.append(stream.next_event(timeout=max(0.01, deadline - time.monotonic())))
    return got


def ids(events):
    return [int(e["id"]) for e in events if "id" in e]


def head(loom):
    w = loom.wire()
    try:
        return w.ok("ping")["seq"]
    finally:
        w.close()


# --- delivery ---

def test_pings_reach_a_client_of_the_public_url_within_a_second(loom):
    http = loom.http()
    mon = create_monitor(http, "nightly", name="Nightly backup")
    s = open_stream(loom)
    assert s.headers["content-type"].startswith("text/event-stream")
    assert s.headers["cache-control"] == "no-cache"
    assert s.headers["access-control-allow-origin"] == "*"

    sent = ping(mon["ping_key"], loom, "/start")
    started = s.next_event(timeout=1)
    started_after = time.monotonic() - sent
    sent = ping(mon["ping_key"], loom)
    ok = s.next_event(timeout=1)
    ok_after = time.monotonic() - sent
    assert started_after < 1.0 and ok_after < 1.0, (started_after, ok_after)
    assert s.retry == 2000          # the hint came first

    assert started["event"] == "checkin.started"
    assert ok["event"] == "checkin.ok"
    assert int(ok["id"]) > int(started["id"])
    d = data(ok)
    assert d["type"] == "checkin.ok" and d["seq"] == int(ok["id"])
    assert d["monitor"] == {"id": mon["id"], "slug": "nightly", "name": "Nightly backup"}
    assert d["time"].endswith("Z")
    ck = d["checkin"]
    assert ck["id"] == data(started)["checkin"]["id"]      # the finish completed the run
    assert ck["status"] == "ok" and ck["source"] == "ping"
    assert ck["finished_at"] is not None and ck["duration_ms"] is not None
    assert "output" not in ck and ck["output_truncated"] is False
    assert d["old_health"] == "unknown" and d["new_health"] == "healthy"
    # The same check-in as the API shows it, output aside.
    listed = http.get("/api/crons/monitors/nightly/checkins").json()["checkins"][0]
    assert {k: v for k, v in listed.items() if k != "output"} == ck
    # docs/stream.md shows such a frame: the same members, in the same order.
    with open(DOCS_STREAM) as f:
        doc = json.loads(re.search(r"^    data: (\{\"type\":\"checkin.ok\".*)$", f.read(),
                                   re.M).group(1))
    assert list(d) == list(doc) and list(ck) == list(doc["checkin"])


class EventSource:
    """The spec's listener in Python: handlers added per event type get the
    parsed data, as `JSON.parse(event.data)` gives it to a browser's."""

    def __init__(self, stream):
        self.stream = stream
        self.listeners = {}

    def add_event_listener(self, type, handler):
        self.listeners.setdefault(type, []).append(handler)

    def until(self, type, timeout=10.0):
        """Dispatches events until one of this type; returns its data."""
        deadline = time.monotonic() + timeout
        while True:
            ev = self.stream.next_event(timeout=max(0.01, deadline - time.monotonic()))
            parsed = json.loads(ev["data"])
            for handler in self.listeners.get(ev.get("event"), []):
                handler(parsed)
            if ev.get("event") == type:
                return parsed


def test_every_event_carries_the_flat_fields_the_specs_listener_reads(loom_clock):
    loom = api_ready(loom_clock)
    http, anon = loom.http(), Http(loom.http_addr, None)
    mon = create_monitor(http, "daily-cleanup", name="Daily Cleanup Job",
                         schedule={"type": "interval", "minutes": 10},
                         checkin_margin_minutes=1, max_runtime_minutes=1,
                         environments=["production"])
    key = mon["ping_key"]
    es = EventSource(open_stream(loom))
    said, seen = [], []
    # The spec's example, word for word but for the language.
    es.add_event_listener("monitor.missed", lambda data: said.append(
        f"Monitor {data['monitor_name']} missed check-in!"))
    for type in PUBLIC:
        es.add_event_listener(type, lambda data, type=type: seen.append((type, data)))

    start = anon.get(f"/ping/{key}/start?env=production").json()["checkin_id"]
    started = es.until("checkin.started")
    assert (started["checkin_id"], started["status"]) == (start, "in_progress")
    assert started["environment"] == "production" and started["expected_at"] is None

    loom.advance(90)                                    # past the 1-minute max runtime
    timeout = es.until("monitor.timeout", timeout=15)
    assert (timeout["checkin_id"], timeout["status"]) == (start, "timeout")

    anon.get(f"/ping/{key}/start?env=production")
    anon.get(f"/ping/{key}?env=production")
    healthy = es.until("monitor.healthy")
    assert healthy["status"] == "ok" and healthy["environment"] == "production"
    assert healthy["checkin_id"] == seen[-2][1]["checkin_id"]       # checkin.ok's run

    r = http.post("/api/crons/monitors/daily-cleanup/checkins", {
        "status": "error", "environment": "production", "crash_event_id": "4f1c9a"})
    assert r.status == 201, r
    error = es.until("checkin.error")
    assert (error["checkin_id"], error["status"]) == (r.json()["id"], "error")
    assert error["crash_event_id"] == "4f1c9a"

    expected = http.get("/api/crons/monitors/daily-cleanup").json()["monitor"]["next_expected_at"]
    loom.advance(12 * 60)                               # past the next run and its margin
    missed = es.until("monitor.missed", timeout=15)
    assert missed["status"] == "missed" and missed["expected_at"] == expected
    assert missed["environment"] is None and missed["crash_event_id"] is None
    assert said == ["Monitor Daily Cleanup Job missed check-in!"]

    assert [t for t, _ in seen] == ["checkin.started", "monitor.timeout", "checkin.started",
                                    "checkin.ok", "monitor.healthy", "checkin.error",
                                    "monitor.missed"]
    for type, d in seen:
        assert (d["monitor_id"], d["monitor_slug"], d["monitor_name"]) == \
            (mon["id"], "daily-cleanup", "Daily Cleanup Job"), type
        assert d["tracked"] is True, type
        # The flat fields repeat the nested objects, which stay.
        assert d["monitor"] == {"id": mon["id"], "slug": "daily-cleanup",
                                "name": "Daily Cleanup Job"}
        for flat, nested in (("checkin_id", "id"), ("status", "status"),
                             ("environment", "environment"), ("expected_at", "expected_at"),
                             ("crash_event_id", "crash_event_id"), ("tracked", "tracked")):
            assert d[flat] == d["checkin"][nested], (type, flat)


def until_checkin_error_of(stream, mon, timeout=5.0):
    """Events (parsed data) up to mon's next checkin.error, which ends the list."""
    got = []
    deadline = time.monotonic() + timeout
    while not got or got[-1]["type"] != "checkin.error" or got[-1]["monitor_id"] != mon["id"]:
        got.append(data(stream.next_event(timeout=max(0.01, deadline - time.monotonic()))))
    return got


def test_a_paused_monitor_records_checkins_and_streams_no_alert(loom):
    http = loom.http()
    quiet = create_monitor(http, "quiet")
    assert http.post("/api/crons/monitors/quiet/pause").json()["monitor"]["status"] == "paused"
    marker = create_monitor(http, "marker")
    s = open_stream(loom)
    for suffix in ("/start", "/fail", "/start", ""):
        ping(quiet["ping_key"], loom, suffix)
    ping(marker["ping_key"], loom, "/fail")        # streamed after all of quiet's

    got = until_checkin_error_of(s, marker)
    assert [(d["type"], d["status"]) for d in got if d["monitor_slug"] == "quiet"] == \
        [("checkin.started", "in_progress"), ("checkin.started", "in_progress"),
         ("checkin.ok", "ok")]
    recorded = http.get("/api/crons/monitors/quiet/checkins").json()["checkins"]
    assert [c["status"] for c in recorded] == ["ok", "error"]       # newest first
    assert http.get("/api/crons/monitors/quiet").json()["monitor"]["health"] == "unknown"
    assert "checkin.error" not in [e["type"] for e in loom.wire().events()[0]
                                   if e["monitor"]["id"] == quiet["id"]]


def test_another_environments_checkins_stream_untracked_and_never_alert(loom):
    http = loom.http()
    mon = create_monitor(http, "prod-only", environments=["production"])
    marker = create_monitor(http, "marker")
    s = open_stream(loom)
    for suffix in ("/start?env=staging", "/fail?env=staging", "?env=staging"):
        ping(mon["ping_key"], loom, suffix)
    ping(marker["ping_key"], loom, "/fail")

    got = [d for d in until_checkin_error_of(s, marker) if d["monitor_slug"] == "prod-only"]
    assert [(d["type"], d["environment"], d["tracked"], d["checkin"]["tracked"])
            for d in got] == [("checkin.started", "staging", False, False),
                              ("checkin.ok", "staging", False, False)]
    assert all(d["old_health"] == d["new_health"] == "unknown" for d in got)


def test_streamd_serves_directly_with_healthz(loom):
    assert Http(loom.stream_addr, None).get("/healthz").status == 200
    mon = create_monitor(loom.http(), "direct")
    s = open_stream(loom, addr=loom.stream_addr)
    sent = ping(mon["ping_key"], loom, "/fail")
    ev = s.next_event(timeout=1)
    assert time.monotonic() - sent < 1.0
    assert ev["event"] == "checkin.error"
    assert data(ev)["checkin"]["status"] == "error"
    r = Http(loom.stream_addr, None).get("/nope")
    assert r.status == 404 and r.json()["error"]["code"] == "not_found"
    r = Http(loom.stream_addr, loom.admin_token).post(STREAM, {})
    assert r.status == 405 and r.headers["allow"] == "GET, OPTIONS"


def test_a_browser_preflight_is_answered_on_the_public_url_too(loom):
    """EventSource sends no preflight, but a fetch() with an Authorization
    header does: ingestd hands every method to streamd, which answers."""
    for addr in (loom.http_addr, loom.stream_addr):
        r = Http(addr, None).request("OPTIONS", STREAM, headers={
            "Origin": "https://dash.example", "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "authorization, last-event-id"})
        assert r.status == 204, (addr, r)
        assert r.headers["access-control-allow-origin"] == "*"
        assert r.headers["access-control-allow-methods"] == "GET, OPTIONS"
        assert "Last-Event-ID" in r.headers["access-control-allow-headers"]
        r = Http(addr, loom.admin_token).request("DELETE", STREAM)
        assert r.status == 405 and r.headers["allow"] == "GET, OPTIONS", (addr, r)
        assert r.json()["error"]["code"] == "method_not_allowed"


def test_a_client_without_an_id_starts_live(loom):
    mon = create_monitor(loom.http(), "live")
    ping(mon["ping_key"], loom, "/start")
    ping(mon["ping_key"], loom)
    s = open_stream(loom)
    ping(mon["ping_key"], loom, "/fail")
    ev = s.next_event(timeout=2)
    assert ev["event"] == "checkin.error"     # nothing from before the connection
    assert int(ev["id"]) == head(loom)


def test_heartbeat_comments_keep_an_idle_stream_alive(make_loom):
    loom = make_loom(env={"LOOM_SSE_HEARTBEAT": "200ms", "LOOM_SSE_RETRY": "750ms"})
    s = open_stream(loom)
    with pytest.raises(TimeoutError):
        s.next_event(timeout=1.0)
    assert s.retry == 750
    assert s.comments.count(": heartbeat") >= 3, s.comments


# --- resume ---

def test_resume_after_a_disconnect_gets_exactly_the_missed_events(loom):
    http = loom.http()
    mon = create_monitor(http, "resume")
    key = mon["ping_key"]
    ref = open_stream(loom)             # stays connected throughout
    a = open_stream(loom)
    ping(key, loom, "/start")
    ping(key, loom)
    seen = [a.next_event(timeout=2), a.next_event(timeout=2)]
    last = int(seen[-1]["id"])
    a.close()

    for suffix in ("/start", "/fail", "", "/start", "/3", "/log", ""):
        ping(key, loom, suffix)
    create_monitor(http, "internal-events-too")     # monitor.created is not streamed

    # Resume while more pings keep coming: the replay hands over to live.
    stop = threading.Event()

    def pinger():
        while not stop.is_set():
            ping(key, loom, "/start")
            ping(key, loom, "/fail")

    t = threading.Thread(target=pinger)
    t.start()
    try:
        b = open_stream(loom, headers={"Last-Event-ID": str(last)})
        time.sleep(0.3)     # let the pinger overlap the replay (not a synchronisation)
    finally:
        stop.set()
        t.join()
    final = head(loom)
    want = [s for s in public_seqs(loom, last)]
    got = read_until(b, want[-1])
    reference = [s for s in ids(read_until(ref, want[-1])) if s > last]
    assert ids(got) == want == reference     # no gap, no duplicate, in order
    assert want[-1] <= final

    # And it is live from there: the next event follows at once.
    ping(key, loom)
    nxt = b.next_event(timeout=1)
    assert int(nxt["id"]) == public_seqs(loom, want[-1])[0]


def test_last_event_id_query_parameter_for_clients_without_headers(loom):
    mon = create_monitor(loom.http(), "query")
    ping(mon["ping_key"], loom, "/start")
    first = head(loom)
    ping(mon["ping_key"], loom)
    ping(mon["ping_key"], loom, "/fail")
    s = open_stream(loom, f"{STREAM}?last_event_id={first - 1}")
    got = read_until(s, head(loom))
    assert ids(got) == public_seqs(loom, first - 1)
    assert [e["event"] for e in got] == ["checkin.started", "checkin.ok", "checkin.error"]
    # The header wins over the query: a reconnecting EventSource sends both.
    t = open_stream(loom, f"{STREAM}?last_event_id=0", headers={"Last-Event-ID": str(first)})
    assert ids(read_until(t, head(loom))) == public_seqs(loom, first)


def test_reset_frame_when_the_id_is_older_than_the_log(make_loom):
    # storaged trims the log 5 s after start, then every LOOM_RETENTION_PERIOD.
    # No schedd: two days later it would add missed runs to the log.
    loom = make_loom(testhooks=True, env={"LOOM_RETENTION_DAYS": "1",
                                          "LOOM_RETENTION_PERIOD": "200ms"},
                     daemons=WITHOUT_SCHEDD)
    mon = create_monitor(loom.http(), "old")
    ping(mon["ping_key"], loom, "/start")
    ping(mon["ping_key"], loom)
    old_last = head(loom)
    loom.advance(2 * 86400)
    ping(mon["ping_key"], loom, "/fail")      # two days later
    kept = head(loom)
    w = loom.wire()
    first = wait_for("retention to trim the log",
                     lambda: w.ok("events.after", after=0, limit=1)["first"] == kept and kept,
                     timeout=20)
    w.close()
    assert first > 2

    s = open_stream(loom, headers={"Last-Event-ID": "1"})
    reset = s.next_event(timeout=2)
    assert reset["event"] == "reset" and "id" not in reset
    why = data(reset)
    assert why["reason"] == "expired" and why["last_event_id"] == 1
    assert why["first_available"] == first and why["resumes_at"] == first
    ev = s.next_event(timeout=2)
    assert int(ev["id"]) == kept and ev["event"] == "checkin.error"
    assert old_last < kept

    # An id the log has not reached yet: reset, then live.
    u = open_stream(loom, f"{STREAM}?last_event_id={kept + 1000}")
    reset = u.next_event(timeout=2)
    assert reset["event"] == "reset" and data(reset)["reason"] == "unknown"
    ping(mon["ping_key"], loom, "/fail")
    assert int(u.next_event(timeout=2)["id"]) == head(loom)


def test_the_largest_event_id_resets_to_the_head_and_comes_back_as_sent(loom):
    """An id past the head, up to 2^64 - 1, is a reset to the head (as a
    browser's EventSource that reconnects to a new database needs), and
    the reset frame repeats it exactly; one digit more is a 400."""
    mon = create_monitor(loom.http(), "huge-id")
    ping(mon["ping_key"], loom, "/start")
    top = 2**64 - 1
    for path, headers in [(STREAM, {"Last-Event-ID": str(top)}),
                          (f"{STREAM}?last_event_id={top}", None)]:
        s = open_stream(loom, path, headers=headers)
        reset = s.next_event(timeout=2)
        why = data(reset)
        assert reset["event"] == "reset" and why["reason"] == "unknown", why
        assert why["last_event_id"] == top and why["resumes_at"] == head(loom) + 1, why
        ping(mon["ping_key"], loom)
        assert int(s.next_event(timeout=2)["id"]) == head(loom)
        s.close()
    h = Http(loom.http_addr, loom.admin_token)
    r = h.get(f"{STREAM}?last_event_id={top + 1}")
    assert r.status == 400 and r.json()["error"]["field"] == "last_event_id", r
    r = h.get(STREAM, headers={"Last-Event-ID": str(top + 1)})
    assert r.status == 400 and r.json()["error"]["field"] == "Last-Event-ID", r


# --- filters ---

def test_monitor_and_event_filters(make_loom):
    # The test judges beta's missed run itself, as schedd would (schedd,
    # when built, would judge alpha's too once the clock moves).
    loom = make_loom(testhooks=True, daemons=WITHOUT_SCHEDD)
    http = loom.http()
    a = create_monitor(http, "alpha")
    b = create_monitor(http, "beta")
    only_a = open_stream(loom, f"{STREAM}?monitor=alpha")
    both = open_stream(loom, f"{STREAM}?monitor=beta,alpha,beta")
    failures = open_stream(loom, f"{STREAM}?events=checkin.error,monitor.healthy")
    misses = open_stream(loom, f"{STREAM}?events=monitor.missed,monitor.timeout&monitor=beta")

    ping(b["ping_key"], loom, "/start")
    ping(a["ping_key"], loom, "/fail")
    ping(a["ping_key"], loom)           # recovery: checkin.ok + monitor.healthy
    ping(b["ping_key"], loom)
    # A missed run of beta, judged as schedd would.
    w = loom.wire()
    org = w.ok("token.verify", token=loom.admin_token)["org"]
    expected = w.ok("monitor.get", org=org, slug="beta")["monitor"]["next_expected_at"]
    loom.advance(2 * 3600)
    assert w.ok("verdict.missed", monitor_id=b["id"], expected_at=expected)["applied"]
    w.close()

    def kinds(stream, n):
        got = [stream.next_event(timeout=2) for _ in range(n)]
        with pytest.raises(TimeoutError):
            stream.next_event(timeout=0.3)          # and nothing else
        return [(e["event"], data(e)["monitor"]["slug"]) for e in got]

    assert kinds(only_a, 3) == [("checkin.error", "alpha"), ("checkin.ok", "alpha"),
                                ("monitor.healthy", "alpha")]
    assert kinds(both, 6) == [("checkin.started", "beta"), ("checkin.error", "alpha"),
                              ("checkin.ok", "alpha"), ("monitor.healthy", "alpha"),
                              ("checkin.ok", "beta"), ("monitor.missed", "beta")]
    assert kinds(failures, 2) == [("checkin.error", "alpha"), ("monitor.healthy", "alpha")]
    assert kinds(misses, 1) == [("monitor.missed", "beta")]


def test_filter_errors_name_the_field(loom):
    h = Http(loom.http_addr, loom.admin_token)
    for query, field in [("events=monitor.created", "events"), ("events=bogus", "events"),
                         ("events=", "events"), ("monitor=Not_A_Slug", "monitor"),
                         ("monitor=a,,b", "monitor"), ("last_event_id=ten", "last_event_id")]:
        r = h.get(f"{STREAM}?{query}")
        assert r.status == 400, (query, r)
        err = r.json()["error"]
        assert err["code"] == "invalid_field" and err["field"] == field and err["message"]
    r = h.get(STREAM, headers={"Last-Event-ID": "x1"})
    assert r.status == 400 and r.json()["error"]["field"] == "Last-Event-ID"


# --- authorization ---

def test_no_or_bad_token_is_401_and_scopes_are_checked(loom):
    anon = Http(loom.http_addr, None)
    for headers in ({}, {"Authorization": "Basic abc"}, {"Authorization": "Bearer nope"}):
        r = anon.get(STREAM, headers=headers)
        assert r.status == 401, (headers, r)
        assert r.json() == {"error": {"code": "unauthorized", "message": r.json()["error"]
                                      ["message"], "field": "Authorization"}}
    r = anon.get(f"{STREAM}?access_token=nope")
    assert r.status == 401

    http = loom.http()
    r = http.post("/api/crons/tokens", {"name": "ci", "scopes": ["checkins"]})
    assert r.status == 201, r
    r = Http(loom.http_addr, r.json()["token"]).get(STREAM)
    assert r.status == 403 and r.json()["error"]["field"] == "Authorization"

    r = http.post("/api/crons/tokens", {"name": "dashboard", "scopes": ["read"]})
    reader = r.json()["token"]
    mon = create_monitor(http, "scoped")
    s = open_stream(loom, token=reader)
    q = open_stream(loom, f"{STREAM}?access_token={reader}", token=None)
    ping(mon["ping_key"], loom, "/start")
    assert s.next_event(timeout=1)["event"] == "checkin.started"
    assert q.next_event(timeout=1)["event"] == "checkin.started"


def test_an_organization_sees_only_its_own_events(loom):
    http = loom.http()
    r = http.post("/api/crons/organizations", {"name": "Other Co", "monitor_limit": 10})
    assert r.status == 201, r
    other_token = r.json()["token"]["token"]
    other = Http(loom.http_addr, other_token)
    mine = create_monitor(http, "shared-slug")
    theirs = create_monitor(other, "shared-slug")    # the same slug, another org

    me = open_stream(loom, f"{STREAM}?last_event_id=0")
    them = open_stream(loom, f"{STREAM}?last_event_id=0&monitor=shared-slug",
                       token=other_token)
    ping(mine["ping_key"], loom, "/start")
    ping(theirs["ping_key"], loom, "/fail")
    ping(mine["ping_key"], loom)
    end = head(loom)
    assert [data(e)["monitor"]["id"] for e in read_until(them, end - 1)] == [theirs["id"]]
    got = read_until(me, end)
    assert {data(e)["monitor"]["id"] for e in got} == {mine["id"]}
    assert len(got) == 2
    with pytest.raises(TimeoutError):
        them.next_event(timeout=0.3)


def ends_within(stream, seconds):
    """Reads until the stream ends (EOFError); the seconds that took."""
    started = time.monotonic()
    with pytest.raises(EOFError):
        while True:
            left = seconds - (time.monotonic() - started)
            assert left > 0, f"the stream still runs after {seconds} s"
            try:
                stream.next_event(timeout=left)
            except TimeoutError:
                pass
    return time.monotonic() - started


def test_revoking_a_token_ends_its_streams_within_one_heartbeat(make_loom):
    beat = 0.5
    loom = make_loom(env={"LOOM_SSE_HEARTBEAT": f"{int(beat * 1000)}ms"})
    http = loom.http()
    mon = create_monitor(http, "revoked")
    r = http.post("/api/crons/tokens", {"name": "dashboard", "scopes": ["read"]})
    assert r.status == 201, r
    tok = r.json()
    direct = open_stream(loom, token=tok["token"], addr=loom.stream_addr)
    public = open_stream(loom, f"{STREAM}?access_token={tok['token']}", token=None)
    other = open_stream(loom)             # the admin token's stream goes on
    ping(mon["ping_key"], loom, "/start")
    for s in (direct, public, other):
        assert s.next_event(timeout=2)["event"] == "checkin.started"

    assert http.delete(f"/api/crons/tokens/{tok['id']}").status == 204
    for s in (direct, public):
        assert ends_within(s, beat + 1.0) <= beat + 1.0
    ping(mon["ping_key"], loom)
    assert other.next_event(timeout=2)["event"] == "checkin.ok"
    wait_for("streamd to say why", lambda: "its token was revoked" in
             loom.daemons["streamd"].log())
    # Reconnecting with it is refused, as an EventSource would find.
    r = Http(loom.http_addr, tok["token"]).get(STREAM)
    assert r.status == 401, r


def test_streams_per_organization_are_capped_and_vanished_clients_free_their_place(make_loom):
    beat = 0.3
    loom = make_loom(env={"LOOM_SSE_HEARTBEAT": f"{int(beat * 1000)}ms",
                          "LOOM_STREAMS_PER_ORG": "3"})
    http = loom.http()
    r = http.post("/api/crons/organizations", {"name": "Other Co", "monitor_limit": 10})
    assert r.status == 201, r
    other_token = r.json()["token"]["token"]
    mine = [open_stream(loom), open_stream(loom, addr=loom.stream_addr),
            open_stream(loom, f"{STREAM}?last_event_id=0")]
    for addr in (loom.http_addr, loom.stream_addr):
        r = Http(addr, loom.admin_token).get(STREAM)
        assert r.status == 429, r
        err = r.json()["error"]
        assert err["code"] == "too_many_streams" and "LOOM_STREAMS_PER_ORG=3" in err["message"]
        assert r.headers.get("retry-after") == "30", r.headers
    theirs = open_stream(loom, token=other_token)      # another organization has its own
    mon = create_monitor(http, "capped")
    ping(mon["ping_key"], loom, "/start")
    for s in mine:
        assert read_until(s, head(loom))[-1]["event"] == "checkin.started"

    # The clients vanish (their sockets close, nothing said): within a couple of
    # heartbeats every place is free again, through ingestd's relay as well.
    for s in mine:
        s.sock.close()
    started = time.monotonic()
    again = []

    def reopen():
        s = loom.sse(STREAM)
        if s.status == 200:
            again.append(s)
        else:
            s.close()
        return len(again) == 3
    wait_for("the vanished streams' places", reopen, timeout=3 * beat + 2.0, interval=0.05)
    assert time.monotonic() - started < 3 * beat + 2.0
    ping(mon["ping_key"], loom)
    for s in again:
        assert read_until(s, head(loom))[-1]["event"] == "checkin.ok"
    with pytest.raises(TimeoutError):
        theirs.next_event(timeout=0.2)


# --- slow clients ---

def test_a_slow_client_is_dropped_and_never_delays_a_fast_one(make_loom):
    loom = make_loom(env={"LOOM_SSE_BUFFER_MAX": "32K", "LOOM_SSE_SOCKET_BUFFER": "16K"})
    mon = create_monitor(loom.http(), "busy")
    fast = open_stream(loom, addr=loom.stream_addr)
    slow = socket.socket()
    slow.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)   # and never read
    host, port = loom.stream_addr.rsplit(":", 1)
    slow.connect((host, int(port)))
    slow.sendall((f"GET {STREAM} HTTP/1.1\r\nHost: x\r\n"
                  f"Authorization: Bearer {loom.admin_token}\r\n\r\n").encode())

    def dropped():
        return "dropping a stream" in loom.daemons["streamd"].log()

    http = Http(loom.http_addr, None)
    worst, n = 0.0, 0
    while not dropped():
        assert n < 5000, "the slow client was never dropped"
        sent = time.monotonic()
        assert http.get(f"/ping/{mon['ping_key']}").status == 200
        fast.next_event(timeout=1)
        worst = max(worst, time.monotonic() - sent)
        n += 1
    assert worst < 0.5, worst
    # The slow one got what was already on its way, then the end of the stream.
    slow.settimeout(5)
    received = b""
    while chunk := slow.recv(65536):
        received += chunk
    assert 0 < received.count(b"\nevent: checkin.ok\n") < n
    # The fast one goes on.
    sent = ping(mon["ping_key"], loom)
    fast.next_event(timeout=1)
    assert time.monotonic() - sent < 0.5


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError("no VmRSS")


def test_a_slow_client_of_the_public_url_is_bounded_by_streamd(make_loom):
    """ingestd relays the stream only as fast as the client reads: the backlog
    of a client that stops reading stays in streamd's bounded queue (and the
    kernel's bounded socket buffers), which ends the stream, instead of
    growing ingestd."""
    loom = make_loom(env={"LOOM_SSE_SOCKET_BUFFER": "16K",     # the default 1 MiB bound
                          "LOOM_SSE_HEARTBEAT": "1s"})  # notices it when the events stop
    mon = create_monitor(loom.http(), "hoarder")
    fast = open_stream(loom)                     # through the public URL too
    slow = socket.socket()
    slow.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)   # and never read
    host, port = loom.http_addr.rsplit(":", 1)
    slow.connect((host, int(port)))
    slow.sendall((f"GET {STREAM} HTTP/1.1\r\nHost: x\r\n"
                  f"Authorization: Bearer {loom.admin_token}\r\n\r\n").encode())
    ingestd = loom.daemons["ingestd"].proc.pid
    before = rss_kib(ingestd)
    w = loom.wire()
    # ~7 MB of frames for each client in steps the reading client keeps up
    # with: more than streamd's 1 MiB bound plus what the kernel keeps for the
    # slow socket (tcp_wmem: at most 4 MiB here).
    step, n = 250, 10000
    for first in range(0, n, step):
        for i in range(first, first + step):
            w.send_raw(b"checkin.record", msgpack.packb(
                {"v": 1, "rid": 1 + i, "key": mon["ping_key"], "kind": "ok",
                 "source": "ping"}))
        for _ in range(step):
            assert w.recv()[0] == "ok"
        got = 0
        while got < step:
            if fast.next_event(timeout=10)["event"] == "checkin.ok":
                got += 1
    w.close()
    wait_for("streamd to drop the relayed slow stream",
             lambda: "dropping a stream" in loom.daemons["streamd"].log())
    grown = rss_kib(ingestd) - before
    assert grown < 4096, f"ingestd grew by {grown} KiB"
    slow.settimeout(10)  # what was on its way, then the end
    received = b""
    while chunk := slow.recv(65536):
        received += chunk
    assert 0 < received.count(b"event: checkin.ok") < n


def test_a_burst_larger_than_the_buffer_reaches_a_reading_client(loom):
    mon = create_monitor(loom.http(), "burst")
    n = 4000            # ~2.8 MB of frames: more than LOOM_SSE_BUFFER_MAX (1 MiB)
    streams = [open_stream(loom, addr=loom.stream_addr), open_stream(loom)]
    got = [[], []]

    def read(i):        # clients that keep reading, as fast as Python does
        try:
            while len(got[i]) < n:
                got[i].append(int(streams[i].next_event(timeout=30)["id"]))
        except (EOFError, TimeoutError) as e:
            got[i].append(repr(e))

    readers = [threading.Thread(target=read, args=(i,)) for i in range(2)]
    for t in readers:
        t.start()
    w = loom.wire()
    w.sock.setsockopt(zmq.SNDTIMEO, 5000)   # fail, not hang, if storaged goes away
    for i in range(n):  # pipelined, so storaged commits and publishes them in big batches
        w.send_raw(b"checkin.record", msgpack.packb(
            {"v": 1, "rid": 1000 + i, "key": mon["ping_key"], "kind": "ok", "source": "ping"}))
    for _ in range(n):
        assert w.recv()[0] == "ok"
    w.close()
    for t in readers:
        t.join()
    want = public_seqs(loom, 0)
    assert len(want) == n
    assert got[0] == want and got[1] == want
    assert "dropping" not in loom.daemons["streamd"].log()


def test_a_client_slower_than_a_burst_catches_up_from_the_log(make_loom):
    # A burst thirteen times the client's buffer, read 4 KiB at a time: the
    # buffer overflows whatever the scheduler does, and the client, which
    # never stops reading, catches up from the log instead of being dropped.
    loom = make_loom(env={"LOOM_SSE_BUFFER_MAX": "32K", "LOOM_SSE_SOCKET_BUFFER": "16K"})
    mon = create_monitor(loom.http(), "trickle")
    n = 600             # ~420 KB of frames
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    host, port = loom.stream_addr.rsplit(":", 1)
    s.connect((host, int(port)))
    s.sendall((f"GET {STREAM} HTTP/1.1\r\nHost: x\r\n"
               f"Authorization: Bearer {loom.admin_token}\r\n\r\n").encode())
    received = s.recv(4096)
    assert received.startswith(b"HTTP/1.1 200 "), received
    w = loom.wire()
    for i in range(n):
        w.send_raw(b"checkin.record", msgpack.packb(
            {"v": 1, "rid": 1000 + i, "key": mon["ping_key"], "kind": "ok", "source": "ping"}))
    for _ in range(n):
        assert w.recv()[0] == "ok"
    w.close()
    want = public_seqs(loom, 0)
    assert len(want) == n
    s.settimeout(10)
    deadline = time.monotonic() + 60
    while received.count(b"\nid: ") < n and time.monotonic() < deadline:
        chunk = s.recv(4096)
        assert chunk, "streamd closed the stream"
        received += chunk
        time.sleep(0.002)   # a slow reader, by design
    s.close()
    got = [int(i) for i in re.findall(rb"\nid: (\d+)\n", received)]
    assert got == want
    assert "dropping" not in loom.daemons["streamd"].log()


# --- failures ---

def test_streamd_killed_and_restarted_loses_nothing_for_a_resuming_client(loom):
    mon = create_monitor(loom.http(), "crashy")
    key = mon["ping_key"]
    s = open_stream(loom)
    ping(key, loom, "/start")
    last = int(s.next_event(timeout=1)["id"])
    loom.kill("streamd")
    for suffix in ("", "/start", "/fail", ""):
        ping(key, loom, suffix)          # committed while streamd is down
    with pytest.raises(EOFError):
        s.next_event(timeout=2)
    loom.restart("streamd")
    ping(key, loom, "/start")            # and right after the restart
    r = open_stream(loom, headers={"Last-Event-ID": str(last)})
    want = public_seqs(loom, last)
    assert len(want) >= 6
    assert ids(read_until(r, want[-1])) == want
    ping(key, loom)
    assert int(r.next_event(timeout=1)["id"]) == head(loom)


def test_feed_gaps_are_repaired_from_the_log_and_bad_events_skipped(make_loom):
    relays = []
    loom = make_loom(streamd_env=lambda s: {"LOOM_STORAGED_PUB": f"ipc://{s.dir}/relay.pub"},
                     before_start=lambda s: relays.append(Relay(s, f"ipc://{s.dir}/relay.pub")))
    relay = relays[0]
    try:
        http = loom.http()
        n = iter(range(1000))
        # The relay's SUB joins asynchronously: publish until it carries something.
        wait_for("the relay to carry events", lambda: create_monitor(
            http, f"warm-{next(n)}") and relay.forwarded, interval=0.1)
        mon = create_monitor(http, "lossy")
        key = mon["ping_key"]
        s = open_stream(loom, addr=loom.stream_addr)

        ping(key, loom, "/start")
        relay.drop.add(head(loom) + 1)
        ping(key, loom)                      # PUB "drops" this one...
        ping(key, loom, "/fail")             # ...and this one reveals the gap
        got = read_until(s, head(loom))
        assert ids(got) == public_seqs(loom, int(got[0]["id"]) - 1)
        assert [e["event"] for e in got] == ["checkin.started", "checkin.ok", "checkin.error"]

        # Garbage on the feed is logged and skipped.
        relay.send_raw(b"checkin.ok", b"\xc1")
        relay.send_raw(b"checkin.ok", msgpack.packb({"v": 1, "seq": "x"}))
        relay.send_raw(b"checkin.ok")
        relay.send_raw(b"checkin.ok", msgpack.packb({"v": 9, "seq": 99999, "type": "checkin.ok"}))
        ping(key, loom, "/start")
        assert int(s.next_event(timeout=2)["id"]) == head(loom)
        wait_for("streamd to log the malformed events",
                 lambda: loom.daemons["streamd"].log().count("malformed") >= 3)

        # A lost tail (nothing after it to reveal the gap) arrives anyway.
        relay.drop.add(head(loom) + 1)
        ping(key, loom, "/fail")
        ev = s.next_event(timeout=5)
        assert int(ev["id"]) == head(loom) and ev["event"] == "checkin.error"
    finally:
        relay.close()


def test_sigterm_ends_streams_and_exits_0(loom):
    s = open_stream(loom, addr=loom.stream_addr)
    p = open_stream(loom)
    started = time.monotonic()
    assert loom.daemons["streamd"].stop() == 0
    assert time.monotonic() - started < 5
    for stream in (s, p):
        with pytest.raises(EOFError):
            stream.next_event(timeout=2)
