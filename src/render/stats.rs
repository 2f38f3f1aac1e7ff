//! The `stats` report as tables or Markdown.

use super::escape;
use super::text::{Doc, Fit, Style};
use crate::model::units;
use crate::stats::{Extreme, StatsReport, Summary};
use crate::values::hist::HistogramSummary;

/// Flag lists longer than this are cut, with a count of the rest.
const NAMES_SHOWN: usize = 10;
/// Sparklines wider than this merge neighbouring bins.
const SPARK_WIDTH: usize = 24;

/// Stats reports as text in `style`, one after another; `list_tensors` adds each tensor's row.
pub fn render(reports: &[StatsReport], list_tensors: bool, style: Style) -> String {
    let mut doc = Doc::new(style);
    for r in reports {
        write_report(&mut doc, r, list_tensors);
    }
    doc.finish()
}

fn write_report(doc: &mut Doc, r: &StatsReport, list_tensors: bool) {
    doc.heading(&format!(
        "{}  ({}, value statistics)",
        escape(&r.path.display().to_string()),
        r.format.name()
    ));
    let t = &r.total;
    let mut rows = Vec::new();
    if r.filtered {
        rows.push((
            "filtered by".into(),
            escape(&r.filters.join(", ")).into_owned(),
        ));
    }
    rows.push(("tensors".into(), units::grouped(r.tensor_count)));
    rows.push((
        "values".into(),
        format!(
            "{} ({} finite)",
            units::grouped(t.values),
            units::grouped(t.finite)
        ),
    ));
    rows.push(("data read".into(), units::bytes(r.bytes_scanned)));
    rows.push((
        "range".into(),
        format!(
            "{} … {}",
            num(t.min.map(Extreme::to_f64)),
            num(t.max.map(Extreme::to_f64))
        ),
    ));
    rows.push((
        "mean ± std".into(),
        format!("{} ± {}", num(t.mean), num(t.std)),
    ));
    rows.push((
        "mean |x| / absmax".into(),
        format!(
            "{} / {}",
            num(t.mean_abs),
            num(t.absmax.map(Extreme::to_f64))
        ),
    ));
    rows.push(("zeros".into(), count_of(t.zeros, t.values)));
    rows.push((
        "NaN / +Inf / −Inf".into(),
        format!(
            "{} / {} / {}",
            units::grouped(t.nan),
            units::grouped(t.pos_inf),
            units::grouped(t.neg_inf)
        ),
    ));
    if let Some(sub) = t.subnormal {
        rows.push(("subnormals".into(), count_of(sub, t.values)));
    }
    doc.pairs(rows);

    if !r.dtypes.is_empty() {
        doc.heading("By dtype");
        let body = r
            .dtypes
            .iter()
            .map(|d| {
                let mut row = vec![
                    d.dtype.to_string(),
                    units::grouped(d.tensors),
                    units::count(d.elements),
                ];
                if d.decoded {
                    row.extend(stat_cells(&d.stats));
                } else {
                    row.push("not decoded".into());
                    row.extend(std::iter::repeat_n(String::new(), STAT_HEADER.len() - 1));
                }
                row
            })
            .collect();
        let mut header = vec!["dtype", "tensors", "elements"];
        header.extend(STAT_HEADER);
        doc.table(&header, body, &(1..header.len()).collect::<Vec<_>>());
    }

    write_flags(doc, r);

    if list_tensors && !r.tensors.is_empty() {
        doc.heading("Tensors");
        let with_hist = r.tensors.iter().any(|t| t.stats.hist.is_some());
        let body = r
            .tensors
            .iter()
            .map(|t| {
                let mut row = vec![escape(&t.name).into_owned(), t.dtype.to_string()];
                if t.decoded {
                    row.extend(stat_cells(&t.stats));
                } else {
                    row.push(t.unit.clone());
                    row.extend(std::iter::repeat_n(String::new(), STAT_HEADER.len() - 1));
                }
                if with_hist {
                    row.push(t.stats.hist.as_ref().map(sparkline).unwrap_or_default());
                }
                row
            })
            .collect();
        let mut header = vec!["name", "dtype"];
        header.extend(STAT_HEADER);
        if with_hist {
            header.push("|x| by power of 2");
        }
        // On a narrow terminal the histogram goes first, then the rare counts and the dtype, and the range and
        // moments last: header indices 11 (histogram), subnormal, ±Inf, zeros, dtype, absmax, NaN, std, mean, max,
        // min.
        let drop: Vec<usize> = [11, 10, 9, 7, 1, 6, 8, 5, 4, 3, 2]
            .into_iter()
            .filter(|&c| c < header.len())
            .collect();
        doc.table_fit(
            &header,
            body,
            &(2..2 + STAT_HEADER.len()).collect::<Vec<_>>(),
            Fit {
                drop: Some(&drop),
                ..Fit::default()
            },
        );
    }
}

