//! The bad-input corpus: each folder of `tests/corpus/` is a small repository that breaks one
//! rule of `repo-format.md` (or holds every value on the edge of a range, `bounds_ok`). Each
//! test runs the real binary on one case with `--format json` and checks the exit code and the
//! rule, file, line and column of what it reports.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use serde_json::Value;

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("the workspace root exists")
}

fn case(name: &str) -> PathBuf {
    let dir = workspace_root().join("tests/corpus").join(name);
    assert!(dir.is_dir(), "missing corpus case {}", dir.display());
    dir
}

fn cxqueues(args: &[&str], cwd: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_cxqueues"))
        .args(args)
        .current_dir(cwd)
        .env_remove("NO_COLOR")
        .output()
        .expect("the cxqueues binary runs")
}

/// `cxqueues validate --format json --repo <repo> <extra>`: the exit code and the document.
fn validate_json(repo: &Path, extra: &[&str]) -> (i32, Value) {
    let repo_arg = repo.to_str().expect("a UTF-8 path");
    let mut args = vec!["validate", "--format", "json", "--repo", repo_arg];
    args.extend_from_slice(extra);
    let out = cxqueues(&args, &workspace_root());
    let stdout = String::from_utf8(out.stdout).expect("UTF-8 output");
    let doc: Value = serde_json::from_str(&stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}):\n{stdout}\nstderr:\n{}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out.status.code().expect("an exit code"), doc)
}

/// One diagnostic a case must report. `column: None` where the column is the parser's choice.
#[derive(Debug, Clone, Copy)]
struct Expect {
    rule: &'static str,
    file: &'static str,
    line: u64,
    column: Option<u64>,
}

const fn at(rule: &'static str, file: &'static str, line: u64, column: u64) -> Expect {
    Expect {
        rule,
        file,
        line,
        column: Some(column),
    }
}

const fn at_line(rule: &'static str, file: &'static str, line: u64) -> Expect {
    Expect {
        rule,
        file,
        line,
        column: None,
    }
}

fn diagnostics(doc: &Value) -> &Vec<Value> {
    doc["diagnostics"].as_array().expect("a diagnostics array")
}

fn matches(d: &Value, e: &Expect) -> bool {
    d["rule"] == e.rule
        && d["file"] == e.file
        && d["line"] == e.line
        && e.column.is_none_or(|c| d["column"] == c)
}

/// Checks a failing run: exit 1, `valid: false`, every expected diagnostic reported as an
/// error, and no error of a rule or file the case does not expect. Returns the diagnostics
/// matching each expectation, in order, for further checks.
fn assert_fails_with(run: &(i32, Value), expected: &[Expect]) -> Vec<Value> {
    let (code, doc) = run;
    let pretty = serde_json::to_string_pretty(doc).unwrap();
    assert_eq!(*code, 1, "exit code; output:\n{pretty}");
    assert_eq!(doc["formatVersion"], 1);
    assert_eq!(doc["valid"], false, "{pretty}");
    let diags = diagnostics(doc);
    let errors: Vec<&Value> = diags.iter().filter(|d| d["severity"] == "error").collect();
    assert_eq!(doc["errors"], errors.len(), "{pretty}");
    let mut found = Vec::new();
    for e in expected {
        let d = errors
            .iter()
            .find(|d| matches(d, e))
            .unwrap_or_else(|| panic!("expected an error {e:?}, got:\n{pretty}"));
        found.push((*d).clone());
    }
    for d in &errors {
        assert!(
            expected
                .iter()
                .any(|e| d["rule"] == e.rule && d["file"] == e.file),
            "unexpected error {d}\nexpected only {expected:?}"
        );
        assert!(
            d["ruleNumber"].as_u64().is_some_and(|n| n <= 8),
            "ruleNumber of {d}"
        );
    }
    found
}

fn message(d: &Value) -> &str {
    d["message"].as_str().expect("a message")
}

