//! A writer the tests read back, and requests with the usual extensions.

#![allow(dead_code)]

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::{Duration, UNIX_EPOCH};

use http::Request;
use pastry_core::{ClientAddr, ManualClock};

#[derive(Clone, Default)]
pub struct Lines(Arc<Mutex<Vec<u8>>>);

impl Lines {
    pub fn text(&self) -> String {
        String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
    }
}

impl Write for Lines {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// 10 Oct 2000 13:55:36 UTC, Apache's example date.
pub fn clock() -> ManualClock {
    ManualClock::at(UNIX_EPOCH + Duration::from_secs(971_186_136))
}

pub fn request(uri: &str) -> http::request::Builder {
    Request::get(uri)
}

pub fn from_client<B>(mut req: Request<B>) -> Request<B> {
    req.extensions_mut()
        .insert(ClientAddr("203.0.113.7:50000".parse().unwrap()));
    req
}
