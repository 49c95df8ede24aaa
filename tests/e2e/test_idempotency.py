"""Idempotency-Key: a retried write returns the first answer and records
nothing new (storaged/idem.c); the same key on another request is refused
with 422; a malformed key is a 400 naming the header; keys are scoped to an
organization (or a ping key), survive a restart of storaged and are
forgotten after LOOM_IDEMPOTENCY_TTL."""

import time

from loomtest import Http, wait_for

CRON = {"type": "cron", "expression": "0 * * * *"}


def create(api, slug):
    r = api.post("/api/crons/monitors", {"slug": slug, "schedule": CRON})
    assert r.status == 201, r
    return r.json()["monitor"]


def history(api, slug):
    r = api.get(f"/api/crons/monitors/{slug}/checkins?limit=1000")
    assert r.status == 200, r
    return r.json()["checkins"]


def error_of(r, status):
    assert r.status == status, r
    return r.json()["error"]


def key(k):
    return {"Idempotency-Key": k}


def test_a_retried_sdk_checkin_returns_the_first_answer(loom):
    api = loom.http()
    create(api, "backup")
    path = "/api/crons/monitors/backup/checkins"
    first = api.post(path, {"status": "ok", "duration_ms": 10}, headers=key("run-42"))
    again = api.post(path, {"status": "ok", "duration_ms": 10}, headers=key("run-42"))
    assert first.status == again.status == 201, (first, again)
    assert again.json() == first.json()
    assert [c["id"] for c in history(api, "backup")] == [first.json()["id"]]
    # Another key is another check-in; no key records every time.
    assert api.post(path, {"status": "ok"}, headers=key("run-43")).status == 201
    assert api.post(path, {"status": "ok"}).status == 201
    assert api.post(path, {"status": "ok"}).status == 201
    assert len(history(api, "backup")) == 4


def test_the_same_key_on_another_request_is_refused(loom):
    api = loom.http()
    create(api, "backup")
    path = "/api/crons/monitors/backup/checkins"
    assert api.post(path, {"status": "ok"}, headers=key("k")).status == 201
    err = error_of(api.post(path, {"status": "error"}, headers=key("k")), 422)
    assert err["code"] == "idempotency_key_reused" and err["field"] == "Idempotency-Key"
    assert [c["status"] for c in history(api, "backup")] == ["ok"]


def test_pings_and_their_runs_are_idempotent(loom):
    api = loom.http()
    m = create(api, "nightly")
    anon = Http(loom.http_addr)
    ping = f"/ping/{m['ping_key']}"
    for _ in range(3):
        assert anon.request("POST", ping + "/start", b"", headers=key("start-1")).status == 200
    for _ in range(3):
        r = anon.request("POST", ping, b"all done", headers=key("finish-1"))
        assert r.status == 200, r
    got = history(api, "nightly")
    assert [(c["status"], c["output"]) for c in got] == [("ok", "all done")], got
    # The same key on another endpoint of the monitor is another request.
    assert error_of(anon.request("POST", ping + "/fail", b"all done", headers=key("finish-1")),
                    422)["field"] == "Idempotency-Key"


def test_a_retried_monitor_create_is_not_a_conflict(loom):
    api = loom.http()
    body = {"slug": "weekly", "schedule": CRON}
    first = api.post("/api/crons/monitors", body, headers=key("create-weekly"))
    again = api.post("/api/crons/monitors", body, headers=key("create-weekly"))
    assert first.status == again.status == 201 and again.json() == first.json()
    assert error_of(api.post("/api/crons/monitors", body), 409)["code"] == "slug_taken"


def test_keys_belong_to_one_organization(loom):
    api = loom.http()
    r = api.post("/api/crons/organizations", {"name": "Other Co"})
    assert r.status == 201, r
    other = Http(loom.http_addr, r.json()["token"]["token"])
    for who in (api, other):
        create(who, "backup")
        r = who.post("/api/crons/monitors/backup/checkins", {"status": "ok"}, headers=key("same"))
        assert r.status == 201, r
        assert len(history(who, "backup")) == 1


def test_a_malformed_key_is_refused_and_records_nothing(loom):
    api = loom.http()
    m = create(api, "backup")
    anon = Http(loom.http_addr)
    for bad in ("", "x" * 65, "has space", "tab\there", "caf\u00e9"):
        hdrs = {"Idempotency-Key": bad.encode("utf-8").decode("latin-1")}
        err = error_of(api.post("/api/crons/monitors/backup/checkins", {"status": "ok"},
                                headers=hdrs), 400)
        assert err["field"] == "Idempotency-Key", (bad, err)
        assert error_of(anon.get(f"/ping/{m['ping_key']}", headers=hdrs), 400)[
            "field"] == "Idempotency-Key"
    assert history(api, "backup") == []
    assert api.post("/api/crons/monitors/backup/checkins", {"status": "ok"},
                    headers=key("x" * 64)).status == 201


def test_keys_survive_a_restart_of_storaged(loom):
    api = loom.http()
    create(api, "backup")
    path = "/api/crons/monitors/backup/checkins"
    first = api.post(path, {"status": "ok"}, headers=key("before-restart"))
    loom.daemons["storaged"].stop()
    loom.restart("storaged")
    again = wait_for("storaged back", lambda: (r := api.post(
        path, {"status": "ok"}, headers=key("before-restart"))).status != 503 and r)
    assert again.status == 201 and again.json() == first.json()
    assert len(history(api, "backup")) == 1


def test_keys_are_forgotten_after_the_ttl(request):
    from loomtest import Loom
    loom = Loom(testhooks=True, env={"LOOM_IDEMPOTENCY_TTL": "1h",
                                     "LOOM_RETENTION_PERIOD": "100ms"})
    try:
        loom.start()
        api = loom.http()
        create(api, "backup")
        path = "/api/crons/monitors/backup/checkins"
        assert api.post(path, {"status": "ok"}, headers=key("old")).status == 201
        loom.advance(3600 + 5)
        time.sleep(1.5)        # retention steps every 100 ms
        assert api.post(path, {"status": "ok"}, headers=key("old")).status == 201
        # (schedd adds the hour's missed runs: only the check-ins sent count)
        assert [c["status"] for c in history(api, "backup")
                if c["source"] == "sdk"] == ["ok", "ok"]
    except Exception:
        print(loom.logs())
        raise
    finally:
        codes = loom.stop()
        loom.cleanup()
    assert all(c == 0 for c in codes.values()), codes


def test_the_readme_retry_example_records_once(loom, tmp_path):
    """README's "Limits and overload" example, run as written."""
    import os
    import re
    import subprocess
    root = os.path.join(os.path.dirname(__file__), "..", "..")
    with open(os.path.join(root, "README.md")) as f:
        text = f.read()
    section = text[text.index("\n## Limits and overload\n"):]
    section = section[:section.index("\n## ", 1)]
    (block,) = re.findall(r"```sh\n(.*?)```", section, re.S)
    api = loom.http()
    create(api, "invoices")
    env = dict(os.environ, B=loom.base_url, A=f"Authorization: Bearer {loom.admin_token}",
               J="Content-Type: application/json")
    out = subprocess.run(["bash", "-e", "-o", "pipefail", "-c",
                          block.replace("curl -s ", "curl -s --fail-with-body ")],
                         cwd=tmp_path, env=env, capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out
    import json
    first, end = json.JSONDecoder().raw_decode(out.stdout)
    again, _ = json.JSONDecoder().raw_decode(out.stdout[end:].lstrip())
    assert first == again and first["id"].startswith("chk_"), out.stdout
    assert len(history(api, "invoices")) == 1
