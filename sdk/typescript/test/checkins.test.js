// The TypeScript SDK against a running Loom Crons (tests/e2e/test_sdk_typescript.py
// starts one and sets LOOM_URL, LOOM_TOKEN and LOOM_DOWN_URL, where nothing listens).
// Every test reads back through the API what the server recorded.

import assert from "node:assert/strict";
import http from "node:http";
import net from "node:net";
import { test } from "node:test";

import { CronsApiError, CronsClient, CronsError, CronsNetworkError } from "@loom/crons";

// LOOM_TOKEN has the checkins scope only, as a job's would; LOOM_ADMIN_TOKEN reads back.
const { LOOM_URL, LOOM_TOKEN, LOOM_ADMIN_TOKEN, LOOM_DOWN_URL } = process.env;
if (!LOOM_URL || !LOOM_TOKEN || !LOOM_ADMIN_TOKEN || !LOOM_DOWN_URL)
  throw new Error("set LOOM_URL, LOOM_TOKEN, LOOM_ADMIN_TOKEN and LOOM_DOWN_URL " +
    "(tests/e2e/test_sdk_typescript.py does)");

const CRON = { type: "cron", expression: "0 * * * *" };

function client(options = {}) {
  return new CronsClient({ apiKey: LOOM_TOKEN, baseUrl: LOOM_URL, ...options });
}

