/*
 * form.js -- the monitor form, for creating (#/new) and editing (admins):
 * schedule, zone, margin, max runtime, thresholds.  The API's validation
 * error names its field; the form shows it on that input (aria-invalid and
 * a message beside it).  While a cron expression is edited, the next five
 * times come from GET /schedule/preview, the engine that tracks monitors.
 */
import { api } from "./api.js";
import { announce, el } from "./dom.js";
import { VIEWER_ZONE, cronWords } from "./format.js";

const UNITS = ["minute", "hour", "day", "week", "month"];

/* The input an API field name belongs to (monitor_config.x and aliases included). */
const FIELD_INPUT = {
  slug: "m-slug", name: "m-name", schedule: "m-expression", timezone: "m-timezone",
  checkin_margin_minutes: "m-margin", checkin_margin: "m-margin",
  max_runtime_minutes: "m-runtime", max_runtime: "m-runtime",
  failure_issue_threshold: "m-failure", recovery_threshold: "m-recovery",
  environments: "m-envs", expression: "m-expression",
};

let zones = null;
function zoneList() {
  if (!zones) {
    zones = el("datalist", { id: "zones" });
    const names = Intl.supportedValuesOf ? Intl.supportedValuesOf("timeZone") : [VIEWER_ZONE];
    zones.append(...["UTC"].concat(names).map((z) => el("option", { value: z })));
  }
  return zones;
}

function field(id, label, input, help) {
  input.id = id;
  input.setAttribute("aria-describedby", id + "-error" + (help ? " " + id + "-help" : ""));
  return el("div", { class: "field", "data-field": id },
    el("label", { for: id }, label), input,
    help ? el("p", { class: "help", id: id + "-help" }, help) : null,
    el("p", { class: "error", id: id + "-error" }));
}

function clearErrors(form) {
  for (const i of form.querySelectorAll("[aria-invalid]")) i.removeAttribute("aria-invalid");
  for (const p of form.querySelectorAll(".field .error")) p.textContent = "";
  form.querySelector(".form-error").textContent = "";
}

function showError(form, err, interval) {
  let id = FIELD_INPUT[(err.field || "").replace(/^monitor_config\./, "")];
  if (id === "m-expression" && interval) id = "m-every";
  const input = id && form.querySelector("#" + id);
  if (input) {
    input.setAttribute("aria-invalid", "true");
    form.querySelector("#" + id + "-error").textContent = err.message;
    input.focus();
  } else {
    form.querySelector(".form-error").textContent = err.message;
  }
  announce("Not saved: " + err.message);
}

function intOrNull(v) {
  return v.trim() === "" ? null : Number(v);
}

/*
 * The form for monitor m (or a new one when m is null); saved(monitor) runs
 * after the API accepted it.
 */
