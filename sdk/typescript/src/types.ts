/** Options and records of the check-in API (README, "SDK check-ins"). */

import type { CronsError } from "./errors.js";

/**
 * Where errors go that must not interrupt a job: reporting failures inside
 * `withMonitor` (the job's own result or error is never replaced).
 */
export type ErrorHandler = (error: CronsError) => void;

/** What a crash client's `captureException` gives: an event id, or none. */
export type CrashEventId = string | undefined | void;

/**
 * A crash reporter, shaped like Sentry's client: `Sentry` itself, or any
 * object whose `captureException` records an error and returns its event id
 * (or a Promise of it).  `withMonitor` links that id to the failed check-in
 * (`crash_event_id`), waiting for it at most the client's `timeoutMs`.
 */
export interface CrashClient {
  captureException(exception: unknown): CrashEventId | PromiseLike<CrashEventId>;
}

/** Options of `new CronsClient(...)`. */
export interface CronsClientOptions {
  /** An API token with the `checkins` (or `admin`) scope. */
  apiKey: string;
  /** The server's base URL, e.g. `"https://crons.example.com"`. */
  baseUrl: string;
  /** How long one request may take before it fails with `CronsNetworkError`; default 10000. */
  timeoutMs?: number;
  /** Captures a job's error in `withMonitor`; its event id is linked to the check-in. */
  crashClient?: CrashClient;
  /** Receives reporting failures in `withMonitor`; default: one `console.warn` line. */
  onError?: ErrorHandler;
}

/** A cron schedule: standard 5 fields, names, `L`, `W`, `#`, `@daily`, ... */
export interface CronSchedule {
  type: "cron";
  expression: string;
}

/** Sentry's form of a cron schedule. */
export interface CrontabSchedule {
  type: "crontab";
  value: string;
}

/** A fixed interval, e.g. `{ type: "interval", value: 2, unit: "hour" }`. */
export interface IntervalSchedule {
  type: "interval";
  value: number;
  unit: "minute" | "hour" | "day" | "week" | "month";
}

export type Schedule = CronSchedule | CrontabSchedule | IntervalSchedule;

/**
 * Creates the monitor on its first check-in, or updates it (as Sentry's
 * `monitorConfig` does).  Absent members keep their current value (or the
 * server default on creation).
 */
export interface MonitorConfig {
  schedule: Schedule;
  /** IANA time zone of the schedule, e.g. `"Europe/Berlin"`; default UTC. */
  timezone?: string;
  /** Minutes a run may be late before it counts as missed; default 5. */
  checkinMargin?: number;
  /** Minutes a run may take before it counts as timed out; `null` removes the limit. */
  maxRuntime?: number | null;
  /** Consecutive failed runs before the monitor is failing; default 1. */
  failureIssueThreshold?: number;
  /** Consecutive ok runs before it is healthy again; default 1. */
  recoveryThreshold?: number;
}

/** Options of `checkinStart`. */
export interface CheckinStartOptions {
  /** Environment name, e.g. `"production"`. */
  environment?: string;
  /** Creates or updates the monitor first. */
  monitorConfig?: MonitorConfig;
  /** A UUID that pairs this start with its finish. */
  runId?: string;
}

/** Options of `checkinOk`. */
export interface CheckinOkOptions {
  /** How long the run took; default: measured by the server from its start. */
  durationMs?: number;
  /** The run's output (the server keeps the first 10 KiB). */
  output?: string;
}

/** Options of `checkinError`. */
export interface CheckinErrorOptions extends CheckinOkOptions {
  /** The job's exit code, 0-255. */
  exitCode?: number;
  /** The id of the crash-tracking event of this failure (e.g. Sentry's event id). */
  crashEventId?: string;
}

/** Options of `withMonitor`. */
export interface WithMonitorOptions {
  /** Environment name, e.g. `"production"`. */
  environment?: string;
  /** Creates or updates the monitor first. */
  monitorConfig?: MonitorConfig;
  /** Receives reporting failures of this call instead of the client's `onError`. */
  onError?: ErrorHandler;
}

/** A check-in as the API shows it. */
export interface CheckIn {
  id: string;
  monitor_id: string;
  status: "in_progress" | "ok" | "error" | "missed" | "timeout";
  source: "ping" | "sdk" | "system";
  created_at: string | null;
  started_at: string | null;
  finished_at: string | null;
  duration_ms: number | null;
  exit_code: number | null;
  output: string | null;
  output_truncated: boolean;
  expected_at: string | null;
  environment: string | null;
  run_id: string | null;
  crash_event_id: string | null;
  timeout_at: string | null;
}
