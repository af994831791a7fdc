//! A small keep-alive HTTP/1.1 load generator for the over-HTTP benches.
//!
//! `loadgen --addr 127.0.0.1:8080 --path /app/page --connections 64 --seconds 10
//! [--login /app/login] [--threads 1] [--max-requests 5000000]`
//! opens the connections, each first asking for the login path (if given,
//! not counted) and then sending requests back to back (keeping the cookie
//! its responses set, and accepting gzip), stops at the deadline or when the
//! request budget is spent, and prints one line of JSON: requests, errors,
//! non-200 statuses, responses not gzipped, requests per second, p50/p99 in
//! microseconds. Loopback only: it refuses any other address.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::{Request, StatusCode, header};
use http_body_util::{BodyExt, Empty};
use hyper::client::conn::http1::SendRequest;
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

struct Options {
    addr: SocketAddr,
    path: String,
    login: Option<String>,
    threads: usize,
    connections: usize,
    duration: Duration,
    max_requests: u64,
}

fn parse_args() -> Result<Options, String> {
    let mut addr = None;
    let mut path = String::from("/");
    let mut login = None;
    let mut threads = 1;
    let mut connections = 64;
    let mut seconds = 10u64;
    let mut max_requests = 5_000_000;
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let mut value = || args.next().ok_or(format!("{flag} needs a value"));
        match flag.as_str() {
            "--addr" => addr = Some(value()?.parse::<SocketAddr>().map_err(|e| e.to_string())?),
            "--path" => path = value()?,
            "--login" => login = Some(value()?),
            "--threads" => threads = value()?.parse().map_err(|_| "bad --threads")?,
            "--connections" => connections = value()?.parse().map_err(|_| "bad --connections")?,
            "--seconds" => seconds = value()?.parse().map_err(|_| "bad --seconds")?,
            "--max-requests" => {
                max_requests = value()?.parse().map_err(|_| "bad --max-requests")?
            }
            other => return Err(format!("unknown argument {other}")),
        }
    }
    let addr = addr.ok_or("--addr is required")?;
    if !addr.ip().is_loopback() {
        return Err("loadgen only targets loopback addresses".into());
    }
    if seconds == 0 || seconds > 600 || connections == 0 || connections > 1024 {
        return Err("--seconds must be 1..=600 and --connections 1..=1024".into());
    }
    if threads == 0 || threads > 64 || max_requests == 0 {
        return Err("--threads must be 1..=64 and --max-requests at least 1".into());
    }
    Ok(Options {
        addr,
        path,
        login,
        threads,
        connections,
        duration: Duration::from_secs(seconds),
        max_requests,
    })
}

#[derive(Default)]
struct Tally {
    latencies_us: Vec<u32>,
    errors: u64,
    statuses_not_ok: u64,
    not_gzip: u64,
}

fn request(opts: &Options, path: &str, cookie: Option<&str>) -> Request<Empty<Bytes>> {
    let mut req = Request::get(path)
        .header(header::HOST, opts.addr.to_string())
        .header(header::ACCEPT_ENCODING, "gzip")
        .header(header::ACCEPT, "text/html");
    if let Some(cookie) = cookie {
        req = req.header(header::COOKIE, cookie);
    }
    req.body(Empty::<Bytes>::new())
        .expect("static request parts")
}

/// Sends one request on `sender` and reads the whole response; keeps the
/// cookie it sets. `Err` means the connection is unusable.
async fn exchange(
    sender: &mut SendRequest<Empty<Bytes>>,
    req: Request<Empty<Bytes>>,
    cookie: &mut Option<String>,
) -> Result<(StatusCode, bool), ()> {
    sender.ready().await.map_err(drop)?;
    let res = sender.send_request(req).await.map_err(drop)?;
    if let Some(set) = res
        .headers()
        .get(header::SET_COOKIE)
        .and_then(|v| v.to_str().ok())
    {
        *cookie = set.split(';').next().map(str::to_owned);
    }
    let status = res.status();
    let gzip = res
        .headers()
        .get(header::CONTENT_ENCODING)
        .is_some_and(|v| v == "gzip");
    res.into_body().collect().await.map_err(drop)?;
    Ok((status, gzip))
}

