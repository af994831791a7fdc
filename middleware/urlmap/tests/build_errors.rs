//! Bad keys are typed errors when the map is built, never a silent
//! override.

mod common;

use common::echo;
use pastry_testkit::Body;
use pastry_urlmap::{Mount, UrlMap, UrlMapError};

fn duplicate(first: Mount, second: Mount) -> Option<UrlMapError> {
    UrlMap::<Body>::builder()
        .mount(first, echo("a"))
        .mount(second, echo("b"))
        .build()
        .err()
}

#[test]
fn same_prefix_spelled_differently_is_a_duplicate() {
    for (a, b) in [
        ("/blog", "/blog/"),
        ("/blog", "blog"),
        ("/a/b", "//a/./b"),
        ("/%7Eu", "/~u"),
        ("/", ""),
    ] {
        let err = duplicate(Mount::at(a), Mount::at(b));
        let prefix = match err {
            Some(UrlMapError::DuplicateMount { host: None, prefix }) => prefix,
            other => panic!("{a} and {b}: {other:?}"),
        };
        assert_eq!(prefix, a.trim_end_matches('/').replace("%7E", "~"));
    }
}

#[test]
fn same_host_in_another_case_is_a_duplicate() {
    let err = duplicate(
        Mount::at("/x").host("API.example.com"),
        Mount::at("/x/").host("api.example.com."),
    );
    assert_eq!(
        err,
        Some(UrlMapError::DuplicateMount {
            host: Some("api.example.com".into()),
            prefix: "/x".into()
        })
    );
    assert_eq!(
        err.unwrap().to_string(),
        "two apps are mounted at api.example.com/x"
    );
}

#[test]
fn different_ports_hosts_and_wildcards_are_distinct_keys() {
    let map = UrlMap::<Body>::builder()
        .host("example.com", echo("a"))
        .host("example.com:80", echo("b"))
        .host("*.example.com", echo("c"))
        .mount("/", echo("d"))
        .build()
        .unwrap();
    assert_eq!(map.len(), 4);
}

#[test]
fn malformed_prefixes_and_hosts_are_refused() {
    for prefix in ["/a%zz", "/a%00", "/a?b", "/a#b"] {
        let err = UrlMap::<Body>::builder()
            .mount(prefix, echo("a"))
            .build()
            .unwrap_err();
        assert_eq!(
            err,
            UrlMapError::InvalidPrefix {
                prefix: prefix.into()
            }
        );
    }
    for host in ["", "a b", "a.*.com", "example.com:port", "*"] {
        let err = UrlMap::<Body>::builder()
            .host(host, echo("a"))
            .build()
            .unwrap_err();
        assert_eq!(err, UrlMapError::InvalidHost { host: host.into() });
    }
}

#[test]
fn layer_reports_the_same_errors() {
    let err = UrlMap::<Body>::builder()
        .mount("/x", echo("a"))
        .mount("/x", echo("b"))
        .into_layer()
        .unwrap_err();
    assert!(matches!(err, UrlMapError::DuplicateMount { .. }));
}
