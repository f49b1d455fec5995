//! [`Decimal`]: an exact decimal number, for values a vendor holds with decimals
//! (`serviceLevelTarget.threshold: 87.5`, `time: 20.5` on Genesys Cloud).
//!
//! Unit changes (per cent ↔ fraction, seconds ↔ milliseconds) are shifts of the decimal
//! point on the number's digits ([`Decimal::shift`]), never a trip through `f64`: 7 % is
//! `0.07`, not `0.07000000000000001`. A decimal holds at most [`Decimal::MAX_DIGITS`]
//! significant digits, so that its shortest `f64` spelling (what `serde_json` and the YAML
//! writer print) is exactly its own digits.

use std::borrow::Cow;
use std::cmp::Ordering;
use std::fmt;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// `units × 10^-scale`, normalised (no trailing zero digit when `scale > 0`), so that equal
/// numbers compare and hash equal.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Decimal {
    units: i64,
    scale: u32,
}

impl Decimal {
    /// The most significant digits a decimal holds (what an `f64` spells exactly).
    pub const MAX_DIGITS: usize = 15;

    fn normalised(mut units: i64, mut scale: u32) -> Self {
        while scale > 0 && units % 10 == 0 {
            units /= 10;
            scale -= 1;
        }
        Self { units, scale }
    }

    /// Reads a number's text: `87.5`, `-3`, `2.05e4`, `1E-3`. `None` for anything else, or
    /// for more than [`Self::MAX_DIGITS`] significant digits.
    pub fn parse(text: &str) -> Option<Self> {
        let text = text.trim();
        let (mantissa, exp) = match text.find(['e', 'E']) {
            Some(i) => (&text[..i], text[i + 1..].parse::<i32>().ok()?),
            None => (text, 0),
        };
        let (negative, mantissa) = match mantissa.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, mantissa.strip_prefix('+').unwrap_or(mantissa)),
        };
        let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
        if int.is_empty() && frac.is_empty()
            || !int.bytes().chain(frac.bytes()).all(|b| b.is_ascii_digit())
        {
            return None;
        }
        let digits = format!("{int}{frac}");
        let significant = digits.trim_start_matches('0').trim_end_matches('0');
        if significant.len() > Self::MAX_DIGITS {
            return None;
        }
        // digits × 10^(exp − frac.len()), with the zeros trimmed to keep it within i64.
        let trailing = digits.len() - digits.trim_end_matches('0').len();
        let core = digits.trim_end_matches('0');
        let units: i64 = if core.is_empty() {
            0
        } else {
            core.parse().ok()?
        };
        let power = i64::from(exp) - frac.len() as i64 + trailing as i64;
        let units = if negative { -units } else { units };
        if units == 0 {
            return Some(Self::default());
        }
        Self::from_parts(units, power)
    }

    /// `units × 10^power`, if it fits.
    fn from_parts(units: i64, power: i64) -> Option<Self> {
        if power >= 0 {
            let factor = 10i64.checked_pow(u32::try_from(power).ok()?)?;
            Some(Self::normalised(units.checked_mul(factor)?, 0))
        } else {
            let scale = u32::try_from(-power).ok()?;
            (scale <= 30).then(|| Self::normalised(units, scale))
        }
    }

    /// The number × 10^`places` (a negative `places` divides), exactly; `None` when it does
    /// not fit.
    pub fn shift(self, places: i32) -> Option<Self> {
        Self::from_parts(self.units, i64::from(places) - i64::from(self.scale))
    }

    /// Digits after the decimal point (`20.5` has 1, `20` has 0).
    pub fn fraction_digits(self) -> u32 {
        self.scale
    }

    /// Whether the number is whole.
    pub fn is_integer(self) -> bool {
        self.scale == 0
    }

    /// The number as an integer, when it is whole.
    pub fn to_i64(self) -> Option<i64> {
        self.is_integer().then_some(self.units)
    }

    /// The number as a `u32`, when it is whole and fits.
    pub fn to_u32(self) -> Option<u32> {
        self.to_i64().and_then(|v| u32::try_from(v).ok())
    }

    /// The nearest whole `u32` (for platforms whose validation already keeps the value whole).
    pub fn to_u32_saturating(self) -> u32 {
        let v = self.to_f64().round();
        if v <= 0.0 {
            0
        } else if v >= f64::from(u32::MAX) {
            u32::MAX
        } else {
            v as u32
        }
    }

    /// The nearest `f64` (for display and arithmetic that may be approximate).
    pub fn to_f64(self) -> f64 {
        self.to_string().parse().unwrap_or(f64::NAN)
    }

    /// The number as a JSON number whose text is exactly its digits.
    pub fn to_json(self) -> serde_json::Number {
        match self.to_i64() {
            Some(i) => i.into(),
            None => serde_json::Number::from_f64(self.to_f64()).unwrap_or_else(|| 0.into()),
        }
    }

    /// A JSON number as a decimal (its shortest spelling), if it has at most
    /// [`Self::MAX_DIGITS`] significant digits.
    pub fn from_json(n: &serde_json::Number) -> Option<Self> {
        Self::parse(&n.to_string())
    }
}

