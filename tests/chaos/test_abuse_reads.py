"""Issue 17, item 4: expensive reads must not take the writer away from others.

An organization with a long history (tens of thousands of check-ins on one
monitor) runs 8, then 40, concurrent clients that each list its missed
check-ins (a filter that matches nothing, so the old storaged scanned every
check-in) and ask for a month of stats, back to back.  Another
organization's pings must hold (abuse.py), storaged's memory stays
bounded, and no acknowledged ping is lost.
"""

import http.client
import threading
import time

import msgpack
import pytest

from abuse import Attack, Victim, assert_rss_below

HISTORY = 60000         # check-ins of the attacked monitor
PAIRS = 256             # requests per wire message while building it


def build_history(loom, http, slug="history", n=HISTORY):
    """A monitor with n finished check-ins, sent straight to storaged in
    batches of PAIRS request pairs per message (seconds, not minutes)."""
    r = http.post("/api/crons/monitors", {
        "name": slug, "slug": slug,
        "schedule": {"type": "interval", "value": 1, "unit": "day"}})
    assert r.status == 201, r
    key = r.json()["monitor"]["ping_key"]
    w = loom.wire()
    w.sock.setsockopt(__import__("zmq").RCVTIMEO, 30000)
    sent = 0
    rid = 1000
    while sent < n:
        frames = []
        for _ in range(min(PAIRS, n - sent)):
            rid += 1
            frames += [b"checkin.record", msgpack.packb(
                {"v": 1, "rid": rid, "key": key, "kind": "ok", "source": "ping"})]
        w.send_raw(*frames)
        reply = w.sock.recv_multipart()
        names = reply[0::2]
        assert all(x == b"ok" for x in names), msgpack.unpackb(reply[1])
        sent += len(names)
    w.close()
    return slug


def reader_clients(stop, tally, addr, token, slug, clients):
    """`clients` threads, each alternating the two expensive reads."""
    paths = [f"/api/crons/monitors/{slug}/checkins?limit=1000&status=missed",
             f"/api/crons/monitors/{slug}/stats?period=month"]
    lock = threading.Lock()

    def client(i):
        host, port = addr.rsplit(":", 1)
        conn = http.client.HTTPConnection(host, int(port), timeout=10)
        n = i
        while not stop.is_set():
            try:
                conn.request("GET", paths[n % 2],
                             headers={"Authorization": f"Bearer {token}"})
                r = conn.getresponse()
                r.read()
                status = r.status
            except (OSError, http.client.HTTPException):
                status = "error"
                conn.close()
                conn = http.client.HTTPConnection(host, int(port), timeout=10)
            n += 1
            with lock:
                tally[status] += 1
        conn.close()

    threads = [threading.Thread(target=client, args=(i,), daemon=True)
               for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


@pytest.fixture
def history(loom):
    http = loom.http()
    t0 = time.monotonic()
    slug = build_history(loom, http)
    print(f"{HISTORY} check-ins built in {time.monotonic() - t0:.1f} s")
    return slug


@pytest.mark.parametrize("clients", [8, 40])
def test_expensive_reads_do_not_starve_others_pings(loom, history, clients):
    victim = Victim(loom)
    attacks = []

    def attack():
        a = Attack(reader_clients, loom.http_addr, loom.admin_token, history, clients)
        attacks.append(a)
        return a

    def cpu():
        out = {}
        for name, d in loom.daemons.items():
            with open(f"/proc/{d.proc.pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            out[name] = int(fields[11]) + int(fields[12])
        return out
    c0 = cpu()
    try:
        victim.assert_holds(f"{clients} clients reading a long history", attack)
    finally:
        tally = sum((a.tally for a in attacks), start=type(attacks[0].tally)())
        c1 = cpu()
        print(f"the readers' answers: {dict(tally)}; cpu ticks", {k: c1[k] - c0[k] for k in c1})
    # The attack ran, and was answered: served (200), or refused or timed out
    # (503) when the low-priority readers got no CPU on a busy machine.
    assert sum(tally.values()) > 0, tally
    assert set(tally) <= {200, 503}, tally
    assert_rss_below(loom)
    victim.assert_nothing_lost()
