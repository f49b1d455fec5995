//! The argument groups several commands share: the repository (`--repo`), the tenant
//! (`--sim`, `--base-url`, …) and the state directory (`--state-dir`, `--audit-log`). Plain
//! data: the layers below the commands take them without knowing the command line.

use std::path::PathBuf;

/// Options every repository-reading command shares.
#[derive(Debug, Clone, clap::Args)]
pub struct RepoArgs {
    /// The repository (the folder holding cxqueues.yaml and queues/).
    #[arg(long, default_value = ".")]
    pub repo: PathBuf,
}

/// How to reach the tenant; shared by plan, apply, import and run.
#[derive(Debug, Clone, clap::Args)]
pub struct TenantArgs {
    /// Start an embedded simulated tenant (seeded with a demo state) instead of calling a real
    /// one: no credentials needed.
    #[arg(long)]
    pub sim: bool,
    /// The tenant API's base URL (overrides spec.baseUrl of cxqueues.yaml).
    #[arg(long, env = "CXONE_BASE_URL")]
    pub base_url: Option<String>,
    /// The OAuth token URL, when it is not {base-url}/oauth2/token.
    #[arg(long, env = "CXONE_TOKEN_URL")]
    pub token_url: Option<String>,
    /// With --sim: start the simulated tenant over from the demo state (it otherwise keeps
    /// its state in <state-dir>/sim/<platform>-<tenant>.json between commands).
    #[arg(long, requires = "sim")]
    pub sim_reset: bool,
}

/// `--state-dir` alone, for the commands that keep no audit log (`plan`, `import`, `optimize`,
/// `webhooks`): the simulated tenant (`<DIR>/sim/`) and the webhook outbox live there.
#[derive(clap::Args, Debug, Clone)]
pub struct StateDirArg {
    /// The state directory: the simulated tenant of `--sim` (<DIR>/sim/), the audit log and
    /// the webhook outbox (git-ignore it).
    #[arg(
        long,
        value_name = "DIR",
        default_value = ".cxqueues",
        env = "CXQUEUES_STATE_DIR"
    )]
    pub state_dir: PathBuf,
}

/// `--state-dir` and `--audit-log`, for `apply` and `run` (flatten into their arguments).
#[derive(clap::Args, Debug, Clone)]
pub struct StateArgs {
    /// Holds the audit log and the webhook outbox (git-ignore it).
    #[arg(
        long,
        value_name = "DIR",
        default_value = ".cxqueues",
        env = "CXQUEUES_STATE_DIR"
    )]
    pub state_dir: PathBuf,
    /// The audit log (default: <state-dir>/audit.jsonl).
    #[arg(long, value_name = "PATH")]
    pub audit_log: Option<PathBuf>,
}

impl Default for StateArgs {
    fn default() -> Self {
        Self {
            state_dir: PathBuf::from(".cxqueues"),
            audit_log: None,
        }
    }
}
