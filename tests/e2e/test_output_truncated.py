"""Check-in output: long bodies, the 10 KiB cut, the parts of one run, and
clients that cut a long output themselves (keeping its end) and flag it.

A ping body of any size up to LOOM_BODY_MAX (16 MiB) is recorded with its
first 10 KiB, cut on a UTF-8 character boundary and flagged
output_truncated; a larger one is a JSON 413 and records nothing.  A run's
output is everything sent for it, in arrival order (start body, /log bodies,
the finishing body or SDK output), newline-joined, and the first 10 KiB of it
is kept.  loom-run keeps the last 10 KiB of a job's output; the server keeps
what it is sent and must still show that the output was cut: the ping header
`Loom-Output-Truncated: 1` and the SDK member `"output_truncated": true`.
"""

import json
import os
import re
import socket
import subprocess
import uuid

import pytest

from loomtest import Http

KIB10 = 10240
MIB = 1 << 20
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.fixture
def api(loom):
    return loom.http()


def create(api, slug):
    r = api.post("/api/crons/monitors", {"slug": slug,
                                         "schedule": {"type": "cron", "expression": "0 * * * *"}})
    assert r.status == 201, r
    return r.json()["monitor"]


def checkins(api, slug, limit=100):
    r = api.get(f"/api/crons/monitors/{slug}/checkins?limit={limit}")
    assert r.status == 200, r
    return r.json()["checkins"]


def latest(api, slug):
    return checkins(api, slug, limit=1)[0]


@pytest.fixture
def anon(loom):
    return Http(loom.http_addr, timeout=60.0)


def test_ping_header_flags_a_body_the_client_cut(loom, api):
    key = create(api, "tail")["ping_key"]
    anon = Http(loom.http_addr)
    for value, flagged in (("1", True), ("true", True), ("0", False), ("no", False)):
        r = anon.post(f"/ping/{key}", body="...the end\n",
                      headers={"Loom-Output-Truncated": value})
        assert r.status == 200, r
        got = latest(api, "tail")
        assert got["output"] == "...the end\n"
        assert got["output_truncated"] is flagged, value
    # Without a body there is no output to flag.
    assert anon.get(f"/ping/{key}", headers={"Loom-Output-Truncated": "1"}).status == 200
    got = latest(api, "tail")
    assert got["output"] is None and got["output_truncated"] is False


def test_sdk_member_flags_output_on_create_and_patch(api):
    create(api, "sdk-tail")
    url = "/api/crons/monitors/sdk-tail/checkins"
    r = api.post(url, {"status": "ok", "output": "end", "output_truncated": True})
    assert r.status == 201, r
    got = latest(api, "sdk-tail")
    assert (got["output"], got["output_truncated"]) == ("end", True)
    cid = api.post(url, {"status": "in_progress"}).json()["id"]
    r = api.patch(f"/api/crons/checkins/{cid}", {"status": "ok", "output": "tail",
                                                 "output_truncated": True})
    assert r.status == 200, r
    assert (r.json()["output"], r.json()["output_truncated"]) == ("tail", True)
    r = api.post(url, {"status": "ok", "output": "x", "output_truncated": "yes"})
    assert r.status == 400 and r.json()["error"]["field"] == "output_truncated"


# --- long bodies ---

