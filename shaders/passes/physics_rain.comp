#version 450
// Rain (`passes::physics::Rain`): replaces `count` particles, from `first` on round the
// buffer, with new drops falling from above an area, so a fixed number of particles rains
// without end (the oldest drops make way). Where and how big each drop is comes from an
// integer hash of its index and the frame, so the CPU can say which drops it made.
#extension GL_GOOGLE_include_directive : require
#include "physics.glsl"

layout(local_size_x = 64) in;
layout(set = 0, binding = 0) buffer Particles { Particle particles[]; };

layout(push_constant) uniform Push {
    uint first;
    uint count;
    uint total;
    uint seed;
    vec4 area;     // x and z of the area's corner, its side, the height drops start at
    vec4 drops;    // smallest and largest radius, downward speed, unused
} push;

uint mix_bits(uint x) {
    x ^= x >> 16;
    x *= 0x7feb352du;
    x ^= x >> 15;
    x *= 0x846ca68bu;
    x ^= x >> 16;
    return x;
}

// A number in [0, 1) with 24 bits: exact in f32, so the CPU gets the same one.
float unit(uint h) {
    return float(h >> 8) * (1.0 / 16777216.0);
}

void main() {
    uint t = gl_GlobalInvocationID.x;
    if (t >= push.count || push.total == 0u) {
        return;
    }
    uint i = (push.first + t) % push.total;
    uint h = mix_bits(i ^ mix_bits(push.seed));
    uint hx = mix_bits(h + 1u);
    uint hz = mix_bits(h + 2u);
    uint hr = mix_bits(h + 3u);
    vec3 p = vec3(push.area.x + unit(hx) * push.area.z, push.area.w, push.area.y + unit(hz) * push.area.z);
    float r = push.drops.x + unit(hr) * (push.drops.y - push.drops.x);
    particles[i].position_radius = vec4(p, r);
    particles[i].velocity = vec4(0.0, -push.drops.z, 0.0, 0.0);
}
