use std::time::Duration;

use tower_layer::Layer;

use super::{Rule, Validate};

/// The time limit for the response and for the body, unless changed.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// Wraps a service in [`Validate`].
///
/// ```
/// use std::time::Duration;
/// use pastry_testkit::{Rule, ValidateLayer};
///
/// let layer = ValidateLayer::new()
///     .timeout(Duration::from_secs(2))
///     .skip(Rule::VaryAcceptEncoding);
/// assert!(!layer.checks(Rule::VaryAcceptEncoding));
/// assert!(layer.checks(Rule::NoBody));
/// ```
#[derive(Clone, Copy, Debug)]
pub struct ValidateLayer {
    pub(crate) timeout: Option<Duration>,
    skipped: u32,
}

impl Default for ValidateLayer {
    fn default() -> Self {
        Self::new()
    }
}

impl ValidateLayer {
    /// Every rule checked, with a time limit of [`DEFAULT_TIMEOUT`].
    pub fn new() -> Self {
        Self {
            timeout: Some(DEFAULT_TIMEOUT),
            skipped: 0,
        }
    }

    /// How long the response future, and then the body, may take. Needs a
    /// Tokio runtime with time enabled (as `#[tokio::test]` and the
    /// `TestClient` have); outside any runtime no limit applies.
    ///
    /// Under a paused Tokio clock the limit passes as soon as the runtime
    /// is idle; use [`no_timeout`](Self::no_timeout) there.
    pub fn timeout(mut self, limit: Duration) -> Self {
        self.timeout = Some(limit);
        self
    }

    /// No time limit.
    pub fn no_timeout(mut self) -> Self {
        self.timeout = None;
        self
    }

    /// Does not check `rule`.
    pub fn skip(mut self, rule: Rule) -> Self {
        self.skipped |= rule.bit();
        self
    }

    /// Whether `rule` is checked.
    pub fn checks(&self, rule: Rule) -> bool {
        self.skipped & rule.bit() == 0 && !self.timeout_off(rule)
    }

    fn timeout_off(&self, rule: Rule) -> bool {
        matches!(rule, Rule::ResponseTimeout | Rule::BodyTimeout) && self.timeout.is_none()
    }

    pub(crate) fn wrap<S>(&self, inner: S) -> Validate<S> {
        Validate::new(inner, *self)
    }
}

impl<S> Layer<S> for ValidateLayer {
    type Service = Validate<S>;

    fn layer(&self, inner: S) -> Validate<S> {
        self.wrap(inner)
    }
}
