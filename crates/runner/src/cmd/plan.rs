//! `cxqueues plan` and `cxqueues apply`.

use std::path::PathBuf;

use model::Repository;
use reconcile::{ApplyReport, Observed, Plan, Status};

use crate::RepoArgs;
use crate::exit::{CliError, Outcome};
use crate::output::plan::{self as plan_output, Origin, PlanFile, PlanStatus};
use crate::pipeline;
use crate::tenant::{Connected, TenantArgs, connect};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum PlanFormat {
    Text,
    Markdown,
    Json,
}

#[derive(Debug, clap::Args)]
pub struct PlanArgs {
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
    #[command(flatten)]
    pub state: crate::recorder::StateDirArg,
}

#[derive(Debug, clap::Args)]
pub struct ApplyArgs {
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
    /// With --dry-run: exit 0 when there are no changes, 2 when there are.
    #[arg(long, requires = "dry_run")]
    pub detailed_exitcode: bool,
    /// Output format of the plan printed before applying.
    #[arg(long, value_enum, default_value_t = PlanFormat::Text)]
    pub format: PlanFormat,
    #[command(flatten)]
    pub state: crate::recorder::StateArgs,
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

/// A plan made, with everything that made it.
struct Planned {
    repo: Repository,
    conn: Connected,
    observed: Observed,
    plan: Plan,
    origin: Origin,
}

/// Validates, connects, observes and plans. Errors (the repository's, or tenant-aware) are
/// printed, and come back as the "invalid" plan document that `plan --out` saves.
async fn make_plan(
    repo: &RepoArgs,
    tenant: &TenantArgs,
    state_dir: &std::path::Path,
) -> Result<Result<Planned, Box<PlanFile>>, CliError> {
    let loaded = match pipeline::load_or_errors(repo) {
        Ok(r) => r,
        Err(bad) => {
            let origin = origin(&repo.repo, &bad.repo, tenant.sim);
            return Ok(Err(Box::new(PlanFile::invalid(origin, &bad.diagnostics))));
        }
    };
    let origin = origin(&repo.repo, &loaded, tenant.sim);
    let conn = connect(tenant, &loaded, state_dir).await?;
    if let Some(sim) = &conn.sim {
        eprintln!(
            "Using the embedded simulated tenant at {} (demo state; nothing real is touched).",
            sim.base_url()
        );
    }
    let pipeline::Planned { observed, plan } =
        pipeline::observe_and_plan(&loaded, &conn.client).await?;
    if plan.has_errors() {
        pipeline::report_diagnostics(&repo.repo, &plan.diagnostics);
        eprintln!("The plan has errors against the tenant: nothing was written.");
        return Ok(Err(Box::new(PlanFile::invalid(origin, &plan.diagnostics))));
    }
    for w in &plan.warnings {
        eprintln!("warning: {w}");
    }
    for s in &plan.skipped {
        eprintln!("error: {s}");
    }
    Ok(Ok(Planned {
        repo: loaded,
        conn,
        observed,
        plan,
        origin,
    }))
}

fn print_plan(plan: &Plan, origin: &Origin, format: PlanFormat) {
    match format {
        PlanFormat::Text => print!(
            "{}",
            plan_output::text(plan, crate::output::color_on_stdout())
        ),
        PlanFormat::Markdown => print!(
            "{}",
            plan_output::markdown(&PlanFile::from_plan(plan, origin.clone()))
        ),
        PlanFormat::Json => print!(
            "{}",
            plan_output::json(&PlanFile::from_plan(plan, origin.clone()))
        ),
    }
}

fn save(out: &std::path::Path, doc: &PlanFile) -> Result<(), CliError> {
    std::fs::write(out, plan_output::json(doc)).map_err(|source| CliError::Io {
        what: "write the plan to",
        path: out.to_path_buf(),
        source,
    })
}

pub async fn plan(args: PlanArgs) -> Result<Outcome, CliError> {
    let planned = match make_plan(&args.repo, &args.tenant, &args.state.state_dir).await? {
        Ok(p) => p,
        Err(invalid) => {
            if let Some(out) = &args.out {
                save(out, &invalid)?;
                eprintln!(
                    "Saved the reasons to {} (an \"invalid\" plan: `cxqueues comment` posts them; apply refuses it).",
                    out.display()
                );
            }
            return Ok(Outcome::Invalid);
        }
    };
    let plan = &planned.plan;
    print_plan(plan, &planned.origin, args.format);
    if let Some(out) = &args.out {
        save(out, &PlanFile::from_plan(plan, planned.origin.clone()))?;
        eprintln!(
            "Saved the plan to {}; apply it with `cxqueues apply --plan {}`.",
            out.display(),
            out.display()
        );
    }
    Ok(if args.detailed_exitcode && !plan.is_empty() {
        Outcome::Changes
    } else {
        Outcome::Success
    })
}

pub async fn apply(args: ApplyArgs) -> Result<Outcome, CliError> {
    if args.dry_run {
        return plan(PlanArgs {
            repo: args.repo,
            tenant: args.tenant,
            format: args.format,
            out: args.out,
            detailed_exitcode: args.detailed_exitcode,
            state: crate::recorder::StateDirArg {
                state_dir: args.state.state_dir,
            },
        })
        .await;
    }
    let Planned {
        repo: loaded,
        conn,
        observed,
        plan,
        origin,
    } = match make_plan(&args.repo, &args.tenant, &args.state.state_dir).await? {
        Ok(x) => x,
        Err(_) => return Ok(Outcome::Invalid),
    };
    // A managed queue the tenant cannot read is left out: the apply is partial (exit 4).
    let skipped = plan.skipped.clone();
    let (plan, mut refused) = match &args.plan {
        None => (plan, Vec::new()),
        Some(file) => saved_plan(file, &plan, &observed, &origin, args.replan)?,
    };
    refused.extend(skipped);
    print_plan(&plan, &origin, args.format);
    // The audit log and the webhook outbox (both under --state-dir).
    let loaded = pipeline::webhooks_for(loaded, args.tenant.sim);
    let state = pipeline::sim_state_args(&args.state, args.tenant.sim);
    let recorder = crate::recorder::Recorder::open(&state, &loaded)?;
    let ctx = crate::recorder::audit::RunContext::new("cli");
    let bar = pipeline::progress(plan.changes.len());
    let extra = bar.iter().map(|(_, o)| o.clone()).collect();
    let planned = pipeline::Planned { observed, plan };
    let run = pipeline::apply_and_record(
        &conn.client,
        &planned,
        Some(&recorder),
        &ctx,
        &loaded,
        args.parallelism,
        extra,
    )
    .await?;
    if let Some((bar, _)) = bar {
        bar.finish_and_clear();
    }
    let (report, audited) = (run.report, run.audited);
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
    let outcome = report_outcome(&report, &refused);
    // A change the audit log does not hold is not reconciled as far as compliance goes.
    Ok(if audited.is_err() {
        Outcome::Partial
    } else {
        outcome
    })
}

/// Prints what happened, each failure named; exit 4 when anything was not reconciled.
pub fn report_outcome(report: &ApplyReport, refused: &[String]) -> Outcome {
    for o in &report.outcomes {
        for ov in &o.overridden {
            println!(
                "{}: overrode a concurrent change to {} by {}",
                o.name,
                ov.field,
                ov.by.as_deref().unwrap_or("someone else")
            );
        }
    }
    for o in &report.outcomes {
        if o.status == Status::Applied && !o.fields.is_empty() {
            println!("{}", applied_line(o));
        }
    }
    for o in report.not_reconciled() {
        eprintln!("{}", not_reconciled_line(o));
    }
    for r in refused {
        eprintln!("refused: {r}");
    }
    println!("{}", report.summary_line());
    if report.is_complete() && refused.is_empty() {
        Outcome::Success
    } else {
        Outcome::Partial
    }
}

/// `updated Billing Tier 1: maxWaitTime 300 → 240`: what one write changed.
pub fn applied_line(o: &reconcile::QueueOutcome) -> String {
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
pub fn not_reconciled_line(o: &reconcile::QueueOutcome) -> String {
    let what = if o.status == Status::Skipped {
        "skipped"
    } else {
        "failed"
    };
    let action = match o.action {
        reconcile::Action::Create => "a create",
        reconcile::Action::Update => "an update",
        reconcile::Action::Delete => "a delete",
    };
    format!(
        "{what}: {}, {action}: {}",
        crate::output::printable::printable(&o.name),
        o.error.as_deref().unwrap_or("unknown error")
    )
}

/// Reads a plan saved by `plan --out`.
pub fn read_plan_file(file: &std::path::Path) -> Result<PlanFile, CliError> {
    let text = std::fs::read_to_string(file).map_err(|source| CliError::Io {
        what: "read the plan",
        path: file.to_path_buf(),
        source,
    })?;
    let saved: PlanFile = serde_json::from_str(&text).map_err(|e| {
        CliError::Usage(format!(
            "{}:{}:{}: not a cxqueues plan (JSON, formatVersion 1): {e}",
            file.display(),
            e.line(),
            e.column()
        ))
    })?;
    if saved.format_version != 1 {
        return Err(CliError::Usage(format!(
            "{}: formatVersion {} is not supported (this release reads 1)",
            file.display(),
            saved.format_version
        )));
    }
    Ok(saved)
}

/// Why a saved plan may not be applied here at all: it records errors instead of changes,
/// was made against the simulator for a real tenant, or against another tenant.
fn refuse_saved(file: &std::path::Path, saved: &PlanFile, here: &Origin) -> Option<String> {
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

/// The saved plan, less the queues whose tenant state moved since it was made (refused,
/// with the reason) — or, with `replan`, with those queues planned afresh.
fn saved_plan(
    file: &std::path::Path,
    fresh: &Plan,
    observed: &Observed,
    here: &Origin,
    replan: bool,
) -> Result<(Plan, Vec<String>), CliError> {
    let saved = read_plan_file(file)?;
    if let Some(why) = refuse_saved(file, &saved, here) {
        return Err(CliError::Usage(why));
    }
    let rebased = saved.into_plan().rebase(fresh, observed, replan);
    for name in &rebased.replanned {
        eprintln!("re-planned {name}: its tenant state moved since the plan was made");
    }
    let (plan, refused) = (rebased.plan, rebased.refused);
    Ok((plan, refused))
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use reconcile::{Action, FieldChange, QueueOutcome, Status};
    use serde_json::json;

    use super::{applied_line, not_reconciled_line};

    fn outcome(status: Status, fields: Vec<FieldChange>, error: Option<&str>) -> QueueOutcome {
        QueueOutcome {
            name: "Billing Tier 1".into(),
            id: Some("q1".into()),
            action: Action::Update,
            status,
            version_before: Some(2),
            version_after: Some(3),
            conflicts: 0,
            overridden: Vec::new(),
            error: error.map(str::to_string),
            latency: Duration::ZERO,
            fields,
            written: None,
        }
    }

    #[test]
    fn an_applied_update_names_each_field_it_changed_with_before_and_after() {
        let o = outcome(
            Status::Applied,
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
            None,
        );
        assert_eq!(
            applied_line(&o),
            "updated Billing Tier 1: maxWaitTime 300 → 240, maxWaiters (none) → 60"
        );
    }

    #[test]
    fn an_invalid_saved_plan_is_refused_without_nested_parentheses() {
        let saved: super::PlanFile = serde_json::from_value(json!({
            "formatVersion": 1,
            "summary": {"create": 0, "update": 0, "delete": 0, "unchanged": 0, "unmanaged": 0},
            "changes": [],
            "status": "invalid",
            "errors": [{"file": "queues/a.yaml", "line": 3, "column": 5,
                        "rule": "range", "message": "maxWaiters is 0 (below 1)"}],
        }))
        .expect("a plan file");
        let why = super::refuse_saved(
            std::path::Path::new("p.json"),
            &saved,
            &super::Origin::default(),
        )
        .expect("refused");
        assert_eq!(
            why,
            "p.json is an invalid plan: no plan could be made from its commit, which has 1 \
             error; the first: queues/a.yaml:3:5: maxWaiters is 0 (below 1). Fix them, run plan \
             again and apply that plan"
        );
    }

    #[test]
    fn a_skipped_queue_says_skipped_once_and_no_nested_parentheses() {
        let o = outcome(
            Status::Skipped,
            Vec::new(),
            Some("depends on \"Back\", which was skipped too"),
        );
        let line = not_reconciled_line(&o);
        assert_eq!(
            line,
            "skipped: Billing Tier 1, an update: depends on \"Back\", which was skipped too"
        );
        assert_eq!(line.matches("skipped:").count(), 1);
    }
}
