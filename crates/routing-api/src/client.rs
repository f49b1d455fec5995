//! [`HttpTenant`]: the routing API of `shared/spec/cxone-api.md` spoken over HTTP (the port,
//! [`tenant::Tenant`], is implemented over it in `port.rs`).
//!
//! Everything vendor-specific lives here: paths, JSON shapes, page-number pagination,
//! OAuth 2.0 client credentials, `If-Match` versions and the error bodies. Callers see
//! [`RemoteQueue`], [`Skill`] and [`ApiError`] only.
//!
//! The HTTP core (`tenant::http`) sends every request: it paces them, asks the token cache
//! before every attempt (one task fetches a due token while the others wait), retries 429
//! and 5xx (`Retry-After` up to `max_retry_after`, else full-jitter backoff) for requests
//! that are safe to repeat (GET, and PUT/DELETE with `If-Match`), re-sends once after a 401
//! with a fresh token, reads bodies within `max_response_bytes` and redacts every server text.
//! This file keeps the token request, the error mapping, the paging and the wire mapping. A
//! POST whose answer was lost is never repeated blindly: the client first looks the name up.

mod metrics;
mod retry;

use std::collections::HashSet;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use reqwest::header::{ETAG, IF_MATCH};
use reqwest::{Method, StatusCode, Url};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use tenant::http::{
    Auth, Budget, Call as CoreCall, CoreConfig, DEFAULT_CONNECT_TIMEOUT, HttpCore, HttpError,
    Issued, OAuthError, Outcome as CoreOutcome, Redactor, Reply, TokenAnswer, TokenCache,
    TokenSource, sanitised, with_path,
};
use tokio::time::Instant;
use tracing::debug;

pub use metrics::{QUEUE_METRICS, QueueMetrics};
pub use retry::RetryPolicy;
pub use tenant::ClientStats;

use tenant::Secret;

use crate::{ApiError, RemoteQueue, Skill};

/// The scopes a reconciler needs: read and write queues, read skills, read overflow targets.
pub const DEFAULT_SCOPES: &[&str] = &[
    "routing:queue:view",
    "routing:queue:update",
    "routing:skill:view",
    "routing:overflow:view",
];

/// The largest page the API serves.
const MAX_PAGE_SIZE: u32 = 500;
/// The most bytes of an answer's body quoted in an error (well within the core's 4 KiB).
const MAX_SNIPPET_BYTES: usize = 500;
/// An API error body's `errors` shown at most; the rest are counted.
const MAX_SHOWN_ERRORS: usize = 20;
/// The most characters of an id quoted in a paging error.
const MAX_SHOWN_ID_CHARS: usize = 100;

// Endpoint labels (method + path template) for stats and logs.
const LIST_QUEUES: &str = "GET /api/v2/routing/queues";
const GET_QUEUE: &str = "GET /api/v2/routing/queues/{id}";
const CREATE_QUEUE: &str = "POST /api/v2/routing/queues";
const UPDATE_QUEUE: &str = "PUT /api/v2/routing/queues/{id}";
const DELETE_QUEUE: &str = "DELETE /api/v2/routing/queues/{id}";
const LIST_SKILLS: &str = "GET /api/v2/routing/skills";
const QUEUES_PATH: [&str; 4] = ["api", "v2", "routing", "queues"];
const SKILLS_PATH: [&str; 4] = ["api", "v2", "routing", "skills"];

/// How to reach and talk to a tenant.
///
/// [`ClientConfig::new`] fills in the defaults; change fields directly for anything else.
/// `Debug` never shows the client secret.
#[derive(Clone)]
pub struct ClientConfig {
    /// The tenant's API root, e.g. `https://api.example.com` (`http://` only for loopback).
    pub base_url: String,
    /// The OAuth token endpoint; `None` means `{base_url}/oauth2/token`.
    pub token_url: Option<String>,
    /// The OAuth client id.
    pub client_id: String,
    /// The OAuth client secret.
    pub client_secret: Secret,
    /// Scopes to ask for. Default [`DEFAULT_SCOPES`]; empty sends no `scope`.
    pub scopes: Vec<String>,
    /// The client-side rate limit shared by every request of this client, retries and token
    /// requests included; bursts of up to one second's worth are allowed. Default 10.
    pub requests_per_second: f64,
    /// How long one request may take, connection and body included. Default 15 s.
    pub request_timeout: Duration,
    /// Retries of throttled and failed requests.
    pub retry: RetryPolicy,
    /// A token is refreshed this long before it expires (but never before half its
    /// lifetime has passed). Default 30 s.
    pub token_refresh_skew: Duration,
    /// Items per list request, 1–500. Default 500.
    pub page_size: u32,
    /// The most bytes read from one response body; a longer body is an error
    /// ([`ApiError::ResponseTooLarge`]) and the rest is never read. Default 64 MiB, far above
    /// any real page (500 queues are about 0.5 MiB).
    pub max_response_bytes: u64,
    /// The most items one list (all its pages) may hold; a list that grows past it, or whose
    /// `total` says it would, is an error ([`ApiError::BadListing`]). Default 100,000.
    pub max_list_items: usize,
    /// The most pages one list may take; a list that goes on longer, or whose `pageCount`
    /// says it would, is an error ([`ApiError::BadListing`]). Default 10,000.
    pub max_list_pages: u64,
}

