//! Declaring a frame: resources, passes and the accesses between them.
//!
//! Declaring never fails. Every mistake (a stale handle, a read before any write, an access that
//! does not fit) is recorded as it was declared, with its `#[track_caller]` site, and reported all
//! at once by [`crate::Compiler::compile`]. Handles are typed, `Copy` and versioned: writing
//! through version `v` returns version `v + 1`, so data flow is explicit in the user's code.

use crate::access::{Access, ResourceKind, ResourceState};
pub(crate) use crate::key::hash_str;
use crate::key::key_resource;
pub use crate::subresource::Subresource;
use crate::types::{BufferDesc, Extent, ImageDesc, QueueKind, Size};
use std::panic::Location;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

/// Where something was declared in the user's source.
pub type Site = &'static Location<'static>;

static NEXT_GRAPH_ID: AtomicU32 = AtomicU32::new(1);

macro_rules! handle {
    ($name:ident) => {
        impl $name {
            /// The resource's index in its graph (and in the compiled plan's resource list).
            pub const fn index(self) -> usize {
                self.index as usize
            }
            /// The version this handle names: 0 is the contents at the start of the frame.
            pub const fn version(self) -> u32 {
                self.version
            }
            /// The id of the graph the handle belongs to (see [`Graph::id`]).
            pub const fn graph(self) -> u32 {
                self.graph
            }
        }
    };
}

/// A version of an image in one graph, and the part of it an access names: every mip level
/// and layer unless narrowed with [`ImageHandle::mip`], [`ImageHandle::mips`],
/// [`ImageHandle::layer`] or [`ImageHandle::layers`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ImageHandle {
    pub(crate) graph: u32,
    pub(crate) index: u32,
    pub(crate) version: u32,
    pub(crate) sub: Subresource,
}

/// A version of a buffer in one graph.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct BufferHandle {
    pub(crate) graph: u32,
    pub(crate) index: u32,
    pub(crate) version: u32,
}

handle!(ImageHandle);
handle!(BufferHandle);

impl ImageHandle {
    /// The same image and version, naming mip level `level` only (of the layers it named).
    #[must_use]
    pub const fn mip(self, level: u32) -> Self {
        self.mips(level, 1)
    }

    /// The same image and version, naming `count` mip levels from `base`.
    #[must_use]
    pub const fn mips(mut self, base: u32, count: u32) -> Self {
        self.sub.base_mip = base;
        self.sub.mip_count = count;
        self
    }

    /// The same image and version, naming array layer `layer` only (of the mips it named).
    #[must_use]
    pub const fn layer(self, layer: u32) -> Self {
        self.layers(layer, 1)
    }

    /// The same image and version, naming `count` array layers from `base`.
    #[must_use]
    pub const fn layers(mut self, base: u32, count: u32) -> Self {
        self.sub.base_layer = base;
        self.sub.layer_count = count;
        self
    }

    /// The same image and version, naming all of it.
    #[must_use]
    pub const fn whole(mut self) -> Self {
        self.sub = Subresource::ALL;
        self
    }

    /// The mip levels and layers this handle names.
    pub const fn subresource(self) -> Subresource {
        self.sub
    }

    pub(crate) const fn raw(self) -> RawHandle {
        RawHandle { graph: self.graph, index: self.index, version: self.version, sub: self.sub }
    }
}

impl BufferHandle {
    pub(crate) const fn raw(self) -> RawHandle {
        RawHandle {
            graph: self.graph,
            index: self.index,
            version: self.version,
            sub: Subresource::ALL,
        }
    }
}

impl From<ImageHandle> for RawHandle {
    fn from(h: ImageHandle) -> RawHandle {
        h.raw()
    }
}

impl From<BufferHandle> for RawHandle {
    fn from(h: BufferHandle) -> RawHandle {
        h.raw()
    }
}

/// A handle with its type erased.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct RawHandle {
    pub(crate) graph: u32,
    pub(crate) index: u32,
    pub(crate) version: u32,
    /// [`Subresource::ALL`] for buffers.
    pub(crate) sub: Subresource,
}

