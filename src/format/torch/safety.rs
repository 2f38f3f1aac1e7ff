//! The verdict on each global a pickle names. Nothing here was imported or called: the verdict says what
//! `torch.load(weights_only=False)` (or `pickle.load`) would do with the file.
//!
//! Allowed: what torch's own `weights_only` unpickler accepts (`torch/_weights_only_unpickler.py`
//! `_get_allowed_globals`: tensor rebuild functions, storage and tensor classes, dtypes, `torch.Size`,
//! `torch.device`, `collections.OrderedDict`, `_codecs.encode`, `set`, `bytearray`, `complex`), the other
//! containers pickle's own protocols build (`frozenset`), and in a TorchScript archive the `__torch__.*` classes
//! and `torch.jit._pickle` helpers that `torch.jit.load` resolves from the archive's own TorchScript code rather
//! than by importing Python. Dangerous: what scanners flag (picklescan's and modelscan's lists of globals that run
//! commands, evaluate or import code, open files or sockets). Everything else is unknown, not safe: those lists are
//! never complete.

use crate::format::torch::pickle::GlobalUse;
use crate::model::checkpoint::{PickleGlobal, PickleReport, Verdict};

/// Modules every global of which is dangerous (and their submodules).
const DANGEROUS_MODULES: &[&str] = &[
    "os",
    "posix",
    "nt",
    "subprocess",
    "runpy",
    "socket",
    "pty",
    "shutil",
    "sys",
    "ctypes",
    "pickle",
    "_pickle",
    "marshal",
    "importlib",
    "webbrowser",
    "httplib",
    "http",
    "urllib",
    "requests",
    "aiohttp",
    "asyncio",
    "pdb",
    "bdb",
    "timeit",
    "pydoc",
    "venv",
    "pip",
    "commands",
    "code",
    "codeop",
    "multiprocessing",
    "numpy.f2py",
    "posixpath",
    "ntpath",
];

/// Single dangerous globals of modules that also hold harmless ones.
const DANGEROUS_GLOBALS: &[(&str, &str)] = &[
    ("functools", "partial"),
    ("functools", "reduce"),
    ("operator", "attrgetter"),
    ("operator", "itemgetter"),
    ("operator", "methodcaller"),
    ("torch.serialization", "load"),
    ("torch", "load"),
    ("torch._inductor.codecache", "compile_file"),
    ("numpy.testing._private.utils", "runstring"),
    ("numpy", "load"),
];

/// `builtins` (`__builtin__` in Python 2 pickles) globals that evaluate, import, open or reach attributes.
const DANGEROUS_BUILTINS: &[&str] = &[
    "eval",
    "exec",
    "execfile",
    "compile",
    "open",
    "file",
    "getattr",
    "setattr",
    "delattr",
    "apply",
    "breakpoint",
    "__import__",
    "input",
    "globals",
    "locals",
    "vars",
    "help",
    "exit",
    "quit",
];

const ALLOWED_TORCH: &[&str] = &[
    "Size",
    "Tensor",
    "device",
    "strided",
    "sparse_coo",
    "sparse_csr",
    "sparse_csc",
    "sparse_bsr",
    "sparse_bsc",
    "_mkldnn",
    "per_tensor_affine",
    "per_tensor_symmetric",
    "per_channel_affine",
    "per_channel_symmetric",
    "per_channel_affine_float_qparams",
];

const ALLOWED_REBUILDS: &[&str] = &[
    "_rebuild_parameter",
    "_rebuild_parameter_with_state",
    "_rebuild_qtensor",
    "_rebuild_tensor",
    "_rebuild_tensor_v2",
    "_rebuild_tensor_v3",
    "_rebuild_sparse_tensor",
    "_rebuild_meta_tensor_no_storage",
    "_rebuild_wrapper_subclass",
    "_rebuild_device_tensor_from_numpy",
    "_rebuild_device_tensor_from_cpu_tensor",
    "_rebuild_nested_tensor",
];

/// Where a pickle comes from decides what its classes are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// `torch.save` / `pickle.dump`: every class is imported from Python.
    Python,
    /// A TorchScript archive's `data.pkl`/`constants.pkl`: `__torch__.*` classes come from the archive's code.
    TorchScript,
}

/// How safe importing `module.name` would be, from a pickle of `origin`: dangerous modules and globals first, then
/// the allow-list.
pub fn verdict(module: &str, name: &str, origin: Origin) -> Verdict {
    let in_module =
        |m: &str| module == m || module.strip_prefix(m).is_some_and(|r| r.starts_with('.'));
    if DANGEROUS_MODULES.iter().any(|m| in_module(m))
        || DANGEROUS_GLOBALS.contains(&(module, name))
        || (matches!(module, "builtins" | "__builtin__") && DANGEROUS_BUILTINS.contains(&name))
    {
        return Verdict::Dangerous;
    }
    if allowed(module, name, origin) {
        Verdict::Allowed
    } else {
        Verdict::Unknown
    }
}

