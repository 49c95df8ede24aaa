"""The victim's side of the abuse tests (issue 17): does one client's attack
slow another organization down?

    victim = Victim(loom)              # a second organization, a monitor, its ping URL
    def attack(stop, tally, addr):     # runs in a process of its own until stop is set
        while not stop.is_set(): ...; tally["sent"] += 1
    with Attack(attack, loom.http_addr) as a:
        a.wait_started()               # the attack is under way (its first tally)
        ...
    victim.assert_holds("a flood of X", lambda: Attack(attack, loom.http_addr))
    assert_rss_below(loom)
    victim.assert_nothing_lost()

The victim pings its monitor over one keep-alive connection from a process of
its own, so neither it nor the attacker competes for this interpreter's GIL.
assert_holds measures ROUNDS pairs of windows, quiet then under attack, and
judges the median pair: a shared CI machine stalls for a second now and then,
and one stalled window must not decide.  The rule itself is the issue's:
under attack the victim keeps HOLD_RATIO of its quiet rate, with p99 at most
P99_MAX_MS.
"""

import http.client
import multiprocessing
import os
import statistics
import time
from collections import Counter

from loomtest import Http, wait_for

HOLD_RATIO = 0.5
P99_MAX_MS = 100.0
RSS_MAX = 256 << 20
ROUNDS = 3
WINDOW = 1.5                    # seconds per measurement window

_mp = multiprocessing.get_context("fork")


class Rate:
    """One window of the victim's pings."""

    def __init__(self, seconds, latencies_ms, errors):
        self.seconds = seconds
        self.ok = len(latencies_ms)
        self.errors = errors
        self.rate = self.ok / seconds
        lat = sorted(latencies_ms) or [float("inf")]
        self.p50 = lat[len(lat) // 2]
        self.p99 = lat[min(len(lat) - 1, int(len(lat) * 0.99))]

    def __repr__(self):
        return (f"{self.rate:.0f}/s ok, {self.errors} errors, "
                f"p50 {self.p50:.1f} ms, p99 {self.p99:.1f} ms")


def _ping_for(addr, path, seconds, out):
    host, port = addr.rsplit(":", 1)
    conn = http.client.HTTPConnection(host, int(port), timeout=10)
    latencies, errors = [], 0
    end = time.monotonic() + seconds
    while (t0 := time.monotonic()) < end:
        try:
            conn.request("POST", path, body=b"victim")
            r = conn.getresponse()
            r.read()
            if r.status == 200:
                latencies.append((time.monotonic() - t0) * 1000)
            else:
                errors += 1
        except (OSError, http.client.HTTPException):
            errors += 1
            conn.close()
            conn = http.client.HTTPConnection(host, int(port), timeout=10)
    conn.close()
    out.send((latencies, errors))
    out.close()


class Victim:
    """Another organization whose pings should not notice the attack."""

    def __init__(self, loom, name="victim-co"):
        self.loom = loom
        admin = loom.http()
        r = admin.post("/api/crons/organizations", {"name": name})
        assert r.status == 201, r
        self.token = r.json()["token"]["token"]
        http = Http(loom.http_addr, self.token)
        r = http.post("/api/crons/monitors", {
            "name": "victim", "slug": "victim",
            "schedule": {"type": "interval", "value": 1, "unit": "day"}})
        assert r.status == 201, r
        self.http = http
        self.ping_path = "/ping/" + r.json()["monitor"]["ping_key"]
        self.acked = 0

    def measure(self, seconds=WINDOW):
        """Pings for `seconds` from a process of its own: a Rate."""
        recv, send = _mp.Pipe(duplex=False)
        p = _mp.Process(target=_ping_for, args=(self.loom.http_addr, self.ping_path,
                                                 seconds, send))
        p.start()
        send.close()
        latencies, errors = recv.recv()
        p.join()
        self.acked += len(latencies)
        return Rate(seconds, latencies, errors)

    def assert_holds(self, attack_name, make_attack, rounds=ROUNDS):
        """Quiet window, then a window under a fresh make_attack(), `rounds`
        times; the median round must hold.  Returns [(quiet, under)]."""
        pairs = []
        for _ in range(rounds):
            quiet = self.measure()
            with make_attack() as a:
                a.wait_started()
                under = self.measure()
            pairs.append((quiet, under))
        for quiet, under in pairs:
            print(f"{attack_name}: quiet {quiet}; under attack {under}")
        ratio = statistics.median(u.rate / max(q.rate, 1e-9) for q, u in pairs)
        p99 = statistics.median(u.p99 for _, u in pairs)
        assert ratio >= HOLD_RATIO, \
            f"{attack_name}: the victim kept {ratio:.2f} of its quiet rate: {pairs}"
        assert p99 <= P99_MAX_MS, \
            f"{attack_name}: the victim's p99 rose to {p99:.1f} ms: {pairs}"
        return pairs

    def assert_nothing_lost(self):
        """Every acknowledged victim ping is stored (the day's figures count
        each finished check-in)."""
        r = self.http.get("/api/crons/monitors/victim/stats?period=day")
        assert r.status == 200, r
        stored = r.json()["total_checkins"]
        assert stored >= self.acked, f"acknowledged {self.acked} pings, stored {stored}"


class Attack:
    """Runs target(stop, tally, *args) in a process of its own while the
    with-block runs.  tally is a dict the target counts into (say by HTTP
    status); it reaches self.tally when the attack has stopped, and its
    sum is shared live, so wait_started() can see the attack going."""

    def __init__(self, target, *args, start_after=1):
        self.target, self.args, self.start_after = target, args, start_after
        self.tally = Counter()

    def __enter__(self):
        self.stop = _mp.Event()
        self.progress = _mp.Value("q", 0, lock=False)
        self.recv, send = _mp.Pipe(duplex=False)
        self.proc = _mp.Process(target=self._run, args=(send,), daemon=True)
        self.proc.start()
        send.close()
        return self

    def _run(self, send):
        progress = self.progress

        class Tally(Counter):
            def __setitem__(self, key, value):
                progress.value += value - self.get(key, 0)
                super().__setitem__(key, value)

        tally = Tally()
        try:
            self.target(self.stop, tally, *self.args)
        finally:
            send.send(dict(tally))
            send.close()

    def wait_started(self, timeout=10):
        wait_for("the attack to start",
                 lambda: self.progress.value >= self.start_after or not self.proc.is_alive(),
                 timeout=timeout)
        assert self.proc.is_alive() or self.recv.poll(), "the attack ended at once"

    def __exit__(self, *exc):
        self.stop.set()
        if self.recv.poll(15):
            self.tally.update(self.recv.recv())
        self.proc.join(5)
        if self.proc.is_alive():
            self.proc.kill()
            self.proc.join()
        return False


def rss_bytes(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


def assert_rss_below(loom, limit=RSS_MAX):
    """No daemon's resident set passes `limit`."""
    for name, d in loom.daemons.items():
        if d.running():
            rss = rss_bytes(d.proc.pid)
            assert rss < limit, f"{name} holds {rss >> 20} MiB, over {limit >> 20} MiB"
