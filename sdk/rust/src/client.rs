//! The client: one Loom Crons server, its check-in endpoints, over reqwest.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use reqwest::{Method, Url};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::crash::CrashClient;
use crate::error::Error;
use crate::types::{CheckIn, CheckInError, CheckInId, CheckInOk, CheckInStart, MonitorConfig};

const USER_AGENT: &str = concat!("loom-crons-rust/", env!("CARGO_PKG_VERSION"));

/// The server keeps this many bytes of output and flags longer ones truncated.
pub(crate) const OUTPUT_MAX: usize = 10240;

pub(crate) type ErrorHandler = dyn Fn(&Error) + Send + Sync;

/// A client of one Loom Crons server.  Cheap to clone (clones share one
/// connection pool).
///
/// ```no_run
/// # async fn run() -> Result<(), loom_crons::Error> {
/// use loom_crons::{CheckInOk, CronsClient};
///
/// let crons = CronsClient::builder()
///     .api_key("loom_...")
///     .base_url("https://crons.example.com")
///     .build()?;
/// let checkin_id = crons.checkin_start("nightly-backup").await?;
/// // ... the job ...
/// crons.checkin_ok(checkin_id, CheckInOk { duration_ms: Some(5120), output: None }).await?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct CronsClient {
    http: reqwest::Client,
    base: Url,
    api_key: String,
    /// One request's limit, and the longest `with_monitor` waits for the crash client.
    pub(crate) timeout: Duration,
    pub(crate) crash_client: Option<Arc<dyn CrashClient>>,
    pub(crate) on_error: Arc<ErrorHandler>,
}

impl fmt::Debug for CronsClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CronsClient")
            .field("base_url", &self.base.as_str())
            .finish_non_exhaustive()
    }
}

/// Builds a [`CronsClient`]: `api_key` and `base_url` are required.
#[derive(Default)]
pub struct CronsClientBuilder {
    api_key: Option<String>,
    base_url: Option<String>,
    timeout: Option<Duration>,
    crash_client: Option<Arc<dyn CrashClient>>,
    on_error: Option<Arc<ErrorHandler>>,
}

impl CronsClientBuilder {
    /// An API token with the `checkins` (or `admin`) scope.
    #[must_use]
    pub fn api_key(mut self, api_key: impl Into<String>) -> Self {
        self.api_key = Some(api_key.into());
        self
    }

    /// The server's base URL, e.g. `https://crons.example.com`.
    #[must_use]
    pub fn base_url(mut self, base_url: impl Into<String>) -> Self {
        self.base_url = Some(base_url.into());
        self
    }

    /// How long one request may take before it fails with
    /// [`Error::Network`]; default 10 seconds.
    #[must_use]
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// Captures a failed job's error in [`CronsClient::with_monitor`]; the
    /// event id it returns is linked to the check-in.  The client keeps a
    /// clone of `crash_client` (see [`CrashClient`]).
    #[must_use]
    pub fn crash_client<C: CrashClient + Clone + 'static>(mut self, crash_client: &C) -> Self {
        self.crash_client = Some(Arc::new(crash_client.clone()));
        self
    }

    /// Receives what [`CronsClient::with_monitor`] could not report (it
    /// never fails because of it); default: a `log::warn!` line, or a line
    /// on stderr when no logger is installed.
    #[must_use]
    pub fn on_error(mut self, on_error: impl Fn(&Error) + Send + Sync + 'static) -> Self {
        self.on_error = Some(Arc::new(on_error));
        self
    }

    /// The client.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] when the key or URL is missing or the URL
    /// is not http(s); [`Error::Network`] when no HTTP client can be made
    /// (TLS set-up).
    pub fn build(self) -> Result<CronsClient, Error> {
        let api_key = match self.api_key {
            Some(k) if !k.is_empty() => k,
            _ => return Err(Error::InvalidArgument("api_key is required".into())),
        };
        let base_url = self
            .base_url
            .ok_or_else(|| Error::InvalidArgument("base_url is required".into()))?;
        let base = Url::parse(&base_url)
            .ok()
            .filter(|u| matches!(u.scheme(), "http" | "https") && !u.cannot_be_a_base())
            .ok_or_else(|| {
                Error::InvalidArgument(format!("base_url {:?} is not an http(s) URL", base_url))
            })?;
        let timeout = self.timeout.unwrap_or(Duration::from_secs(10));
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .user_agent(USER_AGENT)
            .build()?;
        Ok(CronsClient {
            http,
            base,
            api_key,
            timeout,
            crash_client: self.crash_client,
            on_error: self.on_error.unwrap_or_else(|| Arc::new(warn)),
        })
    }
}

