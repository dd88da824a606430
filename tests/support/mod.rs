//! Acceptance-test harness: the emulator in-process on free loopback ports, and the real
//! `terraform` binary driving the provider through `dev_overrides` in a throwaway folder.
//!
//! Terraform is never allowed to read a developer's `~/.terraformrc`: every command gets its own
//! CLI config. A missing `terraform` fails the test with a clear message instead of skipping it.

#![allow(dead_code)]

pub mod postgres;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use blockchain_emulator::{ConsoleSpec, Emulator, EmulatorConfig};
use serde_json::Value as Json;

pub const API_KEY: &str = "acc-key";
pub const API_SECRET: &str = "acc-secret";
/// The CA admin's secret the example tests give the examples.
pub const EXAMPLE_CA_ADMIN_SECRET: &str = "ca-admin-pw-example";
/// Upper bound for one terraform command; they normally take a few seconds.
const TERRAFORM_TIMEOUT: Duration = Duration::from_secs(240);

/// The `terraform` block every test configuration starts with.
pub const TERRAFORM_BLOCK: &str = r#"
terraform {
  required_providers {
    blockchain = { source = "ibm-blockchain/blockchain" }
  }
}
"#;

/// A provider block for one emulated console; `alias` and `extra` settings are optional.
pub fn provider_block(alias: Option<&str>, console_url: &str, extra: &str) -> String {
    let alias = alias
        .map(|a| format!("  alias       = \"{a}\"\n"))
        .unwrap_or_default();
    format!(
        "provider \"blockchain\" {{\n{alias}  console_url = \"{console_url}\"\n  api_key     = \"{API_KEY}\"\n  api_secret  = \"{API_SECRET}\"\n{extra}}}\n"
    )
}

/// Ids of the CAs a console holds, sorted.
pub async fn ca_ids(emulator: &Emulator, console: &str) -> Vec<String> {
    component_ids(emulator, console, "fabric-ca").await
}

/// Ids of the MSP records a console holds, sorted.
pub async fn msp_ids(emulator: &Emulator, console: &str) -> Vec<String> {
    component_ids(emulator, console, "msp").await
}

/// Ids of the components of `component_type` a console holds, sorted.
pub async fn component_ids(
    emulator: &Emulator,
    console: &str,
    component_type: &str,
) -> Vec<String> {
    let mut ids: Vec<String> = emulator
        .components(console)
        .await
        .iter()
        .filter(|c| c["type"] == component_type)
        .filter_map(|c| c["id"].as_str().map(str::to_string))
        .collect();
    ids.sort();
    ids
}

/// The provider binary cargo built for this test run.
pub fn provider_dir() -> PathBuf {
    let bin = PathBuf::from(env!("CARGO_BIN_EXE_terraform-provider-blockchain"));
    bin.parent().map(Path::to_path_buf).unwrap_or_default()
}

