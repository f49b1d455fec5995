//! `cxqueues schema` (being written).
use crate::exit::{CliError, Outcome};

#[derive(Debug, clap::Args)]
pub struct SchemaArgs {}

pub fn run(_args: SchemaArgs) -> Result<Outcome, CliError> {
    Err(CliError::Usage("schema is being written".into()))
}
