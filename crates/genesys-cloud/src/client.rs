//! [`GenesysTenant`]: the HTTP client for one Genesys Cloud org.
//!
//! One API call goes through these steps:
//! 1. a bearer token from the cache; when it is due (`expires_in` minus the refresh skew),
//!    exactly one task fetches a new one (`POST {login}/oauth/token`, client credentials,
//!    HTTP Basic) while the others wait for it;
//! 2. the client-side rate limit (one request every 1/rps seconds, shared by every clone,
//!    retries and token requests included);
//! 3. the request;
//! 4. the answer: a 401 drops the token and sends once more with a fresh one; a 429 waits
//!    `Retry-After`; a 5xx other than 501, or a network failure, backs off with full jitter —
//!    except for a POST, whose outcome is then unknown: the caller looks the name up first.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime};

use reqwest::header::{ACCEPT, RETRY_AFTER};
use reqwest::{Method, RequestBuilder, StatusCode, Url};
use serde::Deserialize;
use serde_json::{Map, Value};
use tenant::{Backoff, ClientStats, Jitter, Queue, Secret, Skill, StatsRecorder, TenantError};
use tokio::time::{Instant, sleep, sleep_until};
use tracing::debug;

use crate::wire::{to_neutral, to_wire};
use crate::{Config, GenesysError};

const TOKEN: &str = "POST /oauth/token";
const LIST_QUEUES: &str = "GET /api/v2/routing/queues";
const GET_QUEUE: &str = "GET /api/v2/routing/queues/{id}";
const CREATE_QUEUE: &str = "POST /api/v2/routing/queues";
const UPDATE_QUEUE: &str = "PUT /api/v2/routing/queues/{id}";
const DELETE_QUEUE: &str = "DELETE /api/v2/routing/queues/{id}";
const LIST_SKILLS: &str = "GET /api/v2/routing/skills";
const QUEUES: [&str; 4] = ["api", "v2", "routing", "queues"];
const SKILLS: [&str; 4] = ["api", "v2", "routing", "skills"];

/// A `Retry-After` longer than this is not waited (the Go SDK's bound).
const MAX_RETRY_AFTER: Duration = Duration::from_secs(180);
/// A list longer than this many pages is a server bug, not data.
const MAX_PAGES: u32 = 100_000;
/// How often a create whose answer was lost looks up and posts again.
const MAX_CREATE_ROUNDS: u32 = 3;
const MAX_RETRY_STEP: Duration = Duration::from_secs(10);
const MAX_SETTLE_STEP: Duration = Duration::from_secs(16);

/// The client. Cheap to clone; clones share the token, the rate limit, the stats and what
/// this run created and deleted. `Debug` never shows the secret or the token.
#[derive(Clone)]
pub struct GenesysTenant {
    inner: Arc<Inner>,
}

struct Inner {
    config: Config,
    api: Url,
    token_url: Url,
    http: reqwest::Client,
    /// When the next request may go.
    next_slot: Mutex<Option<Instant>>,
    interval: Duration,
    token: tokio::sync::Mutex<Option<Token>>,
    stats: StatsRecorder,
    memory: Mutex<Memory>,
}

/// What this run wrote, to see through list and cache lag.
#[derive(Default)]
struct Memory {
    /// Created queues by name.
    created: HashMap<String, Queue>,
    created_ids: HashSet<String>,
    deleted_ids: HashSet<String>,
}

struct Token {
    value: Secret,
    due: Instant,
}

impl fmt::Debug for GenesysTenant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GenesysTenant")
            .field("config", &self.inner.config)
            .finish_non_exhaustive()
    }
}

/// A complete answer.
struct Reply {
    status: StatusCode,
    retry_after: Option<Duration>,
    body: Vec<u8>,
}

/// How a call may be repeated after a 5xx or a network failure.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Repeat {
    /// Safe to send again (GET, PUT of a whole object, DELETE, the token request).
    Safe,
    /// A POST: it may have been applied; hand back [`Failed::Unsure`].
    Never,
}

enum Failed {
    Tenant(TenantError),
    /// A POST whose outcome is unknown.
    Unsure(String),
}

impl From<TenantError> for Failed {
    fn from(e: TenantError) -> Self {
        Failed::Tenant(e)
    }
}

impl From<Failed> for TenantError {
    fn from(f: Failed) -> Self {
        match f {
            Failed::Tenant(e) => e,
            Failed::Unsure(m) => TenantError::Transport { message: m },
        }
    }
}

