//! What every apply leaves behind, wired for `apply` and `run`: the state directory
//! ([`StateArgs`]), the audit log ([`crate::recorder::audit`]) and the webhook outbox and delivery
//! ([`crate::recorder::webhooks`]), opened together as one [`Recorder`]. It sits above both, so that
//! neither the audit log nor the webhooks know each other.

pub mod audit;
pub mod proposal;
pub mod webhooks;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use reconcile::{ApplyObserver, ApplyReport};

use crate::cli::args::StateArgs;
use crate::recorder::audit::{AUDIT_FILE, AuditError, AuditLog, AuditObserver, RunContext};
use crate::recorder::webhooks::{Delivery, DeliveryConfig, Outbox, WebhookError, WebhookObserver};

impl StateArgs {
    /// The audit log's path.
    pub fn audit_path(&self) -> PathBuf {
        self.audit_log
            .clone()
            .unwrap_or_else(|| self.state_dir.join(AUDIT_FILE))
    }
}

/// With the embedded tenant (`--sim`), the audit log and the outbox live in the simulator's
/// own folder (`<state-dir>/sim/`), never in a real tenant's chain.
pub fn sim_state_args(state: &StateArgs, sim: bool) -> StateArgs {
    if !sim {
        return state.clone();
    }
    StateArgs {
        state_dir: crate::tenant::sim_dir(&state.state_dir),
        audit_log: state.audit_log.clone(),
    }
}

/// With the embedded tenant (`--sim`), only the webhooks that can work on this machine are
/// kept: a loopback URL whose key variable is set. The others are left out, with a note, so
/// that a demo needs no secrets and sends nothing to real WFM systems.
pub fn webhooks_for(mut repo: model::Repository, sim: bool) -> model::Repository {
    if sim {
        repo.tenant.spec.webhooks.retain(|w| {
            let local = webhooks::check_url(&w.url)
                .is_ok_and(|u| tenant::endpoint::is_loopback(&u));
            let keyed = std::env::var_os(&w.secret_env).is_some();
            if !(local && keyed) {
                eprintln!(
                    "note: with --sim, the webhook {} is off (only loopback URLs with their key variable set are called)",
                    webhooks::shown_url(&w.url)
                );
            }
            local && keyed
        });
    }
    repo
}

/// Creates the state directory with a `.gitignore` of `*` (it often sits in the checkout of
/// the desired-state repository); best effort.
fn ignore_in_git(state_dir: &Path) {
    let file = state_dir.join(".gitignore");
    if std::fs::create_dir_all(state_dir).is_ok() && !file.exists() {
        let _ = std::fs::write(
            &file,
            "# cxqueues state (audit log, webhook outbox): not for git.\n*\n",
        );
    }
}

