//! `diff --values`: element-wise comparison of the tensors two checkpoints share, in one parallel streaming pass
//! over both files, decoding each side from its own dtype (so BF16 vs F32 compares values, not bytes).

use super::scaled::{scale_for, unscale, Scaled};
use super::shared::{self, FileIds, Files};
use super::Pair;
use crate::format::data::pieces;
use crate::format::error::InputError;
use crate::model::checkpoint::{Checkpoint, Tensor};
use crate::model::dtype::{DType, Storage};
use crate::values::accumulate::BLOCK_VALUES;
use crate::values::decode::{decoding, with_decoder, Decode, DecoderFn, Decoding};
use rayon::prelude::*;
use serde::Serialize;

/// Elements per unit of parallel work (a multiple of 8 and of 256, so sub-byte dtypes start on a byte and ggml
/// blocks are never split).
const CHUNK_ELEMENTS: u64 = 1 << 20;

/// Elements read and compared at a time within a chunk: at most 1 MiB per side for the widest dtype, and a whole
/// number of comparison blocks, so the blocks summed are the same as if the chunk were read at once.
const READ_ELEMENTS: u64 = 1 << 17;

/// When two values count as equal in `--values`: `|a − b| ≤ atol + rtol·|b|`, as numpy's `isclose`.
#[derive(Debug, Clone, Copy)]
pub struct Tolerance {
    /// Absolute tolerance, in the values' units.
    pub atol: f64,
    /// Relative tolerance, a fraction of `|b|`.
    pub rtol: f64,
}

/// The outcome of `--values` over the tensors both sides hold.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct ValuesReport {
    /// The absolute tolerance used.
    pub atol: f64,
    /// The relative tolerance used.
    pub rtol: f64,
    /// Pairs compared (including pairs of an undecoded dtype whose bytes are equal).
    pub compared_tensors: usize,
    /// Elements compared, over all compared pairs.
    pub compared_elements: u64,
    /// Tensors with at least one element outside `|a − b| ≤ atol + rtol·|b|`.
    pub differing_tensors: usize,
    /// The largest `|a − b|` over every compared element (∞ when a finite value became infinite).
    pub max_abs_diff: f64,
    /// One row per compared pair: pairs whose values were decoded, in A's order, then pairs found equal byte for byte.
    pub tensors: Vec<TensorValues>,
    /// Pairs not compared, with the reason (different shapes, an undecoded dtype whose bytes differ; a pair of
    /// one undecoded dtype with equal bytes is in `tensors`, equal).
    pub skipped: Vec<Skipped>,
}

/// The comparison of one pair's values.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct TensorValues {
    /// The tensor's name in A.
    pub name: String,
    /// The tensor's name in B.
    pub b_name: String,
    /// Elements compared.
    pub elements: u64,
    /// The largest `|a − b|` over the pair's finite elements (∞ when a value became infinite).
    pub max_abs_diff: f64,
    /// The mean of `|a − b|` over the elements compared.
    pub mean_abs_diff: f64,
    /// ‖a − b‖ / ‖a‖ (0 when both are zero).
    pub rel_l2: f64,
    /// a·b / (‖a‖‖b‖); 1 when both are all zeros.
    pub cosine: f64,
    /// Elements outside the tolerance; NaN against NaN and an infinity against the same infinity count as equal,
    /// NaN or an infinity against anything else as different.
    pub differing_elements: u64,
}

/// A pair `--values` could not compare.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct Skipped {
    /// The tensor's name in A.
    pub name: String,
    /// Why it was not compared (shapes differ, an undecoded dtype whose bytes differ).
    pub reason: String,
}

/// Running sums for one chunk of one pair; merged in chunk order so results never depend on scheduling. The sums
/// are [`Scaled`]: F64 values beyond about 1e±135 are summed in units of a power of two (see `scaled.rs`).
#[derive(Debug, Clone, Copy, Default)]
struct Sums {
    n: u64,
    /// Not scaled: two finite values of opposite signs near f64's largest differ by more than it, and their
    /// difference is then honestly infinite.
    max_abs: f64,
    sum_abs: Scaled,
    sum_sq_diff: Scaled,
    sum_a2: Scaled,
    sum_b2: Scaled,
    sum_ab: Scaled,
    differing: u64,
}

