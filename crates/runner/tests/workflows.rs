//! The workflow files parse as YAML, name the commands and permissions the pull-request flow
//! needs, and every `cxqueues` command line in them is one the binary accepts.

mod common;

use std::path::{Path, PathBuf};

use serde_json::Value;

fn workflow(name: &str) -> (Value, String) {
    let path: PathBuf = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../.github/workflows")
        .join(name);
    let text = std::fs::read_to_string(&path).unwrap();
    let v: Value = serde_saphyr::from_str(&text)
        .unwrap_or_else(|e| panic!("{} is not YAML: {e}", path.display()));
    (v, text)
}

/// The `run:` scripts of every step of every job.
fn runs(v: &Value) -> Vec<String> {
    v["jobs"]
        .as_object()
        .unwrap()
        .values()
        .flat_map(|j| j["steps"].as_array().unwrap().iter())
        .filter_map(|s| s["run"].as_str().map(str::to_string))
        .collect()
}

fn step_using<'a>(v: &'a Value, action: &str) -> Vec<&'a Value> {
    v["jobs"]
        .as_object()
        .unwrap()
        .values()
        .flat_map(|j| j["steps"].as_array().unwrap().iter())
        .filter(|s| s["uses"].as_str().is_some_and(|u| u.starts_with(action)))
        .collect()
}

/// Every `cxqueues …` line parses with the binary's own command line (`--help` after the
/// arguments: an unknown option fails before it is reached).
fn commands_parse(scripts: &[String]) -> usize {
    let mut n = 0;
    for line in scripts.iter().flat_map(|s| s.lines()) {
        let line = line.trim();
        let Some(rest) = line.strip_prefix("cxqueues ") else {
            continue;
        };
        let args: Vec<&str> = rest.split_whitespace().collect();
        let out = common::cxqueues_bin()
            .args(&args)
            .arg("--help")
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "`{line}`: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        n += 1;
    }
    n
}

#[test]
fn ci_keeps_running_the_ci_script() {
    let (v, _) = workflow("ci.yml");
    assert!(runs(&v).iter().any(|r| r.trim() == "bash .ci/run"));
}

#[test]
fn the_pull_request_workflow_validates_plans_comments_and_keeps_the_plan() {
    let (v, text) = workflow("cxqueues-pr.yml");
    let paths = &v["on"]["pull_request"]["paths"];
    assert!(
        paths.as_array().unwrap().iter().any(|p| p == "queues/**"),
        "{paths}"
    );
    assert!(
        paths
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p == "cxqueues.yaml"),
        "{paths}"
    );
    assert_eq!(v["permissions"]["pull-requests"], "write");
    assert_eq!(v["permissions"]["contents"], "read");
    let scripts = runs(&v);
    let has = |needle: &str| scripts.iter().any(|r| r.contains(needle));
    assert!(has("cxqueues validate") && has("--format github"));
    assert!(has("cxqueues plan --sim") && has("--out plan.json"));
    assert!(has("cxqueues comment --plan plan.json"));
    let upload = step_using(&v, "actions/upload-artifact");
    assert_eq!(upload.len(), 1);
    assert_eq!(upload[0]["with"]["path"], "plan.json");
    assert!(
        text.contains("secrets.CXONE_CLIENT_SECRET"),
        "says how to use a real tenant"
    );
    assert_eq!(commands_parse(&scripts), 3);
}

#[test]
fn the_apply_workflow_applies_the_reviewed_plan_on_main_one_at_a_time() {
    let (v, _) = workflow("cxqueues-apply.yml");
    assert!(
        v["on"]["push"]["branches"]
            .as_array()
            .unwrap()
            .iter()
            .any(|b| b == "main")
    );
    assert!(v["concurrency"]["group"].is_string());
    assert_eq!(v["concurrency"]["cancel-in-progress"], false);
    let scripts = runs(&v);
    assert!(scripts.iter().any(|r| r.contains("gh run download")));
    assert!(
        scripts
            .iter()
            .any(|r| r.contains("cxqueues apply --repo . --plan reviewed/plan.json"))
    );
    assert!(
        !scripts.iter().any(|r| r.contains("--replan")),
        "never applies an unreviewed plan"
    );
    assert_eq!(commands_parse(&scripts), 1);
}

