//! The state file a simulated tenant starts from.
//!
//! Every part is optional. A minimal YAML seed:
//!
//! ```yaml
//! skills: ["language:en", "language:fr"]
//! queues:
//!   - name: Billing
//!     skillRequirements: [{skill: "language:en", proficiency: advanced}]
//!     overflow: {enabled: true, target: Support, waitTime: 120}
//!   - name: Support
//! license: {maxWaiters: 80}
//! ```
//!
//! Queue fields take the API's camelCase names; fields the contract does not name (`division`,
//! anything else) are kept as given. `overflow.target` names the target queue (convenient in
//! seeds) and is turned into `overflow.targetId`. Server-owned fields (`id`, `version`,
//! `dateModified`, `modifiedBy`) may be given to pin them; otherwise the simulator sets them.
//!
//! YAML note: bare `y`, `n`, `yes`, `no`, `on`, `off` are read as booleans; quote names like
//! those.

use std::{fmt, path::Path};

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::SimError;

/// Read queues (`GET /api/v2/routing/queues…`).
pub const SCOPE_QUEUE_VIEW: &str = "routing:queue:view";
/// Create, update and delete queues.
pub const SCOPE_QUEUE_UPDATE: &str = "routing:queue:update";
/// Read skills.
pub const SCOPE_SKILL_VIEW: &str = "routing:skill:view";
/// Read overflow targets of queues the client cannot otherwise see.
pub const SCOPE_OVERFLOW_VIEW: &str = "routing:overflow:view";
/// Every scope the contract defines.
pub const ALL_SCOPES: [&str; 4] = [
    SCOPE_QUEUE_VIEW,
    SCOPE_QUEUE_UPDATE,
    SCOPE_SKILL_VIEW,
    SCOPE_OVERFLOW_VIEW,
];

/// The client id of the built-in demo client, used when a seed lists no clients.
pub const DEMO_CLIENT_ID: &str = "cxqueues-demo";
/// The (fake) secret of the built-in demo client.
pub const DEMO_CLIENT_SECRET: &str = "demo-secret";

/// A tenant's starting state: queues, skills, OAuth clients and license.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Seed {
    /// Queues, in the order they are listed by the API.
    pub queues: Vec<SeedQueue>,
    /// Skills, by name or as `{name, id?, state?}`.
    pub skills: Vec<SeedSkill>,
    /// OAuth clients. Empty means the one demo client
    /// ([`DEMO_CLIENT_ID`]/[`DEMO_CLIENT_SECRET`], all scopes).
    pub clients: Vec<SimClient>,
    /// The tenant's licensed capacity.
    pub license: License,
    /// NICE CXone campaigns (`GET /campaigns` of the CXone face). Empty means three:
    /// 1 "Default", 2 "Sales", 3 "Support".
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub cxone_campaigns: Vec<SeedCampaign>,
}

/// A NICE CXone campaign of a seed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SeedCampaign {
    pub id: i64,
    pub name: String,
}

/// One queue in a seed. Missing values get defaults that pass validation (see field docs).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct SeedQueue {
    /// The queue's name (required, 1–64 characters, unique).
    pub name: String,
    /// A fixed id; a random UUID when absent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Free text, at most 512 characters.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Skills an agent needs; empty by default.
    pub skill_requirements: Vec<SkillRequirement>,
    /// Default `{threshold: 80, time: 20}`.
    pub service_level_target: ServiceLevelTarget,
    /// Default none (`null`).
    pub overflow: Option<SeedOverflow>,
    /// Default 300.
    pub max_wait_time: i64,
    /// Default 10.
    pub max_waiters: i64,
    /// Default `{"id": <the tenant's Home division id>, "name": "Home"}`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub division: Option<Value>,
    /// Every other field, kept verbatim (also `version`, `dateModified`, `modifiedBy`).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Default for SeedQueue {
    fn default() -> Self {
        Self {
            name: String::new(),
            id: None,
            description: None,
            skill_requirements: Vec::new(),
            service_level_target: ServiceLevelTarget::default(),
            overflow: None,
            max_wait_time: 300,
            max_waiters: 10,
            division: None,
            extra: Map::new(),
        }
    }
}

impl SeedQueue {
    /// A queue with this name and default values.
    pub fn named(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            ..Self::default()
        }
    }
}

/// A skill requirement of a seeded queue.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SkillRequirement {
    /// Skill name.
    pub skill: String,
    /// `beginner`, `intermediate`, `advanced` or `expert`.
    pub proficiency: String,
    /// Default true.
    #[serde(default = "yes")]
    pub required: bool,
}

fn yes() -> bool {
    true
}

