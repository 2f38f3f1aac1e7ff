//! `inspect`: totals, per-dtype figures and the tensor list of a checkpoint, as one serialisable report.
//! The JSON is this report; tables and Markdown are views of it.

pub mod gguf;

use crate::aggregate::group::{self, GroupBy, GroupRow};
use crate::aggregate::tree::{self, TreeNode};
use crate::footprint;
use crate::interpret::classify::{self, Class, Classified, Rule};
use crate::interpret::hf_config::{self, ModelConfig};
use crate::interpret::moe::{self, ActiveParameters, MoeFields};
use crate::interpret::role::Role;
use crate::interpret::semantics::{self, Classes, ModelInfo, Semantics};
use crate::model::checkpoint::{Checkpoint, Format, IndexInfo, Layout, Tensor};
use crate::model::dtype::DType;
use crate::model::filter::TensorFilter;
use crate::model::metadata::MetadataDetail;
use crate::model::order::natural_cmp;
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::PathBuf;

/// The order of the tensor list (`--sort`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SortKey {
    /// The order of the data on disk: files in shard order, then by offset.
    #[default]
    File,
    /// By name, numbers by value (`layers.2` before `layers.10`).
    Name,
    /// Largest byte size first.
    Size,
    /// Most parameters first.
    Params,
}

/// What the report holds beyond the totals. `--explain` is not one of these: the report always carries the rule
/// behind every count (the JSON has them), and it only decides what a table shows
/// ([`crate::render::inspect::render_explained`]).
#[derive(Debug, Clone, Default)]
pub struct InspectOptions {
    /// The tensors counted; all of them without one.
    pub filter: Option<TensorFilter>,
    /// List every counted tensor, in `sort` order, at most `limit` of them.
    pub list_tensors: bool,
    /// The order of the listed tensors; ties in size or parameters fall back to the name.
    pub sort: SortKey,
    /// The most tensors listed; `None` lists every counted tensor (`tensors_listed_of` then says how many matched).
    pub limit: Option<usize>,
    /// Rows of parameters per group.
    pub group_by: Option<GroupBy>,
    /// `--tree`, with `Some(levels)` to cut it.
    pub tree: Option<Option<usize>>,
    /// How GGUF metadata arrays were read (and are shown).
    pub metadata: MetadataDetail,
}

