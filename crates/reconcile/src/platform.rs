//! What a platform can hold, checked offline: a Queue document that declares a field its
//! tenant's platform has no place for is an error at that field, before anything is read
//! from the tenant. The platform's [`Capabilities`] decide; no platform is a special case.

use model::{Diagnostic, Loc, QueueDef, Repository, Rule};
use serde_json::Value;
use tenant::{Capabilities, QueueField};

use crate::plan::Rejected;
use crate::{Observed, Op, Plan};

/// [`crate::plan()`] fitted to the platform the plan will be applied to: every tenant-aware
/// error of both (they accumulate) rejects the plan.
pub fn plan_for_platform(
    repo: &Repository,
    observed: &Observed,
    caps: &Capabilities,
) -> Result<Plan, Rejected> {
    let (plan, mut diagnostics) = crate::plan::diff_and_check(repo, observed);
    let plan = for_platform(plan, repo, observed, caps, &mut diagnostics);
    Rejected::check(plan, diagnostics)
}

/// Fits a plan to the platform it will be applied to: the word for a tombstone
/// ([`Plan::deletes`]); an error for a create that leaves out, or an update that changes, a
/// setting the platform fixes at create ([`Capabilities::create_only`]); and, where the
/// platform deactivates, a tombstone over a queue that is already deactivated is no change.
fn for_platform(
    mut plan: Plan,
    repo: &Repository,
    observed: &Observed,
    caps: &Capabilities,
    diagnostics: &mut Vec<Diagnostic>,
) -> Plan {
    plan.deletes = caps.deletes;
    for c in &plan.changes {
        let loc = repo
            .queues
            .iter()
            .find(|d| d.name() == c.name)
            .map_or(Loc::UNKNOWN, |d| d.doc.metadata.name.loc);
        for path in caps.create_only {
            let problem = match &c.op {
                Op::Create if !c.desired.settings.contains_key(*path) => {
                    format!("a new {} queue needs spec.{path}", caps.platform)
                }
                Op::Update { .. } => match c.fields.iter().find(|f| f.path == *path) {
                    Some(f) => format!(
                        "spec.{path} cannot change from {} to {}: {} fixes it when the queue is \
                         made; make a new queue (a new document with a new name) and tombstone \
                         this one",
                        f.before, f.after, caps.platform
                    ),
                    None => continue,
                },
                _ => continue,
            };
            diagnostics.push(Diagnostic::error(Rule::Unsupported, &c.file, loc, problem));
        }
    }
    let Some(flag) = caps.active_setting else {
        return plan;
    };
    // A platform that deactivates makes a queue active: one declared inactive is made, then
    // deactivated by a second write of the same apply.
    for c in &plan.changes {
        if c.op == Op::Create && c.desired.settings.get(flag) == Some(&Value::Bool(false)) {
            plan.warnings.push(format!(
                "queue {:?} ({}): {} creates it active; apply then deactivates it \
                 (spec.{flag}: false) in a second write",
                c.name,
                c.file.display(),
                caps.platform
            ));
        }
    }
    let inactive = |id: &str| {
        observed.queues.iter().any(|q| {
            q.id.as_deref() == Some(id) && q.settings.get(flag) == Some(&Value::Bool(false))
        })
    };
    let (done, changes): (Vec<_>, Vec<_>) = plan
        .changes
        .into_iter()
        .partition(|c| matches!(&c.op, Op::Delete { id, .. } if inactive(id)));
    plan.changes = changes;
    plan.unchanged.extend(done.into_iter().map(|c| c.name));
    plan
}

