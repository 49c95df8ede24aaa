"""storaged under SIGKILL, black-box.

A client keeps 16 requests in flight on one DEALER socket -- check-ins on
a few monitors' ping keys, and now and then a new monitor -- while the
test kills storaged with SIGKILL at random moments and starts it again.
Afterwards every write that was acknowledged is there, the event log has
no gap, and no check-in id appears twice (DESIGN.md, Promises: a 2xx means
durably committed; kill -9 loses no acknowledged check-in and no event).
"""

import os
import random
import time

import msgpack
import pytest
import zmq

pytestmark = pytest.mark.daemons("storaged")

IN_FLIGHT = 16
KILLS = 3
MONITORS = 4
REPLY_TIMEOUT = 10.0        # seconds without any reply before the test gives up


class Pipeline:
    """Up to IN_FLIGHT requests outstanding on one DEALER, matched by rid."""

    def __init__(self, endpoint):
        self.sock = zmq.Context.instance().socket(zmq.DEALER)
        self.sock.setsockopt(zmq.LINGER, 0)
        self.sock.connect(endpoint)
        self.rid = 0
        self.pending = {}       # rid -> (name, fields) awaiting a reply
        self.orphans = {}       # sent before a kill: may or may not be answered
        self.acked = []         # (name, fields, reply) of every "ok"
        self.refused = []       # (name, fields, reply) of every "err"

    def send(self, name, fields):
        self.rid += 1
        body = {"v": 1, "rid": self.rid, **fields}
        self.sock.send_multipart([name.encode(), msgpack.packb(body, use_bin_type=True)])
        self.pending[self.rid] = (name, fields)

    def receive(self, timeout_ms):
        """Takes every reply that arrives within timeout_ms; returns how many."""
        n = 0
        while self.sock.poll(timeout_ms if n == 0 else 0):
            rname, raw = self.sock.recv_multipart()
            reply = msgpack.unpackb(raw, raw=False)
            rid = reply["rid"]
            name, fields = self.pending.pop(rid, None) or self.orphans.pop(rid)
            (self.acked if rname == b"ok" else self.refused).append((name, fields, reply))
            n += 1
        return n

    def crashed(self):
        """storaged died: what is in flight may never be answered."""
        self.orphans.update(self.pending)
        self.pending.clear()

    def close(self):
        self.sock.close()


def test_acknowledged_writes_survive_sigkill(loom):
    seed = int(os.environ.get("LOOM_CRASH_SEED", time.time_ns() % 1_000_000))
    rng = random.Random(seed)
    w = loom.wire()
    org = w.ok("token.verify", token=loom.admin_token)["org"]
    monitors = [w.ok("monitor.create", org=org, monitor={
        "slug": f"job{i}", "schedule": {"type": "cron", "expression": "*/5 * * * *"}})["monitor"]
        for i in range(MONITORS)]
    by_key = {m["ping_key"]: m for m in monitors}

    p = Pipeline(loom.cmd_endpoint)
    made = 0

    def next_request():
        nonlocal made
        if rng.random() < 0.04:
            made += 1
            return "monitor.create", {"org": org, "monitor": {
                "slug": f"new{made}", "schedule": {"type": "interval", "value": 1,
                                                   "unit": "hour"}}}
        kind = rng.choices(["ok", "error", "start"], [5, 2, 3])[0]
        fields = {"key": rng.choice(monitors)["ping_key"], "kind": kind, "source": "ping"}
        if kind != "start" and rng.random() < 0.5:
            fields["output"] = os.urandom(rng.randrange(1, 200))
        return "checkin.record", fields

    def pump(acks):
        """Keeps IN_FLIGHT requests outstanding until `acks` more are acknowledged."""
        goal = len(p.acked) + acks
        while len(p.acked) < goal:
            while len(p.pending) < IN_FLIGHT:
                p.send(*next_request())
            if p.receive(int(REPLY_TIMEOUT * 1000)) == 0:
                raise AssertionError(f"no reply for {REPLY_TIMEOUT}s (seed {seed})")

    for _ in range(KILLS):
        # A random moment: after a random number of acknowledgements, with a
        # full pipeline, so a batch is usually being staged or committed.
        pump(rng.randrange(40, 250))
        loom.kill("storaged")
        p.crashed()
        loom.restart("storaged")
    pump(100)
    # Let what is still in flight finish (orphans may have died with storaged).
    deadline = time.monotonic() + REPLY_TIMEOUT
    while p.pending and time.monotonic() < deadline:
        p.receive(200)
    assert not p.pending, f"{len(p.pending)} requests never answered (seed {seed})"
    p.close()
    assert p.refused == [], f"refused: {p.refused[:3]} (seed {seed})"

    # Every acknowledged monitor exists.
    created = [(f, r) for n, f, r in p.acked if n == "monitor.create"]
    for fields, reply in created:
        got = w.ok("monitor.get", org=org, slug=fields["monitor"]["slug"])["monitor"]
        assert got["id"] == reply["monitor"]["id"], f"seed {seed}"

    # Every acknowledged check-in is stored with the outcome it was acknowledged with.
    listed = {}
    total = 0
    for m in monitors:
        rows = w.ok("checkin.list", org=org, slug=m["slug"], limit=1000)["checkins"]
        assert len(rows) < 1000, "the listing is complete"
        total += len(rows)
        listed.update({c["id"]: c for c in rows})
    assert len(listed) == total, f"a check-in id appears twice (seed {seed})"
    records = [(f, r) for n, f, r in p.acked if n == "checkin.record"]
    assert len(records) >= KILLS * 40
    for fields, reply in records:
        c = listed.get(reply["checkin_id"])
        assert c is not None, f"acknowledged check-in {reply} lost (seed {seed})"
        assert c["monitor_id"] == by_key[fields["key"]]["id"]
        if reply["status"] in ("ok", "error"):
            assert c["status"] == reply["status"], (c, reply, seed)
        else:
            assert c["status"] in ("in_progress", "ok", "error"), (c, reply, seed)
        if "output" in fields:
            # A finishing ping's output is stored on the run it finished.
            assert c.get("output") == fields["output"], (c, reply, seed)

    # The event log: 1..head without a gap, and it mentions every acknowledged write.
    events, page = w.events()
    seqs = [e["seq"] for e in events]
    assert page["first"] == 1 and seqs == list(range(1, page["head"] + 1)), f"seed {seed}"
    assert page["head"] == w.ok("ping")["seq"]
    in_events = {e["checkin"]["id"] for e in events if "checkin" in e}
    assert all(r["checkin_id"] in in_events for _, r in records), f"seed {seed}"
    created_events = {e["monitor"]["id"] for e in events if e["type"] == "monitor.created"}
    assert all(r["monitor"]["id"] in created_events for _, r in created)
    # Every event of a check-in is about a check-in that exists.
    assert in_events <= set(listed), f"seed {seed}"
