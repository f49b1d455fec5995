//! The lossless edit of Queue files: only the proposed scalars change, missing fields are
//! inserted with their siblings' indentation, and everything else stays byte for byte.

use std::path::{Path, PathBuf};

use model::{LoadOptions, QueueDef, RepoFile, Repository, load_repository, parse_files};
use optimize::edit::edit_text;
use optimize::{Change, Field, Metrics, Options, Policy, edit_files, propose};

fn parse(text: &str) -> Repository {
    let repo = parse_files(
        None,
        [RepoFile {
            path: PathBuf::from("queues/q.yaml"),
            bytes: text.as_bytes().to_vec(),
        }],
        &LoadOptions::default(),
    );
    assert!(!repo.has_errors(), "{:#?}", repo.diagnostics);
    repo
}

fn change(field: Field, from: Option<i64>, to: i64) -> Change {
    Change {
        field,
        from: from.map(Into::into),
        to,
        reason: "test".into(),
    }
}

fn edit(text: &str, name: &str, changes: &[Change]) -> Result<String, String> {
    let repo = parse(text);
    let docs: Vec<&QueueDef> = repo.queues.iter().collect();
    edit_text(text, &docs, &[(name, changes)])
}

#[test]
fn a_flow_style_spec_keeps_its_style_quotes_and_comments_and_takes_an_inserted_field() {
    let text = "# a queue written in flow style\n\
apiVersion: cxqueues/v1\n\
kind: Queue\n\
metadata: {name: \"Flow, Inc.\"}   # quoted name\n\
spec: {description: 'it''s fine', serviceLevelTarget: {threshold: 80, time: 20}, maxWaiters: 5} # end\n";
    let out = edit(
        text,
        "Flow, Inc.",
        &[
            change(Field::MaxWaiters, Some(5), 21),
            change(Field::ServiceLevelTime, Some(20), 30),
            change(Field::MaxWaitTime, None, 343),
        ],
    )
    .unwrap();
    assert_eq!(
        out,
        "# a queue written in flow style\n\
apiVersion: cxqueues/v1\n\
kind: Queue\n\
metadata: {name: \"Flow, Inc.\"}   # quoted name\n\
spec: {description: 'it''s fine', serviceLevelTarget: {threshold: 80, time: 30}, maxWaiters: 21, maxWaitTime: 343} # end\n"
    );
}

#[test]
fn a_block_style_spec_takes_missing_fields_at_the_indentation_of_its_siblings() {
    let text = r#"apiVersion: cxqueues/v1
kind: Queue
metadata:
    name: Block
spec:
    # what callers hear about
    description: >-
        Folded text
        over two lines.

    maxWaiters: 10   # the license allows 100
# a comment at column 0 after the spec
"#;
    let out = edit(
        text,
        "Block",
        &[
            change(Field::MaxWaiters, Some(10), 12),
            change(Field::ServiceLevelThreshold, None, 85),
            change(Field::ServiceLevelTime, None, 96),
            change(Field::MaxWaitTime, None, 160),
        ],
    )
    .unwrap();
    assert_eq!(
        out,
        r#"apiVersion: cxqueues/v1
kind: Queue
metadata:
    name: Block
spec:
    # what callers hear about
    description: >-
        Folded text
        over two lines.

    maxWaiters: 12   # the license allows 100
    serviceLevelTarget: {threshold: 85, time: 96}
    maxWaitTime: 160
# a comment at column 0 after the spec
"#
    );
}

#[test]
fn a_multi_line_flow_spec_takes_the_new_field_on_a_line_of_its_own() {
    let text = "apiVersion: cxqueues/v1\nkind: Queue\nmetadata: {name: M}\nspec: {\n  maxWaiters: 5,\n  description: x\n}\n";
    let out = edit(text, "M", &[change(Field::MaxWaitTime, None, 60)]).unwrap();
    assert_eq!(
        out,
        "apiVersion: cxqueues/v1\nkind: Queue\nmetadata: {name: M}\nspec: {\n  maxWaiters: 5,\n  description: x,\n  maxWaitTime: 60\n}\n"
    );
}

