//! The documents of a desired-state repository.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Deserializer, Serialize};

use crate::Spanned;

/// A queue id as the schema states it: the canonical hyphenated UUID (`IdKind::Uuid`).
const UUID_PATTERN: &str =
    "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$";

/// A pinned id as the schema states it: a canonical UUID, or a platform's integer id
/// (`IdKind::Integer`, NICE CXone skills). Which one a repository needs depends on its
/// platform; `validate` checks that.
const ID_PATTERN: &str =
    "^([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}|[0-9]{1,18})$";

/// The only `apiVersion` this release reads.
pub const API_VERSION: &str = "cxqueues/v1";

/// The value ranges of `repo-format.md`, shared by the schema, `validate` and `import`.
pub mod ranges {
    use std::ops::RangeInclusive;
    pub const THRESHOLD: RangeInclusive<i64> = 0..=100;
    pub const SLT_TIME: RangeInclusive<i64> = 1..=300;
    pub const OVERFLOW_WAIT: RangeInclusive<i64> = 30..=600;
    pub const MAX_WAIT_TIME: RangeInclusive<i64> = 10..=600;
    pub const MAX_WAITERS: RangeInclusive<i64> = 1..=100;
    pub const NAME_CHARS: RangeInclusive<usize> = 1..=64;
    pub const DESCRIPTION_CHARS: usize = 512;
    pub const REQUESTS_PER_SECOND: RangeInclusive<f64> = 0.1..=1000.0;
    pub const LIMIT_MAX_WAITERS: RangeInclusive<u32> = 1..=100;
    pub const LIMIT_MAX_OVERFLOW_DEPTH: RangeInclusive<u32> = 0..=100;
    pub const LIMIT_MAX_SKILLS: RangeInclusive<u32> = 0..=10;
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum ApiVersion {
    #[serde(rename = "cxqueues/v1")]
    V1,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum QueueKind {
    Queue,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum TenantKind {
    Tenant,
}

/// A routing queue as the repository declares it. Every field of `spec` is optional: a field
/// that is named is managed (plan and apply make the tenant match it); a field left out is not
/// managed and keeps whatever the tenant holds.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schemars(title = "cxqueues Queue")]
pub struct QueueDoc {
    /// Always `cxqueues/v1`.
    pub api_version: Spanned<ApiVersion>,
    /// Always `Queue`.
    pub kind: Spanned<QueueKind>,
    pub metadata: QueueMetadata,
    /// The managed fields of the queue. Empty (or `null`): none.
    #[serde(default, deserialize_with = "null_as_default")]
    #[schemars(with = "Option<QueueSpec>")]
    pub spec: QueueSpec,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct QueueMetadata {
    /// The queue's name in the tenant and its key in this repository (1–64 characters).
    #[schemars(length(min = 1, max = 64))]
    pub name: Spanned<String>,
    /// Optional: pins the tenant queue with this id (a UUID; on `nice-cxone` an integer skill
    /// id). A pinned id that the tenant does
    /// not have is an error, never a silent create.
    #[serde(
        default,
        deserialize_with = "id_text",
        skip_serializing_if = "Option::is_none"
    )]
    #[schemars(with = "String", regex(pattern = ID_PATTERN))]
    pub id: Option<Spanned<String>>,
    /// Free-form labels; not sent to the tenant.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
    /// A tombstone: `true` plans the deletion of this queue from the tenant.
    #[serde(default, skip_serializing_if = "is_false")]
    pub deleted: bool,
    /// This queue's drift mode and ignored fields, over `spec.drift` of `cxqueues.yaml`
    /// (each field given wins).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub drift: Option<crate::DriftDoc>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct QueueSpec {
    /// Up to 512 characters.
    #[serde(
        default,
        deserialize_with = "not_null",
        skip_serializing_if = "Option::is_none"
    )]
    #[schemars(with = "String", length(max = 512))]
    pub description: Option<Spanned<String>>,
    /// Managed as a whole set (order does not matter); at most `limits.maxSkills` (default 10),
    /// no skill twice.
    #[serde(
        default,
        deserialize_with = "not_null",
        skip_serializing_if = "Option::is_none"
    )]
    #[schemars(with = "Vec<SkillRequirementDoc>")]
    pub skill_requirements: Option<Spanned<Vec<SkillRequirementDoc>>>,
    /// `threshold` % of interactions answered within `time` seconds.
    #[serde(
        default,
        deserialize_with = "not_null",
        skip_serializing_if = "Option::is_none"
    )]
    #[schemars(with = "ServiceLevelTargetDoc")]
    pub service_level_target: Option<Spanned<ServiceLevelTargetDoc>>,
    /// Seconds a caller may wait, 10–600.
    #[serde(
        default,
        deserialize_with = "not_null",
        skip_serializing_if = "Option::is_none"
    )]
    #[schemars(with = "i64", range(min = 10, max = 600))]
    pub max_wait_time: Option<Spanned<i64>>,
    /// Callers that may wait at once, 1–100 and within `limits.maxWaiters`.
    #[serde(
        default,
        deserialize_with = "not_null",
        skip_serializing_if = "Option::is_none"
    )]
    #[schemars(with = "i64", range(min = 1, max = 100))]
    pub max_waiters: Option<Spanned<i64>>,
    /// Where waiters go after `waitTime` seconds. `null` manages the overflow as "none";
    /// leaving the field out leaves the tenant's overflow alone.
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    #[schemars(with = "Option<OverflowDoc>")]
    pub overflow: Option<Option<Spanned<OverflowDoc>>>,
    /// NICE CXone only: the skill's own settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cxone: Option<Spanned<crate::CxoneSpec>>,
    /// Settings only Genesys Cloud has (`spec.platform: genesys-cloud`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub genesys: Option<Spanned<crate::genesys::GenesysSpec>>,
}

