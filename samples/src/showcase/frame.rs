//! The showcase's frame, declared from its description or in Rust (the two compile to the same
//! plan), and what the host imports into it; fitting a description to the scene and the
//! options, and checking one before it is used.

use super::*;

/// What the host imports into every frame, whichever way the frame is declared (first, so
/// both ways declare the same graph).
#[derive(Clone, Copy, Debug)]
pub(super) struct Host {
    pub(super) view: View,
    pub(super) time: f32,
    pub(super) scene: SceneInputs,
    pub(super) lights: Option<LightsIn>,
    /// The particles' first state, imported on the first frame.
    pub(super) start: Option<BufferHandle>,
}

/// What a declared frame gives the host: its output, and what `--stats` copies back.
pub(super) struct FrameOut {
    pub(super) color: ImageHandle,
    /// The culling counts (the late phase's, when there is one).
    pub(super) counts: Option<BufferHandle>,
    /// The shadow casters' counts and the shadow map.
    pub(super) shadows: Option<(BufferHandle, ImageHandle, u32)>,
    pub(super) lights: Option<(ClusteredLights, ClusterGrid)>,
}

/// The scene's sphere mesh (`Scene::procedural`'s icosphere), drawn for particles.
const SPHERE_MESH: usize = Scene::SPHERE_MESH;

impl TerrainSetup {
    /// `d` with this terrain's square where its `terrain` passes leave it out.
    pub(super) fn fit(&self, d: &Description) -> Result<Description, Mistakes> {
        let l = &self.layout;
        d.with_default("terrain", "size", Value::Float(l.size as f64))?
            .with_default("terrain", "corner_x", Value::Float(l.corner[0] as f64))?
            .with_default("terrain", "corner_z", Value::Float(l.corner[1] as f64))
    }
}

impl Showcase {
    /// The description `raw` fitted to the scene and the options: passes the options turn
    /// off left out, and the terrain's square and the rain's place filled in where `raw`
    /// leaves them out.
    pub(super) fn fit(&self, raw: &Description) -> Result<Description, Mistakes> {
        let mut d = raw.clone();
        for (off, kind) in [
            (self.terrain.is_none(), "terrain"),
            (self.shadows.is_none(), "shadows"),
            (self.lights.is_empty(), "lights"),
            (self.particles.is_empty(), "particles"),
        ] {
            if off {
                d = d.without(kind)?;
            }
        }
        if self.tests == CullTests::NONE {
            d = d.with_setting("cull", "frustum", Value::Bool(false))?;
            d = d.with_setting("cull", "occlusion", Value::Bool(false))?;
        }
        if let Some(t) = &self.terrain {
            d = t.fit(&d)?;
        }
        if let Some(r) = &self.rain {
            let half = r.side as f64 / 2.0;
            d = d
                .with_default("rain", "center_x", Value::Float(r.corner[0] as f64 + half))?
                .with_default("rain", "center_z", Value::Float(r.corner[1] as f64 + half))?
                .with_default("rain", "height", Value::Float(r.height as f64))?
                .with_default("rain", "per_frame", Value::Integer(r.per_frame as i64))?;
        }
        Ok(d)
    }

    /// Checks that `d` declares and compiles, on the first frame and on a later one, without a
    /// device: what a frame would fail with, with the lines of the passes involved.
    pub(super) fn trial(&self, d: &Description) -> Result<(), Mistakes> {
        for frame in [0, 1] {
            let mut g: Graph<Pass> = Graph::new(Extent::new(64, 64));
            let output = g.import_image(
                "output",
                ImageDesc::new(Format::Rgba8Unorm, Size::FULL),
                ResourceState::swapchain_acquired(),
                ResourceState::present(),
            );
            let host = self.host(&mut g, frame, 0);
            let (_, declared) = self.described(d, &mut g, output, frame, &host)?;
            Compiler::new()
                .compile(&g, &FakeMemory::default())
                .map_err(|e| declared.explain(d, &e))?;
        }
        Ok(())
    }

    /// The sphere particles are drawn with: a coarse level of the scene's sphere.
    pub(super) fn sphere(&self) -> (u32, u32, u32) {
        let s = &self.scene;
        s.mesh_range(SPHERE_MESH, 2).or(s.mesh_range(SPHERE_MESH, 0)).unwrap_or((0, 0, 0))
    }

    /// The camera of `frame` and what the host imports into it: the particles' first state on
    /// frame `start` (when the frame's description was taken).
    pub(super) fn host(&self, g: &mut Graph<Pass>, frame: u64, start: u64) -> Host {
        let extent = g.output_extent();
        let time = frame as f32 / 60.0;
        let field = Scene::field_extent(self.scene.instances.len());
        let mut cam = camera::path(time, field);
        if let Some(t) = &self.terrain {
            cam.position.y += t.ground_at(cam.position.x, cam.position.z);
        }
        let view = cam.frame(extent.width, extent.height);
        let scene = self.sizes.import(g);
        let lights = (!self.lights.is_empty()).then(|| lights::import(g, self.lights.len() as u32));
        let start = (frame == start && !self.particles.is_empty()).then(|| {
            let bytes = self.particles.len() as u64 * physics::PARTICLE_BYTES;
            let written = ResourceState::host_written(QueueKind::Graphics);
            g.import_buffer("showcase.particles", BufferDesc::new(bytes), written, written)
        });
        Host { view, time, scene, lights, start }
    }

