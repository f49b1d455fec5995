//! `plan(desired, observed) -> Plan`: the pure diff of a repository against a tenant.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;

use cxone::{RemoteQueue, Skill};
use model::{Diagnostic, IdKind, QueueDef, Repository, Rule};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::desired::{Desired, DesiredOverflow, TargetRef, sorted};

/// What the tenant holds now.
#[derive(Clone, Debug, Default)]
pub struct Observed {
    pub queues: Vec<RemoteQueue>,
    pub skills: Vec<Skill>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    Create,
    Update,
    Delete,
}

/// One changed field, with display values (overflow targets by name where known).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FieldChange {
    pub path: String,
    pub before: Value,
    pub after: Value,
}

/// One queue to create, update or delete.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Change {
    pub name: String,
    /// The tenant id (none for a create).
    pub id: Option<String>,
    pub action: Action,
    /// The tenant version the change was planned against (none for a create).
    pub version: Option<u64>,
    pub fields: Vec<FieldChange>,
    /// The repository file that declares the queue.
    pub file: PathBuf,
    /// The declared fields, re-applied onto the tenant object at apply time.
    pub desired: Desired,
    /// Names of queues changed in this plan that must be applied before this one.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub after: Vec<String>,
}

/// A tenant queue that no document manages.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Unmanaged {
    pub id: String,
    pub name: String,
}

/// The counts of a plan.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    pub create: usize,
    pub update: usize,
    pub delete: usize,
    pub unchanged: usize,
    pub unmanaged: usize,
}

/// What apply would do, in the order it must be done: creates and updates with overflow
/// targets before the queues that point at them, deletes last.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    pub changes: Vec<Change>,
    pub unchanged: Vec<String>,
    pub unmanaged: Vec<Unmanaged>,
    /// Tenant ids of the repository queues that exist in the tenant, by name: how overflow
    /// targets by name resolve at apply time.
    #[serde(default)]
    pub ids: std::collections::BTreeMap<String, String>,
    /// Tenant-aware errors: a plan with any is not applied.
    #[serde(skip)]
    pub diagnostics: Vec<Diagnostic>,
}

impl Plan {
    pub fn summary(&self) -> Summary {
        let count = |a| self.changes.iter().filter(|c| c.action == a).count();
        Summary {
            create: count(Action::Create),
            update: count(Action::Update),
            delete: count(Action::Delete),
            unchanged: self.unchanged.len(),
            unmanaged: self.unmanaged.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.changes.is_empty()
    }

    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }
}

