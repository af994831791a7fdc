//! The demo's live parts: `/chat`, a WebSocket behind login that sends each
//! message to every signed-in user, and `/events/counter`, a server-sent
//! event feed of the visits to `/counter` by everyone.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket, WebSocketUpgrade, close_code};
use axum::extract::{Extension, Request};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get};
use futures_util::stream::Stream;
use http::StatusCode;
use pastry::{RemoteUser, ShutdownSignal};
use tokio::sync::{broadcast, watch};

/// The longest chat message accepted, in bytes; longer ones are dropped
/// with a note to their sender.
pub const MAX_MESSAGE_BYTES: usize = 1000;

/// How many messages a slow reader may fall behind before it skips some.
const BACKLOG: usize = 64;

/// What the live parts share: the chat's broadcast and the visit count.
#[derive(Clone, Debug)]
pub struct Hub {
    messages: broadcast::Sender<String>,
    visits: Arc<watch::Sender<u64>>,
}

impl Default for Hub {
    fn default() -> Self {
        Hub {
            messages: broadcast::channel(BACKLOG).0,
            visits: Arc::new(watch::channel(0).0),
        }
    }
}

impl Hub {
    /// Counts one visit to `/counter` and tells the feed; the new total.
    pub fn visit(&self) -> u64 {
        let mut total = 0;
        self.visits.send_modify(|visits| {
            *visits += 1;
            total = *visits;
        });
        total
    }
}

/// The page at `/chat` and its socket at `/chat/socket`, for behind
/// `RequireLogin`.
pub fn chat_routes(hub: Hub) -> axum::Router {
    axum::Router::new()
        .route("/chat", get(chat_page))
        // `any`: over HTTP/2 the handshake is a CONNECT, not a GET.
        .route("/chat/socket", any(chat_socket))
        .with_state(hub)
}

/// `/events/counter`, the feed of visits.
pub fn event_routes(hub: Hub) -> axum::Router {
    axum::Router::new()
        .route("/events/counter", get(counter_events))
        .with_state(hub)
}

async fn chat_page(req: Request) -> Response {
    let body = format!(
        "{}\n<ul id=\"messages\"></ul>\n\
         <form id=\"say\"><input id=\"text\" autocomplete=\"off\" maxlength=\"{MAX_MESSAGE_BYTES}\" \
         aria-label=\"message\"> <button>send</button></form>\n\
         <p id=\"status\">connecting…</p>\n<script>{CHAT_SCRIPT}</script>",
        super::nav(&req),
    );
    super::html(&req, StatusCode::OK, "Chat", &body).into_response()
}

/// The page's script: the socket is `socket` below the page's own path,
/// so a proxy's prefix needs no help.
const CHAT_SCRIPT: &str = r#"
const url = new URL(location.pathname.replace(/\/?$/, "/socket"), location.href);
url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
const socket = new WebSocket(url);
const status = document.getElementById("status");
socket.onopen = () => { status.textContent = "connected"; };
socket.onclose = (e) => { status.textContent = "closed (" + e.code + ")"; };
socket.onmessage = (e) => {
  const item = document.createElement("li");
  item.textContent = e.data;
  document.getElementById("messages").append(item);
};
document.getElementById("say").onsubmit = (e) => {
  e.preventDefault();
  const text = document.getElementById("text");
  if (text.value) { socket.send(text.value); text.value = ""; }
};
"#;

async fn chat_socket(
    upgrade: WebSocketUpgrade,
    Extension(user): Extension<RemoteUser>,
    shutdown: Option<Extension<ShutdownSignal>>,
    axum::extract::State(hub): axum::extract::State<Hub>,
) -> Response {
    let shutdown = shutdown.map(|Extension(signal)| signal).unwrap_or_default();
    upgrade
        .max_message_size(4 * MAX_MESSAGE_BYTES)
        .on_upgrade(move |socket| chat(socket, user, hub, shutdown))
}

/// One user's socket: what they say goes to everyone as `user: text`, and
/// what anyone says comes back; at shutdown, Close 1001.
async fn chat(mut socket: WebSocket, user: RemoteUser, hub: Hub, shutdown: ShutdownSignal) {
    let mut heard = hub.messages.subscribe();
    loop {
        tokio::select! {
            incoming = socket.recv() => match incoming {
                Some(Ok(Message::Text(text))) if text.len() <= MAX_MESSAGE_BYTES => {
                    // No receiver is fine: nobody else is listening.
                    let _ = hub.messages.send(format!("{}: {}", user.as_str(), text.as_str()));
                }
                Some(Ok(Message::Text(_) | Message::Binary(_))) => {
                    let note = format!("(not sent: messages are text of at most {MAX_MESSAGE_BYTES} bytes)");
                    if socket.send(Message::Text(note.into())).await.is_err() {
                        return;
                    }
                }
                Some(Ok(_)) => {}
                Some(Err(_)) | None => return,
            },
            said = heard.recv() => match said {
                Ok(line) => {
                    if socket.send(Message::Text(line.into())).await.is_err() {
                        return;
                    }
                }
                Err(broadcast::error::RecvError::Lagged(_)) => {}
                Err(broadcast::error::RecvError::Closed) => return,
            },
            () = shutdown.wait() => {
                let goodbye = CloseFrame {
                    code: close_code::AWAY,
                    reason: Utf8Bytes::from_static("server shutting down"),
                };
                let _ = socket.send(Message::Close(Some(goodbye))).await;
                return;
            }
        }
    }
}

async fn counter_events(
    shutdown: Option<Extension<ShutdownSignal>>,
    axum::extract::State(hub): axum::extract::State<Hub>,
) -> Sse<impl Stream<Item = Result<Event, std::convert::Infallible>>> {
    let shutdown = shutdown.map(|Extension(signal)| signal).unwrap_or_default();
    let visits = hub.visits.subscribe();
    // The current total at once, then each change, until shutdown.
    let stream = futures_util::stream::unfold(
        (visits, shutdown, true),
        |(mut visits, shutdown, first)| async move {
            if !first {
                tokio::select! {
                    changed = visits.changed() => changed.ok()?,
                    () = shutdown.wait() => return None,
                }
            }
            let total = visits.borrow_and_update().to_string();
            let event = Event::default().event("visits").id(&total).data(total);
            Some((Ok(event), (visits, shutdown, false)))
        },
    );
    Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
}
