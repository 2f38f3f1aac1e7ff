//! PyTorch checkpoints, read without running any of their pickle.

pub mod pickle;
