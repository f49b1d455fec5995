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
use crate::run::hook::{self, HookState};
use crate::run::http::{AppState, ServerLimits, TriggerToken, router, serve};
use crate::run::lease::{self, ElectionConfig, Elector};
use crate::run::metrics::Metrics;
use crate::run::optimize::{OptimizeBranch, OptimizeState, router as optimize_router};
use crate::run::remote::{self, GitAuth, Remote, RemoteUrl};
use crate::run::standby::Forwarder;
use crate::run::status::{SharedStatus, Status};
use crate::run::{Trigger, format_duration, parse_duration, watch as head_watch};
use crate::tenant::connect;

/// The variable that holds the trigger endpoint's bearer token.
const TOKEN_ENV: &str = "CXQUEUES_TRIGGER_TOKEN";
/// The bearer of `POST /v1/reconcile {"breakGlass": REASON}` (distinct from the trigger's).
const BREAK_GLASS_ENV: &str = "CXQUEUES_BREAK_GLASS_TOKEN";

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
    /// The branch to follow (default: the branch HEAD points at; `main` with --git-url).
    #[arg(long)]
    pub branch: Option<String>,
    /// Follow a remote repository instead of a checkout: https://, ssh:// (or user@host:path)
    /// or file://. Cloned into the state directory, fetched every --poll and on a signed
    /// GitHub push (`POST /v1/hooks/github`). Credentials come from the environment
    /// (CXQUEUES_GIT_TOKEN[_FILE], CXQUEUES_GIT_SSH_KEY_FILE, CXQUEUES_GIT_KNOWN_HOSTS).
    #[arg(long, value_name = "URL")]
    pub git_url: Option<String>,
    /// Elect one leader among replicas with a Kubernetes Lease: only the holder reads and
    /// writes the tenant; the others stand by.
    #[arg(long)]
    pub leader_elect: bool,
    /// The Lease's name (DNS-1123; default: cxqueues-<tenant name>).
    #[arg(long, value_name = "NAME", requires = "leader_elect")]
    pub leader_elect_lease_name: Option<String>,
    /// How long a Lease not renewed stays with its holder before a standby takes it.
    #[arg(long, default_value = "15s", value_parser = parse_duration)]
    pub leader_elect_lease_duration: Duration,
    /// How long the leader keeps writing without a successful renewal (then it stops).
    #[arg(long, default_value = "10s", value_parser = parse_duration)]
    pub leader_elect_renew_deadline: Duration,
    /// How often the Lease is tried (renewed by the leader, read by a standby).
    #[arg(long, default_value = "2s", value_parser = parse_duration)]
    pub leader_elect_retry_period: Duration,
    /// How often to check the tenant for drift (30s, 5m, 1h).
    #[arg(long, default_value = "5m", value_parser = parse_duration)]
    pub resync: Duration,
    /// How often to look at the branch even without file events.
    #[arg(long, default_value = "30s", value_parser = parse_duration)]
    pub poll: Duration,
    /// Shorthand for `spec.drift.mode: warn` (wins over the file; `off` stays off): drift is
    /// reported, never written back; commits are still applied.
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
    /// HTTP connections open at once (default: half the open-file limit, which is raised to
    /// its hard limit at start, at most 4096). At the cap a new connection closes the oldest
    /// one that has sent no request (logged once per burst).
    #[arg(long, value_name = "N", value_parser = clap::builder::TypedValueParser::map(clap::value_parser!(u16).range(1..), usize::from))]
    pub http_max_connections: Option<usize>,
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
        LogFormat::Json => {
            crate::output::log_as_json();
            builder.json().flatten_event(true).try_init()
        }
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
    let open_files = crate::run::http::raise_open_file_limit();

    // With --git-url: a bare clone in the state directory, fetched once before anything
    // reads the branch (a failure is not fatal: the loop tries again, not ready meanwhile).
    let (git, remote, first_fetch) = match &args.git_url {
        Some(raw) => {
            let url = RemoteUrl::parse(raw).map_err(|e| CliError::Usage(e.to_string()))?;
            let auth =
                GitAuth::from_env(url.transport).map_err(|e| CliError::Usage(e.to_string()))?;
            let branch = args.branch.as_deref().unwrap_or("main");
            let remote = Arc::new(
                Remote::open(url, auth, branch, &args.state.state_dir)
                    .map_err(|e| CliError::Usage(e.to_string()))?,
            );
            let fetched = remote::fetch_blocking(&remote).await;
            if let Err(e) = &fetched {
                warn!(error = %e, "the first fetch failed: not ready until a fetch succeeds");
            }
            let git = GitSource::open(remote.dir(), Some(branch))?;
            (git, Some(remote), Some(fetched))
        }
        None => (
            GitSource::open(&args.repo.repo, args.branch.as_deref())?,
            None,
            None,
        ),
    };
    if remote.is_none()
        && let Ok(Some(reason)) = git.missing_branch()
    {
        warn!("not ready: {reason}");
    }
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
    let seed_name = seed_repo.tenant.metadata.name.clone();
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
    let outbox = recorder.clone();
    let metrics = Arc::new(
        Metrics::new(
            crate::run::metrics::stats_of(conn.client.clone()),
            status.clone(),
        )
        .with_outbox(Box::new(move || {
            let w = outbox.webhook_status();
            (w.pending, w.dead.len())
        })),
    );
    if let (Some(remote), Some(fetched)) = (&remote, &first_fetch) {
        remote::record(remote, &status, &metrics, fetched);
    }
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
    let elector = if args.leader_elect {
        Some(Arc::new(
            elector(&args, &check_name(&args, &seed_name), addr).await?,
        ))
    } else {
        None
    };
    let fence = elector
        .as_ref()
        .map_or_else(lease::Fence::open, |e| e.fence());
    if elector.is_some() {
        // A standby until the Lease says otherwise.
        status.write().role = Some(crate::run::status::Role::Standby);
    }
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
        push: remote.as_ref().map(|r| crate::run::optimize::PushTo {
            remote: r.clone(),
            metrics: metrics.clone(),
            status: status.clone(),
        }),
    };
    let fetch_now = remote
        .as_ref()
        .map(|_| Arc::new(tokio::sync::Notify::new()));
    let app = router(AppState {
        status: status.clone(),
        metrics: metrics.clone(),
        triggers: trigger_tx.clone(),
        token: token.clone(),
        accepting: accepting.clone(),
        recorder: Some(recorder.clone()),
        status_requires_token: args.status_requires_token,
        body_limit: args.http_body_limit,
        break_glass: std::env::var(BREAK_GLASS_ENV)
            .ok()
            .filter(|t| !t.trim().is_empty())
            .map(|t| TriggerToken::new(t.trim())),
    })
    .merge(optimize_router(optimize_state.clone()))
    .merge(hook::router(HookState::from_env(
        git.branch(),
        fetch_now.clone(),
    )));
    // A standby hands the routes that start work to the leader.
    let app = match &elector {
        Some(e) => app.layer(axum::middleware::from_fn_with_state(
            Forwarder::new(
                fence.clone(),
                status.clone(),
                e.config().identity.clone(),
                args.leader_elect_retry_period,
            ),
            crate::run::standby::forward,
        )),
        None => app,
    };
    let (http_stop_tx, http_stop_rx) = tokio::sync::oneshot::channel::<()>();
    let limits = ServerLimits {
        header_timeout: args.http_header_timeout,
        idle_timeout: args.http_idle_timeout,
        max_connections: args
            .http_max_connections
            .unwrap_or_else(|| crate::run::http::default_max_connections(open_files)),
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
            fence.clone(),
            shutdown_rx.clone(),
        ))
    });
    let metrics_for_remote = metrics.clone();
    let ctx = Arc::new(
        Context::new(
            git.clone(),
            conn.client.clone(),
            status.clone(),
            metrics.clone(),
            Options {
                self_heal: !args.no_self_heal,
                parallelism: args.parallelism,
                resync: args.resync,
                backoff: controller::default_backoff(),
                sim: args.tenant.sim,
            },
        )
        .with_recorder(recorder.clone())
        .with_state_dir(crate::recorder::sim_state_args(&args.state, args.tenant.sim).state_dir)
        .with_fence(fence.clone()),
    );
    if let Some(first) = first {
        ctx.prime(first);
    }
    // A remote is fetched (every --poll, and at once on a signed push); a checkout is watched.
    let watcher = match (&remote, &fetch_now) {
        (Some(remote), Some(now)) => tokio::spawn(remote::follow(
            remote.clone(),
            args.poll,
            now.clone(),
            status.clone(),
            metrics_for_remote.clone(),
            trigger_tx.clone(),
            shutdown_rx.clone(),
        )),
        _ => head_watch::spawn(
            git.clone(),
            head.clone(),
            args.poll,
            trigger_tx.clone(),
            shutdown_rx.clone(),
        ),
    };
    // The Lease is renewed until the run in flight has finished (so that its writes stay
    // fenced in), then released.
    let (election_stop_tx, election_stop_rx) = watch::channel(false);
    let election = elector.as_ref().map(|e| {
        tokio::spawn(
            e.clone()
                .run(status.clone(), trigger_tx.clone(), election_stop_rx.clone()),
        )
    });
    let _ = trigger_tx.send(Trigger::commit(head));
    let mut loop_task = tokio::spawn(controller::run(ctx, trigger_rx, shutdown_rx));

    info!(
        listen = %addr,
        branch = git.branch(),
        resync = %format_duration(args.resync),
        poll = %format_duration(args.poll),
        self_heal = !args.no_self_heal,
        trigger_endpoint = token.is_some(),
        open_files = open_files.unwrap_or_default(),
        max_connections = limits.max_connections,
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
    // The write in flight is done: give the Lease up so that a standby takes over at once.
    if let Some(e) = &elector {
        let _ = election_stop_tx.send(true);
        if let Some(task) = election {
            let _ = task.await;
        }
        match e.release().await {
            Ok(true) => info!(lease = %e.config().lease_name, "released the Lease"),
            Ok(false) => {}
            Err(err) => {
                warn!(error = %err, "cannot release the Lease; a standby takes it once it expires")
            }
        }
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

/// The Lease name: `--leader-elect-lease-name`, else `cxqueues-` and the tenant's name.
fn check_name(args: &RunArgs, tenant: &str) -> String {
    args.leader_elect_lease_name
        .clone()
        .unwrap_or_else(|| lease::default_lease_name(tenant))
}

/// The elector of `--leader-elect`: the cluster found as client-go does, the settings checked.
async fn elector(args: &RunArgs, lease_name: &str, addr: SocketAddr) -> Result<Elector, CliError> {
    if !lease::is_dns1123_label(lease_name) {
        return Err(CliError::Usage(format!(
            "--leader-elect-lease-name {lease_name:?} is not a DNS-1123 label: lower-case letters, digits and '-', at most 63 characters"
        )));
    }
    let (client, namespace) = lease::connect()
        .await
        .map_err(|e| CliError::Usage(format!("--leader-elect: {e}")))?;
    // The leader's address for the standbys: the pod's IP, else the address we listen on.
    let endpoint = match std::env::var("POD_IP")
        .ok()
        .and_then(|ip| ip.trim().parse().ok())
    {
        Some(ip) => Some(format!("http://{}", SocketAddr::new(ip, addr.port()))),
        None if !addr.ip().is_unspecified() => Some(format!("http://{addr}")),
        None => None,
    };
    let cfg = ElectionConfig {
        lease_name: lease_name.to_string(),
        namespace,
        identity: lease::default_identity(),
        lease_duration: args.leader_elect_lease_duration,
        renew_deadline: args.leader_elect_renew_deadline,
        retry_period: args.leader_elect_retry_period,
        endpoint,
    };
    cfg.validate().map_err(CliError::Usage)?;
    info!(
        lease = %cfg.lease_name,
        namespace = %cfg.namespace,
        identity = %cfg.identity,
        "leader election on: standing by until the Lease is ours"
    );
    Ok(Elector::new(cfg, client))
}

/// `--git-url` as it may be shown (without userinfo).
fn git_url_shown(args: &RunArgs) -> String {
    args.git_url
        .as_deref()
        .and_then(|u| RemoteUrl::parse(u).ok())
        .map(|u| u.shown)
        .unwrap_or_default()
}

fn banner(args: &RunArgs, git: &GitSource, addr: SocketAddr, sim: Option<String>, trigger: bool) {
    let queues = if git.prefix().as_os_str().is_empty() {
        "queues/".to_string()
    } else {
        format!("{}/queues/", git.prefix().display())
    };
    if args.log_format == LogFormat::Json {
        // Every line JSON: the banner is one event, its parts as fields.
        info!(
            branch = %git.branch(),
            repo = %args.repo.repo.display(),
            listening_on = %format!("http://{addr}"),
            status = %format!("http://{addr}/status"),
            metrics = %format!("http://{addr}/metrics"),
            simulator = sim.as_deref().unwrap_or(""),
            trigger = trigger,
            "cxqueues run: following branch {}. Edit a file under {queues}, commit, and watch it applied.",
            git.branch()
        );
        return;
    }
    let mut out = std::io::stdout().lock();
    let _ = writeln!(
        out,
        "cxqueues run: following branch {} of {} (resync every {}, self-heal {})",
        git.branch(),
        match &args.git_url {
            Some(_) => git_url_shown(args),
            None => args.repo.repo.display().to_string(),
        },
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
