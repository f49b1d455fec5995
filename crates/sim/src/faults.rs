//! Fault injection: what can go wrong, per simulator instance, changeable at run time.
//!
//! Set at start ([`Sim::start`](crate::Sim::start)), replaced with
//! [`SimHandle::set_faults`](crate::SimHandle::set_faults) or `POST /_sim/faults` (a JSON
//! [`Faults`], snake_case field names, every field optional and defaulted) or
//! `PATCH /_sim/faults` (only the fields given change), read back with
//! [`SimHandle::faults`](crate::SimHandle::faults) or `GET /_sim/faults` (counters such as
//! [`RivalAdmin::times`] and [`Faults::drop_after_apply_next`] count down as they fire).
//!
//! Per request (`/_sim/*` never faults), in this order:
//! 1. the rate limiter ([`Faults::rate_limit_rps`]) may answer 429;
//! 2. the next scripted status ([`Faults::next_statuses`]) is used, if any;
//! 3. one random draw `u` in `[0, 1)`: `u < rate_429` → 429; else `u < rate_429 + rate_503`
//!    → 503; else `u < rate_429 + rate_503 + drop_rate` → the connection is dropped unanswered;
//! 4. the added latency ([`Faults::latency_ms`] + jitter) is slept (also before fault answers);
//! 5. the request is handled; a successful queue write may then lose its response
//!    ([`Faults::drop_after_apply_next`], [`Faults::drop_after_apply_rate`]).
//!
//! Steps 1–3 skip `POST /oauth2/token` unless [`Faults::include_token_endpoint`] is set;
//! latency applies to every endpoint. The rival admin acts inside `PUT` handling.

use std::{collections::VecDeque, time::Duration};

use rand::{Rng, SeedableRng, rngs::StdRng};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio::time::Instant;

use crate::SimError;

/// How `Retry-After` is written on 429 and 503 answers.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RetryAfterFormat {
    /// `Retry-After: 2` (delay-seconds).
    #[default]
    Seconds,
    /// `Retry-After: Tue, 14 Nov 2023 22:13:22 GMT` (whole-second precision, so the delay a
    /// client derives from it may be up to a second shorter than configured).
    HttpDate,
    /// No `Retry-After` at all, as NICE CXone answers a 429.
    Omitted,
}

/// Another administrator who edits a queue between a client's read and its write.
///
/// For each of the next [`times`](Self::times) `PUT /api/v2/routing/queues/{id}` requests that
/// carry `If-Match` (and whose queue matches [`queue`](Self::queue)), just before the PUT is
/// handled the rival sets [`field`](Self::field) to [`value`](Self::value), bumps the version
/// and stamps `modifiedBy` with [`name`](Self::name) — so that PUT gets a real 409. Once
/// `times` is spent, a re-read and re-PUT succeeds.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct RivalAdmin {
    /// Top-level field name (`description`, `maxWaitTime`, …) or a dotted path
    /// (`serviceLevelTarget.threshold`). `id` and `version` are refused.
    pub field: String,
    /// The value the rival writes.
    pub value: Value,
    /// How many PUTs to spoil.
    pub times: u32,
    /// `modifiedBy` of the rival's edits.
    pub name: String,
    /// Only PUTs to the queue with this name (or id); `None` means any queue.
    pub queue: Option<String>,
}

impl Default for RivalAdmin {
    fn default() -> Self {
        Self {
            field: "description".into(),
            value: Value::String("edited by a rival admin".into()),
            times: 1,
            name: "rival@example.com".into(),
            queue: None,
        }
    }
}

