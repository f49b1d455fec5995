//! One module per command, each a thin caller of the shared pieces (the pipeline, the
//! tenant, the recorder, the output formats); a command never calls another. What several
//! commands print the same way is here: the repository's diagnostics and a progress bar.

pub(crate) mod audit;
pub(crate) mod comment;
pub(crate) mod import;
pub(crate) mod optimize;
pub(crate) mod plan;
pub(crate) mod run;
pub(crate) mod schema;
#[cfg(feature = "sim")]
pub(crate) mod sim;
pub(crate) mod validate;
pub(crate) mod webhooks;

use std::io::IsTerminal;
use std::path::Path;
use std::sync::Arc;

use model::{Diagnostic, LoadOptions, Repository};
use reconcile::{ApplyObserver, QueueOutcome};

use crate::cli::args::RepoArgs;
use crate::exit::Outcome;
use crate::output::diagnostics as render;
use crate::pipeline::{check, read_sources, repo_problem};

/// An invalid repository, as loaded, and its diagnostics.
#[derive(Debug)]
pub(crate) struct InvalidRepo {
    pub repo: Repository,
    pub diagnostics: Vec<Diagnostic>,
}

/// [`load_or_errors`] for commands that only need to know it failed (it printed why).
pub(crate) fn load_valid(repo: &RepoArgs) -> Result<Repository, Outcome> {
    load_or_errors(repo).map_err(|_| Outcome::Invalid)
}

/// Loads and validates the whole repository, as `validate` does; prints every diagnostic
/// (to stderr, so that stdout holds only the plan).
pub(crate) fn load_or_errors(repo: &RepoArgs) -> Result<Repository, Box<InvalidRepo>> {
    if let Some(problem) = repo_problem(&repo.repo) {
        eprintln!("error: {problem}");
        let diagnostic = Diagnostic::error(model::Rule::File, ".", model::Loc::UNKNOWN, problem);
        return Err(Box::new(InvalidRepo {
            repo: Repository::default(),
            diagnostics: vec![diagnostic],
        }));
    }
    let checked = check(&repo.repo, &LoadOptions::default());
    let report = checked.report(&repo.repo);
    if !checked.diagnostics.is_empty() {
        eprint!(
            "{}",
            render::text(&report, render::TextStyle::detect_stderr())
        );
    }
    if !report.is_valid() {
        eprintln!("The repository is invalid: nothing was read from or written to the tenant.");
        return Err(Box::new(InvalidRepo {
            repo: checked.repo,
            diagnostics: checked.diagnostics,
        }));
    }
    Ok(checked.repo)
}

/// Tenant-aware problems of a plan, rendered like `validate`'s.
pub(crate) fn report_diagnostics(root: &Path, diags: &[Diagnostic]) {
    let sources = read_sources(root, diags, LoadOptions::default().max_file_size);
    let report = render::Report {
        diagnostics: diags,
        queues: 0,
        queues_with_errors: 0,
        files: sources.len(),
        sources: &sources,
        root,
    };
    eprint!(
        "{}",
        render::text(&report, render::TextStyle::detect_stderr())
    );
}

/// A progress bar on a terminal; nothing otherwise.
struct Progress {
    bar: indicatif::ProgressBar,
}

impl ApplyObserver for Progress {
    fn on_outcome(&self, o: &QueueOutcome) {
        self.bar.inc(1);
        self.bar.set_message(o.name.clone());
    }
}

/// A progress bar over `changes` queues when stderr is a terminal (nothing otherwise): the
/// bar, to finish when apply ends, and the observer that moves it.
pub(crate) fn progress(changes: usize) -> Option<(indicatif::ProgressBar, Arc<dyn ApplyObserver>)> {
    if !std::io::stderr().is_terminal() || changes == 0 {
        return None;
    }
    let bar = indicatif::ProgressBar::new(changes as u64);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{bar:30} {pos}/{len} {wide_msg}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let observer: Arc<dyn ApplyObserver> = Arc::new(Progress { bar: bar.clone() });
    Some((bar, observer))
}
