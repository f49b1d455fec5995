//! The background delivery task of the outbox.
//!
//! One tokio task per process ([`Delivery::spawn`]). It loads the pending events of the state
//! directory (earlier processes' included), takes new ones from the apply side through a
//! [`Sender`], and looks at the folder again on [`Delivery::notify`] and every
//! [`DeliveryConfig::rescan_every`] (for events re-queued by `cxqueues webhooks retry`).
//!
//! - **Order.** Events of one queue and URL form a lane; only the oldest event of a lane is
//!   ever in flight, so a later event of a queue waits for every earlier one (dead letters
//!   excepted: they leave the lane). Lanes go in parallel, up to
//!   [`DeliveryConfig::concurrency`] requests.
//! - **Which receiver.** An event names its webhook by [`super::HookId`] only. The task
//!   resolves it against the webhooks configured now ([`Hooks`], set from `cxqueues.yaml` by
//!   the recorder and each run's observer), for the URL and the key alike; an event whose
//!   webhook is not configured (any more) is dead-lettered at once, with the reason, and is
//!   never sent anywhere or signed with anything.
//! - **A receiver that fails** (network error, timeout, 5xx, 408, 429, redirects): the whole
//!   webhook pauses with capped exponential backoff (`tenant::Backoff`) (`Retry-After` honoured), so a receiver that is
//!   down gets one round of attempts per pause, not one per event; its events wait on disk,
//!   for as long as it takes.
//! - **A receiver that rejects an event** (any other 4xx): the event is retried with backoff,
//!   and after [`DeliveryConfig::dead_after`] rejections moved to the dead letters.
//! - Delivery is at least once: an event is removed only after a 2xx, so a crash between the
//!   receiver's 2xx and the removal sends it again, with the same `X-Cxqueues-Event-Id`.

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, SystemTime};

use futures::StreamExt;
use futures::stream::FuturesUnordered;
use reqwest::header::HeaderName;
use reqwest::{Method, Url};
use tenant::Backoff;
use tenant::http::{
    Body, Call, CoreConfig, DEFAULT_CONNECT_TIMEOUT, HttpCore, HttpError, Redactor, Repeat,
    RetryPolicy,
};
use tokio::sync::{Notify, watch};
use tokio::task::JoinHandle;
use tokio::time::Instant;

use super::outbox::{Outbox, StoredEvent};
use super::{EVENT_ID_HEADER, HookId, HookTarget, SIGNATURE_HEADER, WebhookError, sign};
use crate::recorder::audit::{now_rfc3339, rfc3339};

/// How to deliver.
#[derive(Debug, Clone)]
pub struct DeliveryConfig {
    /// One request, connection included (default 5 s).
    pub timeout: Duration,
    /// The first pause after a failure; doubled after each (default 1 s).
    pub backoff_base: Duration,
    /// The longest pause (default 5 min).
    pub backoff_cap: Duration,
    /// Rejections (4xx other than 408/429) before an event is dead-lettered (default 3).
    pub dead_after: u32,
    /// Requests in flight at once, over all URLs (default 8).
    pub concurrency: usize,
    /// How often the outbox folder is read again for events other processes put there
    /// (default 30 s).
    pub rescan_every: Duration,
}

impl Default for DeliveryConfig {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(5),
            backoff_base: Duration::from_secs(1),
            backoff_cap: Duration::from_secs(300),
            dead_after: 3,
            concurrency: 8,
            rescan_every: Duration::from_secs(30),
        }
    }
}

impl DeliveryConfig {
    /// The pause after `failures` failures in a row (1 is the first): the one backoff policy.
    fn backoff(&self, failures: u32) -> Duration {
        Backoff::doubling(self.backoff_base, self.backoff_cap)
            .delay(failures.saturating_sub(1), 0.0)
    }
}

/// The webhooks configured now, by the id their events carry: what delivery resolves an
/// event's reference against (cheap to clone; clones share the set).
#[derive(Clone, Default)]
pub struct Hooks(Arc<std::sync::RwLock<HashMap<HookId, HookTarget>>>);

