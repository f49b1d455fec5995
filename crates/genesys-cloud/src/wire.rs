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

use model::Decimal;
use model::genesys::WrapupPrompt;
use serde_json::{Map, Value, json};
use tenant::{Listed, Queue, ServiceLevelTarget, Unreadable};

pub use model::genesys::paths::{
    ACW_TIMEOUT, ACW_WRAPUP_PROMPT, ALERTING_TIMEOUT, MEDIA, SCORING_METHOD, SKILL_EVALUATION,
};

/// The settings path of one media type's service level.
pub fn service_level_path(media: &str) -> String {
    format!("{}{media}", model::genesys::paths::SERVICE_LEVELS)
}

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
        let Value::Object(next) = slot else {
            return;
        };
        cur = next;
    }
    cur.insert((*last).to_owned(), value);
}

fn remove(obj: &mut Map<String, Value>, path: &[&str]) {
    let Some((last, parents)) = path.split_last() else {
        return;
    };
    let mut cur = obj;
    for key in parents {
        match cur.get_mut(*key) {
            Some(Value::Object(next)) => cur = next,
            _ => return,
        }
    }
    cur.remove(*last);
}

/// A wire number in the repository's unit: the decimal point moved `places` to the right
/// (`percentage` 0.875 → 87.5 %, `durationMs` 20500 → 20.5 s) on the number's digits.
/// `Err` names what cannot be written exactly.
fn read_number(v: &Value, places: i32, field: &str) -> Result<Decimal, String> {
    let exact = match v {
        Value::Number(n) => Decimal::from_json(n).and_then(|d| d.shift(places)),
        _ => None,
    };
    exact.ok_or_else(|| {
        format!("{field} is {v}, which a Queue document cannot hold exactly (never rounded)")
    })
}

/// A repository value as the wire's number (the reverse shift), exactly.
fn wire_number(d: Decimal, places: i32) -> Value {
    d.shift(-places)
        .map_or(Value::Null, |d| Value::Number(d.to_json()))
}

/// `{percentage: fraction, durationMs}` as `{threshold: %, time: s}`.
fn service_level_of(v: &Value, field: &str) -> Result<Option<ServiceLevelTarget>, String> {
    let (Some(pct), Some(ms)) = (v.get("percentage"), v.get("durationMs")) else {
        return Ok(None);
    };
    Ok(Some(ServiceLevelTarget {
        threshold: read_number(pct, 2, &format!("{field}.percentage"))?,
        time: read_number(ms, -3, &format!("{field}.durationMs"))?,
    }))
}

fn service_level_setting(s: ServiceLevelTarget) -> Value {
    json!({"threshold": s.threshold, "time": s.time})
}

fn service_level_from_setting(v: &Value) -> Option<ServiceLevelTarget> {
    let n = |k: &str| match v.get(k) {
        Some(Value::Number(n)) => Decimal::from_json(n),
        _ => None,
    };
    Some(ServiceLevelTarget {
        threshold: n("threshold")?,
        time: n("time")?,
    })
}

/// A listed Genesys queue in neutral terms ([`to_neutral`]), or, when its id is not a text
/// (`12345`, absent) or its managed numbers are more than a document can hold exactly, an
/// [`Unreadable`] with its id and name, so that the plan names it.
pub fn to_listed(obj: Map<String, Value>) -> Listed {
    match read(&obj) {
        Ok(mut q) => {
            q.passthrough = obj;
            Listed::Queue(q)
        }
        Err(problem) => Listed::Unreadable(Unreadable {
            id: match obj.get("id") {
                Some(Value::String(s)) => Some(s.clone()),
                Some(Value::Number(n)) => Some(n.to_string()),
                _ => None,
            },
            name: obj
                .get("name")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned(),
            problem,
        }),
    }
}

/// A Genesys queue in neutral terms. The whole object stays in `passthrough`. One that does
/// not read ([`to_listed`]) keeps only its name and id.
pub fn to_neutral(obj: Map<String, Value>) -> Queue {
    match to_listed(obj) {
        Listed::Queue(q) => q,
        Listed::Unreadable(u) => {
            let mut q = Queue::named(u.name);
            q.id = u.id;
            q
        }
    }
}

