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
