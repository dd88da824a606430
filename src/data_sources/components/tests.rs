//! `blockchain_components`: what the type and tag select from the recorded list, in id order.

use super::*;
use crate::console::testutil::{FakeServer, Reply, Seen};
use crate::data_sources::testing::{context, recorded, recorded_list};

fn ids(list: &[Component]) -> Vec<&str> {
    list.iter().map(|c| c.id.as_str()).collect()
}

#[test]
fn type_and_tag_select_like_the_consoles_routes() {
    let all = || recorded_list("components.list");
    assert_eq!(
        ids(&select(all(), Some("fabric-ca"), None)),
        ["org1ca", "org1ca_0", "org1ca_1"]
    );
    // As `components.list-by-tag.mixed-case` (GET /components/tags/ORG1) answers.
    assert_eq!(ids(&select(all(), None, Some("ORG1"))), ["org1ca"]);
    assert_eq!(
        ids(&select(all(), Some("fabric-orderer"), Some("tf"))),
        ["orderer1", "orderer2", "orderer3"]
    );
    assert_eq!(
        ids(&select(all(), Some("msp"), Some("tf"))),
        ["org1msp"],
        "both must match"
    );
    assert!(select(all(), None, Some("nosuchtag")).is_empty());
    assert!(select(all(), Some("fabric-peer"), Some("dup")).is_empty());
    let every = select(all(), None, None);
    assert_eq!(every.len(), 13);
    let mut sorted = ids(&every);
    sorted.sort_unstable();
    assert_eq!(ids(&every), sorted, "sorted by id");
}

#[test]
fn the_type_tag_lists_what_the_by_type_route_lists() {
    // The console tags every component with its type (`components.list-by-tag.type-tag`).
    let all = || recorded_list("components.list");
    assert_eq!(
        ids(&select(all(), None, Some("fabric-orderer"))),
        ids(&select(all(), Some("fabric-orderer"), None))
    );
}

#[tokio::test]
async fn a_read_keeps_the_arguments_and_lists_once() {
    let server = FakeServer::start(|_: &Seen, _| {
        let (status, body) = recorded("components.list.deployment-attrs");
        Reply::Json(status, body)
    })
    .await;
    let ctx = context(&server);
    let config = ComponentsModel {
        r#type: Tf::Known("fabric-ca".into()),
        tag: Tf::Known("DUP".into()),
        components: Tf::Null,
    };
    let read = ComponentsDataSource.read(&ctx, config).await.unwrap();
    assert_eq!(read.tag.as_str(), Some("DUP"));
    let found: Vec<&str> = read
        .components
        .known()
        .unwrap()
        .iter()
        .map(|c| c.id.as_str().unwrap())
        .collect();
    assert_eq!(found, ["org1ca_0", "org1ca_1"]);
    let none = ComponentsDataSource
        .read(
            &ctx,
            ComponentsModel {
                r#type: Tf::Known("fabric-peer".into()),
                ..ComponentsModel::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(none.components.known().map(Vec::len), Some(1));
    assert_eq!(server.requests().len(), 1);
}
