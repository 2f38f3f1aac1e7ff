//! The files of a checkpoint in a table view: every file when there are few, one summary line when there are many
//! (a 191-shard table would scroll the summary away; `--files` lists them all, and JSON always does).

use super::text::Doc;
use crate::model::units;

/// Files listed one per row without `--files`: a Hub model of up to 8 shards (Llama-3-8B has 4, 70B has 30).
pub const TABLE_MAX_FILES: usize = 8;

/// Whether the full table is shown: asked for, or few enough files.
pub fn full_table(files: usize, asked: bool) -> bool {
    asked || files <= TABLE_MAX_FILES
}

/// `191 files, 3.75–4.48 GiB each, headers 1.20 MiB`: the sizes of the files (`(size, header)` pairs), smallest to
/// largest, and their headers' total.
pub fn summary(sizes: &[(u64, u64)]) -> String {
    let smallest = sizes.iter().map(|s| s.0).min().unwrap_or(0);
    let largest = sizes.iter().map(|s| s.0).max().unwrap_or(0);
    let headers: u64 = sizes.iter().map(|s| s.1).sum();
    let each = if units::bytes(smallest) == units::bytes(largest) {
        units::bytes(smallest)
    } else {
        // One unit for both ends when they share it: `3.75–4.48 GiB`, not `3.75 GiB–4.48 GiB`.
        let (low, high) = (units::bytes(smallest), units::bytes(largest));
        match (low.rsplit_once(' '), high.rsplit_once(' ')) {
            (Some((l, lu)), Some((h, hu))) if lu == hu => format!("{l}–{h} {hu}"),
            _ => format!("{low}–{high}"),
        }
    };
    format!(
        "{}, {each} each, headers {}",
        units::counted(sizes.len() as u64, "file", "files"),
        units::bytes(headers)
    )
}

/// The summary line in place of a table, with the flag that lists them.
pub fn summary_line(doc: &mut Doc, sizes: &[(u64, u64)]) {
    doc.line(&format!("files: {} (--files lists them)", summary(sizes)));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summarises_sizes_and_headers() {
        let gib = 1u64 << 30;
        let sizes = [
            (4 * gib, 1 << 20),
            (3 * gib + gib / 4 * 3, 1 << 19),
            (4 * gib + gib / 2, 0),
        ];
        assert_eq!(
            summary(&sizes),
            "3 files, 3.75–4.50 GiB each, headers 1.50 MiB"
        );
        assert_eq!(
            summary(&[(10, 5), (10, 5)]),
            "2 files, 10 B each, headers 10 B"
        );
        assert_eq!(
            summary(&[(512, 0), (2048, 0)]),
            "2 files, 512 B–2.00 KiB each, headers 0 B"
        );
        assert!(full_table(8, false) && !full_table(9, false) && full_table(191, true));
    }
}
