"""Issue 17, item 2: file descriptors.  One client holding more connections
than ingestd may keep (LOOM_MAX_CONNECTIONS, here 300) must not lock
everyone else out nor spin ingestd: at the cap the connection idle longest
is closed to make room, so another organization's pings keep their rate.
And an idle connection is closed after LOOM_HTTP_IDLE_TIMEOUT."""

import resource
import socket
import time

import pytest

from abuse import Attack, Victim, assert_rss_below
from loomtest import wait_for

CAP = 300
HOARD = 1100                # the attacker's connections: over the cap, over 1,024

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
                held.append(socket.create_connection((host, int(port)), timeout=2))
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


def test_an_idle_connection_is_closed_after_the_idle_timeout(loom):
    host, port = loom.http_addr.rsplit(":", 1)
    s = socket.create_connection((host, int(port)), timeout=10)
    t0 = time.monotonic()
    assert s.recv(1) == b""             # closed by ingestd, not by us
    waited = time.monotonic() - t0
    assert 1.5 <= waited <= 5, waited
    s.close()
