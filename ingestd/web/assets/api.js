/*
 * api.js -- the API through the session cookie.  The cookie travels by
 * itself (same origin); every change also carries the session's CSRF
 * secret in X-Loom-CSRF, which a page of another site cannot read.
 */

export const session = { current: null };	/* {organization, scopes, expires_at, csrf} */
let onSignedOut = () => {};

export class ApiError extends Error {
  constructor(status, code, message, field) {
    super(message);
    this.status = status;
    this.code = code;
    this.field = field || null;
  }
}

export function whenSignedOut(fn) {
  onSignedOut = fn;
}

export function isAdmin() {
  return !!session.current && session.current.scopes.includes("admin");
}

export async function api(method, path, body) {
  const headers = {};
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (method !== "GET" && method !== "HEAD" && session.current)
    headers["X-Loom-CSRF"] = session.current.csrf;
  let res;
  try {
    res = await fetch("/api/crons" + path, { method, headers, credentials: "same-origin",
      body: body === undefined ? undefined : JSON.stringify(body) });
  } catch (e) {
    throw new ApiError(0, "network", "the server did not answer", null);
  }
  if (res.status === 204) return null;
  let data = null;
  try {
    data = await res.json();
  } catch (e) { /* not JSON: the status says enough */ }
  if (!res.ok) {
    const err = (data && data.error) || {};
    if (res.status === 401 && session.current && !path.startsWith("/session")) {
      session.current = null;
      onSignedOut("Your session has ended (signed out, expired, or its token was revoked).");
    }
    throw new ApiError(res.status, err.code || "http_" + res.status,
      err.message || res.statusText, err.field);
  }
  return data;
}

/* The session of the cookie this browser holds, or null. */
export async function loadSession() {
  try {
    session.current = (await api("GET", "/session")).session;
  } catch (e) {
    if (e.status !== 401) throw e;
    session.current = null;
  }
  return session.current;
}

export async function signIn(token) {
  session.current = (await api("POST", "/session", { token })).session;
  return session.current;
}

export async function signOut() {
  try {
    await api("DELETE", "/session");
  } finally {
    session.current = null;
  }
}
