//! Times as RFC 3339 text in UTC, without a calendar dependency: the one home of the date
//! arithmetic that the runner's status, audit records and webhook events and the simulator's
//! `dateModified` all print with (the audit log adds its milliseconds to [`rfc3339_secs`]).

use std::time::{SystemTime, UNIX_EPOCH};

/// `2024-05-01T12:00:00Z` for a number of seconds since the Unix epoch (negative: before it).
pub fn rfc3339_secs(secs: i64) -> String {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    // Howard Hinnant's civil-from-days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// Seconds since the Unix epoch of an RFC 3339 / ISO 8601 date-time as reporting APIs write
/// it: `2026-12-05T10:00:00Z`, with optional fractions (dropped) and a `Z`, `±HH:MM` or no
/// offset (read as UTC). `None` for anything else.
pub fn parse_rfc3339(text: &str) -> Option<i64> {
    let t = text.trim();
    let b = t.as_bytes();
    if b.len() < 19 || b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b'T' | b't' | b' ') {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        let s = t.get(r)?;
        s.bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| s.parse().ok())
            .flatten()
    };
    let (year, month, day) = (num(0..4)?, num(5..7)?, num(8..10)?);
    if b[13] != b':' || b[16] != b':' {
        return None;
    }
    let (hour, minute, second) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if !(1..=12).contains(&month)
        || !(1..=31).contains(&day)
        || hour > 23
        || minute > 59
        || second > 60
    {
        return None;
    }
    let mut rest = &t[19..];
    if let Some(frac) = rest.strip_prefix('.') {
        let digits = frac.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return None;
        }
        rest = &frac[digits..];
    }
    let offset = match rest {
        "" | "Z" | "z" => 0,
        _ => {
            let sign = match rest.as_bytes()[0] {
                b'+' => 1,
                b'-' => -1,
                _ => return None,
            };
            let hm = &rest[1..];
            if hm.len() != 5 || hm.as_bytes()[2] != b':' {
                return None;
            }
            let h: i64 = hm[..2].parse().ok()?;
            let m: i64 = hm[3..].parse().ok()?;
            sign * (h * 3600 + m * 60)
        }
    };
    // Howard Hinnant's days-from-civil.
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(days * 86_400 + hour * 3600 + minute * 60 + second - offset)
}

/// RFC 3339 with whole seconds (the sub-second part is dropped), e.g. `2026-11-20T10:00:00Z`.
pub fn rfc3339(t: SystemTime) -> String {
    rfc3339_secs(signed_secs(t))
}

/// `t` as RFC 3339 UTC with milliseconds (`2026-12-01T08:48:10.123Z`), for records that need
/// finer order than a second (the audit log).
pub fn rfc3339_millis(t: SystemTime) -> String {
    let d = t.duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    let whole = rfc3339_secs(i64::try_from(d.as_secs()).unwrap_or(0));
    format!("{}.{:03}Z", whole.trim_end_matches('Z'), d.subsec_millis())
}

/// Whole seconds since the epoch, negative before it (rounded toward the earlier second).
fn signed_secs(t: SystemTime) -> i64 {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
        Err(e) => {
            let d = e.duration();
            let whole = i64::try_from(d.as_secs()).unwrap_or(i64::MAX);
            if d.subsec_nanos() > 0 {
                -whole - 1
            } else {
                -whole
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    #[test]
    fn parsing_inverts_formatting_and_reads_fractions_and_offsets() {
        for secs in (-86_400 * 800..4_000_000_000i64).step_by(86_399 * 37 + 11) {
            assert_eq!(super::parse_rfc3339(&super::rfc3339_secs(secs)), Some(secs));
        }
        for (text, want) in [
            ("2026-12-05T10:00:00.000Z", Some(1_796_464_800)),
            ("2026-12-05T10:00:00", Some(1_796_464_800)),
            ("2026-12-05T11:30:00+01:30", Some(1_796_464_800)),
            ("2026-12-05T08:00:00-02:00", Some(1_796_464_800)),
            ("2026-13-05T10:00:00Z", None),
            ("2026-12-05 10:00", None),
            ("yesterday", None),
            ("2026-12-05T10:00:00.Z", None),
        ] {
            assert_eq!(super::parse_rfc3339(text), want, "{text}");
        }
    }

    use super::*;

    #[test]
    fn timestamps_are_rfc3339_utc() {
        assert_eq!(rfc3339_secs(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339_secs(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339_secs(1_700_000_000), "2023-11-14T22:13:20Z");
        assert_eq!(rfc3339_secs(-1), "1969-12-31T23:59:59Z");
    }

    #[test]
    fn the_whole_second_form_drops_the_fraction() {
        let t = UNIX_EPOCH + Duration::from_millis(1_700_000_000_123);
        assert_eq!(rfc3339(t), "2023-11-14T22:13:20Z");
    }

    #[test]
    fn a_time_just_before_the_epoch_is_the_last_second_of_1969() {
        let t = UNIX_EPOCH - Duration::from_millis(500);
        assert_eq!(rfc3339(t), "1969-12-31T23:59:59Z");
        assert_eq!(
            rfc3339(UNIX_EPOCH - Duration::from_secs(1)),
            "1969-12-31T23:59:59Z"
        );
    }
}
