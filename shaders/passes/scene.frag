#version 450
// Lights an instance with one sun and an ambient term (`passes::draw::DrawScene`). With
// INSTANCE_IDS the instance's index plus one also goes to an R32Uint attachment, so a test
// can list what is visible.

layout(location = 0) in vec3 normal;
layout(location = 1) in vec3 albedo;
layout(location = 2) flat in uint instance;

layout(push_constant) uniform Push {
    mat4 view_projection;
    vec4 sun;
} push;

layout(location = 0) out vec4 color;
#ifdef INSTANCE_IDS
layout(location = 1) out uint id;
#endif

void main() {
    vec3 n = normalize(normal);
    float lit = max(dot(n, push.sun.xyz), 0.0);
    // A touch of sky from above keeps faces turned from the sun readable.
    float sky = 0.5 + 0.5 * n.y;
    color = vec4(albedo * (lit + push.sun.w * sky), 1.0);
#ifdef INSTANCE_IDS
    id = instance + 1u;
#endif
}
