"""Alert delivery (issue 18, docs/alerts.md): real daemons deliver to local
receivers (alertsink.py), at least once and in log order per channel, and
resume after a receiver or streamd went away."""

import contextlib
import json
import time

import pytest

from alertsink import Hook, Mailbox, verify
from loomtest import Http, Loom, wait_for

INTERVAL = {"type": "interval", "value": 1, "unit": "minute"}


@contextlib.contextmanager
def system(testhooks=False, **env):
    loom = Loom(testhooks=testhooks, env={"LOOM_WEBHOOK_ALLOW_PRIVATE": "1", **env})
    try:
        loom.start()
        yield loom
    except Exception:
        print(loom.logs())
        raise
    finally:
        codes = loom.stop()
        loom.cleanup()
    assert all(c == 0 for c in codes.values()), codes


def channel(api, **body):
    r = api.post("/api/crons/channels", body)
    assert r.status == 201, r
    return r.json()


def monitor(api, slug, **extra):
    r = api.post("/api/crons/monitors", {"slug": slug, "schedule": INTERVAL,
                                         "checkin_margin_minutes": 1, **extra})
    assert r.status == 201, r
    return r.json()["monitor"]


def ping(loom, m, suffix="", body=b""):
    r = Http(loom.http_addr, None).request("POST", f"/ping/{m['ping_key']}{suffix}", body=body)
    assert r.status == 200, r


def deliveries(api, ch):
    r = api.get(f"/api/crons/channels/{ch['id']}/deliveries")
    assert r.status == 200, r
    return r.json()["deliveries"]


def test_a_webhook_gets_error_missed_and_healthy_signed_in_order():
    hook = Hook()
    with system(testhooks=True) as loom:
        api = loom.http()
        ch = channel(api, kind="webhook", url=hook.url, headers={"X-Team": "ops-7f3a"})
        m = monitor(api, "backup", timezone="Europe/Berlin", name="Nightly backup",
                    schedule={"type": "interval", "value": 1, "unit": "hour"})
        ping(loom, m, "/fail", b"step 3: disk full")
        loom.advance(62 * 60)                     # the next run is missed
        [err, missed] = hook.events(2, timeout=20)
        ping(loom, m)                             # and it recovers
        reqs = hook.wait(3)
        healthy = json.loads(reqs[2]["body"])
        time.sleep(0.5)
        logs = loom.logs()
    assert ch["secret"] not in logs and "ops-7f3a" not in logs   # no secret is logged
    assert [e["type"] for e in (err, missed, healthy)] == \
        ["checkin.error", "monitor.missed", "monitor.healthy"]
    assert err["schema"] == "loom.alert.v1"
    assert err["event_id"] < missed["event_id"] < healthy["event_id"]
    assert err["monitor"]["slug"] == "backup" and err["monitor"]["name"] == "Nightly backup"
    assert err["monitor"]["timezone"] == "Europe/Berlin"
    assert "disk full" in err["checkin"]["output"]
    assert "Nightly backup" in err["summary"]
    assert (missed["old_health"], missed["new_health"]) == ("failing", "missed")
    assert healthy["new_health"] == "healthy"
    for r in reqs:
        h = r["headers"]
        assert h["Content-Type"].startswith("application/json") and h["X-Team"] == "ops-7f3a"
        assert int(h["Loom-Event-Id"]) == json.loads(r["body"])["event_id"]
        assert verify(ch["secret"], r), "the signature does not verify"
        assert not verify("whsec_wrong", r)


def test_a_receiver_that_was_down_gets_everything_in_order_once_deduped():
    hook = Hook()
    with system() as loom:
        api = loom.http()
        ch = channel(api, kind="webhook", url=hook.url)
        m = monitor(api, "job")
        hook.stop()                               # the receiver goes away
        for i in range(5):
            ping(loom, m, "/fail", f"run {i}".encode())
        wait_for("a failed attempt in the delivery log",
                 lambda: any(d["attempts"] >= 1 and d["status"] == "retrying"
                             for d in deliveries(api, ch)), timeout=15)
        d = deliveries(api, ch)[0]
        assert d["last_error"] and d["next_retry_at"] and d["http_status"] is None
        hook.start()                              # and comes back
        wait_for("all five delivered",
                 lambda: len({r["headers"]["Loom-Event-Id"] for r in hook.requests}) >= 5,
                 timeout=30)
        logged = deliveries(api, ch)
    ids = []
    for r in hook.requests:                       # dedupe on Loom-Event-Id
        if r["headers"]["Loom-Event-Id"] not in ids:
            ids.append(r["headers"]["Loom-Event-Id"])
    outputs = [json.loads(r["body"])["checkin"]["output"] for r in hook.requests]
    assert len(ids) == 5 and ids == sorted(ids, key=int)
    assert [o for i, o in enumerate(outputs) if o not in outputs[:i]] == \
        [f"run {i}" for i in range(5)]
    assert [d["status"] for d in logged] == ["delivered"] * 5
    assert all(d["http_status"] == 200 for d in logged)
    assert logged[-1]["attempts"] >= 2            # the first one was retried


