//! The access vocabulary: what a pass does to a resource, and the abstract pipeline stages,
//! memory accesses and image layouts that follow from it. No Vulkan types: `rg-vulkan/src/conv.rs`
//! maps each of these one-to-one onto `synchronization2` flags and `VkImageLayout`.

use crate::QueueKind;
use std::fmt;

mod facts;
pub(crate) use facts::AccessFacts;
use facts::FACTS;

macro_rules! bitset {
    ($(#[$m:meta])* $name:ident : $ty:ty { $($(#[$fm:meta])* $flag:ident = $bit:expr,)* }) => {
        $(#[$m])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, Default, PartialOrd, Ord)]
        pub struct $name(pub $ty);

        impl $name {
            pub const NONE: $name = $name(0);
            $($(#[$fm])* pub const $flag: $name = $name(1 << $bit);)*
            const NAMES: &'static [(&'static str, $name)] = &[$((stringify!($flag), $name::$flag),)*];

            pub const fn bits(self) -> $ty { self.0 }
            pub const fn is_empty(self) -> bool { self.0 == 0 }
            pub const fn contains(self, other: $name) -> bool { self.0 & other.0 == other.0 }
            pub const fn intersects(self, other: $name) -> bool { self.0 & other.0 != 0 }
            pub const fn union(self, other: $name) -> $name { $name(self.0 | other.0) }
            pub const fn minus(self, other: $name) -> $name { $name(self.0 & !other.0) }
            /// Flag names, lowercase, joined by `|` (`-` when empty).
            pub fn names(self) -> String {
                if self.is_empty() {
                    return "-".into();
                }
                let mut s = String::new();
                for (n, f) in Self::NAMES {
                    if self.contains(*f) {
                        if !s.is_empty() {
                            s.push('|');
                        }
                        s.push_str(&n.to_ascii_lowercase());
                    }
                }
                s
            }
            /// Iterates over the single flags that are set.
            pub fn iter(self) -> impl Iterator<Item = $name> {
                Self::NAMES.iter().map(|(_, f)| *f).filter(move |f| self.contains(*f))
            }
        }
        impl std::ops::BitOr for $name {
            type Output = $name;
            fn bitor(self, o: $name) -> $name { self.union(o) }
        }
        impl std::ops::BitOrAssign for $name {
            fn bitor_assign(&mut self, o: $name) { self.0 |= o.0 }
        }
        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result { f.write_str(&self.names()) }
        }
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result { f.write_str(&self.names()) }
        }
    };
}

bitset! {
    /// Shader stages that touch a resource through a descriptor.
    ShaderStages: u8 {
        VERTEX = 0,
        FRAGMENT = 1,
        COMPUTE = 2,
    }
}

bitset! {
    /// Abstract pipeline stages (a subset of `VkPipelineStageFlagBits2`).
    StageMask: u16 {
        DRAW_INDIRECT = 0,
        VERTEX_INPUT = 1,
        VERTEX_SHADER = 2,
        FRAGMENT_SHADER = 3,
        EARLY_FRAGMENT_TESTS = 4,
        LATE_FRAGMENT_TESTS = 5,
        COLOR_ATTACHMENT_OUTPUT = 6,
        COMPUTE_SHADER = 7,
        TRANSFER = 8,
        HOST = 9,
    }
}

bitset! {
    /// Abstract memory accesses (a subset of `VkAccessFlagBits2`).
    AccessMask: u16 {
        INDIRECT_READ = 0,
        INDEX_READ = 1,
        VERTEX_READ = 2,
        UNIFORM_READ = 3,
        SAMPLED_READ = 4,
        STORAGE_READ = 5,
        STORAGE_WRITE = 6,
        COLOR_READ = 7,
        COLOR_WRITE = 8,
        DEPTH_READ = 9,
        DEPTH_WRITE = 10,
        TRANSFER_READ = 11,
        TRANSFER_WRITE = 12,
        HOST_READ = 13,
        HOST_WRITE = 14,
    }
}

impl AccessMask {
    /// Every access that writes memory.
    pub const WRITES: AccessMask = AccessMask(
        AccessMask::STORAGE_WRITE.0
            | AccessMask::COLOR_WRITE.0
            | AccessMask::DEPTH_WRITE.0
            | AccessMask::TRANSFER_WRITE.0
            | AccessMask::HOST_WRITE.0,
    );

    pub const fn writes(self) -> AccessMask {
        AccessMask(self.0 & Self::WRITES.0)
    }

