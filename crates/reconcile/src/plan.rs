//! `plan(desired, observed) -> Plan`: the pure diff of a repository against a tenant.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::path::PathBuf;

use model::{Diagnostic, IdKind, QueueDef, Repository, Rule};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tenant::{Queue, Skill, Unreadable};

use crate::desired::{Desired, DesiredOverflow, TargetRef, sorted};
use crate::order::Schedule;

/// What the tenant holds now.
#[derive(Clone, Debug, Default)]
pub struct Observed {
    pub queues: Vec<Queue>,
    pub skills: Vec<Skill>,
    /// Listed queues the adapter could not read: only id and name, with why.
    pub unreadable: Vec<Unreadable>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    Create,
    Update,
    Delete,
}

impl Action {
    /// The action in words, as the plan's JSON writes it: `create`, `update`, `delete`.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Create => "create",
            Action::Update => "update",
            Action::Delete => "delete",
        }
    }
}

/// One changed field, with display values (overflow targets by name where known).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FieldChange {
    pub path: String,
    pub before: Value,
    pub after: Value,
}

/// What a change does to the tenant. An update or a delete cannot exist without the tenant
/// id of its queue, and carries the revision it was planned against.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Op {
    Create,
    Update { id: String, revision: Revision },
    Delete { id: String, revision: Revision },
}

/// The state of a tenant queue a change was planned against: its version on platforms with
/// conditional writes, its modification marker where the platform has one.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Revision {
    pub version: Option<u64>,
    pub modified_at: Option<String>,
}

impl Revision {
    /// The revision of a tenant queue as observed.
    pub fn of(q: &Queue) -> Self {
        Self {
            version: q.version,
            // A version says it all; the marker matters only where there is none.
            modified_at: q.version.is_none().then(|| q.modified_at.clone()).flatten(),
        }
    }
}

/// One queue to create, update or delete.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(into = "ChangeRepr", try_from = "ChangeRepr")]
pub struct Change {
    pub name: String,
    pub op: Op,
    pub fields: Vec<FieldChange>,
    /// The repository file that declares the queue.
    pub file: PathBuf,
    /// The declared fields, re-applied onto the tenant object at apply time.
    pub desired: Desired,
    /// Names of queues changed in this plan that must be applied before this one.
    pub after: Vec<String>,
}

impl Change {
    pub fn action(&self) -> Action {
        match self.op {
            Op::Create => Action::Create,
            Op::Update { .. } => Action::Update,
            Op::Delete { .. } => Action::Delete,
        }
    }

    /// The tenant id (none for a create).
    pub fn id(&self) -> Option<&str> {
        match &self.op {
            Op::Create => None,
            Op::Update { id, .. } | Op::Delete { id, .. } => Some(id),
        }
    }

    /// The revision the change was planned against (none for a create).
    pub fn revision(&self) -> Option<&Revision> {
        match &self.op {
            Op::Create => None,
            Op::Update { revision, .. } | Op::Delete { revision, .. } => Some(revision),
        }
    }

    /// The tenant version the change was planned against (none for a create, and on
    /// platforms without versions).
    pub fn version(&self) -> Option<u64> {
        self.revision().and_then(|r| r.version)
    }
}

/// A change as a saved plan writes it (cli.md: `name`, `id`, `action`, `version`, `fields`).
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ChangeRepr {
    name: String,
    id: Option<String>,
    action: Action,
    version: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    modified_at: Option<String>,
    fields: Vec<FieldChange>,
    file: PathBuf,
    desired: Desired,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    after: Vec<String>,
}

impl From<Change> for ChangeRepr {
    fn from(c: Change) -> Self {
        let action = c.action();
        let (id, revision) = match c.op {
            Op::Create => (None, Revision::default()),
            Op::Update { id, revision } | Op::Delete { id, revision } => (Some(id), revision),
        };
        Self {
            name: c.name,
            id,
            action,
            version: revision.version,
            modified_at: revision.modified_at,
            fields: c.fields,
            file: c.file,
            desired: c.desired,
            after: c.after,
        }
    }
}

impl TryFrom<ChangeRepr> for Change {
    type Error = String;

