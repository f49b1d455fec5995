//! Skill requirements as a skill expression group (`/api/v2/routing/skillgroups`), pure: the
//! group's conditions both ways, and the queue's `memberGroups` edits.
//!
//! A queue that declares `skillRequirements` owns one skill group, named
//! `cxqueues: <queue name>` (or the group `spec.genesys.skillGroup` adopts), whose
//! `skillConditions` hold one `And` condition per required skill:
//! `{routingSkillConditions: [{routingSkill, comparator: GreaterThanOrEqualTo, proficiency,
//! childConditions: []}], languageSkillConditions: [], operation: And}`. The group is a
//! `SKILLGROUP` member group of the queue; every other member group is kept as read.

use model::genesys::ProficiencyLevels;
use serde_json::{Map, Value, json};
use tenant::{Queue, SkillRequirement};

/// The `type` of a skill group in a queue's `memberGroups`.
pub const SKILLGROUP: &str = "SKILLGROUP";

/// The name of the group cxqueues makes for `queue`.
pub fn own_name(queue: &str) -> String {
    format!("cxqueues: {queue}")
}

/// The group a queue's skill requirements live in: the adopted one, or its own.
pub fn group_name(q: &Queue) -> (String, bool) {
    match q
        .settings
        .get(model::genesys::paths::SKILL_GROUP)
        .and_then(Value::as_str)
    {
        Some(adopted) => (adopted.to_owned(), true),
        None => (own_name(&q.name), false),
    }
}

/// The `skillConditions` of `reqs` (sorted, so that equal sets write equal bodies).
pub fn conditions(reqs: &[SkillRequirement], levels: &ProficiencyLevels) -> Value {
    let mut reqs = reqs.to_vec();
    reqs.sort();
    Value::Array(
        reqs.iter()
            .map(|r| {
                json!({
                    "routingSkillConditions": [{
                        "routingSkill": r.skill,
                        "comparator": "GreaterThanOrEqualTo",
                        "proficiency": levels.level(r.proficiency),
                        "childConditions": [],
                    }],
                    "languageSkillConditions": [],
                    "operation": "And",
                })
            })
            .collect(),
    )
}

/// The requirements a group's `skillConditions` stand for, when they are an `And` of
/// `GreaterThanOrEqualTo` conditions on routing skills (a level that is one word's is read
/// as that word, any other 0–5 as the number); `None` otherwise (the group is then not managed through `skillRequirements`).
pub fn requirements(group: &Value, levels: &ProficiencyLevels) -> Option<Vec<SkillRequirement>> {
    let empty = |v: Option<&Value>| v.is_none_or(|v| v.as_array().is_some_and(Vec::is_empty));
    let mut out = Vec::new();
    for c in group.get("skillConditions")?.as_array()? {
        let op = c.get("operation").and_then(Value::as_str).unwrap_or("And");
        let [rc] = c.get("routingSkillConditions")?.as_array()?.as_slice() else {
            return None;
        };
        if op != "And"
            || !empty(c.get("languageSkillConditions"))
            || !empty(rc.get("childConditions"))
        {
            return None;
        }
        if rc.get("comparator")?.as_str()? != "GreaterThanOrEqualTo" {
            return None;
        }
        let level = u8::try_from(rc.get("proficiency")?.as_u64()?)
            .ok()
            .filter(|l| *l <= ProficiencyLevels::MAX)?;
        out.push(SkillRequirement {
            skill: rc.get("routingSkill")?.as_str()?.to_owned(),
            proficiency: levels.word(level),
            required: true,
        });
    }
    out.sort();
    Some(out)
}

/// The queue's member groups as read.
pub fn member_groups(obj: &Map<String, Value>) -> Vec<Value> {
    obj.get("memberGroups")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default()
}

/// The ids of the queue's `SKILLGROUP` member groups.
pub fn skill_group_members(obj: &Map<String, Value>) -> Vec<String> {
    member_groups(obj)
        .iter()
        .filter(|g| g.get("type").and_then(Value::as_str) == Some(SKILLGROUP))
        .filter_map(|g| g.get("id").and_then(Value::as_str).map(str::to_owned))
        .collect()
}

