//! Phase 1, validate: every handle belongs to this graph and names a version that exists; every
//! access fits its resource and its pass's queue; nothing reads contents nobody wrote; no handle
//! is read after a newer version was written; no version is written twice; sizes resolve to
//! something the device can hold. It also builds the version table (who wrote each version)
//! that the later phases walk. All problems are collected; none stops the others being found.
//!
//! Versions are per image, whatever part of it an access names: a write of mip 3 produces the
//! next version of the whole image, and the stale-version, read-before-write and ordering rules
//! see only versions. That keeps the version table one slot a version and the schedule's edges
//! as they were; a write of one mip after reads of another is still ordered after them, only
//! without a barrier. What is checked per mip level and layer is what versions cannot say: that
//! a selection lies within the image, that two accesses of one pass conflict only where their
//! ranges overlap (a pass may sample mip k-1 and write mip k), and, for images once they are
//! accessed by part, that no read names mips or layers nothing wrote. That last check keeps a
//! bitset of written cells per such image, started at its first partial access, when every
//! earlier write was of the whole image.

mod ranges;

use super::NONE;
use crate::access::AccessFacts;
use crate::access::{AccessMask, Layout, ResourceKind, ResourceState, StageMask, Usage};
use crate::error::CompileError;
use crate::graph::{
    AccessDecl, Desc, Graph, Lifetime, PassDecl, RawHandle, ResourceDecl, Site, Subresource,
};
use crate::memory::ResolvedImage;
use crate::plan::PlannedResource;
use crate::types::{Extent, Limits, Size};
use ranges::{by_part, Cells, Dims};

/// What validation learned, for the later phases (besides the sizes, which it writes into the
/// plan's resources). The compiler keeps it between compiles, so its tables keep their storage.
#[derive(Default)]
pub(crate) struct Validated {
    /// `writer[ver_base[r] + v]`: the pass that wrote version `v` of resource `r`, or `NONE`.
    pub ver_base: Vec<u32>,
    pub writer: Vec<u32>,
    /// `next_writer[ver_base[r] + v]`: the pass that writes over version `v`, or `NONE`.
    pub next_writer: Vec<u32>,
    /// Every declared access, indexed like `Graph::accesses`, with what the later phases ask
    /// of it worked out once.
    pub flat: Vec<Flat>,
    /// Whether some access names part of an image of more than one mip level or layer
    /// ([`Flat::PART`]): only then does the barrier phase look for images to track by cell.
    pub any_part: bool,
    next_write_seq: Vec<u32>,
    facts: Vec<Facts>,
    /// Written cells (mip-major) of the images accessed by part, 64 a word; each such image's
    /// words start at its `Facts::written`.
    written: Vec<u64>,
}

impl Validated {
    /// Where the write over the version in `slot` (by pass `next_writer[slot]`, which is not
    /// `NONE`) was declared.
    pub(crate) fn next_write_site<P>(&self, g: &Graph<P>, slot: u32) -> Site {
        let slot = slot as usize;
        write_site(g, self.next_writer[slot], self.next_write_seq[slot])
    }
}

/// One declared access as the phases after validation see it.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Flat {
    pub resource: u32,
    /// The slot of the version it reads or writes over in the version table.
    pub slot: u32,
    pub stages: StageMask,
    pub memory: AccessMask,
    pub usage: Usage,
    /// The layout it needs, for images.
    pub layout: Option<Layout>,
    /// [`Flat::WRITES`], [`Flat::READS`], [`Flat::VIA_WRITE`], [`Flat::REPEAT`],
    /// [`Flat::PART`].
    pub flags: u8,
}

impl Flat {
    /// The access produces new contents.
    pub const WRITES: u8 = 1;
    /// The access depends on the previous contents.
    pub const READS: u8 = 2;
    /// Declared through `write`.
    pub const VIA_WRITE: u8 = 4;
    /// An earlier access of the same pass names the same resource.
    pub const REPEAT: u8 = 8;
    /// It names part of an image of more than one mip level or layer (the range is the
    /// declaration's, [`Subresource::resolve`]d against the image).
    pub const PART: u8 = 16;

