//! Shared test plumbing: a clean environment per test, the fake API, the log.

#![allow(dead_code)]

use std::path::PathBuf;
use std::time::Duration;

use assert_cmd::Command;
use fake_api::{MockConfig, MockServer, Step};
use serde_json::Value;
use tempfile::TempDir;

/// A key that must never appear in any output or log. Its tail is `wxyz`.
pub const TEST_KEY: &str = "sk-ant-api03-TESTSECRETTESTSECRET-0123456789-wxyz";
pub const KEY_SECRET_PART: &str = "TESTSECRETTESTSECRET";

/// Retry waits are shrunk this much in tests; the policy's own answer is what
/// the notices and the log show, and what the tests assert.
pub const SLEEP_SCALE: &str = "0.001";

pub struct World {
    pub server: MockServer,
    pub dir: TempDir,
}

impl World {
    pub fn new(config: MockConfig) -> World {
        let world = World {
            server: MockServer::start(config).expect("the fake API starts"),
            dir: tempfile::tempdir().expect("a temp dir"),
        };
        // Without HOME, dirs falls back to the password database: the test
        // would read the real user's config file. An empty one of our own.
        world.config("");
        world
    }

    /// The config file every run of this world uses (`CLAUDE_RS_CONFIG`).
    pub fn config_path(&self) -> PathBuf {
        self.dir.path().join("config.toml")
    }

    /// Replaces the config file's text; mode 0600, as a careful user keeps it.
    pub fn config(&self, text: &str) {
        let path = self.config_path();
        std::fs::write(&path, text).expect("the config file is written");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let private = std::fs::Permissions::from_mode(0o600);
            std::fs::set_permissions(&path, private).expect("chmod 600");
        }
    }

    /// The fake API answering successive requests with `script`, then `ok`.
    pub fn scripted(script: Vec<Step>) -> World {
        World::new(MockConfig {
            script,
            ..MockConfig::default()
        })
    }

    /// The fake API answering every request with success.
    pub fn ok() -> World {
        World::new(MockConfig::default())
    }

    pub fn steps(script: &str) -> World {
        World::scripted(steps(script))
    }

    pub fn log_path(&self) -> PathBuf {
        self.dir.path().join("state").join("log.jsonl")
    }

    /// `claude-rs` with a clean environment pointed at the fake API.
    pub fn claude(&self) -> Command {
        let mut command = Command::from_std(self.process());
        command.timeout(Duration::from_secs(60));
        command
    }

    /// The same, as a plain process: for tests that need its stdio or its pid.
    pub fn process(&self) -> std::process::Command {
        let mut command = std::process::Command::new(assert_cmd::cargo::cargo_bin("claude-rs"));
        command
            .env_clear()
            .env("ANTHROPIC_API_KEY", TEST_KEY)
            .env("ANTHROPIC_BASE_URL", self.server.base_url())
            .env("CLAUDE_RS_LOG", self.log_path())
            .env("CLAUDE_RS_CONFIG", self.config_path())
            .env("CLAUDE_RS_CACHE_DIR", self.dir.path().join("cache"))
            .env("XDG_RUNTIME_DIR", self.dir.path().join("runtime"))
            .env("CLAUDE_RS_TEST_SLEEP_SCALE", SLEEP_SCALE)
            .env("NO_COLOR", "1");
        command
    }

    pub fn ask(&self, args: &[&str]) -> Command {
        let mut command = self.claude();
        command.arg("ask").args(args);
        command
    }

    pub fn batch(&self, args: &[&str]) -> Command {
        let mut command = self.claude();
        command.arg("batch").args(args);
        command
    }

    /// Writes a file in the test's directory and returns its path as a string.
    pub fn file(&self, name: &str, text: &str) -> String {
        let path = self.dir.path().join(name);
        std::fs::write(&path, text).expect("the test file is written");
        path.to_string_lossy().into_owned()
    }

    /// A path in the test's directory, as a string.
    pub fn path(&self, name: &str) -> String {
        self.dir.path().join(name).to_string_lossy().into_owned()
    }

    /// When each POST /v1/messages arrived, on the server's clock, in order.
    pub fn request_times(&self) -> Vec<std::time::Instant> {
        let mut times: Vec<std::time::Instant> = self
            .server
            .message_requests()
            .iter()
            .map(|r| r.received_at)
            .collect();
        times.sort();
        times
    }

    /// The bodies of the POST /v1/messages requests, as JSON.
    pub fn message_bodies(&self) -> Vec<Value> {
        self.server
            .message_requests()
            .iter()
            .map(|r| r.json().expect("a JSON body"))
            .collect()
    }

    /// Whether any request carried a key.
    pub fn key_was_sent(&self) -> bool {
        self.server
            .requests()
            .iter()
            .any(|r| r.header("x-api-key").is_some())
    }

    pub fn message_requests(&self) -> usize {
        self.server.message_requests().len()
    }

    pub fn log(&self) -> Vec<Value> {
        let Ok(text) = std::fs::read_to_string(self.log_path()) else {
            return Vec::new();
        };
        text.lines()
            .map(|line| serde_json::from_str(line).expect("every log line is JSON"))
            .collect()
    }

    pub fn log_events(&self, event: &str) -> Vec<Value> {
        self.log()
            .into_iter()
            .filter(|l| l["event"] == event)
            .collect()
    }
}