impl Sums {
    fn merge(&mut self, o: &Sums) {
        self.n += o.n;
        self.max_abs = self.max_abs.max(o.max_abs);
        self.sum_abs.add(o.sum_abs);
        self.sum_sq_diff.add(o.sum_sq_diff);
        self.sum_a2.add(o.sum_a2);
        self.sum_b2.add(o.sum_b2);
        self.sum_ab.add(o.sum_ab);
        self.differing += o.differing;
    }

    /// One block of values, summed as they are; a block whose magnitudes or differences lie beyond 2^±450 (rare)
    /// is summed again in the units they call for.
    fn add(&mut self, a: &[f64], b: &[f64], tol: Tolerance) {
        let (mut max_a, mut max_b, mut max_d) = (0.0f64, 0.0f64, 0.0f64);
        let (mut abs, mut sq, mut a2, mut b2, mut ab) = (0.0, 0.0, 0.0, 0.0, 0.0);
        let mut infinite_d = false;
        for (&x, &y) in a.iter().zip(b) {
            self.n += 1;
            if x.is_nan() || y.is_nan() {
                self.differing += (x.is_nan() != y.is_nan()) as u64;
            } else if x.is_finite() && y.is_finite() {
                // Infinite when x and y, of opposite signs, differ by more than f64's largest.
                let d = (x - y).abs();
                (max_a, max_b, max_d) = (max_a.max(x.abs()), max_b.max(y.abs()), max_d.max(d));
                a2 += x * x;
                b2 += y * y;
                ab += x * y;
                abs += d;
                sq += d * d;
                // Equal values are equal under any tolerance (an infinite rtol times a zero is NaN).
                self.differing += (x != y && !within(x, y, d, tol)) as u64;
            } else if x != y {
                // A value that became (or stopped being) infinite is never close, as in numpy's `isclose`:
                // rtol·|∞| would be ∞, or NaN with rtol 0, and either would let it pass. Equal infinities
                // differ by nothing (∞ − ∞ would be NaN).
                infinite_d = true;
                self.differing += 1;
            }
        }
        self.max_abs = self
            .max_abs
            .max(if infinite_d { f64::INFINITY } else { max_d });
        let (mut sa, mut sb, mut sd) = (0, 0, 0);
        if [max_a, max_b, max_d].into_iter().any(wide) {
            (sa, sb) = (scale_for(max_a), scale_for(max_b));
            (abs, sq, a2, b2, ab, sd) = scaled_sums(a, b, sa, sb);
        }
        let s = sa.max(sb);
        self.sum_a2.add(Scaled::new(a2, 2 * sa));
        self.sum_b2.add(Scaled::new(b2, 2 * sb));
        self.sum_ab.add(Scaled::new(ab, sa + sb));
        if infinite_d {
            abs = f64::INFINITY;
            sq = f64::INFINITY;
        }
        self.sum_abs.add(Scaled::new(abs, s + sd));
        self.sum_sq_diff.add(Scaled::new(sq, 2 * (s + sd)));
    }

    /// One pair of integer elements: the difference is exact, the sums as close as f64 allows (unscaled: at most
    /// 2^128).
    fn add_integers(&mut self, x: i128, y: i128, tol: Tolerance) {
        self.n += 1;
        if x != y {
            let d = (x - y).unsigned_abs() as f64;
            self.max_abs = self.max_abs.max(d);
            self.sum_abs.add(Scaled::new(d, 0));
            self.sum_sq_diff.add(Scaled::new(d * d, 0));
            self.differing += (d > tol.atol + tol.rtol * (y.unsigned_abs() as f64)) as u64;
        }
        let (x, y) = (x as f64, y as f64);
        self.sum_a2.add(Scaled::new(x * x, 0));
        self.sum_b2.add(Scaled::new(y * y, 0));
        self.sum_ab.add(Scaled::new(x * y, 0));
    }

    fn mean_abs_diff(&self) -> f64 {
        if self.n == 0 {
            return 0.0;
        }
        Scaled::new(self.sum_abs.m / self.n as f64, self.sum_abs.e).value()
    }

    /// ‖a − b‖ / ‖a‖: 0 when both are zero, ∞ when only ‖a‖ is.
    fn rel_l2(&self) -> f64 {
        if self.sum_a2.m == 0.0 {
            if self.sum_sq_diff.m == 0.0 {
                0.0
            } else {
                f64::INFINITY
            }
        } else {
            self.sum_sq_diff.sqrt().div(self.sum_a2.sqrt())
        }
    }

