//! `cxqueues run`: the continuous loop. Watches a git checkout, reconciles the tree of each new
//! commit of the branch, re-syncs drift periodically, and serves status, metrics and a
//! trigger endpoint over HTTP (see [`crate::run`]).

use std::io::{IsTerminal, Write as _};
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use model::LoadOptions;
use tokio::sync::{mpsc, watch};
use tracing::{error, info, warn};

use crate::cli::args::RepoArgs;
use crate::cli::args::StateArgs;
use crate::cli::args::TenantArgs;
use crate::exit::{CliError, Outcome};
use crate::recorder::Recorder;
use crate::run::controller::{self, Context, Options};
use crate::run::git::GitSource;
use crate::run::http::{AppState, ServerLimits, TriggerToken, router, serve};
use crate::run::metrics::Metrics;
use crate::run::optimize::{OptimizeBranch, OptimizeState, router as optimize_router};
use crate::run::status::{SharedStatus, Status};
use crate::run::{Trigger, format_duration, parse_duration, watch as head_watch};
use crate::tenant::connect;

/// The variable that holds the trigger endpoint's bearer token.
const TOKEN_ENV: &str = "CXQUEUES_TRIGGER_TOKEN";

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

#[derive(Debug, clap::Args)]
pub(crate) struct RunArgs {
    #[command(flatten)]
    pub repo: RepoArgs,
    #[command(flatten)]
    pub tenant: TenantArgs,
    #[command(flatten)]
    pub state: StateArgs,
    /// The branch to follow (default: the branch HEAD points at).
    #[arg(long)]
    pub branch: Option<String>,
    /// How often to check the tenant for drift (30s, 5m, 1h).
    #[arg(long, default_value = "5m", value_parser = parse_duration)]
    pub resync: Duration,
    /// How often to look at the branch even without file events.
    #[arg(long, default_value = "30s", value_parser = parse_duration)]
    pub poll: Duration,
    /// Only report drift; never write it back.
    #[arg(long)]
    pub no_self_heal: bool,
    /// Where to serve /healthz, /readyz, /metrics, /status and /v1/reconcile.
    #[arg(long, default_value = "127.0.0.1:9464")]
    pub listen: SocketAddr,
    /// Log format (logs go to stderr).
    #[arg(long, value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
    /// Writes in flight at once.
    #[arg(long, default_value_t = 8)]
    pub parallelism: usize,
    /// On SIGINT/SIGTERM, how long an apply in flight may take to finish.
    #[arg(long, default_value = "30s", value_parser = parse_duration)]
    pub shutdown_grace: Duration,
    /// Commit each `POST /v1/optimize` proposal onto this branch (made afresh from the
    /// followed branch's head; never the followed branch itself).
    #[arg(long, value_name = "NAME")]
    pub optimize_branch: Option<String>,
    /// Also read the tenant's traffic on this schedule and commit each new proposal onto
    /// `--optimize-branch` (a proposal equal to the previous one is logged, not committed);
    /// `--window`, `--settle`, `--interval-stat` and `--media` say which traffic.
    #[arg(long, value_name = "DURATION", requires = "optimize_branch", value_parser = parse_duration)]
    pub optimize_every: Option<Duration>,
    #[command(flatten)]
    pub optimize_window: crate::cli::args::WindowArgs,
    /// The author of those commits.
    #[arg(
        long,
        value_name = "NAME <EMAIL>",
        default_value = "cxqueues optimize <cxqueues@localhost>"
    )]
    pub optimize_author: String,
    /// The largest `POST /v1/optimize` body, in bytes (413 beyond).
    #[arg(long, value_name = "BYTES", default_value_t = crate::run::optimize::DEFAULT_BODY_LIMIT)]
    pub optimize_body_limit: usize,
    /// Answer `/status` only with the trigger token (`Authorization: Bearer`), as the
    /// endpoints that write; the probes stay open.
    #[arg(long)]
    pub status_requires_token: bool,
    /// The largest request body of the other routes, in bytes (413 beyond).
    #[arg(long, value_name = "BYTES", default_value_t = crate::run::http::DEFAULT_BODY_LIMIT)]
    pub http_body_limit: usize,
    /// How long a client may take to send a request's headers.
    #[arg(long, default_value = "10s", value_parser = parse_duration)]
    pub http_header_timeout: Duration,
    /// Close a connection that sends and receives nothing for this long.
    #[arg(long, default_value = "60s", value_parser = parse_duration)]
    pub http_idle_timeout: Duration,
    /// HTTP connections open at once; those beyond are closed at once (and logged).
    #[arg(long, value_name = "N", default_value_t = crate::run::http::DEFAULT_MAX_CONNECTIONS, value_parser = clap::builder::TypedValueParser::map(clap::value_parser!(u16).range(1..), usize::from))]
    pub http_max_connections: usize,
}

