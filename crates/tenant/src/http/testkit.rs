//! What the behaviour tests of every HTTP client share (feature `http-testing`): hostile
//! server text and the check that it was shown safely, a capture of the log, and a tenant
//! whose tokens live three seconds and whose every fifth request is throttled.
//!
//! The encodings here are written independently of the redactor's, so that a test checks
//! the redactor rather than agreeing with it.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::Engine as _;
use wiremock::{Request, Respond, ResponseTemplate};

/// Every form a credential travels in: raw, HTTP Basic (`base64(id:secret)`), form-encoded
/// and percent-encoded.
pub fn secret_forms(id: &str, secret: &str) -> Vec<String> {
    let form: String = url::form_urlencoded::byte_serialize(secret.as_bytes()).collect();
    let percent = form.replace('+', "%20");
    vec![
        secret.to_owned(),
        base64::engine::general_purpose::STANDARD.encode(format!("{id}:{secret}")),
        form,
        percent,
    ]
}

/// Server text a hostile or careless server might send: `secret` in every form, an ANSI
/// escape, a bidi override and `100 kB` of filler.
pub fn hostile_text(id: &str, secret: &str) -> String {
    let forms = secret_forms(id, secret);
    format!(
        "echo: {} | Authorization: Basic {} | client_secret={} | url ?s={} | \u{1b}[2J\u{1b}[31mred \
         \u{202e}txt.exe | {}",
        forms[0],
        forms[1],
        forms[2],
        forms[3],
        "x".repeat(100_000)
    )
}

/// A credential's id and secret, for [`assert_shown_safely`].
pub type Credential<'a> = (&'a str, &'a str);

/// Panics unless `text` (an error, a log, a status) shows no form of any credential and no
/// token in `tokens`, has its escapes neutralised, and holds at most `max_bytes`.
pub fn assert_shown_safely(
    place: &str,
    text: &str,
    credentials: &[Credential<'_>],
    tokens: &[&str],
    max_bytes: usize,
) {
    for (id, secret) in credentials {
        for form in secret_forms(id, secret) {
            assert!(
                !text.contains(&form),
                "{place} shows {form:?}: {}",
                head(text)
            );
        }
    }
    for token in tokens {
        assert!(
            !text.contains(token),
            "{place} shows the token {token:?}: {}",
            head(text)
        );
    }
    for raw in ['\u{1b}', '\u{202e}'] {
        assert!(
            !text.contains(raw),
            "{place} holds a raw {raw:?}: {}",
            head(text)
        );
    }
    assert!(
        text.len() <= max_bytes,
        "{place} holds {} bytes (at most {max_bytes}): {}",
        text.len(),
        head(text)
    );
}

fn head(text: &str) -> String {
    text.chars().take(600).collect()
}

/// The log lines written while it is held (every level, no colours).
#[derive(Clone, Default)]
pub struct LogCapture(Arc<Mutex<Vec<u8>>>);

impl std::fmt::Debug for LogCapture {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LogCapture").finish_non_exhaustive()
    }
}

impl LogCapture {
    /// Captures this thread's log until the guard drops (use a current-thread runtime).
    pub fn start() -> (Self, tracing::subscriber::DefaultGuard) {
        let capture = Self::default();
        let guard = tracing::subscriber::set_default(
            tracing_subscriber::fmt()
                .with_max_level(tracing::Level::TRACE)
                .with_writer(capture.clone())
                .with_ansi(false)
                .finish(),
        );
        (capture, guard)
    }

    /// Everything logged so far.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap_or_else(|p| p.into_inner())).into_owned()
    }
}

impl std::io::Write for LogCapture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for LogCapture {
    type Writer = LogCapture;

    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

/// A tenant's auth and throttling, as wiremock responders: tokens that live `lifetime`
/// (a request with an unknown or expired token is answered 401), and every fifth API request
/// answered `429 Retry-After: 1` (a fixed pattern, never a random draw).
#[derive(Clone)]
pub struct ShortTokens {
    state: Arc<TokenState>,
}

impl std::fmt::Debug for ShortTokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ShortTokens").finish_non_exhaustive()
    }
}

struct TokenState {
    lifetime: Duration,
    issued: Mutex<HashMap<String, Instant>>,
    api_requests: AtomicUsize,
    throttled: AtomicUsize,
    expired: AtomicUsize,
    unknown: AtomicUsize,
    /// The oldest a token was when a request carried it, in milliseconds.
    oldest_use_ms: AtomicU64,
}

