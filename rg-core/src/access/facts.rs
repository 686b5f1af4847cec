//! What the compiler's phases ask of an access, worked out once per variant.

use super::*;

/// The properties of an access the compiler's phases ask for, in one small record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct AccessFacts {
    pub stages: StageMask,
    pub memory: AccessMask,
    pub usage: Usage,
    /// The layout for a colour image and for a depth image.
    pub layout: [Layout; 2],
    pub writes: bool,
    pub reads: bool,
    /// What it can be made to and on: `FITS_*` bits for the resource, `on_queue` bits for
    /// the queues.
    pub fits: u8,
}

impl AccessFacts {
    pub const FITS_BUFFER: u8 = 1;
    pub const FITS_COLOUR_IMAGE: u8 = 2;
    pub const FITS_DEPTH_IMAGE: u8 = 4;

    /// The [`AccessFacts::fits`] bit for a queue.
    pub const fn on_queue(q: QueueKind) -> u8 {
        8 << q.index()
    }

    pub(super) const fn of(a: Access) -> AccessFacts {
        let mut fits = 0;
        if a.misfit(ResourceKind::Buffer, false).is_none() {
            fits |= Self::FITS_BUFFER;
        }
        if a.misfit(ResourceKind::Image, false).is_none() {
            fits |= Self::FITS_COLOUR_IMAGE;
        }
        if a.misfit(ResourceKind::Image, true).is_none() {
            fits |= Self::FITS_DEPTH_IMAGE;
        }
        let mut q = 0;
        while q < 3 {
            if a.fits_queue(QueueKind::ALL[q]) {
                fits |= Self::on_queue(QueueKind::ALL[q]);
            }
            q += 1;
        }
        AccessFacts {
            fits,
            stages: a.stages(),
            memory: a.memory(),
            usage: a.usage(),
            layout: [a.layout(false), a.layout(true)],
            writes: a.writes(),
            reads: a.reads_contents(),
        }
    }
}

/// [`AccessFacts`] of every variant with every combination of the known shader stages, at
/// `variant * 8 + stages`.
pub(super) static FACTS: [AccessFacts; 128] = {
    let mut t = [AccessFacts::of(Access::HostRead); 128];
    let mut i = 0;
    while i < 128 {
        t[i] = AccessFacts::of(Access::from_tag(i / 8, (i % 8) as u8));
        i += 1;
    }
    t
};

#[cfg(test)]
mod facts_tests {
    use super::*;

    #[test]
    fn the_facts_table_agrees_with_the_methods() {
        for tag in 0..16 {
            for stages in 0..=255u8 {
                let a = Access::from_tag(tag, stages);
                assert_eq!(a.tag_and_stages().0, tag);
                assert_eq!(a.facts(), AccessFacts::of(a), "{a:?}");
            }
        }
    }

    /// What the compiler asks of import states, every access it declares itself meets: its
    /// memory accesses are made by its stages, which run on every queue it fits.
    #[test]
    fn accesses_name_stages_that_make_them_on_queues_that_have_them() {
        for tag in 0..16 {
            for stages in 1..8u8 {
                let a = Access::from_tag(tag, stages);
                let f = a.facts();
                assert_eq!(f.memory.unmade_by(f.stages), None, "{a:?}");
                for q in QueueKind::ALL {
                    if f.fits & AccessFacts::on_queue(q) != 0 {
                        let foreign = f.stages.minus(StageMask::on_queue(q));
                        assert!(foreign.is_empty(), "{a:?} on {q}: {foreign}");
                    }
                }
            }
        }
    }
}