fn init_logging(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false);
    let _ = match format {
        LogFormat::Text => builder
            .with_ansi(std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none())
            .try_init(),
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
    };
}

/// Resolves on SIGINT or SIGTERM, with the signal's name.
async fn shutdown_signal() -> &'static str {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => tokio::select! {
                _ = tokio::signal::ctrl_c() => "SIGINT",
                _ = term.recv() => "SIGTERM",
            },
            Err(e) => {
                warn!(error = %e, "cannot listen for SIGTERM; only SIGINT stops the runner");
                let _ = tokio::signal::ctrl_c().await;
                "SIGINT"
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
        "Ctrl-C"
    }
}

pub(crate) async fn run(args: RunArgs) -> Result<Outcome, CliError> {
    init_logging(args.log_format);
    // Signals are caught from the start, so that none ends the process half-way.
    let signal = tokio::spawn(shutdown_signal());

    let git = GitSource::open(&args.repo.repo, args.branch.as_deref())?;
    let optimize_branch = match &args.optimize_branch {
        Some(name) => {
            let b = OptimizeBranch::new(name, &args.optimize_author, git.branch())
                .map_err(CliError::Usage)?;
            if let Some(refusal) =
                crate::run::optimize::checked_out_refusal(&git.open_repo()?, &b.name)
            {
                return Err(CliError::Usage(refusal));
            }
            Some(b)
        }
        None => None,
    };
    let head = git.head()?;
    let first = match &head {
        Some(id) => Some(git.read_commit(id, &LoadOptions::default())?),
        None => None,
    };
    // The simulator (--sim) is seeded from the first commit's queues.
    let seed_repo = first.as_ref().map(|s| s.repo.clone()).unwrap_or_default();
    let conn = connect(&args.tenant, &seed_repo, &args.state.state_dir).await?;
    // The audit log and the webhook outbox (--state-dir), as `apply` keeps them. Without
    // --sim, a webhook whose key variable is missing stops the start; with --sim, each run
    // keeps only the loopback webhooks (and says so once).
    let mut check = seed_repo;
    if args.tenant.sim {
        check.tenant.spec.webhooks.clear();
    }
    let recorder = Arc::new(Recorder::open(
        &crate::recorder::sim_state_args(&args.state, args.tenant.sim),
        &check,
    )?);

    let token = std::env::var(TOKEN_ENV)
        .ok()
        .filter(|t| !t.trim().is_empty())
        .map(|t| TriggerToken::new(t.trim()));
    if args.status_requires_token && token.is_none() {
        return Err(CliError::Usage(format!(
            "--status-requires-token needs {TOKEN_ENV}: set it to the token /status is to want"
        )));
    }
    let status = SharedStatus::new(Status::new(git.branch(), !args.no_self_heal));
    let metrics = Arc::new(Metrics::new(
        crate::run::metrics::stats_of(conn.client.clone()),
        status.clone(),
    ));
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .map_err(|source| CliError::Io {
            what: "listen on",
            path: args.listen.to_string().into(),
            source,
        })?;
    let addr = listener
        .local_addr()
        .map_err(|e| CliError::Other(e.into()))?;

    // The banner first, flushed, before anything that logs is started: piped, it still
    // comes before the first log line.
    banner(&args, &git, addr, conn.sim_url(), token.is_some());
    let (trigger_tx, trigger_rx) = mpsc::unbounded_channel::<Trigger>();
    let (shutdown_tx, shutdown_rx) = watch::channel(false);
    let accepting = Arc::new(AtomicBool::new(true));
    let optimize_state = OptimizeState {
        git: git.clone(),
        token: token.clone(),
        branch: optimize_branch,
        recorder: Some(recorder.clone()),
        body_limit: args.optimize_body_limit,
        sim: args.tenant.sim,
        lock: Arc::default(),
    };
    let app = router(AppState {
        status: status.clone(),
        metrics: metrics.clone(),
        triggers: trigger_tx.clone(),
        token: token.clone(),
        accepting: accepting.clone(),
        recorder: Some(recorder.clone()),
        status_requires_token: args.status_requires_token,
        body_limit: args.http_body_limit,
    })
    .merge(optimize_router(optimize_state.clone()));
    let (http_stop_tx, http_stop_rx) = tokio::sync::oneshot::channel::<()>();
    let limits = ServerLimits {
        header_timeout: args.http_header_timeout,
        idle_timeout: args.http_idle_timeout,
        max_connections: args.http_max_connections,
    };
    let server = tokio::spawn(serve(listener, app, limits, async move {
        let _ = http_stop_rx.await;
    }));

    let scheduled = args.optimize_every.map(|every| {
        let schedule = crate::run::schedule::Schedule::new(
            every,
            args.optimize_window.clone(),
            &crate::recorder::sim_state_args(&args.state, args.tenant.sim).state_dir,
        );
        tokio::spawn(crate::run::schedule::run(
            optimize_state.clone(),
            conn.client.clone(),
            schedule,
            metrics.clone(),
            shutdown_rx.clone(),
        ))
    });
    let ctx = Arc::new(
        Context::new(
            git.clone(),
            conn.client.clone(),
            status.clone(),
            metrics,
            Options {
                self_heal: !args.no_self_heal,
                parallelism: args.parallelism,
                resync: args.resync,
                backoff: controller::default_backoff(),
                sim: args.tenant.sim,
            },
        )
        .with_recorder(recorder.clone()),
    );
    if let Some(first) = first {
        ctx.prime(first);
    }
    let watcher = head_watch::spawn(
        git.clone(),
        head.clone(),
        args.poll,
        trigger_tx.clone(),
        shutdown_rx.clone(),
    );
    let _ = trigger_tx.send(Trigger::commit(head));
    let mut loop_task = tokio::spawn(controller::run(ctx, trigger_rx, shutdown_rx));

    info!(
        listen = %addr,
        branch = git.branch(),
        resync = %format_duration(args.resync),
        poll = %format_duration(args.poll),
        self_heal = !args.no_self_heal,
        trigger_endpoint = token.is_some(),
        "cxqueues run started"
    );

    let mut signal = signal;
    let crashed = tokio::select! {
        s = &mut signal => {
            info!(signal = s.unwrap_or("signal"), "shutting down: no new runs; letting the one in flight finish");
            false
        }
        r = &mut loop_task => {
            error!(error = ?r.err(), "the reconcile loop stopped unexpectedly");
            true
        }
    };
    accepting.store(false, Ordering::SeqCst);
    let _ = shutdown_tx.send(true);
    if !crashed {
        match tokio::time::timeout(args.shutdown_grace, &mut loop_task).await {
            Ok(_) => info!("the reconcile loop stopped"),
            Err(_) => {
                warn!(
                    grace = %format_duration(args.shutdown_grace),
                    "the run in flight did not finish in time; stopping anyway (queues not yet written stay as they were)"
                );
                loop_task.abort();
            }
        }
    }
    let _ = watcher.await;
    if let Some(task) = scheduled
        && tokio::time::timeout(Duration::from_secs(5), task)
            .await
            .is_err()
    {
        warn!("the scheduled optimization did not stop in time");
    }
    let _ = http_stop_tx.send(());
    if tokio::time::timeout(Duration::from_secs(5), server)
        .await
        .is_err()
    {
        warn!("the HTTP server did not stop in time");
    }
    let left = recorder.shutdown(Duration::from_secs(10)).await;
    if left.pending > 0 {
        warn!(
            pending = left.pending,
            state_dir = %args.state.state_dir.display(),
            "webhook events wait in the outbox; the next apply or run delivers them"
        );
    }
    conn.close().await;
    info!("stopped");
    if crashed {
        return Err(CliError::Other(anyhow::anyhow!(
            "the reconcile loop stopped unexpectedly"
        )));
    }
    Ok(Outcome::Success)
}

