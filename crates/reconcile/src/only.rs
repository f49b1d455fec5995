//! `--only NAME…` (Terraform's `-target`): a plan narrowed to the named queues. The whole
//! repository was validated and planned; only the named queues' changes are kept. A kept
//! change that needs a left-out one first (its overflow target's create, or any change it is
//! ordered after) is refused, naming that queue, rather than applied half-way.

use std::collections::{HashMap, HashSet};

use crate::plan::{Action, Change, Plan};

/// Why a plan cannot be narrowed to the queues named.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum OnlyError {
    /// A name that is no queue of the repository.
    #[error("--only {0:?}: no queue of the repository has this name")]
    Unknown(String),
    /// A named queue whose overflow target would be created by a change left out.
    #[error(
        "{queue}: its overflow target {target:?} would be created by a change --only leaves out; name it too (--only {target:?})"
    )]
    TargetLeftOut { queue: String, target: String },
    /// A named queue's change that must wait for a change left out.
    #[error(
        "{queue}: it must wait for the {action} of {other:?}, which --only leaves out; name it too (--only {other:?})"
    )]
    OrderLeftOut {
        queue: String,
        other: String,
        action: &'static str,
    },
}

impl Plan {
    /// This plan with only the changes of the queues in `names`: every problem at once, or the
    /// narrowed plan (the other changes are left out, not counted as unchanged).
    pub fn only(mut self, names: &[String]) -> Result<Plan, Vec<OnlyError>> {
        let named: HashSet<&str> = names.iter().map(String::as_str).collect();
        let known: HashSet<&str> = self
            .changes
            .iter()
            .map(|c| c.name.as_str())
            .chain(self.unchanged.iter().map(String::as_str))
            .chain(self.skipped.iter().map(String::as_str))
            .collect();
        let mut errors: Vec<OnlyError> = names
            .iter()
            .filter(|n| !known.contains(n.as_str()))
            .map(|n| OnlyError::Unknown(n.clone()))
            .collect();
        let left_out: HashMap<&str, &Change> = self
            .changes
            .iter()
            .filter(|c| !named.contains(c.name.as_str()))
            .map(|c| (c.name.as_str(), c))
            .collect();
        for c in self
            .changes
            .iter()
            .filter(|c| named.contains(c.name.as_str()))
        {
            let target = c.desired.target_name();
            if let Some(t) = target
                && left_out
                    .get(t)
                    .is_some_and(|o| o.action() == Action::Create)
            {
                errors.push(OnlyError::TargetLeftOut {
                    queue: c.name.clone(),
                    target: t.to_string(),
                });
            }
            for a in c.after.iter().filter(|a| Some(a.as_str()) != target) {
                if let Some(o) = left_out.get(a.as_str()) {
                    errors.push(OnlyError::OrderLeftOut {
                        queue: c.name.clone(),
                        other: a.clone(),
                        action: o.action().as_str(),
                    });
                }
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        self.changes.retain(|c| named.contains(c.name.as_str()));
        Ok(self)
    }
}
