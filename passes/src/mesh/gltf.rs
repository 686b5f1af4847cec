//! glTF 2.0 loading (to be written).
