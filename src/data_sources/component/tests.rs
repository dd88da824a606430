//! `blockchain_component`: the two lookup forms at validate time, the answers for one, none
//! and several namesakes in the recorded list, and the calls a read makes.

use super::*;
use crate::console::testutil::{FakeServer, Reply, Seen};
use crate::data_sources::testing::{context, recorded, recorded_list};
use crate::framework::{Severity, Tf};

fn lookup(id: Tf<String>, ty: Tf<String>, name: Tf<String>) -> ComponentView {
    ComponentView {
        id,
        r#type: ty,
        display_name: name,
        ..ComponentView::default()
    }
}

/// The one diagnostic of validating `config`: (summary, attribute).
fn validated(config: &ComponentView) -> Vec<(String, String)> {
    let mut diags = Diagnostics::new();
    ComponentDataSource.validate_config(config, &mut diags);
    diags
        .iter()
        .map(|d| {
            assert_eq!(d.severity, Severity::Error);
            (
                d.summary.clone(),
                d.attribute
                    .as_ref()
                    .map(ToString::to_string)
                    .unwrap_or_default(),
            )
        })
        .collect()
}

#[test]
fn exactly_one_form_is_accepted_and_errors_point_at_the_attribute() {
    let n = || Tf::Null;
    let s = |v: &str| Tf::Known(v.to_string());
    assert!(validated(&lookup(s("org1ca"), n(), n())).is_empty());
    assert!(validated(&lookup(n(), s("fabric-ca"), s("Org1 CA"))).is_empty());
    let one = |config| {
        let d = validated(&config);
        assert_eq!(d.len(), 1, "{d:?}");
        d.into_iter().next().unwrap()
    };
    let (summary, at) = one(lookup(s("org1ca"), s("fabric-ca"), n()));
    assert_eq!(
        (summary.as_str(), at.as_str()),
        ("Conflicting lookup", "type")
    );
    let (_, at) = one(lookup(s("org1ca"), n(), s("Org1 CA")));
    assert_eq!(at, "display_name");
    let (_, at) = one(lookup(n(), s("fabric-ca"), n()));
    assert_eq!(at, "display_name");
    let (summary, at) = one(lookup(n(), n(), s("Org1 CA")));
    assert_eq!((summary.as_str(), at.as_str()), ("Missing type", "type"));
    let (summary, at) = one(lookup(n(), n(), n()));
    assert_eq!((summary.as_str(), at.as_str()), ("Missing lookup", "id"));
    // Known only at apply: judged then.
    assert!(validated(&lookup(Tf::Unknown, s("fabric-ca"), n())).is_empty());
    assert!(validated(&lookup(n(), s("fabric-ca"), Tf::Unknown)).is_empty());
}

#[test]
fn the_lookup_attributes_are_arguments_and_the_rest_is_read_only() {
    let schema = ComponentDataSource.schema();
    for a in &schema.block.attributes {
        let argument = ["id", "type", "display_name"].contains(&a.name.as_str());
        assert_eq!(a.optional, argument, "{}", a.name);
        assert!(a.computed && !a.required, "{}", a.name);
        assert!(!a.description.is_empty(), "{}", a.name);
    }
    assert_eq!(
        schema.implied_type(),
        ComponentView::block().implied_type(),
        "the same model decodes it"
    );
    let ty = schema
        .block
        .attributes
        .iter()
        .find(|a| a.name == "type")
        .unwrap();
    assert!(
        !ty.validators.is_empty(),
        "type is checked against the console's types"
    );
}

