//! The compute sample's passes, declared into a graph and compiled with rg-core's `FakeMemory`:
//! no Vulkan device and no context. A library pass declares before it records, and its
//! recording only runs on a device, so what it declares (the plan's order, each pass's
//! accesses, the aliasing of its transients) is checked on any machine.

use rg_core::{
    oracle, print, Access, AccessMask, Compiler, Extent, FakeMemory, Format, Graph, ImageDesc,
    Plan, QueueKind, ResourceState, ShaderStages, Size,
};
use rg_samples::compute::{
    Blur, BlurIn, Noise, Shade, ShadeIn, Show, ShowIn, Slopes, SlopesIn, FIELD,
};
use rg_vulkan::Pass;

const C: ShaderStages = ShaderStages::COMPUTE;

/// The handles the chain's passes gave, by step.
struct Chain {
    noise: rg_core::ImageHandle,
    smooth: rg_core::ImageHandle,
    slopes: rg_core::BufferHandle,
    lit: rg_core::ImageHandle,
    shown: rg_core::ImageHandle,
}

/// The compute sample's frame, step by step, into an imported 640x480 output.
fn chain(g: &mut Graph<Pass>) -> Chain {
    let output = g.import_image(
        "output",
        ImageDesc::new(Format::Rgba8Unorm, Size::FULL),
        ResourceState::swapchain_acquired(),
        ResourceState::present(),
    );
    let noise = Noise { time: 0.5, ..Noise::default() }.add(g);
    let smooth = Blur.add(g, BlurIn { field: noise.field });
    let slopes = Slopes.add(g, SlopesIn { field: smooth.field });
    let lit = Shade { time: 0.5 }.add(g, ShadeIn { field: smooth.field, slopes: slopes.slopes });
    let shown = Show.add(g, ShowIn { image: lit.image, target: output });
    Chain {
        noise: noise.field,
        smooth: smooth.field,
        slopes: slopes.slopes,
        lit: lit.image,
        shown: shown.target,
    }
}

fn compiled() -> (Plan, Chain) {
    let mut g: Graph<Pass> = Graph::new(Extent::new(640, 480));
    let handles = chain(&mut g);
    let plan = Compiler::new().compile(&g, &FakeMemory::default()).expect("the chain compiles");
    ((*plan).clone(), handles)
}

/// Each pass's accesses as `(resource label, access, version)`, in declaration order.
fn accesses(plan: &Plan, pass: &str) -> Vec<(String, Access, u32)> {
    let p = plan.passes.iter().find(|p| &*p.label == pass).expect("the pass runs");
    plan.accesses_of(p)
        .iter()
        .map(|a| (plan.resources[a.resource].label.to_string(), a.access, a.version))
        .collect()
}

/// Checks: the chain runs noise, blur, slopes, shade, show in that order with nothing culled;
/// each pass declares exactly the accesses its shader needs, on the versions the step before
/// gave it; each output handle names the version its pass wrote; and the hazard oracle finds
/// nothing in the plan.
#[test]
fn the_chain_runs_in_order_and_each_pass_declares_what_it_touches() {
    let (plan, h) = compiled();
    let order: Vec<&str> = plan.passes.iter().map(|p| &*p.label).collect();
    assert_eq!(order, ["noise", "blur", "slopes", "shade", "show"]);
    assert!(plan.culled.is_empty(), "{:?}", plan.culled);
    let ids: Vec<usize> = plan.passes.iter().map(|p| p.id).collect();
    assert_eq!(ids, [0, 1, 2, 3, 4], "declaration order is the order they run in");

    let a = |label: &str, access, version| (label.to_string(), access, version);
    assert_eq!(accesses(&plan, "noise"), [a("noise", Access::StorageWrite(C), 0)]);
    assert_eq!(
        accesses(&plan, "blur"),
        [a("noise", Access::StorageRead(C), 1), a("smooth", Access::StorageWrite(C), 0)]
    );
    assert_eq!(
        accesses(&plan, "slopes"),
        [a("smooth", Access::StorageRead(C), 1), a("slopes", Access::StorageWrite(C), 0)]
    );
    assert_eq!(
        accesses(&plan, "shade"),
        [
            a("smooth", Access::StorageRead(C), 1),
            a("slopes", Access::StorageRead(C), 1),
            a("lit", Access::StorageWrite(C), 0),
        ]
    );
    assert_eq!(
        accesses(&plan, "show"),
        [a("lit", Access::Sampled(ShaderStages::FRAGMENT), 1), a("output", Access::ColorWrite, 0)]
    );

    // Every output is the version its pass wrote, of the resource the plan names.
    for (handle, label) in [(h.noise, "noise"), (h.smooth, "smooth"), (h.lit, "lit")] {
        assert_eq!(&*plan.resources[handle.index()].label, label);
        assert_eq!(handle.version(), 1, "{label}");
    }
    assert_eq!(&*plan.resources[h.slopes.index()].label, "slopes");
    assert_eq!(h.slopes.version(), 1);
    assert_eq!((&*plan.resources[h.shown.index()].label, h.shown.version()), ("output", 1));
    let problems = oracle::check(&plan);
    assert!(problems.is_empty(), "{problems:?}\n{}", print::text(&plan));
}

