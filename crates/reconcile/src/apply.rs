//! Apply a [`Plan`] to a tenant through the [`Tenant`] trait, under optimistic locking.
//!
//! Creates and updates run first, overflow targets before the queues that point at them,
//! up to `parallelism` at a time; deletes run last. An update PUTs the whole tenant object
//! with the declared fields changed and `If-Match` its version. On a 409 it re-reads the
//! queue, re-applies only the declared fields onto the fresh object (so a concurrent edit
//! of any other field survives) and retries with backoff. A failed queue never stops the
//! others: the queues that depend on it are skipped, with the reason.

use std::collections::{HashMap, VecDeque};
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures::StreamExt;
use futures::stream::FuturesUnordered;
use serde::Serialize;
use tenant::{Backoff, Jitter, Queue, Tenant, TenantError, UpdateMode, WriteMode};

use crate::desired::TargetRef;
use crate::order::Schedule;
use crate::plan::{Action, Change, FieldChange, Observed, Op, Plan};

/// How apply waits between conflict retries: the caller's timer (the runner passes tokio's,
/// so paused test clocks apply). The default is a plain timer thread.
pub type Sleep = Arc<dyn Fn(Duration) -> Pin<Box<dyn Future<Output = ()> + Send>> + Send + Sync>;

fn default_sleep() -> Sleep {
    Arc::new(|d| Box::pin(futures_timer::Delay::new(d)))
}

/// How to apply.
#[derive(Clone)]
pub struct ApplyOptions {
    /// Writes in flight at once (default 8). The client's rate limit still holds.
    pub parallelism: usize,
    /// Re-read-and-retry rounds after 409 conflicts, per queue (default 5).
    pub max_conflict_retries: u32,
    /// The first backoff after a conflict; doubled each round, with jitter (default 100 ms).
    pub conflict_backoff: Duration,
    /// Told about each queue as it finishes (audit, webhooks, progress bars), in order.
    pub observers: Vec<Arc<dyn ApplyObserver>>,
    /// How to wait between conflict retries.
    pub sleep: Sleep,
}

impl Default for ApplyOptions {
    fn default() -> Self {
        Self {
            parallelism: 8,
            max_conflict_retries: 5,
            conflict_backoff: Duration::from_millis(100),
            observers: Vec::new(),
            sleep: default_sleep(),
        }
    }
}

impl std::fmt::Debug for ApplyOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApplyOptions")
            .field("parallelism", &self.parallelism)
            .field("max_conflict_retries", &self.max_conflict_retries)
            .field("conflict_backoff", &self.conflict_backoff)
            .field("observers", &self.observers.len())
            .finish()
    }
}

/// Hears about apply as it goes. Called from the applying task, right after each queue is
/// finished and before that task sends anything else.
pub trait ApplyObserver: Send + Sync {
    /// Right before the first request of a queue's write (never for a skipped queue): the
    /// place to record the intent durably, so that a process killed mid-write leaves a trace.
    fn on_start(&self, _change: &Change) {}
    /// Right after [`ApplyObserver::on_start`]: whether the queue's write may be sent. An
    /// observer that records each write's intent refuses (with the reason) a write whose
    /// intent it could not make durable: that write is not sent, and fails with the reason.
    fn may_send(&self, _change: &Change) -> Result<(), String> {
        Ok(())
    }
    fn on_outcome(&self, outcome: &QueueOutcome);
}

/// The kind of a [`QueueResult`], for counting and comparing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Applied,
    Failed,
    Skipped,
}

/// A declared field that someone else changed between our read and our write, and that
/// our write set back to the repository's value.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Override {
    pub field: String,
    pub by: Option<String>,
}

/// Why a queue was not written at all.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SkipReason {
    /// It waits on `queue` (an overflow target or an `after` entry), which was not applied.
    DependsOn {
        queue: String,
        /// `true` when `queue` failed, `false` when it was skipped too.
        failed: bool,
    },
    /// Its dependencies form a cycle through `after` (a hand-edited saved plan).
    Cycle,
    /// An observer would not let the write go out ([`ApplyObserver::may_send`]): its intent
    /// could not be recorded, for one.
    NotSent { reason: String },
}

