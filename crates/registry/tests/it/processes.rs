//! Child processes: this test binary re-executed in a child role, and
//! external servers (moto, MLflow) started for one test and stopped after it.

use std::io::{BufRead, BufReader, Lines};
use std::net::TcpListener;
use std::process::{Child, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};

use crate::support::TestRegistry;

/// A child running `children::child_entry` in `role`, killed on drop.
pub struct ChildRole {
    pub child: Child,
    pub lines: Lines<BufReader<ChildStdout>>,
}

impl ChildRole {
    pub fn spawn(role: &str, t: &TestRegistry, env: &[(&str, String)]) -> Self {
        let mut cmd = Command::new(std::env::current_exe().unwrap());
        cmd.args([
            "children::child_entry",
            "--exact",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("VIGIE_CHILD_ROLE", role)
        .env("VIGIE_CHILD_DATA_DIR", &t.config.data_dir)
        .env_remove("VIGIE_CHILD_DATABASE_URL")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped());
        if let Some(url) = &t.config.database_url {
            cmd.env("VIGIE_CHILD_DATABASE_URL", url);
        }
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().unwrap();
        let stdout = child.stdout.take().unwrap();
        Self {
            child,
            lines: BufReader::new(stdout).lines(),
        }
    }

    /// Reads lines until one contains `prefix` (libtest may print its own
    /// `test ... ` before it on the same line); returns the line from
    /// `prefix` on (None at EOF).
    pub fn wait_for(&mut self, prefix: &str) -> Option<String> {
        for line in self.lines.by_ref() {
            let line = line.unwrap();
            if let Some(at) = line.find(prefix) {
                return Some(line[at..].to_owned());
            }
        }
        None
    }

    /// Kills the child (SIGKILL) and reaps it.
    pub fn kill(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }

    /// Waits for a normal exit and checks it succeeded.
    pub fn join(mut self) {
        let status = self.child.wait().unwrap();
        assert!(status.success(), "child failed: {status}");
    }
}

impl Drop for ChildRole {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// An external server in its own process group, stopped (whole group) on drop.
pub struct Server {
    child: Child,
}

impl Server {
    pub fn spawn(mut cmd: Command) -> Self {
        use std::os::unix::process::CommandExt;
        cmd.process_group(0).stdin(Stdio::null());
        Self {
            child: cmd.spawn().unwrap(),
        }
    }

    /// Whether it has exited already.
    pub fn exited(&mut self) -> bool {
        self.child.try_wait().unwrap().is_some()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let group = format!("-{}", self.child.id());
        let _ = Command::new("kill").args(["-TERM", "--", &group]).status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = Command::new("kill").args(["-KILL", "--", &group]).status();
        let _ = self.child.wait();
    }
}

/// A TCP port that was free a moment ago.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Polls `ready` until it holds; panics with `what` if `limit` passes first
/// (a bound on a hung server, not a timing assertion).
pub fn wait_until(what: &str, limit: Duration, mut ready: impl FnMut() -> bool) {
    let deadline = Instant::now() + limit;
    while !ready() {
        assert!(
            Instant::now() < deadline,
            "{what} not ready after {limit:?}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Runs `scripts/py-test-env.sh <name>` and returns the venv's bin directory,
/// or `None` (after printing `skipped: ...`) when Python or PyPI is unusable.
pub fn python_env(name: &str) -> Option<std::path::PathBuf> {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../../scripts/py-test-env.sh");
    let output = match Command::new("bash")
        .arg(script)
        .arg(name)
        .stderr(Stdio::piped())
        .output()
    {
        Ok(output) => output,
        Err(e) => {
            println!("skipped: cannot run {script}: {e}");
            return None;
        }
    };
    if !output.status.success() {
        println!(
            "skipped: no Python environment for {name}: {}",
            String::from_utf8_lossy(&output.stderr)
                .lines()
                .last()
                .unwrap_or("")
        );
        return None;
    }
    let bin = String::from_utf8_lossy(&output.stdout).trim().to_owned();
    Some(std::path::PathBuf::from(bin))
}
