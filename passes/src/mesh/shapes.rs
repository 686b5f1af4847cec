//! Procedural shapes (to be written).
