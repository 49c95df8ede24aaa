"""Security properties, checked from outside: tokens at rest, organization
isolation (API and stream), the ipc socket directory, and ping keys.

  - Tokens are stored only as hashes: no token, the admin's included, is in
    the bytes of the LMDB files (while what is stored in clear, such as a
    token's name, is).
  - Another organization's token cannot read, change, pause, list, finish
    or stream a monitor: the API answers 404, and its stream, even
    replayed from the start of the log and filtered by the same slug,
    carries none of the other organization's events.
  - The ipc sockets live in a 0700 directory (made so even if it existed
    with another mode): a process of another user (nobody, via setpriv)
    cannot connect to any of them.
  - Ping keys are UUID v4: version and variant fixed, the other 122 bits
    each set in about half of 2,000 keys, independently of the previous key.
"""

import os
import re
import shutil
import socket
import stat
import subprocess
import sys
import tempfile

import msgpack
import pytest

from loomtest import SSE, Http, Loom, Wire, wait_for

HOURLY = {"type": "interval", "value": 1, "unit": "hour"}
PRESET = "loom_preset_0123456789abcdefghijklmnopqrstuvwxyz"


def api_ready(loom, token=None):
    h = loom.http() if token is None else Http(loom.http_addr, token)
    wait_for("the API to answer", lambda: h.get("/api/crons/organization").status == 200)
    return h


def test_tokens_are_stored_only_as_hashes(loom):
    admin = api_ready(loom)
    secrets = {"admin-token": loom.admin_token}
    for scopes in (["admin"], ["read"], ["checkins"], ["read", "checkins"]):
        r = admin.post("/api/crons/tokens", {"name": "name-" + "-".join(scopes),
                                             "scopes": scopes})
        assert r.status == 201, r
        secrets["-".join(scopes)] = r.json()["token"]
    r = admin.post("/api/crons/organizations", {"name": "org-in-clear", "monitor_limit": 5})
    assert r.status == 201, r
    secrets["other org's admin"] = r.json()["token"]["token"]
    # A preset admin token, added at the next start of storaged.
    sd = loom.daemons["storaged"]
    assert sd.stop() == 0
    sd.env = {**sd.env, "LOOM_ADMIN_TOKEN": PRESET}
    loom.restart("storaged")
    api_ready(loom, PRESET)
    secrets["LOOM_ADMIN_TOKEN"] = PRESET
    for name, tok in secrets.items():       # each of them is known (a checkins token is 403)...
        assert Http(loom.http_addr, tok).get("/api/crons/organization").status in (200, 403), \
            name
    assert sd.stop() == 0                   # ...and nothing is left to write

    files = {f: open(os.path.join(loom.data_dir, f), "rb").read()
             for f in ("data.mdb", "lock.mdb")}
    assert b"name-read-checkins" in files["data.mdb"] and b"org-in-clear" in files["data.mdb"]
    for name, tok in secrets.items():
        for f, data in files.items():
            for form in (tok, tok.removeprefix("loom_")):
                assert form.encode() not in data, f"{name} token in clear in {f}"
    # The generated admin token's file: readable by its owner only, in a private directory.
    assert stat.S_IMODE(os.stat(os.path.join(loom.data_dir, "admin-token")).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(loom.data_dir).st_mode) == 0o700
    loom.restart("storaged")                # the fixture stops it again


