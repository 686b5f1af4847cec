//! The schedule phase's edges and its cycle report, in cases random graphs leave to chance: a
//! reader kept before the next writer of what it reads even when the order the scheduler
//! prefers (the latest producer's consumer first) would run the writer first; and a cycle
//! reported with exactly its passes and links when the graph also has culled passes, passes
//! scheduled before the cycle and passes waiting behind it.

use rg_core::*;

const G: QueueKind = QueueKind::Graphics;

/// `write r` makes `r`; `write t` makes `t`; `read` reads both; `overwrite r` writes `r` again
/// from the version `read` reads. Once `write r` has run, the scheduler prefers its consumers,
/// and `overwrite r` is one: only the edge from `read` to the next writer of `r` (a
/// write-after-read) keeps it after `read`.
#[test]
fn a_reader_runs_before_the_next_writer_that_the_scheduler_would_prefer() {
    let mut g: Graph = Graph::new(Extent::new(64, 64));
    let r = g.create_buffer("r", BufferDesc::new(256));
    let t = g.create_buffer("t", BufferDesc::new(256));
    let mut p = g.add_pass("write r", G);
    let r1 = p.write(r, Access::CopyDst);
    p.finish();
    let mut p = g.add_pass("write t", G);
    let t1 = p.write(t, Access::CopyDst);
    p.finish();
    let mut p = g.add_pass("read", G);
    p.side_effect().read(r1, Access::CopySrc).read(t1, Access::CopySrc);
    p.finish();
    let mut p = g.add_pass("overwrite r", G);
    p.side_effect();
    let _ = p.write(r1, Access::CopyDst);
    p.finish();
    let plan =
        Compiler::new().compile(&g, &FakeMemory::default()).unwrap_or_else(|e| panic!("{e}"));
    let order: Vec<&str> = plan.passes.iter().map(|p| &*p.label).collect();
    let at = |l: &str| order.iter().position(|x| *x == l).expect(l);
    assert!(at("read") < at("overwrite r"), "{order:?}");
    let hazards = oracle::check(&plan);
    assert!(hazards.is_empty(), "{hazards:#?}");
}

/// A cycle `a -> b -> c -> a` (two data links and an explicit order), with a culled pass and a
/// pass scheduled before it declared first, and a pass ordered after the cycle (waiting behind
/// it, not on it) declared before the cycle's passes: the error names exactly `a`, `b`, `c` and
/// what links each to the next.
#[test]
fn a_cycle_is_reported_with_exactly_its_passes_and_links() {
    let mut g: Graph = Graph::new(Extent::new(64, 64));
    let unused = g.create_buffer("unused", BufferDesc::new(64));
    let mut p = g.add_pass("culled", G);
    let _ = p.write(unused, Access::CopyDst);
    p.finish();
    let x = g.create_buffer("x", BufferDesc::new(64));
    let mut p = g.add_pass("setup", G);
    let x = p.write(x, Access::CopyDst);
    p.finish();
    let mut p = g.add_pass("behind", G);
    p.side_effect();
    let behind = p.finish();
    let (l1, l2) =
        (g.create_buffer("l1", BufferDesc::new(64)), g.create_buffer("l2", BufferDesc::new(64)));
    let mut p = g.add_pass("a", G);
    p.read(x, Access::CopySrc);
    let l1 = p.write(l1, Access::CopyDst);
    let a = p.finish();
    let mut p = g.add_pass("b", G);
    p.read(l1, Access::CopySrc);
    let l2 = p.write(l2, Access::CopyDst);
    p.finish();
    let mut p = g.add_pass("c", G);
    p.side_effect().read(l2, Access::CopySrc);
    let c = p.finish();
    g.order(c, a);
    g.order(c, behind);
    let errors = Compiler::new().compile(&g, &FakeMemory::default()).expect_err("a cycle");
    let [CompileError::Cycle { path, via }] = &errors.0[..] else { panic!("{errors}") };
    let names: Vec<&str> = path.iter().map(|(p, _)| p.as_str()).collect();
    assert_eq!(names, ["a", "b", "c", "a"], "{errors}");
    assert_eq!(via, &["`l1`", "`l2`", "explicit order"], "{errors}");
}
