/*
 * snippets.js -- ready-to-paste ways to report to a monitor, as the README
 * shows them, with this monitor's ping URL, slug and schedule filled in.
 */

function cronOf(m) {
  return m.schedule && m.schedule.type === "cron" ? m.schedule.expression : "0 * * * *";
}

function sdkSchedule(m) {
  const s = m.schedule || {};
  if (s.type === "cron") return { ts: `{ type: "crontab", value: ${JSON.stringify(s.expression)} }`,
    rust: `Schedule::cron(${JSON.stringify(s.expression)})` };
  return { ts: `{ type: "interval", value: ${s.value}, unit: ${JSON.stringify(s.unit)} }`,
    rust: `Schedule::interval(${s.value}, IntervalUnit::${s.unit[0].toUpperCase() + s.unit.slice(1)})` };
}

export function snippets(m) {
  const url = m.ping_url;
  const base = url.replace(/\/ping\/[^/]+$/, "");
  const sched = sdkSchedule(m);
  const slug = JSON.stringify(m.slug);
  return [
    ["crontab with curl", `# m h dom mon dow  command
${cronOf(m)}  /usr/local/bin/job && curl -fsS -m 10 --retry 3 -o /dev/null ${url} || curl -fsS -m 10 --retry 3 -o /dev/null ${url}/fail`],
    ["loom-run", `${cronOf(m)} loom-run --url ${base} --key ${m.ping_key} -- /usr/local/bin/job`],
    ["Kubernetes CronJob", `apiVersion: batch/v1
kind: CronJob
metadata:
  name: ${m.slug}
spec:
  schedule: "${cronOf(m)}"
  timeZone: "${m.timezone}"
  concurrencyPolicy: Forbid
  jobTemplate:
    spec:
      backoffLimit: 0
      template:
        spec:
          restartPolicy: Never
          containers:
            - name: ${m.slug}
              image: registry.example.com/${m.slug}:latest
              command: ["/bin/sh", "-c"]
              args:
                - |
                  curl -fsS -m 10 --retry 5 -o /dev/null "$PING/start"
                  /app/job; code=$?
                  curl -fsS -m 10 --retry 5 -o /dev/null "$PING/$code"
                  exit $code
              env:
                - name: PING
                  value: "${url}"   # or from a Secret: secretKeyRef`],
    ["TypeScript SDK", `import { CronsClient } from "@loom/crons";

const crons = new CronsClient({ apiKey: process.env.LOOM_TOKEN, baseUrl: "${base}" });

await crons.withMonitor(${slug}, () => job(), {
  monitorConfig: { schedule: ${sched.ts}, timezone: "${m.timezone}" },
});`],
    ["Rust SDK", `use loom_crons::{CheckInStart, CronsClient, IntervalUnit, MonitorConfig, Schedule};

let crons = CronsClient::builder()
    .api_key(std::env::var("LOOM_TOKEN")?)
    .base_url("${base}")
    .build()?;
let start = CheckInStart {
    monitor_config: Some(MonitorConfig::new(${sched.rust}).timezone("${m.timezone}")),
    ..Default::default()
};
let result = crons.with_monitor_opts(${slug}, start, || job()).await?;`],
    ["C SDK", `#include <loomcrons.h>

struct loom_error err;
struct loom_client *c = loom_client_new(&(struct loom_config){
    .base_url = "${base}", .api_key = getenv("LOOM_TOKEN") }, &err);
int rc = loom_with_monitor(c, ${slug}, job, arg, NULL, &err);  /* job's result */
loom_client_destroy(&c);
/* cc -o job job.c $(pkg-config --cflags --libs loomcrons) */`],
  ];
}