/// Fails loudly when terraform is not installed: these tests must never pass vacuously.
pub fn require_terraform() {
    let ok = Command::new("terraform")
        .arg("version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
    match ok {
        Ok(s) if s.success() => {}
        _ => panic!(
            "the acceptance tests need the `terraform` binary (1.11 or newer) on PATH; install it and run `make test` again"
        ),
    }
}

/// Starts an emulator with the named consoles, all sharing one API key pair.
pub async fn start_emulator(consoles: &[&str]) -> Emulator {
    Emulator::start(emulator_config(consoles))
        .await
        .expect("emulator starts")
}

/// The configuration [`start_emulator`] uses (in memory, free ports), to adjust before starting.
pub fn emulator_config(consoles: &[&str]) -> EmulatorConfig {
    EmulatorConfig {
        consoles: consoles
            .iter()
            .map(|name| ConsoleSpec {
                name: (*name).to_string(),
                port: 0,
                api_key: API_KEY.to_string(),
                api_secret: API_SECRET.to_string(),
            })
            .collect(),
        db_path: None,
        deployer_delay: Duration::from_millis(800),
        rate_limit_writes_per_min: 10_000,
        create_latency: Duration::ZERO,
    }
}

/// Output of one terraform command.
#[derive(Debug)]
pub struct TfOutput {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl TfOutput {
    pub fn assert_success(&self, what: &str) -> &Self {
        assert_eq!(
            self.code,
            0,
            "terraform {what} failed:\nstdout:\n{}\nstderr:\n{}",
            tail(&self.stdout),
            tail(&self.stderr)
        );
        self
    }
}

/// A terraform working directory with its own CLI config.
pub struct Workspace {
    dir: tempfile::TempDir,
    /// Where terraform runs: the temp dir itself, or an example's folder inside it.
    cwd: PathBuf,
    env: Vec<(String, String)>,
}

impl Workspace {
    pub fn new(main_tf: &str) -> Self {
        require_terraform();
        let dir = tempfile::tempdir().expect("temp dir");
        let rc = dir.path().join("terraformrc");
        std::fs::write(
            &rc,
            format!(
                "provider_installation {{\n  dev_overrides {{\n    \"registry.terraform.io/ibm-blockchain/blockchain\" = \"{}\"\n  }}\n  direct {{}}\n}}\n",
                provider_dir().display()
            ),
        )
        .expect("write cli config");
        std::fs::write(dir.path().join("main.tf"), main_tf).expect("write main.tf");
        let env = vec![
            ("TF_CLI_CONFIG_FILE".to_string(), rc.display().to_string()),
            ("TF_IN_AUTOMATION".to_string(), "1".to_string()),
            ("TF_INPUT".to_string(), "0".to_string()),
            ("CHECKPOINT_DISABLE".to_string(), "1".to_string()),
        ];
        let cwd = dir.path().to_path_buf();
        Self { dir, env, cwd }
    }

    /// A workspace holding a copy of `examples/<name>` beside `examples/modules` (so its
    /// `../modules/...` sources resolve), with the provider from a filesystem mirror of the
    /// binary cargo built: examples pin the provider and use modules, which need a
    /// `terraform init` that dev_overrides alone cannot serve. Call [`Workspace::init`] next
    /// (after adding files such as a backend).
    pub fn for_example(name: &str) -> Self {
        let mut ws = Self::new("");
        let examples = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("examples");
        for dir in ["modules", name] {
            copy_tree(&examples.join(dir), &ws.dir.path().join(dir));
        }
        std::fs::remove_file(ws.dir.path().join("main.tf")).expect("remove empty main.tf");
        ws.cwd = ws.dir.path().join(name);
        ws.use_filesystem_mirror();
        ws
    }

    /// `terraform init` (modules, backend, the provider from the mirror).
    pub fn init(&self) {
        self.tf(&["init", "-input=false"]).assert_success("init");
    }

    /// Sets the example's variables for the emulated `consoles` (`TF_VAR_consoles` as the
    /// examples declare it: name => {url, api_key, api_secret}), the CA admin and the
    /// organization admin's secret, and, when given, the ordering service's export.
    pub fn set_example_vars(&mut self, consoles: &[(&str, String)], ordering_service: bool) {
        let map: serde_json::Map<String, Json> = consoles
            .iter()
            .map(|(name, url)| {
                (
                    name.to_string(),
                    serde_json::json!({"url": url, "api_key": API_KEY, "api_secret": API_SECRET}),
                )
            })
            .collect();
        self.set_env("TF_VAR_consoles", &Json::Object(map).to_string());
        self.set_env(
            "TF_VAR_ca_admin",
            &serde_json::json!({"enroll_id": "admin", "enroll_secret": EXAMPLE_CA_ADMIN_SECRET})
                .to_string(),
        );
        self.set_env("TF_VAR_org_admin_secret", "org-admin-pw-example");
        if ordering_service {
            let export = std::fs::read_to_string(
                PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                    .join("tests/fixtures/console/ordering-service-export.json"),
            )
            .expect("ordering service export fixture");
            self.set_env("TF_VAR_ordering_service_export_json", &export);
        }
    }

    /// Installs the provider from a filesystem mirror (a link to cargo's binary) instead of
    /// `dev_overrides`, so that `terraform init` works offline: a backend needs an init, and
    /// init refuses a provider that only dev_overrides knows.
    pub fn use_filesystem_mirror(&self) {
        let platform = match std::env::consts::ARCH {
            "aarch64" => "linux_arm64",
            _ => "linux_amd64",
        };
        let version = env!("CARGO_PKG_VERSION");
        let dir = self
            .dir
            .path()
            .join("mirror/registry.terraform.io/ibm-blockchain/blockchain")
            .join(version)
            .join(platform);
        std::fs::create_dir_all(&dir).expect("mirror dir");
        std::os::unix::fs::symlink(
            provider_dir().join("terraform-provider-blockchain"),
            dir.join(format!("terraform-provider-blockchain_v{version}")),
        )
        .expect("link provider");
        let rc = format!(
            "provider_installation {{\n  filesystem_mirror {{\n    path    = \"{}\"\n    include = [\"registry.terraform.io/ibm-blockchain/blockchain\"]\n  }}\n}}\n",
            self.dir.path().join("mirror").display()
        );
        std::fs::write(self.dir.path().join("terraformrc"), rc).expect("write cli config");
    }

    pub fn path(&self) -> &Path {
        &self.cwd
    }

    pub fn write(&self, name: &str, content: &str) {
        std::fs::write(self.cwd.join(name), content).expect("write file");
    }

    pub fn set_env(&mut self, key: &str, value: &str) {
        self.env.push((key.to_string(), value.to_string()));
    }

    /// `terraform <args> -no-color` in this folder, with this workspace's environment.
    fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new("terraform");
        cmd.args(args).arg("-no-color").current_dir(&self.cwd);
        // Terraform itself must not log to our stderr capture unless asked.
        cmd.env_remove("TF_LOG");
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        cmd.stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        cmd
    }

    /// Runs terraform with `-no-color` in this folder (blocking; call from spawn_blocking or a
    /// multi-thread runtime so the in-process emulator keeps serving).
    pub fn tf(&self, args: &[&str]) -> TfOutput {
        let child = self.command(args).spawn().expect("spawn terraform");
        wait_with_timeout(child, TERRAFORM_TIMEOUT, false)
    }

    /// Starts terraform in its own process group (as a shell runs a foreground job), so that a
    /// Ctrl-C can be delivered the way a terminal does, to terraform and its provider:
    /// [`interrupt_group`], then [`wait_exit`].
    pub fn spawn(&self, args: &[&str]) -> Child {
        use std::os::unix::process::CommandExt;
        let mut cmd = self.command(args);
        cmd.process_group(0);
        cmd.spawn().expect("spawn terraform")
    }

    pub fn apply(&self) -> TfOutput {
        self.tf(&["apply", "-auto-approve"])
    }

    pub fn destroy(&self) -> TfOutput {
        self.tf(&["destroy", "-auto-approve"])
    }

    /// `plan -detailed-exitcode -out`: 0 = no changes, 2 = changes, 1 = error; plus the plan as JSON.
    pub fn plan(&self) -> (TfOutput, Option<Json>) {
        let out = self.tf(&["plan", "-detailed-exitcode", "-out=tfplan"]);
        if out.code == 1 {
            return (out, None);
        }
        let show = self.tf(&["show", "-json", "tfplan"]);
        let json = serde_json::from_str(&show.stdout).ok();
        (out, json)
    }

    /// The current state as `terraform show -json` prints it.
    pub fn state(&self) -> Json {
        let out = self.tf(&["show", "-json"]);
        out.assert_success("show -json");
        serde_json::from_str(&out.stdout).expect("state json")
    }

    /// Every resource in the current state as `terraform show -json` lists it (address,
    /// values, and `tainted` when it is).
    pub fn state_resources(&self) -> Vec<Json> {
        self.state()["values"]["root_module"]["resources"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    }

    /// The attribute values of one resource instance in the current state, by its full
    /// address (`module.region1.blockchain_ca.this[0]` too).
    pub fn resource_values(&self, address: &str) -> Option<Json> {
        fn find(module: &Json, address: &str) -> Option<Json> {
            let here = module["resources"]
                .as_array()
                .and_then(|rs| rs.iter().find(|r| r["address"] == address))
                .map(|r| r["values"].clone());
            here.or_else(|| {
                module["child_modules"]
                    .as_array()?
                    .iter()
                    .find_map(|m| find(m, address))
            })
        }
        find(&self.state()["values"]["root_module"], address)
    }

    /// The address of every resource instance in state, module ones included, sorted.
    pub fn all_resource_addresses(&self) -> Vec<String> {
        fn walk(module: &Json, out: &mut Vec<String>) {
            for r in module["resources"].as_array().into_iter().flatten() {
                if let Some(a) = r["address"].as_str() {
                    out.push(a.to_string());
                }
            }
            for m in module["child_modules"].as_array().into_iter().flatten() {
                walk(m, out);
            }
        }
        let mut out = Vec::new();
        walk(&self.state()["values"]["root_module"], &mut out);
        out.sort();
        out
    }
}

/// Copies a folder of text files (an example) recursively.
fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("create dir");
    for entry in std::fs::read_dir(from).expect("read dir") {
        let entry = entry.expect("dir entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("file type").is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy file");
        }
    }
}

