//! The wire types of the routing API (`cxone-api.md`): the JSON as it crosses the wire.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// A routing queue as the tenant holds it.
///
/// Every field the tenant returns that this type does not model lands in [`RemoteQueue::extra`]
/// and is sent back unchanged, because a PUT replaces the whole object.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RemoteQueue {
    /// Server-assigned id (absent on a create).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The queue's name, unique in the tenant.
    pub name: String,
    /// Server-owned version, +1 on every successful write (absent on a create).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default)]
    pub skill_requirements: Vec<SkillRequirement>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_level_target: Option<ServiceLevelTarget>,
    /// `None` is "no overflow" and is sent as `null`.
    #[serde(default)]
    pub overflow: Option<Overflow>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_wait_time: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_waiters: Option<u32>,
    /// Fields this type does not model (`division`, `dateModified`, `modifiedBy`, …).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl RemoteQueue {
    /// A queue with only a name, for building creates.
    pub fn named(name: impl Into<String>) -> Self {
        Self {
            id: None,
            name: name.into(),
            version: None,
            description: None,
            skill_requirements: Vec::new(),
            service_level_target: None,
            overflow: None,
            max_wait_time: None,
            max_waiters: None,
            extra: Map::new(),
        }
    }

    /// Who last modified the queue, when the tenant says.
    pub fn modified_by(&self) -> Option<&str> {
        self.extra.get("modifiedBy").and_then(Value::as_str)
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct SkillRequirement {
    pub skill: String,
    /// `beginner`, `intermediate`, `advanced` or `expert`.
    pub proficiency: String,
    pub required: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceLevelTarget {
    /// Percentage 0–100 of interactions answered within `time`.
    pub threshold: u32,
    /// Seconds, 1–300.
    pub time: u32,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Overflow {
    pub enabled: bool,
    pub target_id: String,
    /// Seconds, 30–600.
    pub wait_time: u32,
}

/// A routing skill.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Skill {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub state: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_fields_survive_a_round_trip() {
        let json = r#"{"id":"q1","name":"A","version":3,"skillRequirements":[],
            "overflow":null,"maxWaitTime":300,"division":{"id":"d1","name":"Home"},
            "futureField":[1,2,3]}"#;
        let q: RemoteQueue = serde_json::from_str(json).unwrap();
        assert_eq!(q.extra["division"]["name"], "Home");
        let back = serde_json::to_value(&q).unwrap();
        assert_eq!(back["futureField"], serde_json::json!([1, 2, 3]));
        assert_eq!(back["division"]["id"], "d1");
        assert!(back["overflow"].is_null());
    }
}
