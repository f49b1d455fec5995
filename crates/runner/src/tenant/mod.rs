//! Reaching a tenant: the one place that knows every platform adapter ([`AnyTenant`],
//! [`capabilities`], [`connect`]) and the embedded simulator ([`sim`], cargo feature `sim`,
//! on by default). Settings come from the environment and the tenant document; a secret is
//! read by [`secret`] alone (`NAME`, or the file `NAME_FILE` names).

pub(crate) mod cxone;
pub(crate) mod genesys;
#[cfg(feature = "sim")]
pub(crate) mod sim;

use std::path::{Path, PathBuf};

use model::Repository;
use routing_api::{ClientConfig, HttpTenant};
use tenant::{Capabilities, ClientStats, Listed, Queue, Secret, Skill, Tenant, TenantError};

use crate::cli::args::TenantArgs;

/// Why no tenant could be reached. Each case names the setting and how to set it.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ConnectError {
    /// A setting is missing or has no use (the message says which and how to set it).
    #[error("{0}")]
    Setting(String),
    /// The file a `NAME_FILE` variable names cannot be read.
    #[error("cannot read {var} {}", path.display())]
    SecretFile {
        var: String,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The embedded simulator cannot start, or its saved state cannot be used.
    #[cfg(feature = "sim")]
    #[error("the simulated tenant: {what}")]
    Simulator {
        what: String,
        #[source]
        source: Option<Box<dyn std::error::Error + Send + Sync>>,
    },
    /// `--sim` in a build without the simulator (cargo feature `sim`).
    #[cfg(not(feature = "sim"))]
    #[error(
        "this cxqueues was built without the simulated tenant (cargo feature `sim`): drop --sim"
    )]
    NoSimulator,
    /// The adapter refused its configuration.
    #[error(transparent)]
    Tenant(#[from] TenantError),
}

impl From<routing_api::ApiError> for ConnectError {
    fn from(e: routing_api::ApiError) -> Self {
        ConnectError::Tenant(e.into())
    }
}

/// The tenant of any platform: the one place that knows every adapter. Everything else takes
/// an `impl Tenant`.
#[derive(Clone, Debug)]
pub(crate) enum AnyTenant {
    /// The routing API of `cxone-api.md`.
    RoutingApi(HttpTenant),
    /// NICE CXone's ACD skills.
    NiceCxone(nice_cxone::CxoneTenant),
    /// Genesys Cloud (`spec.platform: genesys-cloud`).
    GenesysCloud(genesys_cloud::GenesysTenant),
}

/// Calls the same port method on whichever adapter is inside.
macro_rules! each_adapter {
    ($self:ident, $t:ident => $call:expr) => {
        match $self {
            AnyTenant::RoutingApi($t) => $call,
            AnyTenant::NiceCxone($t) => $call,
            AnyTenant::GenesysCloud($t) => $call,
        }
    };
}

/// The capabilities of a platform, known before connecting (for offline validation).
pub(crate) fn capabilities(platform: model::Platform) -> &'static Capabilities {
    match platform {
        model::Platform::RoutingApi => &routing_api::CAPABILITIES,
        model::Platform::NiceCxone => &nice_cxone::CAPABILITIES,
        model::Platform::GenesysCloud => &genesys_cloud::CAPABILITIES,
    }
}

impl Tenant for AnyTenant {
    fn capabilities(&self) -> &Capabilities {
        each_adapter!(self, t => t.capabilities())
    }

    async fn listing(&self) -> Result<Vec<Listed>, TenantError> {
        each_adapter!(self, t => Tenant::listing(t).await)
    }

    async fn get_queue(&self, id: &str) -> Result<Queue, TenantError> {
        each_adapter!(self, t => Tenant::get_queue(t, id).await)
    }

    async fn create_queue(&self, queue: &Queue) -> Result<Queue, TenantError> {
        each_adapter!(self, t => Tenant::create_queue(t, queue).await)
    }

    async fn update_queue(
        &self,
        id: &str,
        base: &Queue,
        queue: &Queue,
        if_match: Option<u64>,
    ) -> Result<Queue, TenantError> {
        each_adapter!(self, t => Tenant::update_queue(t, id, base, queue, if_match).await)
    }

