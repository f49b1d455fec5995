//! `cxqueues sim`: serve a simulated CXone tenant (the `sim` crate) until Ctrl-C.
//!
//! ```text
//! cxqueues sim --listen 127.0.0.1:8089 --state tenant.yaml --rate-429 0.2 --latency-ms 50
//! ```
//!
//! Without `--state` it serves a small demo tenant. Faults can also be changed while it runs
//! with `POST /_sim/faults` (a JSON `sim::Faults`); counters are at `GET /_sim/stats`.

use std::{net::SocketAddr, path::PathBuf};

use anyhow::Context as _;
use sim::{Faults, RetryAfterFormat, Seed, SimState};

/// Options of `cxqueues sim`.
#[derive(clap::Args, Debug)]
pub(crate) struct SimArgs {
    #[command(flatten)]
    pub repo: crate::cli::args::RepoArgs,
    /// Address to listen on (port 0 picks a free port).
    #[arg(long, default_value = "127.0.0.1:8089")]
    pub listen: SocketAddr,

    /// Seed state file (JSON or YAML); a small demo tenant when absent.
    #[arg(long, value_name = "FILE")]
    pub state: Option<PathBuf>,

    /// Share (0.0–1.0) of requests answered 429 with Retry-After.
    #[arg(long = "rate-429", value_name = "RATE", default_value_t = 0.0)]
    pub rate_429: f64,

    /// Share (0.0–1.0) of requests answered 503 with Retry-After.
    #[arg(long = "rate-503", value_name = "RATE", default_value_t = 0.0)]
    pub rate_503: f64,

    /// Retry-After delay in seconds for injected 429/503.
    #[arg(long, value_name = "SECS", default_value_t = 1)]
    pub retry_after_secs: u64,

    /// Send Retry-After as an HTTP-date instead of seconds.
    #[arg(long)]
    pub retry_after_date: bool,

    /// Milliseconds added to every request.
    #[arg(long, value_name = "MS", default_value_t = 0)]
    pub latency_ms: u64,

    /// Up to this many more milliseconds, at random.
    #[arg(long, value_name = "MS", default_value_t = 0)]
    pub latency_jitter_ms: u64,

    /// Lifetime of issued tokens, seconds.
    #[arg(long, value_name = "SECS", default_value_t = 3600)]
    pub token_lifetime_secs: u64,

    /// A real rate limit, requests per second (excess requests get 429).
    #[arg(long, value_name = "RPS")]
    pub rate_limit: Option<f64>,

    /// Burst size of the rate limit (default: the rate, rounded up).
    #[arg(long, value_name = "N")]
    pub rate_limit_burst: Option<u32>,

    /// Share (0.0–1.0) of requests whose connection is dropped unanswered (nothing applied).
    #[arg(long, value_name = "RATE", default_value_t = 0.0)]
    pub drop_rate: f64,

    /// Share (0.0–1.0) of successful queue writes whose response is lost after applying.
    #[arg(long, value_name = "RATE", default_value_t = 0.0)]
    pub drop_after_apply_rate: f64,

    /// Apply injected faults and the rate limit to the token endpoint too.
    #[arg(long)]
    pub faults_on_token: bool,

    /// Seed of the random fault draws, for reproducible runs.
    #[arg(long, value_name = "N")]
    pub rng_seed: Option<u64>,

    /// Genesys face: a created queue is missing from the list for this long.
    #[arg(long, value_name = "MS", default_value_t = 0)]
    pub genesys_list_lag_ms: u64,

    /// Genesys face: a deleted queue is still listed and served for this long.
    #[arg(long, value_name = "MS", default_value_t = 0)]
    pub genesys_delete_cache_ms: u64,
}

impl SimArgs {
    /// The fault settings these options describe.
    pub(crate) fn faults(&self) -> Faults {
        Faults {
            rate_429: self.rate_429,
            rate_503: self.rate_503,
            retry_after_secs: self.retry_after_secs,
            retry_after: if self.retry_after_date {
                RetryAfterFormat::HttpDate
            } else {
                RetryAfterFormat::Seconds
            },
            latency_ms: self.latency_ms,
            latency_jitter_ms: self.latency_jitter_ms,
            token_lifetime_secs: self.token_lifetime_secs,
            rate_limit_rps: self.rate_limit,
            rate_limit_burst: self.rate_limit_burst,
            drop_rate: self.drop_rate,
            drop_after_apply_rate: self.drop_after_apply_rate,
            include_token_endpoint: self.faults_on_token,
            rng_seed: self.rng_seed,
            ..Faults::default()
        }
    }
}

