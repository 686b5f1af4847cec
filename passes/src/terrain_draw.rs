//! Draws the terrain into the G-buffer with continuous distance-dependent LOD (CDLOD, Strugar
//! 2009; `shaders/passes/terrain.vert`).
//!
//! The terrain square is a quadtree; [`select`] picks, for the eye, nodes whose level grows with
//! distance: a node is split while its box reaches within the range of the level below, ranges
//! doubling with each level. Each picked node is drawn as a grid of quads whose heights come
//! from the heightfield, and whose vertices morph onto the next coarser level's grid over the
//! last 30% of the node's range, so where a node meets a coarser neighbour its vertices lie on
//! the neighbour's grid: no cracks and no T-junctions. Lighting and shadows apply as to any
//! surface in the G-buffer, and [`crate::shadow::ShadowCascades`] draws the same nodes into the
//! sun's shadow map, so hills cast shadows.
//!
//! What proves it right (`passes/tests/terrain.rs`): neighbouring picked nodes differ by at most
//! one level; a render with a sentinel sky from a camera skimming the surface across level
//! boundaries shows the sentinel nowhere below the horizon.

use crate::camera::View;
use crate::draw::GBuffer;
use glam::Vec3;
use rg_core::{Access, Graph, ImageHandle, QueueKind, ShaderStages};
use rg_vulkan::{GraphicsDesc, Pass, Rendering, Sampler};

/// Where the terrain lies and how it is drawn.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TerrainLayout {
    /// World x and z of the square's corner, and its side.
    pub corner: [f32; 2],
    pub size: f32,
    /// World height per unit of the heightfield, and the largest height (for node boxes).
    pub vertical: f32,
    pub max_height: f32,
    /// Texels on a side of the heightfield.
    pub texels: u32,
    /// Quads on a side of every node.
    pub quads: u32,
    /// Levels below the root: the finest nodes are `size / 2^levels` wide.
    pub levels: u32,
    /// The finest level's range, in multiples of its node's side. At least 7: then where a
    /// node meets a coarser neighbour, the neighbour has not started morphing yet (its morph
    /// starts at 0.7 of its range, twice the finer one's), so the finer node's fully morphed
    /// vertices meet the neighbour's grid exactly.
    pub range_factor: f32,
}

impl TerrainLayout {
    /// The range of level `k`: nodes of that level are drawn within it.
    pub fn range(&self, k: u32) -> f32 {
        let leaf = self.size / (1u32 << self.levels) as f32;
        leaf * self.range_factor * (1u32 << k) as f32
    }
}

/// A node picked for drawing.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Node {
    pub corner: [f32; 2],
    pub size: f32,
    pub level: u32,
}

/// The nodes to draw for an eye at `eye`, by CDLOD's rule.
pub fn select(layout: &TerrainLayout, eye: Vec3) -> Vec<Node> {
    let mut out = Vec::new();
    let root = Node { corner: layout.corner, size: layout.size, level: layout.levels };
    visit(layout, eye, root, &mut out);
    out
}

/// The distance from `eye` to the node's box (its square, heights from 0 to the largest).
fn box_distance(layout: &TerrainLayout, eye: Vec3, n: &Node) -> f32 {
    let [lo, hi] = node_box(layout, n);
    (eye.clamp(lo, hi) - eye).length()
}

fn visit(layout: &TerrainLayout, eye: Vec3, node: Node, out: &mut Vec<Node>) {
    if node.level == 0 || box_distance(layout, eye, &node) > layout.range(node.level - 1) {
        out.push(node);
        return;
    }
    let half = node.size * 0.5;
    for (dx, dz) in [(0.0, 0.0), (1.0, 0.0), (0.0, 1.0), (1.0, 1.0)] {
        let child = Node {
            corner: [node.corner[0] + dx * half, node.corner[1] + dz * half],
            size: half,
            level: node.level - 1,
        };
        visit(layout, eye, child, out);
    }
}

/// The push constants of `terrain.vert` for each of `nodes`: drawn with `view_projection`,
/// morphing by distance from `eye` (the camera's, also when drawing into a shadow map, so
/// the shadow's surface is the one drawn).
pub(crate) fn node_pushes(
    l: &TerrainLayout,
    eye: Vec3,
    view_projection: glam::Mat4,
    nodes: &[Node],
) -> Vec<Vec<u8>> {
    // The finest grid's step: node corners and quad sides are whole numbers of it.
    let finest = l.size / ((1u32 << l.levels) * l.quads.max(1)) as f32;
    nodes
        .iter()
        .map(|n| {
            let range = l.range(n.level);
            let units = |v: f32| (v / finest).round();
            let words = [
                [
                    units(n.corner[0] - l.corner[0]),
                    units(n.corner[1] - l.corner[1]),
                    (1u32 << n.level) as f32,
                    l.quads as f32,
                ],
                [range * 0.7, range, finest, 0.0],
                [eye.x, eye.y, eye.z, l.vertical],
                [l.corner[0], l.corner[1], l.size, l.texels as f32],
            ];
            let mut b = Vec::with_capacity(128);
            for f in view_projection.to_cols_array() {
                b.extend_from_slice(&f.to_le_bytes());
            }
            for f in words.iter().flatten() {
                b.extend_from_slice(&f.to_le_bytes());
            }
            b
        })
        .collect()
}