impl ClientConfig {
    /// The default requests per second.
    pub const DEFAULT_REQUESTS_PER_SECOND: f64 = 10.0;
    /// The default request timeout.
    pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(15);
    /// The default token refresh skew.
    pub const DEFAULT_TOKEN_REFRESH_SKEW: Duration = Duration::from_secs(30);
    /// The default page size (the largest the API allows).
    pub const DEFAULT_PAGE_SIZE: u32 = MAX_PAGE_SIZE;
    /// The default cap on one response body: 64 MiB.
    pub const DEFAULT_MAX_RESPONSE_BYTES: u64 = 64 * 1024 * 1024;
    /// The default cap on the items of one list.
    pub const DEFAULT_MAX_LIST_ITEMS: usize = 100_000;
    /// The default cap on the pages of one list.
    pub const DEFAULT_MAX_LIST_PAGES: u64 = 10_000;

    /// A configuration with every default: [`DEFAULT_SCOPES`], 10 requests per second,
    /// 15 s timeout, [`RetryPolicy::default`], 30 s refresh skew, pages of 500, responses of
    /// at most 64 MiB, lists of at most 100,000 items and 10,000 pages.
    pub fn new(
        base_url: impl Into<String>,
        client_id: impl Into<String>,
        client_secret: impl Into<Secret>,
    ) -> Self {
        Self {
            base_url: base_url.into(),
            token_url: None,
            client_id: client_id.into(),
            client_secret: client_secret.into(),
            scopes: DEFAULT_SCOPES.iter().map(|s| (*s).to_owned()).collect(),
            requests_per_second: Self::DEFAULT_REQUESTS_PER_SECOND,
            request_timeout: Self::DEFAULT_REQUEST_TIMEOUT,
            retry: RetryPolicy::default(),
            token_refresh_skew: Self::DEFAULT_TOKEN_REFRESH_SKEW,
            page_size: Self::DEFAULT_PAGE_SIZE,
            max_response_bytes: Self::DEFAULT_MAX_RESPONSE_BYTES,
            max_list_items: Self::DEFAULT_MAX_LIST_ITEMS,
            max_list_pages: Self::DEFAULT_MAX_LIST_PAGES,
        }
    }

    /// The token endpoint in use: [`token_url`](Self::token_url) or `{base_url}/oauth2/token`.
    pub fn token_endpoint(&self) -> String {
        match &self.token_url {
            Some(url) => url.trim().to_owned(),
            None => format!(
                "{}/oauth2/token",
                self.base_url.trim().trim_end_matches('/')
            ),
        }
    }

    /// Checks the configuration without building a client.
    pub fn validate(&self) -> Result<(), ApiError> {
        self.checked().map(|_| ())
    }

    /// Checks everything and returns the parsed base and token URLs.
    fn checked(&self) -> Result<(Url, Url), ApiError> {
        let base = checked_url("base_url", &self.base_url)?;
        let token = checked_url("token_url", &self.token_endpoint())?;
        if self.client_id.trim().is_empty() {
            return Err(ApiError::Config(
                "client_id is empty: set it to the API client's id (CXONE_CLIENT_ID)".into(),
            ));
        }
        if self.client_secret.expose().is_empty() {
            return Err(ApiError::Config(
                "client_secret is empty: set it to the API client's secret (CXONE_CLIENT_SECRET)"
                    .into(),
            ));
        }
        if !(self.requests_per_second.is_finite() && self.requests_per_second > 0.0) {
            return Err(ApiError::Config(format!(
                "requests_per_second is {}: it must be a positive number",
                self.requests_per_second
            )));
        }
        if !(1..=MAX_PAGE_SIZE).contains(&self.page_size) {
            return Err(ApiError::Config(format!(
                "page_size is {}: the API serves pages of 1 to {MAX_PAGE_SIZE} items",
                self.page_size
            )));
        }
        if self.request_timeout.is_zero() {
            return Err(ApiError::Config(
                "request_timeout is zero: every request would time out".into(),
            ));
        }
        for (name, value) in [
            ("max_response_bytes", self.max_response_bytes),
            ("max_list_items", self.max_list_items as u64),
            ("max_list_pages", self.max_list_pages),
        ] {
            if value == 0 {
                return Err(ApiError::Config(format!(
                    "{name} is 0: no answer or list would fit; leave the default or give a \
                     positive limit"
                )));
            }
        }
        self.retry.validate()?;
        Ok((base, token))
    }
}

impl fmt::Debug for ClientConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientConfig")
            .field("base_url", &self.base_url)
            .field("token_url", &self.token_url)
            .field("client_id", &self.client_id)
            .field("client_secret", &"***")
            .field("scopes", &self.scopes)
            .field("requests_per_second", &self.requests_per_second)
            .field("request_timeout", &self.request_timeout)
            .field("retry", &self.retry)
            .field("token_refresh_skew", &self.token_refresh_skew)
            .field("page_size", &self.page_size)
            .field("max_response_bytes", &self.max_response_bytes)
            .field("max_list_items", &self.max_list_items)
            .field("max_list_pages", &self.max_list_pages)
            .finish()
    }
}

/// Parses a configured URL: https anywhere, plain http only to this machine.
fn checked_url(what: &str, raw: &str) -> Result<Url, ApiError> {
    tenant::endpoint::checked_endpoint(what, raw).map_err(ApiError::Config)
}

/// The HTTP client for the routing API (a [`tenant::Tenant`]).
///
/// Cheap to clone; clones share the token, the rate limit and the stats, so one client
/// serves any number of concurrent tasks. `Debug` never shows the secret or the token.
#[derive(Clone)]
pub struct HttpTenant {
    inner: Arc<Inner>,
}

struct Inner {
    config: ClientConfig,
    /// The base URL, parsed; paths are appended segment by segment.
    base: Url,
    token_url: Url,
    /// `POST {token path}`, the token endpoint's stats label.
    token_endpoint: String,
    core: HttpCore,
    tokens: TokenCache<ApiError>,
}