/// Service level target of a seeded queue.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ServiceLevelTarget {
    /// Percentage 0–100; default 80.
    pub threshold: i64,
    /// Seconds 1–300; default 20.
    pub time: i64,
}

impl Default for ServiceLevelTarget {
    fn default() -> Self {
        Self {
            threshold: 80,
            time: 20,
        }
    }
}

/// Overflow of a seeded queue: name the target by `target` (a queue name) or `targetId`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct SeedOverflow {
    /// Default true.
    pub enabled: bool,
    /// Target queue id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target_id: Option<String>,
    /// Target queue name (seed convenience; resolved to `targetId`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    /// Seconds 30–600; default 60.
    pub wait_time: i64,
}

impl Default for SeedOverflow {
    fn default() -> Self {
        Self {
            enabled: true,
            target_id: None,
            target: None,
            wait_time: 60,
        }
    }
}

/// A skill: just its name, or `{name, id?, state?}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum SeedSkill {
    /// `"language:en"`.
    Name(String),
    /// `{"name": "language:en", "id": "…", "state": "active"}`.
    Full {
        /// Skill name.
        name: String,
        /// Fixed id; random UUID when absent.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        id: Option<String>,
        /// Default `active`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        state: Option<String>,
    },
}

impl SeedSkill {
    /// The skill's name.
    pub fn name(&self) -> &str {
        match self {
            Self::Name(name) | Self::Full { name, .. } => name,
        }
    }
}

impl From<&str> for SeedSkill {
    fn from(name: &str) -> Self {
        Self::Name(name.to_owned())
    }
}

/// An OAuth client the tenant knows. `Debug` never shows the secret.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SimClient {
    /// `client_id`.
    pub client_id: String,
    /// `client_secret`.
    pub client_secret: String,
    /// Scopes the client may be granted; `None` means all of [`ALL_SCOPES`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scopes: Option<Vec<String>>,
}

impl SimClient {
    /// A client allowed every scope.
    pub fn new(client_id: impl Into<String>, client_secret: impl Into<String>) -> Self {
        Self {
            client_id: client_id.into(),
            client_secret: client_secret.into(),
            scopes: None,
        }
    }

    /// A client allowed only `scopes`.
    pub fn with_scopes(mut self, scopes: &[&str]) -> Self {
        self.scopes = Some(scopes.iter().map(|s| (*s).to_owned()).collect());
        self
    }

    /// The built-in demo client.
    pub fn demo() -> Self {
        Self::new(DEMO_CLIENT_ID, DEMO_CLIENT_SECRET)
    }

    /// Whether this is the built-in demo client (whose fake secret may be printed).
    pub fn is_demo(&self) -> bool {
        self.client_id == DEMO_CLIENT_ID && self.client_secret == DEMO_CLIENT_SECRET
    }

    /// The scopes this client may be granted.
    pub fn allowed_scopes(&self) -> Vec<String> {
        self.scopes
            .clone()
            .unwrap_or_else(|| ALL_SCOPES.iter().map(|s| (*s).to_owned()).collect())
    }
}

impl fmt::Debug for SimClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SimClient")
            .field("client_id", &self.client_id)
            .field("client_secret", &"<redacted>")
            .field("scopes", &self.scopes)
            .finish()
    }
}

/// The tenant's license.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct License {
    /// The most waiters a queue may hold; default 100 (the contract's own ceiling).
    pub max_waiters: i64,
}

impl Default for License {
    fn default() -> Self {
        Self { max_waiters: 100 }
    }
}

impl Seed {
    /// Parses a JSON seed.
    pub fn from_json(text: &str) -> Result<Self, SimError> {
        Ok(serde_json::from_str(text)?)
    }

    /// Parses a YAML seed.
    pub fn from_yaml_str(text: &str) -> Result<Self, SimError> {
        serde_saphyr::from_str(text).map_err(|e| SimError::Yaml(e.to_string()))
    }

    /// Builds a seed from a JSON value (handy with `serde_json::json!`).
    pub fn from_value(value: Value) -> Result<Self, SimError> {
        Ok(serde_json::from_value(value)?)
    }

