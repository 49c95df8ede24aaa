#!/usr/bin/env python3
"""bench-alerts -- alert delivery on loopback (issue 18's targets).

10,000 monitors, 100 webhook channels, each channel taking the failures of
its own 100 monitors (its `monitors` filter), one receiver (an asyncio
HTTP/1.1 server with keep-alive) counting what arrives:

  burst    every monitor fails once while the receiver holds its answers (so
           the events wait in the log, one delivery per channel in flight);
           then it answers: deliveries per second from then to the last
           (target >= 2,000/s)
  steady   failures at --rate events/s (500) for --seconds (10): the latency
           from a failure's acknowledged ping to its delivery, p50 and p99
           (target p99 <= 1 s)

and streamd's RSS after both.  Reference in the same run: the ping rate the
failures went in at (deliveries cannot outrun their events).

    scripts/bench-alerts [--monitors N] [--rate R] [--seconds S]
"""

import argparse
import asyncio
import http.client
import multiprocessing
import os
import statistics
import sys
import threading
import time

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
sys.path[:0] = [os.path.join(ROOT, "tests", "e2e"), os.path.join(ROOT, "tests", "chaos")]
os.environ.setdefault("LOOM_BUILD", os.path.join(ROOT, "build"))

from abuse import rss_bytes  # noqa: E402
from loomtest import Loom, free_port  # noqa: E402

CHANNELS = 100
SENDERS = 8


class Receiver:
    """Counts deliveries in a process of its own (so that the senders' threads
    do not delay its clock readings): the first arrival of each (channel path,
    Loom-Event-Id), on the system-wide monotonic clock, with its monitor."""

    def __init__(self):
        ctx = multiprocessing.get_context("fork")
        self.port = free_port()
        self.open = ctx.Event()
        self.open.set()
        self.held = ctx.Value("i", 0, lock=False)
        self.seen = ctx.Value("i", 0, lock=False)
        self.ask, self.answer = ctx.Pipe()
        ready = ctx.Event()
        self.proc = ctx.Process(target=self._run, args=(ready,), daemon=True)
        self.proc.start()
        ready.wait()

    def _run(self, ready):
        arrivals, slugs = {}, {}
        loop = asyncio.new_event_loop()

        async def gate():
            while not self.open.is_set():
                await asyncio.sleep(0.001)

        async def serve(reader, writer):
            try:
                while True:
                    head = await reader.readuntil(b"\r\n\r\n")
                    lines = head.decode("latin-1").split("\r\n")
                    path = lines[0].split(" ")[1]
                    fields = dict(line.split(": ", 1) for line in lines[1:] if ": " in line)
                    body = await reader.readexactly(int(fields.get("Content-Length", "0")))
                    if not self.open.is_set():
                        self.held.value += 1
                        await gate()
                    key = (path, fields.get("Loom-Event-Id"))
                    if key not in arrivals:
                        arrivals[key] = time.monotonic()
                        self.seen.value += 1
                        marker = body.find(b'"slug":"')
                        if marker >= 0:
                            slugs[key] = body[marker + 8:body.index(b'"', marker + 8)].decode()
                    writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
                    await writer.drain()
            except (asyncio.IncompleteReadError, ConnectionError):
                pass
            finally:
                writer.close()

        async def report():
            while True:
                if self.answer.poll():
                    self.answer.recv()
                    self.answer.send((arrivals, slugs))
                await asyncio.sleep(0.05)

        loop.run_until_complete(asyncio.start_server(serve, "127.0.0.1", self.port,
                                                     backlog=1024))
        ready.set()
        loop.run_until_complete(report())

    def count(self):
        return self.seen.value

    def hold(self):
        self.open.clear()

    def release(self):
        self.open.set()

    def arrivals(self):
        """{(path, event id): monotonic time}, {(path, event id): monitor slug}."""
        self.ask.send("report")
        return self.ask.recv()

    def stop(self):
        self.proc.kill()


