//! The crate's one error enum.

use tenant::TenantError;

/// What went wrong before or while talking to Genesys Cloud. Messages never contain the
/// client secret or a token.
#[derive(Clone, Debug, thiserror::Error)]
pub enum GenesysError {
    /// The configuration (environment, URLs, rate) is wrong: the user's to fix.
    #[error("Genesys Cloud configuration: {0}")]
    Config(String),
    /// A call to the org failed.
    #[error(transparent)]
    Tenant(#[from] TenantError),
}

impl From<GenesysError> for TenantError {
    fn from(e: GenesysError) -> Self {
        match e {
            GenesysError::Config(m) => TenantError::Config(m),
            GenesysError::Tenant(t) => t,
        }
    }
}
