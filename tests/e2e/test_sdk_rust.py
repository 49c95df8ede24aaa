"""The Rust SDK (sdk/rust): built offline by Debian's own cargo and rustc from
Debian's packaged crates, then `cargo test` against the real daemons.

The target directory is $LOOM_BUILD/rust, so only the first run compiles
tokio and reqwest (a few minutes on two cores); later runs take seconds.
"""

import os

from loomtest import BUILD
from sdkrun import ROOT, run, suite_env

SDK = os.path.join(ROOT, "sdk", "rust")
CARGO = os.path.join(SDK, "debian-cargo")


def test_rust_sdk(loom):
    assert os.path.exists("/usr/bin/cargo"), "no Debian cargo: run `make deps`"
    env = suite_env(loom)
    env["CARGO_TARGET_DIR"] = os.path.join(os.path.abspath(BUILD), "rust")
    env["CARGO_TERM_COLOR"] = "never"
    out = run([CARGO, "test", "--quiet"], cwd=SDK, env=env, timeout=900)
    assert "test result: FAILED" not in out, out
    print(out)