/// Every fault knob of a simulator. `Faults::default()` is a well-behaved tenant with
/// one-hour tokens.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Faults {
    /// Share (0.0–1.0) of requests answered 429 `{"code":"too.many.requests"}` + `Retry-After`.
    pub rate_429: f64,
    /// Share (0.0–1.0) of requests answered 503 `{"code":"service.unavailable"}` +
    /// `Retry-After`.
    pub rate_503: f64,
    /// The `Retry-After` delay in seconds for random and scripted 429/503 (default 1).
    pub retry_after_secs: u64,
    /// Seconds or HTTP-date (default seconds); also used by the rate limiter.
    pub retry_after: RetryAfterFormat,
    /// Milliseconds added to every request (before it is answered).
    pub latency_ms: u64,
    /// Up to this many more milliseconds, uniformly at random.
    pub latency_jitter_ms: u64,
    /// Lifetime of newly issued tokens, seconds (default 3600). Changing it affects new
    /// tokens only.
    pub token_lifetime_secs: u64,
    /// A real limit in requests per second (token bucket); `None` = unlimited. Excess requests
    /// get 429 with `Retry-After` = the wait until a request would be admitted (at least 1 s).
    pub rate_limit_rps: Option<f64>,
    /// Bucket size of the limiter; default `max(1, ceil(rate_limit_rps))`.
    pub rate_limit_burst: Option<u32>,
    /// Share (0.0–1.0) of requests whose connection is closed without an answer, before the
    /// request is handled (nothing is applied).
    pub drop_rate: f64,
    /// Share (0.0–1.0) of successful queue writes (POST/PUT/DELETE) whose response is lost
    /// after the write was applied: the connection closes without an answer.
    pub drop_after_apply_rate: f64,
    /// Lose the response of the next N successful queue writes after applying them.
    pub drop_after_apply_next: u32,
    /// Which methods the two drop-after-apply knobs apply to (`"POST"`, `"PUT"`, `"DELETE"`);
    /// empty = all three.
    pub drop_after_apply_methods: Vec<String>,
    /// Scripted answers for the next requests, in order: 429 and 503 come with `Retry-After`,
    /// any other status with `{"code": …}`, and 0 drops the connection.
    pub next_statuses: VecDeque<u16>,
    /// Apply the rate limiter, scripted and random faults to `POST /oauth2/token` too.
    pub include_token_endpoint: bool,
    /// The rival administrator, if any.
    pub rival: Option<RivalAdmin>,
    /// Seed of the random draws, for reproducible runs; `None` = from the OS.
    pub rng_seed: Option<u64>,
    /// The CXone face's `PUT /skills/{id}`: `false` (default) keeps what it is not sent;
    /// `true` replaces the skill whole, resetting every writable property it is not sent
    /// (NICE does not document which one it does).
    pub cxone_whole_put: bool,
}

impl Default for Faults {
    fn default() -> Self {
        Self {
            rate_429: 0.0,
            rate_503: 0.0,
            retry_after_secs: 1,
            retry_after: RetryAfterFormat::Seconds,
            latency_ms: 0,
            latency_jitter_ms: 0,
            token_lifetime_secs: 3600,
            rate_limit_rps: None,
            rate_limit_burst: None,
            drop_rate: 0.0,
            drop_after_apply_rate: 0.0,
            drop_after_apply_next: 0,
            drop_after_apply_methods: Vec::new(),
            next_statuses: VecDeque::new(),
            include_token_endpoint: false,
            rival: None,
            rng_seed: None,
            cxone_whole_put: false,
        }
    }
}

impl Faults {
    /// No faults (same as `default()`).
    pub fn none() -> Self {
        Self::default()
    }

    /// Checks every rate is within 0.0–1.0 and the limiter's rate is positive.
    pub fn validate(&self) -> Result<(), SimError> {
        for (name, rate) in [
            ("rate_429", self.rate_429),
            ("rate_503", self.rate_503),
            ("drop_rate", self.drop_rate),
            ("drop_after_apply_rate", self.drop_after_apply_rate),
        ] {
            if !(0.0..=1.0).contains(&rate) {
                return Err(SimError::InvalidFaults(format!(
                    "{name} must be between 0.0 and 1.0 (got {rate})"
                )));
            }
        }
        if let Some(rps) = self.rate_limit_rps
            && !(rps.is_finite() && rps > 0.0)
        {
            return Err(SimError::InvalidFaults(format!(
                "rate_limit_rps must be positive (got {rps})"
            )));
        }
        if self.token_lifetime_secs == 0 {
            return Err(SimError::InvalidFaults(
                "token_lifetime_secs must be at least 1".into(),
            ));
        }
        if let Some(bad) = self
            .next_statuses
            .iter()
            .find(|s| **s != 0 && !(100..=599).contains(*s))
        {
            return Err(SimError::InvalidFaults(format!(
                "next_statuses: {bad} is not an HTTP status (or 0 to drop)"
            )));
        }
        for m in &self.drop_after_apply_methods {
            if !["POST", "PUT", "DELETE"].contains(&m.to_ascii_uppercase().as_str()) {
                return Err(SimError::InvalidFaults(format!(
                    "drop_after_apply_methods: {m:?} is not POST, PUT or DELETE"
                )));
            }
        }
        Ok(())
    }