    pub fn writes(&self) -> bool {
        self.flags & Self::WRITES != 0
    }
    pub fn reads(&self) -> bool {
        self.flags & Self::READS != 0
    }
    pub fn via_write(&self) -> bool {
        self.flags & Self::VIA_WRITE != 0
    }
    pub fn repeat(&self) -> bool {
        self.flags & Self::REPEAT != 0
    }
    pub fn part(&self) -> bool {
        self.flags & Self::PART != 0
    }
}

/// `x` scaled by `s` and rounded to the nearest texel, if that is at least one texel.
pub(crate) fn scale(x: u32, s: f32) -> Option<u32> {
    let v = (x as f64 * s as f64).round();
    (s.is_finite() && s > 0.0 && v >= 1.0 && v <= u32::MAX as f64).then_some(v as u32)
}

fn check_handle<P>(g: &Graph<P>, h: RawHandle) -> Option<String> {
    if h.graph != g.id {
        return Some(format!("a handle from another graph (resource #{} v{})", h.index, h.version));
    }
    match g.resources.get(h.index as usize) {
        None => Some(format!("a handle to resource #{} which does not exist", h.index)),
        Some(r) if h.version >= r.versions => {
            Some(format!("`{}` v{}, a version that was never written", r.label, h.version))
        }
        Some(_) => None,
    }
}

/// What the access checks ask of a resource, copied out of its declaration.
#[derive(Clone, Copy)]
struct Facts {
    versions: u32,
    /// Where its versions start in the version table.
    base: u32,
    kind: ResourceKind,
    depth: bool,
    /// The [`AccessFacts::fits`] bit an access to it must have.
    fit: u8,
    holds_contents: bool,
    /// The last pass that accessed it so far in the walk (`NONE` before any): a second access
    /// by the same pass is rare, and only then are the pass's earlier accesses searched.
    last_pass: u32,
    /// Where its written cells start in `Validated::written`, once it is accessed by part;
    /// `NONE` before.
    written: u32,
}

/// Whether a resource holds contents before any pass writes it.
fn holds_contents_at_entry(r: &ResourceDecl) -> bool {
    match r.lifetime {
        Lifetime::Transient => false,
        Lifetime::Temporal => true,
        Lifetime::Imported { entry, .. } => entry.layout != Some(Layout::Undefined),
    }
}

/// Checks that an import's entry and exit states are states a resource of its kind can be in.
fn check_states(
    r: &ResourceDecl,
    entry: ResourceState,
    exit: ResourceState,
    errors: &mut Vec<CompileError>,
) {
    let image = r.kind() == ResourceKind::Image;
    for (which, s) in [("entry", entry), ("exit", exit)] {
        let foreign = s.stages.minus(StageMask::on_queue(s.queue));
        let reason = if image && s.layout.is_none() {
            "an image's state names a layout (`Some(Layout::…)`)".into()
        } else if !image && s.layout.is_some() {
            "a buffer has no layout (`layout: None`)".into()
        } else if which == "exit" && s.layout == Some(Layout::Undefined) {
            "no image can be left in `Undefined` (it is only a starting point)".into()
        } else if s.stages.is_empty() && !s.access.is_empty() {
            "it names memory accesses but no pipeline stage that makes them".into()
        } else if !foreign.is_empty() {
            format!("stages `{foreign}` do not run on a {} queue", s.queue)
        } else if let Some(a) = s.access.unmade_by(s.stages) {
            format!("none of its stages (`{}`) makes the access `{a}`", s.stages)
        } else {
            continue;
        };
        errors.push(CompileError::InvalidState {
            resource: r.label.to_string(),
            which,
            reason,
            site: r.site,
        });
    }
}

/// The site of the write access that pass `pass` declared as number `seq`.
fn write_site<P>(g: &Graph<P>, pass: u32, seq: u32) -> Site {
    g.accesses_of(&g.passes[pass as usize])
        .iter()
        .find(|a| a.seq == seq)
        .expect("rg-core bug: a recorded write that its pass does not declare")
        .site
}

