//! A throwaway PostgreSQL server on loopback for Terraform's `pg` state backend
//! (`tests/scripts/pg.sh` starts it; dropping the handle stops it and removes its files).

use std::path::PathBuf;
use std::process::Command;

pub struct Postgres {
    dir: PathBuf,
    /// The backend's `conn_str`: `postgres://postgres@127.0.0.1:<port>/terraform?sslmode=disable`.
    pub conn_str: String,
}

fn script() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/scripts/pg.sh")
}

impl Postgres {
    /// Starts a server; fails the test loudly when PostgreSQL is not installed (`.ci/run`
    /// installs it), so the backend test never passes vacuously.
    pub fn start() -> Self {
        let dir = std::env::temp_dir().join(format!(
            "blockchain-pg-{}-{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos())
                .unwrap_or_default()
        ));
        let out = Command::new("bash")
            .arg(script())
            .arg("start")
            .arg(&dir)
            .output()
            .expect("run tests/scripts/pg.sh");
        assert!(
            out.status.success(),
            "PostgreSQL did not start: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        let conn_str = String::from_utf8_lossy(&out.stdout)
            .lines()
            .last()
            .unwrap_or_default()
            .trim()
            .to_string();
        assert!(
            conn_str.starts_with("postgres://"),
            "pg.sh printed {conn_str:?}"
        );
        Self { dir, conn_str }
    }

    /// One SQL query's result rows, `|`-separated (psql -tA).
    pub fn query(&self, sql: &str) -> String {
        let out = Command::new("psql")
            .args(["-tA", "-d", &self.conn_str, "-c", sql])
            .output()
            .expect("run psql");
        assert!(
            out.status.success(),
            "psql failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    /// How many advisory locks are held: Terraform's pg backend locks the state with one.
    pub fn advisory_locks(&self) -> usize {
        self.query("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted")
            .parse()
            .unwrap_or(0)
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        let _ = Command::new("bash")
            .arg(script())
            .arg("stop")
            .arg(&self.dir)
            .output();
    }
}
