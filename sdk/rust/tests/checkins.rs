//! The Rust SDK against a running Loom Crons (tests/e2e/test_sdk_rust.py starts
//! one and sets LOOM_URL, LOOM_TOKEN with the checkins scope, LOOM_ADMIN_TOKEN,
//! and LOOM_DOWN_URL, where nothing listens).  Every test reads back through
//! the API what the server recorded.

use std::fmt::Display;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use loom_crons::{
    CaptureFuture, CheckInError, CheckInOk, CheckInStart, CheckInStatus, CrashClient, CronsClient,
    CronsClientBuilder, Error, IntervalUnit, MonitorConfig, Schedule,
};
use serde_json::{json, Value};

fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| {
        panic!("set LOOM_URL, LOOM_TOKEN, LOOM_ADMIN_TOKEN and LOOM_DOWN_URL (tests/e2e/test_sdk_rust.py does)")
    })
}

fn builder() -> CronsClientBuilder {
    CronsClient::builder()
        .api_key(env("LOOM_TOKEN"))
        .base_url(env("LOOM_URL"))
}

fn client() -> CronsClient {
    builder().build().unwrap()
}

/// A client whose reporting failures are collected.
fn collecting(b: CronsClientBuilder) -> (CronsClient, Arc<Mutex<Vec<String>>>) {
    let errors = Arc::new(Mutex::new(Vec::new()));
    let sink = errors.clone();
    let client = b
        .on_error(move |e: &Error| sink.lock().unwrap().push(format!("{:?}", e)))
        .build()
        .unwrap();
    (client, errors)
}

/// An admin API call; the parsed answer.
async fn api(method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
    let url = format!("{}/api/crons{}", env("LOOM_URL"), path);
    let mut req = reqwest::Client::new()
        .request(method.clone(), &url)
        .bearer_auth(env("LOOM_ADMIN_TOKEN"));
    if let Some(body) = body {
        req = req.json(&body);
    }
    let resp = req.send().await.unwrap();
    let status = resp.status();
    let text = resp.text().await.unwrap();
    assert!(
        status.is_success(),
        "{} {}: {} {}",
        method,
        path,
        status,
        text
    );
    serde_json::from_str(&text).unwrap_or(Value::Null)
}

async fn create_monitor(slug: &str, extra: Value) {
    let mut body = json!({"slug": slug, "schedule": {"type": "cron", "expression": "0 * * * *"}});
    body.as_object_mut()
        .unwrap()
        .extend(extra.as_object().unwrap().clone());
    api(reqwest::Method::POST, "/monitors", Some(body)).await;
}

/// The monitor as the API shows it ({"monitor": {...}}, or bare from an older server).
async fn monitor(slug: &str) -> Value {
    let answer = api(reqwest::Method::GET, &format!("/monitors/{}", slug), None).await;
    match answer.get("monitor") {
        Some(m) => m.clone(),
        None => answer,
    }
}

/// The monitor's check-ins, newest first.
async fn checkins(slug: &str) -> Vec<Value> {
    let v = api(
        reqwest::Method::GET,
        &format!("/monitors/{}/checkins", slug),
        None,
    )
    .await;
    v["checkins"].as_array().unwrap().clone()
}

#[tokio::test]
async fn start_then_ok_records_one_finished_run() {
    create_monitor("rs-ok", json!({})).await;
    let crons = client();
    let start = CheckInStart {
        environment: Some("production".into()),
        ..Default::default()
    };
    let id = crons.checkin_start_opts("rs-ok", start).await.unwrap();
    assert!(id.as_str().unwrap().starts_with("chk_"), "{}", id);
    assert_eq!(checkins("rs-ok").await[0]["status"], "in_progress");

    let done = crons
        .checkin_ok(
            &id,
            CheckInOk {
                duration_ms: Some(1234),
                output: Some("42 rows".into()),
            },
        )
        .await
        .unwrap()
        .expect("recorded");
    assert_eq!(
        (Some(done.id.as_str()), done.status),
        (id.as_str(), CheckInStatus::Ok)
    );

    let list = checkins("rs-ok").await;
    assert_eq!(list.len(), 1);
    let c = &list[0];
    assert_eq!(
        (
            &c["id"],
            &c["status"],
            &c["duration_ms"],
            &c["output"],
            &c["environment"],
            &c["source"]
        ),
        (
            &json!(id.as_str()),
            &json!("ok"),
            &json!(1234),
            &json!("42 rows"),
            &json!("production"),
            &json!("sdk")
        )
    );
    assert_eq!(monitor("rs-ok").await["health"], "healthy");
}