fn hint(d: &Value) -> &str {
    d["hint"]
        .as_str()
        .unwrap_or_else(|| panic!("a hint in {d}"))
}

/// Copies a corpus case into a temporary folder, for the cases that need files made at test
/// time (symlinks, large files).
fn temp_copy(name: &str) -> tempfile::TempDir {
    fn copy(from: &Path, to: &Path) {
        std::fs::create_dir_all(to).unwrap();
        for entry in std::fs::read_dir(from).unwrap() {
            let entry = entry.unwrap();
            let target = to.join(entry.file_name());
            if entry.file_type().unwrap().is_dir() {
                copy(&entry.path(), &target);
            } else {
                std::fs::copy(entry.path(), target).unwrap();
            }
        }
    }
    let tmp = tempfile::tempdir().unwrap();
    copy(&case(name), &tmp.path().join("repo"));
    tmp
}

// ---- Reading files ------------------------------------------------------------------------

#[test]
fn a_yaml_syntax_error_is_a_parse_error_at_its_line() {
    let found = assert_fails_with(
        &validate_json(&case("yaml_syntax"), &[]),
        &[at_line("parse", "queues/a.yaml", 8)],
    );
    assert!(message(&found[0]).contains("did not find expected key"));
}

#[test]
fn a_file_that_is_not_utf8_is_reported_at_its_first_bad_byte() {
    let found = assert_fails_with(
        &validate_json(&case("invalid_utf8"), &[]),
        &[at("file", "queues/a.yaml", 7, 19)],
    );
    assert!(message(&found[0]).contains("UTF-8"));
}

#[test]
fn an_empty_file_and_a_file_of_comments_hold_no_document() {
    assert_fails_with(
        &validate_json(&case("empty_file"), &[]),
        &[
            at("empty-file", "queues/empty.yaml", 1, 1),
            at("empty-file", "queues/only-comments.yaml", 1, 1),
        ],
    );
}

#[test]
fn a_file_above_max_file_size_is_refused_unread() {
    let found = assert_fails_with(
        &validate_json(&case("oversized"), &["--max-file-size", "100"]),
        &[at("file", "queues/big.yaml", 1, 1)],
    );
    assert!(message(&found[0]).contains("100-byte limit"), "{found:?}");
    // The same file passes under the default limit.
    let (code, doc) = validate_json(&case("oversized"), &[]);
    assert_eq!(code, 0, "{doc}");
}

#[test]
fn a_file_one_byte_above_the_default_mebibyte_is_refused_and_one_at_it_is_read() {
    const MIB: usize = 1024 * 1024;
    let tmp = temp_copy("oversized");
    let repo = tmp.path().join("repo");
    let big = repo.join("queues/big.yaml");
    let mut text = std::fs::read_to_string(&big).unwrap();
    let padding = MIB - text.len();
    let comment = "# padding\n".repeat((padding - 1) / 10);
    text.push_str(&comment);
    text.push_str(&"#".repeat(MIB - text.len() - 1));
    text.push('\n');
    assert_eq!(text.len(), MIB);
    std::fs::write(&big, &text).unwrap();
    let (code, doc) = validate_json(&repo, &[]);
    assert_eq!(code, 0, "a file of exactly 1 MiB is read: {doc}");
    assert_eq!(doc["queues"], 1);

    text.push('\n');
    std::fs::write(&big, &text).unwrap();
    let found = assert_fails_with(
        &validate_json(&repo, &[]),
        &[at("file", "queues/big.yaml", 1, 1)],
    );
    assert!(message(&found[0]).contains("1048577 bytes"), "{found:?}");
}

