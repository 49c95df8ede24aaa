"""Issue 17, item 2: header timeouts.  A connection whose first request's
head never ends is closed LOOM_HTTP_HEADER_TIMEOUT after it was accepted,
over HTTP/1 and over HTTP/2 (whose HEADERS without END_HEADERS leave h2o
waiting for a CONTINUATION), long before the idle timeout."""

import socket
import time

import pytest

from test_abuse_reset import END_HEADERS, END_STREAM, HEADERS, PREFACE, SETTINGS, frame, get_headers

pytestmark = pytest.mark.env(LOOM_HTTP_HEADER_TIMEOUT="1s", LOOM_HTTP_IDLE_TIMEOUT="30s")


def closed_after(loom, first_bytes):
    """Seconds until ingestd closes a connection that sent first_bytes and then nothing."""
    host, port = loom.http_addr.rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=15) as s:
        s.sendall(first_bytes)
        t0 = time.monotonic()
        while True:
            try:
                if s.recv(65536) == b"":
                    break
            except ConnectionResetError:
                break
        return time.monotonic() - t0


HEADS = {
    "http1": b"GET /ping/x HTTP/1.1\r\nHost: x\r\nX-Slow: ",
    # HEADERS without END_HEADERS: a CONTINUATION must follow, and never does.
    "http2": PREFACE + frame(SETTINGS, 0, 0) + frame(HEADERS, END_STREAM, 1,
                                                      get_headers("/ping/x")),
    "nothing": b"",
}


@pytest.mark.parametrize("kind", HEADS)
def test_a_head_that_never_ends_is_closed_after_the_header_timeout(loom, kind):
    waited = closed_after(loom, HEADS[kind])
    assert 0.5 <= waited <= 4, waited


def test_an_http2_connection_between_requests_waits_for_the_idle_timeout(loom):
    """(Between HTTP/1 requests h2o itself waits LOOM_HTTP_HEADER_TIMEOUT.)"""
    host, port = loom.http_addr.rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=10) as s:
        s.sendall(PREFACE + frame(SETTINGS, 0, 0) +
                  frame(HEADERS, END_STREAM | END_HEADERS, 1, get_headers("/healthz")))
        got, end = b"", time.monotonic() + 3
        s.settimeout(0.2)
        while time.monotonic() < end:   # idle, not fresh: kept past 1 s
            try:
                chunk = s.recv(65536)
            except TimeoutError:
                continue
            assert chunk, f"closed after {3 - (end - time.monotonic()):.1f} s"
            got += chunk
        assert (HEADERS, 1) in frames(got), got      # it answered the request


def frames(buf):
    """(type, stream id) of each whole frame in buf."""
    out = []
    while len(buf) >= 9:
        n = int.from_bytes(buf[:3], "big")
        out.append((buf[3], int.from_bytes(buf[5:9], "big") & 0x7FFFFFFF))
        buf = buf[9 + n:]
    return out
