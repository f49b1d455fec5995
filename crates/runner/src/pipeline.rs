//! The one pipeline every command and the run loop share: **check** the repository (offline
//! rules, the platform's capabilities) → **observe** the tenant → **plan** → **apply** →
//! **record** (audit log and webhook events). Commands and `run`'s controller are thin callers:
//! they choose where the repository comes from (disk or a git commit), how to report, and
//! what to do with the outcome.

use std::collections::{BTreeMap, BTreeSet};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use model::{Diagnostic, LoadOptions, Repository};
use reconcile::{ApplyObserver, ApplyOptions, ApplyReport, Observed, Plan, QueueOutcome, Rejected};
use tenant::{Tenant, TenantError};

use crate::RepoArgs;
use crate::exit::Outcome;
use crate::output::diagnostics::{self as render, Report};
use crate::output::plan::{Origin, PlanFile, PlanStatus};
use crate::recorder::audit::RunContext;
use crate::recorder::{Recorder, RecorderError};

// ---- check ----

/// What checking a repository found.
#[derive(Debug)]
pub struct Checked {
    /// Loader and cross-queue diagnostics, sorted by file, line and column.
    pub diagnostics: Vec<Diagnostic>,
    /// Every file read or reported on.
    pub files: usize,
    /// The text of the files that diagnostics point into, for the source snippets.
    pub sources: BTreeMap<PathBuf, Arc<str>>,
    /// The repository as loaded (its `diagnostics` moved into [`Checked::diagnostics`]).
    pub repo: Repository,
}

impl Checked {
    pub fn report<'a>(&'a self, root: &'a Path) -> Report<'a> {
        let (queues, queues_with_errors) = self.repo.queue_counts(&self.diagnostics);
        Report {
            diagnostics: &self.diagnostics,
            queues,
            queues_with_errors,
            files: self.files,
            sources: &self.sources,
            root,
        }
    }
}

/// What is wrong with `--repo` before anything is read: it does not exist, is a file, or is
/// a folder with neither `cxqueues.yaml` nor `queues/`.
pub fn repo_problem(root: &Path) -> Option<String> {
    let shown = root.display();
    if root.is_file() {
        Some(format!(
            "--repo {shown} is a file, not a folder: give the repository's folder (the one holding cxqueues.yaml and queues/)"
        ))
    } else if !root.is_dir() {
        Some(format!("--repo {shown}: no such folder"))
    } else if !root.join("cxqueues.yaml").exists() && !root.join("queues").exists() {
        Some(format!(
            "--repo {shown}: no cxqueues.yaml and no queues/ here; give the repository's folder, or create queues/"
        ))
    } else {
        None
    }
}

/// The text of each file a diagnostic points into, for its snippet: only regular files (never
/// through a symlink) within the size limit, so that a reported file is never read unsafely.
pub fn read_sources(
    root: &Path,
    diagnostics: &[Diagnostic],
    max_file_size: u64,
) -> BTreeMap<PathBuf, Arc<str>> {
    let mut sources = BTreeMap::new();
    for d in diagnostics {
        if sources.contains_key(&d.file) {
            continue;
        }
        let path = root.join(&d.file);
        let readable =
            std::fs::symlink_metadata(&path).is_ok_and(|m| m.is_file() && m.len() <= max_file_size);
        if readable && let Ok(bytes) = std::fs::read(&path) {
            sources.insert(d.file.clone(), String::from_utf8_lossy(&bytes).into());
        }
    }
    sources
}

