//! Five-field cron expressions (`minute hour day-of-month month day-of-week`) and their
//! occurrences in an IANA time zone, pure (the caller gives the instant).
//!
//! Standard semantics: `*`, single values, ranges `a-b`, steps `*/n`, `a-b/n` and `a/n`,
//! lists `a,b`; month and weekday names (`JAN`, `MON`, either case); weekday 0 or 7 is
//! Sunday; `@yearly`, `@monthly`, `@weekly`, `@daily` and `@hourly`. When both day-of-month
//! and day-of-week are restricted (neither is `*`), a day matching either one matches.
//!
//! Occurrences are civil times in the zone: one that falls into a skipped hour (daylight
//! saving starts) begins at the first valid instant after the gap; one in a repeated hour
//! (daylight saving ends) at its first occurrence.

use std::fmt;

use jiff::Timestamp;
use jiff::civil::{Date, DateTime};
use jiff::tz::{AmbiguousOffset, TimeZone};

/// How far an occurrence is searched for, in days (covers `0 0 29 2 *` across a century
/// year without a leap day).
const SEARCH_DAYS: i32 = 366 * 9;

/// A parsed cron expression.
#[derive(Clone, PartialEq, Eq)]
pub struct Cron {
    minutes: u64,
    hours: u32,
    /// Bits 1–31.
    days: u32,
    /// Bits 1–12.
    months: u16,
    /// Bits 0–6, Sunday = 0.
    weekdays: u8,
    days_restricted: bool,
    weekdays_restricted: bool,
    text: String,
}

impl fmt::Debug for Cron {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Cron({:?})", self.text)
    }
}

impl fmt::Display for Cron {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

const MONTHS: [&str; 12] = [
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
];
const WEEKDAYS: [&str; 7] = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];

struct Field {
    name: &'static str,
    min: u32,
    max: u32,
    names: &'static [&'static str],
    /// The first name stands for this value.
    names_from: u32,
}

const FIELDS: [Field; 5] = [
    Field {
        name: "minute",
        min: 0,
        max: 59,
        names: &[],
        names_from: 0,
    },
    Field {
        name: "hour",
        min: 0,
        max: 23,
        names: &[],
        names_from: 0,
    },
    Field {
        name: "day of month",
        min: 1,
        max: 31,
        names: &[],
        names_from: 0,
    },
    Field {
        name: "month",
        min: 1,
        max: 12,
        names: &MONTHS,
        names_from: 1,
    },
    Field {
        name: "day of week",
        min: 0,
        max: 7,
        names: &WEEKDAYS,
        names_from: 0,
    },
];

impl Field {
    fn value(&self, s: &str) -> Result<u32, String> {
        let lower = s.to_ascii_lowercase();
        if let Some(i) = self.names.iter().position(|n| *n == lower) {
            return Ok(i as u32 + self.names_from);
        }
        let v: u32 = s.parse().map_err(|_| {
            format!(
                "{:?} is not a number in the {} field ({}–{})",
                s, self.name, self.min, self.max
            )
        })?;
        if !(self.min..=self.max).contains(&v) {
            return Err(format!(
                "{v} is outside {}–{} in the {} field",
                self.min, self.max, self.name
            ));
        }
        Ok(v)
    }

    /// The set of values (as bits) and whether the field is restricted (not `*`).
    fn parse(&self, text: &str) -> Result<(u64, bool), String> {
        if text == "*" {
            return Ok((self.range_bits(self.min, self.max, 1), false));
        }
        let mut bits = 0u64;
        for part in text.split(',') {
            let (range, step) = match part.split_once('/') {
                Some((r, s)) => {
                    let step: u32 = s.parse().ok().filter(|s| *s > 0).ok_or_else(|| {
                        format!(
                            "step {s:?} in the {} field is not a whole number above 0",
                            self.name
                        )
                    })?;
                    (r, step)
                }
                None => (part, 1),
            };
            let (lo, hi) = if range == "*" {
                (self.min, self.max)
            } else if let Some((a, b)) = range.split_once('-') {
                let (a, b) = (self.value(a)?, self.value(b)?);
                if a > b {
                    return Err(format!(
                        "the range {range} in the {} field runs backwards",
                        self.name
                    ));
                }
                (a, b)
            } else if range.is_empty() {
                return Err(format!("an empty item in the {} field", self.name));
            } else {
                let a = self.value(range)?;
                // `a/n` means from a to the end, every n.
                (a, if step > 1 { self.max } else { a })
            };
            bits |= self.range_bits(lo, hi, step);
        }
        Ok((bits, true))
    }

