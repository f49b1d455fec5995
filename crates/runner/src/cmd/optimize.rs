//! `cxqueues optimize`: queue settings proposed from traffic metrics, as a change to the
//! repository's YAML (printed, or written with `--write`), never to the tenant.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use model::{Diagnostic, LoadOptions, RepoFile, Repository};
use optimize::render::Colour;
use optimize::{FileEdit, Metrics, Options, Policy};

use crate::RepoArgs;
use crate::exit::{CliError, Outcome};
use crate::tenant::TenantArgs;

/// The largest metrics file read, in bytes.
pub const MAX_METRICS_BYTES: u64 = 64 * 1024 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum PolicyArg {
    /// Erlang C (M/M/N): maxWaiters and maxWaitTime from the tail ε; the service level is
    /// predicted, never changed.
    ErlangC,
    /// The formula of the original tool, reproduced exactly (bounds reported as warnings).
    Seed,
}

impl From<PolicyArg> for Policy {
    fn from(p: PolicyArg) -> Self {
        match p {
            PolicyArg::ErlangC => Policy::ErlangC,
            PolicyArg::Seed => Policy::Seed,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OptimizeFormat {
    /// Per queue: current → proposed, the reason and the prediction.
    Text,
    /// `{"formatVersion": 1, "policy", "queues": [...]}`.
    Json,
    /// A unified diff of the Queue files.
    Diff,
}

#[derive(Debug, clap::Args)]
pub struct OptimizeArgs {
    #[command(flatten)]
    pub repo: RepoArgs,
    /// How proposals are computed (default: erlang-c, or the metrics document's "policy").
    #[arg(long, value_enum)]
    pub policy: Option<PolicyArg>,
    /// The traffic figures: JSON (`{"queues": {"<name>": {...}}}`) or CSV (a `queue` column).
    #[arg(
        long,
        value_name = "FILE",
        required_unless_present = "from_tenant",
        conflicts_with = "from_tenant"
    )]
    pub metrics: Option<PathBuf>,
    /// Read the figures from the tenant's metrics endpoint instead of a file.
    #[arg(long)]
    pub from_tenant: bool,
    #[command(flatten)]
    pub tenant: TenantArgs,
    /// Only these queues (by name; repeat or list several).
    #[arg(long, value_name = "NAME", num_args = 1..)]
    pub only: Vec<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = OptimizeFormat::Text)]
    pub format: OptimizeFormat,
    /// Edit the Queue files in place (format-preserving); nothing is written unless the
    /// result validates.
    #[arg(long)]
    pub write: bool,
    /// The tail ε: maxWaiters and maxWaitTime leave at most this share beyond them.
    #[arg(long, value_name = "ε", default_value_t = optimize::DEFAULT_TAIL)]
    pub tail: f64,
    /// Exit 0 when nothing would change, 2 when something would.
    #[arg(long)]
    pub detailed_exitcode: bool,
    #[command(flatten)]
    pub state: crate::recorder::StateDirArg,
}

