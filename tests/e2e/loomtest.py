"""loomtest -- black-box helpers for the Loom Crons e2e suite.

Starts the real daemons on free loopback ports with their data in a
temporary directory, and talks to them the way users and peers do: HTTP
(stdlib http.client), Server-Sent Events, and the ZeroMQ + msgpack wire
protocol of common/proto/proto.h (Debian's python3-zmq and python3-msgpack).

Nothing here sleeps to wait for something: `wait_for` polls an observable
condition until a deadline and fails with what it last saw.
"""

import http.client
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time

import msgpack
import zmq

BUILD = os.environ.get("LOOM_BUILD") or os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..", "..", "build")
DAEMONS = ("storaged", "schedd", "streamd", "ingestd")


def binary(name, testhooks=False):
    """Path of a built binary; test-hook builds accept LOOM_TEST_CLOCK_FILE."""
    if testhooks and name in DAEMONS:
        return os.path.join(BUILD, "testhooks", "bin", name)
    return os.path.join(BUILD, "bin", name)


def exists(name):
    return os.path.exists(binary(name))


_ports_given = set()


def free_port():
    """A port nothing listens on, never the same twice in this process: the
    kernel may hand the same ephemeral port to two binds to 0 in a row (a
    system's HTTP and stream ports once collided so).  Taken below the
    ephemeral range, where no outgoing connection's source port lands."""
    while True:
        port = random.randrange(20000, 32000)
        if port in _ports_given:
            continue
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
        _ports_given.add(port)
        return port


def wait_for(what, check, timeout=10.0, interval=0.01):
    """Polls check() until it returns a truthy value; returns that value."""
    deadline = time.monotonic() + timeout
    last = None
    while True:
        try:
            last = check()
        except Exception as e:  # noqa: BLE001 - remembered and reported
            last = e
        else:
            if last:
                return last
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}; last: {last!r}")
        time.sleep(interval)


class Wire:
    """A DEALER client of a ROUTER endpoint, speaking common/proto/proto.h."""

    def __init__(self, endpoint, timeout_ms=3000):
        self.ctx = zmq.Context.instance()
        self.sock = self.ctx.socket(zmq.DEALER)
        self.sock.setsockopt(zmq.LINGER, 0)
        self.sock.setsockopt(zmq.RCVTIMEO, timeout_ms)
        self.sock.connect(endpoint)
        self.rid = 0

    def send_raw(self, *frames):
        self.sock.send_multipart(list(frames))

    def recv(self):
        name, body = self.sock.recv_multipart()
        return name.decode(), msgpack.unpackb(body, raw=False)

    def call(self, name, /, **fields):
        """Sends a request and returns (reply name, reply map)."""
        self.rid += 1
        body = {"v": 1, "rid": self.rid, **fields}
        self.sock.send_multipart([name.encode(), msgpack.packb(body, use_bin_type=True)])
        while True:
            rname, reply = self.recv()
            if reply.get("rid") == self.rid:
                return rname, reply

    def ok(self, name, /, **fields):
        rname, reply = self.call(name, **fields)
        assert rname == "ok", f"{name}: {reply}"
        return reply

    def events(self, org=None, limit=10000):
        """Every committed event (of org, when given), oldest first, paging
        through events.after limit at a time; and the last page."""
        out, after, extra = [], 0, {"org": org} if org else {}
        while True:
            page = self.ok("events.after", after=after, limit=limit, **extra)
            out += page["events"]
            if page["last"] >= page["head"]:
                return out, page
            after = page["last"]

    def close(self):
        self.sock.close()


class Subscriber:
    """A SUB socket on storaged's event feed."""

    def __init__(self, endpoint):
        self.sock = zmq.Context.instance().socket(zmq.SUB)
        self.sock.setsockopt(zmq.LINGER, 0)
        self.sock.setsockopt(zmq.SUBSCRIBE, b"")
        self.sock.connect(endpoint)

    def next(self, timeout=5.0):
        if not self.sock.poll(int(timeout * 1000)):
            raise AssertionError("no event within %ss" % timeout)
        name, body = self.sock.recv_multipart()
        return name.decode(), msgpack.unpackb(body, raw=False)

    def close(self):
        self.sock.close()


class Relay:
    """Stands between storaged's PUB and a subscriber (streamd, schedd) that
    is given endpoint as LOOM_STORAGED_PUB: forwards, drops or corrupts."""

    def __init__(self, loom, endpoint):
        self.sub = Subscriber(loom.pub_endpoint)
        self.pub = zmq.Context.instance().socket(zmq.PUB)
        self.pub.setsockopt(zmq.LINGER, 0)
        self.pub.bind(endpoint)
        self.drop = set()
        self.forwarded = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self):
        while not self.stop.is_set():
            if not self.sub.sock.poll(50):
                continue
            name, body = self.sub.sock.recv_multipart()
            seq = msgpack.unpackb(body, raw=False)["seq"]
            if seq not in self.drop:
                self.pub.send_multipart([name, body])
                self.forwarded.append(seq)

    def send_raw(self, *frames):
        self.pub.send_multipart(list(frames))

    def close(self):
        self.stop.set()
        self.thread.join()
        self.sub.close()
        self.pub.close()


