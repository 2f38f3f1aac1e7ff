//! Storage types and dtypes as pickles name them, mapped to paramscope's dtypes (`torch/storage.py`
//! `_dtype_to_storage_type_map` and `_new_dtypes`; a `torch.UntypedStorage` is bytes, its dtype passed to
//! `torch._utils._rebuild_tensor_v3`).

use crate::model::dtype::DType;

/// What a storage type (`torch.FloatStorage`) or a dtype (`torch.float32`) names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Element {
    /// A dtype paramscope reads.
    Known(DType),
    /// A dtype torch has and paramscope does not read (quantised, packed sub-byte, complex32): named, refused.
    Refused(&'static str),
}

/// The element type of a legacy typed storage class, by name (module `torch`, or `torch.cuda`).
pub fn of_storage_type(name: &str) -> Option<Element> {
    use Element::*;
    Some(match name {
        "DoubleStorage" => Known(DType::F64),
        "FloatStorage" => Known(DType::F32),
        "HalfStorage" => Known(DType::F16),
        "BFloat16Storage" => Known(DType::BF16),
        "LongStorage" => Known(DType::I64),
        "IntStorage" => Known(DType::I32),
        "ShortStorage" => Known(DType::I16),
        "CharStorage" => Known(DType::I8),
        "ByteStorage" => Known(DType::U8),
        "BoolStorage" => Known(DType::BOOL),
        "ComplexFloatStorage" => Known(DType::C64),
        "ComplexDoubleStorage" => Known(DType::C128),
        "QInt8Storage" => Refused("a quantized tensor (qint8)"),
        "QUInt8Storage" => Refused("a quantized tensor (quint8)"),
        "QInt32Storage" => Refused("a quantized tensor (qint32)"),
        "QUInt4x2Storage" => Refused("a quantized tensor (quint4x2)"),
        "QUInt2x4Storage" => Refused("a quantized tensor (quint2x4)"),
        "UntypedStorage" => Known(DType::U8),
        _ => return None,
    })
}

/// The element type a `torch.DTYPE` global names (`_rebuild_tensor_v3`'s dtype argument).
pub fn of_dtype(name: &str) -> Option<Element> {
    use Element::*;
    Some(match name {
        "float32" | "float" => Known(DType::F32),
        "float64" | "double" => Known(DType::F64),
        "float16" | "half" => Known(DType::F16),
        "bfloat16" => Known(DType::BF16),
        "int8" => Known(DType::I8),
        "int16" | "short" => Known(DType::I16),
        "int32" | "int" => Known(DType::I32),
        "int64" | "long" => Known(DType::I64),
        "uint8" => Known(DType::U8),
        "uint16" => Known(DType::U16),
        "uint32" => Known(DType::U32),
        "uint64" => Known(DType::U64),
        "bool" => Known(DType::BOOL),
        "complex64" | "cfloat" => Known(DType::C64),
        "complex128" | "cdouble" => Known(DType::C128),
        "float8_e4m3fn" => Known(DType::F8_E4M3),
        "float8_e5m2" => Known(DType::F8_E5M2),
        "float8_e4m3fnuz" => Known(DType::F8_E4M3FNUZ),
        "float8_e5m2fnuz" => Known(DType::F8_E5M2FNUZ),
        "float8_e8m0fnu" => Known(DType::F8_E8M0),
        "complex32" | "chalf" => Refused("complex32"),
        "float4_e2m1fn_x2" => Refused("float4_e2m1fn_x2 (two 4-bit values per byte)"),
        "qint8" | "quint8" | "qint32" | "quint4x2" | "quint2x4" => Refused("a quantized dtype"),
        "bits1x8" | "bits2x4" | "bits4x2" | "bits8" | "bits16" => Refused("a bits dtype"),
        _ if is_sub_byte_int(name) => Refused("a sub-byte integer dtype"),
        _ => return None,
    })
}

/// `torch.int1` … `torch.int7`, `torch.uint1` … `torch.uint7`.
fn is_sub_byte_int(name: &str) -> bool {
    let digits = name
        .strip_prefix("uint")
        .or_else(|| name.strip_prefix("int"));
    matches!(digits, Some(d) if d.len() == 1 && (b'1'..=b'7').contains(&d.as_bytes()[0]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn storage_types_and_dtypes_agree() {
        let pairs = [
            ("DoubleStorage", "float64"),
            ("FloatStorage", "float32"),
            ("HalfStorage", "float16"),
            ("BFloat16Storage", "bfloat16"),
            ("LongStorage", "int64"),
            ("IntStorage", "int32"),
            ("ShortStorage", "int16"),
            ("CharStorage", "int8"),
            ("ByteStorage", "uint8"),
            ("BoolStorage", "bool"),
            ("ComplexFloatStorage", "complex64"),
            ("ComplexDoubleStorage", "complex128"),
        ];
        for (storage, dtype) in pairs {
            assert_eq!(of_storage_type(storage), of_dtype(dtype), "{storage}");
        }
        assert_eq!(
            of_dtype("uint3"),
            Some(Element::Refused("a sub-byte integer dtype"))
        );
        assert_eq!(of_dtype("uint8"), Some(Element::Known(DType::U8)));
        assert_eq!(of_dtype("float128"), None);
        assert!(matches!(
            of_storage_type("QInt8Storage"),
            Some(Element::Refused(_))
        ));
    }
}