/// The error for an access that does not fit its resource, its pass's queue, or the call it
/// was declared through (checked in that order).
#[cold]
fn access_error<P>(g: &Graph<P>, p: &PassDecl, a: &AccessDecl, f: &Facts) -> CompileError {
    let r = &g.resources[a.handle.index as usize];
    let mismatch = |reason: String| CompileError::AccessMismatch {
        pass: p.label.to_string(),
        resource: r.label.to_string(),
        access: a.access.name(),
        reason,
        site: a.site,
    };
    let writes = a.access.writes();
    if let Some(why) = a.access.misfit(f.kind, f.depth) {
        mismatch(why.into())
    } else if a.via_write && !writes {
        mismatch("does not write, but was given to `write` (use `read`)".into())
    } else if !a.via_write && writes {
        mismatch("writes, but was given to `read` (use `write`)".into())
    } else {
        CompileError::AccessNotOnQueue {
            pass: p.label.to_string(),
            queue: p.queue.name().into(),
            resource: r.label.to_string(),
            access: a.access.name(),
            site: a.site,
        }
    }
}

/// The error for two accesses of one pass to one resource that cannot be made together.
#[cold]
fn conflict_error<P>(g: &Graph<P>, p: &PassDecl, a: &AccessDecl, b: &AccessDecl) -> CompileError {
    let named = |d: &AccessDecl| match d.handle.sub {
        Subresource::ALL => d.access.name(),
        sub => format!("{} ({sub})", d.access.name()),
    };
    CompileError::ConflictingAccess {
        pass: p.label.to_string(),
        resource: g.resources[a.handle.index as usize].label.to_string(),
        first: named(b),
        second: named(a),
        site: a.site,
    }
}

/// The error for a write over a version that pass `first` (its write number `seq`) already
/// writes over.
#[cold]
fn unordered_error<P>(
    g: &Graph<P>,
    p: &PassDecl,
    a: &AccessDecl,
    first: u32,
    seq: u32,
) -> CompileError {
    CompileError::UnorderedWriters {
        resource: g.resources[a.handle.index as usize].label.to_string(),
        version: a.handle.version,
        first: g.passes[first as usize].label.to_string(),
        first_site: write_site(g, first, seq),
        second: p.label.to_string(),
        second_site: a.site,
    }
}

/// The error for a read of a version that pass `writer` (its write number `seq`), declared
/// earlier, already wrote over.
#[cold]
fn stale_error<P>(
    g: &Graph<P>,
    p: &PassDecl,
    a: &AccessDecl,
    writer: u32,
    seq: u32,
) -> CompileError {
    CompileError::StaleVersion {
        pass: p.label.to_string(),
        resource: g.resources[a.handle.index as usize].label.to_string(),
        version: a.handle.version,
        writer: g.passes[writer as usize].label.to_string(),
        writer_site: write_site(g, writer, seq),
        site: a.site,
    }
}

/// Checks access `a` of pass `p` against the pass's `earlier` accesses of the same resource
/// `f`: two accesses of one pass to one resource are fine only as reads in one layout, or in
/// mips and layers that do not overlap. Rare, so kept out of the access walk.
#[inline(never)]
fn check_repeat<P>(
    g: &Graph<P>,
    p: &PassDecl,
    a: &AccessDecl,
    earlier: &[AccessDecl],
    f: &Facts,
    resources: &[PlannedResource],
    errors: &mut Vec<CompileError>,
) {
    let h = &a.handle;
    let facts = a.access.facts();
    for b in earlier {
        if b.handle.graph == h.graph && b.handle.index == h.index {
            let dims = Dims::of(resources, h.index);
            let apart = match (dims.resolve(h.sub), dims.resolve(b.handle.sub)) {
                (Some(x), Some(y)) => !x.overlaps(y),
                _ => true,
            };
            if apart {
                continue;
            }
            let bf = b.access.facts();
            let d = f.depth as usize;
            let same_layout = f.kind == ResourceKind::Buffer || facts.layout[d] == bf.layout[d];
            if facts.writes || bf.writes || !same_layout {
                errors.push(conflict_error(g, p, a, b));
                break;
            }
        }
    }
}

