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
//! Conflicting resources are found through time buckets about as wide as a typical lifetime,
//! so the cost grows with the number of resources alive at once rather than with the square of
//! the total. Each bucket lists its resources in placement order, so the ones already placed
//! are a prefix of it.

use crate::access::ResourceKind;
use crate::memory::MemoryRequirements;
use crate::plan::{Heap, Placement};

/// One transient to place. Items come in increasing resource order.
pub(crate) struct Item {
    pub resource: u32,
    pub first: u32,
    pub last: u32,
    pub req: MemoryRequirements,
    pub kind: ResourceKind,
}

pub(crate) struct Aliasing {
    /// Where each item went, in the items' order.
    pub placements: Vec<Placement>,
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

/// A heap being formed: the memory types its members all accept, and its members (item
/// indices, in placement order).
struct Class {
    bits: u32,
    images: bool,
    buffers: bool,
    members: Vec<u32>,
}

pub(crate) fn place(items: &[Item], steps: u32, granularity: u64) -> Aliasing {
    let unaliased = items.iter().map(|i| i.req.size).sum();
    let lower_bound = lower_bound(items, steps);

    // Largest first, then earliest first use, then declaration order (items are in resource
    // order, so the item index stands for the resource), as one integer key.
    let mut keys: Vec<u128> = items
        .iter()
        .enumerate()
        .map(|(i, it)| ((!it.req.size as u128) << 64) | ((it.first as u128) << 32) | i as u128)
        .collect();
    keys.sort_unstable();

    let mut classes: Vec<Class> = Vec::new();
    for &k in &keys {
        let i = k as u32;
        let it = &items[i as usize];
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
    drop(keys);

    let span: u64 = items.iter().map(|i| (i.last - i.first + 1) as u64).sum();
    let bucket = (span / items.len().max(1) as u64).clamp(1, 64) as u32;
    let nb = (steps / bucket + 1) as usize;
    let mut placements = vec![Placement { heap: 0, offset: 0, size: 0 }; items.len()];
    let mut heaps = Vec::with_capacity(classes.len());
    // Per item: its rank in its heap's placement order, and (once placed) its memory range.
    // Stamps are tags of the item being placed; a heap only ever looks at its own members.
    let mut rank = vec![0u32; items.len()];
    let mut range = vec![(0u64, 0u64); items.len()];
    let mut stamp = vec![0u32; items.len()];
    let mut bucket_start = vec![0u32; nb + 1];
    let mut in_bucket: Vec<u32> = Vec::new();
    let mut conflicts: Vec<(u64, u64)> = Vec::new();
    for (h, c) in classes.iter().enumerate() {
        let mixed = c.images && c.buffers;
        let gran = if mixed { granularity.max(1) } else { 1 };
        let buckets = |it: &Item| (it.first / bucket) as usize..=(it.last / bucket) as usize;

        // The buckets, as one array: bucket `b` lists its members in placement order at
        // `in_bucket[bucket_start[b]..bucket_start[b + 1]]`.
        bucket_start.iter_mut().for_each(|s| *s = 0);
        for &i in &c.members {
            for b in buckets(&items[i as usize]) {
                bucket_start[b + 1] += 1;
            }
        }
        for b in 0..nb {
            bucket_start[b + 1] += bucket_start[b];
        }
        in_bucket.clear();
        in_bucket.resize(bucket_start[nb] as usize, 0);
        let mut fill = bucket_start.clone();
        for (k, &i) in c.members.iter().enumerate() {
            rank[i as usize] = k as u32;
            for b in buckets(&items[i as usize]) {
                in_bucket[fill[b] as usize] = i;
                fill[b] += 1;
            }
        }

        let mut heap_size = 0u64;
        let mut heap_align = 1u64;
        for (k, &i) in c.members.iter().enumerate() {
            let it = &items[i as usize];
            let align = it.req.alignment.max(gran).max(1);
            heap_align = heap_align.max(align);
            let size = align_up(it.req.size, gran);
            conflicts.clear();
            let tag = k as u32 + 1;
            for b in buckets(it) {
                let members = &in_bucket[bucket_start[b] as usize..bucket_start[b + 1] as usize];
                for &j in members.iter().take_while(|&&j| rank[j as usize] < k as u32) {
                    let j = j as usize;
                    if stamp[j] == tag {
                        continue;
                    }
                    stamp[j] = tag;
                    let o = &items[j];
                    if o.first <= it.last && it.first <= o.last {
                        conflicts.push(range[j]);
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
            range[i as usize] = (off, off + size);
            heap_size = heap_size.max(off + size);
            placements[i as usize] = Placement { heap: h, offset: off, size };
        }
        // Members by offset, then declaration order.
        let mut by_offset: Vec<u128> = c
            .members
            .iter()
            .map(|&i| ((range[i as usize].0 as u128) << 32) | items[i as usize].resource as u128)
            .collect();
        by_offset.sort_unstable();
        heaps.push(Heap {
            memory_type_bits: c.bits,
            size: heap_size,
            alignment: heap_align,
            resources: by_offset.iter().map(|&k| k as u32 as usize).collect(),
        });
    }
    let used = heaps.iter().map(|h| h.size).sum();
    Aliasing { placements, heaps, used, unaliased, lower_bound }
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
