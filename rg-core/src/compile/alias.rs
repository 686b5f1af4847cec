//! Phase 6, aliasing: place every transient in a heap at an offset, so that transients whose
//! lifetimes do not overlap share memory.
//!
//! Heaps are formed greedily by memory-type compatibility: a resource joins the first heap whose
//! allowed types intersect its own, so images and buffers share a heap whenever the device lets
//! them. A heap that holds both rounds offsets and sizes to `bufferImageGranularity`.
//!
//! Within a heap, placement is greedy by size (largest first, then earliest first use): each
//! resource goes at the lowest aligned offset that does not overlap, in memory, any already
//! placed resource whose lifetime overlaps its own. Placing big resources first leaves small
//! ones to fill the gaps; on frame-graph shapes this lands within a few percent of the lower
//! bound (the peak of bytes live at once), which the plan reports beside the result.
//! Conflicting resources are found through time buckets, so the cost grows with the number of
//! resources alive at once rather than with the square of the total.

use crate::access::ResourceKind;
use crate::memory::MemoryRequirements;
use crate::plan::{Heap, Placement};

/// One transient to place.
pub(crate) struct Item {
    pub resource: u32,
    pub first: u32,
    pub last: u32,
    pub req: MemoryRequirements,
    pub kind: ResourceKind,
}

pub(crate) struct Aliasing {
    pub placements: Vec<(u32, Placement)>,
    /// For each placement (same order), the range of its heap's elementary memory segments it
    /// covers: the boundaries of every placement in the heap cut it into disjoint segments, so
    /// "who used these bytes last" is an array look-up per segment.
    pub segments: Vec<(u32, u32)>,
    /// Number of elementary segments per heap.
    pub heap_segments: Vec<u32>,
    pub heaps: Vec<Heap>,
    pub used: u64,
    pub unaliased: u64,
    pub lower_bound: u64,
}

fn align_up(x: u64, a: u64) -> u64 {
    if a <= 1 {
        x
    } else {
        x.div_ceil(a) * a
    }
}

pub(crate) fn place(mut items: Vec<Item>, steps: u32, granularity: u64) -> Aliasing {
    let unaliased = items.iter().map(|i| i.req.size).sum();
    let lower_bound = lower_bound(&items, steps);

    // Largest first, then earliest first use, then declaration order, as one integer key.
    items.sort_unstable_by_key(|i| {
        ((!i.req.size as u128) << 64) | ((i.first as u128) << 32) | i.resource as u128
    });

    // Heap classes.
    struct Class {
        bits: u32,
        images: bool,
        buffers: bool,
        members: Vec<usize>,
    }
    let mut classes: Vec<Class> = Vec::new();
    for (i, it) in items.iter().enumerate() {
        let is_image = it.kind == ResourceKind::Image;
        match classes.iter_mut().find(|c| c.bits & it.req.memory_type_bits != 0) {
            Some(c) => {
                c.bits &= it.req.memory_type_bits;
                c.images |= is_image;
                c.buffers |= !is_image;
                c.members.push(i);
            }
            None => classes.push(Class {
                bits: it.req.memory_type_bits,
                images: is_image,
                buffers: !is_image,
                members: vec![i],
            }),
        }
    }

    // Buckets about as wide as a typical lifetime: a query then looks at a bucket or two.
    let span: u64 = items.iter().map(|i| (i.last - i.first + 1) as u64).sum();
    let bucket = (span / items.len().max(1) as u64).clamp(1, 64) as u32;
    let nb = (steps / bucket + 1) as usize;
    let mut placements = Vec::with_capacity(items.len());
    let mut segments = Vec::with_capacity(items.len());
    let mut heap_segments = Vec::with_capacity(classes.len());
    let mut cuts: Vec<u64> = Vec::new();
    let mut heaps = Vec::with_capacity(classes.len());
    let mut stamp = vec![0u32; items.len()];
    let mut conflicts: Vec<(u64, u64)> = Vec::new();
    let mut offsets = vec![0u64; items.len()];
    let mut sizes = vec![0u64; items.len()];
    for (h, c) in classes.iter().enumerate() {
        let mixed = c.images && c.buffers;
        let gran = if mixed { granularity.max(1) } else { 1 };
        let mut buckets: Vec<Vec<u32>> = vec![Vec::new(); nb];
        let mut heap_size = 0u64;
        let mut heap_align = 1u64;
        for (k, &i) in c.members.iter().enumerate() {
            let it = &items[i];
            let align = it.req.alignment.max(gran).max(1);
            heap_align = heap_align.max(align);
            let size = align_up(it.req.size, gran);
            conflicts.clear();
            let tag = k as u32 + 1;
            for b in (it.first / bucket)..=(it.last / bucket) {
                for &j in &buckets[b as usize] {
                    let j = j as usize;
                    if stamp[j] == tag {
                        continue;
                    }
                    stamp[j] = tag;
                    let o = &items[j];
                    if o.first <= it.last && it.first <= o.last {
                        conflicts.push((offsets[j], offsets[j] + sizes[j]));
                    }
                }
            }
            conflicts.sort_unstable();
            let mut off = 0u64;
            for &(s, e) in &conflicts {
                if off + size <= s {
                    break;
                }
                off = off.max(align_up(e, align));
            }
            offsets[i] = off;
            sizes[i] = size;
            heap_size = heap_size.max(off + size);
            for b in (it.first / bucket)..=(it.last / bucket) {
                buckets[b as usize].push(i as u32);
            }
            placements.push((it.resource, Placement { heap: h, offset: off, size }));
        }
        // Elementary segments of this heap.
        cuts.clear();
        for &i in &c.members {
            cuts.push(offsets[i]);
            cuts.push(offsets[i] + sizes[i]);
        }
        cuts.sort_unstable();
        cuts.dedup();
        let seg = |x: u64| cuts.binary_search(&x).unwrap_or_else(|p| p) as u32;
        for &i in &c.members {
            segments.push((seg(offsets[i]), seg(offsets[i] + sizes[i])));
        }
        heap_segments.push(cuts.len().saturating_sub(1) as u32);
        let mut members: Vec<usize> = c.members.clone();
        members.sort_unstable_by_key(|&i| ((offsets[i] as u128) << 32) | items[i].resource as u128);
        heaps.push(Heap {
            memory_type_bits: c.bits,
            size: heap_size,
            alignment: heap_align,
            resources: members.iter().map(|&i| items[i].resource as usize).collect(),
        });
    }
    let used = heaps.iter().map(|h| h.size).sum();
    Aliasing { placements, segments, heap_segments, heaps, used, unaliased, lower_bound }
}

/// The peak, over the schedule, of the bytes of transients alive at once.
fn lower_bound(items: &[Item], steps: u32) -> u64 {
    let mut delta = vec![0i128; steps as usize + 2];
    for it in items {
        delta[it.first as usize] += it.req.size as i128;
        delta[it.last as usize + 1] -= it.req.size as i128;
    }
    let (mut cur, mut peak) = (0i128, 0i128);
    for d in delta {
        cur += d;
        peak = peak.max(cur);
    }
    peak as u64
}
