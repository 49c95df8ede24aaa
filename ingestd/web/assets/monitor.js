/*
 * monitor.js -- one monitor's page (#/monitors/<slug>): health and
 * schedule, admin actions, stats with a duration chart and its p95 line,
 * the check-in history a page at a time, the ping URL and snippets; and
 * the create page (#/new).
 */
import { api, isAdmin } from "./api.js";
import { announce, copyButton, el, svg } from "./dom.js";
import { VIEWER_ZONE, ago, duration, healthBadge, scheduleWords, timeIn } from "./format.js";
import { monitorForm } from "./form.js";
import { snippets } from "./snippets.js";
import { putMonitor, store, subscribe } from "./store.js";

const HISTORY_PAGE = 50;
const CHART_MAX = 1000;
let unsubscribe = null;

function path(slug, rest = "") {
  return "/monitors/" + encodeURIComponent(slug) + rest;
}

/* --- the summary at the top, redrawn on every change --- */

function summary(m) {
  const muted = m.muted_until && Date.parse(m.muted_until) > Date.now();
  return el("section", { class: "summary", "aria-label": "Summary", "data-slug": m.slug,
    "data-health": m.health, "data-status": m.status },
    el("dl", {},
      el("dt", {}, "Health"), el("dd", {}, healthBadge(m.health)),
      el("dt", {}, "Status"), el("dd", { id: "m-status" }, m.status,
        muted ? " · muted until " + timeIn(m.muted_until, VIEWER_ZONE) : "",
        m.mute_window ? " · muted every " + m.mute_window.cron + " for " + m.mute_window.minutes +
          " min" : ""),
      el("dt", {}, "Schedule"), el("dd", {}, scheduleWords(m.schedule), " ",
        el("span", { class: "zone" }, "(" + m.timezone + ")")),
      el("dt", {}, "Next expected"), el("dd", {}, m.next_expected_at
        ? timeIn(m.next_expected_at, m.timezone) + " " + m.timezone + " · " +
          timeIn(m.next_expected_at, VIEWER_ZONE) + " your time (" + VIEWER_ZONE + ")" : "—"),
      el("dt", {}, "Last check-in"), el("dd", {}, m.last_checkin_at
        ? el("time", { datetime: m.last_checkin_at, title: m.last_checkin_at },
          ago(m.last_checkin_at)) : "never"),
      el("dt", {}, "Margin"), el("dd", {}, m.checkin_margin_minutes + " min" +
        (m.max_runtime_minutes ? " · max runtime " + m.max_runtime_minutes + " min" : ""))));
}

function actions(m, refresh) {
  const bar = el("div", { class: "actions", role: "group", "aria-label": "Actions" });
  const act = (label, method, rest, body, done) => {
    const b = el("button", { type: "button", id: "act-" + label.toLowerCase().replace(/ .*/, "") },
      label);
    b.addEventListener("click", async () => {
      b.disabled = true;
      try {
        const r = await api(method, path(m.slug, rest), body);
        announce(done);
        if (r && r.monitor) refresh(r.monitor);
        else refresh((await api("GET", path(m.slug))).monitor);
      } catch (e) {
        bar.querySelector(".error").textContent = e.message;
      } finally {
        b.disabled = false;
      }
    });
    return b;
  };
  if (m.status === "paused") bar.append(act("Resume", "POST", "/resume", undefined, "Resumed"));
  else bar.append(act("Pause", "POST", "/pause", undefined, "Paused"));
  const muted = (m.muted_until && Date.parse(m.muted_until) > Date.now()) || m.mute_window;
  if (muted) bar.append(act("Unmute", "DELETE", "/mute", undefined, "Unmuted"));
  else {
    const minutes = el("select", { id: "mute-minutes", "aria-label": "Mute for" },
      ...[[60, "1 hour"], [240, "4 hours"], [1440, "1 day"], [10080, "1 week"]].map(
        ([v, t]) => el("option", { value: v }, t)));
    const mute = el("button", { type: "button", id: "act-mute" }, "Mute alerts for");
    mute.addEventListener("click", async () => {
      mute.disabled = true;
      try {
        refresh((await api("POST", path(m.slug, "/mute"), { minutes: Number(minutes.value) }))
          .monitor || (await api("GET", path(m.slug))).monitor);
        announce("Muted");
      } catch (e) {
        bar.querySelector(".error").textContent = e.message;
      } finally {
        mute.disabled = false;
      }
    });
    bar.append(mute, minutes);
  }
  bar.append(el("p", { class: "error", role: "alert" }));
  return bar;
}

/* --- stats and the duration chart --- */

