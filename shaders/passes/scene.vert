#version 450
// Draws scene instances from compacted indirect draws (`passes::draw::DrawScene`): vertices are
// pulled from the scene's vertex buffer by index, the instance is the draw's first instance.
#extension GL_GOOGLE_include_directive : require
#include "scene.glsl"

layout(set = 0, binding = 0) readonly buffer Vertices { float vertices[]; };
layout(set = 0, binding = 1) readonly buffer Instances { Instance instances[]; };

layout(push_constant) uniform Push {
    mat4 view_projection;
} push;

layout(location = 0) out vec3 normal;
layout(location = 1) out vec3 albedo;
layout(location = 2) flat out uint instance;
layout(location = 3) out vec3 world;

void main() {
    // Field by field: a whole-struct copy compiles to OpCopyLogical, which reflection does
    // not read.
    vec4 position_scale = instances[gl_InstanceIndex].position_scale;
    vec4 rotation = instances[gl_InstanceIndex].rotation;
    uint b = uint(gl_VertexIndex) * VERTEX_FLOATS;
    vec3 p = vec3(vertices[b], vertices[b + 1], vertices[b + 2]);
    vec3 n = vec3(vertices[b + 3], vertices[b + 4], vertices[b + 5]);
    world = position_scale.xyz + rotate(rotation, p) * position_scale.w;
    gl_Position = push.view_projection * vec4(world, 1.0);
    normal = rotate(rotation, n);
    albedo = unpackUnorm4x8(instances[gl_InstanceIndex].color).rgb;
    instance = uint(gl_InstanceIndex);
}
