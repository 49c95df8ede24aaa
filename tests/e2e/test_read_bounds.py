"""Queries are bounded (issue 17, item 4): a page of check-ins examines at
most LOOM_READ_SCAN_MAX of them and ends with a cursor, and a query past
the readers' queue is answered 503 "busy" with Retry-After at once."""

import threading

import msgpack
import pytest

HOURLY = {"type": "interval", "value": 1, "unit": "hours"}


BATCH_MAX = 256         # PROTO_BATCH_MAX


def ping_many(loom, key, kinds):
    """Records one check-in per kind, oldest first, in wire messages of
    BATCH_MAX requests (a message may carry no more)."""
    w = loom.wire()
    for at in range(0, len(kinds), BATCH_MAX):
        frames = []
        for i, kind in enumerate(kinds[at:at + BATCH_MAX], start=at):
            frames += [b"checkin.record", msgpack.packb(
                {"v": 1, "rid": i + 1, "key": key, "kind": kind, "source": "ping"})]
        w.send_raw(*frames)
        reply = w.sock.recv_multipart()
        assert reply[0::2] == [b"ok"] * (len(frames) // 2)
    w.close()


def make_monitor(http, slug):
    r = http.post("/api/crons/monitors", {"name": slug, "slug": slug, "schedule": HOURLY})
    assert r.status == 201, r
    return r.json()["monitor"]["ping_key"]


@pytest.mark.env(LOOM_READ_SCAN_MAX="100")
def test_a_sparse_filter_pages_with_a_cursor_instead_of_scanning_everything(loom):
    http = loom.http()
    key = make_monitor(http, "sparse")
    ping_many(loom, key, ["error"] + ["ok"] * 250)   # the error is the oldest

    base = "/api/crons/monitors/sparse/checkins?limit=10&status=error"
    pages, cursor, found = 0, None, []
    while True:
        r = http.get(base + (f"&cursor={cursor}" if cursor else ""))
        assert r.status == 200, r
        body = r.json()
        pages += 1
        found += body["checkins"]
        cursor = body["next_cursor"]
        if cursor is None:
            break
        assert pages < 10
    # 251 check-ins, 100 examined per page: the error is on the third page.
    assert pages == 3
    assert [c["status"] for c in found] == ["error"]

    # Without a filter, pages of `limit` follow each other without gaps or repeats.
    seen, cursor = [], None
    while True:
        r = http.get("/api/crons/monitors/sparse/checkins?limit=60" +
                     (f"&cursor={cursor}" if cursor else ""))
        assert r.status == 200, r
        seen += [c["id"] for c in r.json()["checkins"]]
        cursor = r.json()["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == 251 and len(set(seen)) == 251
    everything = loom.http().get("/api/crons/monitors/sparse/checkins?limit=1000").json()
    assert [c["id"] for c in everything["checkins"]][:100] == seen[:100]


def test_a_bad_cursor_is_refused_naming_the_field(loom):
    http = loom.http()
    ping_many(loom, make_monitor(http, "one"), ["ok", "ok"])
    ping_many(loom, make_monitor(http, "two"), ["ok"])
    other = http.get("/api/crons/monitors/two/checkins").json()["checkins"][0]["id"]
    for cursor in ["nonsense", "mon_123", other]:
        r = http.get(f"/api/crons/monitors/one/checkins?cursor={cursor}")
        assert r.status == 400, (cursor, r)
        assert r.json()["error"]["field"] == "cursor", r


@pytest.mark.env(LOOM_READERS="1", LOOM_READ_ORG_QUEUE="1")
def test_queries_past_the_queue_are_busy_at_once_and_pings_still_pass(loom):
    http = loom.http()
    key = make_monitor(http, "busy")
    ping_many(loom, key, ["ok"] * 2000)
    statuses, lock = [], threading.Lock()

    def reader():
        h = loom.http()
        for _ in range(20):
            r = h.get("/api/crons/monitors/busy/stats?period=month")
            with lock:
                statuses.append((r.status, r.headers.get("retry-after"),
                                 r.json().get("error", {}).get("code")))

    threads = [threading.Thread(target=reader) for _ in range(8)]
    for t in threads:
        t.start()
    for _ in range(20):
        assert loom.http(token=None).post(f"/ping/{key}").status == 200
    for t in threads:
        t.join()
    busy = [s for s in statuses if s[0] == 503]
    assert busy, statuses
    assert all(s == (503, "1", "busy") for s in busy), busy
    assert {s[0] for s in statuses} <= {200, 503}
    assert any(s[0] == 200 for s in statuses)
