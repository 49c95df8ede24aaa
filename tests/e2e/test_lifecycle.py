"""Life cycle of the daemons: a graceful SIGTERM under load, start order,
storaged restarting under load, the loom-probe health probe, and backup and
restore with mdb_copy as the README describes them.

The load is a few threads pinging as fast as they can, each ping with its
own run id (?rid=), so that afterwards every ping answered 200 can be looked
up among the stored check-ins: a 200 is a promise that it was stored.
"""

import os
import shutil
import signal
import socket
import subprocess
import threading
import time
import uuid
from collections import Counter

import pytest

from loomtest import DAEMONS, Http, Loom, binary, exists, wait_for

PROBE = binary("loom-probe")


class Pinger:
    """Threads pinging the monitors in turn; remembers the run ids answered 200."""

    def __init__(self, addr, keys, threads=3):
        self.addr = addr
        self.keys = keys
        self.ok = {k: [] for k in keys}     # key -> rids answered 200
        self.other = Counter()              # other answers and errors
        self.lock = threading.Lock()
        self.done = threading.Event()
        self.threads = [threading.Thread(target=self._run, args=(i,), daemon=True)
                        for i in range(threads)]

    def _run(self, i):
        h = Http(self.addr, None, timeout=10)
        while not self.done.is_set():
            key = self.keys[i % len(self.keys)]
            i += 1
            rid = str(uuid.uuid4())
            try:
                r = h.get(f"/ping/{key}?rid={rid}")
            except OSError as e:
                h.close()
                with self.lock:
                    self.other[type(e).__name__] += 1
                # ingestd is down: do not spin on refused connections.
                self.done.wait(0.005)
                continue
            with self.lock:
                if r.status == 200:
                    self.ok[key].append(rid)
                else:
                    self.other[r.status] += 1
        h.close()

    def start(self):
        for t in self.threads:
            t.start()
        return self

    def stop(self):
        self.done.set()
        for t in self.threads:
            t.join(30)

    def acked(self):
        with self.lock:
            return sum(len(v) for v in self.ok.values())


def make_monitors(loom, n):
    h = loom.http()
    keys = {}
    for i in range(n):
        r = h.post("/api/crons/monitors", json_body={
            "slug": f"load-{i}", "schedule": {"type": "interval", "minutes": 60}})
        assert r.status == 201, r
        keys[r.json()["monitor"]["ping_key"]] = f"load-{i}"
    return keys


def assert_all_stored(loom, pinger, slugs):
    """Every run id answered 200 is a stored check-in (read from storaged itself)."""
    w = loom.wire()
    try:
        org = w.ok("token.verify", token=loom.admin_token)["org"]
        for key, rids in pinger.ok.items():
            stored = w.ok("checkin.list", org=org, slug=slugs[key], limit=1000)["checkins"]
            assert len(stored) < 1000, "too many check-ins to see them all in one page"
            have = {c.get("run_id") for c in stored}
            missing = [r for r in rids if r not in have]
            assert not missing, f"{len(missing)} of {len(rids)} pings answered 200 " \
                                f"were not stored, e.g. {missing[:3]}"
    finally:
        w.close()


# --- graceful stop ---

@pytest.mark.daemons("storaged", "ingestd")
def test_sigterm_while_pinging_exits_0_and_every_200_is_stored(loom):
    slugs = make_monitors(loom, 12)
    p = Pinger(loom.http_addr, list(slugs)).start()
    try:
        wait_for("200 pings acknowledged", lambda: p.acked() >= 200, timeout=30)
        ingestd = loom.daemons["ingestd"]
        t0 = time.monotonic()
        ingestd.signal(signal.SIGTERM)
        code = ingestd.proc.wait(5)
        took = time.monotonic() - t0
    finally:
        p.stop()
    assert code == 0, ingestd.log()
    assert took < 5
    assert "stopping" in ingestd.log()
    # The pings went on during the stop; some were refused, none was lost.
    assert p.acked() >= 200
    assert_all_stored(loom, p, slugs)


@pytest.mark.daemons("storaged")
def test_storaged_exits_0_on_sigterm_with_its_last_commits_done(loom):
    w = loom.wire()
    org = w.ok("token.verify", token=loom.admin_token)["org"]
    w.ok("monitor.create", org=org, monitor={
        "slug": "last", "schedule": {"type": "interval", "value": 1, "unit": "hour"}})
    w.close()
    assert loom.daemons["storaged"].stop() == 0
    assert "drained" in loom.daemons["storaged"].log()


