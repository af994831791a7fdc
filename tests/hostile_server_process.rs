//! `pastry::serve` in a child process (this test binary run again with
//! `PASTRY_SERVE_CHILD` naming a scenario): a low `RLIMIT_NOFILE`, what it
//! prints to stderr without a `tracing` subscriber, and a listening socket
//! inherited through `LISTEN_FDS`. Outer timeouts are generous; nothing
//! asserts a duration.

#![cfg(unix)]

use std::convert::Infallible;
use std::io::{BufRead, BufReader, Read};
use std::net::{SocketAddr, TcpListener as StdListener};
use std::os::fd::AsRawFd;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use http::{Request, Response};
use hyper::body::Incoming;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const CHILD: &str = "PASTRY_SERVE_CHILD";
const OUTER: Duration = Duration::from_secs(30);

fn app(
    text: &'static str,
) -> impl tower::Service<
    Request<Incoming>,
    Response = Response<String>,
    Error = Infallible,
    Future = impl Send,
> + Clone
+ Send
+ 'static {
    tower::service_fn(move |_req: Request<Incoming>| async move {
        Ok::<_, Infallible>(Response::new(text.to_owned()))
    })
}

/// The child's side: runs the scenario named by `PASTRY_SERVE_CHILD`; a
/// no-op in the parent's test run.
#[test]
fn child() {
    let Ok(scenario) = std::env::var(CHILD) else {
        return;
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    match scenario.as_str() {
        "nofile" | "nofile-uncapped" => {
            use rustix::process::{Resource, Rlimit, getrlimit, setrlimit};
            let hard = getrlimit(Resource::Nofile).maximum;
            setrlimit(
                Resource::Nofile,
                Rlimit {
                    current: Some(128),
                    maximum: hard,
                },
            )
            .expect("setrlimit");
            let uncapped = scenario == "nofile-uncapped";
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                    .await
                    .expect("bind");
                println!("PORT {}", listener.local_addr().expect("addr").port());
                println!("CAP {}", pastry::default_max_connections());
                let mut serve = pastry::serve(listener, app("served"))
                    .header_read_timeout(Duration::from_secs(1));
                if uncapped {
                    // Past the descriptor limit: accept() fails with EMFILE.
                    serve = serve.max_connections(100_000);
                }
                serve.await.expect("serve");
            });
        }
        "announce" => runtime.block_on(async {
            pastry::serve("127.0.0.1:0", app("announced"))
                .await
                .expect("serve");
        }),
        "quiet" => runtime.block_on(async {
            pastry::serve("127.0.0.1:0", app("quiet"))
                .quiet(true)
                .await
                .expect("serve");
        }),
        "bind-error" | "bind-error-quiet" => runtime.block_on(async {
            let taken = std::env::var("TAKEN").expect("TAKEN");
            let result = pastry::serve(taken, app("never"))
                .quiet(scenario == "bind-error-quiet")
                .await;
            assert!(result.is_err());
        }),
        "listenfd" => {
            // An address that cannot be bound: only the inherited socket
            // can serve.
            let listen = pastry::Listen::from_env_or("192.0.2.1:1").expect("LISTEN_FDS");
            runtime.block_on(async {
                pastry::serve(listen, app("inherited"))
                    .quiet(true)
                    .await
                    .expect("serve");
            });
        }
        other => panic!("unknown scenario {other}"),
    }
}

/// This test binary, run again to play `scenario` in the `child` test.
fn child_command(scenario: &str) -> Command {
    let mut command = Command::new(std::env::current_exe().expect("test binary"));
    command
        .args(["--exact", "child", "--nocapture", "--test-threads=1"])
        .env(CHILD, scenario)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    command
}

/// Kills the child when dropped, so a failing test leaves nothing behind.
struct Reaped(Child);

impl Drop for Reaped {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Reaped {
    /// Kills the child and returns everything it wrote to stderr.
    fn stderr(mut self) -> String {
        let _ = self.0.kill();
        let _ = self.0.wait();
        let mut text = String::new();
        if let Some(mut stderr) = self.0.stderr.take() {
            let _ = stderr.read_to_string(&mut text);
        }
        text
    }
}

/// The lines a child writes to a pipe, read on a thread so that waiting
/// for one is bounded by a timeout.
struct PipeLines(mpsc::Receiver<String>);

impl PipeLines {
    fn new(pipe: impl Read + Send + 'static) -> Self {
        let (send, receive) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(pipe).lines() {
                let Ok(line) = line else { break };
                if send.send(line).is_err() {
                    break;
                }
            }
        });
        Self(receive)
    }

    /// Waits up to `OUTER` for a line holding `prefix` (libtest may have
    /// written `test child ... ` before it on the same line); returns what
    /// follows it.
    fn value(&self, prefix: &str) -> String {
        let deadline = Instant::now() + OUTER;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.0.recv_timeout(left) {
                Ok(line) => {
                    if let Some((_, value)) = line.split_once(prefix) {
                        return value.trim().to_owned();
                    }
                }
                Err(_) => panic!("the child never printed {prefix:?}"),
            }
        }
    }
}

/// The child's stdout, line by line.
fn stdout_lines(child: &mut Child) -> PipeLines {
    PipeLines::new(child.stdout.take().expect("stdout"))
}

