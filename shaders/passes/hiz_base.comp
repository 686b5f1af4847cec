#version 450
// The depth pyramid's first level (`passes::hiz::DepthPyramid`): each texel keeps the farthest
// depth (reversed Z: the minimum) of every depth texel its footprint touches. The pyramid is a
// power of two no larger than the depth buffer, so a footprint spans one to three texels on
// each axis, and all of them are read: conservative for any size, odd ones included.

layout(local_size_x = 8, local_size_y = 8) in;

layout(set = 0, binding = 0) uniform texture2D depth;
layout(set = 0, binding = 1) uniform sampler nearest;
layout(set = 0, binding = 2, r32f) uniform writeonly image2D level0;

layout(push_constant) uniform Push {
    uvec2 depth_size;
    uvec2 level_size;
} push;

void main() {
    uvec2 p = gl_GlobalInvocationID.xy;
    if (any(greaterThanEqual(p, push.level_size))) {
        return;
    }
    // Depth texels [lo, hi) overlap the footprint [p, p + 1) * depth_size / level_size.
    uvec2 lo = (p * push.depth_size) / push.level_size;
    uvec2 hi = ((p + 1u) * push.depth_size + push.level_size - 1u) / push.level_size;
    float far = 1.0;
    for (uint y = lo.y; y < hi.y; ++y) {
        for (uint x = lo.x; x < hi.x; ++x) {
            far = min(far, texelFetch(sampler2D(depth, nearest), ivec2(x, y), 0).r);
        }
    }
    imageStore(level0, ivec2(p), vec4(far));
}
