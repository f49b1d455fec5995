//! The tenant's queues as Queue documents (`cxqueues import`), pure.

use std::collections::{BTreeMap, HashMap};

use cxone::RemoteQueue;
use model::{
    OverflowDoc, Proficiency, QueueDoc, QueueMetadata, QueueSpec, ServiceLevelTargetDoc,
    SkillRequirementDoc, Spanned,
};

fn sp<T>(v: T) -> Spanned<T> {
    Spanned::unlocated(v)
}

/// One Queue document per tenant queue, with only the fields the format knows. An overflow
/// target is written by name when that queue is imported too (always, here: every queue
/// is), by id otherwise.
pub fn queue_docs(queues: &[RemoteQueue]) -> Vec<QueueDoc> {
    let names: HashMap<&str, &str> = queues
        .iter()
        .filter_map(|q| Some((q.id.as_deref()?, q.name.as_str())))
        .collect();
    let mut count: HashMap<&str, usize> = HashMap::new();
    for q in queues {
        *count.entry(q.name.as_str()).or_default() += 1;
    }
    queues
        .iter()
        .map(|q| {
            // A name the tenant holds twice cannot identify the queue: pin its id.
            let pin = count.get(q.name.as_str()).copied().unwrap_or(0) > 1;
            QueueDoc {
                api_version: sp(model::ApiVersion::V1),
                kind: sp(model::QueueKind::Queue),
                metadata: QueueMetadata {
                    name: sp(q.name.clone()),
                    id: if pin { q.id.clone().map(sp) } else { None },
                    labels: BTreeMap::new(),
                    deleted: false,
                },
                spec: QueueSpec {
                    description: q.description.clone().map(sp),
                    skill_requirements: Some(sp(q
                        .skill_requirements
                        .iter()
                        .map(|r| SkillRequirementDoc {
                            skill: sp(r.skill.clone()),
                            proficiency: sp(
                                Proficiency::parse(&r.proficiency).unwrap_or(Proficiency::Beginner)
                            ),
                            required: r.required,
                        })
                        .collect())),
                    service_level_target: q.service_level_target.map(|s| {
                        sp(ServiceLevelTargetDoc {
                            threshold: sp(i64::from(s.threshold)),
                            time: sp(i64::from(s.time)),
                        })
                    }),
                    max_wait_time: q.max_wait_time.map(|v| sp(i64::from(v))),
                    max_waiters: q.max_waiters.map(|v| sp(i64::from(v))),
                    overflow: Some(q.overflow.as_ref().map(|o| {
                        let by_name = names
                            .get(o.target_id.as_str())
                            .filter(|n| count.get(*n).copied() == Some(1));
                        sp(OverflowDoc {
                            target: by_name.map(|n| sp((*n).to_string())),
                            target_id: if by_name.is_some() {
                                None
                            } else {
                                Some(sp(o.target_id.clone()))
                            },
                            wait_time: sp(i64::from(o.wait_time)),
                            enabled: sp(o.enabled),
                        })
                    })),
                },
            }
        })
        .collect()
}

/// A file name for a queue: its name in lower-case kebab form (`Billing Tier 1` →
/// `billing-tier-1.yaml`), made unique with a numeric suffix.
pub fn file_names(docs: &[QueueDoc]) -> Vec<String> {
    let mut used: HashMap<String, usize> = HashMap::new();
    docs.iter()
        .map(|d| {
            let mut slug = String::new();
            for ch in d.metadata.name.value.chars() {
                if ch.is_ascii_alphanumeric() {
                    slug.push(ch.to_ascii_lowercase());
                } else if !slug.ends_with('-') {
                    slug.push('-');
                }
            }
            let slug = slug.trim_matches('-').to_string();
            let slug = if slug.is_empty() {
                "queue".to_string()
            } else {
                slug
            };
            let n = used.entry(slug.clone()).or_default();
            *n += 1;
            if *n == 1 {
                format!("{slug}.yaml")
            } else {
                format!("{slug}-{n}.yaml")
            }
        })
        .collect()
}
