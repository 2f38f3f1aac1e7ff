//! Tables for terminals and Markdown, built the same way so the two never disagree.

use comfy_table::{
    presets, Attribute, Cell, CellAlignment, ColumnConstraint, ContentArrangement, Table, Width,
};
use unicode_width::UnicodeWidthStr;

/// The delimiter row (the second line) of a Markdown table with `---:` under the columns in `right`.
fn align_delimiters(table: &str, right: &[usize]) -> String {
    let mut lines: Vec<String> = table.lines().map(str::to_string).collect();
    if let Some(delimiter) = lines.get_mut(1) {
        let cells: Vec<&str> = delimiter.trim_matches('|').split('|').collect();
        let aligned: Vec<String> = cells
            .iter()
            .enumerate()
            .map(|(i, cell)| match cell.len() {
                n if right.contains(&i) && n > 1 => format!("{}:", &cell[..n - 1]),
                _ => cell.to_string(),
            })
            .collect();
        *delimiter = format!("|{}|", aligned.join("|"));
    }
    lines.join("\n")
}

/// How a text document is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// Tables drawn with box characters for a terminal, headings in bold when `colour`.
    Terminal {
        /// Whether to style headings with ANSI escapes (see `colour_wanted`).
        colour: bool,
    },
    /// GitHub-flavoured Markdown: `##` headings and pipe tables, for pasting.
    Markdown,
}

/// How the columns of a table give way on a narrow terminal (docs/inspect.md, "Narrow terminals"). Every cell
/// not in `text` holds a number or a name and is never wrapped; when the table is wider than the terminal, the
/// `paths` cells are shortened first (their folders elided with `…`, the file name always whole), then columns
/// are left out, the first of `drop` first, and only then does the table overflow.
#[derive(Debug, Clone, Copy, Default)]
pub struct Fit<'a> {
    /// Columns of file paths, which may be shortened by eliding their middle.
    pub paths: &'a [usize],
    /// Columns of prose (a sentence, a list of figures), which may wrap between words.
    pub text: &'a [usize],
    /// Columns that may be left out, the least useful first; `None`: right to left, never the first column.
    pub drop: Option<&'a [usize]>,
}

/// The width tables are fitted to: the terminal's when stdout is one (and reports a size), else `COLUMNS` when
/// set; `None` (a pipe, a file) writes every table at its natural width, as before there was a rule.
pub fn output_width() -> Option<usize> {
    use std::io::IsTerminal;
    let columns = || {
        std::env::var("COLUMNS")
            .ok()?
            .trim()
            .parse::<usize>()
            .ok()
            .filter(|&c| c > 0)
    };
    if std::io::stdout().is_terminal() {
        // comfy-table asks the terminal (crossterm); a pseudo-terminal nobody sized reports zero columns.
        match Table::new().width() {
            Some(w) if w > 0 => Some(w as usize),
            _ => columns(),
        }
    } else {
        columns()
    }
}

/// `s` in at most `max` columns, its middle replaced by `…` (the end, which names the file, kept longer).
pub fn elide_middle(s: &str, max: usize) -> String {
    if s.width() <= max || max < 3 {
        return s.to_string();
    }
    let keep = max - 1;
    let head_cols = keep / 3;
    let tail_cols = keep - head_cols;
    let mut head = String::new();
    for c in s.chars() {
        if (head.as_str().width() + c.to_string().as_str().width()) > head_cols {
            break;
        }
        head.push(c);
    }
    let mut tail: Vec<char> = Vec::new();
    let mut tail_width = 0;
    for c in s.chars().rev() {
        let w = c.to_string().as_str().width();
        if tail_width + w > tail_cols {
            break;
        }
        tail_width += w;
        tail.push(c);
    }
    let tail: String = tail.into_iter().rev().collect();
    format!("{head}…{tail}")
}

