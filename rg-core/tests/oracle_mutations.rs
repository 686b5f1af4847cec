//! The hazard oracle catches mistakes: take real compiled plans (the reference frames and random
//! graphs), delete or weaken one barrier or wait at a time, and require the oracle to flag every
//! change that removes something the plan needed. The compiler emits nothing redundant, so every
//! barrier and every wait it emits is needed, and so is every mip level and layer a barrier
//! names: moving a barrier's range to the next mip or layer, or dropping a mip or a layer from
//! it, must be caught too.

use rg_core::gen::{random_graph, Params};
use rg_core::*;

/// Where a barrier sits in a plan: its index in the prologue, `Plan::barriers`,
/// `Plan::releases` or the epilogue.
#[derive(Clone, Copy, Debug)]
enum Slot {
    Prologue(usize),
    Batch(usize),
    Release(usize),
    Epilogue(usize),
}

fn slots(plan: &Plan) -> Vec<Slot> {
    let mut v: Vec<Slot> = (0..plan.prologue.len()).map(Slot::Prologue).collect();
    for pass in &plan.passes {
        v.extend(pass.barriers.clone().map(|b| Slot::Batch(b as usize)));
        v.extend(pass.releases.clone().map(|b| Slot::Release(b as usize)));
    }
    v.extend((0..plan.epilogue.len()).map(Slot::Epilogue));
    v
}

fn barrier_mut(plan: &mut Plan, s: Slot) -> &mut Barrier {
    match s {
        Slot::Prologue(i) => &mut plan.prologue[i],
        Slot::Batch(b) => &mut plan.barriers[b],
        Slot::Release(b) => &mut plan.releases[b],
        Slot::Epilogue(i) => &mut plan.epilogue[i],
    }
}

fn delete(plan: &mut Plan, s: Slot) {
    match s {
        Slot::Prologue(i) => {
            plan.prologue.remove(i);
        }
        Slot::Batch(b) => {
            plan.remove_barrier(b);
        }
        Slot::Release(b) => {
            plan.remove_release(b);
        }
        Slot::Epilogue(i) => {
            plan.epilogue.remove(i);
        }
    }
}

#[derive(Default, Debug)]
struct Tally {
    deletions: usize,
    deletions_caught: usize,
    dst_weakenings: usize,
    dst_caught: usize,
    src_weakenings: usize,
    src_caught: usize,
    layout_changes: usize,
    layout_caught: usize,
    range_changes: usize,
    range_caught: usize,
    waits: usize,
    waits_caught: usize,
    missed: Vec<String>,
}

fn mutate_all(name: &str, plan: &Plan, t: &mut Tally) {
    assert!(oracle::check(plan).is_empty(), "{name}: the unmutated plan must be clean");
    let flagged = |p: &Plan| !oracle::check(p).is_empty();
    for s in slots(plan) {
        let mut m = plan.clone();
        delete(&mut m, s);
        t.deletions += 1;
        if flagged(&m) {
            t.deletions_caught += 1;
        } else {
            t.missed
                .push(format!("{name}: deleting {s:?} {:?}", barrier_mut(&mut plan.clone(), s)));
        }

        let b = *barrier_mut(&mut plan.clone(), s);
        // Every destination stage of a barrier is one some access needs (a stage that a
        // logically earlier one left in the mask already takes in is no weakening).
        for bit in b.dst_stages.iter() {
            if b.dst_stages.minus(bit).and_later().contains(bit) {
                continue;
            }
            let mut m = plan.clone();
            barrier_mut(&mut m, s).dst_stages = b.dst_stages.minus(bit);
            t.dst_weakenings += 1;
            if flagged(&m) {
                t.dst_caught += 1;
            } else {
                t.missed.push(format!("{name}: dropping dst {bit} from {s:?} {b:?}"));
            }
        }
        // Emptying the source scope leaves the earlier accesses unordered.
        if !b.src_stages.is_empty() {
            let mut m = plan.clone();
            barrier_mut(&mut m, s).src_stages = StageMask::NONE;
            t.src_weakenings += 1;
            if flagged(&m) {
                t.src_caught += 1;
            } else {
                t.missed.push(format!("{name}: emptying src of {s:?} {b:?}"));
            }
        }
        // Transitioning into the wrong layout.
        if let Some((old, new)) = b.layout {
            let wrong =
                if new == Layout::General { Layout::ShaderReadOnly } else { Layout::General };
            let mut m = plan.clone();
            barrier_mut(&mut m, s).layout = Some((old, wrong));
            t.layout_changes += 1;
            if flagged(&m) {
                t.layout_caught += 1;
            } else {
                t.missed.push(format!("{name}: wrong layout in {s:?} {b:?}"));
            }
        }
    }
    for s in slots(plan) {
        let b = *barrier_mut(&mut plan.clone(), s);
        for wrong in wrong_ranges(plan, &b) {
            let mut m = plan.clone();
            barrier_mut(&mut m, s).subresource = wrong;
            t.range_changes += 1;
            if flagged(&m) {
                t.range_caught += 1;
            } else {
                t.missed.push(format!("{name}: range {wrong} in {s:?} {b:?}"));
            }
        }
    }
    for (p, pass) in plan.passes.iter().enumerate() {
        for (k, w) in pass.waits.clone().enumerate() {
            let mut m = plan.clone();
            m.remove_wait(w as usize);
            t.waits += 1;
            if flagged(&m) {
                t.waits_caught += 1;
            } else {
                t.missed.push(format!("{name}: deleting wait {k} of pass {p}"));
            }
        }
    }
}

