//! `with_monitor`: one job run, reported from start to end, whose result
//! (or panic) passes through unchanged.

use std::collections::hash_map::RandomState;
use std::fmt;
use std::future::Future;
use std::hash::{BuildHasher, Hasher};
use std::panic::{self, AssertUnwindSafe};
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use crate::client::{clip_output, crash_event_id_valid, CreateBody, CronsClient, RunBody};
use crate::error::Error;
use crate::types::{CheckInId, CheckInStart};

impl CronsClient {
    /// Runs `job` as one run of the monitor `slug` and returns its result
    /// unchanged: reports the start, then `ok` or `error` (with the
    /// measured duration, the error as output, and the crash client's event
    /// id).  A panicking job is reported as an error and its panic resumed.
    ///
    /// Reporting never fails the job: what could not be reported goes to
    /// the client's `on_error`.  When the start went unanswered (network,
    /// 5xx), the end is still reported, as a finished check-in of the run.
    ///
    /// # Errors
    ///
    /// The job's own error, unchanged.
    ///
    /// ```no_run
    /// # async fn backup() -> Result<u64, std::io::Error> { Ok(0) }
    /// # async fn run(crons: loom_crons::CronsClient) -> Result<(), std::io::Error> {
    /// let rows = crons.with_monitor("nightly-backup", || async { backup().await }).await?;
    /// # Ok(()) }
    /// ```
    pub async fn with_monitor<F, Fut, T, E>(&self, slug: &str, job: F) -> Result<T, E>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T, E>>,
        E: fmt::Display,
    {
        self.with_monitor_opts(slug, CheckInStart::default(), job)
            .await
    }

    /// [`with_monitor`](Self::with_monitor) with an environment and a
    /// monitor configuration (which creates or updates the monitor).
    pub async fn with_monitor_opts<F, Fut, T, E>(
        &self,
        slug: &str,
        opts: CheckInStart,
        job: F,
    ) -> Result<T, E>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T, E>>,
        E: fmt::Display,
    {
        let mut start = opts;
        start.run_id.get_or_insert_with(run_id);
        let mut unanswered = false;
        let id = match self.checkin_start_opts(slug, start.clone()).await {
            Ok(id) => id,
            Err(e) => {
                unanswered = !matches!(e, Error::Api { status, .. } if status < 500);
                (self.on_error)(&e);
                CheckInId(None)
            }
        };
        let run = Run {
            client: self,
            slug,
            start: &start,
            id,
            unanswered,
        };

        let began = Instant::now();
        let outcome = CatchUnwind(Box::pin(job())).await;
        let duration_ms = Some(u64::try_from(began.elapsed().as_millis()).unwrap_or(u64::MAX));
        match outcome {
            Ok(Ok(value)) => {
                run.finish(RunBody {
                    status: "ok",
                    duration_ms,
                    ..RunBody::default()
                })
                .await;
                Ok(value)
            }
            Ok(Err(error)) => {
                let capture = self.capture(&error); // error's borrow ends here
                let crash_event_id = capture.await;
                run.finish(RunBody {
                    status: "error",
                    duration_ms,
                    output: Some(clip_output(format!("{:#}", error))),
                    crash_event_id,
                    ..RunBody::default()
                })
                .await;
                Err(error)
            }
            Err(panic) => {
                run.finish(RunBody {
                    status: "error",
                    duration_ms,
                    output: Some(clip_output(format!("panicked: {}", panic_message(&*panic)))),
                    ..RunBody::default()
                })
                .await;
                panic::resume_unwind(panic)
            }
        }
    }

