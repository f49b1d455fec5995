//! `cxqueues validate` (being written).
use crate::RepoArgs;
use crate::exit::{CliError, Outcome};

#[derive(Debug, clap::Args)]
pub struct ValidateArgs {
    #[command(flatten)]
    pub repo: RepoArgs,
}

pub fn run(_args: ValidateArgs) -> Result<Outcome, CliError> {
    Err(CliError::Usage("validate is being written".into()))
}
