//! The Erlang C model (M/M/N): N agents, traffic A Erlangs, exponential handle times.
//!
//! C(N, A) comes from Erlang B. Up to [`RECURSION_LIMIT`] agents, B goes through the recursion
//! `B(k) = A·B(k−1) / (k + A·B(k−1))`, which only ever divides numbers of the same size: no
//! factorial, no power of A. Above it, the cost must not grow with N (a hostile `agents:
//! 4294967295` cost 27 s per queue), so B is read from the Poisson distribution in log space:
//! with X ~ Poisson(A), `B = P(X = N) / P(X ≤ N)`, where `ln P(X = N) = N·ln A − A − ln N!`
//! (Stirling) and the tail is a series whose terms shrink geometrically; it needs about
//! 9·√N terms at worst (A next to N) and a handful otherwise.

/// Up to this many agents Erlang B is computed by its recursion (exact, at most this many
/// steps); above it, in log space (see the module).
pub const RECURSION_LIMIT: u32 = 1_000;

/// The most terms a series of [`erlang_b`] sums (far above what 10⁵ agents need).
const MAX_TERMS: u32 = 1_000_000;

/// Erlang B (the blocking probability) for `n` servers and `a` Erlangs.
pub fn erlang_b(n: u32, a: f64) -> f64 {
    if a.is_nan() || a <= 0.0 {
        return if n == 0 { 1.0 } else { 0.0 };
    }
    if n <= RECURSION_LIMIT {
        let mut b = 1.0;
        for k in 1..=n {
            b = next_b(b, k, a);
        }
        return b;
    }
    let nf = f64::from(n);
    if a >= nf {
        // 1/B = Σ_{j=0..N} Π_{i<j} (N − i)/A: every factor ≤ 1, so the terms only shrink.
        let (mut inverse, mut term) = (1.0_f64, 1.0_f64);
        for j in 0..n.min(MAX_TERMS) {
            term *= (nf - f64::from(j)) / a;
            inverse += term;
            if term < inverse * 1e-17 {
                break;
            }
        }
        return 1.0 / inverse;
    }
    // P(X ≥ N+1) = P(X = N) · Σ_{m≥1} Π_{i=1..m} A/(N + i).
    let ln_at_n = nf * a.ln() - a - ln_factorial(nf);
    let (mut series, mut term) = (0.0_f64, 1.0_f64);
    for i in 1..=MAX_TERMS {
        term *= a / (nf + f64::from(i));
        series += term;
        if term < (1.0 + series) * 1e-17 {
            break;
        }
    }
    let at_n = ln_at_n.exp();
    at_n / (1.0 - at_n * series)
}

/// ln n! for n above [`RECURSION_LIMIT`], by Stirling's series (error below 1e-20 there).
fn ln_factorial(n: f64) -> f64 {
    let (n2, n3) = (n * n, n * n * n);
    n * n.ln() - n + 0.5 * (2.0 * std::f64::consts::PI * n).ln() + 1.0 / (12.0 * n)
        - 1.0 / (360.0 * n3)
        + 1.0 / (1260.0 * n3 * n2)
}

/// One step of the Erlang B recursion: B(k) from B(k−1).
fn next_b(b: f64, k: u32, a: f64) -> f64 {
    let ab = a * b;
    ab / (f64::from(k) + ab)
}

/// Erlang C from Erlang B: the probability that a contact waits at all.
fn c_from_b(n: u32, a: f64, b: f64) -> f64 {
    let n = f64::from(n);
    n * b / (n - a * (1.0 - b))
}

/// A queue that can keep up: N agents, A < N Erlangs of traffic.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ErlangC {
    /// Staffed agents, N.
    pub agents: u32,
    /// Offered traffic, A, in Erlangs.
    pub traffic: f64,
    /// C(N, A): the probability that a contact waits.
    pub wait_probability: f64,
}