/// Checks the graph, resolves every resource's size into `resources` (`image` or
/// `buffer_size`, one per declared resource, in order) and fills in `v`.
pub(crate) fn validate<P>(
    g: &Graph<P>,
    limits: Limits,
    resources: &mut [PlannedResource],
    v: &mut Validated,
) -> Result<(), Vec<CompileError>> {
    let mut errors = Vec::new();

    // Sizes, in declaration order: a relative size can only name an earlier image. Frames use
    // a few scales of the output over and over; the last four that resolved are remembered.
    let mut output_scales: [Option<((u32, u32), Extent)>; 4] = [None; 4];
    let mut next_scale = 0usize;
    for (i, r) in g.resources.iter().enumerate() {
        if let Lifetime::Imported { entry, exit } = r.lifetime {
            check_states(r, entry, exit, &mut errors);
        }
        let bad = |reason: String| CompileError::InvalidSize {
            resource: r.label.to_string(),
            reason,
            site: r.site,
        };
        match r.desc {
            Desc::Buffer(b) => {
                if b.size == 0 {
                    errors.push(bad("a buffer of 0 bytes".into()));
                } else if b.size > limits.max_buffer_size {
                    errors.push(bad(format!(
                        "{} bytes is over the device's limit of {} bytes",
                        b.size, limits.max_buffer_size
                    )));
                } else {
                    resources[i].buffer_size = Some(b.size);
                }
            }
            Desc::Image(d) => {
                let extent = match d.size {
                    Size::Absolute(e) => Some(e),
                    Size::Output { sx, sy } => {
                        let key = (sx.to_bits(), sy.to_bits());
                        let seen = output_scales.iter().flatten().find(|(k, _)| *k == key);
                        let scaled = match seen {
                            Some(&(_, e)) => (Some(e.width), Some(e.height)),
                            None => (scale(g.output.width, sx), scale(g.output.height, sy)),
                        };
                        match scaled {
                            (Some(w), Some(h)) => {
                                let e = Extent::new(w, h);
                                if seen.is_none() {
                                    output_scales[next_scale % 4] = Some((key, e));
                                    next_scale += 1;
                                }
                                Some(e)
                            }
                            _ => {
                                errors.push(bad(format!(
                                    "scale {sx}x{sy} of the output {} {}",
                                    g.output,
                                    unscaled(g.output, sx, sy)
                                )));
                                continue;
                            }
                        }
                    }
                    Size::Image { image, sx, sy } => {
                        let base = (image.graph == g.id && image.index() < i)
                            .then(|| resources[image.index()].image)
                            .flatten();
                        match base {
                            None => {
                                errors.push(bad(
                                    "it is relative to an image that is not an earlier, valid image of this graph".into(),
                                ));
                                continue;
                            }
                            Some(b) => {
                                match (scale(b.extent.width, sx), scale(b.extent.height, sy)) {
                                    (Some(w), Some(h)) => Some(Extent::new(w, h)),
                                    _ => {
                                        errors.push(bad(format!(
                                            "scale {sx}x{sy} of `{}` ({}) {}",
                                            g.resources[image.index()].label,
                                            b.extent,
                                            unscaled(b.extent, sx, sy)
                                        )));
                                        continue;
                                    }
                                }
                            }
                        }
                    }
                };
                let Some(e) = extent else { continue };
                let max = limits.max_image_dimension;
                if e.width == 0 || e.height == 0 {
                    errors.push(bad(format!("{e} has a zero side")));
                } else if e.width > max || e.height > max {
                    errors.push(bad(format!(
                        "{e} is over the device's limit of {max} texels a side"
                    )));
                } else if d.mip_levels == 0 || d.array_layers == 0 || d.samples == 0 {
                    errors.push(bad("zero mip levels, layers or samples".into()));
                } else if d.mip_levels > 32 - e.width.max(e.height).leading_zeros() {
                    errors.push(bad(format!("{} mip levels is more than {e} has", d.mip_levels)));
                } else if d.array_layers > limits.max_image_array_layers {
                    errors.push(bad(format!(
                        "{} layers is over the device's limit of {}",
                        d.array_layers, limits.max_image_array_layers
                    )));
                } else if !d.samples.is_power_of_two() || d.samples > 64 {
                    errors.push(bad(format!(
                        "{} samples: a sample count is a power of two from 1 to 64",
                        d.samples
                    )));
                } else if d.samples > 1 && d.mip_levels > 1 {
                    errors.push(bad(format!(
                        "a multisampled image ({} samples) has one mip level, not {}",
                        d.samples, d.mip_levels
                    )));
                } else {
                    resources[i].image = Some(ResolvedImage {
                        format: d.format,
                        extent: e,
                        mip_levels: d.mip_levels,
                        array_layers: d.array_layers,
                        samples: d.samples,
                    });
                }
            }
        }
    }

    // The version table, and per resource what the access checks ask of it.
    let Validated { ver_base, writer, next_writer, flat, any_part, next_write_seq, facts, written } =
        v;
    ver_base.clear();
    facts.clear();
    written.clear();
    *any_part = false;
    let mut total = 0u32;
    for r in &g.resources {
        ver_base.push(total);
        let depth = matches!(r.desc, Desc::Image(d) if d.format.is_depth());
        facts.push(Facts {
            versions: r.versions,
            base: total,
            kind: r.kind(),
            depth,
            fit: match (r.kind(), depth) {
                (ResourceKind::Buffer, _) => AccessFacts::FITS_BUFFER,
                (ResourceKind::Image, false) => AccessFacts::FITS_COLOUR_IMAGE,
                (ResourceKind::Image, true) => AccessFacts::FITS_DEPTH_IMAGE,
            },
            holds_contents: holds_contents_at_entry(r),
            last_pass: NONE,
            written: NONE,
        });
        total += r.versions;
    }
    for table in [&mut *writer, &mut *next_write_seq, &mut *next_writer] {
        table.clear();
        table.resize(total as usize, NONE);
    }
    flat.clear();
    flat.resize(g.accesses.len(), Flat::default());
    // Slices from here on: their length and address stay in registers.
    let (writer, next_writer, next_write_seq) =
        (&mut writer[..], &mut next_writer[..], &mut next_write_seq[..]);
    let (flat, per_resource) = (&mut flat[..], &mut facts[..]);

    // One walk over the accesses in declaration order: handles, fit, queue, who writes what,
    // reads of contents that do not exist, and stale reads (a write declared earlier already
    // superseded the version read).
    for (pi, p) in g.passes.iter().enumerate() {
        let accesses = g.accesses_of(p);
        let flat = &mut flat[p.accesses.start as usize..p.accesses.end as usize];
        for (ai, a) in accesses.iter().enumerate() {
            let h = &a.handle;
            let known = (h.graph == g.id).then(|| per_resource.get_mut(h.index as usize)).flatten();
            let Some(f) = known.filter(|f| h.version < f.versions) else {
                let detail = check_handle(g, *h).expect("rg-core bug: a bad handle that checks");
                errors.push(CompileError::ForeignHandle {
                    pass: p.label.to_string(),
                    detail,
                    site: a.site,
                });
                continue;
            };
            let repeated = f.last_pass == pi as u32;
            f.last_pass = pi as u32;
            let facts = a.access.facts();
            let writes = facts.writes;
            // Kind, format, queue and read/write fit at once; which one failed is worked out
            // only for a mistake.
            let need = f.fit | AccessFacts::on_queue(p.queue);
            if facts.fits & need != need || a.via_write != writes {
                errors.push(access_error(g, p, a, f));
            }
            // Almost every access names all of its resource, and is done with ranges here (in a
            // frame where none names part of an image, as the graph recorded, nothing of the
            // handle's range is even read). The others are resolved (a selection that does not fit is reported, and then left out
            // of the checks by range), and, from an image's first partial access on, its written
            // cells are kept. Both checks are out of line, so the common path stays lean.
            let reads = facts.reads;
            let part = if !g.names_parts || (h.sub == Subresource::ALL && f.written == NONE) {
                false
            } else {
                let c = Cells { dims: Dims::of(resources, h.index), reads, writes };
                let part = by_part(g, p, a, f, c, written, &mut errors);
                *any_part |= part;
                part
            };
            if repeated {
                check_repeat(g, p, a, &accesses[..ai], f, resources, &mut errors);
            }
            let slot = (f.base + h.version) as usize;
            flat[ai] = Flat {
                resource: h.index,
                slot: slot as u32,
                stages: facts.stages,
                memory: facts.memory,
                usage: facts.usage,
                layout: (f.kind == ResourceKind::Image).then_some(facts.layout[f.depth as usize]),
                flags: (writes as u8 * Flat::WRITES)
                    | (reads as u8 * Flat::READS)
                    | (a.via_write as u8 * Flat::VIA_WRITE)
                    | (repeated as u8 * Flat::REPEAT)
                    | (part as u8 * Flat::PART),
            };
            if a.via_write {
                let out = (f.base + a.produces) as usize;
                if next_writer[slot] != NONE {
                    errors.push(unordered_error(g, p, a, next_writer[slot], next_write_seq[slot]));
                } else {
                    next_writer[slot] = pi as u32;
                    next_write_seq[slot] = a.seq;
                }
                if out < writer.len() {
                    writer[out] = pi as u32;
                }
            }
            if reads && h.version == 0 && !f.holds_contents {
                let r = &g.resources[h.index as usize];
                errors.push(CompileError::ReadBeforeWrite {
                    by: format!("pass `{}`", p.label),
                    resource: r.label.to_string(),
                    created: r.site,
                    site: a.site,
                });
            }
            if !a.via_write && next_write_seq[slot] != NONE && next_write_seq[slot] < a.seq {
                errors.push(stale_error(g, p, a, next_writer[slot], next_write_seq[slot]));
            }
        }
    }

    for e in &g.exports {
        match check_handle(g, e.handle) {
            Some(detail) => errors.push(CompileError::ForeignHandle {
                pass: "(export)".into(),
                detail,
                site: e.site,
            }),
            None => {
                let r = &g.resources[e.handle.index as usize];
                if e.handle.version == 0 && !holds_contents_at_entry(r) {
                    errors.push(CompileError::ReadBeforeWrite {
                        by: "the export".into(),
                        resource: r.label.to_string(),
                        created: r.site,
                        site: e.site,
                    });
                }
            }
        }
    }

    for o in &g.orders {
        let n = g.passes.len();
        if o.before.graph != g.id || o.after.graph != g.id {
            errors.push(CompileError::InvalidOrder {
                reason: "names a pass of another graph".into(),
                site: o.site,
            });
        } else if o.before.index() >= n || o.after.index() >= n {
            errors.push(CompileError::InvalidOrder {
                reason: "names a pass that does not exist in this graph".into(),
                site: o.site,
            });
        } else if o.before == o.after {
            errors.push(CompileError::InvalidOrder {
                reason: format!("orders pass `{}` before itself", g.passes[o.before.index()].label),
                site: o.site,
            });
        }
    }

    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

/// Why `e` scaled by `sx` x `sy` has no size ([`scale`] gave none for a side): a side of less
/// than one texel, or of more than 32 bits count.
#[cold]
fn unscaled(e: Extent, sx: f32, sy: f32) -> &'static str {
    let big = |x: u32, s: f32| (x as f64 * s as f64).round() > u32::MAX as f64;
    if big(e.width, sx) || big(e.height, sy) {
        "is over 2^32 - 1 texels a side"
    } else {
        "is not at least one texel"
    }
}

#[cfg(test)]
mod tests;