/// Serves the simulated tenant until Ctrl-C (or SIGTERM).
pub(crate) async fn run(args: SimArgs) -> anyhow::Result<()> {
    let seed = match &args.state {
        Some(path) => Seed::from_path(path)
            .with_context(|| format!("cannot load the state file {}", path.display()))?,
        // The same demo state as `--sim`, made from the repository, so that the example
        // repository plans against it as it does against the embedded tenant.
        None => {
            let repo = model::load_repository(&args.repo.repo, &model::LoadOptions::default());
            if repo.queues.is_empty() {
                Seed::demo()
            } else {
                super::demo_seed(&repo)
            }
        }
    };
    let faults = args.faults();
    faults.validate()?;
    let state = SimState::new(seed, faults)?;
    state.set_genesys_lag(sim::GenesysLag {
        list_lag_ms: args.genesys_list_lag_ms,
        delete_cache_ms: args.genesys_delete_cache_ms,
    });
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("cannot listen on {}", args.listen))?;
    let addr = listener.local_addr()?;
    let base = format!("http://{addr}");

    // The banner is for whoever watches; a closed stdout (`| head`) must not end the
    // simulator, so a failed write is ignored rather than a panic as with `println!`.
    macro_rules! say {
        ($($arg:tt)*) => {{
            use std::io::Write as _;
            let _ = writeln!(std::io::stdout(), $($arg)*);
        }};
    }
    say!("cxqueues sim: serving a simulated tenant at {base}");
    let client = state.client();
    say!("  client_id:     {}", client.client_id);
    if client.is_demo() {
        // The built-in demo client's secret is a fixed fake, printed so it can be used.
        say!(
            "  client_secret: {} (built-in demo secret of the simulator, not a real credential)",
            client.client_secret
        );
    } else {
        say!("  client_secret: as given in the state file (not printed)");
    }
    say!("  token:         POST {base}{}", sim::TOKEN_PATH);
    say!(
        "  Genesys face:  GENESYSCLOUD_API_REGION={base}{}",
        sim::GENESYS_PREFIX
    );
    say!("  stats:         GET {base}/_sim/stats (faults: GET/POST {base}/_sim/faults)");
    say!("Press Ctrl-C to stop.");

    sim::serve(listener, state, shutdown_signal()).await?;
    say!("cxqueues sim: stopped");
    Ok(())
}

/// Completes on Ctrl-C, or on SIGTERM where there is one.
async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::warn!("cannot listen for Ctrl-C: {e}");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(s) => s,
                Err(e) => {
                    tracing::warn!("cannot listen for SIGTERM: {e}");
                    ctrl_c.await;
                    return;
                }
            };
        tokio::select! {
            () = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    ctrl_c.await;
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser, Debug)]
    struct Cli {
        #[command(flatten)]
        sim: SimArgs,
    }

    #[test]
    fn fault_flags_become_faults() {
        let cli = Cli::try_parse_from([
            "sim",
            "--listen",
            "127.0.0.1:0",
            "--rate-429",
            "0.2",
            "--retry-after-date",
            "--latency-ms",
            "15",
            "--token-lifetime-secs",
            "5",
            "--rate-limit",
            "10",
            "--drop-rate",
            "0.1",
        ])
        .unwrap();
        let f = cli.sim.faults();
        assert_eq!(f.rate_429, 0.2);
        assert_eq!(f.retry_after, RetryAfterFormat::HttpDate);
        assert_eq!(f.latency_ms, 15);
        assert_eq!(f.token_lifetime_secs, 5);
        assert_eq!(f.rate_limit_rps, Some(10.0));
        assert_eq!(f.drop_rate, 0.1);
        assert!(f.validate().is_ok());
        assert!(cli.sim.state.is_none());
    }

    #[test]
    fn no_flags_mean_no_faults() {
        let cli = Cli::try_parse_from(["sim"]).unwrap();
        assert_eq!(cli.sim.faults(), Faults::default());
        assert_eq!(cli.sim.listen.port(), 8089);
    }
}
