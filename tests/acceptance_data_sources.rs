//! Acceptance tests for the data sources (`blockchain_component`, `blockchain_components`,
//! `blockchain_fabric_versions`): the real terraform binary, the provider built by cargo, and
//! the emulator on loopback.

mod support;

use reqwest::Method;
use serde_json::{json, Value as Json};
use support::{provider_block, start_emulator, ConsoleUser, Workspace, TERRAFORM_BLOCK};
use tokio::task::block_in_place;

/// A CA, found by each form of `blockchain_component` and listed by type and by tag, and the
/// Fabric versions the console offers.
fn config(console_url: &str) -> String {
    let provider = provider_block(None, console_url, "  retry_max_wait = \"2s\"\n");
    format!(
        r#"{TERRAFORM_BLOCK}
{provider}
resource "blockchain_ca" "org1" {{
  display_name        = "Org1 CA"
  admin_enroll_id     = "admin"
  admin_enroll_secret = "adminpw-very-secret"
  tags                = ["org1", "tf"]
}}

data "blockchain_component" "by_id" {{
  id = blockchain_ca.org1.id
}}

data "blockchain_component" "by_name" {{
  type         = "fabric-ca"
  display_name = "Org1 CA"
  depends_on   = [blockchain_ca.org1]
}}

data "blockchain_components" "cas" {{
  type       = "fabric-ca"
  depends_on = [blockchain_ca.org1]
}}

data "blockchain_components" "tagged" {{
  tag        = "ORG1"
  depends_on = [blockchain_ca.org1]
}}

data "blockchain_fabric_versions" "offered" {{}}

output "ca_ids" {{
  value = data.blockchain_components.cas.components[*].id
}}
"#
    )
}

/// The values of data source `address` (`data.<type>.<name>`) in the state.
fn data_values(ws: &Workspace, address: &str) -> Json {
    ws.resource_values(address)
        .unwrap_or_else(|| panic!("{address} is not in the state"))
}

