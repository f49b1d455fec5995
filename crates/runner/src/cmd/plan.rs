//! `cxqueues plan` and `cxqueues apply`.

use std::path::PathBuf;

use std::sync::Arc;

use model::Repository;
use reconcile::{ApplyObserver, ApplyReport, QueueResult};

use crate::cli::args::RepoArgs;
use crate::cli::args::TenantArgs;
use crate::exit::{CliError, Outcome};
use crate::output::plan::{self as plan_output, Origin, PlanFile};
use crate::pipeline::{self, Desired, Mode, Planned, RunOutcome};
use crate::recorder::audit::RunContext;
use crate::tenant::{Connected, connect};
use model::Windows;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum PlanFormat {
    Text,
    Markdown,
    Json,
}

#[derive(Debug, clap::Args)]
pub(crate) struct PlanArgs {
    #[command(flatten)]
    pub repo: RepoArgs,
    #[command(flatten)]
    pub tenant: TenantArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t = PlanFormat::Text)]
    pub format: PlanFormat,
    /// Also save the plan (JSON) to FILE, for `apply --plan FILE`.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Exit 0 when there are no changes, 2 when there are.
    #[arg(long)]
    pub detailed_exitcode: bool,
    /// Only the changes of these queues (by name; repeat or list several): the whole
    /// repository is still validated and planned.
    #[arg(long, value_name = "NAME", num_args = 1..)]
    pub only: Vec<String>,
    #[command(flatten)]
    pub state: crate::cli::args::StateDirArg,
}

#[derive(Debug, clap::Args)]
pub(crate) struct ApplyArgs {
    #[command(flatten)]
    pub repo: RepoArgs,
    #[command(flatten)]
    pub tenant: TenantArgs,
    /// Apply exactly this saved plan (from `plan --out`); a queue whose tenant version moved
    /// since is refused.
    #[arg(long, value_name = "FILE")]
    pub plan: Option<PathBuf>,
    /// With --plan: re-plan the queues whose tenant version moved instead of refusing them.
    #[arg(long, requires = "plan")]
    pub replan: bool,
    /// Writes in flight at once.
    #[arg(long, default_value_t = 8)]
    pub parallelism: usize,
    /// Only plan (same as `cxqueues plan`).
    #[arg(long)]
    pub dry_run: bool,
    /// With --dry-run: save the plan (JSON) to FILE, as `plan --out`.
    #[arg(long, value_name = "FILE", requires = "dry_run")]
    pub out: Option<PathBuf>,
    /// With --dry-run: exit 0 when there are no changes, 2 when there are; without: exit 2
    /// while a change window holds anything back.
    #[arg(long)]
    pub detailed_exitcode: bool,
    /// Apply through deny windows and outside allow windows; REASON goes to the audit log
    /// and the `queue.window.overridden` webhook event.
    #[arg(long, value_name = "REASON")]
    pub break_glass: Option<String>,
    /// Output format of the plan printed before applying.
    #[arg(long, value_enum, default_value_t = PlanFormat::Text)]
    pub format: PlanFormat,
    /// Only the changes of these queues (by name; repeat or list several): the whole
    /// repository is still validated and planned; a named queue that needs a change of
    /// another (its overflow target's create) is refused, naming it.
    #[arg(long, value_name = "NAME", num_args = 1..)]
    pub only: Vec<String>,
    #[command(flatten)]
    pub state: crate::cli::args::StateArgs,
}

/// The tenant's name and the checked-out commit, recorded in the saved plan and shown in
/// the markdown header.
fn origin(dir: &std::path::Path, repo: &Repository, sim: bool) -> Origin {
    let name = repo.tenant.metadata.name.trim();
    let commit = git2::Repository::discover(dir).ok().and_then(|r| {
        let head = r.head().ok()?.peel_to_commit().ok()?;
        Some(head.id().to_string())
    });
    Origin {
        tenant: if name.is_empty() { "default" } else { name }.to_string(),
        commit,
        simulated: sim,
    }
}

/// The repository checked and the tenant connected, ready for the pipeline; or the "invalid"
/// plan document (errors printed) that `plan --out` saves.
struct Ready {
    repo: Repository,
    conn: Connected,
    origin: Origin,
}

