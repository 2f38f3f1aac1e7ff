//! One pass over the data bytes of the selected tensors, on every core.
//!
//! Each file is read with positioned reads ([`DataFile`]) after checking that its length is still the one its
//! header was validated against; a file that shrinks during the scan is an error naming it, never a signal.
//! Tensors are cut into chunks of a fixed size so one huge tensor spreads across threads; workers take chunks
//! in file order from a shared counter, so the disk sees near-sequential reads, and read each chunk in pieces
//! of about [`READ_BYTES`] into a buffer of their own, which stays in cache while it is decoded. A piece holds
//! whole decoding blocks, so the blocks summarised are the same however a chunk is read. Chunk results are
//! merged per tensor in chunk order: the result depends on the chunk size, never on thread scheduling.

use super::accumulate::{Accumulator, BLOCK_VALUES};
use super::decode::{decoding, with_decoder, Decode, DecoderFn, Decoding};
use super::kernel::Lane;
use crate::format::data::{pieces, DataFile, READ_BYTES};
use crate::format::error::InputError;
use crate::model::checkpoint::{Checkpoint, Elements, Tensor};
use crate::model::dtype::{DType, Storage};
use rayon::prelude::*;
use std::ops::Range;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

/// Large enough that per-chunk overhead vanishes, small enough that a 100 MB tensor keeps every core busy.
pub const DEFAULT_CHUNK_BYTES: u64 = 8 << 20;

/// Called from worker threads with the number of bytes just summarised.
pub type ProgressFn = Arc<dyn Fn(u64) + Send + Sync>;

