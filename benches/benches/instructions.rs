//! Instructions a full compile of `gen::synthetic(N)` executes, in all and per phase, counted
//! by valgrind's callgrind. On a machine whose speed drifts, time cannot tell two builds a few
//! percent apart; the instruction count can, and it is the same on every run.
//!
//! The bench runs itself under callgrind twice per size, compiling the graph `1 + FEW` and
//! `1 + MANY` times, and reports the difference divided by `MANY - FEW`: what one more compile
//! costs, without building the graph, the first compile's allocations or valgrind's start-up.
//!
//! Run with `cargo bench -p rg-benches --bench instructions [-- SIZES...]` (default 1000).
//! Needs valgrind (`apt-get install valgrind`). The build must keep its symbols: the
//! workspace's release profile has `debug = 1`.

use rg_benches::callgrind::{self, Counts};
use rg_core::{gen, Compiler, FakeMemory};
use std::hint::black_box;
use std::path::Path;
use std::process::{exit, Command};

/// Compiles counted in the two runs of each size (after one uncounted warm-up compile).
const FEW: usize = 4;
const MANY: usize = 20;

/// The phases reported, as the functions that run them (each counted with what it calls).
/// A phase that the optimiser inlines into its caller is counted with "the rest".
const PHASES: [(&str, &str); 9] = [
    ("validate", "rg_core::compile::validate::validate"),
    ("cull", "rg_core::compile::cull::cull"),
    ("schedule: edges", "rg_core::compile::schedule::edges"),
    ("schedule: order", "rg_core::compile::schedule::schedule"),
    ("lifetimes", "rg_core::compile::lifetimes::lifetimes"),
    ("usage", "rg_core::compile::usage::usage"),
    ("aliasing", "rg_core::compile::alias::place"),
    ("temporal exits", "rg_core::compile::barriers::exits::temporal_exits"),
    ("barriers", "rg_core::compile::barriers::barriers"),
];

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let Some(i) = args.iter().position(|a| a == "--child") {
        let n = args.get(i + 1).and_then(|s| s.parse().ok()).expect("--child PASSES COMPILES");
        let k = args.get(i + 2).and_then(|s| s.parse().ok()).expect("--child PASSES COMPILES");
        return child(n, k);
    }
    // `cargo bench` passes `--bench`; numbers among the arguments are graph sizes.
    let mut sizes: Vec<usize> = args.iter().filter_map(|a| a.parse().ok()).collect();
    if sizes.is_empty() {
        sizes.push(1000);
    }
    if let Err(e) = Command::new("valgrind").arg("--version").output() {
        eprintln!(
            "instructions: cannot run valgrind ({e}); this bench counts instructions with \
             callgrind: install it (Debian: apt-get install valgrind)"
        );
        exit(2);
    }
    let exe = std::env::current_exe().expect("the bench's own path");
    let dir = std::env::temp_dir();
    for n in sizes {
        eprintln!("instructions: {n} passes, {FEW} and {MANY} compiles under callgrind");
        let few = match count(&exe, &dir, n, FEW) {
            Ok(c) => c,
            Err(e) => fail(&e),
        };
        let many = match count(&exe, &dir, n, MANY) {
            Ok(c) => c,
            Err(e) => fail(&e),
        };
        report(n, &few, &many);
    }
}

fn fail(e: &str) -> ! {
    eprintln!("instructions: {e}");
    exit(1)
}

/// The counted program: builds the graph, compiles it once to warm the compiler's working
/// memory, then `k` more times, each plan given back as a renderer does.
fn child(n: usize, k: usize) {
    let memory = FakeMemory::default();
    let graph = gen::synthetic(n);
    let mut compiler = Compiler::new();
    for _ in 0..1 + k {
        let plan = compiler.compile_uncached(black_box(&graph), &memory);
        compiler.recycle(black_box(plan.expect("the synthetic graph is valid")));
    }
}

/// Runs the child for `n` passes and `k` compiles under callgrind and reads its counts.
fn count(exe: &Path, dir: &Path, n: usize, k: usize) -> Result<Counts, String> {
    let out = dir.join(format!("rg-instructions-{}-{n}-{k}.out", std::process::id()));
    let run = Command::new("valgrind")
        .arg("--tool=callgrind")
        .arg(format!("--callgrind-out-file={}", out.display()))
        .arg(exe)
        .args(["--child", &n.to_string(), &k.to_string()])
        .output()
        .map_err(|e| format!("cannot start valgrind: {e}"))?;
    if !run.status.success() {
        let log = String::from_utf8_lossy(&run.stderr);
        let tail: Vec<&str> = log.lines().rev().take(15).collect();
        let tail: Vec<&str> = tail.into_iter().rev().collect();
        return Err(format!("callgrind run failed ({}):\n{}", run.status, tail.join("\n")));
    }
    let text = std::fs::read_to_string(&out)
        .map_err(|e| format!("cannot read callgrind's output {}: {e}", out.display()))?;
    // A profile that cannot be read stays behind, for a look at the line named.
    let counts = callgrind::parse(&text).map_err(|e| format!("{}: {e}", out.display()))?;
    let _ = std::fs::remove_file(&out);
    Ok(counts)
}

/// Prints, for one size, each phase's instructions a compile and the rest.
fn report(n: usize, few: &Counts, many: &Counts) {
    let per = |a: u64, b: u64| b.saturating_sub(a) as f64 / (MANY - FEW) as f64;
    let total = per(few.total, many.total);
    let plan = Compiler::new().compile_uncached(&gen::synthetic(n), &FakeMemory::default());
    let accesses = plan.expect("the synthetic graph is valid").accesses.len();
    println!("\n{n} passes ({accesses} accesses), instructions a compile:\n");
    let accesses = accesses.max(1) as f64;
    println!("| phase | instructions | per access | share |");
    println!("| --- | ---: | ---: | ---: |");
    let mut phases = 0.0;
    let row = |label: &str, c: f64| {
        println!(
            "| {label} | {:.1} k | {:.1} | {:.1} % |",
            c / 1e3,
            c / accesses,
            100.0 * c / total.max(1.0)
        );
    };
    for (label, function) in PHASES {
        let (Some(&a), Some(&b)) = (few.inclusive.get(function), many.inclusive.get(function))
        else {
            continue;
        };
        let c = per(a, b);
        phases += c;
        row(label, c);
    }
    row("the rest (plan assembly, usage when inlined, ...)", total - phases);
    println!("| **total** | **{:.1} k** | **{:.1}** | |", total / 1e3, total / accesses);
}
