//! Reading tensor values: decoders for every dtype, the statistics kernels, and the parallel scan over a
//! checkpoint's data that `stats`, `check` and `diff` share.

pub mod accumulate;
pub mod decode;
pub mod hist;
pub(crate) mod kernel;
pub mod pow2;
pub mod scan;
