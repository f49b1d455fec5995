//! The trace of an optimization proposal (`POST /v1/optimize`): one `OPTIMIZE_PROPOSAL`
//! audit record, and one `queue.optimization.proposed` webhook event per changed queue and
//! configured URL. Nothing here touches the tenant: the proposal is a commit to review.

use serde::Serialize;
use serde_json::json;
use uuid::Uuid;

use super::{Recorder, RecorderError};
use crate::recorder::audit::{AuditAction, AuditRecord, AuditStatus, RunContext, now_rfc3339};
use crate::recorder::webhooks::{self, EventName, StoredEvent};
use reconcile::FieldChange;

/// The event name of a proposal.
pub const PROPOSAL_EVENT: EventName = EventName::OptimizationProposed;

/// A proposal and where it went.
#[derive(Debug)]
pub struct Proposal<'a> {
    pub report: &'a optimize::Report,
    /// The followed branch's commit the proposal was computed from.
    pub base_commit: Option<String>,
    /// The commit made on the optimize branch, when one was made.
    pub commit: Option<String>,
    pub branch: Option<String>,
    /// With `run --git-url`: whether the commit reached the remote (`None`: no push was due).
    pub pushed: Option<bool>,
    pub latency_ms: u64,
}

/// One queue of a `queue.optimization.proposed` event: what a WFM system consumes.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct EventQueue<'a> {
    name: &'a str,
    /// The figures the proposal used, and where they came from (`source`).
    inputs: Option<&'a optimize::QueueMetrics>,
    /// Erlang C's prediction, with the values the platform cannot hold (`maxWaiters`,
    /// `maxWaitTime` on Genesys Cloud and NICE CXone) for the owners of the flow or script.
    predicted: Option<&'a optimize::Prediction>,
    changes: &'a [optimize::Change],
}

/// The body of a `queue.optimization.proposed` event: `{tenant, branch, commit, policy,
/// queues: [{name, inputs, predicted, changes}]}` (one queue per event), beside the fields
/// of the first version (`queueName`, `commitId`, `baseCommitId`, `changes`, `predicted`,
/// `warnings`).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct ProposalEvent<'a> {
    event_id: Uuid,
    event: EventName,
    tenant: &'a str,
    queue_name: &'a str,
    timestamp: String,
    /// The commit on the optimize branch (`null` when none was made).
    commit: Option<&'a str>,
    queues: [EventQueue<'a>; 1],
    /// The commit on the optimize branch (`null` without `--optimize-branch`).
    commit_id: Option<&'a str>,
    base_commit_id: Option<&'a str>,
    branch: Option<&'a str>,
    policy: optimize::Policy,
    changes: &'a [optimize::Change],
    #[serde(skip_serializing_if = "Option::is_none")]
    predicted: Option<&'a optimize::Prediction>,
    warnings: &'a [String],
}