/// Loads the repository (every core parsing) and runs the cross-queue rules. Only the files
/// that a diagnostic points into are read again, for the source snippets of the text output.
pub fn check(root: &Path, opts: &LoadOptions) -> Checked {
    let mut repo = model::load_repository(root, opts);
    let mut diagnostics = std::mem::take(&mut repo.diagnostics);
    let caps = crate::tenant::capabilities(repo.tenant.spec.platform);
    diagnostics.extend(reconcile::check_offline(&repo, caps));
    reconcile::sort_diagnostics(&mut diagnostics);
    let sources = read_sources(root, &diagnostics, opts.max_file_size);
    let files: BTreeSet<&Path> = repo
        .tenant_file
        .iter()
        .map(PathBuf::as_path)
        .chain(repo.queues.iter().map(|q| q.file.as_path()))
        .chain(diagnostics.iter().map(|d| d.file.as_path()))
        .collect();
    Checked {
        files: files.len(),
        diagnostics,
        sources,
        repo,
    }
}

/// An invalid repository, as loaded, and its diagnostics.
#[derive(Debug)]
pub struct InvalidRepo {
    pub repo: Repository,
    pub diagnostics: Vec<Diagnostic>,
}

/// [`load_or_errors`] for commands that only need to know it failed (it printed why).
pub fn load_valid(repo: &RepoArgs) -> Result<Repository, Outcome> {
    load_or_errors(repo).map_err(|_| Outcome::Invalid)
}

/// Loads and validates the whole repository, as `validate` does; prints every diagnostic
/// (to stderr, so that stdout holds only the plan).
pub fn load_or_errors(repo: &RepoArgs) -> Result<Repository, Box<InvalidRepo>> {
    if let Some(problem) = repo_problem(&repo.repo) {
        eprintln!("error: {problem}");
        let diagnostic = Diagnostic::error(model::Rule::File, ".", model::Loc::UNKNOWN, problem);
        return Err(Box::new(InvalidRepo {
            repo: Repository::default(),
            diagnostics: vec![diagnostic],
        }));
    }
    let checked = check(&repo.repo, &LoadOptions::default());
    let report = checked.report(&repo.repo);
    if !checked.diagnostics.is_empty() {
        eprint!(
            "{}",
            render::text(&report, render::TextStyle::detect_stderr())
        );
    }
    if !report.is_valid() {
        eprintln!("The repository is invalid: nothing was read from or written to the tenant.");
        return Err(Box::new(InvalidRepo {
            repo: checked.repo,
            diagnostics: checked.diagnostics,
        }));
    }
    Ok(checked.repo)
}

/// Tenant-aware problems of a plan, rendered like `validate`'s.
pub fn report_diagnostics(root: &std::path::Path, diags: &[Diagnostic]) {
    let sources = read_sources(root, diags, LoadOptions::default().max_file_size);
    let report = render::Report {
        diagnostics: diags,
        queues: 0,
        queues_with_errors: 0,
        files: sources.len(),
        sources: &sources,
        root,
    };
    eprint!(
        "{}",
        render::text(&report, render::TextStyle::detect_stderr())
    );
}

/// A progress bar on a terminal; nothing otherwise.
struct Progress {
    bar: indicatif::ProgressBar,
}

impl ApplyObserver for Progress {
    fn on_outcome(&self, o: &QueueOutcome) {
        self.bar.inc(1);
        self.bar.set_message(o.name.clone());
    }
}

/// With the embedded tenant (`--sim`), the audit log and the outbox live in the simulator's
/// own folder (`<state-dir>/sim/`), never in a real tenant's chain.
pub fn sim_state_args(state: &crate::recorder::StateArgs, sim: bool) -> crate::recorder::StateArgs {
    if !sim {
        return state.clone();
    }
    crate::recorder::StateArgs {
        state_dir: crate::tenant::sim_dir(&state.state_dir),
        audit_log: state.audit_log.clone(),
    }
}

