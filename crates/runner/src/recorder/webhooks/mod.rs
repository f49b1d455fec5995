//! WFM webhooks: one signed event per configured URL for each queue that apply created,
//! updated or deleted, delivered at least once through a durable outbox (issue 6).
//!
//! - [`targets`] checks the `webhooks` of `cxqueues.yaml`: `https://` (plain `http://` only
//!   for loopback hosts), no credentials in the URL, and the `secretEnv` variable set (the
//!   error names the variable, never a value).
//! - [`WebhookObserver`] is the apply side: for each applied queue it writes the events into
//!   the [`Outbox`] (whole files renamed into place before `on_outcome` returns, so a killed
//!   process loses none) and wakes the [`Delivery`] task, which fsyncs them (files and folder)
//!   before their first attempt. It never sends, waits on the network or on fsync, or fails
//!   the apply.
//! - [`Delivery`] is the background task that sends them: `POST` with
//!   `X-Cxqueues-Signature: sha256=<hex HMAC-SHA256 of the body>` and `X-Cxqueues-Event-Id`,
//!   5 s timeout, no redirects; in order per queue and URL; capped exponential backoff per URL
//!   while it fails; dead letters for events a receiver keeps rejecting (4xx other than 408
//!   and 429).
//! - An event names its receiver by [`HookId`] only (derived from the configured URL and
//!   `secretEnv`), never by URL or key source: delivery resolves the id against the webhooks
//!   configured now, and dead-letters an event whose webhook is no longer configured.
//! - A URL is shown (errors, logs, `/status`, `webhooks list`) only through [`shown_url`]:
//!   without its query, fragment and userinfo, which may carry a token.
//! - The outbox lives in `<state-dir>/outbox/` (pending) and `<state-dir>/dead/` (dead
//!   letters), one JSON file per event; `cxqueues webhooks list|retry` read and move them.
//!   One process at a time delivers it (a lock on `outbox/.lock`); another only stages.

// A library surface for `apply`, `run`, `/status` and the tests: the binary does not use
// every item of it.

mod delivery;
mod outbox;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use reconcile::{Action, ApplyObserver, QueueOutcome, QueueResult};
use reqwest::Url;
use serde::{Deserialize, Serialize};
use tenant::{Queue, Secret, ServiceLevelTarget, SkillRequirement};
use uuid::Uuid;

use crate::recorder::audit::{RunContext, now_rfc3339};

pub use delivery::{Delivery, DeliveryConfig, DrainReport, Hooks, Sender};
pub use outbox::{EventSummary, Outbox, Requeue, StoredEvent};

/// Header with the body's HMAC-SHA256: `sha256=<hex>`.
pub const SIGNATURE_HEADER: &str = "X-Cxqueues-Signature";
/// Header with the event id (the same on every retry).
pub const EVENT_ID_HEADER: &str = "X-Cxqueues-Event-Id";

/// What can go wrong with webhooks outside delivery itself (delivery errors are recorded
/// on the event and retried).
#[derive(Debug, thiserror::Error)]
pub enum WebhookError {
    /// `url` as [`shown_url`] shows it.
    #[error("webhook {url:?} in cxqueues.yaml: {reason}")]
    BadUrl { url: String, reason: String },
    #[error(
        "webhook {url:?} in cxqueues.yaml: the environment variable {var} (its secretEnv, the HMAC key) is not set or is empty"
    )]
    MissingSecret {
        /// As [`shown_url`] shows it.
        url: String,
        var: String,
    },
    #[error("cannot {what} {}: {source}", path.display())]
    Io {
        what: &'static str,
        path: std::path::PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("no dead-lettered webhook event {0} (see `cxqueues webhooks list`)")]
    NoSuchDeadLetter(String),
    #[error("cannot build the webhook HTTP client: {0}")]
    Client(String),
}

/// Reads an environment variable (the process environment, or a map in tests).
#[derive(Clone)]
pub struct EnvLookup(Arc<EnvFn>);

type EnvFn = dyn Fn(&str) -> Option<String> + Send + Sync;

impl EnvLookup {
    /// A lookup backed by a function.
    pub fn new(f: impl Fn(&str) -> Option<String> + Send + Sync + 'static) -> Self {
        Self(Arc::new(f))
    }

    /// The value of `name`, when set and not blank.
    pub fn get(&self, name: &str) -> Option<String> {
        (self.0)(name).filter(|v| !v.trim().is_empty())
    }
}

impl std::fmt::Debug for EnvLookup {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("EnvLookup")
    }
}

/// The process environment.
pub fn process_env() -> EnvLookup {
    EnvLookup::new(|name| std::env::var(name).ok())
}