/** An admin API call; the parsed answer. */
async function api(method, path, body) {
  const res = await fetch(`${LOOM_URL}/api/crons${path}`, {
    method,
    headers: { Authorization: `Bearer ${LOOM_ADMIN_TOKEN}`, "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  assert.ok(res.ok, `${method} ${path}: ${res.status} ${text}`);
  return text ? JSON.parse(text) : null;
}

async function createMonitor(slug, extra = {}) {
  return api("POST", "/monitors", { slug, schedule: CRON, ...extra });
}

/** The monitor as the API shows it ({"monitor": {...}}, or bare from an older server). */
async function monitor(slug) {
  const answer = await api("GET", `/monitors/${slug}`);
  return answer.monitor ?? answer;
}

/** The monitor's check-ins, newest first. */
async function checkins(slug) {
  return (await api("GET", `/monitors/${slug}/checkins`)).checkins;
}

/** Collects what a client hands to onError. */
function collector() {
  const errors = [];
  return { errors, onError: (e) => errors.push(e) };
}

test("start then ok records one finished run", async () => {
  await createMonitor("ts-ok");
  const crons = client();
  const id = await crons.checkinStart("ts-ok", { environment: "production" });
  assert.match(id, /^chk_/);
  const [open] = await checkins("ts-ok");
  assert.equal(open.id, id);
  assert.equal(open.status, "in_progress");

  const done = await crons.checkinOk(id, { durationMs: 1234, output: "42 rows" });
  assert.equal(done.id, id);
  assert.equal(done.status, "ok");

  const list = await checkins("ts-ok");
  assert.equal(list.length, 1);
  const [c] = list;
  assert.deepEqual(
    [c.id, c.status, c.duration_ms, c.output, c.environment, c.source, c.exit_code],
    [id, "ok", 1234, "42 rows", "production", "sdk", null],
  );
  assert.ok(c.finished_at);
  assert.equal((await monitor("ts-ok")).health, "healthy");
});

test("start then error records exit code, output and crash event id", async () => {
  await createMonitor("ts-error");
  const crons = client();
  const id = await crons.checkinStart("ts-error");
  await crons.checkinError(id, { durationMs: 5120, exitCode: 2, output: "disk full", crashEventId: "4f1c2d" });
  const [c] = await checkins("ts-error");
  assert.deepEqual(
    [c.id, c.status, c.exit_code, c.duration_ms, c.output, c.crash_event_id],
    [id, "error", 2, 5120, "disk full", "4f1c2d"],
  );
  assert.equal((await monitor("ts-error")).health, "failing");
});

test("withMonitor returns the job's value and records ok with its duration", async () => {
  await createMonitor("ts-wrap-ok");
  const { errors, onError } = collector();
  const crons = client({ onError });
  const value = await crons.withMonitor("ts-wrap-ok", async () => {
    assert.equal((await checkins("ts-wrap-ok"))[0].status, "in_progress");
    await new Promise((r) => setTimeout(r, 30));
    return { rows: 42 };
  });
  assert.deepEqual(value, { rows: 42 });
  assert.deepEqual(errors, []);
  const list = await checkins("ts-wrap-ok");
  assert.equal(list.length, 1);
  assert.equal(list[0].status, "ok");
  assert.ok(list[0].duration_ms >= 25, `duration ${list[0].duration_ms}`);
  assert.match(list[0].run_id, /^[0-9a-f-]{36}$/);
});

test("withMonitor also runs a synchronous job", async () => {
  await createMonitor("ts-wrap-sync");
  assert.equal(await client().withMonitor("ts-wrap-sync", () => 7), 7);
  assert.equal((await checkins("ts-wrap-sync"))[0].status, "ok");
});

test("withMonitor rethrows the job's error unchanged and links the crash event", async () => {
  await createMonitor("ts-wrap-error");
  const captured = [];
  const crashClient = {
    captureException(e) {
      captured.push(e);
      return "e3b0c44298fc1c149afbf4c8996fb924";
    },
  };
  const { errors, onError } = collector();
  const crons = client({ crashClient, onError });
  class JobError extends Error {}
  const boom = new JobError("the backup failed");
  await assert.rejects(
    crons.withMonitor("ts-wrap-error", async () => {
      throw boom;
    }),
    (e) => e === boom,
  );
  assert.deepEqual(captured, [boom]);
  assert.deepEqual(errors, []);
  const [c] = await checkins("ts-wrap-error");
  assert.equal(c.status, "error");
  assert.equal(c.crash_event_id, "e3b0c44298fc1c149afbf4c8996fb924");
  assert.match(c.output, /^Error: the backup failed\n    at /); // with its stack
  assert.ok(c.duration_ms >= 0);
});

test("withMonitor awaits a crash client whose captureException returns a Promise", async () => {
  await createMonitor("ts-wrap-async-crash");
  const crashClient = {
    async captureException(e) {
      await new Promise((r) => setTimeout(r, 20)); // a round trip to the crash tracker
      return `evt-${e.message.length}`;
    },
  };
  const { errors, onError } = collector();
  const boom = new Error("twelve chars");
  await assert.rejects(
    client({ crashClient, onError }).withMonitor("ts-wrap-async-crash", () => Promise.reject(boom)),
    (e) => e === boom,
  );
  assert.deepEqual(errors, []);
  const [c] = await checkins("ts-wrap-async-crash");
  assert.deepEqual([c.status, c.crash_event_id], ["error", "evt-12"]);
});

test("withMonitor waits for the crash client at most timeoutMs, and survives its rejection", async () => {
  await createMonitor("ts-wrap-slow-crash");
  const { errors, onError } = collector();
  const silent = { captureException: () => new Promise(() => {}) }; // never settles
  const began = performance.now();
  await assert.rejects(
    client({ crashClient: silent, onError, timeoutMs: 300 }).withMonitor("ts-wrap-slow-crash", () => {
      throw new Error("slow");
    }),
    /slow/,
  );
  const took = performance.now() - began;
  assert.ok(took >= 290 && took < 3000, `took ${took} ms`);
  const failing = { captureException: () => Promise.reject(new Error("tracker down")) };
  await assert.rejects(
    client({ crashClient: failing, onError }).withMonitor("ts-wrap-slow-crash", () => {
      throw new Error("again");
    }),
    /again/,
  );
  assert.deepEqual(
    errors.map((e) => [e instanceof CronsError, e.message]),
    [
      [true, "the crash client gave no event id within 300 ms"],
      [true, "the crash client failed to capture the error"],
    ],
  );
  assert.equal(errors[1].cause.message, "tracker down");
  const list = await checkins("ts-wrap-slow-crash");
  assert.deepEqual(list.map((c) => [c.status, c.crash_event_id]), [["error", null], ["error", null]]);
});

test("withMonitor rethrows non-Error values too, and survives a failing crash client", async () => {
  await createMonitor("ts-wrap-throw");
  const { errors, onError } = collector();
  const crashClient = {
    captureException() {
      throw new Error("crash reporter down");
    },
  };
  const crons = client({ crashClient, onError });
  await assert.rejects(
    crons.withMonitor("ts-wrap-throw", () => {
      throw "plain string"; // eslint-disable-line no-throw-literal
    }),
    (e) => e === "plain string",
  );
  assert.equal(errors.length, 1);
  assert.ok(errors[0] instanceof CronsError);
  const [c] = await checkins("ts-wrap-throw");
  assert.deepEqual([c.status, c.output, c.crash_event_id], ["error", "plain string", null]);
});

test("monitorConfig creates the monitor, then updates it", async () => {
  const crons = client();
  const monitorConfig = {
    schedule: { type: "crontab", value: "0 3 * * *" },
    timezone: "Europe/Berlin",
    checkinMargin: 3,
    maxRuntime: 20,
    failureIssueThreshold: 2,
  };
  const id = await crons.checkinStart("ts-upsert", { monitorConfig });
  await crons.checkinOk(id);
  let m = await monitor("ts-upsert");
  assert.deepEqual(
    [m.schedule, m.timezone, m.checkin_margin_minutes, m.max_runtime_minutes, m.failure_issue_threshold],
    [{ type: "cron", expression: "0 3 * * *" }, "Europe/Berlin", 3, 20, 2],
  );

  await crons.withMonitor("ts-upsert", () => "done", {
    monitorConfig: { schedule: { type: "interval", value: 2, unit: "hour" }, checkinMargin: 10, maxRuntime: null },
  });
  m = await monitor("ts-upsert");
  assert.deepEqual(m.schedule, { type: "interval", value: 2, unit: "hour", minutes: 120 });
  assert.deepEqual([m.checkin_margin_minutes, m.max_runtime_minutes, m.timezone], [10, null, "Europe/Berlin"]);
  assert.deepEqual((await checkins("ts-upsert")).map((c) => c.status), ["ok", "ok"]);
});

test("a bad token is a CronsApiError with status 401", async () => {
  const crons = client({ apiKey: "loom_not_a_real_token" });
  const err = await crons.checkinStart("ts-ok").catch((e) => e);
  assert.ok(err instanceof CronsApiError, String(err));
  assert.ok(err instanceof CronsError);
  assert.deepEqual([err.status, err.code, err.field], [401, "unauthorized", "Authorization"]);
  assert.ok(err.message.length > 0);
});

test("a refused field is a CronsApiError naming it, and nothing is recorded", async () => {
  await createMonitor("ts-invalid");
  const err = await client().checkinStart("ts-invalid", { environment: "no spaces" }).catch((e) => e);
  assert.ok(err instanceof CronsApiError, String(err));
  assert.deepEqual([err.status, err.code, err.field], [400, "invalid_field", "environment"]);
  const missing = await client().checkinStart("ts-absent").catch((e) => e);
  assert.deepEqual([missing.status, missing.code], [404, "not_found"]);
  assert.deepEqual(await checkins("ts-invalid"), []);
});

test("server down: a CronsNetworkError, at once", async () => {
  const crons = new CronsClient({ apiKey: LOOM_TOKEN, baseUrl: LOOM_DOWN_URL });
  const began = performance.now();
  const err = await crons.checkinStart("ts-ok").catch((e) => e);
  assert.ok(err instanceof CronsNetworkError, String(err));
  assert.equal(err.timedOut, false);
  assert.match(err.message, /ECONNREFUSED/);
  assert.ok(performance.now() - began < 2000, "took too long");
});

test("no answer within timeoutMs: a CronsNetworkError that says it timed out", async (t) => {
  const sockets = [];
  const silent = net.createServer((s) => sockets.push(s)); // accepts, never answers
  await new Promise((r) => silent.listen(0, "127.0.0.1", r));
  t.after(() => {
    sockets.forEach((s) => s.destroy());
    silent.close();
  });
  const crons = new CronsClient({
    apiKey: LOOM_TOKEN,
    baseUrl: `http://127.0.0.1:${silent.address().port}`,
    timeoutMs: 200,
  });
  const began = performance.now();
  const err = await crons.checkinStart("ts-ok").catch((e) => e);
  assert.ok(err instanceof CronsNetworkError, String(err));
  assert.equal(err.timedOut, true);
  const took = performance.now() - began;
  assert.ok(took >= 190 && took < 2000, `took ${took} ms`);
});

test("withMonitor with the server down: the job's value and error survive, onError hears", async () => {
  const { errors, onError } = collector();
  const crons = new CronsClient({ apiKey: LOOM_TOKEN, baseUrl: LOOM_DOWN_URL, onError });
  assert.equal(await crons.withMonitor("ts-down", () => "result"), "result");
  assert.ok(errors.length >= 1 && errors.every((e) => e instanceof CronsNetworkError));
  const boom = new Error("job failed");
  await assert.rejects(
    crons.withMonitor("ts-down", () => Promise.reject(boom)),
    (e) => e === boom,
  );
});

test("withMonitor whose start got a 503 still records the run's end, as a finished check-in", async (t) => {
  await createMonitor("ts-retry");
  // In front of the server: the first request gets 503 (nothing recorded), the rest pass.
  const seen = [];
  const front = http.createServer(async (req, res) => {
    let body = "";
    for await (const chunk of req) body += chunk;
    seen.push(JSON.parse(body));
    if (seen.length === 1) {
      res.writeHead(503, { "Content-Type": "application/json" });
      res.end('{"error":{"code":"storage_unavailable","message":"try again","field":null}}');
      return;
    }
    const answer = await fetch(LOOM_URL + req.url, {
      method: req.method,
      headers: { Authorization: req.headers.authorization, "Content-Type": "application/json" },
      body,
    });
    res.writeHead(answer.status, { "Content-Type": "application/json" });
    res.end(await answer.text());
  });
  await new Promise((r) => front.listen(0, "127.0.0.1", r));
  t.after(() => front.close());
  const { errors, onError } = collector();
  const crons = client({ baseUrl: `http://127.0.0.1:${front.address().port}`, onError });

  assert.equal(await crons.withMonitor("ts-retry", () => "done", { environment: "staging" }), "done");
  assert.equal(errors.length, 1);
  assert.deepEqual([errors[0].status, errors[0].code], [503, "storage_unavailable"]);
  assert.deepEqual(seen.map((b) => b.status), ["in_progress", "ok"]);
  assert.equal(seen[1].run_id, seen[0].run_id);
  const list = await checkins("ts-retry");
  assert.equal(list.length, 1);
  assert.deepEqual([list[0].status, list[0].environment, list[0].run_id], ["ok", "staging", seen[0].run_id]);
});

test("withMonitor whose start was refused reports nothing more, and a throwing onError is ignored", async () => {
  await createMonitor("ts-refused");
  const crons = client({
    apiKey: "loom_not_a_real_token",
    onError: () => {
      throw new Error("handler bug");
    },
  });
  assert.equal(await crons.withMonitor("ts-refused", () => 1), 1);
  assert.deepEqual(await checkins("ts-refused"), []);
});

test("a disabled monitor records nothing: start gives null and finishing it is a no-op", async () => {
  await createMonitor("ts-disabled", { status: "disabled" });
  const crons = client();
  const id = await crons.checkinStart("ts-disabled");
  assert.equal(id, null);
  assert.equal(await crons.checkinOk(id), null);
  assert.equal(await crons.withMonitor("ts-disabled", () => "ran"), "ran");
  assert.deepEqual(await checkins("ts-disabled"), []);
});

test("output over 10 KiB is stored cut and flagged, not refused", async () => {
  await createMonitor("ts-long");
  const crons = client();
  const id = await crons.checkinStart("ts-long");
  await crons.checkinError(id, { output: "é".repeat(100_000) });
  const [c] = await checkins("ts-long");
  assert.equal(c.output_truncated, true);
  assert.ok(c.output.startsWith("éé"));
  assert.ok(Buffer.byteLength(c.output) <= 10240 + 3);
  // Control characters take six bytes each in JSON: still under the 64 KiB body limit.
  const escaped = await crons.checkinOk(await crons.checkinStart("ts-long"), { output: "\u0001".repeat(100_000) });
  assert.equal(escaped.output_truncated, true);
  assert.equal(escaped.output.length, 10240);
});

test("the constructor refuses a missing key or a bad URL", () => {
  assert.throws(() => new CronsClient({ apiKey: "", baseUrl: LOOM_URL }), TypeError);
  assert.throws(() => new CronsClient({ apiKey: "k", baseUrl: "not a url" }), TypeError);
  assert.throws(() => new CronsClient({ apiKey: "k", baseUrl: "ftp://x" }), TypeError);
  assert.throws(() => new CronsClient({ apiKey: "k", baseUrl: LOOM_URL, timeoutMs: 0 }), TypeError);
});