/// A handle of either type; lets `read` and `write` take both.
pub trait Handle: Copy + Into<RawHandle> {
    #[doc(hidden)]
    const KIND: ResourceKind;
    #[doc(hidden)]
    fn with_version(self, version: u32) -> Self;
}

impl Handle for ImageHandle {
    const KIND: ResourceKind = ResourceKind::Image;
    /// A write names the part of the image it writes; the new version it returns names all of
    /// it again, since later passes usually read the whole result.
    fn with_version(self, version: u32) -> Self {
        Self { version, sub: Subresource::ALL, ..self }
    }
}

impl Handle for BufferHandle {
    const KIND: ResourceKind = ResourceKind::Buffer;
    fn with_version(self, version: u32) -> Self {
        Self { version, ..self }
    }
}

/// A pass of one graph: its index in declaration order, and the graph's id.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PassId {
    pub(crate) graph: u32,
    pub(crate) index: u32,
}

impl PassId {
    /// The pass's index in declaration order.
    pub const fn index(self) -> usize {
        self.index as usize
    }

    /// The id of the graph the pass belongs to (see [`Graph::id`]).
    pub const fn graph(self) -> u32 {
        self.graph
    }
}

impl From<PassId> for usize {
    /// The pass's index in declaration order.
    fn from(p: PassId) -> usize {
        p.index()
    }
}

/// How a resource lives.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Lifetime {
    /// Created and discarded within the frame; placed in shared heaps.
    Transient,
    /// Owned outside the graph, in a known state at entry, left in a required state at exit.
    Imported { entry: ResourceState, exit: ResourceState },
    /// Persistent and carried from frame to frame (history); version 0 is last frame's contents.
    Temporal,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Desc {
    Image(ImageDesc),
    Buffer(BufferDesc),
}

#[derive(Clone, Debug)]
pub(crate) struct ResourceDecl {
    pub label: Arc<str>,
    pub desc: Desc,
    pub lifetime: Lifetime,
    pub site: Site,
    /// Number of versions handed out so far (version 0 exists from creation).
    pub versions: u32,
}

impl ResourceDecl {
    pub fn kind(&self) -> ResourceKind {
        match self.desc {
            Desc::Image(_) => ResourceKind::Image,
            Desc::Buffer(_) => ResourceKind::Buffer,
        }
    }
}

/// One declared access of a pass.
#[derive(Clone, Copy, Debug)]
pub(crate) struct AccessDecl {
    pub handle: RawHandle,
    pub access: Access,
    /// True when declared through `write` (which must be given a writing access).
    pub via_write: bool,
    /// The version a write produces.
    pub produces: u32,
    /// Global declaration sequence number, for "declared before" questions.
    pub seq: u32,
    pub site: Site,
}

#[derive(Clone, Debug)]
pub(crate) struct PassDecl {
    pub label: Arc<str>,
    pub queue: QueueKind,
    pub side_effect: bool,
    /// The pass's accesses: a range of [`Graph::accesses`] (a pass's accesses are declared
    /// together, so they are contiguous).
    pub accesses: std::ops::Range<u32>,
    pub site: Site,
}

#[derive(Clone, Copy, Debug)]
pub(crate) struct OrderDecl {
    pub before: PassId,
    pub after: PassId,
    pub site: Site,
}

#[derive(Clone, Copy, Debug)]
pub(crate) struct ExportDecl {
    pub handle: RawHandle,
    pub site: Site,
}

