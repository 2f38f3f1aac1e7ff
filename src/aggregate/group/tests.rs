use super::*;
use crate::interpret::role::role_of;

struct Owned(String, DType, Vec<u64>);

fn items(owned: &[Owned]) -> Vec<Item<'_>> {
    owned
        .iter()
        .map(|Owned(name, dtype, shape)| {
            let parameters: u64 = shape.iter().product();
            let (role, role_rule) = role_of(name);
            Item {
                name,
                dtype: *dtype,
                shape,
                parameters,
                logical_parameters: parameters,
                bytes: 2 * parameters,
                role,
                role_rule,
            }
        })
        .collect()
}

fn o(name: &str, shape: &[u64]) -> Owned {
    Owned(name.into(), DType::BF16, shape.to_vec())
}

fn names_counts(rows: &[GroupRow]) -> Vec<(String, u64, u64)> {
    rows.iter()
        .map(|r| (r.name.clone(), r.count, r.parameters))
        .collect()
}

#[test]
fn parses_group_by() {
    assert_eq!("layer".parse::<GroupBy>(), Ok(GroupBy::Layer));
    assert_eq!("depth:2".parse::<GroupBy>(), Ok(GroupBy::Depth(2)));
    assert!("depth:0".parse::<GroupBy>().is_err());
    assert!("depth:x".parse::<GroupBy>().is_err());
    assert!("layers".parse::<GroupBy>().is_err());
}

#[test]
fn ranges_compress_runs() {
    assert_eq!(ranges(&[3, 0, 1, 2, 5, 7, 8]), "0..3,5,7..8");
    assert_eq!(ranges(&[4]), "4");
}

#[test]
fn identical_layers_merge_an_irregular_one_stays_apart() {
    let mut owned = vec![o("model.embed_tokens.weight", &[10, 4])];
    for l in 0..4 {
        // Layer 2's MLP is wider: it must not merge with the others.
        let wide = if l == 2 { 16 } else { 8 };
        owned.push(o(
            &format!("model.layers.{l}.mlp.up_proj.weight"),
            &[wide, 4],
        ));
        owned.push(o(&format!("model.layers.{l}.input_layernorm.weight"), &[4]));
    }
    owned.push(o("model.norm.weight", &[4]));
    owned.push(o("lm_head.weight", &[10, 4]));
    let rows = group(&items(&owned), GroupBy::Layer);
    assert_eq!(
        names_counts(&rows),
        [
            ("model.embed_tokens".to_string(), 1, 40),
            ("model.layers.{0..1,3}".to_string(), 3, 3 * (32 + 4)),
            ("model.layers.2".to_string(), 1, 64 + 4),
            ("model.norm".to_string(), 1, 4),
            ("lm_head".to_string(), 1, 40),
        ]
    );
    assert_eq!(rows[1].parameters_each, 36);
    assert_eq!(rows[1].tensors, 6);
    // Rows add up to the whole.
    let total: u64 = rows.iter().map(|r| r.parameters).sum();
    assert_eq!(total, 40 + 3 * 36 + 68 + 4 + 40);
}

#[test]
fn dtype_difference_splits_blocks() {
    let owned = vec![
        o("h.0.w", &[4]),
        Owned("h.1.w".into(), DType::F32, vec![4]),
        o("h.2.w", &[4]),
    ];
    let rows = group(&items(&owned), GroupBy::Layer);
    assert_eq!(
        names_counts(&rows),
        [("h.{0,2}".to_string(), 2, 8), ("h.1".to_string(), 1, 4)]
    );
}

