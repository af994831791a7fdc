use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// When a session ends.
///
/// Set per session with [`Session::set_expiry`](crate::Session::set_expiry)
/// or as the default with [`SessionLayer::expiry`](crate::SessionLayer::expiry);
/// the choice is stored with the session, so it holds on later requests. The
/// layer's [`absolute_lifetime`](crate::SessionLayer::absolute_lifetime) caps
/// all three.
///
/// ```
/// use std::time::Duration;
/// use pastry_sessions::Expiry;
///
/// let idle = Expiry::Idle(Duration::from_secs(30 * 60));
/// assert_ne!(idle, Expiry::BrowserSession);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Expiry {
    /// Ends after this long without a request that uses the session; the
    /// cookie carries a matching `Max-Age`.
    Idle(Duration),
    /// Ends at this moment, however active the session is.
    At(SystemTime),
    /// The cookie has no `Max-Age`, so the browser drops it when it closes;
    /// the stored record still expires after the layer's idle timeout.
    BrowserSession,
}

impl Expiry {
    /// The compact text form stores keep: `idle:<ms>`, `at:<unix ms>`, `browser`.
    pub(crate) fn encode(&self) -> String {
        match self {
            Expiry::Idle(d) => format!("idle:{}", d.as_millis()),
            Expiry::At(t) => format!("at:{}", to_millis(*t)),
            Expiry::BrowserSession => "browser".to_owned(),
        }
    }

    pub(crate) fn decode(text: &str) -> Option<Self> {
        if text == "browser" {
            return Some(Expiry::BrowserSession);
        }
        let (kind, value) = text.split_once(':')?;
        let ms: i64 = value.parse().ok()?;
        match kind {
            "idle" => Some(Expiry::Idle(Duration::from_millis(u64::try_from(ms).ok()?))),
            "at" => Some(Expiry::At(from_millis(ms))),
            _ => None,
        }
    }
}

/// Milliseconds since the Unix epoch (negative before it), saturating.
pub(crate) fn to_millis(t: SystemTime) -> i64 {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_millis()).unwrap_or(i64::MAX),
        Err(e) => i64::try_from(e.duration().as_millis()).map_or(i64::MIN, |ms| -ms),
    }
}

/// The inverse of [`to_millis`].
pub(crate) fn from_millis(ms: i64) -> SystemTime {
    if ms >= 0 {
        UNIX_EPOCH + Duration::from_millis(ms.unsigned_abs())
    } else {
        UNIX_EPOCH - Duration::from_millis(ms.unsigned_abs())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expiry_text_round_trips() {
        for e in [
            Expiry::Idle(Duration::from_secs(90)),
            Expiry::At(UNIX_EPOCH + Duration::from_millis(1_700_000_000_123)),
            Expiry::BrowserSession,
        ] {
            assert_eq!(Expiry::decode(&e.encode()), Some(e));
        }
        assert_eq!(Expiry::decode("idle:-5"), None);
        assert_eq!(Expiry::decode("soon"), None);
    }

    #[test]
    fn millis_round_trip_on_both_sides_of_the_epoch() {
        for ms in [0, 1, -1, 1_700_000_000_000, -86_400_000] {
            assert_eq!(to_millis(from_millis(ms)), ms);
        }
    }
}
