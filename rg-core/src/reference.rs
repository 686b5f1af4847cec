//! Reference frames: small but realistic graphs that the tests snapshot, the benchmarks time and
//! the tools draw. Payloads are `()`: these describe structure, not recording.

use crate::access::{Access, ResourceState, ShaderStages};
use crate::graph::Graph;
use crate::types::{BufferDesc, Extent, Format, ImageDesc, QueueKind, Size};

const C: ShaderStages = ShaderStages::COMPUTE;
const F: ShaderStages = ShaderStages::FRAGMENT;
const V: ShaderStages = ShaderStages::VERTEX;

/// A swapchain image: acquired with undefined contents, presented at the end.
fn swapchain(g: &mut Graph, format: Format) -> crate::ImageHandle {
    g.import_image(
        "swapchain",
        ImageDesc::new(format, Size::FULL),
        ResourceState::swapchain_acquired(),
        ResourceState::present(),
    )
}

/// A deferred frame at 1920x1080: GPU frustum culling into indirect arguments, a depth
/// prepass, a Hi-Z pyramid, occlusion culling against it, four shadow cascades, a G-buffer,
/// clustered light assignment on the async compute queue, deferred lighting, tone mapping and
/// present. A debug overlay that nothing reads is culled.
pub fn deferred_frame() -> Graph {
    let mut g = Graph::new(Extent::new(1920, 1080));
    let instances = g.import_buffer(
        "scene.instances",
        BufferDesc::new(64 << 20),
        ResourceState::host_written(QueueKind::Graphics),
        ResourceState::host_written(QueueKind::Graphics),
    );
    let lights = g.import_buffer(
        "scene.lights",
        BufferDesc::new(4 << 20),
        ResourceState::host_written(QueueKind::Graphics),
        ResourceState::host_written(QueueKind::Graphics),
    );
    let out = swapchain(&mut g, Format::Bgra8Srgb);

    let draws = g.create_buffer("cull.frustum.draws", BufferDesc::new(100_000 * 20));
    let count = g.create_buffer("cull.frustum.count", BufferDesc::new(4));
    let mut p = g.add_pass("cull.frustum", QueueKind::Graphics);
    p.read(instances, Access::StorageRead(C));
    let draws = p.write(draws, Access::StorageWrite(C));
    let count = p.write(count, Access::StorageWrite(C));
    p.finish();

    let depth = g.create_image("prepass.depth", ImageDesc::new(Format::D32Float, Size::FULL));
    let mut p = g.add_pass("prepass.depth", QueueKind::Graphics);
    p.read(draws, Access::IndirectArgs).read(count, Access::IndirectArgs);
    p.read(instances, Access::StorageRead(V));
    let depth = p.write(depth, Access::DepthWrite);
    p.finish();

    let hiz = g.create_image(
        "hiz.pyramid",
        ImageDesc::new(Format::R32Float, Size::absolute(1024, 512)).mips(10),
    );
    let mut p = g.add_pass("hiz.build", QueueKind::Graphics);
    p.read(depth, Access::Sampled(C));
    let hiz = p.write(hiz, Access::StorageWrite(C));
    p.finish();

    let vis_draws = g.create_buffer("cull.occlusion.draws", BufferDesc::new(100_000 * 20));
    let vis_count = g.create_buffer("cull.occlusion.count", BufferDesc::new(4));
    let mut p = g.add_pass("cull.occlusion", QueueKind::Graphics);
    p.read(instances, Access::StorageRead(C)).read(hiz, Access::Sampled(C));
    let vis_draws = p.write(vis_draws, Access::StorageWrite(C));
    let vis_count = p.write(vis_count, Access::StorageWrite(C));
    p.finish();

    let mut cascades = Vec::new();
    for i in 0..4 {
        let label = format!("shadows.cascade{i}.depth");
        let img =
            g.create_image(&label, ImageDesc::new(Format::D32Float, Size::absolute(2048, 2048)));
        let mut p = g.add_pass(&format!("shadows.cascade{i}"), QueueKind::Graphics);
        p.read(draws, Access::IndirectArgs).read(count, Access::IndirectArgs);
        p.read(instances, Access::StorageRead(V));
        cascades.push(p.write(img, Access::DepthWrite));
    }

    let albedo = g.create_image("gbuffer.albedo", ImageDesc::new(Format::Rgba8Srgb, Size::FULL));
    let normal = g.create_image("gbuffer.normal", ImageDesc::new(Format::Rgba16Float, Size::FULL));
    let mut p = g.add_pass("gbuffer", QueueKind::Graphics);
    p.read(vis_draws, Access::IndirectArgs).read(vis_count, Access::IndirectArgs);
    p.read(instances, Access::StorageRead(V)).read(depth, Access::DepthRead);
    let albedo = p.write(albedo, Access::ColorWrite);
    let normal = p.write(normal, Access::ColorWrite);
    p.finish();

    let clusters = g.create_buffer("lights.clusters", BufferDesc::new(16 * 8 * 24 * 256 * 4));
    let mut p = g.add_pass("lights.cluster", QueueKind::Compute);
    p.read(lights, Access::StorageRead(C));
    let clusters = p.write(clusters, Access::StorageWrite(C));
    p.finish();

    let hdr = g.create_image("lighting.hdr", ImageDesc::new(Format::Rgba16Float, Size::FULL));
    let mut p = g.add_pass("lighting.deferred", QueueKind::Graphics);
    p.read(albedo, Access::Sampled(F)).read(normal, Access::Sampled(F));
    p.read(depth, Access::Sampled(F));
    for c in &cascades {
        p.read(*c, Access::Sampled(F));
    }
    p.read(clusters, Access::StorageRead(F)).read(lights, Access::StorageRead(F));
    let hdr = p.write(hdr, Access::ColorWrite);
    p.finish();

    let overlay = g.create_image("debug.overlay", ImageDesc::new(Format::Rgba8Unorm, Size::FULL));
    let mut p = g.add_pass("debug.overlay", QueueKind::Graphics);
    p.read(hdr, Access::Sampled(F));
    let _ = p.write(overlay, Access::ColorWrite);
    p.finish();

    let mut p = g.add_pass("post.tonemap", QueueKind::Graphics);
    p.read(hdr, Access::Sampled(F));
    let _ = p.write(out, Access::ColorWrite);
    p.finish();
    g
}

