//! [`CxoneTenant`]: authentication, discovery, the rate limit, retries and paging.

use std::collections::HashSet;
use std::fmt;
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine as _;
use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use reqwest::header::{ACCEPT, RETRY_AFTER};
use reqwest::{Method, StatusCode, Url};
use serde::Deserialize;
use serde_json::{Map, Value};
use tenant::endpoint::checked_endpoint;
use tenant::{Backoff, ClientStats, Jitter, Secret, StatsRecorder, TenantError};
use tokio::sync::OnceCell;
use tokio::time::Instant;
use tracing::debug;

use crate::wire::WriteStyle;

/// The public issuer.
pub const DEFAULT_ISSUER: &str = "https://cxone.niceincontact.com";
/// The largest page `GET /skills` serves.
pub const MAX_PAGE_SIZE: u32 = 100;
/// A token answer without `expires_in` is trusted for this long.
const DEFAULT_TOKEN_LIFETIME: Duration = Duration::from_secs(300);
/// A token is refreshed this long before it expires (at most half its lifetime).
const TOKEN_REFRESH_SKEW: Duration = Duration::from_secs(30);
/// The longest `Retry-After` honoured; a longer one is cut to this.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(120);

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
        if !(self.requests_per_second.is_finite() && self.requests_per_second > 0.0) {
            return Err(TenantError::Config(format!(
                "requests per second is {}: it must be a positive number",
                self.requests_per_second
            )));
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

fn rate_limiter(requests_per_second: f64) -> DefaultDirectRateLimiter {
    let period = Duration::try_from_secs_f64(1.0 / requests_per_second)
        .unwrap_or(Duration::from_secs(86_400))
        .clamp(Duration::from_nanos(1), Duration::from_secs(86_400));
    let quota = Quota::with_period(period)
        .unwrap_or_else(|| Quota::per_second(NonZeroU32::MAX))
        .allow_burst(NonZeroU32::MIN);
    RateLimiter::direct(quota)
}

/// The token endpoint's answer.
#[derive(Deserialize)]
struct TokenAnswer {
    access_token: String,
    #[serde(default)]
    expires_in: Option<f64>,
    #[serde(default)]
    refresh_token: Option<String>,
    #[serde(default)]
    id_token: Option<String>,
}

/// The tokens in hand.
struct Auth {
    access: Secret,
    refresh: Option<Secret>,
    refresh_at: Instant,
    tenant_id: Option<String>,
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

/// The reason a CXone error body gives (`error_description`, `message`, `error`, or the
/// OAuth `errorDescription`), if any.
pub(crate) fn reason_of(body: &Value) -> Option<String> {
    if let Value::String(s) = body {
        return (!s.trim().is_empty()).then(|| s.trim().to_string());
    }
    ["error_description", "errorDescription", "message", "error"]
        .iter()
        .find_map(|k| match body.get(*k)? {
            Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
            Value::Object(_) => reason_of(body.get(*k)?),
            _ => None,
        })
}

/// A usable `Retry-After`: whole or fractional seconds, at most [`MAX_RETRY_AFTER`]. CXone
/// is not known to send one reliably; anything else is ignored.
fn usable_retry_after(value: Option<&str>) -> Option<Duration> {
    let secs: f64 = value?.trim().parse().ok()?;
    let d = Duration::try_from_secs_f64(secs).ok()?;
    (d <= MAX_RETRY_AFTER).then_some(d)
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
    http: reqwest::Client,
    limiter: DefaultDirectRateLimiter,
    stats: StatsRecorder,
    /// Held by the one task fetching a token; everyone else waits for it.
    auth: tokio::sync::Mutex<Option<Auth>>,
    base: OnceCell<Url>,
    campaigns: OnceCell<Vec<(i64, String)>>,
    /// Names posted in this run: never posted twice.
    pub(crate) posted: Mutex<HashSet<String>>,
}

impl fmt::Debug for CxoneTenant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CxoneTenant")
            .field("config", &self.inner.config)
            .finish_non_exhaustive()
    }
}

