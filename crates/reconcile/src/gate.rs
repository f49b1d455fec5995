//! Holding back part of a plan, pure: change windows (`spec.changeWindows`), drift modes and
//! ignored fields (`spec.drift`, `metadata.drift`).
//!
//! Each field of an update is either a **change** (its declared value differs from the last
//! applied desired state of the queue, or there is no such record) or **drift** (declared as
//! when last applied: someone edited the tenant). Ignored fields leave the update; drift is
//! reported unless its mode is `off`, and corrected only in mode `correct`; a change or a
//! correction is held while a window holds its queue for `changes` or `drift`. A create or
//! a delete is one change. What is held or left out is released from the change's desired
//! state (or pinned to the tenant's value), so apply never writes it.

use std::collections::BTreeMap;

use jiff::Timestamp;
use model::{Applies, DriftMode, DriftPolicy, QueueDef, Repository, WindowKind, Windows};
use serde_json::{Value, json};
use tenant::Queue;

use crate::desired::{Desired, TargetRef, sorted};
use crate::plan::{Change, FieldChange, Observed, Op, Plan};

/// What the gate needs besides the plan.
#[derive(Clone, Copy, Debug)]
pub struct GateInput<'a> {
    pub repo: &'a Repository,
    pub observed: &'a Observed,
    pub windows: &'a Windows,
    /// The instant the windows are evaluated at (the caller's clock).
    pub at: Timestamp,
    /// Apply through deny windows and outside allow windows (`--break-glass`).
    pub break_glass: bool,
    /// `run --no-self-heal`: `correct` becomes `warn`.
    pub no_self_heal: bool,
    /// The last applied desired state per queue; `None`: no history (every field a change).
    pub applied: Option<&'a BTreeMap<String, Desired>>,
}

/// Fields a window holds back.
#[derive(Clone, Debug, PartialEq)]
pub struct Held {
    pub queue: String,
    pub fields: Vec<FieldChange>,
    pub window: String,
    pub kind: WindowKind,
    /// When the window lifts (`None`: not in sight).
    pub until: Option<Timestamp>,
    pub applies: Applies,
}

/// Drift found on one queue: tenant value (`before`) against the declared one (`after`).
#[derive(Clone, Debug, PartialEq)]
pub struct DriftFound {
    pub queue: String,
    pub mode: DriftMode,
    pub fields: Vec<FieldChange>,
    pub modified_by: Option<String>,
    pub modified_at: Option<String>,
    /// Whether the plan corrects it now (mode `correct`, no window holding it).
    pub corrected: bool,
}

/// A write that a window would have held, let through by break glass.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Overridden {
    pub queue: String,
    pub window: String,
    pub applies: Applies,
}

/// The plan that may be applied now, and what was held back or found on the way.
#[derive(Clone, Debug, Default)]
pub struct Gated {
    pub plan: Plan,
    pub held: Vec<Held>,
    pub drift: Vec<DriftFound>,
    pub overridden: Vec<Overridden>,
    /// The applied-state record once this plan is applied: each planned queue's declared
    /// state, with held changes kept at their last applied value. A queue whose write fails
    /// keeps its previous record (the caller's part).
    pub record: BTreeMap<String, Desired>,
}

impl Gated {
    /// The earliest instant a held write may go ahead.
    pub fn next_release(&self) -> Option<Timestamp> {
        self.held.iter().filter_map(|h| h.until).min()
    }
}

/// The verdict per set of covering windows (their indices) and kind of write.
type Verdicts = BTreeMap<(Vec<usize>, Applies), Option<model::Hold>>;

/// Every concrete field path a plan can name for a queue's declared fields.
const PATHS: [&str; 9] = [
    "description",
    "skillRequirements",
    "serviceLevelTarget.threshold",
    "serviceLevelTarget.time",
    "maxWaitTime",
    "maxWaiters",
    "overflow.target",
    "overflow.waitTime",
    "overflow.enabled",
];

