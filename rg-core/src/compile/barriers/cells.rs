//! Images tracked by cell: the images that some kept access names only part of, each with a
//! state per mip level of each layer (mip-major). What a pass does to each cell, and the
//! merging of the cells' barriers back into rectangular ranges.
//!
//! An image accessed whole all frame keeps one state, as a buffer does: most frames have no
//! partial access at all, and then nothing here runs.

use super::state::{Need, St};
use super::NONE;
use crate::access::{ResourceState, StageMask};
use crate::compile::validate::Flat;
use crate::graph::{Graph, PassDecl, Subresource};
use crate::plan::PlannedResource;
use crate::types::QueueKind;

/// Where an image's cells are.
#[derive(Clone, Copy)]
pub(super) struct Track {
    /// Its first cell in `Cells::st`; `NONE` for a resource tracked whole.
    pub base: u32,
    pub mips: u32,
    pub layers: u32,
}

impl Track {
    const WHOLE: Track = Track { base: NONE, mips: 1, layers: 1 };

    pub fn cells(&self) -> u32 {
        self.mips * self.layers
    }

    /// Every mip level and layer, with explicit counts.
    pub fn whole(&self) -> Subresource {
        Subresource { base_mip: 0, mip_count: self.mips, base_layer: 0, layer_count: self.layers }
    }

    /// The range an access names: the declaration's, for one that names a part.
    pub fn range_of<P>(&self, g: &Graph<P>, index: usize, a: &Flat) -> Subresource {
        if a.part() {
            g.accesses[index]
                .handle
                .sub
                .resolve(self.mips, self.layers)
                .expect("rg-core bug: a partial access whose range did not validate")
        } else {
            self.whole()
        }
    }
}

/// What a pass does to one cell.
#[derive(Clone, Copy)]
pub(super) struct CellNeed {
    /// The cell's index within its image.
    pub cell: u32,
    pub need: Need,
    /// Whether an access of the pass touches it; otherwise the pass only takes it to the queue
    /// a temporal leaves the frame on.
    pub access: bool,
    pub after_wait: bool,
    /// The stages its wants promise the barrier starts from (`Want::from`), checked in debug
    /// builds.
    pub from: StageMask,
}

/// The cell-tracking state of one compile, kept between compiles for its storage.
#[derive(Default)]
pub(super) struct Cells {
    /// Whether any resource is tracked by cell.
    pub any: bool,
    /// Per resource.
    pub track: Vec<Track>,
    pub st: Vec<St>,
    /// Per resource tracked by cell: the position of the last pass that accesses it.
    pub last_at: Vec<u32>,
    /// Per transient tracked by cell: the range of `occupants` its memory was taken over from,
    /// found at its first use (`(NONE, NONE)` before); each cell's first barrier hands that
    /// cell over from all of them.
    pub occupied: Vec<(u32, u32)>,
    pub occupants: Vec<u32>,
    /// The current pass's needs, per touch a range.
    pub needs: Vec<CellNeed>,
    /// Per cell: the position + 1 of the last pass that named it, and its index in `needs`.
    stamp: Vec<u32>,
    slot: Vec<u32>,
    /// One touch's barriers and releases by cell, before they are merged.
    pub found: Vec<(u32, crate::plan::Barrier)>,
    pub released: Vec<(u32, (u32, crate::plan::Barrier))>,
    /// Working memory of [`merge`].
    pub rects: Vec<(Subresource, crate::plan::Barrier)>,
    pub release_rects: Vec<(Subresource, (u32, crate::plan::Barrier))>,
    pub runs: (Vec<usize>, Vec<usize>),
}

impl Cells {
    /// The track of resource `r`.
    #[inline]
    pub fn of(&self, r: usize) -> Track {
        if self.any {
            self.track[r]
        } else {
            Track::WHOLE
        }
    }
}

/// Finds the images some kept access names part of (when validation saw any such access) and
/// gives each its cells, which cells the frame uses, and where each is last accessed. The
/// cells' states are set up by the walk, once temporal entry states are known.
pub(crate) fn track_cells<P>(
    g: &Graph<P>,
    flat: &[Flat],
    order: &[u32],
    resources: &[PlannedResource],
    any_part: bool,
    cells: &mut super::Scratch,
) {
    let c = &mut cells.cells;
    c.any = false;
    c.track.clear();
    c.st.clear();
    c.last_at.clear();
    c.occupied.clear();
    c.occupants.clear();
    c.stamp.clear();
    c.slot.clear();
    if !any_part {
        return;
    }
    c.track.resize(resources.len(), Track::WHOLE);
    let mut total = 0u32;
    for &p in order {
        let range = &g.passes[p as usize].accesses;
        for a in &flat[range.start as usize..range.end as usize] {
            let t = &mut c.track[a.resource as usize];
            if !a.part() || t.base != NONE {
                continue;
            }
            let img = resources[a.resource as usize]
                .image
                .expect("rg-core bug: a partial access of a resource that is not an image");
            *t = Track { base: total, mips: img.mip_levels, layers: img.array_layers };
            total += t.cells();
            c.any = true;
        }
    }
    if !c.any {
        return;
    }
    c.st.resize(total as usize, St::new(None));
    c.stamp.resize(total as usize, 0);
    c.slot.resize(total as usize, 0);
    c.last_at.resize(resources.len(), NONE);
    c.occupied.resize(resources.len(), (NONE, NONE));
    for (pos, &p) in order.iter().enumerate() {
        let range = &g.passes[p as usize].accesses;
        for a in &flat[range.start as usize..range.end as usize] {
            if c.track[a.resource as usize].base != NONE {
                c.last_at[a.resource as usize] = pos as u32;
            }
        }
    }
}

