"""Local receivers for alert delivery tests: a webhook endpoint that records
what it is sent (and can be told to fail or to go away), and an SMTP sink
(Debian's python3-aiosmtpd) that keeps the messages it accepts."""

import email
import email.policy
import hashlib
import hmac
import http.server
import json
import threading
import time

from loomtest import free_port


class Hook:
    """An HTTP receiver on 127.0.0.1.  status: what it answers (a callable of
    the request number may decide); requests: every request, in order."""

    def __init__(self, status=200):
        self.status = status
        self.requests = []
        self.lock = threading.Condition()
        self.port = free_port()
        self.server = None
        self.start()

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}/hook"

    def start(self):
        hook = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                n = int(self.headers.get("Content-Length", 0))
                body = self.rfile.read(n)
                with hook.lock:
                    hook.requests.append({"path": self.path, "headers": dict(self.headers),
                                          "body": body})
                    number = len(hook.requests)
                    hook.lock.notify_all()
                status = hook.status(number) if callable(hook.status) else hook.status
                self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self):
        """Goes away: connections are refused until start()."""
        self.server.shutdown()
        self.server.server_close()

    def wait(self, count, timeout=10.0):
        """The first `count` requests, once they have arrived."""
        end = time.monotonic() + timeout
        with self.lock:
            while len(self.requests) < count:
                left = end - time.monotonic()
                assert left > 0, f"{len(self.requests)} of {count} requests arrived"
                self.lock.wait(left)
            return list(self.requests[:count])

    def events(self, count, timeout=10.0):
        return [json.loads(r["body"]) for r in self.wait(count, timeout)]


def verify(secret, request, tolerance_s=300):
    """Checks a webhook's Loom-Signature the way docs/alerts.md tells users to."""
    ts = request["headers"]["Loom-Timestamp"]
    sig = request["headers"]["Loom-Signature"]
    assert abs(time.time() - int(ts)) < tolerance_s
    mac = hmac.new(secret.encode(), ts.encode() + b"." + request["body"], hashlib.sha256)
    return hmac.compare_digest(sig, "v1=" + mac.hexdigest())


class Mailbox:
    """An SMTP sink on 127.0.0.1 (aiosmtpd); messages: email.message objects."""

    def __init__(self):
        from aiosmtpd.controller import Controller

        box = self
        self.messages = []
        self.envelopes = []
        self.lock = threading.Condition()

        class Handler:
            async def handle_DATA(self, server, session, envelope):
                with box.lock:
                    box.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
                    box.messages.append(email.message_from_bytes(
                        envelope.content, policy=email.policy.default))
                    box.lock.notify_all()
                return "250 OK"

        self.port = free_port()
        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)
        self.controller.start()

    @property
    def url(self):
        return f"smtp://127.0.0.1:{self.port}"

    def wait(self, count, timeout=10.0):
        end = time.monotonic() + timeout
        with self.lock:
            while len(self.messages) < count:
                left = end - time.monotonic()
                assert left > 0, f"{len(self.messages)} of {count} messages arrived"
                self.lock.wait(left)
            return list(self.messages[:count])

    def stop(self):
        self.controller.stop()
