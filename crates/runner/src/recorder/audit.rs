//! The audit log: one hash-chained JSON Lines record per queue write attempt and one per
//! reconcile run (issue 6).
//!
//! - [`AuditLog`] appends records to a file (`<state-dir>/audit.jsonl` unless `--audit-log`
//!   says otherwise). Every record is written, flushed and `fsync`ed before
//!   [`AuditLog::append`] returns, so that [`AuditObserver`] holds the apply's next write to
//!   the tenant until the record of the last one is on disk.
//! - Each record carries `prevHash` (the previous record's `hash`, or 64 zeros for the first)
//!   and `hash` = sha256 hex of `prevHash` followed by the canonical JSON (keys sorted, no
//!   whitespace) of the record without `hash`. [`verify`] walks the chain and names the first
//!   line that was edited, removed, inserted or reordered. (Cutting records off the *end* of
//!   the file leaves a valid, shorter chain: compare the count and last hash that `verify`
//!   reports with an earlier run to see that.)
//! - Appends take an advisory lock on the file and re-read its last hash when another process
//!   appended in between, so that two processes sharing a state directory keep one chain.
//! - **Intents.** Before each queue's first write request, [`AuditObserver::on_start`] appends
//!   a `QUEUE_INTENT` record (queue, intended action, changed fields, the hash of the declared
//!   configuration), fsynced like every record; the queue's record after the write names it
//!   by `intentId`. A process killed in between leaves an intent with no outcome: the next
//!   [`crate::recorder::Recorder`] to open the log appends an `INTENT_UNRESOLVED` record for
//!   it, a run that has read the tenant appends `INTENT_RESOLVED` with what the tenant holds,
//!   and [`verify`] reports every intent that neither an outcome nor a resolution answers.
//! - Records hold queue configuration, versions, commit ids and error messages: never a client
//!   secret, token or webhook key (nothing here ever receives one).
//!
//! [`StateArgs`] and [`Recorder`] are the wiring for `apply` and `run`: the state directory,
//! the audit log and the webhook outbox/delivery behind one handle.

// A library surface for `apply`, `run`, `/status` and the tests: the binary does not use
// every item of it.

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use reconcile::{
    Action, ApplyObserver, ApplyReport, Change, FieldChange, Observed, QueueOutcome, Status,
};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};
use tenant::Queue;
use uuid::Uuid;

/// The `prevHash` of the first record.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The audit log's file name inside the state directory.
pub const AUDIT_FILE: &str = "audit.jsonl";

/// Where a run came from, copied into every record of the run.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RunContext {
    /// The commit reconciled (none outside git).
    pub commit_id: Option<String>,
    /// Its author, as `Name <email>` or whatever the caller has.
    pub commit_author: Option<String>,
    /// What started the run: `cli` (apply), `commit`, `resync`, `manual` (trigger endpoint)…
    pub trigger: String,
    /// The leader Lease the run writes under (`run --leader-elect`).
    pub lease: Option<LeaseTerm>,
}

/// The leader Lease a write went out under: its holder and term (`leaseTransitions`). Two
/// intents of one queue under different holders in the same term would show a double write.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LeaseTerm {
    pub holder: String,
    pub term: i32,
}

impl RunContext {
    /// A context with only a trigger.
    pub fn new(trigger: impl Into<String>) -> Self {
        Self {
            commit_id: None,
            commit_author: None,
            trigger: trigger.into(),
            lease: None,
        }
    }
}

/// Counts of one reconcile run, in its `RECONCILE` record.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RunSummary {
    pub created: usize,
    pub updated: usize,
    pub deleted: usize,
    pub failed: usize,
    pub skipped: usize,
    pub conflicts_retried: u32,
}

impl RunSummary {
    /// The counts of an apply report.
    pub fn of(report: &ApplyReport) -> Self {
        let count = |s: Status| report.outcomes.iter().filter(|o| o.status() == s).count();
        Self {
            created: report.created(),
            updated: report.updated(),
            deleted: report.deleted(),
            failed: count(Status::Failed),
            skipped: count(Status::Skipped),
            conflicts_retried: report.conflicts_retried(),
        }
    }
}