/// A compute chain at 1280x720: terrain generated and eroded on the compute queue, particles
/// (a temporal buffer carried across frames) hashed, sorted, collided against the heightfield
/// and integrated, then drawn over the terrain on the graphics queue and presented.
pub fn compute_chain() -> Graph {
    let mut g = Graph::new(Extent::new(1280, 720));
    let out = swapchain(&mut g, Format::Bgra8Unorm);
    let particles = g.temporal_buffer("physics.particles", BufferDesc::new(65_536 * 32));
    let hdesc = ImageDesc::new(Format::R32Float, Size::absolute(1024, 1024));

    let height = g.create_image("terrain.height", hdesc);
    let water = g.create_image("terrain.water", hdesc);
    let mut p = g.add_pass("terrain.generate", QueueKind::Compute);
    let mut height = p.write(height, Access::StorageWrite(C));
    let mut water = p.write(water, Access::StorageWrite(C));
    p.finish();

    for i in 0..2 {
        let flux = g.create_image(
            &format!("terrain.erode{i}.flux"),
            ImageDesc::new(Format::Rgba32Float, Size::absolute(1024, 1024)),
        );
        let mut p = g.add_pass(&format!("terrain.erode{i}.flow"), QueueKind::Compute);
        p.read(height, Access::StorageRead(C)).read(water, Access::StorageRead(C));
        let flux = p.write(flux, Access::StorageWrite(C));
        p.finish();
        let mut p = g.add_pass(&format!("terrain.erode{i}.update"), QueueKind::Compute);
        p.read(flux, Access::StorageRead(C));
        height = p.write(height, Access::StorageReadWrite(C));
        water = p.write(water, Access::StorageReadWrite(C));
        p.finish();
    }

    let keys = g.create_buffer("physics.cell_keys", BufferDesc::new(65_536 * 8));
    let mut p = g.add_pass("physics.hash", QueueKind::Compute);
    p.read(particles, Access::StorageRead(C));
    let keys = p.write(keys, Access::StorageWrite(C));
    p.finish();

    let ranges = g.create_buffer("physics.cell_ranges", BufferDesc::new(262_144 * 8));
    let mut p = g.add_pass("physics.sort", QueueKind::Compute);
    let keys = p.write(keys, Access::StorageReadWrite(C));
    let ranges = p.write(ranges, Access::StorageWrite(C));
    p.finish();

    let velocities = g.create_buffer("physics.velocities", BufferDesc::new(65_536 * 16));
    let mut p = g.add_pass("physics.collide", QueueKind::Compute);
    p.read(particles, Access::StorageRead(C)).read(keys, Access::StorageRead(C));
    p.read(ranges, Access::StorageRead(C)).read(height, Access::Sampled(C));
    let velocities = p.write(velocities, Access::StorageWrite(C));
    p.finish();

    let mut p = g.add_pass("physics.integrate", QueueKind::Compute);
    p.read(velocities, Access::StorageRead(C));
    let particles = p.write(particles, Access::StorageReadWrite(C));
    p.finish();

    let color = g.create_image("scene.color", ImageDesc::new(Format::Rgba16Float, Size::FULL));
    let depth = g.create_image("scene.depth", ImageDesc::new(Format::D32Float, Size::FULL));
    let mut p = g.add_pass("terrain.draw", QueueKind::Graphics);
    p.read(height, Access::Sampled(V));
    let color = p.write(color, Access::ColorWrite);
    let depth = p.write(depth, Access::DepthWrite);
    p.finish();

    let mut p = g.add_pass("particles.draw", QueueKind::Graphics);
    p.read(particles, Access::VertexBuffer);
    let color = p.write(color, Access::ColorReadWrite);
    let _ = p.write(depth, Access::DepthReadWrite);
    p.finish();

    let mut p = g.add_pass("post.present", QueueKind::Graphics);
    p.read(color, Access::Sampled(F));
    let _ = p.write(out, Access::ColorWrite);
    p.finish();
    g
}

