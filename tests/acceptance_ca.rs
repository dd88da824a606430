//! Acceptance tests for `blockchain_ca`: the real terraform binary, the provider built by cargo,
//! and the emulator on loopback.

mod support;

use reqwest::Method;
use serde_json::json;
use support::{
    planned_changes, provider_block, start_emulator, ConsoleUser, Workspace, API_SECRET,
    TERRAFORM_BLOCK,
};
use tokio::task::block_in_place;

fn config(console_url: &str, display_name: &str, extra: &str) -> String {
    let provider = provider_block(None, console_url, "  retry_max_wait = \"2s\"\n");
    format!(
        r#"{TERRAFORM_BLOCK}
{provider}
resource "blockchain_ca" "org1" {{
  display_name        = "{display_name}"
  admin_enroll_id     = "admin"
  admin_enroll_secret = "adminpw-very-secret"
  tags                = ["org1", "tf"]
  zone                = "zone-a"
{extra}
  timeouts {{
    create = "2m"
  }}
}}
"#
    )
}

async fn ca_ids(emulator: &blockchain_emulator::Emulator) -> Vec<String> {
    support::ca_ids(emulator, "region1").await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ca_lifecycle_apply_plan_import_drift_destroy() {
    let emulator = start_emulator(&["region1"]).await;
    let url = emulator.console_url("region1").expect("console url");
    let ws = Workspace::new(&config(&url, "Org1 CA", ""));

    // Apply creates exactly one CA, and it answers /cainfo.
    let out = block_in_place(|| ws.apply());
    out.assert_success("apply");
    assert!(
        out.stdout.contains("Apply complete! Resources: 1 added"),
        "{}",
        out.stdout
    );
    assert_eq!(ca_ids(&emulator).await, vec!["org1ca".to_string()]);
    assert!(
        !out.stdout.contains("adminpw-very-secret") && !out.stderr.contains("adminpw-very-secret")
    );

    let applied = block_in_place(|| ws.resource_values("blockchain_ca.org1")).expect("ca in state");
    assert_eq!(applied["id"], "org1ca");
    assert_eq!(applied["ca_name"], "ca");
    assert_eq!(applied["tlsca_name"], "tlsca");
    assert!(applied["api_url"]
        .as_str()
        .unwrap_or_default()
        .starts_with("https://127.0.0.1:"));
    assert!(applied["ca_root_certs"][0]
        .as_str()
        .unwrap_or_default()
        .starts_with("-----BEGIN CERTIFICATE-----"));
    // Write-only secrets never reach the state file.
    assert!(applied["admin_enroll_secret"].is_null());
    assert!(applied["admin_enroll_id"].is_null());
    let state_file =
        std::fs::read_to_string(ws.path().join("terraform.tfstate")).expect("state file");
    assert!(!state_file.contains("adminpw-very-secret"));
    let export: serde_json::Value =
        serde_json::from_str(applied["export_json"].as_str().expect("export_json"))
            .expect("export is JSON");
    assert_eq!(export["type"], "fabric-ca");
    assert_eq!(export["display_name"], "Org1 CA");
    assert_eq!(export["msp"]["ca"]["name"], "ca");

    // The plan right after apply is empty.
    let (plan, _) = block_in_place(|| ws.plan());
    assert_eq!(
        plan.code, 0,
        "plan after apply not empty:\n{}\n{}",
        plan.stdout, plan.stderr
    );

    // Import into a fresh state yields the same attributes.
    // (without a timeouts block: that is configuration, not a property of the CA)
    let import_ws = Workspace::new(
        &config(&url, "Org1 CA", "").replace("  timeouts {\n    create = \"2m\"\n  }\n", ""),
    );
    block_in_place(|| import_ws.tf(&["import", "blockchain_ca.org1", "org1ca"]))
        .assert_success("import");
    let imported =
        block_in_place(|| import_ws.resource_values("blockchain_ca.org1")).expect("imported ca");
    for (key, value) in applied.as_object().expect("object") {
        if key == "timeouts" {
            continue; // configuration-only, not a property of the CA
        }
        assert_eq!(&imported[key], value, "imported attribute {key} differs");
    }
    let (plan, _) = block_in_place(|| import_ws.plan());
    assert_eq!(
        plan.code, 0,
        "plan after import not empty:\n{}\n{}",
        plan.stdout, plan.stderr
    );

    // Drift: another console user renames the CA and moves it to another zone.
    let user = ConsoleUser::new(&url);
    let (status, body) = user
        .send(
            Method::PUT,
            "/components/fabric-ca/org1ca",
            Some(json!({"display_name": "Renamed"})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = user
        .send(
            Method::PUT,
            "/kubernetes/components/fabric-ca/org1ca",
            Some(json!({"zone": "zone-b"})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (plan, json) = block_in_place(|| ws.plan());
    assert_eq!(
        plan.code, 2,
        "drift not detected:\n{}\n{}",
        plan.stdout, plan.stderr
    );
    let json = json.expect("plan json");
    let changes = planned_changes(&json);
    assert_eq!(changes.len(), 1, "{changes:?}");
    assert_eq!(changes[0].1, vec!["update".to_string()], "{}", plan.stdout);
    assert_eq!(
        changes[0].2,
        vec!["display_name".to_string(), "zone".to_string()]
    );

    // Apply repairs it; the plan is empty again.
    block_in_place(|| ws.apply()).assert_success("apply after drift");
    let (_, body) = user
        .send(
            Method::GET,
            "/components/org1ca?deployment_attrs=included&cache=skip",
            None,
        )
        .await;
    assert_eq!(body["display_name"], "Org1 CA");
    let (plan, _) = block_in_place(|| ws.plan());
    assert_eq!(
        plan.code, 0,
        "plan after repair not empty:\n{}",
        plan.stdout
    );

    // Destroy leaves nothing behind.
    block_in_place(|| ws.destroy()).assert_success("destroy");
    assert!(ca_ids(&emulator).await.is_empty());
    emulator.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ca_deleted_behind_terraforms_back_is_planned_for_creation() {
    let emulator = start_emulator(&["region1"]).await;
    let url = emulator.console_url("region1").expect("console url");
    let ws = Workspace::new(&config(&url, "Gone CA", ""));
    block_in_place(|| ws.apply()).assert_success("apply");
    let user = ConsoleUser::new(&url);
    let (status, body) = user
        .send(Method::DELETE, "/kubernetes/components/goneca", None)
        .await;
    assert_eq!(status, 200, "{body}");
    let (plan, json) = block_in_place(|| ws.plan());
    assert_eq!(plan.code, 2, "{}", plan.stdout);
    let changes = planned_changes(&json.expect("plan json"));
    assert_eq!(changes[0].1, vec!["create".to_string()], "{changes:?}");
    block_in_place(|| ws.destroy()).assert_success("destroy");
    emulator.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn storage_change_forces_replacement_and_display_name_updates_in_place() {
    let emulator = start_emulator(&["region1"]).await;
    let url = emulator.console_url("region1").expect("console url");
    let ws = Workspace::new(&config(&url, "Store CA", "  storage_size = \"10Gi\"\n"));
    block_in_place(|| ws.apply()).assert_success("apply");

    ws.write(
        "main.tf",
        &config(&url, "Store CA", "  storage_size = \"30Gi\"\n"),
    );
    let (plan, json) = block_in_place(|| ws.plan());
    assert_eq!(plan.code, 2);
    assert!(
        plan.stdout.contains("forces replacement"),
        "{}",
        plan.stdout
    );
    let changes = planned_changes(&json.expect("plan json"));
    assert_eq!(
        changes[0].1,
        vec!["delete".to_string(), "create".to_string()],
        "{changes:?}"
    );

    ws.write(
        "main.tf",
        &config(&url, "Store CA v2", "  storage_size = \"10Gi\"\n"),
    );
    let (plan, json) = block_in_place(|| ws.plan());
    assert_eq!(plan.code, 2);
    let changes = planned_changes(&json.expect("plan json"));
    assert_eq!(changes[0].1, vec!["update".to_string()], "{changes:?}");
    block_in_place(|| ws.apply()).assert_success("rename");
    assert_eq!(ca_ids(&emulator).await.len(), 1);
    block_in_place(|| ws.destroy()).assert_success("destroy");
    assert!(ca_ids(&emulator).await.is_empty());
    emulator.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_input_fails_at_plan_with_the_attribute_and_sends_nothing() {
    let emulator = start_emulator(&["region1"]).await;
    let url = emulator.console_url("region1").expect("console url");
    let cases = [
        (config(&url, "", ""), "display_name"),
        (
            config(&url, "Org1 CA", "").replace("create = \"2m\"", "create = \"ten minutes\""),
            "create",
        ),
        (
            config(&url, "Org1 CA", "").replace(&url, "not a url"),
            "console_url",
        ),
        (
            config(
                &url,
                "Org1 CA",
                "  resource_requests = { cpu = \"lots\" }\n",
            ),
            "resource_requests",
        ),
        (
            config(&url, "Org1 CA", "").replace("adminpw-very-secret", "pw"),
            "admin_enroll_secret",
        ),
    ];
    for (main_tf, attribute) in cases {
        let ws = Workspace::new(&main_tf);
        let out = block_in_place(|| ws.tf(&["plan"]));
        assert_eq!(
            out.code, 1,
            "plan should fail for {attribute}:\n{}",
            out.stdout
        );
        assert!(out.stderr.contains("Error"), "{}", out.stderr);
        assert!(
            out.stderr.contains(attribute),
            "diagnostic does not point at {attribute}:\n{}",
            out.stderr
        );
    }
    assert_eq!(
        emulator.request_count("region1"),
        0,
        "invalid configurations must not reach the console"
    );
    emulator.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rate_limit_storm_and_lost_create_response_still_make_exactly_one_ca() {
    let emulator = start_emulator(&["region1"]).await;
    let url = emulator.console_url("region1").expect("console url");
    let faults = emulator.faults("region1").expect("fault injector");

    faults.rate_limit_burst(4, 1);
    let ws = Workspace::new(&config(&url, "Storm CA", ""));
    block_in_place(|| ws.apply()).assert_success("apply under 429s");
    assert_eq!(ca_ids(&emulator).await, vec!["stormca".to_string()]);
    block_in_place(|| ws.destroy()).assert_success("destroy");

    faults.clear();
    faults.lose_next_create_response();
    let ws = Workspace::new(&config(&url, "Lost CA", ""));
    block_in_place(|| ws.apply()).assert_success("apply with a lost create response");
    assert_eq!(ca_ids(&emulator).await, vec!["lostca".to_string()]);
    let (plan, _) = block_in_place(|| ws.plan());
    assert_eq!(plan.code, 0, "{}", plan.stdout);
    block_in_place(|| ws.destroy()).assert_success("destroy");
    assert!(ca_ids(&emulator).await.is_empty());
    emulator.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_aliased_providers_manage_cas_in_two_consoles() {
    let emulator = start_emulator(&["region1", "region2"]).await;
    let url1 = emulator.console_url("region1").expect("url1");
    let url2 = emulator.console_url("region2").expect("url2");
    let east_provider = provider_block(Some("east"), &url1, "");
    let west_provider = provider_block(Some("west"), &url2, "");
    let main_tf = format!(
        r#"{TERRAFORM_BLOCK}
{east_provider}
{west_provider}
resource "blockchain_ca" "east" {{
  provider            = blockchain.east
  display_name        = "East CA"
  admin_enroll_id     = "admin"
  admin_enroll_secret = "adminpw"
}}
resource "blockchain_ca" "west" {{
  provider            = blockchain.west
  display_name        = "West CA"
  admin_enroll_id     = "admin"
  admin_enroll_secret = "adminpw"
}}
"#
    );
    let ws = Workspace::new(&main_tf);
    block_in_place(|| ws.apply()).assert_success("apply");
    let east: Vec<String> = emulator
        .components("region1")
        .await
        .iter()
        .filter_map(|c| c["id"].as_str().map(str::to_string))
        .collect();
    let west: Vec<String> = emulator
        .components("region2")
        .await
        .iter()
        .filter_map(|c| c["id"].as_str().map(str::to_string))
        .collect();
    assert_eq!(east, vec!["eastca".to_string()]);
    assert_eq!(west, vec!["westca".to_string()]);
    let (plan, _) = block_in_place(|| ws.plan());
    assert_eq!(plan.code, 0);
    block_in_place(|| ws.destroy()).assert_success("destroy");
    assert!(emulator.components("region1").await.is_empty());
    assert!(emulator.components("region2").await.is_empty());
    emulator.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn provider_schema_through_dev_overrides_lists_blockchain_ca_with_descriptions() {
    let ws = Workspace::new(&config("http://127.0.0.1:9", "Org1 CA", ""));
    let out = block_in_place(|| ws.tf(&["providers", "schema", "-json"]));
    out.assert_success("providers schema -json");
    let schema: serde_json::Value = serde_json::from_str(&out.stdout).expect("schema JSON");
    let provider = &schema["provider_schemas"]["registry.terraform.io/ibm-blockchain/blockchain"];
    let ca = &provider["resource_schemas"]["blockchain_ca"]["block"];
    let attributes = ca["attributes"]
        .as_object()
        .expect("blockchain_ca attributes");
    assert!(attributes.len() >= 20, "{attributes:?}");
    for (name, attr) in attributes {
        let description = attr["description"].as_str().unwrap_or_default();
        assert!(description.len() > 10, "{name} has no real description");
    }
    assert_eq!(attributes["admin_enroll_secret"]["sensitive"], true);
    assert_eq!(attributes["admin_enroll_secret"]["write_only"], true);
    assert!(ca["block_types"]["timeouts"].is_object());
    assert!(provider["provider"]["block"]["attributes"]["console_url"]["description"].is_string());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secrets_never_reach_provider_logs_plans_or_state() {
    let emulator = start_emulator(&["region1"]).await;
    let url = emulator.console_url("region1").expect("console url");
    let mut ws = Workspace::new(&config(&url, "Quiet CA", ""));
    // The provider logs at TRACE to Terraform's stderr; the API secret and the CA admin secret
    // must appear nowhere in it.
    ws.set_env("TF_LOG_PROVIDER", "TRACE");
    let apply = block_in_place(|| ws.apply());
    apply.assert_success("apply");
    assert!(
        apply
            .stderr
            .contains("provider.terraform-provider-blockchain")
            && apply.stderr.contains("console answered"),
        "the provider's TRACE logs were not captured:\n{}",
        support::tail(&apply.stderr)
    );
    let (plan, json) = block_in_place(|| ws.plan());
    assert_eq!(plan.code, 0, "{}", plan.stdout);
    let state_file = std::fs::read_to_string(ws.path().join("terraform.tfstate")).expect("state");
    for secret in ["adminpw-very-secret", API_SECRET] {
        assert!(!apply.stdout.contains(secret), "{secret} in apply output");
        assert!(!apply.stderr.contains(secret), "{secret} in provider logs");
        assert!(!plan.stdout.contains(secret), "{secret} in plan output");
        // What the provider contributes to a plan (the plan JSON's "configuration" section
        // echoes literal constants from main.tf, which is the user's text, not ours).
        let plan_json = json.as_ref().expect("plan JSON");
        for section in ["planned_values", "resource_changes", "prior_state"] {
            assert!(
                !plan_json[section].to_string().contains(secret),
                "{secret} in the plan's {section}"
            );
        }
        assert!(!state_file.contains(secret), "{secret} in state");
    }
    block_in_place(|| ws.destroy()).assert_success("destroy");
    emulator.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_errors_and_dropped_connections_are_retried_to_one_ca() {
    let emulator = start_emulator(&["region1"]).await;
    let url = emulator.console_url("region1").expect("console url");
    let faults = emulator.faults("region1").expect("fault injector");
    faults.server_errors(2, 503).drop_connections(2);
    let ws = Workspace::new(&config(&url, "Flaky CA", ""));
    block_in_place(|| ws.apply()).assert_success("apply through 503s and dropped connections");
    assert_eq!(ca_ids(&emulator).await, vec!["flakyca".to_string()]);
    faults.server_errors(2, 502);
    let (plan, _) = block_in_place(|| ws.plan());
    assert_eq!(
        plan.code, 0,
        "a refresh through 502s must still see no change:\n{}\n{}",
        plan.stdout, plan.stderr
    );
    block_in_place(|| ws.destroy()).assert_success("destroy");
    assert!(ca_ids(&emulator).await.is_empty());
    emulator.shutdown().await;
}

/// The identity rule: a display name names one CA on a console. Resources that all name one
/// CA never share it and never make duplicates: one creates it, the others are refused with
/// the id to import.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parallel_creates_with_one_display_name_make_one_ca_and_refuse_the_rest() {
    let emulator = start_emulator(&["region1"]).await;
    let url = emulator.console_url("region1").expect("console url");
    let main_tf = config(&url, "Twin CA", "").replace(
        "resource \"blockchain_ca\" \"org1\" {",
        "resource \"blockchain_ca\" \"org1\" {\n  count = 3",
    );
    let ws = Workspace::new(&main_tf);
    let out = block_in_place(|| ws.tf(&["apply", "-auto-approve", "-parallelism=10"]));
    assert_eq!(
        out.code, 1,
        "two of the three must be refused:\n{}",
        out.stdout
    );
    assert_eq!(
        out.stderr
            .matches("A CA named \"Twin CA\" already exists")
            .count(),
        2,
        "{}",
        out.stderr
    );
    // Terraform wraps diagnostics: compare without line breaks.
    let flat = out.stderr.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        flat.contains("terraform import <resource address> twinca"),
        "{}",
        out.stderr
    );
    assert_eq!(
        ca_ids(&emulator).await,
        vec!["twinca".to_string()],
        "exactly one CA"
    );
    let state = block_in_place(|| ws.state());
    let held: Vec<&str> = state["values"]["root_module"]["resources"]
        .as_array()
        .map(|r| {
            r.iter()
                .filter_map(|r| r["values"]["id"].as_str())
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(held, vec!["twinca"], "one resource holds it");
    block_in_place(|| ws.destroy()).assert_success("destroy");
    assert!(ca_ids(&emulator).await.is_empty());
    emulator.shutdown().await;
}

/// A lost create answer among same-named creates: the adopted CA is held by one resource only.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_create_answer_among_same_named_creates_never_shares_a_ca() {
    let emulator = start_emulator(&["region1"]).await;
    let url = emulator.console_url("region1").expect("console url");
    emulator
        .faults("region1")
        .expect("fault injector")
        .lose_next_create_response();
    let main_tf = config(&url, "Same CA", "").replace(
        "resource \"blockchain_ca\" \"org1\" {",
        "resource \"blockchain_ca\" \"org1\" {\n  count = 4",
    );
    let ws = Workspace::new(&main_tf);
    let out = block_in_place(|| ws.tf(&["apply", "-auto-approve", "-parallelism=10"]));
    assert_eq!(out.code, 1, "{}", out.stdout);
    assert_eq!(ca_ids(&emulator).await, vec!["sameca".to_string()]);
    let state = block_in_place(|| ws.state());
    let held: Vec<&str> = state["values"]["root_module"]["resources"]
        .as_array()
        .map(|r| {
            r.iter()
                .filter_map(|r| r["values"]["id"].as_str())
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(held, vec!["sameca"], "never two resources on one CA");
    block_in_place(|| ws.destroy()).assert_success("destroy");
    assert!(ca_ids(&emulator).await.is_empty());
    emulator.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_hsm_ca_imports_without_a_replacement_and_tag_edits_keep_console_tags() {
    let emulator = start_emulator(&["region1"]).await;
    let url = emulator.console_url("region1").expect("console url");
    let hsm = "  hsm_pkcs11_endpoint = \"tcp://hsm.example.org:2347\"\n";
    let ws = Workspace::new(&config(&url, "Hsm CA", hsm));
    block_in_place(|| ws.apply()).assert_success("apply");

    // Import reads the HSM endpoint back: the plan after it must not replace the CA.
    let import_ws = Workspace::new(
        &config(&url, "Hsm CA", hsm).replace("  timeouts {\n    create = \"2m\"\n  }\n", ""),
    );
    block_in_place(|| import_ws.tf(&["import", "blockchain_ca.org1", "hsmca"]))
        .assert_success("import");
    let (plan, _) = block_in_place(|| import_ws.plan());
    assert_eq!(
        plan.code, 0,
        "plan after importing an HSM CA:\n{}",
        plan.stdout
    );

    // Changing the user's tags replaces them, and the console's own tags survive the edit.
    let retagged = config(&url, "Hsm CA", hsm).replace("[\"org1\", \"tf\"]", "[\"prod\"]");
    ws.write("main.tf", &retagged);
    block_in_place(|| ws.apply()).assert_success("retag");
    let user = ConsoleUser::new(&url);
    let (_, body) = user
        .send(Method::GET, "/components/hsmca?cache=skip", None)
        .await;
    let tags: Vec<&str> = body["tags"]
        .as_array()
        .expect("tags")
        .iter()
        .filter_map(|t| t.as_str())
        .collect();
    assert!(
        tags.contains(&"prod") && tags.contains(&"ibm_saas") && tags.contains(&"fabric-ca"),
        "{tags:?}"
    );
    assert!(!tags.contains(&"org1"), "{tags:?}");
    let (plan, _) = block_in_place(|| ws.plan());
    assert_eq!(plan.code, 0, "{}", plan.stdout);
    block_in_place(|| ws.destroy()).assert_success("destroy");
    emulator.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn console_rules_for_enroll_ids_fail_at_plan_without_echoing_secrets() {
    let emulator = start_emulator(&["region1"]).await;
    let url = emulator.console_url("region1").expect("console url");
    let cases = [
        (
            config(&url, "Org1 CA", "").replace(
                "admin_enroll_id     = \"admin\"",
                "admin_enroll_id = \"ad:min\"",
            ),
            "admin_enroll_id",
            "ad:min",
        ),
        (
            config(&url, "Org1 CA", "").replace(
                "admin_enroll_id     = \"admin\"",
                "admin_enroll_id = \"adm\"",
            ),
            "admin_enroll_id",
            "\"adm\"",
        ),
        (
            config(&url, "Org1 CA", "").replace("adminpw-very-secret", "abc"),
            "admin_enroll_secret",
            "\"abc\"",
        ),
        (
            config(&url, "Org1 CA", "  resource_limits = { cpu = \"1\" }\n"),
            "resource_requests",
            "limits",
        ),
    ];
    for (main_tf, attribute, value) in cases {
        let ws = Workspace::new(&main_tf);
        let out = block_in_place(|| ws.tf(&["plan"]));
        assert_eq!(
            out.code, 1,
            "plan should fail for {attribute}:\n{}",
            out.stdout
        );
        assert!(
            out.stderr.contains(attribute),
            "diagnostic does not name {attribute}:\n{}",
            out.stderr
        );
        if attribute.starts_with("admin_") {
            // Terraform quotes the configuration line itself ("17:   admin_enroll_id = ..."); the
            // provider's own words must not repeat the value.
            let ours: String = out
                .stderr
                .lines()
                .filter(|l| {
                    !l.trim_start()
                        .split(':')
                        .next()
                        .is_some_and(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()))
                })
                .collect::<Vec<_>>()
                .join("\n");
            assert!(
                !ours.contains(value),
                "the diagnostic repeats the sensitive value:\n{}",
                out.stderr
            );
        }
    }
    assert_eq!(emulator.request_count("region1"), 0);
    emulator.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_example_configuration_is_valid_for_the_provider_schema() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    let mut dirs = vec![root.join("provider"), root.join("demo")];
    for kind in ["resources", "data-sources"] {
        for entry in std::fs::read_dir(root.join(kind)).expect("examples/<kind>") {
            dirs.push(entry.expect("entry").path());
        }
    }
    for dir in dirs {
        let mut main_tf = String::new();
        for file in std::fs::read_dir(&dir).expect("example dir") {
            let path = file.expect("file").path();
            if path.extension().is_some_and(|e| e == "tf") {
                main_tf.push_str(&std::fs::read_to_string(&path).expect("read example"));
                main_tf.push('\n');
            }
        }
        if !main_tf.contains("required_providers") {
            main_tf = format!("{TERRAFORM_BLOCK}\n{main_tf}");
        }
        let ws = Workspace::new(&main_tf);
        let out = block_in_place(|| ws.tf(&["validate"]));
        assert_eq!(
            out.code,
            0,
            "{} is not valid:\n{}\n{}",
            dir.display(),
            out.stdout,
            out.stderr
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_null_admin_enroll_id_fails_at_plan_with_its_path_and_sends_nothing() {
    let emulator = start_emulator(&["region1"]).await;
    let url = emulator.console_url("region1").expect("console url");
    let main_tf = config(&url, "Org1 CA", "").replace(
        "admin_enroll_id     = \"admin\"",
        "admin_enroll_id     = null",
    );
    let ws = Workspace::new(&main_tf);
    for cmd in ["validate", "plan"] {
        let out = block_in_place(|| ws.tf(&[cmd]));
        assert_eq!(out.code, 1, "{cmd} must fail:\n{}", out.stdout);
        assert!(
            out.stderr.contains("admin_enroll_id"),
            "{cmd}:\n{}",
            out.stderr
        );
        assert!(
            out.stderr.contains("null"),
            "{cmd} says null:\n{}",
            out.stderr
        );
        assert!(!out.stderr.contains("not known"), "{cmd}:\n{}", out.stderr);
    }
    assert_eq!(
        emulator.request_count("region1"),
        0,
        "nothing reached the console"
    );
    emulator.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replacement_that_could_not_recreate_the_ca_stops_at_plan_and_the_ca_stays() {
    let emulator = start_emulator(&["region1"]).await;
    let url = emulator.console_url("region1").expect("console url");
    // A CA made by someone else, then imported with a generated configuration.
    let made = Workspace::new(&config(&url, "Imported CA", ""));
    block_in_place(|| made.apply()).assert_success("create the CA to import");
    let provider = provider_block(None, &url, "");
    let ws = Workspace::new(&format!(
        "{TERRAFORM_BLOCK}\n{provider}\nimport {{\n  to = blockchain_ca.imported\n  id = \"importedca\"\n}}\n"
    ));
    let out = block_in_place(|| ws.tf(&["plan", "-generate-config-out=generated.tf"]));
    assert_eq!(
        out.code, 1,
        "a generated config with null credentials must not plan:\n{}",
        out.stdout
    );
    let generated =
        std::fs::read_to_string(ws.path().join("generated.tf")).expect("generated config");
    assert!(generated.contains("admin_enroll_id"), "{generated}");
    // The user changes the storage (a replacement) and leaves the credentials null.
    let edited = regex_replace_storage(&generated, "30Gi");
    ws.write("generated.tf", &edited);
    let out = block_in_place(|| ws.tf(&["apply", "-auto-approve"]));
    assert_ne!(out.code, 0, "the apply must stop at plan:\n{}", out.stdout);
    assert!(out.stderr.contains("admin_enroll_id"), "{}", out.stderr);
    assert!(
        !out.stdout.contains("Destroying"),
        "nothing destroyed:\n{}",
        out.stdout
    );
    assert_eq!(
        ca_ids(&emulator).await,
        vec!["importedca".to_string()],
        "the CA still exists"
    );
    block_in_place(|| made.destroy()).assert_success("destroy");
    emulator.shutdown().await;
}

/// The generated configuration with `storage_size` set to `size`.
fn regex_replace_storage(generated: &str, size: &str) -> String {
    generated
        .lines()
        .map(|l| {
            if l.trim_start().starts_with("storage_size") {
                format!("  storage_size = \"{size}\"")
            } else {
                l.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}
