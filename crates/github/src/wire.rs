//! The pure parts of GitHub's wire protocol: the `Link` header and the rate-limit answers.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use reqwest::header::HeaderMap;

/// The `rel="next"` target of a `Link` header
/// (`<https://…?page=2>; rel="next", <https://…?page=5>; rel="last"`), if any.
pub fn next_link(link: &str) -> Option<String> {
    link.split(',').find_map(|part| {
        let (target, params) = part.trim().split_once(';')?;
        let target = target.trim().strip_prefix('<')?.strip_suffix('>')?;
        let is_next = params.split(';').any(|p| {
            p.trim()
                .strip_prefix("rel=")
                .map(|v| v.trim_matches('"'))
                .is_some_and(|v| v.split_ascii_whitespace().any(|r| r == "next"))
        });
        is_next.then(|| target.to_string())
    })
}

/// How long GitHub asks to wait before the request is sent again, when the answer is a rate
/// limit: a 429, or a 403 that is a primary (`x-ratelimit-remaining: 0`) or secondary limit.
/// `Retry-After` (seconds or an HTTP date) wins; then `x-ratelimit-reset` (epoch seconds);
/// a secondary limit that names neither waits a minute, as GitHub's documentation asks.
/// `None` when the answer is not a rate limit.
pub fn rate_limit_wait(
    status: u16,
    headers: &HeaderMap,
    body: &str,
    now: SystemTime,
) -> Option<Duration> {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
    };
    let retry_after = header("retry-after");
    let exhausted = header("x-ratelimit-remaining") == Some("0");
    let says_so = body.to_ascii_lowercase().contains("rate limit");
    let limited =
        status == 429 || (status == 403 && (exhausted || retry_after.is_some() || says_so));
    if !limited {
        return None;
    }
    if let Some(v) = retry_after {
        if let Ok(secs) = v.parse::<u64>() {
            return Some(Duration::from_secs(secs));
        }
        if let Ok(at) = httpdate::parse_http_date(v) {
            return Some(at.duration_since(now).unwrap_or_default());
        }
    }
    if exhausted && let Some(reset) = header("x-ratelimit-reset").and_then(|v| v.parse().ok()) {
        // A reset past what the clock can hold (`18446744073709551615`) is as far as it goes:
        // a wait longer than any bound, never an overflow.
        let Some(at) = UNIX_EPOCH.checked_add(Duration::from_secs(reset)) else {
            return Some(Duration::MAX);
        };
        // The reset is in whole seconds: one more, so that the retry lands after it.
        return Some(
            at.duration_since(now)
                .unwrap_or_default()
                .saturating_add(Duration::from_secs(1)),
        );
    }
    Some(Duration::from_secs(60))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_link_finds_the_next_page_wherever_it_sits() {
        let cases: &[(&str, Option<&str>)] = &[
            (
                r#"<https://api.github.com/x?page=2>; rel="next", <https://api.github.com/x?page=5>; rel="last""#,
                Some("https://api.github.com/x?page=2"),
            ),
            (
                r#"<https://h/x?page=1>; rel="prev", <https://h/x?page=3>; rel="next""#,
                Some("https://h/x?page=3"),
            ),
            (r#"<https://h/x?page=1>; rel="first""#, None),
            (
                r#"<https://h/x?page=4>;rel=next"#,
                Some("https://h/x?page=4"),
            ),
            (
                r#"<https://h/x?page=4>; rel="next last""#,
                Some("https://h/x?page=4"),
            ),
            (r#"<https://h/x?page=4>; rel="nextish""#, None),
            ("", None),
            ("garbage", None),
        ];
        for (header, want) in cases {
            assert_eq!(next_link(header).as_deref(), *want, "{header}");
        }
    }

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, v.parse().unwrap());
        }
        h
    }

    #[test]
    fn rate_limit_waits_follow_retry_after_then_the_reset_then_a_minute() {
        let now = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let later = httpdate::fmt_http_date(now + Duration::from_secs(7));
        let secs = |s| Some(Duration::from_secs(s));
        let cases: Vec<(u16, HeaderMap, &str, Option<Duration>)> = vec![
            (429, headers(&[("retry-after", "3")]), "", secs(3)),
            (429, headers(&[("retry-after", &later)]), "", secs(7)),
            (
                403,
                headers(&[
                    ("x-ratelimit-remaining", "0"),
                    ("x-ratelimit-reset", "1700000030"),
                ]),
                "",
                secs(31),
            ),
            (
                403,
                headers(&[
                    ("x-ratelimit-remaining", "0"),
                    ("x-ratelimit-reset", "1699999990"),
                ]),
                "",
                secs(1),
            ),
            (
                403,
                headers(&[]),
                r#"{"message":"You have exceeded a secondary rate limit."}"#,
                secs(60),
            ),
            (403, headers(&[("retry-after", "5")]), "", secs(5)),
            (429, headers(&[]), "", secs(60)),
            (
                403,
                headers(&[]),
                r#"{"message":"Resource not accessible by integration"}"#,
                None,
            ),
            (403, headers(&[("x-ratelimit-remaining", "12")]), "", None),
            (
                403,
                headers(&[
                    ("x-ratelimit-remaining", "0"),
                    ("x-ratelimit-reset", "18446744073709551615"),
                ]),
                "",
                Some(Duration::MAX),
            ),
            (
                429,
                headers(&[("retry-after", "18446744073709551615")]),
                "",
                secs(u64::MAX),
            ),
            (404, headers(&[("retry-after", "5")]), "", None),
            (500, headers(&[]), "rate limit", None),
        ];
        for (status, h, body, want) in cases {
            assert_eq!(
                rate_limit_wait(status, &h, body, now),
                want,
                "{status} {h:?} {body}"
            );
        }
    }
}
