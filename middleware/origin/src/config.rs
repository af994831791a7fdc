//! The settings of the layers and the policy that reads them.

use http::{HeaderMap, Method, Uri};
use pastry_core::{CrossOrigin, CrossOriginRules, parse_origin};

use crate::OriginError;

/// Paths a layer lets through without checking: exact paths and prefixes.
#[derive(Clone, Debug, Default)]
pub(crate) struct ExemptPaths {
    exact: Vec<String>,
    prefixes: Vec<String>,
}

impl ExemptPaths {
    pub(crate) fn path(&mut self, path: impl Into<String>) {
        self.exact.push(path.into());
    }

    pub(crate) fn prefix(&mut self, prefix: impl Into<String>) {
        self.prefixes.push(prefix.into());
    }

    /// Every path and prefix starts with `/`.
    pub(crate) fn validate(&self) -> Result<(), OriginError> {
        match self
            .exact
            .iter()
            .chain(&self.prefixes)
            .find(|p| !p.starts_with('/'))
        {
            Some(bad) => Err(OriginError::InvalidPath(bad.clone())),
            None => Ok(()),
        }
    }

    pub(crate) fn contains(&self, path: &str) -> bool {
        self.exact.iter().any(|p| p == path) || self.prefixes.iter().any(|p| path.starts_with(&**p))
    }
}

/// The settings of a `CrossOriginLayer`.
#[derive(Clone, Debug, Default)]
pub(crate) struct Config {
    pub(crate) trusted: Vec<String>,
    pub(crate) allow_same_site: bool,
    pub(crate) exempt: ExemptPaths,
}

/// The checked settings: the rules of `pastry-core` and the exemptions.
#[derive(Clone, Debug, Default)]
pub(crate) struct Policy {
    rules: CrossOriginRules,
    exempt: ExemptPaths,
}

impl Config {
    pub(crate) fn policy(self) -> Result<Policy, OriginError> {
        self.exempt.validate()?;
        let mut rules = CrossOriginRules::new().allow_same_site(self.allow_same_site);
        for origin in self.trusted {
            match parse_origin(&origin) {
                Some(origin) => rules = rules.trust(origin),
                None => return Err(OriginError::InvalidOrigin(origin)),
            }
        }
        Ok(Policy {
            rules,
            exempt: self.exempt,
        })
    }
}

impl Policy {
    /// `Ok` when the request may pass: an exempt path, or allowed by the
    /// rules.
    pub(crate) fn check(
        &self,
        method: &Method,
        uri: &Uri,
        headers: &HeaderMap,
    ) -> Result<(), CrossOrigin> {
        if self.exempt.contains(uri.path()) {
            return Ok(());
        }
        self.rules.check(method, uri, headers)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exempt_paths_match_exactly_or_by_prefix() {
        let mut exempt = ExemptPaths::default();
        exempt.path("/hook");
        exempt.prefix("/api/");
        assert!(exempt.contains("/hook"));
        assert!(!exempt.contains("/hook/x"));
        assert!(!exempt.contains("/hooks"));
        assert!(exempt.contains("/api/x"));
        assert!(!exempt.contains("/api"));
    }

    #[test]
    fn bad_settings_are_refused_when_built() {
        let config = Config {
            trusted: vec!["https://a.example/".into()],
            ..Config::default()
        };
        assert_eq!(
            config.policy().unwrap_err(),
            OriginError::InvalidOrigin("https://a.example/".into())
        );
        let mut config = Config::default();
        config.exempt.prefix("api/");
        assert_eq!(
            config.policy().unwrap_err(),
            OriginError::InvalidPath("api/".into())
        );
    }
}