/// The Genesys error body (`{message, code, status, contextId, details, …}`).
#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ErrorBody {
    message: Option<String>,
    code: Option<String>,
    context_id: Option<String>,
    #[serde(default)]
    details: Vec<ErrorDetail>,
    /// The token endpoint's OAuth error (`{error, error_description}`).
    error: Option<String>,
    #[serde(rename = "error_description")]
    error_description: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ErrorDetail {
    error_code: Option<String>,
    field_name: Option<String>,
}

#[derive(Deserialize)]
struct TokenReply {
    access_token: String,
    #[serde(default)]
    expires_in: Option<u64>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Page {
    #[serde(default)]
    entities: Vec<Value>,
    #[serde(default)]
    page_count: Option<u64>,
}

impl Reply {
    fn error_body(&self) -> ErrorBody {
        serde_json::from_slice(&self.body).unwrap_or_default()
    }

    /// The server's words for a failed call: `message` (or the OAuth error), then the
    /// field details and the `contextId` that Genesys support asks for.
    fn server_words(&self) -> String {
        let b = self.error_body();
        let mut text = b
            .message
            .or(b.error_description)
            .or(b.error)
            .or(b.code.clone())
            .unwrap_or_else(|| format!("HTTP {}", self.status.as_u16()));
        if let Some(code) = b.code.filter(|c| !text.contains(c.as_str())) {
            text.push_str(&format!(" ({code})"));
        }
        if let Some(ctx) = b.context_id {
            text.push_str(&format!(" [contextId {ctx}]"));
        }
        text
    }

    fn reasons(&self) -> Vec<String> {
        let mut out = vec![self.server_words()];
        for d in self.error_body().details {
            match (d.field_name, d.error_code) {
                (Some(f), Some(c)) => out.push(format!("{f}: {c}")),
                (Some(x), None) | (None, Some(x)) => out.push(x),
                (None, None) => {}
            }
        }
        out
    }

    fn json<T: serde::de::DeserializeOwned>(&self, endpoint: &str) -> Result<T, TenantError> {
        serde_json::from_slice(&self.body).map_err(|e| TenantError::Transport {
            message: format!("{endpoint} answered a body Genesys Cloud does not describe: {e}"),
        })
    }

    fn object(&self, endpoint: &str) -> Result<Map<String, Value>, TenantError> {
        self.json(endpoint)
    }

    /// The error an unsuccessful answer stands for.
    fn error(&self, endpoint: &str, what: &str) -> TenantError {
        match self.status.as_u16() {
            400 | 409 | 422 => TenantError::Rejected {
                reasons: self.reasons(),
            },
            401 => TenantError::Unauthorized {
                reason: self.server_words(),
            },
            403 => TenantError::Forbidden {
                reason: format!(
                    "{} (the OAuth client's role needs routing:queue:view, add, edit and delete)",
                    self.server_words()
                ),
            },
            404 => TenantError::NotFound { what: what.into() },
            429 => TenantError::RateLimited {
                retry_after: self.retry_after,
            },
            status => TenantError::Transport {
                message: format!("HTTP {status} from {endpoint}: {}", self.server_words()),
            },
        }
    }
}

fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?.trim().to_owned();
    if let Ok(secs) = value.parse::<f64>() {
        return Duration::try_from_secs_f64(secs).ok();
    }
    let when = httpdate::parse_http_date(&value).ok()?;
    Some(
        when.duration_since(SystemTime::now())
            .unwrap_or(Duration::ZERO),
    )
}

impl GenesysTenant {
    /// A client for the configured org. Nothing is sent until the first call.
    pub fn new(config: Config) -> Result<Self, GenesysError> {
        let (api, token_url) = config.checked()?;
        // reqwest is built without a bundled crypto provider: install ring, unless the
        // process already chose one.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let http = reqwest::Client::builder()
            // A redirect could carry the form (secret included) or our token to another
            // origin, and trust its answer: a 3xx is an answer of its own, never followed.
            .redirect(reqwest::redirect::Policy::none())
            .timeout(config.request_timeout)
            .user_agent(concat!(
                "cxqueues-genesys-cloud/",
                env!("CARGO_PKG_VERSION")
            ))
            .build()
            .map_err(|e| GenesysError::Config(format!("cannot build the HTTP client: {e}")))?;
        let interval = Duration::from_secs_f64(1.0 / config.requests_per_second);
        Ok(Self {
            inner: Arc::new(Inner {
                config,
                api,
                token_url,
                http,
                next_slot: Mutex::new(None),
                interval,
                token: tokio::sync::Mutex::new(None),
                stats: StatsRecorder::default(),
                memory: Mutex::new(Memory::default()),
            }),
        })
    }

