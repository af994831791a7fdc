//! One table of a `pastry.toml`, read key by key with the place of every
//! value kept for errors.

use std::cell::RefCell;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::time::Duration;

use toml::Spanned;
use toml::de::{DeTable, DeValue};

use super::error::{ConfigError, ConfigErrorKind, closest};

/// The file being read: its text, its name for errors, the directory
/// relative paths start from, and the environment.
pub(crate) struct Source<'s> {
    pub(crate) text: &'s str,
    pub(crate) file: String,
    pub(crate) dir: PathBuf,
    pub(crate) env: &'s (dyn Fn(&str) -> Option<String> + 's),
}

impl Source<'_> {
    pub(crate) fn error(
        &self,
        kind: ConfigErrorKind,
        span: Range<usize>,
        message: impl Into<String>,
    ) -> ConfigError {
        ConfigError::new(kind, &self.file, message).at(self.text, span)
    }
}

/// The settings of one table in a `pastry.toml`: `[server]`, a
/// `[[layer]]`, or a mount's `[mount.settings]`, which an app factory
/// reads.
///
/// Every getter takes the key's name and returns `Ok(None)` when the key
/// is absent, or an error that points at the value when it has the wrong
/// type. A key no getter asked for is refused once the factory returns,
/// with a "did you mean" suggestion, so a typo never passes silently.
///
/// A string may also be written as `{ env = "VAR" }` (the value of an
/// environment variable) or `{ file = "PATH" }` (the file's first line,
/// for secrets), and relative paths start from the config file's
/// directory.
///
/// ```
/// use pastry::config::{Registry, load_str};
/// use pastry::BoxApp;
///
/// let registry = Registry::new().app("hello", |ctx| {
///     let greeting = ctx.settings().string("greeting")?.unwrap_or("hello".into());
///     Ok(BoxApp::new(tower::service_fn(move |_req| {
///         let body = greeting.clone();
///         async move { Ok::<_, std::convert::Infallible>(http::Response::new(body)) }
///     })))
/// });
/// let toml = "[[mount]]\npath = \"/\"\napp = \"hello\"\nsettings = { greting = \"hi\" }\n";
/// let error = load_str(toml, "pastry.toml", &registry).unwrap_err();
/// assert_eq!(error.message(), "unknown key `greting` in the settings of app `hello`");
/// assert_eq!(error.help_text(), Some("did you mean `greeting`?"));
/// ```
pub struct Settings<'a> {
    source: &'a Source<'a>,
    table: Option<&'a DeTable<'a>>,
    span: Range<usize>,
    what: String,
    asked: RefCell<Vec<&'static str>>,
    shown: RefCell<Vec<(String, String)>>,
}

impl std::fmt::Debug for Settings<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Settings")
            .field("of", &self.what)
            .finish_non_exhaustive()
    }
}

/// What a string setting was written as, for the printed tree.
enum Origin {
    Literal,
    Env(String),
    File(String),
}

impl<'a> Settings<'a> {
    pub(crate) fn new(
        source: &'a Source<'a>,
        table: Option<&'a Spanned<DeValue<'a>>>,
        fallback_span: Range<usize>,
        what: impl Into<String>,
    ) -> Result<Self, ConfigError> {
        let what = what.into();
        let (table, span) = match table {
            None => (None, fallback_span),
            Some(value) => match value.get_ref() {
                DeValue::Table(table) => (Some(table), value.span()),
                other => {
                    return Err(source.error(
                        ConfigErrorKind::Type,
                        value.span(),
                        format!("{what} should be a table, found {}", type_name(other)),
                    ));
                }
            },
        };
        Ok(Settings {
            source,
            table,
            span,
            what,
            asked: RefCell::default(),
            shown: RefCell::default(),
        })
    }

    pub(crate) fn from_table(
        source: &'a Source<'a>,
        table: &'a DeTable<'a>,
        span: Range<usize>,
        what: impl Into<String>,
    ) -> Self {
        Settings {
            source,
            table: Some(table),
            span,
            what: what.into(),
            asked: RefCell::default(),
            shown: RefCell::default(),
        }
    }

