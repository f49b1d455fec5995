//! The first hour of a newcomer, each stumble of issue 24 as a test: what `--sim` wrote is
//! found again, `import` writes a whole repository, `cxqueues.yml`, and so on.

mod common;

use std::path::{Path, PathBuf};
use std::process::Output;

fn example() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn run(args: &[&str]) -> Output {
    common::cxqueues_bin().args(args).output().unwrap()
}

fn said(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[test]
fn audit_verify_and_webhooks_list_find_what_apply_sim_wrote_with_sim() {
    let state = tempfile::tempdir().unwrap();
    let s = state.path().to_str().unwrap();
    let repo = example();
    let r = repo.to_str().unwrap();
    let out = run(&["apply", "--sim", "--repo", r, "--state-dir", s]);
    assert_eq!(out.status.code(), Some(0), "{}", said(&out));
    let out = run(&["audit", "verify", "--sim", "--state-dir", s]);
    assert_eq!(out.status.code(), Some(0), "{}", said(&out));
    assert!(said(&out).starts_with("ok: "), "{}", said(&out));
    let out = run(&["audit", "verify", "--state-dir", s]);
    assert_eq!(out.status.code(), Some(1), "{}", said(&out));
    assert!(said(&out).contains("add --sim"), "{}", said(&out));
    let out = run(&["webhooks", "list", "--sim", "--repo", r, "--state-dir", s]);
    assert_eq!(out.status.code(), Some(0), "{}", said(&out));
    assert!(said(&out).contains("pending: 0"), "{}", said(&out));
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &to.join(e.file_name()));
        } else {
            std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
        }
    }
}

/// A copy of the example repository (cxqueues.yaml and queues/) in a temp dir.
fn example_copy() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = example();
    std::fs::copy(root.join("cxqueues.yaml"), dir.path().join("cxqueues.yaml")).unwrap();
    copy_dir(&root.join("queues"), &dir.path().join("queues"));
    dir
}

#[test]
fn cxqueues_yml_is_read_when_cxqueues_yaml_is_absent_and_both_is_an_error() {
    let repo = example_copy();
    let r = repo.path().to_str().unwrap();
    // A tenant document only `.yml` holds: its limit must be applied.
    let tenant = std::fs::read_to_string(repo.path().join("cxqueues.yaml")).unwrap();
    let strict = tenant.replace("maxWaiters: 100", "maxWaiters: 5");
    assert_ne!(strict, tenant);
    std::fs::remove_file(repo.path().join("cxqueues.yaml")).unwrap();
    std::fs::write(repo.path().join("cxqueues.yml"), &strict).unwrap();
    let out = run(&["validate", "--repo", r, "--format", "json"]);
    assert_eq!(out.status.code(), Some(1), "{}", said(&out));
    assert!(
        said(&out).contains("\"rule\": \"license\""),
        "{}",
        said(&out)
    );
    std::fs::write(repo.path().join("cxqueues.yml"), &tenant).unwrap();
    let out = run(&["validate", "--repo", r]);
    assert_eq!(out.status.code(), Some(0), "{}", said(&out));
    std::fs::write(repo.path().join("cxqueues.yaml"), &tenant).unwrap();
    let out = run(&["validate", "--repo", r]);
    assert_eq!(out.status.code(), Some(1), "{}", said(&out));
    assert!(
        said(&out).contains("both cxqueues.yaml and cxqueues.yml"),
        "{}",
        said(&out)
    );
}