pub async fn run(args: OptimizeArgs) -> Result<Outcome, CliError> {
    let root = args.repo.repo.clone();
    if !root.is_dir() {
        return Err(CliError::Usage(format!(
            "--repo {}: no such folder",
            root.display()
        )));
    }
    let file_doc = match &args.metrics {
        Some(path) => Some(read_metrics(path)?),
        None => None,
    };
    let repo = match crate::pipeline::load_valid(&args.repo) {
        Ok(r) => r,
        Err(o) => return Ok(o),
    };
    let (metrics, doc_policy) = match file_doc {
        Some(doc) => doc,
        None => (
            from_tenant(&args.tenant, &repo, &args.state.state_dir).await?,
            None,
        ),
    };
    let policy = args
        .policy
        .map(Policy::from)
        .or(doc_policy)
        .unwrap_or_default();
    let opts = Options {
        policy,
        tail: args.tail,
        only: args.only.clone(),
    };
    let report = optimize::propose(&repo, &metrics, &opts).map_err(usage)?;
    let edits = if args.write || args.format == OptimizeFormat::Diff {
        optimize::edit_files(&repo, &report, |p| {
            std::fs::read_to_string(root.join(p)).map_err(|e| format!("cannot read: {e}"))
        })
        .map_err(usage)?
    } else {
        Vec::new()
    };
    let out = match args.format {
        OptimizeFormat::Text => optimize::render::text(&report, colour()),
        OptimizeFormat::Json => optimize::render::json_text(&report),
        OptimizeFormat::Diff => optimize::render::diff(&edits),
    };
    std::io::stdout()
        .lock()
        .write_all(out.as_bytes())
        .map_err(|e| CliError::Other(e.into()))?;
    if args.write && !edits.is_empty() {
        write_edits(&root, &repo, &edits)?;
        eprintln!(
            "Wrote {} file{}.",
            edits.len(),
            if edits.len() == 1 { "" } else { "s" }
        );
    }
    Ok(if args.detailed_exitcode && report.has_changes() {
        Outcome::Changes
    } else {
        Outcome::Success
    })
}

fn usage(e: optimize::OptimizeError) -> CliError {
    CliError::Usage(e.to_string())
}

fn colour() -> Colour {
    if crate::output::color_on_stdout() {
        Colour::On
    } else {
        Colour::Off
    }
}

/// Reads and parses a metrics file (CSV by its `.csv` name, JSON otherwise).
fn read_metrics(path: &Path) -> Result<(Metrics, Option<Policy>), CliError> {
    let shown = path.display().to_string();
    let meta =
        std::fs::metadata(path).map_err(|e| CliError::Usage(format!("--metrics {shown}: {e}")))?;
    if meta.len() > MAX_METRICS_BYTES {
        return Err(CliError::Usage(format!(
            "--metrics {shown}: {} bytes, above the {MAX_METRICS_BYTES}-byte limit",
            meta.len()
        )));
    }
    let text = std::fs::read_to_string(path)
        .map_err(|e| CliError::Usage(format!("--metrics {shown}: {e}")))?;
    if shown.to_ascii_lowercase().ends_with(".csv") {
        Ok((Metrics::parse_csv(&shown, &text).map_err(usage)?, None))
    } else {
        let doc = Metrics::parse_json(&shown, &text).map_err(usage)?;
        Ok((doc.metrics, doc.policy))
    }
}

/// The figures from the tenant, for the queues of the repository (the tenant's other queues
/// are not this repository's business).
async fn from_tenant(
    args: &TenantArgs,
    repo: &Repository,
    state_dir: &Path,
) -> Result<Metrics, CliError> {
    let conn = crate::tenant::connect(args, repo, state_dir).await?;
    if let Some(sim) = &conn.sim {
        eprintln!(
            "Using the embedded simulated tenant at {} (demo traffic).",
            sim.base_url()
        );
    }
    let figures = tenant::Tenant::queue_metrics(&conn.client).await?;
    let names: std::collections::HashSet<&str> = repo.queues.iter().map(|q| q.name()).collect();
    let rows = figures
        .into_iter()
        .filter(|m| names.contains(m.name.as_str()))
        .map(|m| optimize::MetricsRow {
            origin: format!("tenant: queue {:?}", m.name),
            queue: m.name.clone(),
            metrics: tenant_figures(m),
        })
        .collect();
    Ok(Metrics { rows })
}

/// The wire figures as the optimizer's.
fn tenant_figures(m: tenant::QueueMetrics) -> optimize::QueueMetrics {
    optimize::QueueMetrics {
        offered: m.offered,
        interval_seconds: m.interval_seconds,
        average_handle_time_seconds: m.average_handle_time_seconds,
        agents: m.agents,
        active_interactions: m.active_interactions,
        max_capacity: m.max_capacity,
        coverage_ratio: m.coverage_ratio,
    }
}

