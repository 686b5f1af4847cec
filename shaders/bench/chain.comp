#version 450
// One link of the recording benchmark's chain: six storage buffers, the output depends on the
// previous link's output.

layout(local_size_x = 64) in;
layout(set = 0, binding = 0) readonly buffer Prev { float prev[]; };
layout(set = 0, binding = 1) writeonly buffer Next { float next[]; };
layout(set = 0, binding = 2) readonly buffer A { float a[]; };
layout(set = 0, binding = 3) readonly buffer B { float b[]; };
layout(set = 0, binding = 4) readonly buffer C { float c[]; };
layout(set = 0, binding = 5) readonly buffer D { float d[]; };
layout(push_constant) uniform Push { uint link; } push;

void main() {
    uint i = gl_GlobalInvocationID.x;
    next[i] = prev[i] * 0.5 + a[i] + b[i] * c[i] - d[i] + float(push.link & 7u);
}
