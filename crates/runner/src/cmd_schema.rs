//! `cxqueues schema`: the JSON Schemas of the Queue and Tenant documents, generated from the
//! model's types. `schemas/` at the repository root is this command's output.

use std::io::Write as _;
use std::path::PathBuf;

use crate::exit::{CliError, Outcome};

#[derive(Debug, clap::Args)]
pub struct SchemaArgs {
    /// Write `queue.schema.json` and `tenant.schema.json` into this folder (created if
    /// missing) instead of printing them.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
}

pub fn run(args: SchemaArgs) -> Result<Outcome, CliError> {
    let schemas = model::schema::all();
    match args.out {
        None => {
            // One JSON document after the other (a JSON stream, as `jq` reads it).
            let text: String = schemas.into_iter().map(|(_, json)| json).collect();
            std::io::stdout()
                .lock()
                .write_all(text.as_bytes())
                .map_err(|e| CliError::Other(e.into()))?;
        }
        Some(dir) => {
            std::fs::create_dir_all(&dir).map_err(|e| {
                CliError::Usage(format!("--out {}: cannot create: {e}", dir.display()))
            })?;
            for (name, json) in schemas {
                let path = dir.join(name);
                std::fs::write(&path, json).map_err(|e| {
                    CliError::Usage(format!("cannot write {}: {e}", path.display()))
                })?;
                eprintln!("wrote {}", path.display());
            }
        }
    }
    Ok(Outcome::Success)
}