async fn drive(opts: &Options, deadline: Instant, budget: u64) -> Tally {
    let mut tally = Tally::default();
    let mut cookie: Option<String> = None;
    let mut sent = 0u64;
    while Instant::now() < deadline && sent < budget {
        let Ok(stream) = TcpStream::connect(opts.addr).await else {
            tally.errors += 1;
            tokio::time::sleep(Duration::from_millis(10)).await;
            continue;
        };
        stream.set_nodelay(true).ok();
        let Ok((mut sender, conn)) =
            hyper::client::conn::http1::handshake(TokioIo::new(stream)).await
        else {
            tally.errors += 1;
            tokio::time::sleep(Duration::from_millis(10)).await;
            continue;
        };
        tokio::spawn(conn);
        if cookie.is_none()
            && let Some(login) = &opts.login
        {
            match exchange(&mut sender, request(opts, login, None), &mut cookie).await {
                Ok((StatusCode::OK, _)) if cookie.is_some() => {}
                Ok(_) => {
                    // A login that answers but sets no cookie will not
                    // improve on retry: stop this connection.
                    tally.errors += 1;
                    return tally;
                }
                Err(()) => {
                    tally.errors += 1;
                    continue;
                }
            }
        }
        while Instant::now() < deadline && sent < budget {
            let req = request(opts, &opts.path, cookie.as_deref());
            let started = Instant::now();
            let Ok((status, gzip)) = exchange(&mut sender, req, &mut cookie).await else {
                tally.errors += 1;
                break;
            };
            sent += 1;
            let micros = u32::try_from(started.elapsed().as_micros()).unwrap_or(u32::MAX);
            tally.latencies_us.push(micros);
            if status != StatusCode::OK {
                tally.statuses_not_ok += 1;
            }
            if !gzip {
                tally.not_gzip += 1;
            }
        }
    }
    tally
}

fn percentile(sorted: &[u32], p: f64) -> u32 {
    if sorted.is_empty() {
        return 0;
    }
    let rank = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

fn main() {
    let opts = match parse_args() {
        Ok(opts) => std::sync::Arc::new(opts),
        Err(message) => {
            eprintln!("loadgen: {message}");
            std::process::exit(2);
        }
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(opts.threads)
        .enable_all()
        .build()
        .expect("a tokio runtime");
    rt.block_on(run(opts));
}

async fn run(opts: std::sync::Arc<Options>) {
    let started = Instant::now();
    let deadline = started + opts.duration;
    let budget = (opts.max_requests / opts.connections as u64).max(1);
    let workers: Vec<_> = (0..opts.connections)
        .map(|_| {
            let opts = opts.clone();
            tokio::spawn(async move { drive(&opts, deadline, budget).await })
        })
        .collect();
    let mut all = Tally::default();
    for worker in workers {
        let tally = worker.await.expect("worker task");
        all.latencies_us.extend(tally.latencies_us);
        all.errors += tally.errors;
        all.statuses_not_ok += tally.statuses_not_ok;
        all.not_gzip += tally.not_gzip;
    }
    let elapsed = started.elapsed().as_secs_f64();
    all.latencies_us.sort_unstable();
    let requests = all.latencies_us.len();
    println!(
        "{{\"requests\":{requests},\"errors\":{},\"not_ok\":{},\"not_gzip\":{},\"seconds\":{elapsed:.2},\"rps\":{:.0},\"p50_us\":{},\"p99_us\":{}}}",
        all.errors,
        all.statuses_not_ok,
        all.not_gzip,
        requests as f64 / elapsed,
        percentile(&all.latencies_us, 0.50),
        percentile(&all.latencies_us, 0.99),
    );
}
