//! The ACD skill on the wire and in neutral terms: the one mapping, the one PUT body builder,
//! the skill-name rule and the media types.

use model::CxoneMediaType;
use serde_json::{Map, Value, json};
use tenant::{Listed, Queue, ServiceLevelTarget, TenantError, Unreadable};

use crate::json::{bool_of, int_of};
pub use crate::name::{NAME_MAX_CHARS, skill_name_problem};
use crate::writable::put_as_read;

/// The media types by id (vendor help "managemultipleskillsatonce"); `spec.cxone.mediaType`
/// writes their names ([`CxoneMediaType::as_str`]).
pub const MEDIA_TYPES: &[(i64, CxoneMediaType)] = &[
    (1, CxoneMediaType::Email),
    (3, CxoneMediaType::Chat),
    (4, CxoneMediaType::Voice),
    (5, CxoneMediaType::Voicemail),
    (6, CxoneMediaType::WorkItem),
    (7, CxoneMediaType::Sms),
    (9, CxoneMediaType::Digital),
];

/// Settings paths (`spec.cxone.*`) of the managed settings.
pub const MEDIA_TYPE: &str = "cxone.mediaType";
pub const CAMPAIGN: &str = "cxone.campaign";
/// `false` on a deactivated skill.
pub const ACTIVE: &str = "cxone.active";

/// How a managed scalar setting is spelled on the wire (the same in GET, POST and PUT, as
/// far as the vendor's specs show).
struct Scalar {
    setting: &'static str,
    wire: &'static str,
    boolean: bool,
}

const SCALARS: [Scalar; 6] = [
    Scalar {
        setting: "cxone.priority.initial",
        wire: "initialPriority",
        boolean: false,
    },
    Scalar {
        setting: "cxone.priority.acceleration",
        wire: "acceleration",
        boolean: false,
    },
    Scalar {
        setting: "cxone.priority.max",
        wire: "maxPriority",
        boolean: false,
    },
    Scalar {
        setting: "cxone.shortAbandon.enabled",
        wire: "enableShortAbandon",
        boolean: true,
    },
    Scalar {
        setting: "cxone.shortAbandon.thresholdSeconds",
        wire: "shortAbandonThreshold",
        boolean: false,
    },
    Scalar {
        setting: ACTIVE,
        wire: "isActive",
        boolean: true,
    },
];

/// Wire keys that differ between verbs (vendor notes §2): the media type is `mediaTypeId`
/// in a POST and `mediatypeid` in a PUT. It is fixed after create, so a PUT never sends it.
const MEDIA_TYPE_ID_POST: &str = "mediaTypeId";
const MEDIA_TYPE_ID_GET: &str = "mediaTypeId";
const NOTES: &str = "notes";
const SL_GOAL: &str = "serviceLevelGoal";
const SL_THRESHOLD: &str = "serviceLevelThreshold";
const CAMPAIGN_ID: &str = "campaignId";
const CAMPAIGN_NAME: &str = "campaignName";
const SKILL_ID: &str = "skillId";
const SKILL_NAME: &str = "skillName";
/// Server-owned names that echo an id we manage: dropped from the passthrough.
const ECHOES: [&str; 2] = ["mediaTypeName", CAMPAIGN_NAME];

/// The media type's name for its id.
pub fn media_type_name(id: i64) -> Option<&'static str> {
    MEDIA_TYPES
        .iter()
        .find(|(i, _)| *i == id)
        .map(|(_, m)| m.as_str())
}

/// The media type's id for its name (case-insensitive).
pub fn media_type_id(name: &str) -> Option<i64> {
    MEDIA_TYPES
        .iter()
        .find(|(_, m)| m.as_str().eq_ignore_ascii_case(name.trim()))
        .map(|(i, _)| *i)
}

/// A listed skill: a neutral queue, or, when its `skillId` is not an integer (`"sk-1000"`),
/// an unreadable item that the plan names and leaves alone.
pub fn to_listed(skill: Map<String, Value>) -> Listed {
    match skill.get(SKILL_ID) {
        Some(v) if int_of(v).is_some() => Listed::Queue(to_neutral(skill)),
        raw => {
            let shown = raw.map_or_else(|| "no skillId".to_string(), |v| format!("skillId {v}"));
            Listed::Unreadable(Unreadable {
                id: raw.map(|v| match v {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                }),
                name: skill
                    .get(SKILL_NAME)
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string(),
                problem: format!(
                    "{shown} is not an integer skill id, so the skill cannot be addressed"
                ),
            })
        }
    }
}

