//! Small parsers for what arrives on the wire: forms, Basic auth, bearer tokens, If-Match.

use std::collections::HashMap;

use axum::http::{HeaderMap, header};

/// Decodes one `application/x-www-form-urlencoded` component (`+` is a space).
pub(crate) fn form_decode(text: &str) -> String {
    percent_decode(&text.replace('+', " "))
}

/// Decodes `%XX` escapes; malformed escapes are kept as they are.
pub(crate) fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2]))
        {
            out.push(h << 4 | l);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Parses a urlencoded form or query string; the first value of a repeated name wins.
pub(crate) fn parse_form(text: &str) -> HashMap<String, String> {
    let mut out = HashMap::new();
    for pair in text.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        out.entry(form_decode(k)).or_insert_with(|| form_decode(v));
    }
    out
}

/// Standard base64 (padding optional); `None` if malformed.
pub(crate) fn base64_decode(text: &str) -> Option<Vec<u8>> {
    let text = text.trim().trim_end_matches('=');
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let mut acc: u32 = 0;
    let mut bits = 0;
    for c in text.bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push(u8::try_from((acc >> bits) & 0xff).ok()?);
        }
    }
    // A single leftover sextet cannot encode a byte.
    (bits < 6).then_some(out)
}

/// The raw `(id, secret)` of an `Authorization: Basic …` header.
pub(crate) fn basic_auth(headers: &HeaderMap) -> Option<(String, String)> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, rest) = value.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = String::from_utf8(base64_decode(rest)?).ok()?;
    let (id, secret) = decoded.split_once(':')?;
    Some((id.to_owned(), secret.to_owned()))
}

/// The token of an `Authorization: Bearer …` header.
pub(crate) fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.trim().split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim())
        .filter(|t| !t.is_empty())
}

/// `If-Match`: `None` when absent, `Some(Err)` when not a version number. Accepts `7`, `"7"`
/// and `W/"7"`.
pub(crate) fn if_match(headers: &HeaderMap) -> Option<Result<u64, String>> {
    let raw = headers.get(header::IF_MATCH)?;
    let Ok(text) = raw.to_str() else {
        return Some(Err("If-Match: not a version".into()));
    };
    let t = text.trim();
    let t = t.strip_prefix("W/").unwrap_or(t);
    let t = t
        .strip_prefix('"')
        .and_then(|t| t.strip_suffix('"'))
        .unwrap_or(t);
    Some(
        t.trim()
            .parse::<u64>()
            .map_err(|_| format!("If-Match: {text:?} is not a version number")),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(name: header::HeaderName, value: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(name, HeaderValue::from_str(value).unwrap());
        h
    }

    #[test]
    fn form_decoding_handles_plus_and_percent_escapes() {
        let f = parse_form("grant_type=client_credentials&scope=a%3Ab+c%3Ad&x=%zz&x=second");
        assert_eq!(f["grant_type"], "client_credentials");
        assert_eq!(f["scope"], "a:b c:d");
        assert_eq!(f["x"], "%zz");
    }

    #[test]
    fn percent_decode_at_the_very_end_of_the_text() {
        assert_eq!(percent_decode("a%41"), "aA");
        assert_eq!(percent_decode("a%4"), "a%4");
    }

    #[test]
    fn base64_decodes_with_and_without_padding_and_rejects_garbage() {
        assert_eq!(base64_decode("aWQ6c2VjcmV0").unwrap(), b"id:secret");
        assert_eq!(base64_decode("YQ==").unwrap(), b"a");
        assert_eq!(base64_decode("YWI").unwrap(), b"ab");
        assert!(base64_decode("a!b=").is_none());
        assert!(base64_decode("Y").is_none());
    }

    #[test]
    fn basic_auth_is_read_case_insensitively() {
        let h = headers(header::AUTHORIZATION, "basic aWQ6c2VjcmV0");
        assert_eq!(basic_auth(&h), Some(("id".into(), "secret".into())));
        assert_eq!(bearer(&h), None);
    }

    #[test]
    fn if_match_accepts_bare_quoted_and_weak_versions() {
        for v in ["7", "\"7\"", "W/\"7\"", " 7 "] {
            assert_eq!(if_match(&headers(header::IF_MATCH, v)), Some(Ok(7)), "{v}");
        }
        assert!(matches!(
            if_match(&headers(header::IF_MATCH, "abc")),
            Some(Err(_))
        ));
        assert_eq!(if_match(&HeaderMap::new()), None);
    }
}
