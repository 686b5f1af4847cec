#version 450
// One triangle from the vertex index alone: no vertex buffers.

layout(push_constant) uniform Push {
    float angle;
} push;

layout(location = 0) out vec3 color;

const vec2 corners[3] = vec2[](vec2(0.0, -0.8), vec2(0.75, 0.55), vec2(-0.75, 0.55));
const vec3 colors[3] = vec3[](vec3(1.0, 0.2, 0.2), vec3(0.2, 1.0, 0.2), vec3(0.2, 0.3, 1.0));

void main() {
    vec2 p = corners[gl_VertexIndex];
    float c = cos(push.angle), s = sin(push.angle);
    gl_Position = vec4(c * p.x - s * p.y, s * p.x + c * p.y, 0.0, 1.0);
    color = colors[gl_VertexIndex];
}