impl From<i64> for Decimal {
    fn from(v: i64) -> Self {
        Self::normalised(v, 0)
    }
}

impl From<u32> for Decimal {
    fn from(v: u32) -> Self {
        Self::normalised(i64::from(v), 0)
    }
}

impl PartialOrd for Decimal {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Decimal {
    fn cmp(&self, other: &Self) -> Ordering {
        let scale = self.scale.max(other.scale);
        let widen = |d: &Decimal| {
            10i128
                .checked_pow(scale - d.scale)
                .and_then(|f| i128::from(d.units).checked_mul(f))
        };
        match (widen(self), widen(other)) {
            (Some(a), Some(b)) => a.cmp(&b),
            _ => self.to_f64().total_cmp(&other.to_f64()),
        }
    }
}

impl fmt::Display for Decimal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.scale == 0 {
            return write!(f, "{}", self.units);
        }
        let digits = self.units.unsigned_abs().to_string();
        let scale = self.scale as usize;
        let padded = format!("{digits:0>width$}", width = scale + 1);
        let (int, frac) = padded.split_at(padded.len() - scale);
        let sign = if self.units < 0 { "-" } else { "" };
        write!(f, "{sign}{int}.{frac}")
    }
}

impl fmt::Debug for Decimal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl Serialize for Decimal {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.to_i64() {
            Some(i) => s.serialize_i64(i),
            None => s.serialize_f64(self.to_f64()),
        }
    }
}

impl<'de> Deserialize<'de> for Decimal {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Decimal;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(
                    f,
                    "a number of at most {} significant digits",
                    Decimal::MAX_DIGITS
                )
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Decimal, E> {
                Ok(v.into())
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Decimal, E> {
                i64::try_from(v)
                    .map(Decimal::from)
                    .map_err(|_| E::invalid_value(de::Unexpected::Unsigned(v), &self))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Decimal, E> {
                // Rust prints an f64 as the shortest decimal that reads back as it.
                (v.is_finite())
                    .then(|| Decimal::parse(&v.to_string()))
                    .flatten()
                    .ok_or_else(|| E::invalid_value(de::Unexpected::Float(v), &self))
            }
        }
        d.deserialize_any(V)
    }
}

impl JsonSchema for Decimal {
    fn schema_name() -> Cow<'static, str> {
        "Decimal".into()
    }

    fn inline_schema() -> bool {
        true
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({"type": "number"})
    }
}

/// What a decimal field accepts: a range and how many digits after the point.
#[derive(Clone, Copy, Debug)]
pub struct DecimalRule {
    pub min: i64,
    /// `None`: no upper bound.
    pub max: Option<i64>,
    pub fraction_digits: u32,
    /// What one step of the last digit is, for the hint (`a millisecond`).
    pub step: &'static str,
}

