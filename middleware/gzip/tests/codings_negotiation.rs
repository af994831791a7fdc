//! Choosing among gzip, br and zstd by the client's Accept-Encoding weights,
//! with the server's preference (zstd, br, gzip) breaking ties.

mod common;

use common::codecs::decode;
use common::{Answer, app, page};
use pastry_gzip::{Coding, GzipLayer};
use pastry_testkit::TestClient;
use tower::Layer;

/// The coding chosen for `accept` (one Accept-Encoding line per item),
/// after checking that the body decodes to the page with it.
async fn chosen(layer: GzipLayer, accept: &[&str]) -> Option<String> {
    let client = TestClient::new(layer.layer(app(Answer::html())));
    let mut req = client.get("/");
    for value in accept {
        req = req.header("accept-encoding", *value);
    }
    let res = req.await;
    assert_eq!(res.header("vary"), Some("accept-encoding"), "{accept:?}");
    let coding = res.header("content-encoding").map(str::to_owned);
    let body = match coding.as_deref().map(Coding::from_name) {
        None => res.raw_bytes().to_vec(),
        Some(Some(coding)) => decode(coding, &res.raw_bytes()),
        Some(None) => panic!("unknown coding {coding:?}"),
    };
    assert_eq!(body, page().as_bytes(), "{accept:?}");
    coding
}

/// Rows of (Accept-Encoding lines, coding expected) with every coding of
/// the build offered.
async fn check(rows: &[(&[&str], Option<&str>)]) {
    for (accept, expected) in rows {
        assert_eq!(
            chosen(common::every_coding(), accept).await.as_deref(),
            *expected,
            "Accept-Encoding: {accept:?}"
        );
    }
}

#[tokio::test]
async fn identity_cases_hold_for_every_build() {
    check(&[
        (&[], None),
        (&[""], None),
        (&["identity"], None),
        (&["compress, deflate"], None),
        (&["*;q=0"], None),
        (&["gzip;q=0, br;q=0, zstd;q=0"], None),
        (&["compress, identity;q=0"], None),
        (&["x-gzip"], Some("gzip")),
    ])
    .await;
}

#[cfg(all(feature = "br", feature = "zstd"))]
#[tokio::test]
async fn higher_weight_wins() {
    check(&[
        (&["gzip;q=1, br;q=0.5, zstd;q=0.2"], Some("gzip")),
        (&["gzip;q=0.4, br;q=0.9, zstd;q=0.5"], Some("br")),
        (&["gzip;q=0.4, br;q=0.5, zstd;q=0.501"], Some("zstd")),
        (&["br;q=0.001"], Some("br")),
        (&["zstd;q=0.1, gzip;q=0.2"], Some("gzip")),
    ])
    .await;
}

#[cfg(all(feature = "br", feature = "zstd"))]
#[tokio::test]
async fn equal_weights_go_to_zstd_then_br_then_gzip() {
    check(&[
        (&["gzip, deflate, br, zstd"], Some("zstd")),
        (&["zstd, br, gzip"], Some("zstd")),
        (&["gzip, deflate, br"], Some("br")),
        (&["br;q=0.5, gzip;q=0.5"], Some("br")),
        (&["gzip, zstd"], Some("zstd")),
        (&["gzip", "br"], Some("br")),
    ])
    .await;
}

#[cfg(all(feature = "br", feature = "zstd"))]
#[tokio::test]
async fn q0_refuses_a_coding_even_against_the_wildcard() {
    check(&[
        (&["zstd;q=0, br, gzip"], Some("br")),
        (&["zstd;q=0, br;q=0, gzip"], Some("gzip")),
        (&["*, zstd;q=0"], Some("br")),
        (&["*, zstd;q=0, br;q=0.000"], Some("gzip")),
        (&["zstd;q=0", "*"], Some("br")),
    ])
    .await;
}

