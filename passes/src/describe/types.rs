//! The pass types a description can name: each with its settings (kind, range, default), its
//! inputs and outputs (each of a kind), and how it is declared.

use super::parse::{PassEntry, Value};
use crate::camera::View;
use crate::cull::{Cull, CullEarlyIn, CullOut};
use crate::draw::{GBuffer, ShadowInputs};
use crate::hiz::DepthPyramidOut;
use crate::lights::{ClusterGrid, ClusteredLights, LightsIn};
use crate::scene::SceneInputs;
use crate::terrain::TerrainFrame;
use crate::terrain_draw::TerrainLayout;
use glam::Vec3;
use rg_core::{BufferHandle, Graph, ImageHandle};
use rg_vulkan::Pass;
use std::collections::HashMap;

/// What the host gives every described frame.
#[derive(Clone, Copy, Debug)]
pub struct FrameInputs {
    /// The camera.
    pub view: View,
    /// Frames declared before this one (0: the first, when temporal state starts).
    pub frame: u64,
    /// Seconds since the start (where moving lights are).
    pub time: f32,
    /// The image the frame writes whole.
    pub output: ImageHandle,
    /// The host's scene, when it has one (culling, scene draws, shadows and particle draws
    /// need it).
    pub scene: Option<HostScene>,
    /// The host's uploaded point lights, when it has some (`lights` needs them).
    pub lights: Option<LightsIn>,
    /// The host's particles, when it has some (`particles` with `from_host` needs them).
    pub particles: Option<HostParticles>,
}

impl FrameInputs {
    /// A frame with nothing from the host but the camera and the output; `time` is the frame
    /// at 60 frames a second.
    pub fn new(view: View, frame: u64, output: ImageHandle) -> FrameInputs {
        FrameInputs {
            view,
            frame,
            time: frame as f32 / 60.0,
            output,
            scene: None,
            lights: None,
            particles: None,
        }
    }
}

/// The host's scene as a described frame sees it.
#[derive(Clone, Copy, Debug)]
pub struct HostScene {
    /// The scene's imported buffers.
    pub inputs: SceneInputs,
    /// The mesh particles are drawn with (first index, index count, first vertex) and its
    /// radius.
    pub sphere: (u32, u32, u32),
    pub sphere_radius: f32,
}

/// The host's particles: how many, and on the first frame the imported buffer holding their
/// first state.
#[derive(Clone, Copy, Debug)]
pub struct HostParticles {
    pub count: u32,
    pub start: Option<BufferHandle>,
}

/// The kind of what flows between passes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PortKind {
    /// An `R32Float` heightfield and where it lies.
    Heightfield,
    /// A particle buffer.
    Particles,
    /// A G-buffer (albedo, normal, depth).
    GBuffer,
    /// A lit HDR image.
    Hdr,
    /// A displayable colour image.
    Color,
    /// Draws culled from the host's scene, by the early or the late phase.
    Draws,
    /// A min-reduced depth pyramid.
    Pyramid,
    /// A cascaded shadow map and the sun it was drawn from.
    Shadows,
    /// Point lights sorted into a froxel grid.
    Lights,
}

impl PortKind {
    /// The kind in words, for messages and docs.
    pub fn describe(self) -> &'static str {
        match self {
            PortKind::Heightfield => "a heightfield",
            PortKind::Particles => "particles",
            PortKind::GBuffer => "a G-buffer",
            PortKind::Hdr => "an HDR image",
            PortKind::Color => "a colour image",
            PortKind::Draws => "culled draws",
            PortKind::Pyramid => "a depth pyramid",
            PortKind::Shadows => "a shadow map",
            PortKind::Lights => "clustered lights",
        }
    }
}

/// What flows between passes while declaring.
// A few values a described pass, copied while declaring: their size does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum PortValue {
    Heightfield(ImageHandle, TerrainLayout),
    /// The buffer, the particle count and the largest radius.
    Particles(BufferHandle, u32, f32),
    GBuffer(GBuffer),
    Hdr(ImageHandle),
    Color(ImageHandle),
    Draws(CulledDraws),
    Pyramid(DepthPyramidOut),
    /// The shadow map, the direction toward the sun, the casters' cull counts.
    Shadows(ShadowInputs, Vec3, BufferHandle),
    /// The lights and the grid they were sorted into.
    Lights(ClusteredLights, ClusterGrid),
}

impl PortValue {
    /// Its kind.
    pub fn kind(&self) -> PortKind {
        match self {
            PortValue::Heightfield(..) => PortKind::Heightfield,
            PortValue::Particles(..) => PortKind::Particles,
            PortValue::GBuffer(_) => PortKind::GBuffer,
            PortValue::Hdr(_) => PortKind::Hdr,
            PortValue::Color(_) => PortKind::Color,
            PortValue::Draws(_) => PortKind::Draws,
            PortValue::Pyramid(_) => PortKind::Pyramid,
            PortValue::Shadows(..) => PortKind::Shadows,
            PortValue::Lights(..) => PortKind::Lights,
        }
    }
}

