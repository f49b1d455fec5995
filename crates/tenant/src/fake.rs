//! An in-memory tenant for pure tests: no HTTP, no runtime needed.

use std::collections::BTreeMap;
use std::sync::Mutex;

use crate::{
    Capabilities, DeleteMode, IdKind, Listed, Queue, QueueField, Skill, Tenant, TenantError,
    Unreadable, UpdateMode, WriteMode,
};

/// The capabilities of the routing API contract: every field, conditional writes.
const FAKE_CAPABILITIES: Capabilities = Capabilities {
    platform: "fake",
    fields: &QueueField::ALL,
    elsewhere: &[],
    settings_block: None,
    writes: WriteMode::Conditional,
    updates: UpdateMode::Replace,
    deletes: DeleteMode::Delete,
    ids: IdKind::Uuid,
    page_size: 500,
    names: None,
    active_setting: None,
    create_only: &[],
};

#[derive(Debug, Default)]
struct State {
    queues: BTreeMap<String, Queue>,
    /// Listed items that do not read.
    unreadable: Vec<Unreadable>,
    skills: Vec<Skill>,
    next_id: u64,
    writes: usize,
    /// Every call fails with a transport error (the tenant is down).
    down: bool,
    /// Writes to queues of these names are rejected.
    refused: Vec<String>,
}

/// An in-memory tenant. Ids are `00000000-0000-4000-8000-{n:012}`; versions start at 1 and
/// grow by one per write; with [`WriteMode::Conditional`] a stale `if_match` is a conflict.
#[derive(Debug)]
pub struct FakeTenant {
    caps: Capabilities,
    state: Mutex<State>,
}

impl Default for FakeTenant {
    fn default() -> Self {
        Self::new(FAKE_CAPABILITIES)
    }
}