/// With the embedded tenant (`--sim`), only the webhooks that can work on this machine are
/// kept: a loopback URL whose key variable is set. The others are left out, with a note, so
/// that a demo needs no secrets and sends nothing to real WFM systems.
pub fn webhooks_for(mut repo: Repository, sim: bool) -> Repository {
    if sim {
        repo.tenant.spec.webhooks.retain(|w| {
            let local = crate::recorder::webhooks::check_url(&w.url)
                .is_ok_and(|u| tenant::endpoint::is_loopback(&u));
            let keyed = std::env::var_os(&w.secret_env).is_some();
            if !(local && keyed) {
                eprintln!(
                    "note: with --sim, the webhook {} is off (only loopback URLs with their key variable set are called)",
                    crate::recorder::webhooks::shown_url(&w.url)
                );
            }
            local && keyed
        });
    }
    repo
}

/// A progress bar over `changes` queues when stderr is a terminal (nothing otherwise): the
/// bar, to finish when apply ends, and the observer that moves it.
pub fn progress(changes: usize) -> Option<(indicatif::ProgressBar, Arc<dyn ApplyObserver>)> {
    if !std::io::stderr().is_terminal() || changes == 0 {
        return None;
    }
    let bar = indicatif::ProgressBar::new(changes as u64);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{bar:30} {pos}/{len} {wide_msg}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let observer: Arc<dyn ApplyObserver> = Arc::new(Progress { bar: bar.clone() });
    Some((bar, observer))
}

// ---- run: observe, plan, apply, record ----

/// What the tenant is to hold: a repository that passed its offline checks, or a plan saved
/// from one (`apply --plan FILE`), re-checked against the repository and the tenant now.
#[derive(Debug)]
pub struct Desired<'a> {
    pub repo: &'a Repository,
    pub saved: Option<Saved>,
}

impl<'a> Desired<'a> {
    /// The repository as it is.
    pub fn repo(repo: &'a Repository) -> Self {
        Self { repo, saved: None }
    }
}

/// A saved plan to apply instead of a fresh one.
#[derive(Debug)]
pub struct Saved {
    /// Where it was read from (named in refusals).
    pub file: PathBuf,
    pub doc: PlanFile,
    /// The tenant and commit here, to compare with the plan's own.
    pub here: Origin,
    /// Plan the queues whose tenant state moved afresh instead of refusing them.
    pub replan: bool,
}

/// How far a run goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Observe and plan only (`plan`, `apply --dry-run`).
    Plan,
    /// Apply the plan, even an empty one (`apply`: every apply leaves its audit record).
    Apply,
    /// The loop: an empty plan is in sync; changes to a commit applied before are drift,
    /// written back only with `self_heal`.
    Reconcile {
        applied_before: bool,
        self_heal: bool,
    },
}

/// Hears of the plan right before anything is written, and may add observers of the apply
/// (a progress bar). The default hears nothing.
pub trait Watch: Send + Sync {
    fn planned(&mut self, _planned: &Planned) -> Vec<Arc<dyn ApplyObserver>> {
        Vec::new()
    }
}

/// A [`Watch`] that hears nothing.
#[derive(Debug, Default)]
pub struct Quiet;

impl Watch for Quiet {}

/// How to run, and where the apply is recorded.
pub struct Options<'a> {
    pub mode: Mode,
    /// Writes in flight at once.
    pub parallelism: usize,
    /// The audit log and the webhook outbox (none: nothing recorded).
    pub recorder: Option<&'a Recorder>,
    pub run: &'a RunContext,
    /// The repository whose webhooks an apply calls.
    pub hooks: &'a Repository,
    pub watch: &'a mut dyn Watch,
}

impl std::fmt::Debug for Options<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Options")
            .field("mode", &self.mode)
            .field("parallelism", &self.parallelism)
            .field("recorded", &self.recorder.is_some())
            .field("run", &self.run)
            .finish()
    }
}

/// What a tenant holds and the plan against it.
#[derive(Debug)]
pub struct Planned {
    pub observed: Observed,
    /// What is to be applied: the fresh plan, or a saved one rebased on the tenant now (its
    /// `warnings` and `skipped` are the fresh plan's).
    pub plan: Plan,
    /// The queues not applied though asked for: saved-plan changes refused (with the reason),
    /// then managed queues the tenant cannot read ([`Plan::skipped`]).
    pub refused: Vec<String>,
    /// Saved-plan queues planned afresh because the tenant moved since (`--replan`).
    pub replanned: Vec<String>,
}