/// How `scan_tensors` reads and summarises: chunk size, histograms, progress callback.
#[derive(Clone)]
pub struct ScanOptions {
    /// Bytes per unit of parallel work; rounded down to a multiple of 8 (the widest element), at least 8.
    pub chunk_bytes: u64,
    /// Also build a log-scaled histogram per tensor.
    pub histogram: bool,
    /// Told the bytes summarised after each piece, from worker threads (e.g. to advance a progress bar); `None`: no reports.
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
    /// Byte range within the file.
    bytes: Range<u64>,
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
    let step = options.chunk_bytes.max(8) / 8 * 8;
    for (file_index, file) in checkpoint.files.iter().enumerate() {
        let slots: Vec<usize> = (0..selected.len())
            .filter(|&s| selected[s].file == file_index && selected[s].elements() > 0)
            .filter(|&s| results[s].is_some())
            .collect();
        if slots.is_empty() {
            continue;
        }
        let data = DataFile::open(&file.path, file.size_bytes)?;
        // Strided views (a transposed PyTorch weight) are gathered into order first; everything else is read in
        // place, in parallel chunks.
        let (strided, slots): (Vec<usize>, Vec<usize>) = slots.into_iter().partition(|&s| {
            matches!(
                checkpoint.elements_of(selected[s]),
                Elements::Strided { .. }
            )
        });
        for slot in strided {
            let t = selected[slot];
            let summary = summarise_strided(&data, checkpoint, t, step, options)?;
            if let Some(p) = &options.progress {
                p(t.dtype.bytes_for(t.elements()).unwrap_or(0));
            }
            match (summary, &mut results[slot]) {
                (Some(a), Some(total)) => total.merge(&a),
                (None, r) => *r = None,
                _ => {}
            }
        }
        let chunks = chunks(checkpoint, selected, &slots, step);
        for (slot, acc) in summarise_chunks(&data, &chunks, options)? {
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

/// Cuts the file's selected tensors (none of them strided) into chunks of `step` bytes, in file order.
fn chunks(checkpoint: &Checkpoint, selected: &[&Tensor], slots: &[usize], step: u64) -> Vec<Chunk> {
    let mut out = Vec::new();
    for &slot in slots {
        let t = selected[slot];
        // Offsets were validated against the file's length when the header was read.
        let Elements::Contiguous { start, end } = checkpoint.elements_of(t) else {
            continue;
        };
        // A chunk never splits a quantised block: blocks are decoded whole.
        let step = match t.dtype.storage() {
            Storage::Block { bytes, .. } => (step / bytes as u64).max(1) * bytes as u64,
            Storage::Bits(_) => step,
        };
        out.extend(pieces(start..end, step).map(|bytes| Chunk {
            slot,
            dtype: t.dtype,
            bytes,
        }));
    }
    out
}

/// Summarises every chunk on the rayon pool; returns (slot, summary) in chunk order. The first read error
/// stops every worker and is returned.
fn summarise_chunks(
    data: &DataFile,
    chunks: &[Chunk],
    options: &ScanOptions,
) -> Result<Vec<(usize, Option<Accumulator>)>, InputError> {
    let next = AtomicUsize::new(0);
    let failed = AtomicBool::new(false);
    let error: Mutex<Option<InputError>> = Mutex::new(None);
    let workers = rayon::current_num_threads().min(chunks.len()).max(1);
    let mut done: Vec<(usize, Option<Accumulator>)> = (0..workers)
        .into_par_iter()
        .flat_map_iter(|_| {
            let mut mine = Vec::new();
            let mut buf = Vec::new();
            while !failed.load(Ordering::Relaxed) {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(c) = chunks.get(i) else { break };
                let range = c.bytes.clone();
                match summarise_range(data, range, c.dtype, options.histogram, &mut buf) {
                    Ok(acc) => mine.push((i, acc)),
                    Err(e) => {
                        failed.store(true, Ordering::Relaxed);
                        let mut first = error.lock().unwrap_or_else(|p| p.into_inner());
                        first.get_or_insert(e);
                        break;
                    }
                }
                if let Some(p) = &options.progress {
                    p(c.bytes.end - c.bytes.start);
                }
            }
            mine
        })
        .collect();
    if let Some(e) = error.into_inner().unwrap_or_else(|p| p.into_inner()) {
        return Err(e);
    }
    done.sort_by_key(|(i, _)| *i);
    Ok(done
        .into_iter()
        .map(|(i, acc)| (chunks[i].slot, acc))
        .collect())
}

/// Reads and summarises the bytes `range` of `data` in pieces of whole decoding blocks through `buf`; `None`
/// when the dtype is not decoded.
fn summarise_range(
    data: &DataFile,
    range: Range<u64>,
    dtype: DType,
    histogram: bool,
    buf: &mut Vec<u8>,
) -> Result<Option<Accumulator>, InputError> {
    struct Run<'a> {
        data: &'a DataFile,
        range: Range<u64>,
        histogram: bool,
        buf: &'a mut Vec<u8>,
    }
    impl DecoderFn<Result<Accumulator, InputError>> for Run<'_> {
        fn call<D: Decode>(self, decoder: D) -> Result<Accumulator, InputError> {
            let block_bytes = BLOCK_VALUES / D::VALUES * D::BYTES;
            let piece = ((READ_BYTES / block_bytes).max(1) * block_bytes) as u64;
            let mut acc = Accumulator::new(self.histogram);
            for r in pieces(self.range, piece) {
                add_blocks(&decoder, self.data.read(r, self.buf)?, &mut acc);
            }
            Ok(acc)
        }
    }
    let run = Run {
        data,
        range,
        histogram,
        buf,
    };
    with_decoder(dtype, run).transpose()
}

/// A strided view's elements in row-major order, summarised `step` bytes at a time (as chunks of a contiguous
/// tensor are).
fn summarise_strided(
    data: &DataFile,
    checkpoint: &Checkpoint,
    t: &Tensor,
    step: u64,
    options: &ScanOptions,
) -> Result<Option<Accumulator>, InputError> {
    let Elements::Strided {
        base,
        offset,
        strides,
    } = checkpoint.elements_of(t)
    else {
        return Ok(None);
    };
    let mut span = Vec::new();
    let bytes = data.read(view_span(t, base, offset, strides), &mut span)?;
    let mut ordered = Vec::new();
    gather_from(t, strides, bytes, 0..t.elements(), &mut ordered);
    let mut total = Accumulator::new(options.histogram);
    for chunk in ordered.chunks(step.max(1) as usize) {
        match summarise(chunk, t.dtype, options.histogram) {
            Some(a) => total.merge(&a),
            None => return Ok(None),
        }
    }
    Ok(Some(total))
}

/// The part of its file a strided view's elements lie in: from its first element to its last (strides are
/// counted in elements and never negative; the readers checked that every element lies inside the storage).
pub fn view_span(t: &Tensor, base: u64, offset: u64, strides: &[u64]) -> Range<u64> {
    let size = t.dtype.bytes_for(1).unwrap_or(1);
    if t.elements() == 0 {
        return base..base;
    }
    let last = offset
        + t.shape
            .iter()
            .zip(strides)
            .map(|(&n, &s)| (n - 1) * s)
            .sum::<u64>();
    base + offset * size..base + (last + 1) * size
}

/// Elements `range` of `t`, a strided view, in row-major order into `out`, taken from `span`: the bytes of the
/// file [`view_span`] names.
pub fn gather_from(t: &Tensor, strides: &[u64], span: &[u8], range: Range<u64>, out: &mut Vec<u8>) {
    let size = t.dtype.bytes_for(1).unwrap_or(1) as usize;
    out.clear();
    if range.is_empty() {
        return;
    }
    // An odometer over the shape, started at `range.start`.
    let mut index = vec![0u64; t.shape.len()];
    let mut rest = range.start;
    let mut at = 0u64;
    for d in (0..t.shape.len()).rev() {
        index[d] = rest % t.shape[d];
        rest /= t.shape[d];
        at += index[d] * strides[d];
    }
    for _ in range {
        let byte = at as usize * size;
        out.extend_from_slice(&span[byte..byte + size]);
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

/// Decodes and summarises bytes already in memory; `None` when the dtype is not decoded.
pub fn summarise(bytes: &[u8], dtype: DType, histogram: bool) -> Option<Accumulator> {
    struct Run<'a> {
        bytes: &'a [u8],
        histogram: bool,
    }
    impl DecoderFn<Accumulator> for Run<'_> {
        fn call<D: Decode>(self, decoder: D) -> Accumulator {
            let mut acc = Accumulator::new(self.histogram);
            add_blocks(&decoder, self.bytes, &mut acc);
            acc
        }
    }
    with_decoder(dtype, Run { bytes, histogram })
}

/// Adds the blocks of `bytes` to `acc`, with the AVX2 build of the loop when the CPU has it.
fn add_blocks<D: Decode>(decoder: &D, bytes: &[u8], acc: &mut Accumulator) {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU has AVX2 (checked just above).
        return unsafe { add_blocks_avx2(decoder, bytes, acc) };
    }
    add_blocks_with(decoder, bytes, acc)
}

/// The same loop compiled for AVX2: wider vectors for the kernel and the conversions. Lane order and
/// arithmetic are the same, so the results are identical to the portable build's.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn add_blocks_avx2<D: Decode>(decoder: &D, bytes: &[u8], acc: &mut Accumulator) {
    add_blocks_with(decoder, bytes, acc)
}

/// Blocks of [`BLOCK_VALUES`] values from the start of `bytes` (only the last may be shorter), each added to
/// `acc` as the scan has always added them: the same blocks give the same sums, however the bytes were read.
#[inline(always)]
fn add_blocks_with<D: Decode>(decoder: &D, bytes: &[u8], acc: &mut Accumulator) {
    let histogram = acc.hist.is_some();
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
}