/// A node's box: its square, from height 0 to the layout's largest height.
pub(crate) fn node_box(l: &TerrainLayout, n: &Node) -> [Vec3; 2] {
    [
        Vec3::new(n.corner[0], 0.0, n.corner[1]),
        Vec3::new(n.corner[0] + n.size, l.max_height * l.vertical, n.corner[1] + n.size),
    ]
}

/// Draws the terrain (`terrain.draw`) over what a G-buffer holds.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DrawTerrain {
    pub view: View,
    pub layout: TerrainLayout,
}

impl DrawTerrain {
    /// Declares the draw: reads the heightfield in the vertex stage, draws into `gbuffer`.
    pub fn add(&self, g: &mut Graph<Pass>, height: ImageHandle, gbuffer: GBuffer) -> GBuffer {
        let mut p = g.add_pass("terrain.draw", QueueKind::Graphics);
        p.read(height, Access::Sampled(ShaderStages::VERTEX));
        let albedo = p.write(gbuffer.albedo, Access::ColorReadWrite);
        let normal = p.write(gbuffer.normal, Access::ColorReadWrite);
        let ids = gbuffer.ids.map(|i| p.write(i, Access::ColorReadWrite));
        let depth = p.write(gbuffer.depth, Access::DepthReadWrite);
        let nodes = select(&self.layout, self.view.position);
        let pushes =
            node_pushes(&self.layout, self.view.position, self.view.view_projection, &nodes);
        let with_ids = ids.is_some();
        let vertices = self.layout.quads * self.layout.quads * 6;
        p.record(Box::new(move |r| {
            r.begin_rendering(Rendering { clear_color: None, clear_depth: None })?;
            let mut desc = GraphicsDesc::new("passes/terrain.vert", "passes/scene.frag");
            desc.cull_back = true;
            desc.depth_test = Some(true);
            desc.depth_write = true;
            if with_ids {
                desc = desc.define("INSTANCE_IDS", "1");
            }
            r.graphics(&desc)?;
            r.bind_image(0, height)?;
            r.bind_sampler(1, Sampler::Nearest)?;
            for push in &pushes {
                r.push_constants(push)?;
                r.draw(vertices, 1)?;
            }
            r.end_rendering();
            Ok(())
        }));
        GBuffer { albedo, normal, depth, ids }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layout() -> TerrainLayout {
        TerrainLayout {
            corner: [-64.0, -64.0],
            size: 128.0,
            vertical: 8.0,
            max_height: 2.0,
            texels: 256,
            quads: 16,
            levels: 5,
            range_factor: 8.0,
        }
    }

    /// Checks: for eyes all over and above the terrain, the picked nodes tile the square exactly
    /// (their areas add up to it) and every pair of nodes that share an edge differ by at most
    /// one level, so morphing can close every seam.
    #[test]
    fn picked_nodes_tile_the_square_and_neighbours_differ_by_one_level_at_most() {
        let l = layout();
        for (k, eye) in [
            Vec3::new(0.0, 2.0, 0.0),
            Vec3::new(-63.0, 0.5, 60.0),
            Vec3::new(10.0, 40.0, -5.0),
            Vec3::new(200.0, 3.0, 0.0),
            Vec3::new(31.9, 1.0, 32.1),
        ]
        .into_iter()
        .enumerate()
        {
            let nodes = select(&l, eye);
            let area: f32 = nodes.iter().map(|n| n.size * n.size).sum();
            assert!((area - l.size * l.size).abs() < 1e-2, "eye {k}: area {area}");
            for (i, a) in nodes.iter().enumerate() {
                for b in &nodes[i + 1..] {
                    let touch_x = (a.corner[0] + a.size - b.corner[0]).abs() < 1e-4
                        || (b.corner[0] + b.size - a.corner[0]).abs() < 1e-4;
                    let touch_z = (a.corner[1] + a.size - b.corner[1]).abs() < 1e-4
                        || (b.corner[1] + b.size - a.corner[1]).abs() < 1e-4;
                    let overlap_x =
                        a.corner[0] < b.corner[0] + b.size && b.corner[0] < a.corner[0] + a.size;
                    let overlap_z =
                        a.corner[1] < b.corner[1] + b.size && b.corner[1] < a.corner[1] + a.size;
                    if (touch_x && overlap_z) || (touch_z && overlap_x) {
                        assert!(a.level.abs_diff(b.level) <= 1, "eye {k}: {a:?} next to {b:?}");
                    }
                }
            }
            let near = eye.y < 5.0 && eye.x.abs() < 64.0 && eye.z.abs() < 64.0;
            assert!(
                !near || nodes.iter().any(|n| n.level == 0),
                "eye {k}: finest level near the eye"
            );
        }
    }
}
