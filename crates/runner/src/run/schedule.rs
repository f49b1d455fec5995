//! `run --optimize-every`: the loop reads the tenant's traffic on a schedule and proposes, as
//! `POST /v1/optimize` does, onto `--optimize-branch`.
//!
//! Each tick reads the metrics of the followed branch's queues ([`tenant::Tenant::queue_metrics`]
//! with the `--window`, `--settle`, `--interval-stat` and `--media` of `optimize`), then
//! proposes on the branch's head. A proposal whose digest equals the previous one is logged,
//! never committed or recorded again; the digest is kept in the state directory
//! (`optimize-last.json`), so this holds across restarts. A failure (the tenant, the proposal,
//! git) is logged, counted, and tried again at the next tick: it never stops reconciling.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use model::LoadOptions;
use serde::{Deserialize, Serialize};
use tenant::Tenant;
use tokio::sync::watch;
use tracing::{debug, info, warn};

use super::lease::Fence;
use super::metrics::{Metrics, OptimizeResult};
use super::optimize::{OptimizeState, Refusal, propose_on_head};
use crate::cli::args::WindowArgs;

/// What the schedule needs besides the optimize endpoint's state.
#[derive(Clone, Debug)]
pub struct Schedule {
    pub every: Duration,
    pub window: WindowArgs,
    /// Where the last proposal's digest is kept.
    pub state_file: PathBuf,
}

/// The file kept in the state directory.
#[derive(Debug, Default, Serialize, Deserialize)]
struct LastProposal {
    digest: String,
}

impl Schedule {
    /// `optimize-last.json` in `state_dir`.
    pub fn new(every: Duration, window: WindowArgs, state_dir: &std::path::Path) -> Self {
        Self {
            every,
            window,
            state_file: state_dir.join("optimize-last.json"),
        }
    }

    fn last(&self) -> Option<String> {
        let text = std::fs::read_to_string(&self.state_file).ok()?;
        serde_json::from_str::<LastProposal>(&text)
            .ok()
            .map(|l| l.digest)
    }

    fn remember(&self, digest: &str) -> std::io::Result<()> {
        let text = serde_json::to_string(&LastProposal {
            digest: digest.to_string(),
        })
        .unwrap_or_default();
        crate::recorder::applied::replace_file(&self.state_file, &text)
    }
}

/// Runs the schedule until `shutdown` turns true. The first tick comes one period after the
/// start (the first reconcile goes first). Under `--leader-elect` only the leader proposes: a
/// tick while `fence` says another replica leads reads nothing and commits nothing.
pub async fn run<T: Tenant + Clone + 'static>(
    state: OptimizeState,
    tenant: T,
    schedule: Schedule,
    metrics: Arc<Metrics>,
    fence: Fence,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut ticks =
        tokio::time::interval_at(tokio::time::Instant::now() + schedule.every, schedule.every);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = ticks.tick() => {}
            _ = shutdown.changed() => return,
        }
        if *shutdown.borrow() {
            return;
        }
        if !fence.leads() {
            debug!("scheduled optimization: a standby; the leader proposes");
            continue;
        }
        let result = tick(&state, &tenant, &schedule).await;
        metrics.observe_optimize(result);
    }
}

