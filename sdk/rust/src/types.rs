//! What check-ins carry to the server, and the check-in it answers with.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A started run, as [`CronsClient::checkin_start`](crate::CronsClient::checkin_start)
/// returns it: the id of its `in_progress` check-in, which `checkin_ok` or
/// `checkin_error` finishes.  A disabled monitor records nothing: its runs
/// have no id, and finishing them does nothing.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CheckInId(pub(crate) Option<String>);

impl CheckInId {
    /// The check-in id (`chk_...`); `None` when nothing was recorded.
    pub fn as_str(&self) -> Option<&str> {
        self.0.as_deref()
    }

    /// True unless the monitor is disabled.
    pub fn is_recorded(&self) -> bool {
        self.0.is_some()
    }
}

/// A check-in id from elsewhere (another process, a queue).
impl From<String> for CheckInId {
    fn from(id: String) -> CheckInId {
        CheckInId(Some(id))
    }
}

impl From<&str> for CheckInId {
    fn from(id: &str) -> CheckInId {
        CheckInId(Some(id.to_owned()))
    }
}

impl From<&CheckInId> for CheckInId {
    fn from(id: &CheckInId) -> CheckInId {
        id.clone()
    }
}

impl fmt::Display for CheckInId {
    /// The id, or `(not recorded)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str().unwrap_or("(not recorded)"))
    }
}

/// Options of [`CronsClient::checkin_start_opts`](crate::CronsClient::checkin_start_opts).
#[derive(Debug, Clone, Default)]
pub struct CheckInStart {
    /// Environment name, e.g. `production`.
    pub environment: Option<String>,
    /// Creates or updates the monitor first.
    pub monitor_config: Option<MonitorConfig>,
    /// A UUID that pairs this start with its finish.
    pub run_id: Option<String>,
}

/// A successful end of a run, for [`CronsClient::checkin_ok`](crate::CronsClient::checkin_ok).
#[derive(Debug, Clone, Default)]
pub struct CheckInOk {
    /// How long the run took; `None`: measured by the server from its start.
    pub duration_ms: Option<u64>,
    /// The run's output (the server keeps the first 10 KiB).
    pub output: Option<String>,
}

/// A failed end of a run, for [`CronsClient::checkin_error`](crate::CronsClient::checkin_error).
#[derive(Debug, Clone, Default)]
pub struct CheckInError {
    /// How long the run took; `None`: measured by the server from its start.
    pub duration_ms: Option<u64>,
    /// The job's exit code.
    pub exit_code: Option<u8>,
    /// The run's output (the server keeps the first 10 KiB).
    pub output: Option<String>,
    /// The id of the crash-tracking event of this failure (e.g. Sentry's).
    pub crash_event_id: Option<String>,
}

/// A job's schedule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Schedule {
    /// A cron expression: 5 fields, names, `L`, `W`, `#`, `@daily`, ...
    Cron {
        /// E.g. `0 3 * * *`.
        expression: String,
    },
    /// Every `value` units.
    Interval {
        /// How many units, at least 1.
        value: u32,
        /// The unit.
        unit: IntervalUnit,
    },
}

impl Schedule {
    /// A cron schedule, e.g. `Schedule::cron("0 3 * * *")`.
    pub fn cron(expression: impl Into<String>) -> Schedule {
        Schedule::Cron {
            expression: expression.into(),
        }
    }

    /// An interval schedule, e.g. `Schedule::interval(2, IntervalUnit::Hour)`.
    pub fn interval(value: u32, unit: IntervalUnit) -> Schedule {
        Schedule::Interval { value, unit }
    }
}

/// The unit of an interval schedule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum IntervalUnit {
    /// Minutes.
    Minute,
    /// Hours.
    Hour,
    /// Days.
    Day,
    /// Weeks.
    Week,
    /// Calendar months.
    Month,
}

