//! Reaching a NICE CXone tenant from the environment (the simulator's CXone face is
//! [`super::sim`]'s).

use model::Repository;
use nice_cxone::{Config, CxoneTenant};
use tenant::Secret;

use super::{AnyTenant, ConnectError, env, required, secret};

/// What a missing CXone setting says.
fn missing(name: &str, what: &str) -> String {
    format!(
        "no {what}: set {name} (nice-cxone needs CXONE_ACCESS_KEY_ID, \
         CXONE_ACCESS_KEY_SECRET, CXONE_CLIENT_ID and CXONE_CLIENT_SECRET), or use --sim"
    )
}

/// A secret CXone needs, through the one secret reader.
fn needed_secret(name: &str, what: &str) -> Result<Secret, ConnectError> {
    secret(name)?.ok_or_else(|| {
        ConnectError::Setting(format!(
            "no {what}: set {name} or {name}_FILE, or use --sim"
        ))
    })
}

/// The tenant document's settings on a CXone configuration: the API version, and the
/// request ceiling when `spec.requestsPerSecond` is given (else the adapter's own default).
pub(super) fn configured(mut cfg: Config, repo: &Repository) -> Config {
    let spec = &repo.tenant.spec;
    if let Some(v) = spec.api_version {
        cfg.api_version = v;
    }
    if let Some(rps) = spec.requests_per_second {
        cfg.requests_per_second = rps;
    }
    if spec.cxone.as_ref().is_some_and(|c| c.partial_updates) {
        cfg.write_style = nice_cxone::WriteStyle::ChangedOnly;
    }
    cfg
}

/// The pace of a CXone client: `spec.requestsPerSecond`, else the adapter's own default.
pub(crate) fn requests_per_second(repo: &Repository) -> f64 {
    repo.tenant
        .spec
        .requests_per_second
        .unwrap_or(Config::DEFAULT_REQUESTS_PER_SECOND)
}

/// A client for the CXone tenant the environment names.
pub(crate) fn client(repo: &Repository) -> Result<AnyTenant, ConnectError> {
    let mut cfg = configured(
        Config::new(
            required("CXONE_ACCESS_KEY_ID", || {
                missing("CXONE_ACCESS_KEY_ID", "access key id")
            })?,
            needed_secret("CXONE_ACCESS_KEY_SECRET", "access key secret")?,
            required("CXONE_CLIENT_ID", || {
                missing("CXONE_CLIENT_ID", "client id")
            })?,
            needed_secret("CXONE_CLIENT_SECRET", "client secret")?,
        ),
        repo,
    );
    if let Some(issuer) = env("CXONE_ISSUER") {
        cfg.issuer = issuer;
    }
    cfg.api_base = env("CXONE_API_BASE");
    Ok(AnyTenant::NiceCxone(CxoneTenant::new(cfg)?))
}
