//! Transients' memory: the latest occupant of every byte of every heap, so that a transient's
//! first barrier hands the memory over from exactly the resources that used it last.

use crate::plan::Placement;

/// Makes `resource` the latest occupant of the bytes of `pl`, and appends to `displaced` the
/// previous latest occupants of those bytes, in address order.
pub(super) fn occupy(
    memory: &mut Vec<(u64, u64, u32)>,
    pl: Placement,
    resource: u32,
    displaced: &mut Vec<u32>,
) {
    let from = displaced.len();
    let (lo, hi) = (pl.offset, pl.offset + pl.size);
    if lo >= hi {
        return;
    }
    let a = memory.partition_point(|x| x.1 <= lo);
    let mut b = a;
    while let Some(&(start, _, occupant)) = memory.get(b) {
        if start >= hi {
            break;
        }
        // A plain scan: there are one or two, too few for `contains`'s vector loop to pay.
        if displaced[from..].iter().all(|&d| d != occupant) {
            displaced.push(occupant);
        }
        b += 1;
    }
    if a == b {
        memory.insert(a, (lo, hi, resource));
        return;
    }
    // What is left of the first and last occupants on either side of the newcomer.
    let (first, last) = (memory[a], memory[b - 1]);
    let mut at = a;
    if first.0 < lo {
        memory[at] = (first.0, lo, first.2);
        at += 1;
    }
    let right = (last.1 > hi).then_some((hi, last.1, last.2));
    // `at < b` unless the left part took the only slot, and then the right part needs one too.
    if at < b {
        memory[at] = (lo, hi, resource);
    } else {
        memory.insert(at, (lo, hi, resource));
        b += 1;
    }
    at += 1;
    if let Some(r) = right {
        if at < b {
            memory[at] = r;
        } else {
            memory.insert(at, r);
            b += 1;
        }
        at += 1;
    }
    if at < b {
        memory.drain(at..b);
    }
}
