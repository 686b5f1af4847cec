//! Queue-ownership transfers. A release is a barrier on the old queue that must be ordered after
//! every outstanding access and make the last write available. The acquire on the new queue is an
//! operation of its own, like a layout transition: its first scope must chain from a semaphore
//! wait for the release, and later work on the new queue is ordered after it, and sees the
//! contents, only through its destination scope.

use super::shadow::{At, Origin, Release, Write};
use super::{HazardKind, Oracle};
use crate::access::Layout;
use crate::plan::{Barrier, OwnershipTransfer};

impl Oracle<'_> {
    pub(super) fn release(&mut self, c: usize, b: &Barrier, t: OwnershipTransfer, at: At) {
        let q = b.queue;
        let pass = at.pass();
        let r = self.shadows[c].resource;
        let name = self.name(c);
        let where_ = self.at_name(at);
        let mut found = Vec::new();
        if q != t.from {
            found.push(format!("{where_} releases {name} from {} but is recorded on {q}", t.from));
        }
        if t.from == t.to {
            found.push(format!("{where_} transfers {name} from {q} to itself"));
        }
        let sh = &self.shadows[c];
        if let Some(p) = sh.release {
            found.push(format!(
                "{where_} releases {name} again, while the release in {} is not yet acquired",
                self.at_name(p.at)
            ));
        } else if sh.owner != Some(t.from) {
            found.push(format!(
                "{where_} releases {name} from {}, but {}",
                t.from,
                sh.owner.map_or("no queue owns it".into(), |o| format!("{o} owns it")),
            ));
        }
        for msg in found {
            self.report(HazardKind::OwnershipViolation, r, pass, msg);
        }
        for (kind, prior) in self.unordered_before(c, q, b.src_stages) {
            let msg = format!(
                "the release of {name} in {where_} is not ordered after {prior}{}",
                self.why(kind, q, b.src_stages)
            );
            self.report(kind, r, pass, msg);
        }
        let what = |o: &Self| format!("the release of {} in {}", o.name(c), o.at_name(at));
        self.check_available(c, b, at, &what);
        if let (Some((old, _)), false) = (b.layout, b.discard) {
            self.check_barrier_layout(c, at, old);
        }
        self.apply_scopes(c, b);
        self.shadows[c].release =
            Some(Release { from: t.from, to: t.to, layout: b.layout, point: at.point(), at });
    }

    pub(super) fn acquire(&mut self, c: usize, b: &Barrier, t: OwnershipTransfer, at: At) {
        let q = b.queue;
        let pass = at.pass();
        let r = self.shadows[c].resource;
        let name = self.name(c);
        let where_ = self.at_name(at);
        if q != t.to {
            let msg = format!("{where_} acquires {name} for {} but is recorded on {q}", t.to);
            self.report(HazardKind::OwnershipViolation, r, pass, msg);
        }
        let Some(p) = self.shadows[c].release else {
            let msg = format!(
                "{where_} acquires {name} on {} from {}, but nothing released it",
                t.to, t.from
            );
            self.report(HazardKind::OwnershipViolation, r, pass, msg);
            // Go on as if owned here, so one missing release is reported once.
            self.apply_scopes(c, b);
            let sh = &mut self.shadows[c];
            sh.owner = Some(t.to);
            if let (true, Some((_, new))) = (sh.image, b.layout) {
                sh.layout = Some(new);
            }
            return;
        };
        let fmt_layout = |l: Option<(Layout, Layout)>| {
            l.map_or("no layouts".into(), |(o, n)| format!("`{o}` to `{n}`"))
        };
        if p.from != t.from || p.to != t.to || p.layout != b.layout {
            let msg = format!(
                "{where_} acquires {name} from {} to {} with {}, but the release in {} was from {} \
                 to {} with {}",
                t.from,
                t.to,
                fmt_layout(b.layout),
                self.at_name(p.at),
                p.from,
                p.to,
                fmt_layout(p.layout),
            );
            self.report(HazardKind::OwnershipViolation, r, pass, msg);
        } else if !self.sync.chains(q, p.from, b.src_stages, p.point) {
            let msg = format!(
                "the acquire of {name} in {where_} is not ordered after the release in {}: no \
                 stage of its source scope ({}, with the logically earlier ones) waits for {} after \
                 it",
                self.at_name(p.at),
                b.src_stages,
                p.from,
            );
            self.report(HazardKind::MissingWait, r, pass, msg);
        }
        // The release, the semaphore and the acquire order every outstanding access before the
        // acquire, and the release made the last write available. From here on the acquire is
        // the last write: ordered before its destination stages on this queue and visible to its
        // destination accesses in those stages, whether or not it changes the layout.
        let sh = &mut self.shadows[c];
        sh.release = None;
        sh.owner = Some(t.to);
        if b.discard || b.layout.is_some_and(|(old, _)| old == Layout::Undefined) {
            sh.defined = false;
        }
        if let (true, Some((_, new))) = (sh.image, b.layout) {
            sh.layout = Some(new);
        }
        sh.write = Some(Write::barrier(q, Origin::Acquire(at), at, b.dst_stages, b.dst_access));
        sh.reads.clear();
    }
}