    fn range_bits(&self, lo: u32, hi: u32, step: u32) -> u64 {
        (lo..=hi)
            .step_by(step as usize)
            .fold(0u64, |b, v| b | (1u64 << v))
    }
}

impl Cron {
    /// Parses a five-field expression (or an `@` macro); the error says what is wrong.
    pub fn parse(text: &str) -> Result<Self, String> {
        let expanded = match text.trim() {
            "@yearly" | "@annually" => "0 0 1 1 *",
            "@monthly" => "0 0 1 * *",
            "@weekly" => "0 0 * * 0",
            "@daily" | "@midnight" => "0 0 * * *",
            "@hourly" => "0 * * * *",
            other if other.starts_with('@') => {
                return Err(format!(
                    "unknown macro {other:?} (known: @yearly, @monthly, @weekly, @daily, @hourly)"
                ));
            }
            other => other,
        };
        let parts: Vec<&str> = expanded.split_whitespace().collect();
        if parts.len() != 5 {
            return Err(format!(
                "{} fields; a schedule has 5: minute hour day-of-month month day-of-week",
                parts.len()
            ));
        }
        let mut out = [(0u64, false); 5];
        for (i, (field, part)) in FIELDS.iter().zip(&parts).enumerate() {
            out[i] = field.parse(part)?;
        }
        let mut weekdays = out[4].0;
        if weekdays & (1 << 7) != 0 {
            weekdays = (weekdays & !(1 << 7)) | 1;
        }
        Ok(Self {
            minutes: out[0].0,
            hours: out[1].0 as u32,
            days: out[2].0 as u32,
            months: out[3].0 as u16,
            weekdays: weekdays as u8,
            days_restricted: out[2].1,
            weekdays_restricted: out[4].1,
            text: text.trim().to_string(),
        })
    }

    /// Whether the schedule has occurrences on `date` (any time of day).
    pub fn matches_day(&self, date: Date) -> bool {
        if self.months & (1 << date.month()) == 0 {
            return false;
        }
        let dom = self.days & (1 << date.day()) != 0;
        let dow = self.weekdays & (1 << date.weekday().to_sunday_zero_offset()) != 0;
        if self.days_restricted && self.weekdays_restricted {
            dom || dow
        } else {
            dom && dow
        }
    }

    /// The civil times of `date` the schedule names, in order.
    fn times_of(&self, date: Date) -> impl DoubleEndedIterator<Item = DateTime> + '_ {
        let hours = (0..24i8).filter(move |h| self.hours & (1 << h) != 0);
        hours.flat_map(move |h| {
            (0..60i8)
                .filter(move |m| self.minutes & (1 << m) != 0)
                .map(move |m| date.at(h, m, 0, 0))
        })
    }

    /// The first occurrence strictly after `t`, or none within the search horizon.
    pub fn next_after(&self, t: Timestamp, tz: &TimeZone) -> Option<Timestamp> {
        let mut date = tz.to_datetime(t).date();
        for _ in 0..SEARCH_DAYS {
            if self.matches_day(date) {
                for dt in self.times_of(date) {
                    let at = instant(dt, tz)?;
                    if at > t {
                        return Some(at);
                    }
                }
            }
            date = date.tomorrow().ok()?;
        }
        None
    }

    /// The last occurrence at or before `t`, looking back no further than `not_before`.
    pub fn last_at_or_before(
        &self,
        t: Timestamp,
        not_before: Timestamp,
        tz: &TimeZone,
    ) -> Option<Timestamp> {
        let mut date = tz.to_datetime(t).date();
        let stop = tz.to_datetime(not_before).date().yesterday().ok()?;
        while date >= stop {
            if self.matches_day(date) {
                for dt in self.times_of(date).rev() {
                    let at = instant(dt, tz)?;
                    if at <= t {
                        return (at >= not_before).then_some(at);
                    }
                }
            }
            date = date.yesterday().ok()?;
        }
        None
    }
}