impl fmt::Debug for HttpTenant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpTenant")
            .field("config", &self.inner.config)
            .field("tokens", &self.inner.tokens)
            .finish_non_exhaustive()
    }
}

/// What a request carries.
enum Payload {
    Empty,
    Json(Vec<u8>),
}

/// How a request may be retried.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// An authorised call that is safe to repeat (GET, PUT/DELETE with If-Match).
    Idempotent,
    /// An authorised POST: a lost answer goes back to the caller, who looks the name up.
    Create,
}

struct Call<'a> {
    method: Method,
    endpoint: &'a str,
    url: Url,
    payload: Payload,
    if_match: Option<u64>,
    kind: Kind,
}

/// How [`HttpTenant::execute`] ended without an error.
enum Outcome {
    /// An answer that is not retried here (2xx, or a status the caller maps to an error).
    Reply(Reply),
    /// (Create only) the answer was lost and the backoff has been waited: look the name up
    /// before posting again.
    Lost,
}

/// What this adapter reads from an answer besides what the core does.
trait ReplyExt {
    /// The version in an `ETag: "7"` header.
    fn etag_version(&self) -> Option<u64>;
    /// The start of the body, redacted and sanitised, for error messages.
    fn snippet(&self) -> String;
    /// `HTTP 503 code from endpoint`, for exhausted-retry messages.
    fn describe_code(&self, endpoint: &str) -> String;
    /// The body as `T`, or what is wrong with it.
    fn parsed<T: DeserializeOwned>(&self, endpoint: &str) -> Result<T, ApiError>;
    /// The body as a queue (its version from the `ETag` when the body has none).
    fn queue(&self, endpoint: &str) -> Result<RemoteQueue, ApiError>;
}

impl ReplyExt for Reply {
    fn etag_version(&self) -> Option<u64> {
        let value = self.headers.get(ETAG)?.to_str().ok()?;
        value
            .trim()
            .trim_start_matches("W/")
            .trim_matches('"')
            .parse()
            .ok()
    }

    fn snippet(&self) -> String {
        let text = self
            .redactor()
            .show_within(&String::from_utf8_lossy(&self.body), MAX_SNIPPET_BYTES);
        if text.is_empty() {
            "(empty body)".into()
        } else {
            text
        }
    }

    fn describe_code(&self, endpoint: &str) -> String {
        let code = serde_json::from_slice::<ErrorBody>(&self.body)
            .ok()
            .and_then(|b| b.code)
            .map(|c| format!(" {}", self.show(&c)))
            .unwrap_or_default();
        format!("HTTP {}{code} from {endpoint}", self.status.as_u16())
    }

    fn parsed<T: DeserializeOwned>(&self, endpoint: &str) -> Result<T, ApiError> {
        serde_json::from_slice(&self.body).map_err(|e| ApiError::Unexpected {
            status: self.status.as_u16(),
            body: format!(
                "{endpoint} answered with a body that is not what the API describes ({}): {}",
                self.show(&e.to_string()),
                self.snippet()
            ),
        })
    }

    fn queue(&self, endpoint: &str) -> Result<RemoteQueue, ApiError> {
        let mut queue: RemoteQueue = self.parsed(endpoint)?;
        if queue.version.is_none() {
            queue.version = self.etag_version();
        }
        Ok(queue)
    }
}

/// An API error body: `{"code": …, "message": …, "errors": […], "currentVersion": …}`.
#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ErrorBody {
    #[serde(default)]
    code: Option<String>,
    #[serde(default)]
    message: Option<String>,
    #[serde(default)]
    errors: Vec<Value>,
    #[serde(default)]
    current_version: Option<u64>,
}

/// One page of a list.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Page<T> {
    #[serde(default = "Vec::new")]
    entities: Vec<T>,
    #[serde(default)]
    page_count: Option<u64>,
    /// The items of the whole list, as the tenant counts them.
    #[serde(default)]
    total: Option<u64>,
    /// The page size the tenant used (it may serve fewer than asked).
    #[serde(default)]
    page_size: Option<u64>,
}

/// An item of a list, by the id that tells a repeated item from a new one.
pub(crate) trait Listed {
    fn list_id(&self) -> Option<&str>;
}

impl Listed for RemoteQueue {
    fn list_id(&self) -> Option<&str> {
        self.id.as_deref()
    }
}

impl Listed for Skill {
    fn list_id(&self) -> Option<&str> {
        Some(&self.id)
    }
}

/// A listed queue that does not read as one (`maxWaiters: -5`): what can be told of it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnreadableQueue {
    pub id: Option<String>,
    pub name: Option<String>,
    /// Why it does not read, sanitised (bounded, no control characters).
    pub problem: String,
}

/// Every queue of a list: those that read, and those that do not.
#[derive(Clone, Debug, Default)]
pub struct QueueListing {
    pub queues: Vec<RemoteQueue>,
    pub unreadable: Vec<UnreadableQueue>,
}

/// A list item, read on its own, so that one bad item does not spoil the list.
enum Item<T> {
    Read(T),
    Unreadable(UnreadableQueue),
}

/// The most characters of a list item's problem shown.
const MAX_SHOWN_PROBLEM_CHARS: usize = 200;

impl<'de, T: DeserializeOwned> Deserialize<'de> for Item<T> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let value = Value::deserialize(d)?;
        let text = |key: &str| {
            value
                .get(key)
                .and_then(Value::as_str)
                .map(|s| sanitised(s, MAX_SHOWN_ID_CHARS))
        };
        match T::deserialize(&value) {
            Ok(item) => Ok(Item::Read(item)),
            Err(e) => Ok(Item::Unreadable(UnreadableQueue {
                id: text("id"),
                name: text("name"),
                problem: sanitised(&e.to_string(), MAX_SHOWN_PROBLEM_CHARS),
            })),
        }
    }
}

