//! `cxqueues schema`: the JSON Schemas of the Queue and Tenant documents, generated from the
//! model's types. `schemas/` at the repository root is this command's output.

use std::path::{Path, PathBuf};

use crate::exit::{CliError, Outcome};

#[derive(Debug, clap::Args)]
pub(crate) struct SchemaArgs {
    /// Write `queue.schema.json` and `tenant.schema.json` into this folder (created if
    /// missing) instead of printing them.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Print only this document's schema (without --out).
    #[arg(long, value_enum, conflicts_with = "out")]
    pub kind: Option<SchemaKind>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum SchemaKind {
    Queue,
    Tenant,
}

impl SchemaKind {
    fn file(self) -> &'static str {
        match self {
            SchemaKind::Queue => "queue.schema.json",
            SchemaKind::Tenant => "tenant.schema.json",
        }
    }
}

/// Writes `queue.schema.json` and `tenant.schema.json` into `dir` (created if missing).
pub(crate) fn write_schemas(dir: &Path) -> Result<(), CliError> {
    std::fs::create_dir_all(dir).map_err(|source| CliError::Io {
        what: "create",
        path: dir.to_path_buf(),
        source,
    })?;
    for (name, json) in model::schema::all() {
        let path = dir.join(name);
        std::fs::write(&path, json).map_err(|source| CliError::Io {
            what: "write",
            path: path.clone(),
            source,
        })?;
        eprintln!("wrote {}", path.display());
    }
    Ok(())
}

pub(crate) fn run(args: SchemaArgs) -> Result<Outcome, CliError> {
    if let Some(dir) = args.out {
        write_schemas(&dir)?;
        return Ok(Outcome::Success);
    }
    let schemas = model::schema::all();
    let parse = |json: &str| -> Result<serde_json::Value, CliError> {
        serde_json::from_str(json).map_err(|e| CliError::Other(e.into()))
    };
    // One JSON document: the schema asked for, or both under named keys.
    let doc = match args.kind {
        Some(kind) => {
            let (_, json) = schemas
                .iter()
                .find(|(name, _)| *name == kind.file())
                .ok_or_else(|| CliError::Other(anyhow::anyhow!("no schema {}", kind.file())))?;
            parse(json)?
        }
        None => {
            let mut both = serde_json::Map::new();
            for (name, json) in &schemas {
                let key = name.trim_end_matches(".schema.json").to_string();
                both.insert(key, parse(json)?);
            }
            serde_json::Value::Object(both)
        }
    };
    let mut text = serde_json::to_string_pretty(&doc).map_err(|e| CliError::Other(e.into()))?;
    text.push('\n');
    crate::output::print(&text)?;
    Ok(Outcome::Success)
}
