//! The loop's side of change windows and drift modes: the last applied desired state it
//! records (in memory, and in `<state-dir>/applied.json` when it keeps one), which drift is
//! new (reported once, not at every resync nor after a restart: `drift-reported.json`), when
//! a held change is due (the loop wakes at the window's end), and what `/status` and the
//! metrics show of both.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Duration;

use jiff::Timestamp;
use model::Repository;
use reconcile::{ApplyReport, Desired, DriftFound, Gated};
use serde_json::Value;

use super::status::{QueueState, QueueStatus, Status};
use crate::output::windows;
use crate::recorder::applied::Reported;

/// A drift's identity: its fields and the tenant's values.
type DriftKey = Vec<(String, Value)>;

fn drift_key(d: &DriftFound) -> DriftKey {
    d.fields
        .iter()
        .map(|f| (f.path.clone(), f.before.clone()))
        .collect()
}

#[derive(Debug, Default)]
struct Inner {
    applied: Option<BTreeMap<String, Desired>>,
    /// The last drift reported per queue.
    reported: Reported,
}

/// What the loop keeps between runs for the windows and drift.
#[derive(Debug, Default)]
pub struct LoopGate {
    state_dir: Option<PathBuf>,
    inner: Mutex<Inner>,
}

impl LoopGate {
    /// Reads the last applied state of `state_dir` (none: no history yet).
    pub fn new(state_dir: Option<PathBuf>) -> Self {
        let applied = state_dir
            .as_deref()
            .and_then(crate::recorder::applied::load_applied);
        let reported = state_dir
            .as_deref()
            .map(crate::recorder::applied::load_reported)
            .unwrap_or_default();
        Self {
            state_dir,
            inner: Mutex::new(Inner { applied, reported }),
        }
    }

    fn inner(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The last applied desired state (none: no history yet).
    pub fn applied(&self) -> Option<BTreeMap<String, Desired>> {
        self.inner().applied.clone()
    }

    /// The drift not reported before (a queue's drift is new when its fields or the tenant's
    /// values differ from the last reported). Nothing is marked reported until
    /// [`Self::remember_drift`], once the records of it are written.
    pub fn new_drift<'a>(&self, found: &'a [DriftFound]) -> Vec<&'a DriftFound> {
        let inner = self.inner();
        found
            .iter()
            .filter(|d| inner.reported.get(&d.queue) != Some(&drift_key(d)))
            .collect()
    }

    /// Marks `found` (all the drift of a run) as reported, and forgets queues that no longer
    /// drift. Kept in the state directory, so that a restart reports only new drift.
    pub fn remember_drift(&self, found: &[DriftFound]) {
        let mut inner = self.inner();
        let now: Reported = found
            .iter()
            .map(|d| (d.queue.clone(), drift_key(d)))
            .collect();
        if now != inner.reported
            && let Some(dir) = &self.state_dir
            && let Err(e) = crate::recorder::applied::save_reported(dir, &now)
        {
            tracing::warn!(error = %e, dir = %dir.display(), "the drift reported could not be kept; a restart may report it again");
        }
        inner.reported = now;
    }

    /// Keeps the record of a run that applied `report` (none: nothing was written).
    pub fn keep_record(&self, gated: &Gated, report: Option<&ApplyReport>) {
        let mut inner = self.inner();
        let record = match report {
            Some(r) => {
                crate::recorder::applied::record_after(&gated.record, inner.applied.as_ref(), r)
            }
            None => gated.record.clone(),
        };
        if let Some(dir) = &self.state_dir
            && let Err(e) = crate::recorder::applied::save_applied(dir, &record)
        {
            tracing::warn!(error = %e, dir = %dir.display(), "the last applied state could not be saved");
        }
        inner.applied = Some(record);
    }
}

/// How long until the earliest held change may go ahead (a little after the window's end),
/// when that is sooner than `resync`.
pub fn requeue(gated: &Gated, resync: Duration, now: Timestamp) -> Option<Duration> {
    let until = gated.next_release()?;
    let wait = until.duration_since(now);
    let wait = Duration::try_from(wait).unwrap_or(Duration::ZERO) + Duration::from_millis(50);
    (wait < resync).then_some(wait)
}

