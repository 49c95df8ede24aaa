"""supervise -- the whole system under runit, started the way `make run` does.

`Supervised` runs scripts/run (runsvdir over service directories generated
from scripts/runit/) with every path and port in a temporary directory,
optionally on the test-hook builds so that advance() moves the daemons'
clock.  It reads daemon PIDs from runit's supervise/ files, probes readiness
as the runit check scripts do, and on stop() sends SIGINT (Ctrl-C), waits for
scripts/run to exit and proves that no process is left in the directory.
"""

import os
import re
import shutil
import signal
import subprocess
import tempfile
import time

import pytest

from loomtest import BUILD, SSE, Http, free_port, wait_for

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
PROBE = os.path.join(BUILD, "bin", "loom-probe")


def procs_in(path):
    """PIDs of processes whose working directory is path or under it."""
    pids = []
    for p in os.listdir("/proc"):
        if not p.isdigit():
            continue
        try:
            cwd = os.readlink(f"/proc/{p}/cwd")
        except OSError:
            continue
        if cwd == path or cwd.startswith(path + "/"):
            pids.append(int(p))
    return pids


def unclean_exits(sv):
    """{daemon: how it last ended} for each daemon whose last exit, as its
    finish script logged it, was not exit 0 (empty when all ended cleanly)."""
    bad = {}
    for d in sv.daemons():
        ends = re.findall(r" (exited -?\d+|killed by signal \d+)", sv.log(d))
        if not ends or ends[-1] != "exited 0":
            bad[d] = ends[-1:] or "no exit logged"
    return bad


def probe(endpoint, timeout_ms=1000):
    """loom-probe's exit code for a ZeroMQ endpoint."""
    return subprocess.run([PROBE, "-t", str(timeout_ms), endpoint], capture_output=True,
                          timeout=30).returncode


ALL = ("storaged", "schedd", "streamd", "ingestd")


def need_all(testhooks):
    """Skips (fails in CI) unless all four daemons are built."""
    d = os.path.join(BUILD, "testhooks", "bin") if testhooks else os.path.join(BUILD, "bin")
    missing = [n for n in ALL if not os.access(os.path.join(d, n), os.X_OK)]
    if missing:
        msg = f"not built in {d}: {', '.join(missing)} (make all testhooks)"
        if os.environ.get("CI"):
            pytest.fail(msg)
        pytest.skip(msg + " (in CI this fails)")


def run_supervised(request, testhooks, env=None):
    """A fixture body: the supervised system, then Ctrl-C, which must end
    every daemon with exit 0 and leave no process behind."""
    sv = Supervised(testhooks=testhooks, env=env)
    try:
        sv.start()
        yield sv
        rep = getattr(request.node, "rep_call", None)
        if rep is not None and rep.failed:
            print(sv.logs())
        code, left = sv.stop()
        assert code == 0, f"scripts/run exited {code} on Ctrl-C:\n{sv.logs()}"
        assert left == [], f"processes left after Ctrl-C: {left}"
        assert unclean_exits(sv) == {}, sv.logs()
    finally:
        sv.cleanup()