    /// What these settings belong to, as errors name it (`layer `gzip``).
    pub fn what(&self) -> &str {
        &self.what
    }

    /// The directory relative paths start from: the config file's.
    pub fn dir(&self) -> &Path {
        &self.source.dir
    }

    fn lookup(&self, key: &'static str) -> Option<&'a Spanned<DeValue<'a>>> {
        self.asked.borrow_mut().push(key);
        let table = self.table?;
        table
            .iter()
            .find(|(name, _)| name.get_ref().as_ref() == key)
            .map(|(_, value)| value)
    }

    /// The raw value of `key`, which counts as asked for.
    pub(crate) fn value(&self, key: &'static str) -> Option<&'a Spanned<DeValue<'a>>> {
        self.lookup(key)
    }

    /// The same settings, named `what` in errors.
    pub(crate) fn renamed(mut self, what: String) -> Self {
        self.what = what;
        self
    }

    pub(crate) fn show(&self, key: &str, value: String) {
        self.shown.borrow_mut().push((key.to_owned(), value));
    }

    /// An error about `key`'s value, pointing at it (or at the table when
    /// the key is absent): for checks of an app's own.
    pub fn error(&self, key: &'static str, message: impl Into<String>) -> ConfigError {
        let span = self.lookup(key).map_or(self.span.clone(), |v| v.span());
        self.source.error(ConfigErrorKind::Invalid, span, message)
    }

    fn type_error(&self, key: &str, value: &Spanned<DeValue<'_>>, expected: &str) -> ConfigError {
        self.source.error(
            ConfigErrorKind::Type,
            value.span(),
            format!(
                "`{key}` in {} should be {expected}, found {}",
                self.what,
                type_name(value.get_ref())
            ),
        )
    }

    /// A string, or `{ env = "VAR" }`, or `{ file = "PATH" }`.
    pub fn string(&self, key: &'static str) -> Result<Option<String>, ConfigError> {
        Ok(self.string_with_origin(key)?.map(|(value, origin)| {
            let shown = match origin {
                Origin::Literal => format!("{value:?}"),
                Origin::Env(var) => format!("(from ${var})"),
                Origin::File(path) => format!("(from file {path})"),
            };
            self.show(key, shown);
            value
        }))
    }

    /// A string that is never printed in the tree `pastry check` shows
    /// (a URL with a password in it is shown with `redact`).
    pub(crate) fn string_redacted(
        &self,
        key: &'static str,
        redact: impl Fn(&str) -> String,
    ) -> Result<Option<String>, ConfigError> {
        Ok(self.string_with_origin(key)?.map(|(value, origin)| {
            let shown = match origin {
                Origin::Literal => format!("{:?}", redact(&value)),
                Origin::Env(var) => format!("(from ${var})"),
                Origin::File(path) => format!("(from file {path})"),
            };
            self.show(key, shown);
            value
        }))
    }

    fn string_with_origin(
        &self,
        key: &'static str,
    ) -> Result<Option<(String, Origin)>, ConfigError> {
        let Some(value) = self.lookup(key) else {
            return Ok(None);
        };
        match value.get_ref() {
            DeValue::String(text) => Ok(Some((text.to_string(), Origin::Literal))),
            DeValue::Table(table) => self.indirect(key, value, table).map(Some),
            _ => Err(self.type_error(key, value, "a string")),
        }
    }