impl std::fmt::Debug for Hooks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Hooks")
    }
}

impl Hooks {
    /// A set holding `targets`.
    pub fn new(targets: &[HookTarget]) -> Self {
        let hooks = Self::default();
        hooks.configure(targets);
        hooks
    }

    /// Replaces the set with `targets` (the configuration of the latest repository).
    pub fn configure(&self, targets: &[HookTarget]) {
        let map = targets.iter().map(|t| (t.id(), t.clone())).collect();
        *self.0.write().unwrap_or_else(|p| p.into_inner()) = map;
    }

    /// The configured webhook `id` names, if any.
    pub fn resolve(&self, id: &HookId) -> Option<HookTarget> {
        self.0
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(id)
            .cloned()
    }

    /// The URL of webhook `id` as it may be shown.
    pub fn shown_url(&self, id: &HookId) -> Option<String> {
        self.resolve(id).map(|t| t.shown())
    }
}

/// What [`Delivery::drain`] left behind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DrainReport {
    /// Events delivered by this process.
    pub delivered: u64,
    /// Events dead-lettered by this process.
    pub dead_lettered: u64,
    /// Events still in the outbox (delivered by a later process).
    pub pending: usize,
}

#[derive(Debug, Clone, Copy, Default)]
struct WorkerStatus {
    /// Reads of the outbox folder done.
    rescans: u64,
    ingested: u64,
    pending: usize,
    /// Nothing in flight, and nothing that may be sent now (every head waits for a backoff).
    stalled: bool,
    delivered: u64,
    dead_lettered: u64,
}

/// State shared by the delivery task and the apply side.
struct Shared {
    inbox: std::sync::Mutex<Vec<(String, StoredEvent)>>,
    wake: Notify,
    rescan: AtomicBool,
    enqueued: AtomicU64,
    hooks: Hooks,
}

/// The apply side's way to hand persisted events to the delivery task (cheap to clone).
#[derive(Clone)]
pub struct Sender {
    shared: Arc<Shared>,
}

impl std::fmt::Debug for Sender {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Sender")
    }
}

impl Sender {
    /// Hands over events already persisted, and wakes the task.
    pub fn push(&self, saved: Vec<(String, StoredEvent)>) {
        if saved.is_empty() {
            return;
        }
        let n = saved.len() as u64;
        self.shared
            .inbox
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .extend(saved);
        self.shared.enqueued.fetch_add(n, Ordering::SeqCst);
        self.shared.wake.notify_one();
    }

    /// Sets the webhooks configured now: events are delivered to these only.
    pub fn configure(&self, targets: &[HookTarget]) {
        self.shared.hooks.configure(targets);
    }

    /// The webhooks configured now.
    pub fn hooks(&self) -> &Hooks {
        &self.shared.hooks
    }
}

/// The handle of the delivery task: [`Delivery::spawn`] it, [`Delivery::notify`] it,
/// [`Delivery::drain`] it before exit. Dropping it stops the task at once (as a crash would:
/// what is pending stays in the outbox).
pub struct Delivery {
    outbox: Arc<Outbox>,
    config: DeliveryConfig,
    client: Arc<HttpCore>,
    shared: Arc<Shared>,
    status_rx: watch::Receiver<WorkerStatus>,
    status_tx: Option<watch::Sender<WorkerStatus>>,
    stop: Arc<watch::Sender<bool>>,
    task: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for Delivery {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Delivery")
            .field("pending_dir", &self.outbox.pending_dir())
            .field("config", &self.config)
            .field("running", &self.task.is_some())
            .finish_non_exhaustive()
    }
}