/// A skill as CXone sends it, in neutral terms. Everything not managed rides in the
/// passthrough, as read (`campaignId` and an empty `notes` too, so that a safe write can send
/// them back).
pub fn to_neutral(mut skill: Map<String, Value>) -> Queue {
    let id = skill.remove(SKILL_ID).as_ref().and_then(int_of);
    let name = match skill.remove(SKILL_NAME) {
        Some(Value::String(s)) => s,
        _ => String::new(),
    };
    let mut q = Queue::named(name);
    q.id = id.map(|i| i.to_string());
    match skill.get(NOTES) {
        Some(Value::String(s)) if !s.is_empty() => {
            q.description = Some(s.clone());
            skill.remove(NOTES);
        }
        _ => {}
    }
    let goal = skill.get(SL_GOAL).and_then(int_of);
    let threshold = skill.get(SL_THRESHOLD).and_then(int_of);
    if let (Some(g), Some(t)) = (goal, threshold)
        && let (Ok(g), Ok(t)) = (u32::try_from(g), u32::try_from(t))
    {
        skill.remove(SL_GOAL);
        skill.remove(SL_THRESHOLD);
        q.service_level_target = Some(ServiceLevelTarget::whole(g, t));
    }
    if let Some(name) = skill
        .get(MEDIA_TYPE_ID_GET)
        .and_then(int_of)
        .and_then(media_type_name)
    {
        skill.remove(MEDIA_TYPE_ID_GET);
        q.settings.insert(MEDIA_TYPE.into(), json!(name));
    }
    if let Some(Value::String(c)) = skill.get(CAMPAIGN_NAME)
        && !c.is_empty()
    {
        q.settings.insert(CAMPAIGN.into(), json!(c));
    }
    for s in &SCALARS {
        let value = skill.get(s.wire).and_then(|v| {
            if s.boolean {
                bool_of(v).map(Value::from)
            } else {
                int_of(v).map(Value::from)
            }
        });
        if let Some(v) = value {
            skill.remove(s.wire);
            q.settings.insert(s.setting.into(), v);
        }
    }
    for echo in ECHOES {
        skill.remove(echo);
    }
    q.passthrough = skill;
    q
}

/// The skill of `q` in GET spellings: its passthrough (what was read and is not managed)
/// with its managed fields written over it. The inverse of [`to_neutral`] for every
/// property a PUT can take.
pub fn as_read(q: &Queue) -> Map<String, Value> {
    let mut skill = q.passthrough.clone();
    skill.insert(SKILL_NAME.into(), json!(q.name));
    if let Some(d) = &q.description {
        skill.insert(NOTES.into(), json!(d));
    }
    if let Some(slt) = q.service_level_target {
        skill.insert(SL_GOAL.into(), json!(slt.threshold));
        skill.insert(SL_THRESHOLD.into(), json!(slt.time));
    }
    if let Some(id) = q
        .settings
        .get(MEDIA_TYPE)
        .and_then(Value::as_str)
        .and_then(media_type_id)
    {
        skill.insert(MEDIA_TYPE_ID_GET.into(), json!(id));
    }
    for s in &SCALARS {
        if let Some(v) = q.settings.get(s.setting) {
            skill.insert(s.wire.into(), v.clone());
        }
    }
    skill
}

/// The managed fields of `queue` that differ from `base`, spelled for the wire. On a create
/// (`base` is `None`) every declared one but `isActive`, which a create item does not have.
/// `campaign_id` is the resolved id of `cxone.campaign` when it is sent.
fn managed_fields(
    base: Option<&Queue>,
    queue: &Queue,
    campaign_id: Option<i64>,
) -> Map<String, Value> {
    let mut skill = Map::new();
    let changed = |a: Option<&Value>, b: Option<&Value>| base.is_none() || a != b;
    if base.is_none_or(|b| b.description != queue.description)
        && (base.is_some() || queue.description.is_some())
    {
        skill.insert(
            NOTES.into(),
            json!(queue.description.clone().unwrap_or_default()),
        );
    }
    if base.is_none_or(|b| b.service_level_target != queue.service_level_target)
        && let Some(slt) = queue.service_level_target
    {
        skill.insert(SL_GOAL.into(), json!(slt.threshold));
        skill.insert(SL_THRESHOLD.into(), json!(slt.time));
    }
    if let Some(id) = campaign_id {
        skill.insert(CAMPAIGN_ID.into(), json!(id));
    }
    for s in &SCALARS {
        if base.is_none() && s.setting == ACTIVE {
            continue;
        }
        let want = queue.settings.get(s.setting);
        if let Some(v) = want
            && changed(base.and_then(|b| b.settings.get(s.setting)), want)
        {
            skill.insert(s.wire.into(), v.clone());
        }
    }
    skill
}