    /// `{ env = "VAR" }` or `{ file = "PATH" }`.
    fn indirect(
        &self,
        key: &str,
        value: &Spanned<DeValue<'_>>,
        table: &DeTable<'_>,
    ) -> Result<(String, Origin), ConfigError> {
        let mut entries = table.iter();
        let (Some((name, inner)), None) = (entries.next(), entries.next()) else {
            return Err(self.type_error(
                key,
                value,
                "a string, { env = \"VAR\" } or { file = \"PATH\" }",
            ));
        };
        let Some(text) = inner.get_ref().as_str() else {
            return Err(self.type_error(key, inner, "a string"));
        };
        match name.get_ref().as_ref() {
            "env" => match (self.source.env)(text) {
                Some(found) => Ok((found, Origin::Env(text.to_owned()))),
                None => Err(self.source.error(
                    ConfigErrorKind::Invalid,
                    inner.span(),
                    format!(
                        "`{key}` in {} names the environment variable {text}, which is not set",
                        self.what
                    ),
                )),
            },
            "file" => {
                let path = self.source.dir.join(text);
                let contents = std::fs::read_to_string(&path).map_err(|error| {
                    self.source.error(
                        ConfigErrorKind::Invalid,
                        inner.span(),
                        format!(
                            "`{key}` in {}: cannot read {}: {error}",
                            self.what,
                            path.display()
                        ),
                    )
                })?;
                let first = contents.lines().next().unwrap_or("").trim().to_owned();
                Ok((first, Origin::File(text.to_owned())))
            }
            other => Err(self
                .source
                .error(
                    ConfigErrorKind::UnknownKey,
                    name.span(),
                    format!("unknown key `{other}` in `{key}` (it takes `env` or `file`)"),
                )
                .help_maybe(closest(other, ["env", "file"]))),
        }
    }

    /// A string, unless the environment variable `var` is set, which wins.
    pub(crate) fn string_or_env(
        &self,
        key: &'static str,
        var: &str,
    ) -> Result<Option<String>, ConfigError> {
        self.string_or_env_redacted(key, var, str::to_owned)
    }

    /// [`string_or_env`](Self::string_or_env) for a value that may hold a
    /// password, shown in the tree through `redact`.
    pub(crate) fn string_or_env_redacted(
        &self,
        key: &'static str,
        var: &str,
        redact: impl Fn(&str) -> String,
    ) -> Result<Option<String>, ConfigError> {
        match (self.source.env)(var) {
            Some(value) => {
                let _ = self.lookup(key);
                self.show(key, format!("(from ${var})"));
                Ok(Some(value))
            }
            None => self.string_redacted(key, redact),
        }
    }

    /// `true` or `false`.
    pub fn bool(&self, key: &'static str) -> Result<Option<bool>, ConfigError> {
        let Some(value) = self.lookup(key) else {
            return Ok(None);
        };
        match value.get_ref() {
            DeValue::Boolean(on) => {
                self.show(key, on.to_string());
                Ok(Some(*on))
            }
            _ => Err(self.type_error(key, value, "true or false")),
        }
    }

    /// `true` or `false`, unless the environment variable `var` is set
    /// (`1`, `true`, `yes`, `on` or `0`, `false`, `no`, `off`).
    pub(crate) fn bool_or_env(
        &self,
        key: &'static str,
        var: &str,
    ) -> Result<Option<bool>, ConfigError> {
        match (self.source.env)(var) {
            Some(value) => {
                let _ = self.lookup(key);
                let on = match value.to_ascii_lowercase().as_str() {
                    "1" | "true" | "yes" | "on" => true,
                    "0" | "false" | "no" | "off" | "" => false,
                    _ => {
                        return Err(ConfigError::new(
                            ConfigErrorKind::Invalid,
                            &self.source.file,
                            format!(
                                "${var} should be 1 or 0 (true/false, yes/no, on/off), not {value:?}"
                            ),
                        ));
                    }
                };
                self.show(key, format!("{on} (from ${var})"));
                Ok(Some(on))
            }
            None => self.bool(key),
        }
    }

