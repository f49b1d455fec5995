//! When to try again, and how long to wait first.

use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};
use tenant::{Backoff, Jitter};
use tokio::time::Instant;

use crate::ApiError;

/// How [`HttpTenant`](crate::HttpTenant) retries throttled and failed requests.
///
/// A 429 or 503 with `Retry-After` waits what the tenant asks (capped at
/// [`max_retry_after`](Self::max_retry_after)); every other retry waits a full-jitter
/// exponential backoff: a random time between zero and
/// `min(max_delay, initial_delay × 2^retry)`. A request is given up after
/// [`max_attempts`](Self::max_attempts) tries, or earlier when the next wait would pass
/// [`total_deadline`](Self::total_deadline) counted from the first try.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RetryPolicy {
    /// Tries in all, the first one included (at least 1). Default 6.
    pub max_attempts: u32,
    /// The backoff ceiling of the first retry. Default 250 ms.
    pub initial_delay: Duration,
    /// The largest backoff ceiling. Default 30 s.
    pub max_delay: Duration,
    /// No retry starts later than this after the first try. Default 5 min.
    pub total_deadline: Duration,
    /// The longest `Retry-After` honoured; a longer one is cut to this. Default 120 s.
    pub max_retry_after: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 6,
            initial_delay: Duration::from_millis(250),
            max_delay: Duration::from_secs(30),
            total_deadline: Duration::from_secs(300),
            max_retry_after: Duration::from_secs(120),
        }
    }
}

impl RetryPolicy {
    /// One try, no retries.
    pub fn no_retries() -> Self {
        Self {
            max_attempts: 1,
            ..Self::default()
        }
    }

    pub(crate) fn validate(&self) -> Result<(), ApiError> {
        if self.max_attempts == 0 {
            return Err(ApiError::Config(
                "retry.max_attempts is 0: it counts the first try too, so it must be at least 1"
                    .into(),
            ));
        }
        if self.initial_delay > self.max_delay {
            return Err(ApiError::Config(format!(
                "retry.initial_delay ({:?}) is larger than retry.max_delay ({:?})",
                self.initial_delay, self.max_delay
            )));
        }
        Ok(())
    }

    /// The backoff between tries: the port's one policy, doubling from `initial_delay` up to
    /// `max_delay`, with full jitter.
    fn backoff(&self) -> Backoff {
        Backoff::doubling(self.initial_delay, self.max_delay).with_jitter(Jitter::Full)
    }

    /// The un-jittered ceilings of the retries, in order.
    #[cfg(test)]
    fn schedule(&self) -> impl Iterator<Item = Duration> {
        let backoff = self.backoff();
        (0..).map(move |retry| backoff.ceiling(retry))
    }
}

/// Reads a `Retry-After` value: delay-seconds (`2`) or an HTTP-date (RFC 9110 §10.2.3).
/// A date in the past means "now".
pub(crate) fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    if let Ok(secs) = value.parse::<f64>() {
        // `try_from` refuses what does not fit (1e30 s); the caller caps it anyway.
        return Duration::try_from_secs_f64(secs).ok();
    }
    let when = httpdate::parse_http_date(value).ok()?;
    Some(when.duration_since(now).unwrap_or(Duration::ZERO))
}

/// Why one try failed in a way that may be retried.
#[derive(Debug)]
pub(crate) struct Failure {
    /// What happened, for messages and logs (never a token).
    pub reason: String,
    /// What the tenant asked us to wait, if it said.
    pub retry_after: Option<Duration>,
    /// The request may have been applied (transport error, timeout, 5xx other than a 429).
    pub maybe_applied: bool,
    /// No HTTP answer came at all.
    pub transport: bool,
}

/// The retry budget of one logical call (all its tries share it).
#[derive(Debug)]
pub(crate) struct Budget {
    policy: RetryPolicy,
    started: Instant,
    backoff: Backoff,
    /// Backoff waits taken so far (a `Retry-After` wait does not count).
    backed_off: u32,
    /// Tries sent so far.
    pub attempts: u32,
    /// Whether an earlier try may have been applied without us seeing the answer.
    pub maybe_applied: bool,
}

impl Budget {
    pub fn new(policy: &RetryPolicy) -> Self {
        Self {
            policy: policy.clone(),
            started: Instant::now(),
            backoff: policy.backoff(),
            backed_off: 0,
            attempts: 0,
            maybe_applied: false,
        }
    }