/// Creates the monitor on its first check-in, or updates it (as Sentry's
/// `monitor_config` does).  `None` members keep their current value (or the
/// server's default on creation).
///
/// ```
/// use loom_crons::{MonitorConfig, Schedule};
/// let config = MonitorConfig::new(Schedule::cron("0 3 * * *"))
///     .timezone("Europe/Berlin")
///     .checkin_margin(10)
///     .max_runtime(60);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MonitorConfig {
    /// When the job runs.
    pub schedule: Schedule,
    /// IANA time zone of the schedule; default UTC.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timezone: Option<String>,
    /// Minutes a run may be late before it counts as missed; default 5.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub checkin_margin: Option<u32>,
    /// Minutes a run may take before it counts as timed out; `Some(None)`
    /// removes the limit (sent as `null`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_runtime: Option<Option<u32>>,
    /// Consecutive failed runs before the monitor is failing; default 1.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failure_issue_threshold: Option<u32>,
    /// Consecutive ok runs before it is healthy again; default 1.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recovery_threshold: Option<u32>,
}

impl MonitorConfig {
    /// A configuration with this schedule and nothing else.
    pub fn new(schedule: Schedule) -> MonitorConfig {
        MonitorConfig {
            schedule,
            timezone: None,
            checkin_margin: None,
            max_runtime: None,
            failure_issue_threshold: None,
            recovery_threshold: None,
        }
    }

    /// Sets the IANA time zone, e.g. `Europe/Berlin`.
    #[must_use]
    pub fn timezone(mut self, timezone: impl Into<String>) -> MonitorConfig {
        self.timezone = Some(timezone.into());
        self
    }

    /// Sets the check-in margin, in minutes.
    #[must_use]
    pub fn checkin_margin(mut self, minutes: u32) -> MonitorConfig {
        self.checkin_margin = Some(minutes);
        self
    }

    /// Sets the longest a run may take, in minutes.
    #[must_use]
    pub fn max_runtime(mut self, minutes: u32) -> MonitorConfig {
        self.max_runtime = Some(Some(minutes));
        self
    }

    /// Removes the limit on how long a run may take.
    #[must_use]
    pub fn no_max_runtime(mut self) -> MonitorConfig {
        self.max_runtime = Some(None);
        self
    }

    /// Sets how many failed runs in a row make the monitor failing.
    #[must_use]
    pub fn failure_issue_threshold(mut self, runs: u32) -> MonitorConfig {
        self.failure_issue_threshold = Some(runs);
        self
    }

    /// Sets how many ok runs in a row make it healthy again.
    #[must_use]
    pub fn recovery_threshold(mut self, runs: u32) -> MonitorConfig {
        self.recovery_threshold = Some(runs);
        self
    }
}

/// A check-in as the server stores it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct CheckIn {
    /// `chk_...`
    pub id: String,
    /// `mon_...`
    pub monitor_id: String,
    /// Where the run is.
    pub status: CheckInStatus,
    /// `ping`, `sdk` or `system`.
    pub source: String,
    /// When the run started (RFC 3339).
    pub started_at: Option<String>,
    /// When it ended (RFC 3339).
    pub finished_at: Option<String>,
    /// How long it took.
    pub duration_ms: Option<u64>,
    /// The job's exit code.
    pub exit_code: Option<i32>,
    /// The run's output, at most 10 KiB.
    pub output: Option<String>,
    /// The output was longer than the server keeps.
    #[serde(default)]
    pub output_truncated: bool,
    /// Environment name.
    pub environment: Option<String>,
    /// The UUID that pairs the run's start and end.
    pub run_id: Option<String>,
    /// The crash-tracking event linked to a failed run.
    pub crash_event_id: Option<String>,
}

/// The state of a check-in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum CheckInStatus {
    /// Started, not yet ended.
    InProgress,
    /// Ended well.
    Ok,
    /// Ended badly.
    Error,
    /// Expected and not seen (recorded by the server).
    Missed,
    /// Ran longer than the monitor's max runtime (recorded by the server).
    Timeout,
    /// A status this version of the SDK does not know.
    #[serde(other)]
    Unknown,
}
