//! The NICE CXone skill as the simulator stores and serves it, in NICE's published v34
//! shapes (`shared/vendors/specs/nice-cxone/`).
//!
//! A skill is a stored queue: `name` is `skillName`, `description` is `notes`, and every
//! other property is kept under `cxone` in its GET spelling. A GET serves only the 84
//! published properties; a POST item and a PUT `skill` may hold only their published ones
//! (an unknown property is refused, as a strict server would). Four properties are spelled
//! differently by the PUT (`mediatypeid`, `popThankYouUrl`, `screenPopDetails`,
//! `patronTypingIndicator`), and `screenPopTriggerEvent` is an integer in a PUT and a numeric
//! string in a GET.

use serde_json::{Map, Value, json};

/// Where a stored queue keeps its CXone properties.
/// The tenant id the `id_token` carries.
pub const CXONE_TENANT_ID: &str = "11ee0000-sim0-cx00-0000-000000000001";

pub(crate) const CXONE: &str = "cxone";
/// Where a created queue remembers when (ms since the epoch), for the list lag.
pub(crate) const CREATED_AT: &str = "createdAtMs";

/// How a GET property is typed in the published schema.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    Int,
    Bool,
    Text,
    List,
}

/// The published `GET /skills/{skillId}` properties and their types.
pub(crate) const GET_PROPERTIES: [(&str, Kind); 84] = [
    ("EquityLevel", Kind::Int),
    ("FallbackTime", Kind::Int),
    ("FocusLock", Kind::Int),
    ("FocusMetric", Kind::Int),
    ("IsSubSkill", Kind::Bool),
    ("PresentAcceptReject", Kind::Bool),
    ("TenantId", Kind::Text),
    ("acceleration", Kind::Int),
    ("acwPostTimeoutStateId", Kind::Int),
    ("acwPostTimeoutStateName", Kind::Text),
    ("acwTypeId", Kind::Int),
    ("agentFirstResponseTime", Kind::Int),
    ("agentFollowOnResponseTime", Kind::Int),
    ("agentResponseEnabled", Kind::Bool),
    ("agentRestTime", Kind::Int),
    ("agentTypingIndicator", Kind::Bool),
    ("agentless", Kind::Bool),
    ("agentlessPorts", Kind::Int),
    ("allowSecondaryDisposition", Kind::Bool),
    ("callSuppressionScriptId", Kind::Int),
    ("callerIdOverride", Kind::Text),
    ("campaignId", Kind::Int),
    ("campaignName", Kind::Text),
    ("chatWarningThreshold", Kind::Int),
    ("countReskillHours", Kind::Bool),
    ("countShortAbandons", Kind::Bool),
    ("cradleToGrave", Kind::Bool),
    ("customerIdleTime", Kind::Int),
    ("customerResponseEnabled", Kind::Bool),
    ("deliverMultipleNumbersSerially", Kind::Bool),
    ("displayThankyou", Kind::Bool),
    ("dispositions", Kind::List),
    ("emailBccAddress", Kind::Text),
    ("emailFromAddress", Kind::Text),
    ("emailFromEditable", Kind::Bool),
    ("emailParking", Kind::Bool),
    ("enableShortAbandon", Kind::Bool),
    ("evaluationCriteria", Kind::Int),
    ("initialPriority", Kind::Int),
    ("interruptible", Kind::Bool),
    ("isActive", Kind::Bool),
    ("isOutbound", Kind::Bool),
    ("isRunning", Kind::Bool),
    ("makeTranscriptAvailable", Kind::Bool),
    ("maxPriority", Kind::Int),
    ("maxSecondsACW", Kind::Int),
    ("mediaTypeId", Kind::Int),
    ("mediaTypeName", Kind::Text),
    ("messageTemplateId", Kind::Int),
    ("minWFIAgents", Kind::Int),
    ("minWFIAvailableAgents", Kind::Int),
    ("minWorkingTime", Kind::Int),
    ("notes", Kind::Text),
    ("outboundStrategy", Kind::Text),
    ("outboundTelecomRouteId", Kind::Int),
    ("patronTypingPreview", Kind::Bool),
    ("popThankYou", Kind::Bool),
    ("popThankYouURL", Kind::Text),
    ("priorityBlending", Kind::Bool),
    ("priorityInterrupt", Kind::Bool),
    ("requireDisposition", Kind::Bool),
    ("requireManualAccept", Kind::Bool),
    ("reskillHours", Kind::Int),
    ("reskillHoursName", Kind::Text),
    ("routingQueueId", Kind::Int),
    ("screenPopDetail", Kind::Text),
    ("screenPopTriggerEvent", Kind::Text),
    ("scriptId", Kind::Int),
    ("scriptName", Kind::Text),
    ("serviceLevelGoal", Kind::Int),
    ("serviceLevelThreshold", Kind::Int),
    ("shortAbandonThreshold", Kind::Int),
    ("skillId", Kind::Int),
    ("skillName", Kind::Text),
    ("smsTransportCode", Kind::Text),
    ("smsTransportCodeId", Kind::Int),
    ("stateIdACW", Kind::Int),
    ("stateNameACW", Kind::Text),
    ("thankYouLink", Kind::Text),
    ("timeExtensionEnabled", Kind::Bool),
    ("transcriptFromAddress", Kind::Text),
    ("useCustomScreenPops", Kind::Bool),
    ("useScreenPops", Kind::Bool),
    ("workItemQueueType", Kind::Text),
];

