"""GET /api/crons/schedule/preview (issue 19): the next times of a cron
expression in a zone, by the engine that tracks monitors."""

import subprocess
import urllib.parse

import pytest

from loomtest import Http, binary


def preview(api, **params):
    return api.get("/api/crons/schedule/preview?" + urllib.parse.urlencode(params))


def test_times_across_a_dst_jump_in_utc_and_in_the_zone(loom):
    r = preview(loom.http(), expression="0 2 * * *", timezone="Europe/Berlin", count=3,
                after="2026-03-28T00:00:00Z")
    assert r.status == 200, r
    got = r.json()
    assert got["timezone"] == "Europe/Berlin" and got["expression"] == "0 2 * * *"
    # 02:00 does not exist on the 29th: a fixed-time job runs once, at the jump.
    assert got["times"] == ["2026-03-28T01:00:00Z", "2026-03-29T01:00:00Z",
                            "2026-03-30T00:00:00Z"]
    assert got["local"] == ["2026-03-28T02:00:00+01:00", "2026-03-29T03:00:00+02:00",
                            "2026-03-30T02:00:00+02:00"]


def test_the_first_time_is_the_monitors_next_expected_run(loom):
    api = loom.http()
    r = api.post("/api/crons/monitors", {"slug": "p", "timezone": "Asia/Kolkata",
                                         "schedule": {"type": "cron", "expression": "30 */6 * * *"}})
    key = r.json()["monitor"]["ping_key"]
    assert Http(loom.http_addr, None).get(f"/ping/{key}").status == 200
    nxt = api.get("/api/crons/monitors/p").json()["monitor"]["next_expected_at"]
    got = preview(api, expression="30 */6 * * *", timezone="Asia/Kolkata").json()
    assert got["times"][0] == nxt.replace(".000000", "")
    assert len(got["times"]) == 5 and got["local"][0].endswith("+05:30")


@pytest.mark.parametrize("params,field", [
    ({}, "expression"),
    ({"expression": "61 * * * *"}, "expression"),
    ({"expression": "0 2 * * *", "timezone": "Mars/Olympus"}, "timezone"),
    ({"expression": "0 2 * * *", "count": "0"}, "count"),
    ({"expression": "0 2 * * *", "count": "51"}, "count"),
    ({"expression": "0 2 * * *", "count": "x"}, "count"),
    ({"expression": "0 2 * * *", "after": "yesterday"}, "after"),
])
def test_bad_parameters_are_400_naming_the_field(loom, params, field):
    r = preview(loom.http(), **params)
    assert r.status == 400, r
    assert r.json()["error"]["field"] == field


def test_it_needs_a_token(loom):
    assert preview(loom.http(token=None), expression="0 2 * * *").status == 401


def test_loomctl_shows_the_times(loom):
    import os
    env = {"PATH": "/usr/bin:/bin", "LOOM_URL": loom.base_url,
           "LOOM_TOKEN_FILE": os.path.join(loom.data_dir, "admin-token")}
    loom.admin_token
    r = subprocess.run([binary("loomctl"), "schedule", "0 2 * * *", "--tz", "Europe/Berlin",
                        "--count", "2"], env=env, capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.strip().split("\n")
    assert lines[0].split() == ["UTC", "Europe/Berlin"] and len(lines) == 3
    api = preview(loom.http(), expression="0 2 * * *", timezone="Europe/Berlin", count=2).json()
    assert [line.split() for line in lines[1:]] == [list(p) for p in zip(api["times"],
                                                                         api["local"])]