/// What `inspect` finds in one checkpoint: files, totals, per-dtype rows, model semantics and, on request, groups, a tree and the tensor list; its JSON is `paramscope inspect --format json`.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct InspectReport {
    /// The file format the checkpoint was read as.
    pub format: Format,
    /// How the checkpoint lies on disk (one file, shards with an index, a folder, GGUF parts).
    pub layout: Layout,
    /// The path the checkpoint was opened by, as the user gave it.
    #[serde(serialize_with = "crate::model::path::lossy")]
    pub path: PathBuf,
    /// One row per file of the checkpoint, in the order their data is read.
    pub files: Vec<FileRow>,
    /// Glob patterns the totals below are restricted to; empty when every tensor counts.
    pub filters: Vec<String>,
    /// Whether a filter restricted the totals (then they cover only the tensors `filters` match).
    pub filtered: bool,
    /// Tensor count, parameters (the Hub's count: every element of every counted tensor) and bytes, with a row per dtype; flattened into the report's JSON.
    #[serde(flatten)]
    pub totals: Totals,
    /// Sum of the files' sizes in bytes, headers included, whatever the filter.
    pub file_bytes: u64,
    /// Sum of the files' header sizes in bytes (for safetensors the 8-byte length prefix plus the JSON header).
    pub header_bytes: u64,
    /// Number of files the checkpoint spans (1 for a single file).
    pub shards: usize,
    /// `__metadata__` entries that all files agree on; for GGUF, the key/values (of the first part).
    pub metadata: serde_json::Map<String, serde_json::Value>,
    /// The shard index (`*.index.json`) and what it claims, for sharded checkpoints; `None` otherwise.
    pub index: Option<IndexInfo>,
    /// GGUF only: the model its metadata describes, tokenizer size, quantisation, claimed parameter count.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gguf: Option<gguf::GgufReport>,
    /// PyTorch only: every global the pickles name, with a verdict (nothing was run to find them).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pickle: Option<crate::model::checkpoint::PickleReport>,
    /// PyTorch only: the storages the counted tensors view, each counted once.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub storages: Option<StorageSummary>,
    /// The counted weights in memory, as stored and re-cast (`footprint`'s precision table, default group size).
    pub weights_memory: WeightsMemory,
    /// Things worth telling the user that do not make the checkpoint unusable (including why it has no tensors, and an unusable `config.json`).
    pub notes: Vec<String>,
    /// Where a remote checkpoint was read from and what it cost; absent for a local path.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<crate::model::checkpoint::Origin>,
    /// Logical parameters, counts per class (weight, buffer, quantization auxiliary, packed), embedding split and the rules that decided them; flattened into the report's JSON.
    #[serde(flatten)]
    pub semantics: Semantics,
    /// Parameters per token: `active_parameters`, `active_parameters_unknown`, `moe` (experts per layer used of
    /// total), `mtp` (multi-token-prediction layers, apart).
    #[serde(flatten)]
    pub active: ActiveParameters,
    /// From the `config.json` beside the checkpoint; `null` when there is none.
    pub model: Option<ModelInfo>,
    /// Rows of parameters per group when `InspectOptions::group_by` asked for them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub groups: Option<Groups>,
    /// The module tree of the counted tensors when `InspectOptions::tree` asked for it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tree: Option<Vec<TreeNode>>,
    /// The counted tensors in `InspectOptions::sort` order, cut at `limit`, when `list_tensors` asked for them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tensors: Option<Vec<TensorRow>>,
    /// How many tensors matched before `--limit` cut the list.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tensors_listed_of: Option<usize>,
}

/// The counted weights' memory, the same object (and key, `weights_memory`) as in `footprint`'s report.
pub use crate::footprint::WeightsMemory;

/// Parameters grouped one way (`--group-by`).
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct Groups {
    /// The grouping asked for: `layer`, `module`, `dtype` or `depth:N`.
    pub by: String,
    /// One row per group: in the model's order for names and layers, the role order for `module`, most bytes first for `dtype`.
    pub rows: Vec<GroupRow>,
}

/// One file of a checkpoint.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct FileRow {
    /// The file's path as shown to the user (relative to the checkpoint's folder for shards).
    #[serde(serialize_with = "crate::model::path::lossy")]
    pub path: PathBuf,
    /// The file's size in bytes.
    pub size_bytes: u64,
    /// Bytes before the file's data region (for safetensors the 8-byte length prefix plus the JSON header).
    pub header_bytes: u64,
    /// Tensors whose data lie in this file (all of them, filter or not).
    pub tensors: usize,
    /// The file's own safetensors `__metadata__` strings; empty for other formats.
    pub metadata: serde_json::Map<String, serde_json::Value>,
}

/// Counts that add up across checkpoints.
#[derive(Debug, Clone, Default, Serialize)]
#[non_exhaustive]
pub struct Totals {
    /// Counted tensors.
    pub tensor_count: u64,
    /// Elements of all counted tensors, buffers and quantization auxiliaries included: the Hub's parameter count, exact.
    pub parameters: u64,
    /// Data bytes of all counted tensors (headers excluded).
    pub tensor_bytes: u64,
    /// One row per dtype present, most bytes first.
    pub dtypes: Vec<DtypeRow>,
}

/// The counted tensors of one dtype.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct DtypeRow {
    /// The dtype this row sums.
    pub dtype: DType,
    /// Counted tensors of this dtype.
    pub tensors: u64,
    /// Elements of those tensors (stored elements: a packed element counts once).
    pub parameters: u64,
    /// Data bytes of those tensors.
    pub bytes: u64,
    /// Bits one parameter takes on disk: the dtype's width, or block bytes × 8 / block size (Q4_K: 4.5).
    pub bits_per_weight: f64,
}