    /// A whole number from 0 to `u64::MAX`.
    pub fn u64(&self, key: &'static str) -> Result<Option<u64>, ConfigError> {
        let Some(value) = self.lookup(key) else {
            return Ok(None);
        };
        let DeValue::Integer(number) = value.get_ref() else {
            return Err(self.type_error(key, value, "a whole number"));
        };
        match u64::from_str_radix(number.as_str(), number.radix()) {
            Ok(n) => {
                self.show(key, n.to_string());
                Ok(Some(n))
            }
            Err(_) => Err(self.source.error(
                ConfigErrorKind::Invalid,
                value.span(),
                format!(
                    "`{key}` in {} should be a whole number from 0 up",
                    self.what
                ),
            )),
        }
    }

    /// A whole number that fits in a `usize`.
    pub fn usize(&self, key: &'static str) -> Result<Option<usize>, ConfigError> {
        self.u64(key)?
            .map(|n| {
                usize::try_from(n).map_err(|_| self.error(key, format!("`{key}` is too large")))
            })
            .transpose()
    }

    /// A whole number that fits in a `u32`.
    pub fn u32(&self, key: &'static str) -> Result<Option<u32>, ConfigError> {
        self.u64(key)?
            .map(|n| u32::try_from(n).map_err(|_| self.error(key, format!("`{key}` is too large"))))
            .transpose()
    }

    /// A duration: `"250ms"`, `"10s"`, `"5m"`, `"2h"`, `"7d"`, or a whole
    /// number of seconds.
    pub fn duration(&self, key: &'static str) -> Result<Option<Duration>, ConfigError> {
        let Some(value) = self.lookup(key) else {
            return Ok(None);
        };
        let parsed = match value.get_ref() {
            DeValue::Integer(number) => u64::from_str_radix(number.as_str(), number.radix())
                .ok()
                .map(Duration::from_secs),
            DeValue::String(text) => parse_duration(text),
            _ => return Err(self.type_error(key, value, "a duration such as \"30s\"")),
        };
        match parsed {
            Some(duration) => {
                self.show(key, format_duration(duration));
                Ok(Some(duration))
            }
            None => Err(self.source.error(
                ConfigErrorKind::Invalid,
                value.span(),
                format!(
                    "`{key}` in {} should be a duration: a number and ms, s, m, h or d (\"30s\")",
                    self.what
                ),
            )),
        }
    }

    /// A list of strings; a single string counts as a list of one.
    pub fn strings(&self, key: &'static str) -> Result<Option<Vec<String>>, ConfigError> {
        let Some(value) = self.lookup(key) else {
            return Ok(None);
        };
        let list = match value.get_ref() {
            DeValue::String(text) => vec![text.to_string()],
            DeValue::Array(items) => items
                .iter()
                .map(|item| match item.get_ref() {
                    DeValue::String(text) => Ok(text.to_string()),
                    _ => Err(self.type_error(key, item, "a string")),
                })
                .collect::<Result<_, _>>()?,
            _ => return Err(self.type_error(key, value, "a list of strings")),
        };
        self.show(key, format!("{list:?}"));
        Ok(Some(list))
    }

    /// A list of strings, unless the environment variable `var` is set
    /// (items separated by commas or spaces), which wins.
    pub(crate) fn strings_or_env(
        &self,
        key: &'static str,
        var: &str,
    ) -> Result<Option<Vec<String>>, ConfigError> {
        match (self.source.env)(var) {
            Some(value) => {
                let _ = self.lookup(key);
                let list: Vec<String> = value
                    .split(|c: char| c == ',' || c.is_whitespace())
                    .filter(|item| !item.is_empty())
                    .map(str::to_owned)
                    .collect();
                self.show(key, format!("{list:?} (from ${var})"));
                Ok(Some(list))
            }
            None => self.strings(key),
        }
    }

    /// A path; a relative one starts from the config file's directory.
    pub fn path(&self, key: &'static str) -> Result<Option<PathBuf>, ConfigError> {
        Ok(self.string(key)?.map(|text| self.source.dir.join(text)))
    }

