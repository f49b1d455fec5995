//! The tenant's queues as Queue documents (`cxqueues import`), pure.

use std::collections::{BTreeMap, HashMap};

use model::{
    OverflowDoc, QueueDoc, QueueMetadata, QueueSpec, ServiceLevelTargetDoc, SkillRequirementDoc,
    Spanned,
};
use tenant::Queue;

fn sp<T>(v: T) -> Spanned<T> {
    Spanned::unlocated(v)
}

/// One Queue document per tenant queue, with only the fields the format knows. An overflow
/// target is written by name when that queue is imported too (always, here: every queue
/// is), by id otherwise.
pub fn queue_docs(queues: &[Queue]) -> Vec<QueueDoc> {
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
                    // Requirements the port cannot express (an adapter met a proficiency the
                    // format does not know) are left unmanaged rather than changed.
                    skill_requirements: q.skill_requirements.as_ref().map(|reqs| {
                        sp(reqs
                            .iter()
                            .map(|r| SkillRequirementDoc {
                                skill: sp(r.skill.clone()),
                                proficiency: sp(r.proficiency),
                                required: r.required,
                            })
                            .collect())
                    }),
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
                    genesys: model::genesys::GenesysSpec::from_settings(&q.settings).map(sp),
                },
            }
        })
        .collect()
}

/// [`queue_docs`] without the neutral fields the platform cannot hold (a Genesys queue has
/// no overflow: writing `overflow: null` would be rejected by `validate`).
pub fn queue_docs_for(queues: &[Queue], caps: &tenant::Capabilities) -> Vec<QueueDoc> {
    let mut docs = queue_docs(queues);
    for doc in &mut docs {
        let spec = &mut doc.spec;
        for field in tenant::QueueField::ALL {
            if caps.supports(field) {
                continue;
            }
            match field {
                tenant::QueueField::Description => spec.description = None,
                tenant::QueueField::SkillRequirements => spec.skill_requirements = None,
                tenant::QueueField::ServiceLevelTarget => spec.service_level_target = None,
                tenant::QueueField::MaxWaitTime => spec.max_wait_time = None,
                tenant::QueueField::MaxWaiters => spec.max_waiters = None,
                tenant::QueueField::Overflow => spec.overflow = None,
            }
        }
    }
    docs
}

/// A file name for a queue: its name in lower-case kebab form (`Billing Tier 1` →
/// `billing-tier-1.yaml`), made unique with a numeric suffix.
pub fn file_names(docs: &[QueueDoc]) -> Vec<String> {
    let mut used: std::collections::HashSet<String> = std::collections::HashSet::new();
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
            // Unique against every name given so far, suffixes included (`a-b-2` may be a
            // queue's own slug).
            let mut name = format!("{slug}.yaml");
            let mut n = 1;
            while !used.insert(name.clone()) {
                n += 1;
                name = format!("{slug}-{n}.yaml");
            }
            name
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use model::Proficiency;
    use tenant::SkillRequirement;

    #[test]
    fn file_names_are_unique_even_when_a_name_looks_like_a_suffixed_one() {
        let qs: Vec<Queue> = ["A B", "A B 2", "A B", "a-b"]
            .iter()
            .enumerate()
            .map(|(i, n)| Queue {
                id: Some(format!("id{i}")),
                ..Queue::named(*n)
            })
            .collect();
        let names = file_names(&queue_docs(&qs));
        assert_eq!(
            names,
            ["a-b.yaml", "a-b-2.yaml", "a-b-3.yaml", "a-b-4.yaml"]
        );
    }

    #[test]
    fn an_unknown_proficiency_leaves_the_skill_requirements_unmanaged() {
        // What an adapter hands over for a proficiency the format does not know.
        let mut q = Queue::named("Q");
        q.skill_requirements = None;
        let docs = queue_docs(&[q.clone()]);
        assert!(docs[0].spec.skill_requirements.is_none());
        q.skill_requirements = Some(vec![SkillRequirement {
            skill: "language:en".into(),
            proficiency: Proficiency::Expert,
            required: true,
        }]);
        let docs = queue_docs(&[q]);
        assert_eq!(
            docs[0]
                .spec
                .skill_requirements
                .as_ref()
                .unwrap()
                .value
                .len(),
            1
        );
    }
}
