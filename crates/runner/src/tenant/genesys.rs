//! Reaching a Genesys Cloud org (`spec.platform: genesys-cloud`) from the environment of
//! Genesys's own Terraform provider and CLI (the simulator's Genesys face is [`super::sim`]'s).

use genesys_cloud::{Config, GenesysTenant};
use model::Repository;

use super::{AnyTenant, ConnectError, env, secret};

/// The client secret's variable (read, like every secret, through [`secret`]: `_FILE` works).
const SECRET_VAR: &str = "GENESYSCLOUD_OAUTHCLIENT_SECRET";

/// A Genesys configuration error, in the terms of a missing setting.
pub(super) fn setting(e: genesys_cloud::GenesysError) -> ConnectError {
    match e {
        genesys_cloud::GenesysError::Config(m) => {
            ConnectError::Setting(format!("{m} (or use --sim)"))
        }
        genesys_cloud::GenesysError::Tenant(t) => ConnectError::Tenant(t),
    }
}

/// Connects to the org the environment (or `spec.baseUrl`) names. The request ceiling is
/// `spec.requestsPerSecond`, at most 5 (Genesys allows 300 requests a minute per token); 5
/// when it is not given.
pub(crate) fn client(repo: &Repository) -> Result<AnyTenant, ConnectError> {
    let rps = repo
        .tenant
        .spec
        .requests_per_second
        .map_or(Config::DEFAULT_REQUESTS_PER_SECOND, |r| {
            r.min(Config::DEFAULT_REQUESTS_PER_SECOND)
        });
    let secret = secret(SECRET_VAR)?;
    // The environment names the org; without a region there, `spec.baseUrl` of
    // cxqueues.yaml stands for GENESYSCLOUD_API_REGION.
    let region_in_env = env("GENESYSCLOUD_REGION").is_some();
    let mut cfg = Config::from_env(|name| {
        if name == SECRET_VAR {
            return secret.as_ref().map(|s| s.expose().to_string());
        }
        env(name).or_else(|| {
            (name == "GENESYSCLOUD_API_REGION" && !region_in_env)
                .then(|| repo.tenant.spec.base_url.clone())
                .flatten()
        })
    })
    .map_err(setting)?;
    cfg.requests_per_second = rps;
    cfg.proficiency = repo.tenant.spec.proficiency_levels();
    Ok(AnyTenant::GenesysCloud(
        GenesysTenant::new(cfg).map_err(setting)?,
    ))
}
