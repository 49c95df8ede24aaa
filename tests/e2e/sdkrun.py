"""sdkrun -- runs an SDK's own test suite (sdk/<language>) against a running Loom.

The suite gets, in its environment:
    LOOM_URL          the system's base URL
    LOOM_TOKEN        a token with the checkins scope only, as a job's would be
    LOOM_ADMIN_TOKEN  an admin token, to read back what was recorded
    LOOM_DOWN_URL     a loopback URL where nothing listens
"""

import os
import subprocess
import time

from loomtest import free_port

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def suite_env(loom):
    r = loom.http().post("/api/crons/tokens", {"name": "sdk-tests", "scopes": ["checkins"]})
    assert r.status == 201, r
    env = dict(os.environ)
    env.update(LOOM_URL=loom.base_url, LOOM_TOKEN=r.json()["token"],
               LOOM_ADMIN_TOKEN=loom.admin_token,
               LOOM_DOWN_URL=f"http://127.0.0.1:{free_port()}")
    return env


def run(argv, cwd, env=None, timeout=600):
    """Runs argv; fails the test with its whole output unless it exits 0."""
    began = time.monotonic()
    p = subprocess.run(argv, cwd=cwd, env=env, stdin=subprocess.DEVNULL,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=timeout)
    out = p.stdout.decode("utf-8", "replace")
    took = time.monotonic() - began
    assert p.returncode == 0, f"{' '.join(argv)} exited {p.returncode} after {took:.1f}s:\n{out}"
    return out