impl std::fmt::Display for SkipReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The status is said once, by whoever prints the outcome: the reason alone.
        match self {
            SkipReason::DependsOn {
                queue,
                failed: true,
            } => write!(f, "depends on {queue:?}, which failed"),
            SkipReason::DependsOn {
                queue,
                failed: false,
            } => write!(f, "depends on {queue:?}, which was skipped too"),
            SkipReason::Cycle => {
                f.write_str("its dependencies form a cycle through `after` in the plan")
            }
            SkipReason::NotSent { reason } => write!(f, "not sent: {reason}"),
        }
    }
}

/// What became of one queue's change: written, refused by the tenant, or never tried.
// Most results are applied writes: boxing the written queue would allocate for each of them.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug)]
pub enum QueueResult {
    Applied {
        /// The tenant's version after the write (platforms with versions).
        version_after: Option<u64>,
        /// The object as the tenant holds it after the write (creates and updates).
        written: Option<Queue>,
    },
    Failed(TenantError),
    Skipped {
        reason: SkipReason,
    },
}

impl QueueResult {
    pub fn status(&self) -> Status {
        match self {
            QueueResult::Applied { .. } => Status::Applied,
            QueueResult::Failed(_) => Status::Failed,
            QueueResult::Skipped { .. } => Status::Skipped,
        }
    }
}

/// What happened to one queue.
#[derive(Clone, Debug)]
pub struct QueueOutcome {
    pub name: String,
    pub id: Option<String>,
    pub action: Action,
    pub version_before: Option<u64>,
    /// 409s met and retried.
    pub conflicts: u32,
    pub overridden: Vec<Override>,
    pub latency: Duration,
    pub fields: Vec<FieldChange>,
    pub result: QueueResult,
}

impl QueueOutcome {
    pub fn status(&self) -> Status {
        self.result.status()
    }

    pub fn is_applied(&self) -> bool {
        matches!(self.result, QueueResult::Applied { .. })
    }

    /// The tenant's version after the write (none unless applied).
    pub fn version_after(&self) -> Option<u64> {
        match &self.result {
            QueueResult::Applied { version_after, .. } => *version_after,
            _ => None,
        }
    }

    /// The object as the tenant holds it after the write (none unless applied).
    pub fn written(&self) -> Option<&Queue> {
        match &self.result {
            QueueResult::Applied { written, .. } => written.as_ref(),
            _ => None,
        }
    }

    /// Why the queue was not reconciled, in words (none when it was applied).
    pub fn reason(&self) -> Option<String> {
        match &self.result {
            QueueResult::Applied { .. } => None,
            QueueResult::Failed(e) => Some(e.to_string()),
            QueueResult::Skipped { reason } => Some(reason.to_string()),
        }
    }
}

/// Every queue's outcome, in the order they finished, and the wall time.
#[derive(Clone, Debug, Default)]
pub struct ApplyReport {
    pub outcomes: Vec<QueueOutcome>,
    pub wall: Duration,
    /// What a tombstone did on the platform (the word the summary uses).
    pub deletes: tenant::DeleteMode,
}

impl ApplyReport {
    fn count(&self, action: Action) -> usize {
        self.outcomes
            .iter()
            .filter(|o| o.action == action && o.is_applied())
            .count()
    }
    pub fn created(&self) -> usize {
        self.count(Action::Create)
    }
    pub fn updated(&self) -> usize {
        self.count(Action::Update)
    }
    pub fn deleted(&self) -> usize {
        self.count(Action::Delete)
    }
    pub fn conflicts_retried(&self) -> u32 {
        self.outcomes.iter().map(|o| o.conflicts).sum()
    }
    /// Failed and skipped queues.
    pub fn not_reconciled(&self) -> impl Iterator<Item = &QueueOutcome> {
        self.outcomes.iter().filter(|o| !o.is_applied())
    }
    pub fn is_complete(&self) -> bool {
        self.not_reconciled().next().is_none()
    }
    /// `created 1, updated 3, deleted 0, conflicts retried 2, failed 0 in 1.2s`
    pub fn summary_line(&self) -> String {
        self.summary_refusing(0)
    }

