//! The tensors and plain values of an unpickled object, found by walking it: dicts by key, lists and tuples by
//! index, objects through their state. The few calls torch writes for tensors are interpreted from their
//! arguments (`torch/_utils.py`): `_rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad,
//! backward_hooks[, metadata])`, `_rebuild_tensor_v3(…, dtype[, metadata])` (an untyped storage and its dtype),
//! `_rebuild_tensor(storage, storage_offset, size, stride)`, `_rebuild_parameter(data, …)`,
//! `_rebuild_parameter_with_state(data, …)`, `torch._tensor._rebuild_from_type_v2(func, type, args, state)`,
//! `torch.nn.Parameter(data, …)`. A storage is a persistent id `('storage', StorageType, KEY, LOCATION, NUMEL)`
//! (`torch/serialization.py` `_save`), with a sixth item in the legacy format: the storage it is a view of,
//! `(VIEW_KEY, OFFSET, SIZE)` or `None` (`_legacy_save`).
//!
//! Python objects (a whole `nn.Module` saved with `torch.save(model)`) are walked through their state with
//! `_parameters`, `_buffers` and `_modules` left out of the names, so their tensors are named as `state_dict()`
//! names them; a TorchScript module's state is its attributes, named as they are.

use super::pickle::{Call, Node, Pickle, Value};
use super::storage::{self, Element};
use crate::model::dtype::DType;
use crate::model::metadata::{MetaArray, MetaKind, MetaValue, SUMMARY_ELEMENTS};

/// How deep a key path may go: far beyond any checkpoint (a Lightning checkpoint's optimizer state is 5 deep),
/// and a bound on the recursion of the walk over a cyclic or hostile object.
pub const MAX_DEPTH: usize = 200;
/// How many values the walk may visit: an object reached along many paths (a tuple holding itself twice, 64
/// times over) is visited along each of them, so this bounds the work.
pub const MAX_VISITS: u64 = 20_000_000;
/// Plain values listed as metadata; the rest are counted in a note.
pub const MAX_VALUES: usize = 1_000;

/// A tensor found, named by its key path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundTensor {
    /// The key path from the root object, joined by dots (`model.layers.0.weight`).
    pub name: String,
    /// The storage's key in the archive.
    pub storage: String,
    /// The element type (from the storage type, or `_rebuild_tensor_v3`'s dtype).
    pub dtype: DType,
    /// Dimensions, outermost first.
    pub shape: Vec<u64>,
    /// Elements to step over per index of each dimension, outermost first.
    pub strides: Vec<u64>,
    /// In elements of `dtype`, from the start of the storage.
    pub offset: u64,
}

/// A storage a persistent id declares: its element type and size (`NUMEL`: elements of its type; bytes for
/// an untyped storage).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeclaredStorage {
    /// The storage's key in the archive (`data/KEY`) or legacy file.
    pub key: String,
    /// The storage's element type (`U8` for an untyped storage).
    pub element: DType,
    /// `NUMEL` as declared: elements of `element`.
    pub numel: u64,
}

/// Everything a walk of the object found.
#[derive(Debug, Default)]
pub struct Found {
    /// Tensors in the order the walk met them.
    pub tensors: Vec<FoundTensor>,
    /// Every storage a persistent id declares, each once, in first-seen order.
    pub storages: Vec<DeclaredStorage>,
    /// Plain values (numbers, strings, lists of them) by key path, at most [`MAX_VALUES`].
    pub values: Vec<(String, MetaValue)>,
    /// Values beyond [`MAX_VALUES`], not listed.
    pub values_not_listed: usize,
    /// Tensors named and not read (quantized, sparse, nested, meta): `name: what`.
    pub refused: Vec<String>,
}

/// Why the object cannot be walked: a tensor call with arguments torch never writes, a bound reached.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WalkError {
    /// A tensor call whose arguments torch never writes.
    BadTensor {
        /// The tensor's key path.
        name: String,
        /// What is wrong, in words.
        reason: String,
    },
    /// A bound ([`MAX_DEPTH`], [`MAX_VISITS`]) was reached; carries which and where.
    TooLarge(String),
}

/// Walks the object `root` of `pickle`.
pub fn walk(pickle: &Pickle, root: Value) -> Result<Found, WalkError> {
    let mut w = Walker {
        p: pickle,
        found: Found::default(),
        visits: 0,
    };
    w.value(root, &mut Vec::new(), false)?;
    Ok(w.found)
}

struct Walker<'p> {
    p: &'p Pickle,
    found: Found,
    visits: u64,
}

