//! What a Queue document asks of the tenant, in wire terms: only the declared fields.

use std::collections::BTreeMap;

use model::QueueDoc;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tenant::{Overflow, Queue, ServiceLevelTarget, SkillRequirement};

/// Where an overflow goes: a queue of the repository (by name, resolved to a tenant id when
/// the plan is applied, so that a queue created in the same plan can be a target) or a tenant
/// queue by id.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum TargetRef {
    Name(String),
    Id(String),
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DesiredOverflow {
    pub target: TargetRef,
    pub wait_time: u32,
    pub enabled: bool,
}

/// The managed fields of one queue. `None` means "not declared": the tenant's value stays.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Desired {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub skill_requirements: Option<Vec<SkillRequirement>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_level_target: Option<ServiceLevelTarget>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_wait_time: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_waiters: Option<u32>,
    /// `Some(None)`: managed as "no overflow" (written `null`, read back as such).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "present_null_is_managed"
    )]
    pub overflow: Option<Option<DesiredOverflow>>,
    /// Declared platform-only settings (`spec.genesys`, `spec.cxone`), by dotted path.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub settings: BTreeMap<String, Value>,
}

/// A field that is present is declared, even as `null`: `overflow: null` reads back as
/// `Some(None)` ("no overflow"), and only an absent field is `None` (not managed), so that a
/// saved plan means what it meant when it was written.
fn present_null_is_managed<'de, D>(d: D) -> Result<Option<Option<DesiredOverflow>>, D::Error>
where
    D: serde::Deserializer<'de>,
{
    Option::<DesiredOverflow>::deserialize(d).map(Some)
}

/// The declared platform-only settings of a spec, by dotted path (`cxone.priority.max`):
/// the leaves of each settings block as the document writes them.
fn settings_of(spec: &model::QueueSpec, name: &str) -> BTreeMap<String, Value> {
    fn leaves(prefix: String, v: Value, out: &mut BTreeMap<String, Value>) {
        match v {
            Value::Object(map) => {
                for (k, v) in map {
                    leaves(format!("{prefix}.{k}"), v, out);
                }
            }
            Value::Null => {}
            v => {
                out.insert(prefix, v);
            }
        }
    }
    let mut out = BTreeMap::new();
    if let Some(block) = &spec.cxone {
        leaves(
            "cxone".into(),
            serde_json::to_value(&block.value).unwrap_or(Value::Null),
            &mut out,
        );
    }
    if let Some(block) = &spec.genesys {
        out.extend(block.value.settings_of(name));
    }
    out
}

fn u32_of(v: i64) -> u32 {
    u32::try_from(v.max(0)).unwrap_or(u32::MAX)
}

impl Desired {
    /// The declared fields of a (valid) Queue document.
    pub fn from_doc(doc: &QueueDoc) -> Self {
        let spec = &doc.spec;
        Self {
            name: doc.metadata.name.value.clone(),
            description: spec.description.as_ref().map(|d| d.value.clone()),
            skill_requirements: spec.skill_requirements.as_ref().map(|s| {
                let mut v: Vec<SkillRequirement> = s
                    .value
                    .iter()
                    .map(|r| SkillRequirement {
                        skill: r.skill.value.clone(),
                        proficiency: r.proficiency.value,
                        required: r.required,
                    })
                    .collect();
                v.sort();
                v
            }),
            service_level_target: spec
                .service_level_target
                .as_ref()
                .map(|s| ServiceLevelTarget {
                    threshold: s.value.threshold.value,
                    time: s.value.time.value,
                }),
            max_wait_time: spec.max_wait_time.as_ref().map(|v| u32_of(v.value)),
            max_waiters: spec.max_waiters.as_ref().map(|v| u32_of(v.value)),
            overflow: spec.overflow.as_ref().map(|o| {
                o.as_ref().map(|o| DesiredOverflow {
                    target: match (&o.value.target, &o.value.target_id) {
                        (Some(name), _) => TargetRef::Name(name.value.clone()),
                        (None, Some(id)) => TargetRef::Id(id.value.clone()),
                        (None, None) => TargetRef::Id(String::new()),
                    },
                    wait_time: u32_of(o.value.wait_time.value),
                    enabled: o.value.enabled.value,
                })
            }),
            settings: settings_of(spec, &doc.metadata.name.value),
        }
    }