/// How a record's subject ended (`status` in the JSON).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AuditStatus {
    /// A queue write or a run that did what it set out to.
    Success,
    /// A queue write that met version conflicts, re-read and succeeded.
    ConflictRetried,
    /// A queue write the tenant refused, or a run that could not apply at all.
    Failed,
    /// A queue write never sent (it waited on a queue that was not applied).
    Skipped,
    /// A run in which some queues were not reconciled.
    Partial,
    /// A write intent (`QUEUE_INTENT`), before its first request.
    Pending,
    /// An intent with no outcome when the log was opened again (`INTENT_UNRESOLVED`).
    Unresolved,
    /// The tenant holds the queue of an unresolved intent (`INTENT_RESOLVED`).
    Present,
    /// The tenant does not hold it.
    Absent,
    /// An optimization proposal (`OPTIMIZE_PROPOSAL`) shown, not committed.
    Proposed,
    /// An optimization proposal committed to the repository.
    Committed,
    /// A write let through a change window by break glass (`WINDOW_OVERRIDDEN`).
    Overridden,
    /// Drift found and written back (`DRIFT_DETECTED`).
    Corrected,
    /// Drift found and only reported: drift mode `warn` (`DRIFT_DETECTED`).
    Warn,
    /// Drift found whose correction a change window holds back (`DRIFT_DETECTED`).
    Held,
}

/// What a record is about (`action` in the JSON).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum AuditAction {
    QueueCreate,
    QueueUpdate,
    QueueDelete,
    /// One reconcile run.
    Reconcile,
    /// An optimization proposal (no tenant write).
    OptimizeProposal,
    /// A queue write about to be sent (its outcome follows, naming it by `intentId`).
    QueueIntent,
    /// An intent found with no outcome when the log was opened again (a killed process).
    IntentUnresolved,
    /// What the tenant held for an unresolved intent, read by a later run.
    IntentResolved,
    /// A write let through a change window by break glass (`reason` says why).
    WindowOverridden,
    /// A queue found drifted from the repository (new drift only, in the loop).
    DriftDetected,
}

impl AuditAction {
    /// The action of a queue write.
    pub fn of(action: Action) -> Self {
        match action {
            Action::Create => Self::QueueCreate,
            Action::Update => Self::QueueUpdate,
            Action::Delete => Self::QueueDelete,
        }
    }

    /// The name as written in the log.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::QueueCreate => "QUEUE_CREATE",
            Self::QueueUpdate => "QUEUE_UPDATE",
            Self::QueueDelete => "QUEUE_DELETE",
            Self::Reconcile => "RECONCILE",
            Self::OptimizeProposal => "OPTIMIZE_PROPOSAL",
            Self::QueueIntent => "QUEUE_INTENT",
            Self::IntentUnresolved => "INTENT_UNRESOLVED",
            Self::IntentResolved => "INTENT_RESOLVED",
            Self::WindowOverridden => "WINDOW_OVERRIDDEN",
            Self::DriftDetected => "DRIFT_DETECTED",
        }
    }
}

