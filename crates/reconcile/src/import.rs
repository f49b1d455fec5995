//! The tenant's queues as Queue documents (`cxqueues import`), pure.

use std::collections::{BTreeMap, HashMap};

use model::{
    OverflowDoc, QueueDoc, QueueMetadata, QueueSpec, ServiceLevelTargetDoc, SkillRequirementDoc,
    Spanned,
};
use serde_json::{Map, Value};
use tenant::{Capabilities, Queue, QueueField};

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
                            threshold: sp(s.threshold),
                            time: sp(s.time),
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
                    cxone: None,
                    genesys: model::genesys::GenesysSpec::from_settings(&q.settings).map(sp),
                },
            }
        })
        .collect()
}

/// [`queue_docs`] for a platform: only the fields it holds, and its settings block (e.g.
/// `spec.cxone`) from each queue's settings, so that the next plan is empty.
pub fn queue_docs_for(queues: &[Queue], caps: &Capabilities) -> Vec<QueueDoc> {
    let mut docs = queue_docs(queues);
    for (doc, q) in docs.iter_mut().zip(queues) {
        let spec = &mut doc.spec;
        for field in QueueField::ALL {
            if caps.supports(field) {
                continue;
            }
            match field {
                QueueField::Description => spec.description = None,
                QueueField::SkillRequirements => spec.skill_requirements = None,
                QueueField::ServiceLevelTarget => spec.service_level_target = None,
                QueueField::MaxWaitTime => spec.max_wait_time = None,
                QueueField::MaxWaiters => spec.max_waiters = None,
                QueueField::Overflow => spec.overflow = None,
            }
        }
        if caps.settings_block == Some("cxone") {
            spec.cxone = settings_block(q, "cxone")
                .and_then(|v| serde_json::from_value(v).ok())
                .map(sp);
        }
    }
    docs
}

/// The settings under `block.` as one nested JSON object (the reverse of the dotted paths
/// `Desired` reads), or `None` when the queue has none.
fn settings_block(q: &Queue, block: &str) -> Option<Value> {
    let prefix = format!("{block}.");
    let mut root = Map::new();
    for (path, value) in &q.settings {
        let Some(rest) = path.strip_prefix(&prefix) else {
            continue;
        };
        let mut keys: Vec<&str> = rest.split('.').collect();
        let Some(last) = keys.pop() else { continue };
        let mut node = &mut root;
        for k in keys {
            let entry = node
                .entry(k.to_string())
                .or_insert_with(|| Value::Object(Map::new()));
            if !entry.is_object() {
                *entry = Value::Object(Map::new());
            }
            node = match entry {
                Value::Object(next) => next,
                _ => unreachable!("made an object just above"),
            };
        }
        node.insert(last.to_string(), value.clone());
    }
    (!root.is_empty()).then_some(Value::Object(root))
}

/// A file name for a queue: its name in lower-case kebab form (`Billing Tier 1` →
/// `billing-tier-1.yaml`), made unique with a numeric suffix.
pub fn file_names(docs: &[QueueDoc]) -> Vec<String> {
    let mut used: std::collections::HashSet<String> = std::collections::HashSet::new();
    docs.iter()
        .map(|d| {
            let mut slug = String::new();
            // Accented and other scripts' letters become their ASCII spelling
            // (`Facturación` → `facturacion`), not dashes.
            let ascii = deunicode::deunicode(&d.metadata.name.value);
            for ch in ascii.chars() {
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
                shorten(slug, &d.metadata.name.value)
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

/// The longest file-name stem import writes (file systems allow 255 bytes).
const MAX_STEM: usize = 80;

/// A stem within [`MAX_STEM`]: a long one is cut and given a suffix that depends on the whole
/// name (FNV-1a), so the same name always gives the same file and two long names that share a
/// beginning do not collide.
fn shorten(slug: String, name: &str) -> String {
    if slug.len() <= MAX_STEM {
        return slug;
    }
    let hash = name.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    let keep = slug[..MAX_STEM - 9].trim_end_matches('-');
    format!("{keep}-{:08x}", hash as u32)
}

#[cfg(test)]
mod tests {
    use super::*;
    use model::Proficiency;
    use tenant::SkillRequirement;

    #[test]
    fn a_settings_block_survives_the_trip_through_a_queue_document() {
        let mut q = Queue::named("Sales_EN");
        for (k, v) in [
            ("cxone.mediaType", serde_json::json!("work item")),
            ("cxone.campaign", serde_json::json!("Sales")),
            ("cxone.priority.initial", serde_json::json!(1)),
            ("cxone.priority.max", serde_json::json!(100)),
            ("cxone.shortAbandon.enabled", serde_json::json!(true)),
            ("cxone.active", serde_json::json!(false)),
        ] {
            q.settings.insert(k.into(), v);
        }
        q.max_waiters = Some(5);
        let caps = Capabilities {
            platform: "example",
            fields: &[QueueField::Description],
            elsewhere: &[],
            settings_block: Some("cxone"),
            writes: tenant::WriteMode::LastWriterWins,
            updates: tenant::UpdateMode::Partial,
            deletes: tenant::DeleteMode::Deactivate,
            ids: tenant::IdKind::Integer,
            page_size: 100,
            names: None,
            active_setting: None,
            create_only: &[],
        };
        let docs = queue_docs_for(&[q.clone()], &caps);
        assert!(docs[0].spec.max_waiters.is_none() && docs[0].spec.overflow.is_none());
        let block = docs[0].spec.cxone.as_ref().expect("a cxone block");
        assert_eq!(
            block.value.media_type.as_ref().map(|m| m.value),
            Some(model::CxoneMediaType::WorkItem)
        );
        let back = crate::Desired::from_doc(&docs[0]);
        assert_eq!(back.settings, q.settings);
    }

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
    fn names_become_ascii_file_names_and_long_ones_are_shortened_deterministically() {
        let long = "Queue ".repeat(2000);
        let other_long = format!("{long}X");
        let table: [(&str, &str); 3] = [
            ("Facturación en Español", "facturacion-en-espanol.yaml"),
            ("Kundenservice Größe", "kundenservice-grosse.yaml"),
            ("日本語", "ri-ben-yu.yaml"),
        ];
        for (name, file) in table {
            let docs = queue_docs(&[Queue::named(name)]);
            assert_eq!(file_names(&docs), [file], "{name}");
        }
        let docs = queue_docs(&[Queue::named(&long), Queue::named(&other_long)]);
        let names = file_names(&docs);
        assert!(names.iter().all(|n| n.len() <= MAX_STEM + 5), "{names:?}");
        assert_ne!(names[0], names[1]);
        assert_eq!(file_names(&queue_docs(&[Queue::named(&long)]))[0], names[0]);
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
