#version 450
// A 5x5 box blur.

layout(local_size_x = 8, local_size_y = 8) in;
layout(set = 0, binding = 0, r32f) uniform readonly image2D src;
layout(set = 0, binding = 1, r32f) uniform writeonly image2D dst;

void main() {
    ivec2 size = imageSize(src);
    ivec2 at = ivec2(gl_GlobalInvocationID.xy);
    if (any(greaterThanEqual(at, size))) return;
    float sum = 0.0;
    for (int y = -2; y <= 2; y++)
        for (int x = -2; x <= 2; x++)
            sum += imageLoad(src, clamp(at + ivec2(x, y), ivec2(0), size - 1)).r;
    imageStore(dst, at, vec4(sum / 25.0));
}
