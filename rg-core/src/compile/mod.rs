//! `compile()`: declared graph in, plan out, as a recipe of phases (one module and one function
//! each):
//!
//! 1. [`validate`]: handles, versions, reads before writes, accesses that do not fit, sizes;
//! 2. [`cull`]: drop passes with no path to an output;
//! 3. [`schedule`]: a topological order that keeps producers and consumers close; cycles are
//!    reported with their path;
//! 4. [`lifetimes`]: first and last use of every resource in that order;
//! 5. [`usage`]: usage flags inferred from the accesses;
//! 6. [`alias`]: transients placed in heaps, sharing memory where lifetimes allow;
//! 7. [`barriers`]: one batch of transitions per pass, ownership transfers and queue waits.
//!
//! [`Compiler`] keeps the plans it made, keyed by the graph's structure: a frame whose
//! declarations did not change costs a hash and a comparison, not a compile.

mod alias;
mod barriers;
mod cull;
mod lifetimes;
mod schedule;
mod usage;
mod validate;

use crate::access::{Layout, Usage};
use crate::error::CompileErrors;
use crate::graph::{Graph, Lifetime};
use crate::memory::MemoryOracle;
use crate::plan::{Plan, PlanStats, PlannedAccess, PlannedPass, PlannedResource};
use crate::PassId;
use std::collections::HashMap;
use std::sync::Arc;

/// "No pass" / "no version" in the compact tables the phases share.
pub(crate) const NONE: u32 = u32::MAX;

/// How many distinct structures the cache keeps (graphs that alternate, resizes).
const CACHE_CAPACITY: usize = 8;

struct CacheEntry {
    prefix: [u64; 4],
    key: Arc<[u64]>,
    plan: Arc<Plan>,
}

/// Compiles graphs into plans and remembers them. Keep one per device and reuse it every frame:
/// besides its cache of plans, it keeps the phases' working memory, so a compile allocates
/// little more than the plan it returns.
#[derive(Default)]
pub struct Compiler {
    cache: HashMap<u64, Vec<CacheEntry>>,
    order: Vec<u64>,
    hits: u64,
    misses: u64,
    scratch: Scratch,
}

/// The phases' working memory, reused from one compile to the next.
#[derive(Default)]
struct Scratch {
    validated: validate::Validated,
    kept: Vec<bool>,
    stack: Vec<u32>,
    edges: schedule::Edges,
    schedule: schedule::Scratch,
    order: Vec<u32>,
    items: Vec<alias::Item>,
    alias: alias::Scratch,
    barriers: barriers::Barriers,
    barrier_scratch: barriers::Scratch,
    /// A plan given back ([`Compiler::recycle`], or evicted from the cache), whose arrays the
    /// next compile fills instead of allocating its own.
    spare: Option<Plan>,
}

impl Compiler {
    pub fn new() -> Self {
        Self::default()
    }

    /// The plan for `graph`: from the cache when a graph of the same structure (resources,
    /// passes, accesses, labels, output size) was compiled before with this oracle, else compiled.
    ///
    /// # Errors
    /// Every mistake in the graph, at once, each naming its pass, resource and declaration site.
    pub fn compile<P>(
        &mut self,
        graph: &Graph<P>,
        memory: &dyn MemoryOracle,
    ) -> Result<Arc<Plan>, CompileErrors> {
        let prefix = prefix(graph, memory);
        let hash = hash_words(&prefix, &graph.key);
        if let Some(entries) = self.cache.get(&hash) {
            if let Some(e) = entries.iter().find(|e| e.prefix == prefix && *e.key == graph.key[..])
            {
                self.hits += 1;
                return Ok(e.plan.clone());
            }
        }
        self.misses += 1;
        let plan = Arc::new(compile_uncached(graph, memory, &mut self.scratch)?);
        if self.order.len() >= CACHE_CAPACITY {
            let old = self.order.remove(0);
            for e in self.cache.remove(&old).into_iter().flatten() {
                if let Ok(plan) = Arc::try_unwrap(e.plan) {
                    self.scratch.spare = Some(plan);
                }
            }
        }
        self.order.push(hash);
        self.cache.entry(hash).or_default().push(CacheEntry {
            prefix,
            key: Arc::from(&graph.key[..]),
            plan: plan.clone(),
        });
        Ok(plan)
    }