    async fn delete_queue(&self, id: &str, if_match: Option<u64>) -> Result<(), TenantError> {
        each_adapter!(self, t => Tenant::delete_queue(t, id, if_match).await)
    }

    async fn list_skills(&self) -> Result<Vec<Skill>, TenantError> {
        each_adapter!(self, t => Tenant::list_skills(t).await)
    }

    async fn queue_metrics(
        &self,
        query: &tenant::MetricsQuery,
    ) -> Result<Vec<tenant::QueueMetrics>, TenantError> {
        each_adapter!(self, t => Tenant::queue_metrics(t, query).await)
    }

    fn actor(&self) -> Option<&str> {
        each_adapter!(self, t => Tenant::actor(t))
    }

    fn stats(&self) -> ClientStats {
        each_adapter!(self, t => Tenant::stats(t))
    }
}

/// A client, and the simulator it talks to when `--sim` started one (kept alive with it).
#[derive(Debug)]
pub(crate) struct Connected {
    pub client: AnyTenant,
    #[cfg(feature = "sim")]
    sim: Option<sim::Embedded>,
}

impl Connected {
    /// The embedded simulator's address, when `--sim` started one.
    pub(crate) fn sim_url(&self) -> Option<String> {
        #[cfg(feature = "sim")]
        if let Some(sim) = &self.sim {
            return Some(sim.base_url());
        }
        None
    }

    /// Saves the simulated tenant's state (if any) and stops it.
    pub(crate) async fn close(self) {
        #[cfg(feature = "sim")]
        if let Some(sim) = self.sim {
            sim.close().await;
        }
    }
}

/// The folder under `--state-dir` that belongs to the embedded simulated tenant: its state
/// and, for `apply --sim` and `run --sim`, its own audit log and outbox, apart from a real
/// tenant's.
pub(crate) fn sim_dir(state_dir: &Path) -> PathBuf {
    state_dir.join("sim")
}

/// A variable's value, when it is set and not blank.
fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

/// A setting every adapter reads the same way: the variable, or a [`ConnectError::Setting`]
/// that says `missing`.
fn required(name: &str, missing: impl FnOnce() -> String) -> Result<String, ConnectError> {
    env(name).ok_or_else(|| ConnectError::Setting(missing()))
}

/// The one secret reader: `name`, or the file `{name}_FILE` names (its text, trimmed); `None`
/// when neither is set.
pub(crate) fn secret(name: &str) -> Result<Option<Secret>, ConnectError> {
    if let Some(s) = env(name) {
        return Ok(Some(Secret::new(s)));
    }
    let var = format!("{name}_FILE");
    let Some(path) = env(&var) else {
        return Ok(None);
    };
    let path = PathBuf::from(path);
    match std::fs::read_to_string(&path) {
        Ok(s) => Ok(Some(Secret::new(s.trim().to_string()))),
        Err(source) => Err(ConnectError::SecretFile { var, path, source }),
    }
}

/// Connects to the tenant the arguments name.
/// `state_dir` is where the simulated tenant (`--sim`) keeps its state.
pub(crate) async fn connect(
    args: &TenantArgs,
    repo: &Repository,
    state_dir: &Path,
) -> Result<Connected, ConnectError> {
    if args.sim {
        #[cfg(feature = "sim")]
        {
            let embedded = sim::Embedded::start(args, repo, state_dir)?;
            let client = embedded.client(repo)?;
            return Ok(Connected {
                client,
                sim: Some(embedded),
            });
        }
        #[cfg(not(feature = "sim"))]
        {
            let _ = state_dir;
            return Err(ConnectError::NoSimulator);
        }
    }
    refuse_routing_api_urls(args, repo.tenant.spec.platform)?;
    let client = match repo.tenant.spec.platform {
        model::Platform::NiceCxone => cxone::client(repo)?,
        model::Platform::GenesysCloud => genesys::client(repo)?,
        model::Platform::RoutingApi => routing_api_client(args, repo)?,
    };
    Ok(Connected {
        client,
        #[cfg(feature = "sim")]
        sim: None,
    })
}

