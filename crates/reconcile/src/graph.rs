//! The overflow graph of a repository and the cross-queue rules 2–5 and 7 of
//! `repo-format.md`: [`check_repository`]. The graph type itself, [`RoutingGraph`], is reused
//! by `plan` on the repository queues together with the tenant's unmanaged queues.
//!
//! Pure: no I/O. Linear in the number of queues (lookups by name and id go through hash maps;
//! the graph walks visit each node once).

pub(crate) mod routing;

use std::collections::HashMap;

use model::yaml::nearest;
use model::{Diagnostic, Loc, QueueDef, Repository, Rule};

pub use routing::{Chain, Edge, Node, NodeIdx, RoutingGraph, Site};

/// The most hops that a depth message spells out before it writes `… (N more hops)`.
pub const MAX_HOPS_SHOWN: usize = 32;

/// How many distinct dangling target names get a "did you mean" search (each one compares
/// against every queue name, so the number is capped to keep the check linear).
const MAX_SUGGESTION_SEARCHES: usize = 64;

/// Cross-queue checks of a loaded repository: rules 2–5 and 7 of `repo-format.md` (rule 1,
/// 6 and the single-queue parts of 2 and 3 are the loader's, in `model`).
///
/// - Rule 2: names are unique (every duplicate after the first is an error that names the
///   first's file and line); `metadata.id`s are unique, compared without case.
/// - Rule 3: a `target` names a queue of the repository (else an error, with a "did you mean"
///   hint), and not a tombstoned one (`metadata.deleted: true`, about to be deleted); no queue
///   overflows to itself, by `target` or by a `targetId` equal to its own `metadata.id`.
/// - Rule 4: no overflow cycle, each reported once as the whole cycle with the file and line of
///   every edge, at the edge that sorts first (by file, then line).
/// - Rule 5: no chain longer than `limits.maxOverflowDepth` hops, reported once at the head of
///   the chain.
/// - Rule 7 (warnings): `overflow.waitTime` not below `maxWaitTime` can never fire;
///   `enabled: false` with a target.
///
/// The graph holds every overflow with a `target`, **whether or not it is enabled**: a
/// disabled overflow can be switched on in the console, and the routing must stay sound when
/// it is. A `targetId` that is the `metadata.id` of another queue of the repository is an edge
/// too. Tombstoned queues are nodes without edges (they are about to go); a queue whose name
/// repeats an earlier one is not a node (the name means the first).
///
/// The diagnostics are sorted by file, line, column, then rule.
pub fn check_repository(repo: &Repository) -> Vec<Diagnostic> {
    let queues = &repo.queues;
    let mut diags = Vec::new();
    let mut graph: RoutingGraph<&str> = RoutingGraph::with_capacity(queues.len());

    // Rule 2, names. Node `i` of the graph is the queue `queue_of[i]`.
    let mut node_of: Vec<Option<NodeIdx>> = Vec::with_capacity(queues.len());
    let mut queue_of: Vec<usize> = Vec::with_capacity(queues.len());
    for (qi, q) in queues.iter().enumerate() {
        let name = &q.doc.metadata.name;
        match graph.add_node(
            name.value.as_str(),
            name.value.as_str(),
            Site::in_file(&q.file, name.loc),
        ) {
            Ok(idx) => {
                node_of.push(Some(idx));
                queue_of.push(qi);
            }
            Err(first) => {
                node_of.push(None);
                diags.push(
                    Diagnostic::error(
                        Rule::DuplicateName,
                        &q.file,
                        name.loc,
                        format!(
                            "queue name `{}` is already used in {}",
                            name.value,
                            graph.node(first).site
                        ),
                    )
                    .with_hint("rename one of the two: a name is the queue's key in the repository and in the tenant"),
                );
            }
        }
    }

    // Rule 2, names that look alike (warnings).
    diags.extend(crate::names::confusable_names(queues));

    // Rule 2, ids (without case).
    let mut by_id: HashMap<String, usize> = HashMap::with_capacity(queues.len());
    for (qi, q) in queues.iter().enumerate() {
        let Some(id) = &q.doc.metadata.id else {
            continue;
        };
        match by_id.entry(repo.id_kind.canonical(&id.value).into_owned()) {
            std::collections::hash_map::Entry::Vacant(e) => {
                e.insert(qi);
            }
            std::collections::hash_map::Entry::Occupied(e) => {
                let first = &queues[*e.get()];
                diags.push(
                    Diagnostic::error(
                        Rule::DuplicateId,
                        &q.file,
                        id.loc,
                        format!(
                            "metadata.id {} is already the id of `{}` ({})",
                            id.value,
                            first.name(),
                            Site::in_file(&first.file, first_id_loc(first))
                        ),
                    )
                    .with_hint("an id pins one tenant queue: correct or drop one of the two"),
                );
            }
        }
    }

    // Rules 3 and 7, and the edges.
    let mut suggest = Suggestions::new(queues);
    for (qi, q) in queues.iter().enumerate() {
        if q.doc.metadata.deleted {
            continue;
        }
        let Some(Some(ov)) = &q.doc.spec.overflow else {
            continue;
        };
        let ov_val = &ov.value;
        let file = q.file.as_path();
        let name = q.name();
        warn_never_fires(q, &mut diags);
        if !ov_val.enabled.value && (ov_val.target.is_some() || ov_val.target_id.is_some()) {
            let loc = if ov_val.enabled.loc.is_known() {
                ov_val.enabled.loc
            } else {
                ov.loc
            };
            diags.push(
                Diagnostic::warning(
                    Rule::DisabledOverflowTarget,
                    file,
                    loc,
                    format!(
                        "the overflow of `{name}` is disabled (enabled: false) but names a target"
                    ),
                )
                .with_hint("write `overflow: null` for no overflow, or set `enabled: true`"),
            );
        }

        let (to_queue, loc) = if let Some(target) = &ov_val.target {
            if target.value == name {
                diags.push(self_overflow(q, target.loc, ""));
                continue;
            }
            match graph.index_of(target.value.as_str()) {
                Some(to) => (queue_of[to.index()], target.loc),
                None => {
                    let hint = match suggest.nearest(&target.value) {
                        Some(near) => format!("did you mean `{near}`?"),
                        None => "name a queue of this repository, or use `targetId` for a tenant queue that it does not manage".to_string(),
                    };
                    diags.push(
                        Diagnostic::error(
                            Rule::DanglingTarget,
                            file,
                            target.loc,
                            format!(
                                "overflow target `{}` is not a queue of this repository",
                                target.value
                            ),
                        )
                        .with_hint(hint),
                    );
                    continue;
                }
            }
        } else if let Some(target_id) = &ov_val.target_id {
            let key = repo.id_kind.canonical(&target_id.value);
            let own = q.doc.metadata.id.as_ref();
            if own.is_some_and(|own| repo.id_kind.same(&own.value, &key)) {
                diags.push(self_overflow(
                    q,
                    target_id.loc,
                    " (overflow.targetId is its own metadata.id)",
                ));
                continue;
            }
            // Another queue of this repository by id: an edge. Otherwise a tenant queue,
            // which `plan` checks.
            match by_id.get(key.as_ref()) {
                Some(&to) => (to, target_id.loc),
                None => continue,
            }
        } else {
            continue;
        };

        let to = &queues[to_queue];
        if to.doc.metadata.deleted {
            diags.push(
                Diagnostic::error(
                    Rule::DanglingTarget,
                    file,
                    loc,
                    format!(
                        "overflow target `{}` is tombstoned (metadata.deleted: true in {}) and is about to be deleted",
                        to.name(),
                        Site::in_file(&to.file, to.doc.metadata.name.loc)
                    ),
                )
                .with_hint(format!(
                    "retarget this overflow before deleting `{}`, or remove the tombstone",
                    to.name()
                )),
            );
            continue;
        }
        if let (Some(from), Some(to)) = (node_of[qi], node_of[to_queue]) {
            graph.set_edge(from, to, Site::in_file(file, loc));
        }
    }

    // Rule 4.
    for cycle in graph.cycles() {
        let first = graph.node(cycle[0]);
        let Some(edge) = &first.edge else { continue };
        diags.push(
            Diagnostic::error(
                Rule::Cycle,
                edge.site.file_or_empty(),
                edge.site.loc,
                format!("overflow cycle: {}", graph.format_cycle(&cycle)),
            )
            .with_hint(
                "waiters would overflow round forever: retarget or remove one of these overflows",
            ),
        );
    }

    // Rule 5.
    let max = repo.tenant.spec.limits.max_overflow_depth as usize;
    for chain in graph.over_deep(max) {
        let head = graph.node(chain.head);
        let Some(edge) = &head.edge else { continue };
        diags.push(
            Diagnostic::error(
                Rule::Depth,
                edge.site.file_or_empty(),
                edge.site.loc,
                format!(
                    "overflow chain of {} hops exceeds limits.maxOverflowDepth {max}: {}",
                    chain.hops,
                    graph.format_chain(&chain, MAX_HOPS_SHOWN)
                ),
            )
            .with_hint(format!(
                "shorten the chain to at most {max} hops (point an earlier queue further down it), or raise limits.maxOverflowDepth in cxqueues.yaml if the license allows"
            )),
        );
    }

    sort_diagnostics(&mut diags);
    diags
}