/// The workflows a queue repository copies (the other two build this workspace).
const COPIED: [&str; 2] = ["cxqueues-pr.yml", "cxqueues-apply.yml"];

fn step_named<'a>(v: &'a Value, name: &str) -> &'a Value {
    v["jobs"]
        .as_object()
        .unwrap()
        .values()
        .flat_map(|j| j["steps"].as_array().unwrap().iter())
        .find(|s| s["name"] == name)
        .unwrap_or_else(|| panic!("no step named {name:?}"))
}

#[test]
fn the_copied_workflows_install_a_pinned_release_and_need_no_rust_toolchain() {
    let mut scripts = Vec::new();
    for name in COPIED {
        let (v, _) = workflow(name);
        for action in ["dtolnay/rust-toolchain", "Swatinem/rust-cache"] {
            assert!(step_using(&v, action).is_empty(), "{name} uses {action}");
        }
        for run in runs(&v) {
            assert!(!run.contains("cargo "), "{name} runs cargo: {run}");
        }
        let version = v["env"]["CXQUEUES_VERSION"].as_str().unwrap();
        assert!(
            version.contains("inputs.cxqueues-version"),
            "{name}: the version is a workflow input: {version}"
        );
        let pinned = version
            .split('\'')
            .nth(1)
            .unwrap_or_else(|| panic!("{name} pins a version: {version}"));
        assert_eq!(
            pinned
                .split('.')
                .filter(|p| p.parse::<u32>().is_ok())
                .count(),
            3,
            "{name}: {pinned}"
        );
        assert_eq!(
            v["on"]["workflow_call"]["inputs"]["cxqueues-version"]["type"],
            "string"
        );
        scripts.push(step_named(&v, "Install cxqueues")["run"].clone());
    }
    assert_eq!(scripts[0], scripts[1], "one install step, copied alike");
}

#[test]
fn the_release_workflow_builds_linux_x86_64_and_aarch64_binaries_on_a_version_tag() {
    let (v, _) = workflow("release.yml");
    assert!(
        v["on"]["push"]["tags"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t == "v*")
    );
    let targets: Vec<&str> = v["jobs"]["build"]["strategy"]["matrix"]["include"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["target"].as_str().unwrap())
        .collect();
    assert_eq!(
        targets,
        ["x86_64-unknown-linux-gnu", "aarch64-unknown-linux-gnu"]
    );
    assert_eq!(v["permissions"]["contents"], "write");
    assert!(runs(&v).iter().any(|r| r.contains("gh release create")));
}

/// Every variable the adapters read their credentials from.
const CREDENTIALS: [&str; 8] = [
    "CXONE_BASE_URL",
    "CXONE_CLIENT_ID",
    "CXONE_CLIENT_SECRET",
    "CXONE_ACCESS_KEY_ID",
    "CXONE_ACCESS_KEY_SECRET",
    "GENESYSCLOUD_OAUTHCLIENT_ID",
    "GENESYSCLOUD_OAUTHCLIENT_SECRET",
    "GENESYSCLOUD_REGION",
];

#[test]
fn the_steps_that_reach_the_tenant_pass_every_platforms_credentials() {
    for (name, step) in [
        ("cxqueues-pr.yml", "Plan"),
        ("cxqueues-apply.yml", "Apply exactly the reviewed plan"),
    ] {
        let (v, _) = workflow(name);
        let env = &step_named(&v, step)["env"];
        for var in CREDENTIALS {
            let value = env[var].as_str().unwrap_or_default();
            assert!(
                value.contains(&format!("secrets.{var}")) || value.contains(&format!("vars.{var}")),
                "{name} step {step:?} passes no {var}: {env}"
            );
        }
    }
}

