"""Abuse of the event stream (issue 17, items 2, 6 and 9): one organization's
read token opening, dropping and hoarding streams, or a revoked token's
streams, must not slow another organization, fill the log or outlive the
revocation.  Each attack runs for seconds while tests/chaos/abuse.py's victim
pings from a second organization.
"""

import os
import re
import socket
import struct
import time

import pytest

from abuse import Attack, Victim, assert_rss_below
from loomtest import Http, wait_for

STREAM = "/api/crons/stream"
CAP = 4
BEAT_MS = 200
INTERVAL_S = 1

pytestmark = pytest.mark.env(LOOM_STREAMS_PER_ORG=str(CAP), LOOM_SSE_HEARTBEAT=f"{BEAT_MS}ms",
                             LOOM_LOG_REPEAT_INTERVAL=f"{INTERVAL_S}s")


def open_raw(addr, token, hold=False):
    """GET the stream on a raw socket: (status, socket or None)."""
    host, port = addr.rsplit(":", 1)
    s = socket.create_connection((host, int(port)), timeout=5)
    s.sendall(f"GET {STREAM} HTTP/1.1\r\nHost: {addr}\r\n"
              f"Authorization: Bearer {token}\r\n\r\n".encode())
    head = b""
    while b"\r\n" not in head:
        chunk = s.recv(4096)
        if not chunk:
            break
        head += chunk
    status = int(head.split()[1]) if head.startswith(b"HTTP/") else 0
    if hold and status == 200:
        return status, s
    # Gone without a word half the time (RST), politely (FIN) otherwise.
    if hash(head) & 1:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    s.close()
    return status, None


def churn(stop, tally, addr, token):
    """Holds the organization's streams and keeps asking for more, dropping each."""
    held = []
    while not stop.is_set():
        status, s = open_raw(addr, token, hold=len(held) < CAP)
        if s is not None:
            held.append(s)
        tally[status] += 1
    for s in held:
        s.close()


def log_lines(loom, name, pattern):
    return [line for line in loom.daemons[name].log().splitlines() if re.search(pattern, line)]


def fds(loom, name):
    return len(os.listdir(f"/proc/{loom.daemons[name].proc.pid}/fd"))


def test_a_flood_of_streams_keeps_the_victim_fast_the_log_short_and_its_stream_open(loom):
    victim = Victim(loom)
    before = {name: fds(loom, name) for name in ("ingestd", "streamd")}
    started = time.monotonic()
    attacks = []

    def attack():
        a = Attack(churn, loom.http_addr, loom.admin_token)
        attacks.append(a)
        return a
    victim.assert_holds("a flood of stream requests", attack)
    refused = sum(a.tally[429] for a in attacks)
    assert refused > 200, [a.tally for a in attacks]     # the cap answered them at once
    assert all(a.tally[200] >= CAP for a in attacks), [a.tally for a in attacks]

    # The attacker's organization is at its cap; the victim's is not.
    status, s = open_raw(loom.http_addr, victim.token, hold=True)
    assert status == 200
    s.close()

    # Each refusal was a line to log: at most LOG_REPEAT_BURST of them per interval
    # are printed, and one summary line per interval counts the rest.
    elapsed = time.monotonic() - started

    def told():
        lines = log_lines(loom, "streamd", "refusing a stream")
        return len(lines) + sum(int(m[1]) for line in lines
                                if (m := re.search(r"repeated (\d+) more times", line)))
    wait_for("every refusal to be printed or counted", lambda: told() >= refused,
             timeout=INTERVAL_S + 2)
    lines = log_lines(loom, "streamd", "refusing a stream")
    assert len(lines) <= 6 * (elapsed / INTERVAL_S + 3), (len(lines), refused)
    for name in loom.daemons:
        assert len(loom.daemons[name].log().splitlines()) < 200, name
    # The attacker's streams are gone: their descriptors in ingestd (two each: the
    # client's and the relay's) and streamd are closed by the next heartbeats.
    wait_for("the streams' descriptors to close", lambda: all(
        fds(loom, name) <= before[name] + 2 for name in before), timeout=BEAT_MS / 1000 * 3 + 2)
    assert_rss_below(loom)
    victim.assert_nothing_lost()


