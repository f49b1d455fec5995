//! The routing API behind the port: [`tenant::Tenant`] for [`HttpTenant`], and the mapping
//! between this API's wire types and the port's neutral ones.

use model::Proficiency;
use serde_json::Value;
use tenant::{
    Capabilities, DeleteMode, IdKind, Listed, Queue, QueueField, Skill as NeutralSkill, Tenant,
    TenantError, UpdateMode, WriteMode,
};

use crate::{ApiError, HttpTenant, Overflow, RemoteQueue, ServiceLevelTarget, SkillRequirement};

/// The routing API contract holds every neutral field, with versioned (`If-Match`) writes.
pub const CAPABILITIES: Capabilities = Capabilities {
    platform: "routing-api",
    fields: &QueueField::ALL,
    elsewhere: &[],
    settings_block: None,
    writes: WriteMode::Conditional,
    updates: UpdateMode::Replace,
    deletes: DeleteMode::Delete,
    ids: IdKind::Uuid,
    page_size: crate::ClientConfig::DEFAULT_PAGE_SIZE,
    names: None,
    active_setting: None,
    create_only: &[],
};

/// The tenant fields that say who last wrote a queue and when.
const MODIFIED_BY: &str = "modifiedBy";
const MODIFIED_AT: &str = "dateModified";
/// Where skill requirements this API holds but the port cannot express (an unknown
/// proficiency) wait, untouched, to be written back.
const SKILL_REQUIREMENTS: &str = "skillRequirements";

impl From<ApiError> for TenantError {
    fn from(e: ApiError) -> Self {
        match e {
            ApiError::Unauthorized { reason } => TenantError::Unauthorized { reason },
            ApiError::Forbidden { scope } => TenantError::Forbidden {
                reason: format!(
                    "the client lacks the scope `{scope}`; grant it to the API client in the tenant's admin console"
                ),
            },
            ApiError::NotFound { what } => TenantError::NotFound { what },
            ApiError::Conflict {
                id,
                current_version,
            } => TenantError::Conflict {
                id,
                current_version,
            },
            ApiError::BadRequest { errors } => TenantError::Rejected { reasons: errors },
            ApiError::Config(m) => TenantError::Config(m),
            e @ (ApiError::NameTaken { .. }
            | ApiError::RetriesExhausted { .. }
            | ApiError::Network { .. }
            | ApiError::Unexpected { .. }
            | ApiError::Redirected { .. }
            | ApiError::ResponseTooLarge { .. }
            | ApiError::BadListing { .. }
            | ApiError::InvalidInput(_)) => TenantError::transport(e),
        }
    }
}

/// A wire queue in neutral terms. A skill requirement with a proficiency the port does not
/// know leaves the whole set unexpressed (`None`) and kept, as sent, for the write back.
pub fn to_neutral(q: RemoteQueue) -> Queue {
    // Who and when are the port's own fields: taken out of the pass-through bag (not held
    // twice), and put back by `to_wire`.
    let mut passthrough = q.extra;
    let mut take = |key: &str| match passthrough.shift_remove(key) {
        Some(Value::String(s)) => Some(s),
        Some(other) => {
            passthrough.insert(key.to_string(), other);
            None
        }
        None => None,
    };
    let modified_by = take(MODIFIED_BY);
    let modified_at = take(MODIFIED_AT);
    let parsed: Option<Vec<tenant::SkillRequirement>> = q
        .skill_requirements
        .iter()
        .map(|r| {
            Some(tenant::SkillRequirement {
                skill: r.skill.clone(),
                proficiency: Proficiency::parse(&r.proficiency)?,
                required: r.required,
            })
        })
        .collect();
    if parsed.is_none() {
        passthrough.insert(
            SKILL_REQUIREMENTS.into(),
            serde_json::to_value(&q.skill_requirements).unwrap_or(Value::Null),
        );
    }
    Queue {
        id: q.id,
        name: q.name,
        version: q.version,
        modified_at,
        modified_by,
        description: q.description,
        skill_requirements: parsed,
        service_level_target: q
            .service_level_target
            .map(|s| tenant::ServiceLevelTarget::whole(s.threshold, s.time)),
        overflow: q.overflow.map(|o| tenant::Overflow {
            enabled: o.enabled,
            target_id: o.target_id,
            wait_time: o.wait_time,
        }),
        max_wait_time: q.max_wait_time,
        max_waiters: q.max_waiters,
        settings: Default::default(),
        passthrough,
    }
}