    /// a·b / (‖a‖‖b‖): 1 when both are all zeros, NaN when one only is.
    fn cosine(&self) -> f64 {
        if self.sum_a2.m == 0.0 && self.sum_b2.m == 0.0 {
            1.0
        } else {
            // One root of the product, not a product of roots: for equal tensors Σab = Σa² = Σb², and
            // √(Σa²·Σa²) is exactly Σa², where √Σa²·√Σa² rounds twice (√32·√32 = 32.00000000000001).
            self.sum_ab.div(self.sum_a2.mul(self.sum_b2).sqrt())
        }
    }
}

/// Whether squares of values this large (or differences this small) would leave f64's normal range.
fn wide(largest: f64) -> bool {
    largest.is_infinite() || scale_for(largest) != 0
}

/// Σ|a−b|, Σ(a−b)², Σa², Σb², Σab over the finite pairs of a block, a in units of 2^`sa`, b of 2^`sb`, their
/// differences in units of 2^max(sa, sb), then of a power of two of their own (returned last) chosen from the
/// largest difference (values near 1 may differ by 1e-170 in places).
fn scaled_sums(a: &[f64], b: &[f64], sa: i32, sb: i32) -> (f64, f64, f64, f64, f64, i32) {
    let s = sa.max(sb);
    let finite = || {
        a.iter()
            .zip(b)
            .filter(|(x, y)| x.is_finite() && y.is_finite())
    };
    let max_d = finite()
        .map(|(&x, &y)| (unscale(x, s) - unscale(y, s)).abs())
        .fold(0.0, f64::max);
    let sd = scale_for(max_d);
    let (mut abs, mut sq, mut a2, mut b2, mut ab) = (0.0, 0.0, 0.0, 0.0, 0.0);
    for (&x, &y) in finite() {
        let (xa, yb) = (unscale(x, sa), unscale(y, sb));
        a2 += xa * xa;
        b2 += yb * yb;
        ab += xa * yb;
        let d = unscale((unscale(x, s) - unscale(y, s)).abs(), sd);
        abs += d;
        sq += d * d;
    }
    (abs, sq, a2, b2, ab, sd)
}

/// |x − y| ≤ atol + rtol·|y| for finite x and y, whose difference `d` may have overflowed: both sides are then
/// compared halved, where the difference is finite (a halved bound still beyond f64 is beyond it too).
fn within(x: f64, y: f64, d: f64, tol: Tolerance) -> bool {
    if d.is_finite() {
        d <= tol.atol + tol.rtol * y.abs()
    } else {
        (x * 0.5 - y * 0.5).abs() <= tol.atol * 0.5 + tol.rtol * (y.abs() * 0.5)
    }
}

