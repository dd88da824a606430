//! A panic hook that reports in the form Terraform recognises: it prints
//! "The plugin crashed!" with our text only for stderr lines starting `panic: `.
//! The process then exits with code 2, as a Go panic does, instead of limping on
//! with a dead task (docs/dev/plugin-protocol.md#panics).

use std::any::Any;
use std::backtrace::Backtrace;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// Exit code after a panic (Go's runtime uses 2 too).
pub const PANIC_EXIT_CODE: i32 = 2;

/// The live socket path, removed by the hook because destructors do not run.
static SOCKET_PATH: Mutex<Option<PathBuf>> = Mutex::new(None);

/// Installs the hook for the whole process.
pub fn install_hook() {
    std::panic::set_hook(Box::new(|info| {
        let text = format_panic(
            &panic_message(info.payload()),
            info.location().map(ToString::to_string).as_deref(),
            std::thread::current().name(),
            &Backtrace::force_capture().to_string(),
        );
        let mut stderr = std::io::stderr().lock();
        // Nothing sensible is left to do if stderr itself is gone.
        let _ = stderr.write_all(text.as_bytes());
        let _ = stderr.flush();
        remove_socket();
        std::process::exit(PANIC_EXIT_CODE);
    }));
}

/// Records the socket to remove if we crash.
pub(crate) fn remember_socket(path: &Path) {
    if let Ok(mut slot) = SOCKET_PATH.lock() {
        *slot = Some(path.to_path_buf());
    }
}

/// Forgets the socket once it has been removed normally.
pub(crate) fn forget_socket(path: &Path) {
    if let Ok(mut slot) = SOCKET_PATH.lock() {
        if slot.as_deref() == Some(path) {
            *slot = None;
        }
    }
}

fn remove_socket() {
    // try_lock: the panic may have happened while the lock was held.
    if let Ok(mut slot) = SOCKET_PATH.try_lock() {
        if let Some(path) = slot.take() {
            let _ = std::fs::remove_file(path);
        }
    }
}

/// The panic payload as text (`panic!` yields `&str` or `String`).
pub fn panic_message(payload: &(dyn Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "Box<dyn Any>".to_owned()
    }
}

/// Formats the report: `panic: <message>` first, then where and the backtrace.
pub fn format_panic(
    message: &str,
    location: Option<&str>,
    thread: Option<&str>,
    backtrace: &str,
) -> String {
    let mut text = format!("panic: {message}\n\n");
    text.push_str(&format!(
        "thread '{}' panicked at {}\n",
        thread.unwrap_or("<unnamed>"),
        location.unwrap_or("<unknown location>")
    ));
    if !backtrace.trim().is_empty() {
        text.push_str(backtrace.trim_end());
        text.push('\n');
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn report_starts_with_the_go_style_panic_line() {
        let text = format_panic(
            "boom",
            Some("src/x.rs:1:2"),
            Some("tokio-runtime-worker"),
            "   0: frame\n",
        );
        assert!(text.starts_with("panic: boom\n"));
        assert!(text.contains("thread 'tokio-runtime-worker' panicked at src/x.rs:1:2\n"));
        assert!(text.ends_with("   0: frame\n"));
    }

    #[test]
    fn report_tolerates_missing_parts() {
        let text = format_panic("x", None, None, "");
        assert_eq!(
            text,
            "panic: x\n\nthread '<unnamed>' panicked at <unknown location>\n"
        );
    }

    #[test]
    fn payload_text_is_extracted() {
        let s: Box<dyn Any + Send> = Box::new("static");
        assert_eq!(panic_message(s.as_ref()), "static");
        let s: Box<dyn Any + Send> = Box::new(String::from("owned"));
        assert_eq!(panic_message(s.as_ref()), "owned");
        let s: Box<dyn Any + Send> = Box::new(42_u8);
        assert_eq!(panic_message(s.as_ref()), "Box<dyn Any>");
    }

    const CHILD_ENV: &str = "PLUGIN_PANIC_HOOK_TEST_SOCKET";

    /// Runs only as the child of `a_panic_prints_go_style_and_exits_2`.
    #[test]
    fn panic_hook_child() {
        let Some(socket) = std::env::var_os(CHILD_ENV) else {
            return;
        };
        install_hook();
        remember_socket(Path::new(&socket));
        panic!("child {}", "exploded");
    }

    #[test]
    fn a_panic_prints_go_style_and_exits_2() {
        let dir = tempfile::tempdir().unwrap();
        let socket = dir.path().join("plugin-socket");
        std::fs::write(&socket, b"").unwrap();
        let output = std::process::Command::new(std::env::current_exe().unwrap())
            .args([
                "plugin::panic::tests::panic_hook_child",
                "--exact",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(CHILD_ENV, &socket)
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(PANIC_EXIT_CODE));
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            stderr.lines().any(|line| line == "panic: child exploded"),
            "{stderr}"
        );
        assert!(stderr.contains("src/plugin/panic.rs"), "{stderr}");
        assert!(!socket.exists(), "the hook must remove the socket");
    }
}
