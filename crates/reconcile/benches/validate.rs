//! `cargo bench -p reconcile --bench validate`: the time and memory of `validate`'s work,
//! `model::load_repository` + `reconcile::check_repository`, on generated repositories of
//! 1,000, 10,000 and 100,000 queues (one per file). `CXQ_BENCH_SIZES=1000,10000` picks the
//! sizes.
//!
//! Each size runs in a child process (this binary again, with `CXQ_BENCH_CHILD` set), so that
//! its peak RSS (`VmHWM` of `/proc/self/status`) is that of the validation alone. For 10,000
//! queues, when PyYAML's C loader is there, `pyyaml_parse.py` parses the same files as a
//! baseline. The table shows wall time (median of the runs), CPU time (user + system, which
//! stays honest when the machine is busy), the split between `load_repository` and
//! `check_repository`, throughput and peak RSS.
//!
//! `CXQ_BENCH_GENERATE="N<tab>DIR"` only writes a repository of N queues into DIR, to profile
//! it (e.g. with `valgrind --tool=callgrind` on this binary with `CXQ_BENCH_CHILD="1<tab>DIR"`).

use std::env;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use model::{LoadOptions, load_repository};
use reconcile::check_repository;
use reconcile::generate::write_repository;

const CHILD_ENV: &str = "CXQ_BENCH_CHILD";
const SEED: u64 = 2024;

fn main() {
    if let Ok(spec) = env::var(CHILD_ENV) {
        child(&spec);
        return;
    }
    // `CXQ_BENCH_GENERATE="N<tab>DIR"`: only write a repository (to profile it, say).
    if let Ok(spec) = env::var("CXQ_BENCH_GENERATE") {
        let (n, dir) = spec
            .split_once('\t')
            .expect("CXQ_BENCH_GENERATE is N<tab>DIR");
        let g = write_repository(Path::new(dir), n.parse().expect("N"), SEED).expect("written");
        eprintln!("{g:?}");
        return;
    }
    let sizes: Vec<usize> = env::var("CXQ_BENCH_SIZES")
        .unwrap_or_else(|_| "1000,10000,100000".into())
        .split(',')
        .filter(|s| !s.trim().is_empty())
        .map(|s| {
            s.trim()
                .replace('_', "")
                .parse()
                .expect("CXQ_BENCH_SIZES: numbers, comma-separated")
        })
        .collect();

    let mut rows = Vec::new();
    let mut py_10k = None;
    for &n in &sizes {
        let dir = tempfile::TempDir::new().expect("a temporary directory");
        let t = Instant::now();
        let written = write_repository(dir.path(), n, SEED).expect("the generated repository");
        eprintln!(
            "generated {n} queues ({:.1} MB) in {:.2?}",
            mb(written.bytes),
            t.elapsed()
        );
        let runs = match n {
            0..=2_000 => 9,
            2_001..=20_000 => 5,
            _ => 2,
        };
        let row = run_child(dir.path(), runs, n, written.bytes);
        if n == 10_000 {
            py_10k = pyyaml(dir.path());
        }
        rows.push(row);
    }

    println!();
    println!(
        "{:>8} {:>6} {:>5} {:>10} {:>10} {:>10} {:>10} {:>10} {:>8} {:>9} {:>6}",
        "queues",
        "MB",
        "runs",
        "median",
        "cpu",
        "load",
        "check",
        "queues/s",
        "MB/s",
        "peak RSS",
        "diags"
    );
    for r in &rows {
        println!(
            "{:>8} {:>6.1} {:>5} {:>10} {:>10} {:>10} {:>10} {:>10.0} {:>8.1} {:>6.1} MB {:>6}",
            r.n,
            mb(r.bytes),
            r.runs,
            fmt_dur(r.median),
            fmt_dur(r.cpu),
            fmt_dur(r.load),
            fmt_dur(r.check),
            r.n as f64 / r.median.as_secs_f64(),
            mb(r.bytes) / r.median.as_secs_f64(),
            r.vmhwm_kb as f64 / 1024.0,
            r.diags
        );
    }
    println!();
    let at = |n: usize| rows.iter().find(|r| r.n == n);
    if let (Some(r), Some((py, py_cpu))) = (at(10_000), py_10k) {
        let ratio = r.median.as_secs_f64() / py.as_secs_f64();
        println!(
            "10,000 queues: validate {} vs PyYAML CSafeLoader parse only {}: {:.2}× its time (target < 0.5×) {}",
            fmt_dur(r.median),
            fmt_dur(py),
            ratio,
            verdict(ratio < 0.5)
        );
        println!(
            "               CPU time: validate {} vs PyYAML {}: {:.2}×",
            fmt_dur(r.cpu),
            fmt_dur(py_cpu),
            r.cpu.as_secs_f64() / py_cpu.as_secs_f64()
        );
    } else if at(10_000).is_some() {
        println!("10,000 queues: PyYAML's CSafeLoader is not available, no comparison");
    }
    if let (Some(small), Some(big)) = (at(10_000), at(100_000)) {
        let ratio = big.median.as_secs_f64() / small.median.as_secs_f64();
        println!(
            "100,000 / 10,000 queues: {ratio:.2}× the time, {:.2}× the CPU time (target ≤ 11×) {}",
            big.cpu.as_secs_f64() / small.cpu.as_secs_f64(),
            verdict(ratio <= 11.0)
        );
    }
}

