#version 450
// Deferred lighting (`passes::lighting::DeferredLighting`): for every pixel of the G-buffer,
// the surface's position from depth, then the sun (with cascaded shadows under SHADOWS), sky
// ambient and clustered point lights (under LIGHTS) into the HDR target. The alpha channel
// holds the sun's visibility (1 lit, 0 in shadow or turned away), for tests.
#extension GL_GOOGLE_include_directive : require

layout(local_size_x = 8, local_size_y = 8) in;

layout(set = 0, binding = 0) uniform texture2D albedo_image;
layout(set = 0, binding = 1) uniform texture2D normal_image;
layout(set = 0, binding = 2) uniform texture2D depth_image;
layout(set = 0, binding = 3) uniform sampler nearest;
#ifdef HDR32
layout(set = 0, binding = 4, rgba32f) uniform writeonly image2D hdr;
#else
layout(set = 0, binding = 4, rgba16f) uniform writeonly image2D hdr;
#endif

layout(push_constant) uniform Push {
    mat4 inverse_view_projection;
    vec4 sun;      // direction toward the sun (xyz), ambient (w)
    vec4 eye;      // the camera's position (xyz), cascades in the shadow map (w)
    vec4 forward;  // the camera's view direction
    vec4 sky;      // the colour where nothing was drawn
} push;

#include "shading.glsl"

void main() {
    ivec2 p = ivec2(gl_GlobalInvocationID.xy);
    ivec2 size = textureSize(sampler2D(depth_image, nearest), 0);
    if (any(greaterThanEqual(p, size))) {
        return;
    }
    float depth = texelFetch(sampler2D(depth_image, nearest), p, 0).r;
    if (depth <= 0.0) {
        imageStore(hdr, p, vec4(push.sky.rgb, 1.0));  // reversed Z: nothing drawn
        return;
    }
    vec2 pixel = vec2(p) + 0.5;
    vec2 ndc = pixel / vec2(size) * 2.0 - 1.0;
    vec4 w = push.inverse_view_projection * vec4(ndc, depth, 1.0);
    vec3 world = w.xyz / w.w;
    vec3 albedo = texelFetch(sampler2D(albedo_image, nearest), p, 0).rgb;
    vec3 n = normalize(texelFetch(sampler2D(normal_image, nearest), p, 0).xyz);
    float facing = max(dot(n, push.sun.xyz), 0.0);
    float shade = facing > 0.0 ? 1.0 : 0.0;
#ifdef SHADOWS
    shade = facing > 0.0 ? sunlight(world, n) : 0.0;
#endif
    // A touch of sky from above keeps faces turned from the sun readable.
    float sky = 0.5 + 0.5 * n.y;
    vec3 light = vec3(facing * shade + push.sun.w * sky);
#ifdef LIGHTS
    light += point_lights(world, n, pixel);
#endif
    imageStore(hdr, p, vec4(albedo * light, shade));
}
