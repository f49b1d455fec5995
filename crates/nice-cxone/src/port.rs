//! [`tenant::Tenant`] for [`CxoneTenant`]: skills as queues.

use reqwest::Method;
use serde_json::{Map, Value};
use tenant::{
    Capabilities, ClientStats, DeleteMode, IdKind, Listed, NameRule, Queue, QueueField, Skill,
    Tenant, TenantError, UpdateMode, WriteMode,
};
use tracing::debug;

use crate::client::{
    CREATE_SKILLS, CxoneTenant, GET_SKILL, LIST_SKILLS, MAX_PAGE_SIZE, UPDATE_SKILL, skills_of,
};
use crate::list::ListKind;
use crate::wire::{self, WriteStyle};

/// `GET /skills`.
pub(crate) const SKILLS: ListKind = ListKind {
    path: "skills",
    label: LIST_SKILLS,
    items: "skills",
    id: "skillId",
    name: "skillName",
    noun: "skill",
};

/// Where CXone keeps what a skill cannot hold.
const IN_THE_SCRIPT: &str = "the Studio script: the Reqagent action's holding pattern (wait time, queue length checks on skills/activity)";

/// A CXone skill holds its notes and its service level; waiting, overflow and requirements
/// live in the Studio script. An update is written whole, after a read, because NICE does not
/// say whether its PUT keeps what it is not sent ([`crate::wire::WriteStyle::AsRead`]).
pub const CAPABILITIES: Capabilities = Capabilities {
    platform: "nice-cxone",
    fields: &[QueueField::Description, QueueField::ServiceLevelTarget],
    elsewhere: &[
        (QueueField::MaxWaitTime, IN_THE_SCRIPT),
        (
            QueueField::MaxWaiters,
            "the Studio script (Reqagent, with logic on skills/activity queueCount); CXone has no per-skill cap",
        ),
        (
            QueueField::Overflow,
            "the Studio script: the Reskill action (or Reqagent to another skill) after the wait",
        ),
        (
            QueueField::SkillRequirements,
            "the skill itself (a contact queues on one skill) plus agent proficiency 1–20 on the skill's agents, or a Reqagent proficiency band in the script",
        ),
    ],
    settings_block: Some("cxone"),
    writes: WriteMode::LastWriterWins,
    updates: UpdateMode::Replace,
    deletes: DeleteMode::Deactivate,
    ids: IdKind::Integer,
    page_size: MAX_PAGE_SIZE,
    names: Some(NameRule {
        rule: "1–30 characters: ASCII letters, digits, spaces and - : _ . ( ) ^, no space at either end",
        problem: wire::skill_name_problem,
    }),
    active_setting: Some(wire::ACTIVE),
    create_only: &[wire::MEDIA_TYPE],
};

/// [`CAPABILITIES`] for a tenant that has verified its PUT is partial
/// (`spec.cxone.partialUpdates: true`): only the changed fields are sent, with no read first.
pub const CAPABILITIES_PARTIAL: Capabilities = Capabilities {
    updates: UpdateMode::Partial,
    ..CAPABILITIES
};

impl CxoneTenant {
    /// The skills named exactly `name` (the list narrowed by `searchString`, then checked).
    async fn find_by_name(&self, name: &str) -> Result<Option<Queue>, TenantError> {
        let found = self
            .list_all(&SKILLS, &[("searchString", name.to_string())])
            .await?
            .into_iter()
            .map(wire::to_neutral)
            .find(|q| q.name == name);
        Ok(found)
    }

    /// Looks for `name` until the list shows it (the list lags a create by seconds).
    async fn await_created(&self, name: &str) -> Result<Queue, TenantError> {
        for attempt in 0..self.lag_attempts() {
            if let Some(q) = self.find_by_name(name).await? {
                return Ok(q);
            }
            if attempt + 1 < self.lag_attempts() {
                let wait = self.lag_delay(attempt);
                debug!(
                    name,
                    wait_ms = wait.as_millis() as u64,
                    "created skill not listed yet"
                );
                tokio::time::sleep(wait).await;
            }
        }
        Err(TenantError::transport_message(format!(
            "skill {name:?} was posted but the tenant's list does not show it after {} look-ups; \
                 it is not posted again in this run (the next run finds it by name)",
            self.lag_attempts()
        )))
    }

    /// `GET /skills/{id}` as CXone answers it (a bare skill; `{skills:[…]}` is read too).
    async fn get_raw(&self, id: &str) -> Result<Map<String, Value>, TenantError> {
        let url = self.api_url(&["skills", integer_id(id)?], &[]).await?;
        let body = self.call(Method::GET, GET_SKILL, url, None).await?;
        skills_of(&body)
            .into_iter()
            .next()
            .ok_or_else(|| TenantError::NotFound {
                what: format!("skill {id}"),
            })
    }

    /// Deactivates skill `id`: `isActive: false` over the skill as read (a safe write), or
    /// alone when the tenant's PUT is known to be partial.
    async fn deactivate(&self, id: &str) -> Result<(), TenantError> {
        let body = match self.config().write_style {
            WriteStyle::AsRead => wire::deactivate_body(Some(&self.get_raw(id).await?)),
            WriteStyle::ChangedOnly => wire::deactivate_body(None),
        };
        self.put_skill(id, &body).await
    }