/// A frame's worth of declarations, generic over a per-pass payload (a recording closure in
/// `rg-vulkan`, `()` in tests). Build one every frame; compiling an unchanged structure again is
/// a cache hit in [`crate::Compiler`].
pub struct Graph<P = ()> {
    pub(crate) id: u32,
    pub(crate) output: Extent,
    pub(crate) resources: Vec<ResourceDecl>,
    pub(crate) passes: Vec<PassDecl>,
    /// Every pass's accesses, pass after pass.
    pub(crate) accesses: Vec<AccessDecl>,
    pub(crate) payloads: Vec<Option<P>>,
    pub(crate) orders: Vec<OrderDecl>,
    pub(crate) exports: Vec<ExportDecl>,
    pub(crate) seq: u32,
    /// Whether some access names less than [`Subresource::ALL`] (a mip or layer range), so
    /// that validation of a frame with none skips the checks by range without asking each
    /// access.
    pub(crate) names_parts: bool,
    /// Everything declared, as words, in declaration order: the compile cache's key. Built as
    /// the user declares, so a cache hit costs one hash and one comparison.
    pub(crate) key: Vec<u64>,
    /// Labels of the last graph dropped on this thread, by resource and pass index.
    old_resource_labels: Vec<Arc<str>>,
    old_pass_labels: Vec<Arc<str>>,
}

/// Emptied storage of a dropped graph, kept for the next [`Graph::new`] on the same thread.
#[derive(Default)]
struct Spare {
    resources: Vec<ResourceDecl>,
    passes: Vec<PassDecl>,
    accesses: Vec<AccessDecl>,
    orders: Vec<OrderDecl>,
    exports: Vec<ExportDecl>,
    key: Vec<u64>,
    /// The dropped graph's resource and pass labels, by index: a frame that declares the same
    /// labels again shares them instead of allocating each anew.
    resource_labels: Vec<Arc<str>>,
    pass_labels: Vec<Arc<str>>,
}

thread_local! {
    static SPARE: std::cell::RefCell<Option<Spare>> = const { std::cell::RefCell::new(None) };
}

impl<P> Drop for Graph<P> {
    fn drop(&mut self) {
        let mut spare = Spare {
            resources: std::mem::take(&mut self.resources),
            passes: std::mem::take(&mut self.passes),
            accesses: std::mem::take(&mut self.accesses),
            orders: std::mem::take(&mut self.orders),
            exports: std::mem::take(&mut self.exports),
            key: std::mem::take(&mut self.key),
            resource_labels: std::mem::take(&mut self.old_resource_labels),
            pass_labels: std::mem::take(&mut self.old_pass_labels),
        };
        spare.resource_labels.clear();
        spare.resource_labels.extend(spare.resources.drain(..).map(|r| r.label));
        spare.pass_labels.clear();
        spare.pass_labels.extend(spare.passes.drain(..).map(|p| p.label));
        spare.accesses.clear();
        spare.orders.clear();
        spare.exports.clear();
        spare.key.clear();
        // Keep the larger storage when two graphs are dropped in a row. `try_with`: during
        // thread teardown the slot may be gone, and the storage is then simply freed.
        let _ = SPARE.try_with(|s| {
            let mut slot = s.borrow_mut();
            let keep =
                slot.as_ref().is_none_or(|o| o.accesses.capacity() <= spare.accesses.capacity());
            if keep {
                *slot = Some(spare);
            }
        });
    }
}

impl<P> Graph<P> {
    /// The label for resource (or pass) `index`: last frame's allocation when it is the same
    /// text, a new one otherwise.
    fn reuse_label(&self, index: usize, pass: bool, label: &str) -> Arc<str> {
        let old = if pass { &self.old_pass_labels } else { &self.old_resource_labels };
        match old.get(index) {
            Some(l) if **l == *label => l.clone(),
            _ => Arc::from(label),
        }
    }

    /// The accesses `pass` declared, in declaration order.
    pub(crate) fn accesses_of(&self, pass: &PassDecl) -> &[AccessDecl] {
        &self.accesses[pass.accesses.start as usize..pass.accesses.end as usize]
    }