#[tokio::test]
async fn start_then_error_records_exit_code_output_and_crash_event_id() {
    create_monitor("rs-error", json!({})).await;
    let crons = client();
    let id = crons.checkin_start("rs-error").await.unwrap();
    let c = crons
        .checkin_error(
            &id,
            CheckInError {
                duration_ms: Some(5120),
                exit_code: Some(2),
                output: Some("disk full".into()),
                crash_event_id: Some("4f1c2d".into()),
            },
        )
        .await
        .unwrap()
        .expect("recorded");
    assert_eq!(c.status, CheckInStatus::Error);
    let c = &checkins("rs-error").await[0];
    assert_eq!(
        (
            &c["id"],
            &c["status"],
            &c["exit_code"],
            &c["duration_ms"],
            &c["output"],
            &c["crash_event_id"]
        ),
        (
            &json!(id.as_str()),
            &json!("error"),
            &json!(2),
            &json!(5120),
            &json!("disk full"),
            &json!("4f1c2d")
        )
    );
    assert_eq!(monitor("rs-error").await["health"], "failing");
}

#[tokio::test]
async fn with_monitor_returns_the_jobs_value_and_records_ok_with_its_duration() {
    create_monitor("rs-wrap-ok", json!({})).await;
    let (crons, errors) = collecting(builder());
    let value: Result<u32, std::io::Error> = crons
        .with_monitor("rs-wrap-ok", || async {
            assert_eq!(checkins("rs-wrap-ok").await[0]["status"], "in_progress");
            tokio::time::sleep(Duration::from_millis(30)).await;
            Ok(42)
        })
        .await;
    assert_eq!(value.unwrap(), 42);
    assert!(errors.lock().unwrap().is_empty(), "{:?}", errors);
    let list = checkins("rs-wrap-ok").await;
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["status"], "ok");
    assert!(
        list[0]["duration_ms"].as_u64().unwrap() >= 25,
        "{}",
        list[0]
    );
    assert_eq!(list[0]["run_id"].as_str().unwrap().len(), 36);
}

#[derive(Debug, PartialEq)]
struct JobError(&'static str);

impl Display for JobError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "job failed: {}", self.0)
    }
}

#[tokio::test]
async fn with_monitor_returns_the_jobs_error_unchanged_and_links_the_crash_event() {
    create_monitor("rs-wrap-error", json!({})).await;
    let captured = Arc::new(Mutex::new(Vec::new()));
    let seen = captured.clone();
    let (crons, errors) = collecting(builder().crash_client(&move |e: &dyn Display| {
        seen.lock().unwrap().push(e.to_string());
        Some("e3b0c44298fc1c149afbf4c8996fb924".to_string())
    }));
    let result: Result<(), JobError> = crons
        .with_monitor("rs-wrap-error", || async { Err(JobError("disk full")) })
        .await;
    assert_eq!(result, Err(JobError("disk full")));
    assert_eq!(*captured.lock().unwrap(), ["job failed: disk full"]);
    assert!(errors.lock().unwrap().is_empty(), "{:?}", errors);
    let c = &checkins("rs-wrap-error").await[0];
    assert_eq!(
        (&c["status"], &c["output"], &c["crash_event_id"]),
        (
            &json!("error"),
            &json!("job failed: disk full"),
            &json!("e3b0c44298fc1c149afbf4c8996fb924")
        )
    );
}

#[tokio::test]
async fn with_monitor_reports_a_panic_as_an_error_and_resumes_it() {
    create_monitor("rs-wrap-panic", json!({})).await;
    let crons = client();
    let task = tokio::spawn(async move {
        let _: Result<(), JobError> = crons
            .with_monitor("rs-wrap-panic", || async { panic!("index out of range") })
            .await;
    });
    let panic = task.await.unwrap_err().into_panic();
    assert_eq!(panic.downcast_ref::<&str>(), Some(&"index out of range"));
    let c = &checkins("rs-wrap-panic").await[0];
    assert_eq!(
        (&c["status"], &c["output"]),
        (&json!("error"), &json!("panicked: index out of range"))
    );
}