/// The pace a real tenant of `repo`'s platform is called at: `spec.requestsPerSecond`, else
/// the adapter's default, at most 5 on Genesys Cloud (its limit per token), as each adapter's
/// glue sets it.
pub(crate) fn requests_per_second(repo: &Repository) -> f64 {
    let rps = repo.tenant.spec.requests_per_second;
    match repo.tenant.spec.platform {
        model::Platform::GenesysCloud => {
            let most = genesys_cloud::Config::DEFAULT_REQUESTS_PER_SECOND;
            rps.map_or(most, |r| r.min(most))
        }
        model::Platform::NiceCxone => cxone::requests_per_second(repo),
        model::Platform::RoutingApi => rps.unwrap_or(ClientConfig::DEFAULT_REQUESTS_PER_SECOND),
    }
}

/// `--base-url` and `--token-url` (`CXONE_BASE_URL`, `CXONE_TOKEN_URL`) point at a tenant
/// of the routing API; on another platform they would be ignored, so they are an error that
/// names the variable that platform reads instead. An empty variable counts as unset (a
/// workflow passes every platform's secrets, the unset ones empty).
fn refuse_routing_api_urls(
    args: &TenantArgs,
    platform: model::Platform,
) -> Result<(), ConnectError> {
    let instead = match platform {
        model::Platform::RoutingApi => return Ok(()),
        model::Platform::GenesysCloud => {
            "GENESYSCLOUD_REGION (e.g. us-east-1) or GENESYSCLOUD_API_REGION (the API's base URL, e.g. https://api.mypurecloud.com)"
        }
        model::Platform::NiceCxone => {
            "CXONE_ISSUER (the login host, default https://cxone.niceincontact.com) or CXONE_API_BASE (the API base, skipping discovery)"
        }
    };
    let given = |v: &Option<String>| v.as_deref().is_some_and(|s| !s.trim().is_empty());
    for (flag, var, value) in [
        ("--base-url", "CXONE_BASE_URL", &args.base_url),
        ("--token-url", "CXONE_TOKEN_URL", &args.token_url),
    ] {
        if given(value) {
            return Err(ConnectError::Setting(format!(
                "{flag} ({var}) is for the routing API; spec.platform is {}, which reads {instead}: unset {var} or leave out {flag}",
                platform.as_str()
            )));
        }
    }
    Ok(())
}

/// A client for the routing API the arguments, the environment and `cxqueues.yaml` name.
fn routing_api_client(args: &TenantArgs, repo: &Repository) -> Result<AnyTenant, ConnectError> {
    let base = args
        .base_url
        .clone()
        .filter(|u| !u.trim().is_empty())
        .or_else(|| repo.tenant.spec.base_url.clone())
        .ok_or_else(|| {
            ConnectError::Setting(
                "no tenant: set CXONE_BASE_URL (or spec.baseUrl in cxqueues.yaml), or use --sim"
                    .into(),
            )
        })?;
    let id = required("CXONE_CLIENT_ID", || {
        "no client id: set CXONE_CLIENT_ID (or use --sim)".into()
    })?;
    let secret = secret("CXONE_CLIENT_SECRET")?.ok_or_else(|| {
        ConnectError::Setting(
            "no client secret: set CXONE_CLIENT_SECRET or CXONE_CLIENT_SECRET_FILE (or use --sim)"
                .into(),
        )
    })?;
    let mut cfg = ClientConfig::new(base, id, secret);
    cfg.token_url = args.token_url.clone().filter(|u| !u.trim().is_empty());
    if let Some(rps) = repo.tenant.spec.requests_per_second {
        cfg.requests_per_second = rps;
    }
    Ok(AnyTenant::RoutingApi(HttpTenant::new(cfg)?))
}

#[cfg(test)]
mod platform_tests {
    use super::*;

    #[test]
    fn each_adapter_spells_ids_as_the_repository_format_says_for_its_platform() {
        for p in model::Platform::ALL {
            let caps = capabilities(p);
            assert_eq!(caps.ids, p.id_kind(), "{p:?}");
            assert_eq!(caps.platform, p.as_str(), "{p:?}");
        }
    }
}
