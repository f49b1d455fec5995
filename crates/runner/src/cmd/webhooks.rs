//! `cxqueues webhooks list` and `cxqueues webhooks retry`: the outbox of a state directory.

use crate::cli::args::RepoArgs;
use crate::cli::args::StateDirArg;
use crate::exit::{CliError, Outcome};
use crate::recorder::webhooks::{EventSummary, HookId, Outbox, Requeue, shown_url};

#[derive(Debug, clap::Args)]
pub(crate) struct WebhooksArgs {
    #[command(subcommand)]
    pub command: WebhooksCommand,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum ListFormat {
    Text,
    Json,
}

#[derive(Debug, clap::Subcommand)]
pub(crate) enum WebhooksCommand {
    /// Shows pending and dead-lettered events, with attempts and last error; each event's
    /// webhook by its URL (without query or userinfo) when the repository's cxqueues.yaml
    /// configures it, else by its id.
    List {
        #[command(flatten)]
        state: StateDirArg,
        #[command(flatten)]
        repo: RepoArgs,
        #[arg(long, value_enum, default_value_t = ListFormat::Text)]
        format: ListFormat,
        /// The outbox `apply --sim` and `run --sim` write: <state-dir>/sim/.
        #[arg(long)]
        sim: bool,
    },
    /// Re-queues dead letters (one by event id, or --all); a running `cxqueues run` picks
    /// them up within its rescan interval, otherwise the next apply delivers them.
    Retry {
        /// The event id (or a unique prefix) of a dead letter.
        #[arg(required_unless_present = "all", conflicts_with = "all")]
        event_id: Option<String>,
        /// Every dead letter.
        #[arg(long)]
        all: bool,
        #[command(flatten)]
        state: StateDirArg,
    },
}

fn open(state: &StateDirArg) -> Result<Outbox, CliError> {
    if !state.state_dir.is_dir() {
        return Err(CliError::Usage(format!(
            "no state directory at {} (give the one apply and run use with --state-dir)",
            state.state_dir.display()
        )));
    }
    Ok(Outbox::open(&state.state_dir)?)
}

/// Where an event goes: its webhook's URL as it may be shown, else the webhook's id (the
/// outbox holds the id only).
fn receiver(e: &EventSummary) -> String {
    match (&e.url, &e.hook) {
        (Some(url), _) => crate::recorder::webhooks::shown_url(url),
        (None, Some(id)) => format!("webhook {id}"),
        (None, None) => "no webhook".into(),
    }
}

/// The URLs (as they may be shown) of the webhooks the repository configures, by id; none
/// when it has no cxqueues.yaml.
fn configured_urls(repo: &RepoArgs) -> std::collections::HashMap<HookId, String> {
    let loaded = model::load_repository(&repo.repo, &model::LoadOptions::default());
    loaded
        .tenant
        .spec
        .webhooks
        .iter()
        .map(|w| (HookId::of(&w.url, &w.secret_env), shown_url(&w.url)))
        .collect()
}

fn line(e: &EventSummary) -> String {
    let mut s = format!(
        "  {}  {}  {} → {}  attempts {}",
        e.event_id,
        e.event,
        e.queue_name,
        receiver(e),
        e.attempts
    );
    if let Some(t) = &e.dead_at {
        s.push_str(&format!("  dead since {t}"));
    } else if let Some(t) = &e.next_attempt_at {
        s.push_str(&format!("  next attempt {t}"));
    }
    if let Some(err) = &e.last_error {
        s.push_str(&format!("\n      last error: {err}"));
    }
    s
}

pub(crate) fn run(args: WebhooksArgs) -> Result<Outcome, CliError> {
    match args.command {
        WebhooksCommand::List {
            state,
            repo,
            format,
            sim,
        } => {
            let state = StateDirArg {
                state_dir: if sim {
                    crate::tenant::sim_dir(&state.state_dir)
                } else {
                    state.state_dir
                },
            };
            let (mut pending, mut dead) = open(&state)?.list()?;
            let urls = configured_urls(&repo);
            for e in pending.iter_mut().chain(dead.iter_mut()) {
                e.url = e.hook.as_ref().and_then(|id| urls.get(id).cloned());
            }
            match format {
                ListFormat::Json => {
                    let v = serde_json::json!({"pending": pending, "dead": dead});
                    crate::output::print(format!(
                        "{}\n",
                        serde_json::to_string_pretty(&v).unwrap_or_default()
                    ))?;
                }
                ListFormat::Text => {
                    crate::output::print(format!("pending: {}\n", pending.len()))?;
                    for e in &pending {
                        crate::output::print(format!("{}\n", line(e)))?;
                    }
                    crate::output::print(format!("dead letters: {}\n", dead.len()))?;
                    for e in &dead {
                        crate::output::print(format!("{}\n", line(e)))?;
                    }
                    if !dead.is_empty() {
                        crate::output::print(
                            "Re-queue with `cxqueues webhooks retry EVENT_ID` or `--all`.\n",
                        )?;
                    }
                }
            }
            Ok(Outcome::Success)
        }
        WebhooksCommand::Retry {
            event_id,
            all,
            state,
        } => {
            let which = match (all, event_id) {
                (true, _) => Requeue::All,
                (false, Some(id)) => Requeue::One(id),
                (false, None) => {
                    return Err(CliError::Usage("give an EVENT_ID or --all".into()));
                }
            };
            let requeued = open(&state)?.requeue(&which)?;
            for e in &requeued {
                crate::output::print(format!(
                    "re-queued {} ({} {} → {})\n",
                    e.event_id,
                    e.event,
                    e.queue_name,
                    receiver(e)
                ))?;
            }
            crate::output::print(format!("{} event(s) re-queued.\n", requeued.len()))?;
            Ok(Outcome::Success)
        }
    }
}
