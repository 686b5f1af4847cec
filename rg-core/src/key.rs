//! The compile cache's key: everything a graph declares, as words, appended as the user
//! declares it, so that a frame whose structure did not change is recognised with one hash and
//! one comparison. Every bit that can change a plan is in it; labels go in as hashes and are
//! compared in full on a hit.

use crate::graph::{Desc, Lifetime};

/// FNV-1a over the bytes of a label, for the compile cache's key.
pub(crate) fn hash_str(s: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in s.as_bytes() {
        h = (h ^ b as u64).wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// Appends a resource's declaration to the key: its kind, lifetime, label hash, size and
/// (for imports) entry and exit states.
pub(crate) fn key_resource(
    key: &mut Vec<u64>,
    graph: u32,
    label: &str,
    desc: &Desc,
    lifetime: &Lifetime,
) {
    let life = match lifetime {
        Lifetime::Transient => 0u64,
        Lifetime::Temporal => 1,
        Lifetime::Imported { .. } => 2,
    };
    let image = matches!(desc, Desc::Image(_)) as u64;
    key.push(1 << 60 | image << 58 | life << 56 | hash_str(label) >> 16);
    match *desc {
        Desc::Buffer(b) => key.push(b.size),
        Desc::Image(d) => {
            let (tag, a, b, c) = match d.size {
                crate::Size::Absolute(e) => (0u64, e.width, e.height, None),
                crate::Size::Output { sx, sy } => (1, sx.to_bits(), sy.to_bits(), None),
                crate::Size::Image { image, sx, sy } => (
                    2,
                    sx.to_bits(),
                    sy.to_bits(),
                    Some(image.index as u64 | ((image.graph == graph) as u64) << 32),
                ),
            };
            // Sample and mip counts over 255 (mistakes, which the compile reports) take a
            // word of their own.
            let wide = d.samples > 0xff || d.mip_levels > 0xff;
            key.push(
                1 << 63
                    | (wide as u64) << 62
                    | tag << 60
                    | (d.format.code() as u64) << 48
                    | (d.samples as u64 & 0xff) << 40
                    | (d.mip_levels as u64 & 0xff) << 32
                    | d.array_layers as u64,
            );
            if wide {
                key.push((d.samples as u64) << 32 | d.mip_levels as u64);
            }
            key.push((a as u64) << 32 | b as u64);
            if let Some(c) = c {
                key.push(c);
            }
        }
    }
    if let Lifetime::Imported { entry, exit } = *lifetime {
        for s in [entry, exit] {
            key.push(
                (s.layout.map_or(0xff, |l| l as u64)) << 48
                    | (s.queue as u64) << 40
                    | (s.stages.0 as u64) << 16
                    | s.access.0 as u64,
            );
        }
    }
}