    /// The repository queue this one overflows to by name, if any.
    pub fn target_name(&self) -> Option<&str> {
        match &self.overflow {
            Some(Some(DesiredOverflow {
                target: TargetRef::Name(n),
                ..
            })) => Some(n),
            _ => None,
        }
    }

    /// `base` with the declared fields set, every other field (known or not) untouched.
    /// `resolve` turns a target name into a tenant id; `None` when the target does not exist
    /// (yet), which leaves an empty id that the tenant will refuse.
    pub fn apply_onto(
        &self,
        base: &Queue,
        resolve: &dyn Fn(&TargetRef) -> Option<String>,
    ) -> Queue {
        let mut q = base.clone();
        q.name = self.name.clone();
        if let Some(d) = &self.description {
            q.description = Some(d.clone());
        }
        if let Some(s) = &self.skill_requirements {
            q.skill_requirements = Some(s.clone());
        }
        if let Some(s) = self.service_level_target {
            q.service_level_target = Some(s);
        }
        if let Some(v) = self.max_wait_time {
            q.max_wait_time = Some(v);
        }
        if let Some(v) = self.max_waiters {
            q.max_waiters = Some(v);
        }
        if let Some(o) = &self.overflow {
            q.overflow = o.as_ref().map(|o| Overflow {
                enabled: o.enabled,
                target_id: resolve(&o.target).unwrap_or_default(),
                wait_time: o.wait_time,
            });
        }
        for (path, value) in &self.settings {
            q.settings.insert(path.clone(), value.clone());
        }
        q
    }

    /// The declared fields whose value in `fresh` differs from `base`: a concurrent edit of
    /// a field we manage, which our write will override.
    pub fn concurrently_changed(&self, base: &Queue, fresh: &Queue) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        if self.description.is_some() && base.description != fresh.description {
            out.push("description".into());
        }
        if self.skill_requirements.is_some()
            && base.skill_requirements.as_deref().map(sorted)
                != fresh.skill_requirements.as_deref().map(sorted)
        {
            out.push("skillRequirements".into());
        }
        if self.service_level_target.is_some()
            && base.service_level_target != fresh.service_level_target
        {
            out.push("serviceLevelTarget".into());
        }
        if self.max_wait_time.is_some() && base.max_wait_time != fresh.max_wait_time {
            out.push("maxWaitTime".into());
        }
        if self.max_waiters.is_some() && base.max_waiters != fresh.max_waiters {
            out.push("maxWaiters".into());
        }
        if self.overflow.is_some() && base.overflow != fresh.overflow {
            out.push("overflow".into());
        }
        for path in self.settings.keys() {
            if base.settings.get(path) != fresh.settings.get(path) {
                out.push(path.clone());
            }
        }
        out
    }
}

pub(crate) fn sorted(v: &[SkillRequirement]) -> Vec<SkillRequirement> {
    let mut v = v.to_vec();
    v.sort();
    v
}

#[cfg(test)]
mod tests {
    use super::Desired;

    #[test]
    fn a_managed_no_overflow_survives_a_json_round_trip_and_an_absent_one_stays_unmanaged() {
        let managed: Desired =
            serde_json::from_str(r#"{"name": "A", "overflow": null}"#).expect("reads");
        assert_eq!(managed.overflow, Some(None));
        let back: Desired =
            serde_json::from_str(&serde_json::to_string(&managed).expect("writes")).expect("reads");
        assert_eq!(back, managed);
        let unmanaged: Desired = serde_json::from_str(r#"{"name": "A"}"#).expect("reads");
        assert_eq!(unmanaged.overflow, None);
    }
}
