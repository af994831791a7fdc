//! Slow clients against `pastry::serve`: a client dripping its request
//! headers a byte at a time is cut off by the header-read timeout (the
//! timer does not restart with each byte), and meanwhile everybody else is
//! served. `tests/serve.rs` covers headers that stop half-way and 200 idle
//! connections.

use std::convert::Infallible;
use std::future::IntoFuture;
use std::time::Duration;

use http::{Request, Response};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

#[tokio::test]
async fn headers_dripped_byte_by_byte_are_cut_off() {
    let app = tower::service_fn(|_req: Request<hyper::body::Incoming>| async {
        Ok::<_, Infallible>(Response::new("served".to_owned()))
    });
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(
        pastry::serve(listener, app)
            .header_read_timeout(Duration::from_millis(300))
            .with_graceful_shutdown(async {
                stopped.await.ok();
            })
            .into_future(),
    );

    // 120 header bytes at one per 50 ms would take 6 s: twenty times the
    // timeout. A drip that got through would mean the timer restarts.
    let mut request = b"GET / HTTP/1.1\r\nHost: localhost\r\nX-Drip: ".to_vec();
    request.resize(120, b'a');
    request.extend_from_slice(b"\r\n\r\n");
    let mut slow = TcpStream::connect(addr).await.expect("connect");
    let mut sent = 0;
    for byte in &request {
        if slow.write_all(&[*byte]).await.is_err() {
            break;
        }
        sent += 1;
        tokio::time::sleep(Duration::from_millis(50)).await;
        // Everybody else is still served while the drip goes on.
        if sent == 3 {
            let res = reqwest::get(format!("http://{addr}/other"))
                .await
                .expect("served");
            assert_eq!(res.text().await.expect("body"), "served");
        }
    }
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(10), slow.read_to_end(&mut answer)).await;
    let answer = String::from_utf8_lossy(&answer);
    assert!(
        !answer.contains("served"),
        "a dripped request was served after {sent} bytes: {answer}"
    );
    assert!(
        sent < request.len(),
        "the connection stayed open for the whole drip"
    );

    stop.send(()).expect("stop");
    server.await.expect("server task").expect("server");
}
