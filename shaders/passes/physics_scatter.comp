#version 450
// Broad phase, step 3: each particle's index goes to its slot's range, at its rank.
#extension GL_GOOGLE_include_directive : require
#include "physics.glsl"

layout(local_size_x = 64) in;
layout(set = 0, binding = 0) readonly buffer Keys { uint keys[]; };
layout(set = 0, binding = 1) readonly buffer Ranks { uint ranks[]; };
layout(set = 0, binding = 2) readonly buffer Starts { uint starts[]; };
layout(set = 0, binding = 3) writeonly buffer Sorted { uint sorted[]; };

layout(push_constant) uniform Push {
    uint count;
} push;

void main() {
    uint i = gl_GlobalInvocationID.x;
    if (i >= push.count) {
        return;
    }
    sorted[starts[keys[i]] + ranks[i]] = i;
}
