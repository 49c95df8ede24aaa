"""The TypeScript SDK (sdk/typescript): compiled with Debian's tsc, then its
own tests (node --test) against the real daemons."""

import glob
import os
import shutil
import subprocess

from sdkrun import ROOT, run, suite_env

SDK = os.path.join(ROOT, "sdk", "typescript")


def node():
    """A node of at least version 18 (global fetch, node:test): the PATH's, else Debian's."""
    for candidate in (shutil.which("node"), "/usr/bin/node"):
        if candidate and os.path.exists(candidate):
            out = subprocess.run([candidate, "-p", "process.versions.node"],
                                 capture_output=True, text=True).stdout
            if out and int(out.split(".")[0]) >= 18:
                return candidate
    raise AssertionError("no node >= 18: run `make deps`")


def test_typescript_sdk(loom):
    tsc = shutil.which("tsc") or "/usr/bin/tsc"
    assert os.path.exists(tsc), "no tsc: run `make deps` (node-typescript)"
    run([tsc, "-p", SDK], cwd=SDK, timeout=120)
    tests = sorted(glob.glob(os.path.join(SDK, "test", "*.test.js")))
    assert tests
    out = run([node(), "--test", "--test-reporter=tap", *tests], cwd=SDK, env=suite_env(loom),
              timeout=120)
    assert "# fail 0" in out and "# pass 0" not in out, out
    print(out)
