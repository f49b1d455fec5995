//! Reaching a tenant: the real one from the environment, or the embedded simulator (`--sim`).

pub mod cxone;
pub mod genesys;

use std::path::{Path, PathBuf};

use model::Repository;
use routing_api::{ClientConfig, HttpTenant};
use sim::{Faults, Seed, SeedOverflow, SeedQueue, SimHandle, SkillRequirement};
use tenant::{Capabilities, ClientStats, Listed, Queue, Secret, Skill, Tenant, TenantError};

use crate::exit::CliError;

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

/// The tenant of any platform: the one place that knows every adapter. Everything else takes
/// an `impl Tenant`.
#[derive(Clone, Debug)]
pub enum AnyTenant {
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
pub fn capabilities(platform: model::Platform) -> &'static Capabilities {
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
pub struct Connected {
    pub client: AnyTenant,
    pub sim: Option<SimHandle>,
    /// Where the simulated tenant's state is saved when this connection ends.
    sim_state: Option<PathBuf>,
}

impl Drop for Connected {
    fn drop(&mut self) {
        if let (Some(sim), Some(path)) = (&self.sim, &self.sim_state)
            && let Err(e) = save_sim_state(sim, path)
        {
            eprintln!(
                "warning: the simulated tenant's state could not be saved to {}: {e}",
                path.display()
            );
        }
    }
}

impl Connected {
    /// Saves the simulated tenant's state (if any) and stops it.
    pub async fn close(mut self) {
        if let Some(sim) = self.sim.take() {
            if let Some(path) = &self.sim_state
                && let Err(e) = save_sim_state(&sim, path)
            {
                eprintln!(
                    "warning: the simulated tenant's state could not be saved to {}: {e}",
                    path.display()
                );
            }
            let _ = sim.shutdown().await;
        }
    }
}

/// The folder under `--state-dir` that belongs to the embedded simulated tenant: its state
/// and, for `apply --sim` and `run --sim`, its own audit log and outbox, apart from a real
/// tenant's.
pub fn sim_dir(state_dir: &Path) -> PathBuf {
    state_dir.join("sim")
}

/// One simulated tenant per platform and tenant name (`metadata.name` of `cxqueues.yaml`), so
/// that two repositories sharing a state dir do not share a simulated tenant.
fn sim_state_file(state_dir: &Path, repo: &Repository) -> PathBuf {
    let name: String = repo
        .tenant
        .metadata
        .name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .take(64)
        .collect();
    let name = if name.trim_matches('-').is_empty() {
        "tenant"
    } else {
        name.as_str()
    };
    sim_dir(state_dir).join(format!(
        "{}-{name}.json",
        repo.tenant.spec.platform.as_str()
    ))
}

/// The simulated tenant as a seed that recreates it (ids, versions and all).
fn save_sim_state(sim: &SimHandle, path: &Path) -> std::io::Result<()> {
    let state = serde_json::json!({
        "queues": sim.queues(),
        "skills": sim.skills(),
        "license": sim.license(),
    });
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let tmp = path.with_extension("json.tmp");
    std::fs::write(&tmp, serde_json::to_vec_pretty(&state)?)?;
    std::fs::rename(&tmp, path)
}

/// The embedded tenant's starting state: what the last command on this state dir left, or
/// the demo state (first use, or `--sim-reset`).
fn sim_seed(args: &TenantArgs, repo: &Repository, file: &Path) -> Result<Seed, CliError> {
    if args.sim_reset && file.exists() {
        std::fs::remove_file(file).map_err(|e| {
            CliError::Usage(format!(
                "cannot reset the simulated tenant {}: {e}",
                file.display()
            ))
        })?;
    }
    if file.exists() {
        return Seed::from_path(file).map_err(|e| {
            CliError::Usage(format!(
                "the simulated tenant's state {} is unreadable ({e}); start over with --sim-reset",
                file.display()
            ))
        });
    }
    Ok(demo_seed(repo))
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

/// A secret from `{name}` or the file `{name}_FILE` names.
fn secret_from_env(name: &str, what: &str) -> Result<Secret, CliError> {
    if let Some(s) = env(name) {
        return Ok(Secret::new(s));
    }
    if let Some(path) = env(&format!("{name}_FILE")) {
        let path = PathBuf::from(path);
        return std::fs::read_to_string(&path)
            .map(|s| Secret::new(s.trim().to_string()))
            .map_err(|e| {
                CliError::Usage(format!("cannot read {name}_FILE {}: {e}", path.display()))
            });
    }
    Err(CliError::Usage(format!(
        "no {what}: set {name} or {name}_FILE (or use --sim)"
    )))
}

/// Connects to the tenant the arguments name.
/// `state_dir` is where the simulated tenant (`--sim`) keeps its state.
pub async fn connect(
    args: &TenantArgs,
    repo: &Repository,
    state_dir: &Path,
) -> Result<Connected, CliError> {
    let rps = repo.tenant.spec.requests_per_second;
    // One simulated tenant for every platform; each adapter speaks to its own wire face.
    let sim = if args.sim {
        let file = sim_state_file(state_dir, repo);
        let seed = sim_seed(args, repo, &file)?;
        let handle = sim::Sim::start(seed, Faults::default()).map_err(|e| {
            CliError::Other(anyhow::anyhow!("cannot start the simulated tenant: {e}"))
        })?;
        Some((handle, file))
    } else {
        None
    };
    type Adapter = fn(&Repository, Option<&SimHandle>) -> Result<AnyTenant, CliError>;
    let adapter: Option<Adapter> = match repo.tenant.spec.platform {
        model::Platform::NiceCxone => Some(crate::tenant::cxone::client),
        model::Platform::GenesysCloud => Some(crate::tenant::genesys::client),
        model::Platform::RoutingApi => None,
    };
    if let Some(client) = adapter {
        let client = client(repo, sim.as_ref().map(|(h, _)| h))?;
        let (sim, sim_state) = sim.unzip();
        return Ok(Connected {
            client,
            sim,
            sim_state,
        });
    }
    if let Some((handle, file)) = sim {
        let (id, secret) = (sim::DEMO_CLIENT_ID, sim::DEMO_CLIENT_SECRET);
        let mut cfg = ClientConfig::new(handle.base_url(), id, Secret::new(secret));
        // The embedded tenant has no real limit; keep the ceiling generous.
        cfg.requests_per_second = rps.max(200.0);
        let client = AnyTenant::RoutingApi(HttpTenant::new(cfg)?);
        return Ok(Connected {
            client,
            sim: Some(handle),
            sim_state: Some(file),
        });
    }
    let base = args
        .base_url
        .clone()
        .or_else(|| repo.tenant.spec.base_url.clone())
        .ok_or_else(|| {
            CliError::Usage(
                "no tenant: set CXONE_BASE_URL (or spec.baseUrl in cxqueues.yaml), or use --sim"
                    .into(),
            )
        })?;
    let id = env("CXONE_CLIENT_ID").ok_or_else(|| {
        CliError::Usage("no client id: set CXONE_CLIENT_ID (or use --sim)".into())
    })?;
    let mut cfg = ClientConfig::new(
        base,
        id,
        secret_from_env("CXONE_CLIENT_SECRET", "client secret")?,
    );
    cfg.token_url = args.token_url.clone();
    cfg.requests_per_second = rps;
    Ok(Connected {
        client: AnyTenant::RoutingApi(HttpTenant::new(cfg)?),
        sim: None,
        sim_state: None,
    })
}

/// The embedded tenant's starting state, made from the repository so that a newcomer sees
/// every kind of change: the skills the repository uses (and two more), every other queue of
/// the repository already present with other values (some updates), the rest missing
/// (creates), and three queues the repository does not manage.
pub fn demo_seed(repo: &Repository) -> Seed {
    let mut skills = reconcile::generate::tenant_needs(repo).skills;
    skills.extend(["language:de".to_string(), "product:legacy".to_string()]);
    skills.sort();
    skills.dedup();
    let mut queues = Vec::new();
    let live: Vec<_> = repo
        .queues
        .iter()
        .filter(|q| !q.doc.metadata.deleted)
        .collect();
    for (i, def) in live.iter().enumerate() {
        if i % 2 == 1 {
            continue;
        }
        let mut q = SeedQueue::named(def.name());
        if let Some(id) = &def.doc.metadata.id {
            q.id = Some(id.value.clone());
        }
        q.description = Some(format!("{} (set up by hand in the console)", def.name()));
        if let Some(reqs) = &def.doc.spec.skill_requirements {
            q.skill_requirements = reqs
                .value
                .iter()
                .map(|r| SkillRequirement {
                    skill: r.skill.value.clone(),
                    proficiency: model::Proficiency::Beginner.as_str().into(),
                    required: r.required,
                })
                .collect();
        }
        q.max_wait_time = if i % 4 == 0 { 450 } else { 300 };
        q.max_waiters = 10;
        queues.push(q);
    }
    // Tombstoned queues exist, so that their delete shows.
    for def in repo.queues.iter().filter(|q| q.doc.metadata.deleted) {
        queues.push(SeedQueue::named(def.name()));
    }
    for (name, target) in [
        ("Legacy IVR Callback", None),
        ("Test Queue (do not use)", None),
        ("Partner Escalations", Some("Legacy IVR Callback")),
    ] {
        let mut q = SeedQueue::named(name);
        q.description = Some("managed by hand, not by cxqueues".into());
        q.overflow = target.map(|t| SeedOverflow {
            target: Some(t.to_string()),
            wait_time: 120,
            ..SeedOverflow::default()
        });
        queues.push(q);
    }
    Seed {
        queues,
        skills: skills.into_iter().map(sim::SeedSkill::Name).collect(),
        clients: Vec::new(),
        license: sim::License::default(),
    }
}

#[cfg(test)]
mod platform_tests {
    use super::*;

    #[test]
    fn each_adapter_spells_ids_as_the_repository_format_says_for_its_platform() {
        for p in [model::Platform::RoutingApi, model::Platform::NiceCxone] {
            let caps = capabilities(p);
            assert_eq!(caps.ids, p.id_kind(), "{p:?}");
            assert_eq!(caps.platform, p.as_str(), "{p:?}");
        }
    }
}