@pytest.mark.parametrize("name", ["storaged", "schedd"])
def test_a_second_daemon_on_the_same_run_dir_exits_and_the_first_serves_on(loom, name):
    """Binding an ipc endpoint replaces its socket file: a second storaged or
    schedd started by mistake would take the first one's traffic."""
    sock = os.path.join(loom.env["LOOM_RUN_DIR"], "storaged.cmd" if name == "storaged"
                        else "schedd.ctl")
    before = os.stat(sock).st_ino
    second = subprocess.run([binary(name)], env=loom.env, capture_output=True, text=True,
                            timeout=30)
    assert second.returncode == 1, second.stderr
    assert f"another {name} is running with LOOM_RUN_DIR" in second.stderr
    assert os.stat(sock).st_ino == before            # its socket untouched
    assert loom.daemons[name].running()
    w = loom.wire()
    assert w.ok("token.verify", token=loom.admin_token)["org"]
    w.close()
    assert subprocess.run([PROBE, "ipc://" + sock], capture_output=True,
                          timeout=30).returncode == 0


# --- start order and restarts ---

def test_ingestd_started_before_storaged_serves_once_storaged_is_up():
    loom = Loom(daemons=["ingestd", "storaged"], env={"LOOM_STORAGE_TIMEOUT": "300ms"})
    try:
        loom.start("ingestd")
        # Serving HTTP already; anything that needs storaged says so.
        r = Http(loom.http_addr, "loom_notyet", timeout=5).get("/api/crons/monitors")
        assert r.status == 503, r
        loom.start("storaged")
        h = loom.http()
        wait_for("the API through ingestd", lambda: h.get("/api/crons/monitors").status == 200)
        r = h.post("/api/crons/monitors", json_body={
            "slug": "late", "schedule": {"type": "interval", "minutes": 5}})
        assert r.status == 201, r
        assert Http(loom.http_addr, None).get(f"/ping/{r.json()['monitor']['ping_key']}").status == 200
    finally:
        codes = loom.stop()
        logs = loom.logs()
        loom.cleanup()
    assert codes == {"ingestd": 0, "storaged": 0}, logs


@pytest.mark.parametrize("how", ["SIGTERM", "SIGKILL"])
@pytest.mark.daemons("storaged", "ingestd")
@pytest.mark.env(LOOM_STORAGE_TIMEOUT="500ms")
def test_storaged_restarted_under_load_loses_no_acknowledged_ping(loom, how):
    slugs = make_monitors(loom, 24)
    p = Pinger(loom.http_addr, list(slugs)).start()
    storaged = loom.daemons["storaged"]
    try:
        wait_for("100 pings acknowledged", lambda: p.acked() >= 100, timeout=30)
        if how == "SIGKILL":
            storaged.kill()
        else:
            assert storaged.stop() == 0
        # ingestd stays up and answers 503 (nothing recorded) meanwhile.
        wait_for("ingestd to answer 503", lambda: p.other[503] > 0, timeout=10)
        loom.restart("storaged")
        before = p.acked()
        wait_for("pings acknowledged again", lambda: p.acked() >= before + 100, timeout=30)
    finally:
        p.stop()
    assert loom.daemons["ingestd"].running()
    assert_all_stored(loom, p, slugs)


def test_every_daemon_started_before_storaged_gets_ready_once_it_is_up():
    # The worst order: storaged last.  ZeroMQ connects before the peer binds.
    order = [d for d in ("ingestd", "streamd", "schedd", "storaged") if exists(d)]
    loom = Loom(daemons=order)
    try:
        for d in order[:-1]:
            loom.daemons[d].start()
        wait_for("ingestd to listen", lambda: Http(loom.http_addr, None, timeout=1)
                 .get("/healthz").status == 200)
        loom.start("storaged")
        for d in order:
            loom.wait_ready(d)
        h = loom.http()
        r = h.post("/api/crons/monitors", json_body={
            "slug": "ordered", "schedule": {"type": "interval", "minutes": 5}})
        assert r.status == 201, r
        assert Http(loom.http_addr, None).get(f"/ping/{r.json()['monitor']['ping_key']}").status == 200
    finally:
        codes = loom.stop()
        logs = loom.logs()
        loom.cleanup()
    assert set(codes.values()) == {0}, logs


# --- systemd readiness (Type=notify) ---

class NotifySocket:
    """systemd's side of sd_notify: a datagram socket that learns each sender's PID."""

    def __init__(self, path):
        self.path = path
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
        self.sock.bind(path)
        self.got = []                         # (pid, message)

    def receive(self, timeout):
        self.sock.settimeout(timeout)
        try:
            data, anc, _, _ = self.sock.recvmsg(4096, socket.CMSG_SPACE(12))
        except socket.timeout:
            return
        pid = None
        for level, kind, cred in anc:
            if level == socket.SOL_SOCKET and kind == socket.SCM_CREDENTIALS:
                pid = int.from_bytes(cred[:4], "little")
        self.got.append((pid, data.decode()))

    def wait(self, pid, text, timeout=15):
        deadline = time.monotonic() + timeout
        while not any(p == pid and text in m for p, m in self.got):
            left = deadline - time.monotonic()
            assert left > 0, f"no {text!r} from pid {pid}; got {self.got}"
            self.receive(left)

    def close(self):
        self.sock.close()