impl std::fmt::Display for AuditAction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One line of the audit log. Fields named as in issue 6; `error` (failed and skipped
/// records) and `summary` (`RECONCILE` records) are added only when they apply.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditRecord {
    /// UUID v7 (time-ordered).
    pub audit_id: Uuid,
    /// RFC 3339, UTC, milliseconds.
    pub timestamp: String,
    pub action: AuditAction,
    pub queue_id: Option<String>,
    pub queue_name: Option<String>,
    pub version_before: Option<u64>,
    pub version_after: Option<u64>,
    pub status: AuditStatus,
    pub latency_ms: u64,
    pub commit_id: Option<String>,
    pub commit_author: Option<String>,
    pub trigger: String,
    pub changed_fields: Vec<FieldChange>,
    /// sha256 hex of the canonical JSON of the queue as written (none without a write).
    pub configuration_hash: Option<String>,
    pub skill_requirements_valid: Option<bool>,
    pub sla_configured: Option<bool>,
    pub overflow_defined: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<RunSummary>,
    /// `QUEUE_INTENT` records: the queue write intended.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub intended: Option<AuditAction>,
    /// A queue write's record, `INTENT_UNRESOLVED` and `INTENT_RESOLVED`: the `auditId` of the
    /// intent they answer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub intent_id: Option<Uuid>,
    /// `WINDOW_OVERRIDDEN`: the change window broken.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub window: Option<String>,
    /// `WINDOW_OVERRIDDEN`: the break-glass reason; `DRIFT_DETECTED`: who changed the tenant.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// `OPTIMIZE_PROPOSAL` records: per queue, the inputs used and the prediction.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proposal: Option<serde_json::Value>,
    /// With `run --leader-elect`: the Lease holder the run wrote as, and its term.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lease_holder: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lease_term: Option<i32>,
    pub prev_hash: String,
    /// Filled in by [`AuditLog::append`].
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub hash: String,
}

impl AuditRecord {
    /// The record of one queue's write attempt (hashes filled in on append).
    pub fn of_outcome(ctx: &RunContext, o: &QueueOutcome) -> Self {
        let status = match o.status() {
            Status::Applied if o.conflicts > 0 => AuditStatus::ConflictRetried,
            Status::Applied => AuditStatus::Success,
            Status::Failed => AuditStatus::Failed,
            Status::Skipped => AuditStatus::Skipped,
        };
        let written = o.written();
        Self {
            queue_id: o.id.clone(),
            queue_name: Some(o.name.clone()),
            version_before: o.version_before,
            version_after: o.version_after(),
            latency_ms: millis(o.latency),
            changed_fields: o.fields.clone(),
            configuration_hash: written.map(configuration_hash),
            skill_requirements_valid: written.map(skill_requirements_valid),
            sla_configured: written.map(|q| q.service_level_target.is_some()),
            overflow_defined: written.map(|q| q.overflow.is_some()),
            error: o.reason(),
            ..Self::bare(ctx, AuditAction::of(o.action), status)
        }
    }

    /// A record of `action` with no queue and nothing written: the base of the others.
    pub fn bare(ctx: &RunContext, action: AuditAction, status: AuditStatus) -> Self {
        Self {
            audit_id: Uuid::now_v7(),
            timestamp: String::new(),
            action,
            queue_id: None,
            queue_name: None,
            version_before: None,
            version_after: None,
            status,
            latency_ms: 0,
            commit_id: ctx.commit_id.clone(),
            commit_author: ctx.commit_author.clone(),
            trigger: ctx.trigger.clone(),
            changed_fields: Vec::new(),
            configuration_hash: None,
            skill_requirements_valid: None,
            sla_configured: None,
            overflow_defined: None,
            error: None,
            summary: None,
            intended: None,
            intent_id: None,
            window: None,
            reason: None,
            proposal: None,
            lease_holder: ctx.lease.as_ref().map(|l| l.holder.clone()),
            lease_term: ctx.lease.as_ref().map(|l| l.term),
            prev_hash: String::new(),
            hash: String::new(),
        }
    }

    /// The intent of one queue write, before its first request: status `pending`,
    /// `configurationHash` the sha256 of the canonical JSON of the declared configuration.
    pub fn of_intent(ctx: &RunContext, c: &Change) -> Self {
        let desired = serde_json::to_value(&c.desired).unwrap_or(Value::Null);
        Self {
            queue_id: c.id().map(str::to_string),
            queue_name: Some(c.name.clone()),
            version_before: c.version(),
            changed_fields: c.fields.clone(),
            configuration_hash: Some(sha256_hex(canonical_json(&desired).as_bytes())),
            intended: Some(AuditAction::of(c.action())),
            ..Self::bare(ctx, AuditAction::QueueIntent, AuditStatus::Pending)
        }
    }