#[cfg(all(feature = "br", feature = "zstd"))]
#[tokio::test]
async fn the_wildcard_weighs_codings_not_named() {
    check(&[
        (&["*"], Some("zstd")),
        (&["gzip, *;q=0.5"], Some("gzip")),
        (&["br;q=0.3, *;q=0.5"], Some("zstd")),
        (&["zstd;q=0.2, br;q=0.2, *;q=0.1"], Some("zstd")),
        (&["identity, *;q=0.1"], Some("zstd")),
    ])
    .await;
}

#[cfg(all(feature = "br", feature = "zstd"))]
#[tokio::test]
async fn unknown_and_malformed_items_are_ignored() {
    check(&[
        (&["compress, snappy, br"], Some("br")),
        (&["zstd;q=2, br"], Some("br")),
        (&["zstd;q=nope, gzip"], Some("gzip")),
        (&["ZSTD;Q=0.9, BR;q=0.8"], Some("zstd")),
        (&[",,;, zstd"], Some("zstd")),
        (&["zstd;q =0.5, br;q=0.1"], Some("br")),
    ])
    .await;
}

#[cfg(all(feature = "br", feature = "zstd"))]
#[tokio::test]
async fn disabled_codings_are_never_chosen() {
    let rows: &[(GzipLayer, &[&str], Option<&str>)] = &[
        (
            common::every_coding().zstd(false),
            &["zstd, br, gzip"],
            Some("br"),
        ),
        (
            common::every_coding().zstd(false).br(false),
            &["zstd, br, gzip"],
            Some("gzip"),
        ),
        (common::every_coding().gzip(false), &["gzip"], None),
        (
            common::every_coding().gzip(false),
            &["gzip, *;q=0.1"],
            Some("zstd"),
        ),
        (common::every_coding().br(false), &["br"], None),
    ];
    for (layer, accept, expected) in rows {
        assert_eq!(
            chosen(layer.clone(), accept).await.as_deref(),
            *expected,
            "{layer:?} {accept:?}"
        );
    }
}

#[tokio::test]
async fn no_coding_offered_means_no_vary_and_no_coding() {
    let layer = GzipLayer::new().gzip(false);
    let client = TestClient::new(layer.layer(app(Answer::html())));
    let res = client
        .get("/")
        .header("accept-encoding", "gzip, br, zstd")
        .await;
    assert_eq!(res.header("content-encoding"), None);
    assert_eq!(res.header("vary"), None);
    assert_eq!(res.raw_bytes(), page());
}

#[cfg(any(feature = "br", feature = "zstd"))]
#[tokio::test]
async fn levels_are_checked_when_the_layer_is_built() {
    #[cfg(feature = "br")]
    {
        use pastry_gzip::{BrLevel, GzipError};
        assert!(matches!(
            BrLevel::new(12),
            Err(GzipError::InvalidBrLevel(12))
        ));
        let layer = common::every_coding().br_level(BrLevel::new(9).unwrap());
        assert_eq!(layer.get_br_level().get(), 9);
        assert_eq!(chosen(layer, &["br"]).await.as_deref(), Some("br"));
    }
    #[cfg(feature = "zstd")]
    {
        use pastry_gzip::{GzipError, ZstdLevel};
        assert!(matches!(
            ZstdLevel::new(0),
            Err(GzipError::InvalidZstdLevel(0))
        ));
        assert!(matches!(
            ZstdLevel::new(20),
            Err(GzipError::InvalidZstdLevel(20))
        ));
        let layer = common::every_coding().zstd_level(ZstdLevel::BEST);
        assert_eq!(layer.get_zstd_level().get(), 19);
        assert_eq!(chosen(layer, &["zstd"]).await.as_deref(), Some("zstd"));
    }
}

#[cfg(any(feature = "br", feature = "zstd"))]
#[tokio::test]
async fn the_features_alone_offer_nothing_new() {
    // A feature makes a coding available; `GzipLayer::new()` still sends
    // gzip, so a feature unified in from elsewhere changes no response.
    assert_eq!(
        chosen(GzipLayer::new(), &["zstd, br, gzip"])
            .await
            .as_deref(),
        Some("gzip")
    );
    assert_eq!(chosen(GzipLayer::new(), &["zstd, br"]).await, None);
}
