//! The view of recorded console documents: every common field, certificates as PEM, and a
//! stable JSON document.

use super::*;
use crate::data_sources::testing::{recorded_component, recorded_list};

fn is_pem_list(v: &Tf<Vec<String>>) -> bool {
    v.known().is_some_and(|l| {
        !l.is_empty()
            && l.iter()
                .all(|p| p.starts_with("-----BEGIN CERTIFICATE-----"))
    })
}

#[test]
fn a_recorded_ca_shows_its_fields_and_pem_roots() {
    let v = ComponentView::of(&recorded_component("components.get.ca"));
    assert_eq!(v.id.as_str(), Some("org1ca"));
    assert_eq!(v.r#type.as_str(), Some("fabric-ca"));
    assert_eq!(v.display_name.as_str(), Some("Org1 CA"));
    assert_eq!(v.api_url.as_str(), Some("https://127.0.0.1:27054"));
    assert_eq!(v.operations_url.as_str(), Some("https://127.0.0.1:29443"));
    assert!(v.grpcwp_url.is_null() && v.msp_id.is_null() && v.version.is_null());
    assert_eq!(v.location.as_str(), Some("-"));
    assert_eq!(v.imported, Tf::Known(true));
    let tags: Vec<&str> = v.tags.known().unwrap().iter().map(String::as_str).collect();
    assert_eq!(tags, ["fabric-ca", "org1", "tf"]);
    assert!(is_pem_list(&v.ca_root_certs), "{:?}", v.ca_root_certs);
    assert!(is_pem_list(&v.tlsca_root_certs));
    assert_ne!(v.ca_root_certs, v.tlsca_root_certs);
    assert!(v
        .tls_cert
        .as_str()
        .unwrap()
        .starts_with("-----BEGIN CERTIFICATE-----"));
    let doc: Json = serde_json::from_str(v.json.as_str().unwrap()).unwrap();
    assert_eq!(doc["id"], "org1ca");
    assert_eq!(doc["msp"]["ca"]["name"], "ca");
    assert_eq!(
        doc["scheme_version"], "v1",
        "fields the view has no attribute for"
    );
}

#[test]
fn an_msp_record_keeps_its_roots_at_the_top_level() {
    let v = ComponentView::of(&recorded_component("components.get.msp"));
    assert_eq!(v.r#type.as_str(), Some("msp"));
    assert_eq!(v.msp_id.as_str(), Some("Org1MSP"));
    assert!(v.api_url.is_null() && v.tls_cert.is_null());
    assert!(is_pem_list(&v.ca_root_certs));
    assert!(is_pem_list(&v.tlsca_root_certs));
    // A raw PEM, stored as given, is shown as it is.
    let raw = ComponentView::of(&recorded_component("components.get.msp-raw-pem"));
    assert!(is_pem_list(&raw.ca_root_certs), "{:?}", raw.ca_root_certs);
}

#[test]
fn a_peer_shows_its_grpc_web_proxy_and_msp_id() {
    let v = ComponentView::of(&recorded_component("components.get.peer.deployment-attrs"));
    assert_eq!(v.r#type.as_str(), Some("fabric-peer"));
    assert_eq!(v.msp_id.as_str(), Some("Org1MSP"));
    assert_eq!(v.grpcwp_url.as_str(), Some("https://127.0.0.1:27443"));
    assert!(v.api_url.as_str().unwrap().starts_with("grpcs://"));
}

#[test]
fn a_deployed_component_is_not_imported() {
    let mut c = recorded_component("components.get.ca");
    c.imported = Some(false);
    c.location = Some("ibm_saas".into());
    assert_eq!(ComponentView::of(&c).imported, Tf::Known(false));
    // Without the flag, the location decides.
    c.imported = None;
    assert_eq!(ComponentView::of(&c).imported, Tf::Known(false));
    c.location = Some("-".into());
    assert_eq!(ComponentView::of(&c).imported, Tf::Known(true));
}

#[test]
fn the_json_document_does_not_depend_on_the_consoles_key_order() {
    let c = recorded_component("components.get.orderer");
    let doc = serde_json::to_value(&c).unwrap();
    // The same document with every object's keys reversed.
    fn reversed(v: Json) -> Json {
        match v {
            Json::Object(m) => {
                let mut entries: Vec<(String, Json)> = m.into_iter().collect();
                entries.reverse();
                Json::Object(entries.into_iter().map(|(k, v)| (k, reversed(v))).collect())
            }
            Json::Array(a) => Json::Array(a.into_iter().map(reversed).collect()),
            other => other,
        }
    }
    let shuffled: Component = serde_json::from_value(reversed(doc)).unwrap();
    let (a, b) = (ComponentView::of(&c), ComponentView::of(&shuffled));
    assert_eq!(a.json, b.json);
    assert_eq!(a, b);
    assert!(a.json.as_str().unwrap().starts_with("{\"api_url\":"));
}

#[test]
fn tags_match_in_lower_case_and_lists_sort_by_id() {
    let all = recorded_list("components.list");
    let tagged: Vec<&str> = all
        .iter()
        .filter(|c| has_tag(c, "ORG1"))
        .map(|c| c.id.as_str())
        .collect();
    assert_eq!(tagged, ["org1ca"]);
    let ids: Vec<String> = sorted_by_id(all).into_iter().map(|c| c.id).collect();
    let mut expected = ids.clone();
    expected.sort();
    assert_eq!(ids, expected);
    assert_eq!(ids.len(), 13);
}
