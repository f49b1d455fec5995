//! The command line: every command (clap), the one dispatch, and the argument groups that
//! several commands share ([`args`]).

pub mod args;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod completions;
mod signals;

use crate::cmd;
use crate::exit::{self, CliError};

/// Declarative GitOps for contact-center routing queues (NICE CXone, Genesys Cloud).
#[derive(Debug, Parser)]
#[command(name = "cxqueues", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Debug, Subcommand)]
#[allow(
    clippy::large_enum_variant,
    reason = "parsed once per process; run's flags make its variant the largest"
)]
pub(crate) enum Command {
    /// Offline checks of the whole repository.
    Validate(cmd::validate::ValidateArgs),
    /// Prints the JSON Schemas, or writes them with --out DIR.
    Schema(cmd::schema::SchemaArgs),
    /// Reads the tenant and prints what apply would change.
    Plan(cmd::plan::PlanArgs),
    /// Plans and applies, without asking (review happens on the plan).
    Apply(cmd::plan::ApplyArgs),
    /// Writes the tenant's queues as Queue documents into --out DIR.
    Import(cmd::import::ImportArgs),
    /// The continuous loop: reconciles each new commit, re-syncs drift, serves status.
    Run(cmd::run::RunArgs),
    /// Serves the simulated tenant API.
    #[cfg(feature = "sim")]
    Sim(cmd::sim::SimArgs),
    /// The audit log: `audit verify [PATH]` checks its hash chain.
    Audit(cmd::audit::AuditArgs),
    /// The webhook outbox: `webhooks list`, `webhooks retry [EVENT_ID|--all]`.
    Webhooks(cmd::webhooks::WebhooksArgs),
    /// Posts a saved plan as one pull-request comment, or updates the one posted before.
    Comment(cmd::comment::CommentArgs),
    /// Proposes queue settings from traffic metrics, as a change to the YAML.
    Optimize(cmd::optimize::OptimizeArgs),
    /// Prints the shell completion script: `cxqueues completions bash|zsh|fish`.
    Completions(completions::CompletionsArgs),
}

/// Parses the command line, runs one command, and maps its outcome to an exit code in one
/// place ([`crate::exit::finish`]).
pub fn main() -> ExitCode {
    signals::survive_file_size_limit();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() { 1 } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    let outcome = match cli.command {
        Command::Validate(args) => cmd::validate::run(args),
        Command::Schema(args) => cmd::schema::run(args),
        Command::Plan(args) => runtime().and_then(|rt| rt.block_on(cmd::plan::plan(args))),
        Command::Apply(args) => runtime().and_then(|rt| rt.block_on(cmd::plan::apply(args))),
        Command::Import(args) => runtime().and_then(|rt| rt.block_on(cmd::import::run(args))),
        Command::Run(args) => runtime().and_then(|rt| rt.block_on(cmd::run::run(args))),
        #[cfg(feature = "sim")]
        Command::Sim(args) => runtime().and_then(|rt| {
            rt.block_on(cmd::sim::run(args))
                .map(|()| exit::Outcome::Success)
                .map_err(CliError::Other)
        }),
        Command::Audit(args) => cmd::audit::run(args),
        Command::Webhooks(args) => cmd::webhooks::run(args),
        Command::Comment(args) => runtime().and_then(|rt| rt.block_on(cmd::comment::run(args))),
        Command::Completions(args) => completions::run(args),
        Command::Optimize(args) => runtime().and_then(|rt| rt.block_on(cmd::optimize::run(args))),
    };
    exit::finish(outcome)
}

fn runtime() -> Result<tokio::runtime::Runtime, CliError> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::Other(e.into()))
}