/// What a call of a known torch function builds.
enum Known<'a> {
    /// A tensor from `(storage, offset, size, stride, …)`; `dtype` given separately by `_rebuild_tensor_v3`.
    Tensor {
        args: &'a [Value],
        dtype: Option<Value>,
    },
    /// A wrapper whose first argument is the tensor (`_rebuild_parameter`, `nn.Parameter`).
    Wraps(Value),
    /// `_rebuild_from_type_v2(func, type, args, state)`: `func(*args)`.
    Apply { func: Value, args: Value },
    /// A tensor torch can rebuild and paramscope does not read.
    Refused(&'static str),
    /// `torch.Size(tuple)`: its tuple.
    Size(Value),
}

impl<'p> Walker<'p> {
    fn name(path: &[String]) -> String {
        path.join(".")
    }

    fn value(
        &mut self,
        v: Value,
        path: &mut Vec<String>,
        in_object: bool,
    ) -> Result<(), WalkError> {
        self.visits += 1;
        if self.visits > MAX_VISITS {
            return Err(WalkError::TooLarge(format!(
                "the object reaches more than {MAX_VISITS} values by key path (shared references nested in each other?)"
            )));
        }
        if path.len() > MAX_DEPTH {
            return Err(WalkError::TooLarge(format!(
                "keys nest more than {MAX_DEPTH} deep at '{}…' (a cyclic object?)",
                Self::name(&path[..8])
            )));
        }
        let Value::Node(id) = v else {
            if !in_object {
                self.plain(path, scalar(v));
            }
            return Ok(());
        };
        match self.p.node(id) {
            Node::Str(s) => {
                if !in_object {
                    self.plain(path, Some(MetaValue::String(s.clone())));
                }
            }
            Node::Dict(items) => {
                for &(k, item) in items {
                    path.push(self.key(k));
                    self.value(item, path, in_object)?;
                    path.pop();
                }
            }
            Node::Tuple(items) | Node::List(items) | Node::Set(items) => {
                if items.iter().all(|&i| self.is_plain(i)) {
                    if !in_object {
                        let array = self.array(items);
                        self.plain(path, Some(array));
                    }
                    return Ok(());
                }
                for (i, &item) in items.iter().enumerate() {
                    path.push(i.to_string());
                    self.value(item, path, in_object)?;
                    path.pop();
                }
            }
            Node::Call(call) => self.call(call, path)?,
            Node::Bytes { .. } | Node::Global(_) | Node::Persistent(_) => {}
        }
        Ok(())
    }

    fn is_plain(&self, v: Value) -> bool {
        match v {
            Value::Node(id) => matches!(self.p.node(id), Node::Str(_)),
            _ => true,
        }
    }

    fn array(&self, items: &[Value]) -> MetaValue {
        let values: Vec<MetaValue> = items
            .iter()
            .take(SUMMARY_ELEMENTS)
            .filter_map(|&i| match i {
                Value::Node(id) => match self.p.node(id) {
                    Node::Str(s) => Some(MetaValue::String(s.clone())),
                    _ => None,
                },
                other => scalar(other),
            })
            .collect();
        let element = match values.first() {
            Some(MetaValue::String(_)) => MetaKind::String,
            Some(MetaValue::F64(_)) => MetaKind::F64,
            Some(MetaValue::Bool(_)) => MetaKind::Bool,
            _ => MetaKind::I64,
        };
        MetaValue::Array(MetaArray {
            element,
            len: items.len() as u64,
            values,
        })
    }

    fn plain(&mut self, path: &[String], value: Option<MetaValue>) {
        let (Some(value), false) = (value, path.is_empty()) else {
            return;
        };
        if self.found.values.len() < MAX_VALUES {
            self.found.values.push((Self::name(path), value));
        } else {
            self.found.values_not_listed += 1;
        }
    }

    /// A dict key as a path component: strings as they are, numbers in decimal (an optimizer's state is keyed by
    /// parameter index).
    fn key(&self, k: Value) -> String {
        match k {
            Value::Int(i) => i.to_string(),
            Value::Bool(b) => if b { "True" } else { "False" }.into(),
            Value::None => "None".into(),
            Value::Float(f) => f.to_string(),
            Value::BigInt => "<int>".into(),
            Value::Node(id) => match self.p.node(id) {
                Node::Str(s) => s.clone(),
                Node::Tuple(items) => items
                    .iter()
                    .map(|&i| self.key(i))
                    .collect::<Vec<_>>()
                    .join(","),
                _ => "<key>".into(),
            },
        }
    }

