//! The memory `footprint --fits` is asked about: one budget (`80GiB`) or several devices (`2x80GB`, `8×80GiB`,
//! `24GiB,24GiB`, `2x80GB,24GiB`), each size read by the byte parser every other flag uses.

use crate::model::quantity::parse_bytes;

/// Memory to fit in: one budget, or the devices a model is split across. Kept as typed, for the report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Devices {
    /// The text as the user typed it.
    pub text: String,
    /// Each device's memory in bytes, in the order given (one entry for a plain budget).
    pub sizes: Vec<u64>,
    /// Whether the text names devices (`N×SIZE` or a list) rather than one budget: only devices get the split
    /// and the per-device overhead.
    pub several: bool,
}

/// More devices than this in one `--fits` is a typo (`8000x80GB`), not a machine.
const MAX_DEVICES: u64 = 4096;

impl Devices {
    /// One budget of `bytes`.
    pub fn budget(bytes: u64) -> Devices {
        Devices {
            text: bytes.to_string(),
            sizes: vec![bytes],
            several: false,
        }
    }

    /// `80GiB`, `2x80GB`, `8×80GiB` (also `8*80GiB`), `24GiB,24GiB`. A comma inside one size (`16,060,522,496`)
    /// is a digit group, as everywhere else: the whole text is tried as one size first.
    pub fn parse(text: &str) -> Result<Devices, String> {
        let trimmed = text.trim();
        if let Ok(bytes) = parse_bytes(trimmed) {
            return Ok(Devices {
                text: trimmed.to_string(),
                sizes: vec![bytes],
                several: false,
            });
        }
        let mut sizes = Vec::new();
        let pieces: Vec<&str> = trimmed.split(',').map(str::trim).collect();
        let listed = pieces.len() > 1;
        let mut multiplied = false;
        for piece in pieces {
            let (count, size) = match piece.split_once(['x', 'X', '×', '*']) {
                Some((n, size))
                    if !n.trim().is_empty() && n.trim().bytes().all(|b| b.is_ascii_digit()) =>
                {
                    let n: u64 = n
                        .trim()
                        .parse()
                        .map_err(|_| format!("'{piece}': too many devices"))?;
                    multiplied = true;
                    (n, size.trim())
                }
                _ => (1, piece),
            };
            if count == 0 {
                return Err(format!("'{piece}': zero devices"));
            }
            let bytes = parse_bytes(size).map_err(|e| {
                if listed || multiplied {
                    format!("'{piece}': {e}")
                } else {
                    format!("{e}; several devices are written 2x80GB, 8×80GiB or 24GiB,24GiB")
                }
            })?;
            if sizes.len() as u64 + count > MAX_DEVICES {
                return Err(format!("more than {MAX_DEVICES} devices"));
            }
            sizes.extend(std::iter::repeat_n(bytes, count as usize));
        }
        Ok(Devices {
            text: trimmed.to_string(),
            sizes,
            several: true,
        })
    }

    /// Every device's memory, added up.
    pub fn total(&self) -> u64 {
        self.sizes.iter().fold(0u64, |a, &b| a.saturating_add(b))
    }

    /// The smallest device: with an even split, the one that decides.
    pub fn smallest(&self) -> u64 {
        self.sizes.iter().copied().min().unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn budgets_and_device_lists() {
        let one = Devices::parse("80GiB").unwrap();
        assert_eq!((one.sizes, one.several), (vec![80 << 30], false));
        assert_eq!(
            Devices::parse("2x80GB").unwrap().sizes,
            vec![80_000_000_000; 2]
        );
        let eight = Devices::parse("8×80GiB").unwrap();
        assert_eq!((eight.sizes.len(), eight.total()), (8, 640 << 30));
        assert_eq!(eight.text, "8×80GiB");
        let pair = Devices::parse("24GiB, 24GiB").unwrap();
        assert_eq!((pair.sizes, pair.several), (vec![24 << 30; 2], true));
        let mixed = Devices::parse("2x80GB,24GiB").unwrap();
        assert_eq!(mixed.smallest(), 24 << 30);
        assert_eq!(mixed.sizes.len(), 3);
        // Digit groups stay one size.
        assert_eq!(
            Devices::parse("16,060,522,496B").unwrap().sizes,
            vec![16_060_522_496]
        );
        assert_eq!(
            Devices::parse("1x80GB").unwrap().sizes,
            vec![80_000_000_000]
        );
    }

    #[test]
    fn mistakes_say_what_to_write() {
        assert!(Devices::parse("0x80GB")
            .unwrap_err()
            .contains("zero devices"));
        let e = Devices::parse("2x80G").unwrap_err();
        assert!(
            e.contains("'2x80G'") && e.contains("80GB") && e.contains("80GiB"),
            "{e}"
        );
        let e = Devices::parse("80Gb").unwrap_err();
        assert!(e.contains("2x80GB"), "{e}");
        assert!(Devices::parse("5000x1GB")
            .unwrap_err()
            .contains("more than 4096"));
        assert!(Devices::parse("99999999999999999999999x1GB").is_err());
        assert!(Devices::parse("24GiB,").is_err());
    }
}
