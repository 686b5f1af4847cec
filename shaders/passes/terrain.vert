#version 450
// Draws one CDLOD node of the terrain into the G-buffer (`passes::terrain_draw::DrawTerrain`):
// a grid of quads over the node's square, heights from the heightfield. Vertices morph toward
// the next coarser level's grid over the last part of the node's range (Strugar 2009), so at
// the boundary with a coarser neighbour they sit exactly on its grid: no cracks, no T-junctions.

layout(set = 0, binding = 0) uniform texture2D height;
layout(set = 0, binding = 1) uniform sampler nearest;

layout(push_constant) uniform Push {
    mat4 view_projection;
    vec4 node;       // the node's corner and its quads' side, in finest-grid steps; quads a side
    vec4 morph;      // where morphing starts and ends (distances from the eye), the finest step, unused
    vec4 eye;        // the eye's position, world height per unit of height
    vec4 terrain;    // x and z of the terrain's corner, its size, texels on a side
} push;

// With SHADOW, position only (into a shadow map's layer).
#ifndef SHADOW
layout(location = 0) out vec3 normal;
layout(location = 1) out vec3 albedo;
layout(location = 2) flat out uint instance;
layout(location = 3) out vec3 world;
#endif

float height_at(vec2 xz) {
    float side = push.terrain.w;
    vec2 t = (xz - push.terrain.xy) / push.terrain.z * side - 0.5;
    vec2 f = fract(t);
    ivec2 i = ivec2(floor(t));
    ivec2 last = ivec2(side) - 1;
    float h00 = texelFetch(sampler2D(height, nearest), clamp(i, ivec2(0), last), 0).r;
    float h10 = texelFetch(sampler2D(height, nearest), clamp(i + ivec2(1, 0), ivec2(0), last), 0).r;
    float h01 = texelFetch(sampler2D(height, nearest), clamp(i + ivec2(0, 1), ivec2(0), last), 0).r;
    float h11 = texelFetch(sampler2D(height, nearest), clamp(i + ivec2(1, 1), ivec2(0), last), 0).r;
    return mix(mix(h00, h10, f.x), mix(h01, h11, f.x), f.y) * push.eye.w;
}

void main() {
    uint quads = uint(push.node.w);
    uint row = quads + 1u;
    // Two triangles a quad, six vertices, no index buffer.
    uint q = uint(gl_VertexIndex) / 6u;
    uint corner = uint(gl_VertexIndex) % 6u;
    uvec2 cell = uvec2(q % quads, q / quads);
    const uvec2 offsets[6] = uvec2[](uvec2(0, 0), uvec2(0, 1), uvec2(1, 0), uvec2(1, 0), uvec2(0, 1), uvec2(1, 1));
    vec2 grid = vec2(cell + offsets[corner]);
    // Positions on the finest grid, in whole steps, then one multiply: a vertex two nodes share
    // gets the same bits from both.
    vec2 xz = push.terrain.xy + (push.node.xy + grid * push.node.z) * push.morph.z;
    float h = height_at(xz);
    float distance = length(vec3(xz.x, h, xz.y) - push.eye.xyz);
    float k = clamp((distance - push.morph.x) / max(push.morph.y - push.morph.x, 1e-6), 0.0, 1.0);
    // Odd grid lines slide onto their even neighbours as k goes to 1.
    vec2 morphed = grid - fract(grid * 0.5) * 2.0 * k;
    xz = push.terrain.xy + (push.node.xy + morphed * push.node.z) * push.morph.z;
    h = height_at(xz);
#ifdef SHADOW
    gl_Position = push.view_projection * vec4(xz.x, h, xz.y, 1.0);
#else
    world = vec3(xz.x, h, xz.y);
    gl_Position = push.view_projection * vec4(world, 1.0);
    float e = push.terrain.z / push.terrain.w;
    vec2 slope = vec2(height_at(xz + vec2(e, 0.0)) - height_at(xz - vec2(e, 0.0)),
                      height_at(xz + vec2(0.0, e)) - height_at(xz - vec2(0.0, e))) / (2.0 * e);
    normal = normalize(vec3(-slope.x, 1.0, -slope.y));
    // Grass on the flats, rock on the slopes, lighter with height.
    float steep = smoothstep(0.35, 0.7, 1.0 - normal.y + 0.3);
    albedo = mix(vec3(0.32, 0.42, 0.22), vec3(0.45, 0.40, 0.35), steep) * (0.85 + 0.15 * clamp(h * 0.1, 0.0, 1.0));
    instance = 0xffffffffu;
#endif
}
