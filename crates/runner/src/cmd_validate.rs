//! `cxqueues validate`: the offline checks of `repo-format.md` on the whole repository, every
//! error and warning reported at once.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use model::{Diagnostic, LoadOptions};

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
struct Checked {
    /// Loader and cross-queue diagnostics, sorted by file, line and column.
    diagnostics: Vec<Diagnostic>,
    queues: usize,
    /// Every file read or reported on.
    files: usize,
    sources: BTreeMap<PathBuf, Arc<str>>,
}

pub fn run(args: ValidateArgs) -> Result<Outcome, CliError> {
    let root = args.repo.repo.as_path();
    if !root.is_dir() {
        return Err(CliError::Usage(format!(
            "--repo {}: no such folder",
            root.display()
        )));
    }
    let opts = LoadOptions {
        max_file_size: args.max_file_size,
        ..LoadOptions::default()
    };
    let checked = check(root, &opts);
    let report = Report {
        diagnostics: &checked.diagnostics,
        queues: checked.queues,
        files: checked.files,
        sources: &checked.sources,
        root,
    };
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

/// Loads the repository and runs the cross-queue rules. The files are read once: their text is
/// kept for the source snippets of the text output.
fn check(root: &Path, opts: &LoadOptions) -> Checked {
    let (tenant, files, read_problems) = model::read_repository_files(root, opts);
    let sources: BTreeMap<PathBuf, Arc<str>> = tenant
        .iter()
        .chain(&files)
        .map(|f| (f.path.clone(), String::from_utf8_lossy(&f.bytes).into()))
        .collect();
    let repo = model::parse_files(tenant, files, opts);
    let mut diagnostics = read_problems;
    diagnostics.extend_from_slice(&repo.diagnostics);
    diagnostics.extend(reconcile::check_repository(&repo));
    reconcile::sort_diagnostics(&mut diagnostics);
    let files: BTreeSet<&Path> = sources
        .keys()
        .map(PathBuf::as_path)
        .chain(diagnostics.iter().map(|d| d.file.as_path()))
        .collect();
    Checked {
        files: files.len(),
        queues: repo.queues.len(),
        diagnostics,
        sources,
    }
}
