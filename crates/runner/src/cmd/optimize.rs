//! `cxqueues optimize`: queue settings proposed from traffic metrics, as a change to the
//! repository's YAML (printed, or written with `--write`), never to the tenant.

use std::path::{Path, PathBuf};

use model::{RepoFile, Repository};
use optimize::render::Colour;
use optimize::{FileEdit, Metrics, Options, Policy};

use crate::cli::args::RepoArgs;
use crate::cli::args::{TenantArgs, WindowArgs};
use crate::exit::{CliError, Outcome};

/// The largest metrics file read, in bytes.
pub(crate) const MAX_METRICS_BYTES: u64 = 64 * 1024 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum PolicyArg {
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
pub(crate) enum OptimizeFormat {
    /// Per queue: current → proposed, the reason and the prediction.
    Text,
    /// `{"formatVersion": 1, "policy", "queues": [...]}`.
    Json,
    /// A unified diff of the Queue files.
    Diff,
}

/// Refuses `--policy seed` on figures read from a vendor, whose reports give none of its
/// inputs.
pub fn check_seed_from_tenant(policy: Policy, platform: model::Platform) -> Result<(), String> {
    if policy == Policy::Seed && platform != model::Platform::RoutingApi {
        return Err(format!(
            "--policy seed needs activeInteractions, maxCapacity and coverageRatio, which no {} report gives; use --policy erlang-c, or --metrics FILE with those figures",
            crate::tenant::capabilities(platform).platform
        ));
    }
    Ok(())
}

#[derive(Debug, clap::Args)]
pub(crate) struct OptimizeArgs {
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
    /// Read the figures from the tenant's reporting APIs instead of a file (Genesys Cloud:
    /// analytics aggregates and queue observations; NICE CXone: skill contacts and activity;
    /// the routing API: its metrics endpoint).
    #[arg(long)]
    pub from_tenant: bool,
    #[command(flatten)]
    pub window: WindowArgs,
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
    pub state: crate::cli::args::StateDirArg,
}

pub(crate) async fn run(args: OptimizeArgs) -> Result<Outcome, CliError> {
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
    let repo = match crate::cmd::load_valid(&args.repo) {
        Ok(r) => r,
        Err(o) => return Ok(o),
    };
    let platform = repo.tenant.spec.platform;
    let (metrics, doc_policy) = match file_doc {
        Some(doc) => doc,
        None => {
            let policy = args.policy.map(Policy::from).unwrap_or_default();
            check_seed_from_tenant(policy, platform).map_err(CliError::Usage)?;
            (
                from_tenant(&args.tenant, &args.window, &repo, &args.state.state_dir).await?,
                None,
            )
        }
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
        predicted_only: crate::pipeline::predicted_only(platform),
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
    crate::output::print(&out)?;
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
    use std::io::Read as _;
    let shown = path.display().to_string();
    let unreadable = |source| CliError::Io {
        what: "read the metrics file (--metrics)",
        path: path.to_path_buf(),
        source,
    };
    let file = std::fs::File::open(path).map_err(unreadable)?;
    // The bound holds for what is read, not for the size the file system claims (a pipe or
    // /dev/zero has none).
    let mut bytes = Vec::new();
    file.take(MAX_METRICS_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(unreadable)?;
    if bytes.len() as u64 > MAX_METRICS_BYTES {
        return Err(CliError::Usage(format!(
            "--metrics {shown}: more than the {MAX_METRICS_BYTES}-byte limit; nothing was read"
        )));
    }
    let text = String::from_utf8(bytes)
        .map_err(|e| CliError::Usage(format!("--metrics {shown}: not UTF-8 text: {e}")))?;
    if shown.to_ascii_lowercase().ends_with(".csv") {
        Ok((Metrics::parse_csv(&shown, &text).map_err(usage)?, None))
    } else {
        let doc = Metrics::parse_json(&shown, &text).map_err(usage)?;
        Ok((doc.metrics, doc.policy))
    }
}

/// The figures from the tenant, for the queues of the repository (the tenant's other queues
/// are not this repository's business): the closed intervals of the window and the staffing
/// now, as [`optimize::from_tenant`] reads them.
async fn from_tenant(
    args: &TenantArgs,
    window: &WindowArgs,
    repo: &Repository,
    state_dir: &Path,
) -> Result<Metrics, CliError> {
    let conn = crate::tenant::connect(args, repo, state_dir).await?;
    if let Some(url) = conn.sim_url() {
        eprintln!("Using the embedded simulated tenant at {url} (demo traffic).");
    }
    let query = window.query(repo, std::time::SystemTime::now());
    let mut figures = tenant::Tenant::queue_metrics(&conn.client, &query).await?;
    figures.retain(|m| query.wants(&m.name));
    Ok(optimize::from_tenant(&figures, window.interval_stat.into()))
}

/// Validates the edited repository, then writes each edited file (through a temporary file
/// and a rename, so that a file is never half written).
fn write_edits(root: &Path, repo: &Repository, edits: &[FileEdit]) -> Result<(), CliError> {
    let tenant = match &repo.tenant_file {
        Some(p) => Some(RepoFile {
            path: p.clone(),
            bytes: std::fs::read(root.join(p)).map_err(|source| CliError::Io {
                what: "read",
                path: root.join(p),
                source,
            })?,
        }),
        None => None,
    };
    crate::pipeline::revalidate(repo, tenant, edits)
        .map_err(|errors| CliError::Usage(crate::pipeline::refusal(&errors)))?;
    // A file its owner made read-only is not ours to rewrite; checked for every file before
    // any is written, so that nothing is half applied.
    let mut modes = Vec::with_capacity(edits.len());
    for e in edits {
        let path = root.join(&e.file);
        let perms = std::fs::metadata(&path)
            .map_err(|err| CliError::Usage(format!("cannot read {}: {err}", path.display())))?
            .permissions();
        if perms.readonly() {
            return Err(CliError::Usage(format!(
                "{} is read-only{}: it is not rewritten, and nothing was written; make it writable to apply the proposal",
                path.display(),
                shown_mode(&perms)
            )));
        }
        modes.push(perms);
    }
    for (e, perms) in edits.iter().zip(modes) {
        let path = root.join(&e.file);
        let tmp = path.with_extension("yaml.cxqueues-tmp");
        // The temporary file takes the original's mode before it replaces it (a 0600 file
        // stays 0600).
        std::fs::write(&tmp, &e.after)
            .and_then(|()| std::fs::set_permissions(&tmp, perms))
            .and_then(|()| std::fs::rename(&tmp, &path))
            .map_err(|err| {
                let _ = std::fs::remove_file(&tmp);
                CliError::Io {
                    what: "write",
                    path: path.clone(),
                    source: err,
                }
            })?;
    }
    Ok(())
}

/// ` (mode 0400)` on Unix.
fn shown_mode(perms: &std::fs::Permissions) -> String {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        format!(" (mode {:04o})", perms.mode() & 0o7777)
    }
    #[cfg(not(unix))]
    {
        let _ = perms;
        String::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipeline::{refusal, revalidate};

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
            &model::LoadOptions::default(),
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
