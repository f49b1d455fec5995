//! Loading whole repositories from disk: every problem reported, with its place.

use std::path::Path;

use model::{LoadOptions, Rule, load_repository};

fn write(dir: &Path, rel: &str, body: impl AsRef<[u8]>) {
    let p = dir.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, body).unwrap();
}

fn doc(name: &str, spec: &str) -> String {
    format!("apiVersion: cxqueues/v1\nkind: Queue\nmetadata:\n  name: {name}\nspec:\n{spec}")
}

fn rules(repo: &model::Repository) -> Vec<(Rule, String, u32)> {
    let mut v: Vec<_> = repo
        .diagnostics
        .iter()
        .map(|d| (d.rule, d.file.display().to_string(), d.line))
        .collect();
    v.sort();
    v
}

#[test]
fn multi_document_files_in_nested_folders_load_in_sorted_order() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "queues/b/z.yaml", doc("Z", "  maxWaiters: 3\n"));
    write(
        dir.path(),
        "queues/a.yml",
        format!("{}---\n{}", doc("A1", ""), doc("A2", "")),
    );
    write(dir.path(), "queues/notes.txt", "ignored");
    let repo = load_repository(dir.path(), &LoadOptions::default());
    assert!(repo.diagnostics.is_empty(), "{:#?}", repo.diagnostics);
    let names: Vec<_> = repo
        .queues
        .iter()
        .map(|q| (q.name(), q.file.display().to_string()))
        .collect();
    assert_eq!(
        names,
        [
            ("A1", "queues/a.yml".into()),
            ("A2", "queues/a.yml".into()),
            ("Z", "queues/b/z.yaml".into())
        ]
    );
    assert_eq!(
        repo.queues[1].doc.metadata.name.loc.line, 10,
        "a line in the second document"
    );
}

#[test]
fn every_range_bound_is_checked_one_past_each_side() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "queues/bad.yaml",
        doc(
            "Bad",
            "  serviceLevelTarget: {threshold: 101, time: 0}\n  maxWaitTime: 9\n  maxWaiters: 101\n  overflow: {target: X, waitTime: 29}\n",
        ),
    );
    write(
        dir.path(),
        "queues/ok.yaml",
        doc(
            "Ok",
            "  serviceLevelTarget: {threshold: 100, time: 300}\n  maxWaitTime: 600\n  maxWaiters: 100\n  overflow: null\n",
        ),
    );
    let repo = load_repository(dir.path(), &LoadOptions::default());
    let got = rules(&repo);
    assert_eq!(got.len(), 5, "{got:#?}");
    assert!(
        got.iter()
            .all(|(r, f, _)| *r == Rule::Range && f == "queues/bad.yaml")
    );
    assert_eq!(got.iter().map(|g| g.2).collect::<Vec<_>>(), [6, 6, 7, 8, 9]);
}

#[test]
fn unreadable_inputs_are_reported_and_the_rest_still_loads() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "queues/empty.yaml", "# only a comment\n");
    write(
        dir.path(),
        "queues/latin1.yaml",
        b"apiVersion: cxqueues/v1\nkind: Queue\nmetadata: {name: Caf\xe9}\n",
    );
    write(
        dir.path(),
        "queues/big.yaml",
        doc("Big", &format!("  description: {}\n", "x".repeat(300))),
    );
    write(dir.path(), "queues/good.yaml", doc("Good", ""));
    let outside = tempfile::tempdir().unwrap();
    write(outside.path(), "evil.yaml", doc("Evil", ""));
    std::os::unix::fs::symlink(
        outside.path().join("evil.yaml"),
        dir.path().join("queues/link.yaml"),
    )
    .unwrap();
    let opts = LoadOptions {
        max_file_size: 200,
        ..LoadOptions::default()
    };
    let repo = load_repository(dir.path(), &opts);
    assert_eq!(
        rules(&repo),
        [
            (Rule::File, "queues/big.yaml".into(), 1),
            (Rule::File, "queues/latin1.yaml".into(), 3),
            (Rule::Symlink, "queues/link.yaml".into(), 0),
            (Rule::EmptyFile, "queues/empty.yaml".into(), 1),
        ]
    );
    let names: Vec<_> = repo.queues.iter().map(|q| q.name()).collect();
    assert_eq!(names, ["Good"]);
}

