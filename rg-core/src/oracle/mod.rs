//! The hazard oracle: an independent check of a compiled [`Plan`].
//!
//! The compiler decides where barriers go; the oracle decides nothing and only replays. It reads
//! the raw facts of a plan (the pass order, each pass's queue, accesses, waits, barriers and
//! releases, the prologue and epilogue, and each resource's lifetime, entry and exit states and
//! placement) and nothing the compiler derived for its own use: `first_use`/`last_use` only ever
//! widen the live ranges the oracle computes from the accesses, so a wrong value can add a report
//! but never hide one. Every resource gets a shadow state: its layout, its owning queue, whether
//! its contents mean anything, the last write (with the stages it is execution-ordered before on
//! each queue, and the stage and access pairs it is visible to) and the reads since. As in Vulkan,
//! a barrier acts only on the queue it is recorded on; its first scope takes in logically earlier
//! pipeline stages and its second scope logically later ones, but its access scopes do not: a
//! write is made available only by a barrier that names what it wrote in the stages it wrote in,
//! and visible only to the accesses a barrier names, in the stages it names. An access
//! stays tied to the queue and stages it ran in: a barrier there orders it even after the resource
//! has been to other queues and back, while another queue is ordered after it only through a
//! semaphore wait. Waits count per waiting stage and transitively (a wait on a pass also covers
//! whatever that pass's queue had waited for, this queue's own earlier work included), and a wait
//! is a full memory dependency for the stages it covers. An ownership acquire is an operation of
//! its own, like a layout transition: it must chain from the wait for its release, and later work
//! on the acquiring queue is ordered after it, and sees the write, only through its destination
//! scope. Aliasing is checked beside the replay: live ranges from the accesses, overlapping
//! placements found by a sort and sweep, and each hand-over's barrier checked against the previous
//! occupant's shadow state.
//!
//! The model is conservative on purpose. It grants no ordering that Vulkan gives implicitly (host
//! writes made visible by a submission, fences between frames), it tracks whole resources rather
//! than mips, layers or byte ranges, and a layout transition or acquire has no stage of its own:
//! later work is ordered after it only through a chain from its destination stages. A correct plan
//! that leans on such guarantees is reported. It is lenient in two places, to stay simple:
//! visibility is kept per stage and access but not per queue (a barrier on one queue could make a
//! write visible to a stage on another, which no correct plan needs and the ownership rules make
//! hard to reach), and a chain of waits passes through a pass whatever stages that pass waited
//! in. The cost is linear in the size of the plan, plus O(n log n + overlapping pairs) for the
//! alias sweep, so property tests can replay thousands of random plans.
//!
//! The replay is spread over files by concern: `shadow` holds the state and the scope rules,
//! `alias` the memory hand-overs, `replay` the waits and plain barriers, `transfer` the
//! ownership transfers, `accesses` the passes' accesses and `exit` the frame's end.

mod accesses;
mod alias;
mod exit;
mod replay;
mod shadow;
mod transfer;

#[cfg(test)]
mod tests;

use crate::access::StageMask;
use crate::plan::Plan;
use crate::types::QueueKind;
use shadow::{initial_state, At, Origin, Read, Shadow, Sync, Write};
use std::fmt;

/// What went wrong.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum HazardKind {
    /// An access or a layout transition is not execution-ordered after an earlier conflicting
    /// access on the same queue.
    UnorderedAccess,
    /// Ordered, but the earlier write is not made available and visible to the access.
    InvisibleWrite,
    /// An image is not in the layout an access, a barrier or the exit state expects.
    LayoutMismatch,
    /// Two resources that share memory are live at the same time.
    AliasOverlap,
    /// A dependency on another queue's work with no semaphore wait that covers it.
    MissingWait,
    /// Queue-ownership rules broken: a use without a transfer, a release with no acquire, a
    /// barrier recorded on the wrong queue.
    OwnershipViolation,
    /// An import or temporal resource is not left in the state its exit (or the next frame's
    /// entry) promises.
    ExitStateMismatch,
    /// Contents read that were never written, or were discarded.
    UndefinedRead,
}

/// One problem found in a plan.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Hazard {
    pub kind: HazardKind,
    /// Index into `Plan::resources`.
    pub resource: usize,
    /// Index into `Plan::passes`; `None` for the prologue, the epilogue and the exit checks.
    pub pass: Option<usize>,
    /// What happened, naming the resource and pass labels.
    pub message: String,
}

impl fmt::Display for Hazard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

/// Replays `plan` over a shadow state of every resource and returns every hazard, in replay order
/// (alias overlaps first). An empty list means the plan is correct under the oracle's model.
pub fn check(plan: &Plan) -> Vec<Hazard> {
    let mut oracle = Oracle::new(plan);
    oracle.check_aliasing();
    oracle.replay();
    oracle.check_exit();
    oracle.hazards
}

struct Oracle<'p> {
    plan: &'p Plan,
    shadows: Vec<Shadow>,
    /// For each resource, the earlier resources whose memory it takes over, latest first.
    preds: Vec<Vec<usize>>,
    sync: Sync,
    hazards: Vec<Hazard>,
}

impl<'p> Oracle<'p> {
    fn new(plan: &'p Plan) -> Self {
        Oracle {
            plan,
            shadows: plan.resources.iter().map(initial_state).collect(),
            preds: vec![Vec::new(); plan.resources.len()],
            sync: Sync::new(plan.passes.len()),
            hazards: Vec::new(),
        }
    }

    fn report(&mut self, kind: HazardKind, resource: usize, pass: Option<usize>, message: String) {
        self.hazards.push(Hazard { kind, resource, pass, message });
    }

    fn res(&self, r: usize) -> String {
        format!("`{}`", self.plan.resources.get(r).map_or("?", |x| &*x.label))
    }

    fn pass_name(&self, i: usize) -> String {
        match self.plan.passes.get(i) {
            Some(p) => format!("pass `{}`", p.label),
            None => format!("pass #{i}"),
        }
    }

    fn at_name(&self, at: At) -> String {
        match at {
            At::Prologue => "the prologue".into(),
            At::Batch(i) => format!("the barriers before {}", self.pass_name(i)),
            At::Release(i) => format!("the releases after {}", self.pass_name(i)),
            At::Epilogue => "the epilogue".into(),
        }
    }

    fn describe(&self, origin: Origin, verb: &str, queue: QueueKind, stages: StageMask) -> String {
        let what = match origin {
            Origin::Entry => format!("the {verb} before the frame (entry state)"),
            Origin::Access(j) => format!("the {verb} by {}", self.pass_name(j)),
            Origin::Barrier(at) => format!("the layout transition in {}", self.at_name(at)),
            Origin::Acquire(at) => format!("the ownership acquire in {}", self.at_name(at)),
        };
        if stages.is_empty() {
            format!("{what} on {queue}")
        } else {
            format!("{what} ({stages} on {queue})")
        }
    }

    fn describe_write(&self, w: &Write) -> String {
        self.describe(w.origin, "write", w.queue, w.stages)
    }

    fn describe_read(&self, r: &Read) -> String {
        self.describe(r.origin, "read", r.queue, r.stages)
    }
}