/// Validates (printing every diagnostic) and connects.
async fn prepare(
    repo: &RepoArgs,
    tenant: &TenantArgs,
    state_dir: &std::path::Path,
) -> Result<Result<Ready, Box<PlanFile>>, CliError> {
    let loaded = match super::load_or_errors(repo) {
        Ok(r) => r,
        Err(bad) => {
            let origin = origin(&repo.repo, &bad.repo, tenant.sim);
            return Ok(Err(Box::new(PlanFile::invalid(origin, &bad.diagnostics))));
        }
    };
    let origin = origin(&repo.repo, &loaded, tenant.sim);
    let conn = connect(tenant, &loaded, state_dir).await?;
    if let Some(url) = conn.sim_url() {
        eprintln!(
            "Using the embedded simulated tenant at {url} (demo state; nothing real is touched)."
        );
    }
    Ok(Ok(Ready {
        repo: loaded,
        conn,
        origin,
    }))
}

/// The tenant-aware errors of a plan, printed, as the "invalid" plan document.
fn rejected(root: &std::path::Path, origin: Origin, r: &reconcile::Rejected) -> Box<PlanFile> {
    super::report_diagnostics(root, &r.diagnostics);
    eprintln!("The plan has errors against the tenant: nothing was written.");
    Box::new(PlanFile::invalid(origin, &r.diagnostics))
}

/// The plan's notes: unreadable tenant queues, managed ones left out, queues re-planned.
fn print_notes(planned: &Planned) {
    for w in &planned.plan.warnings {
        eprintln!("warning: {w}");
    }
    for s in &planned.plan.skipped {
        eprintln!("error: {s}");
    }
    for name in &planned.replanned {
        eprintln!("re-planned {name}: its tenant state moved since the plan was made");
    }
}

/// What `apply` shows as the pipeline goes: the plan before anything is written, then a
/// progress bar on a terminal.
struct ApplyWatch {
    origin: Origin,
    format: PlanFormat,
    /// The repository, for the plan's cost.
    repo: Repository,
    bar: Option<indicatif::ProgressBar>,
    windows: Windows,
    now: jiff::Timestamp,
    /// The plan could not be printed (a full stdout): nothing is sent, and this is the error.
    unprinted: Option<CliError>,
}

/// Refuses every write: the plan could not be shown, so nothing is applied unseen.
#[derive(Debug)]
struct SendNothing;

impl ApplyObserver for SendNothing {
    fn may_send(&self, _change: &reconcile::Change) -> Result<(), String> {
        Err("the plan could not be printed (standard output)".into())
    }
    fn on_outcome(&self, _outcome: &reconcile::QueueOutcome) {}
}

impl pipeline::Watch for ApplyWatch {
    fn planned(&mut self, planned: &Planned) -> Vec<Arc<dyn ApplyObserver>> {
        print_notes(planned);
        let cost = cost(&planned.plan, &self.repo);
        let shown = print_plan(
            planned,
            &self.origin,
            self.format,
            cost,
            &self.windows,
            self.now,
        );
        if let Err(e) = shown {
            self.unprinted = Some(e);
            return vec![Arc::new(SendNothing)];
        }
        match super::progress(planned.plan.changes.len()) {
            Some((bar, observer)) => {
                self.bar = Some(bar);
                vec![observer]
            }
            None => Vec::new(),
        }
    }
}

/// The plan document with what the windows held back and the drift found.
fn plan_file(planned: &Planned, origin: &Origin) -> PlanFile {
    let mut file = PlanFile::from_plan(&planned.plan, origin.clone());
    if let Some(g) = &planned.gated {
        file.held = g.held.iter().map(Into::into).collect();
        file.drift = g.drift.iter().map(Into::into).collect();
    }
    file
}

/// Prints the plan, then what the change windows hold back and the drift not corrected.
fn print_plan(
    planned: &Planned,
    origin: &Origin,
    format: PlanFormat,
    cost: plan_output::Cost,
    windows: &Windows,
    now: jiff::Timestamp,
) -> Result<(), CliError> {
    let plan = &planned.plan;
    crate::output::print(match format {
        PlanFormat::Text => {
            let gate_lines = planned
                .gated
                .as_ref()
                .map(|g| crate::output::windows::text(g, windows, now))
                .unwrap_or_default();
            format!(
                "{}{gate_lines}",
                plan_output::text_with_cost(plan, crate::output::color_on_stdout(), Some(cost))
            )
        }
        // The held changes and the drift are in the document, as `comment` shows them; the
        // writes break glass let through (apply) are said after it.
        PlanFormat::Markdown => {
            let overridden = planned
                .gated
                .as_ref()
                .map(crate::output::windows::overridden_markdown)
                .unwrap_or_default();
            format!(
                "{}{overridden}",
                plan_output::markdown(&plan_file(planned, origin))
            )
        }
        PlanFormat::Json => plan_output::json(&plan_file(planned, origin)),
    })?;
    Ok(())
}

