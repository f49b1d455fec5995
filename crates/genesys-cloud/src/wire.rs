//! The Genesys queue object (kept as JSON, so that fields no SDK knows yet survive) and its
//! mapping to and from the port's neutral [`Queue`].
//!
//! The `spec.genesys` block lives in [`Queue::settings`] under these paths:
//!
//! | setting | Genesys field |
//! |---|---|
//! | `genesys.alertingTimeoutSeconds` | `mediaSettings.call.alertingTimeoutSeconds` |
//! | `genesys.serviceLevels.<media>` `{threshold, time}` | `mediaSettings.<media>.serviceLevel {percentage, durationMs}` for chat, callback, email, message |
//! | `genesys.skillEvaluationMethod` | `skillEvaluationMethod` |
//! | `genesys.acw.wrapupPrompt` | `acwSettings.wrapupPrompt` |
//! | `genesys.acw.timeoutSeconds` | `acwSettings.timeoutMs` / 1000 |
//! | `genesys.scoringMethod` | `scoringMethod` |

use serde_json::{Map, Value, json};
use tenant::{Queue, ServiceLevelTarget};

pub use model::genesys::paths::{
    ACW_TIMEOUT, ACW_WRAPUP_PROMPT, ALERTING_TIMEOUT, MEDIA, SCORING_METHOD, SKILL_EVALUATION,
};

/// The settings path of one media type's service level.
pub fn service_level_path(media: &str) -> String {
    format!("{}{media}", model::genesys::paths::SERVICE_LEVELS)
}

/// Server-owned fields that a write never sends back.
const READ_ONLY: [&str; 6] = [
    "memberCount",
    "userMemberCount",
    "joinedMemberCount",
    "selfUri",
    "dateCreated",
    "createdBy",
];

fn get<'a>(obj: &'a Map<String, Value>, path: &[&str]) -> Option<&'a Value> {
    let (last, parents) = path.split_last()?;
    let mut cur = obj;
    for key in parents {
        cur = cur.get(*key)?.as_object()?;
    }
    cur.get(*last).filter(|v| !v.is_null())
}

fn set(obj: &mut Map<String, Value>, path: &[&str], value: Value) {
    let Some((last, parents)) = path.split_last() else {
        return;
    };
    let mut cur = obj;
    for key in parents {
        let slot = cur
            .entry((*key).to_owned())
            .or_insert_with(|| Value::Object(Map::new()));
        if !slot.is_object() {
            *slot = Value::Object(Map::new());
        }
        cur = slot.as_object_mut().expect("made an object just above");
    }
    cur.insert((*last).to_owned(), value);
}

fn seconds_of_ms(v: &Value) -> Option<u64> {
    let ms = v.as_f64()?;
    (ms.is_finite() && ms >= 0.0).then(|| (ms / 1000.0).round() as u64)
}

/// `{percentage: 0–1, durationMs}` as `{threshold: %, time: s}`.
fn service_level_of(v: &Value) -> Option<ServiceLevelTarget> {
    let pct = v.get("percentage")?.as_f64()?;
    let time = seconds_of_ms(v.get("durationMs")?)?;
    Some(ServiceLevelTarget {
        threshold: (pct * 100.0).round().clamp(0.0, 100.0) as u32,
        time: u32::try_from(time).unwrap_or(u32::MAX),
    })
}

fn service_level_wire(s: ServiceLevelTarget) -> Value {
    json!({
        "percentage": f64::from(s.threshold) / 100.0,
        "durationMs": u64::from(s.time) * 1000,
    })
}

/// A Genesys queue in neutral terms. The whole object stays in `passthrough`.
pub fn to_neutral(obj: Map<String, Value>) -> Queue {
    let text = |key: &str| obj.get(key).and_then(Value::as_str).map(str::to_owned);
    let mut q = Queue::named(text("name").unwrap_or_default());
    q.id = text("id");
    q.description = text("description");
    q.modified_by = text("modifiedBy");
    q.modified_at = text("dateModified");
    q.service_level_target =
        get(&obj, &["mediaSettings", "call", "serviceLevel"]).and_then(service_level_of);
    if let Some(v) = get(&obj, &["mediaSettings", "call", "alertingTimeoutSeconds"]) {
        q.settings.insert(ALERTING_TIMEOUT.into(), v.clone());
    }
    for media in MEDIA {
        if let Some(s) =
            get(&obj, &["mediaSettings", media, "serviceLevel"]).and_then(service_level_of)
        {
            q.settings.insert(
                service_level_path(media),
                json!({"threshold": s.threshold, "time": s.time}),
            );
        }
    }
    for (path, wire) in [
        (SKILL_EVALUATION, &["skillEvaluationMethod"][..]),
        (SCORING_METHOD, &["scoringMethod"][..]),
        (ACW_WRAPUP_PROMPT, &["acwSettings", "wrapupPrompt"][..]),
    ] {
        if let Some(v) = get(&obj, wire) {
            q.settings.insert(path.into(), v.clone());
        }
    }
    if let Some(s) = get(&obj, &["acwSettings", "timeoutMs"]).and_then(seconds_of_ms) {
        q.settings.insert(ACW_TIMEOUT.into(), json!(s));
    }
    q.passthrough = obj;
    q
}