/// The published `PUT /skills/{skillId}` properties.
pub(crate) const PUT_PROPERTIES: [&str; 63] = [
    "EquityLevel",
    "FallbackTime",
    "FocusLock",
    "FocusMetric",
    "acceleration",
    "acwPostTimeoutStateId",
    "acwTypeId",
    "agentRestTime",
    "agentTypingIndicator",
    "agentless",
    "agentlessPorts",
    "allowSecondaryDisposition",
    "callSuppressionScriptId",
    "callerIdOverride",
    "campaignId",
    "chatWarningThreshold",
    "countShortAbandons",
    "cradleToGrave",
    "deliverMultipleNumbersSerially",
    "displayThankyou",
    "dispositions",
    "divisionNo",
    "emailBccAddress",
    "emailFromAddress",
    "emailFromEditable",
    "enableParking",
    "enableShortAbandon",
    "evaluationCriteria",
    "initialPriority",
    "interruptible",
    "isActive",
    "makeTranscriptAvailable",
    "maxPriority",
    "maxSecondsACW",
    "mediatypeid",
    "messageTemplateId",
    "minWFIAgents",
    "minWFIAvailableAgents",
    "minWorkingTime",
    "notes",
    "outboundTelecomRouteId",
    "patronTypingIndicator",
    "popThankYou",
    "popThankYouUrl",
    "priorityBlending",
    "priorityInterrupt",
    "requireDisposition",
    "requireManualAccept",
    "reskillHours",
    "screenPopDetails",
    "screenPopTriggerEvent",
    "screenPopType",
    "scriptId",
    "serviceLevelGoal",
    "serviceLevelThreshold",
    "shortAbandonThreshold",
    "skillName",
    "smsTransportCodeId",
    "stateIdACW",
    "thankYouLink",
    "transcriptFromAddress",
    "useCustomScreenPops",
    "useScreenPops",
];

