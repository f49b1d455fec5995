//! `cxqueues import`: the tenant's queues as Queue documents.

use std::path::{Component, Path, PathBuf};

use model::LoadOptions;

use crate::RepoArgs;
use crate::exit::{CliError, Outcome};
use crate::tenant::{TenantArgs, connect};
use tenant::Tenant as _;

#[derive(Debug, clap::Args)]
pub struct ImportArgs {
    #[command(flatten)]
    pub repo: RepoArgs,
    #[command(flatten)]
    pub tenant: TenantArgs,
    /// The folder to write the Queue documents into (created if missing).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Overwrite files that exist.
    #[arg(long)]
    pub force: bool,
    /// With --sim: where the simulated tenant keeps its state (<DIR>/sim/).
    #[arg(
        long,
        value_name = "DIR",
        default_value = ".cxqueues",
        env = "CXQUEUES_STATE_DIR"
    )]
    pub state_dir: PathBuf,
}

/// The modeline's path to `schemas/queue.schema.json` from `out`, relative to the repository.
fn schema_path(repo: &Path, out: &Path) -> String {
    let rel = out.strip_prefix(repo).unwrap_or(out);
    let depth = rel
        .components()
        .filter(|c| matches!(c, Component::Normal(_)))
        .count();
    format!("{}schemas/queue.schema.json", "../".repeat(depth.max(1)))
}

/// Where import writes: into an existing repository's queues folder, or a new repository.
#[derive(Debug, PartialEq, Eq)]
enum Target {
    /// `--out` is (or holds) an existing repository: write into its queues folder.
    Queues { repo: PathBuf, queues: PathBuf },
    /// `--out` is no repository: make a complete one there (cxqueues.yaml, queues/, schemas/).
    NewRepository { repo: PathBuf },
}

fn target_of(repo: &Path, out: &Path) -> Target {
    let queues_dir = |repo: &Path| -> String {
        let doc = model::load_repository(repo, &LoadOptions::default());
        doc.tenant.spec.queues
    };
    // `--out` names `--repo`'s own queues folder (the repository may have no cxqueues.yaml).
    let own = repo.join(queues_dir(repo));
    if out == own || (out.exists() && own.exists() && same_file(out, &own)) {
        return Target::Queues {
            repo: repo.to_path_buf(),
            queues: out.to_path_buf(),
        };
    }
    if out.join("cxqueues.yaml").is_file() {
        let queues = out.join(queues_dir(out));
        return Target::Queues {
            repo: out.to_path_buf(),
            queues,
        };
    }
    if let Some(parent) = out.parent()
        && parent.join("cxqueues.yaml").is_file()
    {
        return Target::Queues {
            repo: parent.to_path_buf(),
            queues: out.to_path_buf(),
        };
    }
    Target::NewRepository {
        repo: out.to_path_buf(),
    }
}

fn same_file(a: &Path, b: &Path) -> bool {
    matches!((a.canonicalize(), b.canonicalize()), (Ok(a), Ok(b)) if a == b)
}

/// The tenant document of a new repository: the one `--repo` has (same platform, limits and
/// rate), or a minimal one.
fn tenant_document(source: &Path) -> String {
    std::fs::read_to_string(source.join("cxqueues.yaml")).unwrap_or_else(|_| {
        "# yaml-language-server: $schema=schemas/tenant.schema.json\n\
         apiVersion: cxqueues/v1\nkind: Tenant\nmetadata:\n  name: imported\nspec:\n  queues: queues\n"
            .to_string()
    })
}

pub async fn run(args: ImportArgs) -> Result<Outcome, CliError> {
    // The tenant document (if any) says where the tenant is; the queues are not needed.
    let repo = model::load_repository(&args.repo.repo, &LoadOptions::default());
    let conn = connect(&args.tenant, &repo, &args.state_dir).await?;
    let observed = reconcile::observe(&conn.client).await?;
    let docs = reconcile::import::queue_docs_for(&observed.queues, conn.client.capabilities());
    let names = reconcile::import::file_names(&docs);
    let target = target_of(&args.repo.repo, &args.out);
    let (repo_root, queues_dir) = match &target {
        Target::Queues { repo, queues } => (repo.clone(), queues.clone()),
        Target::NewRepository { repo } => (repo.clone(), repo.join("queues")),
    };
    std::fs::create_dir_all(&queues_dir)
        .map_err(|e| CliError::Usage(format!("cannot create {}: {e}", queues_dir.display())))?;
    let modeline = format!(
        "# yaml-language-server: $schema={}\n",
        schema_path(&repo_root, &queues_dir)
    );
    // Nothing is written when anything would be overwritten without --force.
    if !args.force
        && let Some(path) = names
            .iter()
            .map(|n| queues_dir.join(n))
            .find(|p| p.exists())
    {
        return Err(CliError::Usage(format!(
            "{} exists; pass --force to overwrite, or import into an empty folder (nothing was written)",
            path.display()
        )));
    }
    if let Target::NewRepository { repo } = &target {
        let tenant = repo.join("cxqueues.yaml");
        std::fs::write(&tenant, tenant_document(&args.repo.repo))
            .map_err(|e| CliError::Usage(format!("cannot write {}: {e}", tenant.display())))?;
        crate::cmd_schema::write_schemas(&repo.join("schemas"))?;
    }
    let mut written = 0;
    for (doc, name) in docs.iter().zip(&names) {
        let path = queues_dir.join(name);
        let yaml = model::yaml::to_string(doc)
            .map_err(|e| CliError::Other(anyhow::anyhow!("cannot write YAML: {e}")))?;
        std::fs::write(&path, format!("{modeline}{yaml}"))
            .map_err(|e| CliError::Usage(format!("cannot write {}: {e}", path.display())))?;
        written += 1;
    }
    match &target {
        Target::Queues { .. } => {
            println!("Imported {written} queues into {}.", queues_dir.display())
        }
        Target::NewRepository { repo } => println!(
            "Imported {written} queues into a new repository at {} (cxqueues.yaml, queues/, schemas/).",
            repo.display()
        ),
    }
    Ok(Outcome::Success)
}
