"""GET /metrics: Prometheus' text format, black-box over real HTTP.

Monitors in known states show with the right values; a read token sees its
own organization only, LOOM_METRICS_TOKEN every organization; each daemon's
own section is there, and a daemon that is down shows so without holding
up the scrape; the text passes Debian's `promtool check metrics`.
"""

import os
import re
import shutil
import subprocess
import threading
import time

import pytest

from loomtest import Http, wait_for

CRON = {"type": "cron", "expression": "*/15 * * * *"}
METRICS_TOKEN = "metrics-secret-for-the-test"

SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)",?')


def parse(text):
    """{(name, ((label, value), ...)): float}; HELP and TYPE checked once per family."""
    samples, seen_type, seen_help = {}, set(), set()
    for line in text.splitlines():
        if line.startswith("# TYPE "):
            name = line.split()[2]
            assert name not in seen_type, f"TYPE of {name} twice"
            seen_type.add(name)
            continue
        if line.startswith("# HELP "):
            name = line.split()[2]
            assert name not in seen_help, f"HELP of {name} twice"
            seen_help.add(name)
            continue
        m = SAMPLE.match(line)
        assert m, f"not a sample line: {line!r}"
        labels = tuple(sorted((k, v.encode().decode("unicode_escape"))
                              for k, v in LABEL.findall(m[2] or "")))
        key = (m[1], labels)
        assert key not in samples, f"sample twice: {line!r}"
        samples[key] = float(m[3])
    return samples


def value(samples, name, **labels):
    return samples.get((name, tuple(sorted(labels.items()))))


def scrape(loom, token, expect=200):
    r = Http(loom.http_addr, token).get("/metrics")
    assert r.status == expect, r
    if expect != 200:
        return r
    assert r.headers["content-type"].startswith("text/plain; version=0.0.4"), r.headers
    return r.text


def create(api, slug, **extra):
    r = api.post("/api/crons/monitors", {"slug": slug, "schedule": CRON, **extra})
    assert r.status == 201, r
    return r.json()["monitor"]


def ping(loom, monitor, suffix=""):
    r = Http(loom.http_addr).get(f"/ping/{monitor['ping_key']}{suffix}")
    assert r.status == 200, r


def known_states(loom):
    """healthy (pinged, then a run of 1.5 s reported), failing (/fail), paused
    (never pinged) in the first organization; returns its id."""
    api = loom.http()
    ping(loom, create(api, "healthy-job"))
    r = api.post("/api/crons/monitors/healthy-job/checkins", {"status": "ok", "duration_ms": 1500})
    assert r.status == 201, r
    ping(loom, create(api, "failing-job"), "/fail")
    create(api, "paused-job", status="paused")
    return api.get("/api/crons/organization").json()["id"]


def other_org(loom):
    r = loom.http().post("/api/crons/organizations", {"name": "tenant-b", "monitor_limit": 5})
    assert r.status == 201, r
    other = Http(loom.http_addr, r.json()["token"]["token"])
    create(other, "their-job")
    return other, other.get("/api/crons/organization").json()["id"]


def test_monitors_in_known_states(loom):
    org = known_states(loom)
    read = loom.http().post("/api/crons/tokens", {"name": "prom", "scopes": ["read"]})
    assert read.status == 201, read
    s = parse(scrape(loom, read.json()["token"]))
    up = {slug: value(s, "loom_monitor_up", org=org, slug=slug)
          for slug in ("healthy-job", "failing-job", "paused-job")}
    assert up == {"healthy-job": 1, "failing-job": 0, "paused-job": 1}
    for slug, health in (("healthy-job", "healthy"), ("failing-job", "failing"),
                         ("paused-job", "unknown")):
        # one sample per monitor, labelled with its state
        states = {dict(k[1])["health"]: v for k, v in s.items()
                  if k[0] == "loom_monitor_health" and dict(k[1])["slug"] == slug}
        assert states == {health: 1}, (slug, states)
    for slug, status in (("healthy-job", "active"), ("failing-job", "active"),
                         ("paused-job", "paused")):
        states = {dict(k[1])["status"]: v for k, v in s.items()
                  if k[0] == "loom_monitor_status" and dict(k[1])["slug"] == slug}
        assert states == {status: 1}, (slug, states)
    age = value(s, "loom_monitor_last_checkin_age_seconds", org=org, slug="healthy-job")
    assert age is not None and 0 <= age < 60, age
    last = value(s, "loom_monitor_last_checkin_timestamp_seconds", org=org, slug="failing-job")
    assert abs(last - time.time()) < 60, last
    # never pinged: no age at all rather than a made-up one
    assert value(s, "loom_monitor_last_checkin_age_seconds", org=org, slug="paused-job") is None
    assert value(s, "loom_monitor_last_duration_seconds", org=org, slug="healthy-job") == 1.5
    # a /fail ping reports no duration: none is shown
    assert value(s, "loom_monitor_last_duration_seconds", org=org, slug="failing-job") is None
    assert value(s, "loom_org_monitors_by_health", org=org, health="healthy") == 1
    assert value(s, "loom_org_monitors_by_health", org=org, health="failing") == 1
    assert value(s, "loom_org_monitors_by_health", org=org, health="unknown") == 1
    assert value(s, "loom_org_monitors_by_status", org=org, status="active") == 2
    assert value(s, "loom_org_monitors_by_status", org=org, status="paused") == 1
    assert value(s, "loom_scrape_monitors_truncated") == 0


