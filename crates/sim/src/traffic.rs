//! The simulated tenant's traffic: deterministic figures per queue for
//! `GET /api/v2/analytics/queues/metrics` (`docs/metrics-api.md`), and per reporting
//! interval ([`interval`]) for the Genesys and CXone faces' history APIs.
//!
//! The figures follow from the queue itself, so that they stay consistent with it as it
//! changes: a hash of its name picks the staffing (5–44 agents), the average handle time
//! (2–10 minutes), the skill coverage (0.50–0.99) and a target occupancy (70–94 %, or 105 %
//! for one queue in ten, which cannot keep up). Traffic A = occupancy × agents Erlangs, so
//! `offered` = A × interval / AHT; `maxCapacity` is the agents plus the queue's `maxWaiters`;
//! `activeInteractions` is A rounded. The same queue always gets the same figures.

use serde_json::{Value, json};

/// The reporting interval when the request names none: 30 minutes.
pub const DEFAULT_INTERVAL_SECONDS: u32 = 1800;

/// FNV-1a: a stable hash, the same on every platform and run.
fn fnv1a(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// The figures of one queue (a queue object of the API) over `interval_seconds`.
pub fn figures(queue: &Value, interval_seconds: u32) -> Value {
    let name = queue
        .get("name")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let h = fnv1a(name);
    let agents = 5 + h % 40;
    let aht = 120 + (h >> 8) % 481;
    let coverage = (50 + (h >> 20) % 50) as f64 / 100.0;
    let occupancy = if (h >> 32).is_multiple_of(10) {
        1.05
    } else {
        0.70 + ((h >> 40) % 25) as f64 / 100.0
    };
    let traffic = occupancy * agents as f64;
    let interval = f64::from(interval_seconds);
    let offered = (traffic * interval / aht as f64).round();
    let max_waiters = queue
        .get("maxWaiters")
        .and_then(Value::as_u64)
        .unwrap_or(10);
    json!({
        "queueId": queue.get("id").cloned().unwrap_or(Value::Null),
        "name": name,
        "intervalSeconds": interval_seconds,
        "offered": offered,
        "averageHandleTimeSeconds": aht,
        "agents": agents,
        "activeInteractions": traffic.round(),
        "maxCapacity": agents + max_waiters,
        "coverageRatio": coverage,
    })
}

/// One closed (or, when `now` falls inside it, partial) reporting interval of a queue, as the
/// vendors' history APIs report it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IntervalFigures {
    pub offered: u64,
    pub handled: u64,
    pub abandoned: u64,
    /// Handled within the queue's service-level time.
    pub answered_within_service_level: u64,
    /// Whole seconds.
    pub average_handle_time_seconds: u64,
}

/// The interval of `queue` that starts at `start` (seconds since the epoch) and lasts
/// `seconds`, as reported at `now`: the figures of [`figures`] scaled by a factor of
/// 0.60–1.40 that a hash of the name and the start picks (so that one interval of a window is
/// the busiest); an interval still running at `now` holds only the share of it that has
/// ended (a metric is emitted when what it measures ends); 3 % abandon, 80 % of the handled
/// within the service level.
pub fn interval(queue: &Value, start: i64, seconds: u32, now: i64) -> IntervalFigures {
    let base = figures(queue, seconds);
    let name = queue
        .get("name")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let factor = 0.6 + (fnv1a(&format!("{name}@{start}")) % 81) as f64 / 100.0;
    let mut offered = (base["offered"].as_f64().unwrap_or(0.0) * factor).round();
    let end = start + i64::from(seconds);
    if now < end {
        let elapsed = (now - start).clamp(0, i64::from(seconds)) as f64;
        offered = (offered * elapsed / f64::from(seconds)).floor();
    }
    let offered = offered as u64;
    let abandoned = (offered as f64 * 0.03).round() as u64;
    let handled = offered - abandoned;
    IntervalFigures {
        offered,
        handled,
        abandoned,
        answered_within_service_level: (handled as f64 * 0.8).round() as u64,
        average_handle_time_seconds: base["averageHandleTimeSeconds"].as_u64().unwrap_or(0),
    }
}

/// The agents serving `queue` now (the snapshot the vendors' real-time APIs report).
pub fn agents(queue: &Value) -> u64 {
    figures(queue, DEFAULT_INTERVAL_SECONDS)["agents"]
        .as_u64()
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn figures_are_a_pure_function_of_the_queue_and_follow_its_settings() {
        let q = json!({"id": "q1", "name": "Billing", "maxWaiters": 30});
        let a = figures(&q, 1800);
        assert_eq!(a, figures(&q, 1800));
        assert_eq!(a["queueId"], "q1");
        assert_eq!(a["intervalSeconds"], 1800);
        let agents = a["agents"].as_u64().unwrap();
        assert!((5..45).contains(&agents));
        assert_eq!(a["maxCapacity"].as_u64().unwrap(), agents + 30);
        let aht = a["averageHandleTimeSeconds"].as_f64().unwrap();
        assert!((120.0..=600.0).contains(&aht));
        let cov = a["coverageRatio"].as_f64().unwrap();
        assert!((0.5..1.0).contains(&cov));
        // offered × AHT / interval is the traffic, within the rounding of `offered`.
        let traffic = a["offered"].as_f64().unwrap() * aht / 1800.0;
        let occupancy = traffic / agents as f64;
        assert!((0.69..1.06).contains(&occupancy), "{occupancy}");
        // A longer interval offers proportionally more contacts.
        let b = figures(&q, 3600);
        let ratio = b["offered"].as_f64().unwrap() / a["offered"].as_f64().unwrap();
        assert!((ratio - 2.0).abs() < 0.05, "{ratio}");
        // Another queue gets other figures.
        assert_ne!(
            figures(&json!({"name": "Sales"}), 1800)["agents"],
            Value::Null
        );
        assert_ne!(figures(&json!({"name": "Sales"}), 1800), a);
    }

    #[test]
    fn intervals_vary_around_the_model_and_a_running_one_is_partial() {
        let q = json!({"id": "q1", "name": "Billing"});
        let a = interval(&q, 0, 1800, 10_000);
        let b = interval(&q, 1800, 1800, 10_000);
        assert_eq!(a, interval(&q, 0, 1800, 10_000));
        let base = figures(&q, 1800)["offered"].as_f64().unwrap();
        for i in [a, b] {
            let ratio = i.offered as f64 / base;
            assert!((0.59..1.41).contains(&ratio), "{ratio}");
            assert_eq!(i.handled + i.abandoned, i.offered);
        }
        // Half way through an interval, about half of it is reported.
        let running = interval(&q, 9_000, 1800, 9_900);
        let whole = interval(&q, 9_000, 1800, 20_000);
        assert_eq!(running.offered, whole.offered / 2);
        assert_eq!(interval(&q, 20_000, 1800, 19_000).offered, 0);
    }
}
