//! Conditional group routing (`spec.genesys.conditionalGroupRouting`) both ways: the wire's
//! rules name queues and groups by id; the document names them. A queue's id ↔ name comes
//! from the run's listing; a group's name from the queue's member groups as read (they carry
//! their names) and the skill groups this run read or made, so no directory lookup is needed.
//!
//! `value` is the wire's `conditionValue`: seconds for `EstimatedWaitTime`; for
//! `ServiceLevel` a percentage, sent as a 0–1 fraction (an assumption: the published model
//! documents neither unit).

use std::collections::HashMap;

use model::Decimal;
use model::genesys::paths::CGR;
use model::genesys::{CgrGroup, CgrMetric, CgrRuleSetting, GroupType};
use serde_json::{Map, Value, json};
use tenant::{Queue, TenantError};

use super::GenesysTenant;
use crate::skillgroup::member_groups;

fn group_type(v: &Value) -> Option<GroupType> {
    serde_json::from_value(v.clone()).ok()
}

/// The wire's number for a rule's value, and back (`ServiceLevel`: per cent ↔ fraction).
fn places(metric: CgrMetric) -> i32 {
    match metric {
        CgrMetric::ServiceLevel => 2,
        CgrMetric::EstimatedWaitTime => 0,
    }
}

impl GenesysTenant {
    /// Member groups of `q` by id: (name, type).
    fn member_names(&self, q: &Queue) -> HashMap<String, (String, GroupType)> {
        let memory = self.memory();
        member_groups(&q.passthrough)
            .iter()
            .filter_map(|g| {
                let id = g.get("id")?.as_str()?.to_owned();
                let kind = group_type(g.get("type")?)?;
                let name = g
                    .get("name")
                    .and_then(Value::as_str)
                    .or_else(|| {
                        memory
                            .groups
                            .known
                            .get(&id)
                            .and_then(|k| k.get("name"))
                            .and_then(Value::as_str)
                    })?
                    .to_owned();
                Some((id, (name, kind)))
            })
            .collect()
    }

    /// Sets `genesys.conditionalGroupRouting` from the queue's rules, when every queue and
    /// group they name can be named; otherwise the rules are left unmanaged.
    pub(super) fn read_cgr(&self, q: &mut Queue) {
        let Some(rules) = q
            .passthrough
            .get("conditionalGroupRouting")
            .and_then(|c| c.get("rules"))
            .and_then(Value::as_array)
            .cloned()
        else {
            return;
        };
        let members = self.member_names(q);
        let names = self.memory().queue_names.clone();
        let mut out = Vec::new();
        for (i, r) in rules.iter().enumerate() {
            let read = || -> Option<CgrRuleSetting> {
                let queue = match r
                    .get("queue")
                    .and_then(|v| v.get("id"))
                    .and_then(Value::as_str)
                {
                    None => None,
                    Some(id) if i == 0 || Some(id) == q.id.as_deref() => None,
                    Some(id) => Some(names.get(id)?.clone()),
                };
                let metric: CgrMetric = serde_json::from_value(r.get("metric")?.clone()).ok()?;
                let value = match r.get("conditionValue")? {
                    Value::Number(n) => Decimal::from_json(n)?.shift(places(metric))?,
                    _ => return None,
                };
                let groups = r
                    .get("groups")?
                    .as_array()?
                    .iter()
                    .map(|g| {
                        let (name, kind) = members.get(g.get("id")?.as_str()?)?.clone();
                        Some(CgrGroup { name, kind })
                    })
                    .collect::<Option<Vec<_>>>()?;
                Some(CgrRuleSetting {
                    queue,
                    metric,
                    operator: serde_json::from_value(r.get("operator")?.clone()).ok()?,
                    value,
                    wait_seconds: r.get("waitSeconds").and_then(Value::as_i64).unwrap_or(0),
                    groups,
                })
            };
            match read() {
                Some(rule) => out.push(rule),
                None => return,
            }
        }
        if let Ok(v) = serde_json::to_value(out) {
            q.settings.insert(CGR.into(), v);
        }
    }

    /// Writes the declared rules into the queue object (ids for names), when they change:
    /// a queue or a group that cannot be resolved is refused before anything is sent.
    pub(super) fn write_cgr(&self, q: &mut Queue, was: Option<&Value>) -> Result<(), TenantError> {
        let Some(want) = q.settings.get(CGR).cloned() else {
            return Ok(());
        };
        if Some(&want) == was {
            return Ok(());
        }
        let rules: Vec<CgrRuleSetting> = serde_json::from_value(want)
            .map_err(|e| TenantError::transport_message(format!("{CGR}: {e}")))?;
        let members = self.member_names(q);
        let ids = self.memory().queue_names.clone();
        let mut wire = Vec::new();
        for r in &rules {
            let mut groups = Vec::new();
            for g in &r.groups {
                let id = members
                    .iter()
                    .find(|(_, (name, kind))| *name == g.name && *kind == g.kind)
                    .map(|(id, _)| id.clone())
                    .ok_or_else(|| TenantError::Rejected {
                        reasons: vec![format!(
                            "conditionalGroupRouting: group {:?} ({}) is not a member group of queue {:?}",
                            g.name,
                            serde_json::to_value(g.kind).unwrap_or_default().as_str().unwrap_or_default(),
                            q.name
                        )],
                    })?;
                groups.push(json!({"id": id, "type": g.kind}));
            }
            let mut rule = Map::new();
            if let Some(name) = &r.queue {
                let id = ids
                    .iter()
                    .find(|(_, n)| *n == name)
                    .map(|(id, _)| id.clone())
                    .ok_or_else(|| TenantError::Rejected {
                        reasons: vec![format!(
                            "conditionalGroupRouting: queue {name:?} is not a queue of the org"
                        )],
                    })?;
                rule.insert("queue".into(), json!({"id": id}));
            }
            let value = r
                .value
                .shift(-places(r.metric))
                .map_or(Value::Null, |d| Value::Number(d.to_json()));
            rule.insert("metric".into(), json!(r.metric));
            rule.insert("operator".into(), json!(r.operator));
            rule.insert("conditionValue".into(), value);
            rule.insert("groups".into(), Value::Array(groups));
            rule.insert("waitSeconds".into(), json!(r.wait_seconds));
            wire.push(Value::Object(rule));
        }
        q.passthrough
            .insert("conditionalGroupRouting".into(), json!({"rules": wire}));
        Ok(())
    }
}
