"""Configuration: every daemon's LOOM_* table against README's one
configuration table, and bad values stopping a daemon at start with exit
78 and a message naming the variable.

Runs each built daemon with `-n` (print the effective configuration and
exit) or with a bad value; nothing is left running.
"""

import os
import re
import subprocess

import pytest

from loomtest import DAEMONS, binary, exists

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
BUILT = [d for d in DAEMONS if exists(d)]
CLEAN_ENV = {"PATH": "/usr/bin:/bin"}


def readme_table():
    """{variable: default cell} of the table under README's "## Configuration"."""
    with open(os.path.join(ROOT, "README.md")) as f:
        text = f.read()
    section = text.split("\n## Configuration\n", 1)[1].split("\n## ", 1)[0]
    rows = {}
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        m = re.fullmatch(r"`(LOOM_[A-Z0-9_]+)`", cells[0]) if len(cells) >= 3 else None
        if m:
            assert m[1] not in rows, f"README lists {m[1]} twice"
            rows[m[1]] = cells[1]
    assert rows, "README's configuration table is empty or gone"
    return rows


def declared(daemon):
    """{variable: built-in default} as `daemon -n` prints them ("unset": none)."""
    r = subprocess.run([binary(daemon), "-n"], env=CLEAN_ENV, capture_output=True, text=True,
                       timeout=10)
    assert r.returncode == 0, r.stderr
    out = {}
    for line in r.stdout.splitlines():
        m = re.fullmatch(r"(LOOM_[A-Z0-9_]+)=.*\t# .* \(default: (.*)\)", line)
        assert m, f"{daemon} -n: unexpected line {line!r}"
        out[m[1]] = m[2]
    assert out, f"{daemon} -n printed no variable"
    return out


def run_with(daemon, **env):
    return subprocess.run([binary(daemon)], env={**CLEAN_ENV, **env}, capture_output=True,
                          text=True, timeout=10)


def test_the_readme_table_is_parsed():
    rows = readme_table()
    assert rows["LOOM_RETENTION_DAYS"] == "`90`"
    assert rows["LOOM_ADMIN_TOKEN"].startswith("unset")


@pytest.mark.parametrize("daemon", BUILT)
def test_every_variable_a_daemon_reads_is_in_the_readme_with_its_default(daemon):
    rows = readme_table()
    for var, default in declared(daemon).items():
        assert var in rows, f"{daemon} reads {var}, which README's table does not list"
        cell = rows[var]
        if default == "unset":
            # No built-in value: the cell says so first, then what that means.
            assert cell.startswith("unset"), f"{var}: README says {cell!r}, {daemon}: unset"
        else:
            first = re.match(r"`([^`]*)`", cell)
            assert first and first[1] == default, \
                f"{var}: README's default is {cell!r}, {daemon}'s is {default!r}"


@pytest.mark.parametrize("daemon,var,value,why", [
    ("storaged", "LOOM_RETENTION_DAYS", "ninety", '"ninety" is not a number in 1-3650'),
    ("storaged", "LOOM_MAP_SIZE", "1T", "is not a size"),
    ("ingestd", "LOOM_HTTP_ADDR", "nope", '"nope" is not host:port'),
    ("ingestd", "LOOM_STORAGE_TIMEOUT", "5 s", "is not a duration"),
    ("ingestd", "LOOM_PUBLIC_URL", "ftp://x", "is not an http(s):// URL"),
    ("ingestd", "LOOM_CORS_ORIGINS", "https://app.example.com/, *",
     '"https://app.example.com/" is not an origin'),
    ("streamd", "LOOM_SMTP_URL", "https://mail.example.com",
     '"https://mail.example.com" is not an smtp:// or smtps:// URL'),
    ("streamd", "LOOM_WEBHOOK_ALLOW_PRIVATE", "yes", '"yes" is not a number in 0-1'),
    ("streamd", "LOOM_ALERT_TIMEOUT", "0", '"0" is not a duration'),
])
def test_a_bad_value_stops_the_daemon_with_78_naming_the_variable(daemon, var, value, why):
    if not exists(daemon):
        pytest.skip(f"{daemon} is not built")
    r = run_with(daemon, **{var: value})
    assert r.returncode == 78, r
    assert f"{var}: " in r.stderr and why in r.stderr, r.stderr
    assert "ready" not in r.stderr


@pytest.mark.parametrize("daemon", BUILT)
def test_an_empty_value_of_any_variable_is_refused(daemon):
    # Every type refuses "": numbers, sizes, durations, paths, addresses, URLs, endpoints.
    for var in declared(daemon):
        r = run_with(daemon, **{var: ""})
        assert r.returncode == 78, (var, r)
        assert f"{var}: " in r.stderr, (var, r.stderr)


@pytest.mark.parametrize("daemon", BUILT)
def test_every_bad_variable_is_reported_before_exiting(daemon):
    names = sorted(declared(daemon))[:3]
    r = run_with(daemon, **{v: "" for v in names})
    assert r.returncode == 78
    for v in names:
        assert f"{v}: " in r.stderr, (v, r.stderr)


@pytest.mark.parametrize("daemon", BUILT)
def test_dash_n_shows_the_effective_values(daemon):
    var, value = {"storaged": ("LOOM_RETENTION_DAYS", "30"),
                  "ingestd": ("LOOM_HTTP_ADDR", "127.0.0.1:9999"),
                  "schedd": ("LOOM_RUN_DIR", "/tmp/elsewhere"),
                  "streamd": ("LOOM_STREAM_ADDR", "127.0.0.1:9998")}[daemon]
    r = subprocess.run([binary(daemon), "-n"], env={**CLEAN_ENV, var: value},
                       capture_output=True, text=True, timeout=10)
    assert r.returncode == 0
    assert f"{var}={value}\t" in r.stdout


@pytest.mark.parametrize("daemon", BUILT)
@pytest.mark.parametrize("args", [["-x"], ["extra"], ["-n", "-q"]])
def test_usage_errors_exit_64_without_starting(daemon, args, tmp_path):
    env = {"PATH": "/usr/bin:/bin", "LOOM_DATA_DIR": str(tmp_path / "data"),
           "LOOM_RUN_DIR": str(tmp_path / "run")}
    r = subprocess.run([binary(daemon)] + args, env=env, capture_output=True, text=True,
                       timeout=10)
    assert r.returncode == 64, r
    assert f"usage: {daemon} [-nv]" in r.stderr
    assert not (tmp_path / "data").exists()     # it stopped before touching anything
