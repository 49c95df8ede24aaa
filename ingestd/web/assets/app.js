/*
 * app.js -- the dashboard's entry: sign-in, the hash routes (#/ list,
 * #/monitors/<slug> a monitor, #/new create; alerts link to the second),
 * the theme toggle and the live stream's indicator.
 */
import { ApiError, isAdmin, loadSession, session, signIn, signOut, whenSignedOut } from "./api.js";
import { el } from "./dom.js";
import { leaveList, renderList } from "./list.js";
import { renderMonitor, renderNew } from "./monitor.js";
import { loadMonitors, startStream, stopStream, store, subscribe } from "./store.js";

const main = document.getElementById("main");
const $ = (id) => document.getElementById(id);

/* --- theme: prefers-color-scheme, unless the toggle chose one (remembered) --- */

function currentTheme() {
  return document.documentElement.dataset.theme ||
    (matchMedia("(prefers-color-scheme: dark)").matches ? "dark" : "light");
}

function showTheme() {
  const dark = currentTheme() === "dark";
  $("theme").setAttribute("aria-pressed", String(dark));
  $("theme").textContent = dark ? "Light theme" : "Dark theme";
}

$("theme").addEventListener("click", () => {
  const next = currentTheme() === "dark" ? "light" : "dark";
  document.documentElement.dataset.theme = next;
  try {
    localStorage.setItem("loom-theme", next);
  } catch (e) { /* not remembered */ }
  showTheme();
});
showTheme();

/* --- sign-in --- */

function renderSignIn(message) {
  stopStream(true);
  leaveList();
  $("nav").hidden = true;
  $("signout").hidden = true;
  $("conn").textContent = "";
  $("who").textContent = "";
  document.body.dataset.view = "signin";
  const input = el("input", { id: "token", name: "token", type: "password", required: true,
    autocomplete: "off", spellcheck: "false", "aria-describedby": "token-help token-error" });
  const error = el("p", { id: "token-error", class: "error", role: "alert" });
  const button = el("button", { type: "submit", class: "primary" }, "Sign in");
  const form = el("form", { class: "signin", id: "signin" },
    el("h1", {}, "Sign in"),
    message ? el("p", { class: "notice", role: "status" }, message) : null,
    el("div", { class: "field" },
      el("label", { for: "token" }, "API token"),
      input,
      el("p", { id: "token-help", class: "help" },
        "Paste an API token: read scope to look, admin to change. It is exchanged for a " +
        "session cookie and not kept by the page.")),
    error, button);
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    button.disabled = true;
    error.textContent = "";
    input.removeAttribute("aria-invalid");
    try {
      await signIn(input.value.trim());
      input.value = "";
      await startApp();
    } catch (err) {
      input.setAttribute("aria-invalid", "true");
      error.textContent = err instanceof ApiError && err.status === 401
        ? "This token is unknown or revoked." : err.message;
      input.focus();
    } finally {
      button.disabled = false;
    }
  });
  main.replaceChildren(form);
  input.focus();
}

whenSignedOut((why) => renderSignIn(why));

$("signout").addEventListener("click", async () => {
  try {
    await signOut();
  } catch (e) { /* gone already */ }
  store.monitors.clear();
  store.strips.clear();
  store.loaded = false;
  renderSignIn("Signed out.");
});

/* --- the stream's state, for people and for tests --- */

subscribe((what, slug, state) => {
  if (what !== "connection") return;
  const words = { live: "● Live", reconnecting: "○ Reconnecting…", closed: "○ Offline" };
  $("conn").textContent = words[state] || "";
  $("conn").dataset.state = state;
});

async function streamClosed() {
  /* EventSource gave up: an error status.  Signed out, or the server restarting? */
  try {
    if (await loadSession()) {
      setTimeout(() => session.current && startStream(streamClosed), 2000);
      return;
    }
  } catch (e) {
    setTimeout(() => session.current && startStream(streamClosed), 5000);
    return;
  }
  renderSignIn("Your session has ended (signed out, expired, or its token was revoked).");
}

/* --- routes --- */

function route() {
  if (!session.current) return;
  const hash = location.hash || "#/";
  const m = hash.match(/^#\/monitors\/([a-z0-9_-]{1,64})$/);
  leaveList();
  if (m) {
    document.body.dataset.view = "monitor";
    renderMonitor(main, m[1]);
  } else if (hash === "#/new") {
    document.body.dataset.view = "new";
    renderNew(main);
  } else {
    document.body.dataset.view = "list";
    renderList(main);
  }
}

window.addEventListener("hashchange", () => {
  route();
  main.focus({ preventScroll: true });
  window.scrollTo(0, 0);
});

/*
 * A page left for another (or kept in the back-forward cache) closes its
 * stream: browsers allow 6 HTTP/1.1 connections to a host, and open streams
 * of pages no one sees would hold them.
 */
window.addEventListener("pagehide", () => stopStream());
window.addEventListener("pageshow", (e) => {
  if (e.persisted && session.current) startStream(streamClosed);
});

async function startApp() {
  $("nav").hidden = false;
  $("nav-new").hidden = !isAdmin();
  $("signout").hidden = false;
  $("who").textContent = isAdmin() ? "admin" : "read only";
  startStream(streamClosed);
  route();
  try {
    await loadMonitors();
  } catch (e) {
    if (session.current)
      main.prepend(el("p", { class: "error", role: "alert" }, "Could not read the monitors: " +
        e.message));
  }
}

(async function boot() {
  try {
    if (await loadSession()) {
      await startApp();
      return;
    }
  } catch (e) { /* no session endpoint, or the server is away: sign in */ }
  renderSignIn();
})();
