/*
 * store.js -- the one copy of the monitors the page shows, kept current by
 * the event stream (no polling).  Views subscribe and redraw what changed.
 */
import { api } from "./api.js";

export const store = {
  monitors: new Map(),		/* slug -> monitor, as the API shows it */
  strips: new Map(),		/* slug -> the last 30 check-in statuses, newest first */
  loaded: false,
};

const listeners = new Set();
let source = null;
let lastEventId = "";	/* for a new EventSource to resume where the last one stopped */
let refetching = new Set();
let onStreamClosed = () => {};

export function subscribe(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

function emit(what, slug, detail) {
  for (const fn of listeners) fn(what, slug, detail);
}

/* Every monitor, a page of 1000 at a time. */
export async function loadMonitors() {
  const all = new Map();
  let cursor = null;
  do {
    const q = "/monitors?limit=1000" + (cursor ? "&cursor=" + encodeURIComponent(cursor) : "");
    const page = await api("GET", q);
    for (const m of page.monitors) all.set(m.slug, m);
    cursor = page.next_cursor;
  } while (cursor);
  store.monitors = all;
  store.loaded = true;
  emit("reload");
}

export function putMonitor(m) {
  store.monitors.set(m.slug, m);
  emit("monitor", m.slug);
}

export function dropMonitor(slug) {
  store.monitors.delete(slug);
  store.strips.delete(slug);
  emit("reload");
}

/* A monitor's next expected time is not in the events: read it again, once at a time. */
async function refetch(slug) {
  if (refetching.has(slug)) return;
  refetching.add(slug);
  try {
    await new Promise((r) => setTimeout(r, 300));	/* a burst of events: one read */
    putMonitor((await api("GET", "/monitors/" + encodeURIComponent(slug))).monitor);
  } catch (e) {
    if (e.status === 404) dropMonitor(slug);
  } finally {
    refetching.delete(slug);
  }
}

const CHECKIN_EVENTS = ["checkin.started", "checkin.ok", "checkin.error"];
const MONITOR_EVENTS = ["monitor.missed", "monitor.timeout", "monitor.healthy", "monitor.reminder"];

function onEvent(e) {
  let ev;
  if (e.lastEventId) lastEventId = e.lastEventId;
  try {
    ev = JSON.parse(e.data);
  } catch (err) {
    return;
  }
  const slug = ev.monitor_slug;
  const m = store.monitors.get(slug);
  if (!m) {
    refetch(slug);	/* created since the list was read */
    return;
  }
  if (ev.new_health) m.health = ev.new_health;
  if (ev.checkin && ev.tracked !== false) {
    m.last_checkin_at = ev.checkin.created_at;
    const strip = store.strips.get(slug);
    if (strip && ev.type !== "checkin.started") {
      strip.unshift(ev.checkin.status);
      strip.length = Math.min(strip.length, 30);
    }
  }
  emit("event", slug, ev);
  if (ev.type !== "checkin.started") refetch(slug);
}

/*
 * EventSource reconnects by itself and resumes with Last-Event-ID.  It gives
 * up on an error status (a revoked token, an ended session, streamd away):
 * then the app checks the session, and a new stream resumes from the last
 * event seen (?last_event_id=), so nothing from the gap is lost.
 */
export function startStream(closed) {
  stopStream();
  onStreamClosed = closed;
  /* the cookie goes along; a stream that ended resumes after its last event */
  source = new EventSource("/api/crons/stream" + (lastEventId ? "?last_event_id=" +
    encodeURIComponent(lastEventId) : ""));
  for (const t of CHECKIN_EVENTS.concat(MONITOR_EVENTS)) source.addEventListener(t, onEvent);
  source.addEventListener("reset", () => loadMonitors().catch(() => {}));
  source.addEventListener("open", () => emit("connection", null, "live"));
  source.addEventListener("error", () => {
    if (source && source.readyState === EventSource.CLOSED) {
      emit("connection", null, "closed");
      onStreamClosed();
    } else {
      emit("connection", null, "reconnecting");
    }
  });
}

/* forget: signing out; the next session starts live. */
export function stopStream(forget = false) {
  if (source) source.close();
  source = null;
  if (forget) lastEventId = "";
}
