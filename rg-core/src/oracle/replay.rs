//! The replay in plan order: semaphore waits, barriers that only order and make visible, and
//! layout transitions. Ownership transfers are in `transfer`, the passes' accesses in `accesses`.

use super::shadow::{
    and_earlier, and_later, ordered_by, stage_bits, At, Exec, Origin, Touch, Write, QUEUES,
};
use super::{By, HazardKind, Oracle};
use crate::access::{Layout, StageMask};
use crate::plan::{Barrier, TransferHalf, WaitPoint};
use crate::types::QueueKind;

impl Oracle<'_> {
    pub(super) fn replay(&mut self) {
        let plan = self.plan;
        for b in &plan.prologue {
            self.barrier(b, At::Prologue);
        }
        for (i, p) in plan.passes.iter().enumerate() {
            self.waits(i);
            for b in plan.barriers_of(p) {
                if self.on_pass_queue(b, i, At::Batch(i)) {
                    self.barrier(b, At::Batch(i));
                }
            }
            self.accesses(i);
            for b in plan.releases_of(p) {
                if self.on_pass_queue(b, i, At::Release(i)) {
                    self.barrier(b, At::Release(i));
                }
            }
        }
        for b in &plan.epilogue {
            self.barrier(b, At::Epilogue);
        }
    }

    /// A pass's barriers are recorded in its command buffer; one that claims another queue cannot
    /// be, so it is reported and left out of the replay.
    fn on_pass_queue(&mut self, b: &Barrier, i: usize, at: At) -> bool {
        let q = self.plan.passes[i].queue;
        if b.queue == q || b.resource >= self.dims.len() {
            return b.queue == q;
        }
        let msg = format!(
            "{} holds a barrier of {} recorded on {}, but {} runs on {q}",
            self.at_name(at),
            self.res(b.resource),
            b.queue,
            self.pass_name(i),
        );
        self.report(HazardKind::OwnershipViolation, b.resource, Some(i), msg);
        false
    }

    /// Applies pass `i`'s semaphore waits. A wait that names no earlier pass of the queue it
    /// names waits for nothing: it is skipped, and what depended on it shows as a missing wait.
    fn waits(&mut self, i: usize) {
        let plan = self.plan;
        let q = plan.passes[i].queue;
        for w in plan.waits_of(&plan.passes[i]) {
            if w.queue == q {
                continue;
            }
            let reached = match w.point {
                WaitPoint::Prologue => {
                    let mut r = [None; QUEUES];
                    r[w.queue.index()] = Some(WaitPoint::Prologue);
                    r
                }
                WaitPoint::Pass(j) if j < i && plan.passes[j].queue == w.queue => self.sync.done[j],
                WaitPoint::Pass(_) => continue,
            };
            // Including `q` itself: a round trip through another queue orders this queue's
            // earlier work before the waiting stages, with no barrier here. The wait's second
            // scope, for execution and for memory, is its stages and the logically later ones.
            let stages = and_later(w.stages);
            for q3 in QueueKind::ALL {
                let Some(p) = reached[q3.index()] else {
                    continue;
                };
                let slots = &mut self.sync.waited[q.index()][q3.index()];
                for b in stage_bits(stages) {
                    slots[b] = slots[b].max(Some(p));
                }
            }
        }
        // A semaphore signalled after pass i comes after all of its queue's work so far, and after
        // everything that work waited for, at whatever stage it waited.
        let mut done = [None; QUEUES];
        for q3 in QueueKind::ALL {
            done[q3.index()] =
                self.sync.waited[q.index()][q3.index()].iter().copied().max().flatten();
        }
        done[q.index()] = Some(WaitPoint::Pass(i));
        self.sync.done.push(done);
    }

    /// Barrier `b`, on each cell it names in turn.
    fn barrier(&mut self, b: &Barrier, at: At) {
        let r = b.resource;
        if r >= self.dims.len() {
            return;
        }
        for c in self.cells(r, b.subresource, By::Barrier(at)).iter() {
            self.cell_barrier(c, b, at);
        }
    }

    fn cell_barrier(&mut self, c: usize, b: &Barrier, at: At) {
        if !self.shadows[c].touched {
            self.shadows[c].touched = true;
            let waited = self.sync.waited_before_frame(b.queue, and_earlier(b.src_stages));
            let (queue, src) = (b.queue, b.src_stages);
            self.shadows[c].first = Some(Touch::Barrier { at, queue, src, waited });
            self.hand_over_at_barrier(c, b, at);
        }
        match b.transfer {
            Some(t) if t.half == TransferHalf::Release => self.release(c, b, t, at),
            Some(t) => self.acquire(c, b, t, at),
            None if b.discard || b.layout.is_some_and(|(o, n)| o != n) => self.transition(c, b, at),
            None => {
                if let Some((old, _)) = b.layout {
                    self.check_barrier_layout(c, at, old);
                }
                self.apply_scopes(c, b);
            }
        }
    }

    /// The execution and memory dependency of `b` on the accesses of cell `c` it orders. The
    /// write becomes available if the first access scope holds what it wrote, in the stages it
    /// wrote in, and then visible to the second access scope: the accesses named, in the stages
    /// named.
    pub(super) fn apply_scopes(&mut self, c: usize, b: &Barrier) {
        let (q, src) = (b.queue, b.src_stages);
        let sync = &self.sync;
        let sh = &mut self.shadows[c];
        if let Some(w) = sh.write.as_mut() {
            // A semaphore wait at a source stage chains into the barrier, and brings the write
            // along already available.
            let waited = sync.chains(q, w.queue, src, w.point);
            if waited || ordered_by(q, src, w.queue, w.stages, &w.exec) {
                w.exec[q.index()] |= and_later(b.dst_stages);
                if waited || w.available || w.made.within(src, b.src_access) {
                    w.available = true;
                    w.visible.add(b.dst_stages, b.dst_access);
                }
            }
        }
        for rd in &mut sh.reads {
            if ordered_by(q, src, rd.queue, rd.stages, &rd.exec)
                || sync.chains(q, rd.queue, src, rd.point)
            {
                rd.exec[q.index()] |= and_later(b.dst_stages);
            }
        }
    }

    /// Outstanding accesses of cell `c` that a barrier recorded on `q` with first scope `src` is
    /// not ordered after: on `q`, by its scope; elsewhere, by a wait that chains with it.
    pub(super) fn unordered_before(
        &self,
        c: usize,
        q: QueueKind,
        src: StageMask,
    ) -> Vec<(HazardKind, String)> {
        let sh = &self.shadows[c];
        let kind = |queue: QueueKind, stages: StageMask, exec: &Exec, point: WaitPoint| {
            if ordered_by(q, src, queue, stages, exec) || self.sync.chains(q, queue, src, point) {
                None
            } else if queue == q {
                Some(HazardKind::UnorderedAccess)
            } else {
                Some(HazardKind::MissingWait)
            }
        };
        let mut out = Vec::new();
        if let Some(w) = &sh.write {
            if let Some(k) = kind(w.queue, w.stages, &w.exec, w.point) {
                out.push((k, self.describe_write(w)));
            }
        }
        for rd in &sh.reads {
            if let Some(k) = kind(rd.queue, rd.stages, &rd.exec, rd.point) {
                out.push((k, self.describe_read(rd)));
            }
        }
        out
    }

    /// The tail of a message about a barrier that fails to order something.
    pub(super) fn why(&self, kind: HazardKind, q: QueueKind, src: StageMask) -> String {
        match kind {
            HazardKind::MissingWait => {
                format!(": {q} does not wait for it at any source stage ({src})")
            }
            _ => format!(" (source stages {src})"),
        }
    }

    /// Reports a write that `b`, which is ordered after it, does not make available;
    /// `what` names the barrier (`the release of `x` in …`). A layout transition or a discard
    /// writes, and a write after a write needs a memory dependency, even where the old contents
    /// are not kept: an old write not yet made available could still land after the new one.
    pub(super) fn check_available(
        &mut self,
        c: usize,
        b: &Barrier,
        at: At,
        what: &dyn Fn(&Self) -> String,
    ) {
        let sh = &self.shadows[c];
        let r = sh.resource;
        let Some(w) = sh.write else { return };
        let ordered = ordered_by(b.queue, b.src_stages, w.queue, w.stages, &w.exec);
        if !ordered || w.available || w.made.within(b.src_stages, b.src_access) {
            return;
        }
        let msg = format!(
            "{} does not make {} available first: what it wrote ({}) lies outside the \
             source scope ({} with {})",
            what(self),
            self.describe_write(&w),
            w.made.outside(b.src_stages, b.src_access),
            b.src_stages,
            b.src_access,
        );
        self.report(HazardKind::InvisibleWrite, r, at.pass(), msg);
    }

    pub(super) fn check_barrier_layout(&mut self, c: usize, at: At, old: Layout) {
        let sh = &self.shadows[c];
        let r = sh.resource;
        let msg = if !sh.image {
            format!("{} names layouts in a barrier of buffer {}", self.at_name(at), self.res(r))
        } else if old != Layout::Undefined && sh.layout != Some(old) {
            format!(
                "{} transitions {} from layout `{old}`, but it is in `{}`",
                self.at_name(at),
                self.name(c),
                sh.layout.unwrap_or(Layout::Undefined),
            )
        } else {
            return;
        };
        self.report(HazardKind::LayoutMismatch, r, at.pass(), msg);
    }

    /// A layout transition or discard: a write of its own, which must be ordered after every
    /// outstanding access and, unless it discards, keep the contents it was handed.
    fn transition(&mut self, c: usize, b: &Barrier, at: At) {
        let q = b.queue;
        let pass = at.pass();
        let old = b.layout.map(|(o, _)| o);
        let discards = b.discard || old == Some(Layout::Undefined);
        let sh = &self.shadows[c];
        let r = sh.resource;
        let ownership = if let Some(rel) = sh.release {
            Some(format!(
                "{} transitions {} on {q} while it is released from {} to {} (in {}) and not yet \
                 acquired",
                self.at_name(at),
                self.name(c),
                rel.from,
                rel.to,
                self.at_name(rel.at),
            ))
        } else {
            match sh.owner {
                Some(o) if o != q && sh.defined && !discards => Some(format!(
                    "{} transitions {} on {q} and keeps its contents, but {o} owns it: it needs a \
                     release on {o} and an acquire on {q}",
                    self.at_name(at),
                    self.name(c),
                )),
                _ => None,
            }
        };
        if let Some(msg) = ownership {
            self.report(HazardKind::OwnershipViolation, r, pass, msg);
        }
        let what = if discards { "discard" } else { "layout transition" };
        for (kind, prior) in self.unordered_before(c, q, b.src_stages) {
            let msg = format!(
                "the {what} of {} in {} is not ordered after {prior}{}",
                self.name(c),
                self.at_name(at),
                self.why(kind, q, b.src_stages),
            );
            self.report(kind, r, pass, msg);
        }
        let what = |o: &Self| format!("the {what} of {} in {}", o.name(c), o.at_name(at));
        self.check_available(c, b, at, &what);
        if let Some(old) = old {
            self.check_barrier_layout(c, at, old);
        }
        let sh = &mut self.shadows[c];
        if discards {
            sh.defined = false;
        }
        if let (true, Some((_, new))) = (sh.image, b.layout) {
            sh.layout = Some(new);
        }
        sh.owner = Some(q);
        sh.release = None;
        sh.write = Some(Write::barrier(q, Origin::Barrier(at), at, b.dst_stages, b.dst_access));
        sh.reads.clear();
    }
}