/// A temporal chain at 1920x1080: temporal anti-aliasing reads last frame's history and this
/// frame's colour and motion, and the result is copied back into the history for the next frame.
pub fn temporal_chain() -> Graph {
    let mut g = Graph::new(Extent::new(1920, 1080));
    let out = swapchain(&mut g, Format::Bgra8Srgb);
    let history = g.temporal_image("taa.history", ImageDesc::new(Format::Rgba16Float, Size::FULL));

    let color = g.create_image("scene.color", ImageDesc::new(Format::Rgba16Float, Size::FULL));
    let velocity = g.create_image("scene.velocity", ImageDesc::new(Format::Rg16Float, Size::FULL));
    let depth = g.create_image("scene.depth", ImageDesc::new(Format::D32Float, Size::FULL));
    let mut p = g.add_pass("scene.draw", QueueKind::Graphics);
    let color = p.write(color, Access::ColorWrite);
    let velocity = p.write(velocity, Access::ColorWrite);
    let _ = p.write(depth, Access::DepthWrite);
    p.finish();

    let resolved = g.create_image("taa.output", ImageDesc::new(Format::Rgba16Float, Size::FULL));
    let mut p = g.add_pass("taa.resolve", QueueKind::Graphics);
    p.read(color, Access::Sampled(C)).read(velocity, Access::Sampled(C));
    p.read(history, Access::Sampled(C));
    let resolved = p.write(resolved, Access::StorageWrite(C));
    p.finish();

    let mut p = g.add_pass("taa.store_history", QueueKind::Graphics);
    p.read(resolved, Access::CopySrc);
    let _ = p.write(history, Access::CopyDst);
    p.finish();

    let mut p = g.add_pass("post.tonemap", QueueKind::Graphics);
    p.read(resolved, Access::Sampled(F));
    let _ = p.write(out, Access::ColorWrite);
    p.finish();
    g
}

/// A Hi-Z pyramid built level by level, as two-phase occlusion culling builds it: a 1366x769
/// `R32Float` image with its full chain of 11 mip levels. `hiz.mip0` writes level 0 from the
/// depth prepass; `hiz.mip{k}` samples level k-1 and writes level k (so each level needs a
/// barrier for the one below it only); `cull.occlusion` samples every level and writes the
/// draws it keeps. Not in [`all`]: the frames there are whole-image ones.
pub fn hiz_pyramid() -> Graph {
    let size = Size::absolute(1366, 769);
    let mut g = Graph::new(Extent::new(1366, 769));
    let depth = g.create_image("depth", ImageDesc::new(Format::D32Float, size));
    let depth = g.add_pass("depth.prepass", QueueKind::Graphics).write(depth, Access::DepthWrite);
    let mut hiz = g.create_image("hiz.pyramid", ImageDesc::new(Format::R32Float, size).mips(11));
    let mut p = g.add_pass("hiz.mip0", QueueKind::Graphics);
    p.read(depth, Access::Sampled(C));
    hiz = p.write(hiz.mip(0), Access::StorageWrite(C));
    p.finish();
    for k in 1..11 {
        let mut p = g.add_pass(&format!("hiz.mip{k}"), QueueKind::Graphics);
        p.read(hiz.mip(k - 1), Access::Sampled(C));
        hiz = p.write(hiz.mip(k), Access::StorageWrite(C));
        p.finish();
    }
    let draws = g.create_buffer("cull.draws", BufferDesc::new(1 << 20));
    let mut p = g.add_pass("cull.occlusion", QueueKind::Graphics);
    p.read(hiz, Access::Sampled(C));
    let draws = p.write(draws, Access::StorageWrite(C));
    p.finish();
    g.export(draws);
    g
}

/// Cascaded shadow maps in one array: a 2048x2048 `D32Float` image of 4 layers, one per
/// cascade. `shadows.cascade{k}` renders layer k as a depth attachment; `lighting.deferred`
/// samples all four (one barrier for all of them, since their states agree) and writes the
/// swapchain. Not in [`all`].
pub fn shadow_cascades() -> Graph {
    let mut g = Graph::new(Extent::new(1920, 1080));
    let desc = ImageDesc::new(Format::D32Float, Size::absolute(2048, 2048)).layers(4);
    let mut shadows = g.create_image("shadows.cascades", desc);
    for k in 0..4 {
        let mut p = g.add_pass(&format!("shadows.cascade{k}"), QueueKind::Graphics);
        shadows = p.write(shadows.layer(k), Access::DepthWrite);
        p.finish();
    }
    let out = swapchain(&mut g, Format::Bgra8Srgb);
    let mut p = g.add_pass("lighting.deferred", QueueKind::Graphics);
    p.read(shadows, Access::Sampled(F));
    let _ = p.write(out, Access::ColorWrite);
    p.finish();
    g
}

/// Every reference frame with its name.
pub fn all() -> Vec<(&'static str, Graph)> {
    vec![
        ("deferred", deferred_frame()),
        ("compute", compute_chain()),
        ("temporal", temporal_chain()),
    ]
}