/// GET / over a fresh connection, retried while the server is not up
/// yet; the body of the answer.
async fn get(addr: SocketAddr) -> String {
    tokio::time::timeout(OUTER, async {
        loop {
            let Ok(mut stream) = TcpStream::connect(addr).await else {
                tokio::time::sleep(Duration::from_millis(20)).await;
                continue;
            };
            let request = "GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n";
            if stream.write_all(request.as_bytes()).await.is_err() {
                continue;
            }
            let mut answer = String::new();
            if stream.read_to_string(&mut answer).await.is_ok() && !answer.is_empty() {
                return answer;
            }
        }
    })
    .await
    .expect("no answer within the outer timeout")
}

/// Opens `count` connections that never send a byte, then checks that a
/// new client is still served.
async fn flood_then_get(addr: SocketAddr, count: usize) -> (Vec<TcpStream>, String, Duration) {
    let mut silent = Vec::new();
    for _ in 0..count {
        silent.push(TcpStream::connect(addr).await.expect("connect"));
    }
    let began = Instant::now();
    let answer = get(addr).await;
    (silent, answer, began.elapsed())
}

#[tokio::test]
async fn with_128_descriptors_150_silent_connections_do_not_lock_out_a_new_client() {
    let mut child = Reaped(child_command("nofile").spawn().expect("spawn child"));
    let lines = stdout_lines(&mut child.0);
    let port: u16 = lines.value("PORT ").parse().expect("port");
    let cap = lines.value("CAP ");
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let (silent, answer, took) = flood_then_get(addr, 150).await;
    eprintln!(
        "RLIMIT_NOFILE 128, default cap {cap}: new client served {took:?} after 150 silent connections"
    );
    assert!(answer.ends_with("served"), "{answer}");
    drop(silent);
    let stderr = child.stderr();
    assert!(
        !stderr.contains("accept failed"),
        "the cap let accept() fail: {stderr}"
    );
}

#[tokio::test]
async fn emfile_is_logged_once_per_burst_not_every_100_ms() {
    let mut child = Reaped(
        child_command("nofile-uncapped")
            .spawn()
            .expect("spawn child"),
    );
    let lines = stdout_lines(&mut child.0);
    let port: u16 = lines.value("PORT ").parse().expect("port");
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let (silent, answer, took) = flood_then_get(addr, 150).await;
    assert!(answer.ends_with("served"), "{answer}");
    drop(silent);
    let stderr = child.stderr();
    let failures = stderr.matches("pastry: accept failed").count();
    eprintln!("EMFILE with no cap: served after {took:?}; {failures} accept-failure lines");
    assert!(
        failures >= 1,
        "accept never failed, the test proves nothing: {stderr}"
    );
    // One line per burst: the flood takes a few rounds of the 1 s header
    // timeout to clear, never one line per retry.
    assert!(failures <= 5, "{failures} lines: {stderr}");
}

#[test]
fn without_a_subscriber_serve_prints_where_it_listens() {
    let mut child = Reaped(child_command("announce").spawn().expect("spawn child"));
    let stderr = PipeLines::new(child.0.stderr.take().expect("stderr"));
    let addr = stderr.value("pastry: listening on http://");
    let addr: SocketAddr = addr.parse().expect("an address");
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let answer = runtime.block_on(get(addr));
    assert!(answer.ends_with("announced"), "{answer}");
}

#[test]
fn quiet_serve_prints_nothing() {
    let child = Reaped(child_command("quiet").spawn().expect("spawn child"));
    std::thread::sleep(Duration::from_millis(500));
    let stderr = child.stderr();
    assert!(!stderr.contains("pastry:"), "{stderr}");
}

#[test]
fn without_a_subscriber_a_bind_error_is_printed_unless_quiet() {
    let taken = StdListener::bind("127.0.0.1:0").expect("bind");
    let taken_addr = taken.local_addr().expect("addr").to_string();
    for (scenario, printed) in [("bind-error", true), ("bind-error-quiet", false)] {
        let output = child_command(scenario)
            .env("TAKEN", &taken_addr)
            .output()
            .expect("run child");
        assert!(output.status.success(), "{scenario}: {output:?}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        let expected = format!("pastry: cannot listen on {taken_addr}: ");
        assert_eq!(stderr.contains(&expected), printed, "{scenario}: {stderr}");
    }
}

#[test]
fn an_inherited_listening_socket_is_served() {
    use rustix::io::{FdFlags, fcntl_getfd, fcntl_setfd};
    let listener = StdListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    let fd = listener.as_raw_fd();
    // Let the child inherit the socket under its own number, as systemfd
    // does with LISTEN_FDS_FIRST_FD; LISTEN_PID must be the child's pid,
    // which the shell knows as $$ before it execs the test binary.
    let flags = fcntl_getfd(&listener).expect("getfd");
    fcntl_setfd(&listener, flags - FdFlags::CLOEXEC).expect("setfd");
    let exe = std::env::current_exe().expect("test binary");
    let spawned = Command::new("sh")
        .args(["-c", r#"LISTEN_PID=$$; export LISTEN_PID; exec "$0" "$@""#])
        .arg(exe)
        .args(["--exact", "child", "--nocapture", "--test-threads=1"])
        .env(CHILD, "listenfd")
        .env("LISTEN_FDS", "1")
        .env("LISTEN_FDS_FIRST_FD", fd.to_string())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn();
    fcntl_setfd(&listener, flags).expect("setfd");
    let child = Reaped(spawned.expect("spawn child"));
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    // The parent never accepts: whatever answers is the child.
    let answer = runtime.block_on(get(addr));
    assert!(answer.ends_with("inherited"), "{answer}");
    drop(listener);
    drop(child);
}
