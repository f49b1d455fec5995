//! Drift modes (`spec.drift` of `cxqueues.yaml`, `metadata.drift` of a queue): whether the
//! reconciler corrects a tenant edit of a managed field, only reports it, or does not look;
//! and the field paths it leaves out of drift and plan altogether.

use std::path::Path;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::{Diagnostic, Rule, Spanned};

pub(crate) fn is_default(d: &DriftDoc) -> bool {
    *d == DriftDoc::default()
}

/// `spec.drift` / `metadata.drift`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct DriftDoc {
    /// `correct` (default): drift is reported and corrected; `warn`: reported, never
    /// corrected (commits are still applied); `off`: not looked for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<DriftMode>,
    /// Field paths as written under `spec` (`maxWaiters`, `overflow.waitTime`,
    /// `genesys.acw.timeoutSeconds`) left out of drift and plan; a declared, ignored field is
    /// still sent when the queue is created.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Vec<String>")]
    pub ignore: Option<Vec<Spanned<String>>>,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum DriftMode {
    #[default]
    Correct,
    Warn,
    Off,
}

impl DriftMode {
    pub fn as_str(self) -> &'static str {
        match self {
            DriftMode::Correct => "correct",
            DriftMode::Warn => "warn",
            DriftMode::Off => "off",
        }
    }
}

/// The drift policy in force for one queue.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DriftPolicy {
    pub mode: DriftMode,
    pub ignore: Vec<String>,
}

impl DriftPolicy {
    /// The queue's `metadata.drift` over the tenant's `spec.drift`, field by field; with
    /// `no_self_heal` (`run --no-self-heal`), `correct` becomes `warn`.
    pub fn of(tenant: &DriftDoc, queue: Option<&DriftDoc>, no_self_heal: bool) -> Self {
        let mode = queue
            .and_then(|q| q.mode)
            .or(tenant.mode)
            .unwrap_or_default();
        let ignore = queue
            .and_then(|q| q.ignore.as_ref())
            .or(tenant.ignore.as_ref())
            .map(|v| v.iter().map(|s| s.value.clone()).collect())
            .unwrap_or_default();
        let mode = match mode {
            DriftMode::Correct if no_self_heal => DriftMode::Warn,
            m => m,
        };
        Self { mode, ignore }
    }

    /// Whether a plan's field path (`overflow.waitTime`, `serviceLevelTarget.time`) is
    /// ignored: named itself or under an ignored path.
    pub fn ignores(&self, path: &str) -> bool {
        self.ignore.iter().any(|i| covers(i, path))
    }
}

/// Whether the ignore path `ignored` covers the field `path`.
pub fn covers(ignored: &str, path: &str) -> bool {
    path == ignored
        || path
            .strip_prefix(ignored)
            .is_some_and(|rest| rest.starts_with('.'))
}

/// The fields of `spec` an ignore path may start with.
const ROOTS: [&str; 8] = [
    "description",
    "skillRequirements",
    "serviceLevelTarget",
    "maxWaitTime",
    "maxWaiters",
    "overflow",
    "genesys",
    "cxone",
];

/// The sub-fields of the fields whose parts a plan names one by one.
const PARTS: [(&str, &[&str]); 2] = [
    ("serviceLevelTarget", &["threshold", "time"]),
    ("overflow", &["target", "waitTime", "enabled"]),
];

/// Checks the ignore paths of a drift block (`where_` names it in messages).
pub fn check(doc: &DriftDoc, file: &Path, where_: &str, diags: &mut Vec<Diagnostic>) {
    for p in doc.ignore.iter().flatten() {
        let path = p.value.as_str();
        let root = path.split('.').next().unwrap_or_default();
        let known: Vec<String> = ROOTS.iter().map(|r| r.to_string()).collect();
        let problem = if !ROOTS.contains(&root) {
            Some(match crate::yaml::nearest(root, &known) {
                Some(n) => format!("did you mean `{n}`?"),
                None => format!("ignore a field of spec: {}", ROOTS.join(", ")),
            })
        } else if let Some((_, parts)) = PARTS.iter().find(|(r, _)| *r == root)
            && let Some(rest) = path.strip_prefix(root).and_then(|r| r.strip_prefix('.'))
            && !parts.contains(&rest)
        {
            Some(format!(
                "{root} has {}",
                parts
                    .iter()
                    .map(|p| format!("`{root}.{p}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
        } else if path.ends_with('.') || path.contains("..") {
            Some("write the path as under spec, e.g. `overflow.waitTime`".into())
        } else {
            None
        };
        if let Some(hint) = problem {
            diags.push(
                Diagnostic::error(
                    Rule::DriftIgnore,
                    file,
                    p.loc,
                    format!("{where_}.ignore: {path:?} is not a field of a queue's spec"),
                )
                .with_hint(hint),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_ignore_path_covers_itself_and_what_is_under_it_only() {
        for (ignored, path, want) in [
            ("maxWaiters", "maxWaiters", true),
            ("overflow", "overflow.waitTime", true),
            ("overflow.waitTime", "overflow.waitTime", true),
            ("overflow.waitTime", "overflow.enabled", false),
            ("maxWait", "maxWaitTime", false),
            ("genesys.acw", "genesys.acw.timeoutSeconds", true),
        ] {
            assert_eq!(covers(ignored, path), want, "{ignored} / {path}");
        }
    }

    #[test]
    fn the_queue_block_overrides_the_tenant_block_field_by_field_and_the_flag_turns_correct_into_warn()
     {
        let ign = |v: &[&str]| {
            Some(
                v.iter()
                    .map(|s| Spanned::unlocated(s.to_string()))
                    .collect(),
            )
        };
        let tenant = DriftDoc {
            mode: Some(DriftMode::Correct),
            ignore: ign(&["maxWaiters"]),
        };
        let queue = DriftDoc {
            mode: Some(DriftMode::Off),
            ignore: None,
        };
        let p = DriftPolicy::of(&tenant, Some(&queue), false);
        assert_eq!(p.mode, DriftMode::Off);
        assert_eq!(p.ignore, vec!["maxWaiters".to_string()]);
        assert_eq!(DriftPolicy::of(&tenant, None, true).mode, DriftMode::Warn);
        assert_eq!(
            DriftPolicy::of(&tenant, Some(&queue), true).mode,
            DriftMode::Off
        );
    }

    #[test]
    fn unknown_ignore_paths_are_errors_with_a_hint() {
        let doc = DriftDoc {
            mode: None,
            ignore: Some(
                ["maxWaiter", "overflow.wait", "genesys.acw.timeoutSeconds"]
                    .iter()
                    .map(|s| Spanned::unlocated(s.to_string()))
                    .collect(),
            ),
        };
        let mut diags = Vec::new();
        check(&doc, Path::new("cxqueues.yaml"), "spec.drift", &mut diags);
        assert_eq!(diags.len(), 2, "{diags:?}");
        assert_eq!(diags[0].hint.as_deref(), Some("did you mean `maxWaiters`?"));
        assert!(
            diags[1]
                .hint
                .as_deref()
                .is_some_and(|h| h.contains("overflow.waitTime"))
        );
    }
}