impl Recorder {
    /// Audits `p` and stages its webhook events (the delivery task sends them). The webhooks
    /// are those of `repo`, the repository the proposal was made from.
    pub fn record_proposal(
        &self,
        repo: &model::Repository,
        p: &Proposal<'_>,
    ) -> Result<(), RecorderError> {
        let changed_fields = p
            .report
            .queues
            .iter()
            .flat_map(|q| {
                q.changes.iter().map(move |c| FieldChange {
                    path: format!("{}/{}", q.name, c.field.name()),
                    before: json!(c.from),
                    after: json!(c.to),
                })
            })
            .collect();
        let status = if p.commit.is_some() {
            AuditStatus::Committed
        } else {
            AuditStatus::Proposed
        };
        let ctx = RunContext::new("optimize");
        let record = AuditRecord {
            latency_ms: p.latency_ms,
            commit_id: p.commit.clone().or_else(|| p.base_commit.clone()),
            changed_fields,
            proposal: Some({
                let mut v = json!({
                    "policy": p.report.policy,
                    "branch": p.branch,
                    "queues": p.report.queues.iter().map(|q| json!({
                        "name": q.name,
                        "inputs": q.inputs,
                        "predicted": q.predicted,
                    })).collect::<Vec<_>>(),
                });
                if let Some(pushed) = p.pushed {
                    v["pushed"] = json!(pushed);
                }
                v
            }),
            ..AuditRecord::bare(&ctx, AuditAction::OptimizeProposal, status)
        };
        self.audit.append(record)?;
        let targets = webhooks::targets(repo, &self.env)?;
        self.sender.configure(&targets);
        if targets.is_empty() {
            return Ok(());
        }
        let mut events = Vec::new();
        // A queue with changes, or with values only its flow or script can hold.
        let proposed = |q: &&optimize::QueueProposal| {
            !q.changes.is_empty()
                || q.predicted
                    .as_ref()
                    .is_some_and(|p| p.max_waiters.is_some() || p.max_wait_time.is_some())
        };
        for q in p.report.queues.iter().filter(proposed) {
            for t in &targets {
                let body = ProposalEvent {
                    event_id: Uuid::now_v7(),
                    event: PROPOSAL_EVENT,
                    tenant: &repo.tenant.metadata.name,
                    queue_name: &q.name,
                    timestamp: now_rfc3339(),
                    commit: p.commit.as_deref(),
                    queues: [EventQueue {
                        name: &q.name,
                        inputs: q.inputs.as_ref(),
                        predicted: q.predicted.as_ref(),
                        changes: &q.changes,
                    }],
                    commit_id: p.commit.as_deref(),
                    base_commit_id: p.base_commit.as_deref(),
                    branch: p.branch.as_deref(),
                    policy: p.report.policy,
                    changes: &q.changes,
                    predicted: q.predicted.as_ref(),
                    warnings: &q.warnings,
                };
                let text = serde_json::to_string(&body).unwrap_or_default();
                events.push(StoredEvent::with_body(
                    body.event_id,
                    PROPOSAL_EVENT,
                    &q.name,
                    text,
                    t.id(),
                    &q.name,
                ));
            }
        }
        let saved = self.outbox.stage(events)?;
        self.sender.push(saved);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;
    use std::time::Duration;

    use model::{LoadOptions, RepoFile};

    use super::*;
    use crate::cli::args::StateArgs;
    use crate::recorder::webhooks::{DeliveryConfig, EnvLookup};

    fn repo() -> model::Repository {
        let tenant = "apiVersion: cxqueues/v1\nkind: Tenant\nspec:\n  webhooks:\n    - {url: \"http://127.0.0.1:9/hook\", secretEnv: HOOK_KEY}\n";
        let queues = "apiVersion: cxqueues/v1\nkind: Queue\nmetadata: {name: A}\nspec: {maxWaiters: 5}\n---\napiVersion: cxqueues/v1\nkind: Queue\nmetadata: {name: B}\nspec: {maxWaiters: 5}\n";
        let file = |p: &str, t: &str| RepoFile {
            path: PathBuf::from(p),
            bytes: t.as_bytes().to_vec(),
        };
        model::parse_files(
            Some(file("cxqueues.yaml", tenant)),
            [file("queues/q.yaml", queues)],
            &LoadOptions::default(),
        )
    }

    #[tokio::test]
    async fn a_proposal_is_one_audit_record_and_one_event_per_changed_queue_and_url() {
        let dir = tempfile::tempdir().unwrap();
        let state = StateArgs {
            state_dir: dir.path().join("state"),
            audit_log: None,
        };
        let repo = repo();
        let env = EnvLookup::new(|name| (name == "HOOK_KEY").then(|| "k".to_string()));
        let recorder = Recorder::open_with(&state, &repo, DeliveryConfig::default(), env).unwrap();
        let metrics = optimize::Metrics::parse_json(
            "m",
            r#"{"queues": {"A": {"activeInteractions": 1, "maxCapacity": 10}}}"#,
        )
        .unwrap()
        .metrics;
        let opts = optimize::Options {
            policy: optimize::Policy::Seed,
            ..optimize::Options::default()
        };
        let report = optimize::propose(&repo, &metrics, &opts).unwrap();
        let p = Proposal {
            report: &report,
            base_commit: Some("b".repeat(40)),
            commit: Some("c".repeat(40)),
            branch: Some("optimize".into()),
            pushed: Some(false),
            latency_ms: 3,
        };
        recorder.record_proposal(&repo, &p).unwrap();

        let log = std::fs::read_to_string(state.audit_path()).unwrap();
        let last: serde_json::Value = serde_json::from_str(log.lines().last().unwrap()).unwrap();
        assert_eq!(last["action"], "OPTIMIZE_PROPOSAL");
        assert_eq!(last["status"], "committed");
        assert_eq!(last["commitId"], "c".repeat(40));
        assert_eq!(last["proposal"]["pushed"], false);
        assert_eq!(last["changedFields"][0]["path"], "A/maxWaitTime");
        assert_eq!(last["changedFields"].as_array().unwrap().len(), 4);
        assert!(crate::recorder::audit::verify(&state.audit_path()).is_ok());
        assert_eq!(
            last["proposal"]["queues"][0]["inputs"]["activeInteractions"],
            1.0
        );

        let pending = recorder.outbox.pending().unwrap();
        assert_eq!(pending.len(), 1, "only A changed, one URL");
        let event = &pending[0].1;
        assert_eq!(event.event, PROPOSAL_EVENT);
        assert_eq!(event.queue_name, "A");
        let body: serde_json::Value = serde_json::from_str(&event.body).unwrap();
        assert_eq!(body["event"], PROPOSAL_EVENT.as_str());
        assert_eq!(body["commitId"], "c".repeat(40));
        assert_eq!(body["branch"], "optimize");
        assert_eq!(body["changes"].as_array().unwrap().len(), 4);
        recorder.shutdown(Duration::from_millis(10)).await;
    }

    #[tokio::test]
    async fn a_prediction_only_proposal_is_an_event_with_the_tenant_inputs_and_predicted_values() {
        let dir = tempfile::tempdir().unwrap();
        let state = StateArgs {
            state_dir: dir.path().join("state"),
            audit_log: None,
        };
        let mut repo = repo();
        repo.tenant.metadata.name = "acme".into();
        let env = EnvLookup::new(|name| (name == "HOOK_KEY").then(|| "k".to_string()));
        let recorder = Recorder::open_with(&state, &repo, DeliveryConfig::default(), env).unwrap();
        let metrics = optimize::Metrics::parse_json(
            "m",
            r#"{"queues": {"A": {"offered": 600, "intervalSeconds": 10800, "averageHandleTimeSeconds": 180, "agents": 12}}}"#,
        )
        .unwrap()
        .metrics;
        // As on Genesys Cloud and NICE CXone: neither field can be held, so nothing changes.
        let opts = optimize::Options {
            predicted_only: vec![optimize::Field::MaxWaiters, optimize::Field::MaxWaitTime],
            ..optimize::Options::default()
        };
        let report = optimize::propose(&repo, &metrics, &opts).unwrap();
        assert!(!report.has_changes());
        let p = Proposal {
            report: &report,
            base_commit: Some("b".repeat(40)),
            commit: None,
            branch: Some("optimize".into()),
            pushed: None,
            latency_ms: 1,
        };
        recorder.record_proposal(&repo, &p).unwrap();
        let pending = recorder.outbox.pending().unwrap();
        assert_eq!(pending.len(), 1, "A has predicted values for its flow");
        let body: serde_json::Value = serde_json::from_str(&pending[0].1.body).unwrap();
        assert_eq!(body["tenant"], "acme");
        assert_eq!(body["branch"], "optimize");
        assert_eq!(body["commit"], serde_json::Value::Null);
        assert_eq!(body["policy"], "erlang-c");
        let q = &body["queues"][0];
        assert_eq!(q["name"], "A");
        assert_eq!(q["inputs"]["agents"], 12);
        assert_eq!(q["predicted"]["maxWaitTime"], 343);
        assert_eq!(q["predicted"]["maxWaiters"], 21);
        assert_eq!(q["changes"], serde_json::json!([]));
        recorder.shutdown(Duration::from_millis(10)).await;
    }
}
