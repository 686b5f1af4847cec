//! Aliasing: transients placed in the same memory must not be live at once, and each one's first
//! barrier must hand the memory over from the resources that used it before.

use super::shadow::At;
use super::{Hazard, HazardKind, Oracle};
use crate::plan::{Barrier, Placement, Plan};

fn widen(range: &mut Option<(usize, usize)>, i: usize) {
    *range = Some(match *range {
        None => (i, i),
        Some((a, b)) => (a.min(i), b.max(i)),
    });
}

/// Each resource's live range in pass indices, from every barrier and access that names it.
/// A barrier in the epilogue keeps a resource live through the end (`passes.len()`).
fn live_ranges(plan: &Plan) -> Vec<Option<(usize, usize)>> {
    let mut live = vec![None; plan.resources.len()];
    let mut touch = |r: usize, i: usize| {
        if let Some(range) = live.get_mut(r) {
            widen(range, i);
        }
    };
    for b in &plan.prologue {
        touch(b.resource, 0);
    }
    for (i, p) in plan.passes.iter().enumerate() {
        for a in plan.accesses_of(p) {
            touch(a.resource, i);
        }
        for b in plan.barriers_of(p).iter().chain(plan.releases_of(p)) {
            touch(b.resource, i);
        }
    }
    for b in &plan.epilogue {
        touch(b.resource, plan.passes.len());
    }
    // The compiler's own ranges only widen ours: an exported transient stays live to the end, and
    // a placement that contradicts the compiler's lifetimes is a bug worth reporting.
    for (r, res) in plan.resources.iter().enumerate() {
        for i in [res.first_use, res.last_use].into_iter().flatten() {
            touch(r, i);
        }
    }
    live
}

impl Oracle<'_> {
    /// Reports placed resources that overlap in memory and in time, and records for each the
    /// earlier occupants of its memory, whose hand-over its first barrier must order.
    pub(super) fn check_aliasing(&mut self) {
        let live = live_ranges(self.plan);
        let last = |r: usize| live[r].map_or(0, |(_, l)| l);
        let mut placed: Vec<(usize, u64, u64, usize)> = self
            .plan
            .resources
            .iter()
            .enumerate()
            .filter_map(|(r, res)| {
                let p = res.placement?;
                live[r]?;
                (p.size > 0).then(|| (p.heap, p.offset, p.offset.saturating_add(p.size), r))
            })
            .collect();
        placed.sort_unstable();
        // Sweep by offset: `active` holds the resources whose bytes reach the current offset, so
        // every pair compared overlaps in memory.
        let mut active: Vec<(u64, usize)> = Vec::new();
        let mut heap = None;
        for &(h, offset, end, r) in &placed {
            if heap != Some(h) {
                active.clear();
                heap = Some(h);
            }
            active.retain(|&(e, _)| e > offset);
            for &(_, other) in &active {
                self.alias_pair(other, r, &live);
            }
            active.push((end, r));
        }
        for preds in &mut self.preds {
            preds.sort_unstable_by_key(|&a| std::cmp::Reverse(last(a)));
        }
    }

    fn alias_pair(&mut self, a: usize, b: usize, live: &[Option<(usize, usize)>]) {
        let (Some((fa, la)), Some((fb, lb))) = (live[a], live[b]) else {
            return;
        };
        if la < fb {
            self.preds[b].push(a);
            return;
        }
        if lb < fa {
            self.preds[a].push(b);
            return;
        }
        let (first, second) = if fa <= fb { (a, b) } else { (b, a) };
        let at = fa.max(fb);
        let pass = (at < self.plan.passes.len()).then_some(at);
        let when = match pass {
            Some(i) => format!("at {}", self.pass_name(i)),
            None => "at the end of the frame".into(),
        };
        let msg = format!(
            "{} and {} share memory in heap {} but are both live {when}",
            self.res(first),
            self.res(second),
            self.plan.resources[a].placement.map_or(0, |p| p.heap),
        );
        self.report(HazardKind::AliasOverlap, second, pass, msg);
    }

    /// The earlier occupants of `r`'s memory that its hand-over must be ordered after: for each
    /// byte, the latest one that used it. Older ones were ordered before those by the hand-overs
    /// that displaced them, each checked in its turn.
    fn latest_preds(&self, r: usize) -> Vec<usize> {
        let span = |x: usize| {
            self.plan.resources[x].placement.map(|p| (p.offset, p.offset.saturating_add(p.size)))
        };
        let Some((lo, hi)) = span(r) else {
            return Vec::new();
        };
        // Byte ranges of `r` already claimed by a later occupant, sorted and disjoint.
        let mut claimed: Vec<(u64, u64)> = Vec::new();
        let mut out = Vec::new();
        for &a in &self.preds[r] {
            let Some((a_lo, a_hi)) = span(a) else {
                continue;
            };
            let (a_lo, a_hi) = (a_lo.max(lo), a_hi.min(hi));
            let mut at = a_lo;
            for &(c_lo, c_hi) in &claimed {
                if c_lo <= at && at < c_hi {
                    at = c_hi;
                }
            }
            if at < a_hi {
                out.push(a);
            }
            claimed.push((a_lo, a_hi));
            claimed.sort_unstable();
            let mut merged: Vec<(u64, u64)> = Vec::with_capacity(claimed.len());
            for (c_lo, c_hi) in claimed.drain(..) {
                match merged.last_mut() {
                    Some(m) if c_lo <= m.1 => m.1 = m.1.max(c_hi),
                    _ => merged.push((c_lo, c_hi)),
                }
            }
            claimed = merged;
        }
        out
    }

    /// Cell `c`'s first touch is barrier `b`: it must discard, and be ordered after every access
    /// of the resources that used the memory before (of each of their cells: the oracle does not
    /// know which bytes a cell has).
    pub(super) fn hand_over_at_barrier(&mut self, c: usize, b: &Barrier, at: At) {
        let r = self.shadows[c].resource;
        let preds = self.latest_preds(r);
        if preds.is_empty() {
            return;
        }
        let pass = at.pass();
        if !b.discard {
            let (kind, what) = if self.shadows[c].image {
                (HazardKind::LayoutMismatch, "a transition from `undefined` that discards")
            } else {
                (HazardKind::UnorderedAccess, "a discarding barrier")
            };
            let msg = format!(
                "{} is the first barrier of {}, which takes over the memory of {}, but it is not {what}",
                self.at_name(at),
                self.name(c),
                self.res(preds[0]),
            );
            self.report(kind, r, pass, msg);
        }
        for a in preds {
            for ac in self.all_cells(a) {
                for (kind, prior) in self.unordered_before(ac, b.queue, b.src_stages) {
                    let msg = format!(
                        "the hand-over of memory from {} to {} in {} is not ordered after {prior}{}",
                        self.name(ac),
                        self.name(c),
                        self.at_name(at),
                        self.why(kind, b.queue, b.src_stages),
                    );
                    self.report(kind, r, pass, msg);
                }
            }
        }
    }

    /// Cell `c`'s first touch is an access of pass `i`, with no barrier to hand its memory over.
    pub(super) fn hand_over_at_access(&mut self, c: usize, i: usize) {
        let r = self.shadows[c].resource;
        // An image's missing transition shows as a layout mismatch at the access itself.
        if self.shadows[c].image {
            return;
        }
        for a in self.latest_preds(r) {
            let msg = format!(
                "{} is the first to use {}, which takes over the memory of {}, but no barrier hands \
                 the memory over",
                self.pass_name(i),
                self.res(r),
                self.res(a),
            );
            self.report(HazardKind::UnorderedAccess, r, Some(i), msg);
        }
    }
}