/// How well an agent must know a skill: a word, or (on `genesys-cloud` only) a level 0–5.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Proficiency {
    Beginner,
    Intermediate,
    Advanced,
    Expert,
    /// A platform's own level (Genesys Cloud skill proficiency, 0–5).
    Level(u8),
}

impl Proficiency {
    /// The words, in order.
    pub const WORDS: [&'static str; 4] = ["beginner", "intermediate", "advanced", "expert"];

    /// The word (or the level's digits) as a document writes it.
    pub fn as_str(self) -> std::borrow::Cow<'static, str> {
        match self {
            Proficiency::Beginner => "beginner".into(),
            Proficiency::Intermediate => "intermediate".into(),
            Proficiency::Advanced => "advanced".into(),
            Proficiency::Expert => "expert".into(),
            Proficiency::Level(n) => n.to_string().into(),
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "beginner" => Proficiency::Beginner,
            "intermediate" => Proficiency::Intermediate,
            "advanced" => Proficiency::Advanced,
            "expert" => Proficiency::Expert,
            _ => return None,
        })
    }
}

impl std::fmt::Display for Proficiency {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.as_str())
    }
}

impl Serialize for Proficiency {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Proficiency::Level(n) => s.serialize_u8(*n),
            word => s.serialize_str(&word.as_str()),
        }
    }
}

impl<'de> Deserialize<'de> for Proficiency {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = Proficiency;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("beginner, intermediate, advanced, expert, or a level 0–5")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Proficiency, E> {
                Proficiency::parse(v).ok_or_else(|| E::unknown_variant(v, &Proficiency::WORDS))
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Proficiency, E> {
                u8::try_from(v)
                    .map(Proficiency::Level)
                    .map_err(|_| E::invalid_value(serde::de::Unexpected::Unsigned(v), &self))
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Proficiency, E> {
                u8::try_from(v)
                    .map(Proficiency::Level)
                    .map_err(|_| E::invalid_value(serde::de::Unexpected::Signed(v), &self))
            }
        }
        d.deserialize_any(V)
    }
}

