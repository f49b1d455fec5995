//! Apply a [`Plan`] to a tenant through the [`Tenant`] trait, under optimistic locking.
//!
//! Creates and updates run first, overflow targets before the queues that point at them,
//! up to `parallelism` at a time; deletes run last. An update PUTs the whole tenant object
//! with the declared fields changed and `If-Match` its version. On a 409 it re-reads the
//! queue, re-applies only the declared fields onto the fresh object (so a concurrent edit
//! of any other field survives) and retries with backoff. A failed queue never stops the
//! others: the queues that depend on it are skipped, with the reason.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use cxone::{ApiError, RemoteQueue, Tenant};
use futures::StreamExt;
use futures::stream::FuturesUnordered;
use serde::Serialize;
use tokio::time::Instant;

use crate::desired::TargetRef;
use crate::plan::{Action, Change, FieldChange, Observed, Plan};

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
}

impl Default for ApplyOptions {
    fn default() -> Self {
        Self {
            parallelism: 8,
            max_conflict_retries: 5,
            conflict_backoff: Duration::from_millis(100),
            observers: Vec::new(),
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
    fn on_outcome(&self, outcome: &QueueOutcome);
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
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

/// What happened to one queue.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct QueueOutcome {
    pub name: String,
    pub id: Option<String>,
    pub action: Action,
    pub status: Status,
    pub version_before: Option<u64>,
    pub version_after: Option<u64>,
    /// 409s met and retried.
    pub conflicts: u32,
    pub overridden: Vec<Override>,
    pub error: Option<String>,
    #[serde(serialize_with = "ser_ms")]
    pub latency: Duration,
    pub fields: Vec<FieldChange>,
    /// The object as the tenant holds it after the write (creates and updates).
    #[serde(skip)]
    pub written: Option<RemoteQueue>,
}

fn ser_ms<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_u64(d.as_millis() as u64)
}

/// Every queue's outcome, in the order they finished, and the wall time.
#[derive(Clone, Debug, Default, Serialize)]
pub struct ApplyReport {
    pub outcomes: Vec<QueueOutcome>,
    #[serde(serialize_with = "ser_ms")]
    pub wall: Duration,
}

impl ApplyReport {
    fn count(&self, action: Action) -> usize {
        self.outcomes
            .iter()
            .filter(|o| o.action == action && o.status == Status::Applied)
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
        self.outcomes.iter().filter(|o| o.status != Status::Applied)
    }
    pub fn is_complete(&self) -> bool {
        self.not_reconciled().next().is_none()
    }
    /// `created 1, updated 3, deleted 0, conflicts retried 2, failed 0 in 1.2s`
    pub fn summary_line(&self) -> String {
        format!(
            "Apply complete: {} created, {} updated, {} deleted, {} conflicts retried, {} failed, in {:.2?}.",
            self.created(),
            self.updated(),
            self.deleted(),
            self.conflicts_retried(),
            self.not_reconciled().count(),
            self.wall
        )
    }
}

struct Ctx<'a, T> {
    tenant: &'a T,
    opts: &'a ApplyOptions,
    objects: HashMap<&'a str, &'a RemoteQueue>,
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
    let mut report = ApplyReport::default();
    let mut failed: HashMap<String, String> = HashMap::new();
    for deletes in [false, true] {
        let phase: Vec<&Change> = plan
            .changes
            .iter()
            .filter(|c| (c.action == Action::Delete) == deletes)
            .collect();
        run_phase(&ctx, &phase, &mut failed, &mut report).await;
    }
    report.wall = start.elapsed();
    report
}

async fn run_phase<T: Tenant>(
    ctx: &Ctx<'_, T>,
    phase: &[&Change],
    failed: &mut HashMap<String, String>,
    report: &mut ApplyReport,
) {
    let index: HashMap<&str, usize> = phase
        .iter()
        .enumerate()
        .map(|(i, c)| (c.name.as_str(), i))
        .collect();
    let mut indeg = vec![0usize; phase.len()];
    let mut users: Vec<Vec<usize>> = vec![Vec::new(); phase.len()];
    for (i, c) in phase.iter().enumerate() {
        for dep in &c.after {
            if let Some(&j) = index.get(dep.as_str()) {
                indeg[i] += 1;
                users[j].push(i);
            }
        }
    }
    let mut ready: VecDeque<usize> = (0..phase.len()).filter(|&i| indeg[i] == 0).collect();
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
                .find_map(|d| failed.get(d).map(|why| (d.clone(), why.clone())));
            if let Some((dep, _)) = blocked {
                let o = outcome_of(
                    c,
                    Status::Skipped,
                    Some(format!(
                        "skipped: depends on {dep:?}, which was not reconciled"
                    )),
                );
                finish(ctx, o, failed, report);
                release(i, &users, &mut indeg, &mut ready);
                continue;
            }
            in_flight.push(async move { (i, run_change(ctx, c).await) });
        }
        let Some((i, o)) = in_flight.next().await else {
            break;
        };
        finish(ctx, o, failed, report);
        release(i, &users, &mut indeg, &mut ready);
    }
    // What never became ready waits on itself (a cycle among `after`, possible only in a
    // hand-edited saved plan): every change gets an outcome, these a skip.
    for (i, c) in phase.iter().enumerate() {
        if indeg[i] > 0 {
            let o = outcome_of(
                c,
                Status::Skipped,
                Some("skipped: its dependencies form a cycle (`after` in the plan)".into()),
            );
            finish(ctx, o, failed, report);
        }
    }
}

