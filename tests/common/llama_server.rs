//! A real llama.cpp server (llama-cpp-python's, installed by
//! scripts/install-llama-cpp.sh, launched by scripts/llama_server.py)
//! started by a test on a free loopback port and stopped when the guard is
//! dropped, also when the test panics. Shared by the agents, judge and
//! end-to-end tests through `#[path]`.

#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// How long the server may take to load its model and listen.
const STARTUP_LIMIT: Duration = Duration::from_secs(180);

/// A running server; killed on drop.
pub struct LlamaServer {
    child: Child,
    /// Base URL of its OpenAI API, `http://127.0.0.1:<port>/v1`.
    pub url: String,
    /// The name the server answers to (`--model_alias`).
    pub alias: String,
    log: PathBuf,
    _dir: tempfile::TempDir,
}

impl LlamaServer {
    /// Serves the GGUF at `model` as `alias`, with one thread, adding `extra`
    /// arguments (for example `["--logits_all", "false"]`).
    pub fn start(model: &Path, alias: &str, extra: &[&str]) -> Self {
        let port = free_port();
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("server.log");
        let log_file = std::fs::File::create(&log).unwrap();
        // Through scripts/llama_server.py: it keeps llama.cpp off the AMX
        // weight buffers that crash it on CPUs with AMX.
        let launcher = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/llama_server.py");
        let child = Command::new("python3")
            .arg(launcher)
            .arg("--model")
            .arg(model)
            .args(["--model_alias", alias, "--host", "127.0.0.1", "--port"])
            .arg(port.to_string())
            .args(["--n_threads", "1", "--n_ctx", "2048"])
            .args(extra)
            .stdin(Stdio::null())
            .stdout(log_file.try_clone().unwrap())
            .stderr(log_file)
            .spawn()
            .expect("python3 runs");
        let mut server = Self {
            child,
            url: format!("http://127.0.0.1:{port}/v1"),
            alias: alias.to_owned(),
            log,
            _dir: dir,
        };
        server.wait_until_ready(port);
        server
    }

    /// What the server printed so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    fn wait_until_ready(&mut self, port: u16) {
        let started = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                panic!(
                    "the llama.cpp server exited ({status}) before listening; install it with `bash scripts/install-llama-cpp.sh`. Its output:\n{}",
                    self.log()
                );
            }
            if models_listed(port) {
                return;
            }
            assert!(
                started.elapsed() < STARTUP_LIMIT,
                "the llama.cpp server did not answer within {STARTUP_LIMIT:?}. Its output:\n{}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }
}

impl Drop for LlamaServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A loopback port nobody listens on (the OS picks it; it is free once the
/// probe listener is dropped).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Whether `GET /v1/models` answers 200.
fn models_listed(port: u16) -> bool {
    let Ok(mut stream) = TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let request =
        format!("GET /v1/models HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n");
    if stream.write_all(request.as_bytes()).is_err() {
        return false;
    }
    let mut reply = String::new();
    let _ = stream.read_to_string(&mut reply);
    reply.starts_with("HTTP/1.1 200")
}