impl<T: Listed> Listed for Item<T> {
    fn list_id(&self) -> Option<&str> {
        match self {
            Item::Read(item) => item.list_id(),
            Item::Unreadable(u) => u.id.as_deref(),
        }
    }
}

/// Adds one page's items to a list. Ids already seen may open the page (a delete between two
/// page requests shifts items back onto the next page; they are dropped), but a page that
/// brings nothing new, or repeats an id after new ones, is the tenant serving pages in a loop.
fn accept_page<T: Listed, U>(
    entities: Vec<T>,
    seen: &mut HashSet<String>,
    items: &mut Vec<U>,
    map: &impl Fn(T) -> U,
) -> Result<(), String> {
    let total = entities.len();
    let mut fresh = 0usize;
    for item in entities {
        match item.list_id() {
            Some(id) if seen.contains(id) => {
                if fresh > 0 {
                    return Err(format!(
                        "it repeats the id {:?}, already listed, after new items",
                        sanitised(id, MAX_SHOWN_ID_CHARS)
                    ));
                }
            }
            Some(id) => {
                seen.insert(id.to_owned());
                items.push(map(item));
                fresh += 1;
            }
            None => {
                items.push(map(item));
                fresh += 1;
            }
        }
    }
    if total > 0 && fresh == 0 {
        return Err(format!(
            "it repeats only ids already listed ({total} of them): the tenant serves the same \
             items again"
        ));
    }
    Ok(())
}

/// What a call was about, for error messages.
#[derive(Clone, Copy)]
struct Subject<'a> {
    endpoint: &'a str,
    id: Option<&'a str>,
    name: Option<&'a str>,
}

impl Subject<'_> {
    fn describe(&self) -> String {
        match (self.id, self.name) {
            (Some(id), _) => format!("queue {id}"),
            (None, Some(name)) => format!("queue named {name:?}"),
            (None, None) => format!("the endpoint {} (check base_url)", self.endpoint),
        }
    }
}

/// Maps an answer that is neither success nor retried to the error the caller sees.
fn api_error(subject: Subject<'_>, reply: &Reply) -> ApiError {
    let body: ErrorBody = serde_json::from_slice(&reply.body).unwrap_or_default();
    let status = reply.status.as_u16();
    match status {
        400 => {
            let texts: Vec<String> = body
                .errors
                .iter()
                .take(MAX_SHOWN_ERRORS)
                .map(|e| e.as_str().map_or_else(|| e.to_string(), str::to_owned))
                .collect();
            // All of them within the one bound of an error's server text.
            let mut errors = reply.redactor().show_all(texts.iter().map(String::as_str));
            if body.errors.len() > MAX_SHOWN_ERRORS {
                errors.push(format!(
                    "… and {} more",
                    body.errors.len() - MAX_SHOWN_ERRORS
                ));
            }
            if errors.is_empty() {
                errors.push(body.message.or(body.code).map_or_else(
                    || {
                        format!(
                            "HTTP 400 from {} without details: {}",
                            subject.endpoint,
                            reply.snippet()
                        )
                    },
                    |said| reply.show(&said),
                ));
            }
            ApiError::BadRequest { errors }
        }
        401 => ApiError::Unauthorized {
            reason: format!("{} answered 401", subject.endpoint),
        },
        403 => ApiError::Forbidden {
            scope: scope_named_in(body.message.as_deref()).map_or_else(
                || {
                    format!(
                        "(not named by the tenant, which answered 403 to {}: {})",
                        subject.endpoint,
                        reply.snippet()
                    )
                },
                |scope| reply.show(&scope),
            ),
        },
        404 => ApiError::NotFound {
            what: subject.describe(),
        },
        409 if body.code.as_deref() == Some("name.taken") => ApiError::NameTaken {
            name: subject.name.or(subject.id).unwrap_or_default().to_owned(),
        },
        409 => ApiError::Conflict {
            id: subject.id.or(subject.name).unwrap_or_default().to_owned(),
            current_version: body.current_version,
        },
        _ => ApiError::Unexpected {
            status,
            body: format!("{} answered {}", subject.endpoint, reply.snippet()),
        },
    }
}

/// The scope in a 403 message such as `requires routing:queue:update`.
fn scope_named_in(message: Option<&str>) -> Option<String> {
    let (_, rest) = message?.split_once("requires")?;
    rest.split_whitespace()
        .find(|word| word.contains(':'))
        .map(|word| word.trim_matches(|c: char| !c.is_alphanumeric()).to_owned())
}

/// Whether `current` holds what `sent` asked for (server-owned fields aside).
fn same_content(current: &RemoteQueue, sent: &RemoteQueue) -> bool {
    fn content(queue: &RemoteQueue) -> Value {
        let mut value = serde_json::to_value(queue).unwrap_or(Value::Null);
        if let Some(object) = value.as_object_mut() {
            for owned in ["id", "version", "dateModified", "modifiedBy"] {
                object.remove(owned);
            }
        }
        value
    }
    content(current) == content(sent)
}

