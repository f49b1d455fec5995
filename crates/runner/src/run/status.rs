//! What the loop knows, served as JSON at `GET /status`.
//!
//! One [`Status`] behind a lock, written by the controller after each run and read by the
//! HTTP side. The JSON (camelCase):
//!
//! ```json
//! {"formatVersion": 1, "branch": "main", "selfHeal": true, "ready": true, "running": false,
//!  "commit": {"id", "shortId", "author", "time", "summary"}, "result": "applied",
//!  "errors": [{"message", "file", "line", "column", "rule", "hint"}], "warnings": [...],
//!  "lastApplied": {commit}, "queues": {"Billing": {"state": "in_sync", "id", "file",
//!  "lastAppliedVersion", "lastAppliedCommit", "drift": [{"path", "before", "after"}],
//!  "lastChange": [{"path", "before", "after"}], "modifiedBy", "modifiedAt", "lastError",
//!  "pending": [{"fields", "window", "until", "applies"}], "driftMode"}}, "lastRun": {run},
//!  "recentRuns": [{run}], "nextResync", "nextRetry",
//!  "webhooks": {"pending", "dead": [...]}}
//! ```
//!
//! A run is `{"id", "trigger", "triggers": [{"id", "kind", "commit"?}], "commit", "result",
//! "started", "durationMs", "summary"}`; `webhooks` is added by the HTTP side when the
//! runner keeps a state directory.

use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};

use model::Diagnostic;
use reconcile::FieldChange;
use serde::Serialize;

use super::git::CommitInfo;
use super::{Trigger, TriggerKind};

/// How many runs `recentRuns` keeps.
pub(crate) const RECENT_RUNS: usize = 20;

/// How a run ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum RunResult {
    /// Changes were written, and every queue was reconciled.
    Applied,
    /// The tenant already matched: nothing to write.
    InSync,
    /// The tenant drifted from an applied commit and its drift mode is `warn` (or
    /// `--no-self-heal`): reported only.
    Drifted,
    /// The commit has validation or tenant-check errors: nothing was written.
    Invalid,
    /// The tenant could not be read or written, or some queues were not reconciled: retried.
    Failed,
    /// A change window is closed: nothing was written until it opens (the loop runs again
    /// when it lifts).
    Held,
    /// Another replica leads (`--leader-elect`): this one neither read nor wrote the tenant.
    Standby,
}

impl RunResult {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            RunResult::Applied => "applied",
            RunResult::InSync => "in_sync",
            RunResult::Drifted => "drifted",
            RunResult::Invalid => "invalid",
            RunResult::Failed => "failed",
            RunResult::Held => "held",
            RunResult::Standby => "standby",
        }
    }
}

/// A queue's standing against the tenant.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum QueueState {
    InSync,
    Drifted,
    Failed,
    /// Changes wait for a change window (`pending` says which, until when).
    Pending,
}

impl QueueState {
    pub(crate) const ALL: [QueueState; 4] = [
        QueueState::InSync,
        QueueState::Drifted,
        QueueState::Failed,
        QueueState::Pending,
    ];

    pub(crate) fn as_str(self) -> &'static str {
        match self {
            QueueState::InSync => "in_sync",
            QueueState::Drifted => "drifted",
            QueueState::Failed => "failed",
            QueueState::Pending => "pending",
        }
    }
}

/// One error or warning: a diagnostic with its place, or a message alone.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Problem {
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
}

impl Problem {
    pub(crate) fn message(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            file: None,
            line: None,
            column: None,
            rule: None,
            hint: None,
        }
    }
}

impl From<&Diagnostic> for Problem {
    fn from(d: &Diagnostic) -> Self {
        let file = model::layout::slash_path(&d.file);
        Self {
            message: d.message.clone(),
            file: (!file.is_empty()).then_some(file),
            line: (d.line > 0).then_some(d.line),
            column: (d.column > 0).then_some(d.column),
            rule: Some(d.rule.code().to_string()),
            hint: d.hint.clone(),
        }
    }
}

/// One queue of the repository, as of the last run.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct QueueStatus {
    pub state: QueueState,
    pub id: Option<String>,
    pub file: Option<String>,
    /// The tenant version that matched the repository: after our last write, or as read.
    pub last_applied_version: Option<u64>,
    /// The commit whose values the queue last matched.
    pub last_applied_commit: Option<String>,
    /// Fields that differ from the repository (drifted queues; also pending changes).
    pub drift: Vec<FieldChange>,
    /// What the runner's last write to this queue changed, before → after (kept while the
    /// queue stays in sync; empty until the runner has written it).
    pub last_change: Vec<FieldChange>,
    /// Who changed the queue last in the tenant (the API user of our write, or whoever
    /// edited it since), when the platform says.
    pub modified_by: Option<String>,
    /// When, as the platform says.
    pub modified_at: Option<String>,
    pub last_error: Option<String>,
    /// Changes a change window holds back: `[{fields, window, until, applies}]`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub pending: Vec<PendingChange>,
    /// The queue's drift mode, when drift was found (`correct`, `warn`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub drift_mode: Option<model::DriftMode>,
}

/// A change held back, as `/status` shows it per queue.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PendingChange {
    pub fields: Vec<reconcile::FieldChange>,
    pub window: String,
    /// When the window lifts (RFC 3339; `null`: no end in sight). The loop applies the change
    /// then, from the followed branch as it is then.
    pub until: Option<String>,
    /// `changes` (a commit's change) or `drift` (a drift correction).
    pub applies: model::Applies,
}

