//! The safe write: every writable property of NICE's published v34 `PUT /skills/{skillId}`
//! schema that the `GET /skills/{skillId}` returned, sent back as read.
//!
//! NICE does not say whether the PUT keeps what it is not sent. A body that carries every
//! writable property as read (with the changed ones replaced) leaves the skill the same
//! either way. The table below is the published PUT schema's 63 properties with their GET
//! spelling (four differ: `mediaTypeId`/`mediatypeid`, `popThankYouURL`/`popThankYouUrl`,
//! `screenPopDetail`/`screenPopDetails`, `patronTypingPreview`/`patronTypingIndicator`) and
//! the type and range the PUT takes. What cannot be sent as read is left out:
//! - the media type (fixed when the skill is made; a changed one is refused before);
//! - `divisionNo`, `enableParking`, `screenPopType`: the GET never returns them;
//! - a value that is `null`, or does not read as the PUT's type (`screenPopTriggerEvent` is a
//!   numeric string in the GET and an integer in the PUT: a string that is not a number), or
//!   is outside the PUT's published range or pattern (a strict server would refuse the whole
//!   PUT for it);
//! - a disposition without `dispositionId` and `priority` (the PUT requires both) drops the
//!   whole list rather than send part of it.

use serde_json::{Map, Value, json};

use crate::json::{bool_of, int_of};
use crate::name::skill_name_problem;

/// How a property is typed in the PUT schema.
#[derive(Clone, Copy, Debug)]
enum Kind {
    Int,
    Bool,
    Text,
    /// A string of at least one character.
    NonEmptyText,
    /// The skill name pattern ([`skill_name_problem`]).
    Name,
    /// An integer within the published minimum and maximum.
    Range(i64, i64),
    /// `[{dispositionId, priority}]`.
    Dispositions,
}

