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


def make_install(target="install", **variables):
    if os.path.realpath(BUILD) != os.path.realpath(os.path.join(ROOT, "build")):
        pytest.skip("LOOM_BUILD is not this checkout's build/")
    # A make of its own, not a part of the `make test` that may be running us.
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MAKELEVEL", "MFLAGS")}
    r = subprocess.run(["make", "-s", "-C", ROOT, target,
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

    assert (usr / "include" / "loomcrons.h").is_file()
    assert os.readlink(usr / "lib" / "libloomcrons.so") == "libloomcrons.so.0"

    # the dashboard's files, where ingestd looks: <dir of ingestd>/../share/loom/web
    web = usr / "share" / "loom" / "web"
    src = os.path.join(ROOT, "ingestd", "web")
    for dirpath, _, files in os.walk(src):
        for f in files:
            rel = os.path.relpath(os.path.join(dirpath, f), src)
            assert read(web / rel) == read(os.path.join(src, rel)), rel
            assert stat.S_IMODE(os.stat(web / rel).st_mode) == 0o644, rel
    assert (web / "index.html").is_file() and (web / "assets" / "app.js").is_file()
    pc = read(usr / "lib" / "pkgconfig" / "loomcrons.pc")
    for line in ("prefix=/usr", "libdir=/usr/lib", "includedir=/usr/include"):
        assert f"\n{line}\n" in pc, (line, pc)


def docs_block(start):
    """The code block of docs/clients.md that begins with the line start."""
    docs = read(os.path.join(ROOT, "docs", "clients.md"))
    begin = docs.index("\n" + start) + 1
    return docs[begin:docs.index("\n```", begin) + 1]


def test_install_sdk_alone_then_build_the_docs_program_with_pkg_config(tmp_path, loom):
    """make install-sdk stages the SDK with a pkg-config file; nightly.c of
    docs/clients.md, built with the command line the docs give, reports its run."""
    stage = tmp_path / "stage"
    make_install("install-sdk", DESTDIR=stage, PREFIX="/usr/local")
    lib = stage / "usr" / "local" / "lib"
    assert sorted(p.relative_to(stage).as_posix() for p in stage.rglob("*") if not p.is_dir()) \
        == ["usr/local/include/loomcrons.h", "usr/local/lib/libloomcrons.a",
            "usr/local/lib/libloomcrons.so", "usr/local/lib/libloomcrons.so.0",
            "usr/local/lib/pkgconfig/loomcrons.pc"]
    pc = read(lib / "pkgconfig" / "loomcrons.pc")
    assert "\nlibdir=/usr/local/lib\n" in pc and "\nincludedir=/usr/local/include\n" in pc

    # Staged, not installed: pkg-config finds the file in the stage and puts
    # the stage in front of the paths it prints.
    build_env = dict(os.environ, PKG_CONFIG_PATH=str(lib / "pkgconfig"),
                     PKG_CONFIG_SYSROOT_DIR=str(stage))
    (tmp_path / "nightly.c").write_text(docs_block("/* nightly.c"))
    [cc] = [line for line in docs_block("cc -o nightly").splitlines()
            if "pkg-config" in line]
    r = subprocess.run(["sh", "-c", cc], cwd=tmp_path, env=build_env, capture_output=True,
                       text=True, timeout=120)
    assert r.returncode == 0, (cc, r.stderr)

    r = subprocess.run(["./nightly"], cwd=tmp_path, capture_output=True, text=True, timeout=60,
                       env={"PATH": "/usr/bin:/bin", "LD_LIBRARY_PATH": str(lib),
                            "LOOM_URL": loom.base_url, "LOOM_TOKEN": loom.admin_token})
    assert (r.returncode, r.stdout, r.stderr) == (0, "backing up to /srv/backup\n", "")
    http = loom.http()
    m = http.get("/api/crons/monitors/nightly-backup").json()
    m = m.get("monitor", m)                 # {"monitor": {...}} once the server wraps it
    assert (m["schedule"]["expression"], m["timezone"], m["max_runtime_minutes"]) == \
        ("0 3 * * *", "Europe/Berlin", 60)
    [run] = http.get("/api/crons/monitors/nightly-backup/checkins").json()["checkins"]
    assert (run["status"], run["environment"], run["source"]) == ("ok", "production", "sdk")


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
