//! The one retry policy: when to try again, and how long to wait first.
//!
//! A 429 or a 5xx with `Retry-After` waits what the server asks, up to
//! [`RetryPolicy::max_retry_after`] (180 s by default, as Genesys's own SDK); a server asking
//! for more fails the request at once, naming the wait. Every other retry waits the
//! policy's [`Backoff`]. A request is given up after [`RetryPolicy::max_attempts`] tries, or
//! earlier when the next wait would pass [`RetryPolicy::total_deadline`].

use std::time::{Duration, SystemTime};

use tokio::time::Instant;

use crate::Backoff;

/// The longest `Retry-After` honoured by default.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(180);

/// How one client retries throttled and failed requests.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RetryPolicy {
    /// Tries in all, the first one included (at least 1).
    pub max_attempts: u32,
    /// The wait before a retry the server gave no `Retry-After` for.
    pub backoff: Backoff,
    /// No retry starts later than this after the first try.
    pub total_deadline: Duration,
    /// The longest `Retry-After` waited; a server asking for more fails the request at once.
    pub max_retry_after: Duration,
}

impl RetryPolicy {
    /// `max_attempts` tries with `backoff` between them, no deadline, `Retry-After` honoured
    /// up to [`MAX_RETRY_AFTER`].
    pub fn new(max_attempts: u32, backoff: Backoff) -> Self {
        Self {
            max_attempts: max_attempts.max(1),
            backoff,
            total_deadline: Duration::MAX,
            max_retry_after: MAX_RETRY_AFTER,
        }
    }
}

/// Reads a `Retry-After` value: delay-seconds (`2`, or `0.5` as some servers send) or an
/// HTTP-date (RFC 9110 §10.2.3). A date in the past means "now"; anything else is `None`.
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    if let Ok(secs) = value.parse::<f64>() {
        // `try_from` refuses what does not fit (1e30 s) and what is negative.
        return Duration::try_from_secs_f64(secs).ok();
    }
    let when = httpdate::parse_http_date(value).ok()?;
    Some(when.duration_since(now).unwrap_or(Duration::ZERO))
}

/// Why one try failed in a way that may be retried.
#[derive(Debug)]
pub(crate) struct Failure {
    /// What happened, for logs and messages (already redacted).
    pub reason: String,
    /// What the server asked us to wait, if it said.
    pub retry_after: Option<Duration>,
    /// The request may have been applied (no answer, or a 5xx).
    pub maybe_applied: bool,
}

/// Why the retries of one call ended.
#[derive(Debug)]
pub(crate) enum GiveUp {
    /// Every attempt was spent, or the next wait would pass the deadline: the words say which.
    Spent(String),
    /// The server asked to wait longer than the policy honours.
    TooLong(Duration),
}

/// The retry budget of one logical call (all its tries share it).
#[derive(Debug)]
pub struct Budget {
    policy: RetryPolicy,
    started: Instant,
    /// Backoff waits taken so far (a `Retry-After` wait does not count).
    backed_off: u32,
    /// Tries sent so far.
    attempts: u32,
    /// Whether an earlier try may have been applied without us seeing the answer.
    maybe_applied: bool,
}

impl Budget {
    /// A fresh budget under `policy`, its deadline counted from now.
    pub fn new(policy: &RetryPolicy) -> Self {
        Self {
            policy: *policy,
            started: Instant::now(),
            backed_off: 0,
            attempts: 0,
            maybe_applied: false,
        }
    }

    /// Tries sent so far.
    pub fn attempts(&self) -> u32 {
        self.attempts
    }

    /// Whether an earlier try may have been applied although its answer was lost (a lost
    /// create, then "name taken", may be our own).
    pub fn maybe_applied(&self) -> bool {
        self.maybe_applied
    }

    pub(crate) fn sent(&mut self) {
        self.attempts = self.attempts.saturating_add(1);
    }

    /// A try that does not count (the re-send after a refused token).
    pub(crate) fn unsent(&mut self) {
        self.attempts = self.attempts.saturating_sub(1);
    }

