//! Compile cost of the frame graph on synthetic frames (`rg_core::gen::synthetic`: four
//! accesses a pass, images and buffers mixed).
//!
//! - `full/N`: a full compile of an N-pass graph (every phase, no cache), by a compiler kept
//!   from one iteration to the next as a renderer keeps it (so its working memory is warm),
//!   each plan given back (`Compiler::recycle`) when done, so the next is built in its arrays;
//! - `cached/1000`: compiling an unchanged 1000-pass structure again (hash and compare).
//!
//! Run with `cargo bench -p rg-benches --bench compile`.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use rg_core::{gen, Compiler, FakeMemory};
use std::hint::black_box;

fn full(c: &mut Criterion) {
    let memory = FakeMemory::default();
    let mut group = c.benchmark_group("full");
    for n in [100usize, 1000, 10_000] {
        let graph = gen::synthetic(n);
        let mut compiler = Compiler::new();
        group.bench_with_input(BenchmarkId::from_parameter(n), &graph, |b, g| {
            b.iter(|| {
                let plan = compiler.compile_uncached(black_box(g), &memory).expect("valid");
                // Done with it, as a renderer is after the frame: its arrays hold the next one.
                compiler.recycle(black_box(plan));
            })
        });
    }
    group.finish();
}

fn cached(c: &mut Criterion) {
    let memory = FakeMemory::default();
    let mut group = c.benchmark_group("cached");
    let n = 1000usize;
    let mut compiler = Compiler::new();
    compiler.compile(&gen::synthetic(n), &memory).expect("valid");
    // A new graph of the same structure, as a renderer builds every frame.
    let graph = gen::synthetic(n);
    group.bench_with_input(BenchmarkId::from_parameter(n), &graph, |b, g| {
        b.iter(|| compiler.compile(black_box(g), &memory).expect("valid"))
    });
    group.finish();
    let (hits, misses) = compiler.cache_stats();
    assert_eq!(misses, 1, "the cached benchmark must not recompile ({hits} hits)");
}

criterion_group!(benches, full, cached);
criterion_main!(benches);