/// Adds the held changes and the drift of a run to the queues of `/status` (`plan` gives
/// the ids, `repo` the files of queues the gated plan left out).
pub fn publish(st: &mut Status, gated: &Gated, plan: &reconcile::Plan, repo: &Repository) {
    let entry = |st: &mut Status, name: &str| {
        let q = queue(st, name);
        if q.id.is_none() {
            q.id = plan.ids.get(name).cloned();
        }
        if q.file.is_none() {
            q.file = repo
                .queues
                .iter()
                .find(|d| d.name() == name)
                .map(|d| model::layout::slash_path(&d.file));
        }
    };
    for name in gated
        .drift
        .iter()
        .map(|d| &d.queue)
        .chain(gated.held.iter().map(|h| &h.queue))
    {
        entry(st, name);
    }
    for d in &gated.drift {
        let q = queue(st, &d.queue);
        q.drift_mode = Some(d.mode);
        if !d.corrected {
            q.state = QueueState::Drifted;
            q.drift = d.fields.clone();
        }
        if d.modified_by.is_some() {
            q.modified_by = d.modified_by.clone();
            q.modified_at = d.modified_at.clone();
        }
    }
    for h in &gated.held {
        let q = queue(st, &h.queue);
        q.pending.push(super::status::PendingChange {
            fields: h.fields.clone(),
            window: h.window.clone(),
            until: h.until.map(windows::rfc3339),
            applies: h.applies,
        });
        if q.state == QueueState::InSync {
            q.state = QueueState::Pending;
        }
    }
}

fn queue<'a>(st: &'a mut Status, name: &str) -> &'a mut QueueStatus {
    st.queues
        .entry(name.to_string())
        .or_insert_with(|| QueueStatus {
            state: QueueState::InSync,
            id: None,
            file: None,
            last_applied_version: None,
            last_applied_commit: None,
            drift: Vec::new(),
            last_change: Vec::new(),
            modified_by: None,
            modified_at: None,
            last_error: None,
            pending: Vec::new(),
            drift_mode: None,
        })
}

/// Drifted queues (not corrected) and their fields, for the gauges.
pub fn drift_counts(gated: &Gated) -> (i64, i64) {
    let open: Vec<&DriftFound> = gated.drift.iter().filter(|d| !d.corrected).collect();
    let fields = open.iter().map(|d| d.fields.len() as i64).sum();
    (open.len() as i64, fields)
}

#[cfg(test)]
mod tests {
    use super::*;
    use reconcile::FieldChange;
    use serde_json::json;

    fn drift(queue: &str, tenant_value: u32) -> DriftFound {
        DriftFound {
            queue: queue.into(),
            mode: model::DriftMode::Warn,
            fields: vec![FieldChange {
                path: "maxWaitTime".into(),
                before: json!(tenant_value),
                after: json!(240),
            }],
            modified_by: None,
            modified_at: None,
            corrected: false,
        }
    }

    fn names(found: Vec<&DriftFound>) -> Vec<String> {
        found.into_iter().map(|d| d.queue.clone()).collect()
    }

    #[test]
    fn drift_is_reported_once_even_across_a_restart_and_again_when_it_changes() {
        let dir = tempfile::tempdir().unwrap();
        let found = [drift("Billing", 300), drift("Sales", 90)];
        let gate = LoopGate::new(Some(dir.path().to_path_buf()));
        // Not marked until its records are written: asked again, it is still new.
        assert_eq!(names(gate.new_drift(&found)), ["Billing", "Sales"]);
        assert_eq!(names(gate.new_drift(&found)), ["Billing", "Sales"]);
        gate.remember_drift(&found);
        assert!(
            gate.new_drift(&found).is_empty(),
            "a resync reports nothing new"
        );

        // A restart on the same state directory: still nothing new.
        let restarted = LoopGate::new(Some(dir.path().to_path_buf()));
        assert!(restarted.new_drift(&found).is_empty());
        // The tenant's value moves again: new drift, reported.
        let moved = [drift("Billing", 360), drift("Sales", 90)];
        assert_eq!(names(restarted.new_drift(&moved)), ["Billing"]);
        restarted.remember_drift(&moved);
        // Sales is set back, then drifts the same way again: reported again.
        restarted.remember_drift(&moved[..1]);
        assert_eq!(names(restarted.new_drift(&moved)), ["Sales"]);

        // Without a state directory, a new gate knows nothing of what was reported.
        let memory_only = LoopGate::new(None);
        assert_eq!(names(memory_only.new_drift(&found)).len(), 2);
    }
}