    /// The pipeline stages that can make the access `bit` (one of the flags above): a barrier
    /// that names an access must name one of them (Vulkan's table of supported access types).
    pub const fn stages_of_bit(bit: u32) -> StageMask {
        const SHADERS: u16 =
            StageMask::VERTEX_SHADER.0 | StageMask::FRAGMENT_SHADER.0 | StageMask::COMPUTE_SHADER.0;
        const FRAGMENT_TESTS: u16 =
            StageMask::EARLY_FRAGMENT_TESTS.0 | StageMask::LATE_FRAGMENT_TESTS.0;
        StageMask(match bit {
            0 => StageMask::DRAW_INDIRECT.0,
            1 | 2 => StageMask::VERTEX_INPUT.0,
            3..=6 => SHADERS,
            7 | 8 => StageMask::COLOR_ATTACHMENT_OUTPUT.0,
            9 | 10 => FRAGMENT_TESTS,
            11 | 12 => StageMask::TRANSFER.0,
            13 | 14 => StageMask::HOST.0,
            _ => 0,
        })
    }

    /// The first access in `self` that none of `stages` can make, if any.
    pub const fn unmade_by(self, stages: StageMask) -> Option<AccessMask> {
        let mut bit = 0;
        while bit < 16 {
            if self.0 & (1 << bit) != 0 && Self::stages_of_bit(bit).0 & stages.0 == 0 {
                return Some(AccessMask(1 << bit));
            }
            bit += 1;
        }
        None
    }
}

/// The graphics and compute pipelines' stages in logical order. Transfer and host stand alone.
const PIPELINES: [&[StageMask]; 2] = [
    &[
        StageMask::DRAW_INDIRECT,
        StageMask::VERTEX_INPUT,
        StageMask::VERTEX_SHADER,
        StageMask::EARLY_FRAGMENT_TESTS,
        StageMask::FRAGMENT_SHADER,
        StageMask::LATE_FRAGMENT_TESTS,
        StageMask::COLOR_ATTACHMENT_OUTPUT,
    ],
    &[StageMask::DRAW_INDIRECT, StageMask::COMPUTE_SHADER],
];

/// The stage bits that `PIPELINES` orders.
const STAGE_BITS: usize = 10;

/// `and_later` (when `later`) or `and_earlier` of every mask of the ordered stage bits, worked
/// out once at compile time: the barrier phase asks these for every access.
const fn scope_table(later: bool) -> [u16; 1 << STAGE_BITS] {
    let mut table = [0u16; 1 << STAGE_BITS];
    let mut m = 0;
    while m < table.len() {
        let mut out = m as u16;
        let mut p = 0;
        while p < PIPELINES.len() {
            let stages = PIPELINES[p];
            // The first (for later) or last (for earlier) stage of this pipeline in the mask.
            let mut found = None;
            let mut i = 0;
            while i < stages.len() {
                if stages[i].0 & m as u16 != 0 && (found.is_none() || !later) {
                    found = Some(i);
                }
                i += 1;
            }
            if let Some(f) = found {
                let (from, to) = if later { (f, stages.len()) } else { (0, f + 1) };
                let mut i = from;
                while i < to {
                    out |= stages[i].0;
                    i += 1;
                }
            }
            p += 1;
        }
        table[m] = out;
        m += 1;
    }
    table
}

const AND_LATER: [u16; 1 << STAGE_BITS] = scope_table(true);
const AND_EARLIER: [u16; 1 << STAGE_BITS] = scope_table(false);

impl StageMask {
    /// The stages a queue of kind `q` can run (and so name in the barriers recorded on it):
    /// compute queues have no fixed-function graphics stages, transfer queues only copies. The
    /// host stage belongs to every queue.
    pub const fn on_queue(q: QueueKind) -> StageMask {
        StageMask(match q {
            QueueKind::Graphics => (1 << STAGE_BITS) - 1,
            QueueKind::Compute => {
                StageMask::DRAW_INDIRECT.0
                    | StageMask::COMPUTE_SHADER.0
                    | StageMask::TRANSFER.0
                    | StageMask::HOST.0
            }
            QueueKind::Transfer => StageMask::TRANSFER.0 | StageMask::HOST.0,
        })
    }

    /// These stages and every stage logically after one of them: what a barrier's second
    /// synchronization scope takes in when it names these.
    pub fn and_later(self) -> StageMask {
        StageMask(self.0 | AND_LATER[(self.0 as usize) & ((1 << STAGE_BITS) - 1)])
    }