def test_another_organization_cannot_read_change_or_stream_a_monitor(loom):
    mine_api = api_ready(loom)
    r = mine_api.post("/api/crons/organizations", {"name": "tenant-b", "monitor_limit": 10})
    assert r.status == 201, r
    other_tok = r.json()["token"]["token"]
    other = Http(loom.http_addr, other_tok)
    r = other.post("/api/crons/tokens", {"name": "b-reader", "scopes": ["read"]})
    assert r.status == 201, r
    b_reader_id = r.json()["id"]
    mine = mine_api.post("/api/crons/monitors", {"slug": "secret", "schedule": HOURLY}).json()["monitor"]
    a_token = mine_api.post("/api/crons/tokens", {"scopes": ["read"]}).json()
    ping = Http(loom.http_addr, None)
    started = ping.get(f"/ping/{mine['ping_key']}/start").json()["checkin_id"]
    theirs = other.post("/api/crons/monitors", {"slug": "theirs", "schedule": HOURLY}).json()["monitor"]

    def not_found(r):
        return r.status == 404 and r.json()["error"]["code"] == "not_found"

    for method, path, body in [
        ("GET", "/api/crons/monitors/secret", None),
        ("PATCH", "/api/crons/monitors/secret", {"name": "hijacked"}),
        ("PUT", "/api/crons/monitors/secret", {"name": "hijacked"}),
        ("DELETE", "/api/crons/monitors/secret", None),
        ("POST", "/api/crons/monitors/secret/pause", None),
        ("POST", "/api/crons/monitors/secret/resume", None),
        ("GET", "/api/crons/monitors/secret/checkins", None),
        ("POST", "/api/crons/monitors/secret/checkins", {"status": "ok"}),
        ("GET", "/api/crons/monitors/secret/stats", None),
        ("PATCH", f"/api/crons/checkins/{started}", {"status": "error"}),
        ("DELETE", f"/api/crons/tokens/{a_token['id']}", None),
    ]:
        r = other.request(method, path, json_body=body)
        assert not_found(r), (method, path, r)
        # And the other way round, for what the second organization owns.
        path = path.replace("secret", "theirs").replace(a_token["id"], b_reader_id)
        if "checkins/chk_" not in path:
            assert not_found(mine_api.request(method, path, json_body=body)), (method, path)
    listed = other.get("/api/crons/monitors").json()["monitors"]
    assert [m["id"] for m in listed] == [theirs["id"]]
    assert a_token["id"] not in {t["id"] for t in other.get("/api/crons/tokens").json()["tokens"]}
    # Nothing of the first organization changed.
    m = mine_api.get("/api/crons/monitors/secret").json()["monitor"]
    assert (m["name"], m["status"]) == ("secret", "active")
    assert [c["status"] for c in mine_api.get(
        "/api/crons/monitors/secret/checkins").json()["checkins"]] == ["in_progress"]
    assert Http(loom.http_addr, a_token["token"]).get("/api/crons/organization").status == 200

    # Streams: each organization's, replayed from the start, both filtered by
    # the other's slug and not, through ingestd and on streamd directly.
    for suffix in ("", "/fail", "", "/3"):     # the two organizations' events interleave
        assert ping.get(f"/ping/{theirs['ping_key']}/start").status == 200
        assert ping.get(f"/ping/{mine['ping_key']}{suffix}").status == 200
    w = Wire(loom.cmd_endpoint)
    end = w.ok("ping")["seq"]
    log = w.ok("events.after", after=0, limit=1000)["events"]
    w.close()
    org_of = {e["seq"]: e["org"] for e in log}
    public = {"checkin.started", "checkin.ok", "checkin.error", "monitor.missed",
              "monitor.timeout", "monitor.healthy"}
    b_org = next(e["org"] for e in log if e["monitor"]["id"] == theirs["id"])
    for tok, org in ((other_tok, b_org), (loom.admin_token, org_of[1])):
        for addr in (loom.http_addr, loom.stream_addr):
            for query in ("", "&monitor=secret", "&monitor=theirs"):
                s = SSE(addr, f"/api/crons/stream?last_event_id=0{query}", tok)
                assert s.status == 200
                want = [e["seq"] for e in log if e["org"] == org and e["type"] in public and
                        (not query or e["monitor"]["slug"] == query.split("=")[1])]
                got = []
                while not got or got[-1] < (want[-1] if want else end):
                    try:
                        ev = s.next_event(timeout=1 if not want else 5)
                    except TimeoutError:
                        break           # a stream with nothing to show stays quiet
                    got.append(int(ev["id"]))
                s.close()
                assert got == want, (org, addr, query, got, want)
                assert all(org_of[i] == org for i in got)


def run_as_nobody(code):
    """Runs python code as user nobody; returns (exit code, output)."""
    if shutil.which("setpriv") is None:
        msg = "setpriv (util-linux) is not installed"
        if os.environ.get("CI"):
            pytest.fail(msg)
        pytest.skip(msg + " (in CI this fails)")
    r = subprocess.run(["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups",
                        sys.executable, "-c", code], capture_output=True, text=True, timeout=30)
    return r.returncode, r.stdout + r.stderr