/// The instant a civil time names in `tz`: in a gap, the first valid instant after it (the
/// transition); in a fold, the first occurrence.
pub fn instant(dt: DateTime, tz: &TimeZone) -> Option<Timestamp> {
    match tz.to_ambiguous_timestamp(dt).offset() {
        AmbiguousOffset::Unambiguous { offset } => offset.to_timestamp(dt).ok(),
        AmbiguousOffset::Fold { before, .. } => before.to_timestamp(dt).ok(),
        AmbiguousOffset::Gap { after, .. } => {
            // `dt` read with the later offset is an instant before the transition; the next
            // transition from there is where the skipped hour ends.
            let early = after.to_timestamp(dt).ok()?;
            tz.following(early).next().map(|tr| tr.timestamp())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(s: &str) -> Timestamp {
        s.parse().expect("a timestamp")
    }

    #[test]
    fn expressions_parse_or_say_what_is_wrong() {
        let ok = [
            "* * * * *",
            "0 9 * * MON-FRI",
            "*/15 8-18 * * 1-5",
            "0 0 1,15 * *",
            "30 2 * Mar sun",
            "0 0 * * 7",
            "5/10 * * * *",
            "@daily",
        ];
        for e in ok {
            assert!(Cron::parse(e).is_ok(), "{e} parses");
        }
        let bad = [
            ("* * * *", "4 fields"),
            ("60 * * * *", "outside 0–59"),
            ("* 24 * * *", "outside 0–23"),
            ("* * 0 * *", "outside 1–31"),
            ("* * * 13 *", "outside 1–12"),
            ("* * * * 8", "outside 0–7"),
            ("*/0 * * * *", "step"),
            ("5-1 * * * *", "backwards"),
            ("x * * * *", "not a number"),
            ("@sometimes", "unknown macro"),
            ("1,,2 * * * *", "empty item"),
        ];
        for (e, want) in bad {
            let err = Cron::parse(e).expect_err(e);
            assert!(err.contains(want), "{e}: {err}");
        }
    }

    #[test]
    fn day_of_month_and_day_of_week_both_restricted_match_either() {
        // The 13th or any Friday.
        let c = Cron::parse("0 0 13 * 5").expect("parses");
        let d = |s: &str| -> Date { s.parse().expect("a date") };
        assert!(c.matches_day(d("2026-01-13"))); // a Tuesday, the 13th
        assert!(c.matches_day(d("2026-01-16"))); // a Friday
        assert!(!c.matches_day(d("2026-01-14")));
        // Only the weekday restricted: every Friday, whatever the day of month.
        let fri = Cron::parse("0 0 * * 5").expect("parses");
        assert!(!fri.matches_day(d("2026-01-13")));
        assert!(fri.matches_day(d("2026-01-16")));
        // Sunday as 7 and as 0.
        let sun = Cron::parse("0 0 * * 7").expect("parses");
        assert!(sun.matches_day(d("2026-01-18")));
    }

    #[test]
    fn next_and_last_occurrences_in_utc() {
        let c = Cron::parse("30 22 * * *").expect("parses");
        let utc = TimeZone::UTC;
        assert_eq!(
            c.next_after(ts("2026-03-01T22:30:00Z"), &utc),
            Some(ts("2026-03-02T22:30:00Z"))
        );
        assert_eq!(
            c.last_at_or_before(ts("2026-03-02T01:00:00Z"), ts("2026-03-01T00:00:00Z"), &utc),
            Some(ts("2026-03-01T22:30:00Z"))
        );
        assert_eq!(
            c.last_at_or_before(ts("2026-03-02T01:00:00Z"), ts("2026-03-01T23:00:00Z"), &utc),
            None
        );
    }
}