/// Sorts diagnostics by file, line, column, rule, then message (a total, stable order).
pub fn sort_diagnostics(diags: &mut [Diagnostic]) {
    diags.sort_by(|a, b| {
        (&a.file, a.line, a.column, a.rule, &a.message)
            .cmp(&(&b.file, b.line, b.column, b.rule, &b.message))
    });
}

fn first_id_loc(q: &QueueDef) -> Loc {
    q.doc
        .metadata
        .id
        .as_ref()
        .map_or(q.doc.metadata.name.loc, |id| id.loc)
}

fn self_overflow(q: &QueueDef, loc: Loc, how: &str) -> Diagnostic {
    Diagnostic::error(
        Rule::SelfOverflow,
        &q.file,
        loc,
        format!("queue `{}` overflows to itself{how}", q.name()),
    )
    .with_hint("overflow to another queue, or write `overflow: null` for none")
}

/// Rule 7: an overflow that waits as long as the queue lets a caller wait never happens.
fn warn_never_fires(q: &QueueDef, diags: &mut Vec<Diagnostic>) {
    let (Some(Some(ov)), Some(max_wait)) = (&q.doc.spec.overflow, &q.doc.spec.max_wait_time) else {
        return;
    };
    let wait = &ov.value.wait_time;
    if wait.value >= max_wait.value {
        diags.push(
            Diagnostic::warning(
                Rule::OverflowNeverFires,
                &q.file,
                wait.loc,
                format!(
                    "overflow.waitTime {} is not below maxWaitTime {}: callers leave `{}` before the overflow can fire",
                    wait.value,
                    max_wait.value,
                    q.name()
                ),
            )
            .with_hint(format!("lower overflow.waitTime below maxWaitTime ({})", max_wait.value)),
        );
    }
}

/// "Did you mean" for dangling targets: the names of the live queues, gathered on first use,
/// with the answer for each distinct name remembered.
struct Suggestions<'a> {
    queues: &'a [QueueDef],
    names: Option<Vec<String>>,
    memo: HashMap<String, Option<String>>,
}

impl<'a> Suggestions<'a> {
    fn new(queues: &'a [QueueDef]) -> Self {
        Self {
            queues,
            names: None,
            memo: HashMap::new(),
        }
    }

    fn nearest(&mut self, word: &str) -> Option<String> {
        if let Some(hit) = self.memo.get(word) {
            return hit.clone();
        }
        if self.memo.len() >= MAX_SUGGESTION_SEARCHES {
            return None;
        }
        let queues = self.queues;
        let names = self.names.get_or_insert_with(|| {
            queues
                .iter()
                .filter(|q| !q.doc.metadata.deleted)
                .map(|q| q.name().to_string())
                .collect()
        });
        let hit = nearest(word, names).map(str::to_string);
        self.memo.insert(word.to_string(), hit.clone());
        hit
    }
}