#[cfg(unix)]
#[test]
fn a_symlink_out_of_the_repository_is_an_error_and_is_not_followed() {
    let tmp = temp_copy("symlink_out");
    let repo = tmp.path().join("repo");
    // Outside the repository: a queue with an error of its own, which must not be reported.
    let outside = tmp.path().join("outside.yaml");
    std::fs::write(
        &outside,
        "apiVersion: cxqueues/v1\nkind: Queue\nmetadata: {name: Outside}\nspec: {maxWaiters: 500}\n",
    )
    .unwrap();
    std::os::unix::fs::symlink(&outside, repo.join("queues/outside.yaml")).unwrap();
    let run = validate_json(&repo, &[]);
    let found = assert_fails_with(&run, &[at("symlink", "queues/outside.yaml", 0, 0)]);
    assert!(message(&found[0]).contains("not followed"), "{found:?}");
    assert!(
        !diagnostics(&run.1).iter().any(|d| d["rule"] == "range"),
        "the target was read: {}",
        run.1
    );
}

#[test]
fn a_missing_queues_folder_is_an_error() {
    let found = assert_fails_with(
        &validate_json(&case("no_queues_folder"), &[]),
        &[at("file", "cxqueues.yaml", 0, 0)],
    );
    assert!(message(&found[0]).contains("`queues`"), "{found:?}");
}

// ---- Rule 1: parse, kinds, unknown fields, duplicate keys, ranges ---------------------------

#[test]
fn wrong_types_are_reported_in_every_file_at_the_value() {
    let run = validate_json(&case("wrong_types"), &[]);
    let found = assert_fails_with(
        &run,
        &[
            at("parse", "queues/a.yaml", 7, 15),
            at("parse", "queues/b.yaml", 10, 14),
            at("parse", "queues/c.yaml", 7, 22),
        ],
    );
    assert!(message(&found[0]).contains("integer"), "{found:?}");
    assert!(message(&found[1]).contains("bool"), "{found:?}");
    // Sorted by file, line and column.
    let files: Vec<&str> = diagnostics(&run.1)
        .iter()
        .map(|d| d["file"].as_str().unwrap())
        .collect();
    assert_eq!(files, ["queues/a.yaml", "queues/b.yaml", "queues/c.yaml"]);
}

#[test]
fn a_typo_in_a_field_names_it_and_suggests_the_nearest_known_field() {
    let found = assert_fails_with(
        &validate_json(&case("unknown_field"), &[]),
        &[at("unknown-field", "queues/a.yaml", 8, 3)],
    );
    assert!(message(&found[0]).contains("maxWaiter"), "{found:?}");
    assert_eq!(hint(&found[0]), "did you mean `maxWaiters`?");
}

#[test]
fn a_duplicate_key_is_reported_at_its_second_occurrence() {
    let found = assert_fails_with(
        &validate_json(&case("duplicate_key"), &[]),
        &[at("duplicate-key", "queues/a.yaml", 9, 3)],
    );
    assert!(message(&found[0]).contains("maxWaiters"), "{found:?}");
}

#[test]
fn an_unknown_kind_is_a_kind_error() {
    let found = assert_fails_with(
        &validate_json(&case("unknown_kind"), &[]),
        &[at("kind", "queues/a.yaml", 3, 7)],
    );
    assert!(message(&found[0]).contains("Queues"), "{found:?}");
}

#[test]
fn an_unknown_api_version_is_a_kind_error() {
    let found = assert_fails_with(
        &validate_json(&case("unknown_api_version"), &[]),
        &[at("kind", "queues/a.yaml", 2, 13)],
    );
    assert!(message(&found[0]).contains("cxqueues/v2"), "{found:?}");
}

#[test]
fn a_queue_without_a_name_is_a_parse_error_in_its_metadata() {
    let found = assert_fails_with(
        &validate_json(&case("missing_name"), &[]),
        &[at_line("parse", "queues/a.yaml", 5)],
    );
    assert!(
        message(&found[0]).contains("missing field `name`"),
        "{found:?}"
    );
}

#[test]
fn an_unknown_proficiency_is_a_parse_error_at_the_value() {
    let found = assert_fails_with(
        &validate_json(&case("unknown_proficiency"), &[]),
        &[at("parse", "queues/a.yaml", 9, 20)],
    );
    assert!(message(&found[0]).contains("guru"), "{found:?}");
}