    /// The record of one reconcile run: `error` when it could not apply at all.
    pub fn of_run(
        ctx: &RunContext,
        report: Option<&ApplyReport>,
        wall: Duration,
        error: Option<&str>,
    ) -> Self {
        let summary = report.map(RunSummary::of);
        let status = match (&summary, error) {
            (_, Some(_)) => AuditStatus::Failed,
            (Some(s), None) if s.failed + s.skipped > 0 => AuditStatus::Partial,
            _ => AuditStatus::Success,
        };
        Self {
            latency_ms: millis(report.map_or(wall, |r| r.wall)),
            error: error.map(str::to_string),
            summary: Some(summary.unwrap_or_default()),
            ..Self::bare(ctx, AuditAction::Reconcile, status)
        }
    }
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// sha256 hex of the canonical JSON of a queue.
pub fn configuration_hash(q: &Queue) -> String {
    let v = serde_json::to_value(q).unwrap_or(Value::Null);
    sha256_hex(canonical_json(&v).as_bytes())
}

/// Skill requirements present, each with a known proficiency (the port holds only known
/// ones), no skill twice.
fn skill_requirements_valid(q: &Queue) -> bool {
    let mut seen = std::collections::HashSet::new();
    q.skill_requirements.as_deref().is_some_and(|reqs| {
        !reqs.is_empty()
            && reqs
                .iter()
                .all(|r| !r.skill.is_empty() && seen.insert(&r.skill))
    })
}

/// Lowercase hex sha256.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// JSON with every object's keys sorted and no whitespace.
pub fn canonical_json(v: &Value) -> String {
    let mut out = String::new();
    write_canonical(v, &mut out);
    out
}

fn write_canonical(v: &Value, out: &mut String) {
    match v {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.push('{');
            for (i, k) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(k.clone()).to_string());
                out.push(':');
                write_canonical(&map[k.as_str()], out);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(item, out);
            }
            out.push(']');
        }
        other => out.push_str(&other.to_string()),
    }
}

/// The hash of a record given as JSON: sha256 of `prevHash` + canonical JSON without `hash`.
fn chain_hash(record: &Value) -> Option<String> {
    let mut obj = record.as_object()?.clone();
    obj.remove("hash");
    let prev = obj.get("prevHash")?.as_str()?.to_string();
    let body = canonical_json(&Value::Object(obj));
    let mut h = Sha256::new();
    h.update(prev.as_bytes());
    h.update(body.as_bytes());
    Some(hex::encode(h.finalize()))
}

/// RFC 3339 in UTC with milliseconds, e.g. `2026-04-14T09:30:00.123Z`.
pub fn rfc3339(t: SystemTime) -> String {
    model::time::rfc3339_millis(t)
}

/// The current time, RFC 3339.
pub fn now_rfc3339() -> String {
    rfc3339(SystemTime::now())
}

/// Why the audit log cannot be opened or written.
#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    #[error("cannot {what} the audit log {}: {source}", path.display())]
    Io {
        what: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "the audit log {} ends with a record that cannot be continued ({reason}); run `cxqueues audit verify {}`, and move the file aside to start a new chain",
        path.display(), path.display()
    )]
    Corrupt { path: PathBuf, reason: String },
    #[error("{count} audit record(s) could not be written to {} (first: {first})", path.display())]
    Unwritten {
        path: PathBuf,
        count: u64,
        first: String,
    },
}

struct LogFile {
    file: File,
    /// The hash of the last record, the next record's `prevHash`.
    last_hash: String,
    /// The file's length after our last append (or when the tail was last read).
    len: u64,
    /// The file ends without a newline (a complete record was written without one).
    needs_newline: bool,
}

/// An append-only, hash-chained JSON Lines audit log. One per process and file; shareable
/// between tasks (`Arc`), appends are serialised by a mutex and an advisory file lock.
pub struct AuditLog {
    path: PathBuf,
    inner: Mutex<LogFile>,
    /// Records that could not be written (I/O errors), and the first error.
    failures: AtomicU64,
    first_failure: Mutex<Option<String>>,
    /// The intents recorded by this process whose outcome is not written yet, by queue name.
    intents: Mutex<HashMap<String, Uuid>>,
    /// [`AuditLog::mark_unresolved`] found intents with no outcome, for
    /// [`AuditLog::resolve_intents`] to resolve (so that a run reads the whole log only then).
    unresolved_found: std::sync::atomic::AtomicBool,
}