/// One try's failure that may be retried after `wait`.
struct Retry {
    wait: Duration,
    error: TenantError,
}

impl CxoneTenant {
    /// Builds a client; sends nothing until the first call.
    pub fn new(config: Config) -> Result<Self, TenantError> {
        let (issuer, fixed_base) = config.checked()?;
        let _ = rustls::crypto::ring::default_provider().install_default();
        let http = reqwest::Client::builder()
            // A redirect could carry the form (secret included) or our token to another
            // origin, and trust its answer: a 3xx is an answer of its own, never followed.
            .redirect(reqwest::redirect::Policy::none())
            .timeout(config.request_timeout)
            .connect_timeout(config.request_timeout.min(Duration::from_secs(10)))
            .user_agent(concat!("cxqueues-nice-cxone/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| TenantError::Config(format!("cannot build the HTTP client: {e}")))?;
        let limiter = rate_limiter(config.requests_per_second);
        Ok(Self {
            inner: Arc::new(Inner {
                config,
                issuer,
                fixed_base,
                http,
                limiter,
                stats: StatsRecorder::default(),
                auth: tokio::sync::Mutex::new(None),
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
        self.inner.stats.snapshot()
    }

    pub(crate) fn stats_recorder(&self) -> &StatsRecorder {
        &self.inner.stats
    }

    pub(crate) fn posted(&self) -> &Mutex<HashSet<String>> {
        &self.inner.posted
    }

    async fn throttle(&self) {
        let started = Instant::now();
        self.inner.limiter.until_ready().await;
        let waited = started.elapsed();
        if !waited.is_zero() {
            self.inner.stats.rate_limited(waited);
        }
    }

    fn endpoint_url(&self, path: &str) -> Result<Url, TenantError> {
        self.inner
            .issuer
            .join(path)
            .map_err(|e| TenantError::Config(format!("bad issuer path {path}: {e}")))
    }

    /// One token request: the password grant, or the refresh grant with `refresh`.
    async fn fetch_token(&self, refresh: Option<&Secret>) -> Result<Auth, TenantError> {
        let cfg = &self.inner.config;
        let url = self.endpoint_url("/auth/token")?;
        let form: Vec<(&str, &str)> = match refresh {
            Some(r) => vec![
                ("grant_type", "refresh_token"),
                ("refresh_token", r.expose()),
            ],
            None => vec![
                ("grant_type", "password"),
                ("username", cfg.access_key_id.as_str()),
                ("password", cfg.access_key_secret.expose()),
            ],
        };
        self.throttle().await;
        let sent_at = Instant::now();
        let answer = self
            .inner
            .http
            .post(url)
            .header(ACCEPT, "application/json")
            .basic_auth(&cfg.client_id, Some(cfg.client_secret.expose()))
            .form(&form)
            .send()
            .await;
        let answer = match answer {
            Ok(a) => a,
            Err(e) => {
                self.inner.stats.request(TOKEN, None, true);
                return Err(TenantError::Transport {
                    message: format!(
                        "cannot reach the CXone issuer {}: {}",
                        self.inner.issuer,
                        e.without_url()
                    ),
                });
            }
        };
        let status = answer.status();
        self.inner.stats.request(TOKEN, Some(status.as_u16()), true);
        let limit = self.inner.config.max_response_bytes;
        let body: Value = match tenant::http::read_capped(answer, limit).await {
            Ok(bytes) => serde_json::from_slice(&bytes).unwrap_or(Value::Null),
            Err(e) => {
                return Err(TenantError::Transport {
                    message: format!("the CXone issuer's answer: {e}"),
                });
            }
        };
        if status.is_success() {
            let t: TokenAnswer =
                serde_json::from_value(body).map_err(|_| TenantError::Transport {
                    message: "the CXone issuer answered the token request without an access_token"
                        .into(),
                })?;
            let lifetime = t
                .expires_in
                .filter(|s| s.is_finite() && *s > 0.0)
                .map_or(DEFAULT_TOKEN_LIFETIME, |s| {
                    Duration::from_secs_f64(s.min(86_400.0))
                });
            return Ok(Auth {
                access: Secret::new(t.access_token),
                refresh: t.refresh_token.filter(|r| !r.is_empty()).map(Secret::new),
                refresh_at: sent_at + lifetime - TOKEN_REFRESH_SKEW.min(lifetime / 2),
                tenant_id: t.id_token.as_deref().and_then(tenant_id_claim),
            });
        }
        let reason = reason_of(&body).unwrap_or_else(|| format!("HTTP {}", status.as_u16()));
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
        Err(TenantError::Transport {
            message: format!(
                "the CXone issuer answered HTTP {}: {reason}",
                status.as_u16()
            ),
        })
    }

    /// A valid access token (and the tenant id, when the id_token carried one). One task
    /// fetches; the others wait for it.
    async fn token(&self) -> Result<(Secret, Option<String>), TenantError> {
        let mut guard = self.inner.auth.lock().await;
        if let Some(a) = guard.as_ref()
            && Instant::now() < a.refresh_at
        {
            return Ok((a.access.clone(), a.tenant_id.clone()));
        }
        let previous = guard.take();
        let refreshed = match previous.as_ref().and_then(|a| a.refresh.as_ref()) {
            Some(r) => match self.fetch_token(Some(r)).await {
                Ok(a) => Some(a),
                Err(TenantError::Unauthorized { .. }) => None,
                Err(e) => return Err(e),
            },
            None => None,
        };
        let mut auth = match refreshed {
            Some(a) => a,
            None => self.fetch_token(None).await?,
        };
        if auth.tenant_id.is_none() {
            auth.tenant_id = previous.and_then(|p| p.tenant_id);
        }
        let out = (auth.access.clone(), auth.tenant_id.clone());
        *guard = Some(auth);
        Ok(out)
    }

    /// Drops `rejected` unless another task already replaced it.
    async fn invalidate(&self, rejected: &Secret) {
        let mut guard = self.inner.auth.lock().await;
        if guard.as_ref().is_some_and(|a| &a.access == rejected) {
            // Keep the refresh token: the next token() tries it first.
            if let Some(a) = guard.as_mut() {
                a.refresh_at = Instant::now();
            }
        }
        self.inner.stats.token_invalidated();
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
        let (_, tenant_id) = self.token().await?;
        let tenant_id = tenant_id.ok_or_else(|| TenantError::Transport {
            message: "the CXone token carried no id_token with a tenantId claim, so the API \
                      cannot be discovered: set CXONE_API_BASE"
                .into(),
        })?;
        let mut url = self.endpoint_url("/.well-known/cxone-configuration")?;
        url.query_pairs_mut().append_pair("tenantId", &tenant_id);
        let body = self.send(Method::GET, DISCOVERY, url, None, false).await?;
        let endpoint = body
            .get("api_endpoint")
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .ok_or_else(|| TenantError::Transport {
                message: format!(
                    "CXone discovery for tenant {tenant_id} gave no api_endpoint: set CXONE_API_BASE"
                ),
            })?;
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
        let mut url = self.base().await?.clone();
        {
            let mut segs = url
                .path_segments_mut()
                .map_err(|()| TenantError::Config("the API base cannot take a path".into()))?;
            segs.pop_if_empty();
            segs.extend(path);
        }
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

    /// An API call with the bearer token, the rate limit and retries (a POST whose answer
    /// was lost is never sent again here: the caller looks the name up instead).
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
        let cfg = &self.inner.config;
        let repeatable = method != Method::POST;
        let mut reauthed = false;
        let mut attempt = 0;
        loop {
            let token = if authed {
                Some(self.token().await?.0)
            } else {
                None
            };
            self.throttle().await;
            let mut req = self
                .inner
                .http
                .request(method.clone(), url.clone())
                .header(ACCEPT, "application/json");
            if let Some(t) = &token {
                req = req.bearer_auth(t.expose());
            }
            if let Some(b) = body {
                req = req.json(b);
            }
            let outcome = match req.send().await {
                Err(e) => {
                    self.inner.stats.request(label, None, false);
                    let error = TenantError::Transport {
                        message: format!(
                            "{label}: no answer from {}: {}",
                            url.origin().ascii_serialization(),
                            e.without_url()
                        ),
                    };
                    if !repeatable {
                        return Err(error);
                    }
                    Retry {
                        wait: cfg.throttle.delay(attempt, rand::random::<f64>()),
                        error,
                    }
                }
                Ok(answer) => {
                    let status = answer.status();
                    self.inner
                        .stats
                        .request(label, Some(status.as_u16()), false);
                    let retry_after = usable_retry_after(
                        answer
                            .headers()
                            .get(RETRY_AFTER)
                            .and_then(|v| v.to_str().ok()),
                    );
                    let limit = self.inner.config.max_response_bytes;
                    let text = match tenant::http::read_capped(answer, limit).await {
                        Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
                        Err(e @ tenant::http::BodyError::TooLarge { .. }) => {
                            return Err(TenantError::Transport {
                                message: format!("{label}: {e}"),
                            });
                        }
                        Err(tenant::http::BodyError::Transport(_)) => String::new(),
                    };
                    let value: Value = if text.trim().is_empty() {
                        Value::Null
                    } else {
                        serde_json::from_str(&text).unwrap_or(Value::String(text))
                    };
                    if status.is_success() {
                        return Ok(value);
                    }
                    let reason =
                        reason_of(&value).unwrap_or_else(|| format!("HTTP {}", status.as_u16()));
                    match status {
                        StatusCode::UNAUTHORIZED if authed && !reauthed => {
                            if let Some(t) = &token {
                                self.invalidate(t).await;
                            }
                            reauthed = true;
                            continue;
                        }
                        StatusCode::UNAUTHORIZED => {
                            return Err(TenantError::Unauthorized {
                                reason: format!("{label}: {reason}"),
                            });
                        }
                        StatusCode::FORBIDDEN => {
                            return Err(TenantError::Forbidden {
                                reason: format!(
                                    "{label}: {reason}; give the API user's role the permission for ACD skills"
                                ),
                            });
                        }
                        StatusCode::NOT_FOUND => {
                            return Err(TenantError::NotFound {
                                what: format!("{label} ({})", url.path()),
                            });
                        }
                        StatusCode::TOO_MANY_REQUESTS => Retry {
                            wait: retry_after.unwrap_or_else(|| {
                                cfg.throttle.delay(attempt, rand::random::<f64>())
                            }),
                            error: TenantError::RateLimited { retry_after },
                        },
                        s if s.is_server_error() && repeatable => Retry {
                            wait: cfg.throttle.delay(attempt, rand::random::<f64>()),
                            error: TenantError::Transport {
                                message: format!("{label}: HTTP {}: {reason}", s.as_u16()),
                            },
                        },
                        s if s.is_client_error() => {
                            return Err(TenantError::Rejected {
                                reasons: vec![format!("{label}: {reason}")],
                            });
                        }
                        s => {
                            return Err(TenantError::Transport {
                                message: format!("{label}: HTTP {}: {reason}", s.as_u16()),
                            });
                        }
                    }
                }
            };
            attempt += 1;
            if attempt >= cfg.max_attempts {
                return Err(outcome.error);
            }
            self.inner.stats.retry(label);
            debug!(label, wait_ms = outcome.wait.as_millis() as u64, "retrying");
            tokio::time::sleep(outcome.wait).await;
        }
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

fn with_trailing_slash(mut url: Url) -> Url {
    if !url.path().ends_with('/') {
        let p = format!("{}/", url.path());
        url.set_path(&p);
    }
    url
}

/// An integer that CXone may send as a number or a string.
pub(crate) fn int_of(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
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
    fn only_a_short_numeric_retry_after_is_usable() {
        let table = [
            (Some("3"), Some(Duration::from_secs(3))),
            (Some("0.5"), Some(Duration::from_millis(500))),
            (Some("Wed, 21 Oct 2015 07:28:00 GMT"), None),
            (Some("9999"), None),
            (Some("-1"), None),
            (None, None),
        ];
        for (header, want) in table {
            assert_eq!(usable_retry_after(header), want, "{header:?}");
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
