//! The `seed` policy: the formula of the tool cxqueues replaced, reproduced to the number.
//!
//! 1. utilization = activeInteractions / maxCapacity
//! 2. coverage = coverageRatio, or 0.75 when it is absent or 0
//! 3. base = round(120 / coverage)
//! 4. wait = utilization > 0.85 ? min(base + 60, 300) : base
//! 5. maxWaitTime = wait, maxWaiters = round(maxCapacity × 0.8),
//!    serviceLevelTarget = {threshold: utilization > 0.9 ? 70 : 85, time: round(wait × 0.6)}
//!
//! `round` is JavaScript's `Math.round` (half up). The division is IEEE, as in JavaScript: a
//! `maxCapacity` of 0 gives an infinite (or NaN) utilization, and the comparisons follow.

/// JavaScript's `Math.round`: the nearest integer, halves rounded up (towards +∞).
pub fn round_half_up(x: f64) -> f64 {
    let f = x.floor();
    // x − ⌊x⌋ is exact in binary floating point.
    if x - f >= 0.5 { f + 1.0 } else { f }
}

/// The coverage used when `coverageRatio` is absent or 0.
pub const DEFAULT_COVERAGE: f64 = 0.75;

/// What the formula computes, before any bound.
#[derive(Clone, Debug, PartialEq)]
pub struct SeedRaw {
    pub utilization: f64,
    pub coverage: f64,
    pub base: f64,
    pub wait: f64,
    pub max_waiters: f64,
    pub threshold: f64,
    pub time: f64,
}

/// The formula, on the three inputs.
pub fn compute(
    active_interactions: f64,
    max_capacity: f64,
    coverage_ratio: Option<f64>,
) -> SeedRaw {
    let utilization = active_interactions / max_capacity;
    let coverage = match coverage_ratio {
        Some(c) if c != 0.0 => c,
        _ => DEFAULT_COVERAGE,
    };
    let base = round_half_up(120.0 / coverage);
    let wait = if utilization > 0.85 {
        (base + 60.0).min(300.0)
    } else {
        base
    };
    SeedRaw {
        utilization,
        coverage,
        base,
        wait,
        max_waiters: round_half_up(max_capacity * 0.8),
        threshold: if utilization > 0.9 { 70.0 } else { 85.0 },
        time: round_half_up(wait * 0.6),
    }
}

impl SeedRaw {
    /// Why `maxWaitTime` is what it is.
    pub fn wait_reason(&self) -> String {
        let base = format!(
            "round(120 / coverage {}) = {}",
            trim(self.coverage),
            self.base
        );
        if self.utilization > 0.85 {
            format!(
                "utilization {} > 0.85: min({base} + 60, 300)",
                trim(self.utilization)
            )
        } else {
            format!("utilization {} ≤ 0.85: {base}", trim(self.utilization))
        }
    }

    pub fn threshold_reason(&self) -> String {
        if self.utilization > 0.9 {
            format!("utilization {} > 0.9: 70 %", trim(self.utilization))
        } else {
            format!("utilization {} ≤ 0.9: 85 %", trim(self.utilization))
        }
    }
}

/// A number with at most 4 decimals, without trailing zeros.
pub(crate) fn trim(x: f64) -> String {
    if !x.is_finite() {
        return x.to_string();
    }
    let s = format!("{x:.4}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    s.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounding_is_half_up_as_javascript_math_round() {
        for (x, r) in [
            (0.5, 1.0),
            (1.5, 2.0),
            (2.5, 3.0),
            (2.4999, 2.0),
            (159.99, 160.0),
            (0.49999999999999994, 0.0),
            (0.0, 0.0),
            (-0.5, 0.0),
            (-1.5, -1.0),
        ] {
            assert_eq!(round_half_up(x), r, "round({x})");
        }
    }

    /// (active, capacity, coverage) → (wait, maxWaiters, threshold, time), before bounds.
    #[test]
    fn the_formula_covers_every_branch() {
        let table: &[(f64, f64, Option<f64>, [f64; 4])] = &[
            // utilization 0.5, coverage absent → 0.75: base 160.
            (5.0, 10.0, None, [160.0, 8.0, 85.0, 96.0]),
            // coverage 0 is "absent".
            (5.0, 10.0, Some(0.0), [160.0, 8.0, 85.0, 96.0]),
            // utilization exactly 0.85 is not above it.
            (17.0, 20.0, Some(1.0), [120.0, 16.0, 85.0, 72.0]),
            // just above 0.85, not above 0.9: +60.
            (86.0, 100.0, Some(1.0), [180.0, 80.0, 85.0, 108.0]),
            // exactly 0.9: +60, threshold still 85.
            (9.0, 10.0, Some(1.0), [180.0, 8.0, 85.0, 108.0]),
            // above 0.9: threshold 70.
            (95.0, 100.0, Some(1.0), [180.0, 80.0, 70.0, 108.0]),
            // high utilization, low coverage: min(base + 60, 300) caps at 300.
            (10.0, 10.0, Some(0.5), [300.0, 8.0, 70.0, 180.0]),
            // low coverage, low utilization: base beyond 600 (bounded later).
            (1.0, 10.0, Some(0.1), [1200.0, 8.0, 85.0, 720.0]),
            // coverage 0.3: 120 / 0.3 = 400 exactly in the formula's rounding.
            (0.0, 10.0, Some(0.3), [400.0, 8.0, 85.0, 240.0]),
            // capacity rounds half up: 0.8 × 5 = 4, 0.8 × 3.125 = 2.5 → 3.
            (0.0, 3.125, Some(1.0), [120.0, 3.0, 85.0, 72.0]),
            // capacity 0: utilization is infinite (active > 0), maxWaiters 0.
            (3.0, 0.0, Some(1.0), [180.0, 0.0, 70.0, 108.0]),
            // capacity 0 and no activity: NaN utilization compares false.
            (0.0, 0.0, Some(1.0), [120.0, 0.0, 85.0, 72.0]),
            // a large capacity: maxWaiters beyond 100 (bounded later).
            (10.0, 200.0, Some(0.9), [133.0, 160.0, 85.0, 80.0]),
        ];
        for &(active, cap, cov, [wait, waiters, threshold, time]) in table {
            let r = compute(active, cap, cov);
            assert_eq!(
                [r.wait, r.max_waiters, r.threshold, r.time],
                [wait, waiters, threshold, time],
                "active {active}, capacity {cap}, coverage {cov:?}"
            );
        }
    }

    #[test]
    fn reasons_name_the_branch_taken() {
        let hi = compute(9.0, 10.0, None);
        assert_eq!(
            hi.wait_reason(),
            "utilization 0.9 > 0.85: min(round(120 / coverage 0.75) = 160 + 60, 300)"
        );
        assert_eq!(hi.threshold_reason(), "utilization 0.9 ≤ 0.9: 85 %");
        let lo = compute(1.0, 10.0, Some(1.0));
        assert_eq!(
            lo.wait_reason(),
            "utilization 0.1 ≤ 0.85: round(120 / coverage 1) = 120"
        );
    }
}