impl std::fmt::Debug for AuditLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuditLog")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

/// The `hash` of the last line of `file` (of length `len`), and whether it lacks a final
/// newline. `None` for an empty file.
fn read_tail(file: &mut File, len: u64) -> Result<Option<(String, bool)>, String> {
    if len == 0 {
        return Ok(None);
    }
    let mut chunk = 4096u64;
    loop {
        let start = len.saturating_sub(chunk);
        file.seek(SeekFrom::Start(start))
            .map_err(|e| e.to_string())?;
        let mut buf = Vec::with_capacity(usize::try_from(len - start).unwrap_or(0));
        file.take(len - start)
            .read_to_end(&mut buf)
            .map_err(|e| e.to_string())?;
        let needs_newline = buf.last() != Some(&b'\n');
        let body = if needs_newline {
            &buf[..]
        } else {
            &buf[..buf.len() - 1]
        };
        match body.iter().rposition(|&b| b == b'\n') {
            Some(i) => return last_hash_of(&body[i + 1..], needs_newline),
            None if start == 0 => return last_hash_of(body, needs_newline),
            None => chunk = chunk.saturating_mul(4),
        }
    }
}

fn last_hash_of(line: &[u8], needs_newline: bool) -> Result<Option<(String, bool)>, String> {
    let v: Value = serde_json::from_slice(line)
        .map_err(|e| format!("its last line is not a complete JSON record: {e}"))?;
    let hash = v
        .get("hash")
        .and_then(Value::as_str)
        .filter(|h| h.len() == 64)
        .ok_or("its last line has no hash")?;
    if chain_hash(&v).as_deref() != Some(hash) {
        return Err("its last line does not match its own hash".into());
    }
    Ok(Some((hash.to_string(), needs_newline)))
}

