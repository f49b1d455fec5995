//! The one redactor: server text (error bodies, token endpoint errors, `Location` headers,
//! transport errors) in the only form it is ever shown — in an error, a log line or a
//! `/status` field: every known secret replaced by `***`, control and bidi characters
//! escaped, and cut to [`MAX_SHOWN_BYTES`].

use base64::Engine as _;
use reqwest::Url;

use crate::Secret;

/// The most bytes of server text one error carries (4 KiB); `…` marks a cut.
pub const MAX_SHOWN_BYTES: usize = 4096;
/// What a redacted secret becomes.
pub const REDACTED: &str = "***";
/// Server text longer than this is cut before it is searched for secrets: far more than is
/// ever shown, so a secret that straddles this cut lies past the shown part anyway.
const MAX_SCANNED_BYTES: usize = 8 * MAX_SHOWN_BYTES;

/// The secrets that must never appear in text shown to anyone: client secrets, access keys,
/// webhook keys, GitHub tokens and the access tokens in play. Each is matched in every form
/// it travels in: raw, HTTP Basic (base64 of `id:secret`), form-encoded, percent-encoded and
/// JSON-escaped, so a server that echoes the request gives nothing away.
#[derive(Clone, Default)]
pub struct Redactor {
    /// Every form of every secret, longest first (so a secret that contains another is
    /// redacted whole).
    forms: Vec<String>,
}

impl std::fmt::Debug for Redactor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Redactor")
            .field("forms", &self.forms.len())
            .finish()
    }
}

