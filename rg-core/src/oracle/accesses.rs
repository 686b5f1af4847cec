//! The passes' accesses: each checked against the shadow state before its pass (ownership,
//! layout, defined contents, and ordering and visibility after the last write and the reads
//! since), then applied.

use super::shadow::{ordered_only_before, Origin, PerStage, Read, Touch, Write, NO_EXEC};
use super::{By, HazardKind, Lazy, Oracle};
use crate::access::{Access, AccessMask, Layout};
use crate::plan::WaitPoint;
use crate::types::QueueKind;

type Found = Vec<(HazardKind, String)>;

/// An access by name (`pass `p` reads `img` mip 2 (sampled(fragment))`), written only when a
/// message needs it.
struct Who<'o> {
    oracle: &'o Oracle<'o>,
    i: usize,
    c: usize,
    verb: &'static str,
    acc: Access,
}

impl std::fmt::Display for Who<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let o = self.oracle;
        write!(f, "{} {} {} ({})", o.pass_name(self.i), self.verb, o.name(self.c), self.acc)
    }
}

impl Oracle<'_> {
    /// Checks every access of pass `i` against the state before the pass, then applies them all,
    /// so that a pass's accesses never conflict with each other.
    pub(super) fn accesses(&mut self, i: usize) {
        let plan = self.plan;
        let p = &plan.passes[i];
        let mut cells = Vec::new();
        for a in plan.accesses_of(p) {
            let r = a.resource;
            if r >= self.dims.len() {
                continue;
            }
            for c in self.cells(r, a.subresource, By::Access(i)).iter() {
                let (stages, reads) =
                    (a.access.stages(), a.access.memory().minus(AccessMask::WRITES));
                if !self.shadows[c].touched {
                    self.shadows[c].touched = true;
                    let waited = self.sync.waited_before_frame(p.queue, stages);
                    self.shadows[c].first =
                        Some(Touch::Access { pass: i, queue: p.queue, stages, reads, waited });
                    self.hand_over_at_access(c, i);
                } else if let Some(Touch::Access { pass, stages: s, reads: rd, waited, .. }) =
                    self.shadows[c].first.as_mut()
                {
                    // Another access of the same pass: the pass's first use is all of them.
                    if *pass == i {
                        *s |= stages;
                        *rd |= reads;
                        let more = self.sync.waited_before_frame(p.queue, stages);
                        for (w, m) in waited.iter_mut().zip(more) {
                            *w |= m;
                        }
                    }
                }
                self.check_access(i, p.queue, c, a.access);
                cells.push((c, a.access));
            }
        }
        for (c, access) in cells {
            self.apply_access(i, p.queue, c, access);
        }
    }

    fn check_access(&mut self, i: usize, q: QueueKind, c: usize, acc: Access) {
        let r = self.shadows[c].resource;
        let verb = if acc.writes() { "writes" } else { "reads" };
        // Only a hazard's message names the access: most accesses have none.
        let who = Who { oracle: self, i, c, verb, acc };
        let mut found = self.check_state(q, c, acc, &who);
        self.check_after_write(i, q, c, acc, &who, &mut found);
        if acc.writes() {
            self.check_after_reads(i, q, c, acc, &who, &mut found);
        }
        for (kind, msg) in found {
            self.report(kind, r, Some(i), msg);
        }
    }

    /// Ownership, layout and defined contents.
    fn check_state(&self, q: QueueKind, c: usize, acc: Access, who: &Who<'_>) -> Found {
        let sh = &self.shadows[c];
        let mut found = Vec::new();
        if let Some(p) = sh.release {
            found.push((
                HazardKind::OwnershipViolation,
                format!(
                    "{who} on {q} while it is released from {} to {} (in {}) and not yet acquired",
                    p.from,
                    p.to,
                    self.at_name(p.at),
                ),
            ));
        } else if let Some(o) = sh.owner {
            // A write that does not read the old contents gives them up, so it needs no transfer:
            // only the waits checked after.
            if o != q && sh.defined && acc.reads_contents() {
                found.push((
                    HazardKind::OwnershipViolation,
                    format!(
                        "{who} on {q}, but {o} owns it and its contents are kept: it needs a \
                         release on {o} and an acquire on {q}"
                    ),
                ));
            }
        }
        if sh.image {
            let need = acc.layout(sh.depth);
            if sh.layout != Some(need) {
                found.push((
                    HazardKind::LayoutMismatch,
                    format!(
                        "{who} in layout `{need}`, but it is in `{}`",
                        sh.layout.unwrap_or(Layout::Undefined)
                    ),
                ));
            }
        }
        if acc.reads_contents() && !sh.defined {
            found.push((
                HazardKind::UndefinedRead,
                format!("{who}, but its contents were never written or were discarded"),
            ));
        }
        found
    }

    /// Ordering after the last write, stage by stage, and for a read its visibility to each
    /// (stage, access) pair. A stage that waited on a semaphore signalled after the write has a
    /// full memory dependency on it, whatever the barriers say.
    fn check_after_write(
        &self,
        i: usize,
        q: QueueKind,
        c: usize,
        acc: Access,
        who: &Who<'_>,
        found: &mut Found,
    ) {
        let stages = acc.stages();
        let needs_visible = acc.memory().minus(AccessMask::WRITES);
        let reads_memory = acc.reads_contents() || !needs_visible.is_empty();
        let Some(w) = self.shadows[c].write.filter(|w| w.origin != Origin::Access(i)) else {
            return;
        };
        if !reads_memory && !acc.writes() {
            return;
        }
        let prior = Lazy(|| self.describe_write(&w));
        let exec = w.exec[q.index()];
        let rest = stages.minus(self.sync.waited(q, w.queue, stages, w.point));
        let unordered = rest.minus(exec);
        let unseen = w.visible.missing(rest, needs_visible);
        let found_one = if rest.is_empty() {
            None
        } else if !unordered.is_empty() && w.queue != q {
            Some((
                HazardKind::MissingWait,
                format!("{who} on {q}, but {q} does not wait for {prior} at {unordered}"),
            ))
        } else if !unordered.is_empty() {
            Some((
                HazardKind::UnorderedAccess,
                format!(
                    "{who} in {stages}, but {prior} is not ordered before it in {unordered} ({})",
                    ordered_only_before(exec)
                ),
            ))
        } else if reads_memory && !w.available {
            Some((
                HazardKind::InvisibleWrite,
                format!("{who} with {needs_visible}, but {prior} is not made available"),
            ))
        } else if reads_memory && !unseen.is_empty() {
            Some((
                HazardKind::InvisibleWrite,
                format!(
                    "{who} with {needs_visible} in {stages}, but {prior} is not visible to it in \
                     {unseen} (visible to {})",
                    w.visible.names_in(rest)
                ),
            ))
        } else if acc.writes() && !w.available {
            Some((
                HazardKind::UnorderedAccess,
                format!("{who}, but {prior} is not made available before it"),
            ))
        } else {
            None
        };
        found.extend(found_one);
    }

    /// A write must be ordered after every read since the last write, at least once per queue
    /// reported.
    fn check_after_reads(
        &self,
        i: usize,
        q: QueueKind,
        c: usize,
        acc: Access,
        who: &Who<'_>,
        found: &mut Found,
    ) {
        let stages = acc.stages();
        let mut same_queue = false;
        let mut other_queue = false;
        for rd in self.shadows[c].reads.iter().filter(|rd| rd.origin != Origin::Access(i)) {
            let exec = rd.exec[q.index()];
            let waited = self.sync.waited(q, rd.queue, stages, rd.point);
            if exec.union(waited).contains(stages) {
                continue;
            }
            if rd.queue == q {
                if !same_queue {
                    same_queue = true;
                    found.push((
                        HazardKind::UnorderedAccess,
                        format!(
                            "{who} in {stages}, but {} is not ordered before it ({})",
                            self.describe_read(rd),
                            ordered_only_before(exec)
                        ),
                    ));
                }
            } else if !other_queue {
                other_queue = true;
                found.push((
                    HazardKind::MissingWait,
                    format!(
                        "{who} on {q}, but {q} does not wait for {} at {}",
                        self.describe_read(rd),
                        stages.minus(exec).minus(waited),
                    ),
                ));
            }
        }
    }

    fn apply_access(&mut self, i: usize, q: QueueKind, c: usize, acc: Access) {
        let stages = acc.stages();
        let memory = acc.memory();
        let sh = &mut self.shadows[c];
        sh.owner = Some(q);
        sh.release = None;
        let own_write = sh.write.filter(|w| w.origin == Origin::Access(i));
        if acc.writes() {
            // The pass's other accesses of the resource are folded into the write, so that a
            // later barrier has to cover them too.
            let mut w_stages = stages;
            let mut w_access = memory;
            let mut made = PerStage::pairs(stages, memory.writes());
            if let Some(w) = own_write {
                w_stages |= w.stages;
                w_access |= w.access;
                made = made.union(w.made);
            }
            for rd in sh.reads.iter().filter(|rd| rd.origin == Origin::Access(i)) {
                w_stages |= rd.stages;
            }
            sh.write = Some(Write {
                queue: q,
                stages: w_stages,
                access: w_access,
                made,
                origin: Origin::Access(i),
                point: WaitPoint::Pass(i),
                exec: NO_EXEC,
                available: false,
                visible: PerStage::NONE,
            });
            sh.reads.clear();
            sh.defined = true;
        } else if let (Some(w), Some(_)) = (sh.write.as_mut(), own_write) {
            w.stages |= stages;
            w.access |= memory;
        } else {
            let point = WaitPoint::Pass(i);
            // Reads on one queue in the same stages are kept as one, ordered as little as the new
            // one is (nothing yet) and waited for at the later point: whatever orders it orders
            // both. This keeps the list short, and the replay linear.
            match sh.reads.iter_mut().find(|rd| rd.queue == q && rd.stages == stages) {
                Some(rd) => {
                    rd.point = rd.point.max(point);
                    rd.exec = NO_EXEC;
                    rd.origin = Origin::Access(i);
                }
                None => sh.reads.push(Read {
                    queue: q,
                    stages,
                    origin: Origin::Access(i),
                    point,
                    exec: NO_EXEC,
                }),
            }
        }
    }
}