/// What [`ShortTokens`] saw.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TokenReport {
    pub tokens_issued: usize,
    pub api_requests: usize,
    pub throttled: usize,
    /// Requests that carried a token past its lifetime.
    pub expired: usize,
    /// Requests that carried no token this tenant issued.
    pub unknown: usize,
    /// The oldest a token was when a request carried it.
    pub oldest_use: Duration,
}

impl ShortTokens {
    /// Tokens that live `lifetime` (said as `expires_in`, in whole seconds).
    pub fn new(lifetime: Duration) -> Self {
        Self {
            state: Arc::new(TokenState {
                lifetime,
                issued: Mutex::new(HashMap::new()),
                api_requests: AtomicUsize::new(0),
                throttled: AtomicUsize::new(0),
                expired: AtomicUsize::new(0),
                unknown: AtomicUsize::new(0),
                oldest_use_ms: AtomicU64::new(0),
            }),
        }
    }

    /// The token endpoint: a new token per request, `{access_token, expires_in}` and `extra`.
    pub fn token_endpoint(&self, extra: serde_json::Value) -> TokenEndpoint {
        TokenEndpoint {
            tokens: self.clone(),
            extra,
        }
    }

    /// An API endpoint answered by `ok` once the token is checked and the throttle passed.
    pub fn api<F>(&self, ok: F) -> Api<F>
    where
        F: Fn(&Request) -> ResponseTemplate + Send + Sync + 'static,
    {
        Api {
            tokens: self.clone(),
            ok,
        }
    }

    /// What it saw so far.
    pub fn report(&self) -> TokenReport {
        let s = &self.state;
        TokenReport {
            tokens_issued: s.issued.lock().unwrap_or_else(|p| p.into_inner()).len(),
            api_requests: s.api_requests.load(Ordering::SeqCst),
            throttled: s.throttled.load(Ordering::SeqCst),
            expired: s.expired.load(Ordering::SeqCst),
            unknown: s.unknown.load(Ordering::SeqCst),
            oldest_use: Duration::from_millis(s.oldest_use_ms.load(Ordering::SeqCst)),
        }
    }
}

/// The token endpoint of [`ShortTokens`].
#[derive(Debug)]
pub struct TokenEndpoint {
    tokens: ShortTokens,
    extra: serde_json::Value,
}

impl Respond for TokenEndpoint {
    fn respond(&self, _: &Request) -> ResponseTemplate {
        let state = &self.tokens.state;
        let mut issued = state.issued.lock().unwrap_or_else(|p| p.into_inner());
        let token = format!("short-token-{}", issued.len() + 1);
        issued.insert(token.clone(), Instant::now());
        let mut body = serde_json::json!({
            "access_token": token,
            "token_type": "bearer",
            "expires_in": state.lifetime.as_secs(),
        });
        if let (Some(body), Some(extra)) = (body.as_object_mut(), self.extra.as_object()) {
            body.extend(extra.clone());
        }
        ResponseTemplate::new(200).set_body_json(body)
    }
}

/// An API endpoint of [`ShortTokens`].
pub struct Api<F> {
    tokens: ShortTokens,
    ok: F,
}

impl<F> std::fmt::Debug for Api<F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Api").finish_non_exhaustive()
    }
}

impl<F> Respond for Api<F>
where
    F: Fn(&Request) -> ResponseTemplate + Send + Sync + 'static,
{
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let state = &self.tokens.state;
        let n = state.api_requests.fetch_add(1, Ordering::SeqCst) + 1;
        let bearer = request
            .headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .unwrap_or_default()
            .to_owned();
        let issued_at = state
            .issued
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&bearer)
            .copied();
        let Some(issued_at) = issued_at else {
            state.unknown.fetch_add(1, Ordering::SeqCst);
            return ResponseTemplate::new(401)
                .set_body_json(serde_json::json!({"message": "unknown token"}));
        };
        let age = issued_at.elapsed();
        state
            .oldest_use_ms
            .fetch_max(age.as_millis() as u64, Ordering::SeqCst);
        if age > state.lifetime {
            state.expired.fetch_add(1, Ordering::SeqCst);
            return ResponseTemplate::new(401)
                .set_body_json(serde_json::json!({"message": "token expired"}));
        }
        if n.is_multiple_of(5) {
            state.throttled.fetch_add(1, Ordering::SeqCst);
            return ResponseTemplate::new(429)
                .insert_header("Retry-After", "1")
                .set_body_json(serde_json::json!({"message": "Rate limit exceeded"}));
        }
        (self.ok)(request)
    }
}
