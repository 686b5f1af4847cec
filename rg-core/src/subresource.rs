//! Parts of images: a range of mip levels and array layers that an access names, so a pyramid
//! is built one level a pass and cascades are rendered one layer a pass, each with exactly the
//! barriers its part needs.

/// A range of an image's mip levels and array layers. A count of [`Subresource::REST`] means
/// "to the last one", so [`Subresource::ALL`] names every level and layer whatever the image
/// has. Buffers are always named whole.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Subresource {
    pub base_mip: u32,
    pub mip_count: u32,
    pub base_layer: u32,
    pub layer_count: u32,
}

impl Subresource {
    /// A count meaning "from the base to the last".
    pub const REST: u32 = u32::MAX;
    /// Every mip level and every layer.
    pub const ALL: Subresource =
        Subresource { base_mip: 0, mip_count: Self::REST, base_layer: 0, layer_count: Self::REST };

    /// Explicit counts for an image of `mips` levels and `layers` layers, or `None` when the
    /// range is empty or reaches past the image.
    pub const fn resolve(self, mips: u32, layers: u32) -> Option<Subresource> {
        let mip_count = if self.mip_count == Self::REST {
            mips.saturating_sub(self.base_mip)
        } else {
            self.mip_count
        };
        let layer_count = if self.layer_count == Self::REST {
            layers.saturating_sub(self.base_layer)
        } else {
            self.layer_count
        };
        let mips_fit = mip_count > 0 && (self.base_mip as u64 + mip_count as u64) <= mips as u64;
        let layers_fit =
            layer_count > 0 && (self.base_layer as u64 + layer_count as u64) <= layers as u64;
        if mips_fit && layers_fit {
            Some(Subresource {
                base_mip: self.base_mip,
                mip_count,
                base_layer: self.base_layer,
                layer_count,
            })
        } else {
            None
        }
    }

    /// Whether the two (resolved) ranges share a mip level of a layer.
    pub const fn overlaps(self, other: Subresource) -> bool {
        self.base_mip < other.base_mip.saturating_add(other.mip_count)
            && other.base_mip < self.base_mip.saturating_add(self.mip_count)
            && self.base_layer < other.base_layer.saturating_add(other.layer_count)
            && other.base_layer < self.base_layer.saturating_add(self.layer_count)
    }

    /// Whether this (resolved) range is every level and layer of an image of `mips` levels and
    /// `layers` layers.
    pub const fn is_whole(self, mips: u32, layers: u32) -> bool {
        self.base_mip == 0
            && self.base_layer == 0
            && (self.mip_count == Self::REST || self.mip_count == mips)
            && (self.layer_count == Self::REST || self.layer_count == layers)
    }
}

impl std::fmt::Display for Subresource {
    /// `mip 3`, `mips 0..4`, `layer 2`, `layers 0..4`, joined by a space; `all` for everything.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        fn part(
            f: &mut std::fmt::Formatter<'_>,
            one: &str,
            many: &str,
            base: u32,
            count: u32,
        ) -> std::fmt::Result {
            match count {
                Subresource::REST if base == 0 => Ok(()),
                Subresource::REST => write!(f, "{many} {base}.."),
                1 => write!(f, "{one} {base}"),
                n => write!(f, "{many} {base}..{}", base as u64 + n as u64),
            }
        }
        if *self == Subresource::ALL {
            return f.write_str("all");
        }
        part(f, "mip", "mips", self.base_mip, self.mip_count)?;
        let mips_named = !(self.base_mip == 0 && self.mip_count == Self::REST);
        let layers_named = !(self.base_layer == 0 && self.layer_count == Self::REST);
        if mips_named && layers_named {
            f.write_str(" ")?;
        }
        part(f, "layer", "layers", self.base_layer, self.layer_count)
    }
}
