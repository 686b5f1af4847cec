//! The scene frame's passes, declared into a graph and compiled with rg-core's `FakeMemory`:
//! no Vulkan device. What the passes declare (the order, each pass's accesses and the parts of
//! the pyramid they name, the history buffer, the barriers the hazard oracle checks) is checked
//! on any machine.

use rg_core::{
    oracle, Access, Compiler, Extent, FakeMemory, Format, Graph, ImageDesc, Plan, ResourceState,
    ShaderStages, Size, Subresource,
};
use rg_passes::camera::Camera;
use rg_passes::frame::SceneFrame;
use rg_passes::hiz::{previous_power_of_two, pyramid_shape};
use rg_passes::scene::Scene;
use rg_vulkan::Pass;

const C: ShaderStages = ShaderStages::COMPUTE;

fn plan(width: u32, height: u32, ids: bool) -> Plan {
    let scene = Scene::procedural(50, 1);
    let mut g: Graph<Pass> = Graph::new(Extent::new(width, height));
    let output = g.import_image(
        "output",
        ImageDesc::new(Format::Rgba8Unorm, Size::FULL),
        ResourceState::swapchain_acquired(),
        ResourceState::present(),
    );
    let inputs = scene.sizes().import(&mut g);
    let view =
        Camera::look_at(glam::Vec3::new(0.0, 5.0, 10.0), glam::Vec3::ZERO).frame(width, height);
    let frame = SceneFrame { instance_ids: ids, ..SceneFrame::new(view, &inputs, true) };
    frame.add(&mut g, inputs, output);
    let plan = Compiler::new().compile(&g, &FakeMemory::default()).expect("the frame compiles");
    (*plan).clone()
}

/// Mip levels `base .. base + count` of a one-layer image.
fn mips(base: u32, count: u32) -> Subresource {
    Subresource { base_mip: base, mip_count: count, base_layer: 0, layer_count: 1 }
}

fn labels(plan: &Plan) -> Vec<String> {
    plan.passes.iter().map(|p| p.label.to_string()).collect()
}

fn accesses(plan: &Plan, pass: &str) -> Vec<(String, Access, Subresource)> {
    let p = plan.passes.iter().find(|p| &*p.label == pass).expect("the pass runs");
    plan.accesses_of(p)
        .iter()
        .map(|a| (plan.resources[a.resource].label.to_string(), a.access, a.subresource))
        .collect()
}

/// Checks: the pyramid's shape: level 0 is the largest power of two no larger than the depth
/// buffer on each axis, down to 1x1.
#[test]
fn the_pyramid_is_a_power_of_two_below_the_depth_buffer() {
    assert_eq!(previous_power_of_two(1), 1);
    assert_eq!(previous_power_of_two(1366), 1024);
    assert_eq!(previous_power_of_two(1024), 1024);
    assert_eq!(previous_power_of_two(1023), 512);
    assert_eq!(pyramid_shape(1366, 769), (1024, 512, 11));
    assert_eq!(pyramid_shape(640, 480), (512, 256, 10));
    assert_eq!(pyramid_shape(1, 1), (1, 1, 1));
    assert_eq!(pyramid_shape(3, 100), (2, 64, 7));
}

/// Checks: the frame runs its passes in data-flow order (reset, early cull, early draw, one
/// pyramid pass per level, late cull, late draw), nothing is culled, and the hazard oracle
/// finds every pair of conflicting accesses ordered by the plan's barriers.
#[test]
fn the_frame_runs_in_order_and_the_oracle_finds_nothing() {
    let plan = plan(640, 480, false);
    let mut want = vec!["cull.reset", "cull.early", "draw.early"];
    let hiz: Vec<String> = (0..10).map(|k| format!("hiz.{k}")).collect();
    want.extend(hiz.iter().map(|s| s.as_str()));
    want.extend(["cull.late", "draw.late", "lighting", "post.tonemap"]);
    assert_eq!(labels(&plan), want);
    assert!(plan.culled.is_empty());
    let hazards = oracle::check(&plan);
    assert!(hazards.is_empty(), "{hazards:?}");
    let with_ids = plan_with_ids();
    assert!(oracle::check(&with_ids).is_empty());
    assert_eq!(labels(&with_ids)[2], "draw.early.clear_ids");
}

fn plan_with_ids() -> Plan {
    plan(320, 200, true)
}

/// Checks: each pyramid pass reads the level above it and writes its own level, one mip each;
/// the first reads the depth buffer as a sampled image; the late cull samples the whole
/// pyramid.
#[test]
fn pyramid_passes_name_one_level_each() {
    let plan = plan(640, 480, false);
    let a = accesses(&plan, "hiz.0");
    assert_eq!(a[0].0, "scene.depth");
    assert_eq!(a[0].1, Access::Sampled(C));
    assert_eq!(a[1], ("hiz.pyramid".into(), Access::StorageWrite(C), mips(0, 1)));
    for k in 1..10 {
        let a = accesses(&plan, &format!("hiz.{k}"));
        assert_eq!(a[0], ("hiz.pyramid".into(), Access::StorageRead(C), mips(k - 1, 1)));
        assert_eq!(a[1], ("hiz.pyramid".into(), Access::StorageWrite(C), mips(k, 1)));
    }
    let late = accesses(&plan, "cull.late");
    let pyramid = late.iter().find(|a| a.0 == "hiz.pyramid").expect("the late cull reads it");
    assert_eq!(pyramid.1, Access::Sampled(C));
    assert_eq!(pyramid.2, mips(0, 10));
}

