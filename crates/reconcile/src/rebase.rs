//! Reading the tenant ([`observe`]) and re-checking a saved plan against what it holds now
//! ([`Plan::rebase`]).

use std::collections::{HashMap, HashSet};

use tenant::{Listed, Queue, Tenant, TenantError};

use crate::plan::{Change, Observed, Plan};

/// Every queue and skill of the tenant, read concurrently; the queues the adapter could not
/// read ([`tenant::Listed::Unreadable`]) apart.
pub async fn observe<T: Tenant>(tenant: &T) -> Result<Observed, TenantError> {
    let (listed, skills) = futures::join!(tenant.listing(), tenant.list_skills());
    let (mut queues, mut unreadable) = (Vec::new(), Vec::new());
    for item in listed? {
        match item {
            Listed::Queue(q) => queues.push(q),
            Listed::Unreadable(u) => unreadable.push(u),
        }
    }
    Ok(Observed {
        queues,
        skills: skills?,
        unreadable,
    })
}

/// A saved plan re-checked against the tenant.
#[derive(Clone, Debug, Default)]
pub struct Rebased {
    /// What may still be applied.
    pub plan: Plan,
    /// Each queue left out, with the reason.
    pub refused: Vec<String>,
    /// Queues planned afresh (`replan`) because the tenant moved since the saved plan.
    pub replanned: Vec<String>,
}

impl Plan {
    /// This (saved) plan, less the queues whose tenant state moved since it was made —
    /// refused with the reason, and the queues waiting on them too — or, with `replan`, with
    /// those queues taken from `fresh` (a plan made now against `observed`).
    ///
    /// A queue moved when its version differs (platforms with versions), or else when the
    /// values of the fields the plan changes are no longer what the plan saw.
    ///
    /// A saved plan is never trusted beyond what the repository asks for now: a change that
    /// `fresh` (made from the repository and the tenant as they are) does not hold with the
    /// same action, tenant id and declared fields is refused — a hand-edited plan cannot delete
    /// a queue without a tombstone, touch a queue it does not own, or write an overflow the
    /// graph rules would reject.
    pub fn rebase(self, fresh: &Plan, observed: &Observed, replan: bool) -> Rebased {
        let current: HashMap<&str, &Queue> = observed
            .queues
            .iter()
            .filter_map(|q| Some((q.id.as_deref()?, q)))
            .collect();
        let fresh_by_name: HashMap<&str, &Change> =
            fresh.changes.iter().map(|c| (c.name.as_str(), c)).collect();
        let mut plan = self;
        let mut refused = Vec::new();
        let mut moved: HashSet<String> = HashSet::new();
        plan.changes.retain(|c| {
            let justified = fresh_by_name.get(c.name.as_str()).is_some_and(|f| {
                f.action() == c.action() && f.id() == c.id() && f.desired == c.desired
            });
            let Some(id) = c.id() else {
                if !justified {
                    refused.push(unjustified(c, fresh_by_name.get(c.name.as_str()).copied()));
                    moved.insert(c.name.clone());
                }
                return justified;
            };
            let now = current.get(id).copied();
            let why = match c.version() {
                Some(_) => {
                    let now_version = now.and_then(|q| q.version);
                    (now_version != c.version()).then(|| version_moved(c.version(), now_version))
                }
                None => {
                    fields_moved(c, now, fresh_by_name.get(c.name.as_str()).copied()).then(|| {
                        "the fields it changes were changed in the tenant since the plan was made"
                            .to_string()
                    })
                }
            };
            let Some(why) = why else {
                if !justified {
                    refused.push(unjustified(c, fresh_by_name.get(c.name.as_str()).copied()));
                    moved.insert(c.name.clone());
                }
                return justified;
            };
            moved.insert(c.name.clone());
            if !replan {
                let done = if fresh_by_name.contains_key(c.name.as_str()) {
                    ""
                } else {
                    ", and the tenant holds what the repository asks now (was this plan applied already?)"
                };
                refused.push(format!("{}: {why}{done}", c.name));
            }
            false
        });
        let mut replanned = Vec::new();
        if replan {
            for c in &fresh.changes {
                if moved.contains(&c.name) {
                    replanned.push(c.name.clone());
                    plan.changes.push(c.clone());
                }
            }
        } else {
            // Queues that wait on a refused one are not applied either.
            loop {
                let before = plan.changes.len();
                let gone = moved.clone();
                plan.changes.retain(|c| {
                    let blocked = c.after.iter().any(|a| gone.contains(a))
                        || c.desired.target_name().is_some_and(|t| gone.contains(t));
                    if blocked {
                        refused.push(format!("{}: depends on a refused queue", c.name));
                        moved.insert(c.name.clone());
                    }
                    !blocked
                });
                if plan.changes.len() == before {
                    break;
                }
            }
        }
        Rebased {
            plan,
            refused,
            replanned,
        }
    }
}

/// Why a saved change is not what the repository asks now, in words: nothing at all (the
/// tenant already matches: most often, the plan was applied already), or another change.
fn unjustified(c: &Change, fresh: Option<&Change>) -> String {
    let action = c.action().as_str();
    match fresh {
        None => format!(
            "{}: the repository does not ask for this {action} now: the tenant already holds what it asks (was this plan applied already?), or the plan was edited",
            c.name
        ),
        Some(f) => format!(
            "{}: the repository does not ask for this {action} now, but {} {} (the plan was edited, or the repository changed since it was made)",
            c.name,
            if f.action() == crate::Action::Update {
                "an"
            } else {
                "a"
            },
            f.action().as_str()
        ),
    }
}

/// On a platform without versions: whether the fields a saved change sets hold other values
/// now than when it was planned. The same modification marker means nothing moved.
fn fields_moved(saved: &Change, now: Option<&Queue>, fresh: Option<&Change>) -> bool {
    let Some(now) = now else {
        return true;
    };
    if let (Some(then), Some(at)) = (saved.revision(), now.modified_at.as_deref())
        && then.modified_at.as_deref() == Some(at)
    {
        return false;
    }
    let Some(fresh) = fresh else {
        // Nothing left to change: someone already set these fields.
        return !saved.fields.is_empty();
    };
    let befores = |c: &Change| -> HashMap<String, serde_json::Value> {
        c.fields
            .iter()
            .map(|f| (f.path.clone(), f.before.clone()))
            .collect()
    };
    let then = befores(saved);
    let now = befores(fresh);
    then.iter()
        .any(|(path, before)| now.get(path).is_some_and(|b| b != before))
        || then.len() != now.len()
}

/// How a queue's version moved, in words.
fn version_moved(planned: Option<u64>, now: Option<u64>) -> String {
    match (planned, now) {
        (Some(p), Some(n)) => format!("its tenant version moved from {p} to {n}"),
        (Some(p), None) => format!("it was at version {p} and is no longer in the tenant"),
        (None, Some(n)) => format!("it had no version and is now at version {n}"),
        (None, None) => "the tenant no longer reports its version".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::version_moved;

    #[test]
    fn a_moved_version_is_said_in_words_without_rust_debug_text() {
        let cases = [
            (Some(1), Some(2), "its tenant version moved from 1 to 2"),
            (
                Some(1),
                None,
                "it was at version 1 and is no longer in the tenant",
            ),
            (None, Some(3), "it had no version and is now at version 3"),
        ];
        for (planned, now, want) in cases {
            let m = version_moved(planned, now);
            assert_eq!(m, want);
            assert!(!m.contains("Some(") && !m.contains("None"), "{m}");
        }
    }
}
