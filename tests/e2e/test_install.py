"""make install, the files it installs, and how the runit scripts read the
environment file.

make install runs on this checkout's build (it is skipped when LOOM_BUILD
points elsewhere) into temporary directories only.
"""

import os
import shutil
import stat
import subprocess

import pytest

from loomtest import BUILD, DAEMONS, exists

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
BUILT = [d for d in DAEMONS if exists(d)]


def make_install(**variables):
    if os.path.realpath(BUILD) != os.path.realpath(os.path.join(ROOT, "build")):
        pytest.skip("LOOM_BUILD is not this checkout's build/")
    # A make of its own, not a part of the `make test` that may be running us.
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MAKELEVEL", "MFLAGS")}
    r = subprocess.run(["make", "-s", "-C", ROOT, "install",
                        *[f"{k}={v}" for k, v in variables.items()]],
                       env=env, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stdout + r.stderr


def read(path):
    with open(path) as f:
        return f.read()


def executable(path):
    return os.path.isfile(path) and os.stat(path).st_mode & stat.S_IXUSR


def test_make_install_with_prefix_and_destdir(tmp_path):
    make_install(DESTDIR=tmp_path, PREFIX="/usr")
    usr = tmp_path / "usr"
    for b in [*BUILT, "loomctl", "loom-probe"]:
        assert executable(usr / "bin" / b), b
    units = usr / "lib" / "systemd" / "system"
    assert sorted(os.listdir(units)) == sorted([f"loom-{d}.service" for d in BUILT] +
                                               ["loom.target"])
    for d in BUILT:
        u = read(units / f"loom-{d}.service")
        assert "@" not in u, u
        for line in (f"ExecStart=/usr/bin/{d}", "Type=notify", "User=loom",
                     "EnvironmentFile=-/etc/loom/loom.env", "Restart=on-failure",
                     "RestartPreventExitStatus=78", "NoNewPrivileges=yes",
                     "ProtectSystem=strict", "RuntimeDirectory=loom", "PartOf=loom.target",
                     "WantedBy=loom.target"):
            assert f"\n{line}\n" in u, (d, line)
    s = read(units / "loom-storaged.service")
    assert "\nReadWritePaths=/var/lib/loom\n" in s
    assert "\nRestrictAddressFamilies=AF_UNIX\n" in s
    assert "\nReadWritePaths=" not in read(units / "loom-ingestd.service")
    assert "u loom " in read(usr / "lib" / "sysusers.d" / "loom.conf")

    runit = usr / "share" / "loom" / "runit"
    assert sorted(os.listdir(runit)) == sorted(BUILT)
    for d in BUILT:
        for f in ("run", "finish", "check", "log/run"):
            p = runit / d / f
            assert executable(p), p
            text = read(p)
            assert "@" not in text.replace("$@", ""), (p, text)
            assert subprocess.run(["sh", "-n", p]).returncode == 0, p
        run = read(runit / d / "run")
        assert "bin='/usr/bin' env_file='/etc/loom/loom.env' user='loom'" in run
        assert f'exec chpst -u "$user:$user" "$bin/{d}"' in run
        assert f"dir='/var/log/loom/{d}' user='_runit-log'" in read(runit / d / "log/run")
    assert "probe='/usr/bin/loom-probe'" in read(runit / "storaged" / "check")


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="no systemd-analyze")
def test_installed_units_pass_systemd_analyze_verify(tmp_path):
    make_install(PREFIX=tmp_path)          # ExecStart= then names files that exist
    units = tmp_path / "lib" / "systemd" / "system"
    r = subprocess.run(["systemd-analyze", "verify", "--man=no",
                        *sorted(str(units / u) for u in os.listdir(units))],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stdout + r.stderr


def test_the_run_script_reads_the_env_file_as_plain_lines(tmp_path):
    # A stand-in storaged that records the environment it was started with.
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "storaged").write_text("#!/bin/sh\nexec env >\"$OUT\"\n")
    os.chmod(fake / "storaged", 0o755)
    env_file = tmp_path / "loom.env"
    env_file.write_bytes(b"# a comment\n\nLOOM_A=plain\nLOOM_B=with spaces  and $HOME\n"
                         b"LOOM_C='quoted'\nLOOM_D=a=b\n  # indented comment\n"
                         b"LOOM_E=last line, no newline")
    svc = tmp_path / "service"
    r = subprocess.run([os.path.join(ROOT, "scripts", "runit-services"), "-b", str(fake),
                        "-e", str(env_file), str(svc), "storaged"],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    out = tmp_path / "env.out"
    r = subprocess.run(["./run"], cwd=svc / "storaged", capture_output=True, text=True,
                       env={"PATH": "/usr/bin:/bin", "OUT": str(out), "LOOM_A": "caller"},
                       timeout=30)
    assert r.returncode == 0, r.stdout + r.stderr
    got = dict(line.split("=", 1) for line in read(out).splitlines() if "=" in line)
    assert got["LOOM_A"] == "plain"                       # the file wins, as with systemd
    assert got["LOOM_B"] == "with spaces  and $HOME"      # no expansion, spaces kept
    assert got["LOOM_C"] == "'quoted'"
    assert got["LOOM_D"] == "a=b"
    assert got["LOOM_E"] == "last line, no newline"


def test_services_are_generated_only_for_daemons_with_templates(tmp_path):
    r = subprocess.run([os.path.join(ROOT, "scripts", "runit-services"), "-b", "/x", "-e",
                        "/y", str(tmp_path), "nosuchd"], capture_output=True, text=True)
    assert r.returncode == 64 and "no template for nosuchd" in r.stderr
    r = subprocess.run([os.path.join(ROOT, "scripts", "runit-services"), "-b", "/it's",
                        "-e", "/y", str(tmp_path), "storaged"], capture_output=True, text=True)
    assert r.returncode == 64 and "no quotes" in r.stderr
