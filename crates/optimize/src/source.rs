//! Where a queue's figures came from when they were read from a tenant ([`InputSource`]),
//! and which interval of the window was modelled ([`IntervalStat`]).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Which closed interval of the window the proposal models.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum IntervalStat {
    /// The interval with the most contacts offered (the staffing must hold at the peak).
    #[default]
    Busiest,
    /// The mean interval of the window.
    Mean,
}

impl IntervalStat {
    pub fn as_str(self) -> &'static str {
        match self {
            IntervalStat::Busiest => "busiest",
            IntervalStat::Mean => "mean",
        }
    }
}

impl fmt::Display for IntervalStat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for IntervalStat {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "busiest" => Ok(IntervalStat::Busiest),
            "mean" => Ok(IntervalStat::Mean),
            other => Err(format!(
                "unknown interval statistic {other:?}: busiest or mean"
            )),
        }
    }
}

/// Where a queue's figures came from.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct InputSource {
    /// The window read (`start/end`, ISO 8601); absent on a platform that reports one
    /// snapshot (the routing API).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub window: Option<String>,
    pub stat: IntervalStat,
    /// The closed intervals found in the window.
    pub intervals: usize,
    /// The interval modelled (`start/end`), under `busiest`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub interval: Option<String>,
    /// Contacts offered in the window, all intervals together.
    pub offered_in_window: f64,
    /// Contacts handled in the interval(s) the handle time was averaged over.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub handled: Option<f64>,
    /// Where the agents came from (the platform's word), read now.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub staffing: Option<String>,
    /// No contact was offered in the window: nothing is proposed.
    pub no_traffic: bool,
}

impl InputSource {
    /// One line for people: `busiest of 4 intervals in 10:00Z/12:00Z: …`.
    pub fn describe(&self) -> String {
        if self.no_traffic {
            return match &self.window {
                Some(w) => format!("no traffic in {w} ({} intervals)", self.intervals),
                None => "no traffic reported".to_string(),
            };
        }
        let mut s = match (&self.interval, self.stat) {
            (Some(i), IntervalStat::Busiest) => {
                format!("the busiest of {} closed intervals: {i}", self.intervals)
            }
            _ => format!("the mean of {} closed intervals", self.intervals),
        };
        if let Some(w) = &self.window {
            s.push_str(&format!(" (window {w})"));
        }
        s.push_str(&format!(
            "; {} offered in the window",
            crate::seed::trim(self.offered_in_window)
        ));
        if let Some(h) = self.handled {
            s.push_str(&format!(
                ", handle time over {} handled",
                crate::seed::trim(h)
            ));
        }
        if let Some(st) = &self.staffing {
            s.push_str(&format!("; agents: {st} now"));
        }
        s
    }
}