/// PyTorch only: the storages the counted tensors view, since several tensors can share one.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct StorageSummary {
    /// Storages at least one counted tensor views.
    pub count: usize,
    /// Their bytes, each counted once (= `tensor_bytes` when no filter is active).
    pub bytes: u64,
    /// Storages that more than one tensor of the checkpoint views.
    pub shared: usize,
    /// Counted tensors that view a shared storage.
    pub tensors_sharing: usize,
}

/// A PyTorch tensor's place in its storage.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct ViewRow {
    /// The storage's key in the file (`data/KEY`).
    pub storage: String,
    /// In elements.
    pub storage_offset: u64,
    /// In elements, one per dimension.
    pub stride: Vec<u64>,
    /// Whether other tensors view the same storage.
    pub shared: bool,
}

/// One counted tensor of the list.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct TensorRow {
    /// The tensor's name as the file stores it.
    pub name: String,
    /// The tensor's dtype as stored.
    pub dtype: DType,
    /// The tensor's shape, outermost dimension first; empty for a scalar.
    pub shape: Vec<u64>,
    /// Stored elements (the product of `shape`).
    pub parameters: u64,
    /// Data bytes on disk.
    pub bytes: u64,
    /// The file holding the tensor's data, as shown in `files`.
    #[serde(serialize_with = "crate::model::path::lossy")]
    pub file: PathBuf,
    /// Start and end of the tensor's bytes relative to its file's data region (which begins after `header_bytes`).
    pub data_offsets: [u64; 2],
    /// What the tensor is: weight, buffer, quantization auxiliary or packed weights.
    pub class: Class,
    /// The classification rule that decided `class`.
    pub rule: Rule,
    /// Dense-model parameters the tensor stands for: 0 for buffers, auxiliaries and a head tied to the embeddings (`config.json`), the unpacked count for packed weights.
    pub logical_parameters: u64,
    /// The part of the model the tensor belongs to (attention, MLP, embeddings, …), from its name.
    pub role: Role,
    /// The name of the rule that decided `role` (e.g. `attention.component`).
    pub role_rule: &'static str,
    /// PyTorch only: the storage the tensor views; absent for a tensor that is its storage exactly, alone.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub view: Option<ViewRow>,
}

/// A report over several checkpoints: each one, then their sum.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct MultiReport {
    /// One report per checkpoint, in the order they were given.
    pub checkpoints: Vec<InspectReport>,
    /// Their sum.
    pub total: GrandTotal,
}

/// The sums over several checkpoints' reports.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct GrandTotal {
    /// Checkpoints summed.
    pub checkpoints: usize,
    /// Summed tensor count, parameters and bytes, dtype rows merged; flattened into the JSON.
    #[serde(flatten)]
    pub totals: Totals,
    /// Summed file sizes in bytes.
    pub file_bytes: u64,
    /// Summed header sizes in bytes.
    pub header_bytes: u64,
    /// Summed logical parameters (see `Semantics::logical_parameters`).
    pub logical_parameters: u64,
    /// Summed parameters per class.
    pub classes: Classes,
}

impl MultiReport {
    /// The reports with their sum.
    pub fn new(checkpoints: Vec<InspectReport>) -> Self {
        MultiReport {
            total: grand_total(&checkpoints),
            checkpoints,
        }
    }
}

