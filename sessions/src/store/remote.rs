//! What the server-backed stores (Redis, PostgreSQL) share: URL options,
//! redaction of secrets, and turning connection failures into errors.

#[cfg(any(feature = "redis", feature = "postgres"))]
use std::time::Duration;

use crate::SessionError;

/// How long a store operation may take, server down or not, by default.
#[cfg(any(feature = "redis", feature = "postgres"))]
pub(crate) const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);

/// `url` with the password (in the user info or a `password=` query
/// option) replaced by `***`, fit for logs and error messages.
pub(crate) fn redact(url: &str) -> String {
    let (head, query) = match url.split_once('?') {
        Some((head, query)) => (head, Some(query)),
        None => (url, None),
    };
    let mut out = String::with_capacity(url.len());
    match head.split_once("://") {
        Some((scheme, rest)) => {
            let end = rest.find(['/', '#']).unwrap_or(rest.len());
            let (authority, path) = rest.split_at(end);
            out.push_str(scheme);
            out.push_str("://");
            match authority.rsplit_once('@') {
                Some((userinfo, host)) => {
                    match userinfo.split_once(':') {
                        Some((user, _password)) => {
                            out.push_str(user);
                            out.push_str(":***");
                        }
                        None => out.push_str(userinfo),
                    }
                    out.push('@');
                    out.push_str(host);
                }
                None => out.push_str(authority),
            }
            out.push_str(path);
        }
        None => out.push_str(head),
    }
    if let Some(query) = query {
        out.push('?');
        let pairs: Vec<String> = query
            .split('&')
            .map(|pair| match pair.split_once('=') {
                Some((k, _)) if k.eq_ignore_ascii_case("password") => format!("{k}=***"),
                _ => pair.to_owned(),
            })
            .collect();
        out.push_str(&pairs.join("&"));
    }
    out
}

/// Reads `5s`, `1500ms` or `2m` (more than zero).
#[cfg(any(feature = "redis", feature = "postgres"))]
pub(crate) fn parse_duration(text: &str) -> Option<Duration> {
    let (number, unit) = if let Some(n) = text.strip_suffix("ms") {
        (n, 1)
    } else if let Some(n) = text.strip_suffix('s') {
        (n, 1_000)
    } else if let Some(n) = text.strip_suffix('m') {
        (n, 60_000)
    } else {
        return None;
    };
    let millis = number.parse::<u64>().ok()?.checked_mul(unit)?;
    (millis > 0).then(|| Duration::from_millis(millis))
}

/// `name=value` query options.
#[cfg(any(feature = "redis", feature = "postgres"))]
pub(crate) type Options<'a> = Vec<(&'a str, &'a str)>;

/// Splits `url`'s query into the options this crate reads (`ours`) and the
/// URL the client library gets, with every other option left in place.
#[cfg(any(feature = "redis", feature = "postgres"))]
pub(crate) fn take_options<'a>(
    url: &'a str,
    ours: &[&str],
) -> Result<(String, Options<'a>), String> {
    // A fragment (`#insecure`) follows the query and stays as it is.
    let (url, fragment) = match url.find('#') {
        Some(at) => url.split_at(at),
        None => (url, ""),
    };
    let Some((head, query)) = url.split_once('?') else {
        return Ok((format!("{url}{fragment}"), Vec::new()));
    };
    let mut taken = Vec::new();
    let mut kept = Vec::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        match pair.split_once('=') {
            Some((k, v)) if ours.contains(&k) => taken.push((k, v)),
            Some(_) => kept.push(pair),
            None if ours.contains(&pair) => return Err(format!("option `{pair}` needs a value")),
            None => kept.push(pair),
        }
    }
    let rest = if kept.is_empty() {
        format!("{head}{fragment}")
    } else {
        format!("{head}?{}{fragment}", kept.join("&"))
    };
    Ok((rest, taken))
}