def create_many(loom, slugs, token):
    """Creates the monitors over four keep-alive connections (storaged commits them in groups)."""
    def work(part):
        api = Http(loom.http_addr, token)
        for slug in part:
            create(api, slug)
    threads = [threading.Thread(target=work, args=(slugs[i::4],)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


@pytest.mark.env(LOOM_METRICS_TOKEN=METRICS_TOKEN)
def test_pages_through_more_monitors_than_a_page_in_every_organization(loom):
    """1000 monitors make a page: 1001 in one organization and 2 in another
    take the listing across a page boundary, and with LOOM_METRICS_TOKEN also
    from one organization to the next, each monitor shown once."""
    other, other_id = other_org(loom)
    create(other, "their-second")
    slugs = [f"job-{i:04d}" for i in range(1001)]
    create_many(loom, slugs, loom.admin_token)
    org = loom.http().get("/api/crons/organization").json()["id"]

    def ups(samples):
        return sorted((dict(k[1])["org"], dict(k[1])["slug"]) for k in samples
                      if k[0] == "loom_monitor_up")
    everyone = parse(scrape(loom, METRICS_TOKEN))
    assert ups(everyone) == sorted([(org, s) for s in slugs] +
                                   [(other_id, "their-job"), (other_id, "their-second")])
    assert value(everyone, "loom_org_monitors_by_health", org=org, health="unknown") == 1001
    assert value(everyone, "loom_org_monitors_by_health", org=other_id, health="unknown") == 2
    mine = parse(scrape(loom, loom.admin_token))
    assert ups(mine) == sorted((org, s) for s in slugs)


def test_a_token_sees_its_own_organization_only(loom):
    org = known_states(loom)
    other, other_id = other_org(loom)
    mine = parse(scrape(loom, loom.admin_token))
    theirs = parse(scrape(loom, other.token))
    assert value(mine, "loom_monitor_up", org=org, slug="healthy-job") == 1
    assert value(mine, "loom_monitor_up", org=other_id, slug="their-job") is None
    assert value(theirs, "loom_monitor_up", org=other_id, slug="their-job") == 1
    assert not [k for k in theirs if dict(k[1]).get("org") == org], "another org's series"
    assert not [k for k in mine if dict(k[1]).get("org") == other_id], "another org's series"
    # the daemons' figures are the whole installation's: the operator's only
    assert value(mine, "loom_daemon_up", daemon="storaged") == 1
    assert not [k for k in theirs if not k[0].startswith(("loom_monitor_", "loom_org_",
                                                           "loom_scrape_"))], theirs.keys()


@pytest.mark.env(LOOM_METRICS_TOKEN=METRICS_TOKEN)
def test_metrics_token_sees_every_organization(loom):
    org = known_states(loom)
    other, other_id = other_org(loom)
    s = parse(scrape(loom, METRICS_TOKEN))
    assert value(s, "loom_monitor_up", org=org, slug="failing-job") == 0
    assert value(s, "loom_monitor_up", org=other_id, slug="their-job") == 1
    assert value(s, "loom_org_monitors_by_status", org=org, status="active") == 2
    assert value(s, "loom_org_monitors_by_status", org=other_id, status="active") == 1
    # almost the token is no token
    err = scrape(loom, METRICS_TOKEN[:-1], expect=401).json()["error"]
    assert err["field"] == "Authorization"


def test_without_a_token_401_and_without_read_scope_403(loom):
    r = Http(loom.http_addr).get("/metrics")
    assert r.status == 401, r
    err = r.json()["error"]
    assert err["code"] == "unauthorized" and err["field"] == "Authorization"
    # LOOM_METRICS_TOKEN is unset by default: an empty bearer is no way in either
    assert Http(loom.http_addr).get("/metrics", headers={"Authorization": "Bearer "}).status \
        == 401
    assert scrape(loom, "loom_not_a_real_token", expect=401).json()["error"]["code"] \
        == "unauthorized"
    sdk = loom.http().post("/api/crons/tokens", {"scopes": ["checkins"]}).json()["token"]
    assert scrape(loom, sdk, expect=403).json()["error"]["code"] == "forbidden"
    assert loom.http().post("/metrics").status == 405


def test_each_daemon_reports_its_own_figures(loom):
    known_states(loom)
    s = parse(scrape(loom, loom.admin_token))
    for d in ("storaged", "schedd", "streamd", "ingestd"):
        assert value(s, "loom_daemon_up", daemon=d) == 1, d
    assert value(s, "loom_storaged_commits_total") >= 3        # three monitors, two pings
    assert value(s, "loom_storaged_requests_total") >= value(s, "loom_storaged_commits_total")
    assert value(s, "loom_storaged_batch_requests_count") >= 1
    assert value(s, "loom_storaged_lmdb_used_bytes") > 0
    assert value(s, "loom_storaged_lmdb_map_bytes") >= value(s, "loom_storaged_lmdb_used_bytes")
    # schedd follows the feed: it watches the two active monitors soon, not at once
    wait_for("schedd to watch the active monitors", lambda: value(
        parse(scrape(loom, loom.admin_token)), "loom_schedd_monitors") == 2)
    assert value(s, "loom_schedd_synced") == 1
    assert value(s, "loom_schedd_deadlines") is not None
    assert value(s, "loom_streamd_sse_clients") == 0
    assert value(s, "loom_streamd_alert_queue_depth") == 0
    assert value(s, "loom_ingestd_pings_total") == 2
    assert value(s, "loom_ingestd_connections") >= 1
    before = value(s, "loom_ingestd_http_responses_total", **{"class": "4xx"})
    assert Http(loom.http_addr).get("/metrics").status == 401
    after = value(parse(scrape(loom, loom.admin_token)), "loom_ingestd_http_responses_total",
                  **{"class": "4xx"})
    assert after == before + 1


def test_streamd_counts_its_clients_and_fanned_out_events(loom):
    api = loom.http()
    m = create(api, "streamed")
    stream = loom.sse()
    wait_for("streamd to count the stream", lambda: value(
        parse(scrape(loom, loom.admin_token)), "loom_streamd_sse_clients") == 1)
    ping(loom, m)
    wait_for("an event fanned out", lambda: value(
        parse(scrape(loom, loom.admin_token)), "loom_streamd_event_deliveries_total") >= 1)
    stream.close()


def test_a_stopped_daemon_is_down_without_holding_up_the_scrape(loom):
    known_states(loom)
    loom.kill("streamd")
    t0 = time.monotonic()
    text = scrape(loom, loom.admin_token)
    assert time.monotonic() - t0 < 2.0
    s = parse(text)
    assert value(s, "loom_daemon_up", daemon="streamd") == 0
    assert value(s, "loom_daemon_up", daemon="storaged") == 1
    assert value(s, "loom_daemon_up", daemon="schedd") == 1
    assert not [k for k in s if k[0].startswith("loom_streamd_")]
    assert value(s, "loom_storaged_commits_total") >= 3
    assert value(s, "loom_monitor_up", org=dict(next(
        k for k in s if k[0] == "loom_monitor_up")[1])["org"], slug="failing-job") == 0
    loom.restart("streamd")
    wait_for("streamd up again", lambda: value(
        parse(scrape(loom, loom.admin_token)), "loom_daemon_up", daemon="streamd") == 1)


def promtool_or_skip():
    promtool = shutil.which("promtool")
    if promtool is None:
        if os.environ.get("CI") == "true":
            pytest.fail("promtool is missing (Debian's prometheus package: sh scripts/deps)")
        pytest.skip("promtool is missing (Debian's prometheus package)")
    return promtool


def test_promtool_accepts_the_readmes_scrape_configuration(tmp_path):
    root = os.path.join(os.path.dirname(__file__), "..", "..")
    with open(os.path.join(root, "README.md")) as f:
        blocks = [b for b in re.findall(r"```yaml\n(.*?)```", f.read(), re.S)
                  if "scrape_configs:" in b]
    assert len(blocks) == 1
    token = tmp_path / "loom-metrics-token"
    token.write_text("secret\n")
    config = tmp_path / "prometheus.yml"
    config.write_text(blocks[0].replace("/etc/prometheus/loom-metrics-token", str(token)))
    r = subprocess.run([promtool_or_skip(), "check", "config", str(config)],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stdout + r.stderr


def test_promtool_accepts_the_output(loom):
    promtool = promtool_or_skip()
    known_states(loom)
    other_org(loom)
    text = scrape(loom, loom.admin_token)
    r = subprocess.run([promtool, "check", "metrics"], input=text.encode(),
                       capture_output=True, timeout=30)
    assert r.returncode == 0, (r.stdout + r.stderr).decode() + "\n" + text


def test_control_sockets_answer_stats_and_refuse_the_rest(loom):
    """stats.get on the wire: storaged's command socket, schedd's and
    streamd's control sockets; an unknown or malformed message gets an error
    and the daemon goes on answering."""
    for daemon, endpoint in (("storaged", loom.cmd_endpoint),
                             ("schedd", loom.schedd_endpoint),
                             ("streamd", f"ipc://{loom.run_dir}/streamd.ctl")):
        w = loom.wire(endpoint)
        try:
            reply = w.ok("stats.get")
            assert reply["daemon"] == daemon
            names = [s["name"] for s in reply["samples"]]
            assert names and all(n.startswith(f"loom_{daemon}_") for n in names), names
            assert all(s["type"] in ("counter", "gauge", "summary") for s in reply["samples"])
            if daemon != "storaged":   # storaged's own refusals are test_storaged_wire's
                name, err = w.call("monitor.delete", org="x", slug="y")
                assert name == "err" and err["code"] == "bad_request", err
            name, err = w.call("stats.get", v=2)
            assert name == "err" and err["code"] == "bad_request", err
            assert w.ok("ping")["daemon"] == daemon
        finally:
            w.close()