def test_revoked_tokens_streams_end_within_a_heartbeat_while_others_stream(loom):
    http = loom.http()
    victim = Victim(loom)
    tokens = []
    for i in range(3):
        r = http.post("/api/crons/tokens", {"name": f"wall-{i}", "scopes": ["read"]})
        assert r.status == 201, r
        tokens.append(r.json())
    streams = [open_raw(loom.http_addr, t["token"], hold=True)[1] for t in tokens]
    _, kept = open_raw(loom.http_addr, victim.token, hold=True)
    assert all(streams) and kept is not None

    for t in tokens:
        assert http.delete(f"/api/crons/tokens/{t['id']}").status == 204
    revoked = time.monotonic()
    for s in streams:
        s.settimeout(BEAT_MS / 1000 + 2)
        while True:
            data = s.recv(65536)      # heartbeats until the end: b""
            if not data or data.endswith(b"0\r\n\r\n"):
                break
        assert time.monotonic() - revoked < BEAT_MS / 1000 + 2
    # The victim's stream is untouched: its next ping arrives on it.
    kept.settimeout(2)
    victim.measure(0.2)
    got = b""
    deadline = time.monotonic() + 2
    while b"checkin.ok" not in got and time.monotonic() < deadline:
        got += kept.recv(65536)
    assert b"checkin.ok" in got
    kept.close()
    # A revoked token is 401 at once.
    assert Http(loom.http_addr, tokens[0]["token"]).get(STREAM).status == 401


@pytest.mark.env(LOOM_STREAMS_PER_ORG="1000", LOOM_SSE_BUFFER_MAX="16K",
                 LOOM_SSE_SOCKET_BUFFER="4K", LOOM_SSE_HEARTBEAT=f"{BEAT_MS}ms",
                 LOOM_LOG_REPEAT_INTERVAL="10s")
def test_many_dropped_streams_log_a_few_lines_and_a_count(loom):
    """Streams that stop reading are dropped, each once a line to log: any read
    token could fill the log that way.  Now the first few are printed."""
    streams = 60
    http = loom.http()
    r = http.post("/api/crons/monitors", {"slug": "noisy", "schedule": {
        "type": "interval", "value": 1, "unit": "day"}})
    assert r.status == 201, r
    key = r.json()["monitor"]["ping_key"]
    host, port = loom.stream_addr.rsplit(":", 1)
    held = []
    for _ in range(streams):
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 2048)     # before connect
        s.connect((host, int(port)))
        s.sendall(f"GET {STREAM} HTTP/1.1\r\nHost: x\r\n"
                  f"Authorization: Bearer {loom.admin_token}\r\n\r\n".encode())
        held.append(s)              # never read again
    pinger = Http(loom.http_addr)

    def dropped():
        return len(log_lines(loom, "streamd", "dropping a stream")) + sum(
            int(m[1]) for line in log_lines(loom, "streamd", "dropping a stream")
            if (m := re.search(r"repeated (\d+) more times", line)))

    started = time.monotonic()
    # Events fill the streams' buffers; after a second without progress each is dropped.
    while len(log_lines(loom, "streamd", "dropping a stream")) < 5 or \
            time.monotonic() - started < 3:
        assert time.monotonic() - started < 15, "the streams were not dropped"
        for _ in range(20):
            assert pinger.post(f"/ping/{key}", body="x" * 1000).status == 200
        time.sleep(0.05)
    for s in held:
        s.close()
    lines = log_lines(loom, "streamd", "dropping a stream")
    assert len(lines) <= 5, lines            # LOG_REPEAT_BURST in one interval
    # At exit the count of the rest is told.
    assert loom.daemons["streamd"].stop() == 0
    assert dropped() >= streams * 0.9, dropped()
    assert_rss_below(loom)
