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
//! the total. A resource joins its buckets when it is placed, with its lifetime and its bytes,
//! so the scan reads one array and every entry it finds is already placed.

use crate::access::ResourceKind;
use crate::memory::MemoryRequirements;
use crate::plan::{Heap, Placement};

/// One transient to place. Items come in increasing resource order.
pub(crate) struct Item {
    pub resource: u32,
    /// The steps (positions in the schedule) for which its memory is reserved: its lifetime,
    /// or the whole frame for a resource that must share memory with no other (buffers of
    /// indirect arguments), which then overlaps every other item in time.
    pub first: u32,
    pub last: u32,
    pub req: MemoryRequirements,
    pub kind: ResourceKind,
}

pub(crate) struct Aliasing {
    pub used: u64,
    pub unaliased: u64,
    pub lower_bound: u64,
}

/// The phase's working memory, kept by the compiler from one compile to the next.
#[derive(Default)]
pub(crate) struct Scratch {
    /// Where each item went, in the items' order (the phase's other output).
    pub placements: Vec<Placement>,
    /// Item indices in placement order, and what `by_size` works it out with.
    order: Vec<u32>,
    sizes: Vec<(u64, u32)>,
    size_of: Vec<u8>,
    keys: Vec<u64>,
    wide: Vec<u128>,
    classes: Vec<Class>,
    bucket_start: Vec<u32>,
    fill: Vec<u32>,
    in_bucket: Vec<Entry>,
    conflicts: Vec<(u64, u64)>,
    delta: Vec<(u64, u64)>,
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

/// A placed member of a time bucket: its lifetime and the bytes it took.
#[derive(Clone, Copy, Default)]
struct Entry {
    first: u32,
    last: u32,
    start: u64,
    end: u64,
}

/// A heap being formed: the memory types its members all accept, and its members (item
/// indices, in placement order).
#[derive(Default)]
struct Class {
    bits: u32,
    images: bool,
    buffers: bool,
    members: Vec<u32>,
}

/// Places `items` and describes the heaps they went into in `heaps` (whose entries, and their
/// resource lists, are reused).
///
/// # Errors
/// The index of the item at which the items' sizes, with room for their alignment, pass 2^64
/// bytes: no placement exists, and offsets would not fit in 64 bits.
pub(crate) fn place(
    items: &[Item],
    steps: u32,
    granularity: u64,
    s: &mut Scratch,
    heaps: &mut Vec<Heap>,
) -> Result<Aliasing, u32> {
    // One walk for the totals, the sort's key widths and the buckets' width. Every offset
    // placement finds lies below the sum of the sizes and twice the largest alignment for each.
    let (mut max_size, mut max_first, mut span) = (0u64, 0u32, 0u64);
    let (mut total, mut max_align) = (0u128, granularity);
    for it in items {
        total += it.req.size as u128;
        max_align = max_align.max(it.req.alignment);
        max_size = max_size.max(it.req.size);
        max_first = max_first.max(it.first);
        span += (it.last - it.first + 1) as u64;
    }
    if total + 2 * items.len() as u128 * max_align as u128 > u64::MAX as u128 {
        return Err(past_2_64(items, granularity));
    }
    let unaliased = total as u64;
    let lower_bound = lower_bound(items, steps, &mut s.delta);

    // Largest first, then earliest first use, then declaration order (items are in resource
    // order, so the item index stands for the resource).
    by_size(items, max_size, max_first, s);

    // Classes keep their member lists' storage from earlier compiles.
    let mut nclasses = 0;
    for &i in &s.order {
        let it = &items[i as usize];
        let is_image = it.kind == ResourceKind::Image;
        let bits = it.req.memory_type_bits;
        match s.classes[..nclasses].iter_mut().find(|c| c.bits & bits != 0) {
            Some(c) => {
                c.bits &= bits;
                c.images |= is_image;
                c.buffers |= !is_image;
                c.members.push(i);
            }
            None => {
                if nclasses == s.classes.len() {
                    s.classes.push(Class::default());
                }
                let c = &mut s.classes[nclasses];
                c.bits = bits;
                c.images = is_image;
                c.buffers = !is_image;
                c.members.clear();
                c.members.push(i);
                nclasses += 1;
            }
        }
    }

    // Time buckets a power of two wide, about as wide as a typical lifetime.
    let width = (span / items.len().max(1) as u64).clamp(1, 64);
    let shift = 63 - width.leading_zeros();
    let nb = ((steps >> shift) + 1) as usize;
    let buckets = |first: u32, last: u32| ((first >> shift) as usize, (last >> shift) as usize);
    s.placements.clear();
    s.placements.resize(items.len(), Placement { heap: 0, offset: 0, size: 0 });
    heaps.truncate(nclasses);
    for (h, c) in s.classes[..nclasses].iter().enumerate() {
        let mixed = c.images && c.buffers;
        let gran = if mixed { granularity.max(1) } else { 1 };

        // The buckets, as one array: bucket `b` has room for its members at
        // `in_bucket[bucket_start[b]..bucket_start[b + 1]]`, and holds the ones placed so far
        // (with where they went) up to `fill[b]`.
        s.bucket_start.clear();
        s.bucket_start.resize(nb + 1, 0);
        let counts = &mut s.bucket_start[..];
        for &i in &c.members {
            let it = &items[i as usize];
            let (fb, lb) = buckets(it.first, it.last);
            for count in &mut counts[fb + 1..lb + 2] {
                *count += 1;
            }
        }
        for b in 0..nb {
            counts[b + 1] += counts[b];
        }
        s.in_bucket.clear();
        s.in_bucket.resize(s.bucket_start[nb] as usize, Entry::default());
        s.fill.clear();
        s.fill.extend_from_slice(&s.bucket_start[..nb]);

        // Slices of the tables from here on (their addresses and lengths stay in registers),
        // and the list of conflicts, which grows.
        let (bucket_start, fill, in_bucket) =
            (&s.bucket_start[..], &mut s.fill[..], &mut s.in_bucket[..]);
        let (placements, conflicts) = (&mut s.placements[..], &mut s.conflicts);
        let mut heap_size = 0u64;
        let mut heap_align = 1u64;
        for &i in &c.members {
            let it = &items[i as usize];
            let align = it.req.alignment.max(gran).max(1);
            heap_align = heap_align.max(align);
            let size = align_up(it.req.size, gran);
            conflicts.clear();
            let (first_bucket, last_bucket) = buckets(it.first, it.last);
            for b in first_bucket..last_bucket + 1 {
                let placed = &in_bucket[bucket_start[b] as usize..fill[b] as usize];
                // A resource in several of these buckets counts in the first of them: the
                // first scanned, or its own first.
                let from = if b == first_bucket { 0 } else { (b as u32) << shift };
                for o in placed {
                    if o.first >= from && o.first <= it.last && it.first <= o.last {
                        conflicts.push((o.start, o.end));
                    }
                }
            }
            let off = lowest_fit(conflicts, size, align);
            let e = Entry { first: it.first, last: it.last, start: off, end: off + size };
            for b in first_bucket..last_bucket + 1 {
                in_bucket[fill[b] as usize] = e;
                fill[b] += 1;
            }
            heap_size = heap_size.max(off + size);
            placements[i as usize] = Placement { heap: h, offset: off, size };
        }
        if h == heaps.len() {
            heaps.push(Heap { memory_type_bits: 0, size: 0, alignment: 0, resources: Vec::new() });
        }
        let heap = &mut heaps[h];
        heap.memory_type_bits = c.bits;
        heap.size = heap_size;
        heap.alignment = heap_align;
        heap.resources.clear();
        // In placement order: the plan is built every frame and read by offset only when it
        // is printed, which sorts it then.
        heap.resources.extend(c.members.iter().map(|&i| items[i as usize].resource as usize));
    }
    let used = heaps.iter().map(|h| h.size).sum();
    Ok(Aliasing { used, unaliased, lower_bound })
}

/// The item at which the bound of [`place`] (the items' sizes, and twice the largest alignment
/// for each) passes 2^64 - 1.
#[cold]
fn past_2_64(items: &[Item], granularity: u64) -> u32 {
    let max_align = items.iter().map(|it| it.req.alignment).fold(granularity, u64::max) as u128;
    let mut bound = 0u128;
    for (i, it) in items.iter().enumerate() {
        bound += it.req.size as u128 + 2 * max_align;
        if bound > u64::MAX as u128 {
            return i as u32;
        }
    }
    unreachable!("rg-core bug: items whose bound stays below 2^64 were reported past it")
}

/// The lowest offset, a multiple of `align`, where `size` bytes overlap none of the `taken`
/// ranges (in any order). Whenever the candidate overlaps a range, no offset between it and that
/// range's end can fit, so it moves to the first aligned offset past the range; sweeps repeat
/// until one moves nothing. Each move is forced, so the result is the lowest fit, as a scan of
/// the ranges sorted by address would find, without sorting them.
fn lowest_fit(taken: &[(u64, u64)], size: u64, align: u64) -> u64 {
    let mut off = 0u64;
    loop {
        let before = off;
        for &(start, end) in taken {
            if start < off + size && off < end {
                off = align_up(end, align);
            }
        }
        if off == before {
            return off;
        }
    }
}

/// Distinct sizes up to which `by_size` counts items out instead of sorting them.
const FEW_SIZES: usize = 32;

/// Puts in `s.order` the item indices by size (largest first), then first use, then index.
///
/// Frames use a few sizes over and over, and declare resources about in the order they first
/// use them. So the items are counted out by size, each size's run keeping index order, and a
/// run is sorted only if its first uses are out of order. With more than [`FEW_SIZES`] sizes,
/// all the items are sorted at once. Returns whether they were counted out.
fn by_size(items: &[Item], max_size: u64, max_first: u32, s: &mut Scratch) -> bool {
    let Scratch { order, sizes, size_of, keys, wide, .. } = s;
    order.clear();
    sizes.clear();
    size_of.clear();
    let mut few = true;
    for it in items {
        let size = it.req.size;
        let k = match sizes.iter().position(|&(z, _)| z == size) {
            Some(k) => k,
            None if sizes.len() < FEW_SIZES => {
                sizes.push((size, 0));
                sizes.len() - 1
            }
            None => {
                few = false;
                break;
            }
        };
        sizes[k].1 += 1;
        size_of.push(k as u8);
    }
    if !few {
        let index_bits = bits(items.len() as u64);
        sort_pairs(
            items.iter().enumerate().map(|(i, it)| {
                (max_size - it.req.size, (it.first as u64) << index_bits | i as u64)
            }),
            bits(max_first as u64) + index_bits,
            keys,
            wide,
        );
        let mask = (1u64 << index_bits) - 1;
        order.extend(keys.iter().map(|&k| (k & mask) as u32));
        return false;
    }
    // Where each size's run starts: after every larger size's items.
    let mut at = [0u32; FEW_SIZES];
    for (k, &(size, _)) in sizes.iter().enumerate() {
        at[k] = sizes.iter().filter(|&&(z, _)| z > size).map(|&(_, n)| n).sum();
    }
    let starts = at;
    order.resize(items.len(), 0);
    for (i, &k) in size_of.iter().enumerate() {
        order[at[k as usize] as usize] = i as u32;
        at[k as usize] += 1;
    }
    for k in 0..sizes.len() {
        let run = &mut order[starts[k] as usize..at[k] as usize];
        if !run.windows(2).all(|w| items[w[0] as usize].first <= items[w[1] as usize].first) {
            run.sort_unstable_by_key(|&i| (items[i as usize].first, i));
        }
    }
    true
}

/// Bits needed to write `x`.
fn bits(x: u64) -> u32 {
    64 - x.leading_zeros()
}

/// Sorts `(major, minor)` pairs, each `minor` below `1 << minor_bits`, by major then minor,
/// and leaves in `keys` words whose low `minor_bits` bits are the minors in that order. The
/// pairs are sorted as single 64-bit integers when the largest major leaves room (it does for
/// real frames), else as 128-bit ones.
fn sort_pairs(
    pairs: impl Iterator<Item = (u64, u64)> + Clone,
    minor_bits: u32,
    keys: &mut Vec<u64>,
    wide: &mut Vec<u128>,
) {
    let major_bits = bits(pairs.clone().map(|p| p.0).max().unwrap_or(0));
    keys.clear();
    if major_bits + minor_bits <= 64 {
        keys.extend(pairs.map(|(a, b)| a.checked_shl(minor_bits).unwrap_or(0) | b));
        keys.sort_unstable();
    } else {
        wide.clear();
        wide.extend(pairs.map(|(a, b)| (a as u128) << 64 | b as u128));
        wide.sort_unstable();
        keys.extend(wide.iter().map(|&k| k as u64));
    }
}

/// The peak, over the schedule, of the bytes of transients alive at once. Sums wrap like the
/// total does; the bytes alive at once are never more than the total.
fn lower_bound(items: &[Item], steps: u32, delta: &mut Vec<(u64, u64)>) -> u64 {
    delta.clear();
    delta.resize(steps as usize + 2, (0, 0));
    for it in items {
        let born = &mut delta[it.first as usize].0;
        *born = born.wrapping_add(it.req.size);
        let died = &mut delta[it.last as usize + 1].1;
        *died = died.wrapping_add(it.req.size);
    }
    let (mut cur, mut peak) = (0u64, 0u64);
    for &(born, died) in delta.iter() {
        cur = cur.wrapping_sub(died).wrapping_add(born);
        peak = peak.max(cur);
    }
    peak
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gen::Rng;

    /// The lowest fit by brute force: every aligned offset from 0 up.
    fn lowest_fit_by_trying(taken: &[(u64, u64)], size: u64, align: u64) -> u64 {
        (0..)
            .map(|i| i * align)
            .find(|&off| taken.iter().all(|&(s, e)| off + size <= s || e <= off))
            .unwrap()
    }

    #[test]
    fn lowest_fit_is_the_lowest_aligned_offset_that_overlaps_nothing() {
        let mut rng = Rng::new(1);
        let mut next = |m: u64| rng.below(m as usize) as u64;
        for _ in 0..5000 {
            let taken: Vec<(u64, u64)> = (0..next(8))
                .map(|_| {
                    let start = next(200);
                    (start, start + 1 + next(60))
                })
                .collect();
            let (size, align) = (1 + next(50), 1 << next(4));
            let want = lowest_fit_by_trying(&taken, size, align);
            assert_eq!(
                lowest_fit(&taken, size, align),
                want,
                "{taken:?} size {size} align {align}"
            );
        }
    }

    #[test]
    fn items_go_by_size_then_first_use_then_index() {
        let mut rng = Rng::new(2);
        let mut next = |m: u64| rng.below(m as usize) as u64;
        let mut s = Scratch::default();
        let (mut counted, mut sorted) = (0, 0);
        for round in 0..400 {
            // Few sizes or many; first uses in order, nearly so, or not at all.
            let n = next(120) as usize;
            let sizes = [1 + next(4), 1 + next(FEW_SIZES as u64), 1 + next(200)][round % 3];
            let shuffle = [0, 8, 1][round / 3 % 3];
            let items: Vec<Item> = (0..n)
                .map(|i| {
                    let first =
                        if shuffle > 0 && next(shuffle) == 0 { next(60) } else { i as u64 / 2 };
                    Item {
                        resource: i as u32,
                        first: first as u32,
                        last: first as u32 + next(5) as u32,
                        req: MemoryRequirements {
                            size: 1024 * (1 + next(sizes)),
                            alignment: 256,
                            memory_type_bits: 1,
                        },
                        kind: ResourceKind::Buffer,
                    }
                })
                .collect();
            let max_size = items.iter().map(|it| it.req.size).max().unwrap_or(0);
            let max_first = items.iter().map(|it| it.first).max().unwrap_or(0);
            let took_count = by_size(&items, max_size, max_first, &mut s);
            let mut want: Vec<u32> = (0..n as u32).collect();
            want.sort_by_key(|&i| {
                let it = &items[i as usize];
                (std::cmp::Reverse(it.req.size), it.first, i)
            });
            assert_eq!(s.order, want, "round {round}");
            if took_count {
                counted += 1;
            } else {
                sorted += 1;
            }
        }
        // Both ways were taken.
        assert!(counted > 100 && sorted > 50, "{counted} counted, {sorted} sorted");
    }

    /// More sizes than are counted out, all first used at step 0 (no bit for the first use),
    /// sizes in bytes that are not multiples of a power of two (a custom memory model may give
    /// them): the sort keys still keep the size above the index.
    #[test]
    fn items_of_many_sizes_used_at_once_go_by_size_then_index() {
        let n = FEW_SIZES as u64 + 8;
        let items: Vec<Item> = (0..n)
            .map(|i| Item {
                resource: i as u32,
                first: 0,
                last: 1,
                req: MemoryRequirements {
                    size: 1 + (i * 7) % n,
                    alignment: 1,
                    memory_type_bits: 1,
                },
                kind: ResourceKind::Buffer,
            })
            .collect();
        let max_size = items.iter().map(|it| it.req.size).max().unwrap_or(0);
        let mut s = Scratch::default();
        assert!(!by_size(&items, max_size, 0, &mut s), "sorted, not counted out");
        let mut want: Vec<u32> = (0..n as u32).collect();
        want.sort_by_key(|&i| (std::cmp::Reverse(items[i as usize].req.size), i));
        assert_eq!(s.order, want);
    }

    #[test]
    fn pairs_sort_by_major_then_minor() {
        let (mut keys, mut wide) = (Vec::new(), Vec::new());
        let pairs = [(2u64, 1u64), (1, 3), (2, 0), (0, 2)];
        sort_pairs(pairs.into_iter(), 2, &mut keys, &mut wide);
        assert_eq!(keys.iter().map(|k| k & 3).collect::<Vec<_>>(), [2, 3, 0, 1]);
        // A major that leaves no room for the minor falls back to 128-bit keys.
        let pairs = [(u64::MAX, 1u64), (3, 0), (u64::MAX, 0), (0, 1)];
        sort_pairs(pairs.into_iter(), 1, &mut keys, &mut wide);
        assert_eq!(keys, [1, 0, 0, 1]);
    }
}