#[test]
fn a_symlink_inside_the_repository_is_followed() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "shared/common.yaml", doc("Common", ""));
    std::fs::create_dir_all(dir.path().join("queues")).unwrap();
    std::os::unix::fs::symlink(
        dir.path().join("shared/common.yaml"),
        dir.path().join("queues/common.yaml"),
    )
    .unwrap();
    let repo = load_repository(dir.path(), &LoadOptions::default());
    assert!(repo.diagnostics.is_empty(), "{:#?}", repo.diagnostics);
    assert_eq!(repo.queues[0].name(), "Common");
}

#[test]
fn the_tenant_document_sets_the_queues_folder_and_the_license() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "cxqueues.yaml",
        "apiVersion: cxqueues/v1\nkind: Tenant\nspec:\n  queues: routing\n  limits: {maxWaiters: 50}\n",
    );
    write(dir.path(), "routing/q.yaml", doc("Q", "  maxWaiters: 60\n"));
    let repo = load_repository(dir.path(), &LoadOptions::default());
    assert_eq!(rules(&repo), [(Rule::License, "routing/q.yaml".into(), 6)]);
    assert_eq!(
        repo.tenant.spec.limits.max_overflow_depth, 3,
        "defaults fill the rest"
    );
}

#[test]
fn a_queues_folder_outside_the_repository_is_refused_and_not_read() {
    let outer = tempfile::tempdir().unwrap();
    let repo_dir = outer.path().join("repo");
    write(
        &repo_dir,
        "cxqueues.yaml",
        "apiVersion: cxqueues/v1\nkind: Tenant\nspec:\n  queues: ../elsewhere\n",
    );
    write(outer.path(), "elsewhere/q.yaml", doc("Outside", ""));
    let repo = load_repository(&repo_dir, &LoadOptions::default());
    assert_eq!(rules(&repo), [(Rule::Symlink, "cxqueues.yaml".into(), 0)]);
    assert!(repo.queues.is_empty());
}

#[test]
fn requests_per_second_out_of_range_is_an_error_at_its_line() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "cxqueues.yaml",
        "apiVersion: cxqueues/v1\nkind: Tenant\nspec:\n  requestsPerSecond: 0\n",
    );
    write(dir.path(), "queues/q.yaml", doc("Q", ""));
    let repo = load_repository(dir.path(), &LoadOptions::default());
    assert_eq!(rules(&repo), [(Rule::Range, "cxqueues.yaml".into(), 4)]);
    assert_eq!(repo.diagnostics[0].column, 22);
}

/// Loads `root` on another thread: `None` when it has not finished within ten seconds (a load
/// that blocks on a FIFO would otherwise hang the test run).
#[cfg(unix)]
fn load_within_bound(root: &Path) -> Option<model::Repository> {
    let (tx, rx) = std::sync::mpsc::channel();
    let root = root.to_path_buf();
    std::thread::spawn(move || {
        let _ = tx.send(load_repository(&root, &LoadOptions::default()));
    });
    rx.recv_timeout(std::time::Duration::from_secs(10)).ok()
}

#[cfg(unix)]
fn mkfifo(path: &Path) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let status = std::process::Command::new("mkfifo")
        .arg(path)
        .status()
        .expect("mkfifo runs");
    assert!(status.success(), "mkfifo {}", path.display());
}

#[cfg(unix)]
#[test]
fn a_fifo_is_an_error_at_its_path_and_is_never_opened_also_through_a_symlink_or_as_the_tenant_file()
{
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "queues/ok.yaml", doc("Ok", "  maxWaiters: 3\n"));
    mkfifo(&dir.path().join("queues/pipe.yaml"));
    mkfifo(&dir.path().join("elsewhere/pipe2.yaml"));
    std::os::unix::fs::symlink(
        "../elsewhere/pipe2.yaml",
        dir.path().join("queues/link.yaml"),
    )
    .unwrap();
    mkfifo(&dir.path().join("cxqueues.yaml"));
    let repo = load_within_bound(dir.path()).expect("the load finished: no FIFO was opened");
    let fifos: Vec<_> = repo
        .diagnostics
        .iter()
        .filter(|d| d.rule == Rule::File && d.message.contains("FIFO"))
        .map(|d| d.file.display().to_string())
        .collect();
    assert_eq!(
        fifos,
        ["cxqueues.yaml", "queues/link.yaml", "queues/pipe.yaml"],
        "{:#?}",
        repo.diagnostics
    );
    assert!(repo.diagnostics[0].message.contains("not a regular file"));
    let names: Vec<_> = repo.queues.iter().map(|q| q.name()).collect();
    assert_eq!(names, ["Ok"], "the regular file is still read");
}