fn allowed(module: &str, name: &str, origin: Origin) -> bool {
    match module {
        "collections" => matches!(name, "OrderedDict" | "Counter"),
        "builtins" | "__builtin__" => matches!(name, "set" | "frozenset" | "bytearray" | "complex"),
        "_codecs" => name == "encode",
        "torch._utils" => ALLOWED_REBUILDS.contains(&name),
        "torch._tensor" => name == "_rebuild_from_type_v2",
        "torch.nn.parameter" => name == "Parameter",
        "torch.serialization" => name == "_get_layout",
        "torch.storage" => matches!(name, "UntypedStorage" | "TypedStorage"),
        "torch" | "torch.cuda" => {
            ALLOWED_TORCH.contains(&name)
                || super::storage::of_storage_type(name).is_some()
                || super::storage::of_dtype(name).is_some()
                || is_tensor_class(name)
        }
        "torch.jit._pickle" => origin == Origin::TorchScript,
        _ => {
            origin == Origin::TorchScript
                && (module == "__torch__" || module.starts_with("__torch__."))
        }
    }
}

/// `torch.FloatTensor`, `torch.cuda.HalfTensor`, …: the legacy tensor types.
fn is_tensor_class(name: &str) -> bool {
    name.strip_suffix("Tensor")
        .is_some_and(|s| super::storage::of_storage_type(&format!("{s}Storage")).is_some())
}

/// The report for the globals of one file's pickles.
pub fn report<'a>(globals: impl IntoIterator<Item = (&'a GlobalUse, Origin)>) -> PickleReport {
    let rows = globals.into_iter().map(|(g, origin)| PickleReport {
        verdict: Verdict::Allowed,
        globals: vec![PickleGlobal {
            module: g.module.clone(),
            name: g.name.clone(),
            verdict: verdict(&g.module, &g.name, origin),
            count: g.count,
        }],
    });
    PickleReport::merge(rows)
}

#[cfg(test)]
mod tests {
    use super::*;
    use Origin::*;

    #[test]
    fn the_classic_payloads_are_dangerous() {
        for (m, n) in [
            ("os", "system"),
            ("posix", "system"),
            ("nt", "system"),
            ("subprocess", "Popen"),
            ("builtins", "eval"),
            ("__builtin__", "exec"),
            ("builtins", "getattr"),
            ("builtins", "__import__"),
            ("runpy", "run_path"),
            ("socket", "create_connection"),
            ("functools", "partial"),
            ("operator", "attrgetter"),
            ("torch.serialization", "load"),
            ("webbrowser", "open"),
            ("requests.api", "get"),
            ("os.path", "join"),
            ("numpy.f2py.crackfortran", "x"),
        ] {
            assert_eq!(verdict(m, n, Python), Verdict::Dangerous, "{m}.{n}");
        }
    }

    #[test]
    fn what_torch_writes_is_allowed() {
        for (m, n) in [
            ("torch._utils", "_rebuild_tensor_v2"),
            ("torch._utils", "_rebuild_parameter"),
            ("torch", "FloatStorage"),
            ("torch", "BFloat16Storage"),
            ("torch.storage", "UntypedStorage"),
            ("torch", "float8_e4m3fn"),
            ("torch", "Size"),
            ("torch", "FloatTensor"),
            ("collections", "OrderedDict"),
            ("_codecs", "encode"),
            ("builtins", "set"),
        ] {
            assert_eq!(verdict(m, n, Python), Verdict::Allowed, "{m}.{n}");
        }
    }

    #[test]
    fn torchscript_classes_are_allowed_only_in_an_archive() {
        assert_eq!(verdict("__torch__", "Mlp", TorchScript), Verdict::Allowed);
        assert_eq!(
            verdict("__torch__.torch.nn.modules.linear", "Linear", TorchScript),
            Verdict::Allowed
        );
        assert_eq!(verdict("__torch__", "Mlp", Python), Verdict::Unknown);
        assert_eq!(verdict("__torchx", "Mlp", TorchScript), Verdict::Unknown);
        assert_eq!(
            verdict("torch.jit._pickle", "build_intlist", TorchScript),
            Verdict::Allowed
        );
    }

    #[test]
    fn the_rest_is_unknown_not_safe() {
        assert_eq!(verdict("__main__", "Config", Python), Verdict::Unknown);
        assert_eq!(
            verdict("numpy.core.multiarray", "scalar", Python),
            Verdict::Unknown
        );
        assert_eq!(
            verdict("torch.nn.modules.linear", "Linear", Python),
            Verdict::Unknown
        );
        assert_eq!(
            verdict("collections", "defaultdict", Python),
            Verdict::Unknown
        );
        // `osx` is not `os`.
        assert_eq!(verdict("osx", "system", Python), Verdict::Unknown);
    }
}