/// Runs `script` with bash in `dir`, with `env`; its exit status, and its stdout and stderr.
fn bash(script: &str, dir: &Path, env: &[(&str, &str)]) -> (bool, String) {
    let out = std::process::Command::new("bash")
        .arg("-c")
        .arg(script)
        .current_dir(dir)
        .envs(env.iter().copied())
        .output()
        .unwrap();
    let said = [out.stdout, out.stderr].concat();
    (
        out.status.success(),
        String::from_utf8_lossy(&said).into_owned(),
    )
}

#[test]
fn the_archive_the_release_workflow_packs_is_installed_by_each_copied_workflows_install_step() {
    let target = match std::env::consts::ARCH {
        "aarch64" => "aarch64-unknown-linux-gnu",
        _ => "x86_64-unknown-linux-gnu",
    };
    let version = env!("CARGO_PKG_VERSION");
    let tag = format!("v{version}");
    // A checkout as release.yml's "Package" step finds it after the build.
    let checkout = tempfile::tempdir().unwrap();
    let bin = checkout.path().join("target").join(target).join("release");
    std::fs::create_dir_all(&bin).unwrap();
    std::fs::copy(env!("CARGO_BIN_EXE_cxqueues"), bin.join("cxqueues")).unwrap();
    std::fs::write(checkout.path().join("README.md"), "# cxqueues\n").unwrap();
    let (release, _) = workflow("release.yml");
    let package = step_named(&release, "Package")["run"].as_str().unwrap();
    let (ok, err) = bash(
        package,
        checkout.path(),
        &[("TARGET", target), ("GITHUB_REF_NAME", "v0.0.0-wrong")],
    );
    assert!(!ok, "a tag that is not the binary's version is refused");
    assert!(err.contains("not the binary's version"), "{err}");
    let (ok, err) = bash(
        package,
        checkout.path(),
        &[("TARGET", target), ("GITHUB_REF_NAME", &tag)],
    );
    assert!(ok, "{err}");
    // The release's download folder, as `{releases}/v{version}/{file}`.
    let releases = tempfile::tempdir().unwrap();
    let folder = releases.path().join(&tag);
    std::fs::rename(checkout.path().join("dist"), &folder).unwrap();
    let archive = format!("cxqueues-{version}-{target}.tar.gz");
    assert!(folder.join(&archive).is_file());
    let base = format!("file://{}", releases.path().display());
    for name in COPIED {
        let (v, _) = workflow(name);
        let install = step_named(&v, "Install cxqueues")["run"].as_str().unwrap();
        let runner = tempfile::tempdir().unwrap();
        let github_path = runner.path().join("github_path");
        let temp = runner.path().join("temp");
        std::fs::create_dir(&temp).unwrap();
        let env = [
            ("CXQUEUES_VERSION", version),
            ("CXQUEUES_RELEASES", base.as_str()),
            ("RUNNER_TEMP", temp.to_str().unwrap()),
            ("GITHUB_PATH", github_path.to_str().unwrap()),
        ];
        let (ok, err) = bash(install, runner.path(), &env);
        assert!(ok, "{name}: {err}");
        let dir = std::fs::read_to_string(&github_path).unwrap();
        let out = std::process::Command::new(Path::new(dir.trim()).join("cxqueues"))
            .arg("--version")
            .output()
            .unwrap();
        assert_eq!(
            String::from_utf8_lossy(&out.stdout).trim(),
            format!("cxqueues {version}"),
            "{name}"
        );
    }
    // An archive that is not the one released (its checksum differs) is never installed.
    std::fs::write(folder.join(&archive), b"not the release").unwrap();
    let (v, _) = workflow(COPIED[0]);
    let install = step_named(&v, "Install cxqueues")["run"].as_str().unwrap();
    let runner = tempfile::tempdir().unwrap();
    let github_path = runner.path().join("github_path");
    let env = [
        ("CXQUEUES_VERSION", version),
        ("CXQUEUES_RELEASES", base.as_str()),
        ("RUNNER_TEMP", runner.path().to_str().unwrap()),
        ("GITHUB_PATH", github_path.to_str().unwrap()),
    ];
    let (ok, _) = bash(install, runner.path(), &env);
    assert!(!ok, "a tampered archive is refused");
    assert!(!github_path.exists(), "and nothing is put on the PATH");
}
