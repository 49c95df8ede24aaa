/*
 * list.js -- the monitors view (#/): one row per monitor, built in one
 * DocumentFragment so 1,000 rows paint at once; the outcome strips are read
 * afterwards, a few at a time, for the rows in view.  Live events update
 * rows in place.
 */
import { api } from "./api.js";
import { announce, el } from "./dom.js";
import { HEALTH, VIEWER_ZONE, ago, healthBadge, scheduleWords, timeIn } from "./format.js";
import { store, subscribe } from "./store.js";

const STRIP_LEN = 30;
const STRIP_CONCURRENCY = 4;
const filters = { q: "", health: "", status: "", env: "" };

let rows = new Map();		/* slug -> tr */
let tbody = null;
let countEl = null;
let observer = null;
let unsubscribe = null;
let stripQueue = [];
let stripBusy = 0;

function nextCell(m) {
  if (!m.next_expected_at) return el("td", { class: "next" }, "—");
  const here = m.timezone !== VIEWER_ZONE;
  return el("td", { class: "next" },
    el("time", { datetime: m.next_expected_at }, timeIn(m.next_expected_at, m.timezone)),
    el("span", { class: "zone" }, " " + m.timezone),
    here ? el("br") : null,
    here ? el("span", { class: "viewer" }, timeIn(m.next_expected_at, VIEWER_ZONE) + " your time")
      : null);
}

function stripCell(slug) {
  const statuses = store.strips.get(slug);
  const td = el("td", { class: "strip-cell" });
  if (!statuses) {
    td.append(el("span", { class: "strip pending", "aria-label": "recent outcomes loading" }));
    return td;
  }
  const strip = el("span", { class: "strip", role: "img" });
  const counts = {};
  for (let i = statuses.length - 1; i >= 0; i--) {
    const s = statuses[i];
    counts[s] = (counts[s] || 0) + 1;
    strip.append(el("span", { class: "o o-" + s, title: s }));
  }
  const words = Object.keys(counts).map((k) => counts[k] + " " + k.replace("_", " ")).join(", ");
  strip.setAttribute("aria-label", statuses.length ? "last " + statuses.length + ": " + words
    : "no check-ins yet");
  if (!statuses.length) strip.append(el("span", { class: "none", "aria-hidden": "true" }, "no runs yet"));
  td.append(strip);
  return td;
}

function buildRow(m) {
  const tr = el("tr", { "data-slug": m.slug, "data-health": m.health, "data-status": m.status },
    el("th", { scope: "row", class: "name" },
      el("a", { href: "#/monitors/" + m.slug }, m.name || m.slug),
      el("span", { class: "slug" }, m.slug)),
    el("td", {}, healthBadge(m.health)),
    el("td", { class: "status s-" + m.status },
      m.status === "paused" ? el("span", { class: "icon", "aria-hidden": "true" }, "‖ ") : null,
      m.status, m.muted_until ? el("span", { class: "muted" }, " (muted)") : null),
    el("td", { class: "sched" }, scheduleWords(m.schedule)),
    nextCell(m),
    el("td", { class: "last" }, m.last_checkin_at
      ? el("time", { datetime: m.last_checkin_at, title: m.last_checkin_at }, ago(m.last_checkin_at))
      : "never"),
    stripCell(m.slug));
  return tr;
}

function matches(m) {
  if (filters.health && m.health !== filters.health) return false;
  if (filters.status && m.status !== filters.status) return false;
  // an empty list tracks every environment
  const envs = m.environments || [];
  if (filters.env && envs.length > 0 && !envs.includes(filters.env)) return false;
  if (filters.q) {
    const q = filters.q.toLowerCase();
    if (!m.slug.includes(q) && !(m.name || "").toLowerCase().includes(q)) return false;
  }
  return true;
}

function applyFilters() {
  let shown = 0;
  for (const m of store.monitors.values()) shown += matches(m);
  for (const [slug, tr] of rows) tr.hidden = !matches(store.monitors.get(slug));
  const all = store.monitors.size;
  countEl.textContent = shown === all ? all + " monitors" : shown + " of " + all + " monitors";
}

/* --- outcome strips: after the first paint, for rows scrolled into view --- */

function queueStrip(slug) {
  if (store.strips.has(slug) || stripQueue.includes(slug)) return;
  stripQueue.push(slug);
  pumpStrips();
}

function pumpStrips() {
  while (stripBusy < STRIP_CONCURRENCY && stripQueue.length) {
    const slug = stripQueue.shift();
    if (store.strips.has(slug) || !rows.has(slug)) continue;
    stripBusy++;
    api("GET", "/monitors/" + encodeURIComponent(slug) + "/checkins?limit=" + STRIP_LEN)
      .then((r) => {
        store.strips.set(slug, r.checkins.map((c) => c.status));
        redrawStrip(slug);
      })
      .catch(() => {})
      .finally(() => {
        stripBusy--;
        pumpStrips();
      });
  }
}

function redrawStrip(slug) {
  const tr = rows.get(slug);
  if (tr) tr.lastElementChild.replaceWith(stripCell(slug));
}

function observe(tr) {
  if (observer) observer.observe(tr);
}

/* --- drawing --- */

/*
 * The first screenful of rows goes in at once and paints; the rest follow
 * in chunks, each in a task of its own, so the first paint never waits for
 * the layout of 1,000 rows.  Rows are built in DocumentFragments.
 */
const FIRST_ROWS = 60;
const CHUNK_ROWS = 200;
let drawing = 0;		/* which drawRows the pending chunks belong to */
let unbuilt = new Set();	/* slugs whose rows a pending chunk will build */

