//! Rules 4 and 5 again, on the graph of the repository's queues together with the tenant's
//! unmanaged queues and their own overflow edges: a repo queue that overflows to an unmanaged
//! queue that overflows back is a cycle that no offline check can see.

use std::collections::HashMap;

use model::{Diagnostic, Repository, Rule};
use tenant::Queue;

use crate::graph::{MAX_HOPS_SHOWN, RoutingGraph, Site};

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum Key {
    Repo(String),
    Tenant(String),
}

pub(crate) fn check(
    repo: &Repository,
    matched: &HashMap<&str, Option<&Queue>>,
    unmanaged: &[&Queue],
    diags: &mut Vec<Diagnostic>,
) {
    // Tenant id (canonical: ids compare without case) → the repository queue managing it.
    let kind = repo.id_kind;
    let managed: HashMap<String, &str> = matched
        .iter()
        .filter_map(|(name, q)| {
            Some((
                kind.canonical(q.as_ref()?.id.as_deref()?).into_owned(),
                *name,
            ))
        })
        .collect();
    let key_of_id = |id: &str| {
        let id = kind.canonical(id);
        match managed.get(id.as_ref()) {
            Some(name) => Key::Repo((*name).to_string()),
            None => Key::Tenant(id.into_owned()),
        }
    };

    let mut g: RoutingGraph<Key> = RoutingGraph::with_capacity(repo.queues.len() + unmanaged.len());
    let live: Vec<_> = repo
        .queues
        .iter()
        .filter(|d| !d.doc.metadata.deleted)
        .collect();
    for def in &live {
        let _ = g.add_node(
            Key::Repo(def.name().to_string()),
            def.name(),
            Site::in_file(&def.file, def.doc.metadata.name.loc),
        );
    }
    for q in unmanaged {
        if let Some(id) = &q.id {
            let _ = g.add_node(
                Key::Tenant(kind.canonical(id).into_owned()),
                format!("{} (unmanaged)", q.name),
                Site::tenant(),
            );
        }
    }
    let edge = |g: &mut RoutingGraph<Key>, from: &Key, to: Key, site: Site| {
        if let (Some(a), Some(b)) = (g.index_of(from), g.index_of(&to)) {
            g.set_edge(a, b, site);
        }
    };
    for def in &live {
        let from = Key::Repo(def.name().to_string());
        match &def.doc.spec.overflow {
            Some(Some(o)) => {
                let (to, loc) = match (&o.value.target, &o.value.target_id) {
                    (Some(name), _) => (Key::Repo(name.value.clone()), name.loc),
                    (None, Some(id)) => (key_of_id(&id.value), id.loc),
                    (None, None) => continue,
                };
                edge(&mut g, &from, to, Site::in_file(&def.file, loc));
            }
            Some(None) => {}
            // Not managed: the tenant's own overflow stays.
            None => {
                if let Some(Some(q)) = matched.get(def.name())
                    && let Some(o) = &q.overflow
                {
                    edge(&mut g, &from, key_of_id(&o.target_id), Site::tenant());
                }
            }
        }
    }
    for q in unmanaged {
        if let (Some(id), Some(o)) = (&q.id, &q.overflow) {
            edge(
                &mut g,
                &Key::Tenant(kind.canonical(id).into_owned()),
                key_of_id(&o.target_id),
                Site::tenant(),
            );
        }
    }

    // Only what involves the tenant: repository-only cycles and chains were refused offline.
    let involves_tenant = |nodes: &[crate::graph::NodeIdx]| {
        nodes.iter().any(|&n| {
            let node = g.node(n);
            node.site.file.is_none() || node.edge.as_ref().is_some_and(|e| e.site.file.is_none())
        })
    };
    let first_file_site = |nodes: &[crate::graph::NodeIdx]| -> Site {
        nodes
            .iter()
            .filter_map(|&n| g.node(n).edge.as_ref().map(|e| e.site.clone()))
            .find(|s| s.file.is_some())
            .or_else(|| {
                nodes
                    .iter()
                    .map(|&n| g.node(n).site.clone())
                    .find(|s| s.file.is_some())
            })
            .unwrap_or_default()
    };
    for cycle in g.cycles() {
        if !involves_tenant(&cycle) {
            continue;
        }
        let site = first_file_site(&cycle);
        diags.push(
            Diagnostic::error(
                Rule::Cycle,
                site.file_or_empty(),
                site.loc,
                format!(
                    "overflow cycle through the tenant: {}",
                    g.format_cycle(&cycle)
                ),
            )
            .with_hint(
                "an unmanaged tenant queue closes the loop: retarget one of these overflows",
            ),
        );
    }
    let max = repo.tenant.spec.limits.max_overflow_depth as usize;
    for chain in g.over_deep(max) {
        let nodes: Vec<_> = g.walk(chain.head).take(chain.hops + 1).collect();
        if !involves_tenant(&nodes)
            || g.node(chain.head).site.file.is_none() && first_file_site(&nodes).file.is_none()
        {
            continue;
        }
        let site = first_file_site(&nodes);
        diags.push(
            Diagnostic::error(
                Rule::Depth,
                site.file_or_empty(),
                site.loc,
                format!(
                    "overflow chain of {} hops through the tenant exceeds limits.maxOverflowDepth {max}: {}",
                    chain.hops,
                    g.format_chain(&chain, MAX_HOPS_SHOWN)
                ),
            )
            .with_hint(format!("shorten the chain to at most {max} hops")),
        );
    }

    // A tombstone whose queue an unmanaged queue still overflows to cannot be deleted.
    for def in repo.queues.iter().filter(|d| d.doc.metadata.deleted) {
        let Some(Some(q)) = matched.get(def.name()) else {
            continue;
        };
        let Some(id) = q.id.as_deref() else { continue };
        for u in unmanaged {
            if u.overflow.as_ref().is_some_and(|o| o.target_id == id) {
                diags.push(
                    Diagnostic::error(
                        Rule::DanglingTarget,
                        &def.file,
                        def.doc.metadata.name.loc,
                        format!(
                            "cannot delete {:?}: the unmanaged tenant queue {:?} overflows to it",
                            def.name(),
                            u.name
                        ),
                    )
                    .with_hint(
                        "change that queue's overflow in the tenant first, or manage it here",
                    ),
                );
            }
        }
    }
}