    /// [`ApplyReport::summary_line`], counting also `refused` changes of a saved plan that
    /// were not applied (`…, 1 failed, 2 refused, in …`; left out when none).
    pub fn summary_refusing(&self, refused: usize) -> String {
        let refused = if refused > 0 {
            format!(", {refused} refused")
        } else {
            String::new()
        };
        format!(
            "Apply complete: {} created, {} updated, {} {}, {} conflicts retried, {} failed{refused}, in {:.2?}.",
            self.created(),
            self.updated(),
            self.deleted(),
            self.deletes.done(),
            self.conflicts_retried(),
            self.not_reconciled().count(),
            self.wall
        )
    }
}

struct Ctx<'a, T> {
    tenant: &'a T,
    opts: &'a ApplyOptions,
    objects: HashMap<&'a str, &'a Queue>,
    ids: Mutex<HashMap<String, String>>,
}

impl<T> Ctx<'_, T> {
    fn resolve(&self, t: &TargetRef) -> Option<String> {
        match t {
            TargetRef::Id(id) => Some(id.clone()),
            TargetRef::Name(n) => self.ids.lock().expect("ids lock").get(n).cloned(),
        }
    }
}

/// Applies `plan`, planned against `observed` (whose objects are the bases of the updates).
pub async fn apply<T: Tenant>(
    tenant: &T,
    plan: &Plan,
    observed: &Observed,
    opts: &ApplyOptions,
) -> ApplyReport {
    let start = Instant::now();
    let mut ids: HashMap<String, String> = HashMap::new();
    for q in &observed.queues {
        if let Some(id) = &q.id {
            ids.entry(q.name.clone()).or_insert_with(|| id.clone());
        }
    }
    for (name, id) in &plan.ids {
        ids.insert(name.clone(), id.clone());
    }
    let ctx = Ctx {
        tenant,
        opts,
        objects: observed
            .queues
            .iter()
            .filter_map(|q| q.id.as_deref().map(|id| (id, q)))
            .collect(),
        ids: Mutex::new(ids),
    };
    let mut report = ApplyReport {
        deletes: tenant.capabilities().deletes,
        ..ApplyReport::default()
    };
    let mut failed: HashMap<String, Status> = HashMap::new();
    for deletes in [false, true] {
        let phase: Vec<&Change> = plan
            .changes
            .iter()
            .filter(|c| (c.action() == Action::Delete) == deletes)
            .collect();
        run_phase(&ctx, &phase, &mut failed, &mut report).await;
    }
    report.wall = start.elapsed();
    report
}