/// Whether `cxone.campaign` must be sent (changed, or set on a create).
pub fn campaign_to_send<'a>(base: Option<&Queue>, queue: &'a Queue) -> Option<&'a str> {
    let want = queue.settings.get(CAMPAIGN)?;
    if base.is_some_and(|b| b.settings.get(CAMPAIGN) == Some(want)) {
        return None;
    }
    want.as_str()
}

/// How an update is written (`spec.cxone.partialUpdates`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum WriteStyle {
    /// Every writable property as read, the changed ones replaced (the default): the same
    /// result whether NICE's PUT is partial or whole.
    #[default]
    AsRead,
    /// Only the changed managed fields: for a tenant that has verified its PUT is partial.
    ChangedOnly,
}

/// The `PUT /skills/{id}` body `{"skill": {…}}` that turns `base` into `queue`. With
/// [`WriteStyle::AsRead`], `queue` must carry the passthrough of a fresh read (apply reads
/// the skill just before). A changed media type is refused: CXone fixes it at create.
pub fn update_body(
    base: &Queue,
    queue: &Queue,
    campaign_id: Option<i64>,
    style: WriteStyle,
) -> Result<Value, TenantError> {
    let (was, want) = (
        base.settings.get(MEDIA_TYPE),
        queue.settings.get(MEDIA_TYPE),
    );
    if let (Some(was), Some(want)) = (was, want)
        && was != want
    {
        return Err(TenantError::Rejected {
            reasons: vec![format!(
                "skill {:?}: spec.cxone.mediaType cannot change from {was} to {want}: CXone fixes \
                 a skill's media type when it is created; make a new skill (a new Queue \
                 document) and deactivate this one",
                queue.name
            )],
        });
    }
    let skill = match style {
        WriteStyle::ChangedOnly => managed_fields(Some(base), queue, campaign_id),
        WriteStyle::AsRead => {
            let mut read = as_read(queue);
            if let Some(id) = campaign_id {
                read.insert(CAMPAIGN_ID.into(), json!(id));
            }
            put_as_read(&read)
        }
    };
    Ok(json!({ "skill": skill }))
}

/// Whether an update body changes nothing (an empty partial body is not sent).
pub fn is_empty_update(body: &Value) -> bool {
    body["skill"].as_object().is_none_or(Map::is_empty)
}

/// The `POST /skills` body for one new skill. `isActive` is not a property of a create item:
/// a skill declared inactive is made, then deactivated ([`needs_deactivation`]).
pub fn create_body(queue: &Queue, campaign_id: Option<i64>) -> Result<Value, TenantError> {
    let media = queue
        .settings
        .get(MEDIA_TYPE)
        .and_then(Value::as_str)
        .ok_or_else(|| TenantError::Rejected {
            reasons: vec![format!(
                "skill {:?}: spec.cxone.mediaType is required to create a CXone skill",
                queue.name
            )],
        })?;
    let media_id = media_type_id(media).ok_or_else(|| TenantError::Rejected {
        reasons: vec![format!(
            "skill {:?}: unknown media type {media:?}",
            queue.name
        )],
    })?;
    let mut skill = managed_fields(None, queue, campaign_id);
    skill.insert(SKILL_NAME.into(), json!(queue.name));
    skill.insert(MEDIA_TYPE_ID_POST.into(), json!(media_id));
    Ok(json!({ "skills": [Value::Object(skill)] }))
}

/// Whether a new skill must be deactivated after its create (`cxone.active: false`).
pub fn needs_deactivation(queue: &Queue) -> bool {
    queue.settings.get(ACTIVE) == Some(&Value::Bool(false))
}