impl ErlangC {
    /// The model, or `None` when N ≤ A (the queue grows without bound) or A is not a finite,
    /// non-negative number.
    pub fn new(agents: u32, traffic: f64) -> Option<Self> {
        if !traffic.is_finite() || traffic < 0.0 || f64::from(agents) <= traffic {
            return None;
        }
        let b = erlang_b(agents, traffic);
        Some(Self {
            agents,
            traffic,
            wait_probability: c_from_b(agents, traffic, b),
        })
    }

    /// N − A, the spare capacity (always > 0).
    fn spare(&self) -> f64 {
        f64::from(self.agents) - self.traffic
    }

    /// ρ = A / N.
    pub fn occupancy(&self) -> f64 {
        self.traffic / f64::from(self.agents)
    }

    /// P(wait > t) = C·e^(−(N−A)·t/AHT).
    pub fn wait_longer_than(&self, t: f64, aht: f64) -> f64 {
        self.wait_probability * (-self.spare() * t / aht).exp()
    }

    /// 1 − P(wait > t).
    pub fn service_level(&self, t: f64, aht: f64) -> f64 {
        1.0 - self.wait_longer_than(t, aht)
    }

    /// The average speed of answer, C·AHT / (N − A), in seconds.
    pub fn average_speed_of_answer(&self, aht: f64) -> f64 {
        self.wait_probability * aht / self.spare()
    }

    /// P(waiting contacts ≥ k) = C·ρ^k.
    pub fn waiters_at_least(&self, k: u64) -> f64 {
        self.wait_probability * self.occupancy().powf(k as f64)
    }

    /// The smallest k ≥ 1 with C·ρ^k ≤ ε (saturating at `u64::MAX` for ρ next to 1).
    pub fn waiters_within(&self, tail: f64) -> u64 {
        let c = self.wait_probability;
        let rho = self.occupancy();
        if c <= tail || rho <= 0.0 {
            return 1;
        }
        // ln(ε/C) / ln ρ, both negative; then step to the exact smallest k.
        let estimate = ((tail / c).ln() / rho.ln()).ceil();
        let mut k = whole(estimate).max(1);
        while k > 1 && self.waiters_at_least(k - 1) <= tail {
            k -= 1;
        }
        while k < u64::MAX && self.waiters_at_least(k) > tail {
            k += 1;
        }
        k
    }

    /// The smallest whole number of seconds t ≥ 0 with P(wait > t) ≤ ε.
    pub fn wait_within(&self, tail: f64, aht: f64) -> u64 {
        let c = self.wait_probability;
        if c <= tail {
            return 0;
        }
        let estimate = (aht * (c / tail).ln() / self.spare()).ceil();
        let mut t = whole(estimate);
        while t > 0 && self.wait_longer_than((t - 1) as f64, aht) <= tail {
            t -= 1;
        }
        while t < u64::MAX && self.wait_longer_than(t as f64, aht) > tail {
            t += 1;
        }
        t
    }
}

/// A non-negative float as a whole number, saturating (`as` saturates; NaN becomes 0).
fn whole(x: f64) -> u64 {
    x.max(0.0) as u64
}

/// The smallest N > A whose service level (answered within `t` seconds) reaches `target`
/// (0–1), or `None` when no N up to A + `MAX_EXTRA_AGENTS` does. B is computed once at the
/// first N above A ([`erlang_b`], whose cost does not grow with N), then each further N costs
/// one step of the recursion.
pub fn agents_needed(traffic: f64, aht: f64, t: f64, target: f64) -> Option<u32> {
    if !traffic.is_finite() || traffic < 0.0 || aht <= 0.0 {
        return None;
    }
    let limit = (traffic + f64::from(MAX_EXTRA_AGENTS)).min(f64::from(u32::MAX - 1));
    let first = traffic.floor() + 1.0;
    if first > limit {
        return None;
    }
    let mut n = first as u32;
    let mut b = erlang_b(n, traffic);
    while f64::from(n) <= limit {
        let c = c_from_b(n, traffic, b);
        let sl = 1.0 - c * (-(f64::from(n) - traffic) * t / aht).exp();
        if sl >= target {
            return Some(n);
        }
        n += 1;
        b = next_b(b, n, traffic);
    }
    None
}

