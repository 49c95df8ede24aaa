"""loom-cron end to end: the batch protocol on the shared reference cases,
and the command line's output and exit codes (tools/loom-cron)."""
import os
import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(os.environ.get("LOOM_BUILD", ROOT / "build")) / "bin" / "loom-cron"
CASES = ROOT / "tests" / "unit" / "data" / "cron-cases.tsv"
RFC3339 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


def loom_cron(*args, stdin=None):
    assert BIN.exists(), f"{BIN} is missing: run make"
    return subprocess.run([str(BIN), *args], input=stdin, capture_output=True,
                          text=True, timeout=60)


def test_batch_reference_cases():
    lines = CASES.read_text().splitlines()
    assert len(lines) == 198
    questions = "".join("\t".join(l.split("\t")[:4]) + "\n" for l in lines)
    r = loom_cron("batch", stdin=questions)
    assert r.returncode == 0, r.stderr
    answers = r.stdout.splitlines()
    assert len(answers) == len(lines)
    failed = []
    for n, (line, got) in enumerate(zip(lines, answers), 1):
        want = line.split("\t")[4]
        ok = got.startswith("error") if want == "error" else got == want
        if not ok:
            failed.append(f"line {n}: {line}\n  got: {got}")
    assert not failed, "\n".join(failed)


def test_batch_bad_lines_answer_in_order():
    r = loom_cron("batch", stdin=(
        "0 9 * * *\tUTC\t2026-03-09T08:59:59Z\t2\r\n"
        "\n"
        "0 9 * * *\tMars/Base\t2026-03-09T00:00:00Z\t1\n"
        "61 * * * *\tUTC\t2026-03-09T00:00:00Z\t1\n"
        "0 9 * * *\tUTC\tyesterday\t1\n"
        "0 9 * * *\tUTC\t2026-03-09T00:00:00Z\t0\n"
        "0 9 * * *\tUTC\t2026-03-09T00:00:00Z\n"
        "@daily\tAsia/Kathmandu\t2026-03-09T00:00:00Z\t1\n"))
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines() == [
        "2026-03-09T09:00:00Z 2026-03-10T09:00:00Z",
        "error: expected EXPR<TAB>ZONE<TAB>AFTER<TAB>N",
        'error: unknown time zone "Mars/Base"',
        "error: minute: 61 is out of range 0-59",
        "error: after: expected YYYY-MM-DD",
        "error: count must be 1-10000",
        "error: expected EXPR<TAB>ZONE<TAB>AFTER<TAB>N",
        "2026-03-09T18:15:00Z",
    ]


def test_next_dst_gap():
    r = loom_cron("next", "30 2 * * *", "--tz", "America/New_York",
                  "--after", "2026-03-08T06:00:00Z", "--count", "3")
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines() == [
        "2026-03-08T07:00:00Z", "2026-03-09T06:30:00Z", "2026-03-10T06:30:00Z"]


def test_next_defaults_to_now_utc_and_five_runs():
    r = loom_cron("next", "*/5 * * * *")
    assert r.returncode == 0, r.stderr
    runs = r.stdout.splitlines()
    assert len(runs) == 5
    assert all(RFC3339.match(t) for t in runs)
    assert runs == sorted(runs) and len(set(runs)) == 5
    assert all(int(t[14:16]) % 5 == 0 for t in runs)


def test_next_interval():
    r = loom_cron("next", "--every", "1", "--unit", "month", "--tz=UTC",
                  "--after=2024-01-31T10:00:00Z", "--count=3")
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines() == [
        "2024-02-29T10:00:00Z", "2024-03-29T10:00:00Z", "2024-04-29T10:00:00Z"]


def test_check_explains():
    r = loom_cron("check", "0 9 * * MON-FRI", "--tz", "Europe/Berlin",
                  "--after", "2026-03-27T00:00:00Z")
    assert r.returncode == 0, r.stderr
    out = r.stdout
    assert "day of week   MON-FRI" in out
    assert "a day must match both day fields" in out
    assert "next runs     2026-03-27T08:00:00Z  2026-03-27T09:00:00+01:00 CET" in out
    assert "2026-03-30T07:00:00Z  2026-03-30T09:00:00+02:00 CEST" in out
    assert len(re.findall(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", out)) == 5


@pytest.mark.parametrize("args", [
    [], ["frobnicate"], ["next"], ["next", "* * * * *", "0 * * * *"],
    ["next", "* * * * *", "--bogus", "1"], ["next", "* * * * *", "--count", "0"],
    ["next", "* * * * *", "--count"], ["check"], ["batch", "extra"],
    ["next", "--every", "5"],
])
def test_usage_errors_exit_64(args):
    r = loom_cron(*args)
    assert r.returncode == 64
    assert r.stdout == ""
    assert "usage: loom-cron" in r.stderr


@pytest.mark.parametrize("args,message", [
    (["next", "61 * * * *"], "minute: 61 is out of range 0-59"),
    (["check", "0 0 30 2 *"], "day of month: 30 never occurs in FEB"),
    (["next", "* * * * *", "--tz", "Mars/Base"], 'unknown time zone "Mars/Base"'),
    (["next", "* * * * *", "--after", "2026-02-30T00:00:00Z"], "--after: no such date"),
    (["next", "--every", "1", "--unit", "fortnight"], 'unknown unit "fortnight"'),
])
def test_errors_exit_1(args, message):
    r = loom_cron(*args)
    assert r.returncode == 1
    assert r.stdout == ""
    assert message in r.stderr
