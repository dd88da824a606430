//! The `blockchain-emulator` binary: startup lines, loopback-only binding, clean exit on SIGINT.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[test]
fn prints_console_lines_then_ready_and_exits_on_sigint() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_blockchain-emulator"))
        .args(["--console", "east=0:k:s", "--console", "west=0", "--db"])
        .arg(dir.path().join("e.redb"))
        .args(["--deployer-delay", "100ms", "--rate-limit", "50"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let first = lines.next().unwrap().unwrap();
    let second = lines.next().unwrap().unwrap();
    assert!(
        first.starts_with("console east listening on http://127.0.0.1:"),
        "{first}"
    );
    assert!(
        second.starts_with("console west listening on http://127.0.0.1:"),
        "{second}"
    );
    assert_eq!(lines.next().unwrap().unwrap(), "ready");
    let pid = child.id().to_string();
    assert!(Command::new("kill")
        .args(["-INT", &pid])
        .status()
        .unwrap()
        .success());
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            assert!(status.success(), "exit status {status}");
            break;
        }
        assert!(Instant::now() < deadline, "did not exit on SIGINT");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn refuses_non_loopback_bind() {
    let out = Command::new(env!("CARGO_BIN_EXE_blockchain-emulator"))
        .args(["--bind", "0.0.0.0"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("only 127.0.0.1"));
}
