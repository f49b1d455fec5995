//! `cxqueues completions bash|zsh|fish`: the shell completion script, from the command line's
//! own definition (clap_complete), so that it never lags behind a flag.

use clap::CommandFactory as _;

use crate::exit::{CliError, Outcome};

#[derive(Debug, clap::Args)]
pub(crate) struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_enum)]
    pub shell: Shell,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Shell {
    Bash,
    Zsh,
    Fish,
}

pub(crate) fn run(args: CompletionsArgs) -> Result<Outcome, CliError> {
    let shell = match args.shell {
        Shell::Bash => clap_complete::Shell::Bash,
        Shell::Zsh => clap_complete::Shell::Zsh,
        Shell::Fish => clap_complete::Shell::Fish,
    };
    let mut script = Vec::new();
    clap_complete::generate(
        shell,
        &mut crate::cli::Cli::command(),
        "cxqueues",
        &mut script,
    );
    crate::output::print(String::from_utf8_lossy(&script))?;
    Ok(Outcome::Success)
}