impl HttpTenant {
    /// Builds a client. Checks the configuration ([`ApiError::Config`] says what is wrong);
    /// sends nothing until the first call.
    pub fn new(config: ClientConfig) -> Result<Self, ApiError> {
        let (base, token_url) = config.checked()?;
        let token_endpoint = format!("POST {}", token_url.path());
        let mut secrets = Redactor::default();
        secrets.add_basic(&config.client_id, &config.client_secret);
        let core = HttpCore::new(
            CoreConfig {
                name: "routing-api",
                user_agent: concat!("cxqueues-cxone/", env!("CARGO_PKG_VERSION")).into(),
                request_timeout: config.request_timeout,
                connect_timeout: DEFAULT_CONNECT_TIMEOUT,
                requests_per_second: config.requests_per_second,
                // Bursts of up to one second's worth.
                burst: config.requests_per_second.ceil().min(f64::from(u32::MAX)) as u32,
                retry: config.retry.core(),
                max_response_bytes: config.max_response_bytes,
                rate_limit: None,
            },
            secrets,
        )?;
        let tokens = TokenCache::new(config.token_refresh_skew);
        Ok(Self {
            inner: Arc::new(Inner {
                config,
                base,
                token_url,
                token_endpoint,
                core,
                tokens,
            }),
        })
    }

    /// The configuration this client was built with.
    pub fn config(&self) -> &ClientConfig {
        &self.inner.config
    }

    /// A snapshot of the request, retry, token and rate-limit counters.
    pub fn stats(&self) -> ClientStats {
        self.inner.core.stats()
    }

    /// The queue named `name`, if there is one (lists every queue: the API has no lookup
    /// by name).
    pub async fn find_queue_by_name(&self, name: &str) -> Result<Option<RemoteQueue>, ApiError> {
        let listing = self.all_queues().await?;
        if let Some(u) = listing
            .unreadable
            .iter()
            .find(|u| u.name.as_deref() == Some(name))
        {
            return Err(ApiError::Unexpected {
                status: 200,
                body: format!("queue {name:?} exists but does not read: {}", u.problem),
            });
        }
        Ok(listing.queues.into_iter().find(|queue| queue.name == name))
    }

    /// Forgets the cached token, so that the next call fetches a new one.
    pub fn forget_token(&self) {
        self.inner.tokens.forget();
    }

    fn url(&self, segments: &[&str]) -> Url {
        with_path(&self.inner.base, segments)
    }

    fn queue_url(&self, id: &str) -> Url {
        let mut url = self.url(&QUEUES_PATH);
        if let Ok(mut path) = url.path_segments_mut() {
            path.push(id);
        }
        url
    }

    // ---- sending ----

    /// Sends `call` until it gets an answer that is not retried here, within `budget` (the
    /// core paces, retries, refreshes the token before every attempt and redacts).
    async fn execute(&self, call: &Call<'_>, budget: &mut Budget) -> Result<Outcome, ApiError> {
        let inner = &self.inner;
        let mut core_call = CoreCall::new(call.method.clone(), call.endpoint, call.url.clone());
        if let Payload::Json(bytes) = &call.payload {
            core_call.body = tenant::http::Body::Json(bytes.clone());
        }
        if let Some(version) = call.if_match {
            core_call = core_call.header(IF_MATCH, &format!("\"{version}\""))?;
        }
        if call.kind == Kind::Idempotent {
            core_call = core_call.safe();
        }
        let outcome = inner
            .core
            .execute(&core_call, budget, Auth::Token(&inner.tokens, &**inner))
            .await?;
        match outcome {
            CoreOutcome::Reply(reply) if reply.status == StatusCode::UNAUTHORIZED => {
                Err(ApiError::Unauthorized {
                    reason: format!(
                        "{} answered 401 even to a freshly issued token: check that the API \
                         client is active and allowed to use this API",
                        call.endpoint
                    ),
                })
            }
            CoreOutcome::Reply(reply) => match reply.gave_up() {
                Some(why) => Err(ApiError::RetriesExhausted {
                    attempts: reply.attempts(),
                    last: format!("{}; {why}", reply.describe_code(call.endpoint)),
                }),
                None => Ok(Outcome::Reply(reply)),
            },
            CoreOutcome::Lost(_) => Ok(Outcome::Lost),
        }
    }

    /// Sends a safe-to-repeat call and maps anything but success to an error.
    async fn fetch(&self, call: Call<'_>, subject: Subject<'_>) -> Result<Reply, ApiError> {
        let mut budget = self.inner.core.budget();
        match self.execute(&call, &mut budget).await? {
            Outcome::Reply(reply) if reply.status.is_success() => Ok(reply),
            Outcome::Reply(reply) => Err(api_error(subject, &reply)),
            Outcome::Lost => unreachable_outcome(call.endpoint),
        }
    }

    /// Every item of a paged list, from page 1 until a page is empty or short, `pageCount`
    /// pages were read, or `total` items were listed, whichever comes first. A list past
    /// `max_list_items` or `max_list_pages` (or announcing it), or a page that repeats what
    /// was listed, is [`ApiError::BadListing`].
    async fn list_all<T: DeserializeOwned + Send + Listed>(
        &self,
        path: &[&str],
        endpoint: &'static str,
    ) -> Result<Vec<T>, ApiError> {
        self.list_all_as(path, endpoint, |item| item).await
    }