async fn run_phase<T: Tenant>(
    ctx: &Ctx<'_, T>,
    phase: &[&Change],
    failed: &mut HashMap<String, Status>,
    report: &mut ApplyReport,
) {
    let index: HashMap<&str, usize> = phase
        .iter()
        .enumerate()
        .map(|(i, c)| (c.name.as_str(), i))
        .collect();
    let deps = phase.iter().enumerate().flat_map(|(i, c)| {
        c.after
            .iter()
            .filter_map(|dep| index.get(dep.as_str()))
            .map(move |&j| (i, j))
            .collect::<Vec<_>>()
    });
    let mut schedule = Schedule::new(phase.len(), deps);
    let mut ready: VecDeque<usize> = schedule.ready().into();
    let mut in_flight = FuturesUnordered::new();
    let parallelism = ctx.opts.parallelism.max(1);
    loop {
        while in_flight.len() < parallelism
            && let Some(i) = ready.pop_front()
        {
            let c = phase[i];
            let blocked = c
                .after
                .iter()
                .chain(c.desired.target_name().map(str::to_string).iter())
                .find_map(|d| failed.get(d).map(|status| (d.clone(), *status)));
            if let Some((queue, dep_status)) = blocked {
                let reason = SkipReason::DependsOn {
                    queue,
                    failed: dep_status == Status::Failed,
                };
                let o = outcome_of(c, QueueResult::Skipped { reason });
                finish(ctx, o, failed, report);
                ready.extend(schedule.finish(i));
                continue;
            }
            for obs in &ctx.opts.observers {
                obs.on_start(c);
            }
            let refused = ctx.opts.observers.iter().find_map(|o| o.may_send(c).err());
            if let Some(reason) = refused {
                let reason = SkipReason::NotSent { reason };
                let o = outcome_of(c, QueueResult::Skipped { reason });
                finish(ctx, o, failed, report);
                ready.extend(schedule.finish(i));
                continue;
            }
            in_flight.push(async move { (i, run_change(ctx, c).await) });
        }
        let Some((i, o)) = in_flight.next().await else {
            break;
        };
        finish(ctx, o, failed, report);
        ready.extend(schedule.finish(i));
    }
    // What never became ready waits on itself (a cycle among `after`, possible only in a
    // hand-edited saved plan): every change gets an outcome, these a skip.
    for i in schedule.still_waiting().collect::<Vec<_>>() {
        {
            let c = phase[i];
            let o = outcome_of(
                c,
                QueueResult::Skipped {
                    reason: SkipReason::Cycle,
                },
            );
            finish(ctx, o, failed, report);
        }
    }
}

fn finish<T>(
    ctx: &Ctx<'_, T>,
    o: QueueOutcome,
    failed: &mut HashMap<String, Status>,
    report: &mut ApplyReport,
) {
    if !o.is_applied() {
        failed.insert(o.name.clone(), o.status());
    }
    for obs in &ctx.opts.observers {
        obs.on_outcome(&o);
    }
    report.outcomes.push(o);
}

fn outcome_of(c: &Change, result: QueueResult) -> QueueOutcome {
    QueueOutcome {
        name: c.name.clone(),
        id: c.id().map(str::to_string),
        action: c.action(),
        version_before: c.version(),
        conflicts: 0,
        overridden: Vec::new(),
        latency: Duration::ZERO,
        fields: c.fields.clone(),
        result,
    }
}

async fn run_change<T: Tenant>(ctx: &Ctx<'_, T>, c: &Change) -> QueueOutcome {
    let start = Instant::now();
    let mut o = outcome_of(
        c,
        QueueResult::Applied {
            version_after: None,
            written: None,
        },
    );
    let result = match &c.op {
        Op::Create => create(ctx, c).await,
        Op::Update { id, .. } => update(ctx, c, id, &mut o).await,
        Op::Delete { id, .. } => delete(ctx, c, id, &mut o).await,
    };
    o.result = match result {
        Ok(written) => {
            if let Some(q) = &written {
                o.id = q.id.clone();
            }
            QueueResult::Applied {
                version_after: written.as_ref().and_then(|q| q.version),
                written,
            }
        }
        Err(e) => QueueResult::Failed(e),
    };
    o.latency = start.elapsed();
    o
}

async fn create<T: Tenant>(ctx: &Ctx<'_, T>, c: &Change) -> Result<Option<Queue>, TenantError> {
    let body = c
        .desired
        .apply_onto(&Queue::named(&c.name), &|t| ctx.resolve(t));
    let q = ctx.tenant.create_queue(&body).await?;
    if let Some(id) = &q.id {
        ctx.ids
            .lock()
            .expect("ids lock")
            .insert(c.name.clone(), id.clone());
    }
    Ok(Some(q))
}

