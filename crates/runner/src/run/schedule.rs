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
use tracing::{info, warn};

use super::metrics::{Metrics, OptimizeResult};
use super::optimize::{OptimizeState, Refusal, propose_on_head};
use crate::cmd::optimize::WindowArgs;

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
        if let Some(dir) = self.state_file.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let tmp = self.state_file.with_extension("json.tmp");
        let text = serde_json::to_string(&LastProposal {
            digest: digest.to_string(),
        })
        .unwrap_or_default();
        std::fs::write(&tmp, text).and_then(|()| std::fs::rename(&tmp, &self.state_file))
    }
}

/// Runs the schedule until `shutdown` turns true. The first tick comes one period after the
/// start (the first reconcile goes first).
pub async fn run<T: Tenant + Clone + 'static>(
    state: OptimizeState,
    tenant: T,
    schedule: Schedule,
    metrics: Arc<Metrics>,
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