    /// These stages and every stage logically before one of them: what a barrier's first
    /// synchronization scope takes in when it names these.
    pub fn and_earlier(self) -> StageMask {
        StageMask(self.0 | AND_EARLIER[(self.0 as usize) & ((1 << STAGE_BITS) - 1)])
    }
}

impl ShaderStages {
    /// Every stage there is.
    pub const KNOWN: ShaderStages =
        ShaderStages(Self::VERTEX.0 | Self::FRAGMENT.0 | Self::COMPUTE.0);

    /// The pipeline stages these shader stages run in.
    pub const fn pipeline_stages(self) -> StageMask {
        let mut s = 0;
        if self.contains(ShaderStages::VERTEX) {
            s |= StageMask::VERTEX_SHADER.0;
        }
        if self.contains(ShaderStages::FRAGMENT) {
            s |= StageMask::FRAGMENT_SHADER.0;
        }
        if self.contains(ShaderStages::COMPUTE) {
            s |= StageMask::COMPUTE_SHADER.0;
        }
        StageMask(s)
    }
}

/// The layout class an image is in. Buffers have none.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Layout {
    /// Contents are undefined; only valid as the old layout of a transition that discards.
    Undefined,
    General,
    ColorAttachment,
    DepthAttachment,
    DepthReadOnly,
    ShaderReadOnly,
    TransferSrc,
    TransferDst,
    Present,
}

impl Layout {
    pub const fn name(self) -> &'static str {
        match self {
            Layout::Undefined => "undefined",
            Layout::General => "general",
            Layout::ColorAttachment => "color-attachment",
            Layout::DepthAttachment => "depth-attachment",
            Layout::DepthReadOnly => "depth-read-only",
            Layout::ShaderReadOnly => "shader-read-only",
            Layout::TransferSrc => "transfer-src",
            Layout::TransferDst => "transfer-dst",
            Layout::Present => "present",
        }
    }
}

impl fmt::Display for Layout {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What a pass does to one resource. Reads go through `PassBuilder::read`, writes (including
/// read-modify-write) through `PassBuilder::write`, which returns the next version of the handle.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Access {
    /// Image sampled through a combined image sampler or sampled image.
    Sampled(ShaderStages),
    /// Buffer read as a uniform buffer.
    Uniform(ShaderStages),
    /// Storage image or storage buffer, read only.
    StorageRead(ShaderStages),
    /// Storage image or storage buffer, written without reading the old contents.
    StorageWrite(ShaderStages),
    /// Storage image or storage buffer, read and written (atomics, in-place updates).
    StorageReadWrite(ShaderStages),
    /// Buffer of indirect draw or dispatch arguments (and draw counts).
    ///
    /// A transient buffer accessed this way anywhere in the frame gets memory of its own for
    /// the whole frame: no other transient is aliased with it, whatever their lifetimes.
    /// Several vendors' drivers have crashed on indirect arguments in aliased memory, and
    /// Unreal's RDG keeps them out of its transient aliasing for that reason.
    IndirectArgs,
    /// Buffer of vertex attributes.
    VertexBuffer,
    /// Buffer of indices.
    IndexBuffer,
    /// Colour attachment written from scratch (cleared or fully overwritten).
    ColorWrite,
    /// Colour attachment loaded and written (blending, accumulation).
    ColorReadWrite,
    /// Depth attachment tested but not written.
    DepthRead,
    /// Depth attachment cleared and written.
    DepthWrite,
    /// Depth attachment loaded, tested and written.
    DepthReadWrite,
    /// Source of a copy or blit.
    CopySrc,
    /// Destination of a copy, blit or clear.
    CopyDst,
    /// Mapped and read by the host after the frame's work is done (readback).
    HostRead,
}

/// The kind of resource an access is made to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ResourceKind {
    Image,
    Buffer,
}

impl ResourceKind {
    pub const fn name(self) -> &'static str {
        match self {
            ResourceKind::Image => "image",
            ResourceKind::Buffer => "buffer",
        }
    }
}

bitset! {
    /// Usage flags inferred from the accesses a resource sees.
    Usage: u16 {
        SAMPLED = 0,
        STORAGE = 1,
        COLOR_ATTACHMENT = 2,
        DEPTH_ATTACHMENT = 3,
        TRANSFER_SRC = 4,
        TRANSFER_DST = 5,
        UNIFORM = 6,
        INDIRECT = 7,
        VERTEX = 8,
        INDEX = 9,
    }
}

