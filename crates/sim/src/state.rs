//! The shared state behind a simulator: tenant data, faults, counters.

use std::{
    fmt,
    sync::{Arc, Mutex, MutexGuard, PoisonError},
};

use serde_json::Value;

use crate::{
    Faults, License, Seed, SimClient, SimError, Stats, faults::FaultState, tenant::Tenant,
};

/// A simulated tenant's state; cheap to clone (all clones share it). Build one with
/// [`SimState::new`] and serve it with [`router`](crate::router) or [`serve`](crate::serve).
#[derive(Clone)]
pub struct SimState {
    shared: Arc<Shared>,
}

// Lock order, where nested: tenant, then faults, then stats.
struct Shared {
    tenant: Mutex<Tenant>,
    faults: Mutex<FaultState>,
    stats: Mutex<Stats>,
    genesys: Mutex<crate::genesys::Memory>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl fmt::Debug for SimState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SimState")
            .field("tenant", &*lock(&self.shared.tenant))
            .field("faults", lock(&self.shared.faults).faults())
            .finish_non_exhaustive()
    }
}

impl SimState {
    /// Builds a tenant from a seed (refused with every reason if invalid) with these faults
    /// (refused if out of range).
    pub fn new(seed: Seed, faults: Faults) -> Result<Self, SimError> {
        faults.validate()?;
        let tenant = Tenant::from_seed(seed)?;
        Ok(Self {
            shared: Arc::new(Shared {
                tenant: Mutex::new(tenant),
                faults: Mutex::new(FaultState::new(faults)),
                stats: Mutex::new(Stats::default()),
                genesys: Mutex::default(),
            }),
        })
    }

    pub(crate) fn tenant(&self) -> MutexGuard<'_, Tenant> {
        lock(&self.shared.tenant)
    }

    pub(crate) fn fault_state(&self) -> MutexGuard<'_, FaultState> {
        lock(&self.shared.faults)
    }

    pub(crate) fn genesys(&self) -> MutexGuard<'_, crate::genesys::Memory> {
        lock(&self.shared.genesys)
    }

    pub(crate) fn stats_mut(&self) -> MutexGuard<'_, Stats> {
        lock(&self.shared.stats)
    }

    /// Replaces every fault knob (values out of range are clamped; use
    /// [`Faults::validate`] first to be told instead). Resets the limiter and random state.
    pub fn set_faults(&self, faults: Faults) {
        let faults = faults.clamped();
        *self.fault_state() = FaultState::new(faults);
    }

    /// The faults in force, with their counters as they stand now.
    pub fn faults(&self) -> Faults {
        self.fault_state().faults().clone()
    }

    /// A snapshot of the counters.
    pub fn stats(&self) -> Stats {
        self.stats_mut().clone()
    }

    /// Zeroes the counters.
    pub fn reset_stats(&self) {
        *self.stats_mut() = Stats::default();
    }

    /// Every queue, in listing order, as the API returns them.
    pub fn queues(&self) -> Vec<Value> {
        self.tenant().all_queues()
    }

    /// The queue with this name.
    pub fn queue_by_name(&self, name: &str) -> Option<Value> {
        self.tenant().queue_by_name(name).cloned()
    }

    /// The queue with this id.
    pub fn queue(&self, id: &str) -> Option<Value> {
        self.tenant().queue(id).cloned()
    }

    /// Every skill (`{id, name, state}`).
    pub fn skills(&self) -> Vec<Value> {
        self.tenant().skills()
    }

    /// A rival edit, right now: sets `field` (top-level, or a dotted path) on the queue named
    /// `name` (or with that id), bumps its version and sets `modifiedBy`. Not validated.
    pub fn edit_queue(
        &self,
        name: &str,
        field: &str,
        value: Value,
        modified_by: &str,
    ) -> Result<Value, SimError> {
        self.tenant().edit(name, field, value, modified_by)
    }

    /// The first (default) client's credentials.
    pub fn client(&self) -> SimClient {
        self.tenant()
            .clients()
            .first()
            .cloned()
            .unwrap_or_else(SimClient::demo)
    }

    /// Every client the tenant knows.
    pub fn clients(&self) -> Vec<SimClient> {
        self.tenant().clients().to_vec()
    }

    /// The tenant's license.
    pub fn license(&self) -> License {
        self.tenant().license()
    }

    /// Changes the license (existing queues are left as they are).
    pub fn set_license(&self, license: License) {
        self.tenant().set_license(license);
    }
}
