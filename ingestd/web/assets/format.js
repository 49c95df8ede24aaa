/*
 * format.js -- words for what the API gives as codes: health (colour, icon
 * and text together, so no one needs to tell colours apart), schedules in
 * words, times in a zone, durations.
 */
import { el } from "./dom.js";

export const HEALTH = {
  healthy: { icon: "✓", text: "healthy" },
  failing: { icon: "✕", text: "failing" },
  missed: { icon: "!", text: "missed" },
  timeout: { icon: "◷", text: "timed out" },
  unknown: { icon: "?", text: "no data" },
};

export function healthBadge(health) {
  const h = HEALTH[health] || HEALTH.unknown;
  return el("span", { class: "health h-" + (HEALTH[health] ? health : "unknown") },
    el("span", { class: "icon", "aria-hidden": "true", text: h.icon }), " " + h.text);
}

export const STATUS = { active: "active", paused: "paused", disabled: "disabled" };

/* --- schedules in words --- */

const DAYS = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];
const DAY_NAMES = { sun: 0, mon: 1, tue: 2, wed: 3, thu: 4, fri: 5, sat: 6 };
const NICKNAMES = {
  "@yearly": "every year on January 1 at 00:00",
  "@annually": "every year on January 1 at 00:00",
  "@monthly": "on the 1st of every month at 00:00",
  "@weekly": "every Sunday at 00:00",
  "@daily": "every day at 00:00",
  "@midnight": "every day at 00:00",
  "@hourly": "every hour",
};

function plural(n, unit) {
  return n === 1 ? "every " + unit : "every " + n + " " + unit + "s";
}

function num(s) {
  return /^\d+$/.test(s) ? Number(s) : null;
}

function two(n) {
  return String(n).padStart(2, "0");
}

function ordinal(n) {
  const s = n % 100 >= 11 && n % 100 <= 13 ? "th" : ["th", "st", "nd", "rd"][n % 10] || "th";
  return n + s;
}

/* "1-5" -> "Monday to Friday", "1,3" -> "Monday and Wednesday"; null when not simple. */
function weekdays(field) {
  const day = (s) => {
    const d = num(s) !== null ? num(s) % 7 : DAY_NAMES[s.toLowerCase()];
    return d === undefined || d === null ? null : DAYS[d];
  };
  const range = field.match(/^(\w+)-(\w+)$/);
  if (range) {
    const a = day(range[1]), b = day(range[2]);
    return a && b ? a + " to " + b : null;
  }
  const names = field.split(",").map(day);
  if (names.some((n) => n === null)) return null;
  return names.length === 1 ? names[0] : names.slice(0, -1).join(", ") + " and " + names.at(-1);
}

/* The common cron forms in words; anything else is shown as the expression itself. */
export function cronWords(expr) {
  const e = expr.trim().replace(/\s+/g, " ");
  if (NICKNAMES[e.toLowerCase()]) return NICKNAMES[e.toLowerCase()];
  const f = e.split(" ");
  if (f.length !== 5) return "cron " + e;
  const [mi, ho, dom, mon, dow] = f;
  let step;
  if (dom === "*" && mon === "*" && dow === "*") {
    if (mi === "*" && ho === "*") return "every minute";
    if ((step = mi.match(/^\*\/(\d+)$/)) && ho === "*") return plural(Number(step[1]), "minute");
    if (num(mi) !== null && ho === "*") return "every hour at :" + two(num(mi));
    if (num(mi) !== null && (step = ho.match(/^\*\/(\d+)$/)))
      return plural(Number(step[1]), "hour") + " at :" + two(num(mi));
  }
  if (num(mi) === null || !/^\d+(,\d+)*$/.test(ho)) return "cron " + e;
  const at = "at " + ho.split(",").map((h) => two(Number(h)) + ":" + two(num(mi))).join(", ");
  if (mon !== "*") return "cron " + e;
  if (dom === "*" && dow === "*") return "every day " + at;
  if (dom === "*") {
    const days = weekdays(dow);
    return days ? "every " + days + " " + at : "cron " + e;
  }
  if (dow === "*") {
    if (dom === "L") return "on the last day of every month " + at;
    if (/^\d+$/.test(dom)) return "on the " + ordinal(Number(dom)) + " of every month " + at;
  }
  return "cron " + e;
}

export function scheduleWords(s) {
  if (!s) return "";
  if (s.type === "cron") return cronWords(s.expression);
  if (s.unit) return plural(s.value, s.unit);
  return plural(s.minutes, "minute");
}

/* --- times --- */

const formatters = new Map();
function formatter(zone) {
  let f = formatters.get(zone);
  if (!f) {
    try {
      f = new Intl.DateTimeFormat(undefined, { timeZone: zone, month: "short", day: "numeric",
        hour: "2-digit", minute: "2-digit", hourCycle: "h23" });
    } catch (e) {
      f = formatter("UTC");
    }
    formatters.set(zone, f);
  }
  return f;
}

export const VIEWER_ZONE = Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";

/* "Dec 6, 03:00" in zone. */
export function timeIn(iso, zone) {
  return iso ? formatter(zone).format(new Date(iso)) : "—";
}

export function ago(iso, now = Date.now()) {
  if (!iso) return "never";
  const s = Math.round((now - Date.parse(iso)) / 1000);
  if (s < 0) return "in " + ago(new Date(now - s * 1000).toISOString(), now).replace(" ago", "");
  if (s < 60) return s + " s ago";
  if (s < 3600) return Math.floor(s / 60) + " min ago";
  if (s < 86400) return Math.floor(s / 3600) + " h ago";
  return Math.floor(s / 86400) + " d ago";
}

export function duration(ms) {
  if (ms === null || ms === undefined) return "—";
  if (ms < 1000) return ms + " ms";
  if (ms < 60000) return (ms / 1000).toFixed(1) + " s";
  if (ms < 3600000) return Math.floor(ms / 60000) + " min " + Math.round((ms % 60000) / 1000) + " s";
  return (ms / 3600000).toFixed(1) + " h";
}