/// Where `field` is declared in `def`, if it is (`overflow: null` points at the name).
fn declared_at(def: &QueueDef, field: QueueField) -> Option<Loc> {
    let spec = &def.doc.spec;
    let name = def.doc.metadata.name.loc;
    match field {
        QueueField::Description => spec.description.as_ref().map(|v| v.loc),
        QueueField::SkillRequirements => spec.skill_requirements.as_ref().map(|v| v.loc),
        QueueField::ServiceLevelTarget => spec.service_level_target.as_ref().map(|v| v.loc),
        QueueField::MaxWaitTime => spec.max_wait_time.as_ref().map(|v| v.loc),
        QueueField::MaxWaiters => spec.max_waiters.as_ref().map(|v| v.loc),
        QueueField::Overflow => spec
            .overflow
            .as_ref()
            .map(|o| o.as_ref().map_or(name, |o| o.loc)),
    }
}

/// Every offline cross-file check of a loaded repository: the routing-graph rules 2–7
/// ([`crate::check_repository`]) and what the platform can hold ([`check_platform`]).
pub fn check_offline(repo: &Repository, caps: &Capabilities) -> Vec<Diagnostic> {
    let mut diags = crate::check_repository(repo);
    diags.extend(check_platform(repo, caps));
    diags
}

/// A queue's name, checked against the platform's rule. (The form of its ids is the
/// platform's `IdKind`, checked when the repository is loaded.)
fn check_identity(def: &QueueDef, caps: &Capabilities, diags: &mut Vec<Diagnostic>) {
    let md = &def.doc.metadata;
    if let Some(rule) = caps.names
        && let Some(problem) = (rule.problem)(&md.name.value)
    {
        diags.push(
            Diagnostic::error(Rule::Range, &def.file, md.name.loc, problem).with_hint(format!(
                "rename the queue: {} names have {}",
                caps.platform, rule.rule
            )),
        );
    }
}

/// Every declared field of every queue that the platform cannot hold, and every pinned id or
/// name not of the platform's form.
pub fn check_platform(repo: &Repository, caps: &Capabilities) -> Vec<Diagnostic> {
    let mut diags = Vec::new();
    for def in &repo.queues {
        check_identity(def, caps, &mut diags);
        if let Some(block) = &def.doc.spec.cxone
            && caps.settings_block != Some("cxone")
        {
            diags.push(
                Diagnostic::error(
                    Rule::Unsupported,
                    &def.file,
                    block.loc,
                    format!("spec.cxone cannot be held by a {} queue", caps.platform),
                )
                .with_hint(
                    "spec.cxone is for `spec.platform: nice-cxone`; remove it from this file",
                ),
            );
        }
        for field in QueueField::ALL {
            if caps.supports(field) {
                continue;
            }
            let Some(loc) = declared_at(def, field) else {
                continue;
            };
            let mut d = Diagnostic::error(
                Rule::Unsupported,
                &def.file,
                loc,
                format!(
                    "spec.{} cannot be held by a {} queue",
                    field.key(),
                    caps.platform
                ),
            );
            d = match caps.elsewhere(field) {
                Some(place) => d.with_hint(format!(
                    "{} keeps this setting in {place}; remove it from this file",
                    caps.platform
                )),
                None => d.with_hint("remove it from this file"),
            };
            diags.push(d);
        }
        if let Some(block) = &def.doc.spec.genesys
            && caps.settings_block != Some("genesys")
        {
            diags.push(
                Diagnostic::error(
                    Rule::Unsupported,
                    &def.file,
                    block.loc,
                    format!("spec.genesys cannot be held by a {} queue", caps.platform),
                )
                .with_hint(
                    "spec.genesys is for `spec.platform: genesys-cloud` in cxqueues.yaml; remove it from this file",
                ),
            );
        }
    }
    diags
}

#[cfg(test)]
mod tests {
    use super::*;
    use tenant::{DeleteMode, IdKind, UpdateMode, WriteMode};

    const ONLY_DESCRIPTION: Capabilities = Capabilities {
        platform: "example",
        fields: &[QueueField::Description, QueueField::ServiceLevelTarget],
        elsewhere: &[(QueueField::MaxWaitTime, "the in-queue flow")],
        settings_block: None,
        writes: WriteMode::LastWriterWins,
        updates: UpdateMode::Replace,
        deletes: DeleteMode::Delete,
        ids: IdKind::Uuid,
        page_size: 100,
        names: None,
        active_setting: None,
        create_only: &[],
    };

