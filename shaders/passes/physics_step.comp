#version 450
// One physics step for each particle (`passes::physics::PhysicsStep`): contact forces from the
// particles it touches in the 27 cells around its own (springs along the centres' line with
// damping, and friction against sliding, summed in a fixed order: cells, then particle index, so runs agree bit for bit),
// the terrain pushing it up along its normal where it dips below the surface, gravity; then
// semi-implicit Euler, and never below the terrain. In a periodic box, neighbours are found
// across its faces, forces act through the nearest image and positions wrap. Writes the next
// state to `next`.
#extension GL_GOOGLE_include_directive : require
#include "physics.glsl"

layout(local_size_x = 64) in;
layout(set = 0, binding = 0) readonly buffer Particles { Particle particles[]; };
layout(set = 0, binding = 1) readonly buffer Starts { uint starts[]; };
layout(set = 0, binding = 2) readonly buffer Sorted { uint sorted[]; };
layout(set = 0, binding = 3) writeonly buffer Next { Particle next[]; };
#ifdef TERRAIN
layout(set = 0, binding = 4, r32f) uniform readonly image2D terrain;
#endif

layout(push_constant) uniform Push {
    uint count;
    uint mask;
    float cell_size;
    float dt;
    float stiffness;   // force per unit of overlap, per unit of mass
    float damping;     // force per unit of closing speed, per unit of mass
    float gravity;
    float terrain_size;   // world size of the heightfield's side
    float friction;       // force per unit of sliding speed at a contact, per unit of mass
    uint period;          // cells a side of a periodic box; 0: none
    float pad1;
    float pad2;
    vec4 terrain_at;   // world x and z of the heightfield's corner, world height per unit, texels a side
} push;

#ifdef TERRAIN
// The terrain's height at world (x, z): bilinear between texel centres, clamped at the edges.
float ground_at(vec2 xz) {
    float side = push.terrain_at.w;
    vec2 t = (xz - push.terrain_at.xy) / push.terrain_size * side - 0.5;
    vec2 f = fract(t);
    ivec2 i = ivec2(floor(t));
    ivec2 last = ivec2(side) - 1;
    float h00 = imageLoad(terrain, clamp(i, ivec2(0), last)).r;
    float h10 = imageLoad(terrain, clamp(i + ivec2(1, 0), ivec2(0), last)).r;
    float h01 = imageLoad(terrain, clamp(i + ivec2(0, 1), ivec2(0), last)).r;
    float h11 = imageLoad(terrain, clamp(i + ivec2(1, 1), ivec2(0), last)).r;
    return mix(mix(h00, h10, f.x), mix(h01, h11, f.x), f.y) * push.terrain_at.z;
}
#endif

void main() {
    uint i = gl_GlobalInvocationID.x;
    if (i >= push.count) {
        return;
    }
    vec4 pr = particles[i].position_radius;
    vec3 v = particles[i].velocity.xyz;
    vec3 force = vec3(0.0, -push.gravity, 0.0);
    ivec3 c = cell_in_box(pr.xyz, push.cell_size, push.period);
    float box_side = push.cell_size * float(push.period);
    uint seen[27];
    uint visited = 0u;
    for (int dz = -1; dz <= 1; ++dz) {
        for (int dy = -1; dy <= 1; ++dy) {
            for (int dx = -1; dx <= 1; ++dx) {
                uint key = cell_key(neighbour_cell(c, ivec3(dx, dy, dz), push.period), push.mask);
                bool again = false;
                for (uint k = 0u; k < visited; ++k) {
                    again = again || seen[k] == key;
                }
                if (again) {
                    continue;
                }
                seen[visited] = key;
                visited += 1u;
                for (uint s = starts[key]; s < starts[key + 1u]; ++s) {
                    uint j = sorted[s];
                    vec4 pj = particles[j].position_radius;
                    vec3 d = separation(pr.xyz, pj.xyz, box_side);
                    float dist = length(d);
                    float overlap = pr.w + pj.w - dist;
                    if (j != i && overlap > 0.0 && dist > 1e-6) {
                        vec3 n = d / dist;
                        vec3 relative = v - particles[j].velocity.xyz;
                        float closing = dot(relative, n);
                        force += n * (push.stiffness * overlap - push.damping * min(closing, 0.0));
                        // Sliding is resisted: what lets a pile stand.
                        force -= push.friction * (relative - closing * n);
                    }
                }
            }
        }
    }
#ifdef TERRAIN
    {
        float ground = ground_at(pr.xz);
        float e = push.terrain_size / push.terrain_at.w;
        vec2 slope = vec2(ground_at(pr.xz + vec2(e, 0.0)) - ground_at(pr.xz - vec2(e, 0.0)),
                          ground_at(pr.xz + vec2(0.0, e)) - ground_at(pr.xz - vec2(0.0, e))) / (2.0 * e);
        vec3 up = normalize(vec3(-slope.x, 1.0, -slope.y));
        float depth = ground + pr.w - pr.y;
        if (depth > 0.0) {
            float into = dot(v, up);
            force += up * (push.stiffness * depth - push.damping * min(into, 0.0));
            force -= push.friction * (v - into * up);
        }
    }
#endif
    v += force * push.dt;
    vec3 p = pr.xyz + v * push.dt;
#ifdef TERRAIN
    // Never below the surface: a particle that would sink is put back on it, its fall stopped.
    float below = ground_at(p.xz) + pr.w;
    if (p.y < below) {
        p.y = below;
        v.y = max(v.y, 0.0);
    }
#endif
    // In a periodic box, what leaves through one face comes back through the other.
    p = wrap_position(p, box_side);
    next[i].position_radius = vec4(p, pr.w);
    next[i].velocity = vec4(v, 0.0);
}
