//! [`Policy`]: how many requests a key may make, and how fast.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use crate::RateLimitError;

/// A rate and a burst: each key may make `count` requests per `period` on
/// average, and up to `burst` at once after it was quiet (default: `burst`
/// equals `count`). Enforced by GCRA, so a key that used its burst gets one
/// more request every `period / count`, not a whole new window at once.
///
/// ```
/// use std::time::Duration;
/// use pastry_ratelimit::Policy;
///
/// let api = Policy::per_second(10).burst(20);
/// assert_eq!(api.count(), 10);
/// assert_eq!(api.period(), Duration::from_secs(1));
/// assert_eq!(api.burst_size(), 20);
/// assert_eq!(Policy::per_minute(60).burst_size(), 60);
/// assert_eq!("5/s,burst=10".parse::<Policy>().unwrap(), Policy::per_second(5).burst(10));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Policy {
    count: u32,
    period: Duration,
    burst: Option<u32>,
}

impl Policy {
    /// `count` requests per `period`. Checked when the layer is built: a
    /// zero count or period, or a rate finer than one request per
    /// nanosecond, is a [`RateLimitError`].
    ///
    /// ```
    /// use std::time::Duration;
    /// use pastry_ratelimit::Policy;
    ///
    /// let p = Policy::new(3, Duration::from_secs(10));
    /// assert_eq!(p.count(), 3);
    /// ```
    pub fn new(count: u32, period: Duration) -> Self {
        Self {
            count,
            period,
            burst: None,
        }
    }

    /// `count` requests per second.
    ///
    /// ```
    /// use pastry_ratelimit::Policy;
    ///
    /// assert_eq!(Policy::per_second(10).count(), 10);
    /// ```
    pub fn per_second(count: u32) -> Self {
        Self::new(count, Duration::from_secs(1))
    }

    /// `count` requests per minute.
    ///
    /// ```
    /// use std::time::Duration;
    /// use pastry_ratelimit::Policy;
    ///
    /// assert_eq!(Policy::per_minute(30).period(), Duration::from_secs(60));
    /// ```
    pub fn per_minute(count: u32) -> Self {
        Self::new(count, Duration::from_secs(60))
    }

    /// `count` requests per hour.
    ///
    /// ```
    /// use std::time::Duration;
    /// use pastry_ratelimit::Policy;
    ///
    /// assert_eq!(Policy::per_hour(1000).period(), Duration::from_secs(3600));
    /// ```
    pub fn per_hour(count: u32) -> Self {
        Self::new(count, Duration::from_secs(3600))
    }

    /// How many requests a quiet key may make at once (default: the
    /// count). Zero is a [`RateLimitError`] when the layer is built.
    ///
    /// ```
    /// use pastry_ratelimit::Policy;
    ///
    /// assert_eq!(Policy::per_second(1).burst(5).burst_size(), 5);
    /// ```
    pub fn burst(mut self, burst: u32) -> Self {
        self.burst = Some(burst);
        self
    }

    /// The number of requests per [`period`](Self::period).
    pub fn count(&self) -> u32 {
        self.count
    }

    /// The period the [`count`](Self::count) is for.
    pub fn period(&self) -> Duration {
        self.period
    }

    /// The burst: the set one, else the count.
    pub fn burst_size(&self) -> u32 {
        self.burst.unwrap_or(self.count)
    }

    /// The time one request costs (`period / count`), and the tolerance
    /// (`(burst - 1)` of those), in nanoseconds; checks the rule.
    pub(crate) fn gcra_nanos(&self) -> Result<(u64, u64), RateLimitError> {
        if self.count == 0 || self.period.is_zero() {
            return Err(RateLimitError::ZeroRate);
        }
        let burst = self.burst_size();
        if burst == 0 {
            return Err(RateLimitError::ZeroBurst);
        }
        let period =
            u64::try_from(self.period.as_nanos()).map_err(|_| RateLimitError::RateOutOfRange)?;
        let emission = period / u64::from(self.count);
        if emission == 0 {
            return Err(RateLimitError::RateOutOfRange);
        }
        let tolerance = emission
            .checked_mul(u64::from(burst - 1))
            .ok_or(RateLimitError::RateOutOfRange)?;
        Ok((emission, tolerance))
    }
}

impl fmt::Display for Policy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let unit = match self.period.as_secs() {
            1 if self.period.subsec_nanos() == 0 => "s".to_owned(),
            60 if self.period.subsec_nanos() == 0 => "min".to_owned(),
            3600 if self.period.subsec_nanos() == 0 => "h".to_owned(),
            _ => format!("{}ms", self.period.as_millis()),
        };
        write!(f, "{}/{unit},burst={}", self.count, self.burst_size())
    }
}

/// Parses `COUNT/UNIT[,burst=N]`, with the unit `s`, `min` or `h` (also
/// `sec`, `second`, `m`, `minute`, `hour`), as command lines and config
/// files write a policy: `10/s`, `100/min,burst=20`.
impl FromStr for Policy {
    type Err = RateLimitError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let bad = || RateLimitError::InvalidPolicy(text.to_owned());
        let (rate, burst) = match text.split_once(',') {
            Some((rate, burst)) => (rate, Some(burst)),
            None => (text, None),
        };
        let (count, unit) = rate.trim().split_once('/').ok_or_else(bad)?;
        let count: u32 = count.trim().parse().map_err(|_| bad())?;
        let period = match unit.trim() {
            "s" | "sec" | "second" => Duration::from_secs(1),
            "m" | "min" | "minute" => Duration::from_secs(60),
            "h" | "hour" => Duration::from_secs(3600),
            _ => return Err(bad()),
        };
        let mut policy = Policy::new(count, period);
        if let Some(burst) = burst {
            let value = burst.trim().strip_prefix("burst=").ok_or_else(bad)?;
            policy = policy.burst(value.trim().parse().map_err(|_| bad())?);
        }
        Ok(policy)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policies_parse_and_print() {
        let p: Policy = "100/min,burst=20".parse().unwrap();
        assert_eq!(p, Policy::per_minute(100).burst(20));
        assert_eq!(p.to_string(), "100/min,burst=20");
        assert_eq!("7/h".parse::<Policy>().unwrap(), Policy::per_hour(7));
        for bad in [
            "",
            "10",
            "10/y",
            "x/s",
            "10/s,burst",
            "10/s,b=2",
            "-1/s",
            "10/s,burst=x",
        ] {
            assert!(bad.parse::<Policy>().is_err(), "{bad}");
        }
    }

    #[test]
    fn rates_are_checked() {
        assert_eq!(
            Policy::per_second(0).gcra_nanos(),
            Err(RateLimitError::ZeroRate)
        );
        assert_eq!(
            Policy::new(1, Duration::ZERO).gcra_nanos(),
            Err(RateLimitError::ZeroRate)
        );
        assert_eq!(
            Policy::per_second(1).burst(0).gcra_nanos(),
            Err(RateLimitError::ZeroBurst)
        );
        assert_eq!(
            Policy::new(u32::MAX, Duration::from_nanos(10)).gcra_nanos(),
            Err(RateLimitError::RateOutOfRange)
        );
        assert_eq!(
            Policy::per_second(10).burst(20).gcra_nanos(),
            Ok((100_000_000, 1_900_000_000))
        );
    }
}
