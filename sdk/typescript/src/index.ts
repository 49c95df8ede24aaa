/**
 * @loom/crons -- check-ins for Loom Crons from Node.js (>= 18), with no
 * dependencies: report when a job starts and how it ends, or wrap it in
 * `withMonitor`.  See the README's "SDKs" section.
 */

export { CronsClient } from "./client.js";
export { CronsApiError, CronsError, CronsNetworkError } from "./errors.js";
export type {
  CheckIn,
  CheckinErrorOptions,
  CheckinOkOptions,
  CheckinStartOptions,
  CrashClient,
  CrashEventId,
  CronSchedule,
  CronsClientOptions,
  CrontabSchedule,
  ErrorHandler,
  IntervalSchedule,
  MonitorConfig,
  Schedule,
  WithMonitorOptions,
} from "./types.js";
