//! The end of the frame: imports left in their exit state, temporals in the state the next frame
//! starts from, and no ownership transfer left half done.
//!
//! A temporal's last write that the entry state does not describe must be ordered before the
//! entry state's stages (a barrier from them chains after it) and, exactly, before what the next
//! frame does first to each cell: the same barrier or accesses that first named the cell in this
//! frame, since the next frame replays the plan. A first barrier must chain after the write; first
//! accesses with no barrier before them must run in stages the write is ordered before and see
//! it with what they read. Semaphore waits of the next frame for the write's queue count, as
//! they do within a frame.

use super::shadow::{ordered_by, Origin, Touch, Write};
use super::{HazardKind, Oracle};
use crate::access::{AccessMask, Layout, ResourceState};
use crate::graph::Lifetime;
use crate::types::QueueKind;

impl Oracle<'_> {
    pub(super) fn check_exit(&mut self) {
        let plan = self.plan;
        for (r, res) in plan.resources.iter().enumerate() {
            for c in self.all_cells(r) {
                match res.lifetime {
                    Lifetime::Imported { exit, .. } => self.exit_import(c, exit),
                    Lifetime::Temporal => self.exit_temporal(c, res.exit.or(res.entry), res.entry),
                    Lifetime::Transient => {
                        if let Some(p) = self.shadows[c].release {
                            let msg = format!(
                                "{} is released from {} to {} in {}, but never acquired",
                                self.name(c),
                                p.from,
                                p.to,
                                self.at_name(p.at),
                            );
                            self.report(HazardKind::OwnershipViolation, r, None, msg);
                        }
                    }
                }
            }
        }
    }

    /// Layout and owner at the end of the frame; a pending release counts as done, since its
    /// acquire belongs to whoever uses the resource next.
    fn final_state(&self, c: usize) -> (Option<Layout>, Option<QueueKind>) {
        let sh = &self.shadows[c];
        match sh.release {
            Some(p) => (p.layout.map(|(_, n)| n).or(sh.layout).filter(|_| sh.image), Some(p.to)),
            None => (sh.layout, sh.owner),
        }
    }

    fn exit_import(&mut self, c: usize, exit: ResourceState) {
        let (layout, owner) = self.final_state(c);
        let name = self.name(c);
        let sh = &self.shadows[c];
        let r = sh.resource;
        let mut found = Vec::new();
        if let (true, Some(want)) = (sh.image, exit.layout) {
            if want != Layout::Undefined && layout != Some(want) {
                found.push((
                    HazardKind::LayoutMismatch,
                    format!(
                        "the frame leaves {name} in layout `{}`, but its exit state needs `{want}`",
                        layout.unwrap_or(Layout::Undefined)
                    ),
                ));
            }
        }
        if owner != Some(exit.queue) {
            found.push((
                HazardKind::OwnershipViolation,
                format!(
                    "the frame leaves {name} {}, but its exit state needs it on {}",
                    match (sh.release, owner) {
                        (Some(p), _) => format!("released to {}", p.to),
                        (None, Some(o)) => format!("owned by {o}"),
                        (None, None) => "owned by no queue".into(),
                    },
                    exit.queue,
                ),
            ));
        }
        if sh.release.is_none() && owner == Some(exit.queue) && !exit.stages.is_empty() {
            let needs_visible = exit.access.minus(AccessMask::WRITES);
            // What came in with the entry state and was never touched is the outside world's to
            // order; only what the frame did must be ordered before the exit's first use.
            let eq = exit.queue.index();
            if let Some(w) = sh.write.filter(|w| w.origin != Origin::Entry) {
                let ok = w.exec[eq].contains(exit.stages)
                    && w.available
                    && w.visible.missing(exit.stages, needs_visible).is_empty();
                if !ok {
                    found.push((
                        HazardKind::ExitStateMismatch,
                        format!(
                            "{} is not ordered before and visible to the exit state of {name} \
                             ({} with {} on {}): ordered before {}, visible to {}",
                            self.describe_write(&w),
                            exit.stages,
                            exit.access,
                            exit.queue,
                            w.exec[eq],
                            if w.available {
                                w.visible.names_in(exit.stages)
                            } else {
                                "nothing".into()
                            },
                        ),
                    ));
                }
            }
            if !exit.access.writes().is_empty() {
                let late = sh
                    .reads
                    .iter()
                    .find(|rd| rd.origin != Origin::Entry && !rd.exec[eq].contains(exit.stages));
                if let Some(rd) = late {
                    found.push((
                        HazardKind::ExitStateMismatch,
                        format!(
                            "{} is not ordered before the exit state of {name}, which writes in {}",
                            self.describe_read(rd),
                            exit.stages,
                        ),
                    ));
                }
            }
        }
        for (kind, msg) in found {
            self.report(kind, r, None, msg);
        }
    }

    /// The next frame replays the same plan from the entry state, so the frame must leave the
    /// resource in it: same layout and queue, and nothing outstanding that the entry does not
    /// account for.
    fn exit_temporal(
        &mut self,
        c: usize,
        exit: Option<ResourceState>,
        entry: Option<ResourceState>,
    ) {
        let Some(exit) = exit else { return };
        let name = self.name(c);
        let sh = &self.shadows[c];
        let r = sh.resource;
        let mut found = Vec::new();
        if let Some(p) = sh.release {
            found.push(format!(
                "the frame leaves {name} released to {} (in {}), but the next frame starts with it \
                 owned by {}",
                p.to,
                self.at_name(p.at),
                exit.queue
            ));
        } else {
            if sh.image && exit.layout.is_some() && sh.layout != exit.layout {
                found.push(format!(
                    "the frame leaves {name} in layout `{}`, but its exit state needs `{}`",
                    sh.layout.unwrap_or(Layout::Undefined),
                    exit.layout.unwrap_or(Layout::Undefined),
                ));
            }
            if sh.owner != Some(exit.queue) {
                found.push(format!(
                    "the frame leaves {name} owned by {}, but its exit state needs it on {}",
                    sh.owner.map_or("no queue".into(), |o| o.to_string()),
                    exit.queue
                ));
            }
        }
        if let Some(entry) = entry {
            if (sh.image && entry.layout != exit.layout) || entry.queue != exit.queue {
                found.push(format!(
                    "the exit state of {name} ({} on {}) is not the entry state the next frame \
                     starts from ({} on {})",
                    exit.layout.map_or("-".into(), |l| l.to_string()),
                    exit.queue,
                    entry.layout.map_or("-".into(), |l| l.to_string()),
                    entry.queue,
                ));
            }
            if let Some(w) = sh.write.filter(|w| w.origin != Origin::Entry) {
                let described = w.queue == entry.queue
                    && !w.stages.is_empty()
                    && !w.access.writes().is_empty()
                    && entry.stages.contains(w.stages)
                    && entry.access.contains(w.access.writes());
                // Not described, it must be ordered before the entry state's stages, so that a
                // barrier from them chains after it (what the entry state promises), and before
                // whatever the next frame does first to the cell.
                let from_entry =
                    w.available && w.exec[entry.queue.index()].intersects(entry.stages);
                let why = if described {
                    None
                } else if !from_entry {
                    Some(String::new())
                } else if !self.first_use_after(&w, sh.first) {
                    Some(format!(
                        ", and {} is not ordered after it and made to see it",
                        self.describe_touch(sh.first)
                    ))
                } else {
                    None
                };
                if let Some(why) = why {
                    found.push(format!(
                        "{} is still outstanding at the end of the frame, but the entry state of \
                         {name} ({} with {} on {}) does not account for it{why}",
                        self.describe_write(&w),
                        entry.stages,
                        entry.access,
                        entry.queue,
                    ));
                }
            }
            let late = sh.reads.iter().find(|rd| {
                rd.origin != Origin::Entry
                    && !ordered_by(entry.queue, entry.stages, rd.queue, rd.stages, &rd.exec)
            });
            if let Some(rd) = late {
                found.push(format!(
                    "{} is still outstanding at the end of the frame, but the entry state of {name} \
                     ({} on {}) does not account for it",
                    self.describe_read(rd),
                    entry.stages,
                    entry.queue,
                ));
            }
        }
        for msg in found {
            self.report(HazardKind::ExitStateMismatch, r, None, msg);
        }
    }

    /// Whether write `w`, left outstanding on a temporal cell, is ordered before (and visible
    /// to) the next frame's first use of the cell, `first`: the barrier or accesses that first
    /// named it in this frame, since the next frame replays the same plan from the state this
    /// one leaves.
    fn first_use_after(&self, w: &Write, first: Option<Touch>) -> bool {
        let wq = w.queue.index();
        match first {
            // A barrier that chains from a semaphore wait for the write's queue, or one on that
            // queue whose first scope takes in a stage the write is ordered before (or the
            // write's own stages), makes the write visible to its second scope.
            Some(Touch::Barrier { queue, src, waited, .. }) => {
                !waited[wq].is_empty()
                    || (queue == w.queue
                        && w.available
                        && ordered_by(queue, src, w.queue, w.stages, &w.exec))
            }
            // Accesses with no barrier before them must be ordered after it, and see it, in
            // every stage they run in that no semaphore wait for the write's queue covers.
            Some(Touch::Access { queue, stages, reads, waited, .. }) => {
                let rest = stages.minus(waited[wq]);
                rest.is_empty()
                    || (queue == w.queue
                        && w.available
                        && w.exec[wq].contains(rest)
                        && w.visible.missing(rest, reads).is_empty())
            }
            // Nothing in the frame names the cell: the next frame reaches it only through a
            // barrier from the entry state's stages.
            None => true,
        }
    }

    fn describe_touch(&self, first: Option<Touch>) -> String {
        match first {
            Some(Touch::Barrier { at, queue, src, .. }) => format!(
                "the next frame's first barrier of it, in {} ({src} on {queue})",
                self.at_name(at)
            ),
            Some(Touch::Access { pass, queue, stages, reads, .. }) => format!(
                "the next frame's first use of it, by {} ({stages} with {reads} on {queue}, with \
                 no barrier before it)",
                self.pass_name(pass)
            ),
            None => "nothing".into(),
        }
    }
}
