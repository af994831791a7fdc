//! The provider's discovery document and keys, fetched on first use and
//! kept: discovery again after `metadata_ttl`, the keys again (at most once
//! per `jwks_refresh_interval`) when a token names a key not in the set.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use openidconnect::core::{CoreJsonWebKeySet, CoreProviderMetadata};
use openidconnect::{DiscoveryError, IssuerUrl};
use pastry_core::Clock;

use crate::client::{CallError, ProviderClient};

/// Why the provider's metadata or keys could not be had.
#[derive(Debug, thiserror::Error)]
pub(crate) enum FetchError {
    #[error(transparent)]
    Call(#[from] CallError),
    #[error("the provider's answer was refused: {0}")]
    Invalid(String),
}

impl From<DiscoveryError<CallError>> for FetchError {
    fn from(err: DiscoveryError<CallError>) -> Self {
        match err {
            DiscoveryError::Request(call) => FetchError::Call(call),
            DiscoveryError::Response(status, _, message) => {
                FetchError::Invalid(format!("{status}: {message}"))
            }
            DiscoveryError::Parse(err) => FetchError::Invalid(err.to_string()),
            other => FetchError::Invalid(other.to_string()),
        }
    }
}

struct Cached {
    metadata: CoreProviderMetadata,
    fetched: Instant,
}

#[derive(Default)]
struct State {
    cached: Option<Cached>,
    last_key_refresh: Option<Instant>,
}

pub(crate) struct Provider {
    issuer: IssuerUrl,
    pub(crate) client: ProviderClient,
    clock: Arc<dyn Clock>,
    metadata_ttl: Duration,
    key_refresh_interval: Duration,
    state: Mutex<State>,
}

impl Provider {
    pub(crate) fn new(
        issuer: IssuerUrl,
        client: ProviderClient,
        clock: Arc<dyn Clock>,
        metadata_ttl: Duration,
        key_refresh_interval: Duration,
    ) -> Self {
        Self {
            issuer,
            client,
            clock,
            metadata_ttl,
            key_refresh_interval,
            state: Mutex::new(State::default()),
        }
    }

    /// The issuer URL as configured.
    pub(crate) fn issuer(&self) -> &str {
        self.issuer.as_str()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The discovery document with its keys: the cached one while it is
    /// fresh, else fetched now.
    pub(crate) async fn metadata(&self) -> Result<CoreProviderMetadata, FetchError> {
        let now = self.clock.instant();
        if let Some(cached) = &self.lock().cached
            && now.saturating_duration_since(cached.fetched) < self.metadata_ttl
        {
            return Ok(cached.metadata.clone());
        }
        let metadata =
            CoreProviderMetadata::discover_async(self.issuer.clone(), &self.client).await?;
        tracing::debug!(target: "pastry_oidc", issuer = %self.issuer.as_str(), keys = metadata.jwks().keys().len(), "fetched the provider's discovery document and keys");
        let mut state = self.lock();
        state.cached = Some(Cached {
            metadata: metadata.clone(),
            fetched: self.clock.instant(),
        });
        Ok(metadata)
    }

    /// Fetches the key set again after a token named a key not in it, at
    /// most once per refresh interval: `Ok(None)` when it is too soon.
    pub(crate) async fn refresh_keys(
        &self,
        metadata: &CoreProviderMetadata,
    ) -> Result<Option<CoreProviderMetadata>, FetchError> {
        let now = self.clock.instant();
        {
            let mut state = self.lock();
            if let Some(last) = state.last_key_refresh
                && now.saturating_duration_since(last) < self.key_refresh_interval
            {
                return Ok(None);
            }
            state.last_key_refresh = Some(now);
        }
        let keys: CoreJsonWebKeySet =
            CoreJsonWebKeySet::fetch_async(metadata.jwks_uri(), &self.client).await?;
        tracing::info!(target: "pastry_oidc", issuer = %self.issuer.as_str(), keys = keys.keys().len(), "fetched the provider's keys again: a token named an unknown key");
        let refreshed = metadata.clone().set_jwks(keys);
        let mut state = self.lock();
        state.cached = Some(Cached {
            metadata: refreshed.clone(),
            fetched: now,
        });
        Ok(Some(refreshed))
    }
}
