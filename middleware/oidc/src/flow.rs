//! The two requests the layer answers: starting a login (a redirect to the
//! provider) and the callback (code exchange, token checks, session login).

use std::sync::Arc;
use std::time::{Duration, UNIX_EPOCH};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use bytes::Bytes;
use http::{HeaderValue, Response, StatusCode, header};
use openidconnect::core::{
    CoreAuthenticationFlow, CoreClient, CoreErrorResponseType, CoreProviderMetadata,
};
use openidconnect::{
    AuthorizationCode, ClaimsVerificationError, ClientId, ClientSecret, CsrfToken, Nonce,
    PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, RequestTokenError, Scope,
    SignatureVerificationError, TokenResponse,
};
use pastry_core::{Clock, text_response};
use pastry_sessions::Session;
use serde::{Deserialize, Serialize};
use subtle::ConstantTimeEq;

use crate::OidcClaims;
use crate::config::MapUser;
use crate::provider::{FetchError, Provider};

/// The session key holding the logins this browser started and has not
/// finished.
pub(crate) const PENDING_KEY: &str = "pastry_oidc.pending";

pub(crate) struct Shared {
    pub(crate) provider: Provider,
    pub(crate) client_id: String,
    pub(crate) client_secret: Option<String>,
    pub(crate) redirect_url: RedirectUrl,
    pub(crate) map_user: MapUser,
    pub(crate) login_path: String,
    pub(crate) callback_path: String,
    pub(crate) scopes: Vec<String>,
    pub(crate) default_next: String,
    pub(crate) max_pending: usize,
    pub(crate) pending_ttl: Duration,
    pub(crate) clock_skew: Duration,
    pub(crate) clock: Arc<dyn Clock>,
}

/// A login started in this session: what the callback must match.
#[derive(Clone, Serialize, Deserialize)]
struct Pending {
    state: String,
    nonce: String,
    verifier: String,
    next: String,
    started: u64,
}

const UNAVAILABLE: &str =
    "503 Service Unavailable: the login provider cannot be reached. Try again later.\n";
const UNKNOWN_STATE: &str =
    "400 Bad Request: this login is unknown, already used or expired. Start the login again.\n";
const PROVIDER_REFUSED: &str =
    "400 Bad Request: the login provider did not complete the login. Start the login again.\n";
const TOKEN_REFUSED: &str = "403 Forbidden: the login provider's answer could not be verified.\n";
const USER_REFUSED: &str = "403 Forbidden: this account may not sign in here.\n";
const SESSION_FAILED: &str = "500 Internal Server Error: the session could not be saved.\n";