CONNECT = """
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
try:
    s.connect(sys.argv[1] if len(sys.argv) > 1 else {path!r})
except PermissionError:
    print("denied"); sys.exit(3)
print("connected")
"""


def test_the_ipc_sockets_are_out_of_other_users_reach():
    loom = Loom()
    try:
        os.chmod(loom.dir, 0o755)       # only the run directory's own mode may protect
        os.makedirs(loom.run_dir, mode=0o755)
        os.chmod(loom.run_dir, 0o755)   # as a careless admin left it
        loom.start()
        mode = stat.S_IMODE(os.stat(loom.run_dir).st_mode)
        assert mode == 0o700, oct(mode)
        socks = sorted(f for f in os.listdir(loom.run_dir)
                       if stat.S_ISSOCK(os.stat(os.path.join(loom.run_dir, f)).st_mode))
        assert {"storaged.cmd", "storaged.pub", "schedd.ctl"} <= set(socks), socks
        for name in socks:
            code, out = run_as_nobody(CONNECT.format(path=os.path.join(loom.run_dir, name)))
            assert (code, out.strip()) == (3, "denied"), (name, code, out)
        # The probe itself works: nobody reaches a socket it is allowed to.
        with tempfile.TemporaryDirectory(dir="/tmp") as d:
            os.chmod(d, 0o755)
            path = os.path.join(d, "open.sock")
            srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            srv.bind(path)
            os.chmod(path, 0o777)
            srv.listen(1)
            try:
                code, out = run_as_nobody(CONNECT.format(path=path))
                assert (code, out.strip()) == (0, "connected"), out
            finally:
                srv.close()
        # And root's own client still does.
        w = Wire(loom.cmd_endpoint)
        assert w.ok("ping")["daemon"] == "storaged"
        w.close()
    except BaseException:
        print(loom.logs())      # the report of a test that failed shows why
        raise
    finally:
        codes = loom.stop()
        loom.cleanup()
    assert codes == {n: 0 for n in loom.daemons}, codes


@pytest.mark.daemons("storaged")
def test_ping_keys_are_uuid_v4_with_122_random_bits(loom):
    n = 2000
    w = loom.wire()
    org = w.ok("token.verify", token=loom.admin_token)["org"]
    for i in range(n):                      # pipelined: storaged commits them in batches
        w.send_raw(b"monitor.create", msgpack.packb({"v": 1, "rid": i + 1, "org": org,
                                                     "monitor": {"slug": f"m{i}",
                                                                 "schedule": HOURLY}}))
    keys = []
    for _ in range(n):
        name, reply = w.recv()
        assert name == "ok", reply
        keys.append(reply["monitor"]["ping_key"])
    w.close()
    v4 = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
    assert all(v4.match(k) for k in keys), [k for k in keys if not v4.match(k)][:3]
    assert len(set(keys)) == n
    bits = [int(k.replace("-", ""), 16) for k in keys]
    fixed = {127 - i for i in range(48, 52)} | {127 - 64, 127 - 65}  # version, variant
    free = [b for b in range(128) if b not in fixed]
    assert len(free) == 122
    # Each free bit is set in about half the keys: 5 standard deviations
    # (sqrt(n/4) = 22) allow for 122 bits with a false alarm once in ~10^4 runs.
    sd = (n / 4) ** 0.5
    ones = {b: sum(k >> b & 1 for k in bits) for b in free}
    skewed = {b: c for b, c in ones.items() if abs(c - n / 2) > 5 * sd}
    assert skewed == {}, f"bits far from half set (bit: count of {n}): {skewed}"
    # ...and does not follow the previous key's (a counter or a weak generator would).
    same = {b: sum((x >> b & 1) == (y >> b & 1) for x, y in zip(bits, bits[1:])) for b in free}
    serial = {b: c for b, c in same.items() if abs(c - (n - 1) / 2) > 5 * sd}
    assert serial == {}, f"bits that repeat the previous key's: {serial}"
    # The fixed bits are fixed.
    assert {k >> 76 & 0xF for k in bits} == {4} and {k >> 62 & 0x3 for k in bits} == {2}