/// Holds back what the windows, drift modes and ignore paths say must not be written now.
pub fn gate(plan: Plan, input: &GateInput<'_>) -> Gated {
    let GateInput {
        repo,
        observed,
        windows,
        at,
        break_glass,
        no_self_heal,
        applied,
    } = *input;
    let defs: BTreeMap<&str, &QueueDef> = repo.queues.iter().map(|d| (d.name(), d)).collect();
    let by_id: BTreeMap<&str, &Queue> = observed
        .queues
        .iter()
        .filter_map(|q| Some((q.id.as_deref()?, q)))
        .collect();
    let mut out = Gated::default();
    let mut kept = Vec::new();
    // Held changes per queue (paths), for the record.
    let mut held_changes: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let Plan { changes, .. } = &plan;
    let no_labels = BTreeMap::new();
    let verdicts: std::cell::RefCell<Verdicts> = std::cell::RefCell::default();
    for change in changes {
        let def = defs.get(change.name.as_str()).copied();
        let labels = def.map_or(&no_labels, |d| &d.doc.metadata.labels);
        let policy = DriftPolicy::of(
            &repo.tenant.spec.drift,
            def.and_then(|d| d.doc.metadata.drift.as_ref()),
            no_self_heal,
        );
        let hold = |what: Applies, out: &mut Gated| -> Option<model::Hold> {
            // The verdict depends only on which windows cover the queue: computed once per set.
            let covering: Vec<usize> = windows
                .windows
                .iter()
                .enumerate()
                .filter(|(_, w)| w.applies_to(what) && w.covers(&change.name, labels))
                .map(|(i, _)| i)
                .collect();
            if covering.is_empty() {
                return None;
            }
            let h = verdicts
                .borrow_mut()
                .entry((covering, what))
                .or_insert_with(|| windows.hold(&change.name, labels, what, at))
                .clone()?;
            if break_glass {
                out.overridden.push(Overridden {
                    queue: change.name.clone(),
                    window: h.window,
                    applies: what,
                });
                return None;
            }
            Some(h)
        };
        let Op::Update { id, .. } = &change.op else {
            // A create or a delete is one change.
            match hold(Applies::Changes, &mut out) {
                Some(h) => {
                    held_changes.insert(change.name.clone(), PATHS.map(String::from).to_vec());
                    out.held
                        .push(held(change, change.fields.clone(), h, Applies::Changes));
                }
                None => kept.push(change.clone()),
            }
            continue;
        };
        let Some(current) = by_id.get(id.as_str()).copied() else {
            kept.push(change.clone());
            continue;
        };
        let mut c = change.clone();
        // Ignored fields leave the update altogether.
        let settings: Vec<String> = c.desired.settings.keys().cloned().collect();
        for path in PATHS.iter().map(|p| p.to_string()).chain(settings) {
            if policy.ignores(&path) {
                release(&mut c.desired, &path, current);
            }
        }
        c.fields.retain(|f| !policy.ignores(&f.path));
        let prev = applied.and_then(|a| a.get(&c.name));
        let (changed, drifted): (Vec<FieldChange>, Vec<FieldChange>) =
            c.fields.drain(..).partition(|f| {
                prev.is_none_or(|p| declared(p, &f.path) != declared(&c.desired, &f.path))
            });
        let mut keep: Vec<FieldChange> = Vec::new();
        let mut drop: Vec<String> = Vec::new();
        if !drifted.is_empty() && policy.mode != DriftMode::Off {
            let held_drift = match policy.mode {
                DriftMode::Correct => hold(Applies::Drift, &mut out),
                _ => None,
            };
            let corrected = policy.mode == DriftMode::Correct && held_drift.is_none();
            out.drift.push(DriftFound {
                queue: c.name.clone(),
                mode: policy.mode,
                fields: drifted.clone(),
                modified_by: current.modified_by().map(str::to_string),
                modified_at: current.modified_at.clone(),
                corrected,
            });
            if let Some(h) = held_drift {
                out.held.push(held(&c, drifted.clone(), h, Applies::Drift));
            }
            if corrected {
                keep.extend(drifted);
            } else {
                drop.extend(drifted.iter().map(|f| f.path.clone()));
            }
        } else {
            drop.extend(drifted.iter().map(|f| f.path.clone()));
        }
        if !changed.is_empty() {
            match hold(Applies::Changes, &mut out) {
                Some(h) => {
                    held_changes
                        .entry(c.name.clone())
                        .or_default()
                        .extend(changed.iter().map(|f| f.path.clone()));
                    drop.extend(changed.iter().map(|f| f.path.clone()));
                    out.held.push(held(&c, changed, h, Applies::Changes));
                }
                None => keep.extend(changed),
            }
        }
        for path in &drop {
            release(&mut c.desired, path, current);
        }
        // A field whose declared value was released (a partial overflow) is not written.
        keep.retain(|f| declared(&c.desired, &f.path).is_some());
        keep.sort_by_key(|f| change.fields.iter().position(|g| g.path == f.path));
        if !keep.is_empty() {
            c.fields = keep;
            kept.push(c);
        }
    }
    // The record: every queue planned, held changes at their last applied value.
    let mut record = applied.cloned().unwrap_or_default();
    let planned = plan.unchanged.iter().chain(changes.iter().map(|c| &c.name));
    for name in planned {
        let Some(def) = defs.get(name.as_str()) else {
            continue;
        };
        if def.doc.metadata.deleted {
            if !held_changes.contains_key(name) {
                record.remove(name);
            }
            continue;
        }
        let mut now = Desired::from_doc(&def.doc);
        let prev = applied.and_then(|a| a.get(name));
        if let Some(paths) = held_changes.get(name) {
            if prev.is_none()
                && changes
                    .iter()
                    .any(|c| &c.name == name && c.op == Op::Create)
            {
                continue;
            }
            for p in paths {
                restore(&mut now, prev, p);
            }
        }
        record.insert(name.clone(), now);
    }
    // Queues no longer in the repository leave the record.
    record.retain(|name, _| defs.contains_key(name.as_str()));
    out.record = record;
    out.plan = Plan {
        changes: kept,
        ..plan
    };
    out
}

