//! Traffic figures per queue: `GET /api/v2/analytics/queues/metrics` (a simulator extension of
//! the contract, documented in `docs/metrics-api.md`), paged like the queue list.

use serde::{Deserialize, Serialize};

use super::HttpTenant;
use crate::ApiError;

/// The endpoint, as named in [`ClientStats`](super::ClientStats).
pub const QUEUE_METRICS: &str = "GET /api/v2/analytics/queues/metrics";
const METRICS_PATH: [&str; 5] = ["api", "v2", "analytics", "queues", "metrics"];

/// One queue's traffic figures over the tenant's reporting interval. Every figure is
/// optional: a tenant reports what it measures.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct QueueMetrics {
    /// The queue's id in the tenant.
    #[serde(default)]
    pub queue_id: Option<String>,
    /// The queue's name.
    pub name: String,
    #[serde(default)]
    pub interval_seconds: Option<f64>,
    /// Contacts offered in the interval.
    #[serde(default)]
    pub offered: Option<f64>,
    #[serde(default)]
    pub average_handle_time_seconds: Option<f64>,
    /// Staffed agents.
    #[serde(default)]
    pub agents: Option<u32>,
    #[serde(default)]
    pub active_interactions: Option<f64>,
    #[serde(default)]
    pub max_capacity: Option<f64>,
    /// 0–1.
    #[serde(default)]
    pub coverage_ratio: Option<f64>,
}

impl HttpTenant {
    /// The traffic figures of every queue of the tenant (every page).
    pub async fn queue_metrics(&self) -> Result<Vec<QueueMetrics>, ApiError> {
        self.list_all(&METRICS_PATH, QUEUE_METRICS).await
    }
}

impl super::Listed for QueueMetrics {
    fn list_id(&self) -> Option<&str> {
        // A row without an id is told apart by its queue's name.
        self.queue_id.as_deref().or(Some(&self.name))
    }
}