/// A store that cannot reach its server (refused, dropped, timed out).
///
/// Until `SessionError` has a variant of its own for this case, it travels
/// as [`SessionError::Io`] whose inner error is this type, of kind
/// [`std::io::ErrorKind::NotConnected`] (or `TimedOut`).
#[cfg(any(feature = "redis", feature = "postgres"))]
#[derive(Debug, thiserror::Error)]
#[error("{store} session store unavailable: {reason}")]
pub(crate) struct Unavailable {
    pub(crate) store: &'static str,
    pub(crate) reason: String,
}

/// The error a store returns when its server cannot be reached; logged
/// here once with the store's name, since the layer logs only the summary.
#[cfg(any(feature = "redis", feature = "postgres"))]
pub(crate) fn unavailable(store: &'static str, reason: String, timed_out: bool) -> SessionError {
    tracing::warn!(target: "pastry_sessions", store, reason = %reason, "session store unavailable");
    let kind = if timed_out {
        std::io::ErrorKind::TimedOut
    } else {
        std::io::ErrorKind::NotConnected
    };
    SessionError::Unavailable(Box::new(std::io::Error::new(
        kind,
        Unavailable { store, reason },
    )))
}

/// A server-side failure that is not about reaching the server (a script
/// or SQL error): logged, then reported as an I/O error of the store.
#[cfg(any(feature = "redis", feature = "postgres"))]
pub(crate) fn failed(store: &'static str, reason: String) -> SessionError {
    tracing::error!(target: "pastry_sessions", store, reason = %reason, "session store failed");
    SessionError::Io(std::io::Error::other(format!(
        "{store} session store failed: {reason}"
    )))
}

/// Runs `op` within `limit`; past it, the store is reported unavailable.
#[cfg(any(feature = "redis", feature = "postgres"))]
pub(crate) async fn within<T>(
    store: &'static str,
    limit: Duration,
    op: impl Future<Output = Result<T, SessionError>>,
) -> Result<T, SessionError> {
    match tokio::time::timeout(limit, op).await {
        Ok(result) => result,
        Err(_) => Err(unavailable(
            store,
            format!("no answer within {limit:?}"),
            true,
        )),
    }
}

/// The `SessionError` for a bad store URL, with its secrets redacted.
pub(crate) fn bad_url(url: &str, reason: impl Into<String>) -> SessionError {
    SessionError::Url {
        url: redact(url),
        reason: reason.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redact_hides_passwords_only() {
        assert_eq!(
            redact("redis://:hunter2@cache:6379/0"),
            "redis://:***@cache:6379/0"
        );
        assert_eq!(
            redact("postgres://app:s3cr%40t@db/app?table=s&password=x&sslmode=disable"),
            "postgres://app:***@db/app?table=s&password=***&sslmode=disable"
        );
        assert_eq!(redact("rediss://user@h/"), "rediss://user@h/");
        assert_eq!(redact("sqlite:/var/s.db"), "sqlite:/var/s.db");
        assert_eq!(redact("postgres://a:b@c@host/x"), "postgres://a:***@host/x");
    }

    #[cfg(any(feature = "redis", feature = "postgres"))]
    #[test]
    fn durations_and_options() {
        assert_eq!(parse_duration("5s"), Some(Duration::from_secs(5)));
        assert_eq!(parse_duration("250ms"), Some(Duration::from_millis(250)));
        assert_eq!(parse_duration("2m"), Some(Duration::from_secs(120)));
        for bad in ["", "5", "0s", "-1s", "1h", "ms"] {
            assert_eq!(parse_duration(bad), None, "{bad}");
        }
        let (rest, taken) = take_options(
            "redis://h/1?prefix=a:&protocol=resp3&timeout=1s",
            &["prefix", "timeout"],
        )
        .unwrap();
        assert_eq!(rest, "redis://h/1?protocol=resp3");
        assert_eq!(taken, [("prefix", "a:"), ("timeout", "1s")]);
        assert!(take_options("redis://h?prefix", &["prefix"]).is_err());
        let (rest, taken) = take_options("rediss://h/?prefix=p:#insecure", &["prefix"]).unwrap();
        assert_eq!(
            (rest.as_str(), taken),
            ("rediss://h/#insecure", vec![("prefix", "p:")])
        );
    }
}
