//! `cxqueues import`: the tenant's queues as Queue documents, always as a whole repository
//! in `--out` (its `cxqueues.yaml` from `--repo`, `queues/`, `schemas/`), so that the next
//! plan of `--out` is empty.

use std::path::{Component, Path, PathBuf};

use model::LoadOptions;

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
    /// The folder of the new repository (cxqueues.yaml, queues/, schemas/): new or empty.
    /// Its cxqueues.yaml is --repo's (or a minimal one).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Import into a folder that is not empty: replaces its cxqueues.yaml, schemas/ and its
    /// whole queues folder.
    #[arg(long)]
    pub force: bool,
    #[command(flatten)]
    pub state: crate::cli::args::StateDirArg,
}

/// What `--out` must be: an empty or missing folder (or, with `--force`, any folder), and
/// never inside `--repo`'s queues folder, where the new repository's `cxqueues.yaml` would be
/// read as a Queue file. Checked before the tenant is read.
fn check_out(repo_root: &Path, queues: &str, out: &Path, force: bool) -> Result<(), CliError> {
    let absolute = |p: &Path| {
        std::path::absolute(p)
            .map(|a| normalized(&a))
            .unwrap_or_else(|_| p.to_path_buf())
    };
    let own_queues = absolute(&repo_root.join(queues));
    if absolute(out).starts_with(&own_queues) {
        return Err(CliError::Usage(format!(
            "--out {} is inside the queues folder of the repository at {}: import writes a whole repository (cxqueues.yaml and {queues}/) into --out, so give a new folder outside it (nothing was written)",
            out.display(),
            repo_root.display()
        )));
    }
    if out.exists() && !out.is_dir() {
        return Err(CliError::Usage(format!(
            "--out {} is a file; give a folder for the new repository (nothing was written)",
            out.display()
        )));
    }
    let holds_files = std::fs::read_dir(out).is_ok_and(|mut d| d.next().is_some());
    if holds_files && !force {
        return Err(CliError::Usage(format!(
            "--out {} is not empty; import writes a whole repository (cxqueues.yaml, {queues}/, schemas/) into an empty or new folder, or replaces them with --force (nothing was written)",
            out.display()
        )));
    }
    Ok(())
}

/// `p` without `.` and `..` components (lexically; `std::path::absolute` keeps them).
fn normalized(p: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

/// The tenant document of the new repository: `--repo`'s own (same platform, tenant, limits
/// and rate), or a minimal one when `--repo` has none.
fn tenant_document(source: &Path) -> String {
    model::layout::TENANT_FILES
        .iter()
        .find_map(|f| std::fs::read_to_string(source.join(f)).ok())
        .unwrap_or_else(|| {
            "# yaml-language-server: $schema=schemas/tenant.schema.json\n\
             apiVersion: cxqueues/v1\nkind: Tenant\nmetadata:\n  name: imported\nspec:\n  queues: queues\n"
                .to_string()
        })
}

pub(crate) async fn run(args: ImportArgs) -> Result<Outcome, CliError> {
    // The tenant document (if any) says where the tenant is; the queues are not needed.
    let repo = model::load_repository(&args.repo.repo, &LoadOptions::default());
    let queues = repo.tenant.spec.queues.clone();
    check_out(&args.repo.repo, &queues, &args.out, args.force)?;
    let conn = connect(&args.tenant, &repo, &args.state.state_dir).await?;
    let observed = reconcile::observe(&conn.client).await?;
    let docs = reconcile::import::queue_docs_for(&observed.queues, conn.client.capabilities());
    let names = reconcile::import::file_names(&docs);
    let depth = Path::new(&queues)
        .components()
        .filter(|c| matches!(c, Component::Normal(_)))
        .count();
    let modeline = format!(
        "# yaml-language-server: $schema={}schemas/queue.schema.json\n",
        "../".repeat(depth.max(1))
    );
    let mut files = Vec::new();
    for (doc, name) in docs.iter().zip(&names) {
        let yaml = model::yaml::to_string(doc)
            .map_err(|e| CliError::Other(anyhow::anyhow!("cannot write YAML: {e}")))?;
        files.push((Path::new(&queues).join(name), format!("{modeline}{yaml}")));
    }
    let written = files.len();
    files.push((
        PathBuf::from(model::layout::TENANT_FILES[0]),
        tenant_document(&args.repo.repo),
    ));
    for (name, json) in model::schema::all() {
        files.push((Path::new("schemas").join(name), json.to_string()));
    }
    // With --force, the queues folder is replaced whole (a queue file left from before would
    // be a second definition); other files of --out stay.
    let replace = args.force.then(|| args.out.join(&queues));
    write_all_or_nothing(&args.out, &files, replace.as_deref())?;
    crate::output::print(format!(
        "Imported {written} queues into a new repository at {} (cxqueues.yaml, {queues}/, schemas/).\n",
        args.out.display()
    ))?;
    Ok(Outcome::Success)
}

/// Writes `files` (paths relative to `dest`) into a hidden folder next to `dest`, and moves
/// them into place only once every one is written: a failure leaves `dest` as it was and
/// removes the staging folder, so a rerun is not blocked.
/// `replace`, when given, is a folder removed once every file is staged, before the move.
fn write_all_or_nothing(
    dest: &Path,
    files: &[(PathBuf, String)],
    replace: Option<&Path>,
) -> Result<(), CliError> {
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
    if let Some(old) = replace.filter(|p| p.is_dir()) {
        std::fs::remove_dir_all(old).map_err(|e| cannot("replace", old, e))?;
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
        let err = write_all_or_nothing(&dest, &bad, None)
            .unwrap_err()
            .to_string();
        assert!(err.contains("nothing was written"), "{err}");
        assert!(!dest.exists(), "no half-written repository");
        assert!(entries(tmp.path()).is_empty(), "no staging folder left");

        let good = files(&["queues/a.yaml", "queues/b.yaml", "cxqueues.yaml"]);
        write_all_or_nothing(&dest, &good, None).unwrap();
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
        write_all_or_nothing(&dest, &files(&["a.yaml", "b.yaml"]), None).unwrap();
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
