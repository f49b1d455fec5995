//! Vendor-neutral tenant types.

use std::collections::BTreeMap;

use model::{Decimal, Proficiency};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// A routing queue as a tenant holds it, in neutral terms.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Queue {
    /// The tenant's id (absent on a create): a UUID on some platforms, an integer on others.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The queue's name, unique in the tenant.
    pub name: String,
    /// The tenant's version, on platforms with conditional writes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<u64>,
    /// When the tenant last modified the queue, as the tenant says it (an opaque marker).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub modified_at: Option<String>,
    /// Who last modified the queue, as the tenant says it (a client or user id).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub modified_by: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// `None` where the platform holds none, or holds some the port cannot express (an
    /// adapter keeps those in [`Queue::passthrough`] and writes them back untouched).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub skill_requirements: Option<Vec<SkillRequirement>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_level_target: Option<ServiceLevelTarget>,
    /// `None` is "no overflow".
    #[serde(default)]
    pub overflow: Option<Overflow>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_wait_time: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_waiters: Option<u32>,
    /// Platform-specific managed settings, by the dotted path a Queue document writes them
    /// under (`genesys.alertingTimeoutSeconds`, `cxone.mediaType`, …), in the repository's
    /// units and names. The adapter maps them to and from its wire format.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub settings: BTreeMap<String, Value>,
    /// Fields the platform has and cxqueues does not model: opaque, carried along so that a
    /// write can send them back unchanged. Only the adapter that filled it reads it.
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub passthrough: Map<String, Value>,
}

/// One item of a tenant's queue list: a queue, or one the adapter cannot read.
// Nearly every item is a queue: boxing it would add an allocation per item for nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug, PartialEq)]
pub enum Listed {
    Queue(Queue),
    Unreadable(Unreadable),
}

impl Listed {
    /// The queue, when it reads.
    pub fn readable(self) -> Option<Queue> {
        match self {
            Listed::Queue(q) => Some(q),
            Listed::Unreadable(_) => None,
        }
    }

    /// Its name (empty when an unreadable item's name does not read either).
    pub fn name(&self) -> &str {
        match self {
            Listed::Queue(q) => &q.name,
            Listed::Unreadable(u) => &u.name,
        }
    }
}

/// A listed queue the adapter cannot read (`maxWaiters: -5`): only its id and name, where
/// they read, and why, in the adapter's sanitised words. `reconcile::observe` keeps such
/// queues apart, and the plan leaves them alone.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unreadable {
    pub id: Option<String>,
    /// Empty when the name does not read.
    pub name: String,
    pub problem: String,
}

impl Queue {
    /// A queue with only a name, for building creates.
    pub fn named(name: impl Into<String>) -> Self {
        Self {
            id: None,
            name: name.into(),
            version: None,
            modified_at: None,
            modified_by: None,
            description: None,
            skill_requirements: None,
            service_level_target: None,
            overflow: None,
            max_wait_time: None,
            max_waiters: None,
            settings: BTreeMap::new(),
            passthrough: Map::new(),
        }
    }

    /// Who last modified the queue, when the tenant says.
    pub fn modified_by(&self) -> Option<&str> {
        self.modified_by.as_deref()
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct SkillRequirement {
    pub skill: String,
    pub proficiency: Proficiency,
    pub required: bool,
}

/// Exact decimals: a platform that holds `87.5` % or `20.5` s keeps them; platforms that hold
/// whole numbers only are validated to whole numbers before anything is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceLevelTarget {
    /// Percentage 0–100 of interactions answered within `time`.
    pub threshold: Decimal,
    /// Seconds.
    pub time: Decimal,
}

impl ServiceLevelTarget {
    /// A target of whole numbers.
    pub fn whole(threshold: u32, time: u32) -> Self {
        Self {
            threshold: threshold.into(),
            time: time.into(),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Overflow {
    pub enabled: bool,
    pub target_id: String,
    /// Seconds.
    pub wait_time: u32,
}

/// A routing skill.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Skill {
    pub id: String,
    pub name: String,
    /// The tenant's word for its state (`active`, …); empty when the platform has none.
    #[serde(default)]
    pub state: String,
}
