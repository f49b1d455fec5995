//! A `cxqueues run` process for the remote-repository and leader-election tests: started with
//! its own state directory and a loopback port, its output collected, its HTTP side asked
//! with reqwest, and signals sent to it (SIGSTOP, SIGCONT, SIGTERM). Every wait polls with a
//! deadline.

use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;

/// The longest any wait may take before the test fails.
pub const DEADLINE: Duration = Duration::from_secs(60);

#[allow(dead_code, reason = "each test file uses some of these")]
pub struct RunnerProc {
    pub child: Child,
    pub state: tempfile::TempDir,
    /// `http://127.0.0.1:PORT`
    pub base: String,
    log: Arc<Mutex<String>>,
    http: reqwest::Client,
}

#[allow(dead_code, reason = "each test file uses some of these")]
impl RunnerProc {
    /// `cxqueues run` with `--state-dir`, `--listen 127.0.0.1:0` and `args`; `env` added.
    pub fn start(args: &[&str], env: &[(&str, &str)]) -> Self {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let state = tempfile::tempdir().unwrap();
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_cxqueues"));
        cmd.arg("run")
            .arg("--state-dir")
            .arg(state.path())
            .args(["--listen", "127.0.0.1:0"])
            .args(args)
            .env_remove("CXQUEUES_TRIGGER_TOKEN")
            .env_remove("CXQUEUES_GITHUB_WEBHOOK_SECRET")
            .env_remove("CXQUEUES_GIT_TOKEN")
            .env_remove("KUBERNETES_SERVICE_HOST")
            .env("RUST_LOG", "info")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (k, v) in env {
            cmd.env(k, v);
        }
        Self::spawn(cmd, state)
    }

    /// Spawns `cmd` (a `cxqueues run` with stdout and stderr piped, `--listen` on port 0,
    /// `--state-dir` in `state`) and waits for its address.
    pub fn spawn(mut cmd: Command, state: tempfile::TempDir) -> Self {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let mut child = cmd.spawn().expect("cxqueues starts");
        let (log, addr_rx) = crate::common::collect_output(&mut child);
        let Ok(base) = addr_rx.recv_timeout(DEADLINE) else {
            let _ = child.kill();
            let _ = child.wait();
            panic!("the runner printed no address:\n{}", log.lock().unwrap());
        };
        Self {
            child,
            state,
            base,
            log,
            http: reqwest::Client::new(),
        }
    }

    pub fn log(&self) -> String {
        self.log.lock().unwrap().clone()
    }

    pub fn pid(&self) -> String {
        self.child.id().to_string()
    }

    /// Sends `signal` (`STOP`, `CONT`, `TERM`) to the process.
    pub fn signal(&self, signal: &str) {
        let ok = Command::new("kill")
            .args([&format!("-{signal}"), &self.pid()])
            .status()
            .unwrap()
            .success();
        assert!(ok, "kill -{signal}");
    }

    /// GET `path`: the status and the body.
    pub async fn get(&self, path: &str) -> (u16, String) {
        let r = self
            .http
            .get(format!("{}{path}", self.base))
            .timeout(Duration::from_secs(10))
            .send()
            .await
            .expect("the runner answers");
        (r.status().as_u16(), r.text().await.unwrap_or_default())
    }

    /// POST `body` to `path` with `headers`: the status and the body.
    pub async fn post(&self, path: &str, headers: &[(&str, &str)], body: &str) -> (u16, String) {
        let mut req = self
            .http
            .post(format!("{}{path}", self.base))
            .timeout(Duration::from_secs(10))
            .body(body.to_string());
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let r = req.send().await.expect("the runner answers");
        (r.status().as_u16(), r.text().await.unwrap_or_default())
    }

    pub async fn status(&self) -> Value {
        let (code, body) = self.get("/status").await;
        assert_eq!(code, 200, "{body}");
        serde_json::from_str(&body).unwrap()
    }

    /// Polls `/status` until `done` holds; fails with the log and the last status after
    /// [`DEADLINE`].
    pub async fn wait_for(&self, what: &str, done: impl Fn(&Value) -> bool) -> Value {
        let start = Instant::now();
        loop {
            let st = self.status().await;
            if done(&st) {
                return st;
            }
            assert!(
                start.elapsed() < DEADLINE,
                "timed out waiting for {what}\nstatus: {}\nlog:\n{}",
                serde_json::to_string_pretty(&st).unwrap(),
                self.log()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Waits until `commit` is applied completely.
    pub async fn wait_applied(&self, commit: &str) -> Value {
        self.wait_for(&format!("commit {commit} applied"), |st| {
            st["lastApplied"]["id"] == commit && st["running"] == false
        })
        .await
    }

    /// The audit log's records.
    pub fn audit(&self) -> Vec<Value> {
        std::fs::read_to_string(self.state.path().join("audit.jsonl"))
            .unwrap_or_default()
            .lines()
            .map(|l| serde_json::from_str(l).expect("a JSON audit record"))
            .collect()
    }
}

impl Drop for RunnerProc {
    fn drop(&mut self) {
        // A stopped process would not die of SIGKILL until continued.
        let _ = Command::new("kill").args(["-CONT", &self.pid()]).status();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A repository's tenant document and one queue file.
#[allow(dead_code, reason = "each test file uses some of these")]
pub const TENANT_YAML: &str = "apiVersion: cxqueues/v1\nkind: Tenant\nmetadata: {name: test}\nspec:\n  requestsPerSecond: 1000\n";

#[allow(dead_code, reason = "each test file uses some of these")]
pub fn queue_yaml(name: &str, wait: u32) -> String {
    format!(
        "apiVersion: cxqueues/v1\nkind: Queue\nmetadata:\n  name: {name}\nspec:\n  description: {name}\n  maxWaitTime: {wait}\n  maxWaiters: 10\n"
    )
}