/// What a culling phase gives: the culling's parameters and inputs, its outputs, and which
/// phase it was.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CulledDraws {
    pub cull: Cull,
    pub input: CullEarlyIn,
    pub out: CullOut,
    pub late: bool,
}

/// A setting's kind and range.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum ParamKind {
    Integer { min: i64, max: i64, default: i64 },
    Float { min: f64, max: f64, default: f64 },
    Bool { default: bool },
}

impl ParamKind {
    /// Whether `v` is of this kind and in range (integers pass for numbers).
    pub fn check(&self, v: &Value) -> Result<(), String> {
        match (self, v) {
            (ParamKind::Integer { min, max, .. }, Value::Integer(i)) => {
                if (min..=max).contains(&i) {
                    Ok(())
                } else {
                    Err(format!("{i} is out of range ({min} to {max})"))
                }
            }
            (ParamKind::Float { min, max, .. }, Value::Float(_) | Value::Integer(_)) => {
                let f = match v {
                    Value::Float(f) => *f,
                    Value::Integer(i) => *i as f64,
                    _ => unreachable!(),
                };
                if f.is_finite() && (*min..=*max).contains(&f) {
                    Ok(())
                } else {
                    Err(format!("{f} is out of range ({min} to {max})"))
                }
            }
            (ParamKind::Bool { .. }, Value::Bool(_)) => Ok(()),
            (k, v) => Err(format!("expected {}, found {}", k.describe(), v.kind())),
        }
    }

    /// The kind in words.
    pub fn describe(&self) -> &'static str {
        match self {
            ParamKind::Integer { .. } => "an integer",
            ParamKind::Float { .. } => "a number",
            ParamKind::Bool { .. } => "true or false",
        }
    }

    /// The default and range, for docs.
    pub fn range(&self) -> String {
        match self {
            ParamKind::Integer { min, max, default } => format!("{default} ({min} to {max})"),
            ParamKind::Float { min, max, default } => format!("{default} ({min} to {max})"),
            ParamKind::Bool { default } => format!("{default}"),
        }
    }
}

/// A setting of a pass type.
#[derive(Clone, Copy, Debug)]
pub struct ParamSpec {
    pub name: &'static str,
    pub kind: ParamKind,
    pub doc: &'static str,
}

/// An input or output of a pass type.
#[derive(Clone, Copy, Debug)]
pub struct PortSpec {
    pub name: &'static str,
    pub kind: PortKind,
    /// An input that may be left out.
    pub optional: bool,
    pub doc: &'static str,
}

/// Declares one described pass: its outputs by name.
pub type DeclareFn =
    fn(&Args<'_>, &mut Graph<Pass>, &FrameInputs) -> Result<Vec<(&'static str, PortValue)>, String>;

/// A pass type a description can name.
#[derive(Clone, Debug)]
pub struct PassType {
    pub name: &'static str,
    /// What it does, and the library type behind it.
    pub summary: &'static str,
    pub params: Vec<ParamSpec>,
    pub inputs: Vec<PortSpec>,
    pub outputs: Vec<PortSpec>,
    pub declare: DeclareFn,
}

/// A described pass's settings and inputs while it is declared.
pub struct Args<'a> {
    pub entry: &'a PassEntry,
    pub ty: &'a PassType,
    pub inputs: HashMap<String, PortValue>,
}

impl Args<'_> {
    fn value(&self, name: &str) -> Option<&Value> {
        self.entry.settings.iter().find(|s| s.key == name).map(|s| &s.value)
    }

    fn spec(&self, name: &str) -> ParamKind {
        self.ty.params.iter().find(|p| p.name == name).map(|p| p.kind).expect("a declared setting")
    }

    /// An integer setting (checked in range), or its default.
    pub fn int(&self, name: &str) -> i64 {
        match (self.value(name), self.spec(name)) {
            (Some(Value::Integer(i)), _) => *i,
            (_, ParamKind::Integer { default, .. }) => default,
            _ => unreachable!("`{name}` is an integer setting"),
        }
    }

    /// A `u32` setting (its range is within `u32`).
    pub fn u32(&self, name: &str) -> u32 {
        self.int(name) as u32
    }

    /// A number setting, or its default.
    pub fn float(&self, name: &str) -> f32 {
        match (self.value(name), self.spec(name)) {
            (Some(Value::Float(f)), _) => *f as f32,
            (Some(Value::Integer(i)), _) => *i as f32,
            (_, ParamKind::Float { default, .. }) => default as f32,
            _ => unreachable!("`{name}` is a number setting"),
        }
    }

    /// A true-or-false setting, or its default.
    pub fn bool(&self, name: &str) -> bool {
        match (self.value(name), self.spec(name)) {
            (Some(Value::Bool(b)), _) => *b,
            (_, ParamKind::Bool { default }) => default,
            _ => unreachable!("`{name}` is a true-or-false setting"),
        }
    }

    /// Whether the description sets `name` (rather than leaving it to its default).
    pub fn given(&self, name: &str) -> bool {
        self.value(name).is_some()
    }

    /// An input, when it was given.
    pub fn input(&self, name: &str) -> Option<PortValue> {
        self.inputs.get(name).copied()
    }
}

