/**
 * CronsClient: check-ins of one Loom Crons server over HTTP (Node's global
 * fetch), and withMonitor, which reports a whole job run.
 */

import { randomUUID } from "node:crypto";

import { CronsApiError, CronsError, CronsNetworkError } from "./errors.js";
import type {
  CheckIn,
  CheckinErrorOptions,
  CheckinOkOptions,
  CheckinStartOptions,
  CrashClient,
  CronsClientOptions,
  ErrorHandler,
  WithMonitorOptions,
} from "./types.js";
import {
  apiError,
  crashEventId,
  describeError,
  errorLine,
  finishBody,
  monitorConfigBody,
  type FinishBody,
} from "./wire.js";

const VERSION = "0.1.0";

/** The answer to POST .../checkins; `id` is null when the monitor is disabled. */
interface Created {
  id: string | null;
}

/**
 * A client of one Loom Crons server.
 *
 * ```ts
 * const crons = new CronsClient({ apiKey: process.env.LOOM_TOKEN!, baseUrl: "https://crons.example.com" });
 * await crons.withMonitor("nightly-backup", () => backup());
 * ```
 */
export class CronsClient {
  readonly #apiKey: string;
  readonly #baseUrl: string;
  readonly #timeoutMs: number;
  readonly #crashClient: CrashClient | undefined;
  readonly #onError: ErrorHandler;

  /** Throws TypeError when `apiKey` or `baseUrl` is missing or malformed. */
  constructor(options: CronsClientOptions) {
    const { apiKey, baseUrl, timeoutMs = 10_000 } = options;
    if (typeof apiKey !== "string" || apiKey === "")
      throw new TypeError("CronsClient: apiKey is required");
    if (typeof baseUrl !== "string" || !/^https?:$/.test(new URL(baseUrl).protocol))
      throw new TypeError("CronsClient: baseUrl must be an http(s) URL");
    if (!(Number.isFinite(timeoutMs) && timeoutMs > 0))
      throw new TypeError("CronsClient: timeoutMs must be a positive number");
    this.#apiKey = apiKey;
    this.#baseUrl = baseUrl.replace(/\/+$/, "");
    this.#timeoutMs = timeoutMs;
    this.#crashClient = options.crashClient;
    this.#onError = options.onError ?? ((e) => console.warn(errorLine(e)));
  }