/// The default `on_error`: a warning through `log`, or, when no logger is
/// installed (the level is off), on stderr: a lost report is never silent.
fn warn(e: &Error) {
    if log::max_level() == log::LevelFilter::Off {
        eprintln!("loom-crons: {}", e);
    } else {
        log::warn!("loom-crons: {}", e);
    }
}

/// The body of POST /api/crons/monitors/{slug}/checkins.
#[derive(Serialize)]
pub(crate) struct CreateBody<'a> {
    #[serde(flatten)]
    pub run: RunBody,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub environment: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub run_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub monitor_config: Option<&'a MonitorConfig>,
}

/// A run's state and how it ended: PATCH /api/crons/checkins/{id}, and
/// part of every POST.
#[derive(Serialize, Debug, Clone, Default)]
pub(crate) struct RunBody {
    pub status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duration_ms: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exit_code: Option<u8>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub output: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub crash_event_id: Option<String>,
}

impl From<CheckInOk> for RunBody {
    fn from(o: CheckInOk) -> RunBody {
        RunBody {
            status: "ok",
            duration_ms: o.duration_ms,
            exit_code: None,
            output: o.output.map(clip_output),
            crash_event_id: None,
        }
    }
}

impl From<CheckInError> for RunBody {
    fn from(o: CheckInError) -> RunBody {
        RunBody {
            status: "error",
            duration_ms: o.duration_ms,
            exit_code: o.exit_code,
            output: o.output.map(clip_output),
            crash_event_id: o.crash_event_id,
        }
    }
}

/// The answer to POST .../checkins; `id` is null when the monitor is disabled.
#[derive(Deserialize)]
struct Created {
    id: Option<String>,
}

impl CronsClient {
    /// Starts building a client.
    pub fn builder() -> CronsClientBuilder {
        CronsClientBuilder::default()
    }

    /// Reports that a run of the monitor `slug` started (`in_progress`).
    /// Returns the run's [`CheckInId`], which `checkin_ok` or
    /// `checkin_error` finishes (a disabled monitor records nothing: its
    /// id is empty and finishing it does nothing).
    ///
    /// # Errors
    ///
    /// [`Error::Api`] when the server refused (unknown monitor without a
    /// `monitor_config`, invalid field, token), [`Error::Network`] when it
    /// did not answer.
    pub async fn checkin_start(&self, slug: &str) -> Result<CheckInId, Error> {
        self.checkin_start_opts(slug, CheckInStart::default()).await
    }

    /// [`checkin_start`](Self::checkin_start) with an environment, a run id,
    /// or a monitor configuration (which creates or updates the monitor first).
    ///
    /// # Errors
    ///
    /// As [`checkin_start`](Self::checkin_start).
    pub async fn checkin_start_opts(
        &self,
        slug: &str,
        opts: CheckInStart,
    ) -> Result<CheckInId, Error> {
        let body = CreateBody {
            run: RunBody {
                status: "in_progress",
                ..RunBody::default()
            },
            environment: opts.environment.as_deref(),
            run_id: opts.run_id.as_deref(),
            monitor_config: opts.monitor_config.as_ref(),
        };
        let created: Created = self
            .send(Method::POST, self.monitor_url(slug), &body)
            .await?;
        Ok(CheckInId(created.id))
    }