/// The `PUT /skills/{id}` body of a deactivation: `isActive: false` alone, or over the
/// skill as read (`read`, in GET spellings) for a safe write.
pub fn deactivate_body(read: Option<&Map<String, Value>>) -> Value {
    let mut skill = read.map(put_as_read).unwrap_or_default();
    skill.insert("isActive".into(), json!(false));
    json!({ "skill": skill })
}

/// The failures of a batch create's answer (`HTTP 200` even when items failed), with the
/// server's reasons.
pub fn batch_failures(answer: &Value) -> Vec<String> {
    let results = answer
        .get("skillsResults")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let mut reasons: Vec<String> = results
        .iter()
        .filter(|r| r.get("success").and_then(bool_of) == Some(false))
        .map(|r| {
            r.get("error")
                .and_then(crate::json::reason_of)
                .unwrap_or_else(|| "the item failed without a reason".into())
        })
        .collect();
    let count = answer.get("errorCount").and_then(int_of).unwrap_or(0);
    if reasons.is_empty() && count > 0 {
        reasons.push(format!("{count} item(s) failed without a reason"));
    }
    reasons
}

#[cfg(test)]
mod tests {
    use super::*;

    fn skill(json: &str) -> Map<String, Value> {
        serde_json::from_str(json).unwrap()
    }

