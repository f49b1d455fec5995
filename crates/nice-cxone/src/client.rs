//! [`CxoneTenant`]: authentication, discovery and paging over the HTTP core
//! (`tenant::http`), which paces, retries, caches the token (consulted before every
//! attempt), reads bodies within the cap and redacts server text. This file keeps only what
//! is CXone's own: the token request (password grant, refresh grant), discovery, the error
//! mapping and the paging.

use std::collections::HashSet;
use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine as _;
use reqwest::{Method, StatusCode, Url};
use serde_json::{Map, Value};
use tenant::endpoint::checked_endpoint;
use tenant::http::{
    Auth, Call, CoreConfig, DEFAULT_CONNECT_TIMEOUT, HttpCore, Issued, Redactor, Reply,
    RetryPolicy, TokenAnswer, TokenCache, TokenSource, with_path,
};
use tenant::{Backoff, ClientStats, Jitter, Secret, StatsRecorder, TenantError};
use tokio::sync::OnceCell;
use tokio::time::Instant;
use tracing::debug;

use crate::json::reason_of;
use crate::wire::WriteStyle;

/// The public issuer.
pub const DEFAULT_ISSUER: &str = "https://cxone.niceincontact.com";
/// The largest page `GET /skills` serves.
pub const MAX_PAGE_SIZE: u32 = 100;
/// A token is refreshed this long before it expires (at most half its lifetime).
const TOKEN_REFRESH_SKEW: Duration = Duration::from_secs(30);

const TOKEN: &str = "POST /auth/token";
const DISCOVERY: &str = "GET /.well-known/cxone-configuration";
pub(crate) const LIST_SKILLS: &str = "GET /skills";
pub(crate) const GET_SKILL: &str = "GET /skills/{id}";
pub(crate) const CREATE_SKILLS: &str = "POST /skills";
pub(crate) const UPDATE_SKILL: &str = "PUT /skills/{id}";
pub(crate) const LIST_CAMPAIGNS: &str = "GET /campaigns";

/// How to reach a CXone tenant. `Debug` never shows a secret.
#[derive(Clone)]
pub struct Config {
    /// The OAuth issuer, by default `https://cxone.niceincontact.com` (`http://` only for
    /// loopback hosts).
    pub issuer: String,
    /// The API user's access key id.
    pub access_key_id: String,
    pub access_key_secret: Secret,
    /// The registered application.
    pub client_id: String,
    pub client_secret: Secret,
    /// The API base (`…/inContactAPI/services/v34.0`); set, it skips discovery.
    pub api_base: Option<String>,
    /// The `N` of `/inContactAPI/services/vN.0`. Default 34.
    pub api_version: u32,
    /// The client-side ceiling shared by every request. Default 5.
    pub requests_per_second: f64,
    /// Skills per list page, 1–100. Default 100.
    pub page_size: u32,
    /// How long one request may take. Default 15 s.
    pub request_timeout: Duration,
    /// The most one answer's body may hold (default 64 MiB): a larger one is refused, never
    /// read whole.
    pub max_response_bytes: u64,
    /// The wait after a 429 without a usable `Retry-After` (and after a failed GET or PUT).
    /// Default 2 s, then 6 s (capped), equal jitter.
    pub throttle: Backoff,
    /// Tries of one request in all, the first included. Default 4.
    pub max_attempts: u32,
    /// The wait between look-ups of a created skill that the list does not show yet.
    /// Default 1 s doubling to 8 s, equal jitter.
    pub lag: Backoff,
    /// Look-ups of a created skill before giving up. Default 6.
    pub lag_attempts: u32,
    /// How an update is written: every writable property as read (the default, after a
    /// read), or only the changed fields (`spec.cxone.partialUpdates: true`).
    pub write_style: WriteStyle,
}

impl Config {
    pub const DEFAULT_API_VERSION: u32 = 34;
    pub const DEFAULT_REQUESTS_PER_SECOND: f64 = 5.0;

