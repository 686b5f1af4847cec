// Fractal value noise in integer arithmetic (`passes::terrain`), so that the CPU reference
// (`passes::terrain::height_at`) computes the same heights bit for bit: lattice values from an
// integer hash, smoothstep weights and bilinear blends in 12-bit fixed point, octaves summed as
// integers, and one exact conversion to float at the end.
#pragma once

uint terrain_hash(uint x, uint y, uint octave, uint seed) {
    uint h = x * 0x8da6b343u ^ y * 0xd8163841u ^ (octave + 1u) * 0xcb1ab31fu ^ seed * 0x9e3779b9u;
    h ^= h >> 16;
    h *= 0x7feb352du;
    h ^= h >> 15;
    h *= 0x846ca68bu;
    h ^= h >> 16;
    return h;
}

// The lattice value at (x, y) of an octave: 12 bits.
int lattice(uint x, uint y, uint octave, uint seed) {
    return int(terrain_hash(x, y, octave, seed) >> 20);
}

// Smoothstep of a 12-bit fraction, in 12 bits: t²(3 − 2t).
int smooth12(int t) {
    int t2 = (t * t) >> 12;
    return (t2 * (3 * 4096 - 2 * t)) >> 12;
}

int lerp12(int a, int b, int t) {
    return a + (((b - a) * t) >> 12);
}

// The height at texel (x, y): `octaves` octaves, the first with a lattice period of
// 2^`base_shift` texels, each next one half the period and half the weight. In [0, 2).
float terrain_height(uint x, uint y, uint octaves, uint base_shift, uint seed) {
    int sum = 0;
    for (uint o = 0u; o < octaves; ++o) {
        uint shift = base_shift - o;
        uint ix = x >> shift;
        uint iy = y >> shift;
        // The fraction within the lattice cell, in 12 bits.
        int fx = int((x & ((1u << shift) - 1u)) << 12 >> shift);
        int fy = int((y & ((1u << shift) - 1u)) << 12 >> shift);
        int sx = smooth12(fx);
        int sy = smooth12(fy);
        int a = lerp12(lattice(ix, iy, o, seed), lattice(ix + 1u, iy, o, seed), sx);
        int b = lerp12(lattice(ix, iy + 1u, o, seed), lattice(ix + 1u, iy + 1u, o, seed), sx);
        sum += lerp12(a, b, sy) << (octaves - 1u - o);
    }
    // sum < 4096 · 2^octaves ≤ 2^24: exact as a float; the scale is a power of two.
    return ldexp(float(sum), -int(11u + octaves));
}
