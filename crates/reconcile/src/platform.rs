//! What a platform can hold, checked offline: a Queue document that declares a field its
//! tenant's platform has no place for is an error at that field, before anything is read
//! from the tenant. The platform's [`Capabilities`] decide; no platform is a special case.

use model::{Diagnostic, Loc, QueueDef, Repository, Rule};
use tenant::{Capabilities, QueueField};

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

/// Every declared field of every queue that the platform cannot hold.
pub fn check_platform(repo: &Repository, caps: &Capabilities) -> Vec<Diagnostic> {
    let mut diags = Vec::new();
    for def in &repo.queues {
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
    };

    fn repo(spec: &str) -> Repository {
        let text =
            format!("apiVersion: cxqueues/v1\nkind: Queue\nmetadata:\n  name: A\nspec:\n{spec}");
        let files = vec![model::RepoFile {
            path: "queues/a.yaml".into(),
            bytes: text.into_bytes(),
        }];
        model::parse_files(None, files, &model::LoadOptions::default())
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
}