    /// A configuration with every default.
    pub fn new(
        access_key_id: impl Into<String>,
        access_key_secret: impl Into<Secret>,
        client_id: impl Into<String>,
        client_secret: impl Into<Secret>,
    ) -> Self {
        Self {
            issuer: DEFAULT_ISSUER.into(),
            access_key_id: access_key_id.into(),
            access_key_secret: access_key_secret.into(),
            client_id: client_id.into(),
            client_secret: client_secret.into(),
            api_base: None,
            api_version: Self::DEFAULT_API_VERSION,
            requests_per_second: Self::DEFAULT_REQUESTS_PER_SECOND,
            page_size: MAX_PAGE_SIZE,
            request_timeout: Duration::from_secs(15),
            max_response_bytes: tenant::http::DEFAULT_MAX_RESPONSE_BYTES,
            throttle: Backoff {
                initial: Duration::from_secs(2),
                max: Duration::from_secs(6),
                factor: 3.0,
                jitter: Jitter::Equal,
            },
            max_attempts: 4,
            lag: Backoff::doubling(Duration::from_secs(1), Duration::from_secs(8))
                .with_jitter(Jitter::Equal),
            lag_attempts: 6,
            write_style: WriteStyle::AsRead,
        }
    }

    fn checked(&self) -> Result<(Url, Option<Url>), TenantError> {
        let issuer = checked_url("CXONE_ISSUER", &self.issuer)?;
        let base = match &self.api_base {
            Some(b) => Some(checked_url("CXONE_API_BASE", b)?),
            None => None,
        };
        for (what, empty) in [
            ("CXONE_ACCESS_KEY_ID", self.access_key_id.trim().is_empty()),
            (
                "CXONE_ACCESS_KEY_SECRET",
                self.access_key_secret.expose().is_empty(),
            ),
            ("CXONE_CLIENT_ID", self.client_id.trim().is_empty()),
            (
                "CXONE_CLIENT_SECRET",
                self.client_secret.expose().is_empty(),
            ),
        ] {
            if empty {
                return Err(TenantError::Config(format!("{what} is empty")));
            }
        }
        if !(1..=MAX_PAGE_SIZE).contains(&self.page_size) {
            return Err(TenantError::Config(format!(
                "page size is {}: CXone serves 1 to {MAX_PAGE_SIZE} skills a page",
                self.page_size
            )));
        }
        if self.max_attempts == 0 || self.lag_attempts == 0 {
            return Err(TenantError::Config(
                "attempts count the first try too, so they must be at least 1".into(),
            ));
        }
        Ok((issuer, base))
    }
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("issuer", &self.issuer)
            .field("access_key_id", &self.access_key_id)
            .field("access_key_secret", &self.access_key_secret)
            .field("client_id", &self.client_id)
            .field("client_secret", &self.client_secret)
            .field("api_base", &self.api_base)
            .field("api_version", &self.api_version)
            .field("requests_per_second", &self.requests_per_second)
            .field("page_size", &self.page_size)
            .field("write_style", &self.write_style)
            .finish_non_exhaustive()
    }
}

fn checked_url(what: &str, raw: &str) -> Result<Url, TenantError> {
    checked_endpoint(what, raw).map_err(TenantError::Config)
}

/// The `tenantId` claim of a JWT, read from its payload without checking the signature (the
/// token came over TLS from the issuer; see the crate docs).
pub(crate) fn tenant_id_claim(jwt: &str) -> Option<String> {
    let payload = jwt.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .ok()?;
    let claims: Value = serde_json::from_slice(&bytes).ok()?;
    match claims.get("tenantId")? {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// The body of an answer as JSON (`null` when empty, a JSON string when it is not JSON).
fn body_value(reply: &Reply) -> Value {
    let text = String::from_utf8_lossy(&reply.body);
    if text.trim().is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or_else(|_| Value::String(text.into_owned()))
    }
}

/// What CXone said about a failed call, redacted and bounded.
fn said(reply: &Reply) -> String {
    match reason_of(&body_value(reply)) {
        Some(reason) => reply.show(&reason),
        None => format!("HTTP {}", reply.status.as_u16()),
    }
}

/// A CXone tenant over HTTP. Clones share the token, the rate limit and the counters.
#[derive(Clone)]
pub struct CxoneTenant {
    inner: Arc<Inner>,
}

struct Inner {
    config: Config,
    issuer: Url,
    fixed_base: Option<Url>,
    core: HttpCore,
    tokens: TokenCache<TenantError>,
    /// What the last token answer left for the next request: a refresh token, the tenant id.
    session: Mutex<Session>,
    base: OnceCell<Url>,
    campaigns: OnceCell<Vec<(i64, String)>>,
    /// Names posted in this run: never posted twice.
    pub(crate) posted: Mutex<HashSet<String>>,
}

/// What the token answers said besides the token.
#[derive(Default)]
struct Session {
    refresh: Option<Secret>,
    tenant_id: Option<String>,
}

impl fmt::Debug for CxoneTenant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CxoneTenant")
            .field("config", &self.inner.config)
            .finish_non_exhaustive()
    }
}

