//! Reaching a tenant: the real one from the environment, or the embedded simulator (`--sim`).

use std::path::PathBuf;

use model::Repository;
use routing_api::{ClientConfig, HttpTenant};
use sim::{Faults, Seed, SeedOverflow, SeedQueue, SimHandle, SkillRequirement};
use tenant::{Capabilities, ClientStats, Queue, Secret, Skill, Tenant, TenantError};

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
}

/// The tenant of any platform: the one place that knows every adapter. Everything else takes
/// an `impl Tenant`.
#[derive(Clone, Debug)]
pub enum AnyTenant {
    /// The routing API of `cxone-api.md`.
    RoutingApi(HttpTenant),
    /// Genesys Cloud (`spec.platform: genesys-cloud`).
    GenesysCloud(genesys_cloud::GenesysTenant),
}

/// Calls the same port method on whichever adapter is inside.
macro_rules! each_adapter {
    ($self:ident, $t:ident => $call:expr) => {
        match $self {
            AnyTenant::RoutingApi($t) => $call,
            AnyTenant::GenesysCloud($t) => $call,
        }
    };
}

/// The capabilities of a platform, known before connecting (for offline validation).
pub fn capabilities(platform: model::Platform) -> &'static Capabilities {
    match platform {
        model::Platform::RoutingApi => &routing_api::CAPABILITIES,
        model::Platform::GenesysCloud => &genesys_cloud::CAPABILITIES,
        model::Platform::NiceCxone => &routing_api::CAPABILITIES,
    }
}

impl Tenant for AnyTenant {
    fn capabilities(&self) -> &Capabilities {
        each_adapter!(self, t => t.capabilities())
    }

    async fn list_queues(&self) -> Result<Vec<Queue>, TenantError> {
        each_adapter!(self, t => Tenant::list_queues(t).await)
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

    fn stats(&self) -> ClientStats {
        each_adapter!(self, t => Tenant::stats(t))
    }
}

/// A client, and the simulator it talks to when `--sim` started one (kept alive with it).
#[derive(Debug)]
pub struct Connected {
    pub client: AnyTenant,
    pub sim: Option<SimHandle>,
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

fn secret_from_env() -> Result<Secret, CliError> {
    if let Some(s) = env("CXONE_CLIENT_SECRET") {
        return Ok(Secret::new(s));
    }
    if let Some(path) = env("CXONE_CLIENT_SECRET_FILE") {
        let path = PathBuf::from(path);
        return std::fs::read_to_string(&path)
            .map(|s| Secret::new(s.trim().to_string()))
            .map_err(|e| {
                CliError::Usage(format!(
                    "cannot read CXONE_CLIENT_SECRET_FILE {}: {e}",
                    path.display()
                ))
            });
    }
    Err(CliError::Usage(
        "no client secret: set CXONE_CLIENT_SECRET or CXONE_CLIENT_SECRET_FILE (or use --sim)"
            .into(),
    ))
}

/// Connects to the tenant the arguments name.
pub async fn connect(args: &TenantArgs, repo: &Repository) -> Result<Connected, CliError> {
    let rps = repo.tenant.spec.requests_per_second;
    if repo.tenant.spec.platform == model::Platform::GenesysCloud {
        return crate::tenant_genesys::connect(args, repo).await;
    }
    if args.sim {
        let handle = sim::Sim::start(demo_seed(repo), Faults::default()).map_err(|e| {
            CliError::Other(anyhow::anyhow!("cannot start the simulated tenant: {e}"))
        })?;
        let (id, secret) = (sim::DEMO_CLIENT_ID, sim::DEMO_CLIENT_SECRET);
        let mut cfg = ClientConfig::new(handle.base_url(), id, Secret::new(secret));
        // The embedded tenant has no real limit; keep the ceiling generous.
        cfg.requests_per_second = rps.max(200.0);
        let client = AnyTenant::RoutingApi(HttpTenant::new(cfg)?);
        return Ok(Connected {
            client,
            sim: Some(handle),
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
    let mut cfg = ClientConfig::new(base, id, secret_from_env()?);
    cfg.token_url = args.token_url.clone();
    cfg.requests_per_second = rps;
    Ok(Connected {
        client: AnyTenant::RoutingApi(HttpTenant::new(cfg)?),
        sim: None,
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