/* Builds and appends the rows of slugs[from, to), from the store as it is now. */
function appendRows(slugs, from, to) {
  const frag = document.createDocumentFragment();
  const built = [];
  for (let i = from; i < to && i < slugs.length; i++) {
    const m = store.monitors.get(slugs[i]);
    unbuilt.delete(slugs[i]);
    if (!m) continue;
    const tr = buildRow(m);
    tr.hidden = !matches(m);
    rows.set(m.slug, tr);
    frag.append(tr);
    built.push(tr);
  }
  tbody.append(frag);
  return built;
}

function drawRows() {
  performance.mark("loom:rows-start");
  const generation = ++drawing;
  rows = new Map();
  const slugs = [...store.monitors.keys()].sort();
  unbuilt = new Set(slugs);
  tbody.replaceChildren();
  const first = appendRows(slugs, 0, FIRST_ROWS);
  applyFilters();
  envOptions();
  if (observer) observer.disconnect();
  observer = new IntersectionObserver((entries) => {
    for (const e of entries)
      if (e.isIntersecting) {
        observer.unobserve(e.target);
        queueStrip(e.target.dataset.slug);
      }
  }, { rootMargin: "200px" });
  /* for scripts/bench-dashboard: the first rows in the document, then on screen */
  performance.mark("loom:rows");
  const rest = (from) => {
    if (generation !== drawing || !tbody.isConnected) return;
    if (from === FIRST_ROWS) {
      performance.mark("loom:rows-painted");
      first.forEach(observe);	/* their strips, now that they are on screen */
    }
    appendRows(slugs, from, from + CHUNK_ROWS).forEach(observe);
    if (from + CHUNK_ROWS < slugs.length) {
      setTimeout(() => rest(from + CHUNK_ROWS), 0);
      return;
    }
    performance.mark("loom:all-rows");
    document.body.dataset.rows = String(rows.size);
  };
  /* after the first rows have painted */
  requestAnimationFrame(() => setTimeout(() => rest(FIRST_ROWS), 0));
}

function updateRow(slug, ev) {
  const m = store.monitors.get(slug);
  const old = rows.get(slug);
  if (!m || unbuilt.has(slug)) return;	/* its chunk will build it as it is then */
  if (!old) {
    drawRows();	/* a monitor new to the list */
    return;
  }
  const tr = buildRow(m);
  if (old.dataset.health !== m.health)
    announce((m.name || m.slug) + " is now " + (HEALTH[m.health] || HEALTH.unknown).text);
  old.replaceWith(tr);
  rows.set(slug, tr);
  tr.hidden = !matches(m);
  if (ev) {
    tr.classList.add("flash");
    setTimeout(() => tr.classList.remove("flash"), 1200);
  }
  if (!store.strips.has(slug)) observe(tr);
}

let envSelect = null;
function envOptions() {
  const envs = new Set();
  for (const m of store.monitors.values()) for (const e of m.environments || []) envs.add(e);
  const keep = envSelect.value;
  envSelect.replaceChildren(el("option", { value: "" }, "any"),
    ...[...envs].sort().map((e) => el("option", { value: e }, e)));
  envSelect.value = envs.has(keep) ? keep : "";
}

function select(id, label, key, options) {
  const s = el("select", { id },
    ...options.map(([v, t]) => el("option", { value: v }, t)));
  s.value = filters[key];
  s.addEventListener("change", () => {
    filters[key] = s.value;
    applyFilters();
  });
  return el("div", { class: "field" }, el("label", { for: id }, label), s);
}

export function renderList(main) {
  const search = el("input", { id: "f-search", type: "search", placeholder: "name or slug",
    value: filters.q, autocomplete: "off" });
  search.addEventListener("input", () => {
    filters.q = search.value.trim();
    applyFilters();
  });
  const health = select("f-health", "Health", "health",
    [["", "any"]].concat(Object.keys(HEALTH).map((h) => [h, HEALTH[h].text])));
  const status = select("f-status", "Status", "status",
    [["", "any"], ["active", "active"], ["paused", "paused"], ["disabled", "disabled"]]);
  const env = select("f-env", "Environment", "env", [["", "any"]]);
  envSelect = env.querySelector("select");
  countEl = el("p", { class: "count", role: "status" });
  tbody = el("tbody");
  main.replaceChildren(
    el("h1", {}, "Monitors"),
    el("form", { class: "filters", role: "search", onsubmit: (e) => e.preventDefault() },
      el("div", { class: "field" }, el("label", { for: "f-search" }, "Search"), search),
      health, status, env),
    countEl,
    el("div", { class: "table-wrap" },
      el("table", { class: "monitors", id: "monitors" },
        el("caption", { class: "visually-hidden" }, "Monitors, their health and recent runs"),
        el("colgroup", {}, ...["name", "health", "status", "sched", "next", "last", "strip"].map(
          (c) => el("col", { class: "col-" + c }))),
        el("thead", {}, el("tr", {},
          ...["Monitor", "Health", "Status", "Schedule", "Next expected", "Last check-in",
            "Last 30 runs"].map((h) => el("th", { scope: "col" }, h)))),
        tbody)));
  if (unsubscribe) unsubscribe();
  unsubscribe = subscribe((what, slug, detail) => {
    if (!tbody.isConnected) return;
    if (what === "reload") drawRows();
    else if (what === "monitor" || what === "event") updateRow(slug, what === "event" ? detail : null);
  });
  if (store.loaded) drawRows();
  else countEl.textContent = "Loading monitors…";
}

/* Stops the list's work when another view replaces it. */
export function leaveList() {
  if (unsubscribe) unsubscribe();
  unsubscribe = null;
  if (observer) observer.disconnect();
  stripQueue = [];
}