    /// The same faults with every out-of-range value brought into range (NaN rates become 0).
    pub fn clamped(mut self) -> Self {
        for rate in [
            &mut self.rate_429,
            &mut self.rate_503,
            &mut self.drop_rate,
            &mut self.drop_after_apply_rate,
        ] {
            *rate = if rate.is_nan() {
                0.0
            } else {
                rate.clamp(0.0, 1.0)
            };
        }
        if let Some(rps) = self.rate_limit_rps
            && !(rps.is_finite() && rps > 0.0)
        {
            self.rate_limit_rps = None;
        }
        self.token_lifetime_secs = self.token_lifetime_secs.max(1);
        self.next_statuses
            .retain(|s| *s == 0 || (100..=599).contains(s));
        self.drop_after_apply_methods
            .retain(|m| ["POST", "PUT", "DELETE"].contains(&m.to_ascii_uppercase().as_str()));
        self
    }

    /// Sets the share of 429 answers.
    pub fn with_rate_429(mut self, rate: f64) -> Self {
        self.rate_429 = rate;
        self
    }

    /// Sets the share of 503 answers.
    pub fn with_rate_503(mut self, rate: f64) -> Self {
        self.rate_503 = rate;
        self
    }

    /// Sets `Retry-After` (seconds and format).
    pub fn with_retry_after(mut self, secs: u64, format: RetryAfterFormat) -> Self {
        self.retry_after_secs = secs;
        self.retry_after = format;
        self
    }

    /// Sets the added latency.
    pub fn with_latency_ms(mut self, ms: u64) -> Self {
        self.latency_ms = ms;
        self
    }

    /// Sets the lifetime of new tokens.
    pub fn with_token_lifetime_secs(mut self, secs: u64) -> Self {
        self.token_lifetime_secs = secs;
        self
    }

    /// Sets a real rate limit.
    pub fn with_rate_limit(mut self, rps: f64, burst: Option<u32>) -> Self {
        self.rate_limit_rps = Some(rps);
        self.rate_limit_burst = burst;
        self
    }

    /// Sets the share of dropped connections (before handling).
    pub fn with_drop_rate(mut self, rate: f64) -> Self {
        self.drop_rate = rate;
        self
    }

    /// Loses the response of the next `n` successful queue writes (of `methods`; empty = all).
    pub fn with_drop_after_apply_next(mut self, n: u32, methods: &[&str]) -> Self {
        self.drop_after_apply_next = n;
        self.drop_after_apply_methods = methods.iter().map(|m| (*m).to_owned()).collect();
        self
    }

    /// Scripts the answers of the next requests.
    pub fn with_next_statuses(mut self, statuses: &[u16]) -> Self {
        self.next_statuses = statuses.iter().copied().collect();
        self
    }

    /// Sets the rival admin.
    pub fn with_rival(mut self, rival: RivalAdmin) -> Self {
        self.rival = Some(rival);
        self
    }

    /// Fixes the random seed.
    /// The CXone face's PUT replaces the skill whole ([`Faults::cxone_whole_put`]).
    pub fn with_cxone_whole_put(mut self, whole: bool) -> Self {
        self.cxone_whole_put = whole;
        self
    }

    pub fn with_rng_seed(mut self, seed: u64) -> Self {
        self.rng_seed = Some(seed);
        self
    }

    fn drops_after_apply(&self, method: &str) -> bool {
        self.drop_after_apply_methods.is_empty()
            || self
                .drop_after_apply_methods
                .iter()
                .any(|m| m.eq_ignore_ascii_case(method))
    }
}

/// What to do with a request before handling it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// Handle it.
    Pass,
    /// Answer this status; `retry_after` for 429/503.
    Answer {
        status: u16,
        retry_after: Option<String>,
    },
    /// Close the connection without an answer.
    Drop,
}

/// The faults in force plus their run-time state (random generator, token bucket).
#[derive(Debug)]
pub(crate) struct FaultState {
    faults: Faults,
    rng: StdRng,
    bucket: Option<Bucket>,
}

#[derive(Debug)]
struct Bucket {
    rps: f64,
    capacity: f64,
    tokens: f64,
    last: Instant,
}

