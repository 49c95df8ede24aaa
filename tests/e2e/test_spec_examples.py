"""The product spec's own examples, run as written against the real daemons.

Each test takes one example of the spec (loom-crons-spec.txt), wraps it only
in what its user would write around it, runs it, and reads back through the
API what was recorded.

    SDK-Based Monitoring, TypeScript   test_typescript_sdk_example
    SDK-Based Monitoring, Rust         test_rust_sdk_example (sdk/rust/examples/spec.rs)
"""

import json
import os
import re
import subprocess

from sdkrun import (RUST_SDK, build_typescript_sdk, cargo_env, node, run, tsc,
                    typescript_project)


def checkins_token(loom):
    """A token with the checkins scope only, as a job's would be."""
    r = loom.http().post("/api/crons/tokens", {"name": "spec-example", "scopes": ["checkins"]})
    assert r.status == 201, r
    return r.json()["token"]


def create_monitor(loom, slug):
    r = loom.http().post("/api/crons/monitors", {
        "slug": slug, "schedule": {"type": "cron", "expression": "0 0 * * *"}})
    assert r.status == 201, r


def checkins(loom, slug):
    """The monitor's check-ins, oldest first."""
    r = loom.http().get(f"/api/crons/monitors/{slug}/checkins")
    assert r.status == 200, r
    return r.json()["checkins"][::-1]


def crash_ids(stdout, message):
    """The event ids the user's crash tracker printed for message, in order."""
    return re.findall(rf"^captured (\S+): {re.escape(message)}$", stdout, re.M)


# --- SDK-Based Monitoring, TypeScript ---------------------------------------------

# The spec's example, token for token; only the key and the base URL get filled in.
SPEC_TYPESCRIPT = """\
import { CronsClient } from '@loom/crons';
import { CrashClient } from '@loom/crash';

const crons = new CronsClient({
  apiKey: 'loom_crons_xxx',
  baseUrl: 'https://loom.example.com',
  crashClient: crash, // Optional
});

// Manual pattern
const checkinId = await crons.checkinStart('email-digest');
try {
  await sendEmailDigest();
  await crons.checkinOk(checkinId, {
    durationMs: Date.now() - startTime,
    output: 'Sent 150 emails',
  });
} catch (error) {
  const crashId = await crash.captureException(error);
  await crons.checkinError(checkinId, {
    durationMs: Date.now() - startTime,
    output: error.message,
    crashEventId: crashId,
  });
}

// Convenience wrapper
await crons.withMonitor('email-digest', async () => {
  await sendEmailDigest();
});
"""

# The user's own definitions around it; sendEmailDigest's body is the last {}.
USER_TYPESCRIPT = """\
// The user's own: their crash tracker, when the run began, the job itself.
const crash = new CrashClient();
const startTime = Date.now();
async function sendEmailDigest(): Promise<void> {%s}

"""

# The user's crash tracker, a package of its own: it captures asynchronously.
CRASH_PACKAGE = {
    "package.json": json.dumps({"name": "@loom/crash", "version": "0.1.0", "type": "module",
                                "exports": {".": {"types": "./index.d.ts",
                                                  "default": "./index.js"}}}),
    "index.d.ts": "export declare class CrashClient {\n"
                  "  captureException(error: unknown): Promise<string>;\n}\n",
    "index.js": "let captured = 0;\n"
                "export class CrashClient {\n"
                "  async captureException(error) {\n"
                "    await new Promise((resolve) => setTimeout(resolve, 10));\n"
                "    const id = `crash-${process.pid}-${++captured}`;\n"
                "    console.log(`captured ${id}: ${error.message}`);\n"
                "    return id;\n"
                "  }\n"
                "}\n",
}

# A new project's settings, as `tsc --init` would give them for Node's ES modules
# (top-level await needs them); the spec reads `error.message` of an untyped
# catch variable, which strict mode would make `unknown`.
TSCONFIG = {"compilerOptions": {
    "target": "ES2022", "module": "node16", "moduleResolution": "node16", "strict": True,
    "useUnknownInCatchVariables": False, "lib": ["ES2022", "DOM"], "types": []}}