#[test]
fn a_typo_in_the_tenant_document_is_reported_in_cxqueues_yaml() {
    let found = assert_fails_with(
        &validate_json(&case("tenant_unknown_field"), &[]),
        &[at("unknown-field", "cxqueues.yaml", 7, 5)],
    );
    assert_eq!(hint(&found[0]), "did you mean `maxWaiters`?");
}

#[test]
fn an_error_in_the_second_document_of_a_file_is_reported_at_its_line_in_the_file() {
    let (code, doc) = validate_json(&case("multi_doc_errors"), &[]);
    assert_fails_with(
        &(code, doc.clone()),
        &[at("range", "queues/a.yaml", 15, 16)],
    );
    assert_eq!(doc["queues"], 3, "the other documents are still read");
}

#[test]
fn a_typo_in_the_second_document_of_a_file_is_reported_at_its_line_in_the_file() {
    let found = assert_fails_with(
        &validate_json(&case("multi_doc_unknown_field"), &[]),
        &[at("unknown-field", "queues/a.yaml", 18, 5)],
    );
    assert_eq!(hint(&found[0]), "did you mean `enabled`?");
}

#[test]
fn a_typo_does_not_hide_a_range_error_or_a_cycle_in_the_same_file() {
    let run = validate_json(&case("typo_range_cycle"), &[]);
    let found = assert_fails_with(
        &run,
        &[
            at("unknown-field", "queues/a.yaml", 7, 3),
            at("range", "queues/a.yaml", 17, 15),
            at_line("cycle", "queues/a.yaml", 9),
        ],
    );
    assert_eq!(hint(&found[0]), "did you mean `maxWaitTime`?");
    assert_eq!(run.1["queues"], 2, "{}", run.1);
    assert_eq!(run.1["queuesWithErrors"], 2, "{}", run.1);
    let out = cxqueues(&["validate", "--repo", "."], &case("typo_range_cycle"));
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(
        text.lines().last(),
        Some("3 errors, 0 warnings in 1 file: 2 queues checked, 2 with errors"),
        "{text}"
    );
}

/// A range case: one error of rule `range` at `line:column` of `queues/a.yaml`, whose message
/// names the value.
fn assert_out_of_range(name: &str, line: u64, column: u64, value: &str) {
    let found = assert_fails_with(
        &validate_json(&case(name), &[]),
        &[at("range", "queues/a.yaml", line, column)],
    );
    assert!(
        message(&found[0]).contains(value),
        "{name}: {value} not in {found:?}"
    );
}

#[test]
fn a_threshold_of_minus_1_is_out_of_range() {
    assert_out_of_range("range_threshold_low", 8, 16, "-1");
}

#[test]
fn a_threshold_of_101_is_out_of_range() {
    assert_out_of_range("range_threshold_high", 8, 16, "101");
}

#[test]
fn a_service_level_time_of_0_is_out_of_range() {
    assert_out_of_range("range_time_low", 9, 11, "is 0");
}

#[test]
fn a_service_level_time_of_301_is_out_of_range() {
    assert_out_of_range("range_time_high", 9, 11, "301");
}

#[test]
fn an_overflow_wait_time_of_29_is_out_of_range() {
    assert_out_of_range("range_overflow_wait_low", 9, 15, "29");
}

#[test]
fn an_overflow_wait_time_of_601_is_out_of_range() {
    assert_out_of_range("range_overflow_wait_high", 9, 15, "601");
}

#[test]
fn a_max_wait_time_of_9_is_out_of_range() {
    assert_out_of_range("range_max_wait_time_low", 7, 16, "is 9");
}

#[test]
fn a_max_wait_time_of_601_is_out_of_range() {
    assert_out_of_range("range_max_wait_time_high", 7, 16, "601");
}

#[test]
fn max_waiters_of_0_is_out_of_range() {
    assert_out_of_range("range_max_waiters_low", 7, 15, "is 0");
}

