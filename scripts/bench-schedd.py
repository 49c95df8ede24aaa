#!/usr/bin/python3
"""bench-schedd.py -- the measuring half of scripts/bench-schedd.

Loads N monitors into a fresh storaged (test-hook build, so the wall clock
can be moved through LOOM_TEST_CLOCK_FILE), then measures schedd:

  start-up    process start -> ping says synced (snapshot + catch-up done);
              repeated, median reported
  memory      (VmRSS after sync - VmRSS of a schedd watching nothing) / N
  latency     deadline -> verdict committed, i.e. the monitor.missed
              event's ts minus (expected_at + margin), for "hot" monitors
              whose deadlines come due at RATE per second; repeated
              rounds, median of the per-round figures reported

Monitors: a mix of cron and interval schedules over 20 zones, each with a
first check-in so that it is tracked.  Cold monitors have margins of 12-24
hours, so none of them comes due while we measure.  Hot monitors are
10-minute intervals with a 1-minute margin whose first check-ins are sent
paced at RATE per second for SECONDS seconds: their deadlines, 11 minutes
later in storaged's time, are spread the same way.  The clock is then
moved to just before the first hot deadline and real time does the rest;
each further round is 10 minutes later on the clock.  When storaged could
not record the check-ins as fast as asked, the deadlines are spread more
thinly; the clock then runs faster than real time during the rounds (the
clock file is rewritten every millisecond) so that they still come due at
RATE per second, and every duration read off the daemons' clock is scaled
back to real time.  (The clock can only be sped up: a file offset that
shrinks would make the clock jump back a little at every write.)

Requests are pipelined on one DEALER (many in flight), replies matched by
count.  Every process started here is recorded in DIR/pids so the bash
wrapper can stop it whatever happens.
"""

import argparse
import os
import signal
import statistics
import subprocess
import sys
import threading
import time

import msgpack
import zmq

S = 1_000_000
ZONES = ["UTC", "Europe/London", "Europe/Paris", "Europe/Berlin", "Europe/Moscow",
         "Africa/Cairo", "Africa/Johannesburg", "Asia/Dubai", "Asia/Kolkata", "Asia/Shanghai",
         "Asia/Tokyo", "Australia/Sydney", "Pacific/Auckland", "America/New_York",
         "America/Chicago", "America/Denver", "America/Los_Angeles", "America/Sao_Paulo",
         "America/Halifax", "Pacific/Honolulu"]
CRONS = ["0 * * * *", "*/15 * * * *", "30 2 * * *", "0 9 * * 1-5", "5 4 * * 0", "0 0 1 * *",
         "@daily", "@hourly", "*/5 * * * *", "0 */6 * * *", "15 3 * * 1#2", "0 12 L * *"]
UNITS = [("minute", 30, 720), ("hour", 1, 48), ("day", 1, 7)]

ctx = zmq.Context.instance()


def log(*a):
    print(*a, flush=True)


class Pipe:
    """Many requests in flight on one DEALER; replies are only counted."""

    def __init__(self, endpoint, window=4000):
        self.sock = ctx.socket(zmq.DEALER)
        self.sock.setsockopt(zmq.LINGER, 0)
        self.sock.setsockopt(zmq.SNDHWM, 0)
        self.sock.setsockopt(zmq.RCVHWM, 0)
        self.sock.connect(endpoint)
        self.window = window
        self.inflight = 0
        self.rid = 0
        self.errors = 0

    def _take(self, timeout_ms):
        if not self.sock.poll(timeout_ms):
            return False
        while True:
            try:
                name, body = self.sock.recv_multipart(zmq.NOBLOCK)
            except zmq.Again:
                return True
            self.inflight -= 1
            if name != b"ok":
                self.errors += 1
                if self.errors <= 5:
                    log("  error reply:", msgpack.unpackb(body, raw=False))

    def send(self, name, fields):
        while self.inflight >= self.window:
            if not self._take(30000):
                raise SystemExit("storaged stopped answering")
        self.rid += 1
        body = {"v": 1, "rid": self.rid}
        body.update(fields)
        self.sock.send_multipart([name, msgpack.packb(body)])
        self.inflight += 1

    def poll(self):
        self._take(0)

    def drain(self):
        while self.inflight > 0:
            if not self._take(60000):
                raise SystemExit("storaged stopped answering")