/// Compares every pair of the same shape whose dtypes are both decoded.
pub(crate) fn compare_values(
    a: &Checkpoint,
    b: &Checkpoint,
    pairs: &[Pair],
    tol: Tolerance,
) -> Result<ValuesReport, InputError> {
    // Pairs stored in the same bytes of one file are equal unread (a checkpoint diffed with itself, a shard two
    // snapshots share).
    let files = FileIds::of(a, b);
    let (shared, to_read): (Vec<&Pair>, Vec<&Pair>) =
        pairs.iter().partition(|p| files.shared(a, b, p));
    let files_a = Files::of(a, to_read.iter().map(|p| p.a))?;
    let files_b = Files::of(b, to_read.iter().map(|p| p.b))?;
    let mut skipped = Vec::new();
    let mut compared: Vec<&Pair> = Vec::new();
    // Same type and shape but not decoded (Q6_K in every Q4_K_M file): equal bytes are equal values.
    let mut equal_bytes: Vec<&Pair> = shared;
    let mut bufs = shared::Buffers::default();
    for p in to_read {
        match why_not_comparable(p) {
            Some(_) if same_bytes(&files_a, &files_b, p, &mut bufs)? => equal_bytes.push(p),
            Some(reason) => skipped.push(Skipped {
                name: p.a.name.clone(),
                reason,
            }),
            None => compared.push(p),
        }
    }
    let chunks: Vec<(usize, u64, u64)> = compared
        .iter()
        .enumerate()
        .flat_map(|(i, p)| {
            let n = p.a.elements();
            // Permuted pairs are compared a row at a time, so their chunks hold whole rows.
            let step = match p.rope {
                Some(_) => (CHUNK_ELEMENTS / row_len(p.a)).max(1) * row_len(p.a),
                None => CHUNK_ELEMENTS,
            };
            (0..n.div_ceil(step)).map(move |c| {
                let start = c * step;
                (i, start, (start + step).min(n))
            })
        })
        .collect();
    // Each worker reads both sides into windows of its own (at most a chunk of the widest dtype each).
    let sums: Vec<Sums> = chunks
        .par_iter()
        .map_init(
            shared::Buffers::default,
            |(buf_a, buf_b), &(i, start, end)| -> Result<Sums, InputError> {
                let p = compared[i];
                let Some(rope) = p.rope else {
                    let mut sums = Sums::default();
                    for r in pieces(start..end, READ_ELEMENTS) {
                        let bytes_a = read_elements(&files_a, p.a, r.start, r.end, buf_a)?;
                        let bytes_b = read_elements(&files_b, p.b, r.start, r.end, buf_b)?;
                        let n = r.end - r.start;
                        add_chunk(&mut sums, bytes_a, p.a.dtype, bytes_b, p.b.dtype, n, tol);
                    }
                    return Ok(sums);
                };
                // A's rows are read together; each row's partner in B where the permutation put it.
                let bytes_a = read_elements(&files_a, p.a, start, end, buf_a)?;
                let cols = row_len(p.a);
                let mut sums = Sums::default();
                for r in start / cols..end / cols {
                    let rb = rope.b_row(r);
                    let row_a = &bytes_a[(byte_offset(p.a.dtype, r * cols)
                        - byte_offset(p.a.dtype, start))
                        as usize
                        ..(byte_offset(p.a.dtype, (r + 1) * cols) - byte_offset(p.a.dtype, start))
                            as usize];
                    let row_b = read_elements(&files_b, p.b, rb * cols, (rb + 1) * cols, buf_b)?;
                    let mut row = Sums::default();
                    add_chunk(&mut row, row_a, p.a.dtype, row_b, p.b.dtype, cols, tol);
                    sums.merge(&row);
                }
                Ok(sums)
            },
        )
        .collect::<Result<_, _>>()?;
    let mut per_pair = vec![Sums::default(); compared.len()];
    for (&(i, _, _), s) in chunks.iter().zip(&sums) {
        per_pair[i].merge(s);
    }
    let tensors: Vec<TensorValues> = compared
        .iter()
        .zip(&per_pair)
        .map(|(p, s)| TensorValues {
            name: p.a.name.clone(),
            b_name: p.b.name.clone(),
            elements: p.a.elements(),
            max_abs_diff: s.max_abs,
            mean_abs_diff: s.mean_abs_diff(),
            rel_l2: s.rel_l2(),
            cosine: s.cosine(),
            differing_elements: s.differing,
        })
        .chain(equal_bytes.iter().map(|p| TensorValues {
            name: p.a.name.clone(),
            b_name: p.b.name.clone(),
            elements: p.a.elements(),
            max_abs_diff: 0.0,
            mean_abs_diff: 0.0,
            rel_l2: 0.0,
            cosine: 1.0,
            differing_elements: 0,
        }))
        .collect();
    Ok(ValuesReport {
        atol: tol.atol,
        rtol: tol.rtol,
        compared_tensors: tensors.len(),
        compared_elements: tensors.iter().map(|t| t.elements).sum(),
        differing_tensors: tensors.iter().filter(|t| t.differing_elements > 0).count(),
        max_abs_diff: tensors.iter().map(|t| t.max_abs_diff).fold(0.0, f64::max),
        tensors,
        skipped,
    })
}

fn why_not_comparable(p: &Pair) -> Option<String> {
    if p.a.shape != p.b.shape {
        return Some(format!("shapes differ: {:?} vs {:?}", p.a.shape, p.b.shape));
    }
    for t in [p.a, p.b] {
        if let Decoding::NotDecoded(reason) = decoding(t.dtype) {
            return Some(format!("{}: {reason}", t.dtype));
        }
    }
    if (p.a.dtype == DType::C64) != (p.b.dtype == DType::C64) {
        return Some("complex and real tensors are not compared".into());
    }
    None
}

/// Whether a pair stored alike (same dtype and shape, rows not permuted) holds the same bytes.
fn same_bytes(
    files_a: &Files,
    files_b: &Files,
    p: &Pair,
    bufs: &mut shared::Buffers,
) -> Result<bool, InputError> {
    let alike = p.rope.is_none() && p.a.dtype == p.b.dtype && p.a.shape == p.b.shape;
    Ok(alike && shared::first_difference(files_a, p.a, files_b, p.b, bufs)?.is_none())
}

