//! Unit tests of the barrier phase on small graphs.
