//! [`RoutingGraph`]: queues as nodes, each with at most one overflow edge.
//!
//! A queue has one overflow, so every node has at most one outgoing edge: the graph is a
//! *functional graph*. Its cycles and the length of the chain from every node are found in
//! linear time by walking the edges with a colouring, without recursion (a chain of 100,000
//! queues does not touch the stack).

use std::borrow::Borrow;
use std::cmp::Ordering;
use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::fmt;
use std::hash::Hash;
use std::path::{Path, PathBuf};

use model::Loc;

/// A node of a [`RoutingGraph`]: its position in insertion order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct NodeIdx(u32);

impl NodeIdx {
    /// The position of the node in insertion order (0-based).
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// Where a node or an edge is written: a file of the repository and a line and column in it,
/// or no file at all (a tenant queue, or its own overflow in the tenant).
///
/// Sites order the file-located ones first, by file, then line and column.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Site {
    /// The file, relative to the repository root with `/`; `None` for the tenant.
    pub file: Option<PathBuf>,
    /// Where in the file; [`Loc::UNKNOWN`] when not known.
    pub loc: Loc,
}

impl Site {
    /// A place in a repository file.
    pub fn in_file(file: impl Into<PathBuf>, loc: Loc) -> Self {
        Self {
            file: Some(file.into()),
            loc,
        }
    }

    /// The tenant: something that no repository file states.
    pub fn tenant() -> Self {
        Self::default()
    }

    /// The file, or the empty path for the tenant (for [`model::Diagnostic`]s).
    pub fn file_or_empty(&self) -> &Path {
        self.file.as_deref().unwrap_or(Path::new(""))
    }
}

impl Ord for Site {
    fn cmp(&self, other: &Self) -> Ordering {
        match (&self.file, &other.file) {
            (Some(a), Some(b)) => a.cmp(b).then(self.loc.cmp(&other.loc)),
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (None, None) => self.loc.cmp(&other.loc),
        }
    }
}

impl PartialOrd for Site {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// `queues/a.yaml:12`, `queues/a.yaml` when the line is unknown, `tenant` without a file.
impl fmt::Display for Site {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.file {
            Some(file) if self.loc.is_known() => write!(f, "{}:{}", file.display(), self.loc.line),
            Some(file) => write!(f, "{}", file.display()),
            None => f.write_str("tenant"),
        }
    }
}

/// The one outgoing edge of a node: where its waiters overflow to, and where that is written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Edge {
    pub to: NodeIdx,
    /// Where the edge is written (for a repository queue, its `overflow.target` value).
    pub site: Site,
}

/// A node: its key, the label that messages show, where it is declared, and its edge.
#[derive(Clone, Debug)]
pub struct Node<K> {
    pub key: K,
    /// What messages call the node (a queue name).
    pub label: String,
    /// Where the node is declared (for a repository queue, its `metadata.name`).
    pub site: Site,
    pub edge: Option<Edge>,
}

/// An overflow chain longer than allowed, found by [`RoutingGraph::over_deep`]: it starts at
/// `head` and follows the edges for `hops` edges to a node without an overflow.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Chain {
    pub head: NodeIdx,
    pub hops: usize,
}

/// The overflow graph: nodes keyed by `K` (a queue name, a tenant queue id, or an enum of
/// both), each with at most one outgoing edge.
///
/// Pure and cheap: every query is linear in the number of nodes. Build it with
/// [`add_node`](Self::add_node) for every queue, then [`set_edge`](Self::set_edge) for every
/// overflow, then ask for [`cycles`](Self::cycles) and [`over_deep`](Self::over_deep) chains.
///
/// ```
/// use model::Loc;
/// use reconcile::{RoutingGraph, Site};
///
/// let mut g = RoutingGraph::new();
/// let a = g.add_node("A", "A", Site::in_file("queues/a.yaml", Loc::new(5, 9))).unwrap();
/// let b = g.add_node("B", "B", Site::in_file("queues/b.yaml", Loc::new(5, 9))).unwrap();
/// g.set_edge(a, b, Site::in_file("queues/a.yaml", Loc::new(12, 13)));
/// g.set_edge(b, a, Site::in_file("queues/b.yaml", Loc::new(9, 13)));
/// let cycles = g.cycles();
/// assert_eq!(cycles, vec![vec![a, b]]);
/// assert_eq!(
///     g.format_cycle(&cycles[0]),
///     "A (queues/a.yaml:12) → B (queues/b.yaml:9) → A"
/// );
/// ```
#[derive(Clone, Debug)]
pub struct RoutingGraph<K> {
    nodes: Vec<Node<K>>,
    index: HashMap<K, NodeIdx>,
}