    /// [`HttpTenant::list_all`], each item turned into a `U` as its page arrives (so that the
    /// whole list is never held twice).
    pub(crate) async fn list_all_as<T: DeserializeOwned + Send + Listed, U: Send>(
        &self,
        path: &[&str],
        endpoint: &'static str,
        map: impl Fn(T) -> U + Send + Sync,
    ) -> Result<Vec<U>, ApiError> {
        let config = &self.inner.config;
        let page_size = config.page_size;
        let mut items = Vec::new();
        let mut seen = HashSet::new();
        let mut page_number: u64 = 1;
        loop {
            let mut url = self.url(path);
            url.query_pairs_mut()
                .append_pair("pageNumber", &page_number.to_string())
                .append_pair("pageSize", &page_size.to_string());
            let call = Call {
                method: Method::GET,
                endpoint,
                url,
                payload: Payload::Empty,
                if_match: None,
                kind: Kind::Idempotent,
            };
            let subject = Subject {
                endpoint,
                id: None,
                name: None,
            };
            let page: Page<T> = self.fetch(call, subject).await?.parsed(endpoint)?;
            let bad = |reason: String| ApiError::BadListing {
                endpoint: endpoint.to_owned(),
                page: page_number,
                reason,
            };
            if let Some(total) = page.total.filter(|t| *t > config.max_list_items as u64) {
                return Err(bad(format!(
                    "the tenant says the list holds {total} items, more than max_list_items \
                     ({})",
                    config.max_list_items
                )));
            }
            if let Some(count) = page.page_count.filter(|c| *c > config.max_list_pages) {
                return Err(bad(format!(
                    "the tenant says the list takes {count} pages, more than max_list_pages ({})",
                    config.max_list_pages
                )));
            }
            let count = page.entities.len() as u64;
            accept_page(page.entities, &mut seen, &mut items, &map).map_err(bad)?;
            if items.len() > config.max_list_items {
                return Err(bad(format!(
                    "the list grew past max_list_items ({})",
                    config.max_list_items
                )));
            }
            // The tenant may serve smaller pages than asked; it says so in `pageSize`.
            let served_size = page
                .page_size
                .filter(|size| (1..=u64::from(page_size)).contains(size))
                .unwrap_or(u64::from(page_size));
            let done = count < served_size
                || page.page_count.is_some_and(|c| page_number >= c)
                || page.total.is_some_and(|t| items.len() as u64 >= t);
            if done {
                break;
            }
            if page_number >= config.max_list_pages {
                return Err(bad(format!(
                    "the list goes on past max_list_pages ({}), each page full",
                    config.max_list_pages
                )));
            }
            page_number += 1;
        }
        debug!(
            endpoint,
            items = items.len(),
            pages = page_number,
            "cxone: listed"
        );
        Ok(items)
    }

    async fn all_queues(&self) -> Result<QueueListing, ApiError> {
        let items: Vec<Item<RemoteQueue>> = self.list_all(&QUEUES_PATH, LIST_QUEUES).await?;
        let mut listing = QueueListing::default();
        for item in items {
            match item {
                Item::Read(q) => listing.queues.push(q),
                Item::Unreadable(u) => listing.unreadable.push(u),
            }
        }
        Ok(listing)
    }

    /// Every queue (or why one could not be read), each turned into a `U` as its page
    /// arrives, so that the whole list is never held twice.
    pub(crate) async fn all_queues_as<U: Send>(
        &self,
        map: impl Fn(Result<RemoteQueue, UnreadableQueue>) -> U + Send + Sync,
    ) -> Result<Vec<U>, ApiError> {
        self.list_all_as(&QUEUES_PATH, LIST_QUEUES, |item: Item<RemoteQueue>| {
            map(match item {
                Item::Read(q) => Ok(q),
                Item::Unreadable(u) => Err(u),
            })
        })
        .await
    }

    async fn create(&self, queue: &RemoteQueue) -> Result<RemoteQueue, ApiError> {
        let mut new = queue.clone();
        new.id = None;
        new.version = None;
        let body = serde_json::to_vec(&new).map_err(|e| {
            ApiError::InvalidInput(format!("queue {:?} cannot be encoded: {e}", queue.name))
        })?;
        let call = Call {
            method: Method::POST,
            endpoint: CREATE_QUEUE,
            url: self.url(&QUEUES_PATH),
            payload: Payload::Json(body),
            if_match: None,
            kind: Kind::Create,
        };
        let subject = Subject {
            endpoint: CREATE_QUEUE,
            id: None,
            name: Some(&queue.name),
        };
        let mut budget = self.inner.core.budget();
        loop {
            match self.execute(&call, &mut budget).await? {
                Outcome::Reply(reply) if reply.status.is_success() => {
                    return reply.queue(CREATE_QUEUE);
                }
                Outcome::Reply(reply) => {
                    let error = api_error(subject, &reply);
                    if matches!(error, ApiError::NameTaken { .. }) && budget.maybe_applied() {
                        // Our own earlier try may have created it after all.
                        if let Some(found) = self.find_queue_by_name(&queue.name).await? {
                            debug!(name = %queue.name, "cxone: name taken after a lost create; returning the queue");
                            return Ok(found);
                        }
                    }
                    return Err(error);
                }
                Outcome::Lost => {
                    self.inner.core.recorder().create_lookup();
                    debug!(name = %queue.name, "cxone: create answer lost; looking the name up before posting again");
                    if let Some(found) = self.find_queue_by_name(&queue.name).await? {
                        return Ok(found);
                    }
                }
            }
        }
    }

