//! LOD chains (to be written).
