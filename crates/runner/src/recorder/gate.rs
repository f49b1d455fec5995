//! The trace of what the change windows and drift modes did in a run: a `WINDOW_OVERRIDDEN`
//! audit record and a `queue.window.overridden` webhook event per queue written through a
//! window by break glass (naming the reason), and a `DRIFT_DETECTED` record and a
//! `queue.drift.detected` event per new drift.

use serde::Serialize;
use uuid::Uuid;

use super::{Recorder, RecorderError};
use crate::recorder::audit::{AuditAction, AuditRecord, AuditStatus, RunContext, now_rfc3339};
use crate::recorder::webhooks::{self, EventName, StoredEvent};
use reconcile::{DriftFound, FieldChange, Overridden};

/// The body of a `queue.window.overridden` event.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct OverriddenEvent<'a> {
    event_id: Uuid,
    event: EventName,
    queue_name: &'a str,
    timestamp: String,
    window: &'a str,
    /// `changes` or `drift`.
    applies: &'a str,
    reason: &'a str,
    commit_id: Option<&'a str>,
    trigger: &'a str,
}

/// The body of a `queue.drift.detected` event.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct DriftEvent<'a> {
    event_id: Uuid,
    event: EventName,
    queue_name: &'a str,
    timestamp: String,
    /// `correct` or `warn`.
    mode: &'a str,
    /// `before`: the tenant's value; `after`: the declared one.
    fields: &'a [FieldChange],
    modified_by: Option<&'a str>,
    modified_at: Option<&'a str>,
    corrected: bool,
    commit_id: Option<&'a str>,
}

/// What one run's gate did that leaves a trace.
#[derive(Debug, Default)]
pub struct GateTrace<'a> {
    /// Writes let through by break glass, with its reason.
    pub overridden: &'a [Overridden],
    pub reason: Option<&'a str>,
    /// Drift not reported before.
    pub new_drift: Vec<&'a DriftFound>,
}

impl Recorder {
    /// Audits the trace and stages its webhook events (the webhooks of `repo`).
    pub fn record_gate(
        &self,
        repo: &model::Repository,
        ctx: &RunContext,
        trace: &GateTrace<'_>,
    ) -> Result<(), RecorderError> {
        if trace.overridden.is_empty() && trace.new_drift.is_empty() {
            return Ok(());
        }
        let reason = trace.reason.unwrap_or("break glass");
        for o in trace.overridden {
            self.audit.append(AuditRecord {
                queue_name: Some(o.queue.clone()),
                window: Some(o.window.clone()),
                reason: Some(reason.to_string()),
                ..AuditRecord::bare(ctx, AuditAction::WindowOverridden, AuditStatus::Overridden)
            })?;
        }
        for d in &trace.new_drift {
            let status = match d.mode {
                _ if d.corrected => AuditStatus::Corrected,
                model::DriftMode::Warn => AuditStatus::Warn,
                _ => AuditStatus::Held,
            };
            let by = match (&d.modified_by, &d.modified_at) {
                (Some(b), Some(a)) => Some(format!("changed by {b} at {a}")),
                (Some(b), None) => Some(format!("changed by {b}")),
                (None, Some(a)) => Some(format!("changed at {a}")),
                (None, None) => None,
            };
            self.audit.append(AuditRecord {
                queue_name: Some(d.queue.clone()),
                changed_fields: d.fields.clone(),
                reason: by,
                ..AuditRecord::bare(ctx, AuditAction::DriftDetected, status)
            })?;
        }
        let targets = webhooks::targets(repo, &self.env)?;
        self.sender.configure(&targets);
        if targets.is_empty() {
            return Ok(());
        }
        let mut events = Vec::new();
        for t in &targets {
            for o in trace.overridden {
                let body = OverriddenEvent {
                    event_id: Uuid::now_v7(),
                    event: EventName::WindowOverridden,
                    queue_name: &o.queue,
                    timestamp: now_rfc3339(),
                    window: &o.window,
                    applies: o.applies.as_str(),
                    reason,
                    commit_id: ctx.commit_id.as_deref(),
                    trigger: &ctx.trigger,
                };
                let text = serde_json::to_string(&body).unwrap_or_default();
                events.push(StoredEvent::with_body(
                    body.event_id,
                    body.event,
                    &o.queue,
                    text,
                    t.id(),
                    &o.queue,
                ));
            }
            for d in &trace.new_drift {
                let body = DriftEvent {
                    event_id: Uuid::now_v7(),
                    event: EventName::DriftDetected,
                    queue_name: &d.queue,
                    timestamp: now_rfc3339(),
                    mode: d.mode.as_str(),
                    fields: &d.fields,
                    modified_by: d.modified_by.as_deref(),
                    modified_at: d.modified_at.as_deref(),
                    corrected: d.corrected,
                    commit_id: ctx.commit_id.as_deref(),
                };
                let text = serde_json::to_string(&body).unwrap_or_default();
                events.push(StoredEvent::with_body(
                    body.event_id,
                    body.event,
                    &d.queue,
                    text,
                    t.id(),
                    &d.queue,
                ));
            }
        }
        let saved = self.outbox.stage(events)?;
        self.sender.push(saved);
        Ok(())
    }
}
