"""storaged over ZeroMQ, black-box: the wire protocol of common/proto.h."""

import msgpack
import pytest

pytestmark = pytest.mark.daemons("storaged")


def org_of(loom, wire):
    return wire.ok("token.verify", token=loom.admin_token)["org"]


def test_ping_answers_with_the_committed_sequence(loom):
    w = loom.wire()
    reply = w.ok("ping")
    assert reply["daemon"] == "storaged"
    assert reply["seq"] == 0


def test_malformed_messages_get_errors_and_storaged_keeps_serving(loom):
    w = loom.wire()
    bad = [
        [b"ping", b"\xdd\xff\xff\xff\xff"],            # array claiming 4G elements
        [b"ping", b"\xc1"],                             # reserved byte
        [b"ping", msgpack.packb([1, 2, 3])],            # not a map
        [b"ping", msgpack.packb({"v": 1, "rid": 1}) + b"x"],  # trailing byte
        [b"ping"],                                      # one frame
        [b"checkin.record", msgpack.packb({"v": 1, "rid": 9, "kind": "ok"})],
        [b"checkin.record", msgpack.packb({"v": 2, "rid": 9, "key": "x", "kind": "ok",
                                           "source": "ping"})],
        [b"no.such.message", msgpack.packb({"v": 1, "rid": 9})],
        [b"monitor.get", msgpack.packb({"v": 1, "rid": 9, "org": "org_x", "slug": "a"})],
    ]
    for frames in bad:
        w.send_raw(*frames)
        name, body = w.recv()
        assert name == "err", frames
        assert body["code"] == "bad_request", body
        assert body["message"]
    assert w.ok("ping")["seq"] == 0   # nothing was recorded


def test_a_checkin_is_acknowledged_after_commit_and_published_in_sequence(loom):
    from loomtest import Subscriber
    w = loom.wire()
    sub = Subscriber(loom.pub_endpoint)
    org = org_of(loom, w)
    mon = w.ok("monitor.create", org=org, monitor={
        "slug": "nightly", "schedule": {"type": "cron", "expression": "0 3 * * *"}})["monitor"]
    started = w.ok("checkin.record", key=mon["ping_key"], kind="start", source="ping")
    done = w.ok("checkin.record", key=mon["ping_key"], kind="ok", source="ping", output=b"done")
    assert started["checkin_id"] == done["checkin_id"]   # the finish completed the open run
    assert done["status"] == "ok" and done["recorded"] is True

    seen = []
    while len(seen) < 3:
        name, ev = sub.next()
        seen.append((ev["seq"], name))
    assert [s for s, _ in seen] == [1, 2, 3]
    assert [n for _, n in seen] == ["monitor.created", "checkin.started", "checkin.ok"]

    listed = w.ok("checkin.list", org=org, slug="nightly", limit=10)["checkins"]
    assert len(listed) == 1 and listed[0]["output"] == b"done"
    assert listed[0]["finished_at"] >= listed[0]["started_at"]
    replay = w.ok("events.after", after=1, limit=10)
    assert [e["seq"] for e in replay["events"]] == [2, 3]
    assert replay["head"] == 3 and replay["first"] == 1


def test_unknown_ping_key_is_not_found(loom):
    w = loom.wire()
    name, body = w.call("checkin.record", key="0b7c1a64-3c9e-4d4e-9a57-5f1d2c3b4a59",
                        kind="ok", source="ping")
    assert name == "err" and body["code"] == "not_found" and body["field"] == "key"