/// Sends SIGINT (Ctrl-C) to the process group led by `pid`: a child started with
/// [`Workspace::spawn`], never anything found by name.
pub fn interrupt_group(pid: u32) {
    signal_group("INT", pid);
}

fn signal_group(signal: &str, pid: u32) {
    let status = Command::new("kill")
        .args([&format!("-{signal}"), "--", &format!("-{pid}")])
        .status()
        .expect("run kill");
    assert!(status.success(), "kill -{signal} -{pid} failed");
}

/// Waits (bounded) for a child started with [`Workspace::spawn`]; after `timeout` its whole
/// process group is killed and the test fails.
pub fn wait_exit(child: Child, timeout: Duration) -> TfOutput {
    wait_with_timeout(child, timeout, true)
}

/// Waits for terraform, draining its pipes on threads (a large `show -json` would otherwise
/// fill the pipe and block forever), and kills it (its process group if `group`) after
/// `timeout`.
fn wait_with_timeout(mut child: Child, timeout: Duration, group: bool) -> TfOutput {
    fn drain(
        pipe: Option<impl std::io::Read + Send + 'static>,
    ) -> std::thread::JoinHandle<Vec<u8>> {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            if let Some(mut p) = pipe {
                let _ = p.read_to_end(&mut buf);
            }
            buf
        })
    }
    let stdout = drain(child.stdout.take());
    let stderr = drain(child.stderr.take());
    let deadline = std::time::Instant::now() + timeout;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if std::time::Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(20))
            }
            _ => {
                if group {
                    // Only the group of the child we started, by its id.
                    let _ = Command::new("kill")
                        .args(["-KILL", "--", &format!("-{}", child.id())])
                        .status();
                } else {
                    let _ = child.kill();
                }
                let _ = child.wait();
                let out = String::from_utf8_lossy(&stdout.join().unwrap_or_default()).into_owned();
                let err = String::from_utf8_lossy(&stderr.join().unwrap_or_default()).into_owned();
                panic!("terraform did not finish within {timeout:?}\nstdout (tail):\n{}\nstderr (tail):\n{}", tail(&out), tail(&err));
            }
        }
    };
    TfOutput {
        code: status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&stdout.join().unwrap_or_default()).into_owned(),
        stderr: String::from_utf8_lossy(&stderr.join().unwrap_or_default()).into_owned(),
    }
}

