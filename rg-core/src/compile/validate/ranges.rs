//! Validation by range: what an access that names part of an image (a mip range and a layer
//! range) is checked against. Versions are per image, so only these checks know about mips and
//! layers: the range fits the image; reads name only cells (a mip level of a layer) that some
//! earlier write wrote, once the image is accessed by part; and the image is small enough to be
//! tracked by cell later on.

use super::{Facts, NONE};
use crate::error::CompileError;
use crate::graph::{AccessDecl, Graph, PassDecl, Subresource};
use crate::plan::PlannedResource;

/// The most cells (mip levels times layers) an image accessed by part may have: the barrier
/// phase keeps a state per cell of such an image. Devices allow 2048 layers of 15 mips.
const MAX_CELLS: u64 = 1 << 16;

/// Mip levels and layers of an image whose size resolved; 0 otherwise (no range is then
/// checked: the size's own error says what is wrong). Looked up only for the rare access that
/// names part of an image.
#[derive(Clone, Copy)]
pub(super) struct Dims {
    pub mips: u32,
    pub layers: u32,
}

impl Dims {
    pub(super) fn of(resources: &[PlannedResource], r: u32) -> Dims {
        let (mips, layers) =
            resources[r as usize].image.map_or((0, 0), |i| (i.mip_levels, i.array_layers));
        Dims { mips, layers }
    }

    /// `sub` with explicit counts; `None` when it names nothing of the image or reaches past
    /// it. Buffers and images whose size did not resolve are taken whole.
    pub(super) fn resolve(&self, sub: Subresource) -> Option<Subresource> {
        if self.mips == 0 {
            Some(Subresource::ALL)
        } else {
            sub.resolve(self.mips, self.layers)
        }
    }
}

/// Calls `f` with the index (mip-major) of every cell of `sub`, resolved for an image of
/// `layers` layers.
fn for_cells(sub: Subresource, layers: u32, mut f: impl FnMut(usize)) {
    for m in sub.base_mip..sub.base_mip + sub.mip_count {
        for l in sub.base_layer..sub.base_layer + sub.layer_count {
            f((m * layers + l) as usize);
        }
    }
}

/// The error for a selection that names nothing of its image, or reaches past it.
#[cold]
fn range_error<P>(g: &Graph<P>, p: &PassDecl, a: &AccessDecl, f: Dims) -> CompileError {
    CompileError::SubresourceOutOfRange {
        pass: p.label.to_string(),
        resource: g.resources[a.handle.index as usize].label.to_string(),
        access: a.access.name(),
        range: a.handle.sub.to_string(),
        mips: f.mips,
        layers: f.layers,
        site: a.site,
    }
}

/// What one access does, for the checks by range.
#[derive(Clone, Copy)]
pub(super) struct Cells {
    pub dims: Dims,
    pub reads: bool,
    pub writes: bool,
}

/// The checks by range of access `a` (doing `c`) to a resource `f`, for an access that names
/// part of it or an image accessed by part before: the range must fit (else it is reported and
/// left out), reads must name only written cells, and the cells it writes are kept; an image's
/// bitset of written cells starts at its first partial access, when every earlier write was of
/// the whole image. Returns whether it names part of an image of several cells.
#[inline(never)]
pub(super) fn by_part<P>(
    g: &Graph<P>,
    p: &PassDecl,
    a: &AccessDecl,
    f: &mut Facts,
    c: Cells,
    written: &mut Vec<u64>,
    errors: &mut Vec<CompileError>,
) -> bool {
    let d = c.dims;
    let Some(sub) = d.resolve(a.handle.sub) else {
        errors.push(range_error(g, p, a, d));
        return false;
    };
    let cells = d.mips as u64 * d.layers as u64;
    let part = cells > 1 && sub != Subresource::ALL && !sub.is_whole(d.mips, d.layers);
    if part && cells > MAX_CELLS {
        errors.push(too_many_cells(g, p, a, d));
        return false;
    }
    if !part && f.written == NONE {
        return false;
    }
    let unwritten_v0 = a.handle.version == 0 && !f.holds_contents;
    let base = if f.written != NONE {
        f.written as usize
    } else {
        let base = written.len();
        written
            .resize(base + (cells as usize).div_ceil(64), if unwritten_v0 { 0 } else { u64::MAX });
        f.written = base as u32;
        base
    };
    let sub = if sub == Subresource::ALL {
        Subresource { base_mip: 0, mip_count: d.mips, base_layer: 0, layer_count: d.layers }
    } else {
        sub
    };
    let words = &mut written[base..];
    // A read of v0 of what holds nothing is reported as a read before any write.
    if c.reads && !unwritten_v0 {
        let mut all = true;
        for_cells(sub, d.layers, |c| all &= words[c / 64] & 1 << (c % 64) != 0);
        if !all {
            errors.push(unwritten_error(g, p, a));
        }
    }
    if c.writes {
        for_cells(sub, d.layers, |c| words[c / 64] |= 1 << (c % 64));
    }
    part
}

/// The error for a partial access of an image with more cells than are tracked by part.
#[cold]
fn too_many_cells<P>(g: &Graph<P>, p: &PassDecl, a: &AccessDecl, f: Dims) -> CompileError {
    CompileError::AccessMismatch {
        pass: p.label.to_string(),
        resource: g.resources[a.handle.index as usize].label.to_string(),
        access: a.access.name(),
        reason: format!(
            "names {} of an image of {} mip levels and {} layers: an image is tracked by part \
             only up to {MAX_CELLS} mip levels times layers (name all of it)",
            a.handle.sub, f.mips, f.layers
        ),
        site: a.site,
    }
}

/// The error for a read of cells of an image that nothing wrote.
#[cold]
fn unwritten_error<P>(g: &Graph<P>, p: &PassDecl, a: &AccessDecl) -> CompileError {
    let r = &g.resources[a.handle.index as usize];
    CompileError::UnwrittenSubresource {
        pass: p.label.to_string(),
        resource: r.label.to_string(),
        range: a.handle.sub.to_string(),
        version: a.handle.version,
        created: r.site,
        site: a.site,
    }
}