impl JsonSchema for Proficiency {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Proficiency".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "A word, or on genesys-cloud a skill proficiency level 0–5.",
            "anyOf": [
                {"type": "string", "enum": Proficiency::WORDS},
                {"type": "integer", "minimum": 0, "maximum": 5}
            ]
        })
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct SkillRequirementDoc {
    /// The skill's name in the tenant, e.g. `language:en`.
    #[schemars(length(min = 1))]
    pub skill: Spanned<String>,
    pub proficiency: Spanned<Proficiency>,
    /// Whether an agent must have the skill (default true).
    #[serde(default = "yes")]
    pub required: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ServiceLevelTargetDoc {
    /// Percentage of interactions, 0–100 (whole numbers; decimals on `genesys-cloud`).
    #[schemars(range(min = 0, max = 100))]
    pub threshold: Spanned<crate::Decimal>,
    /// Seconds: whole numbers 1–300 on the routing API, 0 and up on `nice-cxone`, at least 1
    /// with milliseconds and no upper bound on `genesys-cloud` (`cxqueues validate` applies the
    /// platform's range).
    #[schemars(range(min = 0))]
    pub time: Spanned<crate::Decimal>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct OverflowDoc {
    /// The name of another queue of this repository. Give exactly one of `target` and
    /// `targetId`.
    #[serde(
        default,
        deserialize_with = "not_null",
        skip_serializing_if = "Option::is_none"
    )]
    #[schemars(with = "String")]
    pub target: Option<Spanned<String>>,
    /// The id of a tenant queue that this repository does not manage (a UUID).
    #[serde(
        default,
        deserialize_with = "not_null",
        skip_serializing_if = "Option::is_none"
    )]
    #[schemars(with = "String", extend("format" = "uuid"), regex(pattern = UUID_PATTERN))]
    pub target_id: Option<Spanned<String>>,
    /// Seconds a waiter waits before it overflows, 30–600.
    #[schemars(range(min = 30, max = 600))]
    pub wait_time: Spanned<i64>,
    /// Default true.
    #[serde(default = "yes_spanned")]
    #[schemars(with = "bool", default = "yes")]
    pub enabled: Spanned<bool>,
}

/// The tenant document, `cxqueues.yaml`. Optional: every field has a default.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schemars(title = "cxqueues Tenant")]
pub struct TenantDoc {
    /// Always `cxqueues/v1`.
    pub api_version: Spanned<ApiVersion>,
    /// Always `Tenant`.
    pub kind: Spanned<TenantKind>,
    #[serde(default, deserialize_with = "null_as_default")]
    #[schemars(with = "Option<TenantMetadata>")]
    pub metadata: TenantMetadata,
    #[serde(default, deserialize_with = "null_as_default")]
    #[schemars(with = "Option<TenantSpec>")]
    pub spec: TenantSpec,
}

impl Default for TenantDoc {
    fn default() -> Self {
        Self {
            api_version: Spanned::unlocated(ApiVersion::V1),
            kind: Spanned::unlocated(TenantKind::Tenant),
            metadata: TenantMetadata::default(),
            spec: TenantSpec::default(),
        }
    }
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct TenantMetadata {
    /// A name for the tenant, used in logs and plans.
    #[serde(default)]
    pub name: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct TenantSpec {
    /// The platform the tenant runs on, which picks the adapter.
    #[serde(default)]
    pub platform: Platform,
    /// The tenant API's base URL; `CXONE_BASE_URL` overrides it.
    #[serde(
        default,
        deserialize_with = "not_null",
        skip_serializing_if = "Option::is_none"
    )]
    #[schemars(with = "String", extend("format" = "uri"))]
    pub base_url: Option<String>,
    /// The folder of Queue documents, relative to the repository.
    #[serde(default = "default_queues_dir")]
    pub queues: String,
    /// The license.
    #[serde(default)]
    pub limits: Limits,
    /// The client-side request ceiling, below the tenant's own limit. Left out, each
    /// platform's adapter uses its own default (routing API 10, NICE CXone 5, Genesys Cloud 5).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "f64", range(min = 0.1, max = 1000.0))]
    pub requests_per_second: Option<f64>,
    /// WFM systems notified of each change.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub webhooks: Vec<WebhookDoc>,
    /// NICE CXone: the `N` of the API base `/inContactAPI/services/vN.0` (default 34).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 999))]
    pub api_version: Option<u32>,
    /// When the reconciler may write which queues (Argo CD's sync windows, with dates and
    /// time zones).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub change_windows: Vec<crate::ChangeWindowDoc>,
    /// Whether drift is corrected (`correct`), only reported (`warn`) or not looked for
    /// (`off`), and the fields left out of drift and plan.
    #[serde(default, skip_serializing_if = "crate::drift::is_default")]
    pub drift: crate::DriftDoc,
    /// NICE CXone only: how skills are written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cxone: Option<crate::CxoneTenantSpec>,
    /// Genesys Cloud only: how skill requirements become skill groups.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub genesys: Option<crate::genesys::GenesysTenantSpec>,
}

impl Default for TenantSpec {
    fn default() -> Self {
        Self {
            platform: Platform::default(),
            base_url: None,
            queues: default_queues_dir(),
            limits: Limits::default(),
            requests_per_second: None,
            webhooks: Vec::new(),
            api_version: None,
            change_windows: Vec::new(),
            drift: crate::DriftDoc::default(),
            cxone: None,
            genesys: None,
        }
    }
}

