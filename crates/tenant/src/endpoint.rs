//! The one rule for an address cxqueues sends credentials or signed data to, shared by every
//! HTTP adapter, GitHub and the webhooks: https anywhere, plain http only to this machine
//! (tests, the simulator), no credentials in it, and no fragment.
//!
//! One difference, by use: a base address ([`Use::Base`], a tenant's or GitHub's API) gets
//! paths appended, so a query there would be misplaced and is refused; a whole address
//! ([`Use::Whole`], a webhook receiver) is called as written, and receivers often route or key
//! by its query, so a query is accepted there (and never shown: see the webhooks' `shown_url`).

use std::net::IpAddr;

pub use url::Url;

/// How a checked address is used.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Use {
    /// A base address that paths are appended to: no query.
    Base,
    /// An address called as written (a webhook): a query is kept.
    Whole,
}

/// Why an address is refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// It does not parse (the parser's words).
    NotAUrl(String),
    /// It carries a user or a password.
    Credentials,
    /// It has no host.
    NoHost,
    /// Plain http to a host that is not this machine.
    PlainHttp,
    /// A scheme other than https or http.
    Scheme(String),
    /// A query or fragment where none may be ([`Use::Base`]), or a fragment.
    QueryOrFragment,
}

impl Refusal {
    /// The reason in words, without the address (the caller shows it as it may).
    pub fn reason(&self) -> String {
        match self {
            Refusal::NotAUrl(e) => format!("not a URL ({e})"),
            Refusal::Credentials => {
                "credentials in the URL would be stored and logged with it".to_string()
            }
            Refusal::NoHost => "it has no host".to_string(),
            Refusal::PlainHttp => "plain http:// is accepted only for loopback hosts \
                                   (127.0.0.0/8, ::1, localhost): use https://"
                .to_string(),
            Refusal::Scheme(s) => format!("the scheme {s:?} is not supported: use https://"),
            Refusal::QueryOrFragment => "it has a query or fragment".to_string(),
        }
    }
}

/// The one rule: `raw` parsed and checked for `used`.
pub fn check(raw: &str, used: Use) -> Result<Url, Refusal> {
    let url = Url::parse(raw.trim()).map_err(|e| Refusal::NotAUrl(e.to_string()))?;
    if !url.username().is_empty() || url.password().is_some() {
        return Err(Refusal::Credentials);
    }
    if url.cannot_be_a_base() || url.host_str().is_none_or(str::is_empty) {
        return Err(Refusal::NoHost);
    }
    match url.scheme() {
        "https" => {}
        "http" if is_loopback(&url) => {}
        "http" => return Err(Refusal::PlainHttp),
        other => return Err(Refusal::Scheme(other.to_string())),
    }
    let query = url.query().is_some() && used == Use::Base;
    if query || url.fragment().is_some() {
        return Err(Refusal::QueryOrFragment);
    }
    Ok(url)
}

/// Parses the base address `raw` ([`Use::Base`]), named `what` in messages (`base_url`,
/// `GENESYSCLOUD_API_REGION`, …). The error is a sentence for a configuration error; it never
/// echoes a URL that carries credentials.
pub fn checked_endpoint(what: &str, raw: &str) -> Result<Url, String> {
    check(raw, Use::Base).map_err(|refusal| match refusal {
        Refusal::NotAUrl(e) => format!("{what} {raw:?} is not a valid URL: {e}"),
        // Never echo the URL here: it carries credentials.
        Refusal::Credentials => format!(
            "{what} carries user credentials, which would be stored and logged with it; give them \
             through the platform's credential settings instead"
        ),
        Refusal::NoHost => {
            format!("{what} {raw:?} has no host: use a URL like https://api.example.com")
        }
        Refusal::PlainHttp => format!(
            "{what} {raw:?} uses plain http:// to a host that is not this machine, which would \
             send credentials and tokens unencrypted: use https:// (http:// is accepted only \
             for loopback hosts: 127.0.0.0/8, ::1 and localhost)"
        ),
        Refusal::Scheme(other) => format!("{what} {raw:?} has the scheme {other:?}: use https://"),
        Refusal::QueryOrFragment => {
            format!("{what} {raw:?} has a query or fragment: give the bare address")
        }
    })
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

    #[test]
    fn a_whole_address_keeps_its_query_and_is_held_to_the_same_rule_otherwise() {
        let table = [
            ("https://wfm.example.com/h?token=t", Use::Whole, Ok(())),
            (
                "https://wfm.example.com/h?token=t",
                Use::Base,
                Err(Refusal::QueryOrFragment),
            ),
            (
                "https://wfm.example.com/h#x",
                Use::Whole,
                Err(Refusal::QueryOrFragment),
            ),
            (
                "http://wfm.example.com/h",
                Use::Whole,
                Err(Refusal::PlainHttp),
            ),
            ("http://127.0.0.1:9/h?x=1", Use::Whole, Ok(())),
            (
                "https://u:p@wfm.example.com/",
                Use::Whole,
                Err(Refusal::Credentials),
            ),
            (
                "ftp://wfm.example.com/",
                Use::Whole,
                Err(Refusal::Scheme("ftp".into())),
            ),
        ];
        for (raw, used, want) in table {
            assert_eq!(check(raw, used).map(|_| ()), want, "{raw} {used:?}");
        }
    }
}
