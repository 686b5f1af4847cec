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
//! 7. [`barriers`]: one batch of transitions per pass, ownership transfers and queue waits,
//!    per mip level and layer for images that some access names only part of.
//!
//! Versions, culling and the schedule are per resource whatever part of an image an access
//! names; validation checks the ranges, and the barrier phase and the oracle work per cell.
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

pub(crate) use validate::scale;

use crate::access::{Layout, Usage};
use crate::error::{CompileError, CompileErrors};
use crate::graph::Subresource;
use crate::graph::{AccessDecl, Graph, Lifetime};
use crate::memory::MemoryOracle;
use crate::plan::{Plan, PlanStats, PlannedAccess, PlannedPass, PlannedResource};
use std::collections::HashMap;
use std::sync::Arc;

/// "No pass" / "no version" in the compact tables the phases share.
pub(crate) const NONE: u32 = u32::MAX;

/// How many distinct structures the cache keeps (graphs that alternate, resizes).
const CACHE_CAPACITY: usize = 8;

struct CacheEntry {
    prefix: [u64; 4],
    key: Arc<[u64]>,
    /// Where the plan's labels live, passes (by id) then resources: the plan keeps them alive,
    /// so a graph whose labels are at these addresses names exactly what the plan names.
    labels: Box<[usize]>,
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
            // The key holds the labels' hashes; the labels themselves are compared here. They
            // are the same allocations frame after frame (a graph reuses the last one's), so
            // their addresses are compared first, and the text only when one differs.
            let hit = |e: &&CacheEntry| {
                e.prefix == prefix
                    && *e.key == graph.key[..]
                    && (same_addresses(&e.labels, graph) || same_labels(&e.plan, graph))
            };
            if let Some(e) = entries.iter().find(hit) {
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
            labels: label_addresses(&plan),
            plan: plan.clone(),
        });
        Ok(plan)
    }

    /// Compiles `graph` as [`Compiler::compile`] does, and keeps the graph (with its passes'
    /// recordings) and its plan together: the executor runs a [`Compiled`] once, and only
    /// with the plan made for it.
    ///
    /// # Errors
    /// As [`Compiler::compile`].
    pub fn compile_frame<P>(
        &mut self,
        graph: Graph<P>,
        memory: &dyn MemoryOracle,
    ) -> Result<Compiled<P>, CompileErrors> {
        let plan = self.compile(&graph, memory)?;
        Ok(Compiled { graph, plan, memory: memory.fingerprint() })
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

/// A graph and the plan compiled from it, taken apart only by whoever runs it.
pub struct Compiled<P> {
    graph: Graph<P>,
    plan: Arc<Plan>,
    /// The [`MemoryOracle::fingerprint`] of the memory the plan was placed in.
    memory: u64,
}

impl<P> Compiled<P> {
    /// The plan: passes in order, barriers, placements.
    pub fn plan(&self) -> &Plan {
        &self.plan
    }

    /// The graph the plan was compiled from.
    pub fn graph(&self) -> &Graph<P> {
        &self.graph
    }

    /// The plan, shared (it may also be in the compiler's cache), for keeping past the run.
    pub fn shared_plan(&self) -> Arc<Plan> {
        self.plan.clone()
    }

    /// The [`MemoryOracle::fingerprint`] of the memory model the transients were placed
    /// against: an executor runs only plans placed in its own device's memory.
    pub fn memory_fingerprint(&self) -> u64 {
        self.memory
    }

    /// The graph and its plan, to run the passes' recordings (this is what an executor does;
    /// the plan may be shared with the compiler's cache).
    pub fn into_parts(self) -> (Graph<P>, Arc<Plan>) {
        (self.graph, self.plan)
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
    if !g.exports.is_empty() {
        let stale = cull::stale_exports(g, v, kept);
        if !stale.is_empty() {
            return Err(CompileErrors(stale));
        }
    }
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
    // A buffer of indirect arguments is given the whole frame as its time in memory, so that no
    // other transient shares its bytes: several vendors' drivers have crashed on indirect
    // arguments in aliased memory (Unreal's RDG keeps them out of aliasing for that reason).
    let frame = (0, (order.len() as u32).saturating_sub(1));
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
        let (first, last) =
            if r.usage.contains(Usage::INDIRECT) { frame } else { (first as u32, last as u32) };
        items.push(alias::Item { resource: i as u32, first, last, req, kind: r.kind });
    }
    let granularity = memory.buffer_image_granularity();
    let aliasing =
        alias::place(items, order.len() as u32, granularity, &mut scratch.alias, &mut heaps)
            .map_err(|at| {
                let i = items[at as usize].resource as usize;
                too_much_memory(&resources[i], g.resources[i].site)
            })?;
    for (it, &p) in items.iter().zip(&scratch.alias.placements) {
        resources[it.resource as usize].placement = Some(p);
    }

    // Every mip level and layer of each resource, in a table by resource: what a barrier or an
    // access that names all of it covers, read there rather than from the resource's record.
    let whole = &mut scratch.barrier_scratch.whole;
    whole.clear();
    whole.extend(resources.iter().map(barriers::whole));
    // Images that some access names part of are tracked by cell from here on.
    barriers::track_cells(g, flat, order, &resources, v.any_part, &mut scratch.barrier_scratch);
    // A temporal resource is found, next frame, as this frame leaves it.
    barriers::temporal_exits(g, flat, order, &mut resources, &mut scratch.barrier_scratch);

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
    let whole = &scratch.barrier_scratch.whole[..];
    for (pos, &p) in order.iter().enumerate() {
        let decl = &g.passes[p as usize];
        let first = accesses.len() as u32;
        // An access that names all of its resource (validation flagged the others) names every
        // mip level and layer, so only the flagged ones resolve their declared range; in a
        // frame with none (most), no flag is read.
        let planned = |a: &AccessDecl, part: bool| {
            let r = a.handle.index as usize;
            PlannedAccess {
                resource: r,
                access: a.access,
                version: a.handle.version,
                subresource: if part {
                    resources[r]
                        .image
                        .and_then(|i| a.handle.sub.resolve(i.mip_levels, i.array_layers))
                        .unwrap_or(Subresource::ALL)
                } else {
                    whole[r]
                },
            }
        };
        let span = decl.accesses.start as usize..decl.accesses.end as usize;
        if v.any_part {
            let flagged = g.accesses[span.clone()].iter().zip(&flat[span]);
            accesses.extend(flagged.map(|(a, f)| planned(a, f.part())));
        } else {
            accesses.extend(g.accesses[span].iter().map(|a| planned(a, false)));
        }
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
                *o_id = p as usize;
                *o_queue = decl.queue;
                *o_waits = waits;
                *o_signal = signal;
                *o_barriers = barriers;
                *o_accesses = own;
                *o_releases = releases;
            }
            slot => {
                let new = PlannedPass {
                    id: p as usize,
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
        kept.iter().enumerate().filter(|(_, k)| !**k).map(|(i, _)| (i, g.passes[i].label.clone())),
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

/// The error for a transient that takes the frame's memory past 2^64 bytes.
#[cold]
fn too_much_memory(r: &PlannedResource, site: crate::graph::Site) -> CompileErrors {
    let size = r.requirements.map_or(0, |q| q.size);
    CompileErrors(vec![CompileError::InvalidSize {
        resource: r.label.to_string(),
        reason: format!("{size} bytes with the transients before it need more than 2^64 bytes"),
        site,
    }])
}

/// The addresses of `plan`'s labels: every pass's by id (run or culled), then every resource's.
fn label_addresses(plan: &Plan) -> Box<[usize]> {
    let passes = plan.passes.len() + plan.culled.len();
    let mut at = vec![0usize; passes + plan.resources.len()];
    for p in &plan.passes {
        at[p.id] = p.label.as_ptr() as usize;
    }
    for (id, label) in &plan.culled {
        at[*id] = label.as_ptr() as usize;
    }
    for (i, r) in plan.resources.iter().enumerate() {
        at[passes + i] = r.label.as_ptr() as usize;
    }
    at.into()
}

/// Whether `g`'s labels are the allocations at `addresses` (see [`label_addresses`]).
fn same_addresses<P>(addresses: &[usize], g: &Graph<P>) -> bool {
    if addresses.len() != g.passes.len() + g.resources.len() {
        return false;
    }
    let (passes, resources) = addresses.split_at(g.passes.len());
    // Differences are ORed together rather than stopping at the first: no branch a label.
    let mut differ = 0usize;
    for (p, &at) in g.passes.iter().zip(passes) {
        differ |= p.label.as_ptr() as usize ^ at;
    }
    for (r, &at) in g.resources.iter().zip(resources) {
        differ |= r.label.as_ptr() as usize ^ at;
    }
    differ == 0
}

/// Whether `plan`, made for a graph with the same key as `g`, names what `g` names (the key
/// gives every pass and resource an entry, so the counts and ids agree).
fn same_labels<P>(plan: &Plan, g: &Graph<P>) -> bool {
    let same = |a: &Arc<str>, b: &Arc<str>| Arc::ptr_eq(a, b) || **a == **b;
    plan.resources.len() == g.resources.len()
        && plan.resources.iter().zip(&g.resources).all(|(r, d)| same(&r.label, &d.label))
        && plan.passes.iter().all(|p| same(&p.label, &g.passes[p.id].label))
        && plan.culled.iter().all(|(id, l)| same(l, &g.passes[*id].label))
}

/// What besides the declarations decides the plan: the oracle, the output size, the limits.
fn prefix<P>(g: &Graph<P>, memory: &dyn MemoryOracle) -> [u64; 4] {
    let limits = memory.limits();
    [
        memory.fingerprint(),
        (g.output.width as u64) << 32 | g.output.height as u64,
        (limits.max_image_dimension as u64) << 32 | limits.max_image_array_layers as u64,
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

/// Helpers for the phases' unit tests, which run one phase again on what the phases before it
/// made of a small graph.
#[cfg(test)]
pub(super) mod testing {
    use super::*;
    use crate::graph::ResourceDecl;

    /// `g` compiled (it must be valid), with the compiler's working memory as the compile left
    /// it: the validated accesses, the kept passes, the order, the barrier phase's scratch.
    pub(super) fn compiled<P>(g: &Graph<P>) -> (Plan, Scratch) {
        let mut c = Compiler::new();
        let memory = crate::FakeMemory::default();
        let plan = c.compile_uncached(g, &memory).unwrap_or_else(|e| panic!("{e}"));
        (plan, std::mem::take(&mut c.scratch))
    }

    /// The resource records a compile starts from, before any phase.
    pub(super) fn records<P>(g: &Graph<P>) -> Vec<PlannedResource> {
        g.resources.iter().map(record).collect()
    }

    fn record(r: &ResourceDecl) -> PlannedResource {
        let (entry, exit) = match r.lifetime {
            Lifetime::Imported { entry, exit } => (Some(entry), Some(exit)),
            _ => (None, None),
        };
        PlannedResource {
            label: r.label.clone(),
            kind: r.kind(),
            image: None,
            buffer_size: None,
            lifetime: r.lifetime,
            usage: Usage::NONE,
            entry,
            exit,
            defined_at_entry: entry.is_some_and(|e| e.layout != Some(Layout::Undefined)),
            first_use: None,
            last_use: None,
            placement: None,
            requirements: None,
        }
    }

    /// The labels of the passes in `order`.
    pub(super) fn labels<'g, P>(g: &'g Graph<P>, order: &[u32]) -> Vec<&'g str> {
        order.iter().map(|&p| &*g.passes[p as usize].label).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gen::{random_graph, Params};
    use crate::FakeMemory;

    /// Graphs that differ only where the structure key once dropped bits (sample and mip counts
    /// over 255, export versions from 2^20, order ids from 2^24, buffer sizes that look like
    /// image descriptions) have different keys; pass ids and versions need not exist for that.
    #[test]
    fn the_structure_key_keeps_every_bit() {
        use crate::graph::BufferHandle;
        use crate::types::{BufferDesc, Extent, Format, ImageDesc, Size};
        let key = |build: &dyn Fn(&mut Graph)| {
            let mut g = Graph::new(Extent::new(8, 8));
            build(&mut g);
            g.key.clone()
        };
        let image = |samples: u32, mips: u32| {
            move |g: &mut Graph| {
                let mut d = ImageDesc::new(Format::Rgba8Unorm, Size::FULL).mips(mips);
                d.samples = samples;
                g.create_image("i", d);
            }
        };
        assert_ne!(key(&image(1, 1)), key(&image(257, 1)));
        assert_ne!(key(&image(1, 1)), key(&image(1, 257)));
        let export = |index: u32, version: u32| {
            move |g: &mut Graph| g.export(BufferHandle { graph: g.id, index, version })
        };
        assert_ne!(key(&export(0, 1 << 20)), key(&export(1, 0)));
        assert_ne!(key(&export(1 << 27, 0)), key(&export(0, 0)));
        let order = |a: u32, b: u32| {
            move |g: &mut Graph| {
                g.order(
                    crate::PassId { graph: g.id, index: a },
                    crate::PassId { graph: g.id, index: b },
                )
            }
        };
        assert_ne!(key(&order(1, 0)), key(&order(0, 1 << 24)));
        assert_ne!(key(&order(1 << 24, 0)), key(&order(0, 0)));
        // A buffer whose size has the top bit set, beside an image description.
        let d = ImageDesc::new(Format::Rgba8Unorm, Size::FULL);
        let image_words = key(&|g: &mut Graph| {
            g.create_image("r", d);
        });
        let buffer_words = key(&|g: &mut Graph| {
            g.create_buffer("r", BufferDesc::new(image_words[1]));
        });
        assert_ne!(image_words[..2], buffer_words[..2]);
    }

    /// Labels enter the key as hashes; two labels with the same hash still get their own plans.
    #[test]
    fn labels_whose_hashes_collide_get_their_own_plans() {
        let (a, b) = ("/b13J:3(Bl", "KoB7sf,]");
        assert_eq!(crate::graph::hash_str(a) >> 16, crate::graph::hash_str(b) >> 16);
        let frame = |label: &str| {
            let mut g: Graph = Graph::new(crate::Extent::new(8, 8));
            let buf = g.create_buffer(label, crate::BufferDesc::new(64));
            let buf = g
                .add_pass(label, crate::QueueKind::Compute)
                .write(buf, crate::Access::StorageWrite(crate::ShaderStages::COMPUTE));
            g.export(buf);
            g
        };
        let (ga, gb) = (frame(a), frame(b));
        assert_eq!(ga.key, gb.key, "the test needs labels whose keys collide");
        let memory = FakeMemory::default();
        let mut compiler = Compiler::new();
        let pa = compiler.compile(&ga, &memory).expect("valid");
        let pb = compiler.compile(&gb, &memory).expect("valid");
        assert_eq!((&*pa.passes[0].label, &*pa.resources[0].label), (a, a));
        assert_eq!((&*pb.passes[0].label, &*pb.resources[0].label), (b, b));
        // Each is still found again: by the labels' text while `ga` and `gb` are alive (the new
        // graphs' labels are allocations of their own), by their addresses once a graph reuses
        // the last one's.
        let again = frame(a);
        assert!(!Arc::ptr_eq(&again.passes[0].label, &pa.passes[0].label));
        assert!(Arc::ptr_eq(&compiler.compile(&again, &memory).expect("valid"), &pa));
        assert!(Arc::ptr_eq(&compiler.compile(&frame(b), &memory).expect("valid"), &pb));
        drop(again);
        drop(ga);
        let reused = frame(a);
        assert!(Arc::ptr_eq(&reused.passes[0].label, &pa.passes[0].label));
        assert!(Arc::ptr_eq(&compiler.compile(&reused, &memory).expect("valid"), &pa));
        assert_eq!(compiler.cache_stats(), (3, 2));
    }

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
