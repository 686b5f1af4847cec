#version 450
// One level of the depth pyramid from the level above it (`passes::hiz::DepthPyramid`): the
// minimum (reversed Z: the farthest depth) of the 2x2 texels below each texel, clamped at the
// edge where the level above has an odd side of one.

layout(local_size_x = 8, local_size_y = 8) in;

layout(set = 0, binding = 0, r32f) uniform readonly image2D above;
layout(set = 0, binding = 1, r32f) uniform writeonly image2D below;

layout(push_constant) uniform Push {
    uvec2 above_size;
    uvec2 below_size;
} push;

void main() {
    uvec2 p = gl_GlobalInvocationID.xy;
    if (any(greaterThanEqual(p, push.below_size))) {
        return;
    }
    uvec2 a = min(p * 2u, push.above_size - 1u);
    uvec2 b = min(p * 2u + 1u, push.above_size - 1u);
    float far = min(
        min(imageLoad(above, ivec2(a.x, a.y)).r, imageLoad(above, ivec2(b.x, a.y)).r),
        min(imageLoad(above, ivec2(a.x, b.y)).r, imageLoad(above, ivec2(b.x, b.y)).r));
    imageStore(below, ivec2(p), vec4(far));
}
