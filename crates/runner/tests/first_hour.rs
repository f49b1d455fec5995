//! Issue 11's "Done when", through the real binary: what a newcomer runs in the first hour
//! round-trips without a surprise. Every test keeps its own state dir.

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

const DEADLINE: Duration = Duration::from_secs(60);

/// The workspace root: the example repository (`cxqueues.yaml` and `queues/`).
fn example() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// `cxqueues ARGS` in `dir` with `state` as its state dir and no tenant variables inherited.
fn cxqueues(args: &[&str], state: &Path, env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_cxqueues"));
    cmd.args(args)
        .current_dir(example())
        .env("CXQUEUES_STATE_DIR", state)
        .env("NO_COLOR", "1");
    for var in [
        "CXONE_BASE_URL",
        "CXONE_CLIENT_ID",
        "CXONE_CLIENT_SECRET",
        "CXONE_CLIENT_SECRET_FILE",
        "CXONE_TOKEN_URL",
    ] {
        cmd.env_remove(var);
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("the cxqueues binary runs")
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[test]
fn a_plan_saved_under_sim_applies_under_sim_on_the_same_state_dir() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state");
    let plan = dir.path().join("p.json");
    let p = plan.to_str().unwrap();
    let out = cxqueues(&["plan", "--sim", "--out", p], &state, &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let out = cxqueues(&["apply", "--plan", p, "--sim"], &state, &[]);
    let all = text(&out);
    assert_eq!(out.status.code(), Some(0), "{all}");
    assert!(!all.contains("refused"), "{all}");
    assert!(all.contains("0 failed"), "{all}");
    assert!(
        all.lines()
            .any(|l| l.starts_with("updated ") && l.contains(" → ")),
        "apply names the fields it changed: {all}"
    );
    // The same tenant, now matching the repository.
    let out = cxqueues(&["plan", "--sim", "--detailed-exitcode"], &state, &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
}

#[test]
fn an_import_under_sim_plans_empty_against_the_same_simulated_tenant() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state");
    let d = dir.path().join("D");
    let d = d.to_str().unwrap();
    let out = cxqueues(&["import", "--out", d, "--sim"], &state, &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let out = cxqueues(
        &["plan", "--repo", d, "--sim", "--detailed-exitcode"],
        &state,
        &[],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(text(&out).contains("0 to create, 0 to update, 0 to delete"));
}

/// Kills the child when dropped, so that a failed assertion leaves no server behind.
struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn the_standalone_sim_seeded_from_the_example_plans_it_without_unknown_skills() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state");
    let mut sim = Killed(
        Command::new(env!("CARGO_BIN_EXE_cxqueues"))
            .args(["sim", "--listen", "127.0.0.1:0", "--repo"])
            .arg(example())
            .env("CXQUEUES_STATE_DIR", &state)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("cxqueues sim starts"),
    );
    // Read what the simulator prints on a thread of its own that keeps reading to the end:
    // a closed pipe would make its next line fail, and the simulator with it.
    let stdout = sim.0.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut printed = String::new();
        let mut sent = false;
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            printed.push_str(&line);
            printed.push('\n');
            if let Some(at) = line.find("serving a simulated tenant at ") {
                let base = line[at + "serving a simulated tenant at ".len()..].trim();
                let _ = tx.send(Ok(base.to_string()));
                sent = true;
            }
        }
        if !sent {
            let _ = tx.send(Err(printed));
        }
    });
    let base = match rx.recv_timeout(std::time::Duration::from_secs(30)) {
        Ok(Ok(base)) => base,
        Ok(Err(printed)) => panic!("no base URL printed:\n{printed}"),
        Err(_) => panic!("the simulator printed no base URL in 30 s"),
    };
    let out = cxqueues(
        &["plan"],
        &state,
        &[
            ("CXONE_BASE_URL", &base),
            ("CXONE_CLIENT_ID", sim::DEMO_CLIENT_ID),
            ("CXONE_CLIENT_SECRET", sim::DEMO_CLIENT_SECRET),
        ],
    );
    let all = text(&out);
    assert_eq!(out.status.code(), Some(0), "{all}");
    assert!(!all.contains("unknown skill"), "{all}");
    assert!(all.contains("Plan: "), "{all}");
    drop(sim);
}

#[test]
fn run_with_its_output_piped_prints_the_banner_before_the_first_log_line() {
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path().join("repo");
    let mut opts = git2::RepositoryInitOptions::new();
    opts.initial_head("main");
    let git = git2::Repository::init_opts(&repo, &opts).unwrap();
    std::fs::create_dir_all(repo.join("queues")).unwrap();
    std::fs::write(
        repo.join("cxqueues.yaml"),
        "apiVersion: cxqueues/v1\nkind: Tenant\nmetadata: {name: first-hour}\n",
    )
    .unwrap();
    std::fs::write(
        repo.join("queues/a.yaml"),
        "apiVersion: cxqueues/v1\nkind: Queue\nmetadata: {name: Alpha}\nspec: {maxWaitTime: 120}\n",
    )
    .unwrap();
    let mut index = git.index().unwrap();
    index
        .add_all(["*"].iter(), git2::IndexAddOption::DEFAULT, None)
        .unwrap();
    let tree = git.find_tree(index.write_tree().unwrap()).unwrap();
    let sig = git2::Signature::now("Ada", "ada@example.com").unwrap();
    git.commit(Some("HEAD"), &sig, &sig, "first", &tree, &[])
        .unwrap();

    // stdout and stderr into one file, as `cxqueues run > log 2>&1` does.
    let log = dir.path().join("log");
    let file = std::fs::File::create(&log).unwrap();
    let child = Killed(
        Command::new(env!("CARGO_BIN_EXE_cxqueues"))
            .arg("run")
            .arg("--repo")
            .arg(&repo)
            .args(["--sim", "--listen", "127.0.0.1:0", "--log-format", "json"])
            .arg("--state-dir")
            .arg(dir.path().join("state"))
            .env("RUST_LOG", "info")
            .env_remove("CXQUEUES_TRIGGER_TOKEN")
            .stdin(Stdio::null())
            .stdout(Stdio::from(file.try_clone().unwrap()))
            .stderr(Stdio::from(file))
            .spawn()
            .expect("cxqueues run starts"),
    );
    let start = Instant::now();
    let written = loop {
        let mut s = String::new();
        std::fs::File::open(&log)
            .unwrap()
            .read_to_string(&mut s)
            .unwrap();
        if s.contains("\"applied\"") || s.contains("Apply complete") || s.contains("in_sync") {
            break s;
        }
        assert!(start.elapsed() < DEADLINE, "no run finished:\n{s}");
        std::thread::sleep(Duration::from_millis(50));
    };
    drop(child);
    let banner = written
        .find("cxqueues run: following branch")
        .unwrap_or_else(|| panic!("no banner:\n{written}"));
    // Under --log-format json the banner is itself a JSON line: the first log line is the
    // first other one.
    let first_log = written
        .lines()
        .find(|l| l.starts_with('{') && !l.contains("cxqueues run: following branch"))
        .and_then(|l| written.find(l))
        .unwrap_or_else(|| panic!("no log line:\n{written}"));
    assert!(banner < first_log, "the banner comes first:\n{written}");
}