    /// How long to wait before the next try, or why the call ends.
    pub(crate) fn next_delay(&mut self, failure: &Failure) -> Result<Duration, GiveUp> {
        self.maybe_applied |= failure.maybe_applied;
        if let Some(asked) = failure.retry_after
            && asked > self.policy.max_retry_after
        {
            return Err(GiveUp::TooLong(asked));
        }
        if self.attempts >= self.policy.max_attempts {
            return Err(GiveUp::Spent(format!(
                "gave up after {} attempts",
                self.attempts
            )));
        }
        let delay = match failure.retry_after {
            Some(asked) => asked,
            None => {
                let delay = self
                    .policy
                    .backoff
                    .delay(self.backed_off, rand::random::<f64>());
                self.backed_off = self.backed_off.saturating_add(1);
                delay
            }
        };
        let remaining = self
            .policy
            .total_deadline
            .saturating_sub(self.started.elapsed());
        if delay > remaining {
            return Err(GiveUp::Spent(format!(
                "gave up after {} attempts: the next try, {:.1} s away, would pass the {} s retry \
                 deadline",
                self.attempts,
                delay.as_secs_f64(),
                self.policy.total_deadline.as_secs()
            )));
        }
        Ok(delay)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Jitter;

    #[test]
    fn retry_after_is_read_as_seconds_or_an_http_date() {
        let now = httpdate::parse_http_date("Sat, 05 Dec 2026 12:00:00 GMT").unwrap();
        let table = [
            ("2", Some(Duration::from_secs(2))),
            (" 1 ", Some(Duration::from_secs(1))),
            ("0", Some(Duration::ZERO)),
            ("0.5", Some(Duration::from_millis(500))),
            ("181", Some(Duration::from_secs(181))),
            ("18446744073709551615", Some(Duration::from_secs(u64::MAX))),
            ("1e30", None),
            ("-3", None),
            ("soon", None),
            ("", None),
            (
                "Sat, 05 Dec 2026 12:00:10 GMT",
                Some(Duration::from_secs(10)),
            ),
            (
                "Sat, 05 Dec 2026 12:05:00 GMT",
                Some(Duration::from_secs(300)),
            ),
            ("Sat, 05 Dec 2026 11:59:00 GMT", Some(Duration::ZERO)),
            (
                "Saturday, 05-Dec-26 12:00:03 GMT",
                Some(Duration::from_secs(3)),
            ),
        ];
        for (header, want) in table {
            assert_eq!(parse_retry_after(header, now), want, "{header:?}");
        }
    }

    fn failure(retry_after: Option<u64>) -> Failure {
        Failure {
            reason: "HTTP 429".into(),
            retry_after: retry_after.map(Duration::from_secs),
            maybe_applied: false,
        }
    }

    #[test]
    fn a_retry_after_up_to_three_minutes_is_waited_and_a_longer_one_fails_naming_it() {
        let policy = RetryPolicy::new(
            10,
            Backoff::doubling(Duration::from_secs(1), Duration::from_secs(8)),
        );
        let table = [
            (Some(1), Ok(Duration::from_secs(1))),
            (Some(180), Ok(Duration::from_secs(180))),
            (Some(181), Err(Duration::from_secs(181))),
            (Some(u64::MAX), Err(Duration::from_secs(u64::MAX))),
            (None, Ok(Duration::from_secs(1))),
        ];
        for (asked, want) in table {
            let mut budget = Budget::new(&policy);
            budget.sent();
            let got = match budget.next_delay(&failure(asked)) {
                Ok(d) => Ok(d),
                Err(GiveUp::TooLong(d)) => Err(d),
                Err(GiveUp::Spent(why)) => panic!("{asked:?}: {why}"),
            };
            assert_eq!(got, want, "{asked:?}");
        }
    }

    #[test]
    fn a_budget_ends_after_max_attempts_and_names_them() {
        let policy = RetryPolicy::new(
            2,
            Backoff::doubling(Duration::from_millis(1), Duration::from_millis(1)),
        );
        let mut budget = Budget::new(&policy);
        budget.sent();
        assert!(budget.next_delay(&failure(None)).is_ok());
        budget.sent();
        match budget.next_delay(&failure(None)) {
            Err(GiveUp::Spent(why)) => assert!(why.contains("2 attempts"), "{why}"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn backoff_waits_count_only_backoffs_and_a_deadline_ends_the_call() {
        let backoff = Backoff::doubling(Duration::from_secs(1), Duration::from_secs(60))
            .with_jitter(Jitter::None);
        let mut policy = RetryPolicy::new(10, backoff);
        let mut budget = Budget::new(&policy);
        let waits: Vec<u64> = [None, Some(1), None, None]
            .into_iter()
            .map(|asked| {
                budget.sent();
                budget.next_delay(&failure(asked)).unwrap().as_secs()
            })
            .collect();
        assert_eq!(waits, [1, 1, 2, 4]);
        policy.total_deadline = Duration::from_secs(5);
        let mut budget = Budget::new(&policy);
        budget.sent();
        match budget.next_delay(&failure(Some(60))) {
            Err(GiveUp::Spent(why)) => assert!(why.contains("deadline"), "{why}"),
            other => panic!("{other:?}"),
        }
    }
}