    /// What this client has sent so far.
    pub fn stats(&self) -> ClientStats {
        self.inner.stats.snapshot()
    }

    fn retry_backoff(&self) -> Backoff {
        Backoff::doubling(self.inner.config.retry_step, MAX_RETRY_STEP).with_jitter(Jitter::Full)
    }

    fn settle_backoff(&self) -> Backoff {
        Backoff::doubling(self.inner.config.settle_step, MAX_SETTLE_STEP)
    }

    fn memory(&self) -> MutexGuard<'_, Memory> {
        self.inner
            .memory
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn url(&self, segments: &[&str]) -> Url {
        let mut url = self.inner.api.clone();
        url.path_segments_mut()
            .expect("checked: the API base can be a base")
            .pop_if_empty()
            .extend(segments);
        url
    }

    fn queue_url(&self, id: &str) -> Url {
        let mut segments = QUEUES.to_vec();
        segments.push(id);
        self.url(&segments)
    }

    /// Waits for this request's slot of the client-side rate limit.
    async fn pace(&self) {
        let now = Instant::now();
        let slot = {
            let mut next = self
                .inner
                .next_slot
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            let slot = next.map_or(now, |n| n.max(now));
            *next = Some(slot + self.inner.interval);
            slot
        };
        if slot > now {
            self.inner.stats.rate_limited(slot - now);
            sleep_until(slot).await;
        }
    }

    /// Sends one request (after the rate limit) and reads the whole answer.
    async fn exchange(&self, req: RequestBuilder, endpoint: &str) -> Result<Reply, String> {
        self.pace().await;
        let sent = req.send().await;
        let is_token = endpoint == TOKEN;
        let resp = match sent {
            Ok(r) => r,
            Err(e) => {
                self.inner.stats.request(endpoint, None, is_token);
                // reqwest's text names the URL, never headers or the form body.
                return Err(format!("{endpoint}: {}", e.without_url()));
            }
        };
        let status = resp.status();
        self.inner
            .stats
            .request(endpoint, Some(status.as_u16()), is_token);
        let retry_after = retry_after(resp.headers());
        let body = tenant::http::read_capped(resp, self.inner.config.max_response_bytes)
            .await
            .map_err(|e| format!("{endpoint}: {e}"))?;
        Ok(Reply {
            status,
            retry_after,
            body,
        })
    }

    /// Sends the request `build` makes until it gets an answer that is not retried here.
    async fn with_retries(
        &self,
        endpoint: &str,
        repeat: Repeat,
        build: impl Fn() -> RequestBuilder,
    ) -> Result<Reply, Failed> {
        let max = self.inner.config.max_attempts;
        let mut attempt = 0;
        loop {
            let (reason, wait) = match self.exchange(build(), endpoint).await {
                Ok(reply) if reply.status == StatusCode::TOO_MANY_REQUESTS => {
                    if reply.retry_after.is_some_and(|d| d > MAX_RETRY_AFTER) {
                        return Err(reply.error(endpoint, endpoint).into());
                    }
                    if attempt + 1 >= max {
                        return Err(reply.error(endpoint, endpoint).into());
                    }
                    (format!("HTTP 429 from {endpoint}"), reply.retry_after)
                }
                Ok(reply)
                    if reply.status.is_server_error()
                        && reply.status != StatusCode::NOT_IMPLEMENTED =>
                {
                    let reason = format!(
                        "HTTP {} from {endpoint}: {}",
                        reply.status.as_u16(),
                        reply.server_words()
                    );
                    if repeat == Repeat::Never {
                        return Err(Failed::Unsure(reason));
                    }
                    (reason, reply.retry_after)
                }
                Ok(reply) => return Ok(reply),
                Err(reason) if repeat == Repeat::Never => return Err(Failed::Unsure(reason)),
                Err(reason) => (reason, None),
            };
            attempt += 1;
            if attempt >= max {
                return Err(Failed::Tenant(TenantError::Transport {
                    message: format!("giving up after {attempt} attempts: {reason}"),
                }));
            }
            self.inner.stats.retry(endpoint);
            let wait =
                wait.unwrap_or_else(|| self.retry_backoff().delay(attempt - 1, rand::random()));
            debug!(endpoint, ?wait, %reason, "retrying");
            sleep(wait).await;
        }
    }

