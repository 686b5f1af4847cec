#version 450
// Moves the lights for this frame (`passes::lights::Lights`): each circles its base position
// at its own radius and speed; radius and colour stay.
#extension GL_GOOGLE_include_directive : require
#include "lights.glsl"

layout(local_size_x = 64) in;

// The lights as uploaded: base position and radius, colour, then circle radius, speed, phase.
struct BaseLight {
    vec4 position_radius;
    vec4 color;
    vec4 motion;
};
layout(set = 0, binding = 0) readonly buffer Base { BaseLight base[]; };
layout(set = 0, binding = 1) writeonly buffer Frame { Light lights[]; };

layout(push_constant) uniform Push {
    float time;
    uint count;
} push;

void main() {
    uint i = gl_GlobalInvocationID.x;
    if (i >= push.count) {
        return;
    }
    vec4 pr = base[i].position_radius;
    vec4 m = base[i].motion;
    float a = m.z + push.time * m.y;
    lights[i].position_radius = vec4(pr.xyz + vec3(cos(a), 0.0, sin(a)) * m.x, pr.w);
    lights[i].color = base[i].color;
}