  /**
   * Reports that a run of the monitor `slug` started (`in_progress`).
   * Resolves to the check-in id that finishes it, or to null when the
   * monitor is disabled (nothing was recorded; finishing null is a no-op).
   * Rejects with CronsApiError or CronsNetworkError.
   */
  async checkinStart(slug: string, options: CheckinStartOptions = {}): Promise<string | null> {
    const created = (await this.#send("POST", monitorPath(slug), {
      status: "in_progress",
      environment: options.environment,
      run_id: options.runId,
      monitor_config: monitorConfigBody(options.monitorConfig),
    })) as Created;
    return created.id;
  }

  /** Reports that the run `id` succeeded; resolves to the stored check-in. */
  async checkinOk(id: string | null, options: CheckinOkOptions = {}): Promise<CheckIn | null> {
    return this.#finish(id, finishBody("ok", options));
  }

  /** Reports that the run `id` failed; resolves to the stored check-in. */
  async checkinError(id: string | null, options: CheckinErrorOptions = {}): Promise<CheckIn | null> {
    return this.#finish(id, finishBody("error", options));
  }

  /**
   * Runs `job` as one run of the monitor `slug`: reports its start, then ok
   * or error with the measured duration, and resolves or rejects exactly as
   * the job does (the same value, the same error object).
   *
   * A job error is first captured with the crash client, if there is one,
   * and its event id is linked to the check-in.  Reporting never throws:
   * its failures go to `options.onError` or the client's `onError`.  When
   * the start could not be reported for want of an answer (network, 5xx),
   * the end is still reported, as a finished check-in of the same run.
   */
  async withMonitor<T>(slug: string, job: () => T | Promise<T>, options: WithMonitorOptions = {}): Promise<T> {
    const onError = options.onError ?? this.#onError;
    const start = { environment: options.environment, monitorConfig: options.monitorConfig, runId: randomUUID() };
    let id: string | null = null;
    let unanswered = false;
    try {
      id = await this.checkinStart(slug, start);
    } catch (e) {
      unanswered = !(e instanceof CronsApiError && e.status < 500);
      report(onError, e);
    }
    const finish = async (body: FinishBody): Promise<void> => {
      try {
        if (id !== null) {
          await this.#finish(id, body);
        } else if (unanswered) {
          await this.#send("POST", monitorPath(slug), {
            ...body,
            environment: start.environment,
            run_id: start.runId,
            monitor_config: monitorConfigBody(start.monitorConfig),
          });
        }
      } catch (e) {
        report(onError, e);
      }
    };

    const began = performance.now();
    let value: T;
    try {
      value = await job();
    } catch (err) {
      const durationMs = performance.now() - began;
      const crashEventId = await this.#capture(err, onError);
      await finish(finishBody("error", { durationMs, output: describeError(err), crashEventId }));
      throw err;
    }
    await finish(finishBody("ok", { durationMs: performance.now() - began }));
    return value;
  }

  /**
   * The crash client's event id for err, if it gives a usable one (awaited
   * when it is a Promise, for at most timeoutMs: the job's outcome waits).
   */
  async #capture(err: unknown, onError: ErrorHandler): Promise<string | undefined> {
    if (this.#crashClient === undefined) return undefined;
    let eventId: unknown;
    try {
      eventId = await within(this.#crashClient.captureException(err), this.#timeoutMs, NO_ANSWER);
    } catch (e) {
      report(onError, new CronsError("the crash client failed to capture the error", { cause: e }));
      return undefined;
    }
    if (eventId === NO_ANSWER) {
      report(onError, new CronsError(`the crash client gave no event id within ${this.#timeoutMs} ms`));
      return undefined;
    }
    const valid = crashEventId(eventId);
    if (eventId != null && valid === undefined)
      report(onError, new CronsError(`the crash client returned an unusable event id: ${String(eventId)}`));
    return valid;
  }

  async #finish(id: string | null, body: FinishBody): Promise<CheckIn | null> {
    if (id === null) return null;
    return (await this.#send("PATCH", `/checkins/${encodeURIComponent(id)}`, body)) as CheckIn;
  }

  /** One API request; the parsed JSON answer, or a typed error. */
  async #send(method: string, path: string, body: object): Promise<unknown> {
    const url = `${this.#baseUrl}/api/crons${path}`;
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), this.#timeoutMs);
    let status: number;
    let text: string;
    try {
      const res = await fetch(url, {
        method,
        headers: {
          Authorization: `Bearer ${this.#apiKey}`,
          "Content-Type": "application/json",
          Accept: "application/json",
          "User-Agent": `loom-crons-js/${VERSION}`,
        },
        body: JSON.stringify(body),
        signal: abort.signal,
      });
      status = res.status;
      text = await res.text();
    } catch (e) {
      if (abort.signal.aborted)
        throw new CronsNetworkError(`${method} ${url}: no answer within ${this.#timeoutMs} ms`, {
          cause: e,
          timedOut: true,
        });
      throw new CronsNetworkError(`${method} ${url}: ${networkReason(e)}`, { cause: e });
    } finally {
      clearTimeout(timer);
    }
    if (status < 200 || status > 299) throw apiError(status, text);
    try {
      return JSON.parse(text);
    } catch {
      throw new CronsApiError(status, "invalid_response", `the answer is not JSON: ${text.slice(0, 200)}`);
    }
  }
}

/** What `within` resolves to when the value took too long. */
const NO_ANSWER = Symbol("no answer");

/** What `value` resolves to, or `late` if that takes longer than `ms`. */
async function within<T, L>(value: T | PromiseLike<T>, ms: number, late: L): Promise<T | L> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<L>((resolve) => {
    timer = setTimeout(resolve, ms, late);
  });
  try {
    return await Promise.race([value, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function monitorPath(slug: string): string {
  return `/monitors/${encodeURIComponent(slug)}/checkins`;
}

/** fetch's "fetch failed" says little; its cause says "connect ECONNREFUSED ...". */
function networkReason(e: unknown): string {
  const cause = (e as { cause?: unknown } | null)?.cause;
  if (cause instanceof Error) return cause.message;
  return e instanceof Error ? e.message : String(e);
}

/** Hands a reporting failure to the handler, which must not break the job either. */
function report(onError: ErrorHandler, e: unknown): void {
  const err = e instanceof CronsError ? e : new CronsError(String(e), { cause: e });
  try {
    onError(err);
  } catch {
    /* a throwing handler must not replace the job's own outcome */
  }
}
