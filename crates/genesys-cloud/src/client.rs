//! [`GenesysTenant`]: the HTTP client for one Genesys Cloud org, over the HTTP core
//! (`tenant::http`).
//!
//! The core paces, retries, caches the token (consulted before every attempt), reads bodies
//! within the cap and redacts server text. This file keeps only what is Genesys's own: the
//! token request (`POST {login}/oauth/token`, client credentials, HTTP Basic), the error
//! mapping, the paging and the eventual-consistency handling (list and cache lag after a
//! create or a delete). A POST whose outcome is unknown (a 5xx, a lost answer) is never
//! repeated blindly: the name is looked up first.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use reqwest::{Method, StatusCode, Url};
use serde::Deserialize;
use serde_json::{Map, Value};
use tenant::http::{
    Auth, Call, CoreConfig, DEFAULT_CONNECT_TIMEOUT, HttpCore, Issued, Outcome, Redactor, Reply,
    RetryPolicy, TokenAnswer, TokenCache, TokenSource, with_path,
};
use tenant::{Backoff, ClientStats, Jitter, Listed, Queue, Skill, TenantError};
use tokio::time::{Instant, sleep};
use tracing::debug;

use crate::wire::{to_neutral, to_wire};
use crate::{Config, GenesysError};

mod cgr;
mod groups;

const TOKEN: &str = "POST /oauth/token";
const LIST_QUEUES: &str = "GET /api/v2/routing/queues";
const GET_QUEUE: &str = "GET /api/v2/routing/queues/{id}";
const CREATE_QUEUE: &str = "POST /api/v2/routing/queues";
const UPDATE_QUEUE: &str = "PUT /api/v2/routing/queues/{id}";
const DELETE_QUEUE: &str = "DELETE /api/v2/routing/queues/{id}";
const LIST_SKILLS: &str = "GET /api/v2/routing/skills";
const QUEUES: [&str; 4] = ["api", "v2", "routing", "queues"];
const SKILLS: [&str; 4] = ["api", "v2", "routing", "skills"];

/// A list longer than this many pages is a server bug, not data.
const MAX_PAGES: u32 = 100_000;
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
    core: HttpCore,
    tokens: TokenCache<TenantError>,
    memory: Mutex<Memory>,
}

/// What this run wrote, to see through list and cache lag.
#[derive(Default)]
struct Memory {
    /// Created queues by name.
    created: HashMap<String, Queue>,
    created_ids: HashSet<String>,
    deleted_ids: HashSet<String>,
    groups: groups::GroupMemory,
    /// Queue ids → names, from the listing (conditional group routing names queues).
    queue_names: HashMap<String, String>,
}

impl fmt::Debug for GenesysTenant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GenesysTenant")
            .field("config", &self.inner.config)
            .finish_non_exhaustive()
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
#[serde(rename_all = "camelCase")]
struct Page {
    #[serde(default)]
    entities: Vec<Value>,
    #[serde(default)]
    page_count: Option<u64>,
    #[serde(default)]
    page_size: Option<u64>,
}

fn error_body(reply: &Reply) -> ErrorBody {
    serde_json::from_slice(&reply.body).unwrap_or_default()
}

/// What Genesys said about a failed call (raw server text: shown only through the answer's
/// redactor): `message` (or the OAuth error), its `code`, and the `contextId` that Genesys
/// support asks for.
fn words(reply: &Reply) -> String {
    let b = error_body(reply);
    let mut text = b
        .message
        .or(b.error_description)
        .or(b.error)
        .or(b.code.clone())
        .unwrap_or_else(|| format!("HTTP {}", reply.status.as_u16()));
    if let Some(code) = b.code.filter(|c| !text.contains(c.as_str())) {
        text.push_str(&format!(" ({code})"));
    }
    if let Some(ctx) = b.context_id {
        text.push_str(&format!(" [contextId {ctx}]"));
    }
    text
}

/// [`words`], redacted, escaped and bounded.
fn said(reply: &Reply) -> String {
    reply.show(&words(reply))
}