def test_typescript_sdk_example(loom, tmp_path):
    build_typescript_sdk()
    typescript_project(tmp_path, {"@loom/crash": CRASH_PACKAGE})
    (tmp_path / "tsconfig.json").write_text(json.dumps(TSCONFIG))
    example = SPEC_TYPESCRIPT.replace("'loom_crons_xxx'", json.dumps(checkins_token(loom))) \
        .replace("'https://loom.example.com'", json.dumps(loom.base_url))
    digests = {"digest-sent": "\n  /* 150 e-mails go out */\n",
               "digest-fails": '\n  throw new Error("the mail server refused the digest");\n'}
    for name, body in digests.items():
        (tmp_path / f"{name}.ts").write_text(USER_TYPESCRIPT % body + example)
    run([tsc(), "-p", "."], cwd=tmp_path, timeout=120)
    create_monitor(loom, "email-digest")

    sent = subprocess.run([node(), "digest-sent.js"], cwd=tmp_path, capture_output=True,
                          text=True, timeout=60)
    assert (sent.returncode, sent.stdout, sent.stderr) == (0, "", "")
    # The wrapper rethrows the job's own error: at the top level, it ends the program.
    failed = subprocess.run([node(), "digest-fails.js"], cwd=tmp_path, capture_output=True,
                            text=True, timeout=60)
    assert failed.returncode == 1, failed
    assert "Error: the mail server refused the digest" in failed.stderr, failed.stderr
    crashes = crash_ids(failed.stdout, "the mail server refused the digest")
    assert len(set(crashes)) == 2, failed.stdout

    manual_ok, wrapped_ok, manual_error, wrapped_error = checkins(loom, "email-digest")
    assert (manual_ok["status"], manual_ok["output"], manual_ok["source"]) == \
        ("ok", "Sent 150 emails", "sdk")
    assert manual_ok["duration_ms"] is not None
    assert (wrapped_ok["status"], wrapped_ok["crash_event_id"]) == ("ok", None)
    assert wrapped_ok["run_id"] and wrapped_ok["duration_ms"] is not None
    assert (manual_error["status"], manual_error["output"], manual_error["crash_event_id"]) == \
        ("error", "the mail server refused the digest", crashes[0])
    assert manual_error["duration_ms"] is not None
    # withMonitor awaited the Promise of the crash client's event id.
    assert (wrapped_error["status"], wrapped_error["crash_event_id"]) == \
        ("error", crashes[1])
    assert wrapped_error["output"].startswith("Error: the mail server refused the digest\n")


# --- SDK-Based Monitoring, Rust -----------------------------------------------------

def test_rust_sdk_example(loom):
    env = cargo_env()
    run([os.path.join(RUST_SDK, "debian-cargo"), "build", "--quiet", "--example", "spec"],
        cwd=RUST_SDK, env=env, timeout=900)
    program = os.path.join(env["CARGO_TARGET_DIR"], "debug", "examples", "spec")
    create_monitor(loom, "daily-cleanup")
    settings = {"PATH": "/usr/bin:/bin", "LOOM_URL": loom.base_url,
                "LOOM_TOKEN": checkins_token(loom)}

    ok = subprocess.run([program], env=settings, capture_output=True, text=True, timeout=60)
    assert (ok.returncode, ok.stdout, ok.stderr) == (0, "", "")
    # The wrapper returns the job's own error; `?` ends main with it.
    failed = subprocess.run([program], env={**settings, "CLEANUP": "fails"},
                            capture_output=True, text=True, timeout=60)
    assert failed.returncode == 1, failed
    assert failed.stderr == 'Error: CleanupError("disk full")\n', failed.stderr
    crashes = crash_ids(failed.stdout, "cleanup failed: disk full")
    assert len(set(crashes)) == 2, failed.stdout

    manual_ok, wrapped_ok, manual_error, wrapped_error = checkins(loom, "daily-cleanup")
    assert (manual_ok["status"], manual_ok["output"], manual_ok["source"]) == \
        ("ok", "Processed 42 records", "sdk")
    assert manual_ok["duration_ms"] is not None
    assert (wrapped_ok["status"], wrapped_ok["crash_event_id"]) == ("ok", None)
    assert wrapped_ok["run_id"] and wrapped_ok["duration_ms"] is not None
    assert (manual_error["status"], manual_error["exit_code"], manual_error["output"],
            manual_error["crash_event_id"]) == \
        ("error", 1, "cleanup failed: disk full", crashes[0])
    assert manual_error["duration_ms"] is not None
    # with_monitor awaited the crash client it was given by reference.
    assert (wrapped_error["status"], wrapped_error["output"],
            wrapped_error["crash_event_id"]) == \
        ("error", "cleanup failed: disk full", crashes[1])
