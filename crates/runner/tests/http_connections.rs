//! `cxqueues run` under a crowd of idle connections: started with a low soft open-file limit
//! (1024), it raises the limit to the hard one, sizes its connection cap from it, and still
//! answers `/healthz` with 2,000 idle connections held open (a kubelet's probe gets through).

mod common;
#[path = "common/runner_proc.rs"]
mod runner_proc;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use runner_proc::RunnerProc;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const IDLE: usize = 2000;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn healthz_is_served_with_two_thousand_idle_connections_held_open() {
    // This process holds the client ends: it needs the descriptors too.
    let limit = raise_own_limit();
    assert!(
        limit >= 2 * IDLE as u64 + 100,
        "the hard open-file limit ({limit}) is too low for this test"
    );
    let state = tempfile::tempdir().unwrap();
    let script = format!(
        "ulimit -Sn 1024 && exec '{}' run --sim --listen 127.0.0.1:0 --state-dir '{}'",
        env!("CARGO_BIN_EXE_cxqueues"),
        state.path().display()
    );
    let mut cmd = Command::new("sh");
    cmd.args(["-c", &script])
        .env("RUST_LOG", "info")
        .env_remove("CXQUEUES_TRIGGER_TOKEN")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let runner = RunnerProc::spawn(cmd, state);
    let addr = runner.base.trim_start_matches("http://").to_string();

    let mut idle = Vec::with_capacity(IDLE);
    for _ in 0..IDLE {
        idle.push(TcpStream::connect(&addr).await.expect("a connection"));
    }
    // Every one of them is taken in by the server before the probe comes.
    let start = Instant::now();
    let healthz = loop {
        match probe(&addr).await {
            Ok(line) => break line,
            Err(e) => {
                assert!(
                    start.elapsed() < Duration::from_secs(30),
                    "healthz refused: {e}\n{}",
                    runner.log()
                );
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    };
    assert_eq!(healthz, "HTTP/1.1 200 OK");
    // The idle connections are still open: none was closed to make room.
    let mut closed = 0;
    for s in idle.iter_mut().take(50) {
        let mut b = [0u8; 1];
        if let Ok(r) = tokio::time::timeout(Duration::from_millis(5), s.read(&mut b)).await
            && !matches!(r, Ok(n) if n > 0)
        {
            closed += 1;
        }
    }
    assert_eq!(closed, 0, "idle connections were closed below the cap");
    let text = runner.log();
    let open_files: u64 = text
        .split("open_files=")
        .nth(1)
        .and_then(|rest| rest.split(|c: char| !c.is_ascii_digit()).next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no open_files in the log: {text}"));
    assert!(open_files > 1024, "the soft limit was raised: {text}");
    assert!(text.contains("max_connections="), "{text}");
}

/// Raises this process's soft open-file limit to its hard limit; returns the limit.
fn raise_own_limit() -> u64 {
    use rustix::process::{Resource, Rlimit, getrlimit, setrlimit};
    let limit = getrlimit(Resource::Nofile);
    let hard = limit.maximum.unwrap_or(1 << 20);
    let _ = setrlimit(
        Resource::Nofile,
        Rlimit {
            current: Some(hard),
            maximum: limit.maximum,
        },
    );
    getrlimit(Resource::Nofile).current.unwrap_or(0)
}

async fn probe(addr: &str) -> Result<String, String> {
    let mut s = TcpStream::connect(addr).await.map_err(|e| e.to_string())?;
    s.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .await
        .map_err(|e| e.to_string())?;
    let mut text = String::new();
    tokio::time::timeout(Duration::from_secs(5), s.read_to_string(&mut text))
        .await
        .map_err(|_| "no answer".to_string())?
        .map_err(|e| e.to_string())?;
    text.lines()
        .next()
        .map(str::to_string)
        .filter(|l| !l.is_empty())
        .ok_or_else(|| "closed without an answer".to_string())
}