/// Checks: what the culling and drawing passes declare: the early phase reads last frame's
/// visibility and the late phase rewrites it (a history buffer), draws and counts reach the
/// draws as indirect arguments, and the draws read the scene's vertices in the vertex stage.
#[test]
fn culling_and_drawing_declare_their_buffers() {
    let plan = plan(640, 480, false);
    let early = accesses(&plan, "cull.early");
    assert!(early.iter().any(|a| a.0 == "cull.visibility" && a.1 == Access::StorageRead(C)));
    assert!(early.iter().any(|a| a.0 == "cull.counts" && a.1 == Access::StorageReadWrite(C)));
    let late = accesses(&plan, "cull.late");
    assert!(late.iter().any(|a| a.0 == "cull.visibility" && a.1 == Access::StorageReadWrite(C)));
    let visibility = plan.resources.iter().find(|r| &*r.label == "cull.visibility").unwrap();
    assert_eq!(visibility.lifetime, rg_core::Lifetime::Temporal);
    for (pass, draws) in [("draw.early", "cull.draws.early"), ("draw.late", "cull.draws.late")] {
        let a = accesses(&plan, pass);
        assert!(a.iter().any(|a| a.0 == draws && a.1 == Access::IndirectArgs), "{pass}: {a:?}");
        assert!(a.iter().any(|a| a.0 == "cull.counts" && a.1 == Access::IndirectArgs));
        assert!(a.iter().any(|a| a.0 == "scene.indices" && a.1 == Access::IndexBuffer));
        assert!(a
            .iter()
            .any(|a| a.0 == "scene.vertices" && a.1 == Access::StorageRead(ShaderStages::VERTEX)));
    }
    // Indirect arguments get memory of their own (rg-core keeps them out of aliasing).
    for label in ["cull.draws.early", "cull.draws.late", "cull.counts"] {
        let r = plan.resources.iter().position(|r| &*r.label == label).unwrap();
        let p = plan.resources[r].placement.expect("placed");
        for (o, other) in plan.resources.iter().enumerate() {
            if let (Some(q), true) = (other.placement, o != r) {
                let apart = q.heap != p.heap
                    || q.offset + q.size <= p.offset
                    || p.offset + p.size <= q.offset;
                assert!(apart, "`{label}` shares memory with `{}`", other.label);
            }
        }
    }
}

/// Checks: with shadows, the frame first sets up the cascades, zeroes their counts, culls the
/// casters of every cascade in one pass and draws each cascade into its own layer of the map,
/// one pass a layer; the lighting pass samples the whole map; the oracle finds nothing.
#[test]
fn shadow_passes_write_one_layer_each() {
    let scene = Scene::procedural(50, 1);
    let mut g: Graph<Pass> = Graph::new(Extent::new(320, 200));
    let output = g.import_image(
        "output",
        ImageDesc::new(Format::Rgba8Unorm, Size::FULL),
        ResourceState::swapchain_acquired(),
        ResourceState::present(),
    );
    let inputs = scene.sizes().import(&mut g);
    let view = Camera::look_at(glam::Vec3::new(0.0, 5.0, 10.0), glam::Vec3::ZERO).frame(320, 200);
    let settings = rg_passes::shadow::CascadeSettings { resolution: 256, ..Default::default() };
    let frame = SceneFrame { shadows: Some(settings), ..SceneFrame::new(view, &inputs, true) };
    frame.add(&mut g, inputs, output);
    let plan = (*Compiler::new().compile(&g, &FakeMemory::default()).expect("compiles")).clone();
    let names = labels(&plan);
    let at = |l: &str| names.iter().position(|n| n == l).unwrap_or_else(|| panic!("{l} runs"));
    assert!(at("shadow.setup") < at("shadow.cull") && at("shadow.reset") < at("shadow.cull"));
    for k in 0..4u32 {
        assert!(at("shadow.cull") < at(&format!("shadow.{k}")));
        assert!(at(&format!("shadow.{k}")) < at("lighting"));
        let a = accesses(&plan, &format!("shadow.{k}"));
        let layer = Subresource { base_mip: 0, mip_count: 1, base_layer: k, layer_count: 1 };
        assert!(a.contains(&("shadow.map".into(), Access::DepthWrite, layer)), "{a:?}");
    }
    let a = accesses(&plan, "lighting");
    let whole = Subresource { base_mip: 0, mip_count: 1, base_layer: 0, layer_count: 4 };
    assert!(a.contains(&("shadow.map".into(), Access::Sampled(ShaderStages::COMPUTE), whole)));
    assert!(oracle::check(&plan).is_empty());
}
