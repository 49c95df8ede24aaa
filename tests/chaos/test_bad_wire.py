"""Garbage on the ZeroMQ side: storaged's ROUTER, schedd's control socket,
raw bytes on every ipc socket, and bad events on the feed that schedd and
streamd follow (through a relay standing in for storaged's PUB).

Each test then checks that every daemon still serves, that nothing was
recorded (storaged's head did not move), and where it matters that the
daemon still does its job: a ping still reaches a stream, a deadline is
still judged.
"""

import datetime
import os
import random
import socket
import struct
import time

import msgpack
import pytest

import zmq

from abuse import Attack, Victim, assert_rss_below, rss_bytes
from loomtest import SSE, Http, Loom, Relay, Wire, wait_for

S = 1_000_000
REQUEST_BYTES_MAX = 64 << 10     # proto.h PROTO_REQUEST_BYTES_MAX (ZMQ_MAXMSGSIZE)
BATCH_MAX = 256                 # proto.h PROTO_BATCH_MAX: requests per message
NAMES = [b"ping", b"checkin.record", b"monitor.create", b"events.after", b"snapshot",
         b"verdict.missed", b"verdict.timeout", b"token.verify", b"org.create"]


def garbage_messages(rng, n):
    """Messages a confused or hostile peer might send: random names and
    bodies, broken msgpack, wrong types, odd frame counts, big frames."""
    out = []
    for _ in range(n):
        kind = rng.randrange(6)
        name = rng.choice(NAMES) if rng.random() < 0.8 else os.urandom(rng.randrange(0, 64))
        if kind == 0:
            out.append([name, os.urandom(rng.randrange(0, 512))])
        elif kind == 1:         # a map with random fields of random types
            body = {"v": rng.choice([1, 2, -1, "1", None]), "rid": rng.choice([1, -5, 2 ** 64 - 1,
                                                                               "x", None])}
            for _ in range(rng.randrange(0, 8)):
                body[rng.choice(["key", "kind", "org", "slug", "after", "limit", "monitor",
                                 "output", "dl", "cursor", "expected_at"])] = rng.choice(
                    [0, -1, 2 ** 63, "", "x" * 200, b"\xff" * 20, [], {}, 1.5, True, None])
            out.append([name, msgpack.packb(body, use_bin_type=True)])
        elif kind == 2:         # truncated valid msgpack
            b = msgpack.packb({"v": 1, "rid": 7, "key": "k" * 36, "kind": "ok"})
            out.append([name, b[:rng.randrange(1, len(b))]])
        elif kind == 3:         # odd frame counts
            out.append([name] * rng.choice([1, 3, 5]))
        elif kind == 4:         # claims of enormous sizes inside msgpack
            out.append([name, rng.choice([b"\xdd\xff\xff\xff\xff", b"\xdf\x7f\xff\xff\xff",
                                          b"\xdb\xff\xff\xff\xf0abc", b"\xc6\xff\xff\xff\xff",
                                          b"\x91" * 5000])])
        else:                   # a large frame, just under ZMQ_MAXMSGSIZE of requests
            out.append([name, os.urandom(rng.choice([20_000, REQUEST_BYTES_MAX - 100]))])
    return out


def head(endpoint):
    w = Wire(endpoint)
    try:
        return w.ok("ping")["seq"]
    finally:
        w.close()


def all_serve(loom):
    """Every daemon of loom answers its own probe."""
    for name, d in loom.daemons.items():
        assert d.running(), f"{name} died:\n{d.log()[-2000:]}"
        loom.wait_ready(name)


def test_garbage_on_storaged_and_schedd_is_answered_and_changes_nothing(loom):
    rng = random.Random(int(os.environ.get("LOOM_CHAOS_SEED", "10")))
    before = head(loom.cmd_endpoint)
    for endpoint, who in ((loom.cmd_endpoint, "storaged"), (loom.schedd_endpoint, "schedd")):
        w = Wire(endpoint, timeout_ms=5000)
        msgs = garbage_messages(rng, 300)
        for m in msgs:
            w.send_raw(*m)
        # Every message is answered, with errors only.
        names = []
        for _ in msgs:
            reply = w.sock.recv_multipart()
            names += reply[0::2]
        assert set(names) == {b"err"}, (who, set(names))
        assert w.ok("ping")["daemon"] == who
        w.close()
    assert head(loom.cmd_endpoint) == before, "garbage was recorded"
    all_serve(loom)


def zmtp_greeting(mechanism=b"NULL", major=3):
    return (b"\xff" + b"\0" * 8 + b"\x7f" + bytes([major, 0]) + mechanism.ljust(20, b"\0") +
            b"\0" + b"\0" * 31)


@pytest.mark.parametrize("what", ["random", "greeting-then-garbage", "curve", "old-version",
                                  "huge-frame"])