/// `(PUT spelling, GET spelling or None when the GET never returns it, type)`: the published
/// v34 PUT schema, property by property.
const WRITABLE: [(&str, Option<&str>, Kind); 63] = [
    ("acceleration", Some("acceleration"), Kind::Int),
    (
        "acwPostTimeoutStateId",
        Some("acwPostTimeoutStateId"),
        Kind::Int,
    ),
    ("acwTypeId", Some("acwTypeId"), Kind::Int),
    ("agentless", Some("agentless"), Kind::Bool),
    ("agentlessPorts", Some("agentlessPorts"), Kind::Range(1, 10)),
    ("agentRestTime", Some("agentRestTime"), Kind::Int),
    (
        "agentTypingIndicator",
        Some("agentTypingIndicator"),
        Kind::Bool,
    ),
    (
        "allowSecondaryDisposition",
        Some("allowSecondaryDisposition"),
        Kind::Bool,
    ),
    ("callerIdOverride", Some("callerIdOverride"), Kind::Text),
    (
        "callSuppressionScriptId",
        Some("callSuppressionScriptId"),
        Kind::Int,
    ),
    ("campaignId", Some("campaignId"), Kind::Int),
    (
        "chatWarningThreshold",
        Some("chatWarningThreshold"),
        Kind::Int,
    ),
    ("countShortAbandons", Some("countShortAbandons"), Kind::Bool),
    ("cradleToGrave", Some("cradleToGrave"), Kind::Bool),
    (
        "deliverMultipleNumbersSerially",
        Some("deliverMultipleNumbersSerially"),
        Kind::Bool,
    ),
    ("displayThankyou", Some("displayThankyou"), Kind::Bool),
    ("dispositions", Some("dispositions"), Kind::Dispositions),
    ("divisionNo", None, Kind::Int),
    ("emailBccAddress", Some("emailBccAddress"), Kind::Text),
    (
        "emailFromAddress",
        Some("emailFromAddress"),
        Kind::NonEmptyText,
    ),
    ("emailFromEditable", Some("emailFromEditable"), Kind::Bool),
    ("enableParking", None, Kind::Bool),
    ("enableShortAbandon", Some("enableShortAbandon"), Kind::Bool),
    ("EquityLevel", Some("EquityLevel"), Kind::Int),
    ("evaluationCriteria", Some("evaluationCriteria"), Kind::Int),
    ("FallbackTime", Some("FallbackTime"), Kind::Int),
    ("FocusLock", Some("FocusLock"), Kind::Int),
    ("FocusMetric", Some("FocusMetric"), Kind::Int),
    ("initialPriority", Some("initialPriority"), Kind::Int),
    ("interruptible", Some("interruptible"), Kind::Bool),
    ("isActive", Some("isActive"), Kind::Bool),
    (
        "makeTranscriptAvailable",
        Some("makeTranscriptAvailable"),
        Kind::Bool,
    ),
    ("maxPriority", Some("maxPriority"), Kind::Int),
    ("maxSecondsACW", Some("maxSecondsACW"), Kind::Int),
    ("mediatypeid", Some("mediaTypeId"), Kind::Int),
    ("messageTemplateId", Some("messageTemplateId"), Kind::Int),
    (
        "minWFIAgents",
        Some("minWFIAgents"),
        Kind::Range(1, 2147483647),
    ),
    (
        "minWFIAvailableAgents",
        Some("minWFIAvailableAgents"),
        Kind::Int,
    ),
    ("minWorkingTime", Some("minWorkingTime"), Kind::Int),
    ("notes", Some("notes"), Kind::Text),
    (
        "outboundTelecomRouteId",
        Some("outboundTelecomRouteId"),
        Kind::Int,
    ),
    (
        "patronTypingIndicator",
        Some("patronTypingPreview"),
        Kind::Bool,
    ),
    ("popThankYou", Some("popThankYou"), Kind::Bool),
    ("popThankYouUrl", Some("popThankYouURL"), Kind::Text),
    ("priorityBlending", Some("priorityBlending"), Kind::Bool),
    ("priorityInterrupt", Some("priorityInterrupt"), Kind::Bool),
    ("requireDisposition", Some("requireDisposition"), Kind::Bool),
    (
        "requireManualAccept",
        Some("requireManualAccept"),
        Kind::Bool,
    ),
    ("reskillHours", Some("reskillHours"), Kind::Int),
    ("screenPopDetails", Some("screenPopDetail"), Kind::Text),
    (
        "screenPopTriggerEvent",
        Some("screenPopTriggerEvent"),
        Kind::Int,
    ),
    ("screenPopType", None, Kind::Text),
    ("scriptId", Some("scriptId"), Kind::Int),
    (
        "serviceLevelGoal",
        Some("serviceLevelGoal"),
        Kind::Range(0, 100),
    ),
    (
        "serviceLevelThreshold",
        Some("serviceLevelThreshold"),
        Kind::Int,
    ),
    (
        "shortAbandonThreshold",
        Some("shortAbandonThreshold"),
        Kind::Range(0, 300),
    ),
    ("skillName", Some("skillName"), Kind::Name),
    ("smsTransportCodeId", Some("smsTransportCodeId"), Kind::Int),
    ("stateIdACW", Some("stateIdACW"), Kind::Int),
    ("thankYouLink", Some("thankYouLink"), Kind::Text),
    (
        "transcriptFromAddress",
        Some("transcriptFromAddress"),
        Kind::Text,
    ),
    (
        "useCustomScreenPops",
        Some("useCustomScreenPops"),
        Kind::Bool,
    ),
    ("useScreenPops", Some("useScreenPops"), Kind::Bool),
];

/// The media type: fixed at create, never sent in a PUT.
const MEDIA_TYPE_PUT: &str = "mediatypeid";

/// The published PUT schema's property names (for tests and docs).
pub fn put_properties() -> impl Iterator<Item = &'static str> {
    WRITABLE.iter().map(|(put, _, _)| *put)
}

/// `value` as the PUT takes it for `kind`, or `None` when it cannot be sent as read.
fn as_put(kind: Kind, value: &Value) -> Option<Value> {
    match kind {
        Kind::Int => int_of(value).map(Value::from),
        Kind::Range(min, max) => int_of(value)
            .filter(|n| (min..=max).contains(n))
            .map(Value::from),
        Kind::Bool => bool_of(value).map(Value::from),
        Kind::Text => value.as_str().map(Value::from),
        Kind::NonEmptyText => value.as_str().filter(|s| !s.is_empty()).map(Value::from),
        Kind::Name => value
            .as_str()
            .filter(|s| skill_name_problem(s).is_none())
            .map(Value::from),
        Kind::Dispositions => {
            let items = value.as_array()?;
            let mut out = Vec::with_capacity(items.len());
            for d in items {
                let id = d.get("dispositionId").and_then(int_of)?;
                let priority = d.get("priority").and_then(int_of)?;
                out.push(json!({"dispositionId": id, "priority": priority}));
            }
            Some(Value::Array(out))
        }
    }
}

