"""schedd, black-box: deadlines turn into missed and timeout verdicts that
are never early, never late and never doubled.

Runs storaged and schedd (test-hook builds) and moves their shared wall
clock with loom_clock.advance().  Check-ins go over storaged's wire
protocol, the way ingestd sends them.  Nothing sleeps for a deadline:
tests poll storaged's event log.

Absence ("no verdict for X") is proven with a sentinel: another monitor
whose deadline falls after X's.  schedd judges due deadlines earliest
first over one ordered connection, so once the sentinel's monitor.missed
is in the log, a verdict for X would already be there too.
"""

import calendar
import math
import subprocess
import time
import uuid

import msgpack
import pytest

from loomtest import Wire, binary, wait_for

pytestmark = pytest.mark.daemons("storaged", "schedd")

S = 1_000_000
MIN = 60 * S
HOUR = 60 * MIN
HOURLY = {"type": "cron", "expression": "0 * * * *"}


def every(minutes):
    return {"type": "interval", "value": minutes, "unit": "minute"}


def utc(text):
    """'2027-03-14T07:00:00Z' -> UTC microseconds."""
    return calendar.timegm(time.strptime(text, "%Y-%m-%dT%H:%M:%SZ")) * S


class Jobs:
    """Monitors and check-ins over storaged's wire, and the event log."""

    def __init__(self, loom):
        self.loom = loom
        self.w = loom.wire()
        self.org = self.w.ok("token.verify", token=loom.admin_token)["org"]
        self.n = 0

    def create(self, schedule, slug=None, **fields):
        self.n += 1
        spec = {"slug": slug or f"job-{self.n}", "schedule": schedule, **fields}
        return self.w.ok("monitor.create", org=self.org, monitor=spec)["monitor"]

    def update(self, mon, **fields):
        return self.w.ok("monitor.update", org=self.org, slug=mon["slug"],
                         monitor=fields)["monitor"]

    def ping(self, mon, kind="ok", **fields):
        return self.w.ok("checkin.record", key=mon["ping_key"], kind=kind, source="ping",
                         **fields)

    def get(self, mon):
        return self.w.ok("monitor.get", org=self.org, slug=mon["slug"])["monitor"]

    def checkins(self, mon, status=None):
        fields = {"status": status} if status else {}
        return self.w.ok("checkin.list", org=self.org, slug=mon["slug"], limit=1000,
                         **fields)["checkins"]

    def events(self, type=None, mon=None):
        out, after = [], 0
        while True:
            page = self.w.ok("events.after", after=after, limit=10000)
            out += page["events"]
            if page["last"] >= page["head"]:
                break
            after = page["last"]
        return [e for e in out if (type is None or e["type"] == type) and
                (mon is None or e["monitor"]["id"] == mon["id"])]

    def wait_events(self, type, mon, n=1, timeout=10):
        """Waits until mon has at least n events of type; returns them all."""
        return wait_for(f"{n} {type} of {mon['slug']}",
                        lambda: (lambda evs: evs if len(evs) >= n else None)(
                            self.events(type, mon)), timeout=timeout)

    def goto(self, t_us):
        """Moves the daemons' clock forward to t_us."""
        now = self.loom.now_us()
        assert t_us > now, "the test clock only moves forward"
        self.loom.advance((t_us - now) / S)

    def sentinel(self, after_us):
        """A monitor missed at a deadline 30-90 s after after_us; returns (monitor, deadline)."""
        now = self.loom.now_us()
        minutes = max(1, math.ceil((after_us + 30 * S - now - MIN) / MIN))
        mon = self.create(every(minutes), margin=1)
        self.ping(mon)
        deadline = self.get(mon)["next_expected_at"] + MIN
        assert after_us < deadline
        return mon, deadline

    def schedd(self):
        w = Wire(self.loom.schedd_endpoint)
        try:
            return w.ok("ping")
        finally:
            w.close()

    def schedd_caught_up(self):
        """schedd's state once it has applied every event committed so far."""
        head = self.w.ok("ping")["seq"]
        wait_for("schedd to apply the feed", lambda: self.schedd()["seq"] >= head)
        return self.schedd()