/// The contact-center platform a tenant runs on (`spec.platform`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Platform {
    /// The routing API as `cxone-api.md` describes it (the simulator's default face).
    #[default]
    RoutingApi,
    /// Genesys Cloud's routing queues.
    GenesysCloud,
    /// NICE CXone's ACD skills.
    NiceCxone,
}

impl Platform {
    /// Every platform.
    pub const ALL: [Platform; 3] = [
        Platform::RoutingApi,
        Platform::GenesysCloud,
        Platform::NiceCxone,
    ];

    /// How the platform spells its queue ids (`metadata.id`, `overflow.targetId`). Each
    /// adapter's `Capabilities.ids` says the same (a runner test holds them together).
    pub fn id_kind(self) -> crate::IdKind {
        match self {
            Platform::RoutingApi | Platform::GenesysCloud => crate::IdKind::Uuid,
            Platform::NiceCxone => crate::IdKind::Integer,
        }
    }

    /// The name `spec.platform` writes.
    pub fn as_str(self) -> &'static str {
        match self {
            Platform::RoutingApi => "routing-api",
            Platform::GenesysCloud => "genesys-cloud",
            Platform::NiceCxone => "nice-cxone",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Limits {
    /// The licensed ceiling of `maxWaiters` per queue.
    #[serde(default = "default_max_waiters")]
    #[schemars(range(min = 1, max = 100))]
    pub max_waiters: u32,
    /// The longest overflow chain, in hops.
    #[serde(default = "default_max_depth")]
    #[schemars(range(min = 0, max = 100))]
    pub max_overflow_depth: u32,
    /// The most skill requirements one queue may have.
    #[serde(default = "default_max_skills")]
    #[schemars(range(min = 0, max = 10))]
    pub max_skills: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_waiters: default_max_waiters(),
            max_overflow_depth: default_max_depth(),
            max_skills: default_max_skills(),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct WebhookDoc {
    /// `https://` (plain `http://` only for loopback).
    #[schemars(extend("format" = "uri"))]
    pub url: String,
    /// The environment variable that holds the HMAC key.
    pub secret_env: String,
}

fn is_false(b: &bool) -> bool {
    !*b
}
fn yes() -> bool {
    true
}
fn yes_spanned() -> Spanned<bool> {
    Spanned::unlocated(true)
}
fn default_queues_dir() -> String {
    crate::layout::DEFAULT_QUEUES_DIR.into()
}
fn default_max_waiters() -> u32 {
    100
}
fn default_max_depth() -> u32 {
    3
}
fn default_max_skills() -> u32 {
    10
}

/// An empty value (`spec:` with nothing under it) reads as the default.
fn null_as_default<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Option::<T>::deserialize(deserializer).map(Option::unwrap_or_default)
}

/// An optional field that may be left out but not written `null` (nor left empty): `null`
/// could mean "clear it" as well as "leave it alone". Only `overflow: null` has a meaning.
fn not_null<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    match Option::<T>::deserialize(deserializer)? {
        Some(v) => Ok(Some(v)),
        None => Err(serde::de::Error::custom(crate::yaml::NULL_IS_AMBIGUOUS)),
    }
}

/// An id as text: a platform whose ids are integers (NICE CXone) may write them unquoted
/// (`id: 4711`); the value is kept as the text it was written as. `null` is refused as in
/// [`not_null`].
fn id_text<'de, D>(deserializer: D) -> Result<Option<Spanned<String>>, D::Error>
where
    D: Deserializer<'de>,
{
    struct IdText(String);
    impl<'de> Deserialize<'de> for IdText {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            struct V;
            impl serde::de::Visitor<'_> for V {
                type Value = IdText;
                fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                    f.write_str("an id (text, or a whole number)")
                }
                fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<IdText, E> {
                    Ok(IdText(v.to_string()))
                }
                fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<IdText, E> {
                    Ok(IdText(v.to_string()))
                }
                fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<IdText, E> {
                    Ok(IdText(v.to_string()))
                }
            }
            d.deserialize_any(V)
        }
    }
    match not_null::<D, Spanned<IdText>>(deserializer)? {
        Some(s) => Ok(Some(Spanned::new(s.value.0, s.loc))),
        None => Ok(None),
    }
}

/// A field that is present (possibly `null`) becomes `Some(..)`; absent stays `None` by
/// `#[serde(default)]`.
fn present<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}
