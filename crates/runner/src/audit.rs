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
//! - Records hold queue configuration, versions, commit ids and error messages: never a client
//!   secret, token or webhook key (nothing here ever receives one).
//!
//! [`StateArgs`] and [`Recorder`] are the wiring for `apply` and `run`: the state directory,
//! the audit log and the webhook outbox/delivery behind one handle.

// A library surface for `apply`, `run`, `/status` and the tests: the binary does not use
// every item of it.

use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use reconcile::{Action, ApplyObserver, ApplyReport, FieldChange, QueueOutcome, Status};
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
}

impl RunContext {
    /// A context with only a trigger.
    pub fn new(trigger: impl Into<String>) -> Self {
        Self {
            commit_id: None,
            commit_author: None,
            trigger: trigger.into(),
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
        let count = |s: Status| report.outcomes.iter().filter(|o| o.status == s).count();
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

/// One line of the audit log. Fields named as in issue 6; `error` (failed and skipped
/// records) and `summary` (`RECONCILE` records) are added only when they apply.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditRecord {
    /// UUID v7 (time-ordered).
    pub audit_id: Uuid,
    /// RFC 3339, UTC, milliseconds.
    pub timestamp: String,
    /// `QUEUE_CREATE`, `QUEUE_UPDATE`, `QUEUE_DELETE` or `RECONCILE`.
    pub action: String,
    pub queue_id: Option<String>,
    pub queue_name: Option<String>,
    pub version_before: Option<u64>,
    pub version_after: Option<u64>,
    /// Queue records: `success`, `conflict-retried`, `failed` or `skipped`.
    /// `RECONCILE` records: `success`, `partial` or `failed`.
    pub status: String,
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
    pub prev_hash: String,
    /// Filled in by [`AuditLog::append`].
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub hash: String,
}

impl AuditRecord {
    /// The record of one queue's write attempt (hashes filled in on append).
    pub fn of_outcome(ctx: &RunContext, o: &QueueOutcome) -> Self {
        let action = match o.action {
            Action::Create => "QUEUE_CREATE",
            Action::Update => "QUEUE_UPDATE",
            Action::Delete => "QUEUE_DELETE",
        };
        let status = match o.status {
            Status::Applied if o.conflicts > 0 => "conflict-retried",
            Status::Applied => "success",
            Status::Failed => "failed",
            Status::Skipped => "skipped",
        };
        let written = o.written.as_ref();
        Self {
            audit_id: Uuid::now_v7(),
            timestamp: String::new(),
            action: action.into(),
            queue_id: o.id.clone(),
            queue_name: Some(o.name.clone()),
            version_before: o.version_before,
            version_after: o.version_after,
            status: status.into(),
            latency_ms: millis(o.latency),
            commit_id: ctx.commit_id.clone(),
            commit_author: ctx.commit_author.clone(),
            trigger: ctx.trigger.clone(),
            changed_fields: o.fields.clone(),
            configuration_hash: written.map(configuration_hash),
            skill_requirements_valid: written.map(skill_requirements_valid),
            sla_configured: written.map(|q| q.service_level_target.is_some()),
            overflow_defined: written.map(|q| q.overflow.is_some()),
            error: o.error.clone(),
            summary: None,
            prev_hash: String::new(),
            hash: String::new(),
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
            (_, Some(_)) => "failed",
            (Some(s), None) if s.failed + s.skipped > 0 => "partial",
            _ => "success",
        };
        Self {
            audit_id: Uuid::now_v7(),
            timestamp: String::new(),
            action: "RECONCILE".into(),
            queue_id: None,
            queue_name: None,
            version_before: None,
            version_after: None,
            status: status.into(),
            latency_ms: millis(report.map_or(wall, |r| r.wall)),
            commit_id: ctx.commit_id.clone(),
            commit_author: ctx.commit_author.clone(),
            trigger: ctx.trigger.clone(),
            changed_fields: Vec::new(),
            configuration_hash: None,
            skill_requirements_valid: None,
            sla_configured: None,
            overflow_defined: None,
            error: error.map(str::to_string),
            summary: Some(summary.unwrap_or_default()),
            prev_hash: String::new(),
            hash: String::new(),
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
    let d = t.duration_since(UNIX_EPOCH).unwrap_or_default();
    let whole = crate::civil::rfc3339_secs(i64::try_from(d.as_secs()).unwrap_or(0));
    // `…:SSZ` → `…:SS.mmmZ`
    format!("{}.{:03}Z", whole.trim_end_matches('Z'), d.subsec_millis())
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
            lf.file.write_all(line.as_bytes()).map_err(io("write"))?;
            lf.file.flush().map_err(io("write"))?;
            lf.file.sync_data().map_err(io("fsync"))?;
            lf.len = len + line.len() as u64;
            lf.needs_newline = false;
            lf.last_hash = record.hash.clone();
            Ok(record)
        })();
        let _ = lf.file.unlock();
        result
    }

    /// Appends, and on failure counts it (see [`AuditLog::check_written`]) and logs it:
    /// an observer cannot fail the apply that calls it.
    fn append_or_count(&self, record: AuditRecord) {
        if let Err(e) = self.append(record) {
            self.failures.fetch_add(1, Ordering::SeqCst);
            tracing::error!(error = %e, "audit record not written");
            let mut first = self.first_failure.lock().unwrap_or_else(|p| p.into_inner());
            first.get_or_insert_with(|| e.to_string());
        }
    }

    /// Writes the record of one queue's write attempt.
    pub fn record_outcome(
        &self,
        ctx: &RunContext,
        outcome: &QueueOutcome,
    ) -> Result<AuditRecord, AuditError> {
        self.append(AuditRecord::of_outcome(ctx, outcome))
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
    fn on_outcome(&self, outcome: &QueueOutcome) {
        self.log
            .append_or_count(AuditRecord::of_outcome(&self.context, outcome));
    }
}

/// What [`verify`] found in an intact log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyReport {
    pub records: usize,
    /// The last record's hash (none for an empty log).
    pub last_hash: Option<String>,
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
    }
    Ok(VerifyReport {
        records,
        last_hash: (records > 0).then_some(prev),
    })
}
