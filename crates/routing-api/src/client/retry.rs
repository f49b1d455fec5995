//! How this adapter's retries are configured; the retrying itself is the HTTP core's
//! (`tenant::http`).

use std::time::Duration;

use serde::{Deserialize, Serialize};
use tenant::{Backoff, Jitter};

use crate::ApiError;

/// How [`HttpTenant`](crate::HttpTenant) retries throttled and failed requests.
///
/// A 429 or 5xx with `Retry-After` waits what the tenant asks, up to
/// [`max_retry_after`](Self::max_retry_after) (a tenant asking for more fails the request at
/// once, naming the wait); every other retry waits a full-jitter
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
    /// The longest `Retry-After` honoured; a tenant asking for more fails the request at
    /// once. Default 180 s.
    pub max_retry_after: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 6,
            initial_delay: Duration::from_millis(250),
            max_delay: Duration::from_secs(30),
            total_deadline: Duration::from_secs(300),
            max_retry_after: tenant::http::MAX_RETRY_AFTER,
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

    /// The policy as the HTTP core runs it.
    pub(crate) fn core(&self) -> tenant::http::RetryPolicy {
        tenant::http::RetryPolicy {
            max_attempts: self.max_attempts.max(1),
            backoff: self.backoff(),
            total_deadline: self.total_deadline,
            max_retry_after: self.max_retry_after,
        }
    }

    /// The un-jittered ceilings of the retries, in order.
    #[cfg(test)]
    fn schedule(&self) -> impl Iterator<Item = Duration> {
        let backoff = self.backoff();
        (0..).map(move |retry| backoff.ceiling(retry))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