    /// A repository of one Queue file, `queues/a.yaml`.
    fn parse(text: String) -> Repository {
        let files = vec![model::RepoFile {
            path: "queues/a.yaml".into(),
            bytes: text.into_bytes(),
        }];
        model::parse_files(None, files, &model::LoadOptions::default())
    }

    fn repo(spec: &str) -> Repository {
        parse(format!(
            "apiVersion: cxqueues/v1\nkind: Queue\nmetadata:\n  name: A\nspec:\n{spec}"
        ))
    }

    #[test]
    fn each_field_the_platform_cannot_hold_is_an_error_at_its_line() {
        let table: [(&str, &[(&str, u32)]); 4] = [
            ("  description: d\n", &[]),
            ("  maxWaitTime: 300\n", &[("maxWaitTime", 6)]),
            (
                "  maxWaiters: 5\n  overflow: null\n",
                &[("maxWaiters", 6), ("overflow", 4)],
            ),
            (
                "  skillRequirements: []\n  serviceLevelTarget: {threshold: 80, time: 20}\n",
                &[("skillRequirements", 6)],
            ),
        ];
        for (spec, expected) in table {
            let repo = repo(spec);
            assert!(
                repo.diagnostics.is_empty(),
                "{spec}: {:?}",
                repo.diagnostics
            );
            let diags = check_platform(&repo, &ONLY_DESCRIPTION);
            let got: Vec<(String, u32)> = diags
                .iter()
                .map(|d| {
                    assert_eq!(d.rule, Rule::Unsupported);
                    let field = d.message.split_whitespace().next().unwrap();
                    (field.trim_start_matches("spec.").to_string(), d.line)
                })
                .collect();
            let want: Vec<(String, u32)> =
                expected.iter().map(|(f, l)| (f.to_string(), *l)).collect();
            assert_eq!(got, want, "{spec}");
        }
    }

    #[test]
    fn the_error_says_where_the_platform_keeps_the_setting() {
        let diags = check_platform(&repo("  maxWaitTime: 300\n"), &ONLY_DESCRIPTION);
        assert!(
            diags[0]
                .hint
                .as_deref()
                .unwrap()
                .contains("the in-queue flow"),
            "{:?}",
            diags[0]
        );
    }

    const INTEGER_IDS: Capabilities = Capabilities {
        platform: "example",
        ids: IdKind::Integer,
        deletes: DeleteMode::Deactivate,
        settings_block: Some("cxone"),
        names: Some(tenant::NameRule {
            rule: "no spaces",
            problem: |n| n.contains(' ').then(|| format!("{n:?} has a space")),
        }),
        active_setting: Some("cxone.active"),
        create_only: &["cxone.mediaType"],
        ..ONLY_DESCRIPTION
    };

    /// Plans `repo` against a tenant holding `queues`, fitted to `caps`.
    fn plan_on(
        repo: &Repository,
        queues: Vec<tenant::Queue>,
        caps: &Capabilities,
    ) -> Result<Plan, Rejected> {
        let observed = Observed {
            queues,
            ..Observed::default()
        };
        plan_for_platform(repo, &observed, caps)
    }

    fn doc(meta: &str, spec: &str) -> Repository {
        parse(format!(
            "apiVersion: cxqueues/v1\nkind: Queue\nmetadata:\n  name: A_1\n{meta}spec:\n{spec}"
        ))
    }

    #[test]
    fn a_name_against_the_platforms_rule_is_an_error_at_the_name() {
        let repo = parse(
            "apiVersion: cxqueues/v1\nkind: Queue\nmetadata:\n  name: A B\nspec: {}\n".into(),
        );
        let diags = check_platform(&repo, &INTEGER_IDS);
        assert_eq!(diags.len(), 1, "{diags:?}");
        assert_eq!((diags[0].rule, diags[0].line), (Rule::Range, 4));
        assert!(diags[0].hint.as_deref().unwrap().contains("no spaces"));
        assert!(check_platform(&repo, &ONLY_DESCRIPTION).is_empty());
    }