def test_raw_bytes_on_every_ipc_socket_are_shrugged_off(loom, what):
    rng = random.Random(what)
    before = head(loom.cmd_endpoint)
    payload = {
        "random": os.urandom(4096),
        "greeting-then-garbage": zmtp_greeting() + os.urandom(2048),
        "curve": zmtp_greeting(b"CURVE") + os.urandom(256),
        "old-version": b"\xff" + b"\0" * 8 + b"\x7f\x01" + os.urandom(64),
        # A handshake, then a frame that claims 2^62 bytes and one of 1 GiB.
        "huge-frame": zmtp_greeting() + b"\x04\x19\x05READY\x0bSocket-Type\0\0\0\x06DEALER" +
        b"\x02" + struct.pack(">Q", 1 << 62) + b"x" * 100 +
        b"\x02" + struct.pack(">Q", 1 << 30) + b"x" * 100,
    }[what]
    for path in ("storaged.cmd", "storaged.pub", "schedd.ctl"):
        for _ in range(3):
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.settimeout(5)
            s.connect(os.path.join(loom.run_dir, path))
            try:
                s.sendall(payload[:rng.randrange(1, len(payload) + 1)])
                s.shutdown(socket.SHUT_WR)
                while s.recv(4096):         # until the daemon hangs up
                    pass
            except OSError:
                pass                        # hung up on us mid-way
            finally:
                s.close()
    all_serve(loom)
    assert head(loom.cmd_endpoint) == before
    # And the pipeline still works end to end.
    h = loom.http()
    r = h.post("/api/crons/monitors", json_body={"slug": "after", "schedule": {
        "type": "interval", "value": 1, "unit": "hour"}})
    assert r.status == 201, r
    assert Http(loom.http_addr, None).get(f"/ping/{r.json()['monitor']['ping_key']}").status == 200


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def forged(loom, seq):
    """A real event from the log, renumbered: well formed, never committed."""
    w = loom.wire()
    try:
        ev = w.ok("events.after", after=0, limit=1000)["events"][-1]
    finally:
        w.close()
    return [ev["type"].encode(), msgpack.packb(dict(ev, seq=seq), use_bin_type=True)]


def test_bad_events_on_the_feed_are_skipped_by_schedd_and_streamd():
    loom = Loom(testhooks=True)
    relay_ep = f"ipc://{loom.dir}/relay.pub"
    relay = Relay(loom, relay_ep)
    for name in ("schedd", "streamd"):
        loom.daemons[name].env = {**loom.env, "LOOM_STORAGED_PUB": relay_ep}
    try:
        loom.start()
        h = loom.http()
        n = iter(range(1000))

        def create(slug, minutes=60):
            r = h.post("/api/crons/monitors", json_body={
                "slug": slug, "schedule": {"type": "interval", "value": minutes,
                                           "unit": "minute"}, "checkin_margin_minutes": 1})
            assert r.status == 201, r
            return r.json()["monitor"]

        # The relay's SUB joins asynchronously: publish until it carries something.
        wait_for("the relay to carry events", lambda: create(f"warm-{next(n)}") and
                 relay.forwarded, interval=0.1)
        job = create("job", minutes=10)
        key = job["ping_key"]
        stream = SSE(loom.stream_addr, "/api/crons/stream", loom.admin_token)
        assert stream.status == 200
        ping = Http(loom.http_addr, None)
        assert ping.get(f"/ping/{key}").status == 200
        assert stream.next_event(timeout=5)["event"] == "checkin.ok"

        # Garbage, then a well-formed event storaged never committed.
        for frames in ([b"checkin.ok", b"\xc1"], [b"checkin.ok"], [b"x", b"y", b"z"],
                       [b"checkin.ok", msgpack.packb({"v": 1, "seq": "x"})],
                       [b"checkin.ok", msgpack.packb([1, 2, 3])],
                       [b"checkin.ok", os.urandom(3000)],
                       forged(loom, 10 ** 9)):
            relay.send_raw(*frames)
        for name in ("schedd", "streamd"):
            wait_for(f"{name} to drop the forged event", lambda: "event 1000000000 is past "
                     "storaged's head" in loom.daemons[name].log(), timeout=10)
        # Nobody spins asking storaged for events that do not exist.
        pids = {d: loom.daemons[d].proc.pid for d in ("storaged", "schedd", "streamd")}
        t0 = {d: cpu_seconds(p) for d, p in pids.items()}
        time.sleep(1.0)     # measuring CPU over a second, not waiting for anything
        used = {d: cpu_seconds(p) - t0[d] for d, p in pids.items()}
        assert all(v < 0.3 for v in used.values()), f"CPU seconds in 1 s: {used}"

        # Both still do their job: the next ping is streamed, the next deadline judged.
        assert ping.get(f"/ping/{key}/fail").status == 200
        ev = stream.next_event(timeout=5)
        assert ev["event"] == "checkin.error" and int(ev["id"]) == head(loom.cmd_endpoint)
        nxt = h.get("/api/crons/monitors/job").json()["monitor"]["next_expected_at"]
        due = int(datetime.datetime.fromisoformat(nxt.replace("Z", "+00:00")).timestamp() *
                  S) + 60 * S
        loom.advance((due - loom.now_us()) / S + 5)
        ev = stream.next_event(timeout=10)
        assert ev["event"] == "monitor.missed", ev
        for name in ("schedd", "streamd"):
            assert loom.daemons[name].log().count("past storaged's head") == 1
        all_serve(loom)
    except BaseException:
        print(loom.logs())      # the report of a test that failed shows why
        raise
    finally:
        relay.close()
        codes = loom.stop()
        loom.cleanup()
    assert codes == {n: 0 for n in loom.daemons}, codes