#[test]
fn max_waiters_of_101_is_out_of_range() {
    assert_out_of_range("range_max_waiters_high", 7, 15, "101");
}

#[test]
fn a_name_of_65_characters_is_out_of_range() {
    assert_out_of_range("range_name_long", 5, 9, "65");
}

#[test]
fn an_empty_name_is_out_of_range() {
    assert_out_of_range("range_name_empty", 5, 9, "0 characters");
}

#[test]
fn a_description_of_513_characters_is_out_of_range() {
    assert_out_of_range("range_description_long", 7, 16, "513");
}

#[test]
fn values_on_the_edges_of_every_range_are_valid() {
    let (code, doc) = validate_json(&case("bounds_ok"), &[]);
    assert_eq!(code, 0, "{doc}");
    assert_eq!(doc["valid"], true);
    assert_eq!(doc["queues"], 3);
    assert_eq!(diagnostics(&doc).len(), 0, "{doc}");
}

#[test]
fn a_quoted_number_a_null_and_a_braced_id_are_errors_at_the_value() {
    let found = assert_fails_with(
        &validate_json(&case("null_and_quoted"), &[]),
        &[
            at("parse", "queues/a.yaml", 7, 15),
            at("parse", "queues/b.yaml", 7, 16),
            at("invalid-id", "queues/c.yaml", 6, 7),
        ],
    );
    assert!(
        message(&found[0]).contains("the string \"60\""),
        "{found:?}"
    );
    assert!(hint(&found[0]).contains("without quotes"), "{found:?}");
    assert!(hint(&found[1]).contains("leave the field out"), "{found:?}");
    assert_eq!(
        hint(&found[2]),
        "write the id as 0f8fad5b-d9cb-469f-a165-70867728950e"
    );
}

// ---- Rule 2: names and ids ----------------------------------------------------------------

#[test]
fn a_name_used_twice_is_reported_at_the_second_queue_and_names_the_first() {
    let found = assert_fails_with(
        &validate_json(&case("duplicate_names"), &[]),
        &[at("duplicate-name", "queues/b.yaml", 12, 9)],
    );
    assert!(message(&found[0]).contains("queues/a.yaml:5"), "{found:?}");
}

#[test]
fn an_id_used_twice_is_reported_at_the_second_queue_and_names_the_first() {
    let found = assert_fails_with(
        &validate_json(&case("duplicate_ids"), &[]),
        &[at("duplicate-id", "queues/b.yaml", 6, 7)],
    );
    assert!(message(&found[0]).contains("queues/a.yaml:6"), "{found:?}");
}

#[test]
fn an_id_that_is_not_a_uuid_is_an_error() {
    let found = assert_fails_with(
        &validate_json(&case("invalid_id"), &[]),
        &[at("invalid-id", "queues/a.yaml", 6, 7)],
    );
    assert!(message(&found[0]).contains("sales-queue-1"), "{found:?}");
}

// ---- Rule 3: overflow targets -------------------------------------------------------------

#[test]
fn a_queue_that_overflows_to_itself_is_an_error() {
    assert_fails_with(
        &validate_json(&case("self_target"), &[]),
        &[at("self-overflow", "queues/a.yaml", 8, 13)],
    );
}

#[test]
fn an_overflow_to_a_queue_the_repository_does_not_have_is_an_error() {
    let found = assert_fails_with(
        &validate_json(&case("dangling_target"), &[]),
        &[at("dangling-target", "queues/a.yaml", 8, 13)],
    );
    assert!(message(&found[0]).contains("Sales Overflow"), "{found:?}");
}

#[test]
fn an_overflow_with_both_target_and_target_id_is_an_error() {
    assert_fails_with(
        &validate_json(&case("target_and_target_id"), &[]),
        &[at("overflow-target", "queues/a.yaml", 8, 13)],
    );
}

#[test]
fn an_overflow_with_neither_target_nor_target_id_is_an_error() {
    assert_fails_with(
        &validate_json(&case("overflow_without_target"), &[]),
        &[at("overflow-target", "queues/a.yaml", 8, 5)],
    );
}

