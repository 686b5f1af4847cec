// Helpers shared by the framework's shaders.

// A 32-bit integer hash (a variant of the "lowbias32" mixer): cheap, and every input bit
// affects every output bit, so the tests can tell which producer's data a consumer saw.
uint rg_hash(uint x) {
    x ^= x >> 16;
    x *= 0x7feb352du;
    x ^= x >> 15;
    x *= 0x846ca68bu;
    x ^= x >> 16;
    return x;
}
