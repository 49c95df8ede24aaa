#!/usr/bin/env python3
"""bench-abuse -- the abuse tests' attacks (tests/chaos/test_abuse_*.py), each
against a fresh system, with another organization's pings measured quiet and
under the attack, in one table: quiet and attacked ping rates (the medians of
ROUNDS window pairs), their ratio, p99 under attack, the largest daemon RSS,
and the issue's targets (ratio >= 0.5, p99 <= 100 ms, RSS < 256 MiB).

    scripts/bench-abuse [--rounds N] [NAME...]

Rows are appended to $BENCH_TSV for scripts/bench when it is set.  The
attacks are the chaos tests' own functions, so the bench measures what the
tests assert.
"""

import argparse
import os
import statistics
import sys

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
sys.path[:0] = [os.path.join(ROOT, "tests", "chaos"), os.path.join(ROOT, "tests", "e2e")]
os.environ.setdefault("LOOM_BUILD", os.path.join(ROOT, "build"))

import abuse  # noqa: E402
from abuse import Attack, Victim, rss_bytes  # noqa: E402
from loomtest import Loom  # noqa: E402


def readers(clients):
    def setup(loom):
        import test_abuse_reads as t
        slug = t.build_history(loom, loom.http())
        return lambda: Attack(t.reader_clients, loom.http_addr, loom.admin_token, slug,
                              clients)
    return setup


def stream_churn(loom):
    import test_abuse_streams as t
    return lambda: Attack(t.churn, loom.http_addr, loom.admin_token)


def h2_reset(loom):
    import test_abuse_reset as t
    r = loom.http().post("/api/crons/monitors", {
        "slug": "reset", "schedule": {"type": "interval", "value": 1, "unit": "day"}})
    path = "/ping/" + r.json()["monitor"]["ping_key"]
    return lambda: Attack(t.rapid_reset, loom.http_addr, path, start_after=t.BURST)


def hoard(loom):
    import test_abuse_connections as t
    return lambda: Attack(t.hoard, loom.http_addr, start_after=t.CAP)


def open_runs(loom):
    import test_abuse_open_runs as t
    key = t.abandoned(loom)
    return lambda: Attack(t.open_runs_forever, loom.http_addr, key, t.CLIENTS)


# name: (environment of the daemons, setup(loom) -> a new attack each call)
ATTACKS = {
    "reads-8": ({}, readers(8)),
    "reads-40": ({}, readers(40)),
    "streams": ({"LOOM_STREAMS_PER_ORG": "4", "LOOM_SSE_HEARTBEAT": "200ms"}, stream_churn),
    "conns": ({"LOOM_MAX_CONNECTIONS": "300", "LOOM_HTTP_IDLE_TIMEOUT": "2s"}, hoard),
    "h2-reset": ({}, h2_reset),
    "open-runs": ({"LOOM_OPEN_RUNS_MAX": "2000"}, open_runs),    # test_abuse_open_runs.CAP
}


def measure(name, rounds):
    env, setup = ATTACKS[name]
    loom = Loom(env=env)
    try:
        loom.start()
        make_attack = setup(loom)
        victim = Victim(loom)
        pairs, rss = [], 0
        for _ in range(rounds):
            quiet = victim.measure()
            with make_attack() as a:
                a.wait_started()
                under = victim.measure()
                rss = max([rss] + [rss_bytes(d.proc.pid) for d in loom.daemons.values()
                                   if d.running()])
            pairs.append((quiet, under))
        return {
            "quiet": statistics.median(q.rate for q, _ in pairs),
            "under": statistics.median(u.rate for _, u in pairs),
            "ratio": statistics.median(u.rate / max(q.rate, 1e-9) for q, u in pairs),
            "p99": statistics.median(u.p99 for _, u in pairs),
            "rss": rss,
        }
    finally:
        codes = loom.stop()
        loom.cleanup()
        if any(c != 0 for c in codes.values()):
            print(f"{name}: a daemon exited badly: {codes}", file=sys.stderr)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=abuse.ROUNDS)
    ap.add_argument("names", nargs="*", metavar="NAME", help=" ".join(ATTACKS))
    args = ap.parse_args()
    for name in args.names:
        if name not in ATTACKS:
            ap.error(f"no attack {name!r}: {' '.join(ATTACKS)}")
    rows, ok = [], True
    for name in args.names or ATTACKS:
        m = measure(name, args.rounds)
        met = (m["ratio"] >= abuse.HOLD_RATIO and m["p99"] <= abuse.P99_MAX_MS
               and m["rss"] < abuse.RSS_MAX)
        ok &= met
        rows.append((name, m, met))
    print(f"{'attack':<10} {'quiet/s':>8} {'under/s':>8} {'ratio':>6} {'p99 ms':>7} "
          f"{'RSS MiB':>8}  result (ratio >= {abuse.HOLD_RATIO}, p99 <= {abuse.P99_MAX_MS:.0f} ms)")
    for name, m, met in rows:
        print(f"{name:<10} {m['quiet']:>8.0f} {m['under']:>8.0f} {m['ratio']:>6.2f} "
              f"{m['p99']:>7.1f} {m['rss'] >> 20:>8}  {'PASS' if met else 'FAIL'}")
    tsv = os.environ.get("BENCH_TSV")
    if tsv:
        with open(tsv, "a") as f:
            for name, m, met in rows:
                f.write(f"victim pings under {name}\t{m['under']:.0f}/s\t{m['quiet']:.0f}/s "
                        f"quiet\t{m['ratio']:.2f}\t>= {abuse.HOLD_RATIO}, p99 "
                        f"{m['p99']:.1f} <= {abuse.P99_MAX_MS:.0f} ms\t"
                        f"{'PASS' if met else 'FAIL'}\n")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