/// The published `POST /skills` item properties.
pub(crate) const POST_PROPERTIES: [&str; 65] = [
    "mediaTypeId",
    "skillName",
    "divisionNo",
    "isOutbound",
    "outboundStrategy",
    "outboundTelecomRouteId",
    "campaignId",
    "callerIdOverride",
    "emailFromAddress",
    "emailFromEditable",
    "emailBccAddress",
    "FocusMetric",
    "EquityLevel",
    "FocusLock",
    "FallbackTime",
    "scriptId",
    "reskillHours",
    "minWFIAgents",
    "minWFIAvailableAgents",
    "requireManualAccept",
    "interruptible",
    "enableParking",
    "minWorkingTime",
    "agentless",
    "agentlessPorts",
    "notes",
    "acwTypeId",
    "requireDisposition",
    "allowSecondaryDisposition",
    "stateIdACW",
    "maxSecondsACW",
    "agentRestTime",
    "displayThankyou",
    "thankYouLink",
    "popThankYou",
    "popThankYouURL",
    "makeTranscriptAvailable",
    "transcriptFromAddress",
    "priorityBlending",
    "callSuppressionScriptId",
    "useScreenPops",
    "screenPopTriggerEvent",
    "useCustomScreenPops",
    "screenPopType",
    "screenPopDetails",
    "initialPriority",
    "acceleration",
    "maxPriority",
    "serviceLevelThreshold",
    "serviceLevelGoal",
    "enableShortAbandon",
    "shortAbandonThreshold",
    "countShortAbandons",
    "chatWarningThreshold",
    "agentTypingIndicator",
    "patronTypingPreview",
    "smsTransportCodeId",
    "messageTemplateId",
    "dispositions",
    "deliverMultipleNumbersSerially",
    "cradleToGrave",
    "priorityInterrupt",
    "acwPostTimeoutStateId",
    "workItemQueueType",
    "evaluationCriteria",
];

/// Write spellings (PUT and POST) that the GET spells otherwise.
const WRITE_TO_GET: [(&str, &str); 4] = [
    ("mediatypeid", "mediaTypeId"),
    ("popThankYouUrl", "popThankYouURL"),
    ("screenPopDetails", "screenPopDetail"),
    ("patronTypingIndicator", "patronTypingPreview"),
];

/// Properties the server owns or derives: never stored from a write.
const SERVER_OWNED: [&str; 4] = ["skillId", "mediaTypeName", "campaignName", "TenantId"];

/// The media types a skill may have (vendor help "managemultipleskillsatonce").
const MEDIA_TYPES: [(i64, &str); 7] = [
    (1, "Email"),
    (3, "Chat"),
    (4, "Phone Call"),
    (5, "Voice Mail"),
    (6, "Work Item"),
    (7, "SMS"),
    (9, "Digital"),
];

/// Defaults a skill shows when it holds no value of its own.
fn default_of(key: &str) -> Option<Value> {
    Some(match key {
        "isActive" => json!(true),
        "campaignId" => json!(1),
        "mediaTypeId" => json!(4),
        "initialPriority" => json!(0),
        "acceleration" => json!(1),
        "maxPriority" => json!(1000),
        "enableShortAbandon" => json!(false),
        "shortAbandonThreshold" => json!(15),
        "serviceLevelGoal" => json!(80),
        "serviceLevelThreshold" => json!(30),
        "notes" => json!(""),
        _ => return None,
    })
}

/// The skill name pattern of the v34 schemas (`^(([a-zA-Z0-9-:_\.\(\)^\s])*)$`, 1–30).
fn name_ok(name: &str) -> bool {
    let n = name.chars().count();
    (1..=30).contains(&n)
        && name.chars().all(|c| {
            c.is_ascii_alphanumeric()
                || matches!(c, '-' | ':' | '_' | '.' | '(' | ')' | '^')
                || c.is_ascii_whitespace()
        })
}

