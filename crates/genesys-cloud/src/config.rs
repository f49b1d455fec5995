//! How to reach one Genesys Cloud org: region, credentials, limits.

use std::fmt;
use std::time::Duration;

use tenant::Secret;
use tenant::endpoint::{Url, checked_endpoint, is_loopback};

use crate::GenesysError;

/// AWS-style region keys and their Genesys Cloud domains (the Terraform provider's table).
const REGIONS: &[(&str, &str)] = &[
    ("us-east-1", "mypurecloud.com"),
    ("us-east-2", "use2.us-gov-pure.cloud"),
    ("us-west-2", "usw2.pure.cloud"),
    ("ca-central-1", "cac1.pure.cloud"),
    ("sa-east-1", "sae1.pure.cloud"),
    ("mx-central-1", "mxc1.pure.cloud"),
    ("eu-west-1", "mypurecloud.ie"),
    ("eu-west-2", "euw2.pure.cloud"),
    ("eu-central-1", "mypurecloud.de"),
    ("eu-central-2", "euc2.pure.cloud"),
    ("me-central-1", "mec1.pure.cloud"),
    ("ap-south-1", "aps1.pure.cloud"),
    ("ap-southeast-1", "apse1.pure.cloud"),
    ("ap-southeast-2", "mypurecloud.com.au"),
    ("ap-northeast-1", "mypurecloud.jp"),
    ("ap-northeast-2", "apne2.pure.cloud"),
    ("ap-northeast-3", "apne3.pure.cloud"),
    ("eusc-de-east-1", "edee1.eusc-pure.cloud"),
];

/// The domain of an AWS-style region key (`eu-west-1` → `mypurecloud.ie`).
pub fn region_domain(region: &str) -> Option<&'static str> {
    let region = region.trim().to_ascii_lowercase();
    REGIONS
        .iter()
        .find(|(key, _)| *key == region)
        .map(|(_, domain)| *domain)
}

/// The login base for an API base URL: `https://api.X` → `https://login.X`; a loopback URL
/// serves both and is returned as is.
pub fn login_base_for_api(api: &str) -> Result<String, GenesysError> {
    let url = checked_url("GENESYSCLOUD_API_REGION", api)?;
    if is_loopback(&url) {
        return Ok(api.trim().trim_end_matches('/').to_owned());
    }
    let host = url.host_str().unwrap_or_default();
    let Some(rest) = host.strip_prefix("api.") else {
        return Err(GenesysError::Config(format!(
            "GENESYSCLOUD_API_REGION {api:?} does not start with https://api.: give the org's \
             API base URL, such as https://api.mypurecloud.com"
        )));
    };
    Ok(format!("{}://login.{rest}", url.scheme()))
}

/// How to reach and talk to one org. `Debug` never shows the secret.
#[derive(Clone)]
pub struct Config {
    /// `https://api.{domain}` (or a loopback `http://127.0.0.1:PORT` for tests).
    pub api_base: String,
    /// `https://login.{domain}`; the token endpoint is `{login_base}/oauth/token`.
    pub login_base: String,
    pub client_id: String,
    pub client_secret: Secret,
    /// The client-side limit shared by every request, token included. Default 5 (Genesys
    /// allows 300 per minute per token).
    pub requests_per_second: f64,
    /// Items per list page. Default 500.
    pub page_size: u32,
    /// How long one request may take. Default 15 s.
    pub request_timeout: Duration,
    /// The most one answer's body may hold (default 64 MiB): a larger one is refused, never
    /// read whole.
    pub max_response_bytes: u64,
    /// Tries per call for 429 and retryable 5xx/network failures. Default 6.
    pub max_attempts: u32,
    /// A token is refreshed this long before `expires_in` runs out. Default 60 s.
    pub token_refresh_skew: Duration,
    /// How long a delete waits for GET to answer 404. Default 120 s.
    pub delete_settle: Duration,
    /// How long a GET of a queue this run created retries 404. Default 30 s.
    pub create_settle: Duration,
    /// The first backoff after a 5xx or network failure (doubling, full jitter, at most
    /// 10 s). Default 500 ms.
    pub retry_step: Duration,
    /// The first pause while waiting for a delete or a create to settle (doubling, at most
    /// 16 s). Default 1 s.
    pub settle_step: Duration,
    /// The level (0–5) of each proficiency word in skill groups (`spec.genesys.proficiency`
    /// of `cxqueues.yaml`; default 1, 2, 4, 5).
    pub proficiency: model::genesys::ProficiencyLevels,
}

