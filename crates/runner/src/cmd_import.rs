//! `cxqueues import`: the tenant's queues as Queue documents.

use std::path::{Component, Path, PathBuf};

use model::LoadOptions;

use crate::RepoArgs;
use crate::exit::{CliError, Outcome};
use crate::tenant::{TenantArgs, connect};

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

pub async fn run(args: ImportArgs) -> Result<Outcome, CliError> {
    // The tenant document (if any) says where the tenant is; the queues are not needed.
    let repo = model::load_repository(&args.repo.repo, &LoadOptions::default());
    let conn = connect(&args.tenant, &repo).await?;
    let observed = reconcile::observe(&conn.client).await?;
    let docs = reconcile::import::queue_docs_for(
        &observed.queues,
        tenant::Tenant::capabilities(&conn.client),
    );
    let names = reconcile::import::file_names(&docs);
    std::fs::create_dir_all(&args.out)
        .map_err(|e| CliError::Usage(format!("cannot create {}: {e}", args.out.display())))?;
    let modeline = format!(
        "# yaml-language-server: $schema={}\n",
        schema_path(&args.repo.repo, &args.out)
    );
    // Nothing is written when anything would be overwritten without --force.
    if !args.force
        && let Some(path) = names.iter().map(|n| args.out.join(n)).find(|p| p.exists())
    {
        return Err(CliError::Usage(format!(
            "{} exists; pass --force to overwrite, or import into an empty folder (nothing was written)",
            path.display()
        )));
    }
    let mut written = 0;
    for (doc, name) in docs.iter().zip(&names) {
        let path = args.out.join(name);
        let yaml = model::yaml::to_string(doc)
            .map_err(|e| CliError::Other(anyhow::anyhow!("cannot write YAML: {e}")))?;
        std::fs::write(&path, format!("{modeline}{yaml}"))
            .map_err(|e| CliError::Usage(format!("cannot write {}: {e}", path.display())))?;
        written += 1;
    }
    println!("Imported {written} queues into {}.", args.out.display());
    Ok(Outcome::Success)
}