/// Reports buffers and images placed in one heap, live at the same time, that share a page of
/// `granularity` bytes (`bufferImageGranularity`: the device may keep linear and optimal data
/// apart by page, so such neighbours corrupt each other). Every image of a plan has optimal
/// tiling. Resources not live at once may share pages, as they may share bytes.
///
/// The plan does not record the device's granularity, so it is given here.
pub fn check_granularity(plan: &Plan, granularity: u64) -> Vec<Hazard> {
    let mut hazards = Vec::new();
    if granularity <= 1 {
        return hazards;
    }
    let live = live_ranges(plan);
    let placed: Vec<(usize, Placement)> = plan
        .resources
        .iter()
        .enumerate()
        .filter_map(|(r, res)| Some((r, res.placement.filter(|p| p.size > 0)?)))
        .filter(|&(r, _)| live[r].is_some())
        .collect();
    let page = |offset: u64| offset / granularity;
    for (i, &(a, pa)) in placed.iter().enumerate() {
        for &(b, pb) in &placed[i + 1..] {
            let kinds = (plan.resources[a].kind, plan.resources[b].kind);
            if pa.heap != pb.heap || kinds.0 == kinds.1 {
                continue;
            }
            let (Some((fa, la)), Some((fb, lb))) = (live[a], live[b]) else {
                continue;
            };
            if la < fb || lb < fa {
                continue;
            }
            let (lo, hi) = if pa.offset <= pb.offset { (pa, pb) } else { (pb, pa) };
            let last_page_of_lo = page(lo.offset.saturating_add(lo.size) - 1);
            if last_page_of_lo < page(hi.offset) {
                continue;
            }
            let label = |r: usize| &*plan.resources[r].label;
            hazards.push(Hazard {
                kind: HazardKind::AliasOverlap,
                resource: a.max(b),
                pass: (fa.max(fb) < plan.passes.len()).then_some(fa.max(fb)),
                message: format!(
                    "`{}` and `{}`, a buffer and an image live at once in heap {}, share a page of \
                     {granularity} bytes (`bufferImageGranularity`): bytes {}..{} and {}..{}",
                    label(a),
                    label(b),
                    pa.heap,
                    pa.offset,
                    pa.offset + pa.size,
                    pb.offset,
                    pb.offset + pb.size,
                ),
            });
        }
    }
    hazards
}
