//! The durable outbox: one JSON file per event.
//!
//! `<state-dir>/outbox/<seq>-<eventId>.json` holds a pending event, `<state-dir>/dead/` the
//! dead letters. `seq` (20 digits, so that names sort by it) grows across processes: it starts
//! above every name on disk and above the clock in microseconds. A new event is written to a
//! hidden temporary file and renamed into place, so that a killed process leaves it either
//! whole or absent; [`Outbox::persist`] also fsyncs it and the folder at once, while
//! [`Outbox::stage`] (the apply path) leaves that to [`Outbox::sync`], which the delivery task
//! calls before the first attempt. Later updates (attempts, last error) are renamed into place
//! without fsync: losing one only loses a count. A delivered event's file is removed.

use std::collections::HashSet;
use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{EventBody, EventName, HookId, WebhookError};
use crate::recorder::audit::now_rfc3339;

/// The pending folder's name inside the state directory.
pub const PENDING_DIR: &str = "outbox";
/// The dead-letter folder's name inside the state directory.
pub const DEAD_DIR: &str = "dead";

/// One event as stored: the exact body sent on every attempt, the webhook it is for, and how
/// its delivery went. Holds a reference to a configured webhook ([`HookId`]), never a URL,
/// a key or where a key comes from: an edited file can only name a webhook the configuration
/// already has.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StoredEvent {
    /// Orders the events of one queue and URL.
    pub seq: u64,
    pub event_id: Uuid,
    pub event: EventName,
    /// The queue's id (its name when it has none): events of one key and webhook go in order.
    pub queue_key: String,
    pub queue_name: String,
    /// The configured webhook it goes to (none in a file that names none: dead-lettered).
    #[serde(default)]
    pub hook: Option<HookId>,
    pub created_at: String,
    /// Attempts so far, of any outcome.
    #[serde(default)]
    pub attempts: u32,
    /// Attempts the receiver rejected (4xx other than 408/429).
    #[serde(default)]
    pub rejections: u32,
    #[serde(default)]
    pub last_error: Option<String>,
    #[serde(default)]
    pub last_attempt_at: Option<String>,
    #[serde(default)]
    pub next_attempt_at: Option<String>,
    #[serde(default)]
    pub dead_at: Option<String>,
    /// The JSON body, byte for byte as sent (so that its signature and id never change).
    pub body: String,
}

impl StoredEvent {
    /// A new event for the webhook `hook` (its `seq` is given by [`Outbox::persist`]).
    pub fn new(body: &EventBody, hook: HookId, queue_key: &str) -> Self {
        let json = serde_json::to_string(body).unwrap_or_default();
        Self::with_body(
            body.event_id,
            body.event,
            &body.queue_name,
            json,
            hook,
            queue_key,
        )
    }

    /// A new event of any kind, its body already serialized (`queue.optimization.proposed`
    /// has a body of its own).
    pub fn with_body(
        event_id: Uuid,
        event: EventName,
        queue_name: &str,
        body: String,
        hook: HookId,
        queue_key: &str,
    ) -> Self {
        Self {
            seq: 0,
            event_id,
            event,
            queue_key: queue_key.to_string(),
            queue_name: queue_name.to_string(),
            hook: Some(hook),
            created_at: now_rfc3339(),
            attempts: 0,
            rejections: 0,
            last_error: None,
            last_attempt_at: None,
            next_attempt_at: None,
            dead_at: None,
            body,
        }
    }

    /// The file name: `<seq>-<eventId>.json`.
    pub fn file_name(&self) -> String {
        format!("{:020}-{}.json", self.seq, self.event_id)
    }

    /// The summary shown by `webhooks list` and `/status`; `url` is the webhook's URL as
    /// [`super::shown_url`] shows it, when the reader knows the configuration.
    pub fn summary(&self, state: &str, url: Option<String>) -> EventSummary {
        EventSummary {
            state: state.to_string(),
            event_id: self.event_id,
            event: self.event,
            queue_name: self.queue_name.clone(),
            queue_key: self.queue_key.clone(),
            hook: self.hook.clone(),
            url,
            seq: self.seq,
            created_at: self.created_at.clone(),
            attempts: self.attempts,
            last_error: self.last_error.clone(),
            last_attempt_at: self.last_attempt_at.clone(),
            next_attempt_at: self.next_attempt_at.clone(),
            dead_at: self.dead_at.clone(),
        }
    }
}

