#version 450
// Central differences of the height field, one vec2 per texel.

layout(local_size_x = 8, local_size_y = 8) in;
layout(set = 0, binding = 0, r32f) uniform readonly image2D height;
layout(set = 0, binding = 1) writeonly buffer Slopes { vec2 slopes[]; };

void main() {
    ivec2 size = imageSize(height);
    ivec2 at = ivec2(gl_GlobalInvocationID.xy);
    if (any(greaterThanEqual(at, size))) return;
    float l = imageLoad(height, clamp(at - ivec2(1, 0), ivec2(0), size - 1)).r;
    float r = imageLoad(height, clamp(at + ivec2(1, 0), ivec2(0), size - 1)).r;
    float d = imageLoad(height, clamp(at - ivec2(0, 1), ivec2(0), size - 1)).r;
    float u = imageLoad(height, clamp(at + ivec2(0, 1), ivec2(0), size - 1)).r;
    slopes[at.y * size.x + at.x] = vec2(r - l, u - d) * float(size.x) * 0.25;
}
