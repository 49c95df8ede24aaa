//! The product spec's Rust example ("SDK-Based Monitoring"), as the spec
//! writes it, inside a program of a user's own: a crash tracker whose
//! `capture_error` is async, a daily cleanup, and a stopwatch for
//! `elapsed`.  The spec calls `run_daily_cleanup()` as a plain function in
//! the manual pattern and as an async one in the wrapper, so each part sees
//! its own.  Only the API key and the base URL differ from the spec's text.
//!
//!     LOOM_URL=http://127.0.0.1:8080 LOOM_TOKEN=loom_... [CLEANUP=fails] \
//!         sdk/rust/debian-cargo run --example spec
//!
//! tests/e2e/test_spec_examples.py runs it against the daemons.

use std::error::Error;
use std::fmt;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Instant;

/// The user's crash tracker; capturing is a network round trip, so async.
#[derive(Clone, Default)]
struct CrashClient {
    captured: Arc<AtomicUsize>,
}

impl CrashClient {
    async fn capture_error<E: fmt::Display + ?Sized>(&self, error: &E) -> Result<String, CrashError> {
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        let n = self.captured.fetch_add(1, Ordering::Relaxed) + 1;
        let id = format!("crash-{}-{}", std::process::id(), n);
        println!("captured {}: {}", id, error);
        Ok(id)
    }
}

/// How loom-crons hands it a failed job's error (`.crash_client(&crash)`).
impl loom_crons::CrashClient for CrashClient {
    fn capture_error(&self, error: &dyn fmt::Display) -> loom_crons::CaptureFuture<'_> {
        let message = error.to_string();
        Box::pin(async move { CrashClient::capture_error(self, &message).await.ok() })
    }
}

#[derive(Debug)]
struct CrashError;

impl fmt::Display for CrashError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the crash tracker is down")
    }
}

impl Error for CrashError {}

/// What a cleanup did.
struct Cleanup {
    count: u64,
}

#[derive(Debug)]
struct CleanupError(&'static str);

impl fmt::Display for CleanupError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "cleanup failed: {}", self.0)
    }
}

impl Error for CleanupError {}

/// The cleanup itself: it fails when $CLEANUP is "fails".
fn cleanup() -> Result<Cleanup, CleanupError> {
    match std::env::var("CLEANUP").as_deref() {
        Ok("fails") => Err(CleanupError("disk full")),
        _ => Ok(Cleanup { count: 42 }),
    }
}

/// The cleanup as the manual pattern calls it.
fn run_daily_cleanup() -> Result<Cleanup, CleanupError> {
    cleanup()
}

/// The cleanup as the convenience wrapper calls it.
mod wrapped {
    pub(super) async fn run_daily_cleanup() -> Result<super::Cleanup, super::CleanupError> {
        super::cleanup()
    }
}

/// `elapsed` in the spec: the time since the run started, whenever asked.
struct Stopwatch(Instant);

impl Stopwatch {
    fn as_millis(&self) -> u128 {
        self.0.elapsed().as_millis()
    }
}

fn setting(name: &str) -> Result<String, Box<dyn Error>> {
    std::env::var(name).map_err(|_| format!("set {}", name).into())
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    let api_key = setting("LOOM_TOKEN")?;
    let base_url = setting("LOOM_URL")?;
    let crash = CrashClient::default();
    let elapsed = Stopwatch(Instant::now());

    // ---- the spec's example ----
    use loom_crons::{CronsClient, CheckInOk, CheckInError};

    // Initialize
    let crons = CronsClient::builder()
        .api_key(&api_key)
        .base_url(&base_url)
        .crash_client(&crash) // Optional: link errors to crashes
        .build()?;

    // Manual check-in pattern
    let checkin_id = crons.checkin_start("daily-cleanup").await?;
    match run_daily_cleanup() {
        Ok(result) => {
            crons.checkin_ok(checkin_id, CheckInOk {
                duration_ms: Some(elapsed.as_millis() as u64),
                output: Some(format!("Processed {} records", result.count)),
            }).await?;
        }
        Err(e) => {
            let crash_id = crash.capture_error(&e).await?;
            crons.checkin_error(checkin_id, CheckInError {
                duration_ms: Some(elapsed.as_millis() as u64),
                exit_code: Some(1),
                output: Some(e.to_string()),
                crash_event_id: Some(crash_id),
            }).await?;
        }
    }

    {
        use wrapped::run_daily_cleanup; // in this block, the async one

        // Convenience wrapper
        crons.with_monitor("daily-cleanup", || async {
            run_daily_cleanup().await
        }).await?;
    }
    // ---- end of the spec's example ----
    Ok(())
}
