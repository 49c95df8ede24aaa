"""sdkrun -- runs an SDK's own test suite (sdk/<language>) against a running Loom,
and builds the SDKs and projects that use them, the way users do.

The suite gets, in its environment:
    LOOM_URL          the system's base URL
    LOOM_TOKEN        a token with the checkins scope only, as a job's would be
    LOOM_ADMIN_TOKEN  an admin token, to read back what was recorded
    LOOM_DOWN_URL     a loopback URL where nothing listens
"""

import json
import os
import shutil
import subprocess
import time

from loomtest import BUILD, free_port

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
TS_SDK = os.path.join(ROOT, "sdk", "typescript")
RUST_SDK = os.path.join(ROOT, "sdk", "rust")


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


def node():
    """A node of at least version 18 (global fetch, node:test): the PATH's, else Debian's."""
    for candidate in (shutil.which("node"), "/usr/bin/node"):
        if candidate and os.path.exists(candidate):
            out = subprocess.run([candidate, "-p", "process.versions.node"],
                                 capture_output=True, text=True).stdout
            if out and int(out.split(".")[0]) >= 18:
                return candidate
    raise AssertionError("no node >= 18: run `make deps`")


def tsc():
    """Debian's tsc (node-typescript), which builds the TypeScript SDK offline."""
    path = shutil.which("tsc") or "/usr/bin/tsc"
    assert os.path.exists(path), "no tsc: run `make deps` (node-typescript)"
    return path


def build_typescript_sdk():
    """sdk/typescript/build: dist/esm and dist/cjs, as `make sdk` makes them."""
    env = dict(os.environ, PATH=os.path.dirname(tsc()) + ":" + os.environ.get("PATH", ""))
    run([os.path.join(TS_SDK, "build")], cwd=TS_SDK, env=env, timeout=180)


def typescript_project(path, packages=None):
    """A new Node project at path whose dependencies are the TypeScript SDK,
    linked the way `npm install /path/to/sdk/typescript` links it, and the
    local packages given as {name: {file: text}}."""
    modules = os.path.join(path, "node_modules")
    os.makedirs(os.path.join(modules, "@loom"), exist_ok=True)
    os.symlink(TS_SDK, os.path.join(modules, "@loom", "crons"))
    dependencies = {"@loom/crons": "file:" + TS_SDK}
    for name, files in (packages or {}).items():
        for file, text in files.items():
            os.makedirs(os.path.dirname(os.path.join(modules, name, file)), exist_ok=True)
            with open(os.path.join(modules, name, file), "w") as f:
                f.write(text)
        dependencies[name] = "file:node_modules/" + name
    with open(os.path.join(path, "package.json"), "w") as f:
        json.dump({"name": "user-project", "private": True, "type": "module",
                   "dependencies": dependencies}, f, indent=2)


def readme_block(heading, fence):
    """The first code block fenced with fence (```js, ```rust) under README's heading."""
    with open(os.path.join(ROOT, "README.md")) as f:
        readme = f.read()
    start = readme.index(fence + "\n", readme.index("\n" + heading + "\n")) + len(fence) + 1
    return readme[start:readme.index("\n```", start) + 1]


def cargo_env():
    """Debian's cargo, offline, with the target directory the SDK's tests use."""
    return dict(os.environ, CARGO_TARGET_DIR=os.path.join(os.path.abspath(BUILD), "rust"),
                CARGO_TERM_COLOR="never")


def rust_program(path, main_rs):
    """A new crate at path depending on the Rust SDK (and tokio, with the features the
    SDK's tests use, so that their build is reused), built; the program's path."""
    os.makedirs(os.path.join(path, "src"), exist_ok=True)
    with open(os.path.join(path, "Cargo.toml"), "w") as f:
        f.write('[package]\nname = "user-program"\nversion = "0.1.0"\nedition = "2021"\n\n'
                '[dependencies]\n'
                f'loom-crons = {{ path = "{RUST_SDK}" }}\n'
                'tokio = { version = "1.24", features = '
                '["macros", "rt-multi-thread", "net", "time", "io-util"] }\n')
    with open(os.path.join(path, "src", "main.rs"), "w") as f:
        f.write(main_rs)
    env = cargo_env()
    # From sdk/rust, whose .cargo/config.toml points cargo at Debian's crates.
    run([os.path.join(RUST_SDK, "debian-cargo"), "build", "--quiet", "--manifest-path",
         os.path.join(path, "Cargo.toml")], cwd=RUST_SDK, env=env, timeout=900)
    return os.path.join(env["CARGO_TARGET_DIR"], "debug", "user-program")