fn read(obj: &Map<String, Value>) -> Result<Queue, String> {
    let text = |key: &str| obj.get(key).and_then(Value::as_str).map(str::to_owned);
    let mut q = Queue::named(text("name").unwrap_or_default());
    q.id = text("id");
    match (&q.id, obj.get("id")) {
        (Some(id), _) if id.trim().is_empty() => {
            return Err("its id is empty".to_owned());
        }
        (Some(_), _) => {}
        (None, Some(other)) => {
            return Err(format!(
                "its id {other} is not a Genesys queue id (a UUID text)"
            ));
        }
        (None, None) => return Err("it has no id".to_owned()),
    }
    q.description = text("description");
    q.modified_by = text("modifiedBy");
    q.modified_at = text("dateModified");
    if let Some(v) = get(obj, &["mediaSettings", "call", "serviceLevel"]) {
        q.service_level_target = service_level_of(v, "mediaSettings.call.serviceLevel")?;
    }
    if let Some(v) = get(obj, &["mediaSettings", "call", "alertingTimeoutSeconds"]) {
        q.settings.insert(ALERTING_TIMEOUT.into(), v.clone());
    }
    for media in MEDIA {
        if let Some(v) = get(obj, &["mediaSettings", media, "serviceLevel"])
            && let Some(s) = service_level_of(v, &format!("mediaSettings.{media}.serviceLevel"))?
        {
            q.settings
                .insert(service_level_path(media), service_level_setting(s));
        }
    }
    for (path, wire) in [
        (SKILL_EVALUATION, &["skillEvaluationMethod"][..]),
        (SCORING_METHOD, &["scoringMethod"][..]),
        (ACW_WRAPUP_PROMPT, &["acwSettings", "wrapupPrompt"][..]),
    ] {
        if let Some(v) = get(obj, wire) {
            q.settings.insert(path.into(), v.clone());
        }
    }
    if let Some(v) = get(obj, &["acwSettings", "timeoutMs"]) {
        let s = read_number(v, -3, "acwSettings.timeoutMs")?;
        q.settings.insert(ACW_TIMEOUT.into(), json!(s));
    }
    Ok(q)
}

/// Whether a wrap-up prompt (as the wire spells it) takes `acwSettings.timeoutMs`.
fn prompt_takes_timeout(prompt: &Value) -> bool {
    serde_json::from_value::<WrapupPrompt>(prompt.clone()).is_ok_and(WrapupPrompt::takes_timeout)
}

/// A neutral queue as the Genesys object a full-replace PUT (or a POST) sends: the
/// passthrough object (every field exactly as the server sent it, numbers included) with
/// only the managed fields that differ from it written over it, and two exceptions:
/// - rule 1 of `conditionalGroupRouting` loses its `queue` (an empty value already means
///   "this queue"; the reference client removes it before every PUT, the API refuses it);
/// - `acwSettings.timeoutMs` goes only with a prompt that takes a timeout.
pub fn to_wire(q: &Queue) -> Map<String, Value> {
    let mut obj = q.passthrough.clone();
    let was = read(&obj).unwrap_or_else(|_| Queue::named(""));
    obj.insert("name".into(), Value::String(q.name.clone()));
    match &q.id {
        Some(id) => obj.insert("id".into(), Value::String(id.clone())),
        None => obj.remove("id"),
    };
    if q.description != was.description {
        match &q.description {
            Some(d) => obj.insert("description".into(), Value::String(d.clone())),
            None => obj.remove("description"),
        };
    }
    if let Some(s) = q.service_level_target {
        write_service_level(&mut obj, "call", s, was.service_level_target);
    }
    for (path, value) in &q.settings {
        if was.settings.get(path) == Some(value) {
            continue;
        }
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
                let ms = match value {
                    Value::Number(n) => {
                        Decimal::from_json(n).map_or(Value::Null, |s| wire_number(s, -3))
                    }
                    _ => Value::Null,
                };
                set(&mut obj, &["acwSettings", "timeoutMs"], ms);
            }
            other => {
                if let Some(media) = other.strip_prefix(model::genesys::paths::SERVICE_LEVELS)
                    && MEDIA.contains(&media)
                    && let Some(s) = service_level_from_setting(value)
                {
                    let before = was.settings.get(other).and_then(service_level_from_setting);
                    write_service_level(&mut obj, media, s, before);
                }
            }
        }
    }
    if let Some(prompt) = get(&obj, &["acwSettings", "wrapupPrompt"])
        && !prompt_takes_timeout(prompt)
    {
        remove(&mut obj, &["acwSettings", "timeoutMs"]);
    }
    strip_rule_one_queue(&mut obj);
    obj
}

