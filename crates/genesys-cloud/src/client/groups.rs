//! The skill groups behind `skillRequirements`: read with the queues, made or changed before
//! the queue write that references them, deleted after the write that releases them.
//!
//! Costs: the org's group list (cursor-paged, `after`; it carries no conditions) once per
//! run, when a group must be found by name; one GET per group a listed queue has as its
//! skill group (never per group of the org); a POST per new group, a PATCH per changed one,
//! a DELETE per released one of ours.

use std::collections::HashMap;

use reqwest::Method;
use serde_json::{Map, Value, json};
use tenant::{Queue, TenantError};

use tenant::http::{Auth, Outcome};

use super::{GenesysTenant, error, json as reply_json, object};
use crate::skillgroup::{
    conditions, edit_members, group_name, own_name, requirements, skill_group_members,
};

pub(super) const LIST_GROUPS: &str = "GET /api/v2/routing/skillgroups";
const GET_GROUP: &str = "GET /api/v2/routing/skillgroups/{id}";
const CREATE_GROUP: &str = "POST /api/v2/routing/skillgroups";
const PATCH_GROUP: &str = "PATCH /api/v2/routing/skillgroups/{id}";
const DELETE_GROUP: &str = "DELETE /api/v2/routing/skillgroups/{id}";
const GROUPS: [&str; 4] = ["api", "v2", "routing", "skillgroups"];
/// A cursor list longer than this many pages is a server bug, not data.
const MAX_GROUP_PAGES: u32 = 10_000;

/// What the client knows of the org's skill groups.
#[derive(Debug, Default)]
pub(super) struct GroupMemory {
    /// Every group of the org by name (listed at most once per run), and groups made here.
    by_name: Option<HashMap<String, String>>,
    /// Groups read or written: id → the group (name and conditions).
    pub(super) known: HashMap<String, Value>,
    /// Queue id → the id of the group cxqueues made for it (for the tombstone).
    owned_by_queue: HashMap<String, String>,
}

/// The member-group edit a queue write carries, and the group to delete after it.
#[derive(Debug, Default)]
pub(super) struct GroupEdit {
    add: Option<String>,
    remove: Vec<String>,
    delete_after: Vec<String>,
}

impl GroupEdit {
    /// The groups of ours to delete once the queue write is done.
    pub(super) fn delete_after(&self) -> &[String] {
        &self.delete_after
    }

    /// Whether `answer` (the queue the write returned) holds the edit.
    pub(super) fn kept_by(&self, answer: &Map<String, Value>) -> bool {
        let members = skill_group_members(answer);
        self.add.as_ref().is_none_or(|id| members.contains(id))
            && self.remove.iter().all(|id| !members.contains(id))
    }

    /// `q` with the edit applied to its member groups.
    pub(super) fn onto(&self, q: &mut Queue) {
        if self.add.is_some() || !self.remove.is_empty() {
            edit_members(&mut q.passthrough, self.add.as_deref(), &self.remove);
        }
    }
}

fn name_of(group: &Value) -> Option<&str> {
    group.get("name").and_then(Value::as_str)
}

impl GenesysTenant {
    fn group_url(&self, id: Option<&str>) -> reqwest::Url {
        let mut segments = GROUPS.to_vec();
        segments.extend(id);
        self.url(&segments)
    }

    /// One group by id.
    async fn get_group(&self, id: &str) -> Result<Value, TenantError> {
        let url = self.group_url(Some(id));
        let reply = self.call(Method::GET, GET_GROUP, &url, None).await?;
        if !reply.status.is_success() {
            return Err(error(&reply, GET_GROUP, &format!("skill group {id}")));
        }
        let group: Value = reply_json(&reply, GET_GROUP)?;
        self.memory()
            .groups
            .known
            .insert(id.to_owned(), group.clone());
        Ok(group)
    }

    /// A group's conditions, as this run last saw them (read once).
    async fn group(&self, id: &str) -> Result<Value, TenantError> {
        let known = self.memory().groups.known.get(id).cloned();
        match known {
            Some(g) => Ok(g),
            None => self.get_group(id).await,
        }
    }