    /// Like the getter, but the key must be there.
    pub fn required<T>(
        &self,
        key: &'static str,
        get: impl FnOnce(&Self, &'static str) -> Result<Option<T>, ConfigError>,
    ) -> Result<T, ConfigError> {
        get(self, key)?.ok_or_else(|| {
            self.source.error(
                ConfigErrorKind::MissingKey,
                self.span.clone(),
                format!("{} needs `{key}`", self.what),
            )
        })
    }

    /// Refuses the keys no getter asked for.
    pub(crate) fn finish(&self) -> Result<(), ConfigError> {
        let Some(table) = self.table else {
            return Ok(());
        };
        let asked = self.asked.borrow();
        for (name, _) in table.iter() {
            let name_text = name.get_ref().as_ref();
            if !asked.contains(&name_text) {
                return Err(self
                    .source
                    .error(
                        ConfigErrorKind::UnknownKey,
                        name.span(),
                        format!("unknown key `{name_text}` in {}", self.what),
                    )
                    .help_maybe(closest(name_text, asked.iter().copied())));
            }
        }
        Ok(())
    }

    /// The settings read, as `key = value` for the printed tree.
    pub(crate) fn shown(&self) -> Vec<(String, String)> {
        self.shown.borrow().clone()
    }

    /// The span of the whole table (or of what holds it).
    pub(crate) fn span(&self) -> Range<usize> {
        self.span.clone()
    }

    pub(crate) fn source(&self) -> &'a Source<'a> {
        self.source
    }
}

impl ConfigError {
    pub(crate) fn help_maybe(self, suggestion: Option<&str>) -> Self {
        match suggestion {
            Some(word) => self.help(format!("did you mean `{word}`?")),
            None => self,
        }
    }
}

pub(crate) fn type_name(value: &DeValue<'_>) -> &'static str {
    match value {
        DeValue::String(_) => "a string",
        DeValue::Integer(_) => "a whole number",
        DeValue::Float(_) => "a decimal number",
        DeValue::Boolean(_) => "true or false",
        DeValue::Datetime(_) => "a date",
        DeValue::Array(_) => "a list",
        DeValue::Table(_) => "a table",
    }
}

fn parse_duration(text: &str) -> Option<Duration> {
    let text = text.trim();
    let split = text.find(|c: char| !c.is_ascii_digit())?;
    let (number, unit) = text.split_at(split);
    let number: u64 = number.parse().ok()?;
    let seconds = match unit.trim() {
        "ms" => return Some(Duration::from_millis(number)),
        "s" => 1,
        "m" | "min" => 60,
        "h" => 3_600,
        "d" => 86_400,
        _ => return None,
    };
    number.checked_mul(seconds).map(Duration::from_secs)
}

pub(crate) fn format_duration(duration: Duration) -> String {
    let secs = duration.as_secs();
    if duration.subsec_nanos() != 0 {
        return format!("{}ms", duration.as_millis());
    }
    match secs {
        0 => "0s".into(),
        s if s.is_multiple_of(86_400) => format!("{}d", s / 86_400),
        s if s.is_multiple_of(3_600) => format!("{}h", s / 3_600),
        s if s.is_multiple_of(60) => format!("{}m", s / 60),
        s => format!("{s}s"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_take_a_unit_or_whole_seconds() {
        assert_eq!(parse_duration("250ms"), Some(Duration::from_millis(250)));
        assert_eq!(parse_duration("10s"), Some(Duration::from_secs(10)));
        assert_eq!(parse_duration("5m"), Some(Duration::from_secs(300)));
        assert_eq!(parse_duration("2h"), Some(Duration::from_secs(7_200)));
        assert_eq!(parse_duration("7d"), Some(Duration::from_secs(604_800)));
        assert_eq!(parse_duration("10"), None);
        assert_eq!(parse_duration("s"), None);
        assert_eq!(parse_duration("10 parsecs"), None);
        assert_eq!(parse_duration("99999999999999999999d"), None);
        assert_eq!(format_duration(Duration::from_secs(86_400)), "1d");
        assert_eq!(format_duration(Duration::from_millis(1_500)), "1500ms");
    }
}