/// Checks the repository `repo` (valid, as loaded) with `edits` made, as `validate` does:
/// the edited files parsed again against the tenant document `tenant`, then every
/// cross-queue rule on the whole. `Err` holds the errors: then nothing may be written.
pub fn revalidate(
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

/// The edit refused because the edited repository does not validate.
pub fn refusal(errors: &[Diagnostic]) -> String {
    let mut s = String::from("the edited repository does not validate, so nothing was written:");
    for d in errors {
        s.push_str(&format!("\n  {d}"));
    }
    s
}

/// Validates the edited repository, then writes each edited file (through a temporary file
/// and a rename, so that a file is never half written).
fn write_edits(root: &Path, repo: &Repository, edits: &[FileEdit]) -> Result<(), CliError> {
    let tenant = match &repo.tenant_file {
        Some(p) => Some(RepoFile {
            path: p.clone(),
            bytes: std::fs::read(root.join(p))
                .map_err(|e| CliError::Usage(format!("cannot read {}: {e}", p.display())))?,
        }),
        None => None,
    };
    revalidate(repo, tenant, edits).map_err(|errors| CliError::Usage(refusal(&errors)))?;
    for e in edits {
        let path = root.join(&e.file);
        let tmp = path.with_extension("yaml.cxqueues-tmp");
        std::fs::write(&tmp, &e.after)
            .and_then(|()| std::fs::rename(&tmp, &path))
            .map_err(|err| {
                let _ = std::fs::remove_file(&tmp);
                CliError::Usage(format!("cannot write {}: {err}", path.display()))
            })?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(path: &str, text: &str) -> RepoFile {
        RepoFile {
            path: PathBuf::from(path),
            bytes: text.as_bytes().to_vec(),
        }
    }

    fn edit(path: &str, before: &str, after: &str) -> FileEdit {
        FileEdit {
            file: PathBuf::from(path),
            before: before.into(),
            after: after.into(),
        }
    }

    const TENANT: &str =
        "apiVersion: cxqueues/v1\nkind: Tenant\nspec:\n  limits: {maxWaiters: 20}\n";
    const A: &str = "apiVersion: cxqueues/v1\nkind: Queue\nmetadata: {name: A}\nspec:\n  maxWaiters: 10\n  overflow: {target: B, waitTime: 60}\n";
    const B: &str =
        "apiVersion: cxqueues/v1\nkind: Queue\nmetadata: {name: B}\nspec: {maxWaiters: 5}\n";

    fn repo() -> Repository {
        let repo = model::parse_files(
            Some(file("cxqueues.yaml", TENANT)),
            vec![file("queues/a.yaml", A), file("queues/b.yaml", B)],
            &LoadOptions::default(),
        );
        assert!(!repo.has_errors());
        repo
    }

    #[test]
    fn an_edited_repository_that_validates_passes() {
        let after = A.replace("maxWaiters: 10", "maxWaiters: 12");
        let tenant = Some(file("cxqueues.yaml", TENANT));
        assert_eq!(
            revalidate(&repo(), tenant, &[edit("queues/a.yaml", A, &after)]),
            Ok(())
        );
    }

    #[test]
    fn an_edit_above_the_license_or_breaking_a_cross_queue_rule_is_refused_with_its_errors() {
        let tenant = Some(file("cxqueues.yaml", TENANT));
        let above = A.replace("maxWaiters: 10", "maxWaiters: 30");
        let errors =
            revalidate(&repo(), tenant.clone(), &[edit("queues/a.yaml", A, &above)]).unwrap_err();
        assert_eq!(errors.len(), 1);
        assert!(
            errors[0].message.contains("above the licensed 20"),
            "{errors:?}"
        );
        // Renaming B leaves A's overflow target dangling: a cross-queue rule.
        let renamed = B.replace("name: B", "name: C");
        let errors =
            revalidate(&repo(), tenant, &[edit("queues/b.yaml", B, &renamed)]).unwrap_err();
        assert!(refusal(&errors).starts_with("the edited repository does not validate"));
        assert!(
            errors.iter().any(|d| d.file == Path::new("queues/a.yaml")),
            "{errors:?}"
        );
    }
}