#[test]
fn one_namesake_is_found_and_none_or_several_are_errors_at_display_name() {
    let all = recorded_list("components.list");
    let url = "https://console.example.org";
    let peer = one_namesake(&all, "fabric-peer", "Peer0 Org1", url).unwrap();
    assert_eq!(peer.id, "peer0org1");
    // A display name names one component per type: the MSP "Org1 MSP" is no CA.
    let err = one_namesake(&all, "fabric-ca", "Org1 MSP", url).unwrap_err();
    let d = err.iter().next().unwrap();
    assert_eq!(d.summary, "Component not found");
    assert_eq!(d.attribute, Some(attr!(ComponentView, display_name)));
    assert!(
        d.detail.contains("\"Org1 CA\""),
        "suggests the CAs: {}",
        d.detail
    );
    let err = one_namesake(&all, "fabric-ca", "org1 ca", url).unwrap_err();
    assert!(err.iter().next().unwrap().detail.contains("case included"));
    // The recording holds three CAs named "Org1 CA" (athena suffixed their ids).
    let err = one_namesake(&all, "fabric-ca", "Org1 CA", url).unwrap_err();
    let d = err.iter().next().unwrap();
    assert_eq!(d.summary, "Ambiguous display name");
    assert_eq!(d.attribute, Some(attr!(ComponentView, display_name)));
    assert!(
        d.detail
            .contains("3 fabric-ca components on the console at https://console.example.org"),
        "{}",
        d.detail
    );
    assert!(
        d.detail
            .contains("ids \"org1ca\", \"org1ca_0\", \"org1ca_1\""),
        "{}",
        d.detail
    );
    let err = one_namesake(&all, "fabric-peer", "Nobody", url).unwrap_err();
    assert!(err.iter().next().unwrap().detail.contains("\"Peer0 Org1\""));
    let err = one_namesake(&[], "fabric-peer", "Nobody", url).unwrap_err();
    assert!(err
        .iter()
        .next()
        .unwrap()
        .detail
        .contains("no fabric-peer component at all"));
}

/// A console holding the recorded list; single GETs of other ids are 404.
fn console(seen: &Seen, _: usize) -> Reply {
    let path = seen.target.split('?').next().unwrap_or_default();
    if path == "/ak/api/v3/components" {
        let (status, body) = recorded("components.list.deployment-attrs");
        return Reply::Json(status, body);
    }
    let (status, body) = recorded("components.get.missing.cache-skip");
    Reply::Json(status, body)
}

#[tokio::test]
async fn a_read_by_id_or_name_costs_the_one_shared_list() {
    let server = FakeServer::start(console).await;
    let ctx = context(&server);
    let s = |v: &str| Tf::Known(v.to_string());
    let by_id = ComponentDataSource
        .read(&ctx, lookup(s("org1msp"), Tf::Null, Tf::Null))
        .await
        .unwrap();
    assert_eq!(by_id.msp_id.as_str(), Some("Org1MSP"));
    let by_name = ComponentDataSource
        .read(&ctx, lookup(Tf::Null, s("fabric-orderer"), s("Orderer2")))
        .await
        .unwrap();
    assert_eq!(by_name.id.as_str(), Some("orderer2"));
    assert_eq!(server.requests().len(), 1, "{:?}", server.requests());
    assert!(server.requests()[0]
        .target
        .contains("deployment_attrs=included"));
}

#[tokio::test]
async fn not_found_is_confirmed_by_the_console_before_it_is_an_error() {
    let server = FakeServer::start(console).await;
    let ctx = context(&server);
    let s = |v: &str| Tf::Known(v.to_string());
    let err = ComponentDataSource
        .read(&ctx, lookup(s("doesnotexist"), Tf::Null, Tf::Null))
        .await
        .unwrap_err();
    let d = err.iter().next().unwrap();
    assert_eq!(d.summary, "Component not found");
    assert_eq!(d.attribute, Some(attr!(ComponentView, id)));
    assert!(
        d.detail.contains("no component with id \"doesnotexist\""),
        "{}",
        d.detail
    );
    // The id missing from the list was asked for directly.
    assert_eq!(server.count("GET", "/ak/api/v3/components/doesnotexist"), 1);

    let err = ComponentDataSource
        .read(&ctx, lookup(Tf::Null, s("fabric-ca"), s("Org1 CA")))
        .await
        .unwrap_err();
    assert_eq!(err.iter().next().unwrap().summary, "Ambiguous display name");
    // The shared list, then one fresh list to be sure.
    assert_eq!(server.count("GET", "/ak/api/v3/components"), 2);
}

#[tokio::test]
async fn a_console_failure_says_which_console_and_what() {
    let server = FakeServer::start(|_: &Seen, _| {
        let (status, body) = recorded("auth.list.wrong-secret");
        Reply::Json(status, body)
    })
    .await;
    let ctx = context(&server);
    let err = ComponentDataSource
        .read(
            &ctx,
            lookup(
                Tf::Null,
                Tf::Known("msp".into()),
                Tf::Known("Org1 MSP".into()),
            ),
        )
        .await
        .unwrap_err();
    let d = err.iter().next().unwrap();
    assert_eq!(d.summary, "Cannot read the console's components");
    assert!(
        d.detail.contains(server.url.as_str().trim_end_matches('/')),
        "{}",
        d.detail
    );
    assert!(d.detail.contains("api_key"), "advice: {}", d.detail);
}
