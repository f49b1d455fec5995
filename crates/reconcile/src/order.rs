//! The one topological order of a plan's changes, used statically by `plan` (the order the
//! changes are listed and saved in) and dynamically by `apply` (start a change as soon as
//! everything it waits on has finished).

use std::collections::BTreeSet;

/// A dependency graph over `0..n`: `deps` are `(node, what it waits on)` pairs.
#[derive(Debug, Clone)]
pub(crate) struct Schedule {
    waiting_on: Vec<usize>,
    users: Vec<Vec<usize>>,
}

impl Schedule {
    pub(crate) fn new(n: usize, deps: impl IntoIterator<Item = (usize, usize)>) -> Self {
        let mut waiting_on = vec![0usize; n];
        let mut users: Vec<Vec<usize>> = vec![Vec::new(); n];
        for (node, dep) in deps {
            if node < n && dep < n {
                waiting_on[node] += 1;
                users[dep].push(node);
            }
        }
        Self { waiting_on, users }
    }

    /// The nodes that wait on nothing, in index order.
    pub(crate) fn ready(&self) -> Vec<usize> {
        (0..self.waiting_on.len())
            .filter(|&i| self.waiting_on[i] == 0)
            .collect()
    }

    /// Marks `i` finished; returns the nodes that became ready through it.
    pub(crate) fn finish(&mut self, i: usize) -> Vec<usize> {
        let mut now = Vec::new();
        for &u in &self.users[i] {
            self.waiting_on[u] -= 1;
            if self.waiting_on[u] == 0 {
                now.push(u);
            }
        }
        now
    }

    /// Nodes still waiting (on a cycle, once everything else has finished).
    pub(crate) fn still_waiting(&self) -> impl Iterator<Item = usize> + '_ {
        (0..self.waiting_on.len()).filter(|&i| self.waiting_on[i] > 0)
    }

    /// Every node in a topological order, ties broken by the smallest `key`; nodes on a
    /// cycle (which a valid repository cannot produce) follow in index order.
    pub(crate) fn order<K: Ord>(mut self, key: impl Fn(usize) -> K) -> Vec<usize> {
        let n = self.waiting_on.len();
        let mut ready: BTreeSet<(K, usize)> =
            self.ready().into_iter().map(|i| (key(i), i)).collect();
        let mut out = Vec::with_capacity(n);
        while let Some((_, i)) = ready.pop_first() {
            out.push(i);
            for u in self.finish(i) {
                ready.insert((key(u), u));
            }
        }
        out.extend(self.still_waiting().collect::<Vec<_>>());
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dependencies_come_first_and_ties_follow_the_key() {
        // 0 waits on 2, 1 waits on nothing, 2 waits on 3.
        let s = Schedule::new(4, [(0, 2), (2, 3)]);
        assert_eq!(s.clone().order(|i| i), vec![1, 3, 2, 0]);
        assert_eq!(s.order(std::cmp::Reverse), vec![3, 2, 1, 0]);
    }

    #[test]
    fn a_cycle_is_kept_at_the_end_in_index_order() {
        let s = Schedule::new(3, [(0, 1), (1, 0)]);
        assert_eq!(s.order(|i| i), vec![2, 0, 1]);
    }

    #[test]
    fn finishing_a_node_releases_exactly_its_users() {
        let mut s = Schedule::new(3, [(1, 0), (2, 0), (2, 1)]);
        assert_eq!(s.ready(), vec![0]);
        assert_eq!(s.finish(0), vec![1]);
        assert_eq!(s.finish(1), vec![2]);
        assert_eq!(s.still_waiting().count(), 0);
    }
}
