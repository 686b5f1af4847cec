//! Cross-queue waits: which point of another queue each stage of a queue has already waited
//! for, and the semaphore waits a pass needs beyond those.

use super::state::bits;
use super::NONE;
use crate::access::StageMask;
use crate::plan::{Wait, WaitPoint};
use crate::types::QueueKind;

/// A semaphore wait a pass wants: on `queue`'s work up to `point` (-1: the frame's entry),
/// before its `stages`. `from`: stages that the first scope of a barrier the pass records for
/// it (an ownership acquire, a layout transition, a hand-over of memory) certainly names, its
/// second scope being `stages`; none where the pass may record no barrier. A wait the queue
/// made earlier for any stage of `from` then already reaches `stages` through that barrier.
#[derive(Clone, Copy, Debug)]
pub(super) struct Want {
    pub queue: QueueKind,
    pub point: i32,
    pub stages: StageMask,
    pub from: StageMask,
}

/// `waited[q][q2][stage bit]`: the latest point of queue `q2` that queue `q` has waited for
/// before that stage of its later work.
pub(super) type Waited = [[[i32; 16]; 3]; 3];

/// Whether queue `q`'s waits already order `q2`'s work up to `point` before all of `stages`.
#[inline]
pub(super) fn by_wait_point(
    waited: &Waited,
    q: QueueKind,
    q2: QueueKind,
    stages: StageMask,
    point: i32,
) -> bool {
    let seen = &waited[q.index()][q2.index()];
    !stages.is_empty() && bits(stages.0).all(|bit| seen[bit] >= point)
}

/// As [`by_wait_point`], for the work of a pass (`NONE`: the frame's entry).
#[inline]
pub(super) fn by_wait(
    waited: &Waited,
    q: QueueKind,
    q2: QueueKind,
    stages: StageMask,
    pass: u32,
) -> bool {
    by_wait_point(waited, q, q2, stages, point(pass))
}

/// A pass's position as a wait point (`NONE`, the frame's entry, is -1).
#[inline]
pub(super) fn point(pass: u32) -> i32 {
    if pass == NONE {
        -1
    } else {
        pass as i32
    }
}

/// Turns the waits a pass wants into its `Wait`s, skipping what its queue already waited for
/// (directly, or through the barrier a want comes with), and records in `waited` what they
/// reach (transitively, through what the waited queue had waited for).
pub(super) fn emit_waits(
    wanted: &[Want],
    q: QueueKind,
    waited: &mut Waited,
    done: &[[i32; 3]],
    waits: &mut Vec<Wait>,
) {
    let qi = q.index();
    for &Want { queue: oq, point: pt, stages, from } in wanted {
        if by_wait_point(waited, q, oq, stages, pt) {
            continue;
        }
        // The barrier's first scope takes in every earlier wait for one of its stages.
        if bits(from.0).any(|bit| waited[q.index()][oq.index()][bit] >= pt) {
            continue;
        }
        let point = if pt < 0 { WaitPoint::Prologue } else { WaitPoint::Pass(pt as usize) };
        match waits.iter_mut().find(|w| w.queue == oq) {
            Some(w) => {
                if point > w.point {
                    w.point = point;
                }
                w.stages |= stages;
            }
            None => waits.push(Wait { queue: oq, point, stages }),
        }
    }
    // A wait that another wait of the same pass already reaches (through what that queue
    // waited for) is dropped.
    let reach = |w: &Wait| match w.point {
        WaitPoint::Prologue => {
            let mut r = [-2i32; 3];
            r[w.queue.index()] = -1;
            r
        }
        WaitPoint::Pass(j) => done[j],
    };
    let pt = |w: &Wait| match w.point {
        WaitPoint::Prologue => -1,
        WaitPoint::Pass(j) => j as i32,
    };
    let mut i = 0;
    while i < waits.len() {
        let w = waits[i];
        let implied = waits.iter().enumerate().any(|(k, o)| {
            k != i && reach(o)[w.queue.index()] >= pt(&w) && o.stages.and_later().contains(w.stages)
        });
        if implied {
            waits.remove(i);
        } else {
            i += 1;
        }
    }
    for w in waits.iter() {
        let reached = match w.point {
            WaitPoint::Prologue => {
                let mut r = [-2i32; 3];
                r[w.queue.index()] = -1;
                r
            }
            WaitPoint::Pass(j) => done[j],
        };
        let stages = w.stages.and_later();
        for (q3, reach) in reached.iter().enumerate() {
            for bit in bits(stages.0) {
                let e = &mut waited[qi][q3][bit];
                *e = (*e).max(*reach);
            }
        }
    }
}