/// A neutral queue as the Genesys object a full-replace PUT (or a POST) sends: the
/// passthrough object (every field as the server sent it) with the managed fields written
/// over it and the server-owned fields left out.
pub fn to_wire(q: &Queue) -> Map<String, Value> {
    let mut obj = q.passthrough.clone();
    for key in READ_ONLY {
        obj.remove(key);
    }
    obj.remove("modifiedBy");
    obj.remove("dateModified");
    obj.insert("name".into(), Value::String(q.name.clone()));
    match &q.id {
        Some(id) => obj.insert("id".into(), Value::String(id.clone())),
        None => obj.remove("id"),
    };
    match &q.description {
        Some(d) => obj.insert("description".into(), Value::String(d.clone())),
        None => obj.remove("description"),
    };
    if let Some(s) = q.service_level_target {
        set(
            &mut obj,
            &["mediaSettings", "call", "serviceLevel"],
            service_level_wire(s),
        );
    }
    for (path, value) in &q.settings {
        match path.as_str() {
            ALERTING_TIMEOUT => set(
                &mut obj,
                &["mediaSettings", "call", "alertingTimeoutSeconds"],
                value.clone(),
            ),
            SKILL_EVALUATION => set(&mut obj, &["skillEvaluationMethod"], value.clone()),
            SCORING_METHOD => set(&mut obj, &["scoringMethod"], value.clone()),
            ACW_WRAPUP_PROMPT => set(&mut obj, &["acwSettings", "wrapupPrompt"], value.clone()),
            ACW_TIMEOUT => {
                let ms = value.as_u64().map_or(Value::Null, |s| json!(s * 1000));
                set(&mut obj, &["acwSettings", "timeoutMs"], ms);
            }
            other => {
                if let Some(media) = other.strip_prefix(model::genesys::paths::SERVICE_LEVELS) {
                    let slt = serde_json::from_value::<ServiceLevelTarget>(value.clone());
                    if let (true, Ok(s)) = (MEDIA.contains(&media), slt) {
                        set(
                            &mut obj,
                            &["mediaSettings", media, "serviceLevel"],
                            service_level_wire(s),
                        );
                    }
                }
            }
        }
    }
    obj
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wire(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn service_levels_convert_between_percent_seconds_and_fraction_milliseconds() {
        let table = [
            (json!({"percentage": 0.8, "durationMs": 20000}), (80, 20)),
            (json!({"percentage": 0.95, "durationMs": 30000}), (95, 30)),
            (json!({"percentage": 0.0, "durationMs": 1000}), (0, 1)),
            (json!({"percentage": 1.0, "durationMs": 1499}), (100, 1)),
        ];
        for (w, (threshold, time)) in table {
            let s = service_level_of(&w).unwrap();
            assert_eq!((s.threshold, s.time), (threshold, time), "{w}");
        }
        assert_eq!(
            service_level_wire(ServiceLevelTarget {
                threshold: 80,
                time: 20
            }),
            json!({"percentage": 0.8, "durationMs": 20000})
        );
    }

    #[test]
    fn a_queue_goes_to_neutral_and_back_with_every_unknown_field_kept() {
        let obj = wire(json!({
            "id": "7f0c", "name": "Support", "description": "d",
            "division": {"id": "div1"}, "memberCount": 3, "dateCreated": "x",
            "modifiedBy": "user-9", "dateModified": "2026-01-01T00:00:00Z",
            "mediaSettings": {
                "call": {"alertingTimeoutSeconds": 8, "enableAutoAnswer": false,
                         "serviceLevel": {"percentage": 0.8, "durationMs": 20000}},
                "chat": {"serviceLevel": {"percentage": 0.7, "durationMs": 60000}}
            },
            "acwSettings": {"wrapupPrompt": "MANDATORY_TIMEOUT", "timeoutMs": 30000},
            "skillEvaluationMethod": "BEST", "scoringMethod": "PriorityOnly",
            "bullseye": {"rings": [{"expansionCriteria": []}]},
            "aFieldNoSdkKnows": {"x": 1}
        }));
        let q = to_neutral(obj.clone());
        assert_eq!(q.modified_by.as_deref(), Some("user-9"));
        assert_eq!(
            q.service_level_target,
            Some(ServiceLevelTarget {
                threshold: 80,
                time: 20
            })
        );
        assert_eq!(q.settings[ALERTING_TIMEOUT], json!(8));
        assert_eq!(
            q.settings["genesys.serviceLevels.chat"],
            json!({"threshold": 70, "time": 60})
        );
        assert_eq!(q.settings[ACW_TIMEOUT], json!(30));
        assert_eq!(q.settings[SKILL_EVALUATION], json!("BEST"));
        let back = to_wire(&q);
        let mut expected = obj;
        for key in ["memberCount", "dateCreated", "modifiedBy", "dateModified"] {
            expected.remove(key);
        }
        assert_eq!(back, expected);
    }

    #[test]
    fn declared_settings_are_written_over_the_fetched_object() {
        let mut q = to_neutral(wire(
            json!({"id": "1", "name": "A", "mediaSettings": {"call": {"enableAutoAnswer": true}}}),
        ));
        q.description = Some("new".into());
        q.service_level_target = Some(ServiceLevelTarget {
            threshold: 90,
            time: 15,
        });
        q.settings.insert(ACW_TIMEOUT.into(), json!(45));
        q.settings.insert(
            service_level_path("email"),
            json!({"threshold": 50, "time": 3600}),
        );
        let w = to_wire(&q);
        assert_eq!(w["description"], "new");
        assert_eq!(w["mediaSettings"]["call"]["enableAutoAnswer"], true);
        assert_eq!(
            w["mediaSettings"]["call"]["serviceLevel"]["durationMs"],
            15000
        );
        assert_eq!(
            w["mediaSettings"]["email"]["serviceLevel"]["durationMs"],
            3_600_000
        );
        assert_eq!(w["acwSettings"]["timeoutMs"], 45000);
    }
}