pub(super) fn int(
    name: &'static str,
    min: i64,
    max: i64,
    default: i64,
    doc: &'static str,
) -> ParamSpec {
    ParamSpec { name, kind: ParamKind::Integer { min, max, default }, doc }
}

pub(super) fn float(
    name: &'static str,
    min: f64,
    max: f64,
    default: f64,
    doc: &'static str,
) -> ParamSpec {
    ParamSpec { name, kind: ParamKind::Float { min, max, default }, doc }
}

pub(super) fn flag(name: &'static str, default: bool, doc: &'static str) -> ParamSpec {
    ParamSpec { name, kind: ParamKind::Bool { default }, doc }
}

pub(super) fn port(name: &'static str, kind: PortKind, doc: &'static str) -> PortSpec {
    PortSpec { name, kind, optional: false, doc }
}

pub(super) fn optional(name: &'static str, kind: PortKind, doc: &'static str) -> PortSpec {
    PortSpec { name, kind, optional: true, doc }
}

/// The direction toward the sun from `sun_x`, `sun_y`, `sun_z`, normalised.
pub(super) fn sun_of(a: &Args<'_>) -> Result<Vec3, String> {
    let sun = Vec3::new(a.float("sun_x"), a.float("sun_y"), a.float("sun_z"));
    if sun.length() < 1e-3 {
        return Err("the sun's direction is zero".into());
    }
    Ok(sun.normalize())
}

/// The terrain a `terrain` pass makes: its erosion and layout, for hosts that place things on
/// it. `entry` must be a checked pass of type `terrain`.
pub fn terrain_setup(entry: &PassEntry) -> (TerrainFrame, TerrainLayout) {
    let types = registry();
    let ty = types.iter().find(|t| t.name == "terrain").expect("the terrain type");
    super::world_types::terrain_of(&Args { entry, ty, inputs: HashMap::new() })
}

/// Every pass type a description can name.
pub fn registry() -> Vec<PassType> {
    let mut types = super::world_types::registry();
    types.extend(super::scene_types::registry());
    types
}

/// The pass types as a Markdown document (`docs/described-passes.md` is this).
pub fn reference() -> String {
    let mut s = String::from(
        "# Pass types a frame description can name\n\n\
         Generated from `rg_passes::describe::types::registry` (a test checks that this file \
         matches it; `RG_UPDATE_DOCS=1 cargo test -p rg-passes --test described` rewrites it).\n\n\
         A description lists passes as `[[pass]]` tables with a `name`, a `type` from this page, \
         its settings (each left out takes its default) and its inputs, each naming another \
         pass's output as `\"pass.output\"`; `output = \"pass.output\"` at the top names the \
         colour image the frame ends in. What flows between passes has a kind, and an input \
         takes only its own kind: \
         a heightfield, particles, a G-buffer, an HDR image, a colour image, culled draws, a \
         depth pyramid, a shadow map, clustered lights.\n\n\
         Some types need what only the host has (`rg_passes::describe::FrameInputs`): the \
         scene's buffers (`cull`, `shadows`, `draw_particles`), its point lights (`lights`), \
         its particles (`particles` with `from_host`). The `showcase` sample gives all three; \
         `samples/frames/showcase.toml` describes its frame.\n",
    );
    for t in registry() {
        s.push_str(&format!("\n## `{}`\n\n{}\n", t.name, t.summary));
        if !t.params.is_empty() {
            s.push_str(
                "\n| setting | kind | default (range) | meaning |\n| --- | --- | --- | --- |\n",
            );
            for p in &t.params {
                s.push_str(&format!(
                    "| `{}` | {} | {} | {} |\n",
                    p.name,
                    p.kind.describe(),
                    p.kind.range(),
                    p.doc
                ));
            }
        }
        for (title, ports) in [("input", &t.inputs), ("output", &t.outputs)] {
            if ports.is_empty() {
                continue;
            }
            s.push_str(&format!("\n| {title} | kind | meaning |\n| --- | --- | --- |\n"));
            for p in ports.iter() {
                let opt = if p.optional { " (optional)" } else { "" };
                s.push_str(&format!("| `{}`{opt} | {} | {} |\n", p.name, p.kind.describe(), p.doc));
            }
        }
    }
    s
}