impl AuditLog {
    /// Opens (or creates, with its parent folders) the log at `path` and continues its chain
    /// from the last record.
    pub fn open(path: impl Into<PathBuf>) -> Result<Self, AuditError> {
        let path = path.into();
        let io = |what: &'static str, path: &Path| {
            let path = path.to_path_buf();
            move |source| AuditError::Io { what, path, source }
        };
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(io("create the folder of", &path))?;
        }
        let mut file = OpenOptions::new()
            .read(true)
            .append(true)
            .create(true)
            .open(&path)
            .map_err(io("open", &path))?;
        file.lock().map_err(io("lock", &path))?;
        let len = file.metadata().map_err(io("read", &path))?.len();
        let tail = read_tail(&mut file, len);
        let _ = file.unlock();
        let tail = tail.map_err(|reason| AuditError::Corrupt {
            path: path.clone(),
            reason,
        })?;
        let (last_hash, needs_newline) = tail.unwrap_or_else(|| (GENESIS_HASH.to_string(), false));
        Ok(Self {
            path,
            inner: Mutex::new(LogFile {
                file,
                last_hash,
                len,
                needs_newline,
            }),
            failures: AtomicU64::new(0),
            first_failure: Mutex::new(None),
            intents: Mutex::new(HashMap::new()),
            unresolved_found: std::sync::atomic::AtomicBool::new(false),
        })
    }

    /// Chains, writes and fsyncs one record; returns it as written (with its hashes).
    pub fn append(&self, mut record: AuditRecord) -> Result<AuditRecord, AuditError> {
        let io = |what: &'static str| {
            let path = self.path.clone();
            move |source| AuditError::Io { what, path, source }
        };
        let mut inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        let lf = &mut *inner;
        lf.file.lock().map_err(io("lock"))?;
        let result = (|| {
            let len = lf.file.metadata().map_err(io("read"))?.len();
            if len != lf.len {
                // Another process appended: continue after its last record.
                let tail = read_tail(&mut lf.file, len).map_err(|reason| AuditError::Corrupt {
                    path: self.path.clone(),
                    reason,
                })?;
                let (h, nl) = tail.unwrap_or_else(|| (GENESIS_HASH.to_string(), false));
                lf.last_hash = h;
                lf.needs_newline = nl;
            }
            record.timestamp = now_rfc3339();
            record.prev_hash = lf.last_hash.clone();
            record.hash = String::new();
            let value = serde_json::to_value(&record).map_err(|e| AuditError::Io {
                what: "encode a record for",
                path: self.path.clone(),
                source: std::io::Error::other(e),
            })?;
            record.hash = chain_hash(&value).unwrap_or_default();
            let mut line = String::new();
            if lf.needs_newline {
                line.push('\n');
            }
            line.push_str(&serde_json::to_string(&record).unwrap_or_default());
            line.push('\n');
            let written = lf
                .file
                .write_all(line.as_bytes())
                .map_err(io("write"))
                .and_then(|()| lf.file.flush().map_err(io("write")))
                .and_then(|()| lf.file.sync_data().map_err(io("fsync")));
            if let Err(e) = written {
                // A record cut short (a full disk, a file size limit) is taken back, so
                // that the log stays whole lines; the next append starts where this one did.
                let _ = lf.file.set_len(len);
                let _ = lf.file.sync_data();
                return Err(e);
            }
            lf.len = len + line.len() as u64;
            lf.needs_newline = false;
            lf.last_hash = record.hash.clone();
            Ok(record)
        })();
        let _ = lf.file.unlock();
        result
    }

    /// Counts a record that could not be written (see [`AuditLog::check_written`]) and logs
    /// it: an observer cannot fail the apply that calls it.
    fn count_failure(&self, e: AuditError) {
        self.failures.fetch_add(1, Ordering::SeqCst);
        tracing::error!(error = %e, "audit record not written");
        let mut first = self.first_failure.lock().unwrap_or_else(|p| p.into_inner());
        first.get_or_insert_with(|| e.to_string());
    }

    /// Writes the intent of a queue write (before its first request); its outcome's record,
    /// through [`AuditLog::record_outcome`] or the observer, will name it.
    pub fn record_intent(&self, ctx: &RunContext, c: &Change) -> Result<AuditRecord, AuditError> {
        let written = self.append(AuditRecord::of_intent(ctx, c))?;
        self.intents
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(c.name.clone(), written.audit_id);
        Ok(written)
    }

    /// Every intent of the log that no outcome or resolution answers (unreadable lines are
    /// skipped: [`verify`] names them).
    pub fn unanswered_intents(&self) -> Result<Vec<OpenIntent>, VerifyError> {
        let mut intents = Intents::default();
        let file = File::open(&self.path).map_err(|source| VerifyError::Io {
            path: self.path.clone(),
            source,
        })?;
        for (i, line) in BufReader::new(file).split(b'\n').enumerate() {
            let line = line.map_err(|source| VerifyError::Io {
                path: self.path.clone(),
                source,
            })?;
            if let Ok(v) = serde_json::from_slice::<Value>(&line) {
                intents.see(i + 1, &v);
            }
        }
        Ok(intents.open())
    }

    /// On start: appends an `INTENT_UNRESOLVED` record for each intent with no outcome that
    /// has none yet (a process killed between a write's intent and its outcome), and returns
    /// every unanswered intent.
    pub fn mark_unresolved(&self, ctx: &RunContext) -> Result<Vec<OpenIntent>, AuditError> {
        let open = self.unanswered_intents().map_err(|e| AuditError::Corrupt {
            path: self.path.clone(),
            reason: e.to_string(),
        })?;
        if !open.is_empty() {
            self.unresolved_found.store(true, Ordering::SeqCst);
        }
        for i in open.iter().filter(|i| !i.marked) {
            tracing::warn!(queue = %i.queue_name, intent = %i.intent_id, action = %i.intended,
                "the audit log holds a write intent with no outcome (a process stopped mid-write); the tenant may hold that change");
            self.append(AuditRecord {
                queue_id: i.queue_id.clone(),
                queue_name: Some(i.queue_name.clone()),
                intended: Some(i.intended),
                intent_id: Some(i.intent_id),
                error: Some(format!(
                    "no outcome was recorded for the {} of queue {:?} (audit line {}): the process stopped between the intent and the outcome, so the tenant may or may not hold the change",
                    i.intended, i.queue_name, i.line
                )),
                ..AuditRecord::bare(ctx, AuditAction::IntentUnresolved, AuditStatus::Unresolved)
            })?;
        }
        Ok(open)
    }

    /// With the tenant read (`observed`): appends an `INTENT_RESOLVED` record for each
    /// unanswered intent, with what the tenant holds for its queue (`present`, its version and
    /// the hash of its configuration, or `absent`). Returns how many it resolved. Reads the
    /// log only when [`AuditLog::mark_unresolved`] found any (on start).
    pub fn resolve_intents(
        &self,
        ctx: &RunContext,
        observed: &Observed,
    ) -> Result<usize, AuditError> {
        if !self.unresolved_found.swap(false, Ordering::SeqCst) {
            return Ok(0);
        }
        let open = self.unanswered_intents().map_err(|e| AuditError::Corrupt {
            path: self.path.clone(),
            reason: e.to_string(),
        })?;
        let mine: Vec<Uuid> = self
            .intents
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .values()
            .copied()
            .collect();
        let mut n = 0;
        for i in open.iter().filter(|i| !mine.contains(&i.intent_id)) {
            let held = observed.queues.iter().find(|q| match (&i.queue_id, &q.id) {
                (Some(want), Some(id)) => want.eq_ignore_ascii_case(id),
                _ => q.name == i.queue_name,
            });
            let status = if held.is_some() {
                AuditStatus::Present
            } else {
                AuditStatus::Absent
            };
            self.append(AuditRecord {
                queue_id: held
                    .and_then(|q| q.id.clone())
                    .or_else(|| i.queue_id.clone()),
                queue_name: Some(i.queue_name.clone()),
                version_after: held.and_then(|q| q.version),
                configuration_hash: held.map(configuration_hash),
                intended: Some(i.intended),
                intent_id: Some(i.intent_id),
                ..AuditRecord::bare(ctx, AuditAction::IntentResolved, status)
            })?;
            n += 1;
        }
        Ok(n)
    }

    /// Writes the record of one queue's write attempt.
    pub fn record_outcome(
        &self,
        ctx: &RunContext,
        outcome: &QueueOutcome,
    ) -> Result<AuditRecord, AuditError> {
        let mut record = AuditRecord::of_outcome(ctx, outcome);
        record.intent_id = self
            .intents
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&outcome.name);
        self.append(record)
    }

    /// Writes the `RECONCILE` record of a run that applied `report`.
    pub fn record_run(
        &self,
        ctx: &RunContext,
        report: &ApplyReport,
    ) -> Result<AuditRecord, AuditError> {
        self.append(AuditRecord::of_run(ctx, Some(report), report.wall, None))
    }

    /// `Err` when an observer's record could not be written since the last check (which
    /// resets the count).
    pub fn check_written(&self) -> Result<(), AuditError> {
        let count = self.failures.swap(0, Ordering::SeqCst);
        if count == 0 {
            return Ok(());
        }
        let first = self
            .first_failure
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take()
            .unwrap_or_default();
        Err(AuditError::Unwritten {
            path: self.path.clone(),
            count,
            first,
        })
    }
}