impl Config {
    pub const DEFAULT_REQUESTS_PER_SECOND: f64 = 5.0;
    pub const DEFAULT_PAGE_SIZE: u32 = 500;

    /// A configuration with every default.
    pub fn new(
        api_base: impl Into<String>,
        login_base: impl Into<String>,
        client_id: impl Into<String>,
        client_secret: impl Into<Secret>,
    ) -> Self {
        Self {
            api_base: api_base.into(),
            login_base: login_base.into(),
            client_id: client_id.into(),
            client_secret: client_secret.into(),
            requests_per_second: Self::DEFAULT_REQUESTS_PER_SECOND,
            page_size: Self::DEFAULT_PAGE_SIZE,
            request_timeout: Duration::from_secs(15),
            max_response_bytes: tenant::http::DEFAULT_MAX_RESPONSE_BYTES,
            max_attempts: 6,
            token_refresh_skew: Duration::from_secs(60),
            delete_settle: Duration::from_secs(120),
            create_settle: Duration::from_secs(30),
            retry_step: Duration::from_millis(500),
            settle_step: Duration::from_secs(1),
            proficiency: model::genesys::ProficiencyLevels::default(),
        }
    }

    /// A loopback server that serves both `/oauth/token` and `/api/v2` (tests, the simulator).
    pub fn loopback(
        base: impl Into<String>,
        client_id: impl Into<String>,
        client_secret: impl Into<Secret>,
    ) -> Self {
        let base = base.into();
        Self::new(base.clone(), base, client_id, client_secret)
    }

    /// The configuration the environment describes, as Genesys's Terraform provider and CLI
    /// read it: `GENESYSCLOUD_OAUTHCLIENT_ID`, `GENESYSCLOUD_OAUTHCLIENT_SECRET`, and either
    /// `GENESYSCLOUD_REGION` (an AWS-style key) or `GENESYSCLOUD_API_REGION` (an API base URL).
    pub fn from_env(var: impl Fn(&str) -> Option<String>) -> Result<Self, GenesysError> {
        let var = |name: &str| var(name).filter(|v| !v.trim().is_empty());
        let id = var("GENESYSCLOUD_OAUTHCLIENT_ID").ok_or_else(|| {
            GenesysError::Config("no client id: set GENESYSCLOUD_OAUTHCLIENT_ID".into())
        })?;
        let secret = var("GENESYSCLOUD_OAUTHCLIENT_SECRET").ok_or_else(|| {
            GenesysError::Config("no client secret: set GENESYSCLOUD_OAUTHCLIENT_SECRET".into())
        })?;
        let (api, login) =
            if let Some(api) = var("GENESYSCLOUD_API_REGION") {
                let login = login_base_for_api(&api)?;
                (api.trim().trim_end_matches('/').to_owned(), login)
            } else if let Some(region) = var("GENESYSCLOUD_REGION") {
                let domain = region_domain(&region).ok_or_else(|| {
                GenesysError::Config(format!(
                    "GENESYSCLOUD_REGION {region:?} is not a Genesys Cloud region; use one of {}",
                    REGIONS.iter().map(|(k, _)| *k).collect::<Vec<_>>().join(", ")
                ))
            })?;
                (
                    format!("https://api.{domain}"),
                    format!("https://login.{domain}"),
                )
            } else {
                return Err(GenesysError::Config(
                "no region: set GENESYSCLOUD_REGION (e.g. us-east-1) or GENESYSCLOUD_API_REGION \
                 (e.g. https://api.mypurecloud.com)"
                    .into(),
            ));
            };
        Ok(Self::new(
            api,
            login,
            id,
            Secret::new(secret.trim().to_owned()),
        ))
    }