/// Ctrl-C, as a terminal sends it: SIGINT to the process.
pub fn interrupt(child: &std::process::Child) {
    send_signal(child, "INT");
}

/// `kill -NAME` to the process: `TERM`, `HUP`, `INT`.
pub fn send_signal(child: &std::process::Child, name: &str) {
    let status = std::process::Command::new("kill")
        .args([&format!("-{name}"), &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(status.success());
}

pub fn steps(script: &str) -> Vec<Step> {
    script
        .split(',')
        .map(|s| s.parse().unwrap_or_else(|e| panic!("bad step {s}: {e}")))
        .collect()
}

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

/// Runs the command and checks what every run must: no panic, no backtrace,
/// no Debug dump, and the key nowhere in stdout, stderr or the log.
pub fn run(world: &World, command: &mut Command) -> Run {
    let output = command.output().expect("the binary runs");
    let run = Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    };
    for text in [&run.stdout, &run.stderr] {
        assert!(!text.contains(KEY_SECRET_PART), "the key leaked:\n{text}");
        assert!(!text.contains("panicked"), "a panic:\n{text}");
        assert!(
            !text.contains("RUST_BACKTRACE"),
            "a backtrace hint:\n{text}"
        );
        assert!(!text.contains("Failure {"), "a Debug dump:\n{text}");
    }
    if let Ok(log) = std::fs::read_to_string(world.log_path()) {
        assert!(
            !log.contains(KEY_SECRET_PART),
            "the key leaked into the log"
        );
    }
    run
}

pub fn ask(world: &World, args: &[&str]) -> Run {
    run(world, &mut world.ask(args))
}

pub fn json_line(stdout: &str) -> Value {
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(
        lines.len(),
        1,
        "exactly one JSON line on stdout, got:\n{stdout}"
    );
    serde_json::from_str(lines[0]).expect("stdout is JSON")
}

/// The result lines of a batch OUTPUT (or stdout), each parsed.
pub fn result_lines(text: &str) -> Vec<Value> {
    text.lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}")))
        .collect()
}

pub fn read_results(path: &str) -> Vec<Value> {
    result_lines(&std::fs::read_to_string(path).unwrap_or_default())
}

/// The ids in result lines, sorted, duplicates kept (so a test can see them).
pub fn result_ids(results: &[Value]) -> Vec<String> {
    let mut ids: Vec<String> = results
        .iter()
        .map(|r| r["custom_id"].as_str().expect("a custom_id").to_string())
        .collect();
    ids.sort();
    ids
}

/// `count` plain-text prompts, one per line: their ids are 1..=count.
pub fn prompts(count: usize) -> String {
    (1..=count)
        .map(|n| format!("prompt number {n}\n"))
        .collect()
}

pub fn numbered_ids(count: usize) -> Vec<String> {
    let mut ids: Vec<String> = (1..=count).map(|n| n.to_string()).collect();
    ids.sort();
    ids
}

/// Every id 1..=count exactly once, each a success.
pub fn assert_all_succeeded_once(results: &[Value], count: usize) {
    assert_eq!(
        result_ids(results),
        numbered_ids(count),
        "every id exactly once"
    );
    assert!(
        results.iter().all(|r| r["result"]["type"] == "succeeded"),
        "every item succeeded"
    );
}

/// One check of a `doctor --json` report, by name.
pub fn check<'a>(json: &'a Value, name: &str) -> &'a Value {
    json["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == name)
        .unwrap_or_else(|| panic!("no check {name} in {json}"))
}
