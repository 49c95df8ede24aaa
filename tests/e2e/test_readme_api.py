"""README.md's API section, run as written: every command of every ```sh block.

The README's names get real values: B the base URL, A and J the headers, K a
monitor's ping key, P the organization's ping key, BK its badge key, job.log a file.  Ids the
README elides (chk_…, tok_…) become the latest check-in of "invoices" and the
token the block made.  Every curl must succeed: `curl -s` gets
--fail-with-body, so an HTTP error fails the test as it would fail a user.
"""

import os
import re
import subprocess

import pytest

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")
RUN_ID = "8f14e45f-ea4d-4e35-9b2f-7f0a5c1d3e11"


def api_blocks():
    """The ```sh blocks between "## API" and the next "## " heading, as lists of commands."""
    with open(os.path.join(ROOT, "README.md")) as f:
        text = f.read()
    section = text[text.index("\n## API\n"):]
    section = section[:section.index("\n## ", 1)]
    blocks = []
    for body in re.findall(r"```sh\n(.*?)```", section, re.S):
        commands, current = [], ""
        for line in body.splitlines():
            if line.startswith("#") and not current:
                continue
            current += line + "\n"
            if not line.endswith("\\") and current.count("'") % 2 == 0:
                commands.append(current.strip())
                current = ""
        blocks.append(commands)
    return blocks


def test_the_api_section_has_its_examples():
    commands = [c for block in api_blocks() for c in block]
    assert len(commands) >= 35
    assert any("/ping/$P/" in c for c in commands) and any("chk_…" in c for c in commands)


@pytest.fixture
def shell(loom, tmp_path):
    api = loom.http()
    key = api.post("/api/crons/monitors", {
        "slug": "readme", "schedule": {"type": "interval", "value": 1, "unit": "hour"}}
    ).json()["monitor"]["ping_key"]
    org = api.get("/api/crons/organization").json()
    org_key = org["ping_key"]
    (tmp_path / "job.log").write_text("line 1\nline 2\n")
    env = dict(os.environ, B=loom.base_url, K=key, P=org_key, BK=org["badge_key"],
               A=f"Authorization: Bearer {loom.admin_token}", J="Content-Type: application/json")

    def run(command, timeout=30):
        return subprocess.run(["bash", "-o", "pipefail", "-c", command], cwd=tmp_path, env=env,
                              capture_output=True, text=True, timeout=timeout)
    return api, run


def latest_checkin(api):
    got = api.get("/api/crons/monitors/invoices/checkins?limit=1").json()["checkins"]
    return got[0]["id"] if got else "chk_none"


def with_real_ids(api, command):
    command = re.sub(r"\bcurl -s(i?) ", r"curl -sS\1 --fail-with-body ", command)
    if "chk_…" in command:
        command = command.replace("chk_…", latest_checkin(api))
    if "chn_…" in command:
        channels = api.get("/api/crons/channels").json()["channels"]
        command = command.replace("chn_…", channels[-1]["id"] if channels else "chn_none")
    if "tok_…" in command:
        tokens = [t for t in api.get("/api/crons/tokens").json()["tokens"] if t["name"] == "ci"]
        command = command.replace("tok_…", tokens[-1]["id"])
    return command


@pytest.mark.env(LOOM_CORS_ORIGINS="https://app.example.com")
def test_every_api_example_runs(shell):
    api, run = shell
    ran = 0
    for block in api_blocks():
        # Each block reads as if "invoices" exists, as the text around it says,
        # but the one that creates it.
        if any('"slug": "invoices"' in c for c in block):
            api.delete("/api/crons/monitors/invoices")
        else:
            api.post("/api/crons/monitors", {
                "slug": "invoices", "schedule": {"type": "interval", "value": 1, "unit": "hour"}})
            if latest_checkin(api) == "chk_none":       # a history to read
                key = api.get("/api/crons/monitors/invoices").json()["monitor"]["ping_key"]
                assert run(f"curl -fsS $B/ping/{key}/fail").returncode == 0
        for command in block:
            command = with_real_ids(api, command)
            if "/api/crons/stream" in command:
                r = run(command.replace("curl -N", "curl -N --max-time 2"))
                assert r.returncode == 28 and "retry:" in r.stdout, (command, r)
            elif "head -c 20M" in command:
                r = run(command)
                assert r.returncode == 0 and '"code":"body_too_large"' in r.stdout, (command, r)
            else:
                r = run(command)
                assert r.returncode == 0, (command, r.stdout, r.stderr)
            ran += 1
    assert ran >= 35
    # what the examples did is there: the runitor-style run, the check-ins with the spec's times
    assert [c["status"] for c in api.get("/api/crons/monitors/db-backup/checkins")
            .json()["checkins"]][:1] == ["ok"]
    statuses = [c["status"] for c in api.get("/api/crons/monitors/invoices/checkins")
                .json()["checkins"]]
    assert "error" in statuses and "ok" in statuses
