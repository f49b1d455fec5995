//! `cargo bench -p optimize --bench erlang`: the Erlang C work of one queue at N = 5,000
//! agents (C through Erlang B in log space, the service level, the ASA, maxWaiters,
//! maxWaitTime and agentsNeeded), over 1,000 queues whose traffic runs from 4,000 to
//! 4,999 Erlangs (occupancy 80 % to 99.98 %), 5 rounds. Prints the mean, median, 99th
//! percentile and slowest queue, and fails on any NaN or infinity.

use std::hint::black_box;
use std::time::{Duration, Instant};

use optimize::erlang::{ErlangC, agents_needed};

const AGENTS: u32 = 5_000;
const QUEUES: u32 = 1_000;
const ROUNDS: u32 = 5;

/// Everything the erlang-c policy computes for one queue.
fn one_queue(a: f64, aht: f64, t: f64) -> [f64; 6] {
    let m = ErlangC::new(AGENTS, a).expect("N > A");
    [
        m.wait_probability,
        m.service_level(t, aht),
        m.average_speed_of_answer(aht),
        m.waiters_within(0.01) as f64,
        m.wait_within(0.01, aht) as f64,
        f64::from(agents_needed(a, aht, t, 0.8).unwrap_or(0)),
    ]
}

fn main() {
    let mut times = Vec::with_capacity((ROUNDS * QUEUES) as usize);
    for _ in 0..ROUNDS {
        for i in 0..QUEUES {
            let a = 4_000.0 + f64::from(i) * 0.999;
            let aht = 180.0 + f64::from(i % 7) * 60.0;
            let started = Instant::now();
            let out = black_box(one_queue(black_box(a), aht, 20.0));
            let took = started.elapsed();
            assert!(
                out.iter().all(|v| v.is_finite()),
                "a non-finite result at A = {a}: {out:?}"
            );
            assert!((0.0..=1.0).contains(&out[0]) && (0.0..=1.0).contains(&out[1]));
            times.push(took);
        }
    }
    let runs = times.len();
    let mean = times.iter().sum::<Duration>() / runs as u32;
    times.sort();
    let us = |d: Duration| d.as_secs_f64() * 1e6;
    println!(
        "Erlang C at N = {AGENTS}: {runs} queue computations; per queue mean {:.1} µs, median {:.1} µs, p99 {:.1} µs, max {:.1} µs; no NaN or infinity",
        us(mean),
        us(times[runs / 2]),
        us(times[runs * 99 / 100]),
        us(times[runs - 1]),
    );
    assert!(
        mean < Duration::from_millis(1),
        "target: under 1 ms per queue"
    );
}