#[test]
fn experts_collapse_inside_layers_and_dense_layers_stay_separate() {
    // DeepSeek-style: layer 0 dense, layers 1..2 with 4 experts and a router.
    let mut owned = vec![o("model.layers.0.mlp.up_proj.weight", &[8, 2])];
    for l in 1..3 {
        owned.push(o(&format!("model.layers.{l}.mlp.gate.weight"), &[4, 2]));
        for e in 0..4 {
            owned.push(o(
                &format!("model.layers.{l}.mlp.experts.{e}.up_proj.weight"),
                &[3, 2],
            ));
            owned.push(o(
                &format!("model.layers.{l}.mlp.experts.{e}.down_proj.weight"),
                &[2, 3],
            ));
        }
    }
    let rows = group(&items(&owned), GroupBy::Layer);
    assert_eq!(
        names_counts(&rows),
        [
            ("model.layers.0".to_string(), 1, 16),
            ("model.layers.{1..2}".to_string(), 2, 2 * (8 + 4 * 12)),
        ]
    );
    assert!(rows[0].children.is_empty());
    let experts = &rows[1].children;
    assert_eq!(experts.len(), 1);
    assert_eq!(experts[0].name, "mlp.experts.{0..3}");
    assert_eq!(experts[0].count, 4);
    assert_eq!(experts[0].parameters_each, 12);
    // Totals of a child row cover every layer: 2 layers × 4 experts × 12.
    assert_eq!(experts[0].parameters, 96);
    assert_eq!(experts[0].tensors, 16);
}

#[test]
fn depth_and_module_and_dtype() {
    let owned = vec![
        o("model.embed_tokens.weight", &[10, 4]),
        o("model.layers.0.self_attn.q_proj.weight", &[4, 4]),
        o("model.layers.1.self_attn.q_proj.weight", &[4, 4]),
        Owned("model.norm.weight".into(), DType::F32, vec![4]),
        o("lm_head.weight", &[10, 4]),
    ];
    let it = items(&owned);
    assert_eq!(
        names_counts(&group(&it, GroupBy::Depth(2))),
        [
            ("model.embed_tokens".to_string(), 1, 40),
            ("model.layers".to_string(), 1, 32),
            ("model.norm".to_string(), 1, 4),
            ("lm_head.weight".to_string(), 1, 40),
        ]
    );
    let modules = group(&it, GroupBy::Module);
    assert_eq!(
        names_counts(&modules),
        [
            ("embeddings".to_string(), 1, 40),
            ("attention".to_string(), 1, 32),
            ("norm".to_string(), 1, 4),
            ("output_head".to_string(), 1, 40),
        ]
    );
    assert_eq!(modules[1].rules, ["attention.component"]);
    let dtypes = group(&it, GroupBy::Dtype);
    assert_eq!(
        names_counts(&dtypes),
        [("BF16".to_string(), 1, 112), ("F32".to_string(), 1, 4)]
    );
}

proptest::proptest! {
    /// Whatever the names, the rows of every grouping (and the tree's top level) add up to the total.
    #[test]
    fn rows_always_add_up(
        names in proptest::collection::btree_set("[ab]{1,2}(\\.(0|1|2|[ab])){0,4}", 1..40),
        width in 1u64..4,
    ) {
        let owned: Vec<Owned> = names
            .iter()
            .enumerate()
            .map(|(i, n)| o(n, &[1 + (i as u64 % 3) * width]))
            .collect();
        let it = items(&owned);
        let total: u64 = it.iter().map(|i| i.parameters).sum();
        for by in [GroupBy::Layer, GroupBy::Module, GroupBy::Dtype, GroupBy::Depth(1), GroupBy::Depth(3)] {
            let rows = group(&it, by);
            proptest::prop_assert_eq!(rows.iter().map(|r| r.parameters).sum::<u64>(), total);
            proptest::prop_assert_eq!(rows.iter().map(|r| r.tensors).sum::<u64>(), it.len() as u64);
            for r in &rows {
                proptest::prop_assert_eq!(r.parameters_each * r.count, r.parameters);
            }
        }
        let tree = crate::aggregate::tree::tree(&it, None);
        proptest::prop_assert_eq!(tree.iter().map(|n| n.parameters).sum::<u64>(), total);
    }
}
