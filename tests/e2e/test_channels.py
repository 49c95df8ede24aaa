"""Alert channels (issue 18, docs/alerts.md): the admin API over real HTTP.
Delivery itself is tests/e2e/test_alerts.py's."""

import pytest

from loomtest import Http

HOOK = {"kind": "webhook", "url": "https://hooks.example.com/loom"}


def error_of(r, status):
    assert r.status == status, r
    err = r.json()["error"]
    assert set(err) == {"code", "message", "field"} and err["message"]
    return err


def create(api, **body):
    r = api.post("/api/crons/channels", body)
    assert r.status == 201, r
    return r.json()


def test_a_channel_is_created_with_defaults_and_its_secret_is_shown_once(api):
    ch = create(api, **HOOK, headers={"X-Team": "ops"})
    assert ch["id"].startswith("chn_") and ch["secret"].startswith("whsec_")
    assert len(ch["secret"]) >= 40
    assert (ch["name"], ch["kind"], ch["url"], ch["enabled"], ch["state"]) == \
        ("webhook", "webhook", HOOK["url"], True, "ok")
    assert ch["events"] == ["checkin.error", "monitor.missed", "monitor.timeout",
                            "monitor.healthy"]
    assert ch["monitors"] == [] and ch["headers"] == {"X-Team": "ops"}
    got = api.get(f"/api/crons/channels/{ch['id']}").json()
    assert "secret" not in got
    assert got == {k: v for k, v in ch.items() if k != "secret"}
    listed = api.get("/api/crons/channels").json()["channels"]
    assert listed == [got]


def test_each_kind_keeps_its_own_fields(api):
    slack = create(api, kind="slack", url="https://hooks.slack.com/services/T/B/x")
    assert "headers" not in slack and "recipients" not in slack
    ntfy = create(api, kind="ntfy", url="https://ntfy.sh/loom", priority=4)
    assert ntfy["priority"] == 4
    mail = create(api, kind="email", recipients=["ops@example.com", "dev@example.org"],
                  events=["monitor.missed"], monitors=["backup"], name="Ops mail")
    assert mail["recipients"] == ["ops@example.com", "dev@example.org"]
    assert "url" not in mail and mail["monitors"] == ["backup"]
    assert mail["events"] == ["monitor.missed"] and mail["name"] == "Ops mail"


@pytest.mark.parametrize("body,field", [
    ({}, "kind"),
    ({"kind": "pager"}, "kind"),
    ({"kind": "webhook"}, "url"),
    ({"kind": "webhook", "url": "ftp://x/y"}, "url"),
    ({"kind": "webhook", "url": "http://"}, "url"),
    ({"kind": "webhook", "url": "http://a b/"}, "url"),
    ({"kind": "slack", "url": "https://x/y", "headers": {"A": "b"}}, "headers"),
    ({**HOOK, "headers": {"Content-Type": "text/plain"}}, "headers"),
    ({**HOOK, "headers": {"Bad Name": "x"}}, "headers"),
    ({**HOOK, "headers": {"X-A": "line\r\nbreak"}}, "headers"),
    ({"kind": "email"}, "recipients"),
    ({"kind": "email", "recipients": ["not-an-address"]}, "recipients"),
    ({"kind": "email", "recipients": []}, "recipients"),
    ({"kind": "email", "recipients": ["a@b.c"], "url": "https://x/"}, "url"),
    ({**HOOK, "priority": 3}, "priority"),
    ({"kind": "ntfy", "url": "https://ntfy.sh/x", "priority": 9}, "priority"),
    ({**HOOK, "events": ["monitor.created"]}, "events"),
    ({**HOOK, "events": []}, "events"),
    ({**HOOK, "monitors": ["Not A Slug"]}, "monitors"),
    ({**HOOK, "enabled": "yes"}, "enabled"),
    ({**HOOK, "colour": "red"}, "colour"),
])
def test_a_bad_channel_is_refused_naming_the_field_and_nothing_is_created(api, body, field):
    assert error_of(api.post("/api/crons/channels", body), 400)["field"] == field
    assert api.get("/api/crons/channels").json()["channels"] == []


def test_update_changes_the_given_fields_and_not_the_kind(api):
    ch = create(api, **HOOK)
    r = api.patch(f"/api/crons/channels/{ch['id']}",
                  {"name": "Pager", "events": ["monitor.missed"], "enabled": False})
    assert r.status == 200, r
    got = r.json()
    assert (got["name"], got["events"], got["enabled"], got["url"]) == \
        ("Pager", ["monitor.missed"], False, HOOK["url"])
    assert error_of(api.patch(f"/api/crons/channels/{ch['id']}", {"kind": "slack"}),
                    400)["field"] == "kind"
    assert error_of(api.patch(f"/api/crons/channels/{ch['id']}", {"recipients": ["a@b.c"]}),
                    400)["field"] == "recipients"
    assert api.get(f"/api/crons/channels/{ch['id']}").json() == got


def test_delete_and_not_found(loom, api):
    ch = create(api, **HOOK)
    assert api.delete(f"/api/crons/channels/{ch['id']}").status == 204
    for method in ("get", "delete"):
        assert error_of(getattr(api, method)(f"/api/crons/channels/{ch['id']}"),
                        404)["field"] == "id"
    assert error_of(api.get("/api/crons/channels/nope"), 404)["field"] == "id"
    # Another organization's channel is not found either.
    other = api.post("/api/crons/organizations", {"name": "Other", "monitor_limit": 5})
    theirs = Http(loom.http_addr, other.json()["token"]["token"])
    mine = create(api, **HOOK)
    assert error_of(theirs.get(f"/api/crons/channels/{mine['id']}"), 404)
    assert theirs.get("/api/crons/channels").json()["channels"] == []


def test_only_admin_tokens_see_channels(loom, api):
    read = Http(loom.http_addr, api.post("/api/crons/tokens",
                                         {"scopes": ["read"]}).json()["token"])
    assert error_of(read.get("/api/crons/channels"), 403)["code"] == "forbidden"
    assert error_of(read.post("/api/crons/channels", HOOK), 403)


@pytest.mark.env(LOOM_CHANNELS_PER_ORG="2")
def test_the_channel_limit_is_403(api):
    create(api, **HOOK)
    create(api, **HOOK)
    err = error_of(api.post("/api/crons/channels", HOOK), 403)
    assert err["code"] == "channel_limit_exceeded"
    assert len(api.get("/api/crons/channels").json()["channels"]) == 2


def test_a_test_message_is_an_event_of_the_log(api):
    ch = create(api, **HOOK)
    r = api.post(f"/api/crons/channels/{ch['id']}/test")
    assert r.status == 202, r
    assert r.json()["event_id"] > 0
    r = api.get(f"/api/crons/channels/{ch['id']}/deliveries?limit=5")
    assert r.status == 200 and "deliveries" in r.json()
    assert error_of(api.get(f"/api/crons/channels/{ch['id']}/deliveries?cursor=x"),
                    400)["field"] == "cursor"


@pytest.fixture
def api(loom):
    return loom.http()
