"""Issue 17, item 3: runs that never finish must not take the service away.

`/start?rid=<new uuid>` opens a run that nothing ever finishes.  The old
storaged kept every one of them and found a run by its run id by scanning all
of its monitor's open runs, at every start and finish: at 66 k open runs
another organization's pings fell from 2,173/s to 41/s.

Here one monitor is first given PILE runs (straight to storaged, seconds),
well past its cap, LOOM_OPEN_RUNS_MAX = CAP; then an attacker opens more,
each with a new run id, back to back over HTTP on CLIENTS connections (more
would measure a plain write flood: every write of another organization
shares storaged's commits with the victim's).  On the old storaged the
victim kept about 0.2 of its quiet rate; here, about 0.6.
Another organization's pings must hold (abuse.py), no daemon's memory
grows past the limit, nothing acknowledged is lost, and the attacked
monitor never has more than CAP runs open: the oldest were closed as timed
out.
"""

import http.client
import threading
import time
import uuid

import msgpack
import pytest
import zmq

from abuse import Attack, Victim, assert_rss_below

CAP = 2000              # LOOM_OPEN_RUNS_MAX of the test
PILE = 100000           # runs opened before the attack
PAIRS = 256             # requests per wire message while piling them up
CLIENTS = 1              # the attacker's connections, each back to back


def pile_up(loom, key, n=PILE):
    """n starts of runs that never finish, PAIRS per message, straight to
    storaged.  Without run ids: the old storaged opened those without a scan,
    so the pile takes seconds there too."""
    w = loom.wire()
    w.sock.setsockopt(zmq.RCVTIMEO, 120000)
    rid = 1000
    for sent in range(0, n, PAIRS):
        frames = []
        for _ in range(min(PAIRS, n - sent)):
            rid += 1
            frames += [b"checkin.record", msgpack.packb(
                {"v": 1, "rid": rid, "key": key, "kind": "start", "source": "ping"})]
        w.send_raw(*frames)
        reply = w.sock.recv_multipart()
        assert all(x == b"ok" for x in reply[0::2]), msgpack.unpackb(reply[1])
    w.close()


def open_runs_forever(stop, tally, addr, key, clients):
    """`clients` connections, each starting runs with new run ids back to back."""
    lock = threading.Lock()

    def client():
        host, port = addr.rsplit(":", 1)
        conn = http.client.HTTPConnection(host, int(port), timeout=10)
        while not stop.is_set():
            try:
                conn.request("GET", f"/ping/{key}/start?rid={uuid.uuid4()}")
                r = conn.getresponse()
                r.read()
                status = r.status
            except (OSError, http.client.HTTPException):
                status = "error"
                conn.close()
                conn = http.client.HTTPConnection(host, int(port), timeout=10)
            with lock:
                tally[status] += 1
        conn.close()

    threads = [threading.Thread(target=client, daemon=True) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def count_open(http, slug):
    """The monitor's in_progress check-ins, a page at a time."""
    n, cursor = 0, ""
    while True:
        r = http.get(f"/api/crons/monitors/{slug}/checkins?limit=1000&status=in_progress" +
                     (f"&cursor={cursor}" if cursor else ""))
        assert r.status == 200, r
        n += len(r.json()["checkins"])
        cursor = r.json().get("next_cursor")
        if not cursor:
            return n


def abandoned(loom):
    """The attacked monitor, its PILE runs open: its ping key."""
    r = loom.http().post("/api/crons/monitors", {
        "name": "abandoned", "slug": "abandoned", "max_runtime_minutes": 60,
        "schedule": {"type": "interval", "value": 1, "unit": "day"}})
    assert r.status == 201, r
    key = r.json()["monitor"]["ping_key"]
    t0 = time.monotonic()
    pile_up(loom, key)
    print(f"{PILE} runs opened in {time.monotonic() - t0:.1f} s")
    return key


@pytest.mark.env(LOOM_OPEN_RUNS_MAX=str(CAP))
def test_runs_that_never_finish_do_not_starve_others(loom):
    http = loom.http()
    key = abandoned(loom)
    victim = Victim(loom)
    attacks = []

    def attack():
        a = Attack(open_runs_forever, loom.http_addr, key, CLIENTS)
        attacks.append(a)
        return a

    try:
        victim.assert_holds(f"{CLIENTS} clients opening runs that never finish", attack)
    finally:
        tally = sum((a.tally for a in attacks), start=type(attacks[0].tally)())
        print(f"the attacker's answers: {dict(tally)}")
    assert tally[200] > 0 and set(tally) <= {200, 503}, tally
    assert_rss_below(loom)
    victim.assert_nothing_lost()
    # The cap held: the rest were closed as timed out, each with its event.
    assert count_open(http, "abandoned") <= CAP
    assert http.get("/api/crons/monitors/abandoned").json()["monitor"]["health"] == "timeout"