/// A skill in GET spellings (as read, with any changes already in place) as the `skill`
/// object of a PUT: every writable property it holds, in PUT spelling and type.
pub fn put_as_read(get: &Map<String, Value>) -> Map<String, Value> {
    let mut out = Map::new();
    for (put, get_name, kind) in WRITABLE {
        if put == MEDIA_TYPE_PUT {
            continue;
        }
        let Some(value) = get_name.and_then(|g| get.get(g)) else {
            continue;
        };
        if let Some(v) = as_put(kind, value) {
            out.insert(put.to_string(), v);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap()
    }

    #[test]
    fn the_four_spellings_and_the_trigger_event_are_mapped_and_the_media_type_is_left_out() {
        let got = put_as_read(&map(json!({
            "mediaTypeId": 4, "popThankYouURL": "https://x", "screenPopDetail": "d",
            "patronTypingPreview": true, "screenPopTriggerEvent": "2",
            "skillId": 5, "mediaTypeName": "Phone Call", "campaignName": "Sales"
        })));
        assert_eq!(
            Value::Object(got),
            json!({"popThankYouUrl": "https://x", "screenPopDetails": "d",
                   "patronTypingIndicator": true, "screenPopTriggerEvent": 2})
        );
    }

    #[test]
    fn a_value_that_cannot_be_sent_as_read_is_left_out() {
        let table = [
            (json!({"scriptId": null}), json!({})),
            (json!({"scriptId": "12"}), json!({"scriptId": 12})),
            (json!({"screenPopTriggerEvent": "on answer"}), json!({})),
            (json!({"agentlessPorts": 0}), json!({})),
            (json!({"agentlessPorts": 10}), json!({"agentlessPorts": 10})),
            (json!({"shortAbandonThreshold": 301}), json!({})),
            (json!({"emailFromAddress": ""}), json!({})),
            (json!({"skillName": "Ventes été"}), json!({})),
            (
                json!({"skillName": "Sales EN (Tier 1)"}),
                json!({"skillName": "Sales EN (Tier 1)"}),
            ),
            (json!({"isActive": "true"}), json!({"isActive": true})),
            (
                json!({"dispositions": [{"dispositionId": 1, "dispositionName": "Sold", "priority": 2, "isPreviewDisposition": false}]}),
                json!({"dispositions": [{"dispositionId": 1, "priority": 2}]}),
            ),
            (json!({"dispositions": [{"dispositionId": 1}]}), json!({})),
        ];
        for (get, want) in table {
            assert_eq!(Value::Object(put_as_read(&map(get.clone()))), want, "{get}");
        }
    }

    #[test]
    fn the_table_is_the_published_put_schema() {
        let text = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/specs/put-skill.request.schema.json"
        ))
        .unwrap();
        let schema: Value = serde_json::from_str(&text).unwrap();
        let props = schema
            .pointer("/schema/properties/skill/properties")
            .and_then(Value::as_object)
            .unwrap();
        let mut published: Vec<&str> = props.keys().map(String::as_str).collect();
        let mut ours: Vec<&str> = put_properties().collect();
        published.sort_unstable();
        ours.sort_unstable();
        assert_eq!(ours, published);
        for (put, _, kind) in WRITABLE {
            let p = &props[put];
            let want = match kind {
                Kind::Int | Kind::Range(..) => "integer",
                Kind::Bool => "boolean",
                Kind::Text | Kind::NonEmptyText | Kind::Name => "string",
                Kind::Dispositions => "array",
            };
            assert_eq!(p["type"], want, "{put}");
            if let Kind::Range(min, max) = kind {
                assert_eq!(
                    (p["minimum"].as_i64(), p["maximum"].as_i64()),
                    (Some(min), Some(max)),
                    "{put}"
                );
            }
        }
    }
}