    /// A new, empty graph whose output (the swapchain or headless target) has this extent.
    ///
    /// The graph reuses the storage of the last graph dropped on this thread, so declaring
    /// frame after frame does not grow (and fault in) the same large arrays again.
    pub fn new(output: Extent) -> Self {
        let spare = SPARE.with(|s| s.borrow_mut().take()).unwrap_or_default();
        Self {
            id: NEXT_GRAPH_ID.fetch_add(1, Ordering::Relaxed),
            output,
            resources: spare.resources,
            passes: spare.passes,
            accesses: spare.accesses,
            payloads: Vec::new(),
            orders: spare.orders,
            exports: spare.exports,
            seq: 0,
            names_parts: false,
            key: spare.key,
            old_resource_labels: spare.resource_labels,
            old_pass_labels: spare.pass_labels,
        }
    }

    /// The extent relative sizes are measured against.
    pub fn output_extent(&self) -> Extent {
        self.output
    }

    fn add_resource(
        &mut self,
        label: &str,
        desc: Desc,
        lifetime: Lifetime,
        site: Site,
    ) -> RawHandle {
        let index = self.resources.len() as u32;
        key_resource(&mut self.key, self.id, label, &desc, &lifetime);
        self.resources.push(ResourceDecl {
            label: self.reuse_label(index as usize, false, label),
            desc,
            lifetime,
            site,
            versions: 1,
        });
        RawHandle { graph: self.id, index, version: 0, sub: Subresource::ALL }
    }

    /// A transient image: it exists only within the frame and may share memory with others.
    #[track_caller]
    pub fn create_image(&mut self, label: &str, desc: ImageDesc) -> ImageHandle {
        let r =
            self.add_resource(label, Desc::Image(desc), Lifetime::Transient, Location::caller());
        ImageHandle { graph: r.graph, index: r.index, version: 0, sub: Subresource::ALL }
    }

    /// A transient buffer: it exists only within the frame and may share memory with others.
    #[track_caller]
    pub fn create_buffer(&mut self, label: &str, desc: BufferDesc) -> BufferHandle {
        let r =
            self.add_resource(label, Desc::Buffer(desc), Lifetime::Transient, Location::caller());
        BufferHandle { graph: r.graph, index: r.index, version: 0 }
    }

    /// An image owned outside the graph (the swapchain image, a texture): in `entry` state when the
    /// frame starts, and left in `exit` state when it ends. Its final version is an output.
    #[track_caller]
    pub fn import_image(
        &mut self,
        label: &str,
        desc: ImageDesc,
        entry: ResourceState,
        exit: ResourceState,
    ) -> ImageHandle {
        let r = self.add_resource(
            label,
            Desc::Image(desc),
            Lifetime::Imported { entry, exit },
            Location::caller(),
        );
        ImageHandle { graph: r.graph, index: r.index, version: 0, sub: Subresource::ALL }
    }

    /// A buffer owned outside the graph; see [`Graph::import_image`].
    #[track_caller]
    pub fn import_buffer(
        &mut self,
        label: &str,
        desc: BufferDesc,
        entry: ResourceState,
        exit: ResourceState,
    ) -> BufferHandle {
        let r = self.add_resource(
            label,
            Desc::Buffer(desc),
            Lifetime::Imported { entry, exit },
            Location::caller(),
        );
        BufferHandle { graph: r.graph, index: r.index, version: 0 }
    }

    /// A history image: version 0 holds what the previous frame left in it, and the final
    /// version is carried to the next frame. It keeps its writers alive.
    #[track_caller]
    pub fn temporal_image(&mut self, label: &str, desc: ImageDesc) -> ImageHandle {
        let r = self.add_resource(label, Desc::Image(desc), Lifetime::Temporal, Location::caller());
        ImageHandle { graph: r.graph, index: r.index, version: 0, sub: Subresource::ALL }
    }

    /// A history buffer; see [`Graph::temporal_image`].
    #[track_caller]
    pub fn temporal_buffer(&mut self, label: &str, desc: BufferDesc) -> BufferHandle {
        let r =
            self.add_resource(label, Desc::Buffer(desc), Lifetime::Temporal, Location::caller());
        BufferHandle { graph: r.graph, index: r.index, version: 0 }
    }