/// What an apply did.
#[derive(Debug)]
pub struct Applied {
    pub planned: Planned,
    pub report: ApplyReport,
    /// `Err` with the reason when the audit log is incomplete.
    pub audited: Result<(), String>,
    /// The changes were drift from a commit applied before, written back (self-heal).
    pub healed: bool,
}

/// Where a run ended. Every state of a round has its variant, so that each caller maps them
/// all (the compiler says when one is added).
#[derive(Debug)]
pub enum RunOutcome {
    /// The repository fails the checks against the tenant: nothing was written.
    Invalid(Rejected),
    /// A saved plan that may not be applied here at all (an invalid plan, another tenant, the
    /// simulator's): nothing was written.
    Refused(String),
    /// The tenant already holds what the repository asks for.
    InSync(Planned),
    /// Planned and not applied ([`Mode::Plan`]).
    Planned(Planned),
    /// The tenant drifted from a commit applied before and self-heal is off: reported only.
    DriftReported(Planned),
    /// The plan was applied (each queue's result in the report).
    Applied(Box<Applied>),
    /// A change window is closed: nothing is written until `until` (RFC 3339).
    Held { window: String, until: String },
    /// Another replica leads: this one writes nothing.
    Standby { leader: String },
}

/// Why a run could not finish.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// The tenant could not be read.
    #[error(transparent)]
    Tenant(#[from] TenantError),
    /// The recorder cannot take the run (a webhook without its key): nothing was written.
    #[error(transparent)]
    Recorder(#[from] RecorderError),
}

/// The one pipeline: observe the tenant, plan `desired` against it (or rebase the saved plan),
/// then, as `opts.mode` says, stop, or apply and record. Prints nothing and reads no
/// environment; the caller reports the outcome.
pub async fn run<T: Tenant>(
    desired: &Desired<'_>,
    tenant: &T,
    opts: Options<'_>,
) -> Result<RunOutcome, RunError> {
    let observed = reconcile::observe(tenant).await?;
    let fresh = match reconcile::plan_for_platform(desired.repo, &observed, tenant.capabilities()) {
        Ok(plan) => plan,
        Err(rejected) => return Ok(RunOutcome::Invalid(rejected)),
    };
    let planned = match &desired.saved {
        None => Planned {
            refused: fresh.skipped.clone(),
            observed,
            plan: fresh,
            replanned: Vec::new(),
        },
        Some(saved) => {
            if let Some(why) = refuse_saved(&saved.file, &saved.doc, &saved.here) {
                return Ok(RunOutcome::Refused(why));
            }
            let rebased = saved
                .doc
                .clone()
                .into_plan()
                .rebase(&fresh, &observed, saved.replan);
            let mut plan = rebased.plan;
            plan.warnings = fresh.warnings;
            plan.skipped = fresh.skipped;
            let mut refused = rebased.refused;
            refused.extend(plan.skipped.iter().cloned());
            Planned {
                observed,
                plan,
                refused,
                replanned: rebased.replanned,
            }
        }
    };
    let healed = match opts.mode {
        Mode::Plan if planned.plan.is_empty() => return Ok(RunOutcome::InSync(planned)),
        Mode::Plan => return Ok(RunOutcome::Planned(planned)),
        Mode::Apply => false,
        Mode::Reconcile { .. } if planned.plan.is_empty() => {
            return Ok(RunOutcome::InSync(planned));
        }
        Mode::Reconcile {
            applied_before: true,
            self_heal: false,
        } => return Ok(RunOutcome::DriftReported(planned)),
        Mode::Reconcile { applied_before, .. } => applied_before,
    };
    let extra = opts.watch.planned(&planned);
    let (report, audited) = apply_and_record(tenant, &planned, &opts, extra).await?;
    Ok(RunOutcome::Applied(Box::new(Applied {
        planned,
        report,
        audited,
        healed,
    })))
}

/// Applies the plan and records it: the recorder's observers (audit records and webhook
/// events per queue) plus `extra`, then the run's record. `Err` only when the recorder cannot
/// take the run (a webhook without its key): then nothing was written to the tenant.
async fn apply_and_record<T: Tenant>(
    tenant: &T,
    planned: &Planned,
    opts: &Options<'_>,
    extra: Vec<Arc<dyn ApplyObserver>>,
) -> Result<(ApplyReport, Result<(), String>), RecorderError> {
    let recorder = opts.recorder;
    let mut observers = match recorder {
        Some(r) => r.observers(opts.hooks, opts.run.clone())?,
        None => Vec::new(),
    };
    // Write intents a killed process left with no outcome: record what the tenant holds.
    let resolved = match recorder {
        Some(r) => r
            .resolve_intents(opts.run, &planned.observed)
            .map(|_| ())
            .map_err(|e| e.to_string()),
        None => Ok(()),
    };
    observers.extend(extra);
    let apply = ApplyOptions {
        parallelism: opts.parallelism.max(1),
        observers,
        sleep: crate::tokio_sleep(),
        ..ApplyOptions::default()
    };
    let report = reconcile::apply(tenant, &planned.plan, &planned.observed, &apply).await;
    let audited = match recorder {
        Some(r) => r.finish_run(opts.run, &report).map_err(|e| e.to_string()),
        None => Ok(()),
    };
    Ok((report, resolved.and(audited)))
}

/// Why a saved plan may not be applied here at all: it records errors instead of changes,
/// was made against the simulator for a real tenant, or against another tenant.
fn refuse_saved(file: &Path, saved: &PlanFile, here: &Origin) -> Option<String> {
    let f = file.display();
    if saved.status == PlanStatus::Invalid {
        let first = saved.errors.first().map_or(String::new(), |e| {
            format!(
                "; the first: {}:{}:{}: {}",
                e.file.display(),
                e.line,
                e.column,
                e.message
            )
        });
        let n = saved.errors.len();
        let errors = if n == 1 { "error" } else { "errors" };
        return Some(format!(
            "{f} is an invalid plan: no plan could be made from its commit, which has {n} \
             {errors}{first}. Fix them, run plan again and apply that plan"
        ));
    }
    if saved.origin.simulated && !here.simulated {
        return Some(format!(
            "{f} was planned against the embedded simulated tenant (--sim), not this tenant; \
             plan against this tenant and apply that plan"
        ));
    }
    if !saved.origin.tenant.is_empty() && saved.origin.tenant != here.tenant {
        return Some(format!(
            "{f} was planned for the tenant {:?}, and this repository names {:?}",
            saved.origin.tenant, here.tenant
        ));
    }
    None
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn an_invalid_saved_plan_is_refused_without_nested_parentheses() {
        let saved: PlanFile = serde_json::from_value(json!({
            "formatVersion": 1,
            "summary": {"create": 0, "update": 0, "delete": 0, "unchanged": 0, "unmanaged": 0},
            "changes": [],
            "status": "invalid",
            "errors": [{"file": "queues/a.yaml", "line": 3, "column": 5,
                        "rule": "range", "message": "maxWaiters is 0 (below 1)"}],
        }))
        .expect("a plan file");
        let why = refuse_saved(Path::new("p.json"), &saved, &Origin::default()).expect("refused");
        assert_eq!(
            why,
            "p.json is an invalid plan: no plan could be made from its commit, which has 1 \
             error; the first: queues/a.yaml:3:5: maxWaiters is 0 (below 1). Fix them, run plan \
             again and apply that plan"
        );
    }
}
