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
//! are a prefix of it, with their lifetimes beside them so the scan reads one array.

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
    } else if a.is_power_of_two() {
        // What devices ask for; no division.
        match x & (a - 1) {
            0 => x,
            r => x - r + a,
        }
    } else {
        x.div_ceil(a) * a
    }
}

/// A placed or to-be-placed member of a time bucket, with what the conflict scan looks at.
#[derive(Clone, Copy)]
struct Entry {
    /// Position in its heap's placement order.
    rank: u32,
    first: u32,
    last: u32,
    item: u32,
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
    // order, so the item index stands for the resource).
    let max_size = items.iter().map(|i| i.req.size).max().unwrap_or(0);
    let max_first = items.iter().map(|i| i.first).max().unwrap_or(0);
    let index_bits = bits(items.len() as u64);
    let order = sort_pairs(
        items
            .iter()
            .enumerate()
            .map(|(i, it)| (max_size - it.req.size, (it.first as u64) << index_bits | i as u64)),
        bits(max_first as u64) + index_bits,
    );

    let mut classes: Vec<Class> = Vec::new();
    for &k in &order {
        let i = (k & ((1 << index_bits) - 1)) as u32;
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
    drop(order);

    let span: u64 = items.iter().map(|i| (i.last - i.first + 1) as u64).sum();
    let bucket = (span / items.len().max(1) as u64).clamp(1, 64) as u32;
    let nb = (steps / bucket + 1) as usize;
    let mut placements = vec![Placement { heap: 0, offset: 0, size: 0 }; items.len()];
    let mut heaps = Vec::with_capacity(classes.len());
    // Each item's memory range, once placed.
    let mut range = vec![(0u64, 0u64); items.len()];
    let mut bucket_start = vec![0u32; nb + 1];
    let mut in_bucket: Vec<Entry> = Vec::new();
    let mut conflicts: Vec<(u64, u64)> = Vec::new();
    for (h, c) in classes.iter().enumerate() {
        let mixed = c.images && c.buffers;
        let gran = if mixed { granularity.max(1) } else { 1 };
        let buckets = |first: u32, last: u32| (first / bucket) as usize..=(last / bucket) as usize;

        // The buckets, as one array: bucket `b` lists its members in placement order at
        // `in_bucket[bucket_start[b]..bucket_start[b + 1]]`.
        bucket_start.iter_mut().for_each(|s| *s = 0);
        for &i in &c.members {
            let it = &items[i as usize];
            for b in buckets(it.first, it.last) {
                bucket_start[b + 1] += 1;
            }
        }
        for b in 0..nb {
            bucket_start[b + 1] += bucket_start[b];
        }
        in_bucket.clear();
        in_bucket.resize(bucket_start[nb] as usize, Entry { rank: 0, first: 0, last: 0, item: 0 });
        let mut fill = bucket_start.clone();
        for (k, &i) in c.members.iter().enumerate() {
            let it = &items[i as usize];
            let e = Entry { rank: k as u32, first: it.first, last: it.last, item: i };
            for b in buckets(it.first, it.last) {
                in_bucket[fill[b] as usize] = e;
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
            let first_bucket = (it.first / bucket) as usize;
            for b in buckets(it.first, it.last) {
                let members = &in_bucket[bucket_start[b] as usize..bucket_start[b + 1] as usize];
                // A resource in several of these buckets counts in the first of them: the
                // first scanned, or its own first.
                let from = if b == first_bucket { 0 } else { b as u32 * bucket };
                for o in members.iter().take_while(|o| o.rank < k as u32) {
                    if o.first >= from && o.first <= it.last && it.first <= o.last {
                        // Kept sorted as they come: there are only a few.
                        let r = range[o.item as usize];
                        let at = conflicts.iter().rposition(|&c| c <= r).map_or(0, |p| p + 1);
                        conflicts.insert(at, r);
                    }
                }
            }
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
        let by_offset = sort_pairs(
            c.members.iter().map(|&i| (range[i as usize].0, items[i as usize].resource as u64)),
            32,
        );
        heaps.push(Heap {
            memory_type_bits: c.bits,
            size: heap_size,
            alignment: heap_align,
            resources: by_offset.iter().map(|&r| r as usize).collect(),
        });
    }
    let used = heaps.iter().map(|h| h.size).sum();
    Aliasing { placements, heaps, used, unaliased, lower_bound }
}

/// Bits needed to write `x`.
fn bits(x: u64) -> u32 {
    64 - x.leading_zeros()
}

/// Sorts `(major, minor)` pairs, each `minor` below `1 << minor_bits`, by major then minor,
/// and returns the minors in that order. The pairs are sorted as single integers: 64-bit ones
/// when the largest major leaves room (it does for real frames), else 128-bit.
fn sort_pairs(pairs: impl Iterator<Item = (u64, u64)> + Clone, minor_bits: u32) -> Vec<u64> {
    let major_bits = bits(pairs.clone().map(|p| p.0).max().unwrap_or(0));
    if major_bits + minor_bits <= 64 {
        let mask = if minor_bits >= 64 { u64::MAX } else { (1 << minor_bits) - 1 };
        let mut keys: Vec<u64> =
            pairs.map(|(a, b)| a.checked_shl(minor_bits).unwrap_or(0) | b).collect();
        keys.sort_unstable();
        keys.iter_mut().for_each(|k| *k &= mask);
        keys
    } else {
        let mut keys: Vec<u128> = pairs.map(|(a, b)| (a as u128) << 64 | b as u128).collect();
        keys.sort_unstable();
        keys.into_iter().map(|k| k as u64).collect()
    }
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