/// A pending or dead-lettered event, without its body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EventSummary {
    /// `pending` or `dead`.
    pub state: String,
    pub event_id: Uuid,
    pub event: EventName,
    pub queue_name: String,
    pub queue_key: String,
    /// The configured webhook it goes to.
    pub hook: Option<HookId>,
    /// That webhook's URL without query or userinfo, when known (`/status`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    pub seq: u64,
    pub created_at: String,
    pub attempts: u32,
    pub last_error: Option<String>,
    pub last_attempt_at: Option<String>,
    pub next_attempt_at: Option<String>,
    pub dead_at: Option<String>,
}

/// Which dead letters `webhooks retry` re-queues.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Requeue {
    All,
    /// One event id (a unique prefix is enough).
    One(String),
}

/// The outbox of a state directory. Several processes may share one.
#[derive(Debug)]
pub struct Outbox {
    pending: PathBuf,
    dead: PathBuf,
    last_seq: Mutex<u64>,
}

fn io(what: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> WebhookError {
    let path = path.to_path_buf();
    move |source| WebhookError::Io { what, path, source }
}

/// Event files as found: each name, with the event or why it could not be read.
pub(crate) type Scanned = Vec<(String, Result<StoredEvent, String>)>;

fn seq_of(name: &str) -> Option<u64> {
    name.split('-').next()?.parse().ok()
}

/// The event files of `dir` but `skip`, sorted by name (so by seq), each parsed or with why
/// not.
fn scan(dir: &Path, skip: &HashSet<String>) -> Result<Scanned, WebhookError> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map_err(io("read", dir))?
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| !n.starts_with('.') && n.ends_with(".json") && !skip.contains(n))
        .collect();
    names.sort();
    Ok(names
        .into_iter()
        .filter_map(|name| {
            let text = match std::fs::read(dir.join(&name)) {
                Ok(t) => t,
                // Delivered (removed) since the listing.
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => return None,
                Err(e) => return Some((name, Err(e.to_string()))),
            };
            let parsed = serde_json::from_slice::<StoredEvent>(&text).map_err(|e| e.to_string());
            Some((name, parsed))
        })
        .collect())
}