def test_a_streamd_killed_mid_delivery_loses_nothing():
    slow = {"on": True}

    def status(n):
        if slow["on"]:
            time.sleep(0.5)
        return 200

    hook = Hook(status=status)
    with system() as loom:
        api = loom.http()
        channel(api, kind="webhook", url=hook.url)
        m = monitor(api, "job")
        for i in range(6):
            ping(loom, m, "/fail", f"run {i}".encode())
        hook.wait(2, timeout=15)                  # delivering
        loom.kill("streamd")
        slow["on"] = False
        loom.restart("streamd")
        wait_for("all six delivered",
                 lambda: len({r["headers"]["Loom-Event-Id"] for r in hook.requests}) >= 6,
                 timeout=30)
    ids = [int(r["headers"]["Loom-Event-Id"]) for r in hook.requests]
    assert sorted(set(ids)) == sorted(set(ids))[:6] and len(set(ids)) == 6
    firsts = [i for n, i in enumerate(ids) if i not in ids[:n]]
    assert firsts == sorted(firsts)               # in log order, repeats aside


def test_email_reaches_an_smtp_sink_with_subject_and_body():
    box = Mailbox()
    try:
        with system(LOOM_SMTP_URL=box.url, LOOM_SMTP_FROM="loom@example.com") as loom:
            api = loom.http()
            channel(api, kind="email", recipients=["ops@example.com", "dev@example.org"])
            m = monitor(api, "invoices", name="Invoice export", timezone="Asia/Tokyo")
            ping(loom, m, "/fail", b"exported 0 rows\nERROR: timeout talking to db")
            [msg] = box.wait(1, timeout=20)
    finally:
        box.stop()
    assert box.envelopes[0] == ("loom@example.com", ["ops@example.com", "dev@example.org"])
    assert "Invoice export" in msg["Subject"]
    assert msg["From"] and "loom@example.com" in msg["From"]
    body = msg.get_body(preferencelist=("plain",)).get_content()
    assert "ERROR: timeout talking to db" in body
    assert "Asia/Tokyo" in body
    assert loom.base_url in body                  # a link to the monitor


@pytest.mark.parametrize("kind", ["slack", "discord", "ntfy"])
def test_chat_payloads_have_their_documented_shapes(kind):
    hook = Hook()
    with system() as loom:
        api = loom.http()
        channel(api, kind=kind, url=hook.url)
        m = monitor(api, "etl", name="ETL")
        ping(loom, m, "/fail")
        [r] = hook.wait(1, timeout=20)
    if kind == "slack":
        p = json.loads(r["body"])
        assert isinstance(p["text"], str) and "ETL" in p["text"]
        assert isinstance(p["blocks"], list) and p["blocks"][0]["type"] in ("section", "header")
    elif kind == "discord":
        p = json.loads(r["body"])
        assert "ETL" in p["content"]
        [embed] = p["embeds"]
        assert embed["title"] and embed["description"] and isinstance(embed["color"], int)
    else:
        assert b"ETL" in r["body"]
        assert r["headers"]["Title"] and r["headers"]["Tags"]
        assert 1 <= int(r["headers"]["Priority"]) <= 5


def test_filters_mute_and_the_test_message():
    hook = Hook()
    with system() as loom:
        api = loom.http()
        ch = channel(api, kind="webhook", url=hook.url, monitors=["b", "c"],
                     events=["checkin.error"])
        a, b, c = (monitor(api, s) for s in "abc")
        assert api.post("/api/crons/monitors/c/mute", {"minutes": 60}).status == 200
        ping(loom, a, "/fail")                    # not in the channel's monitors
        ping(loom, c, "/fail")                    # muted
        ping(loom, b)                             # ok: not an event it takes
        ping(loom, b, "/fail")
        [only] = hook.events(1, timeout=20)
        r = api.post(f"/api/crons/channels/{ch['id']}/test")
        assert r.status == 202
        test = hook.events(2, timeout=20)[1]
        time.sleep(0.5)
        log = deliveries(api, ch)
    assert (only["type"], only["monitor"]["slug"]) == ("checkin.error", "b")
    assert test["type"] == "channel.test"
    assert len(hook.requests) == 2
    assert [d["status"] for d in log] == ["delivered", "delivered"]


