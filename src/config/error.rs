//! What goes wrong in a `pastry.toml`, said where it went wrong.

use std::fmt;
use std::ops::Range;

/// What kind of mistake a [`ConfigError`] reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConfigErrorKind {
    /// The file could not be read.
    Read,
    /// The file is not valid TOML.
    Syntax,
    /// A key no table of that kind takes.
    UnknownKey,
    /// An app or layer name the [`Registry`](super::Registry) does not
    /// know.
    UnknownName,
    /// A required key is missing.
    MissingKey,
    /// A value of the wrong type (a string where a number belongs).
    Type,
    /// A value of the right type that is not allowed (a gzip level of 12,
    /// an unparsable address, an environment variable that is not set).
    Invalid,
    /// A layer or app could not be built from valid settings (a users
    /// file that cannot be read, a store that refuses its URL).
    Build,
    /// A layer that needs a cargo feature of `pastry` this build lacks.
    Feature,
}

/// A mistake in a `pastry.toml`, with the file, line and column it is at
/// and the line itself, ready to print for an operator.
///
/// ```text
/// error: unknown key `levle` in layer `gzip`
///  --> pastry.toml:7:1
///   |
/// 7 | levle = 9
///   | ^^^^^
///   = help: did you mean `level`?
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigError(Box<Details>);

#[derive(Clone, Debug, PartialEq, Eq)]
struct Details {
    kind: ConfigErrorKind,
    message: String,
    file: String,
    position: Option<Position>,
    help: Option<String>,
}

/// Where in the file an error is.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Position {
    line: usize,
    column: usize,
    text: String,
    width: usize,
}

impl ConfigError {
    pub(crate) fn new(kind: ConfigErrorKind, file: &str, message: impl Into<String>) -> Self {
        ConfigError(Box::new(Details {
            kind,
            message: message.into(),
            file: file.to_owned(),
            position: None,
            help: None,
        }))
    }

    /// Points the error at `span` of `source`.
    pub(crate) fn at(mut self, source: &str, span: Range<usize>) -> Self {
        let start = span.start.min(source.len());
        let line_start = source[..start].rfind('\n').map_or(0, |i| i + 1);
        let line_end = source[start..]
            .find('\n')
            .map_or(source.len(), |i| start + i);
        let text = source[line_start..line_end].trim_end_matches('\r');
        let column = source[line_start..start].chars().count();
        let width = source[start..span.end.clamp(start, line_end)]
            .chars()
            .count()
            .max(1);
        self.0.position = Some(Position {
            line: source[..start].matches('\n').count() + 1,
            column: column + 1,
            text: text.to_owned(),
            width,
        });
        self
    }

    pub(crate) fn help(mut self, help: impl Into<String>) -> Self {
        self.0.help = Some(help.into());
        self
    }

    /// What kind of mistake this is.
    pub fn kind(&self) -> ConfigErrorKind {
        self.0.kind
    }

    /// The message alone, without the position (`unknown key `levle` in
    /// layer `gzip``).
    pub fn message(&self) -> &str {
        &self.0.message
    }

    /// The file the error is in, as it was named.
    pub fn file(&self) -> &str {
        &self.0.file
    }

    /// The line and column (both from 1), when the error has a place in
    /// the file.
    pub fn line_column(&self) -> Option<(usize, usize)> {
        self.0.position.as_ref().map(|p| (p.line, p.column))
    }

    /// The suggestion, if any (`did you mean `level`?`).
    pub fn help_text(&self) -> Option<&str> {
        self.0.help.as_deref()
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Details {
            message,
            file,
            position,
            help,
            ..
        } = &*self.0;
        writeln!(f, "error: {message}")?;
        match position {
            Some(p) => {
                let gutter = " ".repeat(p.line.to_string().len());
                writeln!(f, "{gutter}--> {file}:{}:{}", p.line, p.column)?;
                writeln!(f, "{gutter} |")?;
                writeln!(f, "{} | {}", p.line, p.text)?;
                write!(
                    f,
                    "{gutter} | {}{}",
                    " ".repeat(p.column - 1),
                    "^".repeat(p.width)
                )?;
                if let Some(help) = help {
                    write!(f, "\n{gutter} = help: {help}")?;
                }
            }
            None => {
                write!(f, " --> {file}")?;
                if let Some(help) = help {
                    write!(f, "\n  = help: {help}")?;
                }
            }
        }
        Ok(())
    }
}

impl std::error::Error for ConfigError {}

/// The closest of `candidates` to `word`, if one is close enough to be
/// what was meant (at most a third of its letters wrong).
pub(crate) fn closest<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|candidate| (edit_distance(word, candidate), candidate))
        .filter(|(distance, candidate)| *distance <= (word.len().max(candidate.len()) / 3).max(1))
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, candidate)| candidate)
}

/// Edit distance over characters (insertions, deletions, substitutions
/// and swaps of neighbours, so `levle` is one edit from `level`), with `_`
/// and `-` the same.
fn edit_distance(a: &str, b: &str) -> usize {
    let norm = |c: char| {
        if c == '-' {
            '_'
        } else {
            c.to_ascii_lowercase()
        }
    };
    let a: Vec<char> = a.chars().map(norm).collect();
    let b: Vec<char> = b.chars().map(norm).collect();
    // d[i][j]: the distance between a[..i] and b[..j].
    let mut d = vec![vec![0; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(d[i - 2][j - 2] + 1);
            }
            d[i][j] = best;
        }
    }
    d[a.len()][b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggestions_are_close_words_only() {
        assert_eq!(closest("levle", ["level", "min_size"]), Some("level"));
        assert_eq!(closest("min-size", ["level", "min_size"]), Some("min_size"));
        assert_eq!(closest("gzp", ["gzip", "catch"]), Some("gzip"));
        assert_eq!(closest("color", ["level", "min_size"]), None);
        assert_eq!(edit_distance("levle", "level"), 1);
        assert_eq!(edit_distance("gzp", "gzip"), 1);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
    }

    #[test]
    fn the_position_counts_lines_and_columns_from_one() {
        let source = "a = 1\n  levle = 9\n";
        let error = ConfigError::new(ConfigErrorKind::UnknownKey, "x.toml", "unknown key")
            .at(source, 8..13)
            .help("did you mean `level`?");
        assert_eq!(error.line_column(), Some((2, 3)));
        assert_eq!(
            error.to_string(),
            "error: unknown key\n --> x.toml:2:3\n  |\n2 |   levle = 9\n  |   ^^^^^\n  = help: did you mean `level`?"
        );
    }
}
