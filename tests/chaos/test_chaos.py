"""Crash safety under load: SIGKILL every daemon, in turn, several times.

The whole system runs under runit (scripts/run, as `make run` runs it) on
the test-hook builds.  While

  - load threads ping random monitors over keep-alive HTTP -- finishing
    pings whose POST body is a unique token, and start/finish pairs joined
    by ?rid= -- and record every 2xx,
  - a clock keeper moves the daemons' clock 15 s at a time, and before each
    step pings the "steady" monitors that are due, until one is
    acknowledged: their pings keep arriving within the margin, so their
    deadlines never pass; "abandoned" monitors, pinged once, are missed
    every simulated minute,
  - an SSE client reads the stream through the public URL and resumes with
    Last-Event-ID after every disconnect,

the test SIGKILLs storaged, ingestd, schedd and streamd at random moments
(rounds in random order) and runit restarts them.  Afterwards:

  - every acknowledged check-in is stored exactly once: starts by the
    checkin_id they were answered, finishes by their token (and a finish
    of an acknowledged start is stored on that run);
  - the event log runs from 1 to its head without a gap, and names every
    acknowledged check-in;
  - no steady monitor was ever missed, while each abandoned one was missed
    for every expected run, in order, once (schedd judged during the
    chaos, and judged right across its own restarts);
  - the SSE client saw every public event exactly once, in order.

LOOM_CHAOS_SEED=N replays the same random choices (the seed is printed).
"""

import datetime
import http.client
import os
import random
import signal
import socket
import threading
import time
import uuid
from collections import Counter

from loomtest import SSE, Http, Response, Wire, wait_for

S = 1_000_000
MIN = 60 * S
DAEMONS = ("storaged", "ingestd", "schedd", "streamd")
KILL_ROUNDS = 4                 # each daemon is killed this many times
LOAD_THREADS = 4
LOAD_MONITORS = 60
PER_MONITOR_MAX = 900           # check-ins: under checkin.list's 1000, so a listing is complete
PACE = 0.002                    # seconds between a load thread's pings: a steady load
STEADY = 8                      # pinged every 90 s: 30 s into their 60 s margin
ABANDONED = 4                   # pinged once, then missed every minute
STEP = 15                       # seconds the clock keeper moves the clock at a time
STEADY_EVERY = 6                # steps between two pings of a steady monitor (90 s)
PUBLIC = {"checkin.started", "checkin.ok", "checkin.error", "monitor.missed",
          "monitor.timeout", "monitor.healthy"}


def every_minute():
    return {"type": "interval", "value": 1, "unit": "minute"}


class Load:
    """Threads that ping random load monitors and record every answer.

    A request is sent once: one that got no answer (a connection reset when
    ingestd died) is "unknown" and never resent, so a token stored twice
    can only be a server's duplicate."""

    def __init__(self, addr, monitors, seed):
        self.addr = addr
        self.monitors = monitors            # [(slug, key)]
        self.seed = seed
        self.lock = threading.Lock()
        self.starts = []                    # (slug, rid, checkin_id) answered 200
        self.finishes = []                  # (slug, rid, token, status, start id or None)
        self.sent_tokens = set()            # every token sent, answered or not
        self.per_monitor = Counter()        # slug -> check-ins it may have (at most)
        self.exhausted = False              # every monitor got PER_MONITOR_MAX
        self.answers = Counter()            # status or exception name -> count
        self.done = threading.Event()
        self.threads = [threading.Thread(target=self._run, args=(i,), daemon=True)
                        for i in range(LOAD_THREADS)]

    def _send(self, conn, method, path, body=None):
        """The Response, or None when no answer came."""
        try:
            r = conn.request(method, path, body=body)
        except (OSError, http.client.HTTPException) as e:
            conn.close()
            with self.lock:
                self.answers[type(e).__name__] += 1
            self.done.wait(0.01)            # ingestd is down: do not spin
            return None
        with self.lock:
            self.answers[r.status] += 1
        return r

    def _run(self, i):
        rng = random.Random(self.seed * 100 + i)
        conn = NoRetryHttp(self.addr)
        while not self.done.is_set():
            with self.lock:
                room = [m for m in self.monitors if self.per_monitor[m[0]] < PER_MONITOR_MAX]
                if not room:
                    self.exhausted = True
                    break
                slug, key = rng.choice(room)
                self.per_monitor[slug] += 1
            rid = str(uuid.uuid4())
            start_id = None
            if rng.random() < 0.5:
                r = self._send(conn, "GET", f"/ping/{key}/start?rid={rid}")
                if r is not None and r.status == 200:
                    start_id = r.json()["checkin_id"]
                    with self.lock:
                        self.starts.append((slug, rid, start_id))
                else:
                    with self.lock:             # the finish may make a second check-in
                        self.per_monitor[slug] += 1
            suffix, status = rng.choice([("", "ok"), ("/0", "ok"), ("/fail", "error"),
                                         ("/3", "error")])
            token = f"token-{uuid.uuid4()}"
            with self.lock:
                self.sent_tokens.add(token)
            r = self._send(conn, "POST", f"/ping/{key}{suffix}?rid={rid}", token)
            if r is not None and r.status == 200:
                with self.lock:
                    self.finishes.append((slug, rid, token, status, start_id))
            self.done.wait(PACE)
        conn.close()

    def start(self):
        for t in self.threads:
            t.start()
        return self

    def stop(self):
        self.done.set()
        for t in self.threads:
            t.join(30)
            assert not t.is_alive(), "a load thread hangs"


