//! One pass over the mapped bytes of the selected tensors, on every core.
//!
//! Each file is mapped read-only after checking that its length is still the one its header was validated
//! against (a mapping read past the end of a truncated file raises SIGBUS instead of an error). Tensors are cut
//! into chunks of a fixed size so one huge tensor spreads across threads; workers take chunks in file order
//! from a shared counter, so the disk sees near-sequential reads. Chunk results are merged per tensor in chunk
//! order: the result depends on the chunk size, never on thread scheduling.

use super::accumulate::{Accumulator, BLOCK_VALUES};
use super::decode::{decoding, with_decoder, Decode, DecoderFn, Decoding};
use super::kernel::Lane;
use crate::format::error::{InputError, Problem};
use crate::model::checkpoint::{Checkpoint, Elements, FileInfo, Tensor};
use crate::model::dtype::{DType, Storage};
use memmap2::Mmap;
use rayon::prelude::*;
use std::fs::File;
use std::ops::Range;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

/// Large enough that per-chunk overhead vanishes, small enough that a 100 MB tensor keeps every core busy.
pub const DEFAULT_CHUNK_BYTES: u64 = 8 << 20;

/// Called from worker threads with the number of bytes just summarised.
pub type ProgressFn = Arc<dyn Fn(u64) + Send + Sync>;

#[derive(Clone)]
pub struct ScanOptions {
    /// Bytes per unit of parallel work; rounded down to a multiple of 8 (the widest element), at least 8.
    pub chunk_bytes: u64,
    /// Also build a log-scaled histogram per tensor.
    pub histogram: bool,
    pub progress: Option<ProgressFn>,
}

impl Default for ScanOptions {
    fn default() -> Self {
        ScanOptions {
            chunk_bytes: DEFAULT_CHUNK_BYTES,
            histogram: false,
            progress: None,
        }
    }
}

impl std::fmt::Debug for ScanOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ScanOptions")
            .field("chunk_bytes", &self.chunk_bytes)
            .field("histogram", &self.histogram)
            .field("progress", &self.progress.is_some())
            .finish()
    }
}

struct Chunk {
    /// Index into the selected tensors.
    slot: usize,
    dtype: DType,
    /// Byte range within the mapped file.
    bytes: Range<usize>,
}

/// Summarises each selected tensor; `None` for tensors whose dtype is not decoded. `selected` must be in file
/// order (as `Checkpoint::tensors` is).
pub fn scan_tensors(
    checkpoint: &Checkpoint,
    selected: &[&Tensor],
    options: &ScanOptions,
) -> Result<Vec<Option<Accumulator>>, InputError> {
    let mut results: Vec<Option<Accumulator>> = selected
        .iter()
        .map(|t| {
            let decoded = !matches!(decoding(t.dtype), Decoding::NotDecoded(_));
            decoded.then(|| Accumulator::new(options.histogram))
        })
        .collect();
    let step = (options.chunk_bytes.max(8) / 8 * 8) as usize;
    for (file_index, file) in checkpoint.files.iter().enumerate() {
        let slots: Vec<usize> = (0..selected.len())
            .filter(|&s| selected[s].file == file_index && selected[s].elements() > 0)
            .filter(|&s| results[s].is_some())
            .collect();
        if slots.is_empty() {
            continue;
        }
        let map = map_file(file)?;
        // Strided views (a transposed PyTorch weight) are gathered into order first; everything else is read in
        // place, in parallel chunks.
        let (strided, slots): (Vec<usize>, Vec<usize>) = slots.into_iter().partition(|&s| {
            matches!(
                checkpoint.elements_of(selected[s]),
                Elements::Strided { .. }
            )
        });
        for slot in strided {
            let summary = summarise_strided(&map, checkpoint, selected[slot], step, options);
            if let Some(p) = &options.progress {
                p(selected[slot]
                    .dtype
                    .bytes_for(selected[slot].elements())
                    .unwrap_or(0));
            }
            match (summary, &mut results[slot]) {
                (Some(a), Some(total)) => total.merge(&a),
                (None, r) => *r = None,
                _ => {}
            }
        }
        let chunks = chunks(checkpoint, selected, &slots, step);
        let summaries = summarise_chunks(&map, &chunks, options).map_err(|Truncated| {
            let found = std::fs::metadata(&file.path).map_or(0, |m| m.len());
            InputError::new(
                &file.path,
                Problem::ChangedSinceRead {
                    expected: file.size_bytes,
                    found,
                },
            )
        })?;
        for (slot, acc) in summaries {
            if let Some(total) = &mut results[slot] {
                match acc {
                    Some(a) => total.merge(&a),
                    None => results[slot] = None,
                }
            }
        }
    }
    Ok(results)
}