/// Elements per row of the first dimension, whose rows llama.cpp permuted (1 for a bias).
fn row_len(t: &Tensor) -> u64 {
    t.shape.iter().skip(1).product::<u64>().max(1)
}

/// Reads the bytes holding elements `start..end` of `t` (`start` on a byte and a block: see `CHUNK_ELEMENTS`)
/// into `buf`.
fn read_elements<'b>(
    files: &Files,
    t: &Tensor,
    start: u64,
    end: u64,
    buf: &'b mut shared::Window,
) -> Result<&'b [u8], InputError> {
    files.read(
        t,
        byte_offset(t.dtype, start)..byte_offset(t.dtype, end),
        buf,
    )
}

/// Compares `elements` elements stored in `a` and `b`, adding to `sums`.
fn add_chunk(
    sums: &mut Sums,
    a: &[u8],
    da: DType,
    b: &[u8],
    db: DType,
    elements: u64,
    tol: Tolerance,
) {
    if let (Some(wa), Some(wb)) = (integer_width(da), integer_width(db)) {
        // As integers, not through f64, which cannot tell 2^53 from 2^53 + 1 in an I64 or U64 tensor.
        for (x, y) in a.chunks_exact(wa).zip(b.chunks_exact(wb)) {
            sums.add_integers(integer(da, x), integer(db, y), tol);
        }
        return;
    }
    let mut va = vec![0.0f64; BLOCK_VALUES];
    let mut vb = vec![0.0f64; BLOCK_VALUES];
    // Blocks of BLOCK_VALUES / 2 elements: at most BLOCK_VALUES values even for C64's two components, and a
    // whole number of ggml blocks (32 or 256 elements).
    let per_block = (BLOCK_VALUES / 2) as u64;
    let mut e = 0;
    while e < elements {
        let n = per_block.min(elements - e);
        let sa = &a[byte_offset(da, e) as usize..byte_offset(da, e + n) as usize];
        let sb = &b[byte_offset(db, e) as usize..byte_offset(db, e + n) as usize];
        let ka = decode_into(da, sa, &mut va);
        let kb = decode_into(db, sb, &mut vb);
        sums.add(&va[..ka], &vb[..kb.min(ka)], tol);
        e += n;
    }
}

/// Bytes per element of an integer dtype.
fn integer_width(d: DType) -> Option<usize> {
    Some(match d {
        DType::BOOL | DType::U8 | DType::I8 => 1,
        DType::U16 | DType::I16 => 2,
        DType::U32 | DType::I32 => 4,
        DType::U64 | DType::I64 => 8,
        _ => return None,
    })
}

/// One little-endian integer element of `d` (`bytes` holds exactly its width).
fn integer(d: DType, bytes: &[u8]) -> i128 {
    let mut le = [0u8; 16];
    le[..bytes.len()].copy_from_slice(bytes);
    let unsigned = u128::from_le_bytes(le);
    let bits = bytes.len() as u32 * 8;
    match d {
        DType::I8 | DType::I16 | DType::I32 | DType::I64 => {
            // Sign-extend from the element's width.
            ((unsigned << (128 - bits)) as i128) >> (128 - bits)
        }
        _ => unsigned as i128,
    }
}

/// Bytes before element `e` (a whole number of bytes or blocks, or the end of the tensor).
fn byte_offset(d: DType, e: u64) -> u64 {
    match d.storage() {
        Storage::Bits(b) => (e * b as u64).div_ceil(8),
        Storage::Block { elements, bytes } => e.div_ceil(elements as u64) * bytes as u64,
    }
}

/// Decodes `bytes` into `out`, returning how many values were written (0 for dtypes not decoded).
fn decode_into(dtype: DType, bytes: &[u8], out: &mut [f64]) -> usize {
    struct Into<'a> {
        bytes: &'a [u8],
        out: &'a mut [f64],
    }
    impl DecoderFn<usize> for Into<'_> {
        fn call<D: Decode>(self, decoder: D) -> usize {
            let n = self.bytes.len() / D::BYTES * D::VALUES;
            decoder.decode_f64(&self.bytes[..n / D::VALUES * D::BYTES], &mut self.out[..n]);
            n
        }
    }
    with_decoder(dtype, Into { bytes, out }).unwrap_or(0)
}
