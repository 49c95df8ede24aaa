"""Clients that cut a long output themselves (keeping its end) flag it.

loom-run keeps the last 10 KiB of a job's output; the server keeps what it is
sent and must still show that the output was cut: the ping header
`Loom-Output-Truncated: 1` and the SDK member `"output_truncated": true`.
"""

import pytest

from loomtest import Http


@pytest.fixture
def api(loom):
    return loom.http()


def create(api, slug):
    r = api.post("/api/crons/monitors", {"slug": slug,
                                         "schedule": {"type": "cron", "expression": "0 * * * *"}})
    assert r.status == 201, r
    return r.json()["monitor"]


def latest(api, slug):
    r = api.get(f"/api/crons/monitors/{slug}/checkins?limit=1")
    assert r.status == 200, r
    return r.json()["checkins"][0]


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