#[tokio::test]
async fn an_unusable_crash_event_id_is_dropped_and_the_run_still_recorded() {
    create_monitor("rs-bad-crash", json!({})).await;
    let (crons, errors) =
        collecting(builder().crash_client(&|_: &dyn Display| Some("not valid!".to_string())));
    let result: Result<(), JobError> = crons
        .with_monitor("rs-bad-crash", || async { Err(JobError("x")) })
        .await;
    assert!(result.is_err());
    assert_eq!(errors.lock().unwrap().len(), 1);
    let c = &checkins("rs-bad-crash").await[0];
    assert_eq!(
        (&c["status"], &c["crash_event_id"]),
        (&json!("error"), &Value::Null)
    );
}

/// A crash tracker that captures over the network, as a real one does.
#[derive(Clone)]
struct Tracker {
    answer_after: Duration,
}

impl CrashClient for Tracker {
    fn capture_error(&self, error: &dyn Display) -> CaptureFuture<'_> {
        let message = error.to_string();
        Box::pin(async move {
            tokio::time::sleep(self.answer_after).await;
            Some(format!("evt-{}", message.len()))
        })
    }
}

#[tokio::test]
async fn with_monitor_awaits_an_async_crash_client_held_by_reference() {
    create_monitor("rs-async-crash", json!({})).await;
    let tracker = Arc::new(Tracker {
        answer_after: Duration::from_millis(20),
    });
    let (crons, errors) = collecting(builder().crash_client(&tracker));
    let result: Result<(), JobError> = crons
        .with_monitor("rs-async-crash", || async { Err(JobError("12345")) })
        .await;
    assert_eq!(result, Err(JobError("12345")));
    assert!(errors.lock().unwrap().is_empty(), "{:?}", errors);
    let c = &checkins("rs-async-crash").await[0];
    assert_eq!(
        (&c["status"], &c["crash_event_id"]),
        (&json!("error"), &json!("evt-17")) // "job failed: 12345"
    );
}

#[tokio::test]
async fn with_monitor_waits_for_the_crash_client_at_most_the_timeout() {
    create_monitor("rs-slow-crash", json!({})).await;
    let tracker = Tracker {
        answer_after: Duration::from_secs(60),
    };
    let (crons, errors) = collecting(
        builder()
            .timeout(Duration::from_millis(300))
            .crash_client(&tracker),
    );
    let began = Instant::now();
    let result: Result<(), JobError> = crons
        .with_monitor("rs-slow-crash", || async { Err(JobError("slow")) })
        .await;
    assert!(result.is_err());
    let took = began.elapsed();
    assert!(
        took >= Duration::from_millis(290) && took < Duration::from_secs(5),
        "took {:?}",
        took
    );
    let errors = errors.lock().unwrap().clone();
    assert!(
        errors.len() == 1 && errors[0].contains("no event id within 300 ms"),
        "{:?}",
        errors
    );
    let c = &checkins("rs-slow-crash").await[0];
    assert_eq!(
        (&c["status"], &c["crash_event_id"]),
        (&json!("error"), &Value::Null)
    );
}

#[tokio::test]
async fn monitor_config_creates_the_monitor_then_updates_it() {
    let crons = client();
    let config = MonitorConfig::new(Schedule::cron("0 3 * * *"))
        .timezone("Europe/Berlin")
        .checkin_margin(3)
        .max_runtime(20)
        .failure_issue_threshold(2);
    let start = CheckInStart {
        monitor_config: Some(config),
        ..Default::default()
    };
    let id = crons.checkin_start_opts("rs-upsert", start).await.unwrap();
    crons.checkin_ok(id, CheckInOk::default()).await.unwrap();
    let m = monitor("rs-upsert").await;
    assert_eq!(
        (
            &m["schedule"],
            &m["timezone"],
            &m["checkin_margin_minutes"],
            &m["max_runtime_minutes"]
        ),
        (
            &json!({"type": "cron", "expression": "0 3 * * *"}),
            &json!("Europe/Berlin"),
            &json!(3),
            &json!(20)
        )
    );
    assert_eq!(m["failure_issue_threshold"], 2);

    let opts = CheckInStart {
        monitor_config: Some(
            MonitorConfig::new(Schedule::interval(2, IntervalUnit::Hour))
                .checkin_margin(10)
                .no_max_runtime(),
        ),
        ..Default::default()
    };
    let r: Result<&str, String> = crons
        .with_monitor_opts("rs-upsert", opts, || async { Ok("done") })
        .await;
    assert_eq!(r, Ok("done"));
    let m = monitor("rs-upsert").await;
    assert_eq!(
        m["schedule"],
        json!({"type": "interval", "value": 2, "unit": "hour", "minutes": 120})
    );
    assert_eq!(
        (
            &m["checkin_margin_minutes"],
            &m["timezone"],
            &m["max_runtime_minutes"]
        ),
        (&json!(10), &json!("Europe/Berlin"), &Value::Null)
    );
    let statuses: Vec<Value> = checkins("rs-upsert")
        .await
        .iter()
        .map(|c| c["status"].clone())
        .collect();
    assert_eq!(statuses, [json!("ok"), json!("ok")]);
}