enum Match<'a> {
    None,
    One(&'a RemoteQueue),
    Many(Vec<&'a RemoteQueue>),
}

/// Diffs `repo` (already validated offline) against `observed`, and runs the checks that need
/// the tenant: skills exist, `targetId`s and pinned ids exist, no cycle or over-long chain on
/// the graph of repo queues plus the unmanaged tenant queues' own overflow edges.
pub fn plan(repo: &Repository, observed: &Observed) -> Plan {
    // Ids compare in their canonical form (without case, for UUIDs).
    let kind = repo.id_kind;
    let by_id: HashMap<String, &RemoteQueue> = observed
        .queues
        .iter()
        .filter_map(|q| {
            q.id.as_deref()
                .map(|id| (kind.canonical(id).into_owned(), q))
        })
        .collect();
    let mut by_name: HashMap<&str, Vec<&RemoteQueue>> = HashMap::new();
    for q in &observed.queues {
        by_name.entry(q.name.as_str()).or_default().push(q);
    }
    let skills: HashSet<&str> = observed.skills.iter().map(|s| s.name.as_str()).collect();
    let id_to_name = |id: &str| {
        by_id
            .get(kind.canonical(id).as_ref())
            .map(|q| q.name.clone())
    };

    let mut diags = Vec::new();
    let mut matched: HashMap<&str, Option<&RemoteQueue>> = HashMap::new();
    let mut managed_ids: HashSet<&str> = HashSet::new();

    for def in &repo.queues {
        let md = &def.doc.metadata;
        let m = match &md.id {
            Some(id) => match by_id.get(kind.canonical(&id.value).as_ref()) {
                Some(q) => Match::One(q),
                None if md.deleted => Match::None,
                None => {
                    diags.push(
                        Diagnostic::error(
                            Rule::UnknownPinnedId,
                            &def.file,
                            id.loc,
                            format!("metadata.id {} pins a queue the tenant does not have", id.value),
                        )
                        .with_hint("remove metadata.id to create the queue, or fix the id (see `cxqueues import`)"),
                    );
                    continue;
                }
            },
            None => match by_name.get(md.name.value.as_str()).map(Vec::as_slice) {
                None | Some([]) => Match::None,
                Some([one]) => Match::One(one),
                Some(many) => Match::Many(many.to_vec()),
            },
        };
        match m {
            Match::Many(qs) => {
                let ids: Vec<&str> = qs.iter().filter_map(|q| q.id.as_deref()).collect();
                diags.push(
                    Diagnostic::error(
                        Rule::AmbiguousName,
                        &def.file,
                        md.name.loc,
                        format!(
                            "the tenant has {} queues named {:?} (ids {})",
                            qs.len(),
                            md.name.value,
                            ids.join(", ")
                        ),
                    )
                    .with_hint("pin the intended one with metadata.id"),
                );
            }
            Match::One(q) => {
                if let Some(id) = q.id.as_deref() {
                    managed_ids.insert(id);
                }
                matched.insert(md.name.value.as_str(), Some(q));
            }
            Match::None => {
                matched.insert(md.name.value.as_str(), None);
            }
        }
        check_tenant_refs(def, &skills, &by_id, kind, &mut diags);
    }

    // The unmanaged tenant queues.
    let unmanaged: Vec<&RemoteQueue> = observed
        .queues
        .iter()
        .filter(|q| q.id.as_deref().is_some_and(|id| !managed_ids.contains(id)))
        .collect();

    crate::tenant_graph::check(repo, &matched, &unmanaged, &mut diags);

    // The changes.
    let mut changes = Vec::new();
    let mut unchanged = Vec::new();
    for def in &repo.queues {
        let name = def.name();
        let Some(current) = matched.get(name) else {
            continue;
        };
        let desired = Desired::from_doc(&def.doc);
        if def.doc.metadata.deleted {
            if let Some(q) = current {
                changes.push(Change {
                    name: name.to_string(),
                    id: q.id.clone(),
                    action: Action::Delete,
                    version: q.version,
                    fields: Vec::new(),
                    file: def.file.clone(),
                    desired,
                    after: Vec::new(),
                });
            }
            continue;
        }
        let resolve_display = |t: &TargetRef| -> Value {
            match t {
                TargetRef::Name(n) => Value::String(n.clone()),
                TargetRef::Id(id) => Value::String(id_to_name(id).unwrap_or_else(|| id.clone())),
            }
        };
        let fields = diff(
            &desired,
            current.as_deref(),
            &resolve_display,
            &id_to_name,
            &matched,
            kind,
        );
        let action = match current {
            None => Action::Create,
            Some(_) if fields.is_empty() => {
                unchanged.push(name.to_string());
                continue;
            }
            Some(_) => Action::Update,
        };
        changes.push(Change {
            name: name.to_string(),
            id: current.and_then(|q| q.id.clone()),
            action,
            version: current.and_then(|q| q.version),
            fields,
            file: def.file.clone(),
            desired,
            after: Vec::new(),
        });
    }
    order(&mut changes);
    let ids = matched
        .iter()
        .filter_map(|(name, q)| Some((name.to_string(), q.as_ref()?.id.clone()?)))
        .collect();
    Plan {
        ids,
        changes,
        unchanged,
        unmanaged: unmanaged
            .iter()
            .map(|q| Unmanaged {
                id: q.id.clone().unwrap_or_default(),
                name: q.name.clone(),
            })
            .collect(),
        diagnostics: diags,
    }
}

/// The target id a desired overflow resolves to now (a name whose queue does not exist yet
/// resolves to `None`).
fn current_target_id(
    t: &TargetRef,
    matched: &HashMap<&str, Option<&RemoteQueue>>,
) -> Option<String> {
    match t {
        TargetRef::Id(id) => Some(id.clone()),
        TargetRef::Name(n) => matched
            .get(n.as_str())
            .copied()
            .flatten()
            .and_then(|q| q.id.clone()),
    }
}

fn overflow_display(o: &Option<DesiredOverflow>, resolve: &dyn Fn(&TargetRef) -> Value) -> Value {
    match o {
        None => Value::Null,
        Some(o) => {
            json!({"target": resolve(&o.target), "waitTime": o.wait_time, "enabled": o.enabled})
        }
    }
}

fn diff(
    d: &Desired,
    current: Option<&RemoteQueue>,
    resolve: &dyn Fn(&TargetRef) -> Value,
    id_to_name: &dyn Fn(&str) -> Option<String>,
    matched: &HashMap<&str, Option<&RemoteQueue>>,
    kind: IdKind,
) -> Vec<FieldChange> {
    let mut out = Vec::new();
    let mut field = |path: &str, before: Value, after: Value| {
        if before != after {
            out.push(FieldChange {
                path: path.to_string(),
                before,
                after,
            });
        }
    };
    let cur = current;
    if let Some(desc) = &d.description {
        field(
            "description",
            cur.and_then(|q| q.description.clone())
                .map_or(Value::Null, Value::String),
            Value::String(desc.clone()),
        );
    }
    if let Some(s) = &d.skill_requirements {
        let before = cur.map_or(Value::Null, |q| json!(sorted(&q.skill_requirements)));
        field("skillRequirements", before, json!(sorted(s)));
    }
    if let Some(s) = &d.service_level_target {
        let b = cur.and_then(|q| q.service_level_target);
        field(
            "serviceLevelTarget.threshold",
            b.map_or(Value::Null, |b| json!(b.threshold)),
            json!(s.threshold),
        );
        field(
            "serviceLevelTarget.time",
            b.map_or(Value::Null, |b| json!(b.time)),
            json!(s.time),
        );
    }
    if let Some(v) = d.max_wait_time {
        field(
            "maxWaitTime",
            cur.and_then(|q| q.max_wait_time)
                .map_or(Value::Null, |b| json!(b)),
            json!(v),
        );
    }
    if let Some(v) = d.max_waiters {
        field(
            "maxWaiters",
            cur.and_then(|q| q.max_waiters)
                .map_or(Value::Null, |b| json!(b)),
            json!(v),
        );
    }
    if let Some(o) = &d.overflow {
        let name_of = |id: &str| id_to_name(id).unwrap_or_else(|| id.to_string());
        match (cur.and_then(|q| q.overflow.as_ref()), o) {
            (Some(b), Some(a)) => {
                let target_now = current_target_id(&a.target, matched);
                if !target_now.is_some_and(|now| kind.same(&now, &b.target_id)) {
                    field(
                        "overflow.target",
                        Value::String(name_of(&b.target_id)),
                        resolve(&a.target),
                    );
                }
                field("overflow.waitTime", json!(b.wait_time), json!(a.wait_time));
                field("overflow.enabled", json!(b.enabled), json!(a.enabled));
            }
            // To or from "none" (`field` skips none → none).
            (b, a) => {
                let before = b.map_or(Value::Null, |b| {
                    json!({"target": name_of(&b.target_id), "waitTime": b.wait_time, "enabled": b.enabled})
                });
                field("overflow", before, overflow_display(a, resolve));
            }
        }
    }
    out
}

fn check_tenant_refs(
    def: &QueueDef,
    skills: &HashSet<&str>,
    by_id: &HashMap<String, &RemoteQueue>,
    kind: IdKind,
    diags: &mut Vec<Diagnostic>,
) {
    if def.doc.metadata.deleted {
        return;
    }
    let spec = &def.doc.spec;
    if let Some(reqs) = &spec.skill_requirements {
        for r in &reqs.value {
            if !skills.contains(r.skill.value.as_str()) {
                let known: Vec<String> = skills.iter().map(|s| s.to_string()).collect();
                let mut d = Diagnostic::error(
                    Rule::UnknownSkill,
                    &def.file,
                    r.skill.loc,
                    format!("skill {:?} does not exist in the tenant", r.skill.value),
                );
                if let Some(n) = model::yaml::nearest(&r.skill.value, &known) {
                    d = d.with_hint(format!("did you mean `{n}`?"));
                }
                diags.push(d);
            }
        }
    }
    if let Some(Some(o)) = &spec.overflow
        && let Some(id) = &o.value.target_id
        && !by_id.contains_key(kind.canonical(&id.value).as_ref())
    {
        diags.push(
            Diagnostic::error(
                Rule::UnknownTargetId,
                &def.file,
                id.loc,
                format!(
                    "overflow.targetId {} is not a queue of the tenant",
                    id.value
                ),
            )
            .with_hint("use `target: <name>` for a queue of this repository"),
        );
    }
}

/// Orders changes: creates/updates topologically by overflow target (targets first), then
/// deletes, a queue pointing at another tombstoned queue deleted before it. `after` records
/// the dependencies within a phase; apply runs every delete after every create and update.
fn order(changes: &mut Vec<Change>) {
    let index: HashMap<String, usize> = changes
        .iter()
        .enumerate()
        .map(|(i, c)| (c.name.clone(), i))
        .collect();
    // Dependencies: for creates/updates, the changed target; for deletes, the reverse.
    for i in 0..changes.len() {
        if changes[i].action == Action::Delete {
            continue;
        }
        if let Some(t) = changes[i].desired.target_name()
            && let Some(&j) = index.get(t)
            && changes[j].action != Action::Delete
            && j != i
        {
            let t = t.to_string();
            changes[i].after.push(t);
        }
    }
    let deleted: HashMap<&str, usize> = changes
        .iter()
        .enumerate()
        .filter(|(_, c)| c.action == Action::Delete)
        .map(|(i, c)| (c.name.as_str(), i))
        .collect();
    let mut delete_after: Vec<(usize, String)> = Vec::new();
    for (i, c) in changes.iter().enumerate() {
        if c.action == Action::Delete
            && let Some(t) = c.desired.target_name()
            && let Some(&j) = deleted.get(t)
            && j != i
        {
            // The target j is deleted after the queue i that points at it.
            delete_after.push((j, c.name.clone()));
        }
    }
    for (j, name) in delete_after {
        changes[j].after.push(name);
    }
    // Kahn's algorithm, stable by original order (creates/updates before deletes).
    let n = changes.len();
    let mut indeg = vec![0usize; n];
    let mut users: Vec<Vec<usize>> = vec![Vec::new(); n];
    for (i, c) in changes.iter().enumerate() {
        for dep in &c.after {
            if let Some(&j) = index.get(dep) {
                indeg[i] += 1;
                users[j].push(i);
            }
        }
    }
    let mut ready: std::collections::BTreeSet<(u8, usize)> = (0..n)
        .filter(|&i| indeg[i] == 0)
        .map(|i| (u8::from(changes[i].action == Action::Delete), i))
        .collect();
    let mut out = Vec::with_capacity(n);
    while let Some(first) = ready.pop_first() {
        let i = first.1;
        out.push(i);
        for &u in &users[i] {
            indeg[u] -= 1;
            if indeg[u] == 0 {
                ready.insert((u8::from(changes[u].action == Action::Delete), u));
            }
        }
    }
    // A cycle among changes cannot happen in a valid repository; keep any leftovers in order.
    if out.len() < n {
        let seen: HashSet<usize> = out.iter().copied().collect();
        out.extend((0..n).filter(|i| !seen.contains(i)));
    }
    let mut taken: Vec<Option<Change>> = std::mem::take(changes).into_iter().map(Some).collect();
    *changes = out.into_iter().filter_map(|i| taken[i].take()).collect();
}