/// The report `paramscope inspect` gives for one checkpoint, with the `config.json` beside it when there is one
/// (bit widths, tied embeddings, model type); a `config.json` that cannot be used is a note, not an error.
///
/// ```
/// use paramscope::aggregate::group::GroupBy;
/// use paramscope::format::{self, LoadOptions};
/// use paramscope::inspect::{self, InspectOptions, SortKey};
/// use std::path::Path;
///
/// let sources = format::discover(Path::new("fixtures/tiny/model.safetensors")).unwrap();
/// let checkpoint = format::load(&sources[0], LoadOptions::default()).unwrap();
/// let options = InspectOptions {
///     list_tensors: true,
///     sort: SortKey::Size,
///     limit: Some(5),
///     group_by: Some(GroupBy::Dtype),
///     ..InspectOptions::default()
/// };
/// let report = inspect::inspect(&checkpoint, &options);
/// assert_eq!(report.totals.parameters, 145_472);
/// // The I64 `position_ids` buffer is counted in the parameters but is no weight of the model.
/// assert_eq!(report.semantics.logical_parameters, 145_344);
/// let tensors = report.tensors.unwrap();
/// assert_eq!(tensors[0].name, "embeddings.word_embeddings.weight");
/// assert_eq!(report.tensors_listed_of, Some(40));
/// let by_dtype = report.groups.unwrap().rows;
/// assert_eq!((by_dtype[2].name.as_str(), by_dtype[2].logical_parameters), ("I64", 0));
/// ```
pub fn inspect(checkpoint: &Checkpoint, options: &InspectOptions) -> InspectReport {
    let (config, note) = match hf_config::for_checkpoint(checkpoint) {
        Some(Ok(config)) => (Some(config), None),
        Some(Err(why)) => (None, Some(why)),
        None => (None, None),
    };
    let mut report = with_config(checkpoint, config.as_ref(), options);
    report.notes.extend(note);
    report
}

fn with_config(
    checkpoint: &Checkpoint,
    config: Option<&ModelConfig>,
    options: &InspectOptions,
) -> InspectReport {
    let all = TensorFilter::all();
    let filter = options.filter.as_ref().unwrap_or(&all);
    // Every tensor is classified in the context of all of them (siblings decide quantization rules), then the
    // filter picks what is counted.
    let classified = classify::classify(&checkpoint.tensors, config);
    // Sized once for every tensor: growing it by doubling copied and faulted in 1.4M pairs' worth again.
    let mut selected: Vec<(&Tensor, &Classified)> = Vec::with_capacity(classified.len());
    selected.extend(
        checkpoint
            .tensors
            .iter()
            .zip(&classified)
            .filter(|(t, _)| filter.matches(t)),
    );
    // The groups and the tree (one core's work) are built while the sums below use the other cores.
    let ((totals, weights_memory, semantics, active), (groups, tree)) = crate::each::both(
        selected.len(),
        || {
            // The sums made on one core beside those made on every core.
            let ((totals, semantics), (precisions, active)) = crate::each::both(
                selected.len(),
                || {
                    (
                        totals(selected.iter().map(|(t, _)| *t)),
                        semantics::summarise(selected.iter().copied()),
                    )
                },
                || {
                    (
                        footprint::selected_precisions(
                            checkpoint,
                            &selected,
                            footprint::DEFAULT_GROUP_SIZE,
                        ),
                        moe::active(&selected, &moe_fields(checkpoint, config)),
                    )
                },
            );
            let weights_memory = WeightsMemory {
                stored_bytes: totals.tensor_bytes,
                precisions,
            };
            (totals, weights_memory, semantics, active)
        },
        || {
            let groups = options.group_by.map(|by| Groups {
                by: by.label(),
                rows: group::group(&group_items(&selected), by),
            });
            let tree = options
                .tree
                .map(|depth| tree::tree(&group_items(&selected), depth));
            (groups, tree)
        },
    );
    let tensors = options
        .list_tensors
        .then(|| tensor_rows(checkpoint, &selected, options));
    let listed_of = match (&tensors, options.limit) {
        (Some(rows), Some(_)) if rows.len() < selected.len() => Some(selected.len()),
        _ => None,
    };
    let gguf = (checkpoint.format == Format::Gguf).then(|| {
        gguf::report(
            checkpoint,
            totals.parameters,
            totals.tensor_bytes,
            filter.is_active(),
            options.metadata,
        )
    });
    InspectReport {
        format: checkpoint.format,
        layout: checkpoint.layout,
        path: checkpoint.path.clone(),
        files: checkpoint
            .files
            .iter()
            .map(|f| FileRow {
                path: f.path.clone(),
                size_bytes: f.size_bytes,
                header_bytes: f.header_bytes,
                tensors: f.tensors,
                metadata: string_map(&f.metadata),
            })
            .collect(),
        filters: filter.patterns().to_vec(),
        filtered: filter.is_active(),
        totals,
        file_bytes: checkpoint.files.iter().map(|f| f.size_bytes).sum(),
        header_bytes: checkpoint.files.iter().map(|f| f.header_bytes).sum(),
        shards: checkpoint.files.len(),
        metadata: match checkpoint.format {
            Format::Safetensors => string_map(&checkpoint.shared_metadata()),
            Format::Gguf | Format::Pytorch => checkpoint
                .metadata
                .iter()
                .map(|(k, v)| (k.clone(), v.to_json()))
                .collect(),
        },
        index: checkpoint.index.clone(),
        gguf,
        pickle: checkpoint.pickle.clone(),
        storages: storage_summary(checkpoint, &selected),
        weights_memory,
        notes: checkpoint
            .notes
            .iter()
            .cloned()
            .chain(checkpoint.no_tensors())
            .chain(
                (filter.is_active() && selected.is_empty() && !checkpoint.tensors.is_empty())
                    .then(|| filter.matched_nothing()),
            )
            .collect(),
        source: checkpoint.origin.clone(),
        semantics,
        active,
        model: config.map(ModelInfo::from),
        groups,
        tree,
        tensors,
        tensors_listed_of: listed_of,
    }
}