    /// Reads a seed file: `.json` is JSON, `.yaml`/`.yml` is YAML, anything else is tried as
    /// JSON and then as YAML.
    pub fn from_path(path: &Path) -> Result<Self, SimError> {
        let text = std::fs::read_to_string(path).map_err(|source| SimError::Io {
            path: path.to_owned(),
            source,
        })?;
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase);
        match ext.as_deref() {
            Some("json") => Self::from_json(&text),
            Some("yaml" | "yml") => Self::from_yaml_str(&text),
            _ => Self::from_json(&text).or_else(|_| Self::from_yaml_str(&text)),
        }
    }

    /// A small demo tenant: three skills, three queues, the demo client.
    pub fn demo() -> Self {
        let mut billing = SeedQueue::named("Billing Tier 1");
        billing.description = Some("first line billing".into());
        billing.skill_requirements = vec![SkillRequirement {
            skill: "language:en".into(),
            proficiency: "advanced".into(),
            required: true,
        }];
        billing.overflow = Some(SeedOverflow {
            target: Some("Billing Tier 2".into()),
            wait_time: 120,
            ..SeedOverflow::default()
        });
        billing.max_waiters = 50;
        let mut tier2 = SeedQueue::named("Billing Tier 2");
        tier2.skill_requirements = vec![SkillRequirement {
            skill: "billing".into(),
            proficiency: "expert".into(),
            required: true,
        }];
        let support = SeedQueue::named("Support");
        Self {
            queues: vec![billing, tier2, support],
            skills: vec!["language:en".into(), "language:fr".into(), "billing".into()],
            clients: Vec::new(),
            license: License::default(),
            cxone_campaigns: Vec::new(),
        }
    }

    /// Adds one queue per id, named `Unmanaged 0`, `Unmanaged 1`, …: the tenant queues that a
    /// repository's `targetId`s point at and that it does not manage.
    pub fn add_unmanaged(&mut self, ids: impl IntoIterator<Item = String>) {
        self.queues
            .extend(ids.into_iter().enumerate().map(|(i, id)| SeedQueue {
                id: Some(id),
                ..SeedQueue::named(format!("Unmanaged {i}"))
            }));
    }

    /// The clients the tenant will know: the seed's, or the demo client when none is given.
    pub fn effective_clients(&self) -> Vec<SimClient> {
        if self.clients.is_empty() {
            vec![SimClient::demo()]
        } else {
            self.clients.clone()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_json_seed_takes_all_defaults() {
        let seed = Seed::from_json("{}").unwrap();
        assert_eq!(seed, Seed::default());
        assert_eq!(seed.license.max_waiters, 100);
        assert_eq!(seed.effective_clients(), vec![SimClient::demo()]);
    }

    #[test]
    fn yaml_seed_reads_skills_in_both_forms_and_keeps_extra_fields() {
        let seed = Seed::from_yaml_str(
            r#"
skills:
  - language:en
  - {name: billing, id: sk-1}
queues:
  - name: Billing
    skillRequirements: [{skill: "language:en", proficiency: advanced}]
    overflow: {target: Support, waitTime: 90}
    division: {id: d-1, name: Sales}
    wrapUpCodes: [a, b]
clients:
  - {clientId: ci, clientSecret: cs, scopes: ["routing:queue:view"]}
license: {maxWaiters: 40}
"#,
        )
        .unwrap();
        assert_eq!(seed.skills[0], SeedSkill::Name("language:en".into()));
        assert_eq!(seed.skills[1].name(), "billing");
        let q = &seed.queues[0];
        assert_eq!(q.max_wait_time, 300);
        assert!(q.skill_requirements[0].required);
        let overflow = q.overflow.as_ref().unwrap();
        assert!(overflow.enabled);
        assert_eq!(overflow.target.as_deref(), Some("Support"));
        assert_eq!(overflow.wait_time, 90);
        assert_eq!(q.extra["wrapUpCodes"], serde_json::json!(["a", "b"]));
        assert_eq!(seed.clients[0].allowed_scopes(), vec!["routing:queue:view"]);
        assert_eq!(seed.license.max_waiters, 40);
    }

    #[test]
    fn debug_output_of_a_client_never_shows_the_secret() {
        let seed = Seed {
            clients: vec![SimClient::new("id-1", "hunter2-very-secret")],
            ..Seed::default()
        };
        let text = format!("{seed:?} {:?}", seed.clients[0]);
        assert!(!text.contains("hunter2"), "{text}");
        assert!(text.contains("id-1"));
    }

    #[test]
    fn from_path_detects_yaml_by_extension_and_tries_both_otherwise() {
        let dir = std::env::temp_dir().join(format!("sim-seed-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let yaml = dir.join("s.yml");
        std::fs::write(&yaml, "skills: [x]\n").unwrap();
        assert_eq!(Seed::from_path(&yaml).unwrap().skills.len(), 1);
        let other = dir.join("s.state");
        std::fs::write(&other, "skills: [alpha, beta]\n").unwrap();
        assert_eq!(Seed::from_path(&other).unwrap().skills.len(), 2);
        let json = dir.join("s.json");
        std::fs::write(&json, "skills: [x]\n").unwrap();
        assert!(matches!(Seed::from_path(&json), Err(SimError::Json(_))));
        let missing = dir.join("nope.json");
        assert!(matches!(
            Seed::from_path(&missing),
            Err(SimError::Io { .. })
        ));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