/// What applying `plan` costs on `repo`'s platform, at its client's pace.
fn cost(plan: &reconcile::Plan, repo: &Repository) -> plan_output::Cost {
    let platform = repo.tenant.spec.platform;
    plan_output::Cost {
        requests: reconcile::requests(plan, crate::tenant::capabilities(platform)),
        per_second: crate::tenant::requests_per_second(repo),
    }
}

/// The state directory that holds the last applied state (the simulator's own with `--sim`).
fn applied_dir(state_dir: &std::path::Path, sim: bool) -> std::path::PathBuf {
    if sim {
        crate::tenant::sim_dir(state_dir)
    } else {
        state_dir.to_path_buf()
    }
}

/// Whether anything is held back by a change window.
fn held(planned: &Planned) -> bool {
    planned.gated.as_ref().is_some_and(|g| !g.held.is_empty())
}

fn save(out: &std::path::Path, doc: &PlanFile) -> Result<(), CliError> {
    std::fs::write(out, plan_output::json(doc)).map_err(|source| CliError::Io {
        what: "write the plan to",
        path: out.to_path_buf(),
        source,
    })
}

pub(crate) async fn plan(args: PlanArgs) -> Result<Outcome, CliError> {
    let invalid = |doc: Box<PlanFile>| -> Result<Outcome, CliError> {
        if let Some(out) = &args.out {
            save(out, &doc)?;
            eprintln!(
                "Saved the reasons to {} (an \"invalid\" plan: `cxqueues comment` posts them; apply refuses it).",
                out.display()
            );
        }
        Ok(Outcome::Invalid)
    };
    let ready = match prepare(&args.repo, &args.tenant, &args.state.state_dir).await? {
        Ok(r) => r,
        Err(doc) => return invalid(doc),
    };
    let run = RunContext::new("cli");
    let now = jiff::Timestamp::now();
    let prev = crate::recorder::applied::load_applied(&applied_dir(
        &args.state.state_dir,
        args.tenant.sim,
    ));
    let outcome = pipeline::run(
        &Desired {
            only: &args.only,
            ..Desired::repo(&ready.repo)
        },
        &ready.conn.client,
        pipeline::Options {
            mode: Mode::Plan,
            parallelism: 1,
            recorder: None,
            run: &run,
            hooks: &ready.repo,
            watch: &mut pipeline::Quiet,
            gate: Some(pipeline::GateOptions {
                at: now,
                break_glass: None,
                no_self_heal: false,
                applied: prev.as_ref(),
            }),
        },
    )
    .await?;
    let planned = match outcome {
        RunOutcome::InSync(p) | RunOutcome::Planned(p) => p,
        RunOutcome::Invalid(r) => return invalid(rejected(&args.repo.repo, ready.origin, &r)),
        RunOutcome::Refused(why) => return Err(CliError::Usage(why)),
        other => unreachable_outcome(&other),
    };
    print_notes(&planned);
    let plan = &planned.plan;
    let windows = crate::output::windows::windows_of(&ready.repo);
    print_plan(
        &planned,
        &ready.origin,
        args.format,
        cost(plan, &ready.repo),
        &windows,
        now,
    )?;
    if let Some(out) = &args.out {
        save(out, &plan_file(&planned, &ready.origin))?;
        eprintln!(
            "Saved the plan to {}; apply it with `cxqueues apply --plan {}`.",
            out.display(),
            out.display()
        );
    }
    Ok(
        if args.detailed_exitcode && (!plan.is_clean() || held(&planned)) {
            Outcome::Changes
        } else {
            Outcome::Success
        },
    )
}

/// An outcome a command's mode cannot produce (a plan is never held or applied).
fn unreachable_outcome(o: &RunOutcome) -> ! {
    unreachable!("the pipeline ended in {o:?}, which this command's mode never reaches")
}