@pytest.mark.parametrize("size", [2 * MIB, 16 * MIB], ids=["2MiB", "16MiB"])
def test_a_long_body_is_recorded_with_its_first_10_kib(api, anon, size):
    key = create(api, "long")["ping_key"]
    head = b"".join(b"line %06d\n" % i for i in range(KIB10 // 12 + 1))[:KIB10]
    body = head + b"z" * (size - KIB10)
    r = anon.post(f"/ping/{key}", body=body)
    assert (r.status, r.text) == (200, "OK\n"), r
    got = latest(api, "long")
    assert got["status"] == "ok"
    assert got["output"] == head.decode() and got["output_truncated"] is True


@pytest.mark.parametrize("char", ["é", "€", "😀"], ids=["2-byte", "3-byte", "4-byte"])
def test_a_character_across_the_cut_is_dropped_whole(api, anon, char):
    key = create(api, "utf8")["ping_key"]
    n = len(char.encode())
    for before in range(KIB10 - n + 1, KIB10):          # the character straddles byte 10240
        r = anon.post(f"/ping/{key}", body=("a" * before + char + "tail").encode())
        assert r.status == 200, r
        got = latest(api, "utf8")
        assert got["output"] == "a" * before, (char, before)
        assert got["output_truncated"] is True
    # Ending exactly at the cut, the character is kept and nothing is flagged.
    r = anon.post(f"/ping/{key}", body=("a" * (KIB10 - n) + char).encode())
    got = latest(api, "utf8")
    assert got["output"] == "a" * (KIB10 - n) + char and got["output_truncated"] is False


def raw_post(addr, path, headers, body=b""):
    """POSTs over a raw socket (for what http.client cannot send); (status, headers, body)."""
    host, port = addr.rsplit(":", 1)
    head = f"POST {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n" + \
        "".join(f"{h}\r\n" for h in headers)
    with socket.create_connection((host, int(port)), timeout=30) as s:
        s.sendall(head.encode() + b"\r\n" + body)
        out = b""
        while chunk := s.recv(65536):
            out += chunk
    head, _, body = out.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    headers = dict(line.decode().lower().split(": ", 1) for line in head.split(b"\r\n")[1:])
    return status, headers, body


def chunked(body, size=MIB):
    return b"".join(b"%x\r\n%s\r\n" % (len(body[i:i + size]), body[i:i + size])
                    for i in range(0, len(body), size)) + b"0\r\n\r\n"


def test_a_chunked_body_of_16_mib_is_accepted(loom, api):
    key = create(api, "chunks")["ping_key"]
    status, _, body = raw_post(loom.http_addr, f"/ping/{key}", ["Transfer-Encoding: chunked"],
                               chunked(b"c" * (16 * MIB)))
    assert (status, body) == (200, b"OK\n")
    got = latest(api, "chunks")
    assert got["output"] == "c" * KIB10 and got["output_truncated"] is True


@pytest.mark.parametrize("announced,sent", [(32 * MIB, 0), (16 * MIB + 1, 16 * MIB + 1)],
                         ids=["announced", "sent"])
def test_a_body_over_16_mib_is_a_json_413_and_records_nothing(loom, api, announced, sent):
    key = create(api, "huge")["ping_key"]
    status, headers, body = raw_post(loom.http_addr, f"/ping/{key}",
                                     [f"Content-Length: {announced}"], b"x" * sent)
    assert status == 413
    assert headers["content-type"] == "application/json"
    err = json.loads(body)["error"]
    assert (err["code"], err["field"]) == ("body_too_large", "body")
    assert err["message"] == "a request body may have at most 16777216 bytes"
    assert checkins(api, "huge") == []


def test_a_json_body_over_64_kib_is_the_same_413(api):
    r = api.post("/api/crons/monitors", {"slug": "big", "name": "n" * 70000})
    assert r.status == 413, r
    err = r.json()["error"]
    assert (err["code"], err["field"]) == ("body_too_large", "body")
    assert err["message"] == "a JSON body may have at most 65536 bytes"


def test_a_long_sdk_output_is_cut_on_a_character_boundary(api):
    create(api, "sdk-long")
    url = "/api/crons/monitors/sdk-long/checkins"
    r = api.post(url, {"status": "ok", "output": "a" * (KIB10 - 1) + "é" + "b" * 100})
    assert r.status == 201, r
    got = latest(api, "sdk-long")
    assert got["output"] == "a" * (KIB10 - 1) and got["output_truncated"] is True
    cid = api.post(url, {"status": "in_progress"}).json()["id"]
    r = api.patch(f"/api/crons/checkins/{cid}", {"status": "ok",
                                                 "output": "€" * 4000})   # 12000 bytes
    assert r.status == 200, r
    assert r.json()["output"] == "€" * (KIB10 // 3) and r.json()["output_truncated"] is True


# --- the parts of one run ---

def test_log_then_finish_with_a_body_keeps_both(api, anon):
    key = create(api, "parts")["ping_key"]
    rid = str(uuid.uuid4())
    assert anon.post(f"/ping/{key}/start?rid={rid}", body="starting").status == 200
    assert anon.post(f"/ping/{key}/log?rid={rid}", body="step 1\n").status == 200
    assert anon.post(f"/ping/{key}/log?rid={rid}", body="step 2").status == 200
    assert anon.post(f"/ping/{key}?rid={rid}", body="done\n").status == 200
    got = checkins(api, "parts")
    assert len(got) == 1 and got[0]["status"] == "ok"
    assert got[0]["output"] == "starting\nstep 1\nstep 2\ndone\n"
    assert got[0]["output_truncated"] is False


def test_log_beyond_10_kib_then_finish_keeps_the_first_10_kib(api, anon):
    key = create(api, "overflow")["ping_key"]
    assert anon.get(f"/ping/{key}/start").status == 200
    first = "".join(f"{i:05d}\n" for i in range(1500))           # 9000 bytes
    assert anon.post(f"/ping/{key}/log", body=first).status == 200
    assert anon.post(f"/ping/{key}/log", body="x" * 3000).status == 200
    got = latest(api, "overflow")
    assert got["output"] == first + "x" * (KIB10 - 9000) and got["output_truncated"] is True
    assert anon.post(f"/ping/{key}/fail", body="the error at the end").status == 200
    got = checkins(api, "overflow")
    assert len(got) == 1 and got[0]["status"] == "error"
    assert got[0]["output"] == first + "x" * (KIB10 - 9000) and got[0]["output_truncated"]


def test_an_sdk_finish_keeps_the_output_logged_for_its_run(api, anon):
    key = create(api, "sdk-parts")["ping_key"]
    url = "/api/crons/monitors/sdk-parts/checkins"
    # PATCH finishing an SDK run that a /log ping added output to
    cid = api.post(url, {"status": "in_progress", "output": "begin"}).json()["id"]
    assert anon.post(f"/ping/{key}/log", body="step 1\n").status == 200
    r = api.patch(f"/api/crons/checkins/{cid}", {"status": "ok", "output": "done"})
    assert r.status == 200, r
    assert r.json()["output"] == "begin\nstep 1\ndone"
    # POST finishing the open run
    api.post(url, {"status": "in_progress"})
    assert anon.post(f"/ping/{key}/log", body="step A").status == 200
    assert api.post(url, {"status": "error", "output": "failed"}).status == 201
    got = latest(api, "sdk-parts")
    assert got["status"] == "error" and got["output"] == "step A\nfailed"


# --- README's examples ---

def readme_example(first):
    """README.md's ```sh block that begins with the line first: (commands, its last comment)."""
    with open(os.path.join(ROOT, "README.md")) as f:
        blocks = re.findall(r"```sh\n(.*?)```", f.read(), re.S)
    block = next(b for b in blocks if b.startswith(first + "\n"))
    return block, block.rstrip("\n").rsplit("\n", 1)[1]


def run_example(loom, key, commands):
    r = subprocess.run(["bash", "-e", "-c", commands], capture_output=True, text=True,
                       timeout=60, env=dict(os.environ, B=loom.base_url, K=key))
    assert r.returncode == 0, r.stderr
    return r.stdout


def test_readme_ping_body_examples(loom, api):
    key = create(api, "readme")["ping_key"]
    commands, comment = readme_example("head -c 20M /dev/zero | curl -sS --data-binary @- "
                                       "$B/ping/$K")
    assert run_example(loom, key, commands) == comment.removeprefix("# 413 ")
    assert checkins(api, "readme") == []
    commands, comment = readme_example('curl -fsS --data-binary "starting" $B/ping/$K/start')
    run_example(loom, key, commands)
    want = json.loads(comment.removeprefix("# the check-in's output: "))
    got = checkins(api, "readme")
    assert len(got) == 1 and (got[0]["status"], got[0]["output"]) == ("ok", want)
