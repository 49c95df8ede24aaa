"""The web dashboard (ingestd/web/, served at /) in a real browser.

Debian's chromium, driven headless through chromium-driver by
python3-selenium (scripts/deps installs all three).  The page signs in by
exchanging a token for the session cookie, shows every monitor with
data-slug and data-health, follows the event stream without reloading,
and lets admins pause and edit.  Screenshots of each view are written to
build/screenshots/ for review (docs/img/dashboard-*.png are copies).

Without chromium, chromedriver or selenium the browser tests are skipped
with the reason, except in CI (CI set), where they fail.
"""

import json
import os
import re
import shutil
import subprocess
import time
import urllib.parse

import pytest

from loomtest import BUILD, Http, wait_for

try:
    from selenium import webdriver
    from selenium.common.exceptions import NoAlertPresentException
    from selenium.webdriver.chrome.service import Service as ChromeService
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import Select
except ImportError:  # checked in the driver fixture
    webdriver = None

PAGE_WEIGHT_MAX = 150 * 1024
SHOTS = os.path.join(BUILD, "screenshots")
EVIL = "<img src=x onerror=alert(1)>"


def missing_browser():
    if webdriver is None:
        return "python3-selenium is not installed (make deps installs it)"
    if not (shutil.which("chromium") or os.path.exists("/usr/bin/chromium")):
        return "chromium is not installed (make deps installs it)"
    if not (shutil.which("chromedriver") or os.path.exists("/usr/bin/chromedriver")):
        return "chromedriver is not installed (chromium-driver; make deps installs it)"
    return None


@pytest.fixture
def browser():
    why = missing_browser()
    if why:
        if os.environ.get("CI"):
            pytest.fail(why)
        pytest.skip(why)
    opts = webdriver.ChromeOptions()
    for a in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
              "--window-size=1280,800", "--force-color-profile=srgb",
              "--disable-features=Translate", "--no-first-run"):
        opts.add_argument(a)
    opts.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    service = ChromeService(executable_path=shutil.which("chromedriver") or
                                      "/usr/bin/chromedriver")
    d = webdriver.Chrome(options=opts, service=service)
    # the page's viewport exactly 1280x800, whatever the window's frame takes
    d.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                      {"width": 1280, "height": 800, "deviceScaleFactor": 1, "mobile": False})
    d.implicitly_wait(0)
    yield d
    d.quit()


def create(http, slug, name=None, schedule=None, **extra):
    body = {"slug": slug, "name": name or slug,
            "schedule": schedule or {"type": "cron", "expression": "*/5 * * * *"}}
    body.update(extra)
    r = http.post("/api/crons/monitors", json_body=body)
    assert r.status == 201, r
    return r.json()["monitor"]


def ping(loom, monitor, suffix=""):
    r = Http(loom.http_addr).get(f"/ping/{monitor['ping_key']}{suffix}", token=None)
    assert r.status == 200, r


def wait_js(d, script, what, timeout=20.0):
    try:
        return wait_for(what, lambda: d.execute_script(script), timeout=timeout)
    except AssertionError:
        # what the page showed, for the report
        print("page:", d.execute_script(
            "return location.hash + ' | ' + document.body.dataset.view + ' | ' + "
            "[...document.querySelectorAll('.error, [aria-invalid]')]"
            ".map(e => (e.id || e.className) + '=' + (e.textContent || e.value)).join('; ')"))
        raise


def sign_in(d, loom, token=None):
    d.get(loom.base_url + "/")
    wait_js(d, "return document.getElementById('token') !== null", "the sign-in form")
    d.find_element(By.ID, "token").send_keys(token or loom.admin_token)
    d.find_element(By.CSS_SELECTOR, "#signin button[type=submit]").click()
    wait_js(d, "return document.body.dataset.view === 'list' && "
            "document.body.dataset.rows !== undefined", "the monitors view")


def health_of(d, slug):
    return d.execute_script(
        "const r = document.querySelector('#monitors tr[data-slug=\"' + arguments[0] + '\"]');"
        "return r && r.dataset.health;", slug)