/// A path in at most `max` columns where it can be: the middle of its folders elided (`/home/…/snapshots/ab12/`),
/// the file name kept whole, since it is the name that tells the rows apart.
pub fn elide_path(s: &str, max: usize) -> String {
    if s.width() <= max {
        return s.to_string();
    }
    match s.rsplit_once('/') {
        Some((dir, name)) => {
            let room = max.saturating_sub(name.width() + 1);
            let dir = if room >= 3 {
                elide_middle(dir, room)
            } else {
                "…".to_string()
            };
            format!("{dir}/{name}")
        }
        None => s.to_string(),
    }
}

/// The narrowest a path can be shortened to: its file name, after `…/` when it has folders.
fn path_least(s: &str) -> usize {
    match s.rsplit_once('/') {
        Some((_, name)) => s.width().min(name.width() + 2),
        None => s.width(),
    }
}

/// The widest word in column `c` of `cells` (header included): how narrow a wrapped prose column can get.
fn longest_word_of_column(cells: &[Vec<String>], c: usize) -> usize {
    cells
        .iter()
        .filter_map(|r| r.get(c))
        .map(|s| longest_word(s))
        .max()
        .unwrap_or(0)
}

/// The widest word of `s` (prose wraps between words, never inside one).
fn longest_word(s: &str) -> usize {
    s.split_whitespace().map(|w| w.width()).max().unwrap_or(0)
}

/// A table's width with `widths` of content: a border and a padding either side of each column.
fn drawn_width(widths: impl Iterator<Item = usize>) -> usize {
    let (sum, n) = widths.fold((0, 0), |(s, n), w| (s + w, n + 1));
    sum + 3 * n + 1
}

/// What fitting a table to a width decided.
struct Fitted {
    /// The columns shown, in their order.
    kept: Vec<usize>,
    /// The width each path column is shortened to.
    path_width: Vec<(usize, usize)>,
}

