//! `cxqueues validate`: the offline checks of `repo-format.md` on the whole repository, every
//! error and warning reported at once.

use model::LoadOptions;

use crate::cli::args::RepoArgs;
use crate::exit::{CliError, Outcome};
use crate::output::diagnostics::{self as render, TextStyle};

#[derive(Debug, clap::Args)]
pub(crate) struct ValidateArgs {
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
pub(crate) enum Format {
    Text,
    Json,
    Github,
}

pub(crate) fn run(args: ValidateArgs) -> Result<Outcome, CliError> {
    let root = args.repo.repo.as_path();
    if let Some(problem) = crate::pipeline::repo_problem(root) {
        return Err(CliError::Usage(problem));
    }
    let opts = LoadOptions {
        max_file_size: args.max_file_size,
        ..LoadOptions::default()
    };
    let checked = crate::pipeline::check(root, &opts);
    let report = checked.report(root);
    let out = match args.format {
        Format::Text => render::text(&report, TextStyle::detect()),
        Format::Json => render::json(&report),
        Format::Github => render::github(&report),
    };
    crate::output::print(&out)?;
    Ok(if report.is_valid() {
        Outcome::Success
    } else {
        Outcome::Invalid
    })
}
