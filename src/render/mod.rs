//! Output: a readable table on a terminal, stable JSON, Markdown for pasting. Analyses never print.

pub mod brief;
pub mod check;
pub mod diff;
pub mod files;
pub mod footprint;
pub mod gguf;
pub mod group;
pub mod inspect;
pub mod json;
pub mod stats;
pub mod text;
pub mod verify;

/// Whether to style output: only on a terminal, and never when NO_COLOR is set (<https://no-color.org>).
pub fn colour_wanted(is_terminal: bool) -> bool {
    is_terminal && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

/// Makes a name or metadata value safe to print on a terminal: control characters (ESC, BEL, newlines, …)
/// from a stranger's file are shown escaped instead of being interpreted, and so are the invisible Unicode
/// bidirectional controls, which reorder what is displayed (a name could read as another name).
pub fn escape(s: &str) -> std::borrow::Cow<'_, str> {
    if !s.chars().any(needs_escape) {
        return std::borrow::Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if needs_escape(c) {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    std::borrow::Cow::Owned(out)
}

fn needs_escape(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{61c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_terminal_controls() {
        assert_eq!(escape("model.layers.0"), "model.layers.0");
        assert_eq!(escape("a\u{1b}[31mred"), "a\\u{1b}[31mred");
        assert_eq!(escape("two\nlines"), "two\\nlines");
        assert_eq!(escape("a\u{202e}b\u{2066}"), "a\\u{202e}b\\u{2066}");
        assert_eq!(escape("名前.ü"), "名前.ü");
    }
}