/// Why the recorder cannot start.
#[derive(Debug, thiserror::Error)]
pub enum RecorderError {
    #[error(transparent)]
    Audit(#[from] AuditError),
    #[error(transparent)]
    Webhooks(#[from] WebhookError),
}

/// The audit log and the webhook outbox of a state directory, for one process: open it once
/// (at startup), take [`Recorder::observers`] for each run, call [`Recorder::finish_run`]
/// when the run ends and [`Recorder::shutdown`] before exiting.
#[derive(Debug)]
pub struct Recorder {
    audit: Arc<AuditLog>,
    outbox: Arc<Outbox>,
    sender: webhooks::Sender,
    /// Taken by [`Recorder::shutdown`].
    delivery: Mutex<Option<Delivery>>,
    env: webhooks::EnvLookup,
}

impl Recorder {
    /// Opens the state directory, checks the repository's webhooks (a missing `secretEnv`
    /// variable is an error that names it), and starts the background delivery of the
    /// outbox (pending events of earlier processes included). Needs a tokio runtime.
    pub fn open(state: &StateArgs, repo: &model::Repository) -> Result<Self, RecorderError> {
        Self::open_with(
            state,
            repo,
            DeliveryConfig::default(),
            webhooks::process_env(),
        )
    }

    /// [`Recorder::open`] with delivery settings and an environment lookup (tests).
    pub fn open_with(
        state: &StateArgs,
        repo: &model::Repository,
        config: DeliveryConfig,
        env: webhooks::EnvLookup,
    ) -> Result<Self, RecorderError> {
        let targets = webhooks::targets(repo, &env)?;
        ignore_in_git(&state.state_dir);
        let audit = Arc::new(AuditLog::open(state.audit_path())?);
        // Writes a killed process began and never recorded the end of: found before anything
        // else is written, recorded, and reported by `audit verify` until a run resolves them.
        audit.mark_unresolved(&RunContext::new("start"))?;
        let outbox = Arc::new(Outbox::open(&state.state_dir)?);
        let mut delivery = Delivery::new(outbox.clone(), config, &targets)?;
        delivery.spawn();
        Ok(Self {
            audit,
            outbox,
            sender: delivery.sender(),
            delivery: Mutex::new(Some(delivery)),
            env,
        })
    }

    /// The observers of one run: the audit log, then (when the repository configures any)
    /// the webhooks. Resolves the webhooks of `repo` again, so that a commit that changes
    /// them takes effect; a missing variable is an error.
    pub fn observers(
        &self,
        repo: &model::Repository,
        ctx: RunContext,
    ) -> Result<Vec<Arc<dyn ApplyObserver>>, RecorderError> {
        let targets = webhooks::targets(repo, &self.env)?;
        // Delivery resolves every event's webhook against this configuration from now on.
        self.sender.configure(&targets);
        let mut out: Vec<Arc<dyn ApplyObserver>> = vec![Arc::new(AuditObserver {
            log: self.audit.clone(),
            context: ctx.clone(),
        })];
        if !targets.is_empty() {
            out.push(Arc::new(WebhookObserver::new(
                self.outbox.clone(),
                self.sender.clone(),
                targets,
                ctx,
            )));
        }
        Ok(out)
    }

    /// With the tenant read: records what it holds for every write intent that has no
    /// outcome (a process killed mid-write), so that the log accounts for it. Returns how
    /// many it resolved.
    pub fn resolve_intents(
        &self,
        ctx: &RunContext,
        observed: &reconcile::Observed,
    ) -> Result<usize, AuditError> {
        self.audit.resolve_intents(ctx, observed)
    }

    /// Writes the run's `RECONCILE` record; `Err` also when a queue record of the run could
    /// not be written.
    pub fn finish_run(&self, ctx: &RunContext, report: &ApplyReport) -> Result<(), AuditError> {
        self.audit.record_run(ctx, report)?;
        self.audit.check_written()
    }

    /// Wakes the delivery task and has it read the outbox folder again.
    pub fn notify(&self) {
        if let Some(d) = self
            .delivery
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .as_ref()
        {
            d.notify();
        }
    }

    /// Dead-lettered webhook events, for `/status`.
    pub fn dead_letters(&self) -> Vec<webhooks::EventSummary> {
        let hooks = self.sender.hooks();
        self.outbox.dead_letters_shown(|id| hooks.shown_url(id))
    }

    /// The webhook part of `/status`: how many events wait, and the dead letters.
    pub fn webhook_status(&self) -> webhooks::WebhookStatus {
        webhooks::WebhookStatus {
            pending: self.outbox.pending_count(),
            dead: self.dead_letters(),
        }
    }

    /// Before exit: gives every pending event its attempt (within `timeout`), then stops the
    /// delivery task. Returns early when all that is left waits for a receiver's backoff
    /// (a receiver that is down does not hold the exit); what is left stays in the outbox for
    /// the next process.
    /// Later calls return at once (nothing left running).
    pub async fn shutdown(&self, timeout: Duration) -> webhooks::DrainReport {
        match self.take_delivery() {
            Some(d) => d.settle(timeout).await,
            None => self.left(),
        }
    }

    /// Waits (up to `timeout`) until the outbox is empty, then stops the delivery task.
    pub async fn drain(&self, timeout: Duration) -> webhooks::DrainReport {
        match self.take_delivery() {
            Some(d) => d.drain(timeout).await,
            None => self.left(),
        }
    }

    fn take_delivery(&self) -> Option<Delivery> {
        self.delivery
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take()
    }

    fn left(&self) -> webhooks::DrainReport {
        webhooks::DrainReport {
            pending: self.outbox.pending_count(),
            ..webhooks::DrainReport::default()
        }
    }
}