pub(crate) fn map_file(file: &FileInfo) -> Result<Mmap, InputError> {
    let err = |problem| InputError::new(&file.path, problem);
    let handle = File::open(&file.path).map_err(|e| err(Problem::Io(e)))?;
    let len = handle.metadata().map_err(|e| err(Problem::Io(e)))?.len();
    if len != file.size_bytes {
        return Err(err(Problem::ChangedSinceRead {
            expected: file.size_bytes,
            found: len,
        }));
    }
    // SAFETY: the map is read-only and only read within the length checked above. Another process truncating
    // the file during the scan would still fault; nothing short of copying the data could prevent that.
    let map = unsafe { Mmap::map(&handle) }.map_err(|e| err(Problem::Io(e)))?;
    #[cfg(unix)]
    let _ = map.advise(memmap2::Advice::Sequential);
    Ok(map)
}

/// Cuts the file's selected tensors into chunks of `step` bytes, in file order.
fn chunks(
    checkpoint: &Checkpoint,
    selected: &[&Tensor],
    slots: &[usize],
    step: usize,
) -> Vec<Chunk> {
    let mut out = Vec::new();
    for &slot in slots {
        let t = selected[slot];
        // Offsets were validated against the file length when the header was read, and the length has not
        // changed since: they fit in the mapping, and so in usize.
        let Elements::Contiguous { start, end } = checkpoint.elements_of(t) else {
            continue;
        };
        let (start, end) = (start as usize, end as usize);
        // A chunk never splits a quantised block: blocks are decoded whole.
        let step = match t.dtype.storage() {
            Storage::Block { bytes, .. } => (step / bytes as usize).max(1) * bytes as usize,
            Storage::Bits(_) => step,
        };
        let mut at = start;
        while at < end {
            let next = end.min(at.saturating_add(step));
            out.push(Chunk {
                slot,
                dtype: t.dtype,
                bytes: at..next,
            });
            at = next;
        }
    }
    out
}

/// A strided view's elements in row-major order, copied `step` bytes at a time out of the mapping.
fn summarise_strided(
    map: &Mmap,
    checkpoint: &Checkpoint,
    t: &Tensor,
    step: usize,
    options: &ScanOptions,
) -> Option<Accumulator> {
    let mut total = Accumulator::new(options.histogram);
    let mut buffer = Vec::with_capacity(step);
    let mut result = Some(());
    for_each_element(checkpoint, t, map, |element| {
        buffer.extend_from_slice(element);
        if buffer.len() + element.len() > step {
            match summarise(&buffer, t.dtype, options.histogram) {
                Some(a) => total.merge(&a),
                None => result = None,
            }
            buffer.clear();
        }
    });
    if !buffer.is_empty() {
        total.merge(&summarise(&buffer, t.dtype, options.histogram)?);
    }
    result.map(|_| total)
}

/// Calls `f` with the bytes of each element of `t`, in row-major order, wherever its view puts them.
pub fn for_each_element(checkpoint: &Checkpoint, t: &Tensor, map: &[u8], f: impl FnMut(&[u8])) {
    for_elements(checkpoint, t, map, 0..t.elements(), f)
}

/// The bytes of elements `range` of `t` in row-major order: borrowed from `map` where they are contiguous,
/// gathered where `t` is a strided view.
pub fn element_bytes<'m>(
    checkpoint: &Checkpoint,
    t: &Tensor,
    map: &'m [u8],
    range: Range<u64>,
) -> std::borrow::Cow<'m, [u8]> {
    let size = t.dtype.bytes_for(1).unwrap_or(1);
    if let Elements::Contiguous { start, .. } = checkpoint.elements_of(t) {
        let bytes = |e: u64| (start + t.dtype.bytes_for(e).unwrap_or(e * size)) as usize;
        return std::borrow::Cow::Borrowed(&map[bytes(range.start)..bytes(range.end)]);
    }
    let mut out = Vec::with_capacity(((range.end - range.start) * size) as usize);
    for_elements(checkpoint, t, map, range, |e| out.extend_from_slice(e));
    std::borrow::Cow::Owned(out)
}

fn for_elements(
    checkpoint: &Checkpoint,
    t: &Tensor,
    map: &[u8],
    range: Range<u64>,
    mut f: impl FnMut(&[u8]),
) {
    let size = t.dtype.bytes_for(1).unwrap_or(1) as usize;
    if range.is_empty() {
        return;
    }
    match checkpoint.elements_of(t) {
        Elements::Contiguous { start, .. } => {
            let from = start as usize + range.start as usize * size;
            let to = start as usize + range.end as usize * size;
            map[from..to].chunks(size).for_each(f);
        }
        Elements::Strided {
            base,
            offset,
            strides,
        } => {
            // An odometer over the shape, started at `range.start`: the readers checked that every element
            // lies inside the storage.
            let mut index = vec![0u64; t.shape.len()];
            let mut rest = range.start;
            let mut at = offset;
            for d in (0..t.shape.len()).rev() {
                index[d] = rest % t.shape[d];
                rest /= t.shape[d];
                at += index[d] * strides[d];
            }
            for _ in range {
                let byte = (base + at * size as u64) as usize;
                f(&map[byte..byte + size]);
                for d in (0..t.shape.len()).rev() {
                    index[d] += 1;
                    at += strides[d];
                    if index[d] < t.shape[d] {
                        break;
                    }
                    at -= strides[d] * t.shape[d];
                    index[d] = 0;
                }
            }
        }
    }
}