    /// Compiles every phase with no cache look-up or insertion (for benchmarks and tools).
    ///
    /// # Errors
    /// As [`Compiler::compile`].
    pub fn compile_uncached<P>(
        &mut self,
        graph: &Graph<P>,
        memory: &dyn MemoryOracle,
    ) -> Result<Plan, CompileErrors> {
        compile_uncached(graph, memory, &mut self.scratch)
    }

    /// Gives back a plan that is no longer needed: the next compile that misses the cache
    /// builds its plan in this one's arrays instead of allocating new ones. Plans evicted from
    /// the cache are recycled the same way when nothing else holds them.
    pub fn recycle(&mut self, plan: Plan) {
        self.scratch.spare = Some(plan);
    }

    /// `(hits, misses)` of the plan cache so far.
    pub fn cache_stats(&self) -> (u64, u64) {
        (self.hits, self.misses)
    }
}

fn compile_uncached<P>(
    g: &Graph<P>,
    memory: &dyn MemoryOracle,
    scratch: &mut Scratch,
) -> Result<Plan, CompileErrors> {
    // A recycled plan's arrays, or new ones. Each is emptied or overwritten where it is filled:
    // the barrier phase empties the batches it writes, aliasing the heaps.
    let plan = scratch.spare.take().unwrap_or_default();
    let Plan {
        mut passes,
        waits,
        barriers: batches,
        mut accesses,
        releases,
        mut culled,
        mut resources,
        mut heaps,
        prologue,
        epilogue,
        stats: _,
    } = plan;
    // The plan's resource records, which the phases fill in as they learn; imports declare
    // their entry and exit states. Entries of a recycled plan are overwritten in place. A label that is the same allocation
    // as the declaration's (it is, frame after frame: graphs share last frame's labels) is kept,
    // which spares two reference-count updates per resource and per pass.
    resources.truncate(g.resources.len());
    for (i, r) in g.resources.iter().enumerate() {
        let (entry, exit, defined_at_entry) = match r.lifetime {
            Lifetime::Imported { entry, exit } => {
                (Some(entry), Some(exit), entry.layout != Some(Layout::Undefined))
            }
            Lifetime::Transient | Lifetime::Temporal => (None, None, false),
        };
        let kind = r.kind();
        let fresh = |label: Arc<str>| PlannedResource {
            label,
            kind,
            image: None,
            buffer_size: None,
            lifetime: r.lifetime,
            usage: Usage::NONE,
            entry,
            exit,
            defined_at_entry,
            first_use: None,
            last_use: None,
            placement: None,
            requirements: None,
        };
        match resources.get_mut(i) {
            Some(old) if Arc::ptr_eq(&old.label, &r.label) => {
                // As `fresh` does, but for the label; every field is named so that a new one
                // cannot be forgotten here.
                let PlannedResource {
                    label: _,
                    kind: o_kind,
                    image,
                    buffer_size,
                    lifetime,
                    usage,
                    entry: o_entry,
                    exit: o_exit,
                    defined_at_entry: o_defined,
                    first_use,
                    last_use,
                    placement,
                    requirements,
                } = old;
                *o_kind = kind;
                *image = None;
                *buffer_size = None;
                *lifetime = r.lifetime;
                *usage = Usage::NONE;
                *o_entry = entry;
                *o_exit = exit;
                *o_defined = defined_at_entry;
                *first_use = None;
                *last_use = None;
                *placement = None;
                *requirements = None;
            }
            Some(old) => *old = fresh(r.label.clone()),
            None => resources.push(fresh(r.label.clone())),
        }
    }

    // 1. validate
    let v = &mut scratch.validated;
    validate::validate(g, memory.limits(), &mut resources, v).map_err(CompileErrors)?;
    // 2. cull
    let kept = &mut scratch.kept;
    cull::cull(g, v, kept, &mut scratch.stack);
    // 3. schedule
    schedule::edges(g, v, kept, &mut scratch.edges);
    let order = &mut scratch.order;
    schedule::schedule(g, kept, &scratch.edges, &mut scratch.schedule, order)
        .map_err(|e| CompileErrors(vec![e]))?;
    let flat = &v.flat;
    // 4. lifetimes
    lifetimes::lifetimes(g, flat, order, &mut resources);
    // 5. usage
    usage::usage(g, flat, order, &mut resources);

    // 6. aliasing
    let items = &mut scratch.items;
    items.clear();
    for (i, r) in resources.iter_mut().enumerate() {
        let (Lifetime::Transient, Some(first), Some(last)) = (r.lifetime, r.first_use, r.last_use)
        else {
            continue;
        };
        let req = match (r.image, r.buffer_size) {
            (Some(img), _) => memory.image_requirements(&img, r.usage),
            (None, Some(size)) => memory.buffer_requirements(size, r.usage),
            (None, None) => unreachable!("rg-core bug: a validated resource without a size"),
        };
        r.requirements = Some(req);
        items.push(alias::Item {
            resource: i as u32,
            first: first as u32,
            last: last as u32,
            req,
            kind: r.kind,
        });
    }
    let aliasing = alias::place(
        items,
        order.len() as u32,
        memory.buffer_image_granularity(),
        &mut scratch.alias,
        &mut heaps,
    );
    for (it, &p) in items.iter().zip(&scratch.alias.placements) {
        resources[it.resource as usize].placement = Some(p);
    }

    // A temporal resource is found, next frame, as this frame leaves it.
    barriers::temporal_exits(g, flat, order, &mut resources);

    // 7. barriers, written straight into the plan's arrays (lent to the phase's output)
    let b = &mut scratch.barriers;
    b.waits = waits;
    b.batches = batches;
    b.releases = releases;
    b.prologue = prologue;
    b.epilogue = epilogue;
    barriers::barriers(g, flat, order, &resources, heaps.len(), b, &mut scratch.barrier_scratch);

    let range = |start: &[u32], pos: usize| start[pos]..start[pos + 1];
    passes.truncate(order.len());
    passes.reserve(order.len().saturating_sub(passes.len()));
    // Room for every declared access: culled passes' are not listed, but counting the kept
    // ones would cost a walk, and a recycled plan has the room already.
    accesses.clear();
    accesses.reserve(g.accesses.len());
    for (pos, &p) in order.iter().enumerate() {
        let decl = &g.passes[p as usize];
        let first = accesses.len() as u32;
        accesses.extend(g.accesses_of(decl).iter().map(|a| PlannedAccess {
            resource: a.handle.index as usize,
            access: a.access,
            version: a.handle.version,
        }));
        let (waits, signal) = (range(&b.wait_start, pos), b.signal[pos]);
        let (barriers, releases) = (range(&b.batch_start, pos), range(&b.release_start, pos));
        let own = first..accesses.len() as u32;
        match passes.get_mut(pos) {
            Some(old) if Arc::ptr_eq(&old.label, &decl.label) => {
                // Every field but the label (see the resources above).
                let PlannedPass {
                    id: o_id,
                    label: _,
                    queue: o_queue,
                    waits: o_waits,
                    signal: o_signal,
                    barriers: o_barriers,
                    accesses: o_accesses,
                    releases: o_releases,
                } = old;
                *o_id = PassId(p);
                *o_queue = decl.queue;
                *o_waits = waits;
                *o_signal = signal;
                *o_barriers = barriers;
                *o_accesses = own;
                *o_releases = releases;
            }
            slot => {
                let new = PlannedPass {
                    id: PassId(p),
                    label: decl.label.clone(),
                    queue: decl.queue,
                    waits,
                    signal,
                    barriers,
                    accesses: own,
                    releases,
                };
                match slot {
                    Some(old) => *old = new,
                    None => passes.push(new),
                }
            }
        }
    }
    culled.clear();
    culled.extend(
        kept.iter()
            .enumerate()
            .filter(|(_, k)| !**k)
            .map(|(i, _)| (PassId(i as u32), g.passes[i].label.clone())),
    );
    let stats = PlanStats {
        passes_declared: g.passes.len(),
        passes_run: passes.len(),
        passes_culled: culled.len(),
        barriers: b.prologue.len() + b.batches.len() + b.releases.len() + b.epilogue.len(),
        waits: b.waits.len(),
        transient_bytes: aliasing.used,
        unaliased_bytes: aliasing.unaliased,
        lower_bound_bytes: aliasing.lower_bound,
    };
    Ok(Plan {
        passes,
        waits: std::mem::take(&mut b.waits),
        barriers: std::mem::take(&mut b.batches),
        accesses,
        releases: std::mem::take(&mut b.releases),
        culled,
        resources,
        heaps,
        prologue: std::mem::take(&mut b.prologue),
        epilogue: std::mem::take(&mut b.epilogue),
        stats,
    })
}

