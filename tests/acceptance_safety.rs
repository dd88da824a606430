//! Acceptance tests for the failures found by trying the provider as a user and a security
//! reviewer would (issue 6): one wrong secret must not lock anybody out, and a failed IAM token
//! exchange is not repeated per resource.

mod support;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use support::{provider_block, start_emulator, Workspace, API_SECRET, TERRAFORM_BLOCK};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::task::block_in_place;

/// `n` CAs under one provider block.
fn cas(provider: &str, n: usize) -> String {
    let mut tf = format!("{TERRAFORM_BLOCK}\n{provider}\n");
    for i in 0..n {
        tf.push_str(&format!(
            "resource \"blockchain_ca\" \"ca{i}\" {{\n  display_name        = \"Safety CA {i}\"\n  admin_enroll_id     = \"admin\"\n  admin_enroll_secret = \"adminpw\"\n}}\n"
        ));
    }
    tf
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_secret_costs_one_failed_login_and_never_a_lockout() {
    let emulator = start_emulator(&["region1"]).await;
    let url = emulator.console_url("region1").expect("console url");
    let wrong = provider_block(None, &url, "").replace(API_SECRET, "not-the-secret");
    let ws = Workspace::new(&cas(&wrong, 10));
    let out = block_in_place(|| ws.tf(&["apply", "-auto-approve", "-parallelism=10"]));
    assert_eq!(out.code, 1, "{}", out.stdout);
    assert!(out.stderr.contains("401"), "{}", out.stderr);
    assert_eq!(
        emulator.request_count("region1"),
        1,
        "ten resources, one failed login"
    );
    // The right secret works at once: the console did not lock the client out.
    ws.write("main.tf", &cas(&provider_block(None, &url, ""), 10));
    block_in_place(|| ws.tf(&["apply", "-auto-approve", "-parallelism=10"]))
        .assert_success("apply with the right secret");
    block_in_place(|| ws.destroy()).assert_success("destroy");
    emulator.shutdown().await;
}

/// A stand-in IAM token endpoint that refuses every key with 400, as IBM Cloud IAM does for
/// an unknown key (BXNIM0415E), and counts the requests.
async fn refusing_iam() -> (String, Arc<AtomicUsize>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!(
        "http://{}/identity/token",
        listener.local_addr().expect("addr")
    );
    let count = Arc::new(AtomicUsize::new(0));
    let seen = count.clone();
    tokio::spawn(async move {
        while let Ok((mut sock, _)) = listener.accept().await {
            seen.fetch_add(1, Ordering::SeqCst);
            tokio::spawn(async move {
                let mut buf = [0u8; 8192];
                let _ = sock.read(&mut buf).await;
                let body = r#"{"errorCode":"BXNIM0415E","errorMessage":"Provided API key could not be found."}"#;
                let resp = format!(
                    "HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\nConnection: close\r\nContent-Length: {}\r\n\r\n{body}",
                    body.len()
                );
                let _ = sock.write_all(resp.as_bytes()).await;
                let _ = sock.shutdown().await;
            });
        }
    });
    (url, count)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_iam_key_is_asked_for_once_not_once_per_resource() {
    let emulator = start_emulator(&["region1"]).await;
    let url = emulator.console_url("region1").expect("console url");
    let (iam_url, token_requests) = refusing_iam().await;
    let provider = format!(
        "provider \"blockchain\" {{\n  console_url   = \"{url}\"\n  iam_api_key   = \"unknown-key\"\n  iam_token_url = \"{iam_url}\"\n}}\n"
    );
    let ws = Workspace::new(&cas(&provider, 10));
    let out = block_in_place(|| ws.tf(&["apply", "-auto-approve", "-parallelism=10"]));
    assert_eq!(out.code, 1, "{}", out.stdout);
    assert!(out.stderr.contains("BXNIM0415E"), "{}", out.stderr);
    assert_eq!(
        token_requests.load(Ordering::SeqCst),
        1,
        "one token request for ten resources"
    );
    assert_eq!(
        emulator.request_count("region1"),
        0,
        "nothing reached the console"
    );
    emulator.shutdown().await;
}

/// One CA named `name` with `extra` lines.
fn ca(url: &str, name: &str, extra: &str) -> String {
    let provider = provider_block(None, url, "");
    format!(
        "{TERRAFORM_BLOCK}\n{provider}\nresource \"blockchain_ca\" \"c\" {{\n  display_name        = \"{name}\"\n  admin_enroll_id     = \"admin\"\n  admin_enroll_secret = \"adminpw\"\n{extra}}}\n"
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn input_the_console_would_refuse_fails_at_plan_at_its_attribute() {
    let emulator = start_emulator(&["region1"]).await;
    let url = emulator.console_url("region1").expect("console url");
    let emoji = "😀".repeat(64);
    let many_tags: Vec<String> = (0..500).map(|i| format!("\"t{i}\"")).collect();
    let tags = format!("  tags = [{}]\n", many_tags.join(", "));
    let cases: Vec<(String, &str)> = vec![
        (ca(&url, "   ", ""), "display_name"),
        (ca(&url, "---", ""), "display_name"),
        (ca(&url, &emoji, ""), "display_name"),
        (
            ca(&url, "Zero CA", "  storage_size = \"0\"\n"),
            "storage_size",
        ),
        (
            ca(
                &url,
                "Over CA",
                "  resource_requests = { cpu = \"2\" }\n  resource_limits = { cpu = \"1\" }\n",
            ),
            "resource_requests",
        ),
        (ca(&url, "Tags CA", &tags), "tags"),
    ];
    for (main_tf, attribute) in &cases {
        let ws = Workspace::new(main_tf);
        let out = block_in_place(|| ws.tf(&["plan"]));
        assert_eq!(
            out.code, 1,
            "plan must fail for {attribute}:\n{}",
            out.stdout
        );
        assert!(
            out.stderr.contains(attribute),
            "{attribute}:\n{}",
            out.stderr
        );
    }
    assert_eq!(
        emulator.request_count("region1"),
        0,
        "nothing reached the console"
    );

    // A version the deployer does not offer: one GET of the versions, no write.
    let ws = Workspace::new(&ca(&url, "Banana CA", "  version = \"banana\"\n"));
    let out = block_in_place(|| ws.tf(&["plan"]));
    assert_eq!(out.code, 1, "{}", out.stdout);
    assert!(
        out.stderr.contains("Version not offered by this console"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("version"), "{}", out.stderr);
    assert_eq!(
        emulator.request_count("region1"),
        1,
        "one cached versions call"
    );

    // What the console takes is taken: a valid quantity in exponent form plans cleanly, and
    // short or non-ASCII names get an id the console accepts.
    let ws = Workspace::new(&ca(
        &url,
        "Exp CA",
        "  resource_requests = { memory = \"1e9\" }\n",
    ));
    let (plan, _) = block_in_place(|| ws.plan());
    assert_eq!(plan.code, 2, "{}\n{}", plan.stdout, plan.stderr);
    for (name, id) in [("AB", "caab"), ("日本語のCA", "caca")] {
        let ws = Workspace::new(&ca(&url, name, ""));
        block_in_place(|| ws.apply()).assert_success(name);
        assert_eq!(
            support::ca_ids(&emulator, "region1").await,
            vec![id.to_string()]
        );
        block_in_place(|| ws.destroy()).assert_success("destroy");
    }
    emulator.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_read_only_attribute_set_in_configuration_is_refused_at_validate() {
    let emulator = start_emulator(&["region1"]).await;
    let url = emulator.console_url("region1").expect("console url");
    for (line, attribute) in [
        ("  id = \"myid\"\n", "id"),
        ("  api_url = \"https://attacker.example\"\n", "api_url"),
        (
            "  timeouts {\n    create = \"1m\"\n  }\n  export_json = \"{}\"\n",
            "export_json",
        ),
    ] {
        let ws = Workspace::new(&ca(&url, "Read Only CA", line));
        for cmd in ["validate", "plan"] {
            let out = block_in_place(|| ws.tf(&[cmd]));
            assert_eq!(out.code, 1, "{cmd} with {attribute} set:\n{}", out.stdout);
            assert!(
                out.stderr
                    .contains("Invalid Configuration for Read-Only Attribute"),
                "{cmd}:\n{}",
                out.stderr
            );
            assert!(out.stderr.contains(attribute), "{}", out.stderr);
        }
    }
    assert_eq!(
        emulator.request_count("region1"),
        0,
        "nothing reached the console"
    );
    emulator.shutdown().await;
}