/// Writes one audit record per queue outcome, before apply sends its next write.
#[derive(Debug, Clone)]
pub struct AuditObserver {
    pub log: Arc<AuditLog>,
    pub context: RunContext,
}

impl ApplyObserver for AuditObserver {
    /// The intent, fsynced before the queue's first write request is sent.
    fn on_start(&self, change: &Change) {
        if let Err(e) = self.log.record_intent(&self.context, change) {
            self.log.count_failure(e);
        }
    }

    /// A write whose intent is not in the log (the disk is full, …) is not sent.
    fn may_send(&self, change: &Change) -> Result<(), String> {
        let recorded = self
            .log
            .intents
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .contains_key(&change.name);
        if recorded {
            Ok(())
        } else {
            Err(format!(
                "its write intent could not be recorded in the audit log {}",
                self.log.path.display()
            ))
        }
    }

    fn on_outcome(&self, outcome: &QueueOutcome) {
        if let Err(e) = self.log.record_outcome(&self.context, outcome) {
            self.log.count_failure(e);
        }
    }
}

/// An intent that no outcome or resolution answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenIntent {
    /// Its line in the log.
    pub line: usize,
    pub intent_id: Uuid,
    pub queue_name: String,
    pub queue_id: Option<String>,
    pub intended: AuditAction,
    /// A later start found it and wrote `INTENT_UNRESOLVED`.
    pub marked: bool,
}

