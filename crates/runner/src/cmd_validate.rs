//! `cxqueues validate`: the offline checks of `repo-format.md` on the whole repository, every
//! error and warning reported at once.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use model::{Diagnostic, LoadOptions, Repository};

use crate::RepoArgs;
use crate::exit::{CliError, Outcome};
use crate::render::{self, Report, TextStyle};

#[derive(Debug, clap::Args)]
pub struct ValidateArgs {
    #[command(flatten)]
    pub repo: RepoArgs,
    /// How to report: `text` for people, `json` for tools, `github` for workflow annotations.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// The largest file read, in bytes; a larger one is an error.
    #[arg(long, value_name = "BYTES", default_value_t = LoadOptions::default().max_file_size)]
    pub max_file_size: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Text,
    Json,
    Github,
}

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

pub fn run(args: ValidateArgs) -> Result<Outcome, CliError> {
    let root = args.repo.repo.as_path();
    if let Some(problem) = repo_problem(root) {
        return Err(CliError::Usage(problem));
    }
    let opts = LoadOptions {
        max_file_size: args.max_file_size,
        ..LoadOptions::default()
    };
    let checked = check(root, &opts);
    let report = checked.report(root);
    let out = match args.format {
        Format::Text => render::text(&report, TextStyle::detect()),
        Format::Json => render::json(&report),
        Format::Github => render::github(&report),
    };
    std::io::stdout()
        .lock()
        .write_all(out.as_bytes())
        .map_err(|e| CliError::Other(e.into()))?;
    Ok(if report.is_valid() {
        Outcome::Success
    } else {
        Outcome::Invalid
    })
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
