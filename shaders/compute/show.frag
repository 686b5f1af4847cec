#version 450
// Shows the shaded field, scaled to the output.

layout(location = 0) in vec2 uv;
layout(location = 0) out vec4 color;
layout(set = 0, binding = 0) uniform texture2D lit;
layout(set = 0, binding = 1) uniform sampler linear;

void main() {
    color = texture(sampler2D(lit, linear), uv);
}