fn unix_secs(clock: &dyn Clock) -> u64 {
    clock
        .now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

fn client_for(shared: &Shared, metadata: CoreProviderMetadata) -> OidcClient {
    CoreClient::from_provider_metadata(
        metadata,
        ClientId::new(shared.client_id.clone()),
        shared.client_secret.clone().map(ClientSecret::new),
    )
    .set_redirect_uri(shared.redirect_url.clone())
}

type OidcClient = openidconnect::Client<
    openidconnect::EmptyAdditionalClaims,
    openidconnect::core::CoreAuthDisplay,
    openidconnect::core::CoreGenderClaim,
    openidconnect::core::CoreJweContentEncryptionAlgorithm,
    openidconnect::core::CoreJsonWebKey,
    openidconnect::core::CoreAuthPrompt,
    openidconnect::StandardErrorResponse<openidconnect::core::CoreErrorResponseType>,
    openidconnect::core::CoreTokenResponse,
    openidconnect::core::CoreTokenIntrospectionResponse,
    openidconnect::core::CoreRevocableToken,
    openidconnect::core::CoreRevocationErrorResponse,
    openidconnect::EndpointSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointMaybeSet,
    openidconnect::EndpointMaybeSet,
>;

fn redirect(location: &str) -> Response<Bytes> {
    let mut res = Response::new(Bytes::new());
    *res.status_mut() = StatusCode::SEE_OTHER;
    if let Ok(value) = HeaderValue::from_str(location) {
        res.headers_mut().insert(header::LOCATION, value);
    }
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

fn refused(status: StatusCode, text: &'static str) -> Response<Bytes> {
    let mut res = text_response::<Bytes>(status, text);
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

fn query_param(query: Option<&str>, name: &str) -> Option<String> {
    form_urlencoded::parse(query.unwrap_or("").as_bytes())
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.into_owned())
}

async fn load_pending(session: &Session) -> Result<Vec<Pending>, Response<Bytes>> {
    match session.get::<Vec<Pending>>(PENDING_KEY).await {
        Ok(pending) => Ok(pending.unwrap_or_default()),
        Err(err) => {
            tracing::warn!(target: "pastry_oidc", error = %err, "the session's pending logins could not be read: starting afresh");
            Ok(Vec::new())
        }
    }
}

async fn save_pending(session: &Session, pending: &[Pending]) -> Result<(), Response<Bytes>> {
    let saved = if pending.is_empty() {
        session.remove(PENDING_KEY).await
    } else {
        session.insert(PENDING_KEY, pending).await
    };
    saved.map_err(|err| {
        tracing::error!(target: "pastry_oidc", error = %err, "saving the pending logins in the session failed");
        refused(StatusCode::INTERNAL_SERVER_ERROR, SESSION_FAILED)
    })
}

/// `GET {login_path}?next=/where`: remembers a new login in the session
/// and sends the browser to the provider.
pub(crate) async fn start_login(
    shared: Arc<Shared>,
    session: Session,
    query: Option<String>,
) -> Response<Bytes> {
    match try_start_login(&shared, &session, query.as_deref()).await {
        Ok(res) | Err(res) => res,
    }
}

async fn try_start_login(
    shared: &Shared,
    session: &Session,
    query: Option<&str>,
) -> Result<Response<Bytes>, Response<Bytes>> {
    let metadata = shared.provider.metadata().await.map_err(|err| {
        log_unavailable("discovery", &err);
        refused(StatusCode::SERVICE_UNAVAILABLE, UNAVAILABLE)
    })?;
    let next = query_param(query, "next")
        .filter(|next| pastry_auth::safe_next(next).is_some())
        .unwrap_or_else(|| shared.default_next.clone());
    let client = client_for(shared, metadata);
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let mut request = client.authorize_url(
        CoreAuthenticationFlow::AuthorizationCode,
        CsrfToken::new_random,
        Nonce::new_random,
    );
    for scope in &shared.scopes {
        request = request.add_scope(Scope::new(scope.clone()));
    }
    let (url, state, nonce) = request.set_pkce_challenge(challenge).url();

    let now = unix_secs(&*shared.clock);
    let ttl = shared.pending_ttl.as_secs();
    let mut pending = load_pending(session).await?;
    pending.retain(|p| now.saturating_sub(p.started) <= ttl);
    pending.push(Pending {
        state: state.secret().clone(),
        nonce: nonce.secret().clone(),
        verifier: verifier.secret().clone(),
        next,
        started: now,
    });
    if pending.len() > shared.max_pending {
        let dropped = pending.len() - shared.max_pending;
        pending.drain(..dropped);
        tracing::info!(target: "pastry_oidc", dropped, max_pending = shared.max_pending, "too many unfinished logins in one session: the oldest were forgotten");
    }
    save_pending(session, &pending).await?;
    Ok(redirect(url.as_str()))
}

/// `GET {callback_path}?code=…&state=…`: matches the state to a login of
/// this session, exchanges the code, checks the ID token and logs in.
pub(crate) async fn callback(
    shared: Arc<Shared>,
    session: Session,
    query: Option<String>,
) -> Response<Bytes> {
    match try_callback(&shared, &session, query.as_deref()).await {
        Ok(res) | Err(res) => res,
    }
}

fn reject(status: StatusCode, text: &'static str, reason: &str) -> Response<Bytes> {
    tracing::warn!(target: "pastry_oidc", status = status.as_u16(), reason, "login refused");
    refused(status, text)
}

fn log_unavailable(call: &'static str, err: &FetchError) {
    tracing::warn!(target: "pastry_oidc", call, error = %err, "the login provider is unavailable");
}

async fn try_callback(
    shared: &Shared,
    session: &Session,
    query: Option<&str>,
) -> Result<Response<Bytes>, Response<Bytes>> {
    let state = query_param(query, "state").unwrap_or_default();
    let mut pending = load_pending(session).await?;
    let found = pending
        .iter()
        .position(|p| bool::from(p.state.as_bytes().ct_eq(state.as_bytes())) && !state.is_empty());
    let Some(index) = found else {
        return Err(reject(
            StatusCode::BAD_REQUEST,
            UNKNOWN_STATE,
            "the state matches no login started in this session (forged, replayed or from another browser)",
        ));
    };
    let login = pending.remove(index);
    save_pending(session, &pending).await?;
    let now = unix_secs(&*shared.clock);
    if now.saturating_sub(login.started) > shared.pending_ttl.as_secs() {
        return Err(reject(
            StatusCode::BAD_REQUEST,
            UNKNOWN_STATE,
            "the login was started longer ago than pending_ttl",
        ));
    }
    // RFC 9207: a provider that names itself must be the one asked.
    if query_param(query, "iss").is_some_and(|iss| iss != shared.provider.issuer()) {
        return Err(reject(
            StatusCode::BAD_REQUEST,
            PROVIDER_REFUSED,
            "the callback's iss names another provider",
        ));
    }
    if let Some(error) = query_param(query, "error") {
        let error: String = error.chars().take(64).collect();
        tracing::warn!(target: "pastry_oidc", status = 400, provider_error = %error, "login refused: the provider answered with an error");
        return Err(refused(StatusCode::BAD_REQUEST, PROVIDER_REFUSED));
    }
    let Some(code) = query_param(query, "code").filter(|c| !c.is_empty()) else {
        return Err(reject(
            StatusCode::BAD_REQUEST,
            PROVIDER_REFUSED,
            "the callback carries no code",
        ));
    };

    let metadata = shared.provider.metadata().await.map_err(|err| {
        log_unavailable("discovery", &err);
        refused(StatusCode::SERVICE_UNAVAILABLE, UNAVAILABLE)
    })?;
    let client = client_for(shared, metadata.clone());
    let exchange = client
        .exchange_code(AuthorizationCode::new(code))
        .map_err(|_| {
            reject(
                StatusCode::SERVICE_UNAVAILABLE,
                UNAVAILABLE,
                "the provider's discovery document names no token endpoint",
            )
        })?
        .set_pkce_verifier(PkceCodeVerifier::new(login.verifier.clone()));
    let token = match exchange.request_async(&shared.provider.client).await {
        Ok(token) => token,
        Err(RequestTokenError::ServerResponse(answer)) => {
            let status = match answer.error() {
                CoreErrorResponseType::InvalidGrant => "invalid_grant",
                CoreErrorResponseType::InvalidClient => "invalid_client",
                CoreErrorResponseType::UnauthorizedClient => "unauthorized_client",
                _ => "error",
            };
            tracing::warn!(target: "pastry_oidc", status = 400, provider_error = status, "login refused: the provider refused the code (replayed, expired or not ours)");
            return Err(refused(StatusCode::BAD_REQUEST, PROVIDER_REFUSED));
        }
        Err(RequestTokenError::Request(err)) => {
            tracing::warn!(target: "pastry_oidc", call = "token", error = %err, "the login provider is unavailable");
            return Err(refused(StatusCode::SERVICE_UNAVAILABLE, UNAVAILABLE));
        }
        Err(err) => {
            tracing::warn!(target: "pastry_oidc", call = "token", error = %err, "the login provider's token answer could not be read");
            return Err(refused(StatusCode::SERVICE_UNAVAILABLE, UNAVAILABLE));
        }
    };
    let Some(id_token) = token.id_token() else {
        return Err(reject(
            StatusCode::FORBIDDEN,
            TOKEN_REFUSED,
            "the token answer carries no ID token",
        ));
    };
    let nonce = Nonce::new(login.nonce.clone());
    let verified = match verify(shared, &client, id_token, &nonce) {
        Err(ClaimsVerificationError::SignatureVerification(
            SignatureVerificationError::NoMatchingKey,
        )) => match shared.provider.refresh_keys(&metadata).await {
            Ok(Some(refreshed)) => {
                let client = client_for(shared, refreshed);
                verify(shared, &client, id_token, &nonce)
            }
            Ok(None) => Err(ClaimsVerificationError::Other(
                "the token names an unknown key and the keys were fetched less than key_refresh_interval ago".to_owned(),
            )),
            Err(err) => {
                log_unavailable("keys", &err);
                return Err(refused(StatusCode::SERVICE_UNAVAILABLE, UNAVAILABLE));
            }
        },
        other => other,
    };
    let claims = match verified {
        Ok(claims) => claims,
        Err(err) => {
            let reason = err.to_string();
            return Err(reject(StatusCode::FORBIDDEN, TOKEN_REFUSED, &reason));
        }
    };
    let Some(user) = (shared.map_user)(&claims) else {
        tracing::warn!(target: "pastry_oidc", status = 403, subject = claims.subject(), "login refused: map_user gave no user for these claims");
        return Err(refused(StatusCode::FORBIDDEN, USER_REFUSED));
    };
    pastry_auth::login(session, &user).await.map_err(|err| {
        tracing::error!(target: "pastry_oidc", error = %err, "recording the login in the session failed");
        refused(StatusCode::INTERNAL_SERVER_ERROR, SESSION_FAILED)
    })?;
    tracing::info!(target: "pastry_oidc", user = user.name(), subject = claims.subject(), "logged in through the provider");
    let next = pastry_auth::safe_next(&login.next).unwrap_or(&shared.default_next);
    Ok(redirect(next))
}

/// Checks the ID token (signature, issuer, audience, expiry and issue
/// time within the allowed skew, nonce) and reads its claims.
fn verify(
    shared: &Shared,
    client: &OidcClient,
    id_token: &openidconnect::core::CoreIdToken,
    nonce: &Nonce,
) -> Result<OidcClaims, ClaimsVerificationError> {
    let now: chrono::DateTime<chrono::Utc> = shared.clock.now().into();
    let skew = chrono::Duration::from_std(shared.clock_skew).unwrap_or(chrono::Duration::zero());
    let verifier = client
        .id_token_verifier()
        .set_time_fn(move || now - skew)
        .set_issue_time_verifier_fn(move |issued| {
            if issued > now + skew {
                Err(format!("issued in the future ({issued})"))
            } else {
                Ok(())
            }
        });
    id_token.claims(&verifier, nonce)?;
    let text = id_token.to_string();
    let payload = text
        .split('.')
        .nth(1)
        .and_then(|part| URL_SAFE_NO_PAD.decode(part).ok())
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .and_then(OidcClaims::from_map);
    payload.ok_or_else(|| ClaimsVerificationError::Other("unreadable claims".to_owned()))
}