def test_daemons_notify_ready_stopping_and_the_watchdog(tmp_path):
    note = NotifySocket(str(tmp_path / "notify"))
    names = [d for d in DAEMONS if exists(d)]
    loom = Loom(daemons=names, env={"NOTIFY_SOCKET": note.path, "WATCHDOG_USEC": "2000000"})
    try:
        loom.start()
        for d in names:
            note.wait(loom.daemons[d].proc.pid, "READY=1", timeout=15)
        if "schedd" in names:
            note.wait(loom.daemons["schedd"].proc.pid, "WATCHDOG=1")
        ready = [m for p, m in note.got if p == loom.daemons["storaged"].proc.pid]
        assert any(m.startswith("READY=1\nSTATUS=serving ") for m in ready), ready
        pids = {d: loom.daemons[d].proc.pid for d in names}
        codes = loom.stop()
        for d in names:
            note.wait(pids[d], "STOPPING=1", timeout=5)
    finally:
        loom.stop()
        loom.cleanup()
        note.close()
    assert set(codes.values()) == {0}


# --- the health probe ---

@pytest.mark.daemons("storaged")
def test_loom_probe_answers_for_a_serving_storaged_and_not_after_it_stopped(loom):
    r = subprocess.run([PROBE, "-v", loom.cmd_endpoint], capture_output=True, text=True,
                       timeout=10)
    assert r.returncode == 0, r.stderr
    assert "storaged answers" in r.stdout
    assert loom.daemons["storaged"].stop() == 0
    r = subprocess.run([PROBE, "-t", "200", loom.cmd_endpoint], capture_output=True,
                       text=True, timeout=10)
    assert r.returncode == 1
    assert "no answer" in r.stderr


def test_loom_probe_answers_for_schedd():
    if not exists("schedd"):
        pytest.skip("schedd is not built")
    loom = Loom(daemons=["storaged", "schedd"]).start()
    try:
        r = subprocess.run([PROBE, "-v", loom.schedd_endpoint], capture_output=True,
                           text=True, timeout=10)
        assert r.returncode == 0, r.stderr
        assert "schedd answers" in r.stdout
    finally:
        codes = loom.stop()
        loom.cleanup()
    assert set(codes.values()) == {0}


def test_loom_probe_gives_up_after_its_timeout(tmp_path):
    t0 = time.monotonic()
    r = subprocess.run([PROBE, "-t", "300", f"ipc://{tmp_path}/nobody"], capture_output=True,
                       text=True, timeout=10)
    assert r.returncode == 1
    assert 0.25 < time.monotonic() - t0 < 3
    assert f"ipc://{tmp_path}/nobody: no answer (timeout 300 ms)" in r.stderr


@pytest.mark.parametrize("args,code,text", [
    ([], 64, "usage: loom-probe"),
    (["-t", "0", "ipc:///tmp/x"], 64, "usage: loom-probe"),
    (["ipc:///tmp/x", "extra"], 64, "usage: loom-probe"),
    (["http://127.0.0.1:8080/healthz"], 1, "not a ZeroMQ endpoint"),
])
def test_loom_probe_usage(args, code, text):
    r = subprocess.run([PROBE, *args], capture_output=True, text=True, timeout=10)
    assert r.returncode == code
    assert text in r.stderr


# --- backup and restore (README, Operations) ---

@pytest.mark.daemons("storaged", "ingestd")
def test_backup_with_mdb_copy_while_running_then_restore(loom, tmp_path):
    h = loom.http()
    r = h.post("/api/crons/monitors", json_body={
        "slug": "kept", "schedule": {"type": "cron", "expression": "0 3 * * *"}})
    assert r.status == 201, r
    key = r.json()["monitor"]["ping_key"]
    ping = Http(loom.http_addr, None)
    for _ in range(3):
        assert ping.get(f"/ping/{key}").status == 200

    backup = tmp_path / "backup"
    backup.mkdir()
    r = subprocess.run(["mdb_copy", "-c", loom.data_dir, str(backup)], capture_output=True,
                       text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    shutil.copy(os.path.join(loom.data_dir, "admin-token"), backup)
    assert ping.get(f"/ping/{key}").status == 200          # after the backup: lost
    assert h.post("/api/crons/monitors", json_body={
        "slug": "lost", "schedule": {"type": "interval", "minutes": 5}}).status == 201

    assert loom.stop() == {"ingestd": 0, "storaged": 0}
    shutil.rmtree(loom.data_dir)
    os.mkdir(loom.data_dir, 0o700)
    for f in ("data.mdb", "admin-token"):
        shutil.copy(backup / f, loom.data_dir)
        os.chmod(os.path.join(loom.data_dir, f), 0o600)
    loom.start()

    h = loom.http()                                          # the same admin token
    assert h.get("/api/crons/monitors/lost").status == 404
    r = h.get("/api/crons/monitors/kept/checkins")
    assert r.status == 200, r
    assert [c["status"] for c in r.json()["checkins"]] == ["ok", "ok", "ok"]
    assert ping.get(f"/ping/{key}").status == 200