export function monitorForm(m, saved) {
  const creating = !m;
  const s = (m && m.schedule) || { type: "cron", expression: "0 * * * *" };
  const type = el("select", {}, el("option", { value: "cron" }, "cron expression"),
    el("option", { value: "interval" }, "interval since the last check-in"));
  type.value = s.type === "interval" ? "interval" : "cron";
  const expr = el("input", { type: "text", value: s.type === "cron" ? s.expression : "0 * * * *",
    spellcheck: "false", autocomplete: "off", class: "mono" });
  const every = el("input", { type: "number", min: 1, value: s.value || 1 });
  const unit = el("select", {}, ...UNITS.map((u) => el("option", { value: u }, u + "s")));
  unit.value = s.unit || "hour";
  const zone = el("input", { type: "text", list: "zones", autocomplete: "off",
    value: (m && m.timezone) || "UTC" });
  const margin = el("input", { type: "number", min: 1, value: m ? m.checkin_margin_minutes : 5 });
  const runtime = el("input", { type: "number", min: 1,
    value: m && m.max_runtime_minutes ? m.max_runtime_minutes : "" });
  const failure = el("input", { type: "number", min: 1, value: m ? m.failure_issue_threshold : 1 });
  const recovery = el("input", { type: "number", min: 1, value: m ? m.recovery_threshold : 1 });
  const name = el("input", { type: "text", value: m ? m.name : "", autocomplete: "off" });
  const slug = el("input", { type: "text", pattern: "[a-z0-9_-]{1,64}", autocomplete: "off",
    spellcheck: "false", required: true });
  const words = el("p", { class: "help", id: "m-words", "aria-live": "polite" });
  const preview = el("ol", { class: "preview", id: "m-preview", "aria-live": "polite" });
  const cronPart = el("div", { class: "cron-part" },
    field("m-expression", "Cron expression", expr, "minute hour day-of-month month day-of-week"),
    words,
    el("div", { class: "preview-box" }, el("p", { class: "help" }, "Next 5 runs:"), preview));
  const intervalPart = el("div", { class: "interval-part row" },
    field("m-every", "Every", every), field("m-unit", "Unit", unit));
  const submit = el("button", { type: "submit", class: "primary" },
    creating ? "Create monitor" : "Save changes");
  const form = el("form", { class: "monitor-form", id: "monitor-form", novalidate: true },
    creating ? field("m-slug", "Slug", slug, "a-z, 0-9, _ and -, up to 64: its name in URLs")
      : null,
    field("m-name", "Name", name),
    field("m-type", "Schedule", type),
    cronPart, intervalPart,
    field("m-timezone", "Time zone", zone, "IANA name, e.g. Europe/Berlin"),
    el("div", { class: "row" },
      field("m-margin", "Check-in margin (minutes)", margin),
      field("m-runtime", "Max runtime (minutes)", runtime, "empty: no limit")),
    el("div", { class: "row" },
      field("m-failure", "Failures before alerting", failure),
      field("m-recovery", "Successes before recovered", recovery)),
    zoneList(),
    el("p", { class: "error form-error", role: "alert" }),
    submit);

  function showType() {
    const cron = type.value === "cron";
    cronPart.hidden = !cron;
    intervalPart.hidden = cron;
  }
  type.addEventListener("change", () => {
    showType();
    refreshPreview();
  });
  showType();

  let timer = null;
  let asked = 0;
  async function refreshPreview() {
    if (type.value !== "cron") return;
    words.textContent = cronWords(expr.value);
    const mine = ++asked;
    const q = "?expression=" + encodeURIComponent(expr.value.trim()) + "&timezone=" +
      encodeURIComponent(zone.value.trim() || "UTC") + "&count=5";
    try {
      const r = await api("GET", "/schedule/preview" + q);
      if (mine !== asked) return;
      preview.replaceChildren(...r.local.map((t) => el("li", {}, el("time", { datetime: t }, t))));
      preview.classList.remove("bad");
    } catch (e) {
      if (mine !== asked) return;
      preview.replaceChildren(el("li", {}, e.message));
      preview.classList.add("bad");
    }
  }
  function schedulePreview() {
    clearTimeout(timer);
    timer = setTimeout(refreshPreview, 250);
  }
  expr.addEventListener("input", schedulePreview);
  zone.addEventListener("change", schedulePreview);
  refreshPreview();

  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    clearErrors(form);
    const interval = type.value === "interval";
    const body = {
      name: name.value.trim() || (creating ? slug.value.trim() : m.name),
      schedule: interval ? { type: "interval", value: Number(every.value), unit: unit.value }
        : { type: "cron", expression: expr.value.trim() },
      timezone: zone.value.trim(),
      checkin_margin_minutes: intOrNull(margin.value),
      max_runtime_minutes: intOrNull(runtime.value),
      failure_issue_threshold: intOrNull(failure.value),
      recovery_threshold: intOrNull(recovery.value),
    };
    for (const k of ["checkin_margin_minutes", "failure_issue_threshold", "recovery_threshold"])
      if (body[k] === null) delete body[k];
    if (creating) body.slug = slug.value.trim();
    submit.disabled = true;
    try {
      const r = creating ? await api("POST", "/monitors", body)
        : await api("PATCH", "/monitors/" + encodeURIComponent(m.slug), body);
      announce(creating ? "Monitor created" : "Changes saved");
      saved(r.monitor);
    } catch (err) {
      showError(form, err, interval);
    } finally {
      submit.disabled = false;
    }
  });
  return form;
}
