"""Reminders (issue 18, Healthchecks' "nag"): while a monitor stays failing
and renotify_minutes > 0, monitor.reminder is published renotify minutes
after its last alert, again and again, until it recovers, is paused or
reminders are turned off.

schedd keeps the reminder deadline (alerted_at + renotify) and asks
storaged verdict.reminder {monitor_id, alerted_at}, which storaged applies
only while it still holds.  The daemons run on the test clock
(loom_clock.advance); nothing sleeps for a deadline.  Absence ("no
reminder before X") is proven with test_schedd.py's sentinel: another
monitor missed just before X.  Events reach the stream in log order and
schedd fires due deadlines earliest first, so once the sentinel's
monitor.missed is on the stream a reminder due before it would be too.
"""

import json

import pytest

from loomtest import wait_for
from test_schedd import MIN, Jobs, every

DAY = 24 * 60


class Stream:
    """The SSE stream, read up to the events a test waits for."""

    def __init__(self, loom):
        self.sse = loom.sse()

    def until(self, type, mon):
        """The events read up to and including mon's next `type` event, as dicts."""
        seen = []
        while True:
            ev = self.sse.next_event(timeout=10)
            if "data" not in ev:
                continue
            data = json.loads(ev["data"])
            seen.append(data)
            if data["type"] == type and data["monitor_id"] == mon["id"]:
                return seen


def reminders(events, mon):
    return [e for e in events if e["type"] == "monitor.reminder" and e["monitor_id"] == mon["id"]]


def missed_monitor(loom, jobs, stream, renotify=30):
    """A daily monitor, missed; returns (monitor, alerted_at of the missed alert)."""
    api = loom.http()
    mon = jobs.create(every(DAY), margin=1)
    r = api.patch(f"/api/crons/monitors/{mon['slug']}", {"renotify_minutes": renotify})
    assert r.status == 200 and r.json()["monitor"]["renotify_minutes"] == renotify, r
    jobs.ping(mon)
    jobs.goto(jobs.get(mon)["next_expected_at"] + MIN + 1)
    assert not reminders(stream.until("monitor.missed", mon), mon)
    got = jobs.get(mon)
    assert got["health"] == "missed" and got["alerted_at"] > 0
    return mon, got["alerted_at"]


def none_until(jobs, stream, mon, t_us):
    """Moves the clock to just before t_us and proves no reminder of mon came."""
    sentinel, deadline = jobs.sentinel(t_us - 100 * 1_000_000)
    assert deadline < t_us
    jobs.goto(deadline + 1)
    assert not reminders(stream.until("monitor.missed", sentinel), mon)


def test_reminders_every_30_minutes_until_recovery(loom_clock):
    loom = loom_clock
    jobs, stream = Jobs(loom), Stream(loom)
    mon, alerted = missed_monitor(loom, jobs, stream)

    # None before +30 minutes; one at +30.
    none_until(jobs, stream, mon, alerted + 30 * MIN)
    jobs.goto(alerted + 30 * MIN + 1)
    first = reminders(stream.until("monitor.reminder", mon), mon)
    assert len(first) == 1
    assert first[0]["new_health"] == "missed"
    again = jobs.get(mon)["alerted_at"]
    assert again >= alerted + 30 * MIN

    # The next counts from that reminder: none before +60, one at +60.
    none_until(jobs, stream, mon, again + 30 * MIN)
    jobs.goto(again + 30 * MIN + 1)
    assert len(reminders(stream.until("monitor.reminder", mon), mon)) == 1
    last = jobs.get(mon)["alerted_at"]
    assert last >= alerted + 60 * MIN
    assert len(jobs.events("monitor.reminder", mon)) == 2   # never twice

    # A successful ping: healthy, and no more reminders.
    jobs.ping(mon)
    stream.until("monitor.healthy", mon)
    assert jobs.get(mon).get("alerted_at", 0) == 0
    none_until(jobs, stream, mon, last + 95 * MIN)
    assert len(jobs.events("monitor.reminder", mon)) == 2