    const FULL: &str = r#"{"skillId":4711,"skillName":"Sales_EN","mediaTypeId":4,
        "mediaTypeName":"Phone Call","campaignId":12,"campaignName":"Sales","notes":"n",
        "serviceLevelGoal":80,"serviceLevelThreshold":"30","initialPriority":1,
        "acceleration":2,"maxPriority":100,"enableShortAbandon":true,
        "shortAbandonThreshold":5,"isActive":true,"scriptId":99,"screenPopDetail":"x"}"#;

    #[test]
    fn a_skill_maps_to_a_neutral_queue_with_its_settings_by_name() {
        let q = to_neutral(skill(FULL));
        assert_eq!(q.id.as_deref(), Some("4711"));
        assert_eq!(q.name, "Sales_EN");
        assert_eq!(q.description.as_deref(), Some("n"));
        assert_eq!(
            q.service_level_target,
            Some(ServiceLevelTarget::whole(80, 30))
        );
        let want = [
            ("cxone.active", json!(true)),
            ("cxone.campaign", json!("Sales")),
            ("cxone.mediaType", json!("voice")),
            ("cxone.priority.acceleration", json!(2)),
            ("cxone.priority.initial", json!(1)),
            ("cxone.priority.max", json!(100)),
            ("cxone.shortAbandon.enabled", json!(true)),
            ("cxone.shortAbandon.thresholdSeconds", json!(5)),
        ];
        let got: Vec<(&str, Value)> = q
            .settings
            .iter()
            .map(|(k, v)| (k.as_str(), v.clone()))
            .collect();
        assert_eq!(got, want);
        let mut kept: Vec<&str> = q.passthrough.keys().map(String::as_str).collect();
        kept.sort_unstable();
        // campaignId stays as read, for a safe write to send back.
        assert_eq!(kept, ["campaignId", "screenPopDetail", "scriptId"]);
    }

    #[test]
    fn an_update_sends_only_the_managed_fields_that_changed() {
        let base = to_neutral(skill(FULL));
        let mut want = base.clone();
        want.description = Some("new".into());
        want.settings.insert("cxone.priority.max".into(), json!(50));
        let body = update_body(&base, &want, None, WriteStyle::ChangedOnly).unwrap();
        assert_eq!(body, json!({"skill": {"notes": "new", "maxPriority": 50}}));
        assert_eq!(
            update_body(&base, &base, None, WriteStyle::ChangedOnly).unwrap(),
            json!({"skill": {}})
        );
    }

    #[test]
    fn an_update_that_changes_the_media_type_says_to_make_a_new_skill() {
        let base = to_neutral(skill(FULL));
        let mut want = base.clone();
        want.settings.insert(MEDIA_TYPE.into(), json!("chat"));
        let err = update_body(&base, &want, None, WriteStyle::AsRead)
            .unwrap_err()
            .to_string();
        assert!(err.contains("make a new skill"), "{err}");
    }

    #[test]
    fn a_create_needs_a_media_type_and_uses_the_post_spellings() {
        let mut q = Queue::named("Chat_EN");
        assert!(create_body(&q, None).is_err());
        q.settings.insert(MEDIA_TYPE.into(), json!("work item"));
        q.service_level_target = Some(ServiceLevelTarget::whole(90, 20));
        let body = create_body(&q, Some(12)).unwrap();
        assert_eq!(
            body,
            json!({"skills": [{"serviceLevelGoal": 90, "serviceLevelThreshold": 20,
                "campaignId": 12, "skillName": "Chat_EN", "mediaTypeId": 6}]})
        );
    }

    #[test]
    fn every_media_type_a_document_can_name_has_an_id() {
        for m in CxoneMediaType::ALL {
            let id = media_type_id(m.as_str()).expect("an id");
            assert_eq!(media_type_name(id), Some(m.as_str()));
        }
    }

    #[test]
    fn skill_names_follow_the_v34_pattern_with_the_ascii_space_only() {
        let table = [
            ("Sales_EN", true),
            ("a:b.c-d_e", true),
            ("a", true),
            ("Sales EN (Tier 1)", true),
            ("x^2", true),
            ("", false),
            (" Sales", false),
            ("Sales ", false),
            ("Sales\tEN", false),
            ("Sales\u{a0}EN", false),
            ("Ventes été", false),
            ("Sales/EN", false),
            ("abcdefghijklmnopqrstuvwxyz12345", false),
            ("abcdefghijklmnopqrstuvwxyz1234", true),
        ];
        for (name, ok) in table {
            assert_eq!(skill_name_problem(name).is_none(), ok, "{name:?}");
        }
    }

    #[test]
    fn a_safe_update_sends_every_writable_property_as_read_with_the_change() {
        let base = to_neutral(skill(FULL));
        let mut want = base.clone();
        want.settings.insert("cxone.priority.max".into(), json!(50));
        let body = update_body(&base, &want, None, WriteStyle::AsRead).unwrap();
        assert_eq!(
            body,
            json!({"skill": {"skillName": "Sales_EN", "campaignId": 12, "notes": "n",
                "serviceLevelGoal": 80, "serviceLevelThreshold": 30, "initialPriority": 1,
                "acceleration": 2, "maxPriority": 50, "enableShortAbandon": true,
                "shortAbandonThreshold": 5, "isActive": true, "scriptId": 99,
                "screenPopDetails": "x"}})
        );
        let moved = update_body(&base, &want, Some(3), WriteStyle::AsRead).unwrap();
        assert_eq!(moved["skill"]["campaignId"], 3);
    }

    #[test]
    fn a_skill_whose_id_is_not_an_integer_is_listed_unreadable_with_its_name() {
        let Listed::Unreadable(u) = to_listed(skill(r#"{"skillId":"sk-1000","skillName":"Odd"}"#))
        else {
            panic!("readable");
        };
        assert_eq!((u.id.as_deref(), u.name.as_str()), (Some("sk-1000"), "Odd"));
        assert!(u.problem.contains("\"sk-1000\""), "{u:?}");
        assert!(matches!(
            to_listed(skill(r#"{"skillId":"1000","skillName":"Ok"}"#)),
            Listed::Queue(_)
        ));
    }

    #[test]
    fn a_create_leaves_is_active_out_and_an_inactive_skill_is_deactivated_after() {
        let mut q = Queue::named("Chat_EN");
        q.settings.insert(MEDIA_TYPE.into(), json!("chat"));
        q.settings.insert(ACTIVE.into(), json!(false));
        let body = create_body(&q, None).unwrap();
        assert_eq!(
            body,
            json!({"skills": [{"skillName": "Chat_EN", "mediaTypeId": 3}]})
        );
        assert!(needs_deactivation(&q));
        q.settings.insert(ACTIVE.into(), json!(true));
        assert!(!needs_deactivation(&q));
        assert_eq!(deactivate_body(None), json!({"skill": {"isActive": false}}));
    }

    #[test]
    fn a_batch_answer_names_each_failed_item_with_its_reason() {
        let answer = json!({"errorCount": 1, "skillsResults": [
            {"success": true, "error": null},
            {"success": false, "error": "Skill name already exists"}]});
        assert_eq!(batch_failures(&answer), ["Skill name already exists"]);
        assert!(batch_failures(&json!({"errorCount": 0, "skillsResults": []})).is_empty());
        assert_eq!(batch_failures(&json!({"errorCount": "2"})).len(), 1);
    }
}
