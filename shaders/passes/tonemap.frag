#version 450
// Maps the HDR target into the output (`passes::post::Tonemap`): exposure, then an exponential
// curve that keeps darks linear and rolls highlights off toward 1.

layout(location = 0) in vec2 uv;
layout(location = 0) out vec4 color;
layout(set = 0, binding = 0) uniform texture2D hdr;
layout(set = 0, binding = 1) uniform sampler nearest;

layout(push_constant) uniform Push {
    float exposure;
} push;

void main() {
    vec3 c = texelFetch(sampler2D(hdr, nearest), ivec2(gl_FragCoord.xy), 0).rgb;
    color = vec4(1.0 - exp(-c * push.exposure), 1.0);
}