fn release(i: usize, users: &[Vec<usize>], indeg: &mut [usize], ready: &mut VecDeque<usize>) {
    for &u in &users[i] {
        indeg[u] -= 1;
        if indeg[u] == 0 {
            ready.push_back(u);
        }
    }
}

fn finish<T>(
    ctx: &Ctx<'_, T>,
    o: QueueOutcome,
    failed: &mut HashMap<String, String>,
    report: &mut ApplyReport,
) {
    if o.status != Status::Applied {
        failed.insert(o.name.clone(), o.error.clone().unwrap_or_default());
    }
    for obs in &ctx.opts.observers {
        obs.on_outcome(&o);
    }
    report.outcomes.push(o);
}

fn outcome_of(c: &Change, status: Status, error: Option<String>) -> QueueOutcome {
    QueueOutcome {
        name: c.name.clone(),
        id: c.id.clone(),
        action: c.action,
        status,
        version_before: c.version,
        version_after: None,
        conflicts: 0,
        overridden: Vec::new(),
        error,
        latency: Duration::ZERO,
        fields: c.fields.clone(),
        written: None,
    }
}

async fn run_change<T: Tenant>(ctx: &Ctx<'_, T>, c: &Change) -> QueueOutcome {
    let start = Instant::now();
    let mut o = outcome_of(c, Status::Applied, None);
    let result = match c.action {
        Action::Create => create(ctx, c).await,
        Action::Update => update(ctx, c, &mut o).await,
        Action::Delete => delete(ctx, c, &mut o).await,
    };
    match result {
        Ok(written) => {
            o.version_after = written.as_ref().and_then(|q| q.version);
            if let Some(q) = &written {
                o.id = q.id.clone();
            }
            o.written = written;
        }
        Err(e) => {
            o.status = Status::Failed;
            o.error = Some(e.to_string());
        }
    }
    o.latency = start.elapsed();
    o
}

async fn create<T: Tenant>(ctx: &Ctx<'_, T>, c: &Change) -> Result<Option<RemoteQueue>, ApiError> {
    let body = c
        .desired
        .apply_onto(&RemoteQueue::named(&c.name), &|t| ctx.resolve(t));
    let q = ctx.tenant.create_queue(&body).await?;
    if let Some(id) = &q.id {
        ctx.ids
            .lock()
            .expect("ids lock")
            .insert(c.name.clone(), id.clone());
    }
    Ok(Some(q))
}

fn backoff(opts: &ApplyOptions, round: u32) -> Duration {
    let base = opts.conflict_backoff.saturating_mul(1 << round.min(6));
    // Full jitter, between half and the whole step, so that two writers part ways.
    let frac = 0.5 + rand::random::<f64>() * 0.5;
    base.mul_f64(frac)
}

async fn update<T: Tenant>(
    ctx: &Ctx<'_, T>,
    c: &Change,
    o: &mut QueueOutcome,
) -> Result<Option<RemoteQueue>, ApiError> {
    let id = c.id.as_deref().unwrap_or_default();
    let mut base = match ctx.objects.get(id) {
        Some(q) => (*q).clone(),
        None => ctx.tenant.get_queue(id).await?,
    };
    let mut version = c.version.or(base.version).unwrap_or_default();
    let mut round = 0;
    loop {
        let body = c.desired.apply_onto(&base, &|t| ctx.resolve(t));
        match ctx.tenant.update_queue(&body, version).await {
            Ok(q) => return Ok(Some(q)),
            Err(ApiError::Conflict { .. }) if round < ctx.opts.max_conflict_retries => {
                o.conflicts += 1;
                tokio::time::sleep(backoff(ctx.opts, round)).await;
                round += 1;
                let fresh = ctx.tenant.get_queue(id).await?;
                for field in c.desired.concurrently_changed(&base, &fresh) {
                    let by = fresh.modified_by().map(str::to_string);
                    o.overridden.retain(|x| x.field != field);
                    o.overridden.push(Override {
                        field: field.to_string(),
                        by,
                    });
                }
                version = fresh.version.unwrap_or_default();
                base = fresh;
            }
            Err(e) => return Err(e),
        }
    }
}

async fn delete<T: Tenant>(
    ctx: &Ctx<'_, T>,
    c: &Change,
    o: &mut QueueOutcome,
) -> Result<Option<RemoteQueue>, ApiError> {
    let id = c.id.as_deref().unwrap_or_default();
    let mut version = c.version.unwrap_or_default();
    let mut round = 0;
    loop {
        match ctx.tenant.delete_queue(id, version).await {
            Ok(()) | Err(ApiError::NotFound { .. }) => return Ok(None),
            Err(ApiError::Conflict { .. }) if round < ctx.opts.max_conflict_retries => {
                o.conflicts += 1;
                tokio::time::sleep(backoff(ctx.opts, round)).await;
                round += 1;
                version = ctx.tenant.get_queue(id).await?.version.unwrap_or_default();
            }
            Err(e) => return Err(e),
        }
    }
}