impl Redactor {
    /// A redactor of `secrets` (empty ones are ignored).
    pub fn new<'a>(secrets: impl IntoIterator<Item = &'a Secret>) -> Self {
        let mut redactor = Self::default();
        for secret in secrets {
            redactor.add(secret);
        }
        redactor
    }

    /// Also redacts `secret`, in every form.
    pub fn add(&mut self, secret: &Secret) {
        let s = secret.expose();
        if s.is_empty() {
            return;
        }
        let json = serde_json::to_string(s).unwrap_or_default();
        let forms = [
            s.to_owned(),
            percent_encoded(s, true, true),
            percent_encoded(s, false, true),
            percent_encoded(s, true, false),
            percent_encoded(s, false, false),
            json.trim_matches('"').to_owned(),
        ];
        self.extend(forms);
    }

    /// Also redacts the HTTP Basic credentials of `id` and `secret` (base64 of `id:secret`,
    /// raw and form-encoded first as RFC 6749 §2.3.1 asks), and the secret itself.
    pub fn add_basic(&mut self, id: &str, secret: &Secret) {
        self.add(secret);
        if secret.expose().is_empty() {
            return;
        }
        let pairs = [
            format!("{id}:{}", secret.expose()),
            format!(
                "{}:{}",
                percent_encoded(id, true, true),
                percent_encoded(secret.expose(), true, true)
            ),
        ];
        let engines = [
            base64::engine::general_purpose::STANDARD,
            base64::engine::general_purpose::STANDARD_NO_PAD,
            base64::engine::general_purpose::URL_SAFE,
            base64::engine::general_purpose::URL_SAFE_NO_PAD,
        ];
        let forms: Vec<String> = pairs
            .iter()
            .flat_map(|pair| engines.iter().map(move |e| e.encode(pair)))
            .collect();
        self.extend(forms);
    }

    /// Everything `other` redacts, too.
    pub fn merge(&mut self, other: &Redactor) {
        self.extend(other.forms.iter().cloned());
    }

    fn extend(&mut self, forms: impl IntoIterator<Item = String>) {
        self.forms
            .extend(forms.into_iter().filter(|form| !form.is_empty()));
        self.forms.sort_by_key(|form| std::cmp::Reverse(form.len()));
        self.forms.dedup();
    }

    /// `text` with every secret replaced by `***` (nothing else changed, nothing cut).
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
    /// [`MAX_SHOWN_BYTES`].
    pub fn show(&self, text: &str) -> String {
        self.show_within(text, MAX_SHOWN_BYTES)
    }

    /// [`Redactor::show`] with a smaller bound.
    pub fn show_within(&self, text: &str, max_bytes: usize) -> String {
        let scanned = cut_at(text, MAX_SCANNED_BYTES);
        sanitised(&self.redact(scanned), max_bytes.min(MAX_SHOWN_BYTES))
    }

    /// A response body as it may be shown ([`Redactor::show`] of its UTF-8, lossily).
    pub fn show_body(&self, body: &[u8]) -> String {
        let head = &body[..body.len().min(MAX_SCANNED_BYTES)];
        let text = self.show(&String::from_utf8_lossy(head));
        if text.is_empty() {
            "(empty body)".into()
        } else {
            text
        }
    }

    /// Several pieces of server text that end up in one error (a list of field errors):
    /// each shown, all of them together within [`MAX_SHOWN_BYTES`]; what does not fit is
    /// counted (`… and 3 more`).
    pub fn show_all<'a>(&self, texts: impl IntoIterator<Item = &'a str>) -> Vec<String> {
        let mut left = MAX_SHOWN_BYTES;
        let mut shown = Vec::new();
        let mut dropped = 0usize;
        for text in texts {
            if left < 16 {
                dropped += 1;
                continue;
            }
            let one = self.show_within(text, left);
            left = left.saturating_sub(one.len());
            shown.push(one);
        }
        if dropped > 0 {
            shown.push(format!("… and {dropped} more"));
        }
        shown
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

/// The longest prefix of `text` of at most `max` bytes that ends on a character boundary.
fn cut_at(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// `text` trimmed, with control characters and bidirectional-formatting characters escaped
/// (`\n`, `\u{1b}`, `\u{202e}`), cut to at most `max_bytes` bytes (a cut ends in `…`).
pub fn sanitised(text: &str, max_bytes: usize) -> String {
    const ELLIPSIS: char = '…';
    let budget = max_bytes.saturating_sub(ELLIPSIS.len_utf8());
    let mut out = String::new();
    let mut piece = String::new();
    for c in text.trim().chars() {
        piece.clear();
        match c {
            '\n' => piece.push_str("\\n"),
            '\r' => piece.push_str("\\r"),
            '\t' => piece.push_str("\\t"),
            c if c.is_control() || is_bidi_control(c) => {
                piece.push_str(&format!("\\u{{{:x}}}", u32::from(c)));
            }
            c => piece.push(c),
        }
        if out.len() + piece.len() > budget {
            out.push(ELLIPSIS);
            return out;
        }
        out.push_str(&piece);
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

/// `s` percent-encoded as in a form body (`form`: space is `+`) or a URL (space is `%20`),
/// with upper- or lower-case hex digits.
fn percent_encoded(s: &str, form: bool, upper: bool) -> String {
    let mut out = String::new();
    for byte in s.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'*' => {
                out.push(char::from(byte));
            }
            b' ' if form => out.push('+'),
            _ if upper => out.push_str(&format!("%{byte:02X}")),
            _ => out.push_str(&format!("%{byte:02x}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "s3 cr/et+\"é";

    fn redactor() -> Redactor {
        let mut r = Redactor::new(&[Secret::new("tok-1")]);
        r.add_basic("app-id", &Secret::new(SECRET));
        r
    }

    #[test]
    fn every_form_of_a_secret_is_redacted() {
        let b64 = base64::engine::general_purpose::STANDARD;
        let table = [
            ("raw", format!("the secret is {SECRET}!")),
            (
                "form",
                "client_secret=s3+cr%2Fet%2B%22%C3%A9&x=1".to_owned(),
            ),
            ("percent", "url s3%20cr%2Fet%2B%22%C3%A9".to_owned()),
            (
                "lower-case percent",
                "url s3%20cr%2fet%2b%22%c3%a9".to_owned(),
            ),
            ("json", r#"{"client_secret":"s3 cr/et+\"é"}"#.to_owned()),
            (
                "basic",
                format!(
                    "Authorization: Basic {}",
                    b64.encode(format!("app-id:{SECRET}"))
                ),
            ),
            (
                "basic, form-encoded first",
                format!("Basic {}", b64.encode("app-id:s3+cr%2Fet%2B%22%C3%A9")),
            ),
            ("a token in play", "Bearer tok-1".to_owned()),
        ];
        let r = redactor();
        for (form, echoed) in table {
            let shown = r.show(&echoed);
            assert!(shown.contains(REDACTED), "{form}: {echoed} -> {shown}");
            for leak in ["cr/et", "cr%2F", "cr%2f", "tok-1", "YXBwLWlk"] {
                assert!(!shown.contains(leak), "{form}: {echoed} -> {shown}");
            }
        }
    }

    #[test]
    fn control_and_bidi_characters_are_escaped() {
        let table = [
            ("a\nb\tc", "a\\nb\\tc"),
            ("evil\u{202e}txt", "evil\\u{202e}txt"),
            ("\u{1b}[31mred", "\\u{1b}[31mred"),
            ("\u{2066}x\u{2069}", "\\u{2066}x\\u{2069}"),
            ("bell\u{7}", "bell\\u{7}"),
            ("  plain  ", "plain"),
            ("", ""),
        ];
        let r = Redactor::default();
        for (raw, shown) in table {
            assert_eq!(r.show(raw), shown, "{raw:?}");
        }
        assert_eq!(r.show_body(b"  "), "(empty body)");
    }

    #[test]
    fn server_text_is_cut_to_four_kibibytes_on_a_character_boundary() {
        let r = Redactor::default();
        let table = [
            ("x".repeat(100_000), MAX_SHOWN_BYTES),
            ("é".repeat(10_000), MAX_SHOWN_BYTES),
            ("\u{1b}".repeat(10_000), MAX_SHOWN_BYTES),
            ("short".to_owned(), 5),
        ];
        for (text, at_most) in table {
            let shown = r.show(&text);
            assert!(shown.len() <= at_most, "{} bytes", shown.len());
            if at_most == MAX_SHOWN_BYTES {
                assert!(shown.ends_with('…'), "a cut is marked");
                assert!(shown.len() > MAX_SHOWN_BYTES - 16, "{} bytes", shown.len());
            }
        }
    }

    #[test]
    fn a_secret_past_the_scanned_part_is_never_shown() {
        let r = redactor();
        let text = format!("{}{SECRET}", "y".repeat(MAX_SCANNED_BYTES - 3));
        let shown = r.show(&text);
        assert!(!shown.contains("cr/et"), "{shown}");
    }

    #[test]
    fn several_texts_share_one_bound() {
        let r = Redactor::new(&[Secret::new("tok-1")]);
        let texts: Vec<String> = (0..50)
            .map(|i| format!("{i} {}", "z".repeat(500)))
            .collect();
        let shown = r.show_all(texts.iter().map(String::as_str));
        let total: usize = shown.iter().map(String::len).sum();
        assert!(total <= MAX_SHOWN_BYTES + 32, "{total}");
        assert!(shown.last().unwrap().starts_with("… and"), "{shown:?}");
        assert_eq!(r.show_all(["a tok-1 b"]), ["a *** b"]);
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
