//! Reaching a NICE CXone tenant: from the environment, or the embedded simulator's CXone face
//! (`--sim`).

use model::Repository;
use nice_cxone::{Config, CxoneTenant};
use tenant::Secret;

use crate::exit::CliError;
use crate::tenant::AnyTenant;

/// The tenant document's default rate (`spec.requestsPerSecond` left out) is above what
/// CXone is assumed to take; such a repository gets the adapter's default.
const MODEL_DEFAULT_RPS: f64 = 10.0;

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

fn required(name: &str, what: &str) -> Result<String, CliError> {
    env(name).ok_or_else(|| {
        CliError::Usage(format!(
            "no {what}: set {name} (nice-cxone needs CXONE_ACCESS_KEY_ID, \
             CXONE_ACCESS_KEY_SECRET, CXONE_CLIENT_ID and CXONE_CLIENT_SECRET), or use --sim"
        ))
    })
}

fn secret(name: &str, what: &str) -> Result<Secret, CliError> {
    if let Some(s) = env(name) {
        return Ok(Secret::new(s));
    }
    if let Some(path) = env(&format!("{name}_FILE")) {
        return std::fs::read_to_string(&path)
            .map(|s| Secret::new(s.trim().to_string()))
            .map_err(|e| CliError::Usage(format!("cannot read {name}_FILE {path}: {e}")));
    }
    Err(CliError::Usage(format!(
        "no {what}: set {name} or {name}_FILE, or use --sim"
    )))
}

fn configured(mut cfg: Config, repo: &Repository) -> Config {
    let spec = &repo.tenant.spec;
    if let Some(v) = spec.api_version {
        cfg.api_version = v;
    }
    if spec.requests_per_second != MODEL_DEFAULT_RPS {
        cfg.requests_per_second = spec.requests_per_second;
    }
    cfg
}

/// A client for the CXone tenant the environment names, or for the simulator's CXone face
/// when `sim` runs.
pub fn client(repo: &Repository, sim: Option<&sim::SimHandle>) -> Result<AnyTenant, CliError> {
    if let Some(handle) = sim {
        let mut cfg = configured(
            Config::new(
                sim::CXONE_ACCESS_KEY_ID,
                Secret::new(sim::CXONE_ACCESS_KEY_SECRET),
                sim::DEMO_CLIENT_ID,
                Secret::new(sim::DEMO_CLIENT_SECRET),
            ),
            repo,
        );
        cfg.issuer = handle.base_url();
        // The embedded tenant has no real limit, and its list lag is short.
        cfg.requests_per_second = cfg.requests_per_second.max(200.0);
        cfg.lag = tenant::Backoff::doubling(
            std::time::Duration::from_millis(250),
            std::time::Duration::from_secs(2),
        );
        return Ok(AnyTenant::NiceCxone(CxoneTenant::new(cfg)?));
    }
    let mut cfg = configured(
        Config::new(
            required("CXONE_ACCESS_KEY_ID", "access key id")?,
            secret("CXONE_ACCESS_KEY_SECRET", "access key secret")?,
            required("CXONE_CLIENT_ID", "client id")?,
            secret("CXONE_CLIENT_SECRET", "client secret")?,
        ),
        repo,
    );
    if let Some(issuer) = env("CXONE_ISSUER") {
        cfg.issuer = issuer;
    }
    cfg.api_base = env("CXONE_API_BASE");
    Ok(AnyTenant::NiceCxone(CxoneTenant::new(cfg)?))
}
