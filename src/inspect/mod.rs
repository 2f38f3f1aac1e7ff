//! `inspect`: totals, per-dtype figures and the tensor list of a checkpoint, as one serialisable report.
//! The JSON is this report; tables and Markdown are views of it.

pub mod gguf;

use crate::aggregate::group::{self, GroupBy, GroupRow};
use crate::aggregate::tree::{self, TreeNode};
use crate::footprint;
use crate::interpret::classify::{self, Class, Classified, Rule};
use crate::interpret::hf_config::{self, ModelConfig};
use crate::interpret::role::Role;
use crate::interpret::semantics::{self, Classes, ModelInfo, Semantics};
use crate::model::checkpoint::{Checkpoint, Format, IndexInfo, Layout, Tensor};
use crate::model::dtype::DType;
use crate::model::filter::TensorFilter;
use crate::model::metadata::MetadataDetail;
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::PathBuf;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SortKey {
    /// The order of the data in the files.
    #[default]
    File,
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
    pub sort: SortKey,
    pub limit: Option<usize>,
    /// Rows of parameters per group.
    pub group_by: Option<GroupBy>,
    /// `--tree`, with `Some(levels)` to cut it.
    pub tree: Option<Option<usize>>,
    /// How GGUF metadata arrays were read (and are shown).
    pub metadata: MetadataDetail,
}

#[derive(Debug, Clone, Serialize)]
pub struct InspectReport {
    pub format: Format,
    pub layout: Layout,
    #[serde(serialize_with = "crate::model::path::lossy")]
    pub path: PathBuf,
    pub files: Vec<FileRow>,
    /// Glob patterns the totals below are restricted to; empty when every tensor counts.
    pub filters: Vec<String>,
    pub filtered: bool,
    #[serde(flatten)]
    pub totals: Totals,
    pub file_bytes: u64,
    pub header_bytes: u64,
    pub shards: usize,
    /// `__metadata__` entries that all files agree on; for GGUF, the key/values (of the first part).
    pub metadata: serde_json::Map<String, serde_json::Value>,
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
    pub notes: Vec<String>,
    /// Where a remote checkpoint was read from and what it cost; absent for a local path.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<crate::model::checkpoint::Origin>,
    #[serde(flatten)]
    pub semantics: Semantics,
    /// From the `config.json` beside the checkpoint; `null` when there is none.
    pub model: Option<ModelInfo>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub groups: Option<Groups>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tree: Option<Vec<TreeNode>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tensors: Option<Vec<TensorRow>>,
    /// How many tensors matched before `--limit` cut the list.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tensors_listed_of: Option<usize>,
}

#[derive(Debug, Clone, Serialize)]
pub struct WeightsMemory {
    pub stored_bytes: u64,
    pub precisions: Vec<footprint::Precision>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Groups {
    pub by: String,
    pub rows: Vec<GroupRow>,
}

#[derive(Debug, Clone, Serialize)]
pub struct FileRow {
    #[serde(serialize_with = "crate::model::path::lossy")]
    pub path: PathBuf,
    pub size_bytes: u64,
    pub header_bytes: u64,
    pub tensors: usize,
    pub metadata: serde_json::Map<String, serde_json::Value>,
}

/// Counts that add up across checkpoints.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Totals {
    pub tensor_count: u64,
    pub parameters: u64,
    pub tensor_bytes: u64,
    pub dtypes: Vec<DtypeRow>,
}

#[derive(Debug, Clone, Serialize)]
pub struct DtypeRow {
    pub dtype: DType,
    pub tensors: u64,
    pub parameters: u64,
    pub bytes: u64,
    /// Bits one parameter takes on disk: the dtype's width, or block bytes × 8 / block size (Q4_K: 4.5).
    pub bits_per_weight: f64,
}

#[derive(Debug, Clone, Serialize)]
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

#[derive(Debug, Clone, Serialize)]
pub struct TensorRow {
    pub name: String,
    pub dtype: DType,
    pub shape: Vec<u64>,
    pub parameters: u64,
    pub bytes: u64,
    #[serde(serialize_with = "crate::model::path::lossy")]
    pub file: PathBuf,
    pub data_offsets: [u64; 2],
    pub class: Class,
    /// The classification rule that decided `class`.
    pub rule: Rule,
    pub logical_parameters: u64,
    pub role: Role,
    pub role_rule: &'static str,
    /// PyTorch only: the storage the tensor views; absent for a tensor that is its storage exactly, alone.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub view: Option<ViewRow>,
}

/// A report over several checkpoints: each one, then their sum.
#[derive(Debug, Clone, Serialize)]
pub struct MultiReport {
    pub checkpoints: Vec<InspectReport>,
    pub total: GrandTotal,
}

#[derive(Debug, Clone, Serialize)]
pub struct GrandTotal {
    pub checkpoints: usize,
    #[serde(flatten)]
    pub totals: Totals,
    pub file_bytes: u64,
    pub header_bytes: u64,
    pub logical_parameters: u64,
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
    let selected: Vec<(&Tensor, &Classified)> = checkpoint
        .tensors
        .iter()
        .zip(&classified)
        .filter(|(t, _)| filter.matches(t))
        .collect();
    let totals = totals(selected.iter().map(|(t, _)| *t));
    let sized: Vec<footprint::Sized> = footprint::sizes(checkpoint, &classified)
        .into_iter()
        .zip(&checkpoint.tensors)
        .filter(|(_, t)| filter.matches(t))
        .map(|(s, _)| s)
        .collect();
    let weights_memory = WeightsMemory {
        stored_bytes: totals.tensor_bytes,
        precisions: footprint::precisions(&sized, footprint::DEFAULT_GROUP_SIZE),
    };
    let semantics = semantics::summarise(selected.iter().copied());
    let groups = options.group_by.map(|by| Groups {
        by: by.label(),
        rows: group::group(&group_items(&selected), by),
    });
    let tree = options
        .tree
        .map(|depth| tree::tree(&group_items(&selected), depth));
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
            .collect(),
        source: checkpoint.origin.clone(),
        semantics,
        model: config.map(ModelInfo::from),
        groups,
        tree,
        tensors,
        tensors_listed_of: listed_of,
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

pub fn group_items<'a>(selected: &[(&'a Tensor, &Classified)]) -> Vec<crate::aggregate::Item<'a>> {
    selected
        .iter()
        .map(|(t, c)| crate::aggregate::Item {
            name: &t.name,
            dtype: t.dtype,
            shape: &t.shape,
            parameters: t.elements(),
            logical_parameters: c.logical_elements,
            bytes: t.bytes(),
            role: c.role,
            role_rule: c.role_rule,
        })
        .collect()
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
        SortKey::File => {}
        SortKey::Name => order.sort_by(|(a, _), (b, _)| a.name.cmp(&b.name)),
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
            rule: c.rule,
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
