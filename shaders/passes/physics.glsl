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

// Periodic boxes (`BroadPhase::period`, cells a side; 0: none): the box spans
// [0, period × cell_size) on every axis and wraps.

// A position brought into the box.
vec3 wrap_position(vec3 p, float side) {
    return side > 0.0 ? p - side * floor(p / side) : p;
}

// The cell a position is in, wrapped into the box (clamped: a position a rounding below the
// far face may divide to the cell past it).
ivec3 cell_in_box(vec3 p, float cell_size, uint period) {
    if (period == 0u) {
        return cell_of(p, cell_size);
    }
    ivec3 c = cell_of(wrap_position(p, cell_size * float(period)), cell_size);
    return clamp(c, ivec3(0), ivec3(int(period) - 1));
}

// A neighbouring cell (`c` in the box, `d` in -1..1), wrapped.
ivec3 neighbour_cell(ivec3 c, ivec3 d, uint period) {
    return period == 0u ? c + d : (c + d + ivec3(int(period))) % ivec3(int(period));
}

// From b to a, through the nearest of b's images in a periodic box of side `side` (0: none).
vec3 separation(vec3 a, vec3 b, float side) {
    vec3 d = a - b;
    return side > 0.0 ? d - side * round(d / side) : d;
}
