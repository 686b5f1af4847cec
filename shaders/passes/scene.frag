#version 450
// Writes a surface's G-buffer texels (`passes::draw::DrawScene`): albedo and unit normal; with
// INSTANCE_IDS also the instance's index plus one into an R32Uint target, so a test can list
// what is visible. Lighting happens later, once a pixel (`lighting.comp`).

layout(location = 0) in vec3 normal;
layout(location = 1) in vec3 albedo;
layout(location = 2) flat in uint instance;
layout(location = 3) in vec3 world;

layout(location = 0) out vec4 albedo_out;
layout(location = 1) out vec4 normal_out;
#ifdef INSTANCE_IDS
layout(location = 2) out uint id;
#endif

void main() {
    albedo_out = vec4(albedo, 1.0);
    normal_out = vec4(normalize(normal), 0.0);
#ifdef INSTANCE_IDS
    id = instance + 1u;
#endif
}
