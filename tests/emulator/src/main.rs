//! `blockchain-emulator`: runs emulated consoles on loopback until SIGINT/SIGTERM.
//!
//! Flags:
//!   --console name=port[:key:secret]   repeatable; default one console `region1` on 127.0.0.1:7070
//!                                      with key `admin-key` / secret `admin-secret`
//!   --db <file>                        redb file (default ./emulator.redb)
//!   --deployer-delay <dur>             e.g. 2s, 500ms (default 2s)
//!   --create-latency <dur>             how long a CA create POST is held, e.g. 30s (default 0)
//!   --rate-limit <N>                   non-GET requests per minute per client (default 25)
//!   --bind <addr>                      only 127.0.0.1 is accepted (loopback only)
//!
//! Seeding many components (benchmarks): start with a high `--rate-limit` (e.g. 100000) and
//! `--deployer-delay 0s`, create the CAs, stop, then start again on the same `--db` without
//! `--rate-limit`. Components and their CA servers come back from the database (same ports and
//! keys) and the limits are the console's again: 25 writes and 100 GETs a minute per client
//! (`tests/deployer.rs` `seeding_past_the_write_limit_then_restarting_with_default_limits`).

use std::path::PathBuf;
use std::time::Duration;

use blockchain_emulator::{ConsoleSpec, Emulator, EmulatorConfig};

#[derive(Debug, thiserror::Error)]
enum CliError {
    #[error("{0}")]
    Usage(String),
    #[error(transparent)]
    Emulator(#[from] blockchain_emulator::EmulatorError),
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

const USAGE: &str = "usage: blockchain-emulator [--console name=port[:key:secret]]... [--db FILE] [--deployer-delay 2s] [--create-latency 0s] [--rate-limit N] [--bind 127.0.0.1]";

fn parse_console(v: &str) -> Result<ConsoleSpec, CliError> {
    let (name, rest) = v.split_once('=').ok_or_else(|| {
        CliError::Usage(format!("--console {v}: expected name=port[:key:secret]"))
    })?;
    let mut parts = rest.splitn(3, ':');
    let port: u16 = parts
        .next()
        .unwrap_or_default()
        .parse()
        .map_err(|_| CliError::Usage(format!("--console {v}: bad port")))?;
    let key = parts.next().unwrap_or("admin-key");
    let secret = parts.next().unwrap_or("admin-secret");
    if name.is_empty() {
        return Err(CliError::Usage(format!("--console {v}: empty name")));
    }
    Ok(ConsoleSpec::new(name, port, key, secret))
}

fn parse_duration(v: &str) -> Result<Duration, CliError> {
    let bad = || CliError::Usage(format!("bad duration {v} (use e.g. 2s or 500ms)"));
    if let Some(ms) = v.strip_suffix("ms") {
        return ms.parse().map(Duration::from_millis).map_err(|_| bad());
    }
    if let Some(s) = v.strip_suffix('s') {
        return s
            .parse::<f64>()
            .ok()
            .filter(|s| *s >= 0.0)
            .map(Duration::from_secs_f64)
            .ok_or_else(bad);
    }
    v.parse::<f64>()
        .ok()
        .filter(|s| *s >= 0.0)
        .map(Duration::from_secs_f64)
        .ok_or_else(bad)
}

fn parse_args(args: impl Iterator<Item = String>) -> Result<EmulatorConfig, CliError> {
    let mut cfg = EmulatorConfig {
        db_path: Some(PathBuf::from("emulator.redb")),
        ..EmulatorConfig::default()
    };
    let mut args = args.peekable();
    while let Some(flag) = args.next() {
        let mut value = |name: &str| {
            args.next()
                .ok_or_else(|| CliError::Usage(format!("{name} needs a value")))
        };
        match flag.as_str() {
            "--console" => cfg.consoles.push(parse_console(&value("--console")?)?),
            "--db" => cfg.db_path = Some(PathBuf::from(value("--db")?)),
            "--deployer-delay" => cfg.deployer_delay = parse_duration(&value("--deployer-delay")?)?,
            "--create-latency" => cfg.create_latency = parse_duration(&value("--create-latency")?)?,
            "--rate-limit" => {
                cfg.rate_limit_writes_per_min = value("--rate-limit")?
                    .parse()
                    .map_err(|_| CliError::Usage("--rate-limit needs a number".into()))?
            }
            "--bind" => {
                let addr = value("--bind")?;
                if addr != "127.0.0.1" {
                    return Err(CliError::Usage(format!(
                        "--bind {addr}: only 127.0.0.1 is allowed (the emulator is loopback-only)"
                    )));
                }
            }
            "-h" | "--help" => return Err(CliError::Usage(USAGE.into())),
            other => {
                return Err(CliError::Usage(format!(
                    "unknown argument {other}\n{USAGE}"
                )))
            }
        }
    }
    if cfg.consoles.is_empty() {
        cfg.consoles.push(ConsoleSpec::new(
            "region1",
            7070,
            "admin-key",
            "admin-secret",
        ));
    }
    Ok(cfg)
}

/// SIGINT and SIGTERM, registered before "ready" is printed: a signal sent right after
/// "ready" must end the emulator cleanly, not by the default action.
struct StopSignals {
    interrupt: tokio::signal::unix::Signal,
    terminate: tokio::signal::unix::Signal,
}

impl StopSignals {
    fn install() -> Result<Self, CliError> {
        use tokio::signal::unix::{signal, SignalKind};
        Ok(Self {
            interrupt: signal(SignalKind::interrupt())?,
            terminate: signal(SignalKind::terminate())?,
        })
    }

    async fn wait(mut self) {
        tokio::select! {
            _ = self.interrupt.recv() => {}
            _ = self.terminate.recv() => {}
        }
    }
}

async fn run() -> Result<(), CliError> {
    let cfg = parse_args(std::env::args().skip(1))?;
    let emulator = Emulator::start(cfg).await?;
    let stop = StopSignals::install()?;
    for (name, url) in emulator.consoles() {
        println!("console {name} listening on {url}");
    }
    println!("ready");
    stop.wait().await;
    emulator.shutdown().await;
    Ok(())
}

#[tokio::main]
async fn main() {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_writer(std::io::stderr)
        .init();
    if let Err(e) = run().await {
        eprintln!("blockchain-emulator: {e}");
        std::process::exit(2);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_flags() {
        let args = [
            "--console",
            "r1=7071:k:s",
            "--console",
            "r2=0",
            "--deployer-delay",
            "500ms",
            "--rate-limit",
            "600",
            "--create-latency",
            "1.5s",
        ]
        .map(String::from);
        let cfg = parse_args(args.into_iter()).unwrap();
        assert_eq!(cfg.consoles.len(), 2);
        assert_eq!(cfg.consoles[0].api_key, "k");
        assert_eq!(cfg.consoles[1].api_secret, "admin-secret");
        assert_eq!(cfg.deployer_delay, Duration::from_millis(500));
        assert_eq!(cfg.rate_limit_writes_per_min, 600);
        assert_eq!(cfg.create_latency, Duration::from_millis(1500));
    }

    #[test]
    fn refuses_non_loopback_and_defaults_one_console() {
        assert!(parse_args(["--bind", "0.0.0.0"].map(String::from).into_iter()).is_err());
        let cfg = parse_args(std::iter::empty()).unwrap();
        assert_eq!(cfg.consoles[0].name, "region1");
        assert_eq!(cfg.consoles[0].port, 7070);
        assert_eq!(cfg.create_latency, Duration::ZERO);
    }
}
