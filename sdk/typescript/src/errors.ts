/**
 * The errors the SDK throws (from checkinStart, checkinOk, checkinError) and
 * hands to `onError` (from withMonitor, which never throws its own).
 */

/** Base class of every error of this SDK. */
export class CronsError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/**
 * The server refused a request and said why:
 * `{"error": {"code", "message", "field"}}` with an HTTP status (400 invalid
 * field, 401 unknown token, 403 scope or monitor limit, 404 unknown monitor
 * or check-in, 413, 415, 503 storage unreachable: nothing was recorded).
 */
export class CronsApiError extends CronsError {
  /** HTTP status, e.g. 401. */
  readonly status: number;
  /** Machine-readable code, e.g. `"unauthorized"` or `"invalid_field"`. */
  readonly code: string;
  /** The request member or header at fault, e.g. `"environment"`, if any. */
  readonly field: string | null;

  constructor(status: number, code: string, message: string, field: string | null = null) {
    super(message);
    this.status = status;
    this.code = code;
    this.field = field;
  }
}

/**
 * No answer from the server: it could not be reached (refused, DNS, TLS,
 * reset) or did not answer within the client's `timeoutMs`.  The check-in
 * may or may not have been recorded.
 */
export class CronsNetworkError extends CronsError {
  /** True when the request was abandoned after `timeoutMs`. */
  readonly timedOut: boolean;

  constructor(message: string, options: { cause?: unknown; timedOut?: boolean } = {}) {
    super(message, { cause: options.cause });
    this.timedOut = options.timedOut ?? false;
  }
}
