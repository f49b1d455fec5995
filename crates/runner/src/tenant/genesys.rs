//! Reaching a Genesys Cloud org (`spec.platform: genesys-cloud`): from the environment of
//! Genesys's own Terraform provider and CLI, or the embedded simulator's Genesys face (`--sim`).

use genesys_cloud::{Config, GenesysTenant};
use model::Repository;

use crate::exit::CliError;
use crate::tenant::AnyTenant;

fn usage(e: genesys_cloud::GenesysError) -> CliError {
    match e {
        genesys_cloud::GenesysError::Config(m) => CliError::Usage(format!("{m} (or use --sim)")),
        genesys_cloud::GenesysError::Tenant(t) => CliError::Tenant(t),
    }
}

/// Connects to the org the environment (or `spec.baseUrl`) names, or to a fresh simulator with `--sim`. The
/// request ceiling is `spec.requestsPerSecond`, at most 5 (Genesys allows 300 requests a
/// minute per token).
pub fn client(repo: &Repository, sim: Option<&sim::SimHandle>) -> Result<AnyTenant, CliError> {
    let rps = repo
        .tenant
        .spec
        .requests_per_second
        .min(Config::DEFAULT_REQUESTS_PER_SECOND);
    if let Some(handle) = sim {
        let base = format!("{}{}", handle.base_url(), sim::GENESYS_PREFIX);
        let mut cfg = Config::loopback(
            base,
            sim::DEMO_CLIENT_ID,
            genesys_cloud::Secret::new(sim::DEMO_CLIENT_SECRET),
        );
        // The embedded org has no real limit; keep the ceiling generous.
        cfg.requests_per_second = repo.tenant.spec.requests_per_second.max(200.0);
        return Ok(AnyTenant::GenesysCloud(
            GenesysTenant::new(cfg).map_err(usage)?,
        ));
    }
    // The environment names the org; without a region there, `spec.baseUrl` of
    // cxqueues.yaml stands for GENESYSCLOUD_API_REGION.
    let var = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
    let region_in_env = var("GENESYSCLOUD_REGION").is_some();
    let mut cfg = Config::from_env(|name| {
        var(name).or_else(|| {
            (name == "GENESYSCLOUD_API_REGION" && !region_in_env)
                .then(|| repo.tenant.spec.base_url.clone())
                .flatten()
        })
    })
    .map_err(usage)?;
    cfg.requests_per_second = rps;
    Ok(AnyTenant::GenesysCloud(
        GenesysTenant::new(cfg).map_err(usage)?,
    ))
}