/// Writes `bytes` to `dir/name` through a temporary file and a rename; with `durable`, fsyncs
/// the file before the rename (the caller fsyncs the folder).
fn write_atomic(dir: &Path, name: &str, bytes: &[u8], durable: bool) -> Result<(), WebhookError> {
    let tmp = dir.join(format!(".{name}.{}.tmp", Uuid::new_v4().simple()));
    let dest = dir.join(name);
    let result = (|| {
        let mut f = File::create(&tmp).map_err(io("create", &tmp))?;
        f.write_all(bytes).map_err(io("write", &tmp))?;
        if durable {
            f.sync_data().map_err(io("fsync", &tmp))?;
        }
        drop(f);
        std::fs::rename(&tmp, &dest).map_err(io("rename into place", &dest))
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

fn sync_dir(dir: &Path) -> Result<(), WebhookError> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(io("fsync the folder", dir))
}

fn encode(ev: &StoredEvent) -> Vec<u8> {
    serde_json::to_vec_pretty(ev).unwrap_or_default()
}

impl Outbox {
    /// Opens (creating) `<state_dir>/outbox` and `<state_dir>/dead`.
    pub fn open(state_dir: &Path) -> Result<Self, WebhookError> {
        let pending = state_dir.join(PENDING_DIR);
        let dead = state_dir.join(DEAD_DIR);
        for d in [&pending, &dead] {
            std::fs::create_dir_all(d).map_err(io("create the folder", d))?;
        }
        let mut last = 0;
        for d in [&pending, &dead] {
            for e in std::fs::read_dir(d).map_err(io("read", d))?.flatten() {
                if let Some(s) = e.file_name().to_str().and_then(seq_of) {
                    last = last.max(s);
                }
            }
        }
        Ok(Self {
            pending,
            dead,
            last_seq: Mutex::new(last),
        })
    }

    /// The delivery lock (`outbox/.lock`), when no other process holds it.
    pub fn lock_delivery(&self) -> Result<Option<File>, WebhookError> {
        let path = self.pending.join(".lock");
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(io("open", &path))?;
        match file.try_lock() {
            Ok(()) => Ok(Some(file)),
            Err(std::fs::TryLockError::WouldBlock) => Ok(None),
            Err(std::fs::TryLockError::Error(e)) => Err(io("lock", &path)(e)),
        }
    }

    /// The pending folder.
    pub fn pending_dir(&self) -> &Path {
        &self.pending
    }

    fn next_seqs(&self, n: usize) -> u64 {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| u64::try_from(d.as_micros()).unwrap_or(u64::MAX))
            .unwrap_or(0);
        let mut last = self.last_seq.lock().unwrap_or_else(|p| p.into_inner());
        let first = (*last + 1).max(now);
        *last = first + n as u64 - 1;
        first
    }

    /// Gives each event its seq and stores it durably (file and folder fsynced) before
    /// returning; returns each with its file name, in order.
    pub fn persist(
        &self,
        events: Vec<StoredEvent>,
    ) -> Result<Vec<(String, StoredEvent)>, WebhookError> {
        let saved = self.write_new(events, true)?;
        if !saved.is_empty() {
            sync_dir(&self.pending)?;
        }
        Ok(saved)
    }

    /// Like [`Outbox::persist`], without the fsyncs: the event files are whole and in place
    /// (a killed process loses none), and [`Outbox::sync`] makes them durable against a
    /// crash of the machine. The apply side stages; the delivery task syncs before the first
    /// attempt, off the apply path.
    pub fn stage(
        &self,
        events: Vec<StoredEvent>,
    ) -> Result<Vec<(String, StoredEvent)>, WebhookError> {
        self.write_new(events, false)
    }

    fn write_new(
        &self,
        events: Vec<StoredEvent>,
        durable: bool,
    ) -> Result<Vec<(String, StoredEvent)>, WebhookError> {
        if events.is_empty() {
            return Ok(Vec::new());
        }
        let first = self.next_seqs(events.len());
        let mut saved = Vec::with_capacity(events.len());
        for (i, mut ev) in events.into_iter().enumerate() {
            ev.seq = first + i as u64;
            let name = ev.file_name();
            write_atomic(&self.pending, &name, &encode(&ev), durable)?;
            saved.push((name, ev));
        }
        Ok(saved)
    }

    /// Fsyncs pending event files (gone ones are skipped) and then the folder.
    pub fn sync(&self, names: &[String]) -> Result<(), WebhookError> {
        for name in names {
            let path = self.pending.join(name);
            match File::open(&path) {
                Ok(f) => f.sync_data().map_err(io("fsync", &path))?,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(io("open", &path)(e)),
            }
        }
        sync_dir(&self.pending)
    }

    /// Rewrites a pending event's delivery state (not fsynced).
    pub fn update(&self, name: &str, ev: &StoredEvent) -> Result<(), WebhookError> {
        write_atomic(&self.pending, name, &encode(ev), false)
    }

    /// Removes a delivered event.
    pub fn remove(&self, name: &str) -> Result<(), WebhookError> {
        let path = self.pending.join(name);
        match std::fs::remove_file(&path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(io("remove", &path)(e)),
            _ => Ok(()),
        }
    }

    /// Moves a pending event to the dead letters, with its final state.
    pub fn bury(&self, name: &str, ev: &StoredEvent) -> Result<(), WebhookError> {
        write_atomic(&self.dead, name, &encode(ev), true)?;
        sync_dir(&self.dead)?;
        self.remove(name)
    }

    /// The pending events, in seq order (unreadable files are skipped, with a warning).
    pub fn pending(&self) -> Result<Vec<(String, StoredEvent)>, WebhookError> {
        Ok(Self::readable(scan(&self.pending, &HashSet::new())?))
    }

    /// The pending files but `known`, unreadable ones with the reason.
    pub(crate) fn scan_pending_except(
        &self,
        known: &HashSet<String>,
    ) -> Result<Scanned, WebhookError> {
        scan(&self.pending, known)
    }

    /// How many events are pending (files counted, not read).
    pub fn pending_count(&self) -> usize {
        std::fs::read_dir(&self.pending)
            .map(|d| {
                d.filter_map(|e| e.ok()?.file_name().into_string().ok())
                    .filter(|n| !n.starts_with('.') && n.ends_with(".json"))
                    .count()
            })
            .unwrap_or(0)
    }

    /// The dead letters, in seq order.
    pub fn dead(&self) -> Result<Vec<(String, StoredEvent)>, WebhookError> {
        Ok(Self::readable(scan(&self.dead, &HashSet::new())?))
    }

    fn readable(found: Scanned) -> Vec<(String, StoredEvent)> {
        found
            .into_iter()
            .filter_map(|(name, r)| match r {
                Ok(ev) => Some((name, ev)),
                Err(e) => {
                    tracing::warn!(file = %name, error = %e, "unreadable webhook outbox file skipped");
                    None
                }
            })
            .collect()
    }

    /// Pending and dead-lettered events, for `webhooks list`.
    pub fn list(&self) -> Result<(Vec<EventSummary>, Vec<EventSummary>), WebhookError> {
        let pending = self
            .pending()?
            .iter()
            .map(|(_, e)| e.summary("pending", None))
            .collect();
        let dead = self
            .dead()?
            .iter()
            .map(|(_, e)| e.summary("dead", None))
            .collect();
        Ok((pending, dead))
    }

    /// The dead letters, for `/status` (empty, with a warning, when the folder is unreadable).
    pub fn dead_letters(&self) -> Vec<EventSummary> {
        self.dead_letters_shown(|_| None)
    }

    /// [`Outbox::dead_letters`], each with its webhook's URL as `shown` finds it.
    pub fn dead_letters_shown(
        &self,
        shown: impl Fn(&HookId) -> Option<String>,
    ) -> Vec<EventSummary> {
        match self.dead() {
            Ok(d) => d
                .iter()
                .map(|(_, e)| e.summary("dead", e.hook.as_ref().and_then(&shown)))
                .collect(),
            Err(e) => {
                tracing::warn!(error = %e, "cannot read the webhook dead letters");
                Vec::new()
            }
        }
    }

    /// Moves dead letters back to the outbox (same event id, attempts reset, after every
    /// event pending now); returns them as re-queued.
    pub fn requeue(&self, which: &Requeue) -> Result<Vec<EventSummary>, WebhookError> {
        let dead = self.dead()?;
        let chosen: Vec<(String, StoredEvent)> = match which {
            Requeue::All => dead,
            Requeue::One(id) => {
                let id = id.trim().to_ascii_lowercase();
                let hits: Vec<_> = dead
                    .into_iter()
                    .filter(|(_, e)| !id.is_empty() && e.event_id.to_string().starts_with(&id))
                    .collect();
                if hits.len() != 1 {
                    return Err(WebhookError::NoSuchDeadLetter(id));
                }
                hits
            }
        };
        let already: HashSet<Uuid> = self
            .pending()?
            .into_iter()
            .map(|(_, e)| e.event_id)
            .collect();
        let mut out = Vec::new();
        for (name, mut ev) in chosen {
            if !already.contains(&ev.event_id) {
                ev.attempts = 0;
                ev.rejections = 0;
                ev.last_error = None;
                ev.last_attempt_at = None;
                ev.next_attempt_at = None;
                ev.dead_at = None;
                let saved = self.persist(vec![ev])?;
                out.extend(saved.iter().map(|(_, e)| e.summary("pending", None)));
            }
            let path = self.dead.join(&name);
            std::fs::remove_file(&path).map_err(io("remove", &path))?;
        }
        Ok(out)
    }
}