#[test]
fn ids_other_than_the_canonical_hyphenated_uuid_are_errors_whose_hint_is_the_canonical_form() {
    let dir = tempfile::tempdir().unwrap();
    let canonical = "0f8fad5b-d9cb-469f-a165-70867728950e";
    write(
        dir.path(),
        "queues/a.yaml",
        "apiVersion: cxqueues/v1\nkind: Queue\nmetadata:\n  name: A\n  id: \"{0f8fad5b-d9cb-469f-a165-70867728950e}\"\nspec:\n  overflow:\n    targetId: urn:uuid:0f8fad5b-d9cb-469f-a165-70867728950e\n    waitTime: 60\n---\napiVersion: cxqueues/v1\nkind: Queue\nmetadata:\n  name: B\n  id: 0f8fad5bd9cb469fa16570867728950e\n",
    );
    write(
        dir.path(),
        "queues/c.yaml",
        "apiVersion: cxqueues/v1\nkind: Queue\nmetadata:\n  name: C\n  id: 0F8FAD5B-D9CB-469F-A165-70867728950E\n",
    );
    let repo = load_repository(dir.path(), &LoadOptions::default());
    let invalid: Vec<(u32, &str)> = repo
        .diagnostics
        .iter()
        .map(|d| {
            assert_eq!(d.rule, Rule::InvalidId, "{d}");
            (d.line, d.hint.as_deref().unwrap_or_default())
        })
        .collect();
    let hint = format!("write the id as {canonical}");
    assert_eq!(
        invalid,
        [(5, hint.as_str()), (8, hint.as_str()), (15, hint.as_str())]
    );
    // The canonical form in upper case is valid, and kept in one spelling.
    let c = repo.queues.iter().find(|q| q.name() == "C").unwrap();
    assert_eq!(c.doc.metadata.id.as_ref().unwrap().value, canonical);
}

#[test]
fn a_blank_name_is_an_error_at_the_name() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "queues/a.yaml",
        "apiVersion: cxqueues/v1\nkind: Queue\nmetadata:\n  name: \"   \"\n",
    );
    let repo = load_repository(dir.path(), &LoadOptions::default());
    assert_eq!(
        rules(&repo),
        [(Rule::Range, "queues/a.yaml".to_string(), 4)]
    );
    assert!(
        repo.diagnostics[0].message.contains("blank"),
        "{:?}",
        repo.diagnostics
    );
}

#[test]
fn license_limits_outside_the_schema_ranges_are_errors_at_their_lines() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "cxqueues.yaml",
        "apiVersion: cxqueues/v1\nkind: Tenant\nspec:\n  limits:\n    maxWaiters: 0\n    maxOverflowDepth: 101\n    maxSkills: 11\n",
    );
    write(dir.path(), "queues/q.yaml", doc("Q", ""));
    let repo = load_repository(dir.path(), &LoadOptions::default());
    assert_eq!(
        rules(&repo),
        [
            (Rule::Range, "cxqueues.yaml".into(), 5),
            (Rule::Range, "cxqueues.yaml".into(), 6),
            (Rule::Range, "cxqueues.yaml".into(), 7),
        ]
    );
    assert!(
        repo.diagnostics
            .iter()
            .any(|d| d.message == "spec.limits.maxSkills is 11, outside 0–10"),
        "{:?}",
        repo.diagnostics
    );
}

#[test]
fn a_blank_skill_is_an_error_at_the_skill() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "queues/a.yaml",
        doc(
            "A",
            "  skillRequirements:\n    - skill: \"\"\n      proficiency: expert\n",
        ),
    );
    let repo = load_repository(dir.path(), &LoadOptions::default());
    assert_eq!(rules(&repo), [(Rule::Range, "queues/a.yaml".into(), 7)]);
    assert_eq!(repo.diagnostics[0].message, "skill is blank");
}