def call(endpoint, name, timeout_ms=5000, **fields):
    s = ctx.socket(zmq.DEALER)
    s.setsockopt(zmq.LINGER, 0)
    s.connect(endpoint)
    try:
        s.send_multipart([name.encode(), msgpack.packb({"v": 1, "rid": 1, **fields})])
        if not s.poll(timeout_ms):
            return None
        rname, body = s.recv_multipart()
        reply = msgpack.unpackb(body, raw=False)
        if rname != b"ok":
            raise RuntimeError(f"{name}: {reply}")
        return reply
    finally:
        s.close()


class System:
    def __init__(self, build, dir):
        self.build = build
        self.dir = dir
        self.clock = os.path.join(dir, "clock")
        self.offset = 0
        with open(self.clock, "w") as f:
            f.write("0")
        self.env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "LOOM_DATA_DIR": os.path.join(dir, "data"),
            "LOOM_RUN_DIR": os.path.join(dir, "run"),
            "LOOM_TEST_CLOCK_FILE": self.clock,
            "LOOM_MONITOR_LIMIT": "2000000",
            "LOOM_MAP_SIZE": "4G",
        }
        self.cmd = f"ipc://{dir}/run/storaged.cmd"
        self.ctl = f"ipc://{dir}/run/schedd.ctl"

    def start(self, name):
        logf = open(os.path.join(self.dir, name + ".log"), "ab")
        p = subprocess.Popen([os.path.join(self.build, "testhooks", "bin", name)],
                             env=self.env, stdout=logf, stderr=logf, stdin=subprocess.DEVNULL)
        logf.close()
        with open(os.path.join(self.dir, "pids"), "a") as f:
            f.write(f"{p.pid}\n")
        return p

    @staticmethod
    def stop(p):
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        return p.returncode

    def now_us(self):
        return int(time.time() * S) + self.offset

    def advance_to(self, t_us):
        self.set_offset(self.offset + t_us - self.now_us())

    def set_offset(self, offset):
        self.offset = offset
        tmp = self.clock + ".tmp"
        with open(tmp, "w") as f:
            f.write(str(offset))
        os.replace(tmp, self.clock)

    def schedd_status(self):
        try:
            return call(self.ctl, "ping", timeout_ms=200)
        except zmq.ZMQError:
            return None

    def log_tail(self, name, needle):
        with open(os.path.join(self.dir, name + ".log"), errors="replace") as f:
            lines = [l.rstrip() for l in f if needle in l]
        return lines[-1] if lines else ""


def rss_kb(pid, field="VmRSS"):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def cpu_s(pid):
    with open(f"/proc/{pid}/stat") as f:
        parts = f.read().rsplit(")", 1)[1].split()
    return (int(parts[11]) + int(parts[12])) / os.sysconf("SC_CLK_TCK")


def start_schedd(sys_, storaged=None):
    """Starts schedd; returns (process, seconds until synced, ping, CPU seconds of
    storaged and of schedd meanwhile)."""
    c0 = cpu_s(storaged.pid) if storaged else 0
    t0 = time.monotonic()
    p = sys_.start("schedd")
    while True:
        st = sys_.schedd_status()
        if st and st["synced"]:
            took = time.monotonic() - t0
            return p, took, st, ((cpu_s(storaged.pid) - c0) if storaged else 0, cpu_s(p.pid))
        if p.poll() is not None:
            raise SystemExit(f"schedd exited with {p.returncode}")
        if time.monotonic() - t0 > 300:
            raise SystemExit("schedd did not sync within 300 s")
        time.sleep(0.002)