const STAT_HEADER: [&str; 9] = [
    "min",
    "max",
    "mean",
    "std",
    "absmax",
    "zeros",
    "NaN",
    "±Inf",
    "subnormal",
];

fn stat_cells(s: &Summary) -> Vec<String> {
    vec![
        num(s.min.map(Extreme::to_f64)),
        num(s.max.map(Extreme::to_f64)),
        num(s.mean),
        num(s.std),
        num(s.absmax.map(Extreme::to_f64)),
        units::grouped(s.zeros),
        units::grouped(s.nan),
        units::grouped(s.pos_inf + s.neg_inf),
        s.subnormal
            .map(units::grouped)
            .unwrap_or_else(|| "-".into()),
    ]
}

fn write_flags(doc: &mut Doc, r: &StatsReport) {
    let f = &r.flagged;
    if f.is_empty() {
        return;
    }
    doc.heading("Flagged");
    for (what, names) in [
        ("NaN", &f.nan),
        ("±Inf", &f.inf),
        ("all zeros", &f.all_zero),
        ("not decoded", &f.not_decoded),
    ] {
        if names.is_empty() {
            continue;
        }
        let mut shown: Vec<String> = names
            .iter()
            .take(NAMES_SHOWN)
            .map(|n| escape(n).into_owned())
            .collect();
        if names.len() > NAMES_SHOWN {
            shown.push(format!("… and {} more", names.len() - NAMES_SHOWN));
        }
        let tensors = if names.len() == 1 {
            "tensor"
        } else {
            "tensors"
        };
        doc.line(&format!(
            "{what} ({} {tensors}): {}",
            units::grouped(names.len() as u64),
            shown.join(", ")
        ));
    }
}

fn count_of(n: u64, of: u64) -> String {
    if n == 0 {
        "0".into()
    } else {
        format!("{} ({})", units::grouped(n), units::percent(n, of))
    }
}

/// A value for people: integers as such, 4 significant digits in a readable range, else scientific.
pub fn num(x: Option<f64>) -> String {
    let Some(x) = x else {
        return "-".into();
    };
    let a = x.abs();
    if x == x.trunc() && a < 1e15 {
        format!("{x:.0}")
    } else if (1e-3..1e5).contains(&a) {
        let decimals = (3 - a.log10().floor() as i32).max(0) as usize;
        let s = format!("{x:.decimals$}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        format!("{x:.3e}")
    }
}

/// `2^-14 ▁▃█▅▂ 2^-3`: bin heights relative to the fullest bin; neighbouring bins merged to fit the width.
fn sparkline(h: &HistogramSummary) -> String {
    const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    let per = h.counts.len().div_ceil(SPARK_WIDTH);
    let merged: Vec<u64> = h.counts.chunks(per).map(|c| c.iter().sum()).collect();
    let top = merged.iter().copied().max().unwrap_or(0).max(1);
    let bars: String = merged
        .iter()
        .map(|&c| {
            if c == 0 {
                ' '
            } else {
                BARS[((c * 8).div_ceil(top) - 1) as usize]
            }
        })
        .collect();
    format!(
        "2^{} {bars} 2^{}",
        h.log2_edges[0],
        h.log2_edges[h.log2_edges.len() - 1]
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_well() {
        assert_eq!(num(None), "-");
        assert_eq!(num(Some(448.0)), "448");
        assert_eq!(num(Some(-0.03125)), "-0.03125");
        assert_eq!(num(Some(0.123456)), "0.1235");
        assert_eq!(num(Some(1.5e-5)), "1.500e-5");
        assert_eq!(num(Some(12345.678)), "12346");
    }

    #[test]
    fn sparkline_scales_to_the_fullest_bin() {
        let h = HistogramSummary {
            log2_edges: vec![-3, -2, -1, 0],
            edges: vec![0.125, 0.25, 0.5, 1.0],
            counts: vec![1, 0, 7],
        };
        assert_eq!(sparkline(&h), "2^-3 ▂ █ 2^0");
    }
}
