//! Counters for metrics that every HTTP adapter keeps: what it sent, what came back, how long
//! it waited. The runner's `/metrics` reads them through [`crate::Tenant::stats`].

use std::collections::BTreeMap;
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// A snapshot of what one adapter's client (and its clones) has done since it was built.
/// Endpoints are named by method and path template, e.g. `GET /api/v2/routing/queues`,
/// `GET /api/v2/routing/queues/{id}`, `PUT /api/v2/routing/queues/{id}`, `POST /oauth2/token`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ClientStats {
    /// Requests sent, by endpoint, then by HTTP status (`"200"`, `"429"`, …) or `"error"`
    /// when no answer came (connection failure, timeout).
    pub requests: BTreeMap<String, BTreeMap<String, u64>>,
    /// Retries by endpoint (tries after the first, not counting the one re-send after a 401).
    pub retries: BTreeMap<String, u64>,
    /// Token requests sent (each try counts).
    pub token_requests: u64,
    /// API calls answered 401 that made the client drop its token and fetch a new one.
    pub token_invalidations: u64,
    /// Creates whose answer was lost, after which the client looked the name up.
    pub create_lookups: u64,
    /// Requests that had to wait for the client-side rate limit.
    pub rate_limit_waits: u64,
    /// Total time spent waiting for the client-side rate limit, in seconds.
    pub rate_limit_wait_seconds: f64,
}

impl ClientStats {
    /// Requests sent to `endpoint` (e.g. `GET /api/v2/routing/queues`), whatever the answer.
    pub fn requests_to(&self, endpoint: &str) -> u64 {
        self.requests
            .get(endpoint)
            .map_or(0, |by_status| by_status.values().sum())
    }

    /// Requests sent to `endpoint` that were answered with `status` (or `"error"`).
    pub fn requests_with_status(&self, endpoint: &str, status: &str) -> u64 {
        self.requests
            .get(endpoint)
            .and_then(|by_status| by_status.get(status))
            .copied()
            .unwrap_or(0)
    }

    /// Requests sent, all endpoints.
    pub fn total_requests(&self) -> u64 {
        self.requests.values().flat_map(BTreeMap::values).sum()
    }

    /// Retries, all endpoints.
    pub fn total_retries(&self) -> u64 {
        self.retries.values().sum()
    }
}

/// The live counters behind [`ClientStats`].
#[derive(Debug, Default)]
pub struct StatsRecorder(Mutex<ClientStats>);

impl StatsRecorder {
    fn lock(&self) -> MutexGuard<'_, ClientStats> {
        // The counters stay meaningful even if a panic poisoned the lock.
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub fn snapshot(&self) -> ClientStats {
        self.lock().clone()
    }

    pub fn request(&self, endpoint: &str, status: Option<u16>, is_token: bool) {
        let status = status.map_or_else(|| "error".to_owned(), |s| s.to_string());
        let mut stats = self.lock();
        *stats
            .requests
            .entry(endpoint.to_owned())
            .or_default()
            .entry(status)
            .or_default() += 1;
        if is_token {
            stats.token_requests += 1;
        }
    }

    pub fn retry(&self, endpoint: &str) {
        *self.lock().retries.entry(endpoint.to_owned()).or_default() += 1;
    }

    pub fn token_invalidated(&self) {
        self.lock().token_invalidations += 1;
    }

    pub fn create_lookup(&self) {
        self.lock().create_lookups += 1;
    }

    pub fn rate_limited(&self, waited: Duration) {
        let mut stats = self.lock();
        stats.rate_limit_waits += 1;
        stats.rate_limit_wait_seconds += waited.as_secs_f64();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_add_up_and_serialize() {
        let r = StatsRecorder::default();
        r.request("GET /a", Some(200), false);
        r.request("GET /a", Some(429), false);
        r.request("GET /a", None, false);
        r.request("POST /oauth2/token", Some(200), true);
        r.retry("GET /a");
        r.rate_limited(Duration::from_millis(250));
        let s = r.snapshot();
        assert_eq!(s.requests_to("GET /a"), 3);
        assert_eq!(s.requests_with_status("GET /a", "error"), 1);
        assert_eq!(s.total_requests(), 4);
        assert_eq!(s.token_requests, 1);
        assert_eq!(s.total_retries(), 1);
        assert_eq!(s.rate_limit_waits, 1);
        let json = serde_json::to_value(&s).unwrap();
        assert_eq!(json["requests"]["GET /a"]["429"], 1);
        assert!((json["rate_limit_wait_seconds"].as_f64().unwrap() - 0.25).abs() < 1e-9);
    }
}