function statsBlock(s) {
  const fig = (label, v) => el("div", { class: "fig" }, el("dt", {}, label), el("dd", {}, v));
  return el("dl", { class: "figures", id: "stats" },
    fig("Uptime", s.uptime_percentage === null ? "—" : s.uptime_percentage + " %"),
    fig("Runs", String(s.total_checkins)),
    fig("Succeeded", String(s.successful_checkins)),
    fig("Failed", String(s.failed_checkins)),
    fig("Missed", String(s.missed_checkins)),
    fig("Timed out", String(s.timeout_checkins)),
    fig("Average", duration(s.avg_duration_ms)),
    fig("p95", duration(s.p95_duration_ms)));
}

/* The durations of the period's finished runs (those the history's first page holds). */
function chart(checkins, p95, from) {
  const W = 640, H = 160, PAD = 30;
  const runs = checkins.filter((c) => c.duration_ms !== null && Date.parse(c.created_at) >= from)
    .reverse();
  const box = svg("svg", { viewBox: `0 0 ${W} ${H}`, class: "chart", role: "img",
    "aria-label": runs.length ? `Durations of ${runs.length} runs; p95 ${duration(p95)}`
      : "No finished runs in this period" });
  if (!runs.length) {
    box.append(svg("text", { x: W / 2, y: H / 2, "text-anchor": "middle" }, "No finished runs"));
    return box;
  }
  const max = Math.max(1, p95 || 0, ...runs.map((c) => c.duration_ms)) * 1.1;
  /* runs side by side in their order; the axis names the first and the last */
  const pos = new Map(runs.map((c, i) => [c, i]));
  const x = (c) => PAD + (W - 2 * PAD) * (runs.length > 1 ? pos.get(c) / (runs.length - 1) : 0.5);
  const y = (v) => H - PAD + 10 - (H - PAD) * v / max;
  for (const [c, anchor] of [[runs[0], "start"], [runs.at(-1), "end"]]) {
    const t = svg("text", { x: anchor === "start" ? PAD : W - PAD, y: H - 4, "text-anchor": anchor });
    t.textContent = timeIn(c.created_at, VIEWER_ZONE);
    box.append(t);
  }
  box.append(svg("line", { x1: PAD, y1: y(0), x2: W - PAD, y2: y(0), class: "axis" }));
  const label = svg("text", { x: 2, y: 12, class: "axis-label" });
  label.textContent = duration(Math.round(max));
  box.append(label);
  const pts = runs.map((c) => `${x(c).toFixed(1)},${y(c.duration_ms).toFixed(1)}`).join(" ");
  box.append(svg("polyline", { points: pts, class: "line" }));
  for (const c of runs) {
    const dot = svg("circle", { cx: x(c).toFixed(1), cy: y(c.duration_ms).toFixed(1), r: 2.5,
      class: "dot d-" + c.status });
    const t = svg("title");
    t.textContent = c.created_at + ": " + duration(c.duration_ms) + " (" + c.status + ")";
    dot.append(t);
    box.append(dot);
  }
  if (p95 !== null && p95 !== undefined) {
    box.append(svg("line", { x1: PAD, y1: y(p95), x2: W - PAD, y2: y(p95), class: "p95",
      "data-p95": p95 }));
    const t = svg("text", { x: W - PAD, y: y(p95) - 4, "text-anchor": "end", class: "p95-label" });
    t.textContent = "p95 " + duration(p95);
    box.append(t);
  }
  return box;
}

async function loadStats(m, holder, period) {
  holder.setAttribute("aria-busy", "true");
  try {
    const [s, h] = await Promise.all([
      api("GET", path(m.slug, "/stats?period=" + period)),
      api("GET", path(m.slug, "/checkins?limit=" + CHART_MAX)),
    ]);
    holder.replaceChildren(statsBlock(s),
      chart(h.checkins, s.p95_duration_ms, Date.parse(s.from)));
  } catch (e) {
    holder.replaceChildren(el("p", { class: "error" }, e.message));
  } finally {
    holder.removeAttribute("aria-busy");
  }
}

/* --- history --- */

function historyRow(c) {
  const out = c.output ? el("details", {}, el("summary", {}, "output" +
    (c.output_truncated ? " (truncated)" : "")), el("pre", { class: "output" }, c.output)) : "";
  return el("tr", { "data-checkin": c.id, "data-status": c.status },
    el("td", {}, el("time", { datetime: c.created_at, title: c.created_at },
      timeIn(c.created_at, VIEWER_ZONE))),
    el("td", {}, el("span", { class: "cstatus c-" + c.status }, c.status.replace("_", " "))),
    el("td", {}, duration(c.duration_ms)),
    el("td", {}, c.exit_code === null ? "—" : String(c.exit_code)),
    el("td", {}, c.environment || "—", c.tracked === false ? " (untracked)" : ""),
    el("td", { class: "mono" }, c.crash_event_id || "—"),
    el("td", {}, out));
}

