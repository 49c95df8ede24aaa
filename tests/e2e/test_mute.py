"""Maintenance windows (issue 18): POST/DELETE /api/crons/monitors/{slug}/mute.
A muted monitor is still tracked and streamed; its alerting events say
"muted": true, which channels honour (test_alerts.py)."""

import datetime
import json

import pytest

from loomtest import Http

CRON = {"type": "cron", "expression": "0 * * * *"}


@pytest.fixture
def api(loom):
    return loom.http()


def monitor(api, slug="nightly"):
    r = api.post("/api/crons/monitors", {"slug": slug, "schedule": CRON})
    assert r.status == 201, r
    return r.json()["monitor"]


def error_field(r):
    assert r.status == 400, r
    return r.json()["error"]["field"]


def parse(t):
    return datetime.datetime.fromisoformat(t.replace("Z", "+00:00"))


def test_mute_for_minutes_until_a_time_or_in_a_window_and_unmute(loom, api):
    m = monitor(api)
    assert (m["muted_until"], m["mute_window"], m["renotify_minutes"]) == (None, None, 0)
    r = api.post("/api/crons/monitors/nightly/mute", {"minutes": 90})
    assert r.status == 200, r
    until = parse(r.json()["monitor"]["muted_until"])
    expect = datetime.datetime.fromtimestamp(loom.now_us() / 1e6, datetime.timezone.utc) + \
        datetime.timedelta(minutes=90)
    assert abs((until - expect).total_seconds()) < 30
    r = api.post("/api/crons/monitors/nightly/mute",
                 {"until": "2030-01-01T06:00:00Z", "window": {"cron": "0 2 * * 0", "minutes": 60}})
    got = r.json()["monitor"]
    assert got["muted_until"] == "2030-01-01T06:00:00Z"
    assert got["mute_window"] == {"cron": "0 2 * * 0", "minutes": 60}
    assert api.get("/api/crons/monitors/nightly").json()["monitor"]["mute_window"] == \
        got["mute_window"]
    r = api.delete("/api/crons/monitors/nightly/mute")
    assert r.status == 200
    assert (r.json()["monitor"]["muted_until"], r.json()["monitor"]["mute_window"]) == \
        (None, None)


@pytest.mark.parametrize("body,field", [
    ({}, "until"),
    ({"minutes": 0}, "minutes"),
    ({"minutes": 10, "until": "2030-01-01T00:00:00Z"}, "minutes"),
    ({"until": "tomorrow"}, "until"),
    ({"window": {"cron": "61 * * * *", "minutes": 5}}, "window.cron"),
    ({"window": {"cron": "0 2 * * *"}}, "window.minutes"),
    ({"window": {"cron": "0 2 * * *", "minutes": 20000}}, "window.minutes"),
    ({"for": 3}, "for"),
])
def test_a_bad_mute_is_refused_naming_the_field(api, body, field):
    monitor(api)
    assert error_field(api.post("/api/crons/monitors/nightly/mute", body)) == field
    assert api.get("/api/crons/monitors/nightly").json()["monitor"]["muted_until"] is None


def test_renotify_minutes_is_an_admin_setting(loom, api):
    monitor(api)
    r = api.patch("/api/crons/monitors/nightly", {"renotify_minutes": 60})
    assert r.status == 200 and r.json()["monitor"]["renotify_minutes"] == 60
    assert error_field(api.patch("/api/crons/monitors/nightly",
                                 {"renotify_minutes": 99999})) == "renotify_minutes"
    sdk = Http(loom.http_addr, api.post("/api/crons/tokens",
                                        {"scopes": ["checkins"]}).json()["token"])
    r = sdk.post("/api/crons/monitors/nightly/checkins",
                 {"status": "ok", "monitor_config": {"schedule": CRON, "renotify_minutes": 5}})
    assert r.status == 403 and r.json()["error"]["field"] == "monitor_config.renotify_minutes"


def failure_event(stream):
    while True:
        ev = stream.next_event(timeout=5)
        if ev.get("event") == "checkin.error":
            return json.loads(ev["data"])


def test_a_muted_monitors_alerts_are_streamed_marked_muted(loom, api):
    m = monitor(api)
    stream = loom.sse()
    ping = Http(loom.http_addr, None)
    assert api.post("/api/crons/monitors/nightly/mute",
                    {"window": {"cron": "* * * * *", "minutes": 1}}).status == 200
    assert ping.get(f"/ping/{m['ping_key']}/fail").status == 200
    assert failure_event(stream)["muted"] is True
    assert api.delete("/api/crons/monitors/nightly/mute").status == 200
    assert ping.get(f"/ping/{m['ping_key']}/fail").status == 200
    assert failure_event(stream)["muted"] is False
    assert api.post("/api/crons/monitors/nightly/mute", {"minutes": 5}).status == 200
    assert ping.get(f"/ping/{m['ping_key']}/fail").status == 200
    assert failure_event(stream)["muted"] is True
    stream.close()