    /// Reports that the run `checkin_id` succeeded; returns the stored
    /// check-in (`None` for a run of a disabled monitor: nothing to finish).
    ///
    /// # Errors
    ///
    /// As [`checkin_start`](Self::checkin_start); 400 when the run has
    /// already ended, 404 for an unknown id.
    pub async fn checkin_ok(
        &self,
        checkin_id: impl Into<CheckInId>,
        ok: CheckInOk,
    ) -> Result<Option<CheckIn>, Error> {
        self.finish(&checkin_id.into(), ok.into()).await
    }

    /// Reports that the run `checkin_id` failed; returns the stored check-in
    /// (`None` for a run of a disabled monitor).
    ///
    /// # Errors
    ///
    /// As [`checkin_ok`](Self::checkin_ok).
    pub async fn checkin_error(
        &self,
        checkin_id: impl Into<CheckInId>,
        error: CheckInError,
    ) -> Result<Option<CheckIn>, Error> {
        self.finish(&checkin_id.into(), error.into()).await
    }

    pub(crate) async fn finish(
        &self,
        checkin_id: &CheckInId,
        body: RunBody,
    ) -> Result<Option<CheckIn>, Error> {
        let id = match checkin_id.as_str() {
            Some(id) => id,
            None => return Ok(None),
        };
        let url = self.url(&["checkins", id]);
        self.send(Method::PATCH, url, &body).await.map(Some)
    }

    /// A finished check-in of a run whose start went unanswered.
    pub(crate) async fn finish_by_slug(
        &self,
        slug: &str,
        body: CreateBody<'_>,
    ) -> Result<(), Error> {
        let _: serde_json::Value = self
            .send(Method::POST, self.monitor_url(slug), &body)
            .await?;
        Ok(())
    }

    fn monitor_url(&self, slug: &str) -> Url {
        self.url(&["monitors", slug, "checkins"])
    }

    /// base URL + /api/crons/ + segments, each percent-encoded.
    fn url(&self, segments: &[&str]) -> Url {
        let mut url = self.base.clone();
        url.path_segments_mut()
            .expect("checked by build(): a base URL")
            .pop_if_empty()
            .extend(["api", "crons"])
            .extend(segments);
        url
    }

    /// One API request; the decoded answer, or a typed error.
    async fn send<B: Serialize, R: DeserializeOwned>(
        &self,
        method: Method,
        url: Url,
        body: &B,
    ) -> Result<R, Error> {
        let response = self
            .http
            .request(method, url)
            .bearer_auth(&self.api_key)
            .header(reqwest::header::ACCEPT, "application/json")
            .json(body)
            .send()
            .await?;
        let status = response.status().as_u16();
        let bytes = response.bytes().await?;
        if !(200..300).contains(&status) {
            return Err(Error::from_response(status, &bytes));
        }
        serde_json::from_slice(&bytes).map_err(|e| Error::Api {
            status,
            code: "invalid_response".into(),
            message: format!("the answer is not the expected JSON: {}", e),
            field: None,
        })
    }
}

