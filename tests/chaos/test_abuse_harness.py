"""The abuse harness can fail: a storaged that stops answering during the
"attack" windows must fail Victim.assert_holds, and a quiet "attack" must
pass it.  Without this, a broken harness would pass every abuse test."""

import os
import signal
import time

import pytest

from abuse import Attack, Victim, assert_rss_below


def idle(stop, tally):
    tally["started"] += 1
    stop.wait()


def stop_storaged(stop, tally, pid):
    """SIGSTOPs storaged for 100 ms of every 150 ms: most pings wait."""
    tally["started"] += 1
    while not stop.is_set():
        os.kill(pid, signal.SIGSTOP)
        time.sleep(0.1)
        os.kill(pid, signal.SIGCONT)
        stop.wait(0.05)
    os.kill(pid, signal.SIGCONT)


def test_the_harness_tells_a_stall_from_quiet(loom):
    victim = Victim(loom)
    victim.assert_holds("an idle attacker", lambda: Attack(idle), rounds=1)
    pid = loom.daemons["storaged"].proc.pid
    with pytest.raises(AssertionError, match="the victim"):
        victim.assert_holds("storaged stopped 2/3 of the time",
                            lambda: Attack(stop_storaged, pid), rounds=1)
    assert_rss_below(loom)
    victim.assert_nothing_lost()