#[tokio::test]
async fn a_bad_token_is_an_api_error_with_status_401() {
    let crons = builder().api_key("loom_not_a_real_token").build().unwrap();
    match crons.checkin_start("rs-ok").await {
        Err(Error::Api {
            status,
            code,
            message,
            field,
        }) => {
            assert_eq!(
                (status, code.as_str(), field.as_deref()),
                (401, "unauthorized", Some("Authorization"))
            );
            assert!(!message.is_empty());
        }
        other => panic!("expected Error::Api, got {:?}", other),
    }
}

#[tokio::test]
async fn a_refused_field_is_an_api_error_naming_it_and_nothing_is_recorded() {
    create_monitor("rs-invalid", json!({})).await;
    let start = CheckInStart {
        environment: Some("no spaces".into()),
        ..Default::default()
    };
    match client().checkin_start_opts("rs-invalid", start).await {
        Err(Error::Api {
            status,
            code,
            field,
            ..
        }) => {
            assert_eq!(
                (status, code.as_str(), field.as_deref()),
                (400, "invalid_field", Some("environment"))
            )
        }
        other => panic!("expected Error::Api, got {:?}", other),
    }
    let missing = client()
        .checkin_start("rs-absent")
        .await
        .unwrap_err();
    assert_eq!(missing.status(), Some(404));
    assert!(checkins("rs-invalid").await.is_empty());
}

#[tokio::test]
async fn server_down_is_a_network_error_at_once() {
    let crons = CronsClient::builder()
        .api_key(env("LOOM_TOKEN"))
        .base_url(env("LOOM_DOWN_URL"))
        .build()
        .unwrap();
    let began = Instant::now();
    match crons.checkin_start("rs-ok").await {
        Err(Error::Network(e)) => {
            assert!(e.is_connect() && !e.is_timeout(), "{}", e);
            // Each cause once: reqwest and hyper print their causes themselves.
            assert_eq!(e.to_string().matches("Connection refused").count(), 1, "{}", e);
        }
        other => panic!("expected Error::Network, got {:?}", other),
    }
    assert!(
        began.elapsed() < Duration::from_secs(2),
        "took {:?}",
        began.elapsed()
    );
}

#[tokio::test]
async fn no_answer_within_the_timeout_is_a_network_error_that_says_so() {
    // Connections complete in the kernel's backlog and are never answered.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let crons = CronsClient::builder()
        .api_key("k")
        .base_url(format!("http://{}", silent.local_addr().unwrap()))
        .timeout(Duration::from_millis(200))
        .build()
        .unwrap();
    let began = Instant::now();
    match crons.checkin_start("rs-ok").await {
        Err(Error::Network(e)) => assert!(e.is_timeout(), "{}", e),
        other => panic!("expected Error::Network, got {:?}", other),
    }
    let took = began.elapsed();
    assert!(
        took >= Duration::from_millis(190) && took < Duration::from_secs(2),
        "took {:?}",
        took
    );
}

#[tokio::test]
async fn with_monitor_with_the_server_down_keeps_the_jobs_result() {
    let (crons, errors) = collecting(
        CronsClient::builder()
            .api_key(env("LOOM_TOKEN"))
            .base_url(env("LOOM_DOWN_URL")),
    );
    let ok: Result<&str, JobError> = crons
        .with_monitor("rs-down", || async { Ok("result") })
        .await;
    assert_eq!(ok, Ok("result"));
    let failed: Result<(), JobError> = crons
        .with_monitor("rs-down", || async { Err(JobError("y")) })
        .await;
    assert_eq!(failed, Err(JobError("y")));
    let errors = errors.lock().unwrap();
    assert!(
        !errors.is_empty() && errors.iter().all(|e| e.starts_with("Network(")),
        "{:?}",
        errors
    );
}

