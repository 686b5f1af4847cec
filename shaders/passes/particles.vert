#version 450
// Draws particles as spheres into the G-buffer (`passes::physics::DrawParticles`): one instance
// a particle, the sphere mesh's triangles pulled from the scene's index and vertex buffers.
#extension GL_GOOGLE_include_directive : require
#include "scene.glsl"
#include "physics.glsl"

layout(set = 0, binding = 0) readonly buffer Vertices { float vertices[]; };
layout(set = 0, binding = 1) readonly buffer Indices { uint indices[]; };
layout(set = 0, binding = 2) readonly buffer Particles { Particle particles[]; };

layout(push_constant) uniform Push {
    mat4 view_projection;
    uint first_index;
    int vertex_offset;
    float mesh_radius;  // the sphere mesh's radius
    uint color;         // RGBA8
} push;

layout(location = 0) out vec3 normal;
layout(location = 1) out vec3 albedo;
layout(location = 2) flat out uint instance;
layout(location = 3) out vec3 world;

void main() {
    uint v = uint(int(indices[push.first_index + uint(gl_VertexIndex)]) + push.vertex_offset);
    uint b = v * VERTEX_FLOATS;
    vec3 p = vec3(vertices[b], vertices[b + 1], vertices[b + 2]);
    vec3 n = vec3(vertices[b + 3], vertices[b + 4], vertices[b + 5]);
    vec4 pr = particles[gl_InstanceIndex].position_radius;
    world = pr.xyz + p * (pr.w / push.mesh_radius);
    gl_Position = push.view_projection * vec4(world, 1.0);
    normal = n;
    albedo = unpackUnorm4x8(push.color).rgb;
    instance = 0xffffffffu;
}
