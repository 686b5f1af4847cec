#version 450
// Lights the height field from its slopes and colours it by height, like a small map.

layout(local_size_x = 8, local_size_y = 8) in;
layout(set = 0, binding = 0, r32f) uniform readonly image2D height;
layout(set = 0, binding = 1) readonly buffer Slopes { vec2 slopes[]; };
layout(set = 0, binding = 2, rgba8) uniform writeonly image2D lit;
layout(push_constant) uniform Push { float time; } push;

void main() {
    ivec2 size = imageSize(height);
    ivec2 at = ivec2(gl_GlobalInvocationID.xy);
    if (any(greaterThanEqual(at, size))) return;
    float h = imageLoad(height, at).r;
    vec2 s = slopes[at.y * size.x + at.x];
    vec3 n = normalize(vec3(-s.x, -s.y, 1.0));
    vec3 sun = normalize(vec3(cos(push.time * 0.5), sin(push.time * 0.5), 1.2));
    float light = clamp(dot(n, sun), 0.0, 1.0) * 0.8 + 0.2;
    vec3 water = vec3(0.10, 0.25, 0.55), grass = vec3(0.25, 0.55, 0.20), rock = vec3(0.55, 0.50, 0.45);
    vec3 base = h < 0.42 ? water : (h < 0.6 ? grass : rock);
    imageStore(lit, at, vec4(base * light, 1.0));
}
