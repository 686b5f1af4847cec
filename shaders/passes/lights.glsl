// Point lights and the froxel grid they are sorted into (`passes::lights`). Keep in step with
// passes/src/lights.rs.
#pragma once

// A light as the frame sees it: world position and radius (where its falloff reaches zero),
// linear colour times intensity.
struct Light {
    vec4 position_radius;
    vec4 color;
};

// The grid: `tiles` across the screen, `slices` in depth, logarithmic between `near` and `far`.
struct ClusterGrid {
    uvec4 dims;      // tiles x, tiles y, slices, lights a cluster keeps at most
    vec4 depth;      // near, far, log(far / near), light count (as a float)
    vec4 screen;     // the target's width and height in pixels
};

// The cluster of a view-space depth `d` (positive distance) and a pixel's tile.
uint cluster_slice(float d, vec4 depth, uint slices) {
    float s = log(max(d, depth.x) / depth.x) / depth.z * float(slices);
    return min(uint(max(s, 0.0)), slices - 1u);
}

// The falloff of a light at `dist` from it: 1 at the light, 0 at and past its radius, smooth.
float falloff(float dist, float radius) {
    float x = clamp(dist / radius, 0.0, 1.0);
    float f = 1.0 - x * x;
    return f * f;
}
