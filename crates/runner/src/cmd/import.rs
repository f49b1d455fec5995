//! `cxqueues import`: the tenant's queues as Queue documents.

use std::path::{Component, Path, PathBuf};

use model::LoadOptions;

use model::layout::TENANT_FILE;

use crate::cli::args::RepoArgs;
use crate::cli::args::TenantArgs;
use crate::exit::{CliError, Outcome};
use crate::tenant::connect;
use tenant::Tenant as _;

#[derive(Debug, clap::Args)]
pub(crate) struct ImportArgs {
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
    #[command(flatten)]
    pub state: crate::cli::args::StateDirArg,
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
    if out.join(TENANT_FILE).is_file() {
        let queues = out.join(queues_dir(out));
        return Target::Queues {
            repo: out.to_path_buf(),
            queues,
        };
    }
    if let Some(parent) = out.parent()
        && parent.join(TENANT_FILE).is_file()
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
    std::fs::read_to_string(source.join(TENANT_FILE)).unwrap_or_else(|_| {
        "# yaml-language-server: $schema=schemas/tenant.schema.json\n\
         apiVersion: cxqueues/v1\nkind: Tenant\nmetadata:\n  name: imported\nspec:\n  queues: queues\n"
            .to_string()
    })
}

pub(crate) async fn run(args: ImportArgs) -> Result<Outcome, CliError> {
    // The tenant document (if any) says where the tenant is; the queues are not needed.
    let repo = model::load_repository(&args.repo.repo, &LoadOptions::default());
    let conn = connect(&args.tenant, &repo, &args.state.state_dir).await?;
    let observed = reconcile::observe(&conn.client).await?;
    let docs = reconcile::import::queue_docs_for(&observed.queues, conn.client.capabilities());
    let names = reconcile::import::file_names(&docs);
    let target = target_of(&args.repo.repo, &args.out);
    let (repo_root, queues_dir) = match &target {
        Target::Queues { repo, queues } => (repo.clone(), queues.clone()),
        Target::NewRepository { repo } => (repo.clone(), repo.join("queues")),
    };
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
    let mut files = Vec::new();
    for (doc, name) in docs.iter().zip(&names) {
        let yaml = model::yaml::to_string(doc)
            .map_err(|e| CliError::Other(anyhow::anyhow!("cannot write YAML: {e}")))?;
        files.push((PathBuf::from(name), format!("{modeline}{yaml}")));
    }
    let written = files.len();
    // A new repository is staged whole (tenant document, schemas, queues); an existing one
    // gets only its queues folder's new files.
    let dest = match &target {
        Target::Queues { .. } => queues_dir.clone(),
        Target::NewRepository { repo } => {
            let queues = queues_dir.strip_prefix(repo).unwrap_or(Path::new("queues"));
            for f in &mut files {
                f.0 = queues.join(&f.0);
            }
            files.push((PathBuf::from(TENANT_FILE), tenant_document(&args.repo.repo)));
            for (name, json) in model::schema::all() {
                files.push((Path::new("schemas").join(name), json.to_string()));
            }
            repo.clone()
        }
    };
    write_all_or_nothing(&dest, &files)?;
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

/// Writes `files` (paths relative to `dest`) into a hidden folder next to `dest`, and moves
/// them into place only once every one is written: a failure leaves `dest` as it was and
/// removes the staging folder, so a rerun is not blocked.
fn write_all_or_nothing(dest: &Path, files: &[(PathBuf, String)]) -> Result<(), CliError> {
    let parent = match dest.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let cannot = |what: &'static str, path: &Path, source: std::io::Error| CliError::Import {
        what,
        path: path.to_path_buf(),
        source,
    };
    std::fs::create_dir_all(&parent).map_err(|e| cannot("create", &parent, e))?;
    // Dropped (and removed) on every early return.
    let stage = tempfile::Builder::new()
        .prefix(".cxqueues-import-")
        .tempdir_in(&parent)
        .map_err(|e| cannot("create a folder in", &parent, e))?;
    for (rel, text) in files {
        let path = stage.path().join(rel);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| cannot("create", &dest.join(rel), e))?;
        }
        std::fs::write(&path, text).map_err(|e| cannot("write", &dest.join(rel), e))?;
    }
    move_into_place(stage.path(), dest).map_err(|e| cannot("move the imported files into", dest, e))
}

/// Renames `from` to `to` in one step when `to` is missing or empty; else moves entry by
/// entry (same file system: each move is a rename, and replaces a file of the same name).
fn move_into_place(from: &Path, to: &Path) -> std::io::Result<()> {
    if std::fs::rename(from, to).is_ok() {
        return Ok(());
    }
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            move_into_place(&entry.path(), &target)?;
        } else {
            std::fs::rename(entry.path(), target)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files(names: &[&str]) -> Vec<(PathBuf, String)> {
        names
            .iter()
            .map(|n| (PathBuf::from(n), format!("name: {n}\n")))
            .collect()
    }

    fn entries(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(dir)
            .map(|r| {
                r.map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                    .collect()
            })
            .unwrap_or_default();
        v.sort();
        v
    }

    #[test]
    fn an_import_that_fails_half_way_leaves_nothing_behind_and_a_rerun_succeeds() {
        let tmp = tempfile::tempdir().unwrap();
        let dest = tmp.path().join("new-repo");
        let long = format!("queues/{}.yaml", "x".repeat(10_000));
        let mut bad = files(&["queues/a.yaml", "queues/b.yaml", "cxqueues.yaml"]);
        bad.insert(2, (PathBuf::from(long), "name: long\n".into()));
        let err = write_all_or_nothing(&dest, &bad).unwrap_err().to_string();
        assert!(err.contains("nothing was written"), "{err}");
        assert!(!dest.exists(), "no half-written repository");
        assert!(entries(tmp.path()).is_empty(), "no staging folder left");

        let good = files(&["queues/a.yaml", "queues/b.yaml", "cxqueues.yaml"]);
        write_all_or_nothing(&dest, &good).unwrap();
        assert_eq!(entries(&dest), ["cxqueues.yaml", "queues"]);
        assert_eq!(entries(&dest.join("queues")), ["a.yaml", "b.yaml"]);
        assert_eq!(entries(tmp.path()), ["new-repo"]);
    }

    #[test]
    fn an_import_into_a_folder_with_files_adds_and_replaces_only_its_own() {
        let tmp = tempfile::tempdir().unwrap();
        let dest = tmp.path().join("queues");
        std::fs::create_dir_all(&dest).unwrap();
        std::fs::write(dest.join("keep.yaml"), "kept").unwrap();
        std::fs::write(dest.join("a.yaml"), "old").unwrap();
        write_all_or_nothing(&dest, &files(&["a.yaml", "b.yaml"])).unwrap();
        assert_eq!(entries(&dest), ["a.yaml", "b.yaml", "keep.yaml"]);
        assert_eq!(
            std::fs::read_to_string(dest.join("a.yaml")).unwrap(),
            "name: a.yaml\n"
        );
        assert_eq!(
            std::fs::read_to_string(dest.join("keep.yaml")).unwrap(),
            "kept"
        );
        assert_eq!(entries(tmp.path()), ["queues"]);
    }
}