    async fn update(&self, queue: &RemoteQueue, if_match: u64) -> Result<RemoteQueue, ApiError> {
        let id = queue
            .id
            .as_deref()
            .filter(|id| !id.is_empty())
            .ok_or_else(|| {
                ApiError::InvalidInput(format!(
                    "queue {:?} has no id, so it cannot be updated (create it instead)",
                    queue.name
                ))
            })?;
        let body = serde_json::to_vec(queue)
            .map_err(|e| ApiError::InvalidInput(format!("queue {id} cannot be encoded: {e}")))?;
        let call = Call {
            method: Method::PUT,
            endpoint: UPDATE_QUEUE,
            url: self.queue_url(id),
            payload: Payload::Json(body),
            if_match: Some(if_match),
            kind: Kind::Idempotent,
        };
        let subject = Subject {
            endpoint: UPDATE_QUEUE,
            id: Some(id),
            name: Some(&queue.name),
        };
        let mut budget = self.inner.core.budget();
        let reply = match self.execute(&call, &mut budget).await? {
            Outcome::Reply(reply) if reply.status.is_success() => {
                return reply.queue(UPDATE_QUEUE);
            }
            Outcome::Reply(reply) => reply,
            Outcome::Lost => unreachable_outcome(UPDATE_QUEUE)?,
        };
        let error = api_error(subject, &reply);
        if let ApiError::Conflict {
            current_version, ..
        } = &error
            && budget.maybe_applied()
            && current_version.is_none_or(|v| v == if_match + 1)
        {
            // An earlier try whose answer was lost may have been applied: if the queue now
            // holds exactly what we sent, that write was ours.
            if let Ok(current) = self.get(id).await
                && same_content(&current, queue)
            {
                debug!(
                    id,
                    "cxone: conflict after a lost update; the tenant holds our write"
                );
                return Ok(current);
            }
        }
        Err(error)
    }

    async fn delete(&self, id: &str, if_match: u64) -> Result<(), ApiError> {
        let call = Call {
            method: Method::DELETE,
            endpoint: DELETE_QUEUE,
            url: self.queue_url(id),
            payload: Payload::Empty,
            if_match: Some(if_match),
            kind: Kind::Idempotent,
        };
        let subject = Subject {
            endpoint: DELETE_QUEUE,
            id: Some(id),
            name: None,
        };
        let mut budget = self.inner.core.budget();
        match self.execute(&call, &mut budget).await? {
            Outcome::Reply(reply) if reply.status.is_success() => Ok(()),
            Outcome::Reply(reply)
                if reply.status == StatusCode::NOT_FOUND && budget.maybe_applied() =>
            {
                debug!(
                    id,
                    "cxone: 404 after a lost delete; the earlier try deleted it"
                );
                Ok(())
            }
            Outcome::Reply(reply) => Err(api_error(subject, &reply)),
            Outcome::Lost => unreachable_outcome(DELETE_QUEUE),
        }
    }

    async fn get(&self, id: &str) -> Result<RemoteQueue, ApiError> {
        let call = Call {
            method: Method::GET,
            endpoint: GET_QUEUE,
            url: self.queue_url(id),
            payload: Payload::Empty,
            if_match: None,
            kind: Kind::Idempotent,
        };
        let subject = Subject {
            endpoint: GET_QUEUE,
            id: Some(id),
            name: None,
        };
        self.fetch(call, subject).await?.queue(GET_QUEUE)
    }
}

/// `Outcome::Lost` only comes back for creates.
fn unreachable_outcome<T>(endpoint: &str) -> Result<T, ApiError> {
    Err(ApiError::Unexpected {
        status: 0,
        body: format!("{endpoint} was treated as a create (a client bug)"),
    })
}

impl TokenSource for Inner {
    type Error = ApiError;

    /// `POST {token_url}`: the client-credentials form, the client id and secret in it.
    async fn fetch_token(&self) -> Result<Issued, ApiError> {
        let config = &self.config;
        let scope = config.scopes.join(" ");
        let mut form = vec![
            ("grant_type", "client_credentials"),
            ("client_id", config.client_id.as_str()),
            ("client_secret", config.client_secret.expose()),
        ];
        if !scope.is_empty() {
            form.push(("scope", scope.as_str()));
        }
        let call = CoreCall::new(Method::POST, &self.token_endpoint, self.token_url.clone())
            .token_form()
            .form(form);
        let sent_at = Instant::now();
        let reply = self.core.send_plain(&call).await?;
        if let Some(why) = reply.gave_up() {
            return Err(ApiError::RetriesExhausted {
                attempts: reply.attempts(),
                last: format!("{}; {why}", reply.describe_code(&self.token_endpoint)),
            });
        }
        if !reply.status.is_success() {
            return Err(self.token_error(&reply));
        }
        // Never echo this body: it holds the token.
        let answer = TokenAnswer::parse(&reply.body).map_err(|problem| ApiError::Unexpected {
            status: reply.status.as_u16(),
            body: format!(
                "the token endpoint {} answered 200 with a body that {problem}",
                self.token_url
            ),
        })?;
        debug!(
            lifetime_s = tenant::http::lifetime(answer.expires_in).as_secs_f64(),
            "cxone: obtained an access token"
        );
        Ok(answer.issued(sent_at, Vec::new()))
    }
}

impl Inner {
    fn token_error(&self, reply: &Reply) -> ApiError {
        let body = OAuthError::parse(&reply.body);
        let status = reply.status.as_u16();
        let code = body
            .error
            .as_deref()
            .map(|code| reply.show(code))
            .unwrap_or_default();
        let code = code.as_str();
        let detail = body
            .error_description
            .map(|d| format!(" ({})", reply.show(&d)))
            .unwrap_or_default();
        let url = &self.token_url;
        let said = if code.is_empty() {
            format!("HTTP {status}")
        } else {
            format!("HTTP {status} {code}")
        };
        match (status, code) {
            (_, "invalid_client") | (401, _) => ApiError::Unauthorized {
                reason: format!(
                    "the token endpoint {url} answered {said}{detail}: check the client id and \
                     secret (CXONE_CLIENT_ID, CXONE_CLIENT_SECRET) and that the API client is \
                     enabled in the tenant"
                ),
            },
            (_, "invalid_scope") => ApiError::Unauthorized {
                reason: format!(
                    "the token endpoint {url} refused the scopes {:?} ({said}{detail}): grant \
                     them to the API client or configure fewer scopes",
                    self.config.scopes.join(" ")
                ),
            },
            (_, "unauthorized_client") | (403, _) => ApiError::Unauthorized {
                reason: format!(
                    "the token endpoint {url} answered {said}{detail}: the API client may not \
                     use the client-credentials grant; allow it in the tenant"
                ),
            },
            (404, _) => ApiError::Config(format!(
                "there is no token endpoint at {url} (HTTP 404): check base_url or token_url"
            )),
            _ => ApiError::Unexpected {
                status,
                body: format!(
                    "the token endpoint {url} answered {said}{detail}: {}",
                    reply.snippet()
                ),
            },
        }
    }
}

