//! The embedded simulated tenant (`--sim`, cargo feature `sim`): started in this process
//! with a demo state made from the repository (or what the last command on this state
//! directory left), one wire face per platform, its state saved when the command ends. And
//! `cxqueues sim`, which serves it ([`serve`]).

pub(crate) mod serve;

use std::path::{Path, PathBuf};

use model::Repository;
use routing_api::{ClientConfig, HttpTenant};
use sim::{Faults, Seed, SeedOverflow, SeedQueue, SimHandle, SkillRequirement};
use tenant::Secret;

use super::{AnyTenant, ConnectError};
use crate::cli::args::TenantArgs;

/// The simulator a command started, and where its state is saved when the command ends.
#[derive(Debug)]
pub(crate) struct Embedded {
    handle: Option<SimHandle>,
    state_file: PathBuf,
}

impl Embedded {
    /// Starts the simulator for `repo` (its demo state, or the saved one).
    pub(crate) fn start(
        args: &TenantArgs,
        repo: &Repository,
        state_dir: &Path,
    ) -> Result<Self, ConnectError> {
        let state_file = sim_state_file(state_dir, repo);
        let seed = sim_seed(args, repo, &state_file)?;
        let handle =
            sim::Sim::start(seed, Faults::default()).map_err(|e| ConnectError::Simulator {
                what: "cannot start it".into(),
                source: Some(Box::new(e)),
            })?;
        Ok(Self {
            handle: Some(handle),
            state_file,
        })
    }

    fn handle(&self) -> &SimHandle {
        self.handle
            .as_ref()
            .expect("the simulator runs until closed")
    }

    pub(crate) fn base_url(&self) -> String {
        self.handle().base_url()
    }

    /// A client of the platform `repo` names, for the simulator's face of that platform. The
    /// simulator has no real limit: the request ceiling is generous (at least 200 a second).
    pub(crate) fn client(&self, repo: &Repository) -> Result<AnyTenant, ConnectError> {
        let handle = self.handle();
        let spec = &repo.tenant.spec;
        let generous = |default: f64| spec.requests_per_second.unwrap_or(default).max(200.0);
        Ok(match spec.platform {
            model::Platform::RoutingApi => {
                let (id, secret) = (sim::DEMO_CLIENT_ID, sim::DEMO_CLIENT_SECRET);
                let mut cfg = ClientConfig::new(handle.base_url(), id, Secret::new(secret));
                cfg.requests_per_second = generous(ClientConfig::DEFAULT_REQUESTS_PER_SECOND);
                AnyTenant::RoutingApi(HttpTenant::new(cfg)?)
            }
            model::Platform::NiceCxone => {
                let mut cfg = super::cxone::configured(
                    nice_cxone::Config::new(
                        sim::CXONE_ACCESS_KEY_ID,
                        Secret::new(sim::CXONE_ACCESS_KEY_SECRET),
                        sim::DEMO_CLIENT_ID,
                        Secret::new(sim::DEMO_CLIENT_SECRET),
                    ),
                    repo,
                );
                cfg.issuer = handle.base_url();
                cfg.requests_per_second = generous(nice_cxone::Config::DEFAULT_REQUESTS_PER_SECOND);
                // Its list lag is short.
                cfg.lag = tenant::Backoff::doubling(
                    std::time::Duration::from_millis(250),
                    std::time::Duration::from_secs(2),
                );
                AnyTenant::NiceCxone(nice_cxone::CxoneTenant::new(cfg)?)
            }
            model::Platform::GenesysCloud => {
                let base = format!("{}{}", handle.base_url(), sim::GENESYS_PREFIX);
                let mut cfg = genesys_cloud::Config::loopback(
                    base,
                    sim::DEMO_CLIENT_ID,
                    genesys_cloud::Secret::new(sim::DEMO_CLIENT_SECRET),
                );
                cfg.requests_per_second =
                    generous(genesys_cloud::Config::DEFAULT_REQUESTS_PER_SECOND);
                cfg.proficiency = repo.tenant.spec.proficiency_levels();
                AnyTenant::GenesysCloud(
                    genesys_cloud::GenesysTenant::new(cfg).map_err(super::genesys::setting)?,
                )
            }
        })
    }

    /// Saves the simulated tenant's state and stops it.
    pub(crate) async fn close(mut self) {
        if let Some(sim) = self.handle.take() {
            save_or_warn(&sim, &self.state_file);
            let _ = sim.shutdown().await;
        }
    }
}

impl Drop for Embedded {
    fn drop(&mut self) {
        if let Some(sim) = &self.handle {
            save_or_warn(sim, &self.state_file);
        }
    }
}

fn save_or_warn(sim: &SimHandle, path: &Path) {
    if let Err(e) = save_sim_state(sim, path) {
        crate::output::warn(&format!(
            "the simulated tenant's state could not be saved to {}: {e}",
            path.display()
        ));
    }
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
    super::sim_dir(state_dir).join(format!(
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
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    // Written beside the state and renamed over it: a failed write (a full disk, a file size
    // limit) leaves the last state whole, and the temporary file is removed when dropped.
    let mut tmp = tempfile::Builder::new()
        .prefix(".sim-state")
        .suffix(".tmp")
        .tempfile_in(dir)?;
    std::io::Write::write_all(&mut tmp, &serde_json::to_vec_pretty(&state)?)?;
    tmp.as_file().sync_data()?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

/// The embedded tenant's starting state: what the last command on this state dir left, or
/// the demo state (first use, or `--sim-reset`).
fn sim_seed(args: &TenantArgs, repo: &Repository, file: &Path) -> Result<Seed, ConnectError> {
    if args.sim_reset && file.exists() {
        std::fs::remove_file(file).map_err(|e| ConnectError::Simulator {
            what: format!("cannot reset it: cannot remove {}", file.display()),
            source: Some(Box::new(e)),
        })?;
    }
    if file.exists() {
        return Seed::from_path(file).map_err(|e| ConnectError::Simulator {
            what: format!(
                "its state {} is unreadable; start over with --sim-reset",
                file.display()
            ),
            source: Some(Box::new(e)),
        });
    }
    Ok(demo_seed(repo))
}

/// The embedded tenant's starting state, made from the repository so that a newcomer sees
/// every kind of change: the skills the repository uses (and two more), every other queue of
/// the repository already present with other values (some updates), the rest missing
/// (creates), and three queues the repository does not manage.
pub(crate) fn demo_seed(repo: &Repository) -> Seed {
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
    // An imported repository manages these too: they are in the tenant once, as its queues.
    let in_repo: std::collections::HashSet<&str> = repo.queues.iter().map(|q| q.name()).collect();
    for (name, target) in [
        ("Legacy IVR Callback", None),
        ("Test Queue (do not use)", None),
        ("Partner Escalations", Some("Legacy IVR Callback")),
    ] {
        if in_repo.contains(name) {
            continue;
        }
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
        ..Seed::default()
    }
}
