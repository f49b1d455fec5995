//! Helpers shared by the runner's integration tests (`mod common;` in each test file). Each
//! test file is its own crate and uses only some of them, hence the per-item `allow`s.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command};
use std::sync::{Arc, Mutex, mpsc};

/// The `cxqueues` binary, with a simulated-tenant state directory of its own per test thread
/// (`CXQUEUES_STATE_DIR`), so that `--sim` runs of parallel tests never share a tenant.
#[allow(
    dead_code,
    reason = "the run-loop test starts the binary with its own flags"
)]
pub fn cxqueues_bin() -> Command {
    thread_local! {
        static STATE: tempfile::TempDir = tempfile::tempdir().unwrap();
    }
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_cxqueues"));
    STATE.with(|dir| cmd.env("CXQUEUES_STATE_DIR", dir.path()));
    cmd
}

/// A git repository in a temp dir, on the branch `main`.
#[allow(
    dead_code,
    reason = "only the tests that follow a git repository use it"
)]
pub struct GitRepo {
    pub dir: tempfile::TempDir,
    pub git: git2::Repository,
}

#[allow(
    dead_code,
    reason = "only the tests that follow a git repository use it"
)]
impl GitRepo {
    pub fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let mut opts = git2::RepositoryInitOptions::new();
        opts.initial_head("main");
        let git = git2::Repository::init_opts(dir.path(), &opts).unwrap();
        Self { dir, git }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Writes `text` to `path` (below the repository), creating its folders.
    pub fn write(&self, path: &str, text: &str) {
        let p = self.dir.path().join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }

    /// Stages everything and commits it on `main`; returns the commit id.
    pub fn commit(&self, message: &str) -> String {
        let mut index = self.git.index().unwrap();
        index
            .add_all(["*"].iter(), git2::IndexAddOption::DEFAULT, None)
            .unwrap();
        index.update_all(["*"].iter(), None).unwrap();
        index.write().unwrap();
        let tree = self.git.find_tree(index.write_tree().unwrap()).unwrap();
        let sig = git2::Signature::now("Grace Hopper", "grace@example.com").unwrap();
        let parent = self.git.head().ok().and_then(|h| h.peel_to_commit().ok());
        let parents: Vec<&git2::Commit<'_>> = parent.iter().collect();
        self.git
            .commit(Some("HEAD"), &sig, &sig, message, &tree, &parents)
            .unwrap()
            .to_string()
    }
}

/// Collects a started `cxqueues run`'s stdout and stderr (piped) into one log, each on a
/// thread of its own, and sends the address its banner's `listening on http://…` names.
#[allow(dead_code, reason = "only the tests that start `cxqueues run` use it")]
pub fn collect_output(child: &mut Child) -> (Arc<Mutex<String>>, mpsc::Receiver<String>) {
    let log = Arc::new(Mutex::new(String::new()));
    let (addr_tx, addr_rx) = mpsc::channel();
    let json_addr_tx = addr_tx.clone();
    let stdout = child.stdout.take().expect("stdout piped");
    let stderr = child.stderr.take().expect("stderr piped");
    let l = log.clone();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if let Some(at) = line.find("listening on http://") {
                let _ = addr_tx.send(line[at + "listening on ".len()..].trim().to_string());
            }
            l.lock().unwrap().push_str(&format!("{line}\n"));
        }
    });
    let l = log.clone();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            // Under --log-format json, the banner is a JSON event on stderr.
            if let Some(addr) = serde_json::from_str::<serde_json::Value>(&line)
                .ok()
                .and_then(|v| v["listening_on"].as_str().map(str::to_string))
            {
                let _ = json_addr_tx.send(addr);
            }
            l.lock().unwrap().push_str(&format!("{line}\n"));
        }
    });
    (log, addr_rx)
}