#[test]
fn the_form_of_an_id_is_the_platforms_a_uuid_or_a_cxone_integer() {
    let uuid = "0f8fad5b-d9cb-469f-a165-70867728950e";
    // (platform, id, valid)
    let table = [
        ("routing-api", uuid, true),
        ("routing-api", "4711", false),
        ("genesys-cloud", uuid, true),
        ("genesys-cloud", "4711", false),
        ("nice-cxone", "4711", true),
        ("nice-cxone", uuid, false),
        ("nice-cxone", "-3", false),
    ];
    for (platform, id, valid) in table {
        let dir = tempfile::tempdir().unwrap();
        write(
            dir.path(),
            "cxqueues.yaml",
            format!("apiVersion: cxqueues/v1\nkind: Tenant\nspec:\n  platform: {platform}\n"),
        );
        write(
            dir.path(),
            "queues/a.yaml",
            format!("apiVersion: cxqueues/v1\nkind: Queue\nmetadata:\n  name: A\n  id: \"{id}\"\n"),
        );
        let repo = load_repository(dir.path(), &LoadOptions::default());
        let invalid: Vec<_> = repo
            .diagnostics
            .iter()
            .filter(|d| d.rule == Rule::InvalidId)
            .collect();
        assert_eq!(invalid.is_empty(), valid, "{platform} {id}: {invalid:?}");
        if let Some(d) = invalid.first() {
            assert_eq!((d.line, d.column), (5, 7), "{d}");
            assert!(d.message.contains(platform), "{d}");
        }
    }
}

#[test]
fn the_service_level_and_short_abandon_ranges_are_the_platforms() {
    // (platform, spec, the error's message, or None when valid)
    let slt = |t: i64, s: i64| format!("  serviceLevelTarget: {{threshold: {t}, time: {s}}}\n");
    let table: Vec<(&str, String, Option<&str>)> = vec![
        ("routing-api", slt(80, 300), None),
        (
            "routing-api",
            slt(80, 301),
            Some("serviceLevelTarget.time is 301, outside 1–300"),
        ),
        ("routing-api", slt(80, 0), Some("outside 1–300")),
        ("nice-cxone", slt(80, 3600), None),
        ("nice-cxone", slt(80, 0), None),
        ("nice-cxone", slt(0, 86_400), None),
        (
            "nice-cxone",
            slt(80, -1),
            Some("serviceLevelTarget.time is -1, below 0"),
        ),
        (
            "nice-cxone",
            slt(101, 30),
            Some("serviceLevelTarget.threshold is 101"),
        ),
        (
            "nice-cxone",
            "  cxone: {shortAbandon: {thresholdSeconds: 300}}\n".into(),
            None,
        ),
        (
            "nice-cxone",
            "  cxone: {shortAbandon: {thresholdSeconds: 0}}\n".into(),
            None,
        ),
        (
            "nice-cxone",
            "  cxone: {shortAbandon: {thresholdSeconds: 400}}\n".into(),
            Some("cxone.shortAbandon.thresholdSeconds is 400, outside 0–300"),
        ),
    ];
    for (platform, spec, want) in table {
        let dir = tempfile::tempdir().unwrap();
        write(
            dir.path(),
            "cxqueues.yaml",
            format!("apiVersion: cxqueues/v1\nkind: Tenant\nspec:\n  platform: {platform}\n"),
        );
        write(dir.path(), "queues/a.yaml", doc("A", &spec));
        let repo = load_repository(dir.path(), &LoadOptions::default());
        let got: Vec<&str> = repo
            .diagnostics
            .iter()
            .map(|d| d.message.as_str())
            .collect();
        match want {
            None => assert!(got.is_empty(), "{platform} {spec}: {got:?}"),
            Some(w) => {
                assert_eq!(got.len(), 1, "{platform} {spec}: {got:?}");
                assert!(got[0].contains(w), "{platform} {spec}: {got:?}");
                assert_eq!(repo.diagnostics[0].rule, Rule::Range);
                assert_eq!(repo.diagnostics[0].line, 6, "{got:?}");
            }
        }
    }
}

#[test]
fn spec_cxone_in_the_tenant_document_is_for_nice_cxone_only() {
    for (platform, ok) in [("nice-cxone", true), ("routing-api", false)] {
        let dir = tempfile::tempdir().unwrap();
        write(
            dir.path(),
            "cxqueues.yaml",
            format!(
                "apiVersion: cxqueues/v1\nkind: Tenant\nspec:\n  platform: {platform}\n  cxone:\n    partialUpdates: true\n"
            ),
        );
        write(dir.path(), "queues/a.yaml", doc("A", "  description: d\n"));
        let repo = load_repository(dir.path(), &LoadOptions::default());
        assert_eq!(
            repo.diagnostics.is_empty(),
            ok,
            "{platform}: {:?}",
            repo.diagnostics
        );
        if ok {
            assert!(repo.tenant.spec.cxone.unwrap().partial_updates);
        } else {
            assert_eq!(repo.diagnostics[0].line, 5, "{:?}", repo.diagnostics);
        }
    }
}