impl Inner {
    fn session(&self) -> std::sync::MutexGuard<'_, Session> {
        self.session.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn endpoint_url(&self, path: &str) -> Result<Url, TenantError> {
        self.issuer
            .join(path)
            .map_err(|e| TenantError::Config(format!("bad issuer path {path}: {e}")))
    }

    /// One token request: the password grant, or the refresh grant with `refresh`.
    async fn request_token(&self, refresh: Option<&Secret>) -> Result<Issued, TenantError> {
        let cfg = &self.config;
        let url = self.endpoint_url("/auth/token")?;
        let form: Vec<(&str, &str)> = match refresh {
            // The published refresh grant requires client_id beside the refresh token (the
            // application also authenticates as HTTP Basic, as for the password grant).
            Some(r) => vec![
                ("grant_type", "refresh_token"),
                ("refresh_token", r.expose()),
                ("client_id", cfg.client_id.as_str()),
            ],
            None => vec![
                ("grant_type", "password"),
                ("username", cfg.access_key_id.as_str()),
                ("password", cfg.access_key_secret.expose()),
            ],
        };
        let call = Call::new(Method::POST, TOKEN, url)
            .token_request(&cfg.client_id, &cfg.client_secret)
            .form(form);
        let sent_at = Instant::now();
        let reply = self.core.send_plain(&call).await?;
        let status = reply.status;
        if status.is_success() {
            // Never echo this body: it holds the tokens.
            let answer = TokenAnswer::parse(&reply.body).map_err(|problem| {
                TenantError::transport_message(format!(
                    "the CXone issuer answered the token request with a body that {problem}"
                ))
            })?;
            let refresh = answer.secret_field("refresh_token");
            let id_token = answer.secret_field("id_token");
            let tenant_id = id_token.as_ref().and_then(|t| tenant_id_claim(t.expose()));
            {
                let mut session = self.session();
                session.refresh.clone_from(&refresh);
                if tenant_id.is_some() {
                    session.tenant_id = tenant_id;
                }
            }
            return Ok(answer.issued(sent_at, refresh.into_iter().chain(id_token).collect()));
        }
        let reason = said(&reply);
        if matches!(status.as_u16(), 400 | 401 | 403) {
            let what = if refresh.is_some() {
                "the refresh token"
            } else {
                "the access key (CXONE_ACCESS_KEY_ID/CXONE_ACCESS_KEY_SECRET) or the application (CXONE_CLIENT_ID/CXONE_CLIENT_SECRET)"
            };
            return Err(TenantError::Unauthorized {
                reason: format!("the CXone issuer refused {what}: {reason}"),
            });
        }
        Err(TenantError::transport_message(format!(
            "the CXone issuer answered HTTP {}: {reason}",
            status.as_u16()
        )))
    }
}

impl TokenSource for Inner {
    type Error = TenantError;

    /// The refresh grant when the last answer gave a refresh token (falling back to the
    /// password grant if it is refused), the password grant otherwise.
    async fn fetch_token(&self) -> Result<Issued, TenantError> {
        let refresh = self.session().refresh.take();
        if let Some(refresh) = refresh {
            match self.request_token(Some(&refresh)).await {
                Ok(issued) => return Ok(issued),
                Err(TenantError::Unauthorized { .. }) => {}
                Err(e) => {
                    // Not refused, just not answered: keep it for the next try.
                    self.session().refresh.get_or_insert(refresh);
                    return Err(e);
                }
            }
        }
        self.request_token(None).await
    }
}

impl CxoneTenant {
    /// Builds a client; sends nothing until the first call.
    pub fn new(config: Config) -> Result<Self, TenantError> {
        let (issuer, fixed_base) = config.checked()?;
        let mut secrets = Redactor::default();
        secrets.add_basic(&config.client_id, &config.client_secret);
        secrets.add_basic(&config.access_key_id, &config.access_key_secret);
        let core = HttpCore::new(
            CoreConfig {
                name: "nice-cxone",
                user_agent: concat!("cxqueues-nice-cxone/", env!("CARGO_PKG_VERSION")).into(),
                request_timeout: config.request_timeout,
                connect_timeout: DEFAULT_CONNECT_TIMEOUT,
                requests_per_second: config.requests_per_second,
                burst: 1,
                retry: RetryPolicy::new(config.max_attempts, config.throttle),
                max_response_bytes: config.max_response_bytes,
                rate_limit: None,
            },
            secrets,
        )?;
        Ok(Self {
            inner: Arc::new(Inner {
                config,
                issuer,
                fixed_base,
                core,
                tokens: TokenCache::new(TOKEN_REFRESH_SKEW),
                session: Mutex::new(Session::default()),
                base: OnceCell::new(),
                campaigns: OnceCell::new(),
                posted: Mutex::new(HashSet::new()),
            }),
        })
    }

    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    /// What this client has sent so far.
    pub fn stats(&self) -> ClientStats {
        self.inner.core.stats()
    }

