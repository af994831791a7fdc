//! Reading a rendered registry.

/// The value of the one rendered line that starts with `series ` (name and
/// labels exactly as rendered).
pub fn value(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find_map(|line| line.strip_prefix(series)?.strip_prefix(' '))
        .map(|v| v.parse().unwrap())
}
