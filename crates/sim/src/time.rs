//! Wall-clock formatting helpers (no calendar crate needed).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Formats a wall-clock time as RFC 3339 in UTC with whole seconds, e.g. `2026-11-20T10:00:00Z`.
pub(crate) fn rfc3339(t: SystemTime) -> String {
    let secs = t.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let days = i64::try_from(secs / 86_400).unwrap_or(0);
    let rem = secs % 86_400;
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// The current time as RFC 3339.
pub(crate) fn now_rfc3339() -> String {
    rfc3339(SystemTime::now())
}

/// An HTTP-date (RFC 9110 §5.6.7) `secs` seconds from now, for `Retry-After`.
pub(crate) fn http_date_in(secs: u64) -> String {
    httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(secs))
}

/// Days since 1970-01-01 to a proleptic Gregorian (year, month, day).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097); // [0, 146096]
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365; // [0, 399]
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100); // [0, 365]
    let mp = (5 * doy + 2) / 153; // [0, 11], March-based
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    // day is 1..=31 and month 1..=12, so both fit.
    (
        year,
        u32::try_from(month).unwrap_or(1),
        u32::try_from(day).unwrap_or(1),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_formats_the_epoch() {
        assert_eq!(rfc3339(UNIX_EPOCH), "1970-01-01T00:00:00Z");
    }

    #[test]
    fn rfc3339_agrees_with_httpdate_on_many_instants() {
        for secs in (0..4_000_000_000u64).step_by(86_399 * 37) {
            let t = UNIX_EPOCH + Duration::from_secs(secs);
            let ours = rfc3339(t);
            let parsed = httpdate::parse_http_date(&httpdate::fmt_http_date(t)).unwrap();
            assert_eq!(parsed, t);
            // Re-derive the date from the HTTP-date text: "Tue, 14 Nov 2023 22:13:20 GMT".
            let http = httpdate::fmt_http_date(t);
            let parts: Vec<&str> = http.split(' ').collect();
            let months = [
                "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
            ];
            let month = months.iter().position(|m| *m == parts[2]).unwrap() + 1;
            let expected = format!("{}-{month:02}-{}T{}Z", parts[3], parts[1], parts[4]);
            assert_eq!(ours, expected, "at {secs}");
        }
    }

    #[test]
    fn http_date_in_is_in_the_future() {
        let text = http_date_in(30);
        let when = httpdate::parse_http_date(&text).unwrap();
        assert!(when > SystemTime::now() + Duration::from_secs(25));
    }
}