def cold_spec(i):
    zone = ZONES[i % len(ZONES)]
    if i % 2 == 0:
        sched = {"type": "cron", "expression": CRONS[(i // 2) % len(CRONS)]}
    else:
        unit, lo, hi = UNITS[(i // 2) % len(UNITS)]
        sched = {"type": "interval", "value": lo + (i * 7919) % (hi - lo + 1), "unit": unit}
    return {"slug": f"c{i}", "schedule": sched, "timezone": zone, "margin": 720 + i % 720}


def hot_spec(i):
    return {"slug": f"h{i}", "schedule": {"type": "interval", "value": 10, "unit": "minute"},
            "timezone": ZONES[i % len(ZONES)], "margin": 1}


def load(sys_, org, n_cold, n_hot, rate):
    pipe = Pipe(sys_.cmd)
    t = time.monotonic()
    for i in range(n_cold):
        pipe.send(b"monitor.create", {"org": org, "monitor": cold_spec(i)})
    for i in range(n_hot):
        pipe.send(b"monitor.create", {"org": org, "monitor": hot_spec(i)})
    pipe.drain()
    log(f"  created {n_cold + n_hot} monitors in {time.monotonic() - t:.1f} s "
        f"({pipe.errors} errors)")
    t = time.monotonic()
    for i in range(n_cold):
        pipe.send(b"checkin.record", {"org": org, "slug": f"c{i}", "kind": "ok",
                                      "source": "sdk"})
    pipe.drain()
    log(f"  first check-ins of {n_cold} cold monitors in {time.monotonic() - t:.1f} s")
    # Hot check-ins paced at `rate`: their deadlines will be spread the same way.
    t = time.monotonic()
    for i in range(n_hot):
        due = t + i / rate
        while time.monotonic() < due:
            pipe.poll()
        pipe.send(b"checkin.record", {"org": org, "slug": f"h{i}", "kind": "ok",
                                      "source": "sdk"})
    pipe.drain()
    took = time.monotonic() - t
    log(f"  first check-ins of {n_hot} hot monitors in {took:.1f} s "
        f"({n_hot / took:.0f}/s; {pipe.errors} errors in all)")
    if pipe.errors:
        raise SystemExit("loading failed")


def events_after(sys_, after, want_type):
    out = []
    while True:
        page = call(sys_.cmd, "events.after", timeout_ms=60000, after=after, limit=10000)
        out += [e for e in page["events"] if e["type"] == want_type]
        if page["last"] >= page["head"]:
            return out, page["head"]
        after = page["last"]


def pct(sorted_values, p):
    return sorted_values[min(len(sorted_values) - 1, int(p / 100 * len(sorted_values)))]


class Warp(threading.Thread):
    """Runs the daemons' clock `speed` times faster than real time (1: plain)."""

    def __init__(self, sys_, speed):
        super().__init__(daemon=True)
        self.sys_, self.speed, self.done = sys_, speed, threading.Event()

    def run(self):
        if self.speed == 1:
            return
        t0, off0 = time.time(), self.sys_.offset
        while not self.done.wait(0.001):
            self.sys_.set_offset(off0 + int((self.speed - 1) * (time.time() - t0) * S))

    def stop(self):
        self.done.set()
        self.join()


def hot_round(sys_, org, n_hot, storaged, schedd, k, speed):
    """Brings one round of hot deadlines due; returns its figures (real time)."""
    first = call(sys_.cmd, "monitor.get", org=org, slug="h0")["monitor"]
    d0 = first["next_expected_at"] + 60 * S
    seq0 = call(sys_.cmd, "ping")["seq"]
    sys_.advance_to(d0 - int(2 * S * speed))   # the first hot deadline in 2 s
    warp = Warp(sys_, speed)
    warp.start()
    c0 = (cpu_s(storaged.pid), cpu_s(schedd.pid), time.monotonic())
    last_seq, still = seq0, time.monotonic()
    try:
        while last_seq < seq0 + n_hot:
            time.sleep(0.25)
            seq = call(sys_.cmd, "ping")["seq"]
            if seq != last_seq:
                last_seq, still = seq, time.monotonic()
            elif time.monotonic() - still > 30:
                log(f"  round {k}: stalled at {seq - seq0} of {n_hot} verdicts")
                break
    finally:
        warp.stop()
    c1 = (cpu_s(storaged.pid), cpu_s(schedd.pid), time.monotonic())
    evs, _ = events_after(sys_, seq0, "monitor.missed")
    # Durations on the daemons' clock run `speed` times too fast: scale back to real time.
    lat = sorted((e["ts"] - (e["checkin"]["expected_at"] + e["monitor"]["margin"] * 60 * S))
                 / 1000 / speed for e in evs)
    deadlines = sorted(e["checkin"]["expected_at"] + 60 * S for e in evs)
    commits = sorted(e["ts"] for e in evs)
    ids = {e["monitor"]["id"] for e in evs}
    span = (deadlines[-1] - deadlines[0]) / S / speed if len(deadlines) > 1 else 0
    cspan = (commits[-1] - commits[0]) / S / speed if len(commits) > 1 else 0
    busy = c1[2] - c0[2]
    r = {
        "verdicts": len(evs), "monitors": len(ids), "early": sum(1 for x in lat if x < 0),
        "rate": len(evs) / span if span else 0, "committed": len(evs) / cspan if cspan else 0,
        "p50": pct(lat, 50), "p99": pct(lat, 99), "max": lat[-1],
        "storaged_cpu": (c1[0] - c0[0]) / busy, "schedd_cpu": (c1[1] - c0[1]) / busy,
    }
    log(f"  round {k}: {r['verdicts']} verdicts for {r['monitors']} monitors, deadlines at "
        f"{r['rate']:.0f}/s, committed at {r['committed']:.0f}/s; latency p50 {r['p50']:.1f} ms,"
        f" p99 {r['p99']:.1f} ms, max {r['max']:.1f} ms; cpu storaged "
        f"{r['storaged_cpu'] * 100:.0f}%, schedd {r['schedd_cpu'] * 100:.0f}%")
    return r


def tsv(rows):
    """Rows of scripts/bench's table, appended to $BENCH_TSV when it is set:
    (figure, value, reference, ratio, target, met)."""
    path = os.environ.get("BENCH_TSV")
    if not path:
        return
    with open(path, "a") as f:
        for *cells, met in rows:
            f.write("\t".join(cells + ["PASS" if met else "FAIL"]) + "\n")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", required=True)
    ap.add_argument("--dir", required=True)
    ap.add_argument("--monitors", type=int, default=1_000_000)
    ap.add_argument("--rate", type=int, default=20_000)
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--starts", type=int, default=3)
    ap.add_argument("--env", action="append", default=[], metavar="NAME=VALUE",
                    help="extra environment for both daemons (e.g. LOOM_BATCH_MAX=4096)")
    a = ap.parse_args()
    n_hot = min(a.monitors, a.rate * a.seconds)
    n_cold = a.monitors - n_hot

    sys_ = System(a.build, a.dir)
    sys_.env.update(kv.split("=", 1) for kv in a.env)
    storaged = sys_.start("storaged")
    schedd = None
    try:
        for _ in range(500):
            try:
                if call(sys_.cmd, "ping", timeout_ms=100):
                    break
            except zmq.ZMQError:
                pass
        token = open(os.path.join(a.dir, "data", "admin-token")).read().strip()
        org = call(sys_.cmd, "token.verify", token=token)["org"]

        log("baseline: schedd watching nothing")
        schedd, _, _, _ = start_schedd(sys_)
        base_kb = rss_kb(schedd.pid)
        System.stop(schedd)
        schedd = None

        log(f"loading {a.monitors} monitors ({n_hot} hot at {a.rate}/s)")
        load(sys_, org, n_cold, n_hot, a.rate)

        starts, mems, start_cpu = [], [], []
        for k in range(a.starts):
            schedd, took, st, cpu = start_schedd(sys_, storaged)
            kb = rss_kb(schedd.pid)
            starts.append(took)
            start_cpu.append(cpu)
            mems.append((kb - base_kb) * 1024 / st["monitors"])
            log(f"  start {k + 1}: synced in {took:.2f} s, {st['monitors']} monitors, "
                f"{st['deadlines']} deadlines, VmRSS {kb} kB (baseline {base_kb} kB); CPU "
                f"storaged {cpu[0]:.2f} s, schedd {cpu[1]:.2f} s")
            log("   " + sys_.log_tail("schedd", "synced:").split("info: ", 1)[-1])
            if k + 1 < a.starts:
                System.stop(schedd)
                schedd = None

        # Deadlines are spread as the hot check-ins were committed; if storaged
        # could not take them at the rate asked, run the clock faster to match.
        first = call(sys_.cmd, "monitor.get", org=org, slug="h0")["monitor"]["next_expected_at"]
        last = call(sys_.cmd, "monitor.get", org=org, slug=f"h{n_hot - 1}")["monitor"][
            "next_expected_at"]
        spread_rate = (n_hot - 1) / ((last - first) / S) if last > first else a.rate
        speed = a.rate / spread_rate if spread_rate < a.rate * 0.98 else 1
        if speed != 1:
            log(f"  hot deadlines are spread at {spread_rate:.0f}/s: the clock runs "
                f"{speed:.2f}x faster while judging, durations are scaled back")
        rounds = [hot_round(sys_, org, n_hot, storaged, schedd, k + 1, speed)
                  for k in range(a.rounds)]
        after_kb = rss_kb(schedd.pid)
        code = System.stop(schedd)
        schedd = None
        if code != 0:
            log(f"schedd exited with {code} on SIGTERM")

        med = statistics.median
        rows = [
            ("monitors loaded", f"{a.monitors:,}", ""),
            ("schedd start-up to synced (median)", f"{med(starts):.2f} s", "<= 5 s"),
            ("  CPU meanwhile: storaged / schedd (median)",
             f"{med(c[0] for c in start_cpu):.2f} s / {med(c[1] for c in start_cpu):.2f} s", ""),
            ("resident memory per monitor (median)", f"{med(mems):.0f} B", "<= 300 B"),
            ("deadlines due per second (achieved)", f"{med(r['rate'] for r in rounds):,.0f}/s",
             f"{a.rate:,}/s"),
            ("verdicts committed per second (median)",
             f"{med(r['committed'] for r in rounds):,.0f}/s", ""),
            ("verdict latency p50 (median of rounds)", f"{med(r['p50'] for r in rounds):.1f} ms",
             ""),
            ("verdict latency p99 (median of rounds)", f"{med(r['p99'] for r in rounds):.1f} ms",
             "<= 100 ms"),
            ("verdict latency max (worst round)", f"{max(r['max'] for r in rounds):.1f} ms", ""),
            ("verdicts early / doubled", f"{sum(r['early'] for r in rounds)} / "
             f"{sum(r['verdicts'] - r['monitors'] for r in rounds)}", "0 / 0"),
            ("storaged / schedd CPU while judging",
             f"{med(r['storaged_cpu'] for r in rounds) * 100:.0f}% / "
             f"{med(r['schedd_cpu'] for r in rounds) * 100:.0f}%", ""),
            ("schedd VmRSS after the rounds", f"{after_kb:,} kB", ""),
        ]
        w = max(len(r[0]) for r in rows)
        print(f"\n{'figure':<{w}}  {'value':>18}  target")
        for name, value, target in rows:
            print(f"{name:<{w}}  {value:>18}  {target}")
        early = sum(r["early"] for r in rounds)
        doubled = sum(r["verdicts"] - r["monitors"] for r in rounds)
        tsv([
            (f"schedd start-up to synced, {a.monitors:,} monitors (median of {a.starts})",
             f"{med(starts):.2f} s", "-", "-", "<= 5 s", med(starts) <= 5),
            ("schedd resident memory per monitor (median)", f"{med(mems):.0f} B", "-", "-",
             "<= 300 B", med(mems) <= 300),
            (f"verdict latency p99 at {a.rate:,} deadlines/s (median of {a.rounds})",
             f"{med(r['p99'] for r in rounds):.1f} ms",
             f"{med(r['committed'] for r in rounds):,.0f} verdicts/s committed", "-",
             "<= 100 ms", med(r["p99"] for r in rounds) <= 100),
            ("verdicts early / doubled", f"{early} / {doubled}", "-", "-", "0 / 0",
             early == 0 and doubled == 0),
        ])
        print("\nstart-ups: " + ", ".join("%.2f s" % x for x in starts) +
              "; p99 per round: " + ", ".join("%.1f ms" % r["p99"] for r in rounds))
    finally:
        if schedd is not None:
            System.stop(schedd)
        System.stop(storaged)


if __name__ == "__main__":
    main()
