//! The argument groups several commands share: the repository (`--repo`), the tenant
//! (`--sim`, `--base-url`, …), the state directory (`--state-dir`, `--audit-log`) and the
//! traffic window (`--window`, `--settle`, `--interval-stat`, `--media`). Plain
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

/// The default of `--state-dir`, and the variable that overrides it: one for every command.
pub const DEFAULT_STATE_DIR: &str = ".cxqueues";
pub const STATE_DIR_ENV: &str = "CXQUEUES_STATE_DIR";

/// `--state-dir` alone, for the commands that keep no audit log (`plan`, `import`, `optimize`,
/// `webhooks`): the simulated tenant (`<DIR>/sim/`) and the webhook outbox live there.
#[derive(clap::Args, Debug, Clone)]
pub struct StateDirArg {
    /// The state directory: the simulated tenant of `--sim` (<DIR>/sim/), the audit log and
    /// the webhook outbox (git-ignore it).
    #[arg(
        long,
        value_name = "DIR",
        default_value = DEFAULT_STATE_DIR,
        env = STATE_DIR_ENV
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
        default_value = DEFAULT_STATE_DIR,
        env = STATE_DIR_ENV
    )]
    pub state_dir: PathBuf,
    /// The audit log (default: <state-dir>/audit.jsonl).
    #[arg(long, value_name = "PATH")]
    pub audit_log: Option<PathBuf>,
}

impl Default for StateArgs {
    fn default() -> Self {
        Self {
            state_dir: PathBuf::from(DEFAULT_STATE_DIR),
            audit_log: None,
        }
    }
}

/// Which traffic a tenant is asked for (`--from-tenant`, `run --optimize-every`).
#[derive(Debug, Clone, clap::Args)]
pub struct WindowArgs {
    /// How far back the closed reporting intervals are read (Genesys Cloud, NICE CXone; the
    /// routing API reports one snapshot and ignores it).
    #[arg(long, value_name = "DURATION", default_value = "2h", value_parser = humantime::parse_duration)]
    pub window: std::time::Duration,
    /// Which closed interval of the window is modelled: the busiest, or their mean (not on
    /// the routing API).
    #[arg(long, value_enum, default_value_t = IntervalStatArg::Busiest)]
    pub interval_stat: IntervalStatArg,
    /// How long after it ends an interval is trusted to be complete (vendors report a contact
    /// when it ends; not on the routing API).
    #[arg(long, value_name = "DURATION", default_value = "15m", value_parser = humantime::parse_duration)]
    pub settle: std::time::Duration,
    /// The media series modelled (a Genesys queue serves several; a CXone skill has one).
    #[arg(long, value_enum, default_value_t = MediaArg::Voice)]
    pub media: MediaArg,
}

impl WindowArgs {
    /// The query for the queues of `repo`, at `now`.
    pub fn query(
        &self,
        repo: &model::Repository,
        now: std::time::SystemTime,
    ) -> tenant::MetricsQuery {
        let now = now
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
        tenant::MetricsQuery {
            now,
            window_seconds: self.window.as_secs(),
            settle_seconds: self.settle.as_secs(),
            media: self.media.into(),
            names: repo
                .queues
                .iter()
                .filter(|q| !q.doc.metadata.deleted)
                .map(|q| q.name().to_string())
                .collect(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum IntervalStatArg {
    /// The interval with the most contacts offered.
    Busiest,
    /// The mean interval of the window.
    Mean,
}

impl From<IntervalStatArg> for optimize::IntervalStat {
    fn from(s: IntervalStatArg) -> Self {
        match s {
            IntervalStatArg::Busiest => optimize::IntervalStat::Busiest,
            IntervalStatArg::Mean => optimize::IntervalStat::Mean,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum MediaArg {
    Voice,
    Chat,
    Email,
    Message,
    Callback,
}

impl From<MediaArg> for tenant::Media {
    fn from(m: MediaArg) -> Self {
        match m {
            MediaArg::Voice => tenant::Media::Voice,
            MediaArg::Chat => tenant::Media::Chat,
            MediaArg::Email => tenant::Media::Email,
            MediaArg::Message => tenant::Media::Message,
            MediaArg::Callback => tenant::Media::Callback,
        }
    }
}
