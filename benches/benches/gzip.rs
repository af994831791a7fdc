//! pastry-gzip side by side with tower-http's `CompressionLayer` (gzip only)
//! and with the raw codecs compressing the same bytes in one call
//! (flate2 on zlib-rs, and libdeflate: the floor), all at level 6.
//!
//! Documents, made on the machine when the bench starts:
//! - JSON: the output of `cargo metadata --format-version 1` for the Pastry
//!   workspace (about 1.2 MB, falling back to `--no-deps` offline);
//! - HTML: rustdoc's page for `std::vec::Vec` from the toolchain's own docs
//!   (`$(rustc --print sysroot)/share/doc/rust/html/std/vec/struct.Vec.html`,
//!   about 0.9 MB), or, if the docs are not installed, the pages rustdoc
//!   writes for pastry-core's `html.rs` into a temp dir.
//!
//! Each is cut (or repeated) to 1 KiB, 100 KiB and 10 MiB. Buffered cases
//! answer with a `Full` body (exact size hint); the `stream16k` cases send
//! the 10 MiB in 16 KiB frames with no size hint. 10 MiB is above the
//! default one-call limit (8 MiB), so `pastry` streams it and
//! `pastry-limit16m` (`.buffer_limit(16 MiB)`) shows the one-call path.
//! Compressed sizes of every contender are printed before the run, and
//! so are `paired` lines: the contenders run in turn, round after round,
//! with their median times and ratios (steadier than separate criterion
//! runs on a shared machine).
//!
//! Run: cargo bench --manifest-path benches/Cargo.toml --bench gzip -- --warm-up-time 1 --measurement-time 3

use std::convert::Infallible;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use bytes::Bytes;
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use futures_util::stream;
use http::{Request, Response, header};
use http_body::Frame;
use http_body_util::{BodyExt, Full, StreamBody};
use pastry_gzip::{DEFAULT_BUFFER_LIMIT, GzipLayer, Level};
use tower::{Layer, Service, ServiceExt, service_fn};
use tower_http::compression::{CompressionLayer, CompressionLevel};

const LEVEL: u32 = 6;
const FRAME: usize = 16 * 1024;

/// The Pastry workspace (`PASTRY_ROOT` overrides, for a bench crate built
/// elsewhere).
fn workspace_root() -> PathBuf {
    std::env::var_os("PASTRY_ROOT")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join(".."))
}

fn json_document() -> Vec<u8> {
    for args in [
        &["metadata", "--format-version", "1"][..],
        &[
            "metadata",
            "--format-version",
            "1",
            "--no-deps",
            "--offline",
        ][..],
    ] {
        let out = Command::new(env!("CARGO"))
            .args(args)
            .current_dir(workspace_root())
            .output();
        if let Ok(out) = out
            && out.status.success()
            && !out.stdout.is_empty()
        {
            return out.stdout;
        }
    }
    panic!("cargo metadata failed");
}

fn html_document() -> Vec<u8> {
    let sysroot = Command::new("rustc")
        .args(["--print", "sysroot"])
        .output()
        .expect("rustc");
    let sysroot = String::from_utf8_lossy(&sysroot.stdout).trim().to_owned();
    let page = Path::new(&sysroot).join("share/doc/rust/html/std/vec/struct.Vec.html");
    if let Ok(html) = std::fs::read(&page) {
        return html;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let status = Command::new("rustdoc")
        .args([
            "--edition",
            "2024",
            "--crate-type",
            "lib",
            "--crate-name",
            "pastry_doc",
            "-o",
        ])
        .arg(dir.path())
        .arg(workspace_root().join("core/src/html.rs"))
        .status()
        .expect("rustdoc");
    assert!(status.success());
    let mut html = Vec::new();
    for path in [
        "pastry_doc/fn.html_escape.html",
        "src/pastry_doc/html.rs.html",
        "pastry_doc/index.html",
    ] {
        html.extend(std::fs::read(dir.path().join(path)).expect("rustdoc page"));
    }
    html
}

/// `doc` cut to `len` bytes, repeated first when it is shorter.
fn sized(doc: &[u8], len: usize) -> Bytes {
    Bytes::from(doc.iter().copied().cycle().take(len).collect::<Vec<u8>>())
}

fn raw_flate2(data: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::new(LEVEL));
    enc.write_all(data).unwrap();
    enc.finish().unwrap()
}