impl<K> Default for RoutingGraph<K> {
    fn default() -> Self {
        Self {
            nodes: Vec::new(),
            index: HashMap::new(),
        }
    }
}

/// A node's chain length while [`RoutingGraph::depths`] runs: not yet known.
const UNSET: u32 = u32::MAX;
/// A node on a cycle, or whose chain runs into one: no finite length.
const ENDLESS: u32 = u32::MAX - 1;

impl<K: Eq + Hash + Clone> RoutingGraph<K> {
    /// An empty graph.
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty graph with room for `n` nodes.
    pub fn with_capacity(n: usize) -> Self {
        Self {
            nodes: Vec::with_capacity(n),
            index: HashMap::with_capacity(n),
        }
    }

    /// Adds a node without an edge. A key that is already there is refused with
    /// `Err(the existing node)`, and the graph is unchanged (the caller reports the
    /// duplicate, pointing at the existing node's [`Site`]).
    ///
    /// # Panics
    /// Beyond `u32::MAX - 2` nodes.
    pub fn add_node(
        &mut self,
        key: K,
        label: impl Into<String>,
        site: Site,
    ) -> Result<NodeIdx, NodeIdx> {
        let next = u32::try_from(self.nodes.len())
            .ok()
            .filter(|n| *n < ENDLESS - 1)
            .expect("a RoutingGraph holds fewer than 2^32 - 2 nodes");
        match self.index.entry(key) {
            Entry::Occupied(e) => Err(*e.get()),
            Entry::Vacant(e) => {
                let idx = NodeIdx(next);
                self.nodes.push(Node {
                    key: e.key().clone(),
                    label: label.into(),
                    site,
                    edge: None,
                });
                e.insert(idx);
                Ok(idx)
            }
        }
    }

    /// The node with this key.
    pub fn index_of<Q>(&self, key: &Q) -> Option<NodeIdx>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.index.get(key).copied()
    }
}

impl<K> RoutingGraph<K> {
    /// The number of nodes.
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    /// Whether the graph has no node.
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// A node.
    ///
    /// # Panics
    /// When `idx` is not a node of this graph.
    pub fn node(&self, idx: NodeIdx) -> &Node<K> {
        &self.nodes[idx.index()]
    }

    /// Every node, in insertion order.
    pub fn nodes(&self) -> impl ExactSizeIterator<Item = (NodeIdx, &Node<K>)> {
        self.nodes
            .iter()
            .enumerate()
            .map(|(i, n)| (NodeIdx(i as u32), n))
    }

    /// The node that `idx` overflows to.
    pub fn successor(&self, idx: NodeIdx) -> Option<NodeIdx> {
        self.nodes[idx.index()].edge.as_ref().map(|e| e.to)
    }

    /// Sets the one outgoing edge of `from` (an edge to itself is allowed: it is a cycle of
    /// one) and returns the edge it replaces.
    ///
    /// # Panics
    /// When `from` or `to` is not a node of this graph.
    pub fn set_edge(&mut self, from: NodeIdx, to: NodeIdx, site: Site) -> Option<Edge> {
        assert!(
            to.index() < self.nodes.len(),
            "edge to a node of another graph"
        );
        self.nodes[from.index()].edge.replace(Edge { to, site })
    }

    /// Removes the outgoing edge of `from` and returns it.
    pub fn remove_edge(&mut self, from: NodeIdx) -> Option<Edge> {
        self.nodes[from.index()].edge.take()
    }

