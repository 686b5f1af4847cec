#version 450
// Broad phase, step 2: the exclusive prefix sum of the slot counts, by one workgroup (so no
// workgroup waits on another: Vulkan does not promise that they make progress together). Each
// invocation sums a contiguous run of slots, the 256 sums are scanned in shared memory, then
// each invocation writes its run's starts. `starts[slots]` is the total.

layout(local_size_x = 256) in;
layout(set = 0, binding = 0) readonly buffer Counts { uint counts[]; };
layout(set = 0, binding = 1) writeonly buffer Starts { uint starts[]; };

layout(push_constant) uniform Push {
    uint slots;
} push;

shared uint sums[256];

void main() {
    uint t = gl_LocalInvocationID.x;
    uint run = (push.slots + 255u) / 256u;
    uint begin = min(t * run, push.slots);
    uint end = min(begin + run, push.slots);
    uint sum = 0u;
    for (uint k = begin; k < end; ++k) {
        sum += counts[k];
    }
    sums[t] = sum;
    barrier();
    // Hillis–Steele inclusive scan of the 256 sums.
    for (uint step = 1u; step < 256u; step <<= 1) {
        uint add = t >= step ? sums[t - step] : 0u;
        barrier();
        sums[t] += add;
        barrier();
    }
    uint at = sums[t] - sum;
    for (uint k = begin; k < end; ++k) {
        starts[k] = at;
        at += counts[k];
    }
    if (t == 255u) {
        starts[push.slots] = sums[255];
    }
}
