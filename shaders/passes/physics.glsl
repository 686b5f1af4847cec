// Particles and the spatial hash they are sorted by (`passes::physics`). Keep in step with
// passes/src/physics.rs.
#pragma once

struct Particle {
    vec4 position_radius;
    vec4 velocity;
};

// The hash-table slot of a grid cell: an integer hash of its coordinates, masked.
uint cell_key(ivec3 cell, uint mask) {
    uint h = uint(cell.x) * 0x8da6b343u ^ uint(cell.y) * 0xd8163841u ^ uint(cell.z) * 0xcb1ab31fu;
    h ^= h >> 16;
    h *= 0x7feb352du;
    h ^= h >> 15;
    h *= 0x846ca68bu;
    h ^= h >> 16;
    return h & mask;
}

ivec3 cell_of(vec3 p, float cell_size) {
    return ivec3(floor(p / cell_size));
}