/// One finished run.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RunRecord {
    /// The run's id: the id of the first trigger it served.
    pub id: String,
    /// The trigger it is counted under.
    pub trigger: TriggerKind,
    /// Every trigger it served (coalesced).
    pub triggers: Vec<Trigger>,
    /// The newest commit of the branch when it ran (none while the branch has no commit).
    pub commit: Option<String>,
    pub result: RunResult,
    pub started: String,
    pub duration_ms: u64,
    /// One line: what was done.
    pub summary: String,
}

/// The remote as `/status` shows it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RemoteStatus {
    /// The URL without userinfo.
    pub url: String,
    pub branch: String,
    /// The commit of the last successful fetch.
    pub commit: Option<String>,
    pub last_fetch: Option<String>,
    pub last_success: Option<String>,
    /// The last fetch's error, while fetches fail.
    pub last_error: Option<String>,
    pub consecutive_failures: u32,
    pub next_fetch: Option<String>,
    /// Force-pushes followed since the start.
    pub rewrites: u64,
    /// The last push of the optimize branch (`--optimize-branch`), when one was made.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_push: Option<PushStatus>,
}

/// One push of the optimize branch, as `/status` shows it under `remote.lastPush`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PushStatus {
    pub branch: String,
    pub commit: String,
    pub at: String,
    pub pushed: bool,
    /// Why it was not pushed (not retried: the next different proposal is pushed).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// Which part this runner plays.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Holds the Lease and writes to the tenant.
    Leader,
    /// Serves status and probes, forwards the trigger routes, never touches the tenant.
    Standby,
}

/// The Lease as `/status` shows it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LeaseStatus {
    pub name: String,
    pub namespace: String,
    /// This runner's identity.
    pub identity: String,
    /// Who holds the Lease (none: free).
    pub holder: Option<String>,
    /// `leaseTransitions`: how many times the Lease changed hands.
    pub term: i32,
    /// The leader's address (`cxqueues.io/endpoint`).
    pub leader_endpoint: Option<String>,
}

/// Everything `GET /status` shows.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Status {
    pub format_version: u32,
    pub branch: String,
    pub self_heal: bool,
    /// A reconcile has completed (`/readyz`).
    pub ready: bool,
    /// A reconcile is in flight.
    pub running: bool,
    /// The commit last reconciled.
    pub commit: Option<CommitInfo>,
    /// Its result.
    pub result: Option<RunResult>,
    /// Its errors (validation, tenant checks, tenant failures).
    pub errors: Vec<Problem>,
    pub warnings: Vec<Problem>,
    /// The newest commit applied completely.
    pub last_applied: Option<CommitInfo>,
    pub queues: BTreeMap<String, QueueStatus>,
    pub last_run: Option<RunRecord>,
    pub recent_runs: VecDeque<RunRecord>,
    /// When the next drift check runs (RFC 3339).
    pub next_resync: Option<String>,
    /// When a failed run is tried again (RFC 3339), if one failed.
    pub next_retry: Option<String>,
    /// Why the runner is not ready although it runs (a branch that does not exist, a remote
    /// never fetched); `/readyz` answers 503 with it while set.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub not_ready: Option<String>,
    /// The followed remote (`run --git-url`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remote: Option<RemoteStatus>,
    /// `leader` or `standby` (`run --leader-elect`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role: Option<Role>,
    /// The Lease as last read: its holder and term (`run --leader-elect`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lease: Option<LeaseStatus>,
}

impl Status {
    pub(crate) fn new(branch: &str, self_heal: bool) -> Self {
        Self {
            format_version: 1,
            branch: branch.to_string(),
            self_heal,
            ready: false,
            running: false,
            commit: None,
            result: None,
            errors: Vec::new(),
            warnings: Vec::new(),
            last_applied: None,
            queues: BTreeMap::new(),
            last_run: None,
            recent_runs: VecDeque::new(),
            next_resync: None,
            next_retry: None,
            not_ready: None,
            remote: None,
            role: None,
            lease: None,
        }
    }

    /// Why the runner is not ready although it runs, if it is not: a branch that does not
    /// exist (`not_ready`), or a remote never fetched since the start.
    pub fn not_ready_reason(&self) -> Option<String> {
        if let Some(r) = &self.not_ready {
            return Some(r.clone());
        }
        match &self.remote {
            Some(r) if r.last_success.is_none() => Some(match &r.last_error {
                Some(e) => format!("the remote has not been fetched yet: {e}"),
                None => "the remote has not been fetched yet".to_string(),
            }),
            _ => None,
        }
    }

    /// Records a finished run.
    pub(crate) fn push_run(&mut self, run: RunRecord) {
        if self.recent_runs.len() == RECENT_RUNS {
            self.recent_runs.pop_front();
        }
        self.recent_runs.push_back(run.clone());
        self.last_run = Some(run);
    }

    /// Queues by state, every state present (zero when none).
    pub(crate) fn queue_counts(&self) -> BTreeMap<&'static str, u64> {
        let mut counts: BTreeMap<&'static str, u64> =
            QueueState::ALL.iter().map(|s| (s.as_str(), 0)).collect();
        for q in self.queues.values() {
            *counts.entry(q.state.as_str()).or_default() += 1;
        }
        counts
    }
}

/// The status, shared between the controller and the HTTP side.
#[derive(Clone, Debug)]
pub(crate) struct SharedStatus(Arc<RwLock<Status>>);

impl SharedStatus {
    pub(crate) fn new(status: Status) -> Self {
        Self(Arc::new(RwLock::new(status)))
    }

    pub(crate) fn read(&self) -> RwLockReadGuard<'_, Status> {
        self.0.read().unwrap_or_else(|p| p.into_inner())
    }

    pub(crate) fn write(&self) -> RwLockWriteGuard<'_, Status> {
        self.0.write().unwrap_or_else(|p| p.into_inner())
    }
}