/// The managed fields a PUT of `sent` changed (against the object it was built on) that
/// `answer` does not hold as sent: a 200 with the old queue is not a success.
pub fn unkept(sent: &Queue, answer: &Queue) -> Vec<String> {
    let was = read(&sent.passthrough).unwrap_or_else(|_| Queue::named(""));
    let mut out = Vec::new();
    if sent.description != was.description && answer.description != sent.description {
        out.push("description".to_owned());
    }
    if sent.service_level_target.is_some()
        && sent.service_level_target != was.service_level_target
        && answer.service_level_target != sent.service_level_target
    {
        out.push("serviceLevelTarget".to_owned());
    }
    let timeout_dropped = sent
        .settings
        .get(ACW_WRAPUP_PROMPT)
        .or_else(|| was.settings.get(ACW_WRAPUP_PROMPT))
        .is_some_and(|p| !prompt_takes_timeout(p));
    for (path, value) in &sent.settings {
        // The skill group and the routing rules are checked by the caller, which names them.
        if was.settings.get(path) == Some(value)
            || (path == ACW_TIMEOUT && timeout_dropped)
            || path == model::genesys::paths::SKILL_GROUP
            || path == model::genesys::paths::CGR
        {
            continue;
        }
        if answer.settings.get(path) != Some(value) {
            out.push(path.clone());
        }
    }
    out
}

/// `mediaSettings.<media>.serviceLevel` set to `s`, each number written only when it
/// differs from `before` (so an unchanged one keeps its text).
fn write_service_level(
    obj: &mut Map<String, Value>,
    media: &str,
    s: ServiceLevelTarget,
    before: Option<ServiceLevelTarget>,
) {
    if before.is_none_or(|b| b.threshold != s.threshold) {
        set(
            obj,
            &["mediaSettings", media, "serviceLevel", "percentage"],
            wire_number(s.threshold, 2),
        );
    }
    if before.is_none_or(|b| b.time != s.time) {
        set(
            obj,
            &["mediaSettings", media, "serviceLevel", "durationMs"],
            wire_number(s.time, -3),
        );
    }
}