/// A URL as it may be shown: without userinfo, query and fragment (a removed query or
/// fragment is marked `?…`), so that a token in it never reaches a log, an error, `/status`
/// or `webhooks list`. Works on any text, a URL or not.
pub fn shown_url(raw: &str) -> String {
    let cut = raw.find(['?', '#']);
    let mut head = &raw[..cut.unwrap_or(raw.len())];
    let mut out = String::new();
    if let Some(i) = head.find("://") {
        out.push_str(&head[..i + 3]);
        head = &head[i + 3..];
    }
    let authority_end = head.find('/').unwrap_or(head.len());
    if let Some(at) = head[..authority_end].rfind('@') {
        head = &head[at + 1..];
    }
    out.push_str(head);
    if cut.is_some() {
        out.push_str("?…");
    }
    out
}

/// The reference an event carries to its webhook: 16 hex digits of the sha256 of the
/// configured URL and `secretEnv`. Stable while the configuration says the same.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct HookId(pub String);

impl HookId {
    /// The id of the webhook configured with `url` and `secret_env`.
    pub fn of(url: &str, secret_env: &str) -> Self {
        let digest = crate::recorder::audit::sha256_hex(format!("{url}\n{secret_env}").as_bytes());
        Self(digest[..16].to_string())
    }
}

impl std::fmt::Display for HookId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// One configured receiver, checked, with its key. `Debug` shows neither the key nor the
/// URL's query.
#[derive(Clone)]
pub struct HookTarget {
    pub url: String,
    pub secret_env: String,
    pub key: Secret,
}

impl HookTarget {
    /// The reference its events carry.
    pub fn id(&self) -> HookId {
        HookId::of(&self.url, &self.secret_env)
    }

    /// Its URL as it may be shown ([`shown_url`]).
    pub fn shown(&self) -> String {
        shown_url(&self.url)
    }
}

impl std::fmt::Debug for HookTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HookTarget")
            .field("id", &self.id())
            .field("url", &self.shown())
            .field("secret_env", &self.secret_env)
            .field("key", &self.key)
            .finish()
    }
}

/// A webhook URL, checked by the one endpoint rule (`tenant::endpoint`) as a whole address:
/// `https://`, or `http://` to 127.0.0.0/8, ::1 or localhost; no user or password; a query is
/// kept (and never shown). The error shows the URL as [`shown_url`] does.
pub fn check_url(raw: &str) -> Result<Url, WebhookError> {
    tenant::endpoint::check(raw, tenant::endpoint::Use::Whole).map_err(|refusal| {
        let reason = match refusal {
            tenant::endpoint::Refusal::Credentials => {
                "credentials in the URL would be stored and logged: put the key in the secretEnv variable".to_string()
            }
            other => other.reason(),
        };
        WebhookError::BadUrl {
            url: shown_url(raw),
            reason,
        }
    })
}

/// The repository's webhooks, checked, with their keys from `env`.
pub fn targets(repo: &model::Repository, env: &EnvLookup) -> Result<Vec<HookTarget>, WebhookError> {
    repo.tenant
        .spec
        .webhooks
        .iter()
        .map(|w| {
            check_url(&w.url)?;
            let key = env
                .get(&w.secret_env)
                .filter(|_| !w.secret_env.is_empty())
                .ok_or_else(|| WebhookError::MissingSecret {
                    url: shown_url(&w.url),
                    var: w.secret_env.clone(),
                })?;
            Ok(HookTarget {
                url: w.url.clone(),
                secret_env: w.secret_env.clone(),
                key: Secret::new(key),
            })
        })
        .collect()
}

/// The body of an event, as sent (and as a receiver parses it).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EventBody {
    pub event_id: Uuid,
    /// `queue.created`, `queue.updated` or `queue.deleted`.
    pub event: EventName,
    pub queue_id: Option<String>,
    pub queue_name: String,
    /// RFC 3339, when the change was applied.
    pub timestamp: String,
    pub commit_id: Option<String>,
    /// The queue as written; `null` for `queue.deleted`.
    pub configuration: Option<Configuration>,
    pub metrics: Metrics,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Configuration {
    pub version: Option<u64>,
    pub max_wait_time: Option<u32>,
    pub max_waiters: Option<u32>,
    pub service_level_target: Option<ServiceLevelTarget>,
    pub overflow_enabled: bool,
    pub skill_requirements: Vec<SkillRequirement>,
}