#[test]
fn a_queue_without_spec_gets_one_and_the_other_documents_are_untouched() {
    let text = "apiVersion: cxqueues/v1\nkind: Queue\nmetadata:\n  name: A\n# trailing\n---\napiVersion: cxqueues/v1\nkind: Queue\nmetadata:\n  name: B\nspec:\n  maxWaiters: 3\n";
    let out = edit(text, "A", &[change(Field::MaxWaiters, None, 7)]).unwrap();
    assert_eq!(
        out,
        "apiVersion: cxqueues/v1\nkind: Queue\nmetadata:\n  name: A\nspec:\n  maxWaiters: 7\n# trailing\n---\napiVersion: cxqueues/v1\nkind: Queue\nmetadata:\n  name: B\nspec:\n  maxWaiters: 3\n"
    );
    let out = edit(text, "B", &[change(Field::MaxWaiters, Some(3), 4)]).unwrap();
    assert_eq!(out, text.replace("maxWaiters: 3", "maxWaiters: 4"));
}

#[test]
fn a_last_line_without_a_line_end_still_takes_an_inserted_field() {
    let text = "apiVersion: cxqueues/v1\nkind: Queue\nmetadata:\n  name: A\nspec:\n  maxWaiters: 3";
    let out = edit(text, "A", &[change(Field::MaxWaitTime, None, 30)]).unwrap();
    assert_eq!(out, format!("{text}\n  maxWaitTime: 30"));
}

#[test]
fn columns_count_characters_not_bytes() {
    let text = "apiVersion: cxqueues/v1\nkind: Queue\nmetadata: {name: Été}\nspec: {description: \"Français – été\", maxWaiters: 5}\n";
    let out = edit(text, "Été", &[change(Field::MaxWaiters, Some(5), 6)]).unwrap();
    assert_eq!(out, text.replace("maxWaiters: 5", "maxWaiters: 6"));
}

#[test]
fn an_edit_that_would_change_an_aliased_value_elsewhere_is_refused() {
    let text = "apiVersion: cxqueues/v1\nkind: Queue\nmetadata: {name: A}\nspec:\n  maxWaitTime: &w 300\n  overflow: {targetId: 0b6d6f3e-7b0a-4c53-9a59-3f1c0f9f4d11, waitTime: *w}\n";
    let err = edit(text, "A", &[change(Field::MaxWaitTime, Some(300), 60)]).unwrap_err();
    assert!(err.contains("more than the proposed fields"), "{err}");
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

#[test]
fn write_on_the_example_repository_keeps_every_comment_and_changes_only_the_proposed_fields() {
    let root = root();
    let repo = load_repository(&root, &LoadOptions::default());
    assert!(!repo.has_errors(), "{:#?}", repo.diagnostics);
    let metrics = Metrics::parse_json(
        "m.json",
        r#"{"queues": {
            "Sales Inbound": {"activeInteractions": 95, "maxCapacity": 100, "coverageRatio": 0.5},
            "After Hours Callback": {"activeInteractions": 1, "maxCapacity": 10},
            "Technical Escalations": {"activeInteractions": 4, "maxCapacity": 5, "coverageRatio": 1}
        }}"#,
    )
    .unwrap()
    .metrics;
    let opts = Options {
        policy: Policy::Seed,
        ..Options::default()
    };
    let report = propose(&repo, &metrics, &opts).unwrap();
    let edits = edit_files(&repo, &report, |p| {
        std::fs::read_to_string(root.join(p)).map_err(|e| e.to_string())
    })
    .unwrap();
    let files: Vec<_> = edits.iter().map(|e| e.file.display().to_string()).collect();
    assert_eq!(
        files,
        [
            "queues/after-hours.yaml",
            "queues/sales.yaml",
            "queues/support/technical-escalations.yaml"
        ]
    );
    for e in &edits {
        let comments = |t: &str| -> Vec<String> {
            t.lines()
                .filter(|l| l.trim_start().starts_with('#'))
                .map(str::to_string)
                .collect()
        };
        assert_eq!(
            comments(&e.before),
            comments(&e.after),
            "{}",
            e.file.display()
        );
        // Every line that changed is one of the proposed fields, in place.
        let (b, a): (Vec<_>, Vec<_>) = (e.before.lines().collect(), e.after.lines().collect());
        assert_eq!(b.len(), a.len());
        for (x, y) in b.iter().zip(&a) {
            if x != y {
                let key = x.trim_start().split(':').next().unwrap();
                assert!(
                    ["maxWaitTime", "maxWaiters", "serviceLevelTarget"].contains(&key),
                    "{x} → {y}"
                );
            }
        }
    }
    // Reloaded, each queue differs from the original in the proposed fields only.
    let edited = parse_files(
        None,
        edits.iter().map(|e| RepoFile {
            path: e.file.clone(),
            bytes: e.after.clone().into_bytes(),
        }),
        &LoadOptions::default(),
    );
    for q in &edited.queues {
        let before = repo.queues.iter().find(|o| o.name() == q.name()).unwrap();
        let proposal = report.queues.iter().find(|p| p.name == q.name()).unwrap();
        for f in [
            Field::MaxWaitTime,
            Field::MaxWaiters,
            Field::ServiceLevelThreshold,
            Field::ServiceLevelTime,
        ] {
            let expected = proposal
                .changes
                .iter()
                .find(|c| c.field == f)
                .map(|c| c.to.into())
                .or(f.current(&before.doc.spec));
            assert_eq!(
                f.current(&q.doc.spec),
                expected,
                "{} {}",
                q.name(),
                f.name()
            );
        }
        assert_eq!(q.doc.metadata, before.doc.metadata);
        assert_eq!(q.doc.spec.description, before.doc.spec.description);
        assert_eq!(q.doc.spec.overflow, before.doc.spec.overflow);
        assert_eq!(
            q.doc.spec.skill_requirements,
            before.doc.spec.skill_requirements
        );
    }
    // Sales Inbound: 0.95 utilization, coverage 0.5 → wait min(240 + 60, 300) = 300,
    // maxWaiters 80, threshold 70, time 180.
    let sales = edits
        .iter()
        .find(|e| e.file.ends_with("sales.yaml"))
        .unwrap();
    assert!(sales.after.contains(
        "  serviceLevelTarget: {threshold: 70, time: 180}\n  maxWaitTime: 300\n  maxWaiters: 80\n"
    ));
}

