//! The reconcile loop, shaped like kube-runtime's controller.
//!
//! [`reconcile`] makes the tenant match the newest commit of the branch and returns an
//! [`Action`]; [`error_policy`] turns an [`Error`] into a backoff (doubling, capped). [`run`]
//! drives them: one reconcile at a time; triggers that arrive meanwhile (commits, manual
//! triggers, the periodic resync, a due retry) coalesce into one follow-up run, which reads the
//! branch afresh, so the newest commit wins and no commit's changes are skipped (each commit
//! is a whole desired state).
//!
//! A run reads the branch, chooses the commit the tenant is held to, and calls the one pipeline
//! ([`crate::pipeline::run`]); `conclude` turns what came of it into the status, the metrics
//! and the log lines, in one place. The controller is generic over [`Tenant`]: its decisions
//! are tested against `tenant::FakeTenant`.
//!
//! - An invalid commit (validation or tenant-check errors) writes nothing; the status names
//!   the commit and every error, and the next good commit is applied.
//! - A tenant error (network, 5xx, auth) or a queue left unreconciled fails the run: it is
//!   retried after the backoff, on the newest commit.
//! - A resync plans against the tenant: with self-heal it writes drift back, without it only
//!   reports the drifted queues.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use tenant::{Backoff, Jitter, Tenant, TenantError};

use model::{LoadOptions, Repository, WebhookDoc};
use reconcile::{Action as PlanAction, QueueResult};
use tokio::sync::{mpsc, watch};
use tokio::time::Instant;
use tracing::{debug, info, warn};

use super::git::{GitError, GitSource, Snapshot};
use super::lease::{Fence, FencedTenant};
use super::metrics::Metrics;
use super::status::{Problem, QueueState, QueueStatus, RunRecord, RunResult, SharedStatus};
use super::{Trigger, TriggerKind, format_duration, rfc3339, wall_time_of};
use crate::pipeline::{self, Desired, Mode, Planned, RunError, RunOutcome};
use crate::recorder::Recorder;
use crate::recorder::audit::RunContext;

/// What failed a run (it is retried after [`error_policy`]'s backoff).
#[derive(Debug, thiserror::Error)]
pub(crate) enum Error {
    #[error(transparent)]
    Git(#[from] GitError),
    #[error("the tenant could not be read: {0}")]
    Tenant(#[from] TenantError),
    #[error("{failed} of {total} queue changes were not applied (first: {first})")]
    Incomplete {
        failed: usize,
        total: usize,
        first: String,
    },
}

/// The error policy's backoff for failed runs: 1 s, doubled each failure, at most 60 s, each
/// wait between half and the whole step (so that many runners part ways).
pub(crate) fn default_backoff() -> Backoff {
    Backoff::doubling(Duration::from_secs(1), Duration::from_secs(60)).with_jitter(Jitter::Equal)
}

/// When the loop runs next without a trigger: the next resync, and after a failure the retry.
/// A failure pushes the resync back too, so that a due resync never skips the backoff.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Timers {
    next_resync: Instant,
    retry_at: Option<Instant>,
}

impl Timers {
    fn after_success(&mut self, now: Instant, requeue: Duration) {
        self.retry_at = None;
        self.next_resync = now + requeue;
    }

    fn after_failure(&mut self, now: Instant, delay: Duration) {
        let at = now + delay;
        self.retry_at = Some(at);
        self.next_resync = self.next_resync.max(at);
    }
}

/// How the loop behaves.
#[derive(Clone, Debug)]
pub(crate) struct Options {
    /// Write drift back on resync (otherwise only report it).
    pub self_heal: bool,
    /// Writes in flight at once.
    pub parallelism: usize,
    /// The drift check period.
    pub resync: Duration,
    pub backoff: Backoff,
    /// The tenant is the embedded simulator: only loopback webhooks are called.
    pub sim: bool,
}

/// What to do after a successful run: when to look again, and what the run found.
#[derive(Clone, Debug)]
pub(crate) struct Action {
    /// Run again after this long even with no trigger (the next resync).
    pub requeue_after: Option<Duration>,
    pub result: RunResult,
    pub summary: String,
}

impl Action {
    fn done(result: RunResult, summary: impl Into<String>) -> Self {
        Self {
            requeue_after: None,
            result,
            summary: summary.into(),
        }
    }
}

/// What the controller remembers between runs.
#[derive(Debug, Default)]
struct Memory {
    /// The newest commit read (a cache: a resync of the same commit does not read git again).
    newest: Option<Arc<Snapshot>>,
    /// The newest commit that passed every check (offline and against the tenant).
    good: Option<Arc<Snapshot>>,
    /// The commit the tenant was last made to match completely.
    applied: Option<String>,
    /// The webhooks of the last commit applied, as declared and as called.
    hooks: Option<(Vec<WebhookDoc>, Arc<Repository>)>,
    /// The last run's error, so that the same error again is not logged at every attempt.
    last_error: Option<String>,
}

/// What a run needs: git, the tenant, where to report.
#[derive(Debug)]
pub(crate) struct Context<T> {
    pub git: GitSource,
    pub client: T,
    pub status: SharedStatus,
    pub metrics: Arc<Metrics>,
    pub opts: Options,
    /// The audit log and the webhook outbox (`--state-dir`), when kept.
    pub recorder: Option<Arc<Recorder>>,
    /// The last applied state and the drift reported (change windows, drift modes).
    pub gate: super::windows::LoopGate,
    /// Whether this runner may touch the tenant (`--leader-elect`; always open without it),
    /// checked before a run reads the tenant and again before each write.
    pub fence: Fence,
    memory: Mutex<Memory>,
}

impl<T> Context<T> {
    pub(crate) fn new(
        git: GitSource,
        client: T,
        status: SharedStatus,
        metrics: Arc<Metrics>,
        opts: Options,
    ) -> Self {
        Self {
            git,
            client,
            status,
            metrics,
            opts,
            recorder: None,
            gate: super::windows::LoopGate::default(),
            fence: Fence::open(),
            memory: Mutex::new(Memory::default()),
        }
    }

    /// Keeps the last applied state in `state_dir` (read now, written after each run).
    pub fn with_state_dir(mut self, state_dir: std::path::PathBuf) -> Self {
        self.gate = super::windows::LoopGate::new(Some(state_dir));
        self
    }

    /// Touches the tenant only while `fence` is open (the Lease holder's).
    pub fn with_fence(mut self, fence: Fence) -> Self {
        self.fence = fence;
        self
    }