/// Pairs intents with what answers them, record by record.
#[derive(Default)]
struct Intents(Vec<OpenIntent>);

impl Intents {
    fn see(&mut self, line: usize, v: &Value) {
        let Ok(r) = serde_json::from_value::<AuditRecord>(v.clone()) else {
            return;
        };
        match (r.action, r.intent_id) {
            (AuditAction::QueueIntent, _) => self.0.push(OpenIntent {
                line,
                intent_id: r.audit_id,
                queue_name: r.queue_name.unwrap_or_default(),
                queue_id: r.queue_id,
                intended: r.intended.unwrap_or(AuditAction::QueueUpdate),
                marked: false,
            }),
            (AuditAction::IntentUnresolved, Some(id)) => {
                for i in self.0.iter_mut().filter(|i| i.intent_id == id) {
                    i.marked = true;
                }
            }
            (_, Some(id)) => self.0.retain(|i| i.intent_id != id),
            (_, None) => {}
        }
    }

    fn open(self) -> Vec<OpenIntent> {
        self.0
    }
}

/// What [`verify`] found in an intact log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyReport {
    pub records: usize,
    /// The last record's hash (none for an empty log).
    pub last_hash: Option<String>,
    /// Write intents that no outcome or resolution answers: the tenant may hold a change
    /// the log does not record.
    pub unresolved: Vec<OpenIntent>,
}

/// Why [`verify`] failed.
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    #[error("cannot read the audit log {}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("broken at line {line}: {reason}")]
    Broken { line: usize, reason: String },
}

/// Walks the chain of the log at `path`; the first line that does not follow is an error.
pub fn verify(path: &Path) -> Result<VerifyReport, VerifyError> {
    let io = |source| VerifyError::Io {
        path: path.to_path_buf(),
        source,
    };
    let file = File::open(path).map_err(io)?;
    let mut prev = GENESIS_HASH.to_string();
    let mut records = 0;
    let mut intents = Intents::default();
    for (i, line) in BufReader::new(file).split(b'\n').enumerate() {
        let line = line.map_err(io)?;
        let n = i + 1;
        let broken = |reason: &str| VerifyError::Broken {
            line: n,
            reason: reason.to_string(),
        };
        if line.iter().all(u8::is_ascii_whitespace) {
            return Err(broken("an empty line inside the log"));
        }
        let v: Value = serde_json::from_slice(&line)
            .map_err(|e| broken(&format!("not a JSON record ({e})")))?;
        let (Some(claimed), Some(prev_hash)) = (
            v.get("hash").and_then(Value::as_str),
            v.get("prevHash").and_then(Value::as_str),
        ) else {
            return Err(broken("the record has no hash or prevHash"));
        };
        if chain_hash(&v).as_deref() != Some(claimed) {
            return Err(broken(
                "the record does not match its hash: it was edited after it was written",
            ));
        }
        if prev_hash != prev {
            return Err(broken(if n == 1 {
                "prevHash is not the start of a chain: records before this one were removed"
            } else {
                "prevHash is not the hash of the line before: a record was removed, inserted or reordered"
            }));
        }
        prev = claimed.to_string();
        records = n;
        intents.see(n, &v);
    }
    Ok(VerifyReport {
        records,
        last_hash: (records > 0).then_some(prev),
        unresolved: intents.open(),
    })
}