#[test]
fn a_block_style_service_level_target_and_crlf_line_ends_are_kept() {
    let text = "apiVersion: cxqueues/v1\r\nkind: Queue\r\nmetadata:\r\n  name: A\r\nspec:\r\n  serviceLevelTarget:\r\n    threshold: 80   # percent\r\n    time: 20\r\n";
    let out = edit(
        text,
        "A",
        &[
            change(Field::ServiceLevelThreshold, Some(80), 70),
            change(Field::MaxWaiters, None, 9),
        ],
    )
    .unwrap();
    assert_eq!(
        out,
        "apiVersion: cxqueues/v1\r\nkind: Queue\r\nmetadata:\r\n  name: A\r\nspec:\r\n  serviceLevelTarget:\r\n    threshold: 70   # percent\r\n    time: 20\r\n  maxWaiters: 9\r\n"
    );
}

#[test]
fn an_estimated_wait_rule_value_is_rewritten_in_place_and_nothing_else_moves() {
    let text = "apiVersion: cxqueues/v1
kind: Queue
metadata: {name: Sales}
spec:
  genesys:
    conditionalGroupRouting:
      rules:
        - {metric: ServiceLevel, operator: LessThan, value: 80, waitSeconds: 10, groups: [{name: G, type: GROUP}]}
        - metric: EstimatedWaitTime   # the overflow threshold
          operator: GreaterThan
          value: 30.5   # seconds
          waitSeconds: 20
          groups: [{name: G, type: GROUP}]
";
    let ch = change(Field::CgrEstimatedWaitTime(1), None, 343);
    let after = edit(text, "Sales", &[ch]).unwrap();
    assert_eq!(after, text.replace("value: 30.5", "value: 343"));
    // A rule the file does not declare has no place to be written.
    let missing = change(Field::CgrEstimatedWaitTime(4), None, 343);
    let err = edit(text, "Sales", &[missing]).unwrap_err();
    assert!(err.contains("rules[4]"), "{err}");
}