/// A stored queue as the GET serves it: every published property it holds, and the
/// defaults above.
pub(crate) fn skill_of(skill_id: u64, q: &Value, campaigns: &[(i64, String)]) -> Value {
    let cx = q.get(CXONE).and_then(Value::as_object);
    let mut skill = Map::new();
    skill.insert("skillId".into(), json!(skill_id));
    skill.insert("skillName".into(), q["name"].clone());
    if let Some(d) = q.get("description").and_then(Value::as_str) {
        skill.insert("notes".into(), json!(d));
    }
    for (key, _) in GET_PROPERTIES {
        if skill.contains_key(key) || SERVER_OWNED.contains(&key) {
            continue;
        }
        // A queue seeded for another face keeps its service level target.
        let neutral = match key {
            "serviceLevelGoal" => q.pointer("/serviceLevelTarget/threshold"),
            "serviceLevelThreshold" => q.pointer("/serviceLevelTarget/time"),
            _ => None,
        };
        if let Some(v) = cx
            .and_then(|c| c.get(key))
            .or(neutral)
            .cloned()
            .or_else(|| default_of(key))
        {
            skill.insert(key.into(), v);
        }
    }
    if let Some(name) = skill
        .get("mediaTypeId")
        .and_then(Value::as_i64)
        .and_then(|id| MEDIA_TYPES.iter().find(|(i, _)| *i == id))
        .map(|(_, n)| *n)
    {
        skill.insert("mediaTypeName".into(), json!(name));
    }
    if let Some(name) = skill
        .get("campaignId")
        .and_then(Value::as_i64)
        .and_then(|id| campaigns.iter().find(|(i, _)| *i == id))
        .map(|(_, n)| n.clone())
    {
        skill.insert("campaignName".into(), json!(name));
    }
    skill.insert("TenantId".into(), json!(CXONE_TENANT_ID));
    Value::Object(skill)
}

/// Every reason `body` (a POST item or a PUT `skill`) breaks its published schema in a way
/// the simulator checks: an unknown property, the name pattern, and the published ranges.
pub(crate) fn problems(body: &Map<String, Value>, allowed: &[&str]) -> Vec<String> {
    let mut out = Vec::new();
    for (k, v) in body {
        if !allowed.contains(&k.as_str()) {
            out.push(format!("{k} is not a property of this request"));
            continue;
        }
        let range = match k.as_str() {
            "serviceLevelGoal" => Some((0, 100)),
            "shortAbandonThreshold" => Some((0, 300)),
            "agentlessPorts" => Some((1, 10)),
            "minWFIAgents" => Some((1, 2_147_483_647)),
            _ => None,
        };
        if let Some((min, max)) = range
            && !v.as_i64().is_some_and(|n| (min..=max).contains(&n))
        {
            out.push(format!("{k} must be an integer from {min} to {max}"));
        }
        if k == "skillName" && !v.as_str().is_some_and(name_ok) {
            out.push(format!(
                "skillName {v} does not match the skill name pattern"
            ));
        }
        if k == "screenPopTriggerEvent" && !v.is_i64() {
            out.push("screenPopTriggerEvent must be an integer".into());
        }
    }
    out
}

/// Writes a POST item or PUT `skill` (already checked) onto a stored queue, in GET
/// spellings. With `whole`, every writable property the body does not hold is reset first
/// (the media type excepted: it is fixed at create).
pub(crate) fn apply(queue: &mut Map<String, Value>, body: &Map<String, Value>, whole: bool) {
    let mut cx = queue
        .get(CXONE)
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    if whole {
        for put in PUT_PROPERTIES {
            let get = get_spelling(put);
            if body.contains_key(put) || matches!(get, "mediaTypeId" | "skillName") {
                continue;
            }
            if get == "notes" {
                queue.remove("description");
            }
            cx.remove(get);
        }
    }
    for (k, v) in body {
        match get_spelling(k) {
            "skillName" => {
                queue.insert("name".into(), v.clone());
            }
            "notes" => {
                queue.insert("description".into(), v.clone());
            }
            // Fixed at create: a PUT's media type is ignored.
            "mediaTypeId" if k == "mediatypeid" => {}
            "screenPopTriggerEvent" => {
                cx.insert("screenPopTriggerEvent".into(), json!(v.to_string()));
            }
            // A write names dispositions by id; the server keeps what it derives from them.
            "dispositions" => {
                let before = cx.get("dispositions").cloned().unwrap_or(Value::Null);
                cx.insert("dispositions".into(), merged_dispositions(&before, v));
            }
            get => {
                cx.insert(get.to_string(), v.clone());
            }
        }
    }
    queue.insert(CXONE.into(), Value::Object(cx));
}