    /// A valid bearer token: the cached one, or a new one (one fetch at a time).
    async fn token(&self) -> Result<Secret, TenantError> {
        let mut slot = self.inner.token.lock().await;
        if let Some(t) = slot.as_ref()
            && Instant::now() < t.due
        {
            return Ok(t.value.clone());
        }
        let c = &self.inner.config;
        let reply = self
            .with_retries(TOKEN, Repeat::Safe, || {
                self.inner
                    .http
                    .post(self.inner.token_url.clone())
                    .basic_auth(&c.client_id, Some(c.client_secret.expose()))
                    .header(ACCEPT, "application/json")
                    .form(&[("grant_type", "client_credentials")])
            })
            .await
            .map_err(TenantError::from)?;
        if !reply.status.is_success() {
            return Err(match reply.status.as_u16() {
                400 | 401 => TenantError::Unauthorized {
                    reason: format!(
                        "{} (check GENESYSCLOUD_OAUTHCLIENT_ID, GENESYSCLOUD_OAUTHCLIENT_SECRET and the region)",
                        reply.server_words()
                    ),
                },
                _ => reply.error(TOKEN, "the token endpoint"),
            });
        }
        let answer: TokenReply = reply.json(TOKEN)?;
        let lifetime = Duration::from_secs(answer.expires_in.unwrap_or(300));
        let early = c.token_refresh_skew.min(lifetime / 2);
        let token = Secret::new(answer.access_token);
        *slot = Some(Token {
            value: token.clone(),
            due: Instant::now() + lifetime - early,
        });
        Ok(token)
    }

    /// Drops `stale` from the cache (unless another task already replaced it).
    async fn forget_token(&self, stale: &Secret) {
        let mut slot = self.inner.token.lock().await;
        if slot.as_ref().is_some_and(|t| &t.value == stale) {
            *slot = None;
        }
    }

    /// An authorised API call; a 401 re-authenticates once.
    async fn call(
        &self,
        method: Method,
        endpoint: &str,
        url: &Url,
        body: Option<&Map<String, Value>>,
        repeat: Repeat,
    ) -> Result<Reply, Failed> {
        let mut reauthenticated = false;
        loop {
            let token = self.token().await?;
            let reply = self
                .with_retries(endpoint, repeat, || {
                    let mut req = self
                        .inner
                        .http
                        .request(method.clone(), url.clone())
                        .bearer_auth(token.expose())
                        .header(ACCEPT, "application/json");
                    if let Some(b) = body {
                        req = req.json(b);
                    }
                    req
                })
                .await?;
            if reply.status == StatusCode::UNAUTHORIZED && !reauthenticated {
                reauthenticated = true;
                self.inner.stats.token_invalidated();
                self.forget_token(&token).await;
                continue;
            }
            return Ok(reply);
        }
    }

    /// Every entity of a paged list (`pageSize`, `pageNumber`; stops at a short or empty page
    /// or at `pageCount`).
    async fn list_all(
        &self,
        endpoint: &str,
        segments: &[&str],
        name: Option<&str>,
    ) -> Result<Vec<Value>, TenantError> {
        let size = self.inner.config.page_size;
        let mut out = Vec::new();
        for number in 1..=MAX_PAGES {
            let mut url = self.url(segments);
            {
                let mut q = url.query_pairs_mut();
                q.append_pair("pageSize", &size.to_string())
                    .append_pair("pageNumber", &number.to_string());
                if let Some(n) = name {
                    q.append_pair("name", n);
                }
            }
            let reply = self
                .call(Method::GET, endpoint, &url, None, Repeat::Safe)
                .await?;
            if !reply.status.is_success() {
                return Err(reply.error(endpoint, "the list"));
            }
            let page: Page = reply.json(endpoint)?;
            let got = page.entities.len();
            out.extend(page.entities);
            let last_by_count = page.page_count.is_some_and(|c| u64::from(number) >= c);
            if got < size as usize || last_by_count {
                return Ok(out);
            }
        }
        Err(TenantError::Transport {
            message: format!("{endpoint} went on for more than {MAX_PAGES} pages"),
        })
    }

    fn queues_of(entities: Vec<Value>) -> Vec<Queue> {
        entities
            .into_iter()
            .filter_map(|v| match v {
                Value::Object(o) => Some(to_neutral(o)),
                _ => None,
            })
            .collect()
    }