/// Terraform wraps long diagnostics: compare without line breaks.
fn flat(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_created_ca_is_found_by_every_form_and_listed_and_versions_are_offered() {
    let emulator = start_emulator(&["region1"]).await;
    let url = emulator.console_url("region1").expect("console url");
    let ws = Workspace::new(&config(&url));

    let out = block_in_place(|| ws.apply());
    out.assert_success("apply");
    let ca = block_in_place(|| ws.resource_values("blockchain_ca.org1")).expect("ca in state");
    assert_eq!(ca["id"], "org1ca");

    // By id: the CA's common fields, as the resource knows them.
    let by_id = block_in_place(|| data_values(&ws, "data.blockchain_component.by_id"));
    assert_eq!(by_id["id"], "org1ca");
    assert_eq!(by_id["type"], "fabric-ca");
    assert_eq!(by_id["display_name"], "Org1 CA");
    for shared in [
        "api_url",
        "operations_url",
        "ca_root_certs",
        "tlsca_root_certs",
        "tls_cert",
    ] {
        assert_eq!(by_id[shared], ca[shared], "{shared}");
    }
    assert!(by_id["ca_root_certs"][0]
        .as_str()
        .is_some_and(|p| p.starts_with("-----BEGIN CERTIFICATE-----")));
    assert_eq!(by_id["location"], "ibm_saas");
    assert_eq!(by_id["imported"], false);
    assert_eq!(by_id["version"], "1.5.5-0");
    assert!(by_id["msp_id"].is_null() && by_id["grpcwp_url"].is_null());
    let tags: Vec<&str> = by_id["tags"]
        .as_array()
        .expect("tags")
        .iter()
        .filter_map(Json::as_str)
        .collect();
    assert_eq!(tags, ["fabric-ca", "ibm_saas", "org1", "tf"]);
    let doc: Json = serde_json::from_str(by_id["json"].as_str().expect("json")).expect("JSON");
    assert_eq!(doc["id"], "org1ca");
    assert_eq!(doc["msp"]["ca"]["name"], "ca");
    assert!(
        !by_id["json"]
            .as_str()
            .unwrap_or_default()
            .contains("adminpw-very-secret"),
        "the console keeps enroll secrets redacted"
    );

    // By type and display name: the same component, the same view.
    let by_name = block_in_place(|| data_values(&ws, "data.blockchain_component.by_name"));
    assert_eq!(by_name, by_id);

    // Listed by type and by tag (in another case than the console keeps it).
    for list in ["cas", "tagged"] {
        let values =
            block_in_place(|| data_values(&ws, &format!("data.blockchain_components.{list}")));
        let items = values["components"].as_array().expect("components");
        assert_eq!(items.len(), 1, "{list}: {items:?}");
        assert_eq!(
            items[0], by_id,
            "{list}: the same view as blockchain_component"
        );
    }

    // What the emulated deployer offers, with its defaults.
    let versions = block_in_place(|| data_values(&ws, "data.blockchain_fabric_versions.offered"));
    assert_eq!(
        versions["ca"],
        json!([{"version": "1.5.5-0", "default": true}])
    );
    assert_eq!(
        versions["peer"],
        json!([{"version": "2.5.12-0", "default": true}])
    );
    assert_eq!(
        versions["orderer"],
        json!([{"version": "2.5.12-0", "default": true}])
    );

    // The next plan is clean, and its reads cost one components list and one versions call,
    // however many data sources read the console.
    let before = emulator.request_count("region1");
    let (plan, _) = block_in_place(|| ws.plan());
    assert_eq!(
        plan.code, 0,
        "plan after apply not empty:\n{}\n{}",
        plan.stdout, plan.stderr
    );
    assert_eq!(
        emulator.request_count("region1") - before,
        2,
        "one list and one versions call per plan"
    );

    // Another console user creates a second CA with the same display name: the console gives
    // it a suffixed id, and the name no longer names one CA.
    let user = ConsoleUser::new(&url);
    let (status, twin) = user
        .send(
            Method::POST,
            "/kubernetes/components/fabric-ca",
            Some(json!({
                "display_name": "Org1 CA",
                "config_override": {"ca": {"registry": {"maxenrollments": -1, "identities": [
                    {"name": "admin2", "pass": "adminpw2", "type": "client"}
                ]}}},
            })),
        )
        .await;
    assert_eq!(status, 200, "{twin}");
    assert_eq!(twin["id"], "org1ca_0");
    let (plan, _) = block_in_place(|| ws.plan());
    assert_eq!(
        plan.code, 1,
        "an ambiguous name fails the plan:\n{}",
        plan.stdout
    );
    let err = flat(&plan.stderr);
    assert!(
        err.contains("Error: Ambiguous display name"),
        "{}",
        plan.stderr
    );
    assert!(
        err.contains("ids \"org1ca\", \"org1ca_0\""),
        "the error names both ids:\n{}",
        plan.stderr
    );
    // Terraform quotes the configuration line of the attribute the diagnostic points at.
    assert!(
        err.contains("in data \"blockchain_component\" \"by_name\"")
            && err.contains("display_name = \"Org1 CA\""),
        "{}",
        plan.stderr
    );

    // Both are listed, in id order.
    let lists = Workspace::new(&format!(
        "{TERRAFORM_BLOCK}\n{}\ndata \"blockchain_components\" \"cas\" {{\n  type = \"fabric-ca\"\n}}\n\noutput \"ids\" {{\n  value = data.blockchain_components.cas.components[*].id\n}}\n",
        provider_block(None, &url, "")
    ));
    block_in_place(|| lists.apply()).assert_success("apply the lists");
    let ids = block_in_place(|| lists.tf(&["output", "-json", "ids"]));
    let ids: Json = serde_json::from_str(&ids.stdout).expect("output json");
    assert_eq!(ids, json!(["org1ca", "org1ca_0"]));

    // Removing the twin makes the name unique again.
    let (status, body) = user
        .send(Method::DELETE, "/kubernetes/components/org1ca_0", None)
        .await;
    assert_eq!(status, 200, "{body}");
    let (plan, _) = block_in_place(|| ws.plan());
    assert_eq!(
        plan.code, 0,
        "plan without the twin:\n{}\n{}",
        plan.stdout, plan.stderr
    );

    block_in_place(|| ws.destroy()).assert_success("destroy");
    assert!(support::ca_ids(&emulator, "region1").await.is_empty());
    emulator.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_id_and_invalid_lookups_are_errors_at_their_attribute() {
    let emulator = start_emulator(&["region1"]).await;
    let url = emulator.console_url("region1").expect("console url");
    let provider = provider_block(None, &url, "");

    // Invalid lookups stop at validation: nothing reaches the console.
    let invalid = [
        (
            "data \"blockchain_component\" \"x\" {\n  id   = \"org1ca\"\n  type = \"fabric-ca\"\n}\n",
            "Conflicting lookup",
            "type = \"fabric-ca\"",
        ),
        (
            "data \"blockchain_component\" \"x\" {\n  display_name = \"Org1 CA\"\n}\n",
            "Missing type",
            "in data \"blockchain_component\" \"x\"",
        ),
        (
            "data \"blockchain_component\" \"x\" {\n  type = \"fabric-ca\"\n}\n",
            "Missing display_name",
            "in data \"blockchain_component\" \"x\"",
        ),
        (
            "data \"blockchain_component\" \"x\" {}\n",
            "Missing lookup",
            "in data \"blockchain_component\" \"x\"",
        ),
        (
            "data \"blockchain_components\" \"x\" {\n  type = \"fabric-console\"\n}\n",
            "fabric-console",
            "type = \"fabric-console\"",
        ),
    ];
    for (block, summary, quoted) in invalid {
        let ws = Workspace::new(&format!("{TERRAFORM_BLOCK}\n{provider}\n{block}"));
        let out = block_in_place(|| ws.tf(&["plan"]));
        assert_eq!(out.code, 1, "{block} must fail:\n{}", out.stdout);
        let err = flat(&out.stderr);
        assert!(err.contains(summary), "{block}:\n{}", out.stderr);
        assert!(
            err.contains(quoted),
            "{block} points at {quoted}:\n{}",
            out.stderr
        );
    }
    assert_eq!(
        emulator.request_count("region1"),
        0,
        "invalid lookups must not reach the console"
    );

    // A well-formed id the console does not have: the error names the id and its attribute.
    let ws = Workspace::new(&format!(
        "{TERRAFORM_BLOCK}\n{provider}\ndata \"blockchain_component\" \"gone\" {{\n  id = \"doesnotexist\"\n}}\n"
    ));
    let out = block_in_place(|| ws.tf(&["plan"]));
    assert_eq!(out.code, 1, "{}", out.stdout);
    let err = flat(&out.stderr);
    assert!(err.contains("Error: Component not found"), "{}", out.stderr);
    assert!(
        err.contains("has no component with id \"doesnotexist\""),
        "{}",
        out.stderr
    );
    assert!(err.contains("id = \"doesnotexist\""), "{}", out.stderr);

    // And a display name nothing has.
    let ws = Workspace::new(&format!(
        "{TERRAFORM_BLOCK}\n{provider}\ndata \"blockchain_component\" \"nobody\" {{\n  type         = \"msp\"\n  display_name = \"Nobody\"\n}}\n"
    ));
    let out = block_in_place(|| ws.tf(&["plan"]));
    assert_eq!(out.code, 1, "{}", out.stdout);
    let err = flat(&out.stderr);
    assert!(
        err.contains("has no msp component with display name \"Nobody\""),
        "{}",
        out.stderr
    );
    assert!(err.contains("display_name = \"Nobody\""), "{}", out.stderr);
    emulator.shutdown().await;
}