/// Reads one HTTP request from `conn`; its body.
async fn read_request(conn: &mut tokio::net::TcpStream) -> Value {
    use tokio::io::AsyncReadExt;
    let mut buf = Vec::new();
    loop {
        let mut chunk = [0u8; 4096];
        let n = conn.read(&mut chunk).await.unwrap();
        assert!(n > 0, "connection closed mid-request");
        buf.extend_from_slice(&chunk[..n]);
        let text = String::from_utf8_lossy(&buf);
        if let Some(end) = text.find("\r\n\r\n") {
            let length: usize = text[..end]
                .lines()
                .find_map(|l| {
                    l.to_ascii_lowercase()
                        .strip_prefix("content-length:")
                        .map(|v| v.trim().parse().unwrap())
                })
                .unwrap_or(0);
            if buf.len() >= end + 4 + length {
                return serde_json::from_slice(&buf[end + 4..end + 4 + length]).unwrap();
            }
        }
    }
}

#[tokio::test]
async fn with_monitor_whose_start_got_a_503_still_records_the_runs_end() {
    use tokio::io::AsyncWriteExt;
    create_monitor("rs-retry", json!({})).await;
    // In front of the server: the first connection gets 503 (nothing recorded)
    // and is closed; later ones pass through.
    let front = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = front.local_addr().unwrap();
    let upstream = env("LOOM_URL").trim_start_matches("http://").to_string();
    let proxy = tokio::spawn(async move {
        let (mut conn, _) = front.accept().await.unwrap();
        let first = read_request(&mut conn).await;
        let body = r#"{"error":{"code":"storage_unavailable","message":"try again","field":null}}"#;
        let answer = format!(
            "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{}",
            body.len(),
            body
        );
        conn.write_all(answer.as_bytes()).await.unwrap();
        drop(conn);
        let (mut conn, _) = front.accept().await.unwrap();
        let mut server = tokio::net::TcpStream::connect(upstream).await.unwrap();
        let _ = tokio::io::copy_bidirectional(&mut conn, &mut server).await;
        first
    });

    let (crons, errors) = collecting(
        CronsClient::builder()
            .api_key(env("LOOM_TOKEN"))
            .base_url(format!("http://{}", addr)),
    );
    let opts = CheckInStart {
        environment: Some("staging".into()),
        ..Default::default()
    };
    let r: Result<&str, JobError> = crons
        .with_monitor_opts("rs-retry", opts, || async { Ok("done") })
        .await;
    assert_eq!(r, Ok("done"));
    drop(crons); // closes the pooled connection, so the proxy ends
    let first = proxy.await.unwrap();
    assert_eq!(first["status"], "in_progress");
    let errors = errors.lock().unwrap().clone();
    assert!(
        errors.len() == 1 && errors[0].contains("503"),
        "{:?}",
        errors
    );
    let list = checkins("rs-retry").await;
    assert_eq!(list.len(), 1);
    assert_eq!(
        (
            &list[0]["status"],
            &list[0]["environment"],
            &list[0]["run_id"]
        ),
        (&json!("ok"), &json!("staging"), &first["run_id"])
    );
}

#[tokio::test]
async fn a_disabled_monitor_records_nothing() {
    create_monitor("rs-disabled", json!({"status": "disabled"})).await;
    let crons = client();
    let id = crons.checkin_start("rs-disabled").await.unwrap();
    assert!(!id.is_recorded() && id.as_str().is_none(), "{}", id);
    let none = crons.checkin_ok(id, CheckInOk::default()).await.unwrap();
    assert_eq!(none, None);
    let r: Result<&str, String> = crons
        .with_monitor("rs-disabled", || async { Ok("ran") })
        .await;
    assert_eq!(r, Ok("ran"));
    assert!(checkins("rs-disabled").await.is_empty());
}

#[tokio::test]
async fn output_over_10_kib_is_stored_cut_and_flagged_not_refused() {
    create_monitor("rs-long", json!({})).await;
    let crons = client();
    for output in ["é".repeat(100_000), "\u{1}".repeat(100_000)] {
        let id = crons.checkin_start("rs-long").await.unwrap();
        let c = crons
            .checkin_ok(
                id,
                CheckInOk {
                    output: Some(output),
                    ..Default::default()
                },
            )
            .await
            .unwrap()
            .expect("recorded");
        assert!(c.output_truncated);
        assert!(c.output.unwrap().len() <= 10240 + 3);
    }
}