    /// Records every apply in the audit log and sends its webhooks.
    pub(crate) fn with_recorder(mut self, recorder: Arc<Recorder>) -> Self {
        self.recorder = Some(recorder);
        self
    }

    /// Remembers a commit already read (the one the simulator was seeded from).
    pub(crate) fn prime(&self, snapshot: Snapshot) {
        self.memory().newest = Some(Arc::new(snapshot));
    }

    fn memory(&self) -> std::sync::MutexGuard<'_, Memory> {
        self.memory.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// One run: the triggers it serves.
#[derive(Clone, Debug)]
pub(crate) struct Run {
    /// The id of the first trigger.
    pub id: String,
    /// The trigger it counts under: commit, then manual, retry, resync.
    pub kind: TriggerKind,
    pub triggers: Vec<Trigger>,
}

impl Run {
    /// A run serving `triggers` (at least one).
    pub(crate) fn new(triggers: Vec<Trigger>) -> Self {
        let kind = triggers
            .iter()
            .map(|t| t.kind)
            .min()
            .unwrap_or(TriggerKind::Manual);
        let id = triggers
            .first()
            .map(|t| t.id.to_string())
            .unwrap_or_default();
        Self { id, kind, triggers }
    }

    fn has(&self, kind: TriggerKind) -> bool {
        self.triggers.iter().any(|t| t.kind == kind)
    }
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, GitError> + Send + 'static,
) -> Result<T, GitError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| GitError::Task(e.to_string()))?
}

/// The newest commit of the branch, read (or taken from the cache).
async fn newest<T>(ctx: &Context<T>) -> Result<Option<Arc<Snapshot>>, GitError> {
    let git = ctx.git.clone();
    let Some(id) = blocking(move || git.head()).await? else {
        return Ok(None);
    };
    if let Some(s) = ctx.memory().newest.clone().filter(|s| s.commit.id == id) {
        return Ok(Some(s));
    }
    let git = ctx.git.clone();
    let t = Instant::now();
    let snap = Arc::new(blocking(move || git.read_commit(&id, &LoadOptions::default())).await?);
    debug!(
        ms = t.elapsed().as_millis() as u64,
        "read and checked the commit"
    );
    ctx.memory().newest = Some(snap.clone());
    Ok(Some(snap))
}

fn problems(diags: &[model::Diagnostic], errors: bool) -> Vec<Problem> {
    diags
        .iter()
        .filter(|d| d.is_error() == errors)
        .map(Problem::from)
        .collect()
}

/// What one run found, before anything is reported: [`conclude`] turns it into the status,
/// the metrics and the log lines, in one place.
// One value per run, moved once: its size does not matter.
#[allow(clippy::large_enum_variant)]
enum Round {
    /// The branch could not be read.
    Git(GitError),
    /// The branch has no commit yet; `missing` says why when the branch does not exist at
    /// all (a mistyped `--branch`).
    NoCommit { missing: Option<String> },
    /// The newest commit is invalid, and no good commit needs the tenant now.
    HeadInvalid(Arc<Snapshot>),
    /// The pipeline ran for `desired`: the newest commit, or while it is invalid the last
    /// good one.
    Ran {
        head: Arc<Snapshot>,
        desired: Arc<Snapshot>,
        outcome: Result<RunOutcome, RunError>,
    },
}

/// Makes the tenant match the newest commit of the branch.
pub(crate) async fn reconcile<T: Tenant>(run: &Run, ctx: &Context<T>) -> Result<Action, Error> {
    let round = run_round(run, ctx).await;
    conclude(ctx, round)
}