impl Access {
    /// Whether the access produces new contents (a write returns the next version).
    pub const fn writes(self) -> bool {
        use Access::*;
        matches!(
            self,
            StorageWrite(_)
                | StorageReadWrite(_)
                | ColorWrite
                | ColorReadWrite
                | DepthWrite
                | DepthReadWrite
                | CopyDst
        )
    }

    /// Whether the access depends on the resource's previous contents.
    pub const fn reads_contents(self) -> bool {
        use Access::*;
        !matches!(self, StorageWrite(_) | ColorWrite | DepthWrite | CopyDst)
    }

    /// The pipeline stages in which the access happens.
    pub const fn stages(self) -> StageMask {
        use Access::*;
        match self {
            Sampled(s) | Uniform(s) | StorageRead(s) | StorageWrite(s) | StorageReadWrite(s) => {
                s.pipeline_stages()
            }
            IndirectArgs => StageMask::DRAW_INDIRECT,
            VertexBuffer | IndexBuffer => StageMask::VERTEX_INPUT,
            ColorWrite | ColorReadWrite => StageMask::COLOR_ATTACHMENT_OUTPUT,
            DepthRead | DepthWrite | DepthReadWrite => {
                StageMask(StageMask::EARLY_FRAGMENT_TESTS.0 | StageMask::LATE_FRAGMENT_TESTS.0)
            }
            CopySrc | CopyDst => StageMask::TRANSFER,
            HostRead => StageMask::HOST,
        }
    }

    /// The memory accesses it makes.
    pub const fn memory(self) -> AccessMask {
        use Access::*;
        match self {
            Sampled(_) => AccessMask::SAMPLED_READ,
            Uniform(_) => AccessMask::UNIFORM_READ,
            StorageRead(_) => AccessMask::STORAGE_READ,
            StorageWrite(_) => AccessMask::STORAGE_WRITE,
            StorageReadWrite(_) => {
                AccessMask(AccessMask::STORAGE_READ.0 | AccessMask::STORAGE_WRITE.0)
            }
            IndirectArgs => AccessMask::INDIRECT_READ,
            VertexBuffer => AccessMask::VERTEX_READ,
            IndexBuffer => AccessMask::INDEX_READ,
            ColorWrite => AccessMask::COLOR_WRITE,
            ColorReadWrite => AccessMask(AccessMask::COLOR_READ.0 | AccessMask::COLOR_WRITE.0),
            DepthRead => AccessMask::DEPTH_READ,
            // The depth test reads what the pass itself writes, so a depth write reads too.
            DepthWrite | DepthReadWrite => {
                AccessMask(AccessMask::DEPTH_READ.0 | AccessMask::DEPTH_WRITE.0)
            }
            CopySrc => AccessMask::TRANSFER_READ,
            CopyDst => AccessMask::TRANSFER_WRITE,
            HostRead => AccessMask::HOST_READ,
        }
    }

    /// The layout an image must be in for this access. Depth images that are sampled use the
    /// depth read-only layout, so a depth test and a sampling read need no transition between them.
    pub const fn layout(self, depth: bool) -> Layout {
        use Access::*;
        match self {
            Sampled(_) if depth => Layout::DepthReadOnly,
            Sampled(_) => Layout::ShaderReadOnly,
            StorageRead(_) | StorageWrite(_) | StorageReadWrite(_) => Layout::General,
            ColorWrite | ColorReadWrite => Layout::ColorAttachment,
            DepthRead => Layout::DepthReadOnly,
            DepthWrite | DepthReadWrite => Layout::DepthAttachment,
            CopySrc => Layout::TransferSrc,
            CopyDst => Layout::TransferDst,
            // Buffer-only accesses; never asked for an image.
            Uniform(_) | IndirectArgs | VertexBuffer | IndexBuffer | HostRead => Layout::General,
        }
    }

    /// The usage flag the access needs.
    pub const fn usage(self) -> Usage {
        use Access::*;
        match self {
            Sampled(_) => Usage::SAMPLED,
            Uniform(_) => Usage::UNIFORM,
            StorageRead(_) | StorageWrite(_) | StorageReadWrite(_) => Usage::STORAGE,
            IndirectArgs => Usage::INDIRECT,
            VertexBuffer => Usage::VERTEX,
            IndexBuffer => Usage::INDEX,
            ColorWrite | ColorReadWrite => Usage::COLOR_ATTACHMENT,
            DepthRead | DepthWrite | DepthReadWrite => Usage::DEPTH_ATTACHMENT,
            CopySrc => Usage::TRANSFER_SRC,
            CopyDst => Usage::TRANSFER_DST,
            HostRead => Usage::NONE,
        }
    }