/// The file shrank while it was being read (seen when its pages were populated).
struct Truncated;

/// Summarises every chunk on the rayon pool; returns (slot, summary) in chunk order.
fn summarise_chunks(
    map: &Mmap,
    chunks: &[Chunk],
    options: &ScanOptions,
) -> Result<Vec<(usize, Option<Accumulator>)>, Truncated> {
    let next = AtomicUsize::new(0);
    let truncated = AtomicBool::new(false);
    let workers = rayon::current_num_threads().min(chunks.len()).max(1);
    let mut done: Vec<(usize, Option<Accumulator>)> = (0..workers)
        .into_par_iter()
        .flat_map_iter(|_| {
            let mut mine = Vec::new();
            while !truncated.load(Ordering::Relaxed) {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(c) = chunks.get(i) else { break };
                if !populate(map, &c.bytes) {
                    truncated.store(true, Ordering::Relaxed);
                    break;
                }
                let bytes = &map[c.bytes.clone()];
                mine.push((i, summarise(bytes, c.dtype, options.histogram)));
                if let Some(p) = &options.progress {
                    p(bytes.len() as u64);
                }
            }
            mine
        })
        .collect();
    if truncated.into_inner() {
        return Err(Truncated);
    }
    done.sort_by_key(|(i, _)| *i);
    Ok(done
        .into_iter()
        .map(|(i, acc)| (chunks[i].slot, acc))
        .collect())
}

/// Maps a chunk's pages in one call, cheaper than a fault per page. On Linux this also turns a file truncated
/// during the scan into an error here instead of SIGBUS when the missing pages are read: the kernel then
/// answers EFAULT. Returns false in that case; other failures (an old kernel without MADV_POPULATE_READ) only
/// mean the pages fault in one by one.
fn populate(map: &Mmap, range: &Range<usize>) -> bool {
    #[cfg(target_os = "linux")]
    if let Err(e) = map.advise_range(memmap2::Advice::PopulateRead, range.start, range.len()) {
        /// EFAULT on every Linux architecture.
        const EFAULT: i32 = 14;
        return e.raw_os_error() != Some(EFAULT);
    }
    #[cfg(not(target_os = "linux"))]
    let _ = (map, range);
    true
}

/// Decodes and summarises one chunk; `None` when the dtype is not decoded.
pub fn summarise(bytes: &[u8], dtype: DType, histogram: bool) -> Option<Accumulator> {
    struct Run<'a> {
        bytes: &'a [u8],
        histogram: bool,
    }
    impl DecoderFn<Accumulator> for Run<'_> {
        fn call<D: Decode>(self, decoder: D) -> Accumulator {
            #[cfg(target_arch = "x86_64")]
            if std::arch::is_x86_feature_detected!("avx2") {
                // SAFETY: the CPU has AVX2 (checked just above).
                return unsafe { summarise_avx2(&decoder, self.bytes, self.histogram) };
            }
            summarise_with(&decoder, self.bytes, self.histogram)
        }
    }
    with_decoder(dtype, Run { bytes, histogram })
}

/// The same loop compiled for AVX2: wider vectors for the kernel and the conversions. Lane order and
/// arithmetic are the same, so the results are identical to the portable build's.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn summarise_avx2<D: Decode>(decoder: &D, bytes: &[u8], histogram: bool) -> Accumulator {
    summarise_with(decoder, bytes, histogram)
}

#[inline(always)]
fn summarise_with<D: Decode>(decoder: &D, bytes: &[u8], histogram: bool) -> Accumulator {
    let mut acc = Accumulator::new(histogram);
    let mut values = [D::Value::ZERO; BLOCK_VALUES];
    let block_bytes = BLOCK_VALUES / D::VALUES * D::BYTES;
    for block in bytes.chunks(block_bytes) {
        let n = block.len() / D::BYTES * D::VALUES;
        if let Some(extremes) = decoder.exact_extremes(block) {
            acc.add_exact_extremes(extremes);
        }
        if !histogram {
            if let Some(summary) = decoder.raw_block(block) {
                acc.add_summary(n as u64, &summary);
                continue;
            }
        }
        decoder.decode(block, &mut values[..n]);
        acc.add_block(&values[..n], decoder.min_normal());
    }
    acc
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    #[test]
    fn pages_past_a_truncation_are_refused_not_faulted() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        std::fs::write(&path, vec![7u8; 64 << 10]).unwrap();
        let file = File::open(&path).unwrap();
        // SAFETY: the test only touches the mapping through `populate`, never reads the truncated pages.
        let map = unsafe { Mmap::map(&file) }.unwrap();
        assert!(populate(&map, &(0..map.len())));
        std::fs::OpenOptions::new()
            .write(true)
            .open(&path)
            .unwrap()
            .set_len(4096)
            .unwrap();
        assert!(populate(&map, &(0..4096)));
        assert!(!populate(&map, &(8192..map.len())));
    }
}