// ---- Rule 4: cycles -----------------------------------------------------------------------

#[test]
fn a_cycle_of_three_queues_in_three_files_lists_every_edge_with_its_file_and_line() {
    let found = assert_fails_with(
        &validate_json(&case("cycle_3"), &[]),
        &[at("cycle", "queues/a.yaml", 8, 13)],
    );
    let m = message(&found[0]);
    for edge in [
        "A (queues/a.yaml:8)",
        "B (queues/b.yaml:8)",
        "C (queues/c.yaml:8)",
    ] {
        assert!(m.contains(edge), "{edge} not in {m}");
    }
}

#[test]
fn a_cycle_of_five_queues_lists_its_five_edges_and_not_the_queue_feeding_it() {
    let found = assert_fails_with(
        &validate_json(&case("cycle_5"), &[]),
        &[at("cycle", "queues/one.yaml", 8, 13)],
    );
    let m = message(&found[0]);
    for edge in [
        "Q1 (queues/one.yaml:8)",
        "Q2 (queues/one.yaml:17)",
        "Q3 (queues/two.yaml:8)",
        "Q4 (queues/sub/three.yaml:8)",
        "Q5 (queues/sub/three.yaml:17)",
    ] {
        assert!(m.contains(edge), "{edge} not in {m}");
    }
    assert!(!m.contains("Feeder"), "{m}");
}

// ---- Rule 5: depth ------------------------------------------------------------------------

#[test]
fn a_chain_of_four_hops_is_longer_than_the_default_limit_of_three() {
    let found = assert_fails_with(
        &validate_json(&case("depth_4"), &[]),
        &[at("depth", "queues/chain.yaml", 8, 13)],
    );
    let m = message(&found[0]);
    assert!(m.contains("D0") && m.contains("D4"), "{m}");
}

// ---- Rule 6: skills and the license -------------------------------------------------------

#[test]
fn eleven_skill_requirements_are_above_the_default_limit_of_ten() {
    let found = assert_fails_with(
        &validate_json(&case("too_many_skills"), &[]),
        &[at("skill-count", "queues/a.yaml", 8, 5)],
    );
    assert!(message(&found[0]).contains("11"), "{found:?}");
}

#[test]
fn a_skill_required_twice_is_reported_at_its_second_requirement() {
    let found = assert_fails_with(
        &validate_json(&case("duplicate_skill"), &[]),
        &[at("duplicate-skill", "queues/a.yaml", 12, 14)],
    );
    assert!(message(&found[0]).contains("line 8"), "{found:?}");
}

#[test]
fn max_waiters_above_the_licensed_limit_is_an_error_and_at_it_is_not() {
    let found = assert_fails_with(
        &validate_json(&case("license"), &[]),
        &[at("license", "queues/a.yaml", 14, 15)],
    );
    assert!(message(&found[0]).contains("50"), "{found:?}");
}

// ---- Hostile input ------------------------------------------------------------------------

#[test]
fn a_billion_laughs_alias_bomb_is_refused_quickly() {
    let started = Instant::now();
    let run = validate_json(&case("alias_bomb"), &[]);
    let elapsed = started.elapsed();
    // Refused where the expansion crosses the budget (the values are read whole, so no
    // wrong type of a label stops the read before it).
    let found = assert_fails_with(&run, &[at_line("parse", "queues/a.yaml", 11)]);
    assert!(message(&found[0]).contains("alias"), "{found:?}");
    assert!(!message(&found[0]).contains("(used"), "{found:?}");
    assert!(elapsed < Duration::from_secs(20), "took {elapsed:?}");
}

// ---- Rule 7: warnings ---------------------------------------------------------------------

