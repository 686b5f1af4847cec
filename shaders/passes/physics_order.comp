#version 450
// Broad phase, step 4: each slot's particles in index order (an insertion sort of its short
// range), so everything after this depends only on the particles, not on which invocation's
// atomic came first.

layout(local_size_x = 64) in;
layout(set = 0, binding = 0) readonly buffer Starts { uint starts[]; };
layout(set = 0, binding = 1) buffer Sorted { uint sorted[]; };

layout(push_constant) uniform Push {
    uint slots;
} push;

void main() {
    uint s = gl_GlobalInvocationID.x;
    if (s >= push.slots) {
        return;
    }
    uint begin = starts[s];
    uint end = starts[s + 1u];
    for (uint a = begin + 1u; a < end; ++a) {
        uint v = sorted[a];
        uint b = a;
        while (b > begin && sorted[b - 1u] > v) {
            sorted[b] = sorted[b - 1u];
            --b;
        }
        sorted[b] = v;
    }
}