impl Bucket {
    fn new(rps: f64, burst: Option<u32>) -> Self {
        let capacity = burst.map_or_else(|| rps.ceil().max(1.0), |b| f64::from(b.max(1)));
        Self {
            rps,
            capacity,
            tokens: capacity,
            last: Instant::now(),
        }
    }

    /// Takes one token, or answers how long until one is there.
    fn take(&mut self) -> Result<(), Duration> {
        let now = Instant::now();
        let elapsed = now.saturating_duration_since(self.last).as_secs_f64();
        self.last = now;
        self.tokens = (self.tokens + elapsed * self.rps).min(self.capacity);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            Ok(())
        } else {
            Err(Duration::from_secs_f64((1.0 - self.tokens) / self.rps))
        }
    }
}

impl FaultState {
    pub fn new(faults: Faults) -> Self {
        let rng = faults
            .rng_seed
            .map_or_else(StdRng::from_os_rng, StdRng::seed_from_u64);
        let bucket = faults
            .rate_limit_rps
            .map(|rps| Bucket::new(rps, faults.rate_limit_burst));
        Self {
            faults,
            rng,
            bucket,
        }
    }

    pub fn faults(&self) -> &Faults {
        &self.faults
    }

    /// Token lifetime for a token issued now.
    pub fn token_lifetime(&self) -> Duration {
        Duration::from_secs(self.faults.token_lifetime_secs.max(1))
    }

    fn retry_after(&self, secs: u64) -> Option<String> {
        match self.faults.retry_after {
            RetryAfterFormat::Seconds => Some(secs.to_string()),
            RetryAfterFormat::HttpDate => Some(crate::time::http_date_in(secs)),
            RetryAfterFormat::Omitted => None,
        }
    }

    fn answer(&self, status: u16) -> Verdict {
        let retry_after = matches!(status, 429 | 503)
            .then(|| self.retry_after(self.faults.retry_after_secs))
            .flatten();
        Verdict::Answer {
            status,
            retry_after,
        }
    }

    /// Decides a request's fate before it is handled. `exempt` skips everything but latency.
    pub fn before(&mut self, exempt: bool) -> (Verdict, Duration) {
        let mut latency = self.faults.latency_ms;
        if self.faults.latency_jitter_ms > 0 {
            latency += self.rng.random_range(0..=self.faults.latency_jitter_ms);
        }
        let latency = Duration::from_millis(latency);
        if exempt {
            return (Verdict::Pass, latency);
        }
        if let Some(bucket) = &mut self.bucket
            && let Err(wait) = bucket.take()
        {
            let secs = wait.as_secs_f64().ceil().max(1.0);
            // Saturating float-to-int cast: the wait is small and positive.
            let secs = secs as u64;
            let verdict = Verdict::Answer {
                status: 429,
                retry_after: self.retry_after(secs),
            };
            return (verdict, latency);
        }
        if let Some(status) = self.faults.next_statuses.pop_front() {
            let verdict = if status == 0 {
                Verdict::Drop
            } else {
                self.answer(status)
            };
            return (verdict, latency);
        }
        let f = &self.faults;
        let (r429, r503, rdrop) = (f.rate_429, f.rate_503, f.drop_rate);
        if r429 + r503 + rdrop > 0.0 {
            let u: f64 = self.rng.random();
            if u < r429 {
                return (self.answer(429), latency);
            }
            if u < r429 + r503 {
                return (self.answer(503), latency);
            }
            if u < r429 + r503 + rdrop {
                return (Verdict::Drop, latency);
            }
        }
        (Verdict::Pass, latency)
    }

    /// After a successful queue write: should its response be lost?
    pub fn drop_after_apply(&mut self, method: &str) -> bool {
        if !self.faults.drops_after_apply(method) {
            return false;
        }
        if self.faults.drop_after_apply_next > 0 {
            self.faults.drop_after_apply_next -= 1;
            return true;
        }
        let rate = self.faults.drop_after_apply_rate;
        rate > 0.0 && self.rng.random::<f64>() < rate
    }