    /// Checks everything and returns the parsed API base and token URL.
    pub(crate) fn checked(&self) -> Result<(Url, Url), GenesysError> {
        let api = checked_url("API base", &self.api_base)?;
        let mut token = checked_url("login base", &self.login_base)?;
        token
            .path_segments_mut()
            .map_err(|()| GenesysError::Config("the login base cannot hold a path".into()))?
            .pop_if_empty()
            .extend(["oauth", "token"]);
        if self.client_id.trim().is_empty() || self.client_secret.expose().is_empty() {
            return Err(GenesysError::Config(
                "the OAuth client id and secret must not be empty".into(),
            ));
        }
        if !(self.requests_per_second.is_finite() && self.requests_per_second > 0.0) {
            return Err(GenesysError::Config(format!(
                "requests per second is {}: it must be a positive number",
                self.requests_per_second
            )));
        }
        if self.page_size == 0 || self.max_attempts == 0 {
            return Err(GenesysError::Config(
                "page size and attempts must be at least 1".into(),
            ));
        }
        Ok((api, token))
    }
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("api_base", &self.api_base)
            .field("login_base", &self.login_base)
            .field("client_id", &self.client_id)
            .field("client_secret", &self.client_secret)
            .field("requests_per_second", &self.requests_per_second)
            .field("page_size", &self.page_size)
            .finish_non_exhaustive()
    }
}

/// The shared address check of the port, as this crate's configuration error.
fn checked_url(what: &str, raw: &str) -> Result<Url, GenesysError> {
    checked_endpoint(what, raw.trim().trim_end_matches('/')).map_err(GenesysError::Config)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |name| {
            pairs
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| (*v).to_owned())
        }
    }

    #[test]
    fn regions_map_to_their_api_and_login_hosts() {
        let table = [
            (
                "us-east-1",
                "https://api.mypurecloud.com",
                "https://login.mypurecloud.com",
            ),
            (
                "eu-west-1",
                "https://api.mypurecloud.ie",
                "https://login.mypurecloud.ie",
            ),
            (
                "ap-southeast-2",
                "https://api.mypurecloud.com.au",
                "https://login.mypurecloud.com.au",
            ),
            (
                "eusc-de-east-1",
                "https://api.edee1.eusc-pure.cloud",
                "https://login.edee1.eusc-pure.cloud",
            ),
        ];
        for (region, api, login) in table {
            let c = Config::from_env(env(&[
                ("GENESYSCLOUD_OAUTHCLIENT_ID", "id"),
                ("GENESYSCLOUD_OAUTHCLIENT_SECRET", "s"),
                ("GENESYSCLOUD_REGION", region),
            ]))
            .unwrap();
            assert_eq!(
                (c.api_base.as_str(), c.login_base.as_str()),
                (api, login),
                "{region}"
            );
        }
    }

    #[test]
    fn an_api_region_url_gives_its_login_host_and_loopback_serves_both() {
        let table = [
            ("https://api.mypurecloud.de", "https://login.mypurecloud.de"),
            (
                "https://api.usw2.pure.cloud/",
                "https://login.usw2.pure.cloud",
            ),
            ("http://127.0.0.1:8080", "http://127.0.0.1:8080"),
        ];
        for (api, login) in table {
            assert_eq!(login_base_for_api(api).unwrap(), login, "{api}");
        }
        assert!(login_base_for_api("https://example.com").is_err());
        assert!(login_base_for_api("http://api.mypurecloud.com").is_err());
    }

    #[test]
    fn a_missing_or_unknown_setting_is_named_and_the_secret_never_shown() {
        let cases: [(&[(&str, &str)], &str); 3] = [
            (
                &[("GENESYSCLOUD_OAUTHCLIENT_SECRET", "hunter2")],
                "GENESYSCLOUD_OAUTHCLIENT_ID",
            ),
            (
                &[
                    ("GENESYSCLOUD_OAUTHCLIENT_ID", "i"),
                    ("GENESYSCLOUD_OAUTHCLIENT_SECRET", "hunter2"),
                ],
                "GENESYSCLOUD_REGION",
            ),
            (
                &[
                    ("GENESYSCLOUD_OAUTHCLIENT_ID", "i"),
                    ("GENESYSCLOUD_OAUTHCLIENT_SECRET", "hunter2"),
                    ("GENESYSCLOUD_REGION", "mars-1"),
                ],
                "mars-1",
            ),
        ];
        for (pairs, named) in cases {
            let err = Config::from_env(env(pairs)).unwrap_err().to_string();
            assert!(err.contains(named), "{err}");
            assert!(!err.contains("hunter2"), "{err}");
        }
        let c = Config::loopback("http://127.0.0.1:1", "id", "hunter2");
        assert!(!format!("{c:?}").contains("hunter2"));
    }
}
