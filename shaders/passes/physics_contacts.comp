#version 450
// Broad phase, step 5 (`passes::physics::BroadPhase` with contacts): every particle's touching
// neighbours, found in the 27 cells around its own through the sorted slots (a slot two of the
// cells hash to is visited once), in a periodic box through the nearest image. Writes, per
// particle, the number of contacts, the sum of the partners' indices and the XOR of a hash of
// each, so a test can compare the set exactly.
#extension GL_GOOGLE_include_directive : require
#include "physics.glsl"

layout(local_size_x = 64) in;
layout(set = 0, binding = 0) readonly buffer Particles { Particle particles[]; };
layout(set = 0, binding = 1) readonly buffer Starts { uint starts[]; };
layout(set = 0, binding = 2) readonly buffer Sorted { uint sorted[]; };
layout(set = 0, binding = 3) writeonly buffer Contacts { uvec4 contacts[]; };

layout(push_constant) uniform Push {
    uint count;
    uint mask;
    float cell_size;
    uint period;   // cells a side of a periodic box; 0: none
} push;

uint mix_index(uint j) {
    uint h = j * 0x9e3779b9u;
    h ^= h >> 16;
    h *= 0x7feb352du;
    return h ^ (h >> 15);
}

void main() {
    uint i = gl_GlobalInvocationID.x;
    if (i >= push.count) {
        return;
    }
    vec4 pi = particles[i].position_radius;
    ivec3 c = cell_in_box(pi.xyz, push.cell_size, push.period);
    float side = push.cell_size * float(push.period);
    uint seen[27];
    uint visited = 0u;
    uvec4 found = uvec4(0u);
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
                    vec3 d = separation(pi.xyz, pj.xyz, side);
                    float reach = pi.w + pj.w;
                    if (j != i && dot(d, d) < reach * reach) {
                        found.x += 1u;
                        found.y += j;
                        found.z ^= mix_index(j);
                    }
                }
            }
        }
    }
    contacts[i] = found;
}