/// The last few KiB of a long output, for assertion messages.
pub fn tail(s: &str) -> &str {
    const KEEP: usize = 6000;
    if s.len() <= KEEP {
        return s;
    }
    let mut start = s.len() - KEEP;
    while !s.is_char_boundary(start) {
        start += 1;
    }
    &s[start..]
}

/// Paths of the resource changes in a plan JSON: (address, actions, changed attribute names).
pub fn planned_changes(plan: &Json) -> Vec<(String, Vec<String>, Vec<String>)> {
    let mut out = Vec::new();
    for rc in plan["resource_changes"]
        .as_array()
        .cloned()
        .unwrap_or_default()
    {
        let actions: Vec<String> = rc["change"]["actions"]
            .as_array()
            .cloned()
            .unwrap_or_default()
            .iter()
            .filter_map(|a| a.as_str().map(str::to_string))
            .collect();
        if actions == ["no-op"] {
            continue;
        }
        let before = &rc["change"]["before"];
        let after = &rc["change"]["after"];
        let mut changed = Vec::new();
        if let (Some(b), Some(a)) = (before.as_object(), after.as_object()) {
            for (k, av) in a {
                if b.get(k) != Some(av) {
                    changed.push(k.clone());
                }
            }
        }
        changed.sort();
        out.push((
            rc["address"].as_str().unwrap_or_default().to_string(),
            actions,
            changed,
        ));
    }
    out
}

/// An HTTP client for changing things behind Terraform's back, as another console user would.
pub struct ConsoleUser {
    base: String,
    http: reqwest::Client,
}

impl ConsoleUser {
    pub fn new(console_url: &str) -> Self {
        Self {
            base: format!("{console_url}/ak/api/v3"),
            http: reqwest::Client::new(),
        }
    }

    pub async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Json>,
    ) -> (u16, Json) {
        let mut req = self
            .http
            .request(method, format!("{}{path}", self.base))
            .basic_auth(API_KEY, Some(API_SECRET));
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.expect("console request");
        let status = resp.status().as_u16();
        let text = resp.text().await.unwrap_or_default();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Json::String(text)),
        )
    }
}