    /// How long to wait before the next try, or the error that ends the call.
    /// `target` names where the request went (for [`ApiError::Network`]).
    pub fn next_delay(&mut self, failure: &Failure, target: &str) -> Result<Duration, ApiError> {
        self.maybe_applied |= failure.maybe_applied;
        let give_up = |attempts: u32, why: String| {
            if failure.transport {
                ApiError::Network {
                    base_url: target.to_owned(),
                    reason: format!("{}; gave up after {attempts} attempts{why}", failure.reason),
                }
            } else {
                ApiError::RetriesExhausted {
                    attempts,
                    last: format!("{}{why}", failure.reason),
                }
            }
        };
        if self.attempts >= self.policy.max_attempts {
            return Err(give_up(self.attempts, String::new()));
        }
        let delay = match failure.retry_after {
            Some(asked) => asked.min(self.policy.max_retry_after),
            None => {
                let delay = self.backoff.delay(self.backed_off, rand::random::<f64>());
                self.backed_off = self.backed_off.saturating_add(1);
                delay
            }
        };
        let remaining = self
            .policy
            .total_deadline
            .saturating_sub(self.started.elapsed());
        if delay > remaining {
            return Err(give_up(
                self.attempts,
                format!(
                    " (the next try, {:.1} s away, would pass the {} s retry deadline)",
                    delay.as_secs_f64(),
                    self.policy.total_deadline.as_secs()
                ),
            ));
        }
        Ok(delay)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_is_read_in_both_forms() {
        let now = SystemTime::now();
        assert_eq!(parse_retry_after(" 2 ", now), Some(Duration::from_secs(2)));
        assert_eq!(
            parse_retry_after("0.5", now),
            Some(Duration::from_millis(500))
        );
        let later = httpdate::fmt_http_date(now + Duration::from_secs(10));
        let d = parse_retry_after(&later, now).unwrap();
        assert!(
            d <= Duration::from_secs(10) && d >= Duration::from_secs(9),
            "{d:?}"
        );
        let past = httpdate::fmt_http_date(now - Duration::from_secs(10));
        assert_eq!(parse_retry_after(&past, now), Some(Duration::ZERO));
        assert_eq!(parse_retry_after("soon", now), None);
        assert_eq!(parse_retry_after("-3", now), None);
    }

    #[test]
    fn full_jitter_stays_under_the_ceiling() {
        let backoff = RetryPolicy {
            initial_delay: Duration::from_millis(100),
            ..RetryPolicy::default()
        }
        .backoff();
        for _ in 0..1000 {
            assert!(backoff.delay(0, rand::random::<f64>()) <= Duration::from_millis(100));
        }
    }

    #[test]
    fn the_backoff_ceiling_doubles_up_to_the_maximum() {
        let policy = RetryPolicy {
            initial_delay: Duration::from_millis(100),
            max_delay: Duration::from_millis(500),
            ..RetryPolicy::default()
        };
        let ceilings: Vec<u128> = policy
            .schedule()
            .take(5)
            .map(|d| (d.as_secs_f64() * 1000.0).round() as u128)
            .collect();
        assert_eq!(ceilings, [100, 200, 400, 500, 500]);
    }

    #[test]
    fn a_budget_ends_after_max_attempts_and_names_them() {
        let mut budget = Budget::new(&RetryPolicy {
            max_attempts: 2,
            initial_delay: Duration::from_millis(1),
            ..RetryPolicy::default()
        });
        let failure = Failure {
            reason: "HTTP 503".into(),
            retry_after: None,
            maybe_applied: false,
            transport: false,
        };
        budget.attempts = 1;
        assert!(budget.next_delay(&failure, "https://t").is_ok());
        budget.attempts = 2;
        match budget.next_delay(&failure, "https://t") {
            Err(ApiError::RetriesExhausted { attempts: 2, last }) => assert!(last.contains("503")),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_retry_after_past_the_deadline_gives_up_at_once() {
        let mut budget = Budget::new(&RetryPolicy {
            total_deadline: Duration::from_secs(5),
            ..RetryPolicy::default()
        });
        budget.attempts = 1;
        let failure = Failure {
            reason: "HTTP 429".into(),
            retry_after: Some(Duration::from_secs(60)),
            maybe_applied: false,
            transport: false,
        };
        let err = budget.next_delay(&failure, "https://t").unwrap_err();
        assert!(err.to_string().contains("deadline"), "{err}");
    }
}