/// The reasons of a rejected call: what Genesys said, then each field detail, all within
/// one bound.
fn reasons(reply: &Reply) -> Vec<String> {
    let mut texts = vec![words(reply)];
    texts.extend(error_body(reply).details.into_iter().filter_map(|d| {
        match (d.field_name, d.error_code) {
            (Some(f), Some(c)) => Some(format!("{f}: {c}")),
            (Some(x), None) | (None, Some(x)) => Some(x),
            (None, None) => None,
        }
    }));
    reply.redactor().show_all(texts.iter().map(String::as_str))
}

fn json<T: serde::de::DeserializeOwned>(reply: &Reply, endpoint: &str) -> Result<T, TenantError> {
    reply.json().map_err(|e| {
        TenantError::transport_message(format!(
            "{endpoint} answered a body Genesys Cloud does not describe: {e}"
        ))
    })
}

fn object(reply: &Reply, endpoint: &str) -> Result<Map<String, Value>, TenantError> {
    json(reply, endpoint)
}

/// The error an unsuccessful answer stands for.
fn error(reply: &Reply, endpoint: &str, what: &str) -> TenantError {
    match reply.status.as_u16() {
        400 | 409 | 422 => TenantError::Rejected {
            reasons: reasons(reply),
        },
        401 => TenantError::Unauthorized {
            reason: said(reply),
        },
        403 => TenantError::Forbidden {
            reason: match crate::permissions::needed_by(endpoint) {
                Some(p) => format!(
                    "{} ({endpoint} needs the permission {p} in the OAuth client's role)",
                    said(reply)
                ),
                None => said(reply),
            },
        },
        404 => TenantError::NotFound { what: what.into() },
        429 => TenantError::RateLimited {
            retry_after: reply.retry_after(),
        },
        status => {
            let answer = format!("HTTP {status} from {endpoint}: {}", said(reply));
            TenantError::transport_message(match reply.gave_up() {
                Some(why) => format!("{why}: {answer}"),
                None => answer,
            })
        }
    }
}

impl TokenSource for Inner {
    type Error = TenantError;

    /// `POST {login}/oauth/token`, `grant_type=client_credentials`, the client as HTTP Basic.
    async fn fetch_token(&self) -> Result<Issued, TenantError> {
        let c = &self.config;
        let call = Call::new(Method::POST, TOKEN, self.token_url.clone())
            .token_request(&c.client_id, &c.client_secret)
            .form(vec![("grant_type", "client_credentials")]);
        let sent_at = Instant::now();
        let reply = self.core.send_plain(&call).await?;
        if !reply.is_success() {
            return Err(match reply.status.as_u16() {
                400 | 401 => TenantError::Unauthorized {
                    reason: format!(
                        "{} (check GENESYSCLOUD_OAUTHCLIENT_ID, GENESYSCLOUD_OAUTHCLIENT_SECRET and the region)",
                        said(&reply)
                    ),
                },
                _ => error(&reply, TOKEN, "the token endpoint"),
            });
        }
        // Never echo this body: it holds the token.
        let answer = TokenAnswer::parse(&reply.body).map_err(|problem| {
            TenantError::transport_message(format!(
                "{TOKEN} answered {} with a body that {problem}",
                reply.status.as_u16()
            ))
        })?;
        Ok(answer.issued(sent_at, Vec::new()))
    }
}