/// The routing fields of the checkpoint: GGUF metadata, or the `config.json` beside a safetensors checkpoint.
pub fn moe_fields(checkpoint: &Checkpoint, config: Option<&ModelConfig>) -> MoeFields {
    match (checkpoint.format, config) {
        (Format::Gguf, _) => MoeFields::from_gguf(&checkpoint.metadata),
        (_, Some(c)) => MoeFields::from_hf_config(&c.raw),
        (_, None) => MoeFields::absent(format!(
            "no usable config.json beside {}",
            checkpoint.path.display()
        )),
    }
}

fn string_map(pairs: &[(String, String)]) -> serde_json::Map<String, serde_json::Value> {
    pairs
        .iter()
        .map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone())))
        .collect()
}

/// Sums over tensors, with a row per dtype ordered by bytes, largest first.
pub fn totals<'a>(tensors: impl Iterator<Item = &'a Tensor>) -> Totals {
    let mut by_dtype: BTreeMap<DType, DtypeRow> = BTreeMap::new();
    let mut t = Totals::default();
    for tensor in tensors {
        let (elements, bytes) = (tensor.elements(), tensor.bytes());
        t.tensor_count += 1;
        t.parameters += elements;
        t.tensor_bytes += bytes;
        let row = by_dtype.entry(tensor.dtype).or_insert(DtypeRow {
            dtype: tensor.dtype,
            tensors: 0,
            parameters: 0,
            bytes: 0,
            bits_per_weight: tensor.dtype.bits_per_element(),
        });
        row.tensors += 1;
        row.parameters += elements;
        row.bytes += bytes;
    }
    t.dtypes = by_dtype.into_values().collect();
    sort_dtype_rows(&mut t.dtypes);
    t
}

fn sort_dtype_rows(rows: &mut [DtypeRow]) {
    rows.sort_by(|a, b| b.bytes.cmp(&a.bytes).then(a.dtype.cmp(&b.dtype)));
}

/// The selected tensors as the items `group` and `tree` aggregate, each with its classification.
pub(crate) fn group_items<'a>(
    selected: &[(&'a Tensor, &Classified)],
) -> Vec<crate::aggregate::Item<'a>> {
    crate::each::map(selected, |(t, c)| crate::aggregate::Item {
        name: &t.name,
        dtype: t.dtype,
        shape: &t.shape,
        parameters: t.elements(),
        logical_parameters: c.logical_elements,
        bytes: t.bytes(),
        role: c.role,
        role_rule: c.role_rule,
    })
}

