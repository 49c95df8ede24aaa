//! The crash client: what `with_monitor` hands a failed job's error to, so
//! that the check-in links to the crash-tracking event it created.

use std::fmt;
use std::future::{self, Future};
use std::pin::Pin;
use std::sync::Arc;

/// What [`CrashClient::capture_error`] returns: a future of the event id
/// (`None`: no event), which may borrow the crash client but not the error.
pub type CaptureFuture<'a> = Pin<Box<dyn Future<Output = Option<String>> + Send + 'a>>;

/// A crash reporter (Sentry, say): records a failed job's error and gives
/// the id of the event it created, which the check-in links to.
/// [`CronsClientBuilder::crash_client`](crate::CronsClientBuilder::crash_client)
/// takes a reference to one and keeps a clone (a handle; wrap one that is
/// not `Clone` in an `Arc`).
///
/// Capturing may be asynchronous (a request to the crash tracker):
/// read what the event needs from `error` first, then return the future.
/// `with_monitor` waits for it at most the client's timeout.
///
/// ```
/// use std::fmt::Display;
/// use loom_crons::{CaptureFuture, CronsClient};
///
/// #[derive(Clone)]
/// struct Tracker;
///
/// impl Tracker {
///     async fn send(&self, message: String) -> Result<String, std::io::Error> {
///         Ok(format!("evt-{}", message.len()))
///     }
/// }
///
/// impl loom_crons::CrashClient for Tracker {
///     fn capture_error(&self, error: &dyn Display) -> CaptureFuture<'_> {
///         let message = error.to_string();
///         Box::pin(async move { self.send(message).await.ok() })
///     }
/// }
///
/// let tracker = Tracker;
/// let crons = CronsClient::builder()
///     .api_key("loom_...")
///     .base_url("https://crons.example.com")
///     .crash_client(&tracker)
///     .build();
/// ```
///
/// A closure `Fn(&dyn Display) -> Option<String>` that captures at once is
/// a crash client too: `.crash_client(&|error: &dyn Display| Some(...))`.
pub trait CrashClient: Send + Sync {
    /// Records `error`; the event id, if one was created.
    fn capture_error(&self, error: &dyn fmt::Display) -> CaptureFuture<'_>;
}

impl<F> CrashClient for F
where
    F: Fn(&dyn fmt::Display) -> Option<String> + Send + Sync,
{
    fn capture_error(&self, error: &dyn fmt::Display) -> CaptureFuture<'_> {
        Box::pin(future::ready(self(error)))
    }
}

impl<C: CrashClient + ?Sized> CrashClient for Arc<C> {
    fn capture_error(&self, error: &dyn fmt::Display) -> CaptureFuture<'_> {
        (**self).capture_error(error)
    }
}
