#version 450
// Draws shadow casters into one cascade's layer (`passes::shadow::ShadowCascades`): position
// only, pulled from the scene's vertex buffer.
#extension GL_GOOGLE_include_directive : require
#include "scene.glsl"

layout(set = 0, binding = 0) readonly buffer Vertices { float vertices[]; };
layout(set = 0, binding = 1) readonly buffer Instances { Instance instances[]; };

layout(push_constant) uniform Push {
    mat4 view_projection;
} push;

void main() {
    vec4 position_scale = instances[gl_InstanceIndex].position_scale;
    vec4 rotation = instances[gl_InstanceIndex].rotation;
    uint b = uint(gl_VertexIndex) * VERTEX_FLOATS;
    vec3 p = vec3(vertices[b], vertices[b + 1], vertices[b + 2]);
    vec3 world = position_scale.xyz + rotate(rotation, p) * position_scale.w;
    gl_Position = push.view_projection * vec4(world, 1.0);
}