/// Reads the branch, chooses the commit the tenant is held to, and runs the pipeline for it.
async fn run_round<T: Tenant>(run: &Run, ctx: &Context<T>) -> Round {
    let head = match newest(ctx).await {
        Ok(Some(head)) => head,
        Ok(None) => {
            let git = ctx.git.clone();
            let missing = blocking(move || git.missing_branch()).await.ok().flatten();
            return Round::NoCommit { missing };
        }
        Err(e) => return Round::Git(e),
    };
    // Which commit is the tenant held to: the newest, or while it is invalid, the last good one.
    let (good, applied) = {
        let m = ctx.memory();
        (m.good.clone(), m.applied.clone())
    };
    let desired = if head.has_errors() {
        let needs_tenant = |g: &Snapshot| {
            applied.as_deref() != Some(g.commit.id.as_str())
                || run.has(TriggerKind::Resync)
                || run.has(TriggerKind::Retry)
        };
        match good {
            Some(g) if needs_tenant(&g) => g,
            _ => return Round::HeadInvalid(head),
        }
    } else {
        head.clone()
    };
    // A standby (or a leader whose last renewal is too old) does not touch the tenant.
    if let Err(why) = ctx.fence.check() {
        debug!("{why}");
        let leader = ctx
            .fence
            .holder()
            .unwrap_or_else(|| "no one yet".to_string());
        return Round::Ran {
            head,
            desired,
            outcome: Ok(RunOutcome::Standby { leader }),
        };
    }
    let applied_before = applied.as_deref() == Some(desired.commit.id.as_str());
    let audit = RunContext {
        commit_id: Some(desired.commit.id.clone()),
        commit_author: Some(desired.commit.author.clone()),
        trigger: run.kind.as_str().to_string(),
        lease: ctx.fence.check().ok().flatten(),
    };
    let hooks = webhook_repo(ctx, &desired);
    // Change windows and drift modes: evaluated now, with the last applied state.
    let break_glass = run.triggers.iter().find_map(|t| t.break_glass.clone());
    let applied_state = ctx.gate.applied();
    let t = Instant::now();
    let outcome = pipeline::run(
        &Desired::repo(&desired.repo),
        // Every write checks the fence again before it is sent.
        &FencedTenant::new(&ctx.client, &ctx.fence),
        pipeline::Options {
            mode: Mode::Reconcile {
                applied_before,
                self_heal: ctx.opts.self_heal,
            },
            parallelism: ctx.opts.parallelism,
            recorder: ctx.recorder.as_deref(),
            run: &audit,
            hooks: &hooks,
            watch: &mut pipeline::Quiet,
            gate: Some(pipeline::GateOptions {
                at: jiff::Timestamp::now(),
                break_glass: break_glass.as_deref(),
                no_self_heal: !ctx.opts.self_heal,
                applied: applied_state.as_ref(),
            }),
        },
    )
    .await;
    debug!(
        ms = t.elapsed().as_millis() as u64,
        "read the tenant, planned and applied"
    );
    if let Some(g) = outcome.as_ref().ok().and_then(gated_of) {
        trace_gate(
            ctx,
            &desired.repo,
            &hooks,
            &audit,
            g,
            break_glass.as_deref(),
        );
    }
    Round::Ran {
        head,
        desired,
        outcome,
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// The one place a run becomes status, metrics and log lines.
fn conclude<T: Tenant>(ctx: &Context<T>, round: Round) -> Result<Action, Error> {
    let (head, desired, outcome) = match round {
        Round::Git(e) => {
            ctx.status.write().errors = vec![Problem::message(e.to_string())];
            return Err(e.into());
        }
        Round::NoCommit {
            missing: Some(reason),
        } => {
            // A branch that does not exist makes the runner not ready, with the reason.
            let mut st = ctx.status.write();
            if st.not_ready.as_deref() != Some(reason.as_str()) {
                warn!("not ready: {reason}");
            }
            st.not_ready = Some(reason.clone());
            st.commit = None;
            st.result = Some(RunResult::Invalid);
            st.errors = vec![Problem::message(&reason)];
            st.warnings.clear();
            return Ok(Action::done(RunResult::Invalid, reason));
        }
        Round::NoCommit { missing: None } => {
            let message = format!(
                "the branch {} has no commit yet: commit a repository to it",
                ctx.git.branch()
            );
            let mut st = ctx.status.write();
            st.not_ready = None;
            st.commit = None;
            st.result = Some(RunResult::Invalid);
            st.errors = vec![Problem::message(&message)];
            st.warnings.clear();
            return Ok(Action::done(RunResult::Invalid, message));
        }
        Round::HeadInvalid(head) => {
            let summary = log_invalid_head(&head);
            let mut st = ctx.status.write();
            st.not_ready = None;
            st.commit = Some(head.commit.clone());
            st.errors = problems(&head.repo.diagnostics, true);
            st.warnings = problems(&head.repo.diagnostics, false);
            st.result = Some(RunResult::Invalid);
            return Ok(Action::done(RunResult::Invalid, summary));
        }
        Round::Ran {
            head,
            desired,
            outcome,
        } => (head, desired, outcome),
    };
    let head_invalid = head.has_errors();
    if head_invalid {
        log_invalid_head(&head);
        info!(commit = %desired.commit.short_id, "holding the tenant to the last good commit");
    }
    let short = &desired.commit.short_id;
    // What the status shows after this run; written once, at the end.
    let mut errors = problems(&head.repo.diagnostics, true);
    let mut warnings = problems(&head.repo.diagnostics, false);
    let mut queues = None;
    let mut applied = false;
    // Every check against the tenant passed: a valid newest commit becomes the good one.
    let checked = matches!(
        outcome,
        Ok(RunOutcome::InSync(_)
            | RunOutcome::Planned(_)
            | RunOutcome::DriftReported(_)
            | RunOutcome::Applied(_))
            | Err(RunError::Recorder(_))
    );
    let invalid_or = |r: RunResult| if head_invalid { RunResult::Invalid } else { r };
    let done: Result<Action, Error> = match outcome {
        Err(RunError::Tenant(e)) => {
            errors.push(Problem::message(format!(
                "the tenant could not be read: {e}"
            )));
            Err(e.into())
        }
        Err(RunError::Recorder(e)) => {
            let message = format!("the webhooks of commit {short}: {e}");
            warn!("{message}; nothing was applied");
            errors.push(Problem::message(&message));
            Ok(Action::done(RunResult::Invalid, message))
        }
        Ok(RunOutcome::Invalid(rejected)) => {
            let n = rejected.diagnostics.len();
            for d in &rejected.diagnostics {
                warn!(commit = %short, "{d}");
            }
            errors.extend(rejected.diagnostics.iter().map(Problem::from));
            Ok(Action::done(
                RunResult::Invalid,
                format!(
                    "commit {short} fails {n} check{} against the tenant: nothing was applied",
                    plural(n)
                ),
            ))
        }
        Ok(RunOutcome::Refused(why)) => {
            warn!(commit = %short, "{why}");
            errors.push(Problem::message(&why));
            Ok(Action::done(RunResult::Invalid, why))
        }
        Ok(RunOutcome::Held {
            window,
            until,
            planned,
        }) => {
            note_plan(&planned, short, &mut errors, &mut warnings);
            let message =
                format!("the change window {window} is closed until {until}: nothing was applied");
            info!(commit = %short, "{message}");
            queues = Some((*planned, QueuesOutcome::InSync));
            Ok(Action::done(invalid_or(RunResult::Held), message))
        }
        Ok(RunOutcome::Standby { leader }) => {
            let message = format!("standing by: {leader} leads and applies");
            debug!("{message}");
            Ok(Action::done(RunResult::Standby, message))
        }
        Ok(RunOutcome::InSync(planned) | RunOutcome::Planned(planned)) => {
            note_plan(&planned, short, &mut errors, &mut warnings);
            applied = true;
            let action = Action::done(
                invalid_or(RunResult::InSync),
                format!(
                    "in sync with {short}: {} queues unchanged",
                    planned.plan.unchanged.len()
                ),
            );
            queues = Some((planned, QueuesOutcome::InSync));
            Ok(action)
        }
        Ok(RunOutcome::DriftReported(planned)) => {
            note_plan(&planned, short, &mut errors, &mut warnings);
            let plan = &planned.plan;
            for c in &plan.changes {
                warn!(queue = %c.name, fields = c.fields.len(), "drift: the tenant no longer matches the repository (self-heal is off)");
            }
            // Gated: the drift the gate found and did not correct (its lines were logged).
            let n = match &planned.gated {
                Some(g) => g.drift.iter().filter(|d| !d.corrected).count(),
                None => plan.changes.len(),
            };
            queues = Some((planned, QueuesOutcome::Drifted));
            Ok(Action::done(
                invalid_or(RunResult::Drifted),
                format!(
                    "{n} queue{} drifted from {short}; not corrected (self-heal is off)",
                    plural(n)
                ),
            ))
        }
        Ok(RunOutcome::Applied(run)) => {
            let pipeline::Applied {
                planned,
                report,
                audited,
                healed,
            } = *run;
            note_plan(&planned, short, &mut errors, &mut warnings);
            if healed {
                info!(queues = planned.plan.changes.len(), commit = %short, "drift: writing the repository's values back");
            }
            if let Err(e) = &audited {
                warn!(error = %e, "the audit log could not be written");
                errors.push(Problem::message(format!("the audit log: {e}")));
            }
            ctx.metrics
                .add_conflicts(u64::from(report.conflicts_retried()));
            log_outcomes(&report);
            if healed {
                let n = report.outcomes.iter().filter(|o| o.is_applied()).count();
                ctx.metrics.add_drift_corrections(n as u64);
            }
            let done = if report.is_complete() {
                applied = true;
                Ok(Action::done(
                    invalid_or(RunResult::Applied),
                    format!("commit {short}: {}", report.summary_line()),
                ))
            } else {
                let failed: Vec<String> = report
                    .not_reconciled()
                    .map(|o| format!("{}: {}", o.name, not_applied(o)))
                    .collect();
                errors.extend(failed.iter().map(Problem::message));
                Err(Error::Incomplete {
                    failed: failed.len(),
                    total: report.outcomes.len(),
                    first: failed.first().cloned().unwrap_or_default(),
                })
            };
            queues = Some((planned, QueuesOutcome::Applied(report)));
            done
        }
    };
    {
        let mut m = ctx.memory();
        if checked && !head_invalid {
            m.good = Some(desired.clone());
        }
        if applied {
            m.applied = Some(desired.commit.id.clone());
        }
    }
    let mut st = ctx.status.write();
    st.not_ready = None;
    st.commit = Some(head.commit.clone());
    st.errors = errors;
    st.warnings = warnings;
    let mut requeue = None;
    if let Some((planned, outcome)) = queues {
        let old = std::mem::take(&mut st.queues);
        st.queues = queue_states(&old, &desired, &planned, &outcome);
        if let Some(g) = &planned.gated {
            super::windows::publish(&mut st, g, &planned.plan, &desired.repo);
            let report = match &outcome {
                QueuesOutcome::Applied(r) => Some(r),
                _ => None,
            };
            ctx.gate.keep_record(g, report);
            requeue = super::windows::requeue(g, ctx.opts.resync, jiff::Timestamp::now());
        }
    }
    // A held change is due when its window lifts: the loop runs again then.
    let done = done.map(|mut a| {
        a.requeue_after = a.requeue_after.or(requeue);
        a
    });
    if applied {
        st.last_applied = Some(desired.commit.clone());
    }
    if let Ok(action) = &done {
        st.result = Some(action.result);
    }
    done
}

/// Logs an invalid newest commit and says what became of it.
fn log_invalid_head(head: &Snapshot) -> String {
    let errors: Vec<_> = head
        .repo
        .diagnostics
        .iter()
        .filter(|d| d.is_error())
        .collect();
    let n = errors.len();
    warn!(commit = %head.commit.short_id, errors = n, "the commit is invalid: nothing from it is applied");
    for d in errors {
        warn!(commit = %head.commit.short_id, "{d}");
    }
    format!(
        "commit {} is invalid ({n} error{}): nothing from it was applied",
        head.commit.short_id,
        plural(n)
    )
}

/// The plan's own notes: the tenant's unreadable queues (left alone; the others go on).
fn note_plan(
    planned: &Planned,
    short: &str,
    errors: &mut Vec<Problem>,
    warnings: &mut Vec<Problem>,
) {
    for w in &planned.plan.warnings {
        warn!(commit = %short, "{w}");
        warnings.push(Problem::message(w));
    }
    for s in &planned.plan.skipped {
        warn!(commit = %short, "{s}");
        errors.push(Problem::message(s));
    }
}

/// Why a queue was not applied, in words.
fn not_applied(o: &reconcile::QueueOutcome) -> String {
    match &o.result {
        QueueResult::Applied { .. } => "applied".to_string(),
        QueueResult::Failed(e) => e.to_string(),
        QueueResult::Skipped { reason } => reason.to_string(),
    }
}

/// One line per queue: at info level for small applies, debug for large ones; failures warn.
fn log_outcomes(report: &reconcile::ApplyReport) {
    let chatty = report.outcomes.len() <= 20;
    for o in &report.outcomes {
        let action = format!("{:?}", o.action).to_lowercase();
        let version = o.version_after().map(|v| v.to_string()).unwrap_or_default();
        match &o.result {
            QueueResult::Applied { .. } if chatty => {
                let changed = crate::output::plan::changed_fields(&o.fields);
                info!(queue = %o.name, action = %action, version = %version, changed = %changed, "applied")
            }
            QueueResult::Applied { .. } => {
                let changed = crate::output::plan::changed_fields(&o.fields);
                debug!(queue = %o.name, action = %action, version = %version, changed = %changed, "applied")
            }
            _ => warn!(
                queue = %o.name,
                action = %action,
                error = %not_applied(o),
                "not applied"
            ),
        }
    }
}

/// After a failed run: try again after the backoff (the newest commit, then). The same error
/// again is logged while the backoff still grows, then only every tenth attempt.
pub(crate) fn error_policy<T>(err: &Error, attempt: u32, ctx: &Context<T>) -> Action {
    let step = attempt.saturating_sub(1);
    let delay = ctx.opts.backoff.delay(step, rand::random::<f64>());
    let message = err.to_string();
    let repeated = {
        let mut memory = ctx.memory();
        let same = memory.last_error.as_deref() == Some(message.as_str());
        memory.last_error = Some(message.clone());
        same
    };
    let growing = ctx.opts.backoff.ceiling(step) < ctx.opts.backoff.max;
    let loud = !repeated || growing || attempt.is_multiple_of(10);
    let hint = match err {
        Error::Tenant(e) if e.is_unauthorized() => {
            " (check CXONE_CLIENT_ID and CXONE_CLIENT_SECRET)"
        }
        _ => "",
    };
    if loud {
        warn!(error = %err, attempt, retry_in = %format_duration(delay), "reconcile failed; retrying{hint}");
    } else {
        debug!(error = %err, attempt, retry_in = %format_duration(delay), "reconcile failed again; retrying{hint}");
    }
    Action {
        requeue_after: Some(delay),
        result: RunResult::Failed,
        summary: err.to_string(),
    }
}

/// The repository whose webhooks an apply of `desired` calls (with `--sim`, only loopback ones
/// whose key variable is set, as `apply --sim` does); re-resolved only when they change.
fn webhook_repo<T>(ctx: &Context<T>, desired: &Snapshot) -> Arc<Repository> {
    let declared = &desired.repo.tenant.spec.webhooks;
    if let Some((hooks, repo)) = &ctx.memory().hooks
        && hooks == declared
    {
        return repo.clone();
    }
    let only_tenant = Repository {
        tenant: desired.repo.tenant.clone(),
        ..Repository::default()
    };
    let repo = Arc::new(crate::recorder::webhooks_for(only_tenant, ctx.opts.sim));
    ctx.memory().hooks = Some((declared.clone(), repo.clone()));
    repo
}

enum QueuesOutcome {
    InSync,
    Drifted,
    Applied(reconcile::ApplyReport),
}

/// The per-queue status, rebuilt from a plan and what became of it (what the status held
/// before carries each queue's last change).
fn queue_states(
    old: &BTreeMap<String, QueueStatus>,
    desired: &Snapshot,
    planned: &Planned,
    outcome: &QueuesOutcome,
) -> BTreeMap<String, QueueStatus> {
    let (observed, plan) = (&planned.observed, &planned.plan);
    let observed_of = |name: &str| {
        let id = plan.ids.get(name)?;
        observed
            .queues
            .iter()
            .find(|q| q.id.as_deref() == Some(id.as_str()))
    };
    let files: BTreeMap<&str, String> = desired
        .repo
        .queues
        .iter()
        .map(|q| (q.name(), model::layout::slash_path(&q.file)))
        .collect();
    let commit = desired.commit.id.clone();
    let mut queues = BTreeMap::new();
    for name in &plan.unchanged {
        let now = observed_of(name);
        queues.insert(
            name.clone(),
            QueueStatus {
                state: QueueState::InSync,
                id: plan.ids.get(name).cloned(),
                file: files.get(name.as_str()).cloned(),
                last_applied_version: now.and_then(|q| q.version),
                last_applied_commit: Some(commit.clone()),
                drift: Vec::new(),
                last_change: old
                    .get(name)
                    .map(|q| q.last_change.clone())
                    .unwrap_or_default(),
                modified_by: now.and_then(|q| q.modified_by.clone()),
                modified_at: now.and_then(|q| q.modified_at.clone()),
                last_error: None,
                pending: Vec::new(),
                drift_mode: None,
            },
        );
    }
    let outcomes: BTreeMap<&str, &reconcile::QueueOutcome> = match outcome {
        QueuesOutcome::Applied(r) => r.outcomes.iter().map(|o| (o.name.as_str(), o)).collect(),
        _ => BTreeMap::new(),
    };
    for c in &plan.changes {
        let before = old.get(&c.name);
        let carried_version = before.and_then(|q| q.last_applied_version);
        let carried_commit = before.and_then(|q| q.last_applied_commit.clone());
        let mut q = QueueStatus {
            state: QueueState::Drifted,
            id: c.id().map(str::to_string),
            file: files.get(c.name.as_str()).cloned(),
            last_applied_version: carried_version,
            last_applied_commit: carried_commit,
            drift: c.fields.clone(),
            last_change: before.map(|q| q.last_change.clone()).unwrap_or_default(),
            modified_by: observed_of(&c.name).and_then(|q| q.modified_by.clone()),
            modified_at: observed_of(&c.name).and_then(|q| q.modified_at.clone()),
            last_error: None,
            pending: Vec::new(),
            drift_mode: None,
        };
        match (outcome, outcomes.get(c.name.as_str())) {
            (QueuesOutcome::Applied(_), Some(o)) if o.is_applied() => {
                if c.action() == PlanAction::Delete {
                    continue;
                }
                q.state = QueueState::InSync;
                q.id = o.id.clone().or(q.id);
                q.last_applied_version = o.version_after();
                q.last_applied_commit = Some(commit.clone());
                q.drift.clear();
                q.last_change = o.fields.clone();
                if let Some(w) = o.written() {
                    q.modified_by = w.modified_by.clone();
                    q.modified_at = w.modified_at.clone();
                }
            }
            (QueuesOutcome::Applied(_), o) => {
                q.state = QueueState::Failed;
                q.last_error =
                    Some(o.map_or_else(|| "not applied".to_string(), |o| not_applied(o)));
            }
            _ => {}
        }
        queues.insert(c.name.clone(), q);
    }
    // Queues the gate took out of the plan (held, or drift only reported): what was known of
    // them stays; the gate's own entries are added by `windows::publish`.
    for (name, q) in old {
        if files.contains_key(name.as_str()) && !queues.contains_key(name) {
            let mut q = q.clone();
            q.state = QueueState::InSync;
            q.drift.clear();
            q.pending.clear();
            q.last_error = None;
            queues.insert(name.clone(), q);
        }
    }
    queues
}

/// What the gate kept out of a run's plan, when the run got as far as a plan.
fn gated_of(outcome: &RunOutcome) -> Option<&reconcile::Gated> {
    let planned = match outcome {
        RunOutcome::InSync(p) | RunOutcome::Planned(p) | RunOutcome::DriftReported(p) => p,
        RunOutcome::Held { planned, .. } => planned,
        RunOutcome::Applied(a) => &a.planned,
        RunOutcome::Invalid(_) | RunOutcome::Refused(_) | RunOutcome::Standby { .. } => {
            return None;
        }
    };
    planned.gated.as_ref()
}

/// The log lines, metrics, audit records and webhook events of what the gate did: each
/// held change and each drift once when it is new; each break-glass write.
fn trace_gate<T>(
    ctx: &Context<T>,
    repo: &Repository,
    hooks: &Repository,
    audit: &RunContext,
    gated: &reconcile::Gated,
    break_glass: Option<&str>,
) {
    for h in &gated.held {
        info!(queue = %h.queue, window = %h.window, applies = h.applies.as_str(),
            until = %h.until.map(crate::output::windows::rfc3339).unwrap_or_else(|| "no end in sight".into()),
            changed = %crate::output::plan::changed_fields(&h.fields), "held by a change window");
    }
    let new_drift = ctx.gate.new_drift(&gated.drift);
    for d in &new_drift {
        warn!(queue = %d.queue, mode = d.mode.as_str(), corrected = d.corrected,
            by = d.modified_by.as_deref().unwrap_or("unknown"),
            fields = %crate::output::plan::changed_fields(&d.fields),
            "drift: the tenant no longer matches the repository");
    }
    for o in &gated.overridden {
        warn!(queue = %o.queue, window = %o.window, reason = break_glass.unwrap_or(""),
            "break glass: writing through a change window");
    }
    let tenant = repo.tenant.metadata.name.as_str();
    let (queues, fields) = super::windows::drift_counts(gated);
    ctx.metrics.set_drift(tenant, queues, fields);
    ctx.metrics
        .add_drift_detected(tenant, new_drift.len() as u64);
    let mut recorded = true;
    if let Some(r) = &ctx.recorder {
        // The break-glass records were written before the apply (by the pipeline).
        let trace = crate::recorder::gate::GateTrace {
            overridden: &[],
            reason: None,
            new_drift,
        };
        if let Err(e) = r.record_gate(hooks, audit, &trace) {
            recorded = false;
            warn!(error = %e, "the audit log or the outbox could not take the window and drift records; the drift is reported again at the next run");
            ctx.status
                .write()
                .errors
                .push(Problem::message(format!("the audit log: {e}")));
        }
    }
    if recorded {
        ctx.gate.remember_drift(&gated.drift);
    }
}

/// Drives [`reconcile`] and [`error_policy`] until `shutdown` turns true (or the trigger
/// channel closes). A run in flight is always finished first.
pub(crate) async fn run<T: Tenant>(
    ctx: Arc<Context<T>>,
    mut triggers: mpsc::UnboundedReceiver<Trigger>,
    mut shutdown: watch::Receiver<bool>,
) {
    let resync = ctx.opts.resync;
    let mut timers = Timers {
        next_resync: Instant::now() + resync,
        retry_at: None,
    };
    let mut attempts = 0u32;
    let mut pending: Vec<Trigger> = Vec::new();
    ctx.status.write().next_resync = Some(rfc3339(wall_time_of(timers.next_resync)));
    loop {
        if pending.is_empty() {
            let (retry_at, next_resync) = (timers.retry_at, timers.next_resync);
            let retry_due = retry_at.unwrap_or(next_resync);
            tokio::select! {
                biased;
                _ = shutdown.changed() => break,
                t = triggers.recv() => match t {
                    Some(t) => pending.push(t),
                    None => break,
                },
                () = tokio::time::sleep_until(retry_due), if retry_at.is_some() => {
                    pending.push(Trigger::new(TriggerKind::Retry));
                }
                () = tokio::time::sleep_until(next_resync) => {
                    pending.push(Trigger::new(TriggerKind::Resync));
                }
            }
        }
        if *shutdown.borrow() {
            break;
        }
        // Everything that is waiting is served by this one run.
        while let Ok(t) = triggers.try_recv() {
            pending.push(t);
        }
        let run = Run::new(std::mem::take(&mut pending));
        let seen = run
            .triggers
            .iter()
            .rev()
            .find_map(|t| t.commit.as_deref())
            .map(|c| c.chars().take(10).collect::<String>())
            .unwrap_or_else(|| "-".into());
        let waited = run
            .triggers
            .iter()
            .map(|t| t.at.elapsed())
            .max()
            .unwrap_or_default();
        info!(
            run = %run.id,
            trigger = %run.kind,
            coalesced = run.triggers.len(),
            commit = %seen,
            waited_ms = waited.as_millis() as u64,
            "reconcile started"
        );
        ctx.status.write().running = true;
        let started_at = SystemTime::now();
        let started = Instant::now();
        let outcome = reconcile(&run, &ctx).await;
        let elapsed = started.elapsed();
        let action = match &outcome {
            Ok(action) => {
                attempts = 0;
                ctx.memory().last_error = None;
                timers.after_success(Instant::now(), action.requeue_after.unwrap_or(resync));
                action.clone()
            }
            Err(e) => {
                attempts += 1;
                let action = error_policy(e, attempts, &ctx);
                let delay = action.requeue_after.unwrap_or_default();
                timers.after_failure(Instant::now(), delay);
                action
            }
        };
        ctx.metrics
            .observe_run(run.kind, action.result, elapsed.as_secs_f64());
        {
            let mut st = ctx.status.write();
            st.running = false;
            if let Ok(a) = &outcome {
                // A standby is ready once it has read the Lease (the elector says so).
                if a.result != RunResult::Standby {
                    st.ready = true;
                }
            } else {
                st.result = Some(RunResult::Failed);
            }
            st.next_resync = Some(rfc3339(wall_time_of(timers.next_resync)));
            st.next_retry = timers.retry_at.map(|at| rfc3339(wall_time_of(at)));
            let commit = st.commit.as_ref().map(|c| c.id.clone());
            st.push_run(RunRecord {
                id: run.id.clone(),
                trigger: run.kind,
                triggers: run.triggers.clone(),
                commit,
                result: action.result,
                started: rfc3339(started_at),
                duration_ms: elapsed.as_millis() as u64,
                summary: action.summary.clone(),
            });
        }
        let commit = ctx
            .status
            .read()
            .commit
            .as_ref()
            .map(|c| c.short_id.clone());
        info!(
            run = %run.id,
            trigger = %run.kind,
            commit = commit.as_deref().unwrap_or("none"),
            result = action.result.as_str(),
            duration_ms = elapsed.as_millis() as u64,
            "reconcile finished: {}",
            action.summary
        );
    }
    if !pending.is_empty() || !triggers.is_empty() {
        info!("shutting down: pending triggers dropped");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::run::git::tests::{TempRepo, queue_yaml};
    use crate::run::status::Status;
    use tenant::FakeTenant;

    fn context(repo: &TempRepo, self_heal: bool) -> Arc<Context<FakeTenant>> {
        let git = GitSource::open(repo.dir.path(), None).unwrap();
        let status = SharedStatus::new(Status::new("main", self_heal));
        let metrics = Arc::new(Metrics::new(
            Arc::new(tenant::ClientStats::default),
            status.clone(),
        ));
        Arc::new(Context::new(
            git,
            FakeTenant::default(),
            status,
            metrics,
            Options {
                self_heal,
                parallelism: 4,
                resync: Duration::from_secs(3600),
                backoff: default_backoff(),
                sim: false,
            },
        ))
    }

    fn wait_of(tenant: &FakeTenant, name: &str) -> Option<u64> {
        tenant.queue_by_name(name)?.max_wait_time.map(u64::from)
    }

    /// A rival admin sets `maxWaitTime` of queue `name`.
    fn rival_sets_wait(tenant: &FakeTenant, name: &str, wait: u32) {
        let id = tenant.queue_by_name(name).unwrap().id.unwrap();
        tenant.edit(&id, |q| q.max_wait_time = Some(wait));
    }

    fn one(kind: TriggerKind) -> Run {
        Run::new(vec![Trigger::new(kind)])
    }

    #[test]
    fn backoff_doubles_up_to_its_cap() {
        let b = Backoff::doubling(Duration::from_millis(500), Duration::from_secs(5));
        let delays: Vec<u64> = (1..=7)
            .map(|a| b.delay(a - 1, 0.0).as_millis() as u64)
            .collect();
        assert_eq!(delays, [500, 1000, 2000, 4000, 5000, 5000, 5000]);
        assert_eq!(b.delay(1000 - 1, 0.0), Duration::from_secs(5));
    }

    #[test]
    fn a_failure_pushes_a_due_resync_past_its_backoff() {
        let start = Instant::now();
        let mut t = Timers {
            next_resync: start,
            retry_at: None,
        };
        // The resync is already due when the run fails: it may not fire before the retry.
        t.after_failure(start + Duration::from_secs(10), Duration::from_secs(4));
        assert_eq!(t.retry_at, Some(start + Duration::from_secs(14)));
        assert_eq!(t.next_resync, start + Duration::from_secs(14));
        // A resync that is further away than the retry stays where it was.
        t.next_resync = start + Duration::from_secs(300);
        t.after_failure(start + Duration::from_secs(20), Duration::from_secs(8));
        assert_eq!(t.next_resync, start + Duration::from_secs(300));
        t.after_success(start + Duration::from_secs(30), Duration::from_secs(60));
        assert_eq!(t.retry_at, None);
        assert_eq!(t.next_resync, start + Duration::from_secs(90));
    }

    #[test]
    fn a_run_counts_under_its_most_specific_trigger() {
        let run = Run::new(vec![
            Trigger::new(TriggerKind::Resync),
            Trigger::new(TriggerKind::Manual),
            Trigger::commit(None),
        ]);
        assert_eq!(run.kind, TriggerKind::Commit);
        assert_eq!(run.id, run.triggers[0].id.to_string());
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn triggers_waiting_for_a_run_are_served_by_one_run_on_the_newest_commit() {
        let repo = TempRepo::new();
        let mut commits = Vec::new();
        for wait in [100, 200, 300] {
            repo.write("queues/a.yaml", &queue_yaml("Alpha", wait));
            commits.push(repo.commit(&format!("wait {wait}")));
        }
        let ctx = context(&repo, true);
        let (tx, rx) = mpsc::unbounded_channel();
        for c in &commits {
            tx.send(Trigger::commit(Some(c.clone()))).unwrap();
        }
        let (stop_tx, stop_rx) = watch::channel(false);
        let task = tokio::spawn(run(ctx.clone(), rx, stop_rx));
        let start = Instant::now();
        while ctx.status.read().last_run.is_none() {
            assert!(start.elapsed() < Duration::from_secs(20), "no run finished");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        stop_tx.send(true).unwrap();
        task.await.unwrap();
        let st = ctx.status.read().clone();
        assert_eq!(st.recent_runs.len(), 1, "{:#?}", st.recent_runs);
        assert_eq!(st.recent_runs[0].triggers.len(), 3);
        assert_eq!(st.recent_runs[0].result, RunResult::Applied);
        assert_eq!(st.last_applied.unwrap().id, commits[2]);
        assert_eq!(wait_of(&ctx.client, "Alpha"), Some(300));
    }

    #[tokio::test]
    async fn while_the_newest_commit_is_invalid_a_resync_holds_the_tenant_to_the_last_good_one() {
        let repo = TempRepo::new();
        repo.write("queues/a.yaml", &queue_yaml("Alpha", 100));
        let good = repo.commit("good");
        let ctx = context(&repo, true);
        let action = reconcile(&one(TriggerKind::Commit), &ctx).await.unwrap();
        assert_eq!(action.result, RunResult::Applied);

        repo.write("queues/a.yaml", &queue_yaml("Alpha", 9999));
        let bad = repo.commit("bad");
        let action = reconcile(&one(TriggerKind::Commit), &ctx).await.unwrap();
        assert_eq!(action.result, RunResult::Invalid);
        assert_eq!(wait_of(&ctx.client, "Alpha"), Some(100));

        rival_sets_wait(&ctx.client, "Alpha", 42);
        let action = reconcile(&one(TriggerKind::Resync), &ctx).await.unwrap();
        assert_eq!(
            action.result,
            RunResult::Invalid,
            "the newest commit is still invalid"
        );
        assert_eq!(
            wait_of(&ctx.client, "Alpha"),
            Some(100),
            "drift set back to the last good commit"
        );
        let st = ctx.status.read().clone();
        assert_eq!(st.commit.unwrap().id, bad);
        assert_eq!(st.last_applied.unwrap().id, good);
        assert!(st.errors.iter().any(|e| e.rule.as_deref() == Some("range")));
        assert_eq!(st.queues["Alpha"].state, QueueState::InSync);
    }

    #[tokio::test]
    async fn status_shows_each_queues_last_change_and_who_changed_it_last() {
        let repo = TempRepo::new();
        repo.write("queues/a.yaml", &queue_yaml("Alpha", 100));
        repo.commit("first");
        let ctx = context(&repo, false);
        reconcile(&one(TriggerKind::Commit), &ctx).await.unwrap();
        repo.write("queues/a.yaml", &queue_yaml("Alpha", 240));
        repo.commit("wait 240");
        let action = reconcile(&one(TriggerKind::Commit), &ctx).await.unwrap();
        assert_eq!(action.result, RunResult::Applied);
        let alpha = ctx.status.read().queues["Alpha"].clone();
        assert_eq!(
            alpha.last_change,
            [reconcile::FieldChange {
                path: "maxWaitTime".into(),
                before: serde_json::json!(100),
                after: serde_json::json!(240),
            }]
        );
        let ours = alpha.modified_by.clone();
        assert!(ours.is_some(), "the tenant names the writer: {alpha:?}");
        let doc = serde_json::to_value(&alpha).unwrap();
        assert_eq!(doc["lastChange"][0]["path"], "maxWaitTime");
        assert_eq!(doc["modifiedBy"], serde_json::json!(ours));

        rival_sets_wait(&ctx.client, "Alpha", 42);
        let action = reconcile(&one(TriggerKind::Resync), &ctx).await.unwrap();
        assert_eq!(action.result, RunResult::Drifted);
        let alpha = ctx.status.read().queues["Alpha"].clone();
        assert_eq!(alpha.modified_by.as_deref(), Some("rival"));
        assert_eq!(
            alpha.last_change[0].after,
            serde_json::json!(240),
            "kept: {alpha:?}"
        );
    }

    #[tokio::test]
    async fn removing_a_file_deletes_nothing() {
        let repo = TempRepo::new();
        repo.write("queues/a.yaml", &queue_yaml("Alpha", 100));
        repo.write("queues/b.yaml", &queue_yaml("Beta", 200));
        repo.commit("two");
        let ctx = context(&repo, true);
        reconcile(&one(TriggerKind::Commit), &ctx).await.unwrap();
        let writes = ctx.client.writes();
        std::fs::remove_file(repo.dir.path().join("queues/b.yaml")).unwrap();
        repo.commit("one");
        let action = reconcile(&one(TriggerKind::Commit), &ctx).await.unwrap();
        assert_eq!(action.result, RunResult::InSync);
        assert_eq!(wait_of(&ctx.client, "Beta"), Some(200));
        let st = ctx.status.read().clone();
        assert!(!st.queues.contains_key("Beta"), "no longer managed");
        assert_eq!(ctx.client.writes(), writes, "no delete, no write");
    }

    #[tokio::test]
    async fn a_tenant_error_fails_the_run_and_the_error_policy_backs_off() {
        let repo = TempRepo::new();
        repo.write("queues/a.yaml", &queue_yaml("Alpha", 100));
        repo.commit("one");
        let ctx = context(&repo, true);
        ctx.client.set_down(true);
        let err = reconcile(&one(TriggerKind::Commit), &ctx)
            .await
            .expect_err("the tenant is down");
        assert!(matches!(err, Error::Tenant(_)), "{err}");
        let first = error_policy(&err, 1, &ctx).requeue_after.unwrap();
        let second = error_policy(&err, 2, &ctx).requeue_after.unwrap();
        assert!(second > first);
        assert!(!ctx.status.read().errors.is_empty());
        assert!(ctx.client.queue_by_name("Alpha").is_none());
    }

    #[tokio::test]
    async fn a_refused_write_fails_the_run_names_the_queue_and_keeps_the_commit_unapplied() {
        let repo = TempRepo::new();
        repo.write("queues/a.yaml", &queue_yaml("Alpha", 100));
        repo.write("queues/b.yaml", &queue_yaml("Beta", 200));
        repo.commit("two");
        let ctx = context(&repo, true);
        ctx.client.refuse_writes_to("Beta");
        let err = reconcile(&one(TriggerKind::Commit), &ctx)
            .await
            .expect_err("Beta is refused");
        let Error::Incomplete {
            failed,
            total,
            first,
        } = &err
        else {
            panic!("not an incomplete apply: {err}");
        };
        assert_eq!((*failed, *total), (1, 2));
        assert!(first.starts_with("Beta: the tenant rejected"), "{first}");
        let st = ctx.status.read().clone();
        assert_eq!(st.queues["Alpha"].state, QueueState::InSync);
        assert_eq!(st.queues["Beta"].state, QueueState::Failed);
        assert!(
            st.queues["Beta"]
                .last_error
                .as_deref()
                .unwrap()
                .contains("refused")
        );
        assert!(
            st.last_applied.is_none(),
            "the commit is not applied in whole"
        );
        assert!(st.errors.iter().any(|e| e.message.starts_with("Beta: ")));
        assert_eq!(wait_of(&ctx.client, "Alpha"), Some(100));
    }

    #[tokio::test]
    async fn a_check_against_the_tenant_that_fails_writes_nothing_and_says_invalid() {
        let repo = TempRepo::new();
        repo.write(
            "queues/a.yaml",
            "apiVersion: cxqueues/v1\nkind: Queue\nmetadata:\n  name: Alpha\nspec:\n  skillRequirements:\n    - {skill: language:fr, proficiency: expert}\n",
        );
        repo.commit("an unknown skill");
        let ctx = context(&repo, true);
        let action = reconcile(&one(TriggerKind::Commit), &ctx).await.unwrap();
        assert_eq!(action.result, RunResult::Invalid);
        assert!(
            action.summary.contains("fails 1 check against the tenant"),
            "{}",
            action.summary
        );
        let st = ctx.status.read().clone();
        assert_eq!(st.result, Some(RunResult::Invalid));
        assert!(
            st.errors
                .iter()
                .any(|e| e.rule.as_deref() == Some("unknown-skill")),
            "{:?}",
            st.errors
        );
        assert_eq!(ctx.client.writes(), 0);
    }

    #[tokio::test]
    async fn an_unreadable_managed_queue_is_an_error_and_the_others_are_applied() {
        let repo = TempRepo::new();
        repo.write("queues/a.yaml", &queue_yaml("Alpha", 100));
        repo.write("queues/b.yaml", &queue_yaml("Broken", 100));
        repo.commit("two");
        let ctx = context(&repo, true);
        ctx.client.insert_unreadable(tenant::Unreadable {
            id: Some("00000000-0000-4000-8000-00000000beef".into()),
            name: "Broken".into(),
            problem: "maxWaiters is -5".into(),
        });
        let action = reconcile(&one(TriggerKind::Commit), &ctx).await.unwrap();
        assert_eq!(action.result, RunResult::Applied);
        let st = ctx.status.read().clone();
        assert!(
            st.errors.iter().any(|e| e.message.contains("\"Broken\"")),
            "{:?}",
            st.errors
        );
        assert_eq!(wait_of(&ctx.client, "Alpha"), Some(100));
        assert!(
            ctx.client.queue_by_name("Broken").is_none(),
            "no second queue of that name"
        );
    }

    /// A run whose pipeline ended in `outcome`, for the states the pipeline does not reach yet.
    async fn concluded(outcome: RunOutcome) -> (Result<Action, Error>, Status) {
        let repo = TempRepo::new();
        repo.write("queues/a.yaml", &queue_yaml("Alpha", 100));
        repo.commit("one");
        let ctx = context(&repo, true);
        let head = newest(&ctx).await.unwrap().unwrap();
        let round = Round::Ran {
            head: head.clone(),
            desired: head,
            outcome: Ok(outcome),
        };
        let action = conclude(&ctx, round);
        let st = ctx.status.read().clone();
        (action, st)
    }

    #[tokio::test]
    async fn a_held_or_standby_run_writes_nothing_and_says_why_in_the_status() {
        let (action, st) = concluded(RunOutcome::Held {
            window: "weekdays".into(),
            until: "2026-12-07T08:00:00Z".into(),
            planned: Box::new(pipeline::Planned {
                observed: reconcile::Observed::default(),
                plan: reconcile::Plan::default(),
                refused: Vec::new(),
                replanned: Vec::new(),
                gated: Some(reconcile::Gated::default()),
            }),
        })
        .await;
        let action = action.unwrap();
        assert_eq!(action.result, RunResult::Held);
        assert!(
            action.summary.contains("until 2026-12-07T08:00:00Z"),
            "{}",
            action.summary
        );
        assert_eq!(st.result, Some(RunResult::Held));
        assert!(st.last_applied.is_none());

        let (action, st) = concluded(RunOutcome::Standby {
            leader: "replica-2".into(),
        })
        .await;
        let action = action.unwrap();
        assert_eq!(action.result, RunResult::Standby);
        assert!(action.summary.contains("replica-2"), "{}", action.summary);
        assert_eq!(st.result, Some(RunResult::Standby));
    }
}