    /// Every queue, all pages; queues this run deleted are left out even while the API's
    /// cache still lists them.
    pub async fn list_queues(&self) -> Result<Vec<Queue>, TenantError> {
        let all = Self::queues_of(self.list_all(LIST_QUEUES, &QUEUES, None).await?);
        let memory = self.memory();
        Ok(all
            .into_iter()
            .filter(|q| {
                q.id.as_ref()
                    .is_none_or(|id| !memory.deleted_ids.contains(id))
            })
            .collect())
    }

    /// The queue named exactly `name`, looked up with the list's `name` filter.
    async fn find_by_name(&self, name: &str) -> Result<Option<Queue>, TenantError> {
        let found = Self::queues_of(self.list_all(LIST_QUEUES, &QUEUES, Some(name)).await?);
        let memory = self.memory();
        Ok(found.into_iter().find(|q| {
            q.name == name
                && q.id
                    .as_ref()
                    .is_none_or(|id| !memory.deleted_ids.contains(id))
        }))
    }

    /// Whether `id` was created by this run (so a 404 may be lag).
    fn created_here(&self, id: &str) -> bool {
        self.memory().created_ids.contains(id)
    }

    /// Sends a call on queue `id`; a 404 for a queue this run created is retried with backoff
    /// for up to `create_settle` (list and cache lag after a create).
    async fn on_queue(
        &self,
        method: Method,
        endpoint: &str,
        id: &str,
        body: Option<&Map<String, Value>>,
    ) -> Result<Reply, TenantError> {
        let url = self.queue_url(id);
        let start = Instant::now();
        let mut round = 0;
        loop {
            let reply = self
                .call(method.clone(), endpoint, &url, body, Repeat::Safe)
                .await?;
            if reply.status == StatusCode::NOT_FOUND
                && self.created_here(id)
                && start.elapsed() < self.inner.config.create_settle
            {
                self.inner.stats.retry(endpoint);
                sleep(self.settle_backoff().delay(round, 0.0)).await;
                round += 1;
                continue;
            }
            return Ok(reply);
        }
    }

    /// One queue by id.
    pub async fn get_queue(&self, id: &str) -> Result<Queue, TenantError> {
        let reply = self.on_queue(Method::GET, GET_QUEUE, id, None).await?;
        if !reply.status.is_success() {
            return Err(reply.error(GET_QUEUE, &format!("queue {id}")));
        }
        Ok(to_neutral(reply.object(GET_QUEUE)?))
    }

    /// Replaces queue `id` with `queue` (the whole object: `queue.passthrough` must hold the
    /// object as just read, so that nothing unmanaged is erased).
    pub async fn put_queue(&self, id: &str, queue: &Queue) -> Result<Queue, TenantError> {
        let mut body = to_wire(queue);
        body.insert("id".into(), Value::String(id.to_owned()));
        let reply = self
            .on_queue(Method::PUT, UPDATE_QUEUE, id, Some(&body))
            .await?;
        if !reply.status.is_success() {
            return Err(reply.error(UPDATE_QUEUE, &format!("queue {id}")));
        }
        Ok(to_neutral(reply.object(UPDATE_QUEUE)?))
    }

    /// Creates `queue` (its declared fields), never twice: a queue this run created, or one
    /// the `name` filter finds (a lagging list, an earlier lost answer), is adopted instead and
    /// the declared fields are written onto it.
    pub async fn create_queue(&self, queue: &Queue) -> Result<Queue, TenantError> {
        let remembered = self.memory().created.get(&queue.name).cloned();
        if let Some(q) = remembered {
            return Ok(q);
        }
        let mut unsure = String::new();
        for _ in 0..MAX_CREATE_ROUNDS {
            if let Some(existing) = self.find_by_name(&queue.name).await? {
                self.inner.stats.create_lookup();
                let id = existing.id.clone().unwrap_or_default();
                let fresh = self.get_queue(&id).await?;
                let written = self.put_queue(&id, &declared_onto(queue, fresh)).await?;
                self.remember_created(&written);
                return Ok(written);
            }
            let mut body = to_wire(queue);
            body.remove("id");
            let url = self.url(&QUEUES);
            match self
                .call(Method::POST, CREATE_QUEUE, &url, Some(&body), Repeat::Never)
                .await
            {
                Ok(reply) if reply.status.is_success() => {
                    let created = to_neutral(reply.object(CREATE_QUEUE)?);
                    self.remember_created(&created);
                    return Ok(created);
                }
                Ok(reply) => {
                    return Err(reply.error(CREATE_QUEUE, &format!("queue {:?}", queue.name)));
                }
                Err(Failed::Unsure(reason)) => {
                    debug!(%reason, name = %queue.name, "create outcome unknown; looking the name up");
                    unsure = reason;
                    sleep(self.retry_backoff().delay(0, rand::random())).await;
                }
                Err(Failed::Tenant(e)) => return Err(e),
            }
        }
        Err(TenantError::Transport {
            message: format!(
                "creating queue {:?}: the outcome stayed unknown after {MAX_CREATE_ROUNDS} tries: {unsure}",
                queue.name
            ),
        })
    }

