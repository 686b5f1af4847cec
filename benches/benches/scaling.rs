//! How the compile's cost grows with the graph: full compiles of `gen::synthetic(1000)` and
//! `gen::synthetic(10000)` timed in alternation, so that both sizes see the machine at the
//! same speeds. Criterion times each size in its own few seconds, minutes apart, and on a
//! shared machine whose speed drifts that much the ratio of two such figures says more about
//! the drift than about the compiler; here every round times both.
//!
//! Prints, per size, the fastest and the median round's time a compile and the ratio of the
//! two sizes for each. Run with `cargo bench -p rg-benches --bench scaling [-- ROUNDS]`.

use rg_core::{gen, Compiler, FakeMemory};
use std::hint::black_box;
use std::time::Instant;

/// Graph sizes, and compiles a round for each (about a millisecond of work each).
const SIZES: [(usize, usize); 2] = [(1000, 4), (10_000, 1)];
/// Rounds to warm the caches and the compilers' arrays before timing.
const WARM_UP: usize = 5;

fn main() {
    // `cargo bench` passes `--bench`; a number among the arguments is the round count.
    let rounds =
        std::env::args().skip(1).find_map(|a| a.parse::<usize>().ok()).unwrap_or(300).max(1);
    let memory = FakeMemory::default();
    let graphs: Vec<_> = SIZES.iter().map(|&(n, _)| gen::synthetic(n)).collect();
    let mut compilers: Vec<Compiler> = SIZES.iter().map(|_| Compiler::new()).collect();
    let mut times: Vec<Vec<f64>> = vec![Vec::with_capacity(rounds); SIZES.len()];
    eprintln!("scaling: {rounds} rounds of {:?} compiles", SIZES);
    for round in 0..WARM_UP + rounds {
        for (k, &(_, per_round)) in SIZES.iter().enumerate() {
            let start = Instant::now();
            for _ in 0..per_round {
                let plan = compilers[k].compile_uncached(black_box(&graphs[k]), &memory);
                compilers[k].recycle(black_box(plan.expect("the synthetic graph is valid")));
            }
            if round >= WARM_UP {
                times[k].push(start.elapsed().as_secs_f64() * 1e6 / per_round as f64);
            }
        }
    }
    for t in &mut times {
        t.sort_by(f64::total_cmp);
    }
    let fastest = |k: usize| times[k][0];
    let median = |k: usize| times[k][times[k].len() / 2];
    println!("| passes | fastest round | median round |");
    println!("| --- | --- | --- |");
    for (k, &(n, _)) in SIZES.iter().enumerate() {
        println!("| {n} | {:.1} µs | {:.1} µs |", fastest(k), median(k));
    }
    println!("| ratio | {:.2}× | {:.2}× |", fastest(1) / fastest(0), median(1) / median(0));
}
