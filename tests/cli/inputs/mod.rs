//! What people type (issue 17, part A): one way to write a value (dtypes, counts, bytes, contexts), the paths a
//! shell or a Hugging Face cache gives (globs with companions, shards named together, cache repositories,
//! symlinks), filters, and the counts people gate on.

mod counts;
mod paths;
mod values;
