//! Where the parameters are: rows grouped by layer, module or dtype ([`group`]), and the tree of name components
//! ([`tree`]). Both collapse blocks named by an integer (`layers.0` … `layers.31`) when they are identical; the
//! helpers they share for that are here.

pub mod group;
pub mod order;
pub mod tree;

use crate::interpret::role::Role;
use crate::model::dtype::DType;

/// What grouping needs to know of a tensor.
#[derive(Debug, Clone, Copy)]
pub struct Item<'a> {
    /// The tensor's full name.
    pub name: &'a str,
    /// Its element type.
    pub dtype: DType,
    /// Its shape, outermost dimension first.
    pub shape: &'a [u64],
    /// Its elements (the Hub's count).
    pub parameters: u64,
    /// The elements of the dense model it stands for (0 for buffers and auxiliaries, unpacked for packed weights).
    pub logical_parameters: u64,
    /// Its data bytes.
    pub bytes: u64,
    /// What part of the model it belongs to.
    pub role: Role,
    /// The id of the role rule that gave `role`.
    pub role_rule: &'static str,
}

/// An integer name component: a layer or expert index (`0`, `31`; not `01`, which is a name).
pub fn index_of(component: &str) -> Option<u64> {
    let plain = !component.is_empty()
        && component.bytes().all(|b| b.is_ascii_digit())
        && (component == "0" || !component.starts_with('0'));
    plain.then(|| component.parse().ok()).flatten()
}

/// `[0,1,2,3,5,7,8]` → `0..3,5,7..8`.
pub fn ranges(indices: &[u64]) -> String {
    let mut sorted = indices.to_vec();
    sorted.sort_unstable();
    sorted.dedup();
    crate::model::units::runs(&sorted, "..", ",")
}
