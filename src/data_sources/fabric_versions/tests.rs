//! `blockchain_fabric_versions`: the versions per type in release order, and the two recorded
//! failures (an import-only console, an unreachable deployer).

use super::*;
use crate::console::testutil::{FakeServer, Reply, Seen};
use crate::data_sources::testing::{context, recorded};

#[test]
fn versions_sort_in_release_order() {
    let mut v = vec![
        "2.5.12-0",
        "1.4.12-11",
        "2.2.10",
        "2.5.9",
        "1.5.5-0",
        "2.5.12",
    ];
    v.sort_by(|a, b| release_order(a, b));
    assert_eq!(
        v,
        [
            "1.4.12-11",
            "1.5.5-0",
            "2.2.10",
            "2.5.9",
            "2.5.12",
            "2.5.12-0"
        ]
    );
    assert_eq!(release_order("2.5.12-0", "2.5.12-0"), Ordering::Equal);
}

/// The example answer of athena's `docs/deployer_apis.md` ("Get supported Fabric versions").
const ATHENA_EXAMPLE: &str = r#"{"versions":{
    "ca":{"1.4.6-2":{"default":true,"version":"1.4.6-2","image":{}}},
    "peer":{"2.1.0-0":{"default":true,"version":"2.1.0-0","image":{}},
            "1.4.6-2":{"default":true,"version":"1.4.6-2","image":{}}},
    "orderer":{"2.1.0-0":{"default":false,"version":"2.1.0-0","image":{}},
               "1.4.6-2":{"default":true,"version":"1.4.6-2","image":{}}}}}"#;

fn listed(v: &Tf<Vec<FabricVersionModel>>) -> Vec<(String, bool)> {
    v.known()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r.version.as_str().unwrap().to_owned(),
                *r.default.known().unwrap(),
            )
        })
        .collect()
}

#[tokio::test]
async fn a_read_lists_each_types_versions_with_their_default_flags() {
    let server = FakeServer::start(|_: &Seen, _| Reply::Json(200, ATHENA_EXAMPLE.to_owned())).await;
    let ctx = context(&server);
    let m = FabricVersionsDataSource
        .read(&ctx, FabricVersionsModel::default())
        .await
        .unwrap();
    assert_eq!(listed(&m.ca), [("1.4.6-2".to_owned(), true)]);
    assert_eq!(
        listed(&m.peer),
        [("1.4.6-2".to_owned(), true), ("2.1.0-0".to_owned(), true)]
    );
    assert_eq!(
        listed(&m.orderer),
        [("1.4.6-2".to_owned(), true), ("2.1.0-0".to_owned(), false)]
    );
    // Asked once per client: a second read (or a resource's version check) costs nothing.
    FabricVersionsDataSource
        .read(&ctx, FabricVersionsModel::default())
        .await
        .unwrap();
    assert_eq!(server.requests().len(), 1);
    assert_eq!(
        server.requests()[0].target,
        "/ak/api/v3/kubernetes/fabric/versions"
    );
}

/// The one diagnostic of a read from a console that answers the recorded exchange `name`, the
/// console's URL and how many requests the read sent.
async fn failed_read(name: &'static str) -> (Diagnostic, String, usize) {
    let server = FakeServer::start(move |_: &Seen, _| {
        let (status, body) = recorded(name);
        Reply::Json(status, body)
    })
    .await;
    let err = FabricVersionsDataSource
        .read(&context(&server), FabricVersionsModel::default())
        .await
        .unwrap_err();
    assert_eq!(err.len(), 1, "{err:?}");
    let d = err.iter().next().unwrap().clone();
    let url = server.url.as_str().trim_end_matches('/').to_owned();
    (d, url, server.requests().len())
}

#[tokio::test]
async fn an_import_only_console_is_a_clear_error() {
    let (d, url, requests) = failed_read("k8s.import-only.fabric-versions").await;
    assert_eq!(d.summary, "This console cannot deploy Fabric components");
    assert!(d.detail.contains("import-only"), "{}", d.detail);
    assert!(
        d.detail.contains("without the \"deployer\" counterpart"),
        "the console's own words: {}",
        d.detail
    );
    assert!(d.detail.contains(&url), "{}", d.detail);
    // 503 from an import-only console is final: not retried.
    assert_eq!(requests, 1);
}

#[tokio::test]
async fn an_unreachable_deployer_is_reported_as_the_console_says() {
    let (d, _, _) = failed_read("k8s.fabric-versions.deployer-unreachable").await;
    assert_eq!(d.summary, "Cannot read the Fabric versions");
    assert!(d.detail.contains("ECONNREFUSED"), "{}", d.detail);
}
