//! A seeded mutation run over the example repository at the workspace root: each iteration
//! mutates one of its files (bytes flipped, cut, repeated, YAML tokens spliced in) and then
//! loads and checks the repository. Neither may panic, and each iteration must finish within
//! a bound. Fixed seed, so a failure names an input that reproduces. See FUZZING.md.

use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use model::LoadOptions;

const SEED: u64 = 0x00c0_ffee_2026_1201;
/// Iterations per run (override with CXQUEUES_FUZZ_ITERATIONS for a longer run).
const ITERATIONS: usize = 1_000;
/// One load + check of a mutated repository: anything slower counts as a hang.
const HANG: Duration = Duration::from_secs(20);

/// Tokens that have broken YAML readers: anchors, aliases, merges, tags, flow collections,
/// odd scalars, bidi and zero-width characters, huge numbers.
const TOKENS: &[&str] = &[
    ": ",
    "\n- ",
    "&a ",
    "*a",
    "<<: *a\n",
    "!!python/object:x ",
    "!Ref ",
    "{",
    "}",
    "[",
    "]",
    "\t",
    "\u{202E}",
    "\u{200B}",
    "-5",
    "null",
    "~",
    "'",
    "\"",
    "99999999999999999999",
    "---\n",
    "...\n",
    "? ",
    "|",
    ">",
    "#",
    "%YAML 1.1\n",
    "\u{FEFF}",
    "0x1F",
    "1e400",
    "\\",
    "\0",
];

/// xorshift64*: enough for a reproducible stream, no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }
}

fn mutate(rng: &mut Rng, input: &[u8]) -> Vec<u8> {
    let mut out = input.to_vec();
    for _ in 0..=rng.below(4) {
        let at = rng.below(out.len() + 1);
        match rng.below(6) {
            0 if at < out.len() => out[at] ^= 1 << rng.below(8),
            1 => {
                let end = (at + rng.below(64)).min(out.len());
                out.drain(at..end);
            }
            2 => {
                let end = (at + rng.below(64)).min(out.len());
                let piece = out[at..end].to_vec();
                for _ in 0..=rng.below(3) {
                    out.splice(at..at, piece.iter().copied());
                }
            }
            3 => out.truncate(at),
            _ => {
                let token = TOKENS[rng.below(TOKENS.len())].as_bytes();
                out.splice(at..at, token.iter().copied());
            }
        }
    }
    out
}

fn yaml_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            yaml_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "yaml") {
            out.push(path);
        }
    }
}

fn copy_example(to: &Path) -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut sources = vec![root.join("cxqueues.yaml")];
    yaml_files(&root.join("queues"), &mut sources);
    sources
        .iter()
        .map(|src| {
            let rel = src.strip_prefix(&root).unwrap();
            let dst = to.join(rel);
            std::fs::create_dir_all(dst.parent().unwrap()).unwrap();
            std::fs::copy(src, &dst).unwrap();
            dst
        })
        .collect()
}

#[test]
fn mutated_example_repositories_never_panic_or_hang_in_load_and_check() {
    let iterations = std::env::var("CXQUEUES_FUZZ_ITERATIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(ITERATIONS);
    let dir = tempfile::tempdir().unwrap();
    let files = copy_example(dir.path());
    assert!(files.len() > 5, "the example repository was found");
    let originals: Vec<Vec<u8>> = files.iter().map(|f| std::fs::read(f).unwrap()).collect();
    let root = dir.path().to_path_buf();

    // The work runs on its own thread, so that a hang is reported instead of waited for.
    let (tx, rx) = mpsc::channel::<Result<(usize, usize), String>>();
    let worker = std::thread::spawn(move || {
        let mut rng = Rng(SEED);
        for i in 0..iterations {
            let k = rng.below(files.len());
            let mutated = mutate(&mut rng, &originals[k]);
            std::fs::write(&files[k], &mutated).unwrap();
            let outcome = std::panic::catch_unwind(|| {
                let repo = model::load_repository(&root, &LoadOptions::default());
                repo.diagnostics.len() + reconcile::check_repository(&repo).len()
            });
            std::fs::write(&files[k], &originals[k]).unwrap();
            let sent = match outcome {
                Ok(diags) => tx.send(Ok((i, diags))),
                Err(_) => tx.send(Err(format!(
                    "iteration {i} panicked on {} = {:?}",
                    files[k].display(),
                    String::from_utf8_lossy(&mutated)
                ))),
            };
            if sent.is_err() {
                return;
            }
        }
    });

    let started = Instant::now();
    let (mut done, mut with_diagnostics) = (0, 0);
    while done < iterations {
        match rx.recv_timeout(HANG) {
            Ok(Ok((_, diags))) => {
                done += 1;
                with_diagnostics += usize::from(diags > 0);
            }
            Ok(Err(panic)) => panic!("{panic}"),
            Err(_) => panic!("iteration {done} took longer than {HANG:?}: a hang"),
        }
    }
    worker.join().unwrap();
    eprintln!(
        "{done} mutated repositories, {with_diagnostics} with diagnostics, in {:?}",
        started.elapsed()
    );
    // The mutations reach the checks: most inputs are rejected, not silently accepted.
    assert!(with_diagnostics * 2 > done, "{with_diagnostics} of {done}");
}