fn banner(args: &RunArgs, git: &GitSource, addr: SocketAddr, sim: Option<String>, trigger: bool) {
    let queues = if git.prefix().as_os_str().is_empty() {
        "queues/".to_string()
    } else {
        format!("{}/queues/", git.prefix().display())
    };
    let mut out = std::io::stdout().lock();
    let _ = writeln!(
        out,
        "cxqueues run: following branch {} of {} (resync every {}, self-heal {})",
        git.branch(),
        args.repo.repo.display(),
        format_duration(args.resync),
        if args.no_self_heal { "off" } else { "on" }
    );
    if let Some(url) = sim {
        let _ = writeln!(out, "  tenant:  the embedded simulator at {url}");
    }
    let _ = writeln!(out, "  listening on http://{addr}");
    let _ = writeln!(
        out,
        "  status:  http://{addr}/status   metrics: http://{addr}/metrics"
    );
    if trigger {
        let _ = writeln!(
            out,
            "  trigger: curl -X POST -H \"Authorization: Bearer ${TOKEN_ENV}\" http://{addr}/v1/reconcile"
        );
        let target = match &args.optimize_branch {
            Some(b) => format!("proposals committed onto branch {b}"),
            None => "proposals answered only (no --optimize-branch)".to_string(),
        };
        let _ = writeln!(
            out,
            "  optimize: POST a metrics JSON to http://{addr}/v1/optimize (same token; {target})"
        );
    }
    if let (Some(every), Some(b)) = (args.optimize_every, &args.optimize_branch) {
        let _ = writeln!(
            out,
            "  optimize: every {} from the tenant's traffic (window {}), new proposals committed onto branch {b}",
            format_duration(every),
            format_duration(args.optimize_window.window)
        );
    }
    let _ = writeln!(
        out,
        "Edit a file under {queues}, commit, and watch it applied. Ctrl-C stops."
    );
    let _ = out.flush();
}