def click_row_link(d, slug):
    """Clicks a row's link as it is now (live updates replace rows, so no stale handle)."""
    d.execute_script("document.querySelector('#monitors tr[data-slug=\"' + arguments[0] + "
                     "'\"] a').click()", slug)


def shot(d, name):
    os.makedirs(SHOTS, exist_ok=True)
    path = os.path.join(SHOTS, f"dashboard-{name}.png")
    d.save_screenshot(path)
    assert os.path.getsize(path) > 1000
    return path


# --- serving, without a browser ---

def test_page_and_assets_are_served_with_safe_headers(loom):
    h = Http(loom.http_addr)
    r = h.get("/", token=None)
    assert r.status == 200
    assert r.headers["content-type"].startswith("text/html")
    csp = r.headers["content-security-policy"]
    assert "default-src 'self'" in csp and "unsafe-inline" not in csp
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["cache-control"] == "no-cache"
    html = r.body.decode()
    assert "<script>" not in html and "http://" not in html and "https://" not in html

    assert h.get("/index.html", token=None).body == r.body
    head = h.request("HEAD", "/", token=None)
    assert head.status == 200 and head.body == b""
    assert h.get("/", token=None, headers={"If-None-Match": r.headers["etag"]}).status == 304

    js = h.get("/assets/app.js", token=None)
    assert js.status == 200 and js.headers["content-type"].startswith("text/javascript")
    css = h.get("/assets/app.css", token=None)
    assert css.status == 200 and css.headers["content-type"].startswith("text/css")
    again = h.get("/assets/app.js", token=None, headers={"If-None-Match": js.headers["etag"]})
    assert again.status == 304 and again.body == b""

    for bad in ("/assets/../../../etc/passwd", "/assets/..%2f..%2fetc%2fpasswd",
                "/assets/.hidden", "/assets/nothing.js", "/assets/app.js.bak",
                "/assets/sub/app.js"):
        r = h.get(bad, token=None)
        assert r.status == 404, (bad, r)
        assert b"root:" not in r.body
    r = h.get("/elsewhere", token=None)
    assert r.status == 404 and r.json()["error"]["code"] == "not_found"
    r = h.post("/", token=None, body=b"x")
    assert r.status == 405


def asset_names(h):
    """Every file the page loads: index.html's references, then JS imports."""
    html = h.get("/", token=None).body.decode()
    todo = re.findall(r'(?:src|href)="(/assets/[^"]+)"', html)
    seen = {}
    while todo:
        p = todo.pop()
        if p in seen:
            continue
        r = h.get(p, token=None)
        assert r.status == 200, p
        seen[p] = len(r.body)
        if p.endswith(".js"):
            for imp in re.findall(r'from "\./([a-z0-9_.-]+\.js)"', r.body.decode()):
                todo.append("/assets/" + imp)
    return seen, len(html.encode())


def test_page_weight_is_under_150_kib(loom):
    assets, html = asset_names(Http(loom.http_addr))
    total = html + sum(assets.values())
    assert {"/assets/app.js", "/assets/app.css", "/assets/list.js",
            "/assets/monitor.js"} <= set(assets)
    assert total < PAGE_WEIGHT_MAX, (total, assets)


def test_web_dir_comes_from_the_environment(tmp_path):
    from loomtest import Loom
    (tmp_path / "assets").mkdir()
    (tmp_path / "index.html").write_text("<!doctype html><title>mine</title>")
    system = Loom(daemons=["storaged", "ingestd"], env={"LOOM_WEB_DIR": str(tmp_path)})
    try:
        system.start()
        r = Http(system.http_addr).get("/", token=None)
        assert r.status == 200 and b"<title>mine</title>" in r.body
        assert Http(system.http_addr).get("/assets/app.js", token=None).status == 404
    finally:
        system.stop()
        system.cleanup()