/// The core's own failures in this adapter's terms.
impl From<HttpError> for ApiError {
    fn from(error: HttpError) -> Self {
        match error {
            HttpError::Network {
                host,
                cause,
                attempts,
                ..
            } => ApiError::Network {
                base_url: host,
                reason: if attempts > 1 {
                    format!("{cause}; gave up after {attempts} attempts")
                } else {
                    cause
                },
            },
            HttpError::Redirected {
                endpoint,
                status,
                location,
            } => ApiError::Redirected {
                endpoint,
                status,
                location,
            },
            HttpError::TooLarge { endpoint, limit } => {
                ApiError::ResponseTooLarge { endpoint, limit }
            }
            HttpError::Config(message) => ApiError::Config(message),
        }
    }
}

/// The routing API's own calls, in its wire types. The port ([`tenant::Tenant`]) is
/// implemented over these in `port.rs`.
impl HttpTenant {
    /// Every queue, all pages; a queue that does not read fails the list.
    pub async fn list_queues(&self) -> Result<Vec<RemoteQueue>, ApiError> {
        let listing = self.all_queues().await?;
        match listing.unreadable.first() {
            None => Ok(listing.queues),
            Some(u) => Err(ApiError::Unexpected {
                status: 200,
                body: format!(
                    "queue {} does not read: {}",
                    u.name.as_deref().or(u.id.as_deref()).unwrap_or("(no name)"),
                    u.problem
                ),
            }),
        }
    }

    /// Every queue, all pages, with those that do not read set apart.
    pub async fn list_queues_checked(&self) -> Result<QueueListing, ApiError> {
        self.all_queues().await
    }

    /// One queue by id.
    pub async fn get_queue(&self, id: &str) -> Result<RemoteQueue, ApiError> {
        self.get(id).await
    }

    /// Creates a queue, never twice (see [`HttpTenant::find_queue_by_name`]).
    pub async fn create_queue(&self, queue: &RemoteQueue) -> Result<RemoteQueue, ApiError> {
        self.create(queue).await
    }

    /// Replaces queue `queue.id` if its version is still `if_match`.
    pub async fn update_queue(
        &self,
        queue: &RemoteQueue,
        if_match: u64,
    ) -> Result<RemoteQueue, ApiError> {
        self.update(queue, if_match).await
    }

    /// Deletes queue `id` if its version is still `if_match`.
    pub async fn delete_queue(&self, id: &str, if_match: u64) -> Result<(), ApiError> {
        self.delete(id, if_match).await
    }

    /// Every skill, all pages.
    pub async fn list_skills(&self) -> Result<Vec<Skill>, ApiError> {
        self.list_all(&SKILLS_PATH, LIST_SKILLS).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(base: &str) -> ClientConfig {
        ClientConfig::new(base, "id", "s3cr3t-value")
    }

    #[test]
    fn plain_http_is_accepted_only_for_loopback_hosts() {
        for ok in [
            "http://127.0.0.1:8080",
            "http://127.1.2.3",
            "http://localhost:1/",
            "http://[::1]:9000",
            "https://api.example.com",
            "https://api.example.com/prefix/",
        ] {
            assert!(config(ok).validate().is_ok(), "{ok}");
        }
        for bad in [
            "http://api.example.com",
            "http://10.0.0.1",
            "http://[::2]",
            "ftp://x",
            "nonsense",
        ] {
            let err = config(bad).validate().unwrap_err();
            assert!(matches!(err, ApiError::Config(_)), "{bad}: {err}");
        }
        let mut c = config("https://api.example.com");
        c.token_url = Some("http://login.example.com/token".into());
        let err = c.validate().unwrap_err().to_string();
        assert!(
            err.contains("token_url") && err.contains("https://"),
            "{err}"
        );
    }

    #[test]
    fn credentials_in_a_url_are_refused_without_echoing_them() {
        let err = config("https://user:pa55word@api.example.com")
            .validate()
            .unwrap_err()
            .to_string();
        assert!(!err.contains("pa55word"), "{err}");
    }

    #[test]
    fn the_token_endpoint_defaults_to_the_base_url() {
        assert_eq!(
            config("https://a.example.com/").token_endpoint(),
            "https://a.example.com/oauth2/token"
        );
    }

    #[test]
    fn paths_are_appended_and_ids_escaped() {
        let client = HttpTenant::new(config("https://a.example.com/base/")).unwrap();
        assert_eq!(
            client.queue_url("a b/c").as_str(),
            "https://a.example.com/base/api/v2/routing/queues/a%20b%2Fc"
        );
    }

    #[test]
    fn a_403_names_the_scope_from_the_message() {
        assert_eq!(
            scope_named_in(Some("requires routing:queue:update")).as_deref(),
            Some("routing:queue:update")
        );
        assert_eq!(
            scope_named_in(Some("this call requires scope 'routing:skill:view'.")).as_deref(),
            Some("routing:skill:view")
        );
        assert_eq!(scope_named_in(Some("nope")), None);
    }
}