    pub(crate) fn stats_recorder(&self) -> &StatsRecorder {
        self.inner.core.recorder()
    }

    pub(crate) fn posted(&self) -> &Mutex<HashSet<String>> {
        &self.inner.posted
    }

    /// The API base: `CXONE_API_BASE`, or discovered once from the id_token's tenant id.
    pub async fn base(&self) -> Result<&Url, TenantError> {
        self.inner
            .base
            .get_or_try_init(|| async {
                if let Some(b) = &self.inner.fixed_base {
                    return Ok(with_trailing_slash(b.clone()));
                }
                self.discover().await
            })
            .await
    }

    async fn discover(&self) -> Result<Url, TenantError> {
        self.inner.tokens.bearer(&*self.inner).await?;
        let tenant_id = self.inner.session().tenant_id.clone();
        let tenant_id = tenant_id.ok_or_else(|| {
            TenantError::transport_message(
                "the CXone token carried no id_token with a tenantId claim, so the API \
                      cannot be discovered: set CXONE_API_BASE",
            )
        })?;
        let mut url = self
            .inner
            .endpoint_url("/.well-known/cxone-configuration")?;
        url.query_pairs_mut().append_pair("tenantId", &tenant_id);
        let body = self.send(Method::GET, DISCOVERY, url, None, false).await?;
        let endpoint = body
            .get("api_endpoint")
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .ok_or_else(|| TenantError::transport_message(format!(
                    "CXone discovery for tenant {tenant_id} gave no api_endpoint: set CXONE_API_BASE"
                )))?;
        let base = format!(
            "{}/inContactAPI/services/v{}.0/",
            endpoint.trim_end_matches('/'),
            self.inner.config.api_version
        );
        let url = checked_url("the discovered api_endpoint", &base)?;
        debug!(base = %url, "discovered the CXone API");
        Ok(url)
    }

    /// `{base}/{path}` with `query`.
    pub(crate) async fn api_url(
        &self,
        path: &[&str],
        query: &[(&str, String)],
    ) -> Result<Url, TenantError> {
        let mut url = with_path(self.base().await?, path);
        if !query.is_empty() {
            let mut pairs = url.query_pairs_mut();
            for (k, v) in query {
                pairs.append_pair(k, v);
            }
        }
        Ok(url)
    }

    /// Whether `url` is on the API's host (a `_links.next` elsewhere is not followed with
    /// our token).
    pub(crate) async fn same_origin(&self, url: &Url) -> Result<bool, TenantError> {
        Ok(self.base().await?.origin() == url.origin())
    }

    /// An API call with the bearer token (the core paces and retries it; a POST whose
    /// outcome is unknown is never sent again here: it fails as a transport error and the
    /// caller looks the name up instead).
    pub(crate) async fn call(
        &self,
        method: Method,
        label: &str,
        url: Url,
        body: Option<&Value>,
    ) -> Result<Value, TenantError> {
        self.send(method, label, url, body, true).await
    }

    async fn send(
        &self,
        method: Method,
        label: &str,
        url: Url,
        body: Option<&Value>,
        authed: bool,
    ) -> Result<Value, TenantError> {
        let mut call = Call::new(method, label, url);
        if let Some(body) = body {
            call = call.json(body)?;
        }
        let reply = if authed {
            self.inner
                .core
                .send(&call, Auth::Token(&self.inner.tokens, &*self.inner))
                .await?
        } else {
            self.inner.core.send_plain(&call).await?
        };
        answer(&reply, label, &call.url)
    }

    /// The campaigns read in this run (see `campaigns.rs`).
    pub(crate) fn campaigns(&self) -> &OnceCell<Vec<(i64, String)>> {
        &self.inner.campaigns
    }

    /// How long to wait before look-up `attempt` of a created skill.
    pub(crate) fn lag_delay(&self, attempt: u32) -> Duration {
        self.inner.config.lag.delay(attempt, rand::random::<f64>())
    }

    pub(crate) fn lag_attempts(&self) -> u32 {
        self.inner.config.lag_attempts
    }
}