def test_web_dir_defaults_to_share_beside_the_executable(tmp_path):
    """An install's layout: <prefix>/bin/ingestd finds <prefix>/share/loom/web."""
    from loomtest import binary, free_port
    (tmp_path / "bin").mkdir()
    shutil.copy(binary("ingestd"), tmp_path / "bin" / "ingestd")
    web = tmp_path / "share" / "loom" / "web"
    web.mkdir(parents=True)
    (web / "index.html").write_text("<!doctype html><title>installed</title>")
    (tmp_path / "run").mkdir()
    addr = f"127.0.0.1:{free_port()}"
    env = {"PATH": "/usr/bin:/bin", "LOOM_HTTP_ADDR": addr, "LOOM_RUN_DIR": str(tmp_path / "run"),
           "LOOM_STREAM_ADDR": f"127.0.0.1:{free_port()}"}
    p = subprocess.Popen([str(tmp_path / "bin" / "ingestd")], env=env,
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        def served():
            try:
                return Http(addr).get("/", token=None)
            except OSError:
                return None
        r = wait_for("ingestd serving", served)
        assert r.status == 200 and b"<title>installed</title>" in r.body
    finally:
        p.terminate()
        p.wait(timeout=10)


# --- in the browser ---

def test_sign_in_with_a_token_sets_an_httponly_session_cookie(loom, browser):
    d = browser
    d.get(loom.base_url + "/")
    wait_js(d, "return document.getElementById('token') !== null", "the sign-in form")
    d.find_element(By.ID, "token").send_keys("loom_not-a-token")
    d.find_element(By.CSS_SELECTOR, "#signin button[type=submit]").click()
    wait_js(d, "return document.getElementById('token').getAttribute('aria-invalid') === 'true'",
            "the refused token marked")
    assert "unknown or revoked" in d.find_element(By.ID, "token-error").text

    d.find_element(By.ID, "token").clear()
    sign_in(d, loom)
    cookie = d.get_cookie("loom_session")
    assert cookie is not None and cookie["httpOnly"] and cookie["sameSite"] == "Strict"
    # the token itself is nowhere the page's script can read it again
    assert loom.admin_token not in d.execute_script(
        "return JSON.stringify(localStorage) + JSON.stringify(sessionStorage) + document.cookie")
    # a reload stays signed in: the cookie, not the page, holds the session
    d.refresh()
    wait_js(d, "return document.body.dataset.view === 'list'", "the list after a reload")

    d.find_element(By.ID, "signout").click()
    wait_js(d, "return document.getElementById('token') !== null", "the sign-in form again")
    d.refresh()
    wait_js(d, "return document.getElementById('token') !== null", "still signed out")


def test_every_monitor_is_shown_with_its_health(loom, browser):
    h = loom.http()
    mons = {s: create(h, s) for s in ("alpha", "beta", "gamma", "delta")}
    create(h, "stage-only", environments=["staging"])
    create(h, "prod-only", environments=["production"])
    ping(loom, mons["alpha"])
    ping(loom, mons["beta"], "/fail")
    h.post("/api/crons/monitors/delta/pause")
    sign_in(browser, loom)
    api = {m["slug"]: m for m in h.get("/api/crons/monitors").json()["monitors"]}
    rows = browser.execute_script(
        "return [...document.querySelectorAll('#monitors tbody tr[data-slug]')]"
        ".map(r => [r.dataset.slug, r.dataset.health, r.dataset.status, r.innerText])")
    assert sorted(r[0] for r in rows) == sorted(api)
    for slug, health, status, text in rows:
        assert health == api[slug]["health"], slug
        assert status == api[slug]["status"], slug
    by = {r[0]: r for r in rows}
    assert by["alpha"][1] == "healthy" and "healthy" in by["alpha"][3]
    assert by["beta"][1] == "failing" and "failing" in by["beta"][3]
    assert "paused" in by["delta"][3]
    assert "every 5 minutes" in by["gamma"][3]
    # the outcome strips fill in after the first paint
    wait_js(browser, "const s = document.querySelector('tr[data-slug=beta] .strip');"
            "return s && s.getAttribute('aria-label') === 'last 1: 1 error'", "beta's strip")

    # filters and search hide rows, not data
    Select(browser.find_element(By.ID, "f-health")).select_by_value("failing")
    visible = browser.execute_script(
        "return [...document.querySelectorAll('#monitors tbody tr')].filter(r => !r.hidden)"
        ".map(r => r.dataset.slug)")
    assert visible == ["beta"]
    Select(browser.find_element(By.ID, "f-health")).select_by_value("")
    browser.find_element(By.ID, "f-search").send_keys("gam")
    visible = browser.execute_script(
        "return [...document.querySelectorAll('#monitors tbody tr')].filter(r => !r.hidden)"
        ".map(r => r.dataset.slug)")
    assert visible == ["gamma"]
    # an environment: the monitors that track it, and those that track every one
    browser.find_element(By.ID, "f-search").send_keys(Keys.BACKSPACE * 3)
    Select(browser.find_element(By.ID, "f-env")).select_by_value("staging")
    visible = browser.execute_script(
        "return [...document.querySelectorAll('#monitors tbody tr')].filter(r => !r.hidden)"
        ".map(r => r.dataset.slug)")
    assert sorted(visible) == ["alpha", "beta", "delta", "gamma", "stage-only"]


def test_a_fail_ping_turns_its_row_failing_within_2s_without_a_reload(loom, browser):
    h = loom.http()
    mon = create(h, "live-one")
    ping(loom, mon)
    create(h, "bystander")
    sign_in(browser, loom)
    assert health_of(browser, "live-one") == "healthy"
    wait_js(browser, "return document.getElementById('conn').dataset.state === 'live'",
            "the stream open")
    browser.execute_script("window.__notReloaded = 'marker'")
    start = time.monotonic()
    ping(loom, mon, "/fail")
    wait_for("the row failing", lambda: health_of(browser, "live-one") == "failing",
             timeout=2.0)
    assert time.monotonic() - start < 2.0
    assert browser.execute_script("return window.__notReloaded") == "marker"
    assert health_of(browser, "bystander") == "unknown"
    # the change is announced to screen readers
    wait_js(browser, "return document.getElementById('live').textContent.includes('failing')",
            "the announcement")

    # the monitor page follows the stream too: a new check-in tops its history
    click_row_link(browser, "live-one")
    rows = "return document.querySelectorAll('#history tbody tr[data-checkin]').length"
    wait_js(browser, rows + " === 2", "the history")
    ping(loom, mon)
    wait_js(browser, rows + " === 3", "the new check-in", timeout=2.0)
    assert browser.find_element(By.CSS_SELECTOR, "#history tbody tr").get_attribute(
        "data-status") == "ok"
    wait_js(browser, "return document.querySelector('.summary').dataset.health === 'healthy'",
            "the summary healthy again")
    assert browser.execute_script("return window.__notReloaded") == "marker"


def test_the_page_catches_up_after_the_stream_was_away(loom, browser):
    """streamd gone: EventSource gives up on the 503; the page opens a new stream that
    resumes after the last event it saw, so a failure during the gap still shows."""
    h = loom.http()
    mon = create(h, "gap")
    other = create(h, "other")
    sign_in(browser, loom)
    browser.execute_script("window.__notReloaded = 'marker'")
    wait_js(browser, "return document.getElementById('conn').dataset.state === 'live'",
            "the stream open")
    ping(loom, other)  # an event seen before the gap: the point to resume from
    wait_for("other healthy", lambda: health_of(browser, "other") == "healthy")
    loom.kill("streamd")
    wait_js(browser, "return document.getElementById('conn').dataset.state === 'closed'",
            "EventSource given up (503 from ingestd)")
    ping(loom, mon, "/fail")
    loom.restart("streamd")
    wait_for("the failure shown", lambda: health_of(browser, "gap") == "failing", timeout=15.0)
    assert browser.execute_script("return window.__notReloaded") == "marker"
    wait_js(browser, "return document.getElementById('conn').dataset.state === 'live'",
            "live again")


def test_pause_and_resume_from_the_monitor_page(loom, browser):
    h = loom.http()
    create(h, "pausable", name="Pausable job")
    sign_in(browser, loom)
    click_row_link(browser, "pausable")
    wait_js(browser, "return document.getElementById('act-pause') !== null", "the pause button")
    browser.find_element(By.ID, "act-pause").click()
    wait_for("paused in the API", lambda:
             h.get("/api/crons/monitors/pausable").json()["monitor"]["status"] == "paused")
    wait_js(browser, "return document.getElementById('act-resume') !== null", "resume offered")
    assert browser.find_element(By.ID, "m-status").text.startswith("paused")
    browser.find_element(By.ID, "act-resume").click()
    wait_for("active again", lambda:
             h.get("/api/crons/monitors/pausable").json()["monitor"]["status"] == "active")
    browser.find_element(By.ID, "act-mute").click()
    wait_for("muted", lambda:
             h.get("/api/crons/monitors/pausable").json()["monitor"]["muted_until"] is not None)


def test_a_validation_error_is_shown_on_its_field(loom, browser):
    h = loom.http()
    create(h, "editable", schedule={"type": "cron", "expression": "0 3 * * *"},
           timezone="Europe/Berlin")
    sign_in(browser, loom)
    browser.get(loom.base_url + "/#/monitors/editable")
    wait_js(browser, "return document.getElementById('m-expression') !== null", "the form")
    # the preview shows the next five times, in the monitor's zone
    wait_js(browser, "return document.querySelectorAll('#m-preview li time').length === 5",
            "the schedule preview")
    assert "+01:00" in browser.find_element(By.ID, "m-preview").text or \
        "+02:00" in browser.find_element(By.ID, "m-preview").text
    expr = browser.find_element(By.ID, "m-expression")
    expr.clear()
    expr.send_keys("61 3 * * *")
    wait_js(browser, "return document.getElementById('m-preview').classList.contains('bad')",
            "the preview refusing it")
    browser.find_element(By.CSS_SELECTOR, "#monitor-form button[type=submit]").click()
    wait_js(browser, "return document.getElementById('m-expression')"
            ".getAttribute('aria-invalid') === 'true'", "the schedule field marked")
    msg = browser.find_element(By.ID, "m-expression-error").text
    assert "61" in msg and "minute" in msg
    assert h.get("/api/crons/monitors/editable").json()["monitor"]["schedule"]["expression"] \
        == "0 3 * * *"

    margin = browser.find_element(By.ID, "m-margin")
    margin.clear()
    margin.send_keys("0")
    expr.clear()
    expr.send_keys("30 4 * * *")
    browser.find_element(By.CSS_SELECTOR, "#monitor-form button[type=submit]").click()
    wait_js(browser, "return document.getElementById('m-margin')"
            ".getAttribute('aria-invalid') === 'true'", "the margin field marked")
    assert browser.find_element(By.ID, "m-expression").get_attribute("aria-invalid") is None

    margin.clear()
    margin.send_keys("15")
    browser.find_element(By.CSS_SELECTOR, "#monitor-form button[type=submit]").click()
    wait_for("saved", lambda: h.get("/api/crons/monitors/editable").json()["monitor"]
             ["checkin_margin_minutes"] == 15)
    m = h.get("/api/crons/monitors/editable").json()["monitor"]
    assert m["schedule"]["expression"] == "30 4 * * *"


def test_a_monitor_is_created_from_the_page(loom, browser):
    h = loom.http()
    sign_in(browser, loom)
    browser.find_element(By.ID, "nav-new").click()
    wait_js(browser, "return document.getElementById('m-slug') !== null", "the new form")
    browser.find_element(By.ID, "m-slug").send_keys("made-here")
    browser.find_element(By.ID, "m-name").send_keys("Made here")
    Select(browser.find_element(By.ID, "m-type")).select_by_value("interval")
    every = browser.find_element(By.ID, "m-every")
    every.clear()
    every.send_keys("2")
    Select(browser.find_element(By.ID, "m-unit")).select_by_value("day")
    browser.find_element(By.CSS_SELECTOR, "#monitor-form button[type=submit]").click()
    wait_js(browser, "return location.hash === '#/monitors/made-here'", "its page")
    m = h.get("/api/crons/monitors/made-here").json()["monitor"]
    assert m["name"] == "Made here"
    assert m["schedule"]["value"] == 2 and m["schedule"]["unit"] == "day"
    # the ping URL and a snippet carry the monitor's own key
    wait_js(browser, "return document.getElementById('ping-url') !== null", "the ping URL")
    assert browser.find_element(By.ID, "ping-url").text == m["ping_url"]
    snippets = browser.execute_script(
        "return [...document.querySelectorAll('.snippet code')].map(c => c.textContent)")
    assert len(snippets) == 6 and all(m["ping_key"] in s or "made-here" in s for s in snippets)


def test_a_name_with_markup_shows_as_text(loom, browser):
    h = loom.http()
    mon = create(h, "evil", name=EVIL)
    r = h.post(f"/api/crons/monitors/evil/checkins", json_body={
        "status": "error", "output": "<script>alert(2)</script><img src=y onerror=alert(3)>"})
    assert r.status == 201, r
    sign_in(browser, loom)
    link = browser.find_element(By.CSS_SELECTOR, 'tr[data-slug="evil"] th a')
    assert link.text == EVIL
    assert browser.execute_script("return document.querySelectorAll('main img').length") == 0
    link.click()
    wait_js(browser, "return document.querySelector('#history tbody tr[data-checkin]') !== null",
            "the history")
    assert browser.find_element(By.CSS_SELECTOR, "main h1").text == EVIL
    out = browser.execute_script("return document.querySelector('pre.output').textContent")
    assert out.startswith("<script>alert(2)</script>")
    assert browser.execute_script(
        "return document.querySelectorAll('main img, main script').length") == 0
    with pytest.raises(NoAlertPresentException):
        browser.switch_to.alert.text
    assert mon["slug"] == "evil"


@pytest.mark.env(LOOM_SSE_HEARTBEAT="500ms")
def test_a_revoked_tokens_page_returns_to_sign_in(loom, browser):
    h = loom.http()
    create(h, "watched")
    r = h.post("/api/crons/tokens", json_body={"name": "viewer", "scopes": ["read"]})
    assert r.status == 201, r
    tok = r.json()
    sign_in(browser, loom, tok["token"])
    # read scope: no admin controls
    assert browser.find_element(By.ID, "nav-new").is_displayed() is False
    wait_js(browser, "return document.getElementById('conn').dataset.state === 'live'",
            "the stream open")
    assert h.delete(f"/api/crons/tokens/{tok['id']}").status == 204
    wait_js(browser, "return document.getElementById('token') !== null", "the sign-in form",
            timeout=10.0)
    assert "ended" in browser.find_element(By.CSS_SELECTOR, "#signin .notice").text


def test_keyboard_and_labels(loom, browser):
    h = loom.http()
    for s in ("one", "two"):
        create(h, s)
    sign_in(browser, loom)
    # every form control has a label
    unlabelled = browser.execute_script(
        "return [...document.querySelectorAll('input, select')].filter(i =>"
        " !(i.labels && i.labels.length) && !i.getAttribute('aria-label')).map(i => i.id)")
    assert unlabelled == []
    # Tab reaches the rows' links, and Enter opens one
    body = browser.find_element(By.TAG_NAME, "body")
    reached = []
    for _ in range(30):
        body.send_keys(Keys.TAB) if not reached else browser.switch_to.active_element.send_keys(
            Keys.TAB)
        active = browser.switch_to.active_element
        href = active.get_attribute("href") or ""
        reached.append(href)
        if href.endswith("#/monitors/one"):
            active.send_keys(Keys.ENTER)
            break
    assert any(r.endswith("#/monitors/one") for r in reached), reached
    wait_js(browser, "return document.body.dataset.view === 'monitor'", "the monitor page")
    unlabelled = browser.execute_script(
        "return [...document.querySelectorAll('input, select')].filter(i =>"
        " !(i.labels && i.labels.length) && !i.getAttribute('aria-label')).map(i => i.id)")
    assert unlabelled == []


def test_dark_theme_toggle_is_remembered(loom, browser):
    h = loom.http()
    for i, s in enumerate(("db-backup", "invoices", "reports")):
        m = create(h, s, name=s.replace("-", " ").title(), timezone="Europe/Berlin")
        ping(loom, m, "/fail" if i == 1 else "")
    sign_in(browser, loom)
    light = browser.execute_script("return getComputedStyle(document.body).backgroundColor")
    browser.find_element(By.ID, "theme").click()
    dark = browser.execute_script("return getComputedStyle(document.body).backgroundColor")
    assert light != dark
    assert browser.find_element(By.ID, "theme").get_attribute("aria-pressed") == "true"
    browser.refresh()
    wait_js(browser, "return document.body.dataset.view === 'list'", "the list")
    assert browser.execute_script(
        "return getComputedStyle(document.body).backgroundColor") == dark


def test_screenshots_of_each_view(loom, browser):
    """build/screenshots/dashboard-{signin,list,monitor,dark}.png, for review and the README."""
    h = loom.http()
    jobs = [("db-backup", "Nightly database backup", {"type": "cron", "expression": "0 3 * * *"},
             "Europe/Berlin", ["production"]),
            ("invoices", "Send invoices", {"type": "cron", "expression": "*/15 * * * *"}, "UTC",
             ["production"]),
            ("reports", "Weekly report", {"type": "cron", "expression": "30 8 * * MON-FRI"},
             "America/New_York", ["staging"]),
            ("cache-warm", "Warm the caches", {"type": "interval", "value": 10, "unit": "minute"},
             "UTC", []),
            ("search-index", "Rebuild the search index",
             {"type": "cron", "expression": "0 */6 * * *"}, "Asia/Tokyo", ["production"]),
            ("cleanup", "Purge old uploads", {"type": "cron", "expression": "@daily"}, "UTC", [])]
    for slug, name, sched, tz, envs in jobs:
        create(h, slug, name=name, schedule=sched, timezone=tz, environments=envs)
    outcomes = {"db-backup": "ok ok ok error ok ok ok ok ok ok ok ok",
                "invoices": "ok ok ok ok ok ok error error",
                "reports": "ok ok ok ok ok ok",
                "search-index": "ok error ok ok ok ok ok ok ok ok"}
    for slug, seq in outcomes.items():
        for i, status in enumerate(seq.split()):
            r = h.post(f"/api/crons/monitors/{slug}/checkins", json_body={
                "status": status, "duration_ms": 40000 + (i * 7919) % 30000 +
                (60000 if status == "error" else 0),
                "exit_code": 0 if status == "ok" else 2,
                "output": "dumped 18 databases\nuploaded 4.2 GiB" if status == "ok"
                else "pg_dump: error: connection to server failed"})
            assert r.status == 201, r
    h.post("/api/crons/monitors/cleanup/pause")

    browser.get(loom.base_url + "/")
    wait_js(browser, "return document.getElementById('token') !== null", "the sign-in form")
    shot(browser, "signin")
    sign_in(browser, loom)
    wait_js(browser, "return document.querySelectorAll('.strip.pending').length === 0",
            "every strip")
    shot(browser, "list")
    browser.get(loom.base_url + "/#/monitors/db-backup")
    wait_js(browser, "return document.querySelector('svg.chart .p95') !== null && "
            "document.querySelector('#history tbody tr[data-checkin]') !== null",
            "the chart and the history")
    # the chart's p95 line is the stats' p95
    p95 = h.get("/api/crons/monitors/db-backup/stats?period=day").json()["p95_duration_ms"]
    assert browser.execute_script(
        "return Number(document.querySelector('svg.chart .p95').dataset.p95)") == p95
    shot(browser, "monitor")
    browser.find_element(By.ID, "theme").click()
    browser.get(loom.base_url + "/#/")
    wait_js(browser, "return document.body.dataset.view === 'list' && "
            "document.querySelectorAll('.strip.pending').length === 0", "the list")
    shot(browser, "dark")
    # nothing the Content-Security-Policy refused, no script error
    problems = [e["message"] for e in browser.get_log("browser")
                if "Content Security Policy" in e["message"] or "Uncaught" in e["message"]]
    assert problems == []
