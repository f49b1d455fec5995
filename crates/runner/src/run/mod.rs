//! `cxqueues run`: the continuous reconcile loop and its HTTP side.
//!
//! - [`git`] reads the committed tree of the watched branch (never the working tree).
//! - [`watch`] notices new commits: file events on the git directory, debounced on the
//!   trailing edge, with a polling fallback; both compare the branch's commit id.
//! - [`controller`] is the loop, shaped like kube-runtime's controller: one
//!   [`reconcile`](controller::reconcile()) at a time, an error policy with capped
//!   backoff, and triggers (commit, manual, resync, retry) that coalesce into one follow-up run.
//! - [`status`] and [`metrics`] are what the loop tells the world, served by [`http`].
//! - [`remote`] follows a remote repository (`--git-url`) into a bare clone; [`hook`] is
//!   GitHub's push hook that makes it fetch at once.
//! - [`lease`] elects one leader among replicas with a Kubernetes Lease and fences the tenant
//!   writes of a leader that may have lost it.

pub(crate) mod controller;
pub(crate) mod git;
pub(crate) mod hook;
pub(crate) mod http;
pub(crate) mod lease;
pub(crate) mod metrics;
pub(crate) mod optimize;
pub(crate) mod remote;
pub(crate) mod schedule;
pub(crate) mod standby;
pub(crate) mod status;
pub(crate) mod watch;
pub(crate) mod windows;

use std::fmt;
use std::time::{Duration, SystemTime};

use serde::Serialize;
use tokio::time::Instant;
use uuid::Uuid;

/// Why a reconcile runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum TriggerKind {
    /// A new commit on the branch (also the first run at start).
    Commit,
    /// `POST /v1/reconcile`.
    Manual,
    /// A failed run, tried again after a backoff.
    Retry,
    /// The periodic drift check (`--resync`).
    Resync,
}

impl TriggerKind {
    /// The label used in logs and metrics.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            TriggerKind::Commit => "commit",
            TriggerKind::Manual => "manual",
            TriggerKind::Retry => "retry",
            TriggerKind::Resync => "resync",
        }
    }
}

impl fmt::Display for TriggerKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One request for a reconcile. Triggers that arrive while a run is in flight are batched
/// into the next run; the batch's first trigger id is the run's id.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct Trigger {
    pub id: Uuid,
    pub kind: TriggerKind,
    /// The commit that was seen, for commit triggers (the run reads the branch afresh).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub commit: Option<String>,
    #[serde(skip)]
    pub at: Instant,
    /// `POST /v1/reconcile {"breakGlass": REASON}`: the run applies through change windows.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub break_glass: Option<String>,
}

impl Trigger {
    pub(crate) fn new(kind: TriggerKind) -> Self {
        Self {
            id: Uuid::now_v7(),
            kind,
            commit: None,
            at: Instant::now(),
            break_glass: None,
        }
    }

    pub(crate) fn commit(id: Option<String>) -> Self {
        Self {
            commit: id,
            ..Self::new(TriggerKind::Commit)
        }
    }
}

/// Parses a duration written as a number and a unit, or several, without spaces: `500ms`,
/// `30s`, `5m`, `1h`, `1h30m` (read by `humantime`). A bare number, a space and zero are
/// refused.
pub(crate) fn parse_duration(text: &str) -> Result<Duration, String> {
    let bad =
        || format!("{text:?} is not a duration: write a number and a unit, such as 30s, 5m or 1h");
    let s = text.trim();
    if s.is_empty() || s.contains(char::is_whitespace) {
        return Err(bad());
    }
    let total = humantime::parse_duration(s).map_err(|_| bad())?;
    if total.is_zero() {
        return Err(format!("{text:?} is zero: give a positive duration"));
    }
    Ok(total)
}

/// Writes a duration the way [`parse_duration`] reads it (`5m`, `30s`, `1h30m`, `250ms`).
pub(crate) fn format_duration(d: Duration) -> String {
    humantime::format_duration(d).to_string().replace(' ', "")
}

pub(crate) use model::time::{rfc3339, rfc3339_secs};

/// The wall-clock time of a future tokio instant.
pub(crate) fn wall_time_of(at: Instant) -> SystemTime {
    let now = Instant::now();
    if at >= now {
        SystemTime::now() + (at - now)
    } else {
        SystemTime::now() - (now - at)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse_with_units_and_refuse_bare_numbers() {
        assert_eq!(parse_duration("5m"), Ok(Duration::from_secs(300)));
        assert_eq!(parse_duration("30s"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_duration("1h"), Ok(Duration::from_secs(3600)));
        assert_eq!(parse_duration("1h30m"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert!(parse_duration("30").is_err());
        assert!(parse_duration("5 minutes").is_err());
        assert!(parse_duration("").is_err());
        assert!(parse_duration("0s").is_err());
        assert!(parse_duration("m").is_err());
    }

    #[test]
    fn durations_print_the_way_they_parse() {
        for text in ["5m", "30s", "1h", "1h30m", "250ms", "1m5s"] {
            assert_eq!(format_duration(parse_duration(text).unwrap()), text);
        }
    }
}