/// The requests `apply` sends for `plan` on a platform of `caps`, conflicts aside: one write
/// per change, and the read before each update where the platform needs one (a
/// whole-object write with no version). Pure, for the plan's cost estimate.
pub fn requests(plan: &crate::Plan, caps: &tenant::Capabilities) -> usize {
    let reads = if read_before_write(caps) {
        plan.changes
            .iter()
            .filter(|c| c.action() == crate::Action::Update)
            .count()
    } else {
        0
    };
    plan.changes.len() + reads
}

/// Whether an update must read the queue first: a whole-object write with no version.
fn read_before_write(caps: &tenant::Capabilities) -> bool {
    caps.writes == WriteMode::LastWriterWins && caps.updates == UpdateMode::Replace
}

/// Records the declared fields that changed between `base` and `fresh`: someone else's edit
/// that our write overrides (git is the source of truth). A change whose author is this
/// client itself (`me`: a write of ours whose answer was lost, say) is nobody's to override.
fn note_overrides(c: &Change, base: &Queue, fresh: &Queue, me: Option<&str>, o: &mut QueueOutcome) {
    if me.is_some() && fresh.modified_by() == me {
        return;
    }
    for field in c.desired.concurrently_changed(base, fresh) {
        let by = fresh.modified_by().map(str::to_string);
        o.overridden.retain(|x| x.field != field);
        o.overridden.push(Override { field, by });
    }
}

/// Doubling from `conflict_backoff`, between half and the whole step, so that two writers
/// part ways.
async fn pause(opts: &ApplyOptions, round: u32) {
    let policy = Backoff::doubling(
        opts.conflict_backoff,
        opts.conflict_backoff.saturating_mul(64),
    )
    .with_jitter(Jitter::Equal);
    (opts.sleep)(policy.delay(round, rand::random::<f64>())).await;
}

async fn update<T: Tenant>(
    ctx: &Ctx<'_, T>,
    c: &Change,
    id: &str,
    o: &mut QueueOutcome,
) -> Result<Option<Queue>, TenantError> {
    let caps = ctx.tenant.capabilities();
    let snapshot = ctx.objects.get(id).map(|q| (*q).clone());
    let mut base = match &snapshot {
        // Without versions, a whole-object write is based on a fresh read, so that the window
        // in which a rival edit can be lost is this read-write round trip and no longer.
        Some(q) if !read_before_write(caps) => q.clone(),
        _ => ctx.tenant.get_queue(id).await?,
    };
    if let Some(then) = &snapshot
        && read_before_write(caps)
    {
        note_overrides(c, then, &base, ctx.tenant.actor(), o);
    }
    let mut version = match caps.writes {
        WriteMode::Conditional => c.version().or(base.version),
        WriteMode::LastWriterWins => None,
    };
    let mut round = 0;
    loop {
        let body = c.desired.apply_onto(&base, &|t| ctx.resolve(t));
        match ctx.tenant.update_queue(id, &base, &body, version).await {
            Ok(q) => return Ok(Some(q)),
            Err(TenantError::Conflict { .. }) if round < ctx.opts.max_conflict_retries => {
                o.conflicts += 1;
                pause(ctx.opts, round).await;
                round += 1;
                let fresh = ctx.tenant.get_queue(id).await?;
                note_overrides(c, &base, &fresh, ctx.tenant.actor(), o);
                version = fresh.version;
                base = fresh;
            }
            Err(e) => return Err(e),
        }
    }
}

async fn delete<T: Tenant>(
    ctx: &Ctx<'_, T>,
    c: &Change,
    id: &str,
    o: &mut QueueOutcome,
) -> Result<Option<Queue>, TenantError> {
    let mut version = c.version();
    let mut round = 0;
    loop {
        match ctx.tenant.delete_queue(id, version).await {
            Ok(()) | Err(TenantError::NotFound { .. }) => return Ok(None),
            Err(TenantError::Conflict { .. }) if round < ctx.opts.max_conflict_retries => {
                o.conflicts += 1;
                pause(ctx.opts, round).await;
                round += 1;
                version = ctx.tenant.get_queue(id).await?.version;
            }
            Err(e) => return Err(e),
        }
    }
}
