"""Issue 17, item 1: HTTP/2 rapid reset.  One h2c connection opens streams
(HEADERS for /ping/<key>) and resets each at once (RST_STREAM), as fast as
it can, reconnecting when closed.  ingestd must close such a connection
with GOAWAY ENHANCE_YOUR_CALM past LOOM_HTTP2_RESET_MAX cancelled requests,
never forward what was reset, and keep its memory.

Another organization's pings do NOT keep half their rate yet: ingestd's one
event loop spends its CPU parsing the flood of HEADERS frames of each new
connection before the limit trips (about 670 connections and 2.4 M resets
in 3 s; ingestd at 98 % CPU, storaged idle).  scripts/bench-abuse's
"h2-reset" row measures it against the issue's target and fails; the fix
(refusing, for a while, new connections from an address told to calm down)
is not built.  This test asserts what holds."""

import select
import socket
import struct

from abuse import Attack, assert_rss_below
from loomtest import Http, wait_for

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
HEADERS, RST_STREAM, SETTINGS, GOAWAY = 0x1, 0x3, 0x4, 0x7
END_STREAM, END_HEADERS, ACK = 0x1, 0x4, 0x1
CANCEL, ENHANCE_YOUR_CALM = 0x8, 0xb
BURST = 100


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


def rapid_reset(stop, tally, addr, path):
    host, port = addr.rsplit(":", 1)
    block = get_headers(path)
    while not stop.is_set():
        s = socket.create_connection((host, int(port)), timeout=5)
        s.sendall(PREFACE + frame(SETTINGS, 0, 0))
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


def test_rapid_reset_is_cut_off_and_records_nothing(loom):
    http = loom.http()
    r = http.post("/api/crons/monitors", {
        "slug": "reset", "schedule": {"type": "interval", "value": 1, "unit": "day"}})
    assert r.status == 201, r
    path = "/ping/" + r.json()["monitor"]["ping_key"]
    with Attack(rapid_reset, loom.http_addr, path, start_after=BURST) as a:
        a.wait_started()
        wait_for("a GOAWAY", lambda: a.progress.value > 50 * BURST, timeout=15)
        assert_rss_below(loom)
    tally = a.tally
    print("attacker:", dict(tally))
    assert tally[f"goaway {ENHANCE_YOUR_CALM:#x}"] > 0, tally
    assert tally["connections"] > 1, tally
    # What was reset was (nearly) never recorded: at most what ran before
    # its reset arrived, far below what was sent.
    stats = http.get("/api/crons/monitors/reset/stats?period=day").json()
    assert stats["total_checkins"] <= tally["reset"] // 10, (stats, tally)
    for name, d in loom.daemons.items():
        assert d.running(), f"{name} died:\n{d.log()[-2000:]}"
    assert Http(loom.http_addr, None).get(path).status == 200
