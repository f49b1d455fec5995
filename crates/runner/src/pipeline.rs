//! The one pipeline every command and the run loop share: **check** the repository (offline
//! rules, the platform's capabilities; [`check`]) → **observe** the tenant → **plan** →
//! **apply** → **record** (audit log and webhook events) in [`run`], which ends in a
//! [`RunOutcome`]. It prints nothing and reads no environment: `plan`, `apply` and `run`'s
//! controller choose where the repository comes from (disk or a git commit) and report the
//! outcome their own way.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use model::{Diagnostic, LoadOptions, RepoFile, Repository};
use optimize::FileEdit;
use reconcile::{ApplyObserver, ApplyOptions, ApplyReport, Observed, Plan, Rejected};
use tenant::{Tenant, TenantError};

use crate::output::diagnostics::Report;
use crate::output::plan::{Origin, PlanFile, PlanStatus};
use crate::recorder::audit::RunContext;
use crate::recorder::{Recorder, RecorderError};

// ---- check ----

/// What checking a repository found.
#[derive(Debug)]
pub(crate) struct Checked {
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
    pub(crate) fn report<'a>(&'a self, root: &'a Path) -> Report<'a> {
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
/// a folder with neither `cxqueues.yaml` nor the queues folder (without a tenant document,
/// `spec.queues` is its default, `queues`).
pub(crate) fn repo_problem(root: &Path) -> Option<String> {
    use model::layout::{DEFAULT_QUEUES_DIR as QUEUES, TENANT_FILE};
    let shown = root.display();
    if root.is_file() {
        Some(format!(
            "--repo {shown} is a file, not a folder: give the repository's folder (the one holding {TENANT_FILE} and {QUEUES}/)"
        ))
    } else if !root.is_dir() {
        Some(format!("--repo {shown}: no such folder"))
    } else if !model::layout::TENANT_FILES
        .iter()
        .any(|f| root.join(f).exists())
        && !root.join(QUEUES).exists()
    {
        Some(format!(
            "--repo {shown}: no {TENANT_FILE} and no {QUEUES}/ here; give the repository's folder, or create {QUEUES}/"
        ))
    } else {
        None
    }
}

/// The text of each file a diagnostic points into, for its snippet: only regular files (never
/// through a symlink) within the size limit, so that a reported file is never read unsafely.
pub(crate) fn read_sources(
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
pub(crate) fn check(root: &Path, opts: &LoadOptions) -> Checked {
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

/// Checks the repository `repo` (valid, as loaded) with `edits` made, as `validate` does:
/// the edited files parsed again against the tenant document `tenant`, then every
/// cross-queue rule on the whole. `Err` holds the errors: then nothing may be written.
pub(crate) fn revalidate(
    repo: &Repository,
    tenant: Option<RepoFile>,
    edits: &[FileEdit],
) -> Result<(), Vec<Diagnostic>> {
    let files = edits.iter().map(|e| RepoFile {
        path: e.file.clone(),
        bytes: e.after.clone().into_bytes(),
    });
    let edited = model::parse_files(tenant, files, &LoadOptions::default());
    let tenant_file = edited.tenant_file.clone();
    let mut errors: Vec<Diagnostic> = edited
        .diagnostics
        .iter()
        .filter(|d| d.is_error() && Some(&d.file) != tenant_file.as_ref())
        .cloned()
        .collect();
    let edited_files: std::collections::HashSet<&Path> =
        edits.iter().map(|e| e.file.as_path()).collect();
    let whole = Repository {
        tenant: repo.tenant.clone(),
        tenant_file: repo.tenant_file.clone(),
        queues: repo
            .queues
            .iter()
            .filter(|q| !edited_files.contains(q.file.as_path()))
            .cloned()
            .chain(edited.queues)
            .collect(),
        diagnostics: Vec::new(),
        unread: 0,
        id_kind: repo.id_kind,
    };
    let caps = crate::tenant::capabilities(whole.tenant.spec.platform);
    errors.extend(
        reconcile::check_offline(&whole, caps)
            .into_iter()
            .filter(Diagnostic::is_error),
    );
    if errors.is_empty() {
        Ok(())
    } else {
        reconcile::sort_diagnostics(&mut errors);
        Err(errors)
    }
}

/// The optimizer's fields that `platform` does not hold: reported under `predicted`, never
/// proposed as changes.
pub(crate) fn predicted_only(platform: model::Platform) -> Vec<optimize::Field> {
    let caps = crate::tenant::capabilities(platform);
    let mut out = Vec::new();
    for (field, held) in [
        (
            optimize::Field::MaxWaitTime,
            tenant::QueueField::MaxWaitTime,
        ),
        (optimize::Field::MaxWaiters, tenant::QueueField::MaxWaiters),
    ] {
        if !caps.supports(held) {
            out.push(field);
        }
    }
    if !caps.supports(tenant::QueueField::ServiceLevelTarget) {
        out.extend([
            optimize::Field::ServiceLevelThreshold,
            optimize::Field::ServiceLevelTime,
        ]);
    }
    out
}

/// The edit refused because the edited repository does not validate.
pub(crate) fn refusal(errors: &[Diagnostic]) -> String {
    let mut s = String::from("the edited repository does not validate, so nothing was written:");
    for d in errors {
        s.push_str(&format!("\n  {d}"));
    }
    s
}

// ---- run: observe, plan, apply, record ----

/// What the tenant is to hold: a repository that passed its offline checks, or a plan saved
/// from one (`apply --plan FILE`), re-checked against the repository and the tenant now.
#[derive(Debug)]
pub(crate) struct Desired<'a> {
    pub repo: &'a Repository,
    pub saved: Option<Saved>,
    /// `--only NAME…`: only these queues' changes are kept (none named: every change); a
    /// kept change that needs a left-out one ends the run as [`RunOutcome::Refused`].
    pub only: &'a [String],
}

impl<'a> Desired<'a> {
    /// The repository as it is.
    pub(crate) fn repo(repo: &'a Repository) -> Self {
        Self {
            repo,
            saved: None,
            only: &[],
        }
    }
}

/// A saved plan to apply instead of a fresh one.
#[derive(Debug)]
pub(crate) struct Saved {
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
pub(crate) enum Mode {
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
pub(crate) trait Watch: Send + Sync {
    fn planned(&mut self, _planned: &Planned) -> Vec<Arc<dyn ApplyObserver>> {
        Vec::new()
    }
}

/// A [`Watch`] that hears nothing.
#[derive(Debug, Default)]
pub(crate) struct Quiet;

impl Watch for Quiet {}

/// How to run, and where the apply is recorded.
pub(crate) struct Options<'a> {
    pub mode: Mode,
    /// Writes in flight at once.
    pub parallelism: usize,
    /// The audit log and the webhook outbox (none: nothing recorded).
    pub recorder: Option<&'a Recorder>,
    pub run: &'a RunContext,
    /// The repository whose webhooks an apply calls.
    pub hooks: &'a Repository,
    pub watch: &'a mut dyn Watch,
    /// Change windows and drift modes: the plan is gated before anything is written (none:
    /// every difference is written, as before windows existed).
    pub gate: Option<GateOptions<'a>>,
}

/// What the gate ([`reconcile::gate`]) needs from the caller: the clock, break glass, and the
/// last applied desired state.
#[derive(Clone, Copy, Debug)]
pub struct GateOptions<'a> {
    /// The instant the windows are evaluated at.
    pub at: jiff::Timestamp,
    /// Break glass: apply through change windows, for this reason (audited before the
    /// writes, with a `queue.window.overridden` event per queue).
    pub break_glass: Option<&'a str>,
    /// `run --no-self-heal`: drift mode `correct` becomes `warn`.
    pub no_self_heal: bool,
    /// The last applied desired state per queue (none: no history).
    pub applied: Option<&'a std::collections::BTreeMap<String, reconcile::Desired>>,
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
pub(crate) struct Planned {
    pub observed: Observed,
    /// What is to be applied: the fresh plan, or a saved one rebased on the tenant now (its
    /// `warnings` and `skipped` are the fresh plan's).
    pub plan: Plan,
    /// The queues not applied though asked for: saved-plan changes refused (with the reason),
    /// then managed queues the tenant cannot read ([`Plan::skipped`]).
    pub refused: Vec<String>,
    /// Saved-plan queues planned afresh because the tenant moved since (`--replan`).
    pub replanned: Vec<String>,
    /// What the change windows and drift modes kept out of `plan` (its own `plan` empty),
    /// when the run was gated.
    pub gated: Option<reconcile::Gated>,
}

/// What an apply did.
#[derive(Debug)]
pub(crate) struct Applied {
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
pub(crate) enum RunOutcome {
    /// The repository fails the checks against the tenant: nothing was written.
    Invalid(Rejected),
    /// A saved plan refused as a whole: it records errors instead of changes, or was made for
    /// another tenant or the simulator. Nothing was written. (A saved plan that the repository
    /// or the tenant no longer backs in part is applied for the rest; the changes it refuses are
    /// in [`Planned::refused`].)
    Refused(String),
    /// The tenant already holds what the repository asks for.
    InSync(Planned),
    /// Planned and not applied ([`Mode::Plan`]).
    Planned(Planned),
    /// The tenant drifted from a commit applied before and self-heal is off: reported only.
    DriftReported(Planned),
    /// The plan was applied (each queue's result in the report).
    Applied(Box<Applied>),
    /// A change window holds every change back: nothing is written until `until` (RFC 3339,
    /// the first hold to lift), when the loop runs again.
    Held {
        window: String,
        until: String,
        planned: Box<Planned>,
    },
    /// Another replica leads (`run --leader-elect`): this one neither read nor wrote the
    /// tenant (the controller's fence produces it).
    Standby { leader: String },
}

/// Why a run could not finish.
#[derive(Debug, thiserror::Error)]
pub(crate) enum RunError {
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
pub(crate) async fn run<T: Tenant>(
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
            gated: None,
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
                gated: None,
            }
        }
    };
    let planned = if desired.only.is_empty() {
        planned
    } else {
        match planned.plan.only(desired.only) {
            Ok(plan) => Planned { plan, ..planned },
            Err(errors) => {
                let lines: Vec<String> = errors.iter().map(|e| format!("\n  {e}")).collect();
                return Ok(RunOutcome::Refused(format!(
                    "--only cannot keep these changes apart (nothing was written):{}",
                    lines.concat()
                )));
            }
        }
    };
    let planned = match &opts.gate {
        Some(g) => gated(desired.repo, planned, g),
        None => planned,
    };
    let gating = planned.gated.is_some();
    let healed = match opts.mode {
        Mode::Plan if planned.plan.is_empty() => return Ok(RunOutcome::InSync(planned)),
        Mode::Plan => return Ok(RunOutcome::Planned(planned)),
        Mode::Apply => false,
        Mode::Reconcile { .. } if planned.plan.is_empty() => return Ok(held_or_in_sync(planned)),
        // Without the gate, self-heal off reports every difference to an applied commit.
        Mode::Reconcile {
            applied_before: true,
            self_heal: false,
        } if !gating => return Ok(RunOutcome::DriftReported(planned)),
        Mode::Reconcile { applied_before, .. } => applied_before,
    };
    // Writes through a change window are audited before they are made.
    if let (Some(g), Some(r), Some(gated)) = (&opts.gate, opts.recorder, &planned.gated)
        && !gated.overridden.is_empty()
    {
        let trace = crate::recorder::gate::GateTrace {
            overridden: &gated.overridden,
            reason: g.break_glass,
            new_drift: Vec::new(),
        };
        r.record_gate(opts.hooks, opts.run, &trace)?;
    }
    let extra = opts.watch.planned(&planned);
    let (report, audited) = apply_and_record(tenant, &planned, &opts, extra).await?;
    Ok(RunOutcome::Applied(Box::new(Applied {
        planned,
        report,
        audited,
        healed,
    })))
}

/// The plan less what the change windows, drift modes and ignore paths keep back.
fn gated(repo: &Repository, planned: Planned, g: &GateOptions<'_>) -> Planned {
    let Planned {
        observed,
        plan,
        refused,
        replanned,
        ..
    } = planned;
    let windows = crate::output::windows::windows_of(repo);
    let mut gated = reconcile::gate(
        plan,
        &reconcile::GateInput {
            repo,
            observed: &observed,
            windows: &windows,
            at: g.at,
            break_glass: g.break_glass.is_some(),
            no_self_heal: g.no_self_heal,
            applied: g.applied,
        },
    );
    let plan = std::mem::take(&mut gated.plan);
    Planned {
        observed,
        plan,
        refused,
        replanned,
        gated: Some(gated),
    }
}

/// An empty gated plan in the loop: held (a window keeps changes back), drift reported
/// (mode `warn`), or in sync.
fn held_or_in_sync(planned: Planned) -> RunOutcome {
    let Some(g) = &planned.gated else {
        return RunOutcome::InSync(planned);
    };
    if let Some(first) = g.held.first() {
        let until = g.next_release();
        return RunOutcome::Held {
            window: g
                .held
                .iter()
                .find(|h| h.until == until)
                .unwrap_or(first)
                .window
                .clone(),
            until: until.map_or_else(
                || "no end in sight".to_string(),
                crate::output::windows::rfc3339,
            ),
            planned: Box::new(planned),
        };
    }
    if g.drift.iter().any(|d| !d.corrected) {
        return RunOutcome::DriftReported(planned);
    }
    RunOutcome::InSync(planned)
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
    use tenant::FakeTenant;

    use super::*;

    /// A repository of one queue, `Alpha`, waiting at most `wait` seconds.
    fn repo(wait: u32) -> Repository {
        let text = format!(
            "apiVersion: cxqueues/v1\nkind: Queue\nmetadata:\n  name: Alpha\nspec:\n  maxWaitTime: {wait}\n"
        );
        let file = model::RepoFile {
            path: "queues/alpha.yaml".into(),
            bytes: text.into_bytes(),
        };
        let repo = model::parse_files(None, vec![file], &LoadOptions::default());
        assert!(!repo.has_errors(), "{:?}", repo.diagnostics);
        repo
    }

    async fn run_in(mode: Mode, desired: &Desired<'_>, t: &FakeTenant) -> RunOutcome {
        let ctx = RunContext::new("test");
        run(
            desired,
            t,
            Options {
                mode,
                parallelism: 2,
                recorder: None,
                run: &ctx,
                hooks: desired.repo,
                watch: &mut Quiet,
                gate: None,
            },
        )
        .await
        .expect("the fake tenant answers")
    }

    #[tokio::test]
    async fn plan_mode_plans_and_writes_nothing_and_apply_mode_writes() {
        let t = FakeTenant::default();
        let repo = repo(100);
        let outcome = run_in(Mode::Plan, &Desired::repo(&repo), &t).await;
        assert!(
            matches!(&outcome, RunOutcome::Planned(p) if p.plan.changes.len() == 1),
            "{outcome:?}"
        );
        assert_eq!(t.writes(), 0);
        let outcome = run_in(Mode::Apply, &Desired::repo(&repo), &t).await;
        let RunOutcome::Applied(applied) = outcome else {
            panic!("not applied: {outcome:?}");
        };
        assert!(applied.report.is_complete() && !applied.healed);
        assert_eq!(t.queue_by_name("Alpha").unwrap().max_wait_time, Some(100));
        let outcome = run_in(Mode::Plan, &Desired::repo(&repo), &t).await;
        assert!(matches!(outcome, RunOutcome::InSync(_)), "{outcome:?}");
    }

    #[tokio::test]
    async fn the_loop_reports_drift_without_self_heal_and_writes_it_back_with_it() {
        let t = FakeTenant::default();
        let repo = repo(100);
        run_in(Mode::Apply, &Desired::repo(&repo), &t).await;
        let id = t.queue_by_name("Alpha").unwrap().id.unwrap();
        t.edit(&id, |q| q.max_wait_time = Some(42));
        let report_only = Mode::Reconcile {
            applied_before: true,
            self_heal: false,
        };
        let outcome = run_in(report_only, &Desired::repo(&repo), &t).await;
        assert!(
            matches!(outcome, RunOutcome::DriftReported(_)),
            "{outcome:?}"
        );
        assert_eq!(t.queue(&id).unwrap().max_wait_time, Some(42));
        let heal = Mode::Reconcile {
            applied_before: true,
            self_heal: true,
        };
        let outcome = run_in(heal, &Desired::repo(&repo), &t).await;
        assert!(
            matches!(&outcome, RunOutcome::Applied(a) if a.healed),
            "{outcome:?}"
        );
        assert_eq!(t.queue(&id).unwrap().max_wait_time, Some(100));
    }

    #[tokio::test]
    async fn a_tenant_aware_error_is_invalid_and_a_saved_plan_for_another_tenant_is_refused() {
        let t = FakeTenant::default();
        let text = "apiVersion: cxqueues/v1\nkind: Queue\nmetadata:\n  name: Alpha\nspec:\n  skillRequirements:\n    - {skill: language:fr, proficiency: expert}\n";
        let file = model::RepoFile {
            path: "queues/alpha.yaml".into(),
            bytes: text.as_bytes().to_vec(),
        };
        let unknown_skill = model::parse_files(None, vec![file], &LoadOptions::default());
        let outcome = run_in(Mode::Apply, &Desired::repo(&unknown_skill), &t).await;
        assert!(
            matches!(&outcome, RunOutcome::Invalid(r) if r.diagnostics[0].rule == model::Rule::UnknownSkill),
            "{outcome:?}"
        );

        let repo = repo(100);
        let origin = |tenant: &str| Origin {
            tenant: tenant.into(),
            ..Origin::default()
        };
        let planned = match run_in(Mode::Plan, &Desired::repo(&repo), &t).await {
            RunOutcome::Planned(p) => p,
            other => panic!("{other:?}"),
        };
        let saved = Saved {
            file: "plan.json".into(),
            doc: PlanFile::from_plan(&planned.plan, origin("east")),
            here: origin("west"),
            replan: false,
        };
        let desired = Desired {
            repo: &repo,
            saved: Some(saved),
            only: &[],
        };
        let outcome = run_in(Mode::Apply, &desired, &t).await;
        assert!(
            matches!(&outcome, RunOutcome::Refused(why) if why.contains("\"east\"")),
            "{outcome:?}"
        );
        assert_eq!(t.writes(), 0);
    }

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