impl GenesysTenant {
    /// A client for the configured org. Nothing is sent until the first call.
    pub fn new(config: Config) -> Result<Self, GenesysError> {
        let (api, token_url) = config.checked()?;
        let retry = RetryPolicy::new(
            config.max_attempts,
            Backoff::doubling(config.retry_step, MAX_RETRY_STEP.max(config.retry_step))
                .with_jitter(Jitter::Full),
        );
        let mut secrets = Redactor::default();
        secrets.add_basic(&config.client_id, &config.client_secret);
        let core = HttpCore::new(
            CoreConfig {
                name: "genesys-cloud",
                user_agent: concat!("cxqueues-genesys-cloud/", env!("CARGO_PKG_VERSION")).into(),
                request_timeout: config.request_timeout,
                connect_timeout: DEFAULT_CONNECT_TIMEOUT,
                requests_per_second: config.requests_per_second,
                burst: 1,
                retry,
                max_response_bytes: config.max_response_bytes,
                rate_limit: None,
            },
            secrets,
        )
        .map_err(|e| GenesysError::Config(e.to_string()))?;
        let tokens = TokenCache::new(config.token_refresh_skew);
        Ok(Self {
            inner: Arc::new(Inner {
                config,
                api,
                token_url,
                core,
                tokens,
                memory: Mutex::new(Memory::default()),
            }),
        })
    }

    /// What this client has sent so far.
    pub fn stats(&self) -> ClientStats {
        self.inner.core.stats()
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
        with_path(&self.inner.api, segments)
    }

    fn queue_url(&self, id: &str) -> Url {
        let mut segments = QUEUES.to_vec();
        segments.push(id);
        self.url(&segments)
    }