class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body

    def json(self):
        return json.loads(self.body)

    @property
    def text(self):
        return self.body.decode("utf-8", "replace")

    def __repr__(self):
        return f"<Response {self.status} {self.body[:300]!r}>"


class Http:
    """A keep-alive HTTP/1.1 client for one base URL."""

    def __init__(self, addr, token=None, timeout=10.0):
        host, port = addr.rsplit(":", 1)
        self.host, self.port = host, int(port)
        self.token = token
        self.timeout = timeout
        self.conn = None

    def request(self, method, path, body=None, headers=None, token=..., json_body=None):
        hdrs = dict(headers or {})
        tok = self.token if token is ... else token
        if tok is not None:
            hdrs["Authorization"] = "Bearer " + tok
        if json_body is not None:
            body = json.dumps(json_body).encode()
            hdrs.setdefault("Content-Type", "application/json")
        if isinstance(body, str):
            body = body.encode()
        for attempt in (0, 1):
            if self.conn is None:
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
            try:
                self.conn.request(method, path, body=body, headers=hdrs)
                r = self.conn.getresponse()
                data = r.read()
                resp = Response(r.status, {k.lower(): v for k, v in r.getheaders()}, data)
                if r.getheader("connection", "").lower() == "close":
                    self.close()
                return resp
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                # A keep-alive connection the server closed: retry once on a fresh one.
                self.close()
                if attempt:
                    raise

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, json_body=None, **kw):
        return self.request("POST", path, json_body=json_body, **kw)

    def patch(self, path, json_body=None, **kw):
        return self.request("PATCH", path, json_body=json_body, **kw)

    def delete(self, path, **kw):
        return self.request("DELETE", path, **kw)

    def close(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None


class SSE:
    """A minimal Server-Sent Events client over a raw socket (stdlib only)."""

    def __init__(self, addr, path, token=None, headers=None, timeout=10.0):
        host, port = addr.rsplit(":", 1)
        self.sock = socket.create_connection((host, int(port)), timeout=timeout)
        lines = [f"GET {path} HTTP/1.1", f"Host: {addr}", "Accept: text/event-stream"]
        if token:
            lines.append(f"Authorization: Bearer {token}")
        for k, v in (headers or {}).items():
            lines.append(f"{k}: {v}")
        self.sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        self.buf = b""
        head = self._read_until(b"\r\n\r\n")
        status_line, *hdr_lines = head.decode("latin-1").split("\r\n")
        self.status = int(status_line.split()[1])
        self.headers = {}
        for h in hdr_lines:
            if ":" in h:
                k, v = h.split(":", 1)
                self.headers[k.strip().lower()] = v.strip()
        self.chunked = self.headers.get("transfer-encoding", "").lower() == "chunked"
        self.raw = b""        # de-chunked body bytes not yet parsed
        self.comments = []    # ":" lines seen (heartbeats)
        self.retry = None

    def _fill(self):
        data = self.sock.recv(65536)
        if not data:
            raise EOFError("stream closed")
        self.buf += data

    def _read_until(self, sep):
        while sep not in self.buf:
            self._fill()
        head, self.buf = self.buf.split(sep, 1)
        return head

    def _body(self):
        """Moves decoded body bytes from buf to raw."""
        if not self.chunked:
            self.raw += self.buf
            self.buf = b""
            return
        while True:
            if b"\r\n" not in self.buf:
                return
            size_line, rest = self.buf.split(b"\r\n", 1)
            size = int(size_line.split(b";")[0], 16)
            if size == 0:
                raise EOFError("stream ended")
            if len(rest) < size + 2:
                return
            self.raw += rest[:size]
            self.buf = rest[size + 2:]

    def next_event(self, timeout=5.0):
        """The next event as a dict {id, event, data, retry}; comments are recorded."""
        deadline = time.monotonic() + timeout
        while True:
            self._body()
            while b"\n\n" in self.raw:
                block, self.raw = self.raw.split(b"\n\n", 1)
                ev = {}
                data = []
                for line in block.decode().split("\n"):
                    if line.startswith(":"):
                        self.comments.append(line)
                        continue
                    k, _, v = line.partition(":")
                    v = v[1:] if v.startswith(" ") else v
                    if k == "data":
                        data.append(v)
                    elif k == "retry":
                        self.retry = int(v)
                    elif k in ("id", "event"):
                        ev[k] = v
                if data:
                    ev["data"] = "\n".join(data)
                if "data" in ev or "event" in ev:
                    return ev
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("no event within %ss" % timeout)
            self.sock.settimeout(left)
            self._fill()

    def close(self):
        self.sock.close()


class Daemon:
    def __init__(self, name, env, logdir, testhooks):
        self.name = name
        self.env = env
        self.testhooks = testhooks
        self.log_path = os.path.join(logdir, name + ".log")
        self.proc = None

    def start(self):
        log = open(self.log_path, "ab")
        self.proc = subprocess.Popen([binary(self.name, self.testhooks)], env=self.env,
                                     stdout=log, stderr=log, stdin=subprocess.DEVNULL)
        log.close()

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def signal(self, sig):
        self.proc.send_signal(sig)

    def kill(self):
        """SIGKILL, as a crash would."""
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(5)

    def stop(self, timeout=5.0):
        """SIGTERM; returns the exit code (None if it had to be killed)."""
        if not self.running():
            return self.proc.returncode if self.proc else 0
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            return None

    def log(self):
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except FileNotFoundError:
            return ""


class Loom:
    """A running Loom Crons system in a temporary directory.

    daemons: names to start (default: every daemon that is built).
    testhooks: use the test builds, whose clock tests can move with advance().
    """

    def __init__(self, daemons=None, testhooks=False, env=None):
        self.dir = tempfile.mkdtemp(prefix="loom-", dir="/tmp")  # ipc paths must be short
        self.data_dir = os.path.join(self.dir, "data")
        self.run_dir = os.path.join(self.dir, "run")
        self.clock_file = os.path.join(self.dir, "clock")
        self.http_addr = f"127.0.0.1:{free_port()}"
        self.stream_addr = f"127.0.0.1:{free_port()}"
        self.base_url = "http://" + self.http_addr
        self.offset_us = 0
        self.testhooks = testhooks
        with open(self.clock_file, "w") as f:
            f.write("0")
        self.env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "LOOM_DATA_DIR": self.data_dir,
            "LOOM_RUN_DIR": self.run_dir,
            "LOOM_HTTP_ADDR": self.http_addr,
            "LOOM_STREAM_ADDR": self.stream_addr,
            "LOOM_PUBLIC_URL": self.base_url,
            "LOOM_TEST_CLOCK_FILE": self.clock_file,
            "ASAN_OPTIONS": os.environ.get("ASAN_OPTIONS", ""),
        }
        self.env.update(env or {})
        wanted = daemons if daemons is not None else [d for d in DAEMONS if exists(d)]
        self.daemons = {n: Daemon(n, self.env, self.dir, testhooks) for n in wanted}
        self._token = None

    # --- endpoints ---
    @property
    def cmd_endpoint(self):
        return f"ipc://{self.run_dir}/storaged.cmd"

    @property
    def pub_endpoint(self):
        return f"ipc://{self.run_dir}/storaged.pub"

    @property
    def schedd_endpoint(self):
        return f"ipc://{self.run_dir}/schedd.ctl"

    @property
    def admin_token(self):
        if self._token is None:
            path = os.path.join(self.data_dir, "admin-token")
            self._token = wait_for("admin-token", lambda: os.path.exists(path) and
                                   open(path).read().strip())
        return self._token

    def wire(self, endpoint=None):
        return Wire(endpoint or self.cmd_endpoint)

    def http(self, token=...):
        return Http(self.http_addr, self.admin_token if token is ... else token)

    def sse(self, path="/api/crons/stream", token=..., headers=None, addr=None):
        tok = self.admin_token if token is ... else token
        return SSE(addr or self.http_addr, path, tok, headers)

    # --- life cycle ---
    def start(self, *names):
        for n in names or self.daemons:
            self.daemons[n].start()
        for n in names or self.daemons:
            self.wait_ready(n)
        return self

    def wait_ready(self, name):
        d = self.daemons[name]

        def ready():
            if not d.running():
                raise AssertionError(f"{name} exited with {d.proc.returncode}:\n{d.log()}")
            if name == "storaged":
                return self._ping(self.cmd_endpoint) is not None
            if name == "schedd":     # it answers while it syncs: ready is synced
                status = self._ping(self.schedd_endpoint)
                return status is not None and status["synced"]
            addr = self.http_addr if name == "ingestd" else self.stream_addr
            return Http(addr, None, timeout=1).get("/healthz").status == 200
        wait_for(f"{name} to be ready", ready, timeout=15)

    @staticmethod
    def _ping(endpoint):
        """The answer to ping, or None when there is none (yet)."""
        w = Wire(endpoint, timeout_ms=300)
        try:
            name, reply = w.call("ping")
            return reply if name == "ok" else None
        except zmq.Again:
            return None
        finally:
            w.close()

    def kill(self, name):
        self.daemons[name].kill()

    def restart(self, name):
        self.daemons[name].start()
        self.wait_ready(name)

    def stop(self):
        """SIGTERM in reverse start order; returns {name: exit code}."""
        codes = {}
        for n in reversed(list(self.daemons)):
            codes[n] = self.daemons[n].stop()
        return codes

    def logs(self):
        return "\n".join(f"--- {n} ---\n{d.log()}" for n, d in self.daemons.items())

    def cleanup(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    # --- test clock (test-hook builds only) ---
    def advance(self, seconds):
        """Moves every daemon's wall clock forward (test-hook builds)."""
        assert self.testhooks, "advance() needs Loom(testhooks=True)"
        self.offset_us += int(seconds * 1_000_000)
        tmp = self.clock_file + ".tmp"
        with open(tmp, "w") as f:
            f.write(str(self.offset_us))
        os.replace(tmp, self.clock_file)

    def now_us(self):
        """The daemons' wall clock, in UTC microseconds."""
        return int(time.time() * 1_000_000) + self.offset_us