/// How far past A the search for [`agents_needed`] goes.
pub const MAX_EXTRA_AGENTS: u32 = 1_000_000;

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() <= tol
    }

    #[test]
    fn erlang_c_matches_published_tables() {
        // (N, A, C): textbook values; 1/3 and 4/9 are exact.
        let table = [
            (2, 1.0, 1.0 / 3.0, 1e-12),
            (3, 2.0, 4.0 / 9.0, 1e-12),
            (12, 10.0, 0.4494, 5e-5),
            (11, 10.0, 0.6821, 5e-5),
            (15, 10.0, 0.1020, 5e-5),
            (5, 3.0, 0.2362, 5e-5),
        ];
        for (n, a, expected, tol) in table {
            let m = ErlangC::new(n, a).unwrap();
            assert!(
                close(m.wait_probability, expected, tol),
                "C({n}, {a}) = {}, expected {expected}",
                m.wait_probability
            );
        }
    }

    #[test]
    fn the_service_level_of_ten_erlangs_on_twelve_agents_in_twenty_seconds_is_0_6402() {
        let m = ErlangC::new(12, 10.0).unwrap();
        assert!(close(m.service_level(20.0, 180.0), 0.6402, 5e-5));
        assert!(close(m.average_speed_of_answer(180.0), 40.45, 0.01));
        assert!(close(m.occupancy(), 10.0 / 12.0, 1e-12));
    }

    #[test]
    fn erlang_b_matches_a_published_value() {
        // B(10, 10) = 0.2146 (Erlang B tables).
        assert!(close(erlang_b(10, 10.0), 0.2146, 5e-5));
        assert_eq!(erlang_b(0, 7.0), 1.0);
    }

    #[test]
    fn no_model_when_the_agents_cannot_keep_up_with_the_traffic() {
        assert_eq!(ErlangC::new(10, 10.0), None);
        assert_eq!(ErlangC::new(9, 10.0), None);
        assert_eq!(ErlangC::new(10, f64::NAN), None);
        assert_eq!(ErlangC::new(10, -1.0), None);
        assert!(ErlangC::new(11, 10.0).is_some());
    }

    #[test]
    fn five_thousand_agents_stay_finite() {
        for a in [0.0, 100.0, 4_000.0, 4_950.0, 4_999.5] {
            let m = ErlangC::new(5_000, a).unwrap();
            let c = m.wait_probability;
            assert!(
                c.is_finite() && (0.0..=1.0).contains(&c),
                "C = {c} at A = {a}"
            );
            assert!(m.service_level(20.0, 300.0).is_finite());
            assert!(m.waiters_within(0.01) >= 1);
        }
    }

    #[test]
    fn erlang_b_in_log_space_agrees_with_the_recursion_above_its_limit() {
        // The recursion, run past the limit by hand, against the log-space path.
        for (n, a) in [
            (1_001, 900.0),
            (1_001, 1_000.5),
            (1_500, 1_499.0),
            (2_000, 1_000.0),
            (3_000, 2_990.0),
            (1_200, 5_000.0),
            (5_000, 3.0),
        ] {
            let mut b = 1.0;
            for k in 1..=n {
                b = next_b(b, k, a);
            }
            let fast = erlang_b(n, a);
            assert!(
                (fast - b).abs() <= 1e-9 * b.max(1e-300) || (fast - b).abs() < 1e-300,
                "B({n}, {a}) = {fast}, the recursion gives {b}"
            );
        }
    }

    #[test]
    fn erlang_c_at_the_bounds_costs_a_bounded_number_of_steps() {
        // 100,000 agents (the input bound) and u32::MAX: both answer (the second would take
        // 4·10⁹ steps of the recursion). No timing here: the step count is what is bounded.
        for n in [100_000, u32::MAX] {
            let m = ErlangC::new(n, f64::from(n.min(100_000)) * 0.95).unwrap();
            assert!((0.0..=1.0).contains(&m.wait_probability), "{m:?}");
        }
        let m = ErlangC::new(100_000, 99_990.0).unwrap();
        assert!(m.wait_probability > 0.9, "{m:?}");
        assert_eq!(
            agents_needed(99_000.0, 300.0, 20.0, 0.8).map(|n| n > 99_000),
            Some(true)
        );
    }

    #[test]
    fn max_waiters_is_the_smallest_k_whose_tail_is_within_epsilon() {
        let m = ErlangC::new(12, 10.0).unwrap();
        let k = m.waiters_within(0.01);
        assert!(m.waiters_at_least(k) <= 0.01);
        assert!(m.waiters_at_least(k - 1) > 0.01);
        // ln(0.01/0.4494)/ln(10/12) = 20.88 → 21.
        assert_eq!(k, 21);
        // Traffic that rarely queues needs one place.
        assert_eq!(ErlangC::new(50, 1.0).unwrap().waiters_within(0.01), 1);
    }

    #[test]
    fn max_wait_time_is_the_smallest_whole_second_whose_tail_is_within_epsilon() {
        let m = ErlangC::new(12, 10.0).unwrap();
        let t = m.wait_within(0.01, 180.0);
        assert!(m.wait_longer_than(t as f64, 180.0) <= 0.01);
        assert!(m.wait_longer_than((t - 1) as f64, 180.0) > 0.01);
        // 180·ln(0.4494/0.01)/2 = 342.6 → 343.
        assert_eq!(t, 343);
        assert_eq!(ErlangC::new(50, 1.0).unwrap().wait_within(0.01, 180.0), 0);
    }

    #[test]
    fn agents_needed_is_the_smallest_staffing_that_meets_the_target() {
        // 10 Erlangs, 80 % in 20 s, AHT 180: 12 agents give 64 %, 13 give 79.1 %, 14 give 88.6 %.
        assert_eq!(agents_needed(10.0, 180.0, 20.0, 0.80), Some(14));
        assert_eq!(agents_needed(10.0, 180.0, 20.0, 0.64), Some(12));
        assert_eq!(agents_needed(0.0, 180.0, 20.0, 0.99), Some(1));
    }

    use rand::rngs::StdRng;
    use rand::{Rng, SeedableRng};

    #[test]
    fn the_service_level_rises_and_max_waiters_falls_as_agents_are_added() {
        let mut rng = StdRng::seed_from_u64(12);
        for _ in 0..2_000 {
            let a = rng.random::<f64>() * 300.0;
            let aht = 30.0 + rng.random::<f64>() * 600.0;
            let t = 1.0 + (rng.random::<f64>() * 299.0).floor();
            let tail = 0.001 + rng.random::<f64>() * 0.1;
            let first = a.floor() as u32 + 1;
            let mut prev: Option<ErlangC> = None;
            for n in first..first + 25 {
                let m = ErlangC::new(n, a).unwrap();
                if let Some(p) = prev {
                    let (sl0, sl1) = (p.service_level(t, aht), m.service_level(t, aht));
                    assert!(sl1 >= sl0, "SL fell from {sl0} to {sl1}: A={a} N={n}");
                    let (k0, k1) = (p.waiters_within(tail), m.waiters_within(tail));
                    assert!(k1 <= k0, "maxWaiters rose from {k0} to {k1}: A={a} N={n}");
                    let (w0, w1) = (p.wait_within(tail, aht), m.wait_within(tail, aht));
                    assert!(w1 <= w0, "maxWaitTime rose from {w0} to {w1}: A={a} N={n}");
                }
                prev = Some(m);
            }
        }
    }

    #[test]
    fn agents_needed_meets_the_target_and_one_agent_fewer_does_not() {
        let mut rng = StdRng::seed_from_u64(7);
        for _ in 0..300 {
            let a = rng.random::<f64>() * 200.0;
            let aht = 30.0 + rng.random::<f64>() * 600.0;
            let t = 1.0 + (rng.random::<f64>() * 299.0).floor();
            let target = 0.5 + rng.random::<f64>() * 0.45;
            let n = agents_needed(a, aht, t, target).unwrap();
            assert!(ErlangC::new(n, a).unwrap().service_level(t, aht) >= target);
            if let Some(fewer) = ErlangC::new(n - 1, a) {
                assert!(fewer.service_level(t, aht) < target);
            }
        }
    }
}