def fail_all(addr, keys, rate=None):
    """Pings /fail for each key from SENDERS threads; returns {key: ack time}."""
    host, port = addr.rsplit(":", 1)
    acked = {}
    lock = threading.Lock()
    start = time.monotonic()

    def send(part, offset):
        conn = http.client.HTTPConnection(host, int(port), timeout=30)
        for i, key in enumerate(part):
            if rate:
                due = start + (offset + i * SENDERS) / rate
                if (wait := due - time.monotonic()) > 0:
                    time.sleep(wait)
            conn.request("POST", f"/ping/{key}/fail", body=b"exit 1")
            r = conn.getresponse()
            r.read()
            assert r.status == 200, r.status
            with lock:
                acked[key] = time.monotonic()
        conn.close()
    threads = [threading.Thread(target=send, args=(keys[i::SENDERS], i))
               for i in range(SENDERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return acked, time.monotonic() - start


def wait_count(rx, n, timeout):
    end = time.monotonic() + timeout
    while rx.count() < n and time.monotonic() < end:
        time.sleep(0.05)
    return rx.count()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--monitors", type=int, default=10000)
    ap.add_argument("--rate", type=float, default=500.0)
    ap.add_argument("--seconds", type=float, default=10.0)
    args = ap.parse_args()
    per = args.monitors // CHANNELS
    rx = Receiver()
    loom = Loom(env={"LOOM_WEBHOOK_ALLOW_PRIVATE": "1", "LOOM_ALERT_INFLIGHT": "128",
                     "LOOM_MONITOR_LIMIT": str(args.monitors + 10)})
    try:
        loom.start()
        api = loom.http()
        keys, slug_of = [], {}
        for c in range(CHANNELS):
            slugs = [f"m{c}-{i}" for i in range(per)]
            for s in slugs:
                r = api.post("/api/crons/monitors", {
                    "slug": s, "schedule": {"type": "interval", "value": 1, "unit": "day"}})
                assert r.status == 201, r
                keys.append(r.json()["monitor"]["ping_key"])
                slug_of[keys[-1]] = s
            r = api.post("/api/crons/channels", {
                "kind": "webhook", "url": f"http://127.0.0.1:{rx.port}/c{c}",
                "monitors": slugs, "events": ["checkin.error"]})
            assert r.status == 201, r
        time.sleep(1)                               # streamd has loaded the channels

        # burst: every monitor fails once, delivered from the log's backlog
        rx.hold()
        acked, took = fail_all(loom.http_addr, keys)
        ping_rate = len(keys) / took
        end = time.monotonic() + 30
        while rx.held.value < CHANNELS and time.monotonic() < end:
            time.sleep(0.05)
        opened = time.monotonic()
        rx.release()
        got = wait_count(rx, len(keys), 120)
        arrived, _ = rx.arrivals()
        burst = got / max(max(arrived.values()) - opened, 1e-9) if got else 0.0

        # steady: --rate failures per second, each monitor once more
        before = set(arrived)
        n = min(len(keys), int(args.rate * args.seconds))
        acked, _ = fail_all(loom.http_addr, keys[:n], rate=args.rate)
        wait_count(rx, len(before) + n, 60)
        arrived, slugs = rx.arrivals()
        latencies = []
        slug_ack = {slug_of[k]: t for k, t in acked.items()}
        for key, t in arrived.items():
            if key not in before and slugs.get(key) in slug_ack:
                latencies.append(t - slug_ack[slugs[key]])
        latencies.sort()
        p50 = latencies[len(latencies) // 2] if latencies else float("inf")
        p99 = latencies[int(len(latencies) * 0.99)] if latencies else float("inf")
        rss = rss_bytes(loom.daemons["streamd"].proc.pid)
    finally:
        rx.stop()
        codes = loom.stop()
        summary = [line for line in loom.daemons["streamd"].log().splitlines()
                   if "alerts:" in line and "delivered" in line]
        loom.cleanup()
        if any(c != 0 for c in codes.values()):
            print(f"a daemon exited badly: {codes}", file=sys.stderr)
    burst_ok, lat_ok = burst >= 2000, p99 <= 1.0
    print(f"monitors {args.monitors}, channels {CHANNELS}")
    print(f"burst: {got} deliveries, {burst:.0f}/s (failure pings went in at "
          f"{ping_rate:.0f}/s); target >= 2000/s: {'PASS' if burst_ok else 'FAIL'}")
    print(f"steady {args.rate:.0f} events/s for {args.seconds:.0f} s: {len(latencies)} "
          f"deliveries, ping -> delivery p50 {p50 * 1000:.0f} ms, p99 {p99 * 1000:.0f} ms; "
          f"target p99 <= 1000 ms: {'PASS' if lat_ok else 'FAIL'}")
    print(f"streamd RSS {rss / 2**20:.1f} MiB; " + (summary[-1].split("info: ")[-1]
                                                    if summary else "no alerts summary"))
    tsv = os.environ.get("BENCH_TSV")
    if tsv:
        with open(tsv, "a") as f:
            f.write(f"alert deliveries/s (burst)\t{burst:.0f}/s\t{ping_rate:.0f}/s pings\t"
                    f"{burst / max(ping_rate, 1e-9):.2f}\t>= 2000/s\t"
                    f"{'PASS' if burst_ok else 'FAIL'}\n")
            f.write(f"alert p99 ping -> delivery at {args.rate:.0f}/s\t{p99 * 1000:.0f} ms\t"
                    f"p50 {p50 * 1000:.0f} ms\t-\t<= 1000 ms\t{'PASS' if lat_ok else 'FAIL'}\n")
            f.write(f"streamd RSS after the alert bench\t{rss / 2**20:.1f} MiB\t-\t-\t"
                    f"reported\tPASS\n")
    return 0 if burst_ok and lat_ok else 1


if __name__ == "__main__":
    sys.exit(main())