fn raw_libdeflate(compressor: &mut libdeflater::Compressor, data: &[u8]) -> Vec<u8> {
    let mut out = vec![0u8; compressor.gzip_compress_bound(data.len())];
    let n = compressor.gzip_compress(data, &mut out).unwrap();
    out.truncate(n);
    out
}

/// Runs the contenders in turn, round after round, and prints each one's
/// median time and the ratios the issue sets targets for. On a shared
/// machine the load changes during a criterion run; interleaving exposes
/// every contender to the same load, so these ratios are the steadier ones.
fn paired(case: &str, len: usize, mut runs: Vec<(&str, Box<dyn FnMut() + '_>)>) {
    let rounds = match len {
        0..=4096 => 400,
        4097..=1_000_000 => 40,
        _ => 6,
    };
    let mut samples = vec![Vec::with_capacity(rounds); runs.len()];
    for _ in 0..rounds {
        for (i, (_, run)) in runs.iter_mut().enumerate() {
            let start = Instant::now();
            run();
            samples[i].push(start.elapsed().as_secs_f64() * 1e6);
        }
    }
    let medians: Vec<f64> = samples
        .iter_mut()
        .map(|s| {
            s.sort_by(f64::total_cmp);
            s[s.len() / 2]
        })
        .collect();
    let median = |wanted: &str| {
        runs.iter()
            .zip(&medians)
            .find(|((name, _), _)| *name == wanted)
            .map(|(_, m)| *m)
    };
    let mut line = format!("paired {case:<22}");
    for ((name, _), median) in runs.iter().zip(&medians) {
        line += &format!(" {name} {median:.1}us ({:.1} MB/s)", len as f64 / median);
    }
    let pastry = median("pastry").unwrap_or(f64::NAN);
    line += &format!(
        " | tower-http/pastry {:.2}x",
        median("tower-http").unwrap_or(f64::NAN) / pastry
    );
    if let (Some(a), Some(b)) = (median("raw-flate2"), median("raw-libdeflate")) {
        let floor = a.min(b);
        line += &format!(" | pastry/fastest-raw {:.2}x", pastry / floor);
        if let Some(big) = median("pastry-limit16m") {
            line += &format!(" | pastry-limit16m/fastest-raw {:.2}x", big / floor);
        }
    }
    eprintln!("{line}");
}

type Body = http_body_util::combinators::UnsyncBoxBody<Bytes, Infallible>;

/// The app: answers every request with `data`, whole or in 16 KiB frames.
fn app(
    data: Bytes,
    content_type: &'static str,
    framed: bool,
) -> impl Service<Request<()>, Response = Response<Body>, Error = Infallible, Future: Send> + Clone + Send
{
    service_fn(move |_req: Request<()>| {
        let data = data.clone();
        async move {
            let body: Body = if framed {
                let frames = (0..data.len()).step_by(FRAME).map(move |at| {
                    Ok::<_, Infallible>(Frame::data(data.slice(at..(at + FRAME).min(data.len()))))
                });
                StreamBody::new(stream::iter(frames)).boxed_unsync()
            } else {
                Full::new(data).boxed_unsync()
            };
            let mut res = Response::new(body);
            res.headers_mut().insert(
                header::CONTENT_TYPE,
                header::HeaderValue::from_static(content_type),
            );
            Ok::<_, Infallible>(res)
        }
    })
}

fn request() -> Request<()> {
    Request::get("/doc")
        .header(header::ACCEPT_ENCODING, "gzip")
        .body(())
        .unwrap()
}

async fn fetch<S, B>(svc: S) -> Bytes
where
    S: Service<Request<()>, Response = Response<B>>,
    S::Error: std::fmt::Debug,
    B: http_body::Body,
    B::Error: std::fmt::Debug,
{
    let res = svc.oneshot(request()).await.unwrap();
    assert_eq!(res.headers()[header::CONTENT_ENCODING], "gzip");
    res.into_body().collect().await.unwrap().to_bytes()
}

fn gzip(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let pastry = GzipLayer::new().level(Level::new(LEVEL).unwrap());
    let tower = CompressionLayer::new().quality(CompressionLevel::Precise(LEVEL as i32));
    let mut compressor =
        libdeflater::Compressor::new(libdeflater::CompressionLvl::new(LEVEL as i32).unwrap());

    let docs = [
        ("json", json_document(), "application/json"),
        ("html", html_document(), "text/html; charset=utf-8"),
    ];
    eprintln!(
        "documents: json {} bytes (cargo metadata), html {} bytes (rustdoc)",
        docs[0].1.len(),
        docs[1].1.len()
    );
    eprintln!("compressed sizes at level {LEVEL}:");
    eprintln!(
        "{:<22} {:>10} {:>10} {:>10} {:>10} {:>10}",
        "case", "input", "pastry", "tower-http", "flate2", "libdeflate"
    );

    for (name, doc, content_type) in &docs {
        for (label, len, framed) in [
            ("1KiB", 1024, false),
            ("100KiB", 100 * 1024, false),
            ("10MiB", 10 << 20, false),
            ("10MiB-stream16k", 10 << 20, true),
        ] {
            let data = sized(doc, len);
            let ours = pastry.layer(app(data.clone(), content_type, framed));
            let theirs = tower.layer(app(data.clone(), content_type, framed));
            let plain = app(data.clone(), content_type, framed);
            let (a, b) =
                rt.block_on(async { (fetch(ours.clone()).await, fetch(theirs.clone()).await) });
            let mut decoded = Vec::new();
            std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&a[..]), &mut decoded)
                .unwrap();
            assert_eq!(decoded, data, "pastry output decodes to the input");
            eprintln!(
                "{:<22} {:>10} {:>10} {:>10} {:>10} {:>10}",
                format!("{name}/{label}"),
                len,
                a.len(),
                b.len(),
                raw_flate2(&data).len(),
                raw_libdeflate(&mut compressor, &data).len()
            );

            // 10 MiB is above the default one-call limit (8 MiB), so the
            // default layer streams it; `pastry-limit16m` shows the one-call path.
            let big = (len as u64 > DEFAULT_BUFFER_LIMIT && !framed).then(|| {
                pastry
                    .clone()
                    .buffer_limit(16 << 20)
                    .layer(app(data.clone(), content_type, framed))
            });
            paired(&format!("{name}/{label}"), len, {
                let mut runs: Vec<(&str, Box<dyn FnMut() + '_>)> = vec![
                    (
                        "pastry",
                        Box::new(|| drop(rt.block_on(fetch(ours.clone())))),
                    ),
                    (
                        "tower-http",
                        Box::new(|| drop(rt.block_on(fetch(theirs.clone())))),
                    ),
                ];
                if !framed {
                    runs.push(("raw-flate2", Box::new(|| drop(raw_flate2(&data)))));
                    runs.push((
                        "raw-libdeflate",
                        Box::new(|| drop(raw_libdeflate(&mut compressor, &data))),
                    ));
                }
                // The same app and request with no compression: the cost of
                // the harness itself (request, service call, body collect).
                runs.push((
                    "no-layer",
                    Box::new(|| {
                        drop(rt.block_on(async {
                            let res = plain.clone().oneshot(request()).await.unwrap();
                            res.into_body().collect().await.unwrap().to_bytes()
                        }))
                    }),
                ));
                if let Some(big) = &big {
                    runs.push((
                        "pastry-limit16m",
                        Box::new(|| drop(rt.block_on(fetch(big.clone())))),
                    ));
                }
                runs
            });

            let mut group = c.benchmark_group(format!("gzip/{name}"));
            group.throughput(Throughput::Bytes(len as u64));
            if len > 1 << 20 {
                group.sample_size(10);
            }
            group.bench_function(BenchmarkId::new("pastry", label), |bench| {
                bench.to_async(&rt).iter(|| fetch(ours.clone()))
            });
            group.bench_function(BenchmarkId::new("tower-http", label), |bench| {
                bench.to_async(&rt).iter(|| fetch(theirs.clone()))
            });
            if let Some(big) = &big {
                group.bench_function(BenchmarkId::new("pastry-limit16m", label), |bench| {
                    bench.to_async(&rt).iter(|| fetch(big.clone()))
                });
            }
            if !framed {
                group.bench_function(BenchmarkId::new("raw-flate2", label), |bench| {
                    bench.iter(|| raw_flate2(&data))
                });
                group.bench_function(BenchmarkId::new("raw-libdeflate", label), |bench| {
                    bench.iter(|| raw_libdeflate(&mut compressor, &data))
                });
            }
            group.finish();
        }
    }
}

criterion_group!(benches, gzip);
criterion_main!(benches);
