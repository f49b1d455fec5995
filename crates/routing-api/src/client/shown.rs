//! Server-supplied text (error bodies, token endpoint errors, `Location` headers) in the only
//! form it is ever shown or stored: every known secret redacted, control and bidi characters
//! escaped, and cut to a bounded length.

use reqwest::Url;

use tenant::Secret;

/// The most characters of server text that an error carries.
pub(crate) const MAX_SHOWN_CHARS: usize = 500;
/// What a redacted secret becomes.
const REDACTED: &str = "***";

/// The secrets that must never appear in text shown to anyone: the client secret and the
/// access tokens in play. Each is matched as sent (raw, form-encoded, percent-encoded and
/// JSON-escaped), so a server that echoes the request gives nothing away.
#[derive(Clone, Default)]
pub(crate) struct Redactor {
    /// Every form of every secret, longest first (so a secret that contains another is
    /// redacted whole).
    forms: Vec<String>,
}

impl Redactor {
    pub fn new<'a>(secrets: impl IntoIterator<Item = &'a Secret>) -> Self {
        let mut forms: Vec<String> = secrets
            .into_iter()
            .map(Secret::expose)
            .filter(|s| !s.is_empty())
            .flat_map(|s| {
                let json = serde_json::to_string(s).unwrap_or_default();
                let json = json.trim_matches('"').to_owned();
                [
                    s.to_owned(),
                    percent_encoded(s, true),
                    percent_encoded(s, false),
                    json,
                ]
            })
            .filter(|form| !form.is_empty())
            .collect();
        forms.sort_by_key(|form| std::cmp::Reverse(form.len()));
        forms.dedup();
        Self { forms }
    }

    /// `text` with every secret replaced by `***`.
    pub fn redact(&self, text: &str) -> String {
        let mut text = text.to_owned();
        for form in &self.forms {
            if text.contains(form.as_str()) {
                text = text.replace(form.as_str(), REDACTED);
            }
        }
        text
    }

    /// Server text as it may be shown: redacted, escaped, trimmed and cut to
    /// [`MAX_SHOWN_CHARS`] characters (`…` marks a cut).
    pub fn show(&self, text: &str) -> String {
        sanitised(&self.redact(text), MAX_SHOWN_CHARS)
    }

    /// A response body as it may be shown ([`Redactor::show`] of its UTF-8, lossily).
    pub fn show_body(&self, body: &[u8]) -> String {
        let text = self.show(&String::from_utf8_lossy(body));
        if text.is_empty() {
            "(empty body)".into()
        } else {
            text
        }
    }

    /// A redirect's `Location`, resolved against the request URL, without its userinfo,
    /// query or fragment (which may carry credentials), then shown like any server text.
    pub fn show_location(&self, location: Option<&[u8]>, request: &Url) -> String {
        let Some(raw) = location else {
            return "(no Location header)".into();
        };
        let raw = String::from_utf8_lossy(raw);
        let bare = match request.join(raw.trim()) {
            Ok(mut url) => {
                let _ = url.set_username("");
                let _ = url.set_password(None);
                url.set_query(None);
                url.set_fragment(None);
                url.to_string()
            }
            // Not a URL: keep what comes before any query, fragment or userinfo.
            Err(_) => {
                let before_query = raw.split(['?', '#']).next().unwrap_or_default();
                match before_query.rsplit_once('@') {
                    Some((_, host_and_path)) => format!("(credentials removed)@{host_and_path}"),
                    None => before_query.to_owned(),
                }
            }
        };
        self.show(&bare)
    }
}

/// `text` trimmed, with control characters and bidirectional-formatting characters escaped
/// (`\n`, `\u{202e}`), cut to `max` characters.
pub(crate) fn sanitised(text: &str, max: usize) -> String {
    let mut out = String::new();
    for (count, c) in text.trim().chars().enumerate() {
        if count == max {
            out.push('…');
            break;
        }
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() || is_bidi_control(c) => {
                out.push_str(&format!("\\u{{{:x}}}", u32::from(c)));
            }
            c => out.push(c),
        }
    }
    out
}

/// The characters that reorder text on screen (Unicode bidi formatting characters).
fn is_bidi_control(c: char) -> bool {
    matches!(
        c,
        '\u{061c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}'
    )
}

/// `s` percent-encoded as in a form body (`form`: space is `+`) or a URL (space is `%20`).
fn percent_encoded(s: &str, form: bool) -> String {
    let mut out = String::new();
    for byte in s.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'*' => {
                out.push(char::from(byte));
            }
            b' ' if form => out.push('+'),
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_encoding_of_a_secret_is_redacted() {
        let redactor = Redactor::new(&[Secret::new("a b/c\"d"), Secret::new("tok-1")]);
        for echoed in [
            "secret=a b/c\"d",
            "client_secret=a+b%2Fc%22d&x=1",
            "url a%20b%2Fc%22d",
            r#"{"client_secret":"a b/c\"d"}"#,
            "Bearer tok-1",
        ] {
            let shown = redactor.show(echoed);
            assert!(
                !shown.contains("b/c") && !shown.contains("b%2Fc") && !shown.contains("tok-1"),
                "{echoed} -> {shown}"
            );
            assert!(shown.contains("***"), "{echoed} -> {shown}");
        }
    }

    #[test]
    fn control_and_bidi_characters_are_escaped_and_text_is_cut() {
        let redactor = Redactor::default();
        let cases = [
            ("a\nb\tc", "a\\nb\\tc"),
            ("evil\u{202e}txt", "evil\\u{202e}txt"),
            ("\u{1b}[31mred", "\\u{1b}[31mred"),
            ("\u{2066}x\u{2069}", "\\u{2066}x\\u{2069}"),
            ("  plain  ", "plain"),
        ];
        for (raw, shown) in cases {
            assert_eq!(redactor.show(raw), shown, "{raw:?}");
        }
        let long = "x".repeat(MAX_SHOWN_CHARS + 10);
        let shown = redactor.show(&long);
        assert_eq!(shown.chars().count(), MAX_SHOWN_CHARS + 1);
        assert!(shown.ends_with('…'));
        assert_eq!(redactor.show_body(b"  "), "(empty body)");
    }

    #[test]
    fn a_location_is_shown_without_userinfo_query_or_fragment() {
        let request = Url::parse("https://api.example.com/api/v2/routing/queues").unwrap();
        let redactor = Redactor::default();
        let cases: [(Option<&[u8]>, &str); 4] = [
            (
                Some(b"https://user:pw@evil.example/steal?token=abc#frag"),
                "https://evil.example/steal",
            ),
            (
                Some(b"/elsewhere?code=1"),
                "https://api.example.com/elsewhere",
            ),
            (Some(b"http://[bad?token=abc"), "http://[bad"),
            (None, "(no Location header)"),
        ];
        for (location, shown) in cases {
            assert_eq!(redactor.show_location(location, &request), shown);
        }
    }
}