    #[test]
    fn a_cxone_block_is_an_error_on_a_platform_without_it() {
        let repo = doc("", "  cxone: {active: true}\n");
        assert!(check_platform(&repo, &INTEGER_IDS).is_empty());
        let diags = check_platform(&repo, &ONLY_DESCRIPTION);
        assert_eq!(diags.len(), 1, "{diags:?}");
        assert_eq!((diags[0].rule, diags[0].line), (Rule::Unsupported, 6));
    }

    #[test]
    fn a_tombstone_over_a_deactivated_queue_is_no_change_and_plans_say_deactivate() {
        let text =
            "apiVersion: cxqueues/v1\nkind: Queue\nmetadata:\n  name: Old\n  deleted: true\n";
        let files = vec![model::RepoFile {
            path: "queues/old.yaml".into(),
            bytes: text.as_bytes().to_vec(),
        }];
        let repo = model::parse_files(None, files, &model::LoadOptions::default());
        for (active, changes) in [(true, 1), (false, 0)] {
            let mut q = tenant::Queue::named("Old");
            q.id = Some("7".into());
            q.settings
                .insert("cxone.active".into(), Value::Bool(active));
            let plan = plan_on(&repo, vec![q.clone()], &INTEGER_IDS).unwrap();
            assert_eq!(plan.changes.len(), changes, "active {active}");
            assert_eq!(plan.unchanged.len(), 1 - changes, "active {active}");
            assert_eq!(plan.deletes, DeleteMode::Deactivate);
            // Without an active setting, every tombstone over an existing queue is a change.
            let plain = plan_on(&repo, vec![q], &ONLY_DESCRIPTION).unwrap();
            assert_eq!(plain.changes.len(), 1);
        }
    }

    #[test]
    fn a_create_only_setting_is_required_on_create_and_refused_on_update() {
        let with_media = |media: &str| {
            if media.is_empty() {
                doc("", "  description: d\n")
            } else {
                doc("", &format!("  cxone: {{mediaType: {media}}}\n"))
            }
        };
        let mut existing = tenant::Queue::named("A_1");
        existing.id = Some("7".into());
        existing
            .settings
            .insert("cxone.mediaType".into(), Value::from("voice"));
        let table: [(&str, bool, Option<&str>); 5] = [
            ("chat", false, None),
            ("", false, Some("needs spec.cxone.mediaType")),
            ("voice", true, None),
            ("", true, None),
            ("chat", true, Some("make a new queue")),
        ];
        for (media, exists, want) in table {
            let repo = with_media(media);
            let queues = if exists {
                vec![existing.clone()]
            } else {
                vec![]
            };
            let plan = plan_on(&repo, queues, &INTEGER_IDS)
                .err()
                .unwrap_or_default();
            let errors: Vec<&str> = plan
                .diagnostics
                .iter()
                .map(|d| d.message.as_str())
                .collect();
            match want {
                None => assert!(errors.is_empty(), "{media} {exists}: {errors:?}"),
                Some(w) => {
                    assert_eq!(errors.len(), 1, "{media} {exists}: {errors:?}");
                    assert!(errors[0].contains(w), "{errors:?}");
                    assert_eq!(plan.diagnostics[0].line, 4);
                }
            }
        }
    }

    #[test]
    fn a_new_queue_declared_inactive_is_planned_as_a_create_then_a_deactivation() {
        for (active, warned) in [("false", true), ("true", false)] {
            let repo = doc(
                "",
                &format!("  cxone: {{mediaType: chat, active: {active}}}\n"),
            );
            let plan = plan_on(&repo, vec![], &INTEGER_IDS).unwrap();
            assert_eq!(plan.changes.len(), 1);
            let said = plan
                .warnings
                .iter()
                .any(|w| w.contains("creates it active; apply then deactivates it"));
            assert_eq!(said, warned, "active {active}: {:?}", plan.warnings);
        }
    }
}
