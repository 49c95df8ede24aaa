"""The Rust SDK (sdk/rust): built offline by Debian's own cargo and rustc from
Debian's packaged crates, then `cargo test` against the real daemons.

The target directory is $LOOM_BUILD/rust, so only the first run compiles
tokio and reqwest (a few minutes on two cores); later runs take seconds.
"""

import os
import subprocess

from sdkrun import RUST_SDK, cargo_env, readme_block, run, rust_program, suite_env

CARGO = os.path.join(RUST_SDK, "debian-cargo")


def test_rust_sdk(loom):
    assert os.path.exists("/usr/bin/cargo"), "no Debian cargo: run `make deps`"
    env = {**suite_env(loom), **cargo_env()}
    out = run([CARGO, "test", "--quiet"], cwd=RUST_SDK, env=env, timeout=900)
    assert "test result: FAILED" not in out, out
    print(out)


# README's example in a program of a user's own: sentry and backup() are theirs.
README_PROGRAM = """\
mod sentry {
    //! Stands in for the sentry crate.
    pub enum Level { Error }
    pub struct Uuid(String);
    impl Uuid {
        pub fn simple(&self) -> &str { &self.0 }
    }
    pub fn capture_message(message: &str, _: Level) -> Uuid { Uuid(format!("evt{}", message.len())) }
}

async fn backup() -> Result<u64, std::io::Error> { Ok(42) }

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
%s
    println!("{} rows", rows);
    Ok(())
}
"""


def test_the_readme_example_runs(loom, tmp_path):
    example = readme_block("### Rust", "```rust").replace('"https://crons.example.com"',
                                                         f'"{loom.base_url}"')
    program = rust_program(tmp_path, README_PROGRAM % example)
    token = loom.http().post("/api/crons/tokens", {"name": "readme", "scopes": ["checkins"]})
    r = subprocess.run([program], capture_output=True, text=True, timeout=60,
                       env={"PATH": "/usr/bin:/bin", "LOOM_TOKEN": token.json()["token"]})
    assert r.returncode == 0, r
    assert r.stdout == "42 rows\n"
    # with_monitor ran first, before anything had created the monitor: refused, reported.
    assert r.stderr.startswith("crons: 404 not_found: "), r.stderr
    http = loom.http()
    m = http.get("/api/crons/monitors/nightly-backup").json()
    m = m.get("monitor", m)
    assert (m["schedule"], m["timezone"], m["max_runtime_minutes"]) == \
        ({"type": "cron", "expression": "0 3 * * *"}, "Europe/Berlin", 60)
    listed = http.get("/api/crons/monitors/nightly-backup/checkins").json()["checkins"]
    assert [(c["status"], c["environment"], c["duration_ms"]) for c in listed] == \
        [("in_progress", None, None), ("ok", "production", 5120)]
