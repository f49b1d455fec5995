//! Traffic read from a tenant for the optimizer, in one shape for every platform: per queue,
//! the **closed** reporting intervals found in the window asked for, a staffing snapshot, and
//! the window actually used.
//!
//! A vendor's reporting API reports a contact when it ends, so the interval that is still
//! running is incomplete: [`MetricsQuery::window`] ends `settle` before now, on an interval
//! boundary, and adapters report only intervals that lie wholly inside it.

use serde::{Deserialize, Serialize};

/// The media series a proposal models (a Genesys queue serves several; a CXone skill has one).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Media {
    #[default]
    Voice,
    Chat,
    Email,
    Message,
    Callback,
}

impl Media {
    pub const ALL: [Media; 5] = [
        Media::Voice,
        Media::Chat,
        Media::Email,
        Media::Message,
        Media::Callback,
    ];

    /// The word the repository and Genesys use (`voice`, `chat`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            Media::Voice => "voice",
            Media::Chat => "chat",
            Media::Email => "email",
            Media::Message => "message",
            Media::Callback => "callback",
        }
    }
}

impl std::fmt::Display for Media {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What traffic to read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MetricsQuery {
    /// Now, in seconds since the Unix epoch (the caller's clock, so that a test can fix it).
    pub now: i64,
    /// How far back the window reaches, in seconds.
    pub window_seconds: u64,
    /// How long after its end an interval is trusted to be complete, in seconds.
    pub settle_seconds: u64,
    /// The media series (platforms where a queue serves several).
    pub media: Media,
    /// Only these queues, by name (every queue when empty).
    pub names: Vec<String>,
}

/// The reporting granularity asked of a platform that lets the client choose: 30 minutes.
pub const GRANULARITY_SECONDS: i64 = 1800;

impl MetricsQuery {
    /// The window `[start, end)` to query: it ends `settle` before now, rounded down to a
    /// 30-minute boundary (so every bucket in it is closed), and reaches `window` back from
    /// there, rounded out to whole buckets (at least one).
    pub fn window(&self) -> Window {
        let g = GRANULARITY_SECONDS;
        let settle = i64::try_from(self.settle_seconds).unwrap_or(i64::MAX);
        let end = self.now.saturating_sub(settle).div_euclid(g) * g;
        let span = i64::try_from(self.window_seconds).unwrap_or(i64::MAX);
        let buckets = (span.saturating_add(g - 1) / g).max(1);
        Window {
            start: end.saturating_sub(buckets.saturating_mul(g)),
            end,
        }
    }

    /// Whether queue `name` is asked for.
    pub fn wants(&self, name: &str) -> bool {
        self.names.is_empty() || self.names.iter().any(|n| n == name)
    }
}

/// A span of time `[start, end)`, in seconds since the Unix epoch.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Window {
    pub start: i64,
    pub end: i64,
}

impl Window {
    pub fn seconds(&self) -> i64 {
        self.end - self.start
    }
}

impl std::fmt::Display for Window {
    /// ISO 8601 interval text: `2026-12-05T10:00:00Z/2026-12-05T12:00:00Z`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}/{}",
            model::time::rfc3339_secs(self.start),
            model::time::rfc3339_secs(self.end)
        )
    }
}

/// One closed reporting interval of one queue.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MetricsInterval {
    /// When it starts, in seconds since the Unix epoch.
    pub start: i64,
    /// Its length, in seconds.
    pub seconds: u64,
    /// Contacts offered.
    pub offered: f64,
    /// Contacts handled (the weight of the average handle time).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub handled: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub average_handle_time_seconds: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub answered_within_service_level: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub abandoned: Option<f64>,
}

/// The agents serving a queue now (a snapshot: no platform reports past staffing here).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Staffing {
    pub agents: u32,
    /// Where the number comes from, in the platform's words (`oOnQueueUsers`,
    /// `agentsLoggedIn`, …).
    pub source: String,
}

/// Figures only a snapshot platform (the routing API) reports, for the `seed` policy.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SeedFigures {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub active_interactions: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_capacity: Option<f64>,
    /// 0–1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub coverage_ratio: Option<f64>,
}

/// One queue's traffic, as read from a tenant.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct QueueMetrics {
    /// The queue's id in the tenant.
    pub queue_id: Option<String>,
    /// The queue's name.
    pub name: String,
    /// The window that was queried; `None` on a platform that reports one snapshot (the
    /// routing API), where windows do not apply.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub window: Option<Window>,
    /// The closed intervals found, oldest first (none when the queue had no traffic).
    #[serde(default)]
    pub intervals: Vec<MetricsInterval>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub staffing: Option<Staffing>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed: Option<SeedFigures>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(now: i64, window: u64, settle: u64) -> MetricsQuery {
        MetricsQuery {
            now,
            window_seconds: window,
            settle_seconds: settle,
            media: Media::Voice,
            names: Vec::new(),
        }
    }

    #[test]
    fn the_window_ends_settle_before_now_on_a_bucket_boundary_and_spans_whole_buckets() {
        // 2026-12-05T12:20:00Z, settle 15 min → 12:05 → end 12:00; 2 h back → 10:00.
        let now = 1_796_472_000 + 1200;
        let w = query(now, 7200, 900).window();
        assert_eq!(w.to_string(), "2026-12-05T10:00:00Z/2026-12-05T12:00:00Z");
        // 12:50 with settle 15 min → 12:35 → end 12:30.
        let w = query(now + 1800, 7200, 900).window();
        assert_eq!(w.end - w.start, 7200);
        assert_eq!(w.to_string(), "2026-12-05T10:30:00Z/2026-12-05T12:30:00Z");
        // A window shorter than a bucket still covers one; 45 minutes become two.
        assert_eq!(query(now, 60, 900).window().seconds(), 1800);
        assert_eq!(query(now, 2700, 900).window().seconds(), 3600);
    }
}
