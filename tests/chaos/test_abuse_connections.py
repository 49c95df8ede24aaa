"""Issue 17, item 2: file descriptors.  One client holding more connections
than ingestd may keep (LOOM_MAX_CONNECTIONS, here 300) must not lock
everyone else out nor spin ingestd: at the cap, a newcomer from another
address makes room by closing the connection idle longest, while one from
the address that holds half the cap already is closed at once, so the
hoarder churns only against itself and another organization's pings keep
their rate.  And an idle connection is closed after LOOM_HTTP_IDLE_TIMEOUT.
The hoarder connects from 127.0.0.2, everyone else from 127.0.0.1."""

import resource
import socket
import time

import pytest

from abuse import Attack, Victim, assert_rss_below
from loomtest import wait_for

CAP = 300
HOARD = 1100                # the attacker's connections: over the cap, over 1,024
HOARDER = "127.0.0.2"

pytestmark = pytest.mark.env(LOOM_MAX_CONNECTIONS=str(CAP), LOOM_HTTP_IDLE_TIMEOUT="2s")


def hoard(stop, tally, addr):
    """Keeps HOARD idle connections open, reopening those ingestd closes."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, 4096)), hard))
    host, port = addr.rsplit(":", 1)
    held = []
    while not stop.is_set():
        alive = []
        for s in held:          # drop the ones ingestd closed
            try:
                s.setblocking(False)
                if s.recv(1) == b"":
                    s.close()
                    tally["closed by ingestd"] += 1
                    continue
            except BlockingIOError:
                pass
            except OSError:
                s.close()
                tally["closed by ingestd"] += 1
                continue
            alive.append(s)
        held = alive
        while len(held) < HOARD and not stop.is_set():
            try:
                held.append(socket.create_connection((host, int(port)), timeout=2,
                                                     source_address=(HOARDER, 0)))
                tally["opened"] += 1
            except OSError:
                tally["refused"] += 1
                break
        stop.wait(0.05)
    for s in held:
        s.close()


def ingestd_fds(loom):
    import os
    return len(os.listdir(f"/proc/{loom.daemons['ingestd'].proc.pid}/fd"))


def test_a_connection_hoarder_does_not_lock_others_out(loom):
    victim = Victim(loom)
    attacks = []

    def attack():
        a = Attack(hoard, loom.http_addr, start_after=CAP)
        attacks.append(a)
        return a
    victim.assert_holds(f"{HOARD} idle connections against a cap of {CAP}", attack)
    assert_rss_below(loom)
    victim.assert_nothing_lost()
    assert all(a.tally["closed by ingestd"] > 0 for a in attacks), [a.tally for a in attacks]
    # The cap held: ingestd's descriptors stay near it, and come back down.
    assert ingestd_fds(loom) < CAP + 64
    for name, d in loom.daemons.items():
        assert d.running(), f"{name} died:\n{d.log()[-2000:]}"


def test_at_the_cap_the_hoarder_is_refused_and_others_get_in(loom):
    host, port = loom.http_addr.rsplit(":", 1)
    held = [socket.create_connection((host, int(port)), timeout=5,
                                     source_address=(HOARDER, 0)) for _ in range(CAP)]
    try:
        wait_for("ingestd holds them all", lambda: ingestd_fds(loom) >= CAP)
        # One more from the hoarder: closed at once, before a request.
        with socket.create_connection((host, int(port)), timeout=5,
                                      source_address=(HOARDER, 0)) as s:
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            try:
                assert s.recv(100) == b""
            except ConnectionResetError:
                pass
        # Another address gets in: a hoarded connection made room.
        with socket.create_connection((host, int(port)), timeout=5,
                                      source_address=("127.0.0.3", 0)) as s:
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            assert s.recv(100).startswith(b"HTTP/1.1 200")
        closed = 0
        for c in held:
            c.setblocking(False)
            try:
                closed += c.recv(1) == b""
            except BlockingIOError:
                pass
            except OSError:
                closed += 1
        assert closed >= 1
    finally:
        for c in held:
            c.close()
    wait_for("the refusal summed up", lambda: "1 refused at the cap from an address "
             "holding half of it" in loom.daemons["ingestd"].log(), timeout=15)


def test_an_idle_connection_is_closed_after_the_idle_timeout(loom):
    host, port = loom.http_addr.rsplit(":", 1)
    s = socket.create_connection((host, int(port)), timeout=10)
    t0 = time.monotonic()
    assert s.recv(1) == b""             # closed by ingestd, not by us
    waited = time.monotonic() - t0
    assert 1.5 <= waited <= 5, waited
    s.close()