struct Row {
    n: usize,
    bytes: u64,
    runs: usize,
    median: Duration,
    /// The median CPU time (user + system) of the runs: below `median` when the machine is busy.
    cpu: Duration,
    load: Duration,
    check: Duration,
    vmhwm_kb: u64,
    diags: usize,
}

fn verdict(ok: bool) -> &'static str {
    if ok { "[met]" } else { "[MISSED]" }
}

fn mb(bytes: u64) -> f64 {
    bytes as f64 / 1e6
}

fn fmt_dur(d: Duration) -> String {
    let s = d.as_secs_f64();
    if s >= 1.0 {
        format!("{s:.2} s")
    } else {
        format!("{:.1} ms", s * 1e3)
    }
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    let m = v.len() / 2;
    if v.len() % 2 == 1 {
        v[m]
    } else {
        (v[m - 1] + v[m]) / 2
    }
}

/// Runs one size in a child process and reads its report.
fn run_child(dir: &Path, runs: usize, n: usize, bytes: u64) -> Row {
    let exe = env::current_exe().expect("the bench binary");
    let out = Command::new(exe)
        .env(CHILD_ENV, format!("{runs}\t{}", dir.display()))
        .output()
        .expect("the child bench process");
    assert!(
        out.status.success(),
        "the child failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    let (mut total, mut load, mut check, mut cpu) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let (mut vmhwm_kb, mut diags, mut queues) = (0, 0, 0);
    for line in text.lines() {
        let mut w = line.split_whitespace();
        match (w.next(), w.next(), w.next()) {
            (Some("run"), Some(l), Some(c)) => {
                let l = Duration::from_nanos(l.parse().unwrap());
                let c = Duration::from_nanos(c.parse().unwrap());
                let ticks: u64 = w.next().and_then(|t| t.parse().ok()).unwrap_or(0);
                cpu.push(Duration::from_millis(ticks * 10));
                load.push(l);
                check.push(c);
                total.push(l + c);
            }
            (Some("vmhwm_kb"), Some(v), _) => vmhwm_kb = v.parse().unwrap(),
            (Some("diags"), Some(v), _) => diags = v.parse().unwrap(),
            (Some("queues"), Some(v), _) => queues = v.parse().unwrap(),
            _ => {}
        }
    }
    assert_eq!(queues, n, "the child loaded every queue");
    eprintln!(
        "{n} queues: runs {:?}",
        total.iter().map(|d| fmt_dur(*d)).collect::<Vec<_>>()
    );
    Row {
        n,
        bytes,
        runs,
        median: median(total),
        cpu: median(cpu),
        load: median(load),
        check: median(check),
        vmhwm_kb,
        diags,
    }
}

/// The child: `runs` times load + check of the repository, then the peak RSS.
fn child(spec: &str) {
    let (runs, dir) = spec
        .split_once('\t')
        .expect("CXQ_BENCH_CHILD is RUNS<tab>DIR");
    let runs: usize = runs.parse().expect("RUNS");
    let dir = Path::new(dir);
    let opts = LoadOptions::default();
    for _ in 0..runs {
        let cpu0 = cpu_ticks();
        let t = Instant::now();
        let repo = load_repository(dir, &opts);
        let loaded = t.elapsed();
        let t = Instant::now();
        let diags = check_repository(&repo);
        let checked = t.elapsed();
        let cpu = cpu_ticks() - cpu0;
        println!("run {} {} {cpu}", loaded.as_nanos(), checked.as_nanos());
        println!("queues {}", repo.queues.len());
        println!("diags {}", repo.diagnostics.len() + diags.len());
    }
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let hwm = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .unwrap_or(0);
    println!("vmhwm_kb {hwm}");
}

/// User + system CPU time of this process so far, in clock ticks (`/proc/self/stat`; a tick
/// is 10 ms on Linux).
fn cpu_ticks() -> u64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // After the command name (in parentheses) come field 3 (the state), 4, 5, …; utime and
    // stime are fields 14 and 15.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let field = |n: usize| -> u64 {
        rest.split_whitespace()
            .nth(n - 3)
            .and_then(|x| x.parse().ok())
            .unwrap_or(0)
    };
    field(14) + field(15)
}

/// PyYAML's CSafeLoader parsing the same files (3 runs, median): wall and CPU time, when it
/// is installed.
fn pyyaml(dir: &Path) -> Option<(Duration, Duration)> {
    let ok = Command::new("python3")
        .args(["-c", "import yaml; yaml.CSafeLoader"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        eprintln!("PyYAML with its C loader is not installed (pip install pyyaml): no comparison");
        return None;
    }
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/pyyaml_parse.py");
    let out = Command::new("python3")
        .arg(script)
        .arg(dir)
        .arg("3")
        .output()
        .ok()?;
    if !out.status.success() {
        eprintln!(
            "pyyaml_parse.py failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        return None;
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let secs = |key: &str| -> Option<Duration> {
        let s: f64 = text
            .lines()
            .find_map(|l| l.strip_prefix(key))?
            .trim()
            .parse()
            .ok()?;
        Some(Duration::from_secs_f64(s))
    };
    Some((secs("median_s ")?, secs("median_cpu_s ")?))
}