pub(crate) async fn apply(args: ApplyArgs) -> Result<Outcome, CliError> {
    if args
        .break_glass
        .as_deref()
        .is_some_and(|r| r.trim().is_empty())
    {
        return Err(CliError::Usage(
            "--break-glass needs a reason (it goes to the audit log), e.g. --break-glass \"outage INC-123\"".into(),
        ));
    }
    if args.dry_run {
        return plan(PlanArgs {
            repo: args.repo,
            tenant: args.tenant,
            format: args.format,
            out: args.out,
            detailed_exitcode: args.detailed_exitcode,
            only: args.only,
            state: crate::cli::args::StateDirArg {
                state_dir: args.state.state_dir,
            },
        })
        .await;
    }
    let Ready { repo, conn, origin } =
        match prepare(&args.repo, &args.tenant, &args.state.state_dir).await? {
            Ok(r) => r,
            Err(_) => return Ok(Outcome::Invalid),
        };
    let saved = match &args.plan {
        None => None,
        Some(file) => Some(pipeline::Saved {
            file: file.clone(),
            doc: PlanFile::read(file)?,
            here: origin.clone(),
            replan: args.replan,
        }),
    };
    // The audit log and the webhook outbox (both under --state-dir).
    let hooks = crate::recorder::webhooks_for(repo.clone(), args.tenant.sim);
    let state = crate::recorder::sim_state_args(&args.state, args.tenant.sim);
    let recorder = crate::recorder::Recorder::open(&state, &hooks)?;
    let run = RunContext::new("cli");
    // The change windows at this instant, and the last applied state (change or drift).
    let now = jiff::Timestamp::now();
    let prev = crate::recorder::applied::load_applied(&state.state_dir);
    let mut watch = ApplyWatch {
        origin,
        format: args.format,
        repo: repo.clone(),
        bar: None,
        windows: crate::output::windows::windows_of(&repo),
        now,
        unprinted: None,
    };
    let outcome = pipeline::run(
        &Desired {
            repo: &repo,
            saved,
            only: &args.only,
        },
        &conn.client,
        pipeline::Options {
            mode: Mode::Apply,
            parallelism: args.parallelism,
            recorder: Some(&recorder),
            run: &run,
            hooks: &hooks,
            watch: &mut watch,
            gate: Some(pipeline::GateOptions {
                at: now,
                break_glass: args.break_glass.as_deref(),
                no_self_heal: false,
                applied: prev.as_ref(),
            }),
        },
    )
    .await?;
    if let Some(bar) = watch.bar {
        bar.finish_and_clear();
    }
    if let Some(e) = watch.unprinted {
        // Nothing was sent (SendNothing): the plan was never shown.
        return Err(e);
    }
    let applied = match outcome {
        RunOutcome::Applied(applied) => applied,
        RunOutcome::Invalid(r) => {
            rejected(&args.repo.repo, watch.origin, &r);
            return Ok(Outcome::Invalid);
        }
        RunOutcome::Refused(why) => return Err(CliError::Usage(why)),
        other => unreachable_outcome(&other),
    };
    let pipeline::Applied {
        planned,
        report,
        audited,
        ..
    } = *applied;
    let mut audited = audited;
    if let Some(g) = &planned.gated {
        let trace = crate::recorder::gate::GateTrace {
            // The break-glass records were written before the apply (by the pipeline).
            overridden: &[],
            reason: None,
            new_drift: g.drift.iter().collect(),
        };
        let traced = recorder.record_gate(&hooks, &run, &trace);
        audited = audited.and(traced.map_err(|e| e.to_string()));
        let record = crate::recorder::applied::record_after(&g.record, prev.as_ref(), &report);
        if let Err(e) = crate::recorder::applied::save_applied(&state.state_dir, &record) {
            eprintln!(
                "warning: the last applied state could not be saved in {}: {e}",
                state.state_dir.display()
            );
        }
        if let Some(until) = g.next_release() {
            eprintln!(
                "{} change(s) held by a change window; run apply again after {} (or `cxqueues run` applies them when the window lifts).",
                g.held.len(),
                crate::output::windows::rfc3339(until)
            );
        }
    }
    if let Err(e) = &audited {
        eprintln!("error: the audit log is incomplete: {e}");
    }
    let left = recorder.shutdown(std::time::Duration::from_secs(10)).await;
    if left.pending > 0 {
        eprintln!(
            "{} webhook event(s) wait in the outbox ({}); the next apply or run delivers them.",
            left.pending,
            state.state_dir.display()
        );
    }
    let outcome = report_outcome(&report, &planned.refused)?;
    if let Some(file) = args.plan.as_ref().filter(|_| !planned.refused.is_empty()) {
        eprintln!("{}", replan_hint(&args, file));
    }
    // A change the audit log does not hold is not reconciled as far as compliance goes.
    Ok(if audited.is_err() {
        Outcome::Partial
    } else if outcome == Outcome::Success && args.detailed_exitcode && held(&planned) {
        Outcome::Changes
    } else {
        outcome
    })
}

