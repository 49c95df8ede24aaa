"""The TypeScript SDK (sdk/typescript): built with Debian's tsc into ES module
and CommonJS output, loaded both ways from a project that depends on it, and
its own tests (node --test) against the real daemons."""

import glob
import json
import os
import subprocess

from sdkrun import (TS_SDK, build_typescript_sdk, node, readme_block, run, suite_env, tsc,
                    typescript_project)


def test_typescript_sdk(loom):
    build_typescript_sdk()
    tests = sorted(glob.glob(os.path.join(TS_SDK, "test", "*.test.js")))
    assert tests
    out = run([node(), "--test", "--test-reporter=tap", *tests], cwd=TS_SDK, env=suite_env(loom),
              timeout=120)
    assert "# fail 0" in out and "# pass 0" not in out, out
    print(out)


USE = """
const crons = new CronsClient({ apiKey: "loom_x", baseUrl: "http://127.0.0.1:1/" });
const err: CronsError = new CronsApiError(404, "not_found", "no monitor", "slug");
const id: Promise<string | null> = crons.checkinStart("job");
id.catch(() => undefined);
console.log(typeof CronsClient, err instanceof CronsError, err.name);
"""


def test_the_package_loads_with_import_and_require_with_types_for_both(tmp_path):
    build_typescript_sdk()
    with open(os.path.join(TS_SDK, "package.json")) as f:
        package = json.load(f)
    assert package["license"] == "MIT"
    assert package["repository"]["url"] and package["repository"]["directory"] == "sdk/typescript"
    assert "typescript" in package["devDependencies"]
    assert set(package["exports"]["."]) == {"import", "require"}

    typescript_project(tmp_path)
    names = "{ CronsApiError, CronsClient, CronsError }"
    # The same import: in a .cts file, tsc makes it a require() of the "require" condition.
    for source in ("esm.mts", "cjs.cts"):
        (tmp_path / source).write_text(f'import {names} from "@loom/crons";\n' + USE)
    (tmp_path / "tsconfig.json").write_text(json.dumps({"compilerOptions": {
        "target": "ES2022", "module": "node16", "moduleResolution": "node16", "strict": True,
        "lib": ["ES2022", "DOM"], "types": []}}))
    run([tsc(), "-p", "."], cwd=tmp_path, timeout=120)      # esm.mjs, cjs.cjs
    assert "require(" in (tmp_path / "cjs.cjs").read_text()
    for program in ("esm.mjs", "cjs.cjs"):
        r = subprocess.run([node(), program], cwd=tmp_path, capture_output=True, text=True,
                           timeout=30)
        assert (r.returncode, r.stdout) == (0, "function true CronsApiError\n"), (program, r)


# What README's example needs of the user: @sentry/node (a stand-in that
# captures at once, as Sentry does) and their own backup().
SENTRY_PACKAGE = {
    "package.json": json.dumps({"name": "@sentry/node", "type": "module", "main": "index.js"}),
    "index.js": "export function captureException(error) {\n"
                "  console.log(`captured: ${error.message}`);\n"
                "  return \"e3b0c44298fc1c149afbf4c8996fb924\";\n}\n",
}
USER_JS = "async function backup() {\n  return 42;\n}\n\n"


def test_the_readme_example_runs(loom, tmp_path):
    build_typescript_sdk()
    typescript_project(tmp_path, {"@sentry/node": SENTRY_PACKAGE})
    example = readme_block("### TypeScript", "```js").replace('"https://crons.example.com"',
                                                             json.dumps(loom.base_url))
    (tmp_path / "job.js").write_text(example + "\n" + USER_JS + "console.log(rows);\n")
    token = loom.http().post("/api/crons/tokens", {"name": "readme", "scopes": ["checkins"]})
    r = subprocess.run([node(), "job.js"], cwd=tmp_path, capture_output=True, text=True,
                       timeout=60, env={"PATH": os.environ["PATH"],
                                        "LOOM_TOKEN": token.json()["token"]})
    assert (r.returncode, r.stdout, r.stderr) == (0, "42\n", ""), r
    http = loom.http()
    m = http.get("/api/crons/monitors/nightly-backup").json()
    m = m.get("monitor", m)
    assert (m["schedule"], m["timezone"], m["checkin_margin_minutes"],
            m["max_runtime_minutes"]) == \
        ({"type": "cron", "expression": "0 3 * * *"}, "Europe/Berlin", 10, 60)
    listed = http.get("/api/crons/monitors/nightly-backup/checkins").json()["checkins"]
    assert [(c["status"], c["environment"]) for c in listed] == \
        [("in_progress", None), ("ok", "production"), ("ok", "production")]