    fn try_from(r: ChangeRepr) -> Result<Self, String> {
        let revision = Revision {
            version: r.version,
            modified_at: r.modified_at,
        };
        let op = match (r.action, r.id) {
            (Action::Create, _) => Op::Create,
            (Action::Update, Some(id)) if !id.is_empty() => Op::Update { id, revision },
            (Action::Delete, Some(id)) if !id.is_empty() => Op::Delete { id, revision },
            (action, _) => {
                return Err(format!(
                    "the {action:?} of queue {:?} has no tenant id",
                    r.name
                ));
            }
        };
        Ok(Change {
            name: r.name,
            op,
            fields: r.fields,
            file: r.file,
            desired: r.desired,
            after: r.after,
        })
    }
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
    /// What a tombstone does on the tenant's platform (the word plans use for it).
    #[serde(default)]
    pub deletes: tenant::DeleteMode,
    /// Tenant queues no document manages that cannot be read: left alone, with why.
    #[serde(skip)]
    pub warnings: Vec<String>,
    /// Managed queues left out because the tenant's copy cannot be read: the other queues
    /// are planned; applying such a plan is partial (exit 4).
    #[serde(skip)]
    pub skipped: Vec<String>,
}

impl Plan {
    pub fn summary(&self) -> Summary {
        let count = |a| self.changes.iter().filter(|c| c.action() == a).count();
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

    /// No change, and nothing of the tenant left out because it could not be read (a queue
    /// whose id or values the adapter cannot read is named, never reported as "no changes").
    pub fn is_clean(&self) -> bool {
        self.changes.is_empty() && self.skipped.is_empty() && self.warnings.is_empty()
    }
}

/// Why no plan can be made: the tenant-aware errors (a pinned id the tenant lacks, a skill it
/// does not have, an ambiguous name, a routing cycle through its queues, a setting the
/// platform fixes at create), each at file:line. Such a repository is never applied.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Rejected {
    /// Every error found (all of them, not only the first).
    pub diagnostics: Vec<Diagnostic>,
}

impl Rejected {
    /// `Ok(plan)` when `diagnostics` is empty, else the rejection.
    pub(crate) fn check(plan: Plan, diagnostics: Vec<Diagnostic>) -> Result<Plan, Rejected> {
        if diagnostics.is_empty() {
            Ok(plan)
        } else {
            Err(Rejected { diagnostics })
        }
    }
}

/// The tenant's unreadable queues: a warning for each one no document manages, a skipped
/// entry for each managed one (matched by pinned id, else by name), and the names of the
/// documents that are left out of the plan for it.
fn unreadable_queues<'r>(
    repo: &'r Repository,
    observed: &Observed,
) -> (Vec<String>, Vec<String>, HashSet<&'r str>) {
    let kind = repo.id_kind;
    let (mut warnings, mut skipped, mut blocked) = (Vec::new(), Vec::new(), HashSet::new());
    for q in &observed.unreadable {
        let problem = &q.problem;
        let id = q.id.as_deref().unwrap_or("unknown");
        let managing = repo.queues.iter().find(|def| {
            let md = &def.doc.metadata;
            match (&md.id, q.id.as_deref()) {
                (Some(pin), Some(qid)) => kind.canonical(&pin.value) == kind.canonical(qid),
                (Some(_), None) => false,
                (None, _) => md.name.value == q.name,
            }
        });
        match managing {
            Some(def) => {
                blocked.insert(def.name());
                skipped.push(format!(
                    "queue {:?} ({}): the tenant's copy (id {id}) cannot be read, so it is left as it is: {problem}",
                    def.name(),
                    def.file.display()
                ));
            }
            None => warnings.push(format!(
                "the tenant's queue {:?} (id {id}) cannot be read; no document manages it, so it is left alone: {problem}",
                q.name
            )),
        }
    }
    (warnings, skipped, blocked)
}