#[test]
fn base_url_on_genesys_or_cxone_is_an_error_naming_the_variable_to_use() {
    let root = example();
    for (platform, variable) in [
        ("genesys-cloud", "GENESYSCLOUD_REGION"),
        ("nice-cxone", "CXONE_API_BASE"),
    ] {
        let repo = root.join("examples").join(platform);
        let r = repo.to_str().unwrap();
        let out = run(&["plan", "--repo", r, "--base-url", "https://example.com"]);
        assert_eq!(out.status.code(), Some(1), "{}", said(&out));
        assert!(said(&out).contains("--base-url (CXONE_BASE_URL) is for the routing API"));
        assert!(said(&out).contains(variable), "{}", said(&out));
        let out = common::cxqueues_bin()
            .args(["plan", "--repo", r])
            .env("CXONE_TOKEN_URL", "https://example.com/token")
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{}", said(&out));
        assert!(
            said(&out).contains("--token-url (CXONE_TOKEN_URL)"),
            "{}",
            said(&out)
        );
        // Empty, as a workflow passes another platform's unset secret: not given.
        let out = common::cxqueues_bin()
            .args(["plan", "--repo", r])
            .env("CXONE_BASE_URL", "")
            .output()
            .unwrap();
        assert!(
            !said(&out).contains("is for the routing API"),
            "{}",
            said(&out)
        );
    }
}

/// `cxqueues ARGS` in `dir`, with the default state directory (`.cxqueues/` there).
fn run_in(dir: &Path, args: &[&str]) -> Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_cxqueues"))
        .args(args)
        .current_dir(dir)
        .env_remove("CXQUEUES_STATE_DIR")
        .env_remove("CXONE_BASE_URL")
        .env("NO_COLOR", "1")
        .output()
        .unwrap()
}

fn entries(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

#[test]
fn import_from_inside_a_repository_writes_a_whole_repository_that_plans_empty() {
    let repo = example_copy();
    let dir = repo.path();
    let out = run_in(dir, &["apply", "--sim"]);
    assert_eq!(out.status.code(), Some(0), "{}", said(&out));
    let out = run_in(dir, &["import", "--sim", "--out", "imported"]);
    assert_eq!(out.status.code(), Some(0), "{}", said(&out));
    let imported = dir.join("imported");
    assert_eq!(entries(&imported), ["cxqueues.yaml", "queues", "schemas"]);
    assert_eq!(
        std::fs::read_to_string(imported.join("cxqueues.yaml")).unwrap(),
        std::fs::read_to_string(dir.join("cxqueues.yaml")).unwrap(),
        "the repository's own tenant document"
    );
    // The repository around it is untouched and still valid.
    let out = run_in(dir, &["validate"]);
    assert_eq!(out.status.code(), Some(0), "{}", said(&out));
    let out = run_in(
        dir,
        &["plan", "--sim", "--repo", "imported", "--detailed-exitcode"],
    );
    assert_eq!(out.status.code(), Some(0), "plans empty: {}", said(&out));
    // A folder with files is refused without --force, and replaced whole with it.
    std::fs::write(imported.join("queues/stale.yaml"), "not a queue").unwrap();
    let out = run_in(dir, &["import", "--sim", "--out", "imported"]);
    assert_eq!(out.status.code(), Some(1), "{}", said(&out));
    assert!(said(&out).contains("is not empty"), "{}", said(&out));
    let out = run_in(dir, &["import", "--sim", "--out", "imported", "--force"]);
    assert_eq!(out.status.code(), Some(0), "{}", said(&out));
    assert!(!imported.join("queues/stale.yaml").exists());
    // Inside the queues folder, the new cxqueues.yaml would be read as a Queue file.
    let out = run_in(dir, &["import", "--sim", "--out", "queues/imported"]);
    assert_eq!(out.status.code(), Some(1), "{}", said(&out));
    assert!(
        said(&out).contains("inside the queues folder"),
        "{}",
        said(&out)
    );
    assert!(!dir.join("queues/imported").exists());
}

#[test]
fn import_from_outside_a_repository_writes_one_that_plans_with_sim_from_inside_it() {
    let dir = tempfile::tempdir().unwrap();
    let out = run_in(dir.path(), &["import", "--sim", "--out", "acme"]);
    assert_eq!(out.status.code(), Some(0), "{}", said(&out));
    let acme = dir.path().join("acme");
    assert_eq!(entries(&acme), ["cxqueues.yaml", "queues", "schemas"]);
    let out = run_in(&acme, &["validate"]);
    assert_eq!(out.status.code(), Some(0), "{}", said(&out));
    // A fresh simulated tenant (a state directory of its own), seeded from these queues.
    let out = run_in(&acme, &["plan", "--sim"]);
    assert_eq!(out.status.code(), Some(0), "{}", said(&out));
    assert!(!said(&out).contains("duplicate name"), "{}", said(&out));
}

#[test]
fn re_applying_an_applied_saved_plan_says_so_plainly_counts_the_refusals_and_hints_with_sim() {
    let state = tempfile::tempdir().unwrap();
    let s = state.path().to_str().unwrap();
    let repo = example();
    let r = repo.to_str().unwrap();
    let plan = state.path().join("plan.json");
    let p = plan.to_str().unwrap();
    let out = run(&["plan", "--sim", "--repo", r, "--state-dir", s, "--out", p]);
    assert_eq!(out.status.code(), Some(0), "{}", said(&out));
    let apply = ["apply", "--sim", "--repo", r, "--state-dir", s, "--plan", p];
    let out = run(&apply);
    assert_eq!(out.status.code(), Some(0), "{}", said(&out));
    let out = run(&apply);
    let text = said(&out);
    assert_eq!(out.status.code(), Some(4), "{text}");
    let refused: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("refused: "))
        .collect();
    assert!(refused.len() > 3, "{text}");
    assert!(
        refused
            .iter()
            .all(|l| l.contains("was this plan applied already?")),
        "{text}"
    );
    for debug in ["Create", "Update", "Delete"] {
        assert!(!text.contains(&format!("this {debug}")), "{text}");
    }
    assert!(
        text.contains(&format!(", {} refused, in ", refused.len())),
        "{text}"
    );
    // The hint's first command works as written (with --sim and this state directory).
    let hint = text.lines().find(|l| l.starts_with("hint: ")).expect(&text);
    let command = hint.split('`').nth(1).unwrap();
    assert!(command.contains(" --sim"), "{hint}");
    let args: Vec<&str> = command.split_whitespace().skip(1).collect();
    let out = run(&args);
    assert_eq!(out.status.code(), Some(0), "`{command}`: {}", said(&out));
    assert!(said(&out).contains("Plan: 0 to create, 0 to update, 0 to delete"));
}

