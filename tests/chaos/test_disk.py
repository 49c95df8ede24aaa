"""Disk trouble: a map that fills up, and a file system that does.

A full LMDB map is storaged's own business: it doubles the map and commits
the same batch again, so the pings see nothing but 200s.  A full file
system is not: a commit that cannot be written answers every request of
its batch 503 ("maybe not recorded") and keeps nothing of it; once there
is room again, pings are answered 200 again.  Throughout, storaged keeps
running and serving reads, and afterwards every ping answered 200 is
stored once and no ping answered 503 is stored at all.

The full file system is a small tmpfs mounted as LOOM_DATA_DIR (tests run
as root; without the right to mount, the test is skipped, except in CI).
"""

import os
import subprocess
import threading
import uuid

import pytest

from loomtest import Http, Loom, wait_for

BODY = 10 * 1024        # the most a ping stores: each check-in takes about 3 LMDB pages


def create_monitor(loom, slug):
    r = loom.http().post("/api/crons/monitors", json_body={
        "slug": slug, "schedule": {"type": "interval", "value": 1, "unit": "day"}})
    assert r.status == 201, r
    return r.json()["monitor"]["ping_key"]


def body(token, size):
    """A ping body of size bytes that starts with a unique token."""
    return (token + " " + "x" * size)[:size]


def stored_outputs(loom, slug):
    """The first word of each stored check-in's output, and the count of each."""
    r = loom.http().get(f"/api/crons/monitors/{slug}/checkins?limit=1000")
    assert r.status == 200, r
    rows = r.json()["checkins"]
    assert len(rows) < 1000, "the listing is complete"
    out = {}
    for c in rows:
        tok = (c.get("output") or "").split(" ", 1)[0]
        out[tok] = out.get(tok, 0) + 1
    return out


def event_seqs(loom):
    w = loom.wire()
    try:
        seqs, after = [], 0
        while True:
            page = w.ok("events.after", after=after, limit=10000)
            seqs += [e["seq"] for e in page["events"]]
            if page["last"] >= page["head"]:
                return seqs, page["head"]
            after = page["last"]
    finally:
        w.close()


class Pinger:
    """POSTs pings with bodies of `size` bytes from a few threads; records
    each token by answer.  Every request is sent once (no retries)."""

    def __init__(self, addr, key, size):
        self.addr, self.key, self.size = addr, key, size
        self.lock = threading.Lock()
        self.by_status = {}         # status -> [token]

    def send(self, conn):
        tok = f"tok-{uuid.uuid4()}"
        r = conn.request("POST", f"/ping/{self.key}", body=body(tok, self.size),
                         headers={"Content-Type": "text/plain"})
        with self.lock:
            self.by_status.setdefault(r.status, []).append(tok)
        return r

    def run(self, threads, each, stop=lambda: False):
        def worker():
            conn = Http(self.addr, None, timeout=30)
            for _ in range(each):
                if stop():
                    break
                self.send(conn)
            conn.close()
        ts = [threading.Thread(target=worker) for _ in range(threads)]
        for t in ts:
            t.start()
        for t in ts:
            t.join(120)
            assert not t.is_alive(), "a pinger hangs"

    def tokens(self, status):
        with self.lock:
            return list(self.by_status.get(status, []))


@pytest.mark.daemons("storaged", "ingestd")
@pytest.mark.env(LOOM_MAP_SIZE="1M")
def test_a_map_that_fills_up_grows_and_every_ping_is_stored(loom):
    key = create_monitor(loom, "growing")
    p = Pinger(loom.http_addr, key, 8 * 1024)
    p.run(threads=4, each=100)          # 3.2 MB of output into a 1 MiB map
    assert set(p.by_status) == {200}, {s: len(t) for s, t in p.by_status.items()}
    log = loom.daemons["storaged"].log()
    assert "lmdb: map grown from 1 to 2 MiB" in log
    assert "lmdb: map grown from 2 to 4 MiB" in log
    assert "not committed" not in log
    assert "commits work again" not in log
    stored = stored_outputs(loom, "growing")
    assert all(stored.get(t) == 1 for t in p.tokens(200)), "a 200 not stored once"
    assert len(stored) == 400
    seqs, head = event_seqs(loom)
    assert seqs == list(range(1, head + 1))


@pytest.fixture
def small_disk():
    """A Loom whose LOOM_DATA_DIR is an 8 MiB tmpfs, not started yet."""
    loom = Loom()
    os.makedirs(loom.data_dir)
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=8m,mode=0700", "tmpfs",
                        loom.data_dir], capture_output=True, text=True)
    if r.returncode != 0:
        loom.cleanup()
        msg = f"cannot mount a tmpfs: {r.stderr.strip()}"
        if os.environ.get("CI"):
            pytest.fail(msg)
        pytest.skip(msg + " (needs root; in CI this fails)")
    try:
        yield loom
        codes = loom.stop()
        assert codes == {n: 0 for n in loom.daemons}, f"{codes}\n{loom.logs()}"
    finally:
        loom.stop()
        subprocess.run(["umount", loom.data_dir], check=True)
        loom.cleanup()


def test_a_full_file_system_gets_503s_not_lies_and_recovers(small_disk):
    loom = small_disk
    filler = os.path.join(loom.data_dir, "filler")
    with open(filler, "wb") as f:       # room we can give back later
        f.write(b"\0" * (2 << 20))
    loom.start()
    storaged = loom.daemons["storaged"]
    key = create_monitor(loom, "full")
    http = loom.http()
    p = Pinger(loom.http_addr, key, BODY)

    # Fill it: about 6 MiB of room, 12 KiB or so per ping.  Stop once 503s
    # keep coming; 2,000 pings would be four times what fits.
    def full():
        return len(p.tokens(503)) >= 40
    p.run(threads=4, each=500, stop=full)
    assert full(), f"never full: {[(s, len(t)) for s, t in p.by_status.items()]}"
    assert set(p.by_status) == {200, 503}, {s: len(t) for s, t in p.by_status.items()}
    assert len(p.tokens(200)) > 300
    # The line says why, even where LMDB reports a short write as EIO.
    log = storaged.log()
    lines = [l for l in log.splitlines() if "not committed" in l]
    assert lines, log
    assert all(f"{loom.data_dir} has " in l and "(full?)" in l for l in lines), lines
    assert len(lines) <= 5, "at most one line a second"
    # storaged still runs and serves what it has, and ingestd says so.
    assert storaged.running(), log[-2000:]
    assert http.get("/api/crons/monitors/full").status == 200
    w = loom.wire()
    assert w.ok("ping")["daemon"] == "storaged"
    w.close()
    r = p.send(Http(loom.http_addr, None))
    assert r.status == 503 and "maybe not recorded" in r.text, r

    # Room again: pings are answered 200 once more.
    os.unlink(filler)
    wait_for("a ping to be answered 200 again",
             lambda: p.send(Http(loom.http_addr, None)).status == 200, timeout=15)
    before = len(p.tokens(200))
    p.run(threads=2, each=20)
    assert len(p.tokens(200)) == before + 40, {s: len(t) for s, t in p.by_status.items()}
    assert "lmdb: commits work again, after " in storaged.log()

    # Every 200 is stored once; no 503 is stored at all; the log has no gap.
    stored = stored_outputs(loom, "full")
    acked, refused = p.tokens(200), p.tokens(503)
    assert [t for t in acked if stored.get(t) != 1] == []
    assert [t for t in refused if t in stored] == []
    assert sum(stored.values()) == len(acked)
    seqs, head = event_seqs(loom)
    assert seqs == list(range(1, head + 1))
    assert storaged.running()