/// The dispositions written, each keeping what the server held for the same id (its name,
/// whether it is a preview disposition).
fn merged_dispositions(before: &Value, written: &Value) -> Value {
    let Some(items) = written.as_array() else {
        return written.clone();
    };
    let held = before.as_array().cloned().unwrap_or_default();
    Value::Array(
        items
            .iter()
            .map(|item| {
                let id = item.get("dispositionId");
                let mut out = held
                    .iter()
                    .find(|h| id.is_some() && h.get("dispositionId") == id)
                    .and_then(Value::as_object)
                    .cloned()
                    .unwrap_or_default();
                if let Some(m) = item.as_object() {
                    out.extend(m.clone());
                }
                Value::Object(out)
            })
            .collect(),
    )
}

fn get_spelling(write: &str) -> &str {
    WRITE_TO_GET
        .iter()
        .find(|(w, _)| *w == write)
        .map_or(write, |(_, g)| *g)
}

/// A seeded skill named `name` holding every one of the 84 published GET properties with a
/// legal value (varied by `i`): the `cxone` block of a [`crate::SeedQueue`], with its
/// `description` (`notes`). Service level thresholds of 3,600 s (email-like) on every other
/// skill; `campaigns` is how many campaigns the tenant has (ids 1..=campaigns).
pub fn full_cxone_skill(name: &str, i: u64, campaigns: u64) -> crate::SeedQueue {
    let mut cx = Map::new();
    for (key, kind) in GET_PROPERTIES {
        if SERVER_OWNED.contains(&key) || matches!(key, "skillName" | "notes") {
            continue;
        }
        let value = match (key, kind) {
            ("mediaTypeId", _) => json!(MEDIA_TYPES[(i % 7) as usize].0),
            ("campaignId", _) => json!(1 + i % campaigns.max(1)),
            ("serviceLevelGoal", _) => json!(50 + i % 51),
            ("serviceLevelThreshold", _) => json!(if i.is_multiple_of(2) { 3600 } else { i % 300 }),
            ("shortAbandonThreshold", _) => json!(i % 301),
            ("agentlessPorts", _) => json!(1 + i % 10),
            ("minWFIAgents", _) => json!(1 + i % 5),
            ("acwTypeId", _) => json!(1 + i % 3),
            ("screenPopTriggerEvent", _) => json!((1 + i % 3).to_string()),
            ("isActive", _) => json!(!i.is_multiple_of(5)),
            ("dispositions", _) => json!([
                {"dispositionId": 100 + i, "dispositionName": "Sold", "priority": 1,
                 "isPreviewDisposition": false},
                {"dispositionId": 200 + i, "dispositionName": "Callback", "priority": 2,
                 "isPreviewDisposition": true}
            ]),
            (k, _) if k.starts_with("email") && kind == Kind::Text => {
                json!(format!("skill{i}@example.com"))
            }
            (_, Kind::Int) => json!(i + key.len() as u64),
            (_, Kind::Bool) => json!((i + key.len() as u64).is_multiple_of(2)),
            (_, Kind::Text) => json!(format!("{key} {i}")),
            (_, Kind::List) => json!([]),
        };
        cx.insert(key.into(), value);
    }
    let mut q = crate::SeedQueue::named(name);
    q.description = Some(format!("Skill {i}: notes as NICE holds them"));
    q.extra.insert(CXONE.into(), Value::Object(cx));
    q
}

/// Whether `id` names a media type a skill may be made with.
pub(crate) fn is_media_type(id: Option<i64>) -> bool {
    id.is_some_and(|id| MEDIA_TYPES.iter().any(|(i, _)| *i == id))
}
