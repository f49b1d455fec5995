//! `cxqueues`: declarative GitOps for contact-center routing queues.
//!
//! `main` parses the command line, runs one command, and maps its outcome to an exit code in
//! one place ([`exit::Outcome`]).

mod audit;
mod civil;
mod cmd_audit;
mod cmd_comment;
mod cmd_import;
mod cmd_optimize;
mod cmd_plan;
mod cmd_run;
mod cmd_schema;
mod cmd_sim;
mod cmd_validate;
mod cmd_webhooks;
mod exit;
mod plan_output;
mod printable;
mod render;
mod run;
mod tenant;
mod tenant_cxone;
mod tenant_genesys;
mod webhooks;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::exit::{CliError, Outcome};

/// Declarative GitOps for NICE CXone routing queues.
#[derive(Debug, Parser)]
#[command(name = "cxqueues", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Offline checks of the whole repository.
    Validate(cmd_validate::ValidateArgs),
    /// Prints the JSON Schemas, or writes them with --out DIR.
    Schema(cmd_schema::SchemaArgs),
    /// Reads the tenant and prints what apply would change.
    Plan(cmd_plan::PlanArgs),
    /// Plans and applies, without asking (review happens on the plan).
    Apply(cmd_plan::ApplyArgs),
    /// Writes the tenant's queues as Queue documents into --out DIR.
    Import(cmd_import::ImportArgs),
    /// The continuous loop: reconciles each new commit, re-syncs drift, serves status.
    Run(cmd_run::RunArgs),
    /// Serves the simulated tenant API.
    Sim(cmd_sim::SimArgs),
    /// The audit log: `audit verify [PATH]` checks its hash chain.
    Audit(cmd_audit::AuditArgs),
    /// The webhook outbox: `webhooks list`, `webhooks retry [EVENT_ID|--all]`.
    Webhooks(cmd_webhooks::WebhooksArgs),
    /// Posts a saved plan as one pull-request comment, or updates the one posted before.
    Comment(cmd_comment::CommentArgs),
    /// Proposes queue settings from traffic metrics, as a change to the YAML.
    Optimize(cmd_optimize::OptimizeArgs),
}

/// Options every repository-reading command shares.
#[derive(Debug, Clone, clap::Args)]
pub struct RepoArgs {
    /// The repository (the folder holding cxqueues.yaml and queues/).
    #[arg(long, default_value = ".")]
    pub repo: PathBuf,
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() { 1 } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    let outcome = match cli.command {
        Command::Validate(args) => cmd_validate::run(args),
        Command::Schema(args) => cmd_schema::run(args),
        Command::Plan(args) => runtime().and_then(|rt| rt.block_on(cmd_plan::plan(args))),
        Command::Apply(args) => runtime().and_then(|rt| rt.block_on(cmd_plan::apply(args))),
        Command::Import(args) => runtime().and_then(|rt| rt.block_on(cmd_import::run(args))),
        Command::Run(args) => runtime().and_then(|rt| rt.block_on(cmd_run::run(args))),
        Command::Sim(args) => runtime().and_then(|rt| {
            rt.block_on(cmd_sim::run(args))
                .map(|()| Outcome::Success)
                .map_err(CliError::Other)
        }),
        Command::Audit(args) => cmd_audit::run(args),
        Command::Webhooks(args) => cmd_webhooks::run(args),
        Command::Comment(args) => runtime().and_then(|rt| rt.block_on(cmd_comment::run(args))),
        Command::Optimize(args) => runtime().and_then(|rt| rt.block_on(cmd_optimize::run(args))),
    };
    exit::finish(outcome)
}

/// The runtime's timer, for apply's waits between conflict retries.
pub fn tokio_sleep() -> reconcile::Sleep {
    std::sync::Arc::new(|d| Box::pin(tokio::time::sleep(d)))
}

fn runtime() -> Result<tokio::runtime::Runtime, CliError> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::Other(e.into()))
}
