//! Where the parameters are: rows grouped by layer, module or dtype, and the tree of name components.

pub mod group;
pub mod tree;