class NoRetryHttp(Http):
    """loomtest.Http resends a request once on a reset connection; a chaos
    client must not (a resent ping is a second ping), so this one sends
    each request exactly once and lets errors through."""

    def request(self, method, path, body=None, headers=None, token=None, json_body=None):
        if isinstance(body, str):
            body = body.encode()
        if self.conn is None:
            self.conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        self.conn.request(method, path, body=body, headers=dict(headers or {}))
        r = self.conn.getresponse()
        data = r.read()
        resp = Response(r.status, {k.lower(): v for k, v in r.getheaders()}, data)
        if r.getheader("connection", "").lower() == "close":
            self.close()
        return resp


class ClockKeeper:
    """Moves the clock STEP seconds at a time, each step only once every
    steady monitor due for a ping has one acknowledged."""

    def __init__(self, sv, steady):
        self.sv = sv
        self.steady = steady                # [(slug, key)]
        self.steps = 0
        self.pings = Counter()              # slug -> steady pings acknowledged
        self.error = None
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _ping_until_acked(self, conn, key):
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if conn.request("GET", f"/ping/{key}").status == 200:
                    return True
            except (OSError, http.client.HTTPException):
                conn.close()
            # Storage or ingestd is down: the clock waits with the ping.
            time.sleep(0.05)
        self.error = f"no ping of {key} acknowledged for 60 s"
        return False

    def _run(self):
        conn = NoRetryHttp(self.sv.http_addr)
        while not self.done.is_set():
            for i, (slug, key) in enumerate(self.steady):
                if (self.steps + i) % STEADY_EVERY == 0:
                    if not self._ping_until_acked(conn, key):
                        return
                    self.pings[slug] += 1
            self.sv.advance(STEP)
            self.steps += 1
            self.done.wait(0.1)             # pacing: about 150 simulated seconds a second
        conn.close()

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.done.set()
        self.thread.join(90)
        assert not self.thread.is_alive(), "the clock keeper hangs"
        assert self.error is None, self.error


class Reader:
    """An SSE client of the public URL that resumes after every disconnect."""

    def __init__(self, sv):
        self.sv = sv
        self.ids = []                       # event ids in the order received
        self.last = "0"                     # replay from the start of the log
        self.connects = 0
        self.ends = Counter()               # why streams ended
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self.done.is_set():
            try:
                s = SSE(self.sv.http_addr, "/api/crons/stream", self.sv.admin_token,
                        {"Last-Event-ID": self.last}, timeout=5)
            except (OSError, EOFError, ValueError, IndexError) as e:
                self.ends[f"connect: {type(e).__name__}"] += 1
                self.done.wait(0.05)
                continue
            if s.status != 200:
                self.ends[f"status {s.status}"] += 1
                s.close()
                self.done.wait(0.05)
                continue
            self.connects += 1
            try:
                while not self.done.is_set():
                    try:
                        ev = s.next_event(timeout=1)
                    except (TimeoutError, socket.timeout):
                        continue
                    if "id" in ev:
                        self.ids.append(int(ev["id"]))
                        self.last = ev["id"]
            except (OSError, EOFError, ValueError) as e:
                self.ends[type(e).__name__ + (f": {e}" if isinstance(e, EOFError) else "")] += 1
            finally:
                s.close()

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.done.set()
        self.thread.join(30)
        assert not self.thread.is_alive(), "the SSE reader hangs"


