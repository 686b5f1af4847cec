#version 450
// Broad phase, step 1 (`passes::physics::BroadPhase`): each particle's cell and hash slot,
// and its arrival rank in the slot (integer atomics: the counts are exact; the ranks' order is
// fixed later).
#extension GL_GOOGLE_include_directive : require
#include "physics.glsl"

layout(local_size_x = 64) in;
layout(set = 0, binding = 0) readonly buffer Particles { Particle particles[]; };
layout(set = 0, binding = 1) buffer Counts { uint counts[]; };
layout(set = 0, binding = 2) writeonly buffer Keys { uint keys[]; };
layout(set = 0, binding = 3) writeonly buffer Ranks { uint ranks[]; };

layout(push_constant) uniform Push {
    uint count;
    uint mask;
    float cell_size;
    uint period;   // cells a side of a periodic box; 0: none
} push;

void main() {
    uint i = gl_GlobalInvocationID.x;
    if (i >= push.count) {
        return;
    }
    uint key = cell_key(
        cell_in_box(particles[i].position_radius.xyz, push.cell_size, push.period), push.mask);
    keys[i] = key;
    ranks[i] = atomicAdd(counts[key], 1u);
}