    /// If the rival admin should act on a PUT to this queue, spends one of its turns and
    /// answers (field, value, name).
    pub fn rival_turn(
        &mut self,
        queue_name: &str,
        queue_id: &str,
    ) -> Option<(String, Value, String)> {
        let rival = self.faults.rival.as_mut()?;
        if rival.times == 0 {
            return None;
        }
        if let Some(filter) = &rival.queue
            && filter != queue_name
            && filter != queue_id
        {
            return None;
        }
        rival.times -= 1;
        Some((rival.field.clone(), rival.value.clone(), rival.name.clone()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_faults_pass_every_request() {
        let mut st = FaultState::new(Faults::default().with_rng_seed(1));
        for _ in 0..100 {
            assert_eq!(st.before(false).0, Verdict::Pass);
        }
    }

    #[test]
    fn faults_from_partial_json_take_defaults() {
        let f: Faults =
            serde_json::from_str(r#"{"rate_429": 0.5, "retry_after": "http-date"}"#).unwrap();
        assert_eq!(f.rate_429, 0.5);
        assert_eq!(f.retry_after, RetryAfterFormat::HttpDate);
        assert_eq!(f.token_lifetime_secs, 3600);
    }

    #[test]
    fn validate_refuses_rates_out_of_range_and_clamped_fixes_them() {
        let f = Faults::default()
            .with_rate_429(1.5)
            .with_drop_rate(f64::NAN);
        assert!(matches!(f.validate(), Err(SimError::InvalidFaults(_))));
        let c = f.clamped();
        assert_eq!((c.rate_429, c.drop_rate), (1.0, 0.0));
        assert!(c.validate().is_ok());
    }

    #[test]
    fn random_429_rate_of_a_half_answers_about_half() {
        let mut st = FaultState::new(Faults::default().with_rate_429(0.5).with_rng_seed(7));
        let n = (0..2000)
            .filter(|_| matches!(st.before(false).0, Verdict::Answer { status: 429, .. }))
            .count();
        assert!((850..1150).contains(&n), "{n}");
    }

    #[test]
    fn scripted_statuses_are_used_in_order_then_requests_pass() {
        let mut st = FaultState::new(Faults::default().with_next_statuses(&[503, 0, 502]));
        assert!(matches!(
            st.before(false).0,
            Verdict::Answer { status: 503, retry_after: Some(ref r) } if r == "1"
        ));
        assert_eq!(st.before(false).0, Verdict::Drop);
        assert_eq!(
            st.before(false).0,
            Verdict::Answer {
                status: 502,
                retry_after: None
            }
        );
        assert_eq!(st.before(false).0, Verdict::Pass);
    }

    #[test]
    fn exempt_requests_skip_faults_but_keep_latency() {
        let mut st = FaultState::new(Faults::default().with_rate_429(1.0).with_latency_ms(40));
        assert_eq!(st.before(true), (Verdict::Pass, Duration::from_millis(40)));
        assert!(matches!(
            st.before(false).0,
            Verdict::Answer { status: 429, .. }
        ));
    }

    #[tokio::test(start_paused = true)]
    async fn rate_limiter_admits_a_burst_then_answers_429_until_refilled() {
        let mut st = FaultState::new(Faults::default().with_rate_limit(2.0, None));
        assert_eq!(st.before(false).0, Verdict::Pass);
        assert_eq!(st.before(false).0, Verdict::Pass);
        assert_eq!(
            st.before(false).0,
            Verdict::Answer {
                status: 429,
                retry_after: Some("1".into())
            }
        );
        tokio::time::advance(Duration::from_millis(500)).await;
        assert_eq!(st.before(false).0, Verdict::Pass);
    }

    #[test]
    fn drop_after_apply_next_counts_down_and_respects_methods() {
        let mut st = FaultState::new(Faults::default().with_drop_after_apply_next(2, &["POST"]));
        assert!(!st.drop_after_apply("PUT"));
        assert!(st.drop_after_apply("POST"));
        assert!(st.drop_after_apply("POST"));
        assert!(!st.drop_after_apply("POST"));
        assert_eq!(st.faults().drop_after_apply_next, 0);
    }

    #[test]
    fn rival_acts_only_on_its_queue_and_only_as_often_as_told() {
        let rival = RivalAdmin {
            times: 2,
            queue: Some("Billing".into()),
            ..RivalAdmin::default()
        };
        let mut st = FaultState::new(Faults::default().with_rival(rival));
        assert!(st.rival_turn("Support", "id-s").is_none());
        assert!(st.rival_turn("Billing", "id-b").is_some());
        assert!(st.rival_turn("Billing", "id-b").is_some());
        assert!(st.rival_turn("Billing", "id-b").is_none());
        assert_eq!(st.faults().rival.as_ref().unwrap().times, 0);
    }
}