    /// The nodes from `from` on, following the edges: `from`, its successor, and so on, until
    /// a node without an edge. On a cycle the walk goes round; it stops after [`len`](Self::len)
    /// nodes in any case.
    pub fn walk(&self, from: NodeIdx) -> impl Iterator<Item = NodeIdx> + '_ {
        std::iter::successors(Some(from), |&n| self.successor(n)).take(self.nodes.len())
    }

    /// Every cycle, each once: as its nodes in edge order, starting at the node whose edge
    /// [`Site`] sorts first (ties: the node's own site, then insertion order). The cycles are
    /// sorted by that first edge's site. A node whose edge leads into a cycle without being on
    /// it (a tail) is not part of the cycle. An edge of a node to itself is a cycle of one.
    ///
    /// Linear: every node is walked once.
    pub fn cycles(&self) -> Vec<Vec<NodeIdx>> {
        let n = self.nodes.len();
        // 0: not walked yet; otherwise the number of the walk that reached the node. A walk
        // ends before the next starts, so a node with an older number is finished.
        let mut walk_of = vec![0u32; n];
        let mut path: Vec<u32> = Vec::new();
        let mut cycles = Vec::new();
        for start in 0..n {
            if walk_of[start] != 0 {
                continue;
            }
            let walk = start as u32 + 1;
            path.clear();
            let mut cur = start;
            loop {
                walk_of[cur] = walk;
                path.push(cur as u32);
                let Some(edge) = &self.nodes[cur].edge else {
                    break;
                };
                let next = edge.to.index();
                if walk_of[next] == 0 {
                    cur = next;
                    continue;
                }
                if walk_of[next] == walk {
                    // Back to a node of this very walk: the path from it is a cycle.
                    let from = path
                        .iter()
                        .rposition(|&x| x as usize == next)
                        .expect("a node of this walk is on its path");
                    let cycle: Vec<NodeIdx> = path[from..].iter().map(|&x| NodeIdx(x)).collect();
                    cycles.push(self.rotate_canonical(cycle));
                }
                break;
            }
        }
        cycles.sort_by(|a, b| self.edge_order(a[0], b[0]));
        cycles
    }

    /// The number of hops of the chain from every node (indexed by [`NodeIdx::index`]): 0
    /// for a node without an edge, `None` for a node on a cycle or whose chain runs into one.
    ///
    /// Linear: memoised along the edges.
    pub fn depths(&self) -> Vec<Option<usize>> {
        self.raw_depths()
            .into_iter()
            .map(|d| (d != ENDLESS).then_some(d as usize))
            .collect()
    }

    /// The chains longer than `max_hops`, each reported once at its head: a node whose chain
    /// has more than `max_hops` hops and that no node overflows to (whatever overflows to it
    /// has an even longer chain, and is reported instead). Two heads that join one chain are
    /// two results. Nodes on a cycle, or whose chain runs into one, are left out (their chain
    /// has no end; [`cycles`](Self::cycles) reports them). Sorted by the head's edge site.
    ///
    /// Linear.
    pub fn over_deep(&self, max_hops: usize) -> Vec<Chain> {
        let depth = self.raw_depths();
        let mut has_pred = vec![false; self.nodes.len()];
        for node in &self.nodes {
            if let Some(e) = &node.edge {
                has_pred[e.to.index()] = true;
            }
        }
        let mut chains: Vec<Chain> = depth
            .iter()
            .enumerate()
            .filter(|&(i, &d)| d != ENDLESS && d as usize > max_hops && !has_pred[i])
            .map(|(i, &d)| Chain {
                head: NodeIdx(i as u32),
                hops: d as usize,
            })
            .collect();
        chains.sort_by(|a, b| self.edge_order(a.head, b.head));
        chains
    }

    /// `A (queues/a.yaml:12) → B (queues/b.yaml:9) → A`: each node of a cycle (as
    /// [`cycles`](Self::cycles) returns it) with its edge's site, back to the first.
    pub fn format_cycle(&self, cycle: &[NodeIdx]) -> String {
        let mut out = String::new();
        for &n in cycle {
            self.push_hop(&mut out, n);
        }
        if let Some(&first) = cycle.first() {
            out.push_str(&self.nodes[first.index()].label);
        }
        out
    }

    /// `A (queues/a.yaml:12) → B (queues/b.yaml:9) → C`: the nodes of a chain, each with its
    /// edge's site, to the last (which has no edge). A chain of more than `max_shown` hops
    /// shows its first `max_shown` hops, then `… (N more hops) → Z`.
    pub fn format_chain(&self, chain: &Chain, max_shown: usize) -> String {
        let mut out = String::new();
        let mut last = chain.head;
        for (i, n) in self.walk(chain.head).take(chain.hops + 1).enumerate() {
            last = n;
            if i < chain.hops && i < max_shown {
                self.push_hop(&mut out, n);
            }
        }
        if chain.hops > max_shown {
            out.push_str(&format!("… ({} more hops) → ", chain.hops - max_shown));
        }
        out.push_str(&self.nodes[last.index()].label);
        out
    }

    fn push_hop(&self, out: &mut String, n: NodeIdx) {
        let node = &self.nodes[n.index()];
        out.push_str(&node.label);
        if let Some(e) = &node.edge {
            out.push_str(&format!(" ({})", e.site));
        }
        out.push_str(" → ");
    }

    /// Orders nodes by their edge's site, then their own site, then insertion order.
    fn edge_order(&self, a: NodeIdx, b: NodeIdx) -> Ordering {
        let (na, nb) = (&self.nodes[a.index()], &self.nodes[b.index()]);
        let ea = na.edge.as_ref().map(|e| &e.site);
        let eb = nb.edge.as_ref().map(|e| &e.site);
        let by_edge = match (ea, eb) {
            (Some(x), Some(y)) => x.cmp(y),
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (None, None) => Ordering::Equal,
        };
        by_edge.then_with(|| na.site.cmp(&nb.site)).then(a.cmp(&b))
    }

    fn rotate_canonical(&self, mut cycle: Vec<NodeIdx>) -> Vec<NodeIdx> {
        let first = (0..cycle.len())
            .min_by(|&i, &j| self.edge_order(cycle[i], cycle[j]))
            .unwrap_or(0);
        cycle.rotate_left(first);
        cycle
    }

    /// Hops from every node, [`ENDLESS`] on or into a cycle.
    fn raw_depths(&self) -> Vec<u32> {
        let n = self.nodes.len();
        let mut depth = vec![UNSET; n];
        for cycle in self.cycles() {
            for node in cycle {
                depth[node.index()] = ENDLESS;
            }
        }
        let mut path: Vec<usize> = Vec::new();
        for start in 0..n {
            if depth[start] != UNSET {
                continue;
            }
            // Walk forward to a node whose depth is known (cycle nodes are), or to the end.
            path.clear();
            let mut cur = start;
            let base = loop {
                if depth[cur] != UNSET {
                    break depth[cur];
                }
                match &self.nodes[cur].edge {
                    None => {
                        depth[cur] = 0;
                        break 0;
                    }
                    Some(e) => {
                        path.push(cur);
                        cur = e.to.index();
                    }
                }
            };
            let mut d = base;
            for &node in path.iter().rev() {
                if d != ENDLESS {
                    d = (d + 1).min(ENDLESS - 1);
                }
                depth[node] = d;
            }
        }
        depth
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn site(file: &str, line: u32) -> Site {
        Site::in_file(file, Loc::new(line, 13))
    }

    /// Nodes `0..n` named `N0`, `N1`, … in `q{i}.yaml`, and the given edges (at line 10).
    fn graph(n: usize, edges: &[(usize, usize)]) -> (RoutingGraph<String>, Vec<NodeIdx>) {
        let mut g = RoutingGraph::new();
        let ids: Vec<NodeIdx> = (0..n)
            .map(|i| {
                g.add_node(
                    format!("N{i}"),
                    format!("N{i}"),
                    site(&format!("q{i}.yaml"), 5),
                )
                .unwrap()
            })
            .collect();
        for &(a, b) in edges {
            g.set_edge(ids[a], ids[b], site(&format!("q{a}.yaml"), 10));
        }
        (g, ids)
    }

    #[test]
    fn a_second_node_with_the_same_key_is_refused_with_the_first() {
        let mut g = RoutingGraph::new();
        let a = g.add_node("A", "A", Site::tenant()).unwrap();
        assert_eq!(g.add_node("A", "A again", Site::tenant()), Err(a));
        assert_eq!(g.len(), 1);
        assert_eq!(g.node(a).label, "A");
    }

    #[test]
    fn a_cycle_is_found_once_whatever_node_the_walk_starts_at() {
        // 2 → 0 → 1 → 2, entered first at node 0.
        let (g, ids) = graph(3, &[(2, 0), (0, 1), (1, 2)]);
        assert_eq!(g.cycles(), vec![vec![ids[0], ids[1], ids[2]]]);
    }

    #[test]
    fn a_cycle_starts_at_the_edge_that_sorts_first_by_file_and_line() {
        let mut g = RoutingGraph::new();
        let a = g.add_node("A", "A", Site::tenant()).unwrap();
        let b = g.add_node("B", "B", Site::tenant()).unwrap();
        g.set_edge(a, b, site("queues/z.yaml", 3));
        g.set_edge(b, a, site("queues/m.yaml", 40));
        assert_eq!(g.cycles(), vec![vec![b, a]]);
        assert_eq!(
            g.format_cycle(&[b, a]),
            "B (queues/m.yaml:40) → A (queues/z.yaml:3) → B"
        );
    }

    #[test]
    fn a_tail_into_a_cycle_is_not_part_of_it_and_has_no_depth() {
        // 0 → 1 → 2 → 3 → 1
        let (g, ids) = graph(4, &[(0, 1), (1, 2), (2, 3), (3, 1)]);
        assert_eq!(g.cycles(), vec![vec![ids[1], ids[2], ids[3]]]);
        assert_eq!(g.depths(), vec![None; 4]);
        assert!(g.over_deep(0).is_empty());
    }

    #[test]
    fn a_self_edge_is_a_cycle_of_one() {
        let (g, ids) = graph(2, &[(1, 1)]);
        assert_eq!(g.cycles(), vec![vec![ids[1]]]);
        assert_eq!(g.format_cycle(&[ids[1]]), "N1 (q1.yaml:10) → N1");
    }

    #[test]
    fn depths_count_hops_to_the_end_of_the_chain() {
        let (g, _) = graph(5, &[(0, 1), (1, 2), (3, 2)]);
        assert_eq!(
            g.depths(),
            vec![Some(2), Some(1), Some(0), Some(1), Some(0)]
        );
    }

    #[test]
    fn an_over_deep_chain_is_reported_at_each_head_only() {
        // 0 → 2, 1 → 2, 2 → 3 → 4 → 5: heads 0 and 1 have 4 hops.
        let (g, ids) = graph(6, &[(0, 2), (1, 2), (2, 3), (3, 4), (4, 5)]);
        let chains = g.over_deep(3);
        assert_eq!(
            chains,
            vec![
                Chain {
                    head: ids[0],
                    hops: 4
                },
                Chain {
                    head: ids[1],
                    hops: 4
                }
            ]
        );
        assert_eq!(
            g.format_chain(&chains[0], 64),
            "N0 (q0.yaml:10) → N2 (q2.yaml:10) → N3 (q3.yaml:10) → N4 (q4.yaml:10) → N5"
        );
        assert!(g.over_deep(4).is_empty());
    }

    #[test]
    fn a_long_chain_is_shortened_in_its_message() {
        let edges: Vec<(usize, usize)> = (0..9).map(|i| (i, i + 1)).collect();
        let (g, _) = graph(10, &edges);
        let chains = g.over_deep(3);
        assert_eq!(chains.len(), 1);
        assert_eq!(chains[0].hops, 9);
        assert_eq!(
            g.format_chain(&chains[0], 2),
            "N0 (q0.yaml:10) → N1 (q1.yaml:10) → … (7 more hops) → N9"
        );
    }

    #[test]
    fn a_chain_of_a_hundred_thousand_nodes_needs_no_deep_stack() {
        let n = 100_000;
        let edges: Vec<(usize, usize)> = (0..n - 1).map(|i| (i, i + 1)).collect();
        let (mut g, ids) = graph(n, &edges);
        assert_eq!(g.depths()[0], Some(n - 1));
        assert_eq!(g.over_deep(3).len(), 1);
        g.set_edge(ids[n - 1], ids[0], site("back.yaml", 1));
        let cycles = g.cycles();
        assert_eq!(cycles.len(), 1);
        assert_eq!(cycles[0].len(), n);
        assert_eq!(cycles[0][0], ids[n - 1], "back.yaml sorts first");
    }

    #[test]
    fn tenant_nodes_sort_after_file_nodes() {
        let mut g = RoutingGraph::new();
        let t = g.add_node("t-1", "Tenant Q", Site::tenant()).unwrap();
        let r = g.add_node("r", "Repo Q", site("queues/r.yaml", 2)).unwrap();
        g.set_edge(t, r, Site::tenant());
        g.set_edge(r, t, site("queues/r.yaml", 9));
        let c = g.cycles();
        assert_eq!(c, vec![vec![r, t]]);
        assert_eq!(
            g.format_cycle(&c[0]),
            "Repo Q (queues/r.yaml:9) → Tenant Q (tenant) → Repo Q"
        );
    }
}