enum Match<'a> {
    None,
    One(&'a Queue),
    Many(Vec<&'a Queue>),
}

/// Diffs `repo` (already validated offline) against `observed`, and runs the checks that need
/// the tenant: skills exist, `targetId`s and pinned ids exist, no cycle or over-long chain on
/// the graph of repo queues plus the unmanaged tenant queues' own overflow edges. Any error
/// rejects the whole plan.
pub fn plan(repo: &Repository, observed: &Observed) -> Result<Plan, Rejected> {
    let (plan, diagnostics) = diff_and_check(repo, observed);
    Rejected::check(plan, diagnostics)
}

/// The plan and the tenant-aware errors found making it (the caller decides: any error
/// rejects the plan).
pub(crate) fn diff_and_check(repo: &Repository, observed: &Observed) -> (Plan, Vec<Diagnostic>) {
    // Ids compare in their canonical form (without case, for UUIDs).
    let kind = repo.id_kind;
    let by_id: HashMap<Cow<'_, str>, &Queue> = observed
        .queues
        .iter()
        .filter_map(|q| q.id.as_deref().map(|id| (kind.canonical(id), q)))
        .collect();
    let mut by_name: HashMap<&str, Vec<&Queue>> = HashMap::new();
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
    let mut matched: HashMap<&str, Option<&Queue>> = HashMap::new();
    let mut managed_ids: HashSet<&str> = HashSet::new();
    let (warnings, skipped, blocked) = unreadable_queues(repo, observed);

    for def in &repo.queues {
        let md = &def.doc.metadata;
        if blocked.contains(md.name.value.as_str()) {
            continue;
        }
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
    let unmanaged: Vec<&Queue> = observed
        .queues
        .iter()
        .filter(|q| q.id.as_deref().is_some_and(|id| !managed_ids.contains(id)))
        .collect();

    crate::tenant_graph::check(repo, &matched, &unmanaged, &mut diags);

    // On Genesys Cloud, skill requirements are the queue's skill group: shown as its
    // conditions (`language:en ≥ 4`).
    let skill_groups = (repo.tenant.spec.platform == model::Platform::GenesysCloud)
        .then(|| repo.tenant.spec.proficiency_levels());
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
            if let Some(q) = current
                && let Some(id) = q.id.clone()
            {
                changes.push(Change {
                    name: name.to_string(),
                    op: Op::Delete {
                        id,
                        revision: Revision::of(q),
                    },
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
            skill_groups.as_ref(),
        );
        let op = match current {
            None => Op::Create,
            Some(_) if fields.is_empty() => {
                unchanged.push(name.to_string());
                continue;
            }
            Some(q) => match q.id.clone() {
                Some(id) => Op::Update {
                    id,
                    revision: Revision::of(q),
                },
                // A tenant queue without an id cannot be addressed: nothing to write.
                None => continue,
            },
        };
        changes.push(Change {
            name: name.to_string(),
            op,
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
    let plan = Plan {
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
        deletes: tenant::DeleteMode::default(),
        warnings,
        skipped,
    };
    (plan, diags)
}

/// The target id a desired overflow resolves to now (a name whose queue does not exist yet
/// resolves to `None`).
fn current_target_id(t: &TargetRef, matched: &HashMap<&str, Option<&Queue>>) -> Option<String> {
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
    current: Option<&Queue>,
    resolve: &dyn Fn(&TargetRef) -> Value,
    id_to_name: &dyn Fn(&str) -> Option<String>,
    matched: &HashMap<&str, Option<&Queue>>,
    kind: IdKind,
    skill_groups: Option<&model::genesys::ProficiencyLevels>,
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
        let before = cur.and_then(|q| q.skill_requirements.as_deref());
        match skill_groups {
            // Compared as the group's conditions: `expert` and `5` are the same level.
            Some(levels) => {
                let conditions = |reqs: &[tenant::SkillRequirement]| -> Value {
                    let mut c: Vec<String> = reqs
                        .iter()
                        .map(|r| levels.condition(&r.skill, r.proficiency))
                        .collect();
                    c.sort();
                    json!(c)
                };
                field(
                    "skill group",
                    before.map_or(Value::Null, conditions),
                    conditions(s),
                );
            }
            None => field(
                "skillRequirements",
                before.map_or(Value::Null, |b| json!(sorted(b))),
                json!(sorted(s)),
            ),
        }
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
    for (path, value) in &d.settings {
        field(
            path,
            cur.and_then(|q| q.settings.get(path))
                .cloned()
                .unwrap_or(Value::Null),
            value.clone(),
        );
    }
    out
}

fn check_tenant_refs(
    def: &QueueDef,
    skills: &HashSet<&str>,
    by_id: &HashMap<Cow<'_, str>, &Queue>,
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
        if changes[i].action() == Action::Delete {
            continue;
        }
        if let Some(t) = changes[i].desired.target_name()
            && let Some(&j) = index.get(t)
            && changes[j].action() != Action::Delete
            && j != i
        {
            let t = t.to_string();
            changes[i].after.push(t);
        }
    }
    let deleted: HashMap<&str, usize> = changes
        .iter()
        .enumerate()
        .filter(|(_, c)| c.action() == Action::Delete)
        .map(|(i, c)| (c.name.as_str(), i))
        .collect();
    let mut delete_after: Vec<(usize, String)> = Vec::new();
    for (i, c) in changes.iter().enumerate() {
        if c.action() == Action::Delete
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
    // Creates and updates before deletes, otherwise in the original order.
    let deps = changes.iter().enumerate().flat_map(|(i, c)| {
        c.after
            .iter()
            .filter_map(|dep| index.get(dep))
            .map(move |&j| (i, j))
            .collect::<Vec<_>>()
    });
    let out = Schedule::new(changes.len(), deps)
        .order(|i| (u8::from(changes[i].action() == Action::Delete), i));
    let mut taken: Vec<Option<Change>> = std::mem::take(changes).into_iter().map(Some).collect();
    *changes = out.into_iter().filter_map(|i| taken[i].take()).collect();
}