    async fn put_skill(&self, id: &str, body: &Value) -> Result<(), TenantError> {
        let url = self.api_url(&["skills", id], &[]).await?;
        self.call(Method::PUT, UPDATE_SKILL, url, Some(body))
            .await?;
        Ok(())
    }

    async fn resolve_campaign(
        &self,
        base: Option<&Queue>,
        queue: &Queue,
    ) -> Result<Option<i64>, TenantError> {
        match wire::campaign_to_send(base, queue) {
            Some(name) => Ok(Some(self.campaign_id(name).await?)),
            None => Ok(None),
        }
    }
}

impl CxoneTenant {
    /// A create item has no `isActive`: a skill declared inactive is deactivated right after
    /// it is made, in the same apply (the plan says so).
    async fn finish_create(&self, mut created: Queue, queue: &Queue) -> Result<Queue, TenantError> {
        if wire::needs_deactivation(queue)
            && created.settings.get(wire::ACTIVE) != Some(&Value::Bool(false))
            && let Some(id) = created.id.clone()
        {
            self.deactivate(&id).await?;
            created
                .settings
                .insert(wire::ACTIVE.into(), Value::Bool(false));
        }
        Ok(created)
    }
}

fn integer_id(id: &str) -> Result<&str, TenantError> {
    id.parse::<i64>().map(|_| id).map_err(|_| {
        TenantError::Config(format!(
            "{id:?} is not a CXone skill id (skill ids are integers)"
        ))
    })
}

impl Tenant for CxoneTenant {
    fn capabilities(&self) -> &Capabilities {
        match self.config().write_style {
            WriteStyle::AsRead => &CAPABILITIES,
            WriteStyle::ChangedOnly => &CAPABILITIES_PARTIAL,
        }
    }

    async fn queue_metrics(
        &self,
        query: &tenant::MetricsQuery,
    ) -> Result<Vec<tenant::QueueMetrics>, TenantError> {
        CxoneTenant::queue_metrics(self, query).await
    }

    async fn listing(&self) -> Result<Vec<Listed>, TenantError> {
        Ok(self
            .list_all(&SKILLS, &[])
            .await?
            .into_iter()
            .map(wire::to_listed)
            .collect())
    }

    async fn get_queue(&self, id: &str) -> Result<Queue, TenantError> {
        Ok(wire::to_neutral(self.get_raw(id).await?))
    }

    async fn create_queue(&self, queue: &Queue) -> Result<Queue, TenantError> {
        let name = queue.name.clone();
        let first_post = self
            .posted()
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(name.clone());
        if !first_post {
            // Posted already in this run: look it up, never post the name twice.
            self.stats_recorder().create_lookup();
            let created = self.await_created(&name).await?;
            return self.finish_create(created, queue).await;
        }
        let campaign = self.resolve_campaign(None, queue).await?;
        let body = wire::create_body(queue, campaign)?;
        let url = self.api_url(&["skills"], &[]).await?;
        match self
            .call(Method::POST, CREATE_SKILLS, url, Some(&body))
            .await
        {
            Ok(answer) => {
                let failures = wire::batch_failures(&answer);
                if !failures.is_empty() {
                    return Err(TenantError::Rejected {
                        reasons: failures
                            .into_iter()
                            .map(|r| format!("skill {name:?}: {r}"))
                            .collect(),
                    });
                }
                let created = self.await_created(&name).await?;
                self.finish_create(created, queue).await
            }
            Err(TenantError::Transport { message, .. }) => {
                // The answer was lost: the skill may exist. Look, do not post again.
                self.stats_recorder().create_lookup();
                debug!(name, %message, "create answer lost; looking the name up");
                let created = self.await_created(&name).await?;
                self.finish_create(created, queue).await
            }
            Err(e) => Err(e),
        }
    }

    async fn update_queue(
        &self,
        id: &str,
        base: &Queue,
        queue: &Queue,
        _if_match: Option<u64>,
    ) -> Result<Queue, TenantError> {
        let id = integer_id(id)?;
        let campaign = self.resolve_campaign(Some(base), queue).await?;
        let body = wire::update_body(base, queue, campaign, self.config().write_style)?;
        if !wire::is_empty_update(&body) {
            self.put_skill(id, &body).await?;
        }
        let mut written = queue.clone();
        written.id = Some(id.to_string());
        Ok(written)
    }

    async fn delete_queue(&self, id: &str, _if_match: Option<u64>) -> Result<(), TenantError> {
        self.deactivate(integer_id(id)?).await
    }

    /// No request: on CXone the queue *is* the skill and a skill holds no skill
    /// requirements ([`CAPABILITIES`] rejects them), so no requirement can name one. Listing
    /// the skills again would double every observe's list pages.
    async fn list_skills(&self) -> Result<Vec<Skill>, TenantError> {
        Ok(Vec::new())
    }

    fn stats(&self) -> ClientStats {
        CxoneTenant::stats(self)
    }
}