@pytest.fixture
def jobs(loom_clock):
    return Jobs(loom_clock)


def next_hour(t_us):
    return (t_us // HOUR + 1) * HOUR


def start_hourly(jobs, **fields):
    """An hourly job pinged at :10; returns (monitor, first expected run E1 at :00)."""
    jobs.goto(next_hour(jobs.loom.now_us()) + 10 * MIN)
    mon = jobs.create(HOURLY, **fields)
    jobs.ping(mon)
    e1 = jobs.get(mon)["next_expected_at"]
    assert e1 % HOUR == 0 and 49 * MIN < e1 - jobs.loom.now_us() <= 50 * MIN
    return mon, e1


# --- missed ---

@pytest.mark.parametrize("offset_s", [-60, 1, 240], ids=["early", "on-time", "late-in-margin"])
def test_a_checkin_within_the_window_is_not_missed(jobs, offset_s):
    mon, e1 = start_hourly(jobs)                   # margin 5 min
    jobs.goto(e1 + offset_s * S)
    jobs.ping(mon)
    # The ping counts for the run at e1 (early ones too): next is e1 + 1 h.
    assert jobs.get(mon)["next_expected_at"] == e1 + HOUR
    sentinel, deadline = jobs.sentinel(e1 + 5 * MIN)
    jobs.goto(deadline + 10 * S)
    jobs.wait_events("monitor.missed", sentinel)
    assert jobs.events("monitor.missed", mon) == []
    assert [c["status"] for c in jobs.checkins(mon)] == ["ok", "ok"]


def test_missed_is_never_early_and_judged_once(jobs):
    mon, e1 = start_hourly(jobs)
    deadline = e1 + 5 * MIN
    before, before_deadline = jobs.sentinel(deadline - 100 * S)
    assert before_deadline < deadline
    jobs.goto(before_deadline + 5 * S)            # past the sentinel, not past e1 + margin
    jobs.wait_events("monitor.missed", before)
    assert jobs.events("monitor.missed", mon) == []

    jobs.goto(deadline + 5 * S)
    [ev] = jobs.wait_events("monitor.missed", mon)
    assert ev["checkin"]["status"] == "missed"
    assert ev["checkin"]["expected_at"] == e1
    assert ev["ts"] >= deadline                    # committed after the margin, not before
    assert ev["monitor"]["next_expected_at"] == e1 + HOUR
    assert (ev["old_health"], ev["new_health"]) == ("healthy", "missed")
    after, after_deadline = jobs.sentinel(deadline)
    jobs.goto(after_deadline + 5 * S)
    jobs.wait_events("monitor.missed", after)
    assert len(jobs.events("monitor.missed", mon)) == 1
    assert jobs.get(mon)["health"] == "missed"


def test_consecutive_misses_are_each_judged_once(jobs):
    mon, e1 = start_hourly(jobs)
    jobs.goto(e1 + 3 * HOUR + 10 * MIN)          # four runs passed: e1 .. e1 + 3 h
    evs = jobs.wait_events("monitor.missed", mon, 4)
    assert [e["checkin"]["expected_at"] for e in evs] == [e1 + k * HOUR for k in range(4)]
    assert jobs.get(mon)["next_expected_at"] == e1 + 4 * HOUR
    sentinel, deadline = jobs.sentinel(jobs.loom.now_us())
    jobs.goto(deadline + 5 * S)
    jobs.wait_events("monitor.missed", sentinel)
    assert len(jobs.events("monitor.missed", mon)) == 4
    assert sorted(c["expected_at"] for c in jobs.checkins(mon, "missed")) == \
        [e1 + k * HOUR for k in range(4)]


def test_failure_thresholds_one_and_three(jobs):
    one = jobs.create(every(10), margin=1, failure_threshold=1)
    three = jobs.create(every(10), margin=1, failure_threshold=3)
    jobs.ping(one)
    jobs.ping(three)
    jobs.goto(jobs.get(three)["next_expected_at"] + 2 * 10 * MIN + MIN + 30 * S)
    evs = jobs.wait_events("monitor.missed", three, 3)
    assert [e["new_health"] for e in evs] == ["healthy", "healthy", "missed"]
    first = jobs.wait_events("monitor.missed", one, 3)[0]
    assert (first["old_health"], first["new_health"]) == ("healthy", "missed")


def test_recovery_publishes_monitor_healthy(jobs):
    mon = jobs.create(every(10), margin=1, recovery_threshold=2)
    jobs.ping(mon)
    jobs.goto(jobs.get(mon)["next_expected_at"] + MIN + 10 * S)
    jobs.wait_events("monitor.missed", mon)
    assert jobs.get(mon)["health"] == "missed"
    jobs.ping(mon)
    assert jobs.get(mon)["health"] == "missed"    # one ok run of the two required
    assert jobs.events("monitor.healthy", mon) == []
    jobs.ping(mon)
    [ev] = jobs.wait_events("monitor.healthy", mon)
    assert (ev["old_health"], ev["new_health"]) == ("missed", "healthy")
    assert jobs.get(mon)["health"] == "healthy"


# --- timeouts ---

def test_timeout_then_a_late_completion_raises_nothing_more(jobs):
    mon = jobs.create(every(60), max_runtime=10)
    rid = str(uuid.uuid4())
    started = jobs.ping(mon, "start", run_id=rid)
    run = jobs.checkins(mon)[0]
    assert run["id"] == started["checkin_id"] and run["status"] == "in_progress"
    jobs.goto(run["timeout_at"] + 5 * S)
    [ev] = jobs.wait_events("monitor.timeout", mon)
    assert ev["checkin"]["id"] == run["id"]
    assert ev["checkin"]["status"] == "timeout"
    assert ev["ts"] >= run["timeout_at"]
    assert ev["new_health"] == "timeout"

    done = jobs.ping(mon, "ok", run_id=rid)         # the job finishes after all
    assert done["checkin_id"] == run["id"] and done["status"] == "timeout"
    sentinel, deadline = jobs.sentinel(jobs.loom.now_us())
    jobs.goto(deadline + 5 * S)
    jobs.wait_events("monitor.missed", sentinel)
    [late] = jobs.checkins(mon)
    assert late["status"] == "timeout" and late["finished_at"] > run["timeout_at"]
    assert "timeout_at" not in late                 # finished: no deadline any more
    assert len(jobs.events("monitor.timeout", mon)) == 1
    assert jobs.events("checkin.ok", mon) == []


def test_keepalives_move_timeouts_and_overlapping_runs_are_separate(jobs):
    mon = jobs.create(every(120), max_runtime=10)
    ra, rb = str(uuid.uuid4()), str(uuid.uuid4())
    a = jobs.ping(mon, "start", run_id=ra)["checkin_id"]
    jobs.goto(jobs.loom.now_us() + 4 * MIN)
    b = jobs.ping(mon, "start", run_id=rb)["checkin_id"]
    assert a != b
    jobs.goto(jobs.loom.now_us() + 4 * MIN)
    assert jobs.ping(mon, "start", run_id=ra)["checkin_id"] == a    # keep-alive of A
    runs = {c["id"]: c for c in jobs.checkins(mon)}
    assert runs[a]["timeout_at"] > runs[b]["timeout_at"]

    jobs.goto(runs[b]["timeout_at"] + 5 * S)      # past A's first timeout and B's
    [tb] = jobs.wait_events("monitor.timeout", mon)
    assert tb["checkin"]["id"] == b
    jobs.goto(runs[a]["timeout_at"] + 5 * S)
    evs = jobs.wait_events("monitor.timeout", mon, 2)
    assert [e["checkin"]["id"] for e in evs] == [b, a]
    assert evs[1]["checkin"]["timeout_at"] == runs[a]["timeout_at"]
    assert evs[1]["ts"] >= runs[a]["timeout_at"]


# --- edits ---

def test_no_verdicts_while_paused_and_tracking_restarts_at_resume(jobs):
    mon, e1 = start_hourly(jobs)
    assert "next_expected_at" not in jobs.update(mon, status="paused")
    sentinel, deadline = jobs.sentinel(e1 + 5 * MIN)
    jobs.goto(e1 + 3 * HOUR)
    jobs.wait_events("monitor.missed", sentinel)
    assert jobs.events("monitor.missed", mon) == []
    assert jobs.schedd()["monitors"] == 1          # the sentinel; the paused one is let go

    resumed = jobs.update(mon, status="active")
    assert resumed["next_expected_at"] == e1 + 4 * HOUR    # first run after the resume
    jobs.goto(e1 + 4 * HOUR + 6 * MIN)
    [ev] = jobs.wait_events("monitor.missed", mon)
    assert ev["checkin"]["expected_at"] == e1 + 4 * HOUR


def test_untracked_checkins_move_no_deadline_and_raise_nothing(jobs):
    mon, e1 = start_hourly(jobs, environments=["production"], max_runtime=10)
    def state():        # rev aside: it is the seq of the latest event, which may be about them
        return {k: v for k, v in jobs.get(mon).items() if k != "rev"}

    before = state()
    assert jobs.ping(mon, "start", env="staging")["tracked"] is False
    assert jobs.ping(mon, "error", env="staging")["tracked"] is False     # its run
    left_open = jobs.ping(mon, "start", env="staging")["checkin_id"]
    assert state() == before                 # next expected run, health, last check-in
    assert jobs.schedd_caught_up()["deadlines"] == 1   # the missed one; no staging timeout

    # The run left open never times out; the production run that did not come is missed.
    jobs.goto(e1 + 6 * MIN)
    [missed] = jobs.wait_events("monitor.missed", mon)
    assert missed["checkin"]["expected_at"] == e1
    evs = jobs.events(mon=mon)
    assert [e["type"] for e in evs] == ["monitor.created", "checkin.ok", "checkin.started",
                                        "checkin.started", "monitor.missed"]
    assert [e["checkin"].get("untracked", False) for e in evs[1:]] == [False, True, True, False]
    [run] = [c for c in jobs.checkins(mon) if c["id"] == left_open]
    assert run["status"] == "in_progress" and "timeout_at" not in run


def test_a_schedule_edit_recomputes_the_deadline(jobs):
    mon = jobs.create(every(60), margin=5)
    jobs.ping(mon)
    old = jobs.get(mon)["next_expected_at"]
    jobs.goto(jobs.loom.now_us() + MIN)
    edited = jobs.update(mon, schedule=every(10))
    new = edited["next_expected_at"]
    assert new == edited["updated_at"] + 10 * MIN and new < old
    jobs.goto(new + 5 * MIN + 5 * S)
    [ev] = jobs.wait_events("monitor.missed", mon)
    assert ev["checkin"]["expected_at"] == new
    assert ev["monitor"]["next_expected_at"] == new + 10 * MIN


def test_deleted_monitors_are_forgotten(jobs):
    mon = jobs.create(every(10))
    jobs.ping(mon)
    wait_for("schedd to watch it", lambda: jobs.schedd()["deadlines"] == 1)
    jobs.w.ok("monitor.delete", org=jobs.org, slug=mon["slug"])
    wait_for("schedd to forget it", lambda: jobs.schedd()["monitors"] == 0)
    assert jobs.schedd()["deadlines"] == 0


# --- time zones ---

def test_cron_in_new_york_across_spring_forward(jobs):
    # 2027-03-14 02:30 does not exist in New York: the job runs at the jump, 03:00 EDT.
    jobs.goto(utc("2027-03-13T17:00:00Z"))         # 12:00 EST the day before
    mon = jobs.create({"type": "cron", "expression": "30 2 * * *"},
                      timezone="America/New_York", margin=5)
    jobs.ping(mon)
    jump = utc("2027-03-14T07:00:00Z")
    assert jobs.get(mon)["next_expected_at"] == jump
    before, before_deadline = jobs.sentinel(jump + 5 * MIN - 100 * S)
    jobs.goto(before_deadline + 5 * S)            # 03:04 EDT: within the margin
    jobs.wait_events("monitor.missed", before)
    assert jobs.events("monitor.missed", mon) == []
    jobs.goto(jump + 5 * MIN + 5 * S)
    [ev] = jobs.wait_events("monitor.missed", mon)
    assert ev["checkin"]["expected_at"] == jump
    assert ev["monitor"]["next_expected_at"] == utc("2027-03-15T06:30:00Z")    # 02:30 EDT


# --- restarts ---

def test_kill_and_restart_across_a_deadline_gives_exactly_one_missed(jobs):
    mon, e1 = start_hourly(jobs)
    jobs.loom.kill("schedd")
    jobs.goto(e1 + 10 * MIN)
    jobs.loom.restart("schedd")
    [ev] = jobs.wait_events("monitor.missed", mon)
    assert ev["checkin"]["expected_at"] == e1
    # Killed again right after judging: the restart must not judge e1 twice.
    jobs.loom.kill("schedd")
    jobs.loom.restart("schedd")
    sentinel, deadline = jobs.sentinel(jobs.loom.now_us())
    jobs.goto(deadline + 5 * S)
    jobs.wait_events("monitor.missed", sentinel)
    assert len(jobs.events("monitor.missed", mon)) == 1
    assert jobs.schedd()["synced"] is True


def test_a_ping_while_schedd_was_down_is_not_missed(jobs):
    mon, e1 = start_hourly(jobs)
    jobs.loom.kill("schedd")
    jobs.goto(e1 + 1 * MIN)
    jobs.ping(mon)                                 # on time, nobody watching
    sentinel, deadline = jobs.sentinel(e1 + 5 * MIN)
    jobs.goto(e1 + 10 * MIN)
    jobs.loom.restart("schedd")
    jobs.wait_events("monitor.missed", sentinel)
    assert deadline < e1 + 10 * MIN
    assert jobs.events("monitor.missed", mon) == []
    assert jobs.get(mon)["next_expected_at"] == e1 + HOUR


# --- the daemon ---

def test_control_socket_answers_ping_and_refuses_garbage(jobs):
    mon = jobs.create(every(10), max_runtime=5)
    jobs.ping(mon, "start")
    st = wait_for("schedd to see the run", lambda: (lambda s: s if s["runs"] == 1 else None)(
        jobs.schedd()))
    assert st["daemon"] == "schedd" and st["synced"] is True
    assert (st["monitors"], st["deadlines"]) == (1, 2)
    assert st["seq"] == jobs.w.ok("ping")["seq"]
    w = Wire(jobs.loom.schedd_endpoint)
    for frames in ([b"ping", b"\xc1"], [b"ping"], [b"verdict.missed",
                   msgpack.packb({"v": 1, "rid": 3})], [b"ping", msgpack.packb({"v": 9, "rid": 4})]):
        w.send_raw(*frames)
        name, body = w.recv()
        assert name == "err" and body["code"] == "bad_request", frames
    assert w.ok("ping")["daemon"] == "schedd"
    w.close()


def test_dash_n_prints_the_effective_configuration(jobs):
    env = dict(jobs.loom.env, LOOM_SCHEDD_STEP_GRACE="30s")
    out = subprocess.run([binary("schedd", True), "-n"], env=env, capture_output=True,
                         text=True, timeout=5, check=True).stdout
    lines = {l.split("=", 1)[0]: l for l in out.splitlines()}
    assert lines["LOOM_SCHEDD_STEP_GRACE"].startswith("LOOM_SCHEDD_STEP_GRACE=30000ms")
    assert "default: 2m" in lines["LOOM_SCHEDD_STEP_GRACE"]
    assert lines["LOOM_RUN_DIR"].startswith(f"LOOM_RUN_DIR={jobs.loom.run_dir}")
    for name in ("LOOM_STORAGED_CMD", "LOOM_STORAGED_PUB", "LOOM_SCHEDD_CTL",
                 "LOOM_SCHEDD_SNAPSHOT_PAGE", "LOOM_SCHEDD_INFLIGHT", "LOOM_SCHEDD_RPC_TIMEOUT",
                 "LOOM_SCHEDD_STEP_THRESHOLD"):
        assert name in lines
    bad = subprocess.run([binary("schedd", True)], env=dict(env, LOOM_SCHEDD_INFLIGHT="0"),
                         capture_output=True, text=True, timeout=5)
    assert bad.returncode == 78 and "LOOM_SCHEDD_INFLIGHT" in bad.stderr