impl Configuration {
    fn of(q: &Queue) -> Self {
        Self {
            version: q.version,
            max_wait_time: q.max_wait_time,
            max_waiters: q.max_waiters,
            service_level_target: q.service_level_target,
            overflow_enabled: q.overflow.as_ref().is_some_and(|o| o.enabled),
            skill_requirements: q.skill_requirements.clone().unwrap_or_default(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Metrics {
    pub update_latency_ms: u64,
    /// Applied / attempted (applied + failed) so far in this run.
    pub success_rate: f64,
}

/// The webhook part of the runner's `/status`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WebhookStatus {
    /// Events waiting in the outbox.
    pub pending: usize,
    /// Events the receivers rejected, until `cxqueues webhooks retry`.
    pub dead: Vec<EventSummary>,
}

/// The name of a webhook event, as sent in its `event` field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum EventName {
    #[serde(rename = "queue.created")]
    QueueCreated,
    #[serde(rename = "queue.updated")]
    QueueUpdated,
    #[serde(rename = "queue.deleted")]
    QueueDeleted,
    #[serde(rename = "queue.optimization.proposed")]
    OptimizationProposed,
}

impl EventName {
    /// The event of an applied action.
    pub fn of(action: Action) -> Self {
        match action {
            Action::Create => Self::QueueCreated,
            Action::Update => Self::QueueUpdated,
            Action::Delete => Self::QueueDeleted,
        }
    }

    /// The name as sent.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::QueueCreated => "queue.created",
            Self::QueueUpdated => "queue.updated",
            Self::QueueDeleted => "queue.deleted",
            Self::OptimizationProposed => "queue.optimization.proposed",
        }
    }
}

impl std::fmt::Display for EventName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl PartialEq<&str> for EventName {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

/// Hex HMAC-SHA256 of `body` under `key`.
pub fn sign(key: &Secret, body: &[u8]) -> String {
    use hmac::Mac;
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(key.expose().as_bytes())
        .expect("HMAC takes a key of any length");
    mac.update(body);
    hex::encode(mac.finalize().into_bytes())
}

/// Enqueues one event per target for each applied queue; never blocks on the network.
#[derive(Debug)]
pub struct WebhookObserver {
    outbox: Arc<Outbox>,
    sender: Sender,
    targets: Vec<HookTarget>,
    context: RunContext,
    attempted: AtomicU64,
    applied: AtomicU64,
    unsaved: AtomicU64,
}

impl WebhookObserver {
    /// An observer for one run (its success rate counts from zero).
    pub fn new(
        outbox: Arc<Outbox>,
        sender: Sender,
        targets: Vec<HookTarget>,
        context: RunContext,
    ) -> Self {
        sender.configure(&targets);
        Self {
            outbox,
            sender,
            targets,
            context,
            attempted: AtomicU64::new(0),
            applied: AtomicU64::new(0),
            unsaved: AtomicU64::new(0),
        }
    }

    fn events_of(&self, o: &QueueOutcome, success_rate: f64) -> Vec<StoredEvent> {
        let timestamp = now_rfc3339();
        let queue_key = o.id.clone().unwrap_or_else(|| o.name.clone());
        let configuration = match o.action {
            Action::Delete => None,
            _ => o.written().map(Configuration::of),
        };
        self.targets
            .iter()
            .map(|t| {
                let body = EventBody {
                    event_id: Uuid::now_v7(),
                    event: EventName::of(o.action),
                    queue_id: o.id.clone(),
                    queue_name: o.name.clone(),
                    timestamp: timestamp.clone(),
                    commit_id: self.context.commit_id.clone(),
                    configuration: configuration.clone(),
                    metrics: Metrics {
                        update_latency_ms: u64::try_from(o.latency.as_millis()).unwrap_or(u64::MAX),
                        success_rate,
                    },
                };
                StoredEvent::new(&body, t.id(), &queue_key)
            })
            .collect()
    }
}

impl ApplyObserver for WebhookObserver {
    fn on_outcome(&self, o: &QueueOutcome) {
        match o.result {
            QueueResult::Skipped { .. } => return,
            QueueResult::Failed(_) => {
                self.attempted.fetch_add(1, Ordering::SeqCst);
                return;
            }
            QueueResult::Applied { .. } => {}
        }
        let attempted = self.attempted.fetch_add(1, Ordering::SeqCst) + 1;
        let applied = self.applied.fetch_add(1, Ordering::SeqCst) + 1;
        let rate = applied as f64 / attempted as f64;
        let events = self.events_of(o, rate);
        // Whole files in place now; the delivery task fsyncs them before the first attempt.
        match self.outbox.stage(events) {
            Ok(saved) => self.sender.push(saved),
            Err(e) => {
                self.unsaved
                    .fetch_add(self.targets.len() as u64, Ordering::SeqCst);
                tracing::error!(queue = %o.name, error = %e, "webhook events not saved to the outbox");
            }
        }
    }
}