fn held(c: &Change, fields: Vec<FieldChange>, h: model::Hold, applies: Applies) -> Held {
    Held {
        queue: c.name.clone(),
        fields,
        window: h.window,
        kind: h.kind,
        until: h.until,
        applies,
    }
}

/// The declared value at a plan's field path (`None`: not declared).
fn declared(d: &Desired, path: &str) -> Option<Value> {
    let slt = d.service_level_target;
    let overflow = d.overflow.as_ref();
    let part = |f: &dyn Fn(&crate::DesiredOverflow) -> Value| match overflow {
        Some(Some(o)) => Some(f(o)),
        Some(None) => Some(Value::Null),
        None => None,
    };
    match path {
        "description" => d.description.clone().map(Value::String),
        "skillRequirements" => d.skill_requirements.as_deref().map(|s| json!(sorted(s))),
        "serviceLevelTarget.threshold" => slt.map(|s| json!(s.threshold)),
        "serviceLevelTarget.time" => slt.map(|s| json!(s.time)),
        "maxWaitTime" => d.max_wait_time.map(|v| json!(v)),
        "maxWaiters" => d.max_waiters.map(|v| json!(v)),
        "overflow" => overflow.map(|o| json!(o)),
        "overflow.target" => part(&|o| json!(o.target)),
        "overflow.waitTime" => part(&|o| json!(o.wait_time)),
        "overflow.enabled" => part(&|o| json!(o.enabled)),
        other => d.settings.get(other).cloned(),
    }
}

/// Stops declaring the field at `path` for an update: a whole field is left out; a part of
/// the service level or the overflow is pinned to the tenant's value (left out when the
/// tenant has none).
fn release(d: &mut Desired, path: &str, tenant: &Queue) {
    match path {
        "description" => d.description = None,
        "skillRequirements" => d.skill_requirements = None,
        "maxWaitTime" => d.max_wait_time = None,
        "maxWaiters" => d.max_waiters = None,
        "serviceLevelTarget" => d.service_level_target = None,
        "serviceLevelTarget.threshold" | "serviceLevelTarget.time" => {
            match (d.service_level_target.as_mut(), tenant.service_level_target) {
                (Some(s), Some(t)) if path.ends_with("threshold") => s.threshold = t.threshold,
                (Some(s), Some(t)) => s.time = t.time,
                _ => d.service_level_target = None,
            }
        }
        "overflow" => d.overflow = None,
        "overflow.target" | "overflow.waitTime" | "overflow.enabled" => {
            match (d.overflow.as_mut(), tenant.overflow.as_ref()) {
                (Some(Some(o)), Some(t)) => match path {
                    "overflow.target" => o.target = TargetRef::Id(t.target_id.clone()),
                    "overflow.waitTime" => o.wait_time = t.wait_time,
                    _ => o.enabled = t.enabled,
                },
                _ => d.overflow = None,
            }
        }
        other => d.settings.retain(|k, _| !model::drift::covers(other, k)),
    }
}

/// Sets the field at `path` of `d` back to the last applied record's (`None`: leaves it out,
/// so that it still counts as a change next time).
fn restore(d: &mut Desired, prev: Option<&Desired>, path: &str) {
    let root = path.split('.').next().unwrap_or(path);
    match root {
        "description" => d.description = prev.and_then(|p| p.description.clone()),
        "skillRequirements" => {
            d.skill_requirements = prev.and_then(|p| p.skill_requirements.clone())
        }
        "serviceLevelTarget" => d.service_level_target = prev.and_then(|p| p.service_level_target),
        "maxWaitTime" => d.max_wait_time = prev.and_then(|p| p.max_wait_time),
        "maxWaiters" => d.max_waiters = prev.and_then(|p| p.max_waiters),
        "overflow" => d.overflow = prev.and_then(|p| p.overflow.clone()),
        _ => match prev.and_then(|p| p.settings.get(path)) {
            Some(v) => {
                d.settings.insert(path.to_string(), v.clone());
            }
            None => {
                d.settings.remove(path);
            }
        },
    }
}