    /// Why this access cannot be made to a resource of this kind and format, if it cannot.
    pub const fn misfit(self, kind: ResourceKind, depth_format: bool) -> Option<&'static str> {
        use Access::*;
        match (self, kind) {
            (
                Sampled(s) | Uniform(s) | StorageRead(s) | StorageWrite(s) | StorageReadWrite(s),
                _,
            ) if s.0 & !ShaderStages::KNOWN.0 != 0 => {
                Some("names shader stage bits that stand for no stage")
            }
            (
                Sampled(s) | Uniform(s) | StorageRead(s) | StorageWrite(s) | StorageReadWrite(s),
                _,
            ) if s.is_empty() => Some("names no shader stage"),
            (Sampled(_), ResourceKind::Buffer) => {
                Some("samples a buffer (use Uniform or StorageRead)")
            }
            (
                Uniform(_) | IndirectArgs | VertexBuffer | IndexBuffer | HostRead,
                ResourceKind::Image,
            ) => Some("is a buffer-only access"),
            (ColorWrite | ColorReadWrite, ResourceKind::Buffer)
            | (DepthRead | DepthWrite | DepthReadWrite, ResourceKind::Buffer) => {
                Some("is an attachment access, for images only")
            }
            (ColorWrite | ColorReadWrite, ResourceKind::Image) if depth_format => {
                Some("uses a depth image as a colour attachment")
            }
            (DepthRead | DepthWrite | DepthReadWrite, ResourceKind::Image) if !depth_format => {
                Some("uses a colour image as a depth attachment")
            }
            (StorageRead(_) | StorageWrite(_) | StorageReadWrite(_), ResourceKind::Image)
                if depth_format =>
            {
                Some("uses a depth image as a storage image")
            }
            _ => None,
        }
    }

    /// Whether a queue of this kind can make the access.
    pub const fn fits_queue(self, queue: QueueKind) -> bool {
        use Access::*;
        match queue {
            QueueKind::Graphics => true,
            QueueKind::Compute => match self {
                Sampled(s) | Uniform(s) | StorageRead(s) | StorageWrite(s)
                | StorageReadWrite(s) => ShaderStages::COMPUTE.contains(s),
                IndirectArgs | CopySrc | CopyDst | HostRead => true,
                _ => false,
            },
            QueueKind::Transfer => matches!(self, CopySrc | CopyDst | HostRead),
        }
    }

    /// A short stable name for printing, e.g. `storage-rw(compute)`.
    pub fn name(self) -> String {
        use Access::*;
        let st = |n: &str, s: ShaderStages| format!("{n}({})", s.names());
        match self {
            Sampled(s) => st("sampled", s),
            Uniform(s) => st("uniform", s),
            StorageRead(s) => st("storage-r", s),
            StorageWrite(s) => st("storage-w", s),
            StorageReadWrite(s) => st("storage-rw", s),
            IndirectArgs => "indirect".into(),
            VertexBuffer => "vertex".into(),
            IndexBuffer => "index".into(),
            ColorWrite => "color-w".into(),
            ColorReadWrite => "color-rw".into(),
            DepthRead => "depth-r".into(),
            DepthWrite => "depth-w".into(),
            DepthReadWrite => "depth-rw".into(),
            CopySrc => "copy-src".into(),
            CopyDst => "copy-dst".into(),
            HostRead => "host-read".into(),
        }
    }

    /// The variant's number and its shader stages (0 for variants without).
    const fn tag_and_stages(self) -> (usize, u8) {
        use Access::*;
        match self {
            Sampled(s) => (0, s.0),
            Uniform(s) => (1, s.0),
            StorageRead(s) => (2, s.0),
            StorageWrite(s) => (3, s.0),
            StorageReadWrite(s) => (4, s.0),
            IndirectArgs => (5, 0),
            VertexBuffer => (6, 0),
            IndexBuffer => (7, 0),
            ColorWrite => (8, 0),
            ColorReadWrite => (9, 0),
            DepthRead => (10, 0),
            DepthWrite => (11, 0),
            DepthReadWrite => (12, 0),
            CopySrc => (13, 0),
            CopyDst => (14, 0),
            HostRead => (15, 0),
        }
    }

    /// The access of variant `tag` with shader stages `s` (which the variant may ignore).
    const fn from_tag(tag: usize, s: u8) -> Access {
        use Access::*;
        let s = ShaderStages(s);
        match tag {
            0 => Sampled(s),
            1 => Uniform(s),
            2 => StorageRead(s),
            3 => StorageWrite(s),
            4 => StorageReadWrite(s),
            5 => IndirectArgs,
            6 => VertexBuffer,
            7 => IndexBuffer,
            8 => ColorWrite,
            9 => ColorReadWrite,
            10 => DepthRead,
            11 => DepthWrite,
            12 => DepthReadWrite,
            13 => CopySrc,
            14 => CopyDst,
            _ => HostRead,
        }
    }

    /// What the compiler asks of an access, worked out once: a table look-up for every access
    /// whose shader stages are among the known ones.
    #[inline]
    pub(crate) fn facts(self) -> AccessFacts {
        let (tag, s) = self.tag_and_stages();
        if s < 8 {
            FACTS[tag * 8 + s as usize]
        } else {
            AccessFacts::of(self)
        }
    }

    pub(crate) fn code(self) -> u32 {
        let (tag, s) = self.tag_and_stages();
        (tag as u32) << 8 | s as u32
    }
}