    /// Every group of the org by name: the cursor-paged list (`after`), once per run.
    async fn groups_by_name(&self) -> Result<HashMap<String, String>, TenantError> {
        if let Some(m) = self.memory().groups.by_name.clone() {
            return Ok(m);
        }
        let mut out = HashMap::new();
        let mut after: Option<String> = None;
        for _ in 0..MAX_GROUP_PAGES {
            let mut url = self.group_url(None);
            {
                let mut q = url.query_pairs_mut();
                q.append_pair(
                    "pageSize",
                    &self.inner.config.page_size.min(100).to_string(),
                );
                if let Some(a) = &after {
                    q.append_pair("after", a);
                }
            }
            let reply = self.call(Method::GET, LIST_GROUPS, &url, None).await?;
            if !reply.status.is_success() {
                return Err(error(&reply, LIST_GROUPS, "the skill group list"));
            }
            let page: Map<String, Value> = object(&reply, LIST_GROUPS)?;
            for g in page
                .get("entities")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                if let (Some(id), Some(name)) = (g.get("id").and_then(Value::as_str), name_of(g))
                    && out.insert(name.to_owned(), id.to_owned()).is_some()
                {
                    return Err(TenantError::transport_message(format!(
                        "{LIST_GROUPS} lists the skill group name {name:?} twice; refusing to guess which is ours"
                    )));
                }
            }
            let next = page.get("nextUri").and_then(Value::as_str).and_then(|uri| {
                reqwest::Url::parse("http://x")
                    .ok()?
                    .join(uri)
                    .ok()?
                    .query_pairs()
                    .find(|(k, _)| k == "after")
                    .map(|(_, v)| v.into_owned())
            });
            match next {
                Some(cursor) if after.as_deref() != Some(cursor.as_str()) => after = Some(cursor),
                _ => {
                    self.memory().groups.by_name = Some(out.clone());
                    return Ok(out);
                }
            }
        }
        Err(TenantError::transport_message(format!(
            "{LIST_GROUPS} went on for more than {MAX_GROUP_PAGES} pages"
        )))
    }

    /// Fills the skill requirements of listed queues from their skill groups: no
    /// `SKILLGROUP` member is "none" (`[]`); one group (or, among several, the one named
    /// `cxqueues: <queue name>`) whose conditions a document can express is the
    /// requirements; anything else is left unmanaged (`None`).
    pub(super) async fn read_skill_groups(&self, queues: &mut [Queue]) -> Result<(), TenantError> {
        for q in queues.iter_mut() {
            self.read_skill_group(q).await?;
            self.read_cgr(q);
        }
        Ok(())
    }

    pub(super) async fn read_skill_group(&self, q: &mut Queue) -> Result<(), TenantError> {
        let levels = self.inner.config.proficiency;
        let members = skill_group_members(&q.passthrough);
        let mut found = Vec::new();
        for id in &members {
            found.push((id.clone(), self.group(id).await?));
        }
        let own = own_name(&q.name);
        let ours = match found.as_slice() {
            [] => {
                q.skill_requirements = Some(Vec::new());
                return Ok(());
            }
            [one] => Some(one),
            many => many.iter().find(|(_, g)| name_of(g) == Some(own.as_str())),
        };
        let Some((id, group)) = ours else {
            return Ok(());
        };
        q.skill_requirements = requirements(group, &levels);
        let name = name_of(group).unwrap_or_default();
        if name == own {
            if let Some(qid) = &q.id {
                self.memory()
                    .groups
                    .owned_by_queue
                    .insert(qid.clone(), id.clone());
            }
        } else if q.skill_requirements.is_some() {
            q.settings
                .insert(model::genesys::paths::SKILL_GROUP.into(), json!(name));
        }
        Ok(())
    }

    /// Makes the queue's skill group match `queue.skill_requirements` before the queue is
    /// written (created or changed first, so the write can reference it), and says which
    /// member groups the write adds and removes, and which group of ours to delete after it.
    pub(super) async fn prepare_group(
        &self,
        base: Option<&Queue>,
        queue: &Queue,
    ) -> Result<GroupEdit, TenantError> {
        let mut edit = GroupEdit::default();
        let Some(want) = &queue.skill_requirements else {
            return Ok(edit);
        };
        let levels = self.inner.config.proficiency;
        let (name, adopted) = group_name(queue);
        let own = own_name(&queue.name);
        // The base's skill groups by name (read with the queue).
        let mut members: Vec<(String, String)> = Vec::new();
        for id in base
            .map(|b| skill_group_members(&b.passthrough))
            .unwrap_or_default()
        {
            let g = self.group(&id).await?;
            members.push((id, name_of(&g).unwrap_or_default().to_owned()));
        }
        if want.is_empty() {
            for (id, n) in &members {
                if *n == name || *n == own {
                    edit.remove.push(id.clone());
                    if *n == own {
                        edit.delete_after.push(id.clone());
                    }
                }
            }
            return Ok(edit);
        }
        let body_conditions = conditions(want, &levels);
        let member = members
            .iter()
            .find(|(_, n)| *n == name)
            .map(|(id, _)| id.clone());
        let id = match member {
            Some(id) => Some(id),
            None => self.groups_by_name().await?.get(&name).cloned(),
        };
        let id = match id {
            Some(id) => {
                let current = self.group(&id).await?;
                if current.get("skillConditions") != Some(&body_conditions) {
                    self.patch_group(&id, &name, &body_conditions).await?;
                }
                id
            }
            None if adopted => {
                return Err(TenantError::NotFound {
                    what: format!("skill group {name:?} (spec.genesys.skillGroup)"),
                });
            }
            None => self.create_group(&name, &body_conditions).await?,
        };
        // Moving to an adopted group releases the one cxqueues made.
        for (other, n) in &members {
            if *other != id && *n == own {
                edit.remove.push(other.clone());
                edit.delete_after.push(other.clone());
            }
        }
        edit.add = Some(id);
        Ok(edit)
    }

    /// Makes group `name`, never twice: a POST whose answer is lost is followed by a fresh
    /// look-up of the name before it is sent again.
    async fn create_group(&self, name: &str, conds: &Value) -> Result<String, TenantError> {
        let body = json!({"name": name, "skillConditions": conds});
        let body = body.as_object().cloned().unwrap_or_default();
        let url = self.group_url(None);
        let call = Self::api_call(Method::POST, CREATE_GROUP, &url, Some(&body))?;
        let mut budget = self.inner.core.budget();
        loop {
            let outcome = self
                .inner
                .core
                .execute(
                    &call,
                    &mut budget,
                    Auth::Token(&self.inner.tokens, &*self.inner),
                )
                .await?;
            let reply = match outcome {
                Outcome::Reply(reply) => reply,
                Outcome::Lost(reason) => {
                    tracing::debug!(%reason, name, "skill group create outcome unknown; looking the name up");
                    self.memory().groups.by_name = None;
                    if let Some(id) = self.groups_by_name().await?.get(name) {
                        return Ok(id.clone());
                    }
                    continue;
                }
            };
            if !reply.status.is_success() {
                return Err(error(
                    &reply,
                    CREATE_GROUP,
                    &format!("skill group {name:?}"),
                ));
            }
            let group: Value = reply_json(&reply, CREATE_GROUP)?;
            let id = group
                .get("id")
                .and_then(Value::as_str)
                .ok_or_else(|| {
                    TenantError::transport_message(format!("{CREATE_GROUP} answered without an id"))
                })?
                .to_owned();
            let mut memory = self.memory();
            if let Some(m) = memory.groups.by_name.as_mut() {
                m.insert(name.to_owned(), id.clone());
            }
            memory.groups.known.insert(id.clone(), group);
            return Ok(id);
        }
    }

    async fn patch_group(&self, id: &str, name: &str, conds: &Value) -> Result<(), TenantError> {
        let body = json!({"name": name, "skillConditions": conds});
        let body = body.as_object().cloned().unwrap_or_default();
        let url = self.group_url(Some(id));
        let reply = self
            .call(Method::PATCH, PATCH_GROUP, &url, Some(&body))
            .await?;
        if !reply.status.is_success() {
            return Err(error(&reply, PATCH_GROUP, &format!("skill group {name:?}")));
        }
        let group: Value = reply_json(&reply, PATCH_GROUP)?;
        if group.get("skillConditions") != Some(conds) {
            return Err(TenantError::transport_message(format!(
                "{PATCH_GROUP} of {name:?} answered without the conditions it was sent: the write is not confirmed"
            )));
        }
        self.memory().groups.known.insert(id.to_owned(), group);
        Ok(())
    }

    /// Deletes the groups of ours a queue write (or delete) released.
    pub(super) async fn delete_groups(&self, ids: &[String]) -> Result<(), TenantError> {
        for id in ids {
            let url = self.group_url(Some(id));
            let reply = self.call(Method::DELETE, DELETE_GROUP, &url, None).await?;
            if !reply.status.is_success() && reply.status != reqwest::StatusCode::NOT_FOUND {
                return Err(error(&reply, DELETE_GROUP, &format!("skill group {id}")));
            }
            let mut memory = self.memory();
            memory.groups.known.remove(id);
            if let Some(m) = memory.groups.by_name.as_mut() {
                m.retain(|_, v| v != id);
            }
            memory.groups.owned_by_queue.retain(|_, v| v != id);
        }
        Ok(())
    }

    /// The group cxqueues made for queue `id`, as the listing found it.
    pub(super) fn owned_group(&self, queue_id: &str) -> Option<String> {
        self.memory().groups.owned_by_queue.get(queue_id).cloned()
    }
}