/// `obj`'s member groups with skill group `add` added (if missing) and the groups of
/// `remove` taken out; every other member group is kept exactly as read.
pub fn edit_members(obj: &mut Map<String, Value>, add: Option<&str>, remove: &[String]) {
    let mut groups: Vec<Value> = member_groups(obj)
        .into_iter()
        .filter(|g| {
            g.get("id")
                .and_then(Value::as_str)
                .is_none_or(|id| !remove.iter().any(|r| r == id))
        })
        .collect();
    if let Some(id) = add
        && !groups
            .iter()
            .any(|g| g.get("id").and_then(Value::as_str) == Some(id))
    {
        groups.push(json!({"id": id, "type": SKILLGROUP}));
    }
    if groups.is_empty() && !obj.contains_key("memberGroups") {
        return;
    }
    obj.insert("memberGroups".into(), Value::Array(groups));
}

#[cfg(test)]
mod tests {
    use super::*;
    use model::Proficiency;

    fn req(skill: &str, p: Proficiency) -> SkillRequirement {
        SkillRequirement {
            skill: skill.into(),
            proficiency: p,
            required: true,
        }
    }

    #[test]
    fn requirements_become_an_and_of_at_least_conditions_and_back() {
        let levels = ProficiencyLevels::default();
        let reqs = vec![
            req("language:en", Proficiency::Advanced),
            req("billing", Proficiency::Beginner),
        ];
        let c = conditions(&reqs, &levels);
        assert_eq!(
            c[1],
            json!({"routingSkillConditions": [{"routingSkill": "language:en",
                "comparator": "GreaterThanOrEqualTo", "proficiency": 4, "childConditions": []}],
                "languageSkillConditions": [], "operation": "And"})
        );
        let mut sorted = reqs.clone();
        sorted.sort();
        assert_eq!(
            requirements(&json!({"skillConditions": c}), &levels),
            Some(sorted)
        );
    }

    #[test]
    fn a_group_the_document_cannot_express_is_left_alone() {
        let levels = ProficiencyLevels::default();
        let cond = |comparator: &str, level: u64, op: &str| {
            json!({"skillConditions": [{"routingSkillConditions": [{"routingSkill": "s",
                "comparator": comparator, "proficiency": level, "childConditions": []}],
                "languageSkillConditions": [], "operation": op}]})
        };
        assert!(requirements(&cond("GreaterThanOrEqualTo", 4, "And"), &levels).is_some());
        for g in [
            cond("LessThan", 4, "And"),
            cond("GreaterThanOrEqualTo", 9, "And"),
            cond("GreaterThanOrEqualTo", 4, "Or"),
            cond("GreaterThanOrEqualTo", 4, "Not"),
            json!({"skillConditions": [{"routingSkillConditions": [], "languageSkillConditions": [{"languageSkill": "fr"}], "operation": "And"}]}),
        ] {
            assert_eq!(requirements(&g, &levels), None, "{g}");
        }
    }

    #[test]
    fn member_group_edits_keep_every_other_group_as_read() {
        let mut obj = json!({"memberGroups": [
            {"id": "g1", "name": "Billing agents", "type": "GROUP", "memberCount": 3},
            {"id": "old", "type": "SKILLGROUP"},
            {"id": "t1", "type": "TEAM"}
        ]})
        .as_object()
        .unwrap()
        .clone();
        edit_members(&mut obj, Some("new"), &["old".to_owned()]);
        assert_eq!(
            obj["memberGroups"],
            json!([
                {"id": "g1", "name": "Billing agents", "type": "GROUP", "memberCount": 3},
                {"id": "t1", "type": "TEAM"},
                {"id": "new", "type": "SKILLGROUP"}
            ])
        );
        edit_members(&mut obj, Some("new"), &[]);
        assert_eq!(obj["memberGroups"].as_array().unwrap().len(), 3);
    }
}