def test_a_channel_failing_for_the_retry_period_gives_up_and_turns_failing():
    hook = Hook(status=500)
    with system(LOOM_ALERT_RETRY_FOR="3s") as loom:
        api = loom.http()
        ch = channel(api, kind="webhook", url=hook.url)
        m = monitor(api, "job")
        stream = loom.sse(path="/api/crons/stream?events=channel.failing")
        ping(loom, m, "/fail")
        ev = stream.next_event(timeout=20)
        assert ev["event"] == "channel.failing"
        assert json.loads(ev["data"])["channel_id"] == ch["id"]
        wait_for("failing", lambda: api.get(f"/api/crons/channels/{ch['id']}")
                 .json()["state"] == "failing", timeout=5)
        [d] = deliveries(api, ch)
        assert (d["status"], d["http_status"]) == ("gave_up", 500) and d["attempts"] >= 2
        hook.status = 200                         # it works again
        ping(loom, m, "/fail")
        wait_for("ok again", lambda: api.get(f"/api/crons/channels/{ch['id']}")
                 .json()["state"] == "ok", timeout=20)
        stream.close()


def test_private_targets_are_refused():
    hook = Hook()
    with system(LOOM_WEBHOOK_ALLOW_PRIVATE="0") as loom:
        api = loom.http()
        for url in ("http://127.0.0.1:9/x", "http://10.1.2.3/x", "http://[::1]/x",
                    "http://169.254.169.254/latest/meta-data", "http://localhost/x"):
            r = api.post("/api/crons/channels", {"kind": "webhook", "url": url})
            assert r.status == 400 and r.json()["error"]["field"] == "url", (url, r)
        # 127.1 is no address inet_pton reads, but the resolver makes it loopback:
        # refused when the delivery connects.
        ch = channel(api, kind="webhook", url=f"http://127.1:{hook.port}/hook")
        m = monitor(api, "job")
        ping(loom, m, "/fail")
        wait_for("a refused attempt", lambda: any(
            "not allowed" in (d["last_error"] or "") for d in deliveries(api, ch)), timeout=15)
    assert hook.requests == []


def readme_block(language):
    """The ```language block of README.md's "Alert channels" section."""
    import os
    import re
    with open(os.path.join(os.path.dirname(__file__), "..", "..", "README.md")) as f:
        text = f.read()
    section = text[text.index("\n### Alert channels\n"):]
    section = section[:section.index("\n## ", 1)]
    [block] = re.findall(rf"```{language}\n(.*?)```", section, re.S)
    return block


def test_the_readmes_signature_checks_verify_a_real_delivery():
    import shutil
    import subprocess
    hook = Hook()
    with system() as loom:
        api = loom.http()
        ch = channel(api, kind="webhook", url=hook.url)
        assert api.post(f"/api/crons/channels/{ch['id']}/test").status == 202
        [r] = hook.wait(1, timeout=20)
    scope = {}
    exec(readme_block("python"), scope)
    assert scope["verify"](ch["secret"], r["headers"], r["body"]) is True
    assert scope["verify"](ch["secret"], r["headers"], r["body"] + b" ") is False
    assert scope["verify"]("whsec_other", r["headers"], r["body"]) is False
    if shutil.which("node") is None:
        pytest.skip("node is not installed (scripts/deps installs it)")
    headers = {k.lower(): v for k, v in r["headers"].items()}
    js = readme_block("js") + """
const [secret, headers, body] = JSON.parse(require("node:fs").readFileSync(0, "utf8"));
const raw = Buffer.from(body, "base64");
console.log(JSON.stringify([verify(secret, headers, raw),
    verify(secret, headers, Buffer.concat([raw, Buffer.from(" ")])),
    verify("whsec_other", headers, raw)]));
"""
    import base64
    out = subprocess.run(["node", "-e", js], capture_output=True, text=True, timeout=30,
                         input=json.dumps([ch["secret"], headers,
                                           base64.b64encode(r["body"]).decode()]))
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout) == [True, False, False]


def test_reminders_go_where_the_failure_went():
    hook = Hook()
    with system(testhooks=True) as loom:
        api = loom.http()
        channel(api, kind="webhook", url=hook.url, events=["checkin.error"])
        m = monitor(api, "nag", schedule={"type": "interval", "value": 1, "unit": "day"})
        assert api.patch("/api/crons/monitors/nag", {"renotify_minutes": 30}).status == 200
        ping(loom, m, "/fail")
        [err] = hook.events(1, timeout=20)
        loom.advance(31 * 60)
        reminder = hook.events(2, timeout=20)[1]
    assert err["type"] == "checkin.error"
    assert (reminder["type"], reminder["reminder"]) == ("monitor.reminder", True)
    assert reminder["monitor"]["slug"] == "nag" and reminder["new_health"] == "failing"
