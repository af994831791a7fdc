//! Shared by the behaviour tests: a log-event recorder and bodies that fail.
#![allow(dead_code)]

use std::cell::RefCell;
use std::collections::{BTreeMap, VecDeque};
use std::fmt;
use std::pin::Pin;
use std::sync::{Arc, Mutex, Once};
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body::{Frame, SizeHint};
use tracing::field::{Field, Visit};
use tracing::{Event, Subscriber};
use tracing_subscriber::Layer;
use tracing_subscriber::layer::{Context as LayerContext, SubscriberExt};

/// One recorded log event: its target, level and fields as text.
#[derive(Clone, Debug)]
pub struct Recorded {
    pub target: String,
    pub level: tracing::Level,
    pub fields: BTreeMap<String, String>,
}

impl Recorded {
    pub fn field(&self, name: &str) -> Option<&str> {
        self.fields.get(name).map(String::as_str)
    }
}

/// The events recorded on one test's thread.
///
/// One global subscriber (installed once per test binary) hands each event
/// to the recorder of the thread it happens on. A global subscriber, not a
/// thread-local default, so that callsites first hit by another test never
/// get cached as uninteresting.
#[derive(Clone, Default)]
pub struct Events(Arc<Mutex<Vec<Recorded>>>);

thread_local! {
    static CURRENT: RefCell<Option<Events>> = const { RefCell::new(None) };
}

/// Stops recording on this thread when dropped.
pub struct Recording(());

impl Drop for Recording {
    fn drop(&mut self) {
        CURRENT.with(|current| current.borrow_mut().take());
    }
}

impl Events {
    /// Starts recording on the current thread (a `#[tokio::test]` runs its
    /// tasks on it).
    pub fn record() -> (Events, Recording) {
        static INSTALL: Once = Once::new();
        INSTALL.call_once(|| {
            let subscriber = tracing_subscriber::registry().with(Recorder);
            tracing::subscriber::set_global_default(subscriber)
                .expect("no other global subscriber");
        });
        let events = Events::default();
        CURRENT.with(|current| *current.borrow_mut() = Some(events.clone()));
        (events, Recording(()))
    }

    /// The events with target `pastry_catch`.
    pub fn catch_events(&self) -> Vec<Recorded> {
        self.0
            .lock()
            .unwrap()
            .iter()
            .filter(|event| event.target == "pastry_catch")
            .cloned()
            .collect()
    }

    /// The only `pastry_catch` event; fails the test unless there is exactly one.
    pub fn single(&self) -> Recorded {
        let events = self.catch_events();
        assert_eq!(
            events.len(),
            1,
            "expected one pastry_catch event, got {events:#?}"
        );
        events.into_iter().next().unwrap()
    }
}

struct Fields<'a>(&'a mut BTreeMap<String, String>);

impl Visit for Fields<'_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().to_owned(), value.to_owned());
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.0.insert(field.name().to_owned(), format!("{value:?}"));
    }
}

struct Recorder;

impl<S: Subscriber> Layer<S> for Recorder {
    fn on_event(&self, event: &Event<'_>, _ctx: LayerContext<'_, S>) {
        let Some(events) = CURRENT.with(|current| current.borrow().clone()) else {
            return;
        };
        let mut fields = BTreeMap::new();
        event.record(&mut Fields(&mut fields));
        events.0.lock().unwrap().push(Recorded {
            target: event.metadata().target().to_owned(),
            level: *event.metadata().level(),
            fields,
        });
    }
}

/// How a [`FailingBody`] fails once its frames are out.
#[derive(Clone, Copy, Debug)]
pub enum Fail {
    Panic(&'static str),
    Error(&'static str),
}

/// A response body that yields `frames`, then fails.
pub struct FailingBody {
    frames: VecDeque<Bytes>,
    fail: Fail,
}

impl FailingBody {
    pub fn new<I: IntoIterator<Item = &'static str>>(frames: I, fail: Fail) -> Self {
        Self {
            frames: frames
                .into_iter()
                .map(|s| Bytes::from_static(s.as_bytes()))
                .collect(),
            fail,
        }
    }
}

impl http_body::Body for FailingBody {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, std::io::Error>>> {
        if let Some(frame) = self.frames.pop_front() {
            return Poll::Ready(Some(Ok(Frame::data(frame))));
        }
        match self.fail {
            Fail::Panic(message) => panic!("{message}"),
            Fail::Error(message) => Poll::Ready(Some(Err(std::io::Error::other(message)))),
        }
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::default()
    }
}
