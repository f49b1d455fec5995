//! Genesys Cloud behind the port.

use tenant::{
    Capabilities, ClientStats, DeleteMode, IdKind, Listed, Queue, QueueField, Skill, Tenant,
    TenantError, UpdateMode, WriteMode,
};

use crate::{Config, GenesysTenant};

/// What a Genesys Cloud queue can hold, and how it is written: no versions (last writer
/// wins), a PUT replaces the whole object, queues are deleted, ids are UUIDs.
pub const CAPABILITIES: Capabilities = Capabilities {
    platform: "genesys-cloud",
    fields: &[
        QueueField::Description,
        QueueField::ServiceLevelTarget,
        QueueField::SkillRequirements,
    ],
    elsewhere: &[
        (
            QueueField::MaxWaitTime,
            "the Architect in-queue flow of the queue (Genesys queues have no max wait)",
        ),
        (
            QueueField::MaxWaiters,
            "in-queue flow logic (Genesys has no max-waiters setting in its API)",
        ),
        (
            QueueField::Overflow,
            "a transfer in the queue's Architect in-queue flow",
        ),
    ],
    settings_block: Some("genesys"),
    writes: WriteMode::LastWriterWins,
    updates: UpdateMode::Replace,
    deletes: DeleteMode::Delete,
    ids: IdKind::Uuid,
    page_size: Config::DEFAULT_PAGE_SIZE,
    names: None,
    active_setting: None,
    create_only: &[],
};

impl Tenant for GenesysTenant {
    fn capabilities(&self) -> &Capabilities {
        &CAPABILITIES
    }

    async fn listing(&self) -> Result<Vec<Listed>, TenantError> {
        GenesysTenant::listing(self).await
    }

    async fn get_queue(&self, id: &str) -> Result<Queue, TenantError> {
        GenesysTenant::get_queue(self, id).await
    }

    async fn create_queue(&self, queue: &Queue) -> Result<Queue, TenantError> {
        GenesysTenant::create_queue(self, queue).await
    }

    /// `queue` is `base` (a GET made just before, by reconcile) with the declared fields set:
    /// it is PUT whole. `if_match` is ignored (Genesys has no versions).
    async fn update_queue(
        &self,
        id: &str,
        base: &Queue,
        queue: &Queue,
        _if_match: Option<u64>,
    ) -> Result<Queue, TenantError> {
        GenesysTenant::write_queue(self, id, base, queue).await
    }

    async fn delete_queue(&self, id: &str, _if_match: Option<u64>) -> Result<(), TenantError> {
        GenesysTenant::delete_queue(self, id).await
    }

    async fn list_skills(&self) -> Result<Vec<Skill>, TenantError> {
        GenesysTenant::list_skills(self).await
    }

    async fn queue_metrics(
        &self,
        query: &tenant::MetricsQuery,
    ) -> Result<Vec<tenant::QueueMetrics>, TenantError> {
        GenesysTenant::queue_metrics(self, query).await
    }

    fn stats(&self) -> ClientStats {
        GenesysTenant::stats(self)
    }
}
