//! The environ shared by every Pastry middleware.
//!
//! WSGI gave every middleware one vocabulary for the request: `SCRIPT_NAME`,
//! `PATH_INFO`, `REMOTE_ADDR`, `REMOTE_USER`. Pastry keeps that vocabulary as
//! typed request extensions ([`ScriptName`], [`ClientAddr`], [`RemoteUser`] …)
//! read through the [`Environ`] trait, plus the small header helpers that more
//! than one middleware needs.
//!
//! In the `pastry` facade these items stand at the top level:
//! `pastry_core::Environ` is `pastry::Environ`, `pastry_core::header` is
//! `pastry::header`.
//!
//! ```
//! use http::Request;
//! use pastry_core::{Environ, RemoteUser, ScriptName};
//!
//! // What a URL map and an auth layer leave behind for the app they wrap:
//! let mut req = Request::get("/posts/1?draft=no").body(()).unwrap();
//! req.extensions_mut().insert(ScriptName::new("/blog"));
//! req.extensions_mut().insert(RemoteUser::new("alice"));
//!
//! assert_eq!(req.script_name(), "/blog");
//! assert_eq!(req.path_info(), "/posts/1");
//! assert_eq!(req.remote_user(), Some("alice"));
//! assert_eq!(req.url_for("/posts/2"), "/blog/posts/2");
//! ```

mod accessors;
mod app;
mod body;
mod clock;
mod environ;
mod error;
mod future;
mod head;
pub mod header;
pub mod host;
mod html;
mod origin;
mod response;
mod shutdown;

pub use app::App;
pub use body::LayerBody;
pub use clock::{Clock, ManualClock, SystemClock};
pub use environ::{
    ClientAddr, EmptyPathInfo, Environ, OriginalUri, RemoteUser, ScriptName, UrlScheme,
};
pub use error::{BoxError, HttpError};
pub use future::LayerFuture;
pub use head::RequestHead;
pub use html::html_escape;
pub use origin::{
    CSRF_FIELD, CSRF_HEADER, CSRF_SESSION_KEY, CrossOrigin, CrossOriginChecked, CrossOriginRules,
    CsrfToken, check_cross_origin, is_upgrade, is_upgrade_response, parse_origin,
};
pub use response::{text_response, text_response_for};
pub use shutdown::{ShutdownSignal, ShutdownTrigger};