    /// A call to the API with `body` as JSON.
    fn api_call<'a>(
        method: Method,
        endpoint: &'a str,
        url: &Url,
        body: Option<&Map<String, Value>>,
    ) -> Result<Call<'a>, TenantError> {
        let call = Call::new(method, endpoint, url.clone());
        Ok(match body {
            Some(body) => call.json(body)?,
            None => call,
        })
    }

    /// An authorised API call that is safe to repeat, sent until it gets an answer the core
    /// does not retry.
    async fn call(
        &self,
        method: Method,
        endpoint: &str,
        url: &Url,
        body: Option<&Map<String, Value>>,
    ) -> Result<Reply, TenantError> {
        let call = Self::api_call(method, endpoint, url, body)?.safe();
        self.inner
            .core
            .send(&call, Auth::Token(&self.inner.tokens, &*self.inner))
            .await
    }

    /// Every entity of a paged list ([`crate::paging`]: to `pageCount`; inconsistent pages
    /// are listed once more, then refused).
    async fn list_all(
        &self,
        endpoint: &str,
        segments: &[&str],
        name: Option<&str>,
    ) -> Result<Vec<Value>, TenantError> {
        match self.list_once(endpoint, segments, name).await? {
            Ok(all) => Ok(all),
            Err(first) => {
                debug!(endpoint, %first, "inconsistent pages; listing once more");
                self.list_once(endpoint, segments, name)
                    .await?
                    .map_err(|again| {
                        TenantError::transport_message(format!(
                            "{endpoint} answered inconsistent pages twice, refused: {again}"
                        ))
                    })
            }
        }
    }

    /// One listing: its entities, or why its pages disagree.
    async fn list_once(
        &self,
        endpoint: &str,
        segments: &[&str],
        name: Option<&str>,
    ) -> Result<Result<Vec<Value>, String>, TenantError> {
        let size = self.inner.config.page_size;
        let mut out = Vec::new();
        let mut listing = crate::paging::Listing::default();
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
            let reply = self.call(Method::GET, endpoint, &url, None).await?;
            if !reply.status.is_success() {
                return Err(error(&reply, endpoint, "the list"));
            }
            let page: Page = json(&reply, endpoint)?;
            let next = listing.take(
                number,
                &page.entities,
                page.page_count,
                page.page_size,
                size,
            );
            out.extend(page.entities);
            match next {
                Ok(crate::paging::Next::More) => {}
                Ok(crate::paging::Next::Done) => return Ok(Ok(out)),
                Err(why) => return Ok(Err(why)),
            }
        }
        Err(TenantError::transport_message(format!(
            "{endpoint} went on for more than {MAX_PAGES} pages"
        )))
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

    /// Every listed item, all pages: queues (with their skill groups and routing rules read)
    /// and the ones that do not read; queues this run deleted are left out even while the
    /// API's cache still lists them.
    pub async fn listing(&self) -> Result<Vec<Listed>, TenantError> {
        let all: Vec<Listed> = self
            .list_all(LIST_QUEUES, &QUEUES, None)
            .await?
            .into_iter()
            .filter_map(|v| match v {
                Value::Object(o) => Some(crate::wire::to_listed(o)),
                _ => None,
            })
            .collect();
        let mut out = Vec::with_capacity(all.len());
        let mut readable = Vec::new();
        {
            let mut memory = self.memory();
            for item in all {
                match item {
                    Listed::Queue(q) => {
                        if let Some(id) = &q.id {
                            if memory.deleted_ids.contains(id) {
                                continue;
                            }
                            memory.queue_names.insert(id.clone(), q.name.clone());
                        }
                        readable.push(q);
                    }
                    unreadable => out.push(unreadable),
                }
            }
        }
        self.read_skill_groups(&mut readable).await?;
        out.splice(0..0, readable.into_iter().map(Listed::Queue));
        Ok(out)
    }

    /// Every queue that reads, all pages ([`Self::listing`]).
    pub async fn list_queues(&self) -> Result<Vec<Queue>, TenantError> {
        Ok(self
            .listing()
            .await?
            .into_iter()
            .filter_map(Listed::readable)
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
            let reply = self.call(method.clone(), endpoint, &url, body).await?;
            if reply.status == StatusCode::NOT_FOUND
                && self.created_here(id)
                && start.elapsed() < self.inner.config.create_settle
            {
                self.inner.core.recorder().retry(endpoint);
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
            return Err(error(&reply, GET_QUEUE, &format!("queue {id}")));
        }
        let mut q = match crate::wire::to_listed(object(&reply, GET_QUEUE)?) {
            Listed::Queue(q) => q,
            // Never the base of a full-replace write.
            Listed::Unreadable(u) => {
                return Err(TenantError::transport_message(format!(
                    "queue {id} cannot be read: {}",
                    u.problem
                )));
            }
        };
        self.read_skill_group(&mut q).await?;
        self.read_cgr(&mut q);
        Ok(q)
    }

    /// Writes queue `id` as `queue`, derived from `base` (as just read): its skill group
    /// first (made or changed), then the queue, then a released group of ours is deleted.
    pub async fn write_queue(
        &self,
        id: &str,
        base: &Queue,
        queue: &Queue,
    ) -> Result<Queue, TenantError> {
        let edit = self.prepare_group(Some(base), queue).await?;
        let mut q = queue.clone();
        edit.onto(&mut q);
        self.write_cgr(&mut q, base.settings.get(model::genesys::paths::CGR))?;
        let mut written = self.put_queue(id, &q).await?;
        if !edit.kept_by(&written.passthrough) {
            return Err(TenantError::transport_message(format!(
                "{UPDATE_QUEUE} of queue {id} answered without the skill group it was sent: the write is not confirmed"
            )));
        }
        self.delete_groups(edit.delete_after()).await?;
        self.read_skill_group(&mut written).await?;
        self.read_cgr(&mut written);
        let cgr = model::genesys::paths::CGR;
        if let Some(sent) = queue.settings.get(cgr)
            && written.settings.get(cgr) != Some(sent)
        {
            return Err(TenantError::transport_message(format!(
                "{UPDATE_QUEUE} of queue {id} answered without the conditional group routing it was sent: the write is not confirmed"
            )));
        }
        Ok(written)
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
            return Err(error(&reply, UPDATE_QUEUE, &format!("queue {id}")));
        }
        let answer = to_neutral(object(&reply, UPDATE_QUEUE)?);
        let unkept = crate::wire::unkept(queue, &answer);
        if !unkept.is_empty() {
            return Err(TenantError::transport_message(format!(
                "{UPDATE_QUEUE} of queue {id} answered {} without what was sent for {}: the write is not confirmed",
                reply.status.as_u16(),
                unkept.join(", ")
            )));
        }
        Ok(answer)
    }

    /// Creates `queue` (its declared fields), never twice: a queue this run created, or one
    /// the `name` filter finds (a lagging list, an earlier lost answer), is adopted instead and
    /// the declared fields are written onto it.
    pub async fn create_queue(&self, queue: &Queue) -> Result<Queue, TenantError> {
        let remembered = self.memory().created.get(&queue.name).cloned();
        if let Some(q) = remembered {
            return Ok(q);
        }
        let edit = self.prepare_group(None, queue).await?;
        let mut with_group = queue.clone();
        edit.onto(&mut with_group);
        self.write_cgr(&mut with_group, None)?;
        let mut body = to_wire(&with_group);
        body.remove("id");
        let url = self.url(&QUEUES);
        let call = Self::api_call(Method::POST, CREATE_QUEUE, &url, Some(&body))?;
        let mut budget = self.inner.core.budget();
        loop {
            if let Some(existing) = self.find_by_name(&queue.name).await? {
                self.inner.core.recorder().create_lookup();
                let id = existing.id.clone().unwrap_or_default();
                let fresh = self.get_queue(&id).await?;
                let declared = declared_onto(queue, fresh.clone());
                let written = self.write_queue(&id, &fresh, &declared).await?;
                self.remember_created(&written);
                return Ok(written);
            }
            match self
                .inner
                .core
                .execute(
                    &call,
                    &mut budget,
                    Auth::Token(&self.inner.tokens, &*self.inner),
                )
                .await?
            {
                Outcome::Reply(reply) if reply.is_success() => {
                    let mut created = to_neutral(object(&reply, CREATE_QUEUE)?);
                    self.read_skill_group(&mut created).await?;
                    self.read_cgr(&mut created);
                    self.remember_created(&created);
                    return Ok(created);
                }
                Outcome::Reply(reply) => {
                    return Err(error(
                        &reply,
                        CREATE_QUEUE,
                        &format!("queue {:?}", queue.name),
                    ));
                }
                Outcome::Lost(reason) => {
                    debug!(%reason, name = %queue.name, "create outcome unknown; looking the name up");
                }
            }
        }
    }

    fn remember_created(&self, q: &Queue) {
        let mut memory = self.memory();
        if let Some(id) = &q.id {
            memory.queue_names.insert(id.clone(), q.name.clone());
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
        let reply = self.call(Method::DELETE, DELETE_QUEUE, &url, None).await?;
        if !reply.status.is_success() && reply.status != StatusCode::NOT_FOUND {
            return Err(error(&reply, DELETE_QUEUE, &format!("queue {id}")));
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
            let reply = self.call(Method::GET, GET_QUEUE, &url, None).await?;
            if reply.status == StatusCode::NOT_FOUND {
                // The queue no longer references its group: release ours.
                if let Some(group) = self.owned_group(id) {
                    self.delete_groups(&[group]).await?;
                }
                return Ok(());
            }
            if !reply.status.is_success() {
                return Err(error(&reply, GET_QUEUE, &format!("queue {id}")));
            }
            let waited = start.elapsed();
            let settle = self.inner.config.delete_settle;
            if waited >= settle {
                return Err(TenantError::transport_message(format!(
                    "queue {id} was deleted but GET still returns it after {}s; run again later",
                    settle.as_secs()
                )));
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
        let reply = self.call(Method::POST, endpoint, &url, Some(body)).await?;
        if reply.status == StatusCode::FORBIDDEN {
            return Err(TenantError::Forbidden {
                reason: format!(
                    "{} (the OAuth client's role needs {permission})",
                    said(&reply)
                ),
            });
        }
        if !reply.status.is_success() {
            return Err(error(&reply, endpoint, "the query"));
        }
        json(&reply, endpoint)
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
    if declared.skill_requirements.is_some() {
        fresh
            .skill_requirements
            .clone_from(&declared.skill_requirements);
    }
    for (path, value) in &declared.settings {
        fresh.settings.insert(path.clone(), value.clone());
    }
    fresh
}