    /// Starts declaring a pass: declare its reads and writes on the returned builder, then give
    /// it its recording with [`PassBuilder::record`] (or end it with [`PassBuilder::finish`]).
    #[track_caller]
    pub fn add_pass(&mut self, label: &str, queue: QueueKind) -> PassBuilder<'_, P> {
        let id = PassId { graph: self.id, index: self.passes.len() as u32 };
        self.key.push(2 << 60 | (queue as u64) << 56 | hash_str(label) >> 16);
        // Passes declared in a loop often share a label: share its allocation too.
        let label = match self.passes.last() {
            Some(last) if *last.label == *label => last.label.clone(),
            _ => self.reuse_label(id.index(), true, label),
        };
        self.passes.push(PassDecl {
            label,
            queue,
            side_effect: false,
            accesses: self.accesses.len() as u32..self.accesses.len() as u32,
            site: Location::caller(),
        });
        self.payloads.push(None);
        PassBuilder { graph: self, id }
    }

    /// Marks a version as needed after the frame (read back, shown by a tool): the passes that
    /// produce it are never culled. The transient stays alive to the end of the frame.
    #[track_caller]
    pub fn export<H: Handle>(&mut self, handle: H) {
        let h: RawHandle = handle.into();
        // One word, or two when the index or the version needs more bits than the first has.
        let wide = h.index >= 1 << 27 || h.version >= 1 << 20;
        self.key.push(
            5 << 56
                | ((h.graph == self.id) as u64) << 48
                | (wide as u64) << 47
                | (h.index as u64 & 0x7ff_ffff) << 20
                | h.version as u64 & 0xf_ffff,
        );
        if wide {
            self.key.push((h.index as u64) << 32 | h.version as u64);
        }
        self.exports.push(ExportDecl { handle: h, site: Location::caller() });
    }

    /// Requires `before` to be scheduled before `after` although no resource links them (for
    /// passes that talk through something the graph cannot see). A same-queue order is an order
    /// of submission; across queues it is a semaphore wait.
    #[track_caller]
    pub fn order(&mut self, before: PassId, after: PassId) {
        let foreign = (before.graph != self.id) as u64 | ((after.graph != self.id) as u64) << 1;
        if before.index < 1 << 24 && after.index < 1 << 24 {
            self.key
                .push(6 << 56 | foreign << 48 | (before.index as u64) << 24 | after.index as u64);
        } else {
            self.key.extend([7 << 56 | foreign, (before.index as u64) << 32 | after.index as u64]);
        }
        self.orders.push(OrderDecl { before, after, site: Location::caller() });
    }

    /// Number of declared passes.
    pub fn pass_count(&self) -> usize {
        self.passes.len()
    }

    /// Number of declared resources.
    pub fn resource_count(&self) -> usize {
        self.resources.len()
    }

    /// A pass's label, by id or by declaration index.
    ///
    /// # Panics
    /// If `pass` is past this graph's passes (an id from a larger graph).
    pub fn pass_label(&self, pass: impl Into<usize>) -> &str {
        &self.passes[pass.into()].label
    }

    /// This graph's id: every handle and pass id it gives out carries it, so one from another
    /// graph is recognised (at compile time, and by the executor at record time).
    pub fn id(&self) -> u32 {
        self.id
    }

    /// How `image` was declared, or `None` for a handle that is not an image of this graph.
    /// Library passes size what they create from what they are given.
    pub fn image_desc(&self, image: ImageHandle) -> Option<ImageDesc> {
        match self.resource(image.raw())?.desc {
            Desc::Image(d) => Some(d),
            Desc::Buffer(_) => None,
        }
    }

    /// How `buffer` was declared, or `None` for a handle that is not a buffer of this graph.
    pub fn buffer_desc(&self, buffer: BufferHandle) -> Option<BufferDesc> {
        match self.resource(buffer.raw())?.desc {
            Desc::Buffer(d) => Some(d),
            Desc::Image(_) => None,
        }
    }

    /// The extent `image` will have: its size resolved against the output extent (or the
    /// image it is relative to). `None` for a handle that is not an image of this graph, or a
    /// relative size that does not come to at least one texel (the compile reports that).
    pub fn image_extent(&self, image: ImageHandle) -> Option<Extent> {
        // Walk back to an image with an absolute or output-relative size, then scale forward,
        // rounding at every step as the compile does. Relative sizes may only name earlier
        // images, so the walk ends.
        let mut steps = Vec::new();
        let mut at = image;
        let mut e = loop {
            match self.image_desc(at)?.size {
                Size::Absolute(e) => break e,
                Size::Output { sx, sy } => break scaled(self.output, sx, sy)?,
                Size::Image { image: base, sx, sy } => {
                    if base.graph != self.id || base.index >= at.index {
                        return None;
                    }
                    steps.push((sx, sy));
                    at = base;
                }
            }
        };
        for &(sx, sy) in steps.iter().rev() {
            e = scaled(e, sx, sy)?;
        }
        (e.width > 0 && e.height > 0).then_some(e)
    }

    fn resource(&self, h: RawHandle) -> Option<&ResourceDecl> {
        if h.graph != self.id {
            return None;
        }
        self.resources.get(h.index as usize)
    }

    /// The version-0 handle of an imported buffer, by resource index (for binding imports to
    /// real buffers); `None` for anything else.
    pub fn imported_buffer(&self, index: usize) -> Option<BufferHandle> {
        let r = self.resources.get(index)?;
        match (r.desc, r.lifetime) {
            (Desc::Buffer(_), Lifetime::Imported { .. }) => {
                Some(BufferHandle { graph: self.id, index: index as u32, version: 0 })
            }
            _ => None,
        }
    }

    /// Takes the payload of the pass declared `index`th out of the graph (the executor runs it
    /// once; a pass ended with [`PassBuilder::finish`] has none).
    pub fn take_payload(&mut self, index: usize) -> Option<P> {
        self.payloads.get_mut(index).and_then(Option::take)
    }
}

