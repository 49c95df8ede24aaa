"""Check-in output: the parts of one run.

A run's output is everything sent for it, in arrival order (start body, /log
bodies, the finishing body or SDK output), newline-joined, and the first
10 KiB of it is kept.
"""

import uuid

import pytest

from loomtest import Http

KIB10 = 10240


def create(api, slug):
    r = api.post("/api/crons/monitors", {"slug": slug,
                                         "schedule": {"type": "cron", "expression": "0 * * * *"}})
    assert r.status == 201, r
    return r.json()["monitor"]


def checkins(api, slug):
    r = api.get(f"/api/crons/monitors/{slug}/checkins")
    assert r.status == 200, r
    return r.json()["checkins"]


def latest(api, slug):
    return checkins(api, slug)[0]


@pytest.fixture
def api(loom):
    return loom.http()


@pytest.fixture
def anon(loom):
    return Http(loom.http_addr, timeout=60.0)


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