class Supervised:
    """scripts/run in a temporary directory (all of it under self.dir)."""

    def __init__(self, testhooks=False, env=None, loom_env=None):
        """loom_env: run a copy of scripts/ in a checkout of its own whose
        ./loom.env holds that text, with make run's own defaults (./var in
        that checkout) and nothing but env set."""
        self.dir = tempfile.mkdtemp(prefix="loom-sv-", dir="/tmp")  # ipc paths must be short
        checkout = os.path.join(self.dir, "checkout") if loom_env is not None else None
        if checkout:
            shutil.copytree(os.path.join(ROOT, "scripts"), os.path.join(checkout, "scripts"))
            with open(os.path.join(checkout, "loom.env"), "w") as f:
                f.write(loom_env)
        var = os.path.join(checkout, "var") if checkout else self.dir
        self.run = os.path.join(checkout or ROOT, "scripts", "run")
        self.svdir = os.path.join(var, "service")
        self.data_dir = os.path.join(var, "data")
        self.run_dir = os.path.join(var, "run")
        self.clock_file = os.path.join(self.dir, "clock")
        self.http_addr = f"127.0.0.1:{free_port()}"
        self.stream_addr = f"127.0.0.1:{free_port()}"
        self.testhooks = testhooks
        self.offset_us = 0
        with open(self.clock_file, "w") as f:
            f.write("0")
        self.env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}
        if checkout is None:
            self.env.update({
                "LOOM_SERVICE_DIR": self.svdir,
                "LOOM_DATA_DIR": self.data_dir,
                "LOOM_RUN_DIR": self.run_dir,
                "LOOM_HTTP_ADDR": self.http_addr,
                "LOOM_STREAM_ADDR": self.stream_addr,
                "LOOM_TEST_CLOCK_FILE": self.clock_file,
            })
        self.env.update(env or {})
        self.http_addr = self.env.get("LOOM_HTTP_ADDR", self.http_addr)
        self.stream_addr = self.env.get("LOOM_STREAM_ADDR", self.stream_addr)
        self.bin = os.path.join(BUILD, "testhooks", "bin") if testhooks else \
            os.path.join(BUILD, "bin")
        self.out_path = os.path.join(self.dir, "run.out")
        self.proc = None
        self._token = None

    # --- life cycle ---
    def start(self):
        """Starts scripts/run; returns once it printed that everything is ready."""
        out = open(self.out_path, "ab")
        # Its own process group, like a shell job: stop() sends Ctrl-C's SIGINT to it.
        self.proc = subprocess.Popen([self.run, "-b", self.bin, "-p", PROBE], env=self.env,
                                     stdout=out, stderr=out, stdin=subprocess.DEVNULL,
                                     start_new_session=True)
        out.close()

        deadline = time.monotonic() + 60
        while "is running at" not in self.output():
            if self.proc.poll() is not None:
                raise AssertionError(f"scripts/run exited {self.proc.returncode}:\n"
                                     f"{self.output()}")
            if time.monotonic() > deadline:
                raise AssertionError(f"scripts/run not ready after 60 s:\n{self.output()}")
            time.sleep(0.05)
        return self

    def stop(self, timeout=20):
        """Ctrl-C: returns scripts/run's exit code and the PIDs left behind."""
        if self.proc is None:
            return 0, []
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGINT)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        return self.proc.returncode, procs_in(self.dir)

    def cleanup(self):
        """Whatever happened: nothing of ours keeps running, nothing stays on disk."""
        self.stop()
        for pid in procs_in(self.dir):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        shutil.rmtree(self.dir, ignore_errors=True)

    def output(self):
        with open(self.out_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    # --- the services ---
    def daemons(self):
        return sorted(d for d in os.listdir(self.svdir)
                      if os.path.isdir(os.path.join(self.svdir, d)))

    def log(self, name):
        try:
            with open(os.path.join(self.svdir, name, "log", "main", "current"), "rb") as f:
                return f.read().decode("utf-8", "replace")
        except FileNotFoundError:
            return ""

    def logs(self):
        return "\n".join(f"--- {d} ---\n{self.log(d)}" for d in self.daemons()) + \
            f"\n--- scripts/run ---\n{self.output()}"

    def pid(self, name):
        """The daemon's PID as runsv reports it; None unless it runs (while
        ./finish runs, supervise/pid is the finish script's)."""
        sup = os.path.join(self.svdir, name, "supervise")
        try:
            with open(os.path.join(sup, "stat")) as f:
                if not f.read().startswith("run"):
                    return None
            with open(os.path.join(sup, "pid")) as f:
                text = f.read().strip()
        except FileNotFoundError:
            return None
        return int(text) if text else None

    def status(self, name):
        return subprocess.run(["sv", "status", os.path.join(self.svdir, name)],
                              capture_output=True, text=True).stdout.strip()

    def serving(self, name):
        """What the runit check script asks: does name answer its probe?"""
        if name == "storaged":
            return probe(f"ipc://{self.run_dir}/storaged.cmd") == 0
        if name == "schedd":
            return probe(f"ipc://{self.run_dir}/schedd.ctl") == 0
        addr = self.http_addr if name == "ingestd" else self.stream_addr
        try:
            return Http(addr, None, timeout=1).get("/healthz").status == 200
        except OSError:
            return False

    # --- clients ---
    @property
    def admin_token(self):
        if self._token is None:
            path = os.path.join(self.data_dir, "admin-token")
            self._token = wait_for("admin-token", lambda: os.path.exists(path) and
                                   open(path).read().strip())
        return self._token

    def http(self, token=...):
        return Http(self.http_addr, self.admin_token if token is ... else token)

    def sse(self, path="/api/crons/stream", headers=None):
        return SSE(self.http_addr, path, self.admin_token, headers)

    # --- test clock (test-hook builds) ---
    def advance(self, seconds):
        assert self.testhooks, "advance() needs Supervised(testhooks=True)"
        self.offset_us += int(seconds * 1_000_000)
        tmp = self.clock_file + ".tmp"
        with open(tmp, "w") as f:
            f.write(str(self.offset_us))
        os.replace(tmp, self.clock_file)

    def now_us(self):
        return int(time.time() * 1_000_000) + self.offset_us