/// Ranges a barrier of part of an image could wrongly name instead of its own: shifted by one
/// mip or one layer (where the image has room), or without one of its mips or layers.
fn wrong_ranges(plan: &Plan, b: &Barrier) -> Vec<Subresource> {
    let Some(img) = plan.resources[b.resource].image else {
        return Vec::new();
    };
    let (mips, layers) = (img.mip_levels, img.array_layers);
    let Some(s) = b.subresource.resolve(mips, layers) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    if s.base_mip + s.mip_count < mips {
        out.push(Subresource { base_mip: s.base_mip + 1, ..s });
    } else if s.base_mip > 0 {
        out.push(Subresource { base_mip: s.base_mip - 1, ..s });
    }
    if s.base_layer + s.layer_count < layers {
        out.push(Subresource { base_layer: s.base_layer + 1, ..s });
    } else if s.base_layer > 0 {
        out.push(Subresource { base_layer: s.base_layer - 1, ..s });
    }
    // Without its first mip (or layer) when it has several, else without its last: which end
    // goes matters little, and every mutation costs a replay.
    if s.mip_count > 1 {
        out.push(Subresource { base_mip: s.base_mip + 1, mip_count: s.mip_count - 1, ..s });
    }
    if s.layer_count > 1 {
        out.push(Subresource { layer_count: s.layer_count - 1, ..s });
    }
    out
}

fn check(t: &Tally) {
    if let Ok(path) = std::env::var("RG_MUTATION_LOG") {
        std::fs::write(path, t.missed.join("\n")).expect("write the log");
    }
    eprintln!(
        "deletions {}/{}, dst weakenings {}/{}, src emptied {}/{}, layouts {}/{}, ranges {}/{}, \
         waits {}/{}",
        t.deletions_caught,
        t.deletions,
        t.dst_caught,
        t.dst_weakenings,
        t.src_caught,
        t.src_weakenings,
        t.layout_caught,
        t.layout_changes,
        t.range_caught,
        t.range_changes,
        t.waits_caught,
        t.waits
    );
    assert!(
        t.deletions > 100 && t.waits > 10 && t.layout_changes > 50 && t.range_changes > 50,
        "too little was mutated"
    );
    assert!(
        t.missed.is_empty(),
        "the oracle missed {} mutations, e.g.\n{}",
        t.missed.len(),
        t.missed.iter().take(10).map(|s| s.as_str()).collect::<Vec<_>>().join("\n")
    );
}

#[test]
fn every_barrier_and_wait_of_the_reference_frames_is_needed() {
    let mut t = Tally::default();
    for (name, g) in reference::all() {
        let plan = Compiler::new().compile_uncached(&g, &FakeMemory::default()).expect("valid");
        mutate_all(name, &plan, &mut t);
    }
    // The reference frames alone are smaller than the thresholds in `check`.
    assert!(t.missed.is_empty(), "{:#?}", t.missed);
    assert!(t.deletions >= 80 && t.waits >= 6, "{t:?}");
}

#[test]
fn every_barrier_and_range_of_the_subresource_frames_is_needed() {
    let mut t = Tally::default();
    for (name, g) in [
        ("hiz_pyramid", reference::hiz_pyramid()),
        ("shadow_cascades", reference::shadow_cascades()),
    ] {
        let plan = Compiler::new().compile_uncached(&g, &FakeMemory::default()).expect("valid");
        mutate_all(name, &plan, &mut t);
    }
    assert!(t.missed.is_empty(), "{:#?}", t.missed);
    assert!(t.range_changes >= 20, "{t:?}");
}

#[test]
fn every_barrier_and_wait_of_random_plans_is_needed() {
    let mut t = Tally::default();
    for seed in 0..300 {
        let g = random_graph(seed, &Params::default());
        let plan = Compiler::new().compile_uncached(&g, &FakeMemory::default()).expect("valid");
        mutate_all(&format!("seed {seed}"), &plan, &mut t);
    }
    check(&t);
}