impl FakeTenant {
    /// An empty tenant with these capabilities.
    pub fn new(caps: Capabilities) -> Self {
        Self {
            caps,
            state: Mutex::new(State::default()),
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Adds skills by name.
    pub fn with_skills(self, names: &[&str]) -> Self {
        {
            let mut s = self.state();
            for (i, n) in names.iter().enumerate() {
                s.skills.push(Skill {
                    id: format!("skill-{i}"),
                    name: n.to_string(),
                    state: "active".into(),
                });
            }
        }
        self
    }

    /// Puts a queue in place as if someone else had created it; returns its id.
    pub fn insert(&self, mut queue: Queue) -> String {
        let mut s = self.state();
        s.next_id += 1;
        let id = queue
            .id
            .clone()
            .unwrap_or_else(|| format!("00000000-0000-4000-8000-{:012}", s.next_id));
        queue.id = Some(id.clone());
        self.stamp(&mut queue, None, s.next_id);
        s.queues.insert(id.clone(), queue);
        id
    }

    /// Marks a write: the next version where writes are conditional (none otherwise), and a
    /// new modification marker.
    fn stamp(&self, q: &mut Queue, previous: Option<u64>, tick: u64) {
        q.version = match self.caps.writes {
            WriteMode::Conditional => Some(previous.map_or(1, |v| v + 1)),
            WriteMode::LastWriterWins => None,
        };
        q.modified_at = Some(format!("tick-{tick}"));
    }

    /// Edits a queue behind reconcile's back (a rival admin), bumping its version.
    pub fn edit(&self, id: &str, f: impl FnOnce(&mut Queue)) {
        self.edit_as(id, "rival", f);
    }

    /// Edits a queue as `who` (the tenant's `modified_by`), bumping its version.
    pub fn edit_as(&self, id: &str, who: &str, f: impl FnOnce(&mut Queue)) {
        let mut s = self.state();
        s.next_id += 1;
        let tick = s.next_id;
        if let Some(q) = s.queues.get_mut(id) {
            f(q);
            let previous = q.version;
            self.stamp(q, previous, tick);
            q.modified_by = Some(who.into());
        }
    }

    /// One queue as the tenant holds it now.
    pub fn queue(&self, id: &str) -> Option<Queue> {
        self.state().queues.get(id).cloned()
    }

    /// One queue as the tenant holds it now, by name.
    pub fn queue_by_name(&self, name: &str) -> Option<Queue> {
        let s = self.state();
        s.queues.values().find(|q| q.name == name).cloned()
    }

    /// Writes (creates, updates, deletes) that succeeded.
    pub fn writes(&self) -> usize {
        self.state().writes
    }

    /// Lists an item that does not read, beside the queues.
    pub fn insert_unreadable(&self, item: Unreadable) {
        self.state().unreadable.push(item);
    }

    /// While `down`, every call fails with [`TenantError::Transport`].
    pub fn set_down(&self, down: bool) {
        self.state().down = down;
    }

    /// Rejects every write to the queue named `name` ([`TenantError::Rejected`]).
    pub fn refuse_writes_to(&self, name: &str) {
        self.state().refused.push(name.to_string());
    }

    /// The outage or refusal set for a call touching `name` (any queue when `None`).
    fn fault(&self, name: Option<&str>) -> Result<(), TenantError> {
        let s = self.state();
        if s.down {
            return Err(TenantError::transport_message("the fake tenant is down"));
        }
        match name {
            Some(n) if s.refused.iter().any(|r| r == n) => Err(TenantError::Rejected {
                reasons: vec![format!("writes to {n:?} are refused")],
            }),
            _ => Ok(()),
        }
    }

    fn check_version(&self, q: &Queue, if_match: Option<u64>) -> Result<(), TenantError> {
        if self.caps.writes == WriteMode::Conditional && q.version != if_match {
            return Err(TenantError::Conflict {
                id: q.id.clone().unwrap_or_default(),
                current_version: q.version,
            });
        }
        Ok(())
    }
}

fn not_found(id: &str) -> TenantError {
    TenantError::NotFound {
        what: format!("queue {id}"),
    }
}

impl Tenant for FakeTenant {
    fn capabilities(&self) -> &Capabilities {
        &self.caps
    }

    fn actor(&self) -> Option<&str> {
        Some("cxqueues")
    }

    async fn listing(&self) -> Result<Vec<Listed>, TenantError> {
        self.fault(None)?;
        let state = self.state();
        let queues = state.queues.values().cloned().map(Listed::Queue);
        let unreadable = state.unreadable.iter().cloned().map(Listed::Unreadable);
        Ok(queues.chain(unreadable).collect())
    }

    async fn get_queue(&self, id: &str) -> Result<Queue, TenantError> {
        self.fault(None)?;
        self.queue(id).ok_or_else(|| not_found(id))
    }

    async fn create_queue(&self, queue: &Queue) -> Result<Queue, TenantError> {
        self.fault(Some(&queue.name))?;
        if self.state().queues.values().any(|q| q.name == queue.name) {
            return Err(TenantError::Rejected {
                reasons: vec![format!("a queue named {:?} already exists", queue.name)],
            });
        }
        let mut q = queue.clone();
        q.id = None;
        q.version = None;
        q.modified_by = Some("cxqueues".into());
        let id = self.insert(q);
        self.state().writes += 1;
        self.get_queue(&id).await
    }

    async fn update_queue(
        &self,
        id: &str,
        _base: &Queue,
        queue: &Queue,
        if_match: Option<u64>,
    ) -> Result<Queue, TenantError> {
        self.fault(Some(&queue.name))?;
        let mut s = self.state();
        let current = s.queues.get(id).cloned().ok_or_else(|| not_found(id))?;
        self.check_version(&current, if_match)?;
        let mut q = queue.clone();
        q.id = Some(id.to_string());
        s.next_id += 1;
        let tick = s.next_id;
        self.stamp(&mut q, current.version, tick);
        q.modified_by = Some("cxqueues".into());
        s.queues.insert(id.to_string(), q.clone());
        s.writes += 1;
        Ok(q)
    }

    async fn delete_queue(&self, id: &str, if_match: Option<u64>) -> Result<(), TenantError> {
        let name = self.queue(id).map(|q| q.name);
        self.fault(name.as_deref())?;
        let mut s = self.state();
        let current = s.queues.get(id).cloned().ok_or_else(|| not_found(id))?;
        self.check_version(&current, if_match)?;
        s.queues.remove(id);
        s.writes += 1;
        Ok(())
    }

    async fn list_skills(&self) -> Result<Vec<Skill>, TenantError> {
        self.fault(None)?;
        Ok(self.state().skills.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures::executor::block_on;

    #[test]
    fn a_stale_version_is_a_conflict_and_changes_nothing() {
        let t = FakeTenant::default();
        let id = t.insert(Queue::named("A"));
        t.edit(&id, |q| q.max_wait_time = Some(200));
        let mut mine = Queue::named("A");
        mine.max_wait_time = Some(100);
        let err = block_on(t.update_queue(&id, &mine, &mine, Some(1))).unwrap_err();
        assert!(err.is_conflict(), "{err}");
        assert_eq!(t.queue(&id).unwrap().max_wait_time, Some(200));
        let ok = block_on(t.update_queue(&id, &mine, &mine, Some(2))).unwrap();
        assert_eq!(ok.version, Some(3));
        assert_eq!(t.writes(), 1);
    }

    #[test]
    fn a_down_tenant_fails_every_call_and_a_refused_name_only_its_writes() {
        let t = FakeTenant::default();
        let a = t.insert(Queue::named("A"));
        t.insert(Queue::named("B"));
        t.refuse_writes_to("A");
        let err = block_on(t.update_queue(&a, &Queue::named("A"), &Queue::named("A"), Some(1)));
        assert!(matches!(err, Err(TenantError::Rejected { .. })), "{err:?}");
        assert_eq!(block_on(t.list_queues()).unwrap().len(), 2);
        t.set_down(true);
        let err = block_on(t.list_queues()).unwrap_err();
        assert!(matches!(err, TenantError::Transport { .. }), "{err}");
        t.set_down(false);
        t.insert_unreadable(Unreadable {
            id: Some("x".into()),
            name: "Broken".into(),
            problem: "maxWaiters -5".into(),
        });
        let listed = block_on(t.listing()).unwrap();
        assert_eq!(listed.len(), 3);
        assert_eq!(block_on(t.list_queues()).unwrap().len(), 2);
        assert_eq!(t.writes(), 0);
    }

    #[test]
    fn creating_a_taken_name_is_rejected() {
        let t = FakeTenant::default();
        t.insert(Queue::named("A"));
        let err = block_on(t.create_queue(&Queue::named("A"))).unwrap_err();
        assert!(matches!(err, TenantError::Rejected { .. }), "{err}");
    }
}