    fn known(&self, call: &'p Call) -> Option<Known<'p>> {
        let (module, name) = self.p.global_of(call.callable)?;
        let args = self.p.items_of(call.args).unwrap_or(&[]);
        Some(match (module, name) {
            ("torch._utils", "_rebuild_tensor_v2" | "_rebuild_tensor") => {
                Known::Tensor { args, dtype: None }
            }
            ("torch._utils", "_rebuild_tensor_v3") => Known::Tensor {
                args,
                dtype: Some(*args.get(6)?),
            },
            ("torch._utils", "_rebuild_parameter" | "_rebuild_parameter_with_state")
            | ("torch.nn.parameter" | "torch.nn", "Parameter") => Known::Wraps(*args.first()?),
            ("torch._tensor", "_rebuild_from_type_v2") => Known::Apply {
                func: *args.first()?,
                args: *args.get(2)?,
            },
            ("torch", "Size") => Known::Size(*args.first()?),
            ("torch._utils", "_rebuild_qtensor") => Known::Refused("a quantized tensor"),
            ("torch._utils", "_rebuild_sparse_tensor") => Known::Refused("a sparse tensor"),
            ("torch._utils", "_rebuild_nested_tensor") => Known::Refused("a nested tensor"),
            ("torch._utils", "_rebuild_meta_tensor_no_storage") => {
                Known::Refused("a meta tensor (no data)")
            }
            ("torch._utils", "_rebuild_wrapper_subclass") => {
                Known::Refused("a tensor subclass without storage")
            }
            (
                "torch._utils",
                "_rebuild_device_tensor_from_numpy" | "_rebuild_device_tensor_from_cpu_tensor",
            ) => Known::Refused("a tensor rebuilt from a NumPy array or another tensor"),
            _ => return None,
        })
    }

    fn call(&mut self, call: &'p Call, path: &mut Vec<String>) -> Result<(), WalkError> {
        match self.known(call) {
            Some(Known::Tensor { args, dtype }) => self.tensor(args, dtype, path),
            Some(Known::Wraps(inner)) => self.value(inner, path, false),
            Some(Known::Apply { func, args }) => {
                let applied = Call {
                    callable: func,
                    args,
                    kwargs: None,
                    state: None,
                    items: Vec::new(),
                    appended: Vec::new(),
                };
                match self.known(&applied) {
                    Some(Known::Tensor { args, dtype }) => self.tensor(args, dtype, path),
                    Some(Known::Refused(what)) => {
                        self.refuse(path, what);
                        Ok(())
                    }
                    _ => Ok(()),
                }
            }
            Some(Known::Size(tuple)) => self.value(tuple, path, false),
            Some(Known::Refused(what)) => {
                self.refuse(path, what);
                Ok(())
            }
            // Any other object: its tensors, through what pickle set on it, never its plain attributes.
            None => {
                if let Some(state) = call.state {
                    self.state(state, path)?;
                }
                for &(k, v) in &call.items {
                    path.push(self.key(k));
                    self.value(v, path, true)?;
                    path.pop();
                }
                for (i, &v) in call.appended.iter().enumerate() {
                    path.push(i.to_string());
                    self.value(v, path, true)?;
                    path.pop();
                }
                Ok(())
            }
        }
    }

    /// An object's state: `nn.Module`'s containers of parameters, buffers and submodules add no name.
    fn state(&mut self, state: Value, path: &mut Vec<String>) -> Result<(), WalkError> {
        let Some(Node::Dict(items)) = self.p.node_of(state) else {
            return self.value(state, path, true);
        };
        for &(k, v) in items {
            let key = self.key(k);
            let elided = matches!(key.as_str(), "_parameters" | "_buffers" | "_modules");
            if !elided {
                path.push(key);
            }
            self.value(v, path, true)?;
            if !elided {
                path.pop();
            }
        }
        Ok(())
    }

    fn refuse(&mut self, path: &[String], what: &str) {
        self.found
            .refused
            .push(format!("'{}': {what}", Self::name(path)));
    }

    fn tensor(
        &mut self,
        args: &[Value],
        dtype: Option<Value>,
        path: &[String],
    ) -> Result<(), WalkError> {
        let name = Self::name(path);
        let bad = |reason: &str| WalkError::BadTensor {
            name: name.clone(),
            reason: reason.to_string(),
        };
        let [storage, offset, size, stride, ..] = *args else {
            return Err(bad("a tensor rebuilt from fewer than 4 arguments"));
        };
        let Some(Node::Persistent(pid)) = self.p.node_of(storage) else {
            return Err(bad("its storage is not a persistent id"));
        };
        let declared = self.storage(*pid).map_err(|r| bad(&r))?;
        let element = match dtype {
            None => Element::Known(declared.element),
            Some(d) => match self.p.global_of(d) {
                Some(("torch", n)) => {
                    storage::of_dtype(n).ok_or_else(|| bad(&format!("unknown dtype torch.{n}")))?
                }
                _ => return Err(bad("its dtype is not a torch dtype")),
            },
        };
        let dtype = match element {
            Element::Known(d) => d,
            Element::Refused(what) => {
                self.refuse(path, what);
                return Ok(());
            }
        };
        let offset = match offset {
            Value::Int(o) if o >= 0 => o as u64,
            _ => return Err(bad("its storage offset is not a non-negative integer")),
        };
        let shape = self
            .dims(size)
            .ok_or_else(|| bad("its size is not a tuple of non-negative integers"))?;
        let strides = self
            .dims(stride)
            .ok_or_else(|| bad("its stride is not a tuple of non-negative integers"))?;
        if shape.len() != strides.len() {
            return Err(bad(&format!(
                "{} dimensions but {} strides",
                shape.len(),
                strides.len()
            )));
        }
        self.found.tensors.push(FoundTensor {
            name,
            storage: declared.key,
            dtype,
            shape,
            strides,
            offset: offset.saturating_add(declared.view_offset),
        });
        Ok(())
    }

    fn dims(&self, v: Value) -> Option<Vec<u64>> {
        let items = match self.p.node_of(v)? {
            Node::Tuple(items) | Node::List(items) => items,
            // `torch.Size((…))`
            Node::Call(c) => self.p.items_of(*self.p.items_of(c.args)?.first()?)?,
            _ => return None,
        };
        items
            .iter()
            .map(|&d| match d {
                Value::Int(i) if i >= 0 => Some(i as u64),
                _ => None,
            })
            .collect()
    }

    /// Resolves a persistent id into the storage it names (recording it), with the element offset of a legacy
    /// view storage within its root storage.
    fn storage(&mut self, pid: Value) -> Result<Resolved, String> {
        let items = self
            .p
            .items_of(pid)
            .ok_or("its persistent id is not a tuple")?;
        if items.len() < 5 || self.p.str_of(items[0]) != Some("storage") {
            return Err("its persistent id is not ('storage', type, key, location, numel)".into());
        }
        let type_name = match self.p.global_of(items[1]) {
            Some((_, n)) => n.to_string(),
            None => return Err("its storage type is not a global".into()),
        };
        let element = match storage::of_storage_type(&type_name) {
            Some(Element::Known(d)) => d,
            Some(Element::Refused(what)) => return Err(format!("{what} storage")),
            None => return Err(format!("unknown storage type {type_name}")),
        };
        let key = self
            .text(items[2])
            .ok_or("its storage key is not a string")?;
        let numel = match items[4] {
            Value::Int(n) if n >= 0 => n as u64,
            _ => return Err("its storage size is not a non-negative integer".into()),
        };
        // Legacy: `(view_key, offset, view_size)` makes this storage a slice of the root storage KEY, `offset`
        // elements in (`torch/serialization.py` `_legacy_load`); its tensors' offsets count from there.
        let (root_key, view_offset) = match items.get(5).and_then(|&v| self.p.items_of(v)) {
            Some(&[_, Value::Int(off), _]) if off >= 0 => (key, off as u64),
            _ => (key, 0),
        };
        if !self.found.storages.iter().any(|s| s.key == root_key) {
            self.found.storages.push(DeclaredStorage {
                key: root_key.clone(),
                element,
                numel,
            });
        }
        Ok(Resolved {
            key: root_key,
            element,
            view_offset,
        })
    }

    /// A key written as a string, or as an integer by older pickles.
    fn text(&self, v: Value) -> Option<String> {
        match v {
            Value::Int(i) => Some(i.to_string()),
            _ => self.p.str_of(v).map(str::to_string),
        }
    }
}

struct Resolved {
    key: String,
    element: DType,
    view_offset: u64,
}

fn scalar(v: Value) -> Option<MetaValue> {
    Some(match v {
        Value::None => return None,
        Value::Bool(b) => MetaValue::Bool(b),
        Value::Int(i) => MetaValue::I64(i),
        Value::Float(f) => MetaValue::F64(f),
        Value::BigInt | Value::Node(_) => return None,
    })
}
