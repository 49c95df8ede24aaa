/** Request bodies as the server reads them (snake_case JSON), and helpers. */

import { CronsApiError, CronsError } from "./errors.js";
import type { CheckinErrorOptions, MonitorConfig } from "./types.js";

/** The server keeps this many bytes of output and flags longer ones truncated. */
export const OUTPUT_MAX = 10240;

/** A crash event id the server accepts (anything else would refuse the check-in). */
const CRASH_ID = /^[A-Za-z0-9_-]{1,64}$/;

/** The members of a finishing check-in (POST or PATCH). */
export interface FinishBody {
  status: "ok" | "error";
  duration_ms?: number | undefined;
  exit_code?: number | undefined;
  output?: string | undefined;
  crash_event_id?: string | undefined;
}

export function monitorConfigBody(c: MonitorConfig | undefined): object | undefined {
  if (c === undefined) return undefined;
  return {
    schedule: c.schedule,
    timezone: c.timezone,
    checkin_margin: c.checkinMargin,
    max_runtime: c.maxRuntime,
    failure_issue_threshold: c.failureIssueThreshold,
    recovery_threshold: c.recoveryThreshold,
  };
}

export function finishBody(status: "ok" | "error", o: CheckinErrorOptions): FinishBody {
  return {
    status,
    duration_ms: o.durationMs === undefined ? undefined : Math.round(o.durationMs),
    exit_code: o.exitCode,
    output: clipOutput(o.output),
    crash_event_id: o.crashEventId,
  };
}

/**
 * Output longer than the server keeps, cut to just over OUTPUT_MAX bytes so
 * that the server still flags it truncated, and a huge log cannot make the
 * request too large (413).  Never splits a surrogate pair.
 */
export function clipOutput(s: string | undefined): string | undefined {
  if (s === undefined || s.length <= OUTPUT_MAX) return s;
  let end = OUTPUT_MAX + 1;
  const last = s.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end++;
  return s.slice(0, end);
}

/** The crash client's event id if the server would accept it. */
export function crashEventId(id: unknown): string | undefined {
  return typeof id === "string" && CRASH_ID.test(id) ? id : undefined;
}

/** A failed job's error as check-in output. */
export function describeError(err: unknown): string {
  if (err instanceof Error) return err.stack ?? `${err.name}: ${err.message}`;
  return String(err);
}

/** The API error of a non-2xx answer, from its JSON body when it has one. */
export function apiError(status: number, text: string): CronsApiError {
  try {
    const e = (JSON.parse(text) as { error?: { code?: unknown; message?: unknown; field?: unknown } }).error;
    if (e !== undefined && typeof e.code === "string" && typeof e.message === "string")
      return new CronsApiError(status, e.code, e.message, typeof e.field === "string" ? e.field : null);
  } catch {
    /* not JSON: a proxy's page, say */
  }
  return new CronsApiError(status, `http_${status}`, text.slice(0, 200) || `HTTP ${status}`);
}

/** One line for the default error handler. */
export function errorLine(e: CronsError): string {
  const where = e instanceof CronsApiError ? ` (${e.status} ${e.code})` : "";
  return `@loom/crons: ${e.name}${where}: ${e.message}`;
}