/// Removes `queue` from rule 1 of `conditionalGroupRouting`.
fn strip_rule_one_queue(obj: &mut Map<String, Value>) {
    if let Some(Value::Object(cgr)) = obj.get_mut("conditionalGroupRouting")
        && let Some(Value::Array(rules)) = cgr.get_mut("rules")
        && let Some(Value::Object(first)) = rules.first_mut()
    {
        first.remove("queue");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wire(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    fn slt(threshold: &str, time: &str) -> ServiceLevelTarget {
        ServiceLevelTarget {
            threshold: Decimal::parse(threshold).unwrap(),
            time: Decimal::parse(time).unwrap(),
        }
    }

    #[test]
    fn service_levels_convert_between_percent_seconds_and_fraction_milliseconds_exactly() {
        let table = [
            (
                json!({"percentage": 0.8, "durationMs": 20000}),
                ("80", "20"),
            ),
            (
                json!({"percentage": 0.875, "durationMs": 20500}),
                ("87.5", "20.5"),
            ),
            (
                json!({"percentage": 0.07, "durationMs": 1001}),
                ("7", "1.001"),
            ),
            (json!({"percentage": 0.0, "durationMs": 1000}), ("0", "1")),
            (
                json!({"percentage": 1, "durationMs": 1499}),
                ("100", "1.499"),
            ),
        ];
        for (w, (threshold, time)) in table {
            let s = service_level_of(&w, "x").unwrap().unwrap();
            assert_eq!(s, slt(threshold, time), "{w}");
        }
        let mut obj = Map::new();
        write_service_level(&mut obj, "call", slt("7", "20.5"), None);
        assert_eq!(
            serde_json::to_string(&obj).unwrap(),
            r#"{"mediaSettings":{"call":{"serviceLevel":{"percentage":0.07,"durationMs":20500}}}}"#
        );
    }

    #[test]
    fn a_number_a_document_cannot_hold_exactly_makes_the_queue_unreadable_by_name() {
        let Listed::Unreadable(q) = to_listed(wire(json!({
            "id": "5b0f6b8e-0b5a-4a53-9a3e-0a3f4c1d2e11", "name": "A",
            "mediaSettings": {"call": {"serviceLevel": {"percentage": 0.12345678901234567, "durationMs": 20000}}}
        }))) else {
            panic!("flagged")
        };
        let problem = q.problem;
        assert!(
            problem.contains("mediaSettings.call.serviceLevel.percentage"),
            "{problem}"
        );
        assert_eq!(q.name, "A");
    }

    #[test]
    fn a_queue_whose_id_is_not_a_uuid_is_named_with_its_problem() {
        let Listed::Unreadable(q) = to_listed(wire(json!({"id": 12345, "name": "Odd"}))) else {
            panic!("flagged")
        };
        assert_eq!(q.name, "Odd");
        assert_eq!(q.id.as_deref(), Some("12345"));
        assert!(q.problem.contains("not a Genesys queue id"));
        let Listed::Unreadable(q) = to_listed(wire(json!({"name": "NoId"}))) else {
            panic!("flagged")
        };
        assert!(q.problem.contains("no id"));
    }

    #[test]
    fn a_queue_goes_to_neutral_and_back_with_every_field_kept() {
        let obj = wire(json!({
            "id": "7f0c0000-0000-4000-8000-000000000001", "name": "Support", "description": "d",
            "division": {"id": "div1"}, "memberCount": 3, "dateCreated": "x",
            "modifiedBy": "user-9", "dateModified": "2026-01-01T00:00:00Z",
            "mediaSettings": {
                "call": {"alertingTimeoutSeconds": 8, "enableAutoAnswer": false,
                         "serviceLevel": {"percentage": 0.875, "durationMs": 20500}},
                "chat": {"serviceLevel": {"percentage": 0.7, "durationMs": 60000}}
            },
            "acwSettings": {"wrapupPrompt": "MANDATORY_TIMEOUT", "timeoutMs": 45500},
            "skillEvaluationMethod": "BEST", "scoringMethod": "PriorityOnly",
            "bullseye": {"rings": [{"expansionCriteria": []}]},
            "aFieldNoSdkKnows": {"x": 1}
        }));
        let Listed::Queue(q) = to_listed(obj.clone()) else {
            panic!("reads")
        };
        assert_eq!(q.modified_by.as_deref(), Some("user-9"));
        assert_eq!(q.service_level_target, Some(slt("87.5", "20.5")));
        assert_eq!(q.settings[ALERTING_TIMEOUT], json!(8));
        assert_eq!(
            q.settings["genesys.serviceLevels.chat"],
            json!({"threshold": 70, "time": 60})
        );
        assert_eq!(q.settings[ACW_TIMEOUT], json!(45.5));
        assert_eq!(q.settings[SKILL_EVALUATION], json!("BEST"));
        let back = to_wire(&q);
        assert_eq!(
            serde_json::to_string(&back).unwrap(),
            serde_json::to_string(&obj).unwrap()
        );
    }

    #[test]
    fn declared_settings_are_written_over_the_fetched_object() {
        let mut q = to_neutral(wire(
            json!({"id": "7f0c0000-0000-4000-8000-000000000001", "name": "A", "mediaSettings": {"call": {"enableAutoAnswer": true}}}),
        ));
        q.description = Some("new".into());
        q.service_level_target = Some(ServiceLevelTarget::whole(90, 15));
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

    #[test]
    fn the_acw_timeout_goes_only_with_a_prompt_that_takes_one() {
        let table = [
            ("MANDATORY_TIMEOUT", true),
            ("MANDATORY_FORCED_TIMEOUT", true),
            ("AGENT_REQUESTED", true),
            ("MANDATORY", false),
            ("OPTIONAL", false),
        ];
        for (prompt, kept) in table {
            let mut q = to_neutral(wire(json!({
                "id": "7f0c0000-0000-4000-8000-000000000001", "name": "A",
                "acwSettings": {"wrapupPrompt": "MANDATORY_TIMEOUT", "timeoutMs": 30000}
            })));
            q.settings.insert(ACW_WRAPUP_PROMPT.into(), json!(prompt));
            let w = to_wire(&q);
            assert_eq!(
                w["acwSettings"].get("timeoutMs").is_some(),
                kept,
                "{prompt}"
            );
        }
    }

    #[test]
    fn rule_one_of_conditional_group_routing_loses_its_queue_before_a_put() {
        let q = to_neutral(wire(json!({
            "id": "7f0c0000-0000-4000-8000-000000000001", "name": "A",
            "conditionalGroupRouting": {"rules": [
                {"queue": {"id": "7f0c0000-0000-4000-8000-000000000001"}, "metric": "EstimatedWaitTime",
                 "operator": "GreaterThan", "conditionValue": 30, "waitSeconds": 20, "groups": []},
                {"queue": {"id": "7f0c0000-0000-4000-8000-000000000002"}, "metric": "ServiceLevel",
                 "operator": "LessThan", "conditionValue": 0.8, "waitSeconds": 20, "groups": []}
            ]}
        })));
        let w = to_wire(&q);
        let rules = w["conditionalGroupRouting"]["rules"].as_array().unwrap();
        assert!(rules[0].get("queue").is_none());
        assert_eq!(
            rules[1]["queue"]["id"],
            "7f0c0000-0000-4000-8000-000000000002"
        );
    }
}