/// Chooses the columns shown and the paths' widths for a table of `cells` (header first) in `width` columns.
fn fit(cells: &[Vec<String>], fit: Fit, width: usize) -> Fitted {
    let n = cells.iter().map(Vec::len).max().unwrap_or(0);
    let natural: Vec<usize> = (0..n)
        .map(|c| {
            cells
                .iter()
                .filter_map(|r| r.get(c))
                .map(|s| s.as_str().width())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let least: Vec<usize> = (0..n)
        .map(|c| {
            if fit.paths.contains(&c) {
                cells
                    .iter()
                    .skip(1)
                    .filter_map(|r| r.get(c))
                    .map(|s| path_least(s))
                    .chain(
                        cells
                            .first()
                            .and_then(|h| h.get(c))
                            .map(|h| h.as_str().width()),
                    )
                    .max()
                    .unwrap_or(0)
            } else if fit.text.contains(&c) {
                natural[c].min(longest_word_of_column(cells, c))
            } else {
                natural[c]
            }
        })
        .collect();
    let all: Vec<usize> = (0..n).collect();
    if drawn_width(natural.iter().copied()) <= width {
        return Fitted {
            kept: all,
            path_width: Vec::new(),
        };
    }
    let default_drop: Vec<usize> = (1..n).rev().collect();
    let drop = fit.drop.unwrap_or(&default_drop);
    // The columns never left out, then the others from the most useful while they fit.
    let mut kept: Vec<usize> = all.iter().copied().filter(|c| !drop.contains(c)).collect();
    for &c in drop.iter().rev().filter(|&&c| c < n) {
        let mut trial = kept.clone();
        trial.push(c);
        if drawn_width(trial.iter().map(|&k| least[k])) <= width {
            kept = trial;
        }
    }
    kept.sort_unstable();
    // What is left over lengthens the paths again, the first first.
    let mut slack = width.saturating_sub(drawn_width(kept.iter().map(|&k| least[k])));
    let mut path_width = Vec::new();
    for &c in kept.iter().filter(|c| fit.paths.contains(c)) {
        let extra = (natural[c] - least[c]).min(slack);
        slack -= extra;
        path_width.push((c, least[c] + extra));
    }
    Fitted { kept, path_width }
}

/// A text document made of headings and tables.
pub struct Doc {
    style: Style,
    /// The width tables are fitted to on a terminal ([`output_width`]); `None`: natural widths.
    width: Option<usize>,
    out: String,
    /// Markdown continues a table into the next line that is not blank, so a line after a table needs one.
    after_table: bool,
}

impl Doc {
    /// An empty document written in `style`.
    pub fn new(style: Style) -> Self {
        let width = match style {
            Style::Terminal { .. } => output_width(),
            Style::Markdown => None,
        };
        Doc::with_width(style, width)
    }

    /// An empty document written in `style` whose tables fit `width` columns (Markdown ignores it).
    pub fn with_width(style: Style, width: Option<usize>) -> Self {
        Doc {
            style,
            width: width.filter(|_| style != Style::Markdown),
            out: String::new(),
            after_table: false,
        }
    }

    /// Adds a heading (a `##` line in Markdown).
    pub fn heading(&mut self, text: &str) {
        // A heading naming a long path (a Hugging Face cache snapshot) keeps its ends on one line.
        let text = &match self.width {
            Some(w) => elide_middle(text, w),
            None => text.to_string(),
        };
        self.after_table = false;
        if !self.out.is_empty() {
            self.out.push('\n');
        }
        match self.style {
            Style::Markdown => self.out.push_str(&format!("## {text}\n\n")),
            Style::Terminal { colour: true } => {
                self.out.push_str(&format!("\u{1b}[1m{text}\u{1b}[0m\n"))
            }
            Style::Terminal { colour: false } => self.out.push_str(&format!("{text}\n")),
        }
    }

    /// Adds a line of text as it is (callers escape names read from files). On a terminal of known width a
    /// longer line wraps between words, its continuation indented; a word is never cut.
    pub fn line(&mut self, text: &str) {
        self.end_table();
        match self.width {
            Some(width) if text.width() > width => {
                let mut line = String::new();
                for word in text.split(' ') {
                    if !line.trim().is_empty() && (line.as_str().width() + 1 + word.width()) > width
                    {
                        self.out.push_str(line.trim_end());
                        self.out.push('\n');
                        line = "  ".to_string();
                    } else if !line.trim().is_empty() {
                        line.push(' ');
                    }
                    line.push_str(word);
                }
                self.out.push_str(line.trim_end());
            }
            _ => self.out.push_str(text),
        }
        self.out.push('\n');
    }

    /// A table with a header row; columns listed in `right` are numbers and align right. On a narrow terminal
    /// columns are left out from the right (never the first) rather than wrapped: see [`Fit`].
    pub fn table(&mut self, header: &[&str], rows: Vec<Vec<String>>, right: &[usize]) {
        self.table_fit(header, rows, right, Fit::default());
    }

    /// [`Doc::table`] with how its columns give way on a narrow terminal.
    pub fn table_fit(
        &mut self,
        header: &[&str],
        rows: Vec<Vec<String>>,
        right: &[usize],
        how: Fit,
    ) {
        let mut header: Vec<String> = header.iter().map(|h| h.to_string()).collect();
        let mut rows = rows;
        let mut right: Vec<usize> = right.to_vec();
        let mut text: Vec<usize> = how.text.to_vec();
        let mut left_out = Vec::new();
        if let Some(width) = self.width {
            let mut cells = vec![header.clone()];
            cells.extend(rows.iter().cloned());
            let fitted = fit(&cells, how, width);
            for &(c, w) in &fitted.path_width {
                for row in &mut rows {
                    if let Some(cell) = row.get_mut(c) {
                        *cell = elide_path(cell, w);
                    }
                }
            }
            let n = header.len();
            left_out = (0..n)
                .filter(|c| !fitted.kept.contains(c))
                .map(|c| match header[c].as_str() {
                    // A column without a heading (group tables' bar) still says it is gone.
                    "" => "bar".to_string(),
                    h => h.to_string(),
                })
                .collect();
            let keep = |row: &mut Vec<String>| {
                *row = fitted
                    .kept
                    .iter()
                    .filter_map(|&c| row.get(c).cloned())
                    .collect();
            };
            keep(&mut header);
            rows.iter_mut().for_each(keep);
            let renumber = |cols: &[usize]| -> Vec<usize> {
                fitted
                    .kept
                    .iter()
                    .enumerate()
                    .filter(|(_, c)| cols.contains(c))
                    .map(|(i, _)| i)
                    .collect()
            };
            right = renumber(&right);
            text = renumber(&text);
        }
        let mut table = self.new_table();
        table.set_header(header.iter().map(|h| self.header_cell(h)));
        for row in &rows {
            table.add_row(row.iter().map(|c| self.cell_text(c)));
        }
        for &c in &right {
            if let Some(col) = table.column_mut(c) {
                col.set_cell_alignment(CellAlignment::Right);
            }
        }
        if self.style == Style::Markdown {
            // comfy-table aligns the cells' padding but writes every delimiter `|---|`: Markdown renderers align
            // a column only by a `---:` delimiter.
            self.end_table();
            self.out
                .push_str(&align_delimiters(&table.to_string(), &right));
            self.out.push('\n');
            self.after_table = true;
            return;
        }
        let mut cells = vec![header];
        cells.extend(rows);
        self.arrange(&mut table, &cells, &text);
        self.push_table(table);
        if !left_out.is_empty() {
            let width = self.width.unwrap_or(0);
            let named = format!("(not shown at {width} columns: {})", left_out.join(", "));
            let short = format!("(not shown: {})", left_out.join(", "));
            let line = [named, short]
                .into_iter()
                .find(|l| l.as_str().width() <= width)
                .unwrap_or_else(|| format!("({} columns not shown)", left_out.len()));
            self.line(&line);
        }
    }

    /// On a terminal of known width: cells of numbers and names never wrap, prose (`text` columns) wraps
    /// between words to fill what is left.
    fn arrange(&self, table: &mut Table, cells: &[Vec<String>], text: &[usize]) {
        let Some(width) = self.width else {
            return;
        };
        if text.is_empty() {
            return;
        }
        table.set_width(width.min(u16::MAX as usize) as u16);
        table.set_content_arrangement(ContentArrangement::Dynamic);
        let n = cells.iter().map(Vec::len).max().unwrap_or(0);
        for c in 0..n {
            let Some(col) = table.column_mut(c) else {
                continue;
            };
            if text.contains(&c) {
                let word = longest_word_of_column(cells, c);
                col.set_constraint(ColumnConstraint::LowerBoundary(Width::Fixed(
                    word.min(u16::MAX as usize) as u16,
                )));
            } else {
                col.set_constraint(ColumnConstraint::ContentWidth);
            }
        }
    }

    /// A two-column key/value table without a header row (a header row in Markdown, which requires one). The
    /// key is a name and never wraps; the value is prose and wraps between words on a narrow terminal.
    pub fn pairs(&mut self, rows: Vec<(String, String)>) {
        let mut table = self.new_table();
        if self.style == Style::Markdown {
            table.set_header(vec!["", ""]);
        }
        let mut cells = Vec::new();
        for (k, v) in rows {
            table.add_row(vec![self.cell_text(&k), self.cell_text(&v)]);
            cells.push(vec![k, v]);
        }
        if self.style != Style::Markdown {
            self.arrange(&mut table, &cells, &[1]);
        }
        self.push_table(table);
    }

    fn header_cell(&self, text: &str) -> Cell {
        match self.style {
            Style::Terminal { colour: true } => Cell::new(text).add_attribute(Attribute::Bold),
            _ => Cell::new(self.cell_text(text)),
        }
    }

    /// A `|` inside a Markdown cell would end the cell (`max |a−b|`, a token like `<|eot_id|>`): escaped there.
    fn cell_text(&self, text: &str) -> String {
        match self.style {
            Style::Markdown => text.replace('|', "\\|"),
            Style::Terminal { .. } => text.to_string(),
        }
    }

    fn new_table(&self) -> Table {
        let mut table = Table::new();
        match self.style {
            Style::Markdown => {
                table.load_preset(presets::ASCII_MARKDOWN);
            }
            Style::Terminal { .. } => {
                table.load_preset(presets::UTF8_FULL_CONDENSED);
                // Colour is only what `header_cell` adds. The width is the document's ([`output_width`]), not
                // comfy-table's own guess from stdout, so that a cell is never wrapped inside a number or a name.
                table.set_content_arrangement(ContentArrangement::Disabled);
            }
        }
        table
    }

    fn end_table(&mut self) {
        if self.style == Style::Markdown && self.after_table {
            self.out.push('\n');
        }
        self.after_table = false;
    }

    fn push_table(&mut self, table: Table) {
        self.end_table();
        self.out.push_str(&table.to_string());
        self.out.push('\n');
        self.after_table = true;
    }

    /// The document's text.
    pub fn finish(self) -> String {
        self.out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_lose_their_folders_middle_never_the_file_name() {
        let p = "/home/me/.cache/huggingface/hub/models--meta-llama--Llama-3-8B/snapshots/5f0b02c7/model-00001-of-00004.safetensors";
        let short = elide_path(p, 60);
        assert!(short.width() <= 60, "{short}");
        assert!(
            short.ends_with("/model-00001-of-00004.safetensors"),
            "{short}"
        );
        assert!(short.starts_with("/home") && short.contains('…'), "{short}");
        // Narrower than the file name: the folders go, the name stays.
        assert_eq!(elide_path(p, 10), "…/model-00001-of-00004.safetensors");
        assert_eq!(elide_path("model.safetensors", 5), "model.safetensors");
        assert_eq!(elide_middle("abcdefghij", 7), "ab…ghij");
    }

    #[test]
    fn the_most_useful_columns_that_fit_are_kept() {
        let cells = vec![
            vec![
                "name".to_string(),
                "a".into(),
                "bbbbbbbbbb".into(),
                "c".into(),
            ],
            vec!["x".repeat(20), "1".into(), "2".into(), "3".into()],
        ];
        // Natural width 20 + 1 + 10 + 1 + 13 = 45. At 35 the default order (right to left) keeps 1 and 3, which
        // fit, not 2, which does not; at 37 an order that values 2 most keeps it alone.
        let fitted = fit(&cells, Fit::default(), 35);
        assert_eq!(fitted.kept, vec![0, 1, 3]);
        let fitted = fit(
            &cells,
            Fit {
                drop: Some(&[1, 3, 2]),
                ..Fit::default()
            },
            37,
        );
        assert_eq!(fitted.kept, vec![0, 2]);
        // Too narrow for the first column alone: it stays and overflows.
        assert_eq!(fit(&cells, Fit::default(), 10).kept, vec![0]);
        assert_eq!(fit(&cells, Fit::default(), 45).kept, vec![0, 1, 2, 3]);
    }

    #[test]
    fn a_fitted_table_never_wraps_a_cell_and_names_what_it_left_out() {
        let mut doc = Doc::with_width(Style::Terminal { colour: false }, Some(40));
        doc.table(
            &["name", "parameters", "bytes"],
            vec![vec![
                "model.layers.0.mlp.down_proj.weight".into(),
                "58,720,256".into(),
                "112.00 MiB".into(),
            ]],
            &[1, 2],
        );
        let out = doc.finish();
        assert!(
            out.contains("│ model.layers.0.mlp.down_proj.weight │"),
            "{out}"
        );
        assert!(out.contains("(not shown: parameters, bytes)"), "{out}");
        // No width: the table as it always was.
        let mut doc = Doc::with_width(Style::Terminal { colour: false }, None);
        doc.table(
            &["name", "n"],
            vec![vec!["x".repeat(100), "1".into()]],
            &[1],
        );
        assert!(doc.finish().lines().all(|l| l.chars().count() == 108));
    }

    #[test]
    fn long_lines_wrap_between_words() {
        let mut doc = Doc::with_width(Style::Terminal { colour: false }, Some(20));
        doc.line("note: one two three four five six seven");
        assert_eq!(
            doc.finish(),
            "note: one two three\n  four five six\n  seven\n"
        );
    }
}