impl DecimalRule {
    pub const fn whole(range: std::ops::RangeInclusive<i64>) -> Self {
        Self {
            min: *range.start(),
            max: Some(*range.end()),
            fraction_digits: 0,
            step: "",
        }
    }
}

/// A decimal field against its rule: precision first (a value the platform cannot hold
/// exactly is never rounded), then the range.
pub(crate) fn check_decimal(
    file: &std::path::Path,
    field: &str,
    v: &crate::Spanned<Decimal>,
    rule: &DecimalRule,
    platform: &str,
    diags: &mut Vec<crate::Diagnostic>,
) {
    let value = v.value;
    if value.fraction_digits() > rule.fraction_digits {
        let (problem, hint) = if rule.fraction_digits == 0 {
            (
                format!("{field} is {value}: a {platform} tenant holds whole numbers only"),
                "use a whole number (values are never rounded)".to_string(),
            )
        } else {
            (
                format!(
                    "{field} is {value}: a {platform} tenant holds at most {} digits after the point",
                    rule.fraction_digits
                ),
                format!(
                    "round it to {} (values are never rounded for you)",
                    rule.step
                ),
            )
        };
        diags.push(
            crate::Diagnostic::error(crate::Rule::Range, file, v.loc, problem).with_hint(hint),
        );
        return;
    }
    let below = value < Decimal::from(rule.min);
    let above = rule.max.is_some_and(|max| value > Decimal::from(max));
    if below || above {
        let (problem, hint) = match rule.max {
            Some(max) => (
                format!("{field} is {value}, outside {}–{max}", rule.min),
                format!(
                    "use a value from {} to {max} (values are never clamped)",
                    rule.min
                ),
            ),
            None => (
                format!("{field} is {value}, below {}", rule.min),
                format!(
                    "use a value of at least {} (values are never clamped)",
                    rule.min
                ),
            ),
        };
        diags.push(
            crate::Diagnostic::error(crate::Rule::Range, file, v.loc, problem).with_hint(hint),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_shift_and_print_exactly() {
        let table = [
            ("87.5", -2, "0.875"),
            ("7", -2, "0.07"),
            ("0.875", 2, "87.5"),
            ("20.5", 3, "20500"),
            ("45500", -3, "45.5"),
            ("1e3", 0, "1000"),
            ("2.05E4", -3, "20.5"),
            ("-0.5", 1, "-5"),
            ("0", 5, "0"),
            ("100.000", 0, "100"),
            ("0.0001", 0, "0.0001"),
        ];
        for (text, places, want) in table {
            let d = Decimal::parse(text).expect(text).shift(places).expect(text);
            assert_eq!(d.to_string(), want, "{text} shifted {places}");
        }
    }

    #[test]
    fn text_that_is_not_a_short_number_is_refused() {
        for text in [
            "",
            ".",
            "1.2.3",
            "abc",
            "1e",
            "--1",
            "0.1234567890123456",
            "nan",
        ] {
            assert_eq!(Decimal::parse(text), None, "{text:?}");
        }
    }

    #[test]
    fn a_decimal_goes_to_json_with_its_own_digits() {
        for text in ["0.07", "0.875", "87.5", "20500", "0.1", "0.333"] {
            let d = Decimal::parse(text).unwrap();
            assert_eq!(serde_json::to_string(&d).unwrap(), text);
            assert_eq!(d.to_json().to_string(), text);
            let back: Decimal = serde_json::from_str(text).unwrap();
            assert_eq!(back, d);
        }
    }

    #[test]
    fn decimals_order_by_value_whatever_their_scale() {
        let d = |t| Decimal::parse(t).unwrap();
        assert!(d("87.5") > d("87"));
        assert!(d("0.07") < d("0.1"));
        assert!(d("-1") < d("0"));
        assert_eq!(d("1.50"), d("1.5"));
    }
}