/// A listed queue that does not read, as the port carries it.
pub fn unreadable_to_neutral(u: crate::UnreadableQueue) -> tenant::Unreadable {
    tenant::Unreadable {
        id: u.id,
        name: u.name.unwrap_or_default(),
        problem: u.problem,
    }
}

/// A neutral queue as this API's wire object (every field, since a PUT replaces the whole).
pub fn to_wire(q: &Queue) -> RemoteQueue {
    let mut extra = q.passthrough.clone();
    let raw_skills = extra.shift_remove(SKILL_REQUIREMENTS);
    for (key, value) in [(MODIFIED_BY, &q.modified_by), (MODIFIED_AT, &q.modified_at)] {
        if let Some(v) = value {
            extra.insert(key.to_string(), Value::String(v.clone()));
        }
    }
    let skill_requirements = match &q.skill_requirements {
        Some(reqs) => reqs
            .iter()
            .map(|r| SkillRequirement {
                skill: r.skill.clone(),
                proficiency: r.proficiency.as_str().to_string(),
                required: r.required,
            })
            .collect(),
        None => raw_skills
            .and_then(|v| serde_json::from_value(v).ok())
            .unwrap_or_default(),
    };
    RemoteQueue {
        id: q.id.clone(),
        name: q.name.clone(),
        version: q.version,
        description: q.description.clone(),
        skill_requirements,
        // Validation keeps this platform's targets whole (`DecimalRule::whole`).
        service_level_target: q.service_level_target.map(|s| ServiceLevelTarget {
            threshold: s.threshold.to_u32_saturating(),
            time: s.time.to_u32_saturating(),
        }),
        overflow: q.overflow.as_ref().map(|o| Overflow {
            enabled: o.enabled,
            target_id: o.target_id.clone(),
            wait_time: o.wait_time,
        }),
        max_wait_time: q.max_wait_time,
        max_waiters: q.max_waiters,
        extra,
    }
}

fn version_required(id: &str, if_match: Option<u64>) -> Result<u64, TenantError> {
    if_match.ok_or_else(|| {
        TenantError::Config(format!(
            "queue {id}: the routing API needs the version a write is based on (If-Match)"
        ))
    })
}

impl Tenant for HttpTenant {
    fn capabilities(&self) -> &Capabilities {
        &CAPABILITIES
    }

    async fn listing(&self) -> Result<Vec<Listed>, TenantError> {
        Ok(self
            .all_queues_as(|item| match item {
                Ok(q) => Listed::Queue(to_neutral(q)),
                Err(u) => Listed::Unreadable(unreadable_to_neutral(u)),
            })
            .await?)
    }

    async fn get_queue(&self, id: &str) -> Result<Queue, TenantError> {
        Ok(to_neutral(HttpTenant::get_queue(self, id).await?))
    }

    async fn create_queue(&self, queue: &Queue) -> Result<Queue, TenantError> {
        Ok(to_neutral(
            HttpTenant::create_queue(self, &to_wire(queue)).await?,
        ))
    }

    async fn update_queue(
        &self,
        id: &str,
        _base: &Queue,
        queue: &Queue,
        if_match: Option<u64>,
    ) -> Result<Queue, TenantError> {
        let version = version_required(id, if_match)?;
        let mut wire = to_wire(queue);
        wire.id = Some(id.to_string());
        Ok(to_neutral(
            HttpTenant::update_queue(self, &wire, version).await?,
        ))
    }

    async fn delete_queue(&self, id: &str, if_match: Option<u64>) -> Result<(), TenantError> {
        let version = version_required(id, if_match)?;
        Ok(HttpTenant::delete_queue(self, id, version).await?)
    }