/// Prints what happened, each failure named; exit 4 when anything was not reconciled.
pub(crate) fn report_outcome(
    report: &ApplyReport,
    refused: &[String],
) -> Result<Outcome, CliError> {
    for o in &report.outcomes {
        for ov in &o.overridden {
            crate::output::print(format!(
                "{}: overrode a concurrent change to {} by {}\n",
                o.name,
                ov.field,
                ov.by.as_deref().unwrap_or("someone else")
            ))?;
        }
    }
    for o in &report.outcomes {
        if o.is_applied() && !o.fields.is_empty() {
            crate::output::print(format!("{}\n", applied_line(o)))?;
        }
    }
    for o in report.not_reconciled() {
        eprintln!("{}", not_reconciled_line(o));
    }
    for r in refused {
        eprintln!("refused: {r}");
    }
    crate::output::print(format!("{}\n", report.summary_refusing(refused.len())))?;
    Ok(if report.is_complete() && refused.is_empty() {
        Outcome::Success
    } else {
        Outcome::Partial
    })
}

/// What to do about the refusals of a saved plan, as commands that work as written: the same
/// repository, tenant (`--sim`) and state directory as this apply.
fn replan_hint(args: &ApplyArgs, file: &std::path::Path) -> String {
    let mut common = String::new();
    if args.repo.repo != std::path::Path::new(".") {
        common.push_str(&format!(" --repo {}", args.repo.repo.display()));
    }
    if args.tenant.sim {
        common.push_str(" --sim");
    }
    if args.state.state_dir != std::path::Path::new(".cxqueues") {
        common.push_str(&format!(" --state-dir {}", args.state.state_dir.display()));
    }
    let file = file.display();
    format!(
        "hint: the refused queues were not applied: the plan in {file} no longer matches the tenant. `cxqueues plan{common}` shows what is left to do; to apply it, `cxqueues plan{common} --out {file}`, review, then `cxqueues apply{common} --plan {file}` (or `cxqueues apply{common} --plan {file} --replan` to re-plan the refused queues without review)."
    )
}

/// `updated Billing Tier 1: maxWaitTime 300 → 240`: what one write changed.
pub(crate) fn applied_line(o: &reconcile::QueueOutcome) -> String {
    let verb = match o.action {
        reconcile::Action::Create => "created",
        reconcile::Action::Update => "updated",
        reconcile::Action::Delete => "deleted",
    };
    format!(
        "{verb} {}: {}",
        crate::output::printable::printable(&o.name),
        crate::output::plan::changed_fields(&o.fields)
    )
}

/// `skipped: Front, an update: depends on "Back", which failed`: the status said once.
pub(crate) fn not_reconciled_line(o: &reconcile::QueueOutcome) -> String {
    let (what, why) = match &o.result {
        QueueResult::Skipped { reason } => ("skipped", reason.to_string()),
        QueueResult::Failed(e) => ("failed", e.to_string()),
        QueueResult::Applied { .. } => ("applied", String::new()),
    };
    let action = match o.action {
        reconcile::Action::Create => "a create",
        reconcile::Action::Update => "an update",
        reconcile::Action::Delete => "a delete",
    };
    format!(
        "{what}: {}, {action}: {why}",
        crate::output::printable::printable(&o.name),
    )
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use reconcile::{Action, FieldChange, QueueOutcome, QueueResult, SkipReason};
    use serde_json::json;

    use super::{applied_line, not_reconciled_line};

    fn outcome(result: QueueResult, fields: Vec<FieldChange>) -> QueueOutcome {
        QueueOutcome {
            name: "Billing Tier 1".into(),
            id: Some("q1".into()),
            action: Action::Update,
            version_before: Some(2),
            conflicts: 0,
            overridden: Vec::new(),
            latency: Duration::ZERO,
            fields,
            result,
        }
    }

    #[test]
    fn an_applied_update_names_each_field_it_changed_with_before_and_after() {
        let o = outcome(
            QueueResult::Applied {
                version_after: Some(3),
                written: None,
            },
            vec![
                FieldChange {
                    path: "maxWaitTime".into(),
                    before: json!(300),
                    after: json!(240),
                },
                FieldChange {
                    path: "maxWaiters".into(),
                    before: json!(null),
                    after: json!(60),
                },
            ],
        );
        assert_eq!(
            applied_line(&o),
            "updated Billing Tier 1: maxWaitTime 300 → 240, maxWaiters (none) → 60"
        );
    }

    #[test]
    fn a_skipped_queue_says_skipped_once_and_no_nested_parentheses() {
        let o = outcome(
            QueueResult::Skipped {
                reason: SkipReason::DependsOn {
                    queue: "Back".into(),
                    failed: false,
                },
            },
            Vec::new(),
        );
        let line = not_reconciled_line(&o);
        assert_eq!(
            line,
            "skipped: Billing Tier 1, an update: depends on \"Back\", which was skipped too"
        );
        assert_eq!(line.matches("skipped:").count(), 1);
    }
}