#[test]
fn completions_are_printed_for_bash_zsh_and_fish_and_know_every_command() {
    // (shell, a line only that shell's script has)
    for (shell, mark) in [
        ("bash", "complete -F _cxqueues"),
        ("zsh", "#compdef cxqueues"),
        ("fish", "complete -c cxqueues"),
    ] {
        let out = run(&["completions", shell]);
        assert_eq!(out.status.code(), Some(0), "{}", said(&out));
        let script = String::from_utf8_lossy(&out.stdout);
        assert!(script.contains(mark), "{shell}: {script}");
        for word in ["validate", "apply", "detailed-exitcode", "sim-reset"] {
            assert!(script.contains(word), "{shell} lacks {word}");
        }
    }
    // The bash script is bash.
    let out = run(&["completions", "bash"]);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("cxqueues.bash");
    std::fs::write(&file, &out.stdout).unwrap();
    let check = std::process::Command::new("bash")
        .arg("-n")
        .arg(&file)
        .output()
        .unwrap();
    assert!(check.status.success(), "{}", said(&check));
    let out = run(&["completions", "powershell"]);
    assert_eq!(out.status.code(), Some(1), "{}", said(&out));
}

/// `(create, update, delete, requests, rate)` from a text plan's `Plan:` line.
fn plan_line(text: &str) -> (usize, usize, usize, usize, String) {
    let line = text
        .lines()
        .find(|l| l.starts_with("Plan: "))
        .unwrap_or_else(|| panic!("no Plan: line in {text}"));
    let numbers: Vec<usize> = line
        .split(|c: char| !c.is_ascii_digit())
        .filter_map(|w| w.parse().ok())
        .collect();
    let rate = line.rsplit(" at ").next().unwrap().to_string();
    assert!(line.contains(" — "), "{line}");
    (numbers[0], numbers[1], numbers[2], numbers[4], rate)
}

