//! Request counters, readable through the handle and at `GET /_sim/stats`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// What the simulator has seen since start (or the last reset). `/_sim/*` is not counted.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Stats {
    /// Answered requests by endpoint (`"GET /api/v2/routing/queues/{id}"`, method and route
    /// template; the raw path for unknown routes) and status.
    pub requests: BTreeMap<String, BTreeMap<u16, u64>>,
    /// Requests whose connection was dropped unanswered, by endpoint (also after applying).
    pub dropped: BTreeMap<String, u64>,
    /// Requests to `POST /oauth2/token`, whatever their outcome.
    pub token_requests: u64,
    /// Tokens issued.
    pub tokens_issued: u64,
    /// Edits made by the rival admin.
    pub rival_edits: u64,
}

impl Stats {
    /// Answers of `status` on `endpoint` (e.g. `"PUT /api/v2/routing/queues/{id}"`).
    pub fn count(&self, endpoint: &str, status: u16) -> u64 {
        self.requests
            .get(endpoint)
            .and_then(|by_status| by_status.get(&status))
            .copied()
            .unwrap_or(0)
    }

    /// All answers on `endpoint`.
    pub fn total(&self, endpoint: &str) -> u64 {
        self.requests
            .get(endpoint)
            .map_or(0, |by_status| by_status.values().sum())
    }

    /// Answers of `status` on any endpoint.
    pub fn status_total(&self, status: u16) -> u64 {
        self.requests
            .values()
            .filter_map(|by_status| by_status.get(&status))
            .sum()
    }

    /// Every answered request.
    pub fn grand_total(&self) -> u64 {
        self.requests.values().flat_map(BTreeMap::values).sum()
    }

    pub(crate) fn record(&mut self, endpoint: &str, status: u16) {
        *self
            .requests
            .entry(endpoint.to_owned())
            .or_default()
            .entry(status)
            .or_default() += 1;
    }

    pub(crate) fn record_drop(&mut self, endpoint: &str) {
        *self.dropped.entry(endpoint.to_owned()).or_default() += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_add_up_by_endpoint_and_status() {
        let mut s = Stats::default();
        s.record("GET /a", 200);
        s.record("GET /a", 200);
        s.record("GET /a", 429);
        s.record("PUT /b", 429);
        assert_eq!(s.count("GET /a", 200), 2);
        assert_eq!(s.total("GET /a"), 3);
        assert_eq!(s.status_total(429), 2);
        assert_eq!(s.grand_total(), 4);
        assert_eq!(s.count("GET /zzz", 200), 0);
    }

    #[test]
    fn stats_serialize_statuses_as_json_object_keys() {
        let mut s = Stats::default();
        s.record("GET /a", 200);
        let v = serde_json::to_value(&s).unwrap();
        assert_eq!(v["requests"]["GET /a"]["200"], 1);
        let back: Stats = serde_json::from_value(v).unwrap();
        assert_eq!(back, s);
    }
}
