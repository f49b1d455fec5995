//! Wall-clock formatting helpers: RFC 3339 through `model::time`, HTTP-dates for `Retry-After`.

use std::time::{Duration, SystemTime};

use model::time::rfc3339;

/// The current time as RFC 3339 in UTC with whole seconds (the one formatter: `model::time`).
pub(crate) fn now_rfc3339() -> String {
    rfc3339(SystemTime::now())
}

/// An HTTP-date (RFC 9110 §5.6.7) `secs` seconds from now, for `Retry-After`.
pub(crate) fn http_date_in(secs: u64) -> String {
    httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(secs))
}

#[cfg(test)]
mod tests {
    use std::time::UNIX_EPOCH;

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