def kill_and_wait(sv, name):
    """SIGKILL name; returns once runit has restarted it and it serves."""
    old = wait_for(f"{name} to run", lambda: sv.pid(name), timeout=30)
    os.kill(old, signal.SIGKILL)
    wait_for(f"runsv to restart {name}",
             lambda: sv.pid(name) not in (None, old), timeout=30)
    wait_for(f"{name} to serve again", lambda: sv.serving(name), timeout=30)


def test_sigkill_of_every_daemon_under_load_loses_and_doubles_nothing(sv_chaos, capsys):
    sv = sv_chaos
    seed = int(os.environ.get("LOOM_CHAOS_SEED", time.time_ns() % 1_000_000))
    rng = random.Random(seed)
    api = sv.http()

    def create(slug):
        r = api.post("/api/crons/monitors", json_body={
            "slug": slug, "schedule": every_minute(), "checkin_margin_minutes": 1})
        assert r.status == 201, r
        return slug, r.json()["monitor"]["ping_key"]

    load_mons = [create(f"load-{i}") for i in range(LOAD_MONITORS)]
    steady = [create(f"steady-{i}") for i in range(STEADY)]
    abandoned = [create(f"abandoned-{i}") for i in range(ABANDONED)]
    ping = Http(sv.http_addr, None)
    for _, key in steady + abandoned:
        assert ping.get(f"/ping/{key}").status == 200

    reader = Reader(sv).start()
    keeper = ClockKeeper(sv, steady).start()
    load = Load(sv.http_addr, load_mons, seed).start()
    kills = []
    started = time.monotonic()
    try:
        for _ in range(KILL_ROUNDS):
            order = list(DAEMONS)
            rng.shuffle(order)
            for name in order:
                # A random moment: load, clock steps and verdicts all keep going.
                time.sleep(rng.uniform(0.3, 2.0))
                kill_and_wait(sv, name)
                kills.append(name)
        time.sleep(1.0)     # some load after the last restart, too
    finally:
        load.stop()
        keeper.stop()
    chaos_s = time.monotonic() - started

    # schedd has caught up: no abandoned monitor has a deadline left behind.
    def caught_up():
        now = sv.now_us()
        for slug, _ in abandoned:
            m = api.get(f"/api/crons/monitors/{slug}").json()["monitor"]
            if iso_us(m["next_expected_at"]) + MIN <= now:
                return False
        return True
    wait_for("schedd to judge every deadline that passed", caught_up, timeout=60,
             interval=0.1)

    w = Wire(f"ipc://{sv.run_dir}/storaged.cmd", timeout_ms=10000)
    events, page = w.events()
    w.close()
    seqs = [e["seq"] for e in events]
    gaps = page["head"] - len(set(seqs))
    assert page["first"] == 1 and seqs == list(range(1, page["head"] + 1)), \
        f"event log has gaps or repeats (seed {seed})"

    # --- every acknowledged check-in, exactly once ---
    stored = {}             # check-in id -> check-in
    token_count = Counter()
    for slug, _ in load_mons:
        r = api.get(f"/api/crons/monitors/{slug}/checkins?limit=1000")
        assert r.status == 200, r
        rows = r.json()["checkins"]
        assert len(rows) < 1000, "the listing is complete"
        for c in rows:
            assert c["id"] not in stored, f"check-in {c['id']} listed twice (seed {seed})"
            stored[c["id"]] = dict(c, slug=slug)
            if c.get("output"):
                token_count[c["output"]] += 1
    by_token = {c["output"]: c for c in stored.values() if c.get("output")}
    lost = []
    for slug, rid, start_id in load.starts:
        c = stored.get(start_id)
        if c is None or c["slug"] != slug or c.get("run_id") != rid:
            lost.append(("start", slug, start_id, c))
    for slug, rid, token, status, start_id in load.finishes:
        c = by_token.get(token)
        if c is None or c["slug"] != slug or c["status"] != status:
            lost.append(("finish", slug, token, c))
        elif start_id is not None and c["id"] != start_id:
            lost.append(("finish not on its run", slug, token, start_id, c["id"]))
    duplicates = {t: n for t, n in token_count.items() if n > 1}
    strangers = [t for t in token_count if t not in load.sent_tokens]
    acked_tokens = {f[2] for f in load.finishes}
    unacked_stored = sum(1 for t in token_count if t not in acked_tokens)
    in_events = {e["checkin"]["id"] for e in events if e.get("checkin")}
    not_in_log = [i for i in [s[2] for s in load.starts] +
                  [by_token[f[2]]["id"] for f in load.finishes if f[2] in by_token]
                  if i not in in_events]

    # --- schedd: no false missed, every true one once ---
    ids_of = {}
    for slug, _ in steady + abandoned:
        ids_of[api.get(f"/api/crons/monitors/{slug}").json()["monitor"]["id"]] = slug
    missed = {}
    for e in events:
        if e["type"] == "monitor.missed":
            slug = ids_of.get(e["monitor"]["id"], "?")
            missed.setdefault(slug, []).append(e["checkin"]["expected_at"])
    false_missed = sum(len(missed.get(slug, [])) for slug, _ in steady)
    verdict_errors = []
    for slug, _ in abandoned:
        got = missed.get(slug, [])
        if len(got) < 2 or any(b - a != MIN for a, b in zip(got, got[1:])):
            verdict_errors.append((slug, len(got), got[:3]))

    # --- the resuming SSE client: every public event once, in order ---
    want = [e["seq"] for e in events if e["type"] in PUBLIC]
    wait_for("the SSE client to reach the last event",
             lambda: reader.ids and reader.ids[-1] >= want[-1], timeout=60, interval=0.05)
    reader.stop()
    seen = [i for i in reader.ids if i <= want[-1]]
    sse_dups = len(seen) - len(set(seen))
    sse_missing = len(set(want) - set(seen))

    acked = len(load.starts) + len(load.finishes)
    with capsys.disabled():
        print(f"\nchaos (seed {seed}, {chaos_s:.0f} s): kills {dict(Counter(kills))}; "
              f"clock +{keeper.steps * STEP // 60} min in {keeper.steps} steps\n"
              f"  check-ins: acked {acked} ({len(load.starts)} starts, "
              f"{len(load.finishes)} finishes), stored {len(stored)}, lost {len(lost)}, "
              f"duplicates {len(duplicates)}, stored without a 2xx {unacked_stored}; "
              f"answers {dict(load.answers)}\n"
              f"  events: {page['head']}, gaps {gaps}, acked check-ins not in the log "
              f"{len(not_in_log)}\n"
              f"  schedd: steady monitors {STEADY} ({sum(keeper.pings.values())} pings), "
              f"false missed {false_missed}; abandoned {ABANDONED}, missed "
              f"{sum(len(missed.get(s, [])) for s, _ in abandoned)} times, errors "
              f"{len(verdict_errors)}\n"
              f"  SSE: {len(seen)} of {len(want)} public events, duplicates {sse_dups}, "
              f"missing {sse_missing}, out of order {int(seen != sorted(seen))}, "
              f"connections {reader.connects}, ends {dict(reader.ends)}")

    assert acked > 500, f"too little load to prove anything: {dict(load.answers)}"
    assert not load.exhausted, "the load ran out of monitors before the chaos ended"
    assert lost == [], f"acknowledged check-ins lost (seed {seed}): {lost[:5]}"
    assert duplicates == {}, f"stored twice (seed {seed}): {list(duplicates.items())[:5]}"
    assert strangers == [], strangers[:5]
    assert not_in_log == [], f"acknowledged check-ins without an event: {not_in_log[:5]}"
    assert false_missed == 0, {s: missed.get(s) for s, _ in steady if missed.get(s)}
    assert verdict_errors == [], f"abandoned monitors judged wrong (seed {seed}): " \
                                 f"{verdict_errors}"
    assert seen == want, f"the SSE client saw {len(seen)} events, {sse_dups} twice, " \
                         f"{sse_missing} missing (seed {seed})"
    assert reader.connects > len([k for k in kills if k in ("ingestd", "streamd")]), \
        "the SSE client resumed after each disconnect"
    # Every daemon was killed and came back, and they were SIGKILLed, not stopped.
    for name in DAEMONS:
        assert sv.log(name).count("killed by signal 9") == KILL_ROUNDS, sv.log(name)


def iso_us(text):
    return int(datetime.datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp() * S)