    /// The frame declared from description `d`.
    pub(super) fn described(
        &self,
        d: &Description,
        g: &mut Graph<Pass>,
        output: ImageHandle,
        frame: u64,
        h: &Host,
    ) -> Result<(FrameOut, Declared), Mistakes> {
        let inputs = FrameInputs {
            view: h.view,
            frame,
            time: h.time,
            output,
            scene: Some(HostScene { inputs: h.scene, sphere: self.sphere(), sphere_radius: 0.5 }),
            lights: h.lights,
            particles: (!self.particles.is_empty())
                .then_some(HostParticles { count: self.particles.len() as u32, start: h.start }),
        };
        let declared = d.declare(g, &inputs)?;
        let counts = declared.of_kind(PortKind::Draws).last().map(|v| match v {
            PortValue::Draws(d) => d.out.counts,
            _ => unreachable!("of kind Draws"),
        });
        let shadows = declared.of_kind(PortKind::Shadows).last().map(|v| match v {
            PortValue::Shadows(s, _, counts) => (counts, s.map, s.count),
            _ => unreachable!("of kind Shadows"),
        });
        let lights = declared.of_kind(PortKind::Lights).last().map(|v| match v {
            PortValue::Lights(l, grid) => (l, grid),
            _ => unreachable!("of kind Lights"),
        });
        let out = FrameOut { color: declared.output, counts, shadows, lights };
        Ok((out, declared))
    }

    /// The frame declared in Rust: the terrain's erosion, the particles' physics, then
    /// [`SceneFrame`].
    pub(super) fn declared_in_rust(
        &self,
        g: &mut Graph<Pass>,
        output: ImageHandle,
        frame: u64,
        h: &Host,
    ) -> FrameOut {
        let terrain = self.terrain.map(|t| {
            let frame = TerrainFrame {
                noise: t.noise,
                params: t.erosion,
                iterations: t.iterations,
                hydraulic: true,
                fresh: frame == 0,
            };
            (frame.add(g).height, t.layout)
        });
        let particles = self.particle_frame(g, frame, terrain, h.start);
        let params = SceneFrame {
            tests: self.tests,
            shadows: self.shadows,
            lights: h.lights.map(|l| (l, GRID, h.time)),
            terrain,
            particles: particles.map(|(buffer, count)| {
                let draw = DrawParticles {
                    view: h.view,
                    mesh: self.sphere(),
                    mesh_radius: 0.5,
                    color: [200, 190, 160, 255],
                };
                (draw, buffer, count)
            }),
            // A low sun, for long shadows.
            sun: Vec3::new(0.6, 0.42, 0.3).normalize(),
            ..SceneFrame::new(h.view, &h.scene, frame > 0)
        };
        let out = params.add(g, h.scene, output);
        FrameOut {
            color: out.color,
            counts: Some(out.counts),
            shadows: out.shadow_counts.zip(out.shadows).map(|(c, s)| (c, s.map, s.count)),
            lights: out.lights.map(|l| (l, GRID)),
        }
    }

    /// Declares the particles' physics for a frame: on the first, their history buffer takes
    /// the uploaded start; then two steps against the terrain (the eroded heights of this same
    /// frame). Returns the buffer and the count, or none without particles.
    pub(super) fn particle_frame(
        &self,
        g: &mut Graph<Pass>,
        frame: u64,
        terrain: Option<(ImageHandle, TerrainLayout)>,
        start: Option<BufferHandle>,
    ) -> Option<(BufferHandle, u32)> {
        if self.particles.is_empty() {
            return None;
        }
        let n = self.particles.len() as u32;
        let bytes = n as u64 * physics::PARTICLE_BYTES;
        let mut state = g.temporal_buffer("particles.state", BufferDesc::new(bytes));
        if let Some(start) = start {
            let mut p = g.add_pass("particles.start", QueueKind::Graphics);
            p.read(start, Access::CopySrc);
            state = p.write(state, Access::CopyDst);
            let to = state;
            p.record(Box::new(move |r| r.copy_buffer(start, to, Some(bytes))));
        }
        let placement = terrain.map(|(height, l)| TerrainPlacement {
            height,
            corner: l.corner,
            size: l.size,
            vertical: l.vertical,
            texels: l.texels,
        });
        let step = PhysicsStep {
            dt: 1.0 / 120.0,
            stiffness: 3000.0,
            damping: 15.0,
            friction: 4.0,
            gravity: 9.81,
            terrain: placement,
        };
        if let (Some(rain), true) = (self.rain, frame > 0) {
            state = rain.add(g, state, n, frame);
        }
        let broad = BroadPhase::for_particles(n, 0.25);
        for _ in 0..2 {
            state = step.add(g, state, n, broad);
        }
        Some((state, n))
    }

    /// Picks up an edit of the description file: read, fitted, declared and compiled without
    /// a device first; on any mistake the last good description stays.
    pub(super) fn reload_pipeline(&mut self) -> Vec<Reloaded> {
        let Source::File(p) = &mut self.source else { return Vec::new() };
        let start = std::time::Instant::now();
        let Some(text) = p.changed() else { return Vec::new() };
        let path = p.path.clone();
        let what = format!("frame description {}", path.display());
        let text = match text {
            Ok(text) => text,
            Err(e) => return vec![Reloaded { what, result: Err(e), elapsed: start.elapsed() }],
        };
        let checked = Description::from_text(&path.display().to_string(), &text)
            .and_then(|raw| self.fit(&raw))
            .and_then(|d| self.trial(&d).map(|()| d));
        let result = match checked {
            Ok(d) => {
                if let Source::File(p) = &mut self.source {
                    p.fitted = d;
                    p.taken_at = None;
                }
                Ok(())
            }
            Err(m) => Err(m.to_string()),
        };
        vec![Reloaded { what, result, elapsed: start.elapsed() }]
    }
}
