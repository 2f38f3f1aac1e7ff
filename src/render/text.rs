//! Tables for terminals and Markdown, built the same way so the two never disagree.

use comfy_table::{presets, Attribute, Cell, CellAlignment, ContentArrangement, Table};

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

/// A text document made of headings and tables.
pub struct Doc {
    style: Style,
    out: String,
    /// Markdown continues a table into the next line that is not blank, so a line after a table needs one.
    after_table: bool,
}

impl Doc {
    /// An empty document written in `style`.
    pub fn new(style: Style) -> Self {
        Doc {
            style,
            out: String::new(),
            after_table: false,
        }
    }

    /// Adds a heading (a `##` line in Markdown).
    pub fn heading(&mut self, text: &str) {
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

    /// Adds a line of text as it is (callers escape names read from files).
    pub fn line(&mut self, text: &str) {
        self.end_table();
        self.out.push_str(text);
        self.out.push('\n');
    }

    /// A table with a header row; columns listed in `right` are numbers and align right.
    pub fn table(&mut self, header: &[&str], rows: Vec<Vec<String>>, right: &[usize]) {
        let mut table = self.new_table();
        table.set_header(header.iter().map(|h| self.header_cell(h)));
        for row in rows {
            table.add_row(row.iter().map(|c| self.cell_text(c)));
        }
        for &c in right {
            if let Some(col) = table.column_mut(c) {
                col.set_cell_alignment(CellAlignment::Right);
            }
        }
        self.push_table(table);
    }

    /// A two-column key/value table without a header row (a header row in Markdown, which requires one).
    pub fn pairs(&mut self, rows: Vec<(String, String)>) {
        let mut table = self.new_table();
        if self.style == Style::Markdown {
            table.set_header(vec!["", ""]);
        }
        for (k, v) in rows {
            table.add_row(vec![self.cell_text(&k), self.cell_text(&v)]);
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
                // Colour is only what `header_cell` adds; the table still takes the terminal's width from stdout
                // when that is a terminal, whether colour is wanted or not (NO_COLOR), so no `force_no_tty`.
                // A terminal reporting zero columns (a pseudo-terminal nobody sized: `script`, `docker run -t`
                // without a client terminal) would squeeze every column to one character.
                if table.width() != Some(0) {
                    table.set_content_arrangement(ContentArrangement::Dynamic);
                }
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