    /// Hands `error` to the crash client, at once; the future of the event
    /// id it gives, if that is usable and comes within the client's timeout
    /// (the job's result waits for it).  The future does not borrow `error`,
    /// so a job's error need not be `Sync`.
    fn capture(&self, error: &dyn fmt::Display) -> impl Future<Output = Option<String>> + '_ {
        let capture = self.crash_client.as_ref().map(|c| c.capture_error(error));
        async move {
            let id = match tokio::time::timeout(self.timeout, capture?).await {
                Ok(id) => id?,
                Err(_) => {
                    (self.on_error)(&Error::InvalidArgument(format!(
                        "the crash client gave no event id within {} ms",
                        self.timeout.as_millis()
                    )));
                    return None;
                }
            };
            if crash_event_id_valid(&id) {
                return Some(id);
            }
            (self.on_error)(&Error::InvalidArgument(format!(
                "the crash client returned an unusable event id {:?}",
                id
            )));
            None
        }
    }
}

/// One run of `with_monitor` and how to report its end.
struct Run<'a> {
    client: &'a CronsClient,
    slug: &'a str,
    start: &'a CheckInStart,
    /// The open check-in; none if the monitor is disabled or the start failed.
    id: CheckInId,
    /// The start got no answer: report the end as a finished check-in.
    unanswered: bool,
}

impl Run<'_> {
    async fn finish(&self, run: RunBody) {
        let result = match self.id.as_str() {
            Some(_) => self.client.finish(&self.id, run).await.map(drop),
            None if self.unanswered => {
                let body = CreateBody {
                    run,
                    environment: self.start.environment.as_deref(),
                    run_id: self.start.run_id.as_deref(),
                    monitor_config: self.start.monitor_config.as_ref(),
                };
                self.client.finish_by_slug(self.slug, body).await
            }
            None => Ok(()),
        };
        if let Err(e) = result {
            (self.client.on_error)(&e);
        }
    }
}

/// A future's output, or the panic that polling it raised.
struct CatchUnwind<F>(Pin<Box<F>>);

impl<F: Future> Future for CatchUnwind<F> {
    type Output = std::thread::Result<F::Output>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        // After a panic the future is never polled again: the panic is
        // resumed, so no broken state is observed.
        let fut = self.0.as_mut();
        match panic::catch_unwind(AssertUnwindSafe(|| fut.poll(cx))) {
            Ok(Poll::Pending) => Poll::Pending,
            Ok(Poll::Ready(v)) => Poll::Ready(Ok(v)),
            Err(panic) => Poll::Ready(Err(panic)),
        }
    }
}

fn panic_message(panic: &(dyn std::any::Any + Send)) -> &str {
    if let Some(s) = panic.downcast_ref::<&str>() {
        s
    } else if let Some(s) = panic.downcast_ref::<String>() {
        s
    } else {
        "a non-string payload"
    }
}

/// A random UUID (version 4 layout) that pairs a run's start and end.
/// Unique, not secret: std's randomly keyed SipHash, fed time and a counter.
fn run_id() -> String {
    let mut bits = [0u64; 2];
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    for (i, b) in bits.iter_mut().enumerate() {
        let mut h = RandomState::new().build_hasher();
        h.write_u128(nanos);
        h.write_usize(i);
        *b = h.finish();
    }
    let hi = (bits[0] & !0xf000) | 0x4000; // version 4
    let lo = (bits[1] & !(0xc << 60)) | (0x8 << 60); // RFC 4122 variant
    format!(
        "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
        hi >> 32,
        (hi >> 16) & 0xffff,
        hi & 0xffff,
        lo >> 48,
        lo & 0xffff_ffff_ffff
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn run_ids_are_v4_uuids_and_differ() {
        let a = run_id();
        let b = run_id();
        assert_ne!(a, b);
        for id in [a, b] {
            let parts: Vec<&str> = id.split('-').collect();
            assert_eq!(
                parts.iter().map(|p| p.len()).collect::<Vec<_>>(),
                [8, 4, 4, 4, 12],
                "{}",
                id
            );
            assert!(parts[2].starts_with('4'), "{}", id);
            assert!(matches!(&parts[3][..1], "8" | "9" | "a" | "b"), "{}", id);
        }
    }
}