/// What besides the declarations decides the plan: the oracle, the output size, the limits.
fn prefix<P>(g: &Graph<P>, memory: &dyn MemoryOracle) -> [u64; 4] {
    let limits = memory.limits();
    [
        memory.fingerprint(),
        (g.output.width as u64) << 32 | g.output.height as u64,
        limits.max_image_dimension as u64,
        limits.max_buffer_size,
    ]
}

/// Multiply-rotate mixing over words in four independent lanes (so the CPU overlaps them);
/// fast, and good enough for a key that is also compared in full on a hit.
fn hash_words(prefix: &[u64], words: &[u64]) -> u64 {
    const K: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut lanes = [K, K ^ 1, K ^ 2, K ^ 3];
    let mut chunks = words.chunks_exact(4);
    for c in &mut chunks {
        for i in 0..4 {
            lanes[i] = (lanes[i] ^ c[i]).wrapping_mul(K).rotate_left(31);
        }
    }
    for (i, &w) in chunks.remainder().iter().chain(prefix).enumerate() {
        lanes[i % 4] = (lanes[i % 4] ^ w).wrapping_mul(K).rotate_left(31);
    }
    let mut h = words.len() as u64;
    for l in lanes {
        h = (h ^ l).wrapping_mul(K).rotate_left(27);
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gen::{random_graph, Params};
    use crate::FakeMemory;

    /// The barrier phase's shortcut for frames on one queue (no waits to work out; first uses
    /// find what they displace as their barriers are made) plans exactly what the general walk
    /// plans, and the general walk's plans are what the oracle and snapshot tests check.
    #[test]
    fn one_queue_shortcut_plans_what_the_general_walk_plans() {
        let memory = FakeMemory::default();
        let (mut shortcut, mut general) = (Compiler::new(), Compiler::new());
        general.scratch.barrier_scratch.general_only = true;
        // Short graphs on all three queues are often on one queue all the same, with imports
        // that leave the frame owned by another (an epilogue release the shortcut must make).
        let (mut taken, mut taken_mixed) = (0, 0);
        for seed in 0..3000 {
            let mixed = seed % 4 == 0;
            let params = Params {
                passes: if mixed { 1 + seed as usize % 4 } else { 4 + seed as usize % 40 },
                queues: mixed,
                window: 2 + seed as usize % 10,
                ..Params::default()
            };
            let g = random_graph(seed, &params);
            let fast = shortcut.compile_uncached(&g, &memory).expect("valid");
            let took = shortcut.scratch.barrier_scratch.took_shortcut;
            taken += took as u32;
            taken_mixed +=
                (took && mixed && fast.epilogue.iter().any(|b| b.transfer.is_some())) as u32;
            let slow = general.compile_uncached(&g, &memory).expect("valid");
            assert!(!general.scratch.barrier_scratch.took_shortcut);
            assert!(fast == slow, "seed {seed}: the one-queue shortcut planned differently");
        }
        // Every graph on one queue takes it (3 in 4 are); graphs that use several do not.
        assert!(taken >= 2000, "the shortcut ran for only {taken} of 3000 graphs");
        assert!(taken_mixed >= 20, "only {taken_mixed} shortcut graphs released an import");
    }
}