/// The storages the selected tensors view (PyTorch), or `None` for formats without storages.
fn storage_summary(
    checkpoint: &Checkpoint,
    selected: &[(&Tensor, &Classified)],
) -> Option<StorageSummary> {
    if checkpoint.format != Format::Pytorch {
        return None;
    }
    // A tensor without a view is its storage alone: the storage of the same file and data offsets.
    let storage_of = |t: &Tensor| match &t.view {
        Some(v) => Some(v.storage),
        None => checkpoint
            .storages
            .iter()
            .position(|s| s.file == t.file && s.data_offsets == t.data_offsets),
    };
    let mut used: Vec<usize> = selected.iter().filter_map(|(t, _)| storage_of(t)).collect();
    let tensors_sharing = used
        .iter()
        .filter(|&&s| checkpoint.storages[s].tensors > 1)
        .count();
    used.sort_unstable();
    used.dedup();
    Some(StorageSummary {
        count: used.len(),
        bytes: used.iter().map(|&s| checkpoint.storages[s].bytes()).sum(),
        shared: used
            .iter()
            .filter(|&&s| checkpoint.storages[s].tensors > 1)
            .count(),
        tensors_sharing,
    })
}

fn tensor_rows(
    checkpoint: &Checkpoint,
    selected: &[(&Tensor, &Classified)],
    options: &InspectOptions,
) -> Vec<TensorRow> {
    let mut order: Vec<(&Tensor, &Classified)> = selected.to_vec();
    match options.sort {
        SortKey::File => order.sort_by_key(|(t, _)| (t.file, t.data_offsets[0])),
        SortKey::Name => order.sort_by(|(a, _), (b, _)| natural_cmp(&a.name, &b.name)),
        SortKey::Size => {
            order.sort_by(|(a, _), (b, _)| b.bytes().cmp(&a.bytes()).then(a.name.cmp(&b.name)))
        }
        SortKey::Params => order
            .sort_by(|(a, _), (b, _)| b.elements().cmp(&a.elements()).then(a.name.cmp(&b.name))),
    }
    order
        .into_iter()
        .take(options.limit.unwrap_or(usize::MAX))
        .map(|(t, c)| TensorRow {
            name: t.name.clone(),
            dtype: t.dtype,
            shape: t.shape.clone(),
            parameters: t.elements(),
            bytes: t.bytes(),
            file: checkpoint.file_of(t).path.clone(),
            data_offsets: t.data_offsets,
            class: c.class(),
            rule: *c.rule,
            logical_parameters: c.logical_elements,
            role: c.role,
            role_rule: c.role_rule,
            view: t.view.as_ref().map(|v| {
                let storage = &checkpoint.storages[v.storage];
                ViewRow {
                    storage: storage.key.clone(),
                    storage_offset: v.offset,
                    stride: v.strides.clone(),
                    shared: storage.tensors > 1,
                }
            }),
        })
        .collect()
}

/// The sum of several reports, dtype rows merged.
pub fn grand_total(reports: &[InspectReport]) -> GrandTotal {
    let mut totals = Totals::default();
    let mut by_dtype: BTreeMap<DType, DtypeRow> = BTreeMap::new();
    let mut classes = Classes::default();
    for r in reports {
        classes.add(&r.semantics.classes);
        totals.tensor_count += r.totals.tensor_count;
        totals.parameters += r.totals.parameters;
        totals.tensor_bytes += r.totals.tensor_bytes;
        for d in &r.totals.dtypes {
            let row = by_dtype.entry(d.dtype).or_insert(DtypeRow {
                dtype: d.dtype,
                tensors: 0,
                parameters: 0,
                bytes: 0,
                bits_per_weight: d.bits_per_weight,
            });
            row.tensors += d.tensors;
            row.parameters += d.parameters;
            row.bytes += d.bytes;
        }
    }
    totals.dtypes = by_dtype.into_values().collect();
    sort_dtype_rows(&mut totals.dtypes);
    GrandTotal {
        checkpoints: reports.len(),
        totals,
        file_bytes: reports.iter().map(|r| r.file_bytes).sum(),
        header_bytes: reports.iter().map(|r| r.header_bytes).sum(),
        logical_parameters: reports.iter().map(|r| r.semantics.logical_parameters).sum(),
        classes,
    }
}