/// Declares one pass: first what it reads and writes, then what it records
/// ([`PassBuilder::record`]), which captures the handles the declarations returned.
/// [`PassBuilder::finish`] (or dropping the builder) ends a pass that records nothing.
#[must_use = "a pass is declared by its reads and writes, then `record` or `finish`"]
pub struct PassBuilder<'g, P> {
    graph: &'g mut Graph<P>,
    id: PassId,
}

impl<P> PassBuilder<'_, P> {
    /// The pass being declared.
    pub fn id(&self) -> PassId {
        self.id
    }

    fn push(
        &mut self,
        handle: RawHandle,
        kind: ResourceKind,
        access: Access,
        via_write: bool,
        produces: u32,
        site: Site,
    ) {
        let seq = self.graph.seq;
        self.graph.seq += 1;
        // One word an access: tag, flags, the access (16 bits), resource and version (21 bits
        // each), with two more words for the rare access that needs more bits or names part of
        // an image.
        let part = handle.sub != Subresource::ALL;
        self.graph.names_parts |= part;
        let wide = handle.index >= 1 << 21 || handle.version >= 1 << 21 || part;
        self.graph.key.push(
            3 << 60
                | ((handle.graph == self.graph.id) as u64) << 59
                | (via_write as u64) << 58
                | ((kind == ResourceKind::Image) as u64) << 57
                | (wide as u64) << 56
                | (access.code() as u64 & 0xffff) << 42
                | (handle.index as u64 & 0x1f_ffff) << 21
                | (handle.version as u64 & 0x1f_ffff),
        );
        if wide {
            let s = handle.sub;
            self.graph.key.extend([
                (handle.index as u64) << 32 | handle.version as u64,
                (s.base_mip as u64) << 32 | s.mip_count as u64,
                (s.base_layer as u64) << 32 | s.layer_count as u64,
            ]);
        }
        self.graph.accesses.push(AccessDecl { handle, access, via_write, produces, seq, site });
        self.graph.passes[self.id.index()].accesses.end = self.graph.accesses.len() as u32;
    }

    /// Reads `handle`'s version with a read-only access. The pass runs after the writer of that
    /// version and before the next write.
    #[track_caller]
    pub fn read<H: Handle>(&mut self, handle: H, access: Access) -> &mut Self {
        self.push(handle.into(), H::KIND, access, false, 0, Location::caller());
        self
    }

    /// Writes (or reads and writes) the resource, returning the handle of the new version:
    /// later passes must use that handle, and a later use of `handle` is a stale read.
    #[track_caller]
    #[must_use = "the new version is the only handle later passes may use"]
    pub fn write<H: Handle>(&mut self, handle: H, access: Access) -> H {
        let raw: RawHandle = handle.into();
        // A foreign or out-of-range handle gets a version too, so declaring can go on; the
        // compiler reports it.
        let next = match self.graph.resources.get_mut(raw.index as usize) {
            Some(r) if raw.graph == self.graph.id => {
                let v = r.versions;
                r.versions += 1;
                v
            }
            _ => raw.version + 1,
        };
        self.push(raw, H::KIND, access, true, next, Location::caller());
        handle.with_version(next)
    }

    /// Ends the pass's declaration with `payload` as its recording (in `rg-vulkan`, a closure
    /// that records the pass's commands through handles its declarations returned), and
    /// returns its id.
    pub fn record(self, payload: P) -> PassId {
        self.graph.payloads[self.id.index()] = Some(payload);
        self.id
    }

    /// Ends the pass's declaration with no recording, and returns its id.
    pub fn finish(self) -> PassId {
        self.id
    }

    /// The graph the pass is declared in, to ask descriptions of ([`Graph::image_desc`],
    /// [`Graph::image_extent`], ...) while declaring.
    pub fn graph(&self) -> &Graph<P> {
        self.graph
    }

    /// Marks the pass as having effects outside the graph (a readback, a query): never culled.
    pub fn side_effect(&mut self) -> &mut Self {
        self.graph.key.push(4 << 56 | self.id.index as u64);
        self.graph.passes[self.id.index()].side_effect = true;
        self
    }
}

