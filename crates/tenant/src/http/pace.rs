//! The client-side rate limit: a `governor` limiter on tokio's clock, so that paused-time
//! tests see the same pacing as production.

use std::num::NonZeroU32;
use std::time::Duration;

use governor::clock::Clock;
use governor::middleware::NoOpMiddleware;
use governor::nanos::Nanos;
use governor::state::{InMemoryState, NotKeyed};
use governor::{Quota, RateLimiter};
use tokio::time::Instant;

/// Tokio's clock (paused in tests that pause time), as governor reads clocks.
#[derive(Clone, Copy, Debug)]
struct TokioClock {
    origin: Instant,
}

impl Clock for TokioClock {
    type Instant = Nanos;

    fn now(&self) -> Nanos {
        Nanos::from(self.origin.elapsed())
    }
}

type Limiter = RateLimiter<NotKeyed, InMemoryState, TokioClock, NoOpMiddleware<Nanos>>;

/// Requests per second, shared by every request of one client (retries and token requests
/// included), with bursts of up to `burst` requests.
pub struct Pacer {
    limiter: Limiter,
    clock: TokioClock,
}

impl std::fmt::Debug for Pacer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pacer").finish_non_exhaustive()
    }
}

impl Pacer {
    /// `requests_per_second` (a positive number; a rate too small to express is one request a
    /// day, one too large is no limit), `burst` at once (at least 1).
    pub fn new(requests_per_second: f64, burst: u32) -> Self {
        let period = Duration::try_from_secs_f64(1.0 / requests_per_second)
            .unwrap_or(Duration::from_secs(86_400))
            .clamp(Duration::from_nanos(1), Duration::from_secs(86_400));
        let burst = NonZeroU32::new(burst).unwrap_or(NonZeroU32::MIN);
        let quota = Quota::with_period(period)
            .unwrap_or_else(|| Quota::per_second(NonZeroU32::MAX))
            .allow_burst(burst);
        let clock = TokioClock {
            origin: Instant::now(),
        };
        Self {
            limiter: RateLimiter::direct_with_clock(quota, clock),
            clock,
        }
    }

    /// Waits for the next slot; returns how long that took.
    pub async fn ready(&self) -> Duration {
        let started = Instant::now();
        while let Err(not_until) = self.limiter.check() {
            tokio::time::sleep(not_until.wait_time_from(self.clock.now())).await;
        }
        started.elapsed()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn requests_are_paced_after_the_burst() {
        let pacer = Pacer::new(4.0, 2);
        let started = Instant::now();
        let mut at = Vec::new();
        for _ in 0..5 {
            pacer.ready().await;
            at.push(started.elapsed().as_millis());
        }
        assert_eq!(at, [0, 0, 250, 500, 750]);
    }

    #[tokio::test(start_paused = true)]
    async fn extreme_rates_neither_panic_nor_stall() {
        for rate in [1e-300, 1e300, f64::MIN_POSITIVE] {
            let pacer = Pacer::new(rate, 1);
            pacer.ready().await;
        }
    }
}