#[test]
fn warnings_alone_are_reported_and_exit_0() {
    let (code, doc) = validate_json(&case("warnings"), &[]);
    assert_eq!(code, 0, "{doc}");
    assert_eq!(doc["valid"], true);
    assert_eq!(doc["errors"], 0);
    let warnings: Vec<(&str, &str, u64)> = diagnostics(&doc)
        .iter()
        .map(|d| {
            assert_eq!(d["severity"], "warning", "{d}");
            assert_eq!(d["ruleNumber"], 7, "{d}");
            (
                d["rule"].as_str().unwrap(),
                d["file"].as_str().unwrap(),
                d["line"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(doc["warnings"], warnings.len());
    assert!(
        warnings.contains(&("overflow-never-fires", "queues/a.yaml", 10)),
        "{doc}"
    );
    assert!(
        warnings.contains(&("disabled-overflow-target", "queues/a.yaml", 20)),
        "{doc}"
    );
}

// ---- The example repository and the other formats -----------------------------------------

#[test]
fn the_example_repository_at_the_workspace_root_is_valid_without_warnings() {
    let (code, doc) = validate_json(&workspace_root(), &[]);
    assert_eq!(code, 0, "{doc}");
    assert_eq!(doc["valid"], true);
    assert_eq!(diagnostics(&doc).len(), 0, "{doc}");
    assert!(doc["queues"].as_u64().unwrap() >= 15, "{doc}");
}

#[test]
fn text_output_names_file_line_and_column_the_rule_and_the_hint() {
    let dir = case("range_threshold_high");
    let out = cxqueues(&["validate", "--repo", "."], &dir);
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.lines().any(|l| l
            .starts_with("queues/a.yaml:8:16: error[range]: serviceLevelTarget.threshold is 101")),
        "{text}"
    );
    assert!(text.contains("threshold: 101"), "the source line: {text}");
    assert!(text.contains("help: use a value from 0 to 100"), "{text}");
    assert_eq!(
        text.lines().last(),
        Some("1 error, 0 warnings in 1 file: 1 queue checked, 1 with errors")
    );
    assert!(!text.contains('\u{1b}'), "no colour off a terminal: {text}");
}

#[test]
fn github_output_is_one_error_command_per_diagnostic_with_the_repository_path() {
    let out = cxqueues(
        &[
            "validate",
            "--format",
            "github",
            "--repo",
            "tests/corpus/range_threshold_high",
        ],
        &workspace_root(),
    );
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8(out.stdout).unwrap();
    let commands: Vec<&str> = text.lines().filter(|l| l.starts_with("::")).collect();
    assert_eq!(
        commands,
        [
            "::error file=tests/corpus/range_threshold_high/queues/a.yaml,line=8,col=16,\
          title=error[range]::serviceLevelTarget.threshold is 101, outside 0–100; \
          help: use a value from 0 to 100 (values are never clamped)"
        ],
        "{text}"
    );
}

#[test]
fn github_output_marks_warnings_as_warnings() {
    let out = cxqueues(
        &["validate", "--format", "github", "--repo", "."],
        &case("warnings"),
    );
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.lines()
            .any(|l| l.starts_with("::warning file=queues/a.yaml,line=20,")),
        "{text}"
    );
    assert!(!text.contains("::error"), "{text}");
}

#[test]
fn a_repository_folder_that_does_not_exist_is_a_usage_error() {
    let out = cxqueues(&["validate", "--repo", "no/such/folder"], &workspace_root());
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no/such/folder"));
}

#[test]
fn a_file_given_as_repo_is_a_file_not_a_folder_and_an_empty_folder_says_what_is_missing() {
    let out = cxqueues(&["validate", "--repo", "README.md"], &workspace_root());
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("--repo README.md is a file, not a folder"),
        "{stderr}"
    );
    let empty = tempfile::tempdir().unwrap();
    for command in ["validate", "plan"] {
        let out = cxqueues(&[command, "--repo", "."], empty.path());
        assert_eq!(out.status.code(), Some(1), "{command}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains("no cxqueues.yaml and no queues/ here"),
            "{command}: {stderr}"
        );
    }
}