impl fmt::Display for Access {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name())
    }
}

/// The state a resource is in at a frame boundary: its layout, the queue that owns it, and the
/// stages and accesses of the last use before (at entry) or the first use after (at exit) the
/// frame's work.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ResourceState {
    /// `None` for buffers. `Some(Layout::Undefined)` at entry means the contents are not needed.
    pub layout: Option<Layout>,
    pub queue: QueueKind,
    pub stages: StageMask,
    pub access: AccessMask,
}

impl ResourceState {
    /// A swapchain image just acquired: contents undefined, the acquire semaphore is waited on at
    /// the colour output stage.
    pub const fn swapchain_acquired() -> Self {
        Self {
            layout: Some(Layout::Undefined),
            queue: QueueKind::Graphics,
            stages: StageMask::COLOR_ATTACHMENT_OUTPUT,
            access: AccessMask::NONE,
        }
    }

    /// An image whose contents are not needed when the frame starts (its layout undefined),
    /// on `queue`: an output the frame writes whole.
    pub const fn undefined(queue: QueueKind) -> Self {
        Self {
            layout: Some(Layout::Undefined),
            queue,
            stages: StageMask::NONE,
            access: AccessMask::NONE,
        }
    }

    /// A swapchain image handed to the presentation engine.
    pub const fn present() -> Self {
        Self {
            layout: Some(Layout::Present),
            queue: QueueKind::Graphics,
            stages: StageMask::NONE,
            access: AccessMask::NONE,
        }
    }

    /// An image that stays readable by shaders between frames.
    pub const fn shader_read(queue: QueueKind, stages: StageMask) -> Self {
        Self {
            layout: Some(Layout::ShaderReadOnly),
            queue,
            stages,
            access: AccessMask::SAMPLED_READ,
        }
    }

    /// A buffer last written by the host (uploaded data).
    pub const fn host_written(queue: QueueKind) -> Self {
        Self { layout: None, queue, stages: StageMask::HOST, access: AccessMask::HOST_WRITE }
    }

    /// A buffer read by the host after the frame.
    pub const fn host_read(queue: QueueKind) -> Self {
        Self { layout: None, queue, stages: StageMask::HOST, access: AccessMask::HOST_READ }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The tables agree with the definition: a pipeline's stages from its first named one on
    /// (later), or up to its last named one (earlier).
    #[test]
    fn scope_tables_follow_the_pipelines() {
        for m in 0..1u16 << STAGE_BITS {
            let mask = StageMask(m);
            let (mut later, mut earlier) = (mask, mask);
            for p in PIPELINES {
                if let Some(i) = p.iter().position(|s| mask.intersects(*s)) {
                    p[i..].iter().for_each(|s| later |= *s);
                }
                if let Some(i) = p.iter().rposition(|s| mask.intersects(*s)) {
                    p[..=i].iter().for_each(|s| earlier |= *s);
                }
            }
            assert_eq!(mask.and_later(), later, "{mask}");
            assert_eq!(mask.and_earlier(), earlier, "{mask}");
        }
    }
}