/// The body of a successful answer, or the error an unsuccessful one stands for.
fn answer(reply: &Reply, label: &str, url: &Url) -> Result<Value, TenantError> {
    let status = reply.status;
    if status.is_success() {
        return Ok(body_value(reply));
    }
    let reason = said(reply);
    Err(match status {
        StatusCode::UNAUTHORIZED => TenantError::Unauthorized {
            reason: format!("{label}: {reason}"),
        },
        StatusCode::FORBIDDEN => TenantError::Forbidden {
            reason: format!(
                "{label}: {reason}; give the API user's role the permission for ACD skills"
            ),
        },
        StatusCode::NOT_FOUND => TenantError::NotFound {
            what: format!("{label} ({})", url.path()),
        },
        StatusCode::TOO_MANY_REQUESTS => TenantError::RateLimited {
            retry_after: reply.retry_after(),
        },
        s if s.is_client_error() => TenantError::Rejected {
            reasons: vec![format!("{label}: {reason}")],
        },
        s => {
            let answer = format!("{label}: HTTP {}: {reason}", s.as_u16());
            TenantError::transport_message(match reply.gave_up() {
                Some(why) => format!("{why}: {answer}"),
                None => answer,
            })
        }
    })
}

fn with_trailing_slash(mut url: Url) -> Url {
    if !url.path().ends_with('/') {
        let p = format!("{}/", url.path());
        url.set_path(&p);
    }
    url
}

/// The skills of a list or get answer: `{skills:[…]}` or a bare skill.
pub(crate) fn skills_of(body: &Value) -> Vec<Map<String, Value>> {
    match body.get("skills") {
        Some(Value::Array(list)) => list.iter().filter_map(|s| s.as_object().cloned()).collect(),
        _ => body
            .as_object()
            .filter(|o| o.contains_key("skillId"))
            .cloned()
            .into_iter()
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jwt(claims: &str) -> String {
        let enc = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        format!(
            "{}.{}.sig",
            enc.encode(r#"{"alg":"RS256"}"#),
            enc.encode(claims)
        )
    }

    #[test]
    fn the_tenant_id_is_read_from_the_id_token_payload() {
        let table = [
            (
                jwt(r#"{"tenantId":"11ee-abc","sub":"u"}"#),
                Some("11ee-abc"),
            ),
            (jwt(r#"{"tenantId":4711}"#), Some("4711")),
            (jwt(r#"{"sub":"u"}"#), None),
            ("not-a-jwt".to_string(), None),
            ("a.!!!.c".to_string(), None),
        ];
        for (token, want) in table {
            assert_eq!(tenant_id_claim(&token).as_deref(), want, "{token}");
        }
    }

    #[test]
    fn error_reasons_come_from_the_documented_keys() {
        let table = [
            (
                r#"{"error":"invalid_grant","error_description":"bad key"}"#,
                Some("bad key"),
            ),
            (
                r#"{"message":"Skill name in use"}"#,
                Some("Skill name in use"),
            ),
            (r#"{"error":{"message":"nested"}}"#, Some("nested")),
            (r#""plain text""#, Some("plain text")),
            (r#"{}"#, None),
        ];
        for (json, want) in table {
            assert_eq!(
                reason_of(&serde_json::from_str(json).unwrap()).as_deref(),
                want,
                "{json}"
            );
        }
    }

    #[test]
    fn a_plain_http_issuer_is_accepted_only_on_loopback() {
        let mut cfg = Config::new("k", "s", "c", "cs");
        for (issuer, ok) in [
            ("https://cxone.niceincontact.com", true),
            ("http://127.0.0.1:8080", true),
            ("http://localhost:1", true),
            ("http://cxone.example.com", false),
            ("ftp://x", false),
        ] {
            cfg.issuer = issuer.into();
            assert_eq!(cfg.checked().is_ok(), ok, "{issuer}");
        }
    }

    #[test]
    fn an_issuer_is_checked_like_every_other_endpoint() {
        let mut cfg = Config::new("k", "s", "c", "cs");
        cfg.issuer = "https://cxone.niceincontact.com/?tenant=x".into();
        assert!(cfg.checked().is_err(), "a query is refused");
        cfg.issuer = "https://user:pa55word@cxone.niceincontact.com".into();
        let err = cfg.checked().unwrap_err().to_string();
        assert!(!err.contains("pa55word"), "{err}");
    }

    #[test]
    fn debug_never_shows_a_secret() {
        let cfg = Config::new("key-id", "key-secret-123", "app", "app-secret-456");
        let shown = format!("{cfg:?}");
        assert!(!shown.contains("key-secret-123") && !shown.contains("app-secret-456"));
        let client = CxoneTenant::new(cfg).unwrap();
        assert!(!format!("{client:?}").contains("secret-"));
    }
}