/// Calls `f` with the index (mip-major) of every cell of `sub`, resolved for an image of
/// `layers` layers.
pub(super) fn for_cells(sub: Subresource, layers: u32, mut f: impl FnMut(u32)) {
    for m in sub.base_mip..sub.base_mip + sub.mip_count {
        for l in sub.base_layer..sub.base_layer + sub.layer_count {
            f(m * layers + l);
        }
    }
}

/// What `a` needs of its resource.
#[inline]
pub(super) fn need_of(a: &Flat) -> Need {
    Need {
        stages: a.stages,
        access: a.memory,
        writes: a.writes(),
        reads: a.reads(),
        layout: a.layout,
    }
}

impl Cells {
    /// What pass `pass` (at `pos`, on `q`) does to each cell of image `r`, appended to `needs`:
    /// the cells its accesses name, each merged over them, and with `pull` (a temporal's exit
    /// state, at its last access) every other cell owned by another queue, to be taken over.
    /// Returns the range of `needs`.
    #[allow(clippy::too_many_arguments)]
    pub fn gather<P>(
        &mut self,
        g: &Graph<P>,
        flat: &[Flat],
        pass: &PassDecl,
        r: u32,
        pos: usize,
        q: QueueKind,
        pull: Option<ResourceState>,
    ) -> (u32, u32) {
        let t = self.track[r as usize];
        let start = self.needs.len();
        let stamp = pos as u32 + 1;
        let range = pass.accesses.start as usize..pass.accesses.end as usize;
        for (i, a) in flat[range.clone()].iter().enumerate() {
            if a.resource != r {
                continue;
            }
            let n = need_of(a);
            let sub = t.range_of(g, range.start + i, a);
            let (needs, stamps, slots) = (&mut self.needs, &mut self.stamp, &mut self.slot);
            for_cells(sub, t.layers, |cell| {
                let at = (t.base + cell) as usize;
                if stamps[at] == stamp {
                    // Overlapping accesses of one pass are reads in one layout (validated).
                    let x = &mut needs[slots[at] as usize].need;
                    x.stages |= n.stages;
                    x.access |= n.access;
                    x.writes |= n.writes;
                    x.reads |= n.reads;
                } else {
                    stamps[at] = stamp;
                    slots[at] = needs.len() as u32;
                    needs.push(CellNeed {
                        cell,
                        need: n,
                        access: true,
                        after_wait: false,
                        from: StageMask::NONE,
                    });
                }
            });
        }
        if let Some(exit) = pull {
            let n = Need {
                stages: exit.stages,
                access: exit.access,
                writes: false,
                reads: true,
                layout: exit.layout,
            };
            for cell in 0..t.cells() {
                let owner = self.st[(t.base + cell) as usize].owner;
                let named = self.stamp[(t.base + cell) as usize] == stamp;
                if !named && owner.is_some_and(|o| o != q) {
                    self.needs.push(CellNeed {
                        cell,
                        need: n,
                        access: false,
                        after_wait: false,
                        from: StageMask::NONE,
                    });
                }
            }
        }
        (start as u32, self.needs.len() as u32)
    }
}

/// Merges per-cell items of an image of `layers` layers (sorted here by cell) whose values are
/// equal into rectangles, in `rects`: runs of layers within a mip, then runs of mips over the
/// same layers. Rectangles come out in the order of their first cell. `runs` is working memory.
pub(super) fn merge<K: Copy + PartialEq>(
    items: &mut [(u32, K)],
    layers: u32,
    rects: &mut Vec<(Subresource, K)>,
    runs: &mut (Vec<usize>, Vec<usize>),
) {
    items.sort_unstable_by_key(|x| x.0);
    rects.clear();
    // Rectangles that reach the previous mip and the current one, in layer order.
    let (prev, cur) = (&mut runs.0, &mut runs.1);
    prev.clear();
    cur.clear();
    let mut mip = NONE;
    let mut p = 0;
    let mut i = 0;
    while i < items.len() {
        let (c, k) = items[i];
        let (m, layer) = (c / layers, c % layers);
        if m != mip {
            if mip != NONE && m == mip + 1 {
                std::mem::swap(prev, cur);
            } else {
                prev.clear();
            }
            cur.clear();
            mip = m;
            p = 0;
        }
        let mut j = i + 1;
        while j < items.len()
            && items[j].0 == items[j - 1].0 + 1
            && items[j].0 / layers == m
            && items[j].1 == k
        {
            j += 1;
        }
        let count = (j - i) as u32;
        while p < prev.len() && rects[prev[p]].0.base_layer < layer {
            p += 1;
        }
        let extends = p < prev.len() && {
            let (s, v) = &rects[prev[p]];
            s.layer_count == count && s.base_layer == layer && *v == k
        };
        if extends {
            rects[prev[p]].0.mip_count += 1;
            cur.push(prev[p]);
            p += 1;
        } else {
            let s =
                Subresource { base_mip: m, mip_count: 1, base_layer: layer, layer_count: count };
            rects.push((s, k));
            cur.push(rects.len() - 1);
        }
        i = j;
    }
}
