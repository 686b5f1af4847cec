#version 450
// Writes one cascade's record into the cascade buffer (`passes::shadow::ShadowCascades`): the
// matrices are worked out on the CPU (`passes::shadow::fit`) and pushed, so the GPU holds them
// bit for bit.

layout(local_size_x = 1) in;

struct Cascade {
    mat4 view_projection;
    vec4 params;  // the slice's far distance, texel size, depth units per world unit, unused
};

layout(set = 0, binding = 0) buffer Cascades { Cascade cascades[]; };

layout(push_constant) uniform Push {
    mat4 view_projection;
    vec4 params;
    uint index;
} push;

void main() {
    cascades[push.index].view_projection = push.view_projection;
    cascades[push.index].params = push.params;
}