#[test]
fn the_plan_line_ends_with_the_requests_apply_sends_and_their_time_at_the_clients_pace() {
    let state = tempfile::tempdir().unwrap();
    let s = state.path().to_str().unwrap();
    // (repository, reads before each update, pace)
    for (dir, reads, pace) in [
        (example(), 0, "8/s"),
        (example().join("examples/genesys-cloud"), 1, "5/s"),
        (example().join("examples/nice-cxone"), 0, "5/s"),
    ] {
        let r = dir.to_str().unwrap();
        let out = run(&[
            "plan",
            "--sim",
            "--sim-reset",
            "--repo",
            r,
            "--state-dir",
            s,
        ]);
        assert_eq!(out.status.code(), Some(0), "{}", said(&out));
        let (create, update, delete, requests, rate) = plan_line(&said(&out));
        assert!(create + update > 0, "{}", said(&out));
        assert_eq!(requests, create + update * (1 + reads) + delete, "{r}");
        assert_eq!(rate, pace, "{r}");
    }
}

#[test]
fn only_changes_the_named_queues_and_refuses_one_whose_overflow_target_it_would_leave_uncreated() {
    let state = tempfile::tempdir().unwrap();
    let s = state.path().to_str().unwrap();
    let repo = example();
    let r = repo.to_str().unwrap();
    let base = ["--sim", "--repo", r, "--state-dir", s];
    let plan = |extra: &[&str]| {
        let mut args = vec!["plan"];
        args.extend(base);
        args.extend(extra);
        run(&args)
    };
    let out = plan(&[]);
    let (create, update, delete, _, _) = plan_line(&said(&out));
    // Billing Tier 1 overflows to Billing Tier 2, which the plan creates.
    let out = plan(&["--only", "Billing Tier 1"]);
    assert_eq!(out.status.code(), Some(1), "{}", said(&out));
    assert!(
        said(&out).contains("its overflow target \"Billing Tier 2\" would be created"),
        "{}",
        said(&out)
    );
    let out = plan(&["--only", "Billing Tier 9"]);
    assert_eq!(out.status.code(), Some(1), "{}", said(&out));
    assert!(
        said(&out).contains("no queue of the repository"),
        "{}",
        said(&out)
    );
    let mut apply = vec!["apply"];
    apply.extend(base);
    apply.extend(["--only", "Billing Tier 1", "Billing Tier 2"]);
    let out = run(&apply);
    assert_eq!(out.status.code(), Some(0), "{}", said(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let applied: Vec<&str> = stdout
        .lines()
        .filter(|l| l.starts_with("created ") || l.starts_with("updated "))
        .map(|l| l.split(':').next().unwrap())
        .collect();
    assert_eq!(
        applied,
        ["created Billing Tier 2", "updated Billing Tier 1"],
        "{stdout}"
    );
    // Everything else is still to do.
    let out = plan(&[]);
    let (c2, u2, d2, _, _) = plan_line(&said(&out));
    assert_eq!(
        (c2, u2, d2),
        (create - 1, update - 1, delete),
        "{}",
        said(&out)
    );
}

#[test]
fn run_with_json_logs_that_cannot_start_says_why_in_a_json_line() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(&[
        "run",
        "--sim",
        "--log-format",
        "json",
        "--listen",
        "127.0.0.1:0",
        "--repo",
        dir.path().to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", said(&out));
    let text = said(&out);
    assert!(!text.trim().is_empty());
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let v: serde_json::Value = serde_json::from_str(line)
            .unwrap_or_else(|e| panic!("a plain-text line ({e}): {line}"));
        assert_eq!(v["level"], "ERROR", "{line}");
        assert!(
            v["message"].as_str().unwrap().contains("git repository"),
            "{line}"
        );
    }
}