/// Checks: `blur` reads exactly what `noise` wrote (the resource and the version its write
/// produced), after a barrier from noise's storage write to blur's storage read in the
/// compute stage.
#[test]
fn blur_reads_what_noise_wrote() {
    let (plan, h) = compiled();
    let [noise, blur] = [0, 1].map(|i| plan.accesses_of(&plan.passes[i]).to_vec());
    let written = noise.iter().find(|a| a.access.writes()).expect("noise writes");
    let read = blur.iter().find(|a| !a.access.writes()).expect("blur reads");
    assert_eq!(read.resource, written.resource);
    assert_eq!(read.version, written.version + 1, "the version noise's write produced");
    assert_eq!((read.resource, read.version), (h.noise.index(), h.noise.version()));

    let barrier = plan
        .barriers_of(&plan.passes[1])
        .iter()
        .find(|b| b.resource == h.noise.index())
        .unwrap_or_else(|| panic!("no barrier on `noise` before blur\n{}", print::text(&plan)));
    assert!(barrier.src_stages.contains(rg_core::StageMask::COMPUTE_SHADER), "{barrier:?}");
    assert!(barrier.src_access.contains(AccessMask::STORAGE_WRITE), "{barrier:?}");
    assert!(barrier.dst_access.contains(AccessMask::STORAGE_READ), "{barrier:?}");
    assert!(!barrier.discard, "the contents are kept: {barrier:?}");
}

/// Checks: `noise` is a transient that lives from noise to blur only, and its memory is
/// handed to a transient first used after blur (bytes and heap shared, lifetimes apart), with
/// the later occupant's first barrier discarding the old contents; the frame's transients take
/// less memory than they would unaliased.
#[test]
fn noise_is_dead_after_blur_and_its_memory_is_reused() {
    let (plan, h) = compiled();
    let noise = &plan.resources[h.noise.index()];
    assert_eq!((noise.first_use, noise.last_use), (Some(0), Some(1)), "noise, then blur");
    let at = noise.placement.expect("a placed transient");
    let heirs: Vec<&str> = plan
        .resources
        .iter()
        .filter(|r| r.first_use.is_some_and(|f| f > 1))
        .filter(|r| {
            r.placement.is_some_and(|p| {
                p.heap == at.heap && p.offset < at.offset + at.size && at.offset < p.offset + p.size
            })
        })
        .map(|r| &*r.label)
        .collect();
    assert!(!heirs.is_empty(), "nothing reuses noise's memory\n{}", print::text(&plan));
    for heir in &heirs {
        let i = plan.resources.iter().position(|r| &*r.label == *heir).expect("listed");
        let first = plan.resources[i].first_use.expect("used");
        let handover = plan.barriers_of(&plan.passes[first]).iter().find(|b| b.resource == i);
        assert!(
            handover.is_some_and(|b| b.discard),
            "`{heir}` takes noise's memory without a discarding barrier\n{}",
            print::text(&plan)
        );
    }
    assert!(
        plan.stats.transient_bytes < plan.stats.unaliased_bytes,
        "aliasing saves memory: {:?}",
        plan.stats
    );
}

/// Checks: each step sizes what it creates from what it is given, so the passes compose with
/// any producer: from a 320x120 field (half and a quarter of the output), `blur` makes a field
/// of the same format and size, `slopes` 8 bytes a texel, `shade` an RGBA8 picture of the
/// same size; and `noise` makes a square of its side. The compiled plan resolves them so.
#[test]
fn the_passes_size_their_outputs_from_their_inputs() {
    let mut g: Graph<Pass> = Graph::new(Extent::new(640, 480));
    let desc = ImageDesc::new(Format::R32Float, Size::Output { sx: 0.5, sy: 0.25 });
    let field = g.create_image("terrain.height", desc);
    let mut p = g.add_pass("terrain.generate", QueueKind::Compute);
    let field = p.write(field, Access::StorageWrite(C));
    p.finish();
    let smooth = Blur.add(&mut g, BlurIn { field });
    let slopes = Slopes.add(&mut g, SlopesIn { field: smooth.field });
    let lit = Shade::default().add(&mut g, ShadeIn { field: smooth.field, slopes: slopes.slopes });
    let square = Noise { side: 48, ..Noise::default() }.add(&mut g);
    g.export(lit.image);
    g.export(square.field);

    assert_eq!(g.image_desc(smooth.field), Some(desc));
    assert_eq!(g.buffer_desc(slopes.slopes).map(|d| d.size), Some(320 * 120 * 8));
    let lit_desc = g.image_desc(lit.image).expect("an image");
    assert_eq!((lit_desc.format, lit_desc.size), (Format::Rgba8Unorm, desc.size));
    assert_eq!(g.image_extent(lit.image), Some(Extent::new(320, 120)));
    assert_eq!(g.image_extent(square.field), Some(Extent::new(48, 48)));
    assert_eq!(Noise::default().side, FIELD);

    let plan = Compiler::new().compile(&g, &FakeMemory::default()).expect("compiles");
    let resolved = |i: usize| plan.resources[i].image.expect("an image");
    assert_eq!(resolved(smooth.field.index()).extent, Extent::new(320, 120));
    assert_eq!(resolved(smooth.field.index()).format, Format::R32Float);
    assert_eq!(plan.resources[slopes.slopes.index()].buffer_size, Some(320 * 120 * 8));
    assert_eq!(resolved(lit.image.index()).extent, Extent::new(320, 120));
    assert_eq!(resolved(square.field.index()).extent, Extent::new(48, 48));
}