impl Delivery {
    /// A handle over `outbox`; nothing runs until [`Delivery::spawn`]. Events go to the
    /// webhooks of `targets` (the configuration now; [`Sender::configure`] replaces it), with
    /// their keys, and nowhere else.
    pub fn new(
        outbox: Arc<Outbox>,
        config: DeliveryConfig,
        targets: &[HookTarget],
    ) -> Result<Self, WebhookError> {
        let client = Arc::new(webhook_core(&config)?);
        let (status_tx, status_rx) = watch::channel(WorkerStatus::default());
        let (stop, _) = watch::channel(false);
        Ok(Self {
            outbox,
            config,
            client,
            shared: Arc::new(Shared {
                inbox: std::sync::Mutex::new(Vec::new()),
                wake: Notify::new(),
                rescan: AtomicBool::new(true),
                enqueued: AtomicU64::new(0),
                hooks: Hooks::new(targets),
            }),
            status_rx,
            status_tx: Some(status_tx),
            stop: Arc::new(stop),
            task: None,
        })
    }

    /// For the apply side ([`super::WebhookObserver`]).
    pub fn sender(&self) -> Sender {
        Sender {
            shared: self.shared.clone(),
        }
    }

    /// Starts the task on the current tokio runtime (once; later calls do nothing).
    ///
    /// One process delivers a state directory's outbox at a time: the task holds a lock on
    /// `outbox/.lock`. When another process holds it (say `cxqueues apply` beside a running
    /// `cxqueues run`), this one only stages its events, and the other delivers them (on its
    /// next read of the folder); [`Delivery::is_delivering`] says which.
    pub fn spawn(&mut self) {
        if self.status_tx.is_none() {
            return;
        }
        let lock = match self.outbox.lock_delivery() {
            Ok(Some(lock)) => lock,
            Ok(None) => {
                tracing::info!(
                    dir = %self.outbox.pending_dir().display(),
                    "another process delivers this webhook outbox; events are left for it"
                );
                return;
            }
            Err(e) => {
                tracing::error!(error = %e, "cannot lock the webhook outbox; events are left in it");
                return;
            }
        };
        let Some(status) = self.status_tx.take() else {
            return;
        };
        let worker = Worker {
            _lock: lock,
            outbox: self.outbox.clone(),
            config: self.config.clone(),
            client: self.client.clone(),
            shared: self.shared.clone(),
            status,
            stop: self.stop.subscribe(),
            lanes: BTreeMap::new(),
            known: HashSet::new(),
            urls: HashMap::new(),
            in_flight: HashSet::new(),
            rescans: 0,
            ingested: 0,
            delivered: 0,
            dead_lettered: 0,
        };
        self.task = Some(tokio::spawn(worker.run()));
    }

    /// Whether this process's task delivers the outbox (it was spawned and holds the lock).
    pub fn is_delivering(&self) -> bool {
        self.task.is_some()
    }

    /// Wakes the task and has it read the outbox folder again (new or re-queued events).
    pub fn notify(&self) {
        self.shared.rescan.store(true, Ordering::SeqCst);
        self.shared.wake.notify_one();
    }

    /// The dead letters, for `/status`.
    pub fn dead_letters(&self) -> Vec<super::EventSummary> {
        let hooks = self.shared.hooks.clone();
        self.outbox.dead_letters_shown(|id| hooks.shown_url(id))
    }

    /// Waits until every event handed over so far (and every event in the folder) is
    /// delivered or dead-lettered, or until `timeout`; then stops the task. What is left stays
    /// in the outbox.
    pub async fn drain(self, timeout: Duration) -> DrainReport {
        self.stop_when(timeout, false).await
    }

    /// Like [`Delivery::drain`], but returns as soon as nothing can be sent right now: every
    /// event left waits for its receiver's backoff. For a process about to exit (`apply`,
    /// `run` on shutdown): each receiver got its attempt, and one that is down does not hold
    /// the exit until `timeout`.
    pub async fn settle(self, timeout: Duration) -> DrainReport {
        self.stop_when(timeout, true).await
    }