/// A crash event id the server accepts (anything else would refuse the check-in).
pub(crate) fn crash_event_id_valid(id: &str) -> bool {
    (1..=64).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// Output longer than the server keeps, cut just past OUTPUT_MAX bytes (on
/// a character boundary) so that the server still flags it truncated and a
/// huge log cannot make the request too large (413).
pub(crate) fn clip_output(mut s: String) -> String {
    if s.len() > OUTPUT_MAX {
        let mut end = OUTPUT_MAX + 1;
        while !s.is_char_boundary(end) {
            end += 1;
        }
        s.truncate(end);
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client(base: &str) -> CronsClient {
        CronsClient::builder()
            .api_key("k")
            .base_url(base)
            .build()
            .unwrap()
    }

    #[test]
    fn urls_keep_the_base_path_and_encode_segments() {
        let c = client("https://crons.example.com/loom/");
        assert_eq!(
            c.monitor_url("nightly").as_str(),
            "https://crons.example.com/loom/api/crons/monitors/nightly/checkins"
        );
        assert_eq!(
            c.url(&["checkins", "../tokens"]).as_str(),
            "https://crons.example.com/loom/api/crons/checkins/..%2Ftokens"
        );
        assert_eq!(
            client("http://127.0.0.1:8080").monitor_url("a").as_str(),
            "http://127.0.0.1:8080/api/crons/monitors/a/checkins"
        );
    }

    #[test]
    fn build_refuses_missing_key_and_bad_urls() {
        for (key, url) in [
            ("", "http://x"),
            ("k", "ftp://x"),
            ("k", "not a url"),
            ("k", "mailto:a@b"),
        ] {
            let r = CronsClient::builder().api_key(key).base_url(url).build();
            assert!(
                matches!(r, Err(Error::InvalidArgument(_))),
                "{} {}",
                key,
                url
            );
        }
        assert!(matches!(
            CronsClient::builder().api_key("k").build(),
            Err(Error::InvalidArgument(_))
        ));
    }

    #[test]
    fn long_output_is_cut_just_past_the_limit_on_a_char_boundary() {
        assert_eq!(clip_output("short".into()), "short");
        assert_eq!(clip_output("x".repeat(OUTPUT_MAX)).len(), OUTPUT_MAX);
        assert_eq!(
            clip_output("x".repeat(3 * OUTPUT_MAX)).len(),
            OUTPUT_MAX + 1
        );
        let cut = clip_output("é".repeat(OUTPUT_MAX));
        assert_eq!(cut.len(), OUTPUT_MAX + 2);
    }

    #[test]
    fn crash_event_ids() {
        assert!(crash_event_id_valid("e3b0c44298fc1c149afbf4c8996fb924"));
        assert!(crash_event_id_valid("a_b-C"));
        assert!(!crash_event_id_valid(""));
        assert!(!crash_event_id_valid("has space"));
        assert!(!crash_event_id_valid(&"x".repeat(65)));
    }

    #[test]
    fn error_bodies() {
        let e = Error::from_response(
            401,
            br#"{"error":{"code":"unauthorized","message":"no","field":"Authorization"}}"#,
        );
        assert!(
            matches!(e, Error::Api { status: 401, ref code, ref field, .. }
            if code == "unauthorized" && field.as_deref() == Some("Authorization"))
        );
        let e = Error::from_response(502, b"<html>Bad Gateway</html>");
        assert!(matches!(e, Error::Api { status: 502, ref code, .. } if code == "http_502"));
    }

    #[test]
    fn bodies_are_what_the_server_reads() {
        let config = MonitorConfig::new(crate::Schedule::interval(2, crate::IntervalUnit::Hour))
            .max_runtime(30);
        let body = CreateBody {
            run: RunBody {
                status: "in_progress",
                ..RunBody::default()
            },
            environment: Some("prod"),
            run_id: None,
            monitor_config: Some(&config),
        };
        assert_eq!(
            serde_json::to_value(&body).unwrap(),
            serde_json::json!({"status": "in_progress", "environment": "prod",
                "monitor_config": {"schedule": {"type": "interval", "value": 2, "unit": "hour"},
                    "max_runtime": 30}})
        );
        let unlimited = MonitorConfig::new(crate::Schedule::cron("0 3 * * *")).no_max_runtime();
        assert_eq!(
            serde_json::to_value(&unlimited).unwrap(),
            serde_json::json!({"schedule": {"type": "cron", "expression": "0 3 * * *"},
                "max_runtime": null})
        );
        let finish: RunBody = CheckInError {
            exit_code: Some(2),
            ..Default::default()
        }
        .into();
        assert_eq!(
            serde_json::to_value(&finish).unwrap(),
            serde_json::json!({"status": "error", "exit_code": 2})
        );
    }
}
