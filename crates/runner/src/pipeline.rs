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
use reconcile::{ApplyObserver, ApplyOptions, ApplyReport, Observed, Plan, QueueOutcome};
use tenant::{Tenant, TenantError};

use crate::RepoArgs;
use crate::exit::Outcome;
use crate::output::diagnostics::{self as render, Report};
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

// ---- observe, plan ----

/// What a tenant holds and the plan against it, for platform's own rules too.
#[derive(Debug)]
pub struct Planned {
    pub observed: Observed,
    pub plan: Plan,
}

/// Reads the tenant and plans `repo` against it (the tenant-aware checks are in
/// `plan.diagnostics`: a plan with errors is not applied).
pub async fn observe_and_plan<T: Tenant>(
    repo: &Repository,
    tenant: &T,
) -> Result<Planned, TenantError> {
    let observed = reconcile::observe(tenant).await?;
    let plan = reconcile::for_platform(
        reconcile::plan(repo, &observed),
        repo,
        &observed,
        tenant.capabilities(),
    );
    Ok(Planned { observed, plan })
}

// ---- apply, record ----

/// What an apply did, and whether its audit records were all written.
#[derive(Debug)]
pub struct RunReport {
    pub report: ApplyReport,
    /// `Err` with the reason when the audit log is incomplete.
    pub audited: Result<(), String>,
}

/// Applies `plan` and records it: the recorder's observers (audit records and webhook events
/// per queue, with `hooks`' webhooks) plus `extra` (a progress bar), then the run's record.
/// `Err` only when the recorder cannot take the run (a webhook without its key): then nothing
/// was written to the tenant.
#[allow(clippy::too_many_arguments)]
pub async fn apply_and_record<T: Tenant>(
    tenant: &T,
    planned: &Planned,
    recorder: Option<&Recorder>,
    run: &crate::recorder::audit::RunContext,
    hooks: &Repository,
    parallelism: usize,
    extra: Vec<Arc<dyn ApplyObserver>>,
) -> Result<RunReport, RecorderError> {
    let mut observers = match recorder {
        Some(r) => r.observers(hooks, run.clone())?,
        None => Vec::new(),
    };
    // Write intents a killed process left with no outcome: record what the tenant holds.
    let resolved = match recorder {
        Some(r) => r
            .resolve_intents(run, &planned.observed)
            .map(|_| ())
            .map_err(|e| e.to_string()),
        None => Ok(()),
    };
    observers.extend(extra);
    let opts = ApplyOptions {
        parallelism: parallelism.max(1),
        observers,
        sleep: crate::tokio_sleep(),
        ..ApplyOptions::default()
    };
    let report = reconcile::apply(tenant, &planned.plan, &planned.observed, &opts).await;
    let audited = match recorder {
        Some(r) => r.finish_run(run, &report).map_err(|e| e.to_string()),
        None => Ok(()),
    };
    let audited = resolved.and(audited);
    Ok(RunReport { report, audited })
}