def ping_pairs(n):
    """One message of n ping requests (the issue's 6 MB of 300 k pairs)."""
    body = msgpack.packb({"v": 1, "rid": 1})
    return [b"ping", body] * n


def test_a_message_of_300k_requests_is_refused_typed_and_logged_once(loom):
    before = head(loom.cmd_endpoint)
    w = Wire(loom.cmd_endpoint, timeout_ms=20000)
    flood = ping_pairs(300_000)
    for _ in range(3):
        w.send_raw(*flood)
        reply = w.sock.recv_multipart()
        assert reply[0] == b"err", reply[:2]
        assert msgpack.unpackb(reply[1])["code"] == "too_many_requests"
        assert len(reply) == 2, "one answer for the whole message"
    # The largest batch a peer may send is served as before.
    w.send_raw(*ping_pairs(BATCH_MAX))
    reply = w.sock.recv_multipart()
    assert reply[0::2] == [b"ok"] * BATCH_MAX
    assert w.ok("ping")["daemon"] == "storaged"
    w.close()
    rss = rss_bytes(loom.daemons["storaged"].proc.pid)
    assert rss < 256 << 20, f"storaged holds {rss >> 20} MiB"
    log = loom.daemons["storaged"].log()
    assert log.count("too_many_requests") == 1, log[-2000:]
    assert head(loom.cmd_endpoint) == before
    all_serve(loom)


def test_a_frame_over_maxmsgsize_disconnects_its_sender_only(loom):
    for endpoint in (loom.cmd_endpoint, loom.schedd_endpoint):
        w = Wire(endpoint, timeout_ms=1000)
        w.send_raw(b"ping", os.urandom(REQUEST_BYTES_MAX + 1024))
        with pytest.raises(zmq.Again):          # ZeroMQ dropped it unread
            w.sock.recv_multipart()
        w.close()
        other = Wire(endpoint)
        assert other.ok("ping")["daemon"] in ("storaged", "schedd")
        other.close()
    all_serve(loom)


def flood_requests(stop, tally, endpoint):
    """Messages of 300 k ping pairs, one after another, each waiting for its answer."""
    sock = zmq.Context().socket(zmq.DEALER)
    sock.setsockopt(zmq.LINGER, 0)
    sock.setsockopt(zmq.RCVTIMEO, 10000)
    sock.connect(endpoint)
    flood = ping_pairs(300_000)
    while not stop.is_set():
        sock.send_multipart(flood)
        try:
            tally[sock.recv_multipart()[0].decode()] += 1
        except zmq.Again:
            tally["no answer"] += 1
    sock.close()


def flood_frames(stop, tally, endpoint):
    """Frames over ZMQ_MAXMSGSIZE from a fresh connection each time."""
    ctx = zmq.Context()
    big = os.urandom(4 << 20)
    while not stop.is_set():
        sock = ctx.socket(zmq.DEALER)
        sock.setsockopt(zmq.LINGER, 0)
        sock.connect(endpoint)
        sock.send_multipart([b"ping", big])
        tally["sent"] += 1
        stop.wait(0.01)
        sock.close()


@pytest.mark.parametrize("attack", [flood_requests, flood_frames])
def test_oversized_messages_leave_other_organizations_alone(loom, attack):
    victim = Victim(loom)
    attacks = []

    def make():
        attacks.append(Attack(attack, loom.cmd_endpoint))
        return attacks[-1]
    victim.assert_holds(attack.__name__, make)
    assert sum(sum(a.tally.values()) for a in attacks) > 0
    if attack is flood_requests:
        assert set().union(*(a.tally for a in attacks)) <= {"err", "no answer"}
    assert_rss_below(loom)
    victim.assert_nothing_lost()
    all_serve(loom)
