//! The one exponential-backoff policy: `initial`, multiplied by `factor` per attempt, at most
//! `max`, optionally with full jitter. Pure: the caller sleeps.

use std::time::Duration;

/// Capped exponential backoff.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Backoff {
    /// The delay before the first retry.
    pub initial: Duration,
    /// The largest delay.
    pub max: Duration,
    /// Growth per attempt (2.0 doubles).
    pub factor: f64,
    /// How much of each delay is random (see [`Backoff::delay`]).
    pub jitter: Jitter,
}

/// The random part of a backoff delay.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Jitter {
    /// Exactly the computed delay.
    None,
    /// Uniform in `[0, delay]`: retrying clients spread out the most.
    Full,
    /// Uniform in `[delay/2, delay]`: spread out, yet never much sooner than the delay.
    Equal,
}

impl Backoff {
    /// Doubling from `initial` up to `max`, no jitter.
    pub const fn doubling(initial: Duration, max: Duration) -> Self {
        Self {
            initial,
            max,
            factor: 2.0,
            jitter: Jitter::None,
        }
    }

    /// The same policy with this jitter.
    pub const fn with_jitter(mut self, jitter: Jitter) -> Self {
        self.jitter = jitter;
        self
    }

    /// The un-jittered delay before retry `attempt` (0 is the first retry).
    pub fn ceiling(&self, attempt: u32) -> Duration {
        let exp = self.factor.max(1.0).powi(attempt.min(64) as i32);
        let secs = (self.initial.as_secs_f64() * exp).min(self.max.as_secs_f64());
        if secs.is_finite() && secs >= 0.0 {
            Duration::from_secs_f64(secs)
        } else {
            self.max
        }
    }

    /// The delay before retry `attempt`; `unit` is a uniform draw from `[0, 1)` that the
    /// caller supplies (its own RNG), used only with jitter.
    pub fn delay(&self, attempt: u32, unit: f64) -> Duration {
        let ceiling = self.ceiling(attempt);
        let unit = if unit.is_finite() {
            unit.clamp(0.0, 1.0)
        } else {
            1.0
        };
        match self.jitter {
            Jitter::None => ceiling,
            Jitter::Full => ceiling.mul_f64(unit),
            Jitter::Equal => ceiling.mul_f64(0.5 + unit * 0.5),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_by_its_factor_up_to_its_cap() {
        let b = Backoff::doubling(Duration::from_secs(1), Duration::from_secs(10));
        let table = [
            (0, 1),
            (1, 2),
            (2, 4),
            (3, 8),
            (4, 10),
            (40, 10),
            (u32::MAX, 10),
        ];
        for (attempt, secs) in table {
            assert_eq!(
                b.delay(attempt, 0.5),
                Duration::from_secs(secs),
                "attempt {attempt}"
            );
        }
    }

    #[test]
    fn full_jitter_stays_within_the_ceiling() {
        let b = Backoff::doubling(Duration::from_millis(100), Duration::from_secs(1));
        let full = b.with_jitter(Jitter::Full);
        assert_eq!(full.delay(3, 0.0), Duration::ZERO);
        assert_eq!(full.delay(3, 0.5), Duration::from_millis(400));
        assert_eq!(full.delay(3, 7.0), Duration::from_millis(800));
        let equal = b.with_jitter(Jitter::Equal);
        assert_eq!(equal.delay(3, 0.0), Duration::from_millis(400));
        assert_eq!(equal.delay(3, 1.0), Duration::from_millis(800));
        assert_eq!(equal.delay(3, f64::NAN), Duration::from_millis(800));
    }
}
