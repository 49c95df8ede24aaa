"""Issue 17, item 1: HTTP/2 rapid reset.  One h2c client opens streams
(HEADERS for /ping/<key>) and resets each at once (RST_STREAM), as fast as
it can, reconnecting when closed.  ingestd must close such a connection
with GOAWAY ENHANCE_YOUR_CALM past LOOM_HTTP2_RESET_MAX cancelled requests,
never forward what was reset, refuse the address's new connections for a
while (else the loop spends itself parsing each new connection's flood of
HEADERS), keep its memory, and keep serving another organization's pings.

The attacker connects from 127.0.0.2, the victim from 127.0.0.1: an
attack comes from an address of its own."""

import select
import socket
import struct

import pytest

from abuse import Attack, Victim, assert_rss_below
from loomtest import Http, wait_for

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
HEADERS, RST_STREAM, SETTINGS, GOAWAY = 0x1, 0x3, 0x4, 0x7
END_STREAM, END_HEADERS, ACK = 0x1, 0x4, 0x1
CANCEL, ENHANCE_YOUR_CALM = 0x8, 0xb
BURST = 100
ATTACKER = "127.0.0.2"


def frame(kind, flags, stream, payload=b""):
    return struct.pack(">I", len(payload))[1:] + bytes([kind, flags]) + \
        struct.pack(">I", stream) + payload


def literal(index, value):
    """HPACK: a literal header field without indexing, its name from the static table."""
    v = value.encode()
    assert index < 15 and len(v) < 127
    return bytes([index, len(v)]) + v


def get_headers(path):
    # :method GET (2), :scheme http (6), :path, :authority
    return b"\x82\x86" + literal(4, path) + literal(1, "x")


def goaways(buf):
    """The error codes of the GOAWAY frames in buf (whole frames only), and the rest."""
    codes = []
    while len(buf) >= 9:
        n = int.from_bytes(buf[:3], "big")
        if len(buf) < 9 + n:
            break
        if buf[3] == GOAWAY and n >= 8:
            codes.append(int.from_bytes(buf[13:17], "big"))
        buf = buf[9 + n:]
    return codes, buf


def rapid_reset(stop, tally, addr, path, source=ATTACKER):
    host, port = addr.rsplit(":", 1)
    block = get_headers(path)
    while not stop.is_set():
        try:
            s = socket.create_connection((host, int(port)), timeout=5,
                                         source_address=(source, 0))
            s.sendall(PREFACE + frame(SETTINGS, 0, 0))
        except OSError:
            tally["refused"] += 1
            continue
        tally["connections"] += 1
        stream, buf, open_ = 1, b"", True
        while open_ and not stop.is_set():
            out = b"".join(frame(HEADERS, END_STREAM | END_HEADERS, stream + 2 * i, block) +
                           frame(RST_STREAM, 0, stream + 2 * i, struct.pack(">I", CANCEL))
                           for i in range(BURST))
            try:
                s.sendall(out)
                stream += 2 * BURST
                tally["reset"] += BURST
                while select.select([s], [], [], 0)[0]:
                    chunk = s.recv(65536)
                    if not chunk:
                        open_ = False
                        break
                    codes, buf = goaways(buf + chunk)
                    for c in codes:
                        tally[f"goaway {c:#x}"] += 1
            except OSError:
                open_ = False
        s.close()


def reset_monitor(http):
    r = http.post("/api/crons/monitors", {
        "slug": "reset", "schedule": {"type": "interval", "value": 1, "unit": "day"}})
    assert r.status == 201, r
    return "/ping/" + r.json()["monitor"]["ping_key"]


def test_rapid_reset_is_cut_off_and_records_nothing(loom):
    http = loom.http()
    path = reset_monitor(http)
    with Attack(rapid_reset, loom.http_addr, path, start_after=BURST) as a:
        a.wait_started()
        wait_for("a GOAWAY and refused reconnections",
                 lambda: a.progress.value > 50 * BURST, timeout=15)
        assert_rss_below(loom)
    tally = a.tally
    print("attacker:", dict(tally))
    assert tally[f"goaway {ENHANCE_YOUR_CALM:#x}"] > 0, tally
    # What was reset was (nearly) never recorded: at most what ran before
    # its reset arrived, far below what was sent.
    stats = http.get("/api/crons/monitors/reset/stats?period=day").json()
    assert stats["total_checkins"] <= tally["reset"] // 10, (stats, tally)
    for name, d in loom.daemons.items():
        assert d.running(), f"{name} died:\n{d.log()[-2000:]}"
    # The attacker's address is refused for a while; others are not.
    assert Http(loom.http_addr, None).get(path).status == 200
    with pytest.raises(OSError):
        rapid_reset_once(loom.http_addr, path)


def rapid_reset_once(addr, path):
    """One more connection from the attacker's address: refused, closed unread."""
    host, port = addr.rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=5,
                                  source_address=(ATTACKER, 0)) as s:
        s.sendall(PREFACE + frame(SETTINGS, 0, 0))
        if s.recv(65536) == b"":
            raise ConnectionResetError("closed at once")


def test_others_are_served_during_a_rapid_reset_attack(loom):
    path = reset_monitor(loom.http())
    victim = Victim(loom)
    victim.assert_holds("HTTP/2 rapid reset",
                        lambda: Attack(rapid_reset, loom.http_addr, path, start_after=BURST))
    assert_rss_below(loom)
    victim.assert_nothing_lost()