    async fn stop_when(mut self, timeout: Duration, stalled_is_enough: bool) -> DrainReport {
        let Some(task) = self.task.take() else {
            return DrainReport {
                pending: self.outbox.pending().map(|p| p.len()).unwrap_or(0),
                ..DrainReport::default()
            };
        };
        // Everything handed over so far, and everything on disk now (earlier processes'
        // events, re-queued dead letters): wait for a read of the folder that began after
        // this point.
        let target = self.shared.enqueued.load(Ordering::SeqCst);
        let rescans = self.status_rx.borrow().rescans;
        self.notify();
        let mut rx = self.status_rx.clone();
        let _ = tokio::time::timeout(
            timeout,
            rx.wait_for(|s| {
                s.rescans > rescans
                    && s.ingested >= target
                    && (s.pending == 0 || (stalled_is_enough && s.stalled))
            }),
        )
        .await;
        let _ = self.stop.send(true);
        let _ = task.await;
        let last = *self.status_rx.borrow();
        DrainReport {
            delivered: last.delivered,
            dead_lettered: last.dead_lettered,
            pending: self.outbox.pending().map(|p| p.len()).unwrap_or(0),
        }
    }
}

impl Drop for Delivery {
    fn drop(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

/// The webhook's id and the queue's key.
type LaneKey = (HookId, String);

/// One attempt in flight.
type Request = std::pin::Pin<Box<dyn std::future::Future<Output = Attempt> + Send>>;

struct Item {
    name: String,
    ev: StoredEvent,
    not_before: Option<Instant>,
}

#[derive(Default)]
struct UrlState {
    failures: u32,
    paused_until: Option<Instant>,
}

enum Attempt {
    Delivered,
    /// Try again later (the URL pauses).
    Failed {
        error: String,
        retry_after: Option<Duration>,
    },
    /// The receiver rejected this event.
    Rejected {
        error: String,
    },
}

struct Worker {
    /// Held while the task runs: one delivering process per outbox.
    _lock: std::fs::File,
    outbox: Arc<Outbox>,
    config: DeliveryConfig,
    client: Arc<HttpCore>,
    shared: Arc<Shared>,
    status: watch::Sender<WorkerStatus>,
    stop: watch::Receiver<bool>,
    lanes: BTreeMap<LaneKey, VecDeque<Item>>,
    known: HashSet<String>,
    /// Per webhook.
    urls: HashMap<HookId, UrlState>,
    in_flight: HashSet<LaneKey>,
    rescans: u64,
    ingested: u64,
    delivered: u64,
    dead_lettered: u64,
}

impl Worker {
    async fn run(mut self) {
        let mut requests = FuturesUnordered::new();
        let mut next_rescan = Instant::now();
        loop {
            if *self.stop.borrow() {
                break;
            }
            let now = Instant::now();
            if self.shared.rescan.swap(false, Ordering::SeqCst) || now >= next_rescan {
                self.rescan().await;
                next_rescan = now + self.config.rescan_every;
            }
            self.ingest().await;
            let now = Instant::now();
            for (key, item_name, fut) in self.dispatch(now, requests.len()) {
                requests.push(async move { (key, item_name, fut.await) });
            }
            self.publish();
            let deadline = self.next_deadline(next_rescan);
            tokio::select! {
                Some((key, name, outcome)) = requests.next(), if !requests.is_empty() => {
                    self.complete(key, &name, outcome);
                }
                () = self.shared.wake.notified() => {}
                () = tokio::time::sleep_until(deadline) => {}
                _ = self.stop.changed() => {}
            }
        }
    }

    fn publish(&self) {
        let pending = self.lanes.values().map(VecDeque::len).sum();
        let now = Instant::now();
        let stalled = self.in_flight.is_empty()
            && !self.lanes.iter().any(|(k, lane)| self.may_go(k, lane, now));
        self.status.send_replace(WorkerStatus {
            rescans: self.rescans,
            ingested: self.ingested,
            pending,
            stalled,
            delivered: self.delivered,
            dead_lettered: self.dead_lettered,
        });
    }

    /// Adds events found or handed over, once each, after making their files durable.
    async fn admit(&mut self, found: Vec<(String, StoredEvent)>) {
        let new: Vec<(String, StoredEvent)> = found
            .into_iter()
            .filter(|(name, _)| !self.known.contains(name))
            .collect();
        if new.is_empty() {
            return;
        }
        let names: Vec<String> = new.iter().map(|(n, _)| n.clone()).collect();
        let outbox = self.outbox.clone();
        let synced = tokio::task::spawn_blocking(move || outbox.sync(&names)).await;
        if let Ok(Err(e)) = synced {
            // Still whole on disk (a killed process loses nothing); only a machine crash could.
            tracing::error!(error = %e, "webhook events not fsynced");
        }
        for (name, ev) in new {
            self.insert(name, ev);
        }
    }

    fn insert(&mut self, name: String, ev: StoredEvent) {
        if !self.known.insert(name.clone()) {
            return;
        }
        // A file naming no webhook gets a lane of its own, whose head is dead-lettered.
        let hook = ev.hook.clone().unwrap_or_else(|| HookId(String::new()));
        let lane = self.lanes.entry((hook, ev.queue_key.clone())).or_default();
        let item = Item {
            name,
            ev,
            not_before: None,
        };
        // Keep the lane in seq order; the head may be in flight, so never insert before it.
        let pos = lane
            .iter()
            .skip(1)
            .position(|i| i.ev.seq > item.ev.seq)
            .map_or(lane.len(), |p| p + 1);
        lane.insert(pos, item);
    }

    async fn ingest(&mut self) {
        let new: Vec<_> =
            std::mem::take(&mut *self.shared.inbox.lock().unwrap_or_else(|p| p.into_inner()));
        let n = new.len() as u64;
        self.admit(new).await;
        self.ingested += n;
    }

    async fn rescan(&mut self) {
        self.rescans += 1;
        let found = match self.outbox.scan_pending_except(&self.known) {
            Ok(f) => f,
            Err(e) => {
                tracing::warn!(error = %e, "cannot read the webhook outbox");
                return;
            }
        };
        let mut readable = Vec::new();
        for (name, parsed) in found {
            match parsed {
                Ok(ev) => readable.push((name, ev)),
                Err(e) => {
                    tracing::warn!(file = %name, error = %e, "unreadable webhook outbox file skipped");
                    self.known.insert(name);
                }
            }
        }
        self.admit(readable).await;
    }

    fn url_ready(&self, url: &HookId, now: Instant) -> bool {
        self.urls
            .get(url)
            .and_then(|u| u.paused_until)
            .is_none_or(|t| t <= now)
    }

    /// Whether the head of `lane` may be sent at `now`.
    fn may_go(&self, key: &LaneKey, lane: &VecDeque<Item>, now: Instant) -> bool {
        !self.in_flight.contains(key)
            && self.url_ready(&key.0, now)
            && lane
                .front()
                .is_some_and(|h| h.not_before.is_none_or(|t| t <= now))
    }

    /// Starts the heads of the lanes that may go now, oldest first.
    fn dispatch(&mut self, now: Instant, busy: usize) -> Vec<(LaneKey, String, Request)> {
        let free = self.config.concurrency.max(1).saturating_sub(busy);
        if free == 0 {
            return Vec::new();
        }
        let mut ready: Vec<(u64, LaneKey)> = self
            .lanes
            .iter()
            .filter(|(k, lane)| self.may_go(k, lane, now))
            .filter_map(|(k, lane)| Some((lane.front()?.ev.seq, k.clone())))
            .collect();
        ready.sort();
        ready.truncate(free);
        let mut out = Vec::new();
        for (_, key) in ready {
            let Some(head) = self.lanes.get(&key).and_then(VecDeque::front) else {
                continue;
            };
            let Some(target) = self.shared.hooks.resolve(&key.0) else {
                let why = if key.0.0.is_empty() {
                    "the event names no webhook".to_string()
                } else {
                    format!(
                        "webhook {} is not configured in cxqueues.yaml (any more): the event was not sent",
                        key.0
                    )
                };
                let name = head.name.clone();
                self.bury_unresolved(&key, &name, why);
                continue;
            };
            let fut = send(
                self.client.clone(),
                target,
                head.ev.body.clone(),
                head.ev.event_id.to_string(),
            );
            let name = head.name.clone();
            self.in_flight.insert(key.clone());
            out.push((key, name, Box::pin(fut) as _));
        }
        out
    }

    fn next_deadline(&self, next_rescan: Instant) -> Instant {
        let mut deadline = next_rescan;
        for (key, lane) in &self.lanes {
            if self.in_flight.contains(key) {
                continue;
            }
            let Some(head) = lane.front() else { continue };
            let url = self.urls.get(&key.0).and_then(|u| u.paused_until);
            let at = match (head.not_before, url) {
                (Some(a), Some(b)) => Some(a.max(b)),
                (a, b) => a.or(b),
            };
            if let Some(at) = at {
                deadline = deadline.min(at);
            }
        }
        deadline
    }

    /// Dead-letters the head of `key`, whose webhook does not resolve, without an attempt.
    fn bury_unresolved(&mut self, key: &LaneKey, name: &str, why: String) {
        let Some(lane) = self.lanes.get_mut(key) else {
            return;
        };
        let Some(head) = lane.front_mut().filter(|h| h.name == name) else {
            return;
        };
        tracing::warn!(hook = %key.0, event_id = %head.ev.event_id, reason = %why, "webhook event dead-lettered");
        head.ev.next_attempt_at = None;
        head.ev.dead_at = Some(now_rfc3339());
        head.ev.last_error = Some(why);
        if let Err(e) = self.outbox.bury(name, &head.ev) {
            tracing::error!(error = %e, "webhook event not moved to the dead letters");
        }
        lane.pop_front();
        self.known.remove(name);
        self.dead_lettered += 1;
        if lane.is_empty() {
            self.lanes.remove(key);
        }
    }

    fn shown(&self, id: &HookId) -> String {
        self.shared
            .hooks
            .shown_url(id)
            .unwrap_or_else(|| format!("webhook {id}"))
    }

    fn complete(&mut self, key: LaneKey, name: &str, outcome: Attempt) {
        self.in_flight.remove(&key);
        let now = Instant::now();
        let shown = self.shown(&key.0);
        let Some(lane) = self.lanes.get_mut(&key) else {
            return;
        };
        let Some(head) = lane.front_mut().filter(|h| h.name == name) else {
            return;
        };
        head.ev.attempts += 1;
        head.ev.last_attempt_at = Some(now_rfc3339());
        let url = self.urls.entry(key.0.clone()).or_default();
        match outcome {
            Attempt::Delivered => {
                url.failures = 0;
                url.paused_until = None;
                if let Err(e) = self.outbox.remove(name) {
                    tracing::warn!(error = %e, "delivered webhook event not removed from the outbox");
                }
                lane.pop_front();
                self.known.remove(name);
                self.delivered += 1;
            }
            Attempt::Failed { error, retry_after } => {
                // Count one failure per pause, however many requests were in flight.
                if url.paused_until.is_none_or(|t| t <= now) {
                    url.failures += 1;
                    let pause = self
                        .config
                        .backoff(url.failures)
                        .max(retry_after.unwrap_or_default())
                        .min(self.config.backoff_cap);
                    url.paused_until = Some(now + pause);
                }
                let until = url.paused_until.unwrap_or(now);
                tracing::warn!(url = %shown, event_id = %head.ev.event_id, error = %error, "webhook delivery failed; will retry");
                head.ev.last_error = Some(error);
                head.ev.next_attempt_at = Some(wall_at(until, now));
                if let Err(e) = self.outbox.update(name, &head.ev) {
                    tracing::warn!(error = %e, "webhook event state not saved");
                }
            }
            Attempt::Rejected { error } => {
                url.failures = 0;
                url.paused_until = None;
                head.ev.rejections += 1;
                head.ev.last_error = Some(error);
                if head.ev.rejections >= self.config.dead_after {
                    head.ev.next_attempt_at = None;
                    head.ev.dead_at = Some(now_rfc3339());
                    tracing::warn!(url = %shown, event_id = %head.ev.event_id, "webhook event dead-lettered");
                    if let Err(e) = self.outbox.bury(name, &head.ev) {
                        tracing::error!(error = %e, "webhook event not moved to the dead letters");
                    }
                    lane.pop_front();
                    self.known.remove(name);
                    self.dead_lettered += 1;
                } else {
                    let at = now + self.config.backoff(head.ev.rejections);
                    head.not_before = Some(at);
                    head.ev.next_attempt_at = Some(wall_at(at, now));
                    if let Err(e) = self.outbox.update(name, &head.ev) {
                        tracing::warn!(error = %e, "webhook event state not saved");
                    }
                }
            }
        }
        if lane.is_empty() {
            self.lanes.remove(&key);
        }
    }
}

fn wall_at(at: Instant, now: Instant) -> String {
    rfc3339(SystemTime::now() + at.saturating_duration_since(now))
}

/// The most bytes of a receiver's answer read: only its start is ever shown.
const MAX_ANSWER_BYTES: u64 = 64 * 1024;
/// The most bytes of a receiver's answer kept in an event's last error.
const MAX_SHOWN_ANSWER_BYTES: usize = 200;

/// The HTTP core of delivery: one try per attempt (the outbox retries, across restarts), no
/// redirects, the timeout, bodies read within [`MAX_ANSWER_BYTES`].
fn webhook_core(config: &DeliveryConfig) -> Result<HttpCore, WebhookError> {
    HttpCore::new(
        CoreConfig {
            name: "webhooks",
            user_agent: concat!("cxqueues-webhooks/", env!("CARGO_PKG_VERSION")).into(),
            request_timeout: config.timeout,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            requests_per_second: 1000.0,
            burst: 1000,
            retry: RetryPolicy::new(1, Backoff::doubling(Duration::ZERO, Duration::ZERO)),
            max_response_bytes: MAX_ANSWER_BYTES,
            rate_limit: None,
        },
        Redactor::default(),
    )
    .map_err(|e| WebhookError::Client(e.to_string()))
}

/// One attempt: the POST to the configured webhook `target`, signed with its key, classified.
async fn send(
    client: Arc<HttpCore>,
    target: HookTarget,
    body: String,
    event_id: String,
) -> Attempt {
    let signature = format!("sha256={}", sign(&target.key, body.as_bytes()));
    let Ok(url) = Url::parse(&target.url) else {
        return Attempt::Rejected {
            error: "the webhook URL is not a URL".into(),
        };
    };
    let mut call = Call::new(Method::POST, "POST webhook", url);
    call.repeat = Repeat::Never;
    call.body = Body::Json(body.into_bytes());
    let header = |name: &str| {
        HeaderName::from_bytes(name.as_bytes())
            .map_err(|_| HttpError::Config(format!("{name} is not a header name")))
    };
    let call = match header(SIGNATURE_HEADER)
        .and_then(|name| call.header(name, &signature))
        .and_then(|c| Ok((c, header(EVENT_ID_HEADER)?)))
        .and_then(|(c, name)| c.header(name, &event_id))
    {
        Ok(call) => call,
        Err(e) => {
            return Attempt::Rejected {
                error: e.to_string(),
            };
        }
    };
    let reply = match client.send_plain(&call).await {
        Ok(reply) => reply,
        Err(HttpError::TooLarge { .. }) => {
            return Attempt::Failed {
                error: format!("the receiver's answer is larger than {MAX_ANSWER_BYTES} bytes"),
                retry_after: None,
            };
        }
        Err(e) => {
            return Attempt::Failed {
                error: e.to_string(),
                retry_after: None,
            };
        }
    };
    let status = reply.status;
    if status.is_success() {
        return Attempt::Delivered;
    }
    let retry_after = reply.retry_after();
    let mut redactor = reply.redactor().clone();
    redactor.add(&target.key);
    let snippet = redactor.show_within(
        &String::from_utf8_lossy(&reply.body),
        MAX_SHOWN_ANSWER_BYTES,
    );
    let error = if snippet.is_empty() {
        format!("HTTP {status}")
    } else {
        format!("HTTP {status}: {snippet}")
    };
    let code = status.as_u16();
    if status.is_client_error() && code != 408 && code != 429 {
        Attempt::Rejected { error }
    } else {
        Attempt::Failed { error, retry_after }
    }
}