    /// The routing API reports one snapshot per queue over its own interval (no window, no
    /// settle): it becomes one interval ending now, with the agents as the staffing and the
    /// `seed` policy's figures beside it.
    async fn queue_metrics(
        &self,
        query: &tenant::MetricsQuery,
    ) -> Result<Vec<tenant::QueueMetrics>, TenantError> {
        let figures = HttpTenant::queue_metrics(self).await?;
        Ok(figures
            .into_iter()
            .filter(|m| query.wants(&m.name))
            .map(|m| snapshot(m, query.now))
            .collect())
    }

    fn actor(&self) -> Option<&str> {
        Some(&self.config().client_id)
    }

    fn stats(&self) -> tenant::ClientStats {
        HttpTenant::stats(self)
    }

    async fn list_skills(&self) -> Result<Vec<NeutralSkill>, TenantError> {
        let skills = HttpTenant::list_skills(self).await?;
        Ok(skills
            .into_iter()
            .map(|s| NeutralSkill {
                id: s.id,
                name: s.name,
                state: s.state,
            })
            .collect())
    }
}

/// A routing-API snapshot in the port's shape.
fn snapshot(m: crate::client::QueueMetrics, now: i64) -> tenant::QueueMetrics {
    let intervals = match (m.offered, m.interval_seconds) {
        (Some(offered), Some(secs)) if secs.is_finite() && secs >= 0.0 => {
            let seconds = secs.round() as u64;
            vec![tenant::MetricsInterval {
                start: now.saturating_sub(i64::try_from(seconds).unwrap_or(i64::MAX)),
                seconds,
                offered,
                average_handle_time_seconds: m.average_handle_time_seconds,
                ..tenant::MetricsInterval::default()
            }]
        }
        _ => Vec::new(),
    };
    tenant::QueueMetrics {
        queue_id: m.queue_id,
        name: m.name,
        window: None,
        intervals,
        staffing: m.agents.map(|agents| tenant::Staffing {
            agents,
            source: "agents".into(),
        }),
        seed: Some(tenant::SeedFigures {
            active_interactions: m.active_interactions,
            max_capacity: m.max_capacity,
            coverage_ratio: m.coverage_ratio,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_queue_survives_the_trip_to_neutral_and_back() {
        let json = r#"{"id":"q1","name":"A","version":3,"description":"d",
            "skillRequirements":[{"skill":"s","proficiency":"expert","required":true}],
            "serviceLevelTarget":{"threshold":80,"time":20},
            "overflow":{"enabled":true,"targetId":"q2","waitTime":60},
            "maxWaitTime":300,"maxWaiters":10,"division":{"id":"d1"},
            "modifiedBy":"someone","dateModified":"2026-01-01T00:00:00Z"}"#;
        let wire: RemoteQueue = serde_json::from_str(json).unwrap();
        let neutral = to_neutral(wire.clone());
        assert_eq!(neutral.modified_by.as_deref(), Some("someone"));
        assert_eq!(
            neutral.skill_requirements.as_ref().unwrap()[0].proficiency,
            Proficiency::Expert
        );
        assert_eq!(to_wire(&neutral), wire);
    }

    #[test]
    fn an_unknown_proficiency_is_kept_as_sent() {
        let json = r#"{"id":"q1","name":"A","version":1,
            "skillRequirements":[{"skill":"s","proficiency":"guru","required":false}]}"#;
        let wire: RemoteQueue = serde_json::from_str(json).unwrap();
        let neutral = to_neutral(wire.clone());
        assert_eq!(neutral.skill_requirements, None);
        assert_eq!(
            to_wire(&neutral).skill_requirements,
            wire.skill_requirements
        );
    }

    #[test]
    fn api_errors_keep_their_words_through_the_port() {
        let cases = [
            ApiError::BadRequest {
                errors: vec!["maxWaiters: too big".into()],
            },
            ApiError::Network {
                base_url: "https://x".into(),
                reason: "refused".into(),
            },
            ApiError::NotFound {
                what: "queue q1".into(),
            },
            ApiError::Config("plain http".into()),
        ];
        for e in cases {
            let words = e.to_string();
            assert_eq!(TenantError::from(e).to_string(), words);
        }
    }
}
