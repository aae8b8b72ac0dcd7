//! Agent dispatch (being written).
