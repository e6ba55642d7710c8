//! The moto server the tests talk to: `MOTO_ENDPOINT` when set (as `scripts/test-all` does), otherwise
//! one server per test binary, started from the project's `.venv` on a free loopback port and stopped
//! when the test binary ends (the server watches its parent's pid).

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// How long moto may take to start (it imports every AWS service's backend).
const START_TIMEOUT: Duration = Duration::from_secs(60);

/// The command that creates the venv moto runs from; every message about a missing peer names it.
pub const SETUP_COMMAND: &str = "bash scripts/test-venv";

/// The moto server's URL. A test that needs moto fails without it, never skips.
pub fn moto_endpoint() -> String {
    static ENDPOINT: OnceLock<String> = OnceLock::new();
    ENDPOINT
        .get_or_init(|| match std::env::var("MOTO_ENDPOINT") {
            Ok(url) if !url.trim().is_empty() => url.trim().to_owned(),
            _ => start().unwrap_or_else(|problem| fail_once(&problem)),
        })
        .clone()
}

/// Stops the whole test binary with one message: every other test would fail the same way. Written to
/// the stderr handle itself, which the test harness does not capture (its `eprintln!` capture would be
/// lost with the process).
fn fail_once(problem: &str) -> ! {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "\nerror: the tests need moto, the AWS peer: {problem}\n");
    std::process::exit(1);
}

fn start() -> Result<String, String> {
    let root = crate::workspace_root();
    let python = root.join(".venv/bin/python");
    if !python.exists() {
        return Err(format!(
            "the project's .venv/bin/python is missing. Run `{SETUP_COMMAND}` once (it creates .venv with \
             moto), or set MOTO_ENDPOINT to a running moto server"
        ));
    }
    let port = free_port().map_err(|e| format!("cannot pick a free port: {e}"))?;
    let log = std::fs::File::create(std::env::temp_dir().join(format!("moto-{}.log", std::process::id())))
        .map_err(|e| format!("cannot create moto's log file: {e}"))?;
    let mut child = Command::new(&python)
        .arg(root.join("scripts/moto_server.py"))
        .args(["-H", "127.0.0.1", "-p", &port.to_string()])
        .args(["--exit-with-parent", &std::process::id().to_string()])
        .stdin(Stdio::null())
        .stdout(log.try_clone().map_err(|e| e.to_string())?)
        .stderr(log)
        .spawn()
        .map_err(|e| format!("cannot start {}: {e}", python.display()))?;
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let deadline = Instant::now() + START_TIMEOUT;
    while Instant::now() < deadline {
        if let Ok(Some(status)) = child.try_wait() {
            return Err(format!(
                "moto exited with {status} at start; is moto installed in .venv? Run `{SETUP_COMMAND}`"
            ));
        }
        if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
            return Ok(format!("http://{addr}"));
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let _ = child.kill();
    Err(format!("moto did not listen on {addr} within {}s", START_TIMEOUT.as_secs()))
}

fn free_port() -> std::io::Result<u16> {
    Ok(TcpListener::bind(("127.0.0.1", 0))?.local_addr()?.port())
}