def test_renotify_0_stops_reminders(loom_clock):
    loom = loom_clock
    jobs, stream = Jobs(loom), Stream(loom)
    mon, alerted = missed_monitor(loom, jobs, stream)

    r = loom.http().patch(f"/api/crons/monitors/{mon['slug']}", {"renotify_minutes": 0})
    assert r.status == 200 and r.json()["monitor"]["renotify_minutes"] == 0, r
    none_until(jobs, stream, mon, alerted + 65 * MIN)
    assert jobs.events("monitor.reminder", mon) == []


def test_a_paused_monitor_gets_no_reminders(loom_clock):
    loom = loom_clock
    jobs, stream = Jobs(loom), Stream(loom)
    mon, alerted = missed_monitor(loom, jobs, stream)

    r = loom.http().patch(f"/api/crons/monitors/{mon['slug']}", {"status": "paused"})
    assert r.status == 200 and r.json()["monitor"]["status"] == "paused", r
    none_until(jobs, stream, mon, alerted + 65 * MIN)
    assert jobs.events("monitor.reminder", mon) == []


def test_a_restarted_schedd_still_reminds(loom_clock):
    """The reminder comes back from storaged's snapshot (its track map carries
    renotify and alerted_at), not from schedd's memory."""
    loom = loom_clock
    jobs, stream = Jobs(loom), Stream(loom)
    mon, alerted = missed_monitor(loom, jobs, stream)

    loom.kill("schedd")
    loom.restart("schedd")
    none_until(jobs, stream, mon, alerted + 30 * MIN)
    jobs.goto(alerted + 30 * MIN + 1)
    assert len(reminders(stream.until("monitor.reminder", mon), mon)) == 1
    assert len(jobs.events("monitor.reminder", mon)) == 1


@pytest.mark.daemons("storaged")
def test_verdict_reminder_conditions(loom_clock):
    """storaged's side alone: never early, never twice, never after recovery."""
    loom = loom_clock
    jobs = Jobs(loom)
    mon = jobs.create(every(DAY), margin=1, renotify=30)
    jobs.ping(mon, kind="error")
    alerted = jobs.get(mon)["alerted_at"]
    assert alerted > 0 and jobs.get(mon)["health"] == "failing"

    def verdict(at, mid=mon["id"]):
        return jobs.w.ok("verdict.reminder", monitor_id=mid, alerted_at=at)

    assert verdict(alerted)["reason"].startswith("early")
    loom.advance(30 * 60 + 1)
    assert verdict(alerted - 1)["reason"].startswith("stale")      # not the last alert
    assert verdict(alerted)["applied"] is True
    assert verdict(alerted)["reason"].startswith("stale")          # not twice
    [ev] = jobs.events("monitor.reminder", mon)
    again = jobs.get(mon)["alerted_at"]
    assert ev["monitor"]["alerted_at"] == again >= alerted + 30 * MIN
    assert ev["monitor"]["renotify"] == 30 and ev["monitor"]["health"] == "failing"
    assert verdict(again)["reason"].startswith("early")
    assert verdict(again, "mon_aaaaaaaaaaaaaaaaaaaaaaaaaa")["reason"] == "no such monitor"

    # Recovered: stale, however late.
    jobs.ping(mon)
    loom.advance(3600)
    assert verdict(again)["reason"].startswith("stale")
    # Failing again, then reminders off, or paused: never applied.
    jobs.ping(mon, kind="error")
    alerted = jobs.get(mon)["alerted_at"]
    loom.advance(3600)
    jobs.update(mon, renotify=0)
    assert verdict(alerted)["reason"].startswith("stale")
    jobs.update(mon, renotify=30, status="paused")
    assert verdict(alerted)["reason"] == "monitor is not active"
    assert len(jobs.events("monitor.reminder", mon)) == 1