    fn remember_created(&self, q: &Queue) {
        let mut memory = self.memory();
        if let Some(id) = &q.id {
            memory.created_ids.insert(id.clone());
            memory.deleted_ids.remove(id);
        }
        memory.created.insert(q.name.clone(), q.clone());
    }

    /// Deletes queue `id`, then polls GET until it answers 404 (the API's cache may keep
    /// serving a deleted queue for about a minute), with bounded backoff.
    pub async fn delete_queue(&self, id: &str) -> Result<(), TenantError> {
        let mut url = self.queue_url(id);
        url.query_pairs_mut().append_pair("forceDelete", "false");
        let reply = self
            .call(Method::DELETE, DELETE_QUEUE, &url, None, Repeat::Safe)
            .await
            .map_err(TenantError::from)?;
        if !reply.status.is_success() && reply.status != StatusCode::NOT_FOUND {
            return Err(reply.error(DELETE_QUEUE, &format!("queue {id}")));
        }
        {
            let mut memory = self.memory();
            memory.deleted_ids.insert(id.to_owned());
            memory.created_ids.remove(id);
            memory.created.retain(|_, q| q.id.as_deref() != Some(id));
        }
        let start = Instant::now();
        let url = self.queue_url(id);
        let mut round = 0;
        loop {
            let reply = self
                .call(Method::GET, GET_QUEUE, &url, None, Repeat::Safe)
                .await
                .map_err(TenantError::from)?;
            if reply.status == StatusCode::NOT_FOUND {
                return Ok(());
            }
            if !reply.status.is_success() {
                return Err(reply.error(GET_QUEUE, &format!("queue {id}")));
            }
            let waited = start.elapsed();
            let settle = self.inner.config.delete_settle;
            if waited >= settle {
                return Err(TenantError::Transport {
                    message: format!(
                        "queue {id} was deleted but GET still returns it after {}s; run again later",
                        settle.as_secs()
                    ),
                });
            }
            sleep(self.settle_backoff().delay(round, 0.0).min(settle - waited)).await;
            round += 1;
        }
    }

    /// A read-only query (an analytics `POST`, safe to send again): the answer's JSON, or the
    /// error it stands for, a 403 naming `permission`.
    pub(crate) async fn query(
        &self,
        endpoint: &str,
        segments: &[&str],
        body: &Map<String, Value>,
        permission: &str,
    ) -> Result<Value, TenantError> {
        let url = self.url(segments);
        let reply = self
            .call(Method::POST, endpoint, &url, Some(body), Repeat::Safe)
            .await?;
        if reply.status == StatusCode::FORBIDDEN {
            return Err(TenantError::Forbidden {
                reason: format!(
                    "{} (the OAuth client's role needs {permission})",
                    reply.server_words()
                ),
            });
        }
        if !reply.status.is_success() {
            return Err(reply.error(endpoint, "the query"));
        }
        reply.json(endpoint)
    }

    /// Every routing skill, all pages.
    pub async fn list_skills(&self) -> Result<Vec<Skill>, TenantError> {
        let text = |v: &Value, k: &str| {
            v.get(k)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned()
        };
        Ok(self
            .list_all(LIST_SKILLS, &SKILLS, None)
            .await?
            .iter()
            .map(|v| Skill {
                id: text(v, "id"),
                name: text(v, "name"),
                state: text(v, "state"),
            })
            .collect())
    }
}

/// `fresh` with the fields `declared` carries (as reconcile builds a create: only declared
/// fields set) written over it.
fn declared_onto(declared: &Queue, mut fresh: Queue) -> Queue {
    if declared.description.is_some() {
        fresh.description.clone_from(&declared.description);
    }
    if declared.service_level_target.is_some() {
        fresh.service_level_target = declared.service_level_target;
    }
    for (path, value) in &declared.settings {
        fresh.settings.insert(path.clone(), value.clone());
    }
    fresh
}