/// `e` scaled and rounded to the nearest texel (as the compile resolves sizes), if that is at
/// least one texel a side.
fn scaled(e: Extent, sx: f32, sy: f32) -> Option<Extent> {
    Some(Extent::new(crate::compile::scale(e.width, sx)?, crate::compile::scale(e.height, sy)?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::access::ShaderStages;

    fn frame(labels: &[&str]) -> Graph {
        let mut g = Graph::new(Extent::new(8, 8));
        for l in labels {
            let b = g.create_buffer(l, BufferDesc::new(64));
            let mut p = g.add_pass(l, QueueKind::Compute);
            let _ = p.write(b, Access::StorageWrite(ShaderStages::COMPUTE));
            p.finish();
        }
        g
    }

    #[test]
    fn a_new_graph_reuses_the_last_ones_storage_and_equal_labels_only() {
        let a = frame(&["x", "y", "z"]);
        let (ya, cap) = (a.resources[1].label.clone(), a.accesses.capacity());
        drop(a);
        // Same labels at the same indices share last frame's allocation; different ones don't.
        let b = frame(&["x", "y", "w", "v"]);
        assert!(b.accesses.capacity() >= cap && b.resources.len() == 4);
        assert!(Arc::ptr_eq(&b.resources[1].label, &ya), "`y` is reused");
        let labels: Vec<&str> = b.resources.iter().map(|r| &*r.label).collect();
        assert_eq!(labels, ["x", "y", "w", "v"]);
        let passes: Vec<&str> = b.passes.iter().map(|p| &*p.label).collect();
        assert_eq!(passes, ["x", "y", "w", "v"]);
        // Each pass sees exactly its own accesses in the shared array.
        for (i, p) in b.passes.iter().enumerate() {
            let acc = b.accesses_of(p);
            assert_eq!(acc.len(), 1);
            assert_eq!(acc[0].handle.index as usize, i);
        }
        // Two graphs alive at once are independent.
        let c = frame(&["q"]);
        assert_eq!(&*c.resources[0].label, "q");
        assert_eq!(b.resources.len(), 4);
    }
}
