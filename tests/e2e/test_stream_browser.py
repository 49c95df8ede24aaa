"""The event stream in a real browser: EventSource in headless Chromium.

A tiny page, served from a thread of this test on its own port (so the
stream is cross-origin and needs streamd's CORS header), opens
`new EventSource(url)` on the public URL with ?access_token= (EventSource
cannot set headers) and ?last_event_id=, and reports every event back to
the page's server with the time the browser received it.

A second page is the browser example of docs/stream.md, as printed there
(token and address filled in), with console.log reported the same way.

Chromium comes from Debian's `chromium` package (scripts/deps).  Without
it the tests are skipped, except in CI (CI set), where they fail.
"""

import http.server
import json
import contextlib
import os
import re
import shutil
import subprocess
import tempfile
import threading
import time
import urllib.parse

import pytest

from loomtest import Http, wait_for

DOC = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "docs", "stream.md")

PAGE = b"""<!doctype html>
<meta charset="utf-8">
<title>loom stream</title>
<pre id="log"></pre>
<script>
const stream = new URLSearchParams(location.search).get("stream");
const es = new EventSource(stream);
function report(what) {
  fetch("/report", {method: "POST", body: JSON.stringify(what)});
}
es.onopen = () => report({kind: "open", at: Date.now()});
es.onerror = () => report({kind: "error", at: Date.now(), state: es.readyState});
for (const type of ["checkin.started", "checkin.ok", "checkin.error", "reset"]) {
  es.addEventListener(type, (e) => {
    document.getElementById("log").textContent += type + " " + e.lastEventId + "\\n";
    report({kind: "event", type: type, id: e.lastEventId, data: JSON.parse(e.data),
            at: Date.now()});
  });
}
</script>
"""

# Reports console.log and console.warn lines, and when the stream opens.
CONSOLE = b"""<!doctype html>
<meta charset="utf-8">
<script>
function report(what) {
  fetch("/report", {method: "POST", body: JSON.stringify(what)});
}
console.log = (...args) => report({kind: "log", text: args.join(" ")});
console.warn = (...args) => report({kind: "warn", text: args.join(" ")});
window.EventSource = class extends EventSource {
  constructor(url) {
    super(url);
    this.addEventListener("open", () => report({kind: "open"}));
  }
};
</script>
"""


def chromium():
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is not installed (make deps installs it)")
        pytest.skip("chromium is not installed (make deps installs it)")
    return path


class PageServer:
    """Serves page at / and collects what it POSTs to /report."""

    def __init__(self, page=PAGE):
        self.reports = []
        reports = self.reports

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(page)))
                self.end_headers()
                self.wfile.write(page)

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                reports.append(json.loads(body))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def events(self):
        return sorted((r for r in list(self.reports) if r["kind"] == "event"),
                      key=lambda r: int(r["id"] or 0))

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@contextlib.contextmanager
def browsing(page, query=""):
    """Headless Chromium on page, served by a PageServer (yielded)."""
    browser = chromium()
    server = PageServer(page)
    profile = tempfile.mkdtemp(prefix="loom-chromium-")
    proc = subprocess.Popen(
        [browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
         "--no-first-run", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", "--disable-dev-shm-usage", f"--user-data-dir={profile}",
         f"http://127.0.0.1:{server.port}/{query}"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for("the browser to open the stream",
                 lambda: any(r["kind"] == "open" for r in server.reports), timeout=60)
        yield server
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        server.close()
        shutil.rmtree(profile, ignore_errors=True)


def test_eventsource_in_chromium_sees_pinged_checkins_within_a_second(loom):
    http = Http(loom.http_addr, loom.admin_token)
    wait_for("the API", lambda: http.get("/api/crons/organization").status == 200)
    mon = http.post("/api/crons/monitors", {
        "slug": "browser", "schedule": {"type": "interval", "value": 1, "unit": "hour"}}).json()["monitor"]
    key = mon["ping_key"]
    anon = Http(loom.http_addr, None)
    assert anon.get(f"/ping/{key}/start").status == 200      # before the browser connects
    before = http.get("/api/crons/monitors/browser/checkins").json()
    reader = http.post("/api/crons/tokens", {"name": "browser", "scopes": ["read"]}).json()

    # Resume from just before the earlier start: the browser gets it from the log.
    w = loom.wire()
    started_seq = w.ok("ping")["seq"]
    w.close()
    stream = (f"http://{loom.http_addr}/api/crons/stream?" + urllib.parse.urlencode(
        {"access_token": reader["token"], "last_event_id": started_seq - 1}))
    with browsing(PAGE, "?" + urllib.parse.urlencode({"stream": stream})) as page:
        first = wait_for("the replayed start", lambda: page.events(), timeout=10)[0]
        assert first["type"] == "checkin.started" and int(first["id"]) == started_seq
        assert first["data"]["checkin"]["id"] == before["checkins"][0]["id"]

        sent = {}
        for suffix, kind in (("", "checkin.ok"), ("/fail", "checkin.error")):
            sent[kind] = time.time() * 1000
            assert anon.get(f"/ping/{key}{suffix}").status == 200
            got = wait_for(f"{kind} in the browser",
                           lambda: [e for e in page.events() if e["type"] == kind], timeout=5)
            latency = got[0]["at"] - sent[kind]
            assert latency < 1000, f"{kind} reached the browser after {latency:.0f} ms"
            assert got[0]["data"]["monitor"]["slug"] == "browser"
            assert got[0]["data"]["checkin"]["status"] == kind.split(".")[1]

        ids = [int(e["id"]) for e in page.events()]
        assert ids == sorted(set(ids)) and len(ids) == 3      # no duplicate, no gap
        assert not any(r["kind"] == "error" for r in page.reports), page.reports


def test_the_browser_example_of_the_docs_prints_the_flat_fields(loom):
    http = Http(loom.http_addr, loom.admin_token)
    wait_for("the API", lambda: http.get("/api/crons/organization").status == 200)
    mon = http.post("/api/crons/monitors", {
        "slug": "nightly", "name": "Nightly backup",
        "schedule": {"type": "interval", "value": 1, "unit": "hour"}}).json()["monitor"]
    reader = http.post("/api/crons/tokens", {"name": "browser", "scopes": ["read"]}).json()
    with open(DOC) as f:
        example = re.search(r"```html\n(.*?)```", f.read(), re.S).group(1)
    assert '"loom_..."' in example and "http://127.0.0.1:8080/" in example
    example = example.replace('"loom_..."', json.dumps(reader["token"])).replace(
        "http://127.0.0.1:8080/", f"http://{loom.http_addr}/")

    with browsing(CONSOLE + example.encode()) as page:
        r = Http(loom.http_addr, None).get(f"/ping/{mon['ping_key']}/fail")
        assert r.status == 200
        [error] = http.get("/api/crons/monitors/nightly/checkins").json()["checkins"]
        said = wait_for("the example's line", lambda: [
            x["text"] for x in page.reports if x["kind"] == "log"], timeout=5)
        assert said == [f"checkin.error: Nightly backup (nightly), check-in {error['id']} "
                        "error, health failing"]