/// One scheduled optimization.
pub async fn tick<T: Tenant + Clone + 'static>(
    state: &OptimizeState,
    tenant: &T,
    schedule: &Schedule,
) -> OptimizeResult {
    let git = state.git.clone();
    // The queues of the followed branch's head name the metrics to read.
    let repo = tokio::task::spawn_blocking(move || -> Result<_, String> {
        let head = git
            .head()
            .map_err(|e| e.to_string())?
            .ok_or("the followed branch has no commit yet")?;
        let snap = git
            .read_commit(&head, &LoadOptions::default())
            .map_err(|e| e.to_string())?;
        Ok(snap.repo)
    })
    .await;
    let repo = match repo {
        Ok(Ok(r)) => r,
        Ok(Err(e)) => {
            warn!(error = %e, "scheduled optimization: the followed branch cannot be read; trying again at the next tick");
            return OptimizeResult::Failed;
        }
        Err(e) => {
            warn!(error = %e, "scheduled optimization: the task failed");
            return OptimizeResult::Failed;
        }
    };
    let query = schedule.window.query(&repo, std::time::SystemTime::now());
    let figures = match tenant.queue_metrics(&query).await {
        Ok(mut f) => {
            f.retain(|m| query.wants(&m.name));
            f
        }
        Err(e) => {
            warn!(error = %e, "scheduled optimization: the tenant's metrics could not be read; trying again at the next tick");
            return OptimizeResult::Failed;
        }
    };
    let metrics = optimize::from_tenant(&figures, schedule.window.interval_stat.into());
    let quiet = metrics
        .rows
        .iter()
        .all(|r| r.metrics.source.as_ref().is_none_or(|s| s.no_traffic));
    if quiet {
        info!(window = %query.window(), "scheduled optimization: no traffic in the window; nothing proposed");
        return OptimizeResult::NoTraffic;
    }
    let state = state.clone();
    let schedule = schedule.clone();
    let done = tokio::task::spawn_blocking(move || {
        let last = schedule.last();
        let same = |d: &str| last.as_deref() == Some(d);
        let proposed = propose_on_head(&state, &metrics, optimize::Policy::ErlangC, &same);
        if let Ok(Some(p)) = &proposed
            && let Err(e) = schedule.remember(&p.digest)
        {
            warn!(error = %e, file = %schedule.state_file.display(), "the proposal's digest could not be kept; a restart may propose it again");
        }
        proposed
    })
    .await;
    match done {
        Ok(Ok(None)) => {
            info!(
                "scheduled optimization: the same proposal as the previous one; not committed again"
            );
            OptimizeResult::Unchanged
        }
        Ok(Ok(Some(p))) => {
            if !p.committed {
                info!(
                    "scheduled optimization: recorded; the followed branch already holds every change, so nothing was committed"
                );
            }
            OptimizeResult::Proposed
        }
        Ok(Err(r)) => {
            let why = match r {
                Refusal::BadRequest(m) | Refusal::Conflict(m) | Refusal::Internal(m) => m,
            };
            warn!(error = %why, "scheduled optimization failed; trying again at the next tick");
            OptimizeResult::Failed
        }
        Err(e) => {
            warn!(error = %e, "scheduled optimization: the task failed");
            OptimizeResult::Failed
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use tenant::{
        Capabilities, MetricsInterval, Queue, QueueMetrics, Skill, Staffing, TenantError,
    };

    use super::*;
    use crate::run::git::GitSource;
    use crate::run::git::tests::TempRepo;
    use crate::run::optimize::OptimizeBranch;

    /// A tenant whose only answer is its traffic: `Some(figures)`, or a failure; it counts
    /// the metrics reads.
    #[derive(Clone, Default)]
    struct Traffic(
        Arc<Mutex<Option<Vec<QueueMetrics>>>>,
        Arc<std::sync::atomic::AtomicUsize>,
    );

    impl Traffic {
        fn reads(&self) -> usize {
            self.1.load(std::sync::atomic::Ordering::SeqCst)
        }

        fn set(&self, figures: Option<Vec<QueueMetrics>>) {
            *self.0.lock().unwrap() = figures;
        }
    }

    fn down<T>() -> Result<T, TenantError> {
        Err(TenantError::transport_message("down"))
    }

    impl Tenant for Traffic {
        fn capabilities(&self) -> &Capabilities {
            &routing_api::CAPABILITIES
        }
        async fn listing(&self) -> Result<Vec<tenant::Listed>, TenantError> {
            down()
        }
        async fn get_queue(&self, _: &str) -> Result<Queue, TenantError> {
            down()
        }
        async fn create_queue(&self, _: &Queue) -> Result<Queue, TenantError> {
            down()
        }
        async fn update_queue(
            &self,
            _: &str,
            _: &Queue,
            _: &Queue,
            _: Option<u64>,
        ) -> Result<Queue, TenantError> {
            down()
        }
        async fn delete_queue(&self, _: &str, _: Option<u64>) -> Result<(), TenantError> {
            down()
        }
        async fn list_skills(&self) -> Result<Vec<Skill>, TenantError> {
            down()
        }
        async fn queue_metrics(
            &self,
            _: &tenant::MetricsQuery,
        ) -> Result<Vec<QueueMetrics>, TenantError> {
            self.1.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            self.0.lock().unwrap().clone().map_or_else(down, Ok)
        }
    }

    fn sales(offered: f64) -> Vec<QueueMetrics> {
        vec![QueueMetrics {
            queue_id: Some("q1".into()),
            name: "Sales".into(),
            window: None,
            intervals: vec![MetricsInterval {
                start: 0,
                seconds: 10_800,
                offered,
                average_handle_time_seconds: Some(180.0),
                ..MetricsInterval::default()
            }],
            staffing: Some(Staffing {
                agents: 12,
                source: "agents".into(),
            }),
            seed: None,
        }]
    }

    fn window() -> WindowArgs {
        WindowArgs {
            window: Duration::from_secs(7200),
            interval_stat: crate::cli::args::IntervalStatArg::Busiest,
            settle: Duration::from_secs(900),
            media: crate::cli::args::MediaArg::Voice,
        }
    }

    #[tokio::test]
    async fn a_failure_is_counted_and_tried_again_and_a_proposal_is_never_committed_twice() {
        let t = TempRepo::new();
        t.write(
            "queues/sales.yaml",
            &crate::run::git::tests::queue_yaml("Sales", 180),
        );
        t.commit("sales");
        let state_dir = tempfile::tempdir().unwrap();
        let state = OptimizeState {
            git: GitSource::open(t.dir.path(), None).unwrap(),
            token: None,
            branch: Some(OptimizeBranch::new("opt", "O <o@example.com>", "main").unwrap()),
            recorder: None,
            body_limit: 1024,
            sim: false,
            lock: Arc::default(),
            push: None,
        };
        let schedule = Schedule::new(Duration::from_secs(60), window(), state_dir.path());
        let tenant = Traffic::default();

        assert_eq!(
            tick(&state, &tenant, &schedule).await,
            OptimizeResult::Failed
        );
        tenant.set(Some(sales(0.0)));
        assert_eq!(
            tick(&state, &tenant, &schedule).await,
            OptimizeResult::NoTraffic
        );
        tenant.set(Some(sales(600.0)));
        assert_eq!(
            tick(&state, &tenant, &schedule).await,
            OptimizeResult::Proposed
        );
        let first = t.repo.refname_to_id("refs/heads/opt").unwrap();
        assert_eq!(
            tick(&state, &tenant, &schedule).await,
            OptimizeResult::Unchanged
        );
        // After a restart (a new schedule over the same state directory), still the same.
        let again = Schedule::new(Duration::from_secs(60), window(), state_dir.path());
        assert_eq!(
            tick(&state, &tenant, &again).await,
            OptimizeResult::Unchanged
        );
        assert_eq!(t.repo.refname_to_id("refs/heads/opt").unwrap(), first);
        // Other traffic is another proposal.
        tenant.set(Some(sales(700.0)));
        assert_eq!(
            tick(&state, &tenant, &again).await,
            OptimizeResult::Proposed
        );
        assert_ne!(t.repo.refname_to_id("refs/heads/opt").unwrap(), first);
    }

    /// The optimize state and schedule of a one-queue repository, with its checkout.
    fn setup() -> (TempRepo, tempfile::TempDir, OptimizeState, Schedule) {
        let t = TempRepo::new();
        t.write(
            "queues/sales.yaml",
            &crate::run::git::tests::queue_yaml("Sales", 180),
        );
        t.commit("sales");
        let state_dir = tempfile::tempdir().unwrap();
        let state = OptimizeState {
            git: GitSource::open(t.dir.path(), None).unwrap(),
            token: None,
            branch: Some(OptimizeBranch::new("opt", "O <o@example.com>", "main").unwrap()),
            recorder: None,
            body_limit: 1024,
            sim: false,
            lock: Arc::default(),
            push: None,
        };
        let schedule = Schedule::new(Duration::from_secs(60), window(), state_dir.path());
        (t, state_dir, state, schedule)
    }

    /// Runs the schedule with `fence` for three periods; the metrics reads it made.
    async fn three_periods(fence: Fence) -> (usize, bool) {
        let (t, _state_dir, state, schedule) = setup();
        let tenant = Traffic::default();
        tenant.set(Some(sales(600.0)));
        let status =
            crate::run::status::SharedStatus::new(crate::run::status::Status::new("main", true));
        let metrics = Arc::new(Metrics::new(Arc::new(tenant::ClientStats::default), status));
        let (stop, stopped) = watch::channel(false);
        let task = tokio::spawn(run(
            state,
            tenant.clone(),
            schedule,
            metrics,
            fence,
            stopped,
        ));
        tokio::time::sleep(Duration::from_secs(200)).await;
        stop.send(true).unwrap();
        task.await.unwrap();
        let branch = t.repo.find_reference("refs/heads/opt").is_ok();
        (tenant.reads(), branch)
    }

    #[tokio::test(start_paused = true)]
    async fn under_leader_election_a_standby_reads_no_traffic_and_proposes_nothing() {
        // Elected, but the Lease was never ours: a standby.
        let (reads, branch) = three_periods(Fence::elected(Duration::from_secs(10))).await;
        assert_eq!((reads, branch), (0, false));
        // Without election the same schedule reads the traffic and proposes.
        let (reads, branch) = three_periods(Fence::open()).await;
        assert!(reads >= 1, "{reads}");
        assert!(branch);
    }
}
