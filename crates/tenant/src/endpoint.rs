//! The one check of a configured tenant address, shared by every HTTP adapter: https
//! anywhere, plain http only to this machine (tests, the simulator), no credentials, query or
//! fragment in it.

use std::net::IpAddr;

pub use url::Url;

/// Parses the address `raw`, named `what` in messages (`base_url`, `GENESYSCLOUD_API_REGION`,
/// …). The error is a sentence for a configuration error; it never echoes a URL that carries
/// credentials.
pub fn checked_endpoint(what: &str, raw: &str) -> Result<Url, String> {
    let url =
        Url::parse(raw.trim()).map_err(|e| format!("{what} {raw:?} is not a valid URL: {e}"))?;
    if !url.username().is_empty() || url.password().is_some() {
        // Never echo the URL here: it carries credentials.
        return Err(format!(
            "{what} carries user credentials, which would be stored and logged with it; give them \
             through the platform's credential settings instead"
        ));
    }
    if url.cannot_be_a_base() || url.host_str().is_none_or(str::is_empty) {
        return Err(format!(
            "{what} {raw:?} has no host: use a URL like https://api.example.com"
        ));
    }
    match url.scheme() {
        "https" => {}
        "http" if is_loopback(&url) => {}
        "http" => {
            return Err(format!(
                "{what} {raw:?} uses plain http:// to a host that is not this machine, which would \
                 send credentials and tokens unencrypted: use https:// (http:// is accepted only \
                 for loopback hosts: 127.0.0.0/8, ::1 and localhost)"
            ));
        }
        other => {
            return Err(format!(
                "{what} {raw:?} has the scheme {other:?}: use https://"
            ));
        }
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(format!(
            "{what} {raw:?} has a query or fragment: give the bare address"
        ));
    }
    Ok(url)
}

/// Whether the URL's host is this machine (127.0.0.0/8, ::1, localhost).
pub fn is_loopback(url: &Url) -> bool {
    let host = url.host_str().unwrap_or_default();
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn https_anywhere_and_http_only_to_this_machine() {
        let table = [
            ("https://api.example.com", true),
            ("http://127.0.0.1:8080", true),
            ("http://[::1]:1", true),
            ("http://localhost", true),
            ("http://api.example.com", false),
            ("ftp://api.example.com", false),
            ("https://api.example.com?x=1", false),
            ("not a url", false),
        ];
        for (raw, ok) in table {
            assert_eq!(checked_endpoint("base", raw).is_ok(), ok, "{raw}");
        }
        let err = checked_endpoint("base", "https://u:pa55word@api.example.com").unwrap_err();
        assert!(!err.contains("pa55word"), "{err}");
    }
}