/// Checks: the showcase's frame, compiled without a device, runs its erosion before the physics
/// that reads the eroded heights, with no pass handing anything to the host in between (the
/// terrain feeds the physics on the GPU, in the same frame), and the hazard oracle finds
/// nothing in it.
#[test]
fn the_showcase_feeds_erosion_to_physics_with_no_readback_between() {
    for frame in [0, 1] {
        let mut sample = rg_samples::showcase::Showcase::default();
        let (g, _) = rg_samples::frame_graph(&mut sample, Format::Bgra8Srgb, 320, 200, frame);
        let plan = Compiler::new().compile(&g, &FakeMemory::default()).expect("compiles");
        let labels: Vec<&str> = plan.passes.iter().map(|p| &*p.label).collect();
        let last_erosion = labels.iter().rposition(|l| l.starts_with("erosion.")).expect("erosion");
        let first_step = labels.iter().position(|l| *l == "physics.step").expect("physics");
        let last_step = labels.iter().rposition(|l| *l == "physics.step").expect("physics");
        assert!(last_erosion < first_step, "frame {frame}: {labels:?}");
        for pass in &plan.passes[..=last_step] {
            assert!(
                plan.accesses_of(pass).iter().all(|a| a.access != Access::HostRead),
                "frame {frame}: `{}` reads back before the physics is done",
                pass.label
            );
        }
        // The physics reads the heightfield version the last erosion pass wrote.
        let height = plan.resources.iter().position(|r| &*r.label == "terrain.height").unwrap();
        let written = plan
            .accesses_of(&plan.passes[last_erosion])
            .iter()
            .find(|a| a.resource == height)
            .map(|a| a.version + 1)
            .expect("the last erosion pass writes the heights");
        let read = plan
            .accesses_of(&plan.passes[first_step])
            .iter()
            .find(|a| a.resource == height)
            .map(|a| a.version)
            .expect("the physics reads the heights");
        assert_eq!(read, written, "frame {frame}: the physics reads this frame's eroded heights");
        assert!(oracle::check(&plan).is_empty(), "frame {frame}");
    }
}

/// The showcase's plans for `args` on its first frames, printed, compiled without a device.
fn showcase_plans(args: &[&str], frames: u64) -> Vec<String> {
    let args = args.iter().map(|s| s.to_string()).collect();
    let (mut sample, rest) = rg_samples::showcase::Showcase::from_args(args).expect("options");
    assert!(rest.is_empty(), "{rest:?}");
    (0..frames)
        .map(|frame| {
            let (g, _) = rg_samples::frame_graph(&mut sample, Format::Bgra8Srgb, 320, 200, frame);
            let plan = Compiler::new().compile(&g, &FakeMemory::default()).expect("compiles");
            rg_core::print::text(&plan)
        })
        .collect()
}

/// Checks: the showcase's frame described in `samples/frames/showcase.toml` and the same frame
/// declared in Rust (`--rust`, `SceneFrame`) compile to the same plan, printed (order,
/// barriers, waits, memory placement), on the first three frames (the first generates the
/// terrain), with every option that leaves passes out or changes them.
#[test]
fn the_described_showcase_compiles_to_the_rust_declared_plan() {
    let variants: [&[&str]; 6] = [
        &[],
        &["--no-shadows"],
        &["--no-terrain"],
        &["--lights", "0", "--particles", "0"],
        &["--no-culling"],
        &["--no-shadows", "--no-terrain", "--lights", "0", "--particles", "0"],
    ];
    for options in variants {
        let mut args = vec!["--instances", "300"];
        args.extend_from_slice(options);
        let described = showcase_plans(&args, 3);
        args.push("--rust");
        let rust = showcase_plans(&args, 3);
        for (frame, (described, rust)) in described.iter().zip(&rust).enumerate() {
            if described != rust {
                let first = described
                    .lines()
                    .zip(rust.lines())
                    .position(|(a, b)| a != b)
                    .unwrap_or(described.lines().count().min(rust.lines().count()));
                let show = |t: &str| {
                    t.lines().skip(first.saturating_sub(3)).take(12).collect::<Vec<_>>().join("\n")
                };
                panic!(
                    "options {options:?}, frame {frame}: the plans differ from line {}:\n--- described\n{}\n--- rust\n{}",
                    first + 1,
                    show(described),
                    show(rust)
                );
            }
            assert!(described.contains("cull.late") || options.contains(&"--no-culling"));
            let first_frame = described.contains("`terrain.generate`");
            assert_eq!(first_frame, frame == 0 && !options.contains(&"--no-terrain"));
        }
    }
}