function history(m) {
  const tbody = el("tbody");
  const more = el("button", { type: "button", id: "more", hidden: true }, "Older check-ins");
  let cursor = null;
  async function page() {
    more.disabled = true;
    try {
      const r = await api("GET", path(m.slug, "/checkins?limit=" + HISTORY_PAGE +
        (cursor ? "&cursor=" + encodeURIComponent(cursor) : "")));
      const frag = document.createDocumentFragment();
      for (const c of r.checkins) frag.append(historyRow(c));
      tbody.append(frag);
      if (!tbody.children.length)
        tbody.append(el("tr", {}, el("td", { colspan: 7 }, "No check-ins yet.")));
      cursor = r.next_cursor || null;
      more.hidden = !cursor;
    } finally {
      more.disabled = false;
    }
  }
  more.addEventListener("click", page);
  page().catch(() => {});
  /* a check-in from the stream: new on top, or the run it finishes replaced */
  const live = (c) => {
    const row = historyRow(c);
    const old = tbody.querySelector(`tr[data-checkin="${CSS.escape(c.id)}"]`);
    if (old) old.replaceWith(row);
    else tbody.prepend(row);
    const empty = tbody.querySelector("tr:not([data-checkin])");
    if (empty) empty.remove();
  };
  const section = el("section", { "aria-labelledby": "h-history" },
    el("h2", { id: "h-history" }, "Check-ins"),
    el("div", { class: "table-wrap" }, el("table", { class: "history", id: "history" },
      el("thead", {}, el("tr", {}, ...["Time", "Status", "Duration", "Exit code", "Environment",
        "Crash id", "Output"].map((h) => el("th", { scope: "col" }, h)))),
      tbody)),
    more);
  return { section, live };
}

/* --- the page --- */

export async function renderMonitor(main, slug) {
  if (unsubscribe) unsubscribe();
  main.replaceChildren(el("p", { class: "loading" }, "Loading " + slug + "…"));
  let m;
  try {
    m = (await api("GET", path(slug))).monitor;
  } catch (e) {
    main.replaceChildren(el("h1", {}, slug), el("p", { class: "error", role: "alert" },
      e.status === 404 ? "There is no monitor " + slug + "." : e.message),
    el("a", { href: "#/" }, "All monitors"));
    return;
  }
  const head = el("div", { class: "head" });
  const statsHolder = el("div", { class: "stats-holder" });
  const period = el("select", { id: "period" }, el("option", { value: "day" }, "last day"),
    el("option", { value: "week" }, "last week"), el("option", { value: "month" }, "last month"));
  period.addEventListener("change", () => loadStats(m, statsHolder, period.value));
  const urlCode = el("code", { id: "ping-url" }, m.ping_url);

  function drawHead(next) {
    m = next;
    putMonitor(m);
    head.replaceChildren(el("h1", {}, m.name || m.slug), el("p", { class: "slug" }, m.slug),
      summary(m), isAdmin() ? actions(m, drawHead) : null);
    urlCode.textContent = m.ping_url;
  }
  drawHead(m);

  const snips = el("section", { "aria-labelledby": "h-snippets" },
    el("h2", { id: "h-snippets" }, "Report to it"),
    el("p", { class: "ping" }, "Ping URL: ", urlCode, " ",
      copyButton("Copy the ping URL", () => m.ping_url)),
    ...snippets(m).map(([title, text]) => el("details", { class: "snippet" },
      el("summary", {}, title),
      el("pre", {}, el("code", {}, text)),
      copyButton("Copy the " + title + " snippet", () => text))));

  const hist = history(m);
  const edit = isAdmin() ? el("section", { "aria-labelledby": "h-edit" },
    el("h2", { id: "h-edit" }, "Settings"),
    monitorForm(m, (saved) => drawHead(saved))) : null;

  main.replaceChildren(el("p", {}, el("a", { href: "#/" }, "← All monitors")), head,
    el("section", { "aria-labelledby": "h-stats" },
      el("div", { class: "row" }, el("h2", { id: "h-stats" }, "Stats"),
        el("label", { for: "period", class: "inline" }, "Period"), period),
      statsHolder),
    hist.section, snips, edit);
  loadStats(m, statsHolder, "day");

  unsubscribe = subscribe((what, s, ev) => {
    if (!head.isConnected) {
      unsubscribe();
      return;
    }
    if (s === m.slug && (what === "event" || what === "monitor")) {
      m = store.monitors.get(s) || m;
      head.querySelector(".summary").replaceWith(summary(m));
    }
    if (s === m.slug && what === "event" && ev.checkin) hist.live(ev.checkin);
  });
}

export function renderNew(main) {
  if (!isAdmin()) {
    main.replaceChildren(el("h1", {}, "New monitor"),
      el("p", { class: "error" }, "Creating monitors needs a token with the admin scope."));
    return;
  }
  main.replaceChildren(el("h1", {}, "New monitor"),
    monitorForm(null, (m) => {
      putMonitor(m);
      location.hash = "#/monitors/" + m.slug;
    }));
}
