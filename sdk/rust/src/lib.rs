//! Check-ins for Loom Crons: report when a cron job
//! starts and how it ends, from async Rust (tokio + reqwest).
//!
//! ```no_run
//! # async fn backup() -> Result<(), std::io::Error> { Ok(()) }
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! use loom_crons::{CheckInStart, CronsClient, MonitorConfig, Schedule};
//!
//! let crons = CronsClient::builder()
//!     .api_key(std::env::var("LOOM_TOKEN")?)
//!     .base_url("https://crons.example.com")
//!     .build()?;
//!
//! // Reports the start, then ok or error; returns backup()'s result unchanged.
//! crons.with_monitor("nightly-backup", || backup()).await?;
//!
//! // The same, creating or updating the monitor first.
//! let opts = CheckInStart {
//!     monitor_config: Some(MonitorConfig::new(Schedule::cron("0 3 * * *")).max_runtime(60)),
//!     ..Default::default()
//! };
//! crons.with_monitor_opts("nightly-backup", opts, || backup()).await?;
//! # Ok(()) }
//! ```
//!
//! Or step by step with [`CronsClient::checkin_start`],
//! [`CronsClient::checkin_ok`] and [`CronsClient::checkin_error`].  A
//! [`CrashClient`] links failed runs to crash-tracking events.  Errors are
//! typed: [`Error::Api`] when the server refused (status, code, message,
//! field), [`Error::Network`] when it did not answer.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod client;
mod crash;
mod error;
mod monitor;
mod types;

pub use client::{CronsClient, CronsClientBuilder};
pub use crash::{CaptureFuture, CrashClient};
pub use error::{Error, NetworkError};
pub use types::{
    CheckIn, CheckInError, CheckInId, CheckInOk, CheckInStart, CheckInStatus, IntervalUnit,
    MonitorConfig, Schedule,
};
