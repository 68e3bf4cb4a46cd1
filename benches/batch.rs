//! `cargo bench --bench batch`: the release binary's `batch` against the fake
//! API on 127.0.0.1.
//!
//! 1. Pacing: 300 items, 50 ms latency, a server limit of 1,200 requests a
//!    minute enforced as a token bucket of 20 (the real API enforces its
//!    per-minute limits over shorter intervals). Wall time against the ideal
//!    (300 ÷ 1,200 a minute = 15 s) and the 429s received, with `--rpm`, with
//!    `--rpm --headroom 0`, and learning the limit from the headers.
//! 2. Throughput: 10,000 and 100,000 items with no latency: items per second
//!    and peak memory (flat when the input grows tenfold).
//! 3. Resume: a 1,000,000-line OUTPUT with nothing left to do: wall time and
//!    peak memory of reading it back and checking the input against it.
//!
//! Missed targets are reported, never fatal; the bench fails only if a run fails.

mod support;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use support::{Run, line, run_once, verdict};

const BIN: &str = env!("CARGO_BIN_EXE_claude-rs");
const API_KEY: &str = "sk-ant-bench-0000000000000000";
const SERVER_RPM: u32 = 1_200;
const PACED_ITEMS: usize = 300;

fn write_prompts(path: &Path, count: usize) {
    let text: String = (1..=count)
        .map(|n| format!("prompt number {n}\n"))
        .collect();
    std::fs::write(path, text).unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
}

/// `claude-rs mock` in its own process: the requests it records must not count
/// in the bench's memory, which a forked child's peak RSS can inherit.
struct FakeApi {
    child: Child,
    url: String,
}

impl FakeApi {
    fn start(args: &[&str]) -> FakeApi {
        let mut child = Command::new(BIN)
            .arg("mock")
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start claude-rs mock: {e}"));
        let stdout = child.stdout.take().expect("stdout is piped");
        let mut url = String::new();
        BufReader::new(stdout)
            .read_line(&mut url)
            .expect("the fake API prints its URL");
        FakeApi {
            child,
            url: url.trim().to_string(),
        }
    }
}

impl Drop for FakeApi {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn batch(server: &FakeApi, dir: &Path, input: &Path, extra: &[&str]) -> (Run, usize) {
    let output = dir.join("out.jsonl");
    let log = dir.join("log.jsonl");
    let _ = std::fs::remove_file(&output);
    let _ = std::fs::remove_file(&log);
    let mut command = Command::new(BIN);
    command
        .arg("batch")
        .arg(input)
        .arg("-o")
        .arg(&output)
        .args(extra)
        .env_clear()
        .env("ANTHROPIC_API_KEY", API_KEY)
        .env("ANTHROPIC_BASE_URL", &server.url)
        .env("CLAUDE_RS_LOG", &log)
        .env("CLAUDE_RS_CONFIG", empty_config(dir));
    let run = run_once(&mut command);
    if run.exit != Some(0) {
        eprintln!(
            "bench batch {extra:?}: exit {:?}\n--- stderr:\n{}",
            run.exit, run.stderr
        );
        std::process::exit(1);
    }
    let results = std::fs::read_to_string(&output).unwrap_or_default();
    let written = results.lines().count();
    let rate_limited = std::fs::read_to_string(&log)
        .unwrap_or_default()
        .lines()
        .filter(|l| {
            l.contains("\"event\":\"attempt\"") && l.contains("\"category\":\"rate_limit\"")
        })
        .count();
    assert_eq!(
        written,
        count_lines(input),
        "every item has its result line"
    );
    (run, rate_limited)
}

/// An empty config file: the bench measures the defaults, whatever the
/// user running it keeps in theirs.
fn empty_config(dir: &Path) -> std::path::PathBuf {
    let path = dir.join("config.toml");
    std::fs::write(&path, "").unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
    path
}

fn count_lines(path: &Path) -> usize {
    std::fs::read_to_string(path)
        .map(|t| t.lines().count())
        .unwrap_or(0)
}

fn main() {
    let dir = tempfile::tempdir().expect("a temp dir");
    println!("\nclaude-rs batch benchmarks (fake API on 127.0.0.1)");

    let paced_input = dir.path().join("paced.txt");
    write_prompts(&paced_input, PACED_ITEMS);
    let ideal = Duration::from_secs_f64(PACED_ITEMS as f64 * 60.0 / SERVER_RPM as f64);
    println!(
        "\n1. {PACED_ITEMS} items, 50 ms latency, server limit {SERVER_RPM}/min (bucket of 20), --jobs 4; ideal {:.1} s",
        ideal.as_secs_f64()
    );
    println!(
        "   x ideal: against the server's limit; x aimed: against the rate aimed at (the limit less the headroom)"
    );
    line("what", ["wall", "x ideal", "x aimed", "429s"], "target");
    let rpm = SERVER_RPM.to_string();
    let variants: [(&str, Vec<&str>, f64, usize); 3] = [
        ("--rpm 1200 (10% headroom)", vec!["--rpm", &rpm], 0.9, 0),
        (
            "--rpm 1200 --headroom 0",
            vec!["--rpm", &rpm, "--headroom", "0"],
            1.0,
            0,
        ),
        ("learned from the headers", vec![], 0.9, 5),
    ];
    for (what, args, fraction, most_429s) in variants {
        // A fresh server per run: a full bucket, no debt from the last run.
        let burst = (SERVER_RPM / 60).to_string();
        let server = FakeApi::start(&["--latency-ms", "50", "--rpm", &rpm, "--burst", &burst]);
        let (run, rate_limited) = batch(&server, dir.path(), &paced_input, &args);
        let wall = run.ms / 1000.0;
        let ratio = wall / ideal.as_secs_f64();
        let aimed = ratio * fraction;
        let target = format!(
            "aimed <= 1.1x, <= {most_429s} 429s: {}",
            verdict(aimed <= 1.1 && rate_limited <= most_429s)
        );
        line(
            what,
            [
                &format!("{wall:.1} s"),
                &format!("{ratio:.2}x"),
                &format!("{aimed:.2}x"),
                &rate_limited.to_string(),
            ],
            &target,
        );
    }

    println!("\n2. no latency, no limit, --jobs 4");
    line("what", ["wall", "items/s", "peak RSS", ""], "target");
    for count in [10_000, 100_000] {
        let input = dir.path().join(format!("items-{count}.txt"));
        write_prompts(&input, count);
        let server = FakeApi::start(&[]);
        let (run, _) = batch(&server, dir.path(), &input, &[]);
        let per_second = count as f64 / (run.ms / 1000.0);
        let peak_mib = run.rss_kib as f64 / 1024.0;
        let target = format!(
            "> 1,000 items/s and < 50 MiB: {}",
            verdict(per_second > 1_000.0 && peak_mib < 50.0)
        );
        line(
            &format!("{count} items"),
            [
                &format!("{:.1} s", run.ms / 1000.0),
                &format!("{per_second:.0}"),
                &format!("{peak_mib:.1} MiB"),
                "",
            ],
            &target,
        );
    }
    resume_with_nothing_to_do(dir.path());
}

/// Resume: every line of the input asks the same (ids are line numbers), so
/// one real result line gives the shape and the fingerprint of all of them.
fn resume_with_nothing_to_do(dir: &Path) {
    const LINES: usize = 1_000_000;
    let one = dir.join("resume-one.txt");
    std::fs::write(&one, "the same prompt\n").expect("the input is written");
    let server = FakeApi::start(&[]);
    let _ = batch(&server, dir, &one, &[]);
    let output = dir.join("out.jsonl");
    let template = std::fs::read_to_string(&output).expect("one result line");
    let rest = template
        .strip_prefix("{\"custom_id\":\"1\"")
        .expect("a result line starts with its id");
    let mut text = String::with_capacity(LINES * (template.len() + 8));
    for n in 1..=LINES {
        text.push_str(&format!("{{\"custom_id\":\"{n}\"{rest}"));
    }
    std::fs::write(&output, text).expect("OUTPUT is written");
    let input = dir.join("resume.txt");
    std::fs::write(&input, "the same prompt\n".repeat(LINES)).expect("the input is written");
    let mut command = Command::new(BIN);
    command
        .arg("batch")
        .arg(&input)
        .arg("-o")
        .arg(&output)
        .env_clear()
        .env("ANTHROPIC_API_KEY", API_KEY)
        .env("ANTHROPIC_BASE_URL", &server.url)
        .env("CLAUDE_RS_LOG", dir.join("log.jsonl"))
        .env("CLAUDE_RS_CONFIG", empty_config(dir));
    let run = run_once(&mut command);
    assert!(
        run.exit == Some(0) && run.stderr.contains("nothing to do"),
        "resume: exit {:?}\n{}",
        run.exit,
        run.stderr
    );
    println!("\n3. resume: OUTPUT of {LINES} lines, nothing left to do");
    line("what", ["wall", "peak RSS", "", ""], "target");
    let (wall, peak_mib) = (run.ms / 1000.0, run.rss_kib as f64 / 1024.0);
    let target = format!(
        "< 2 s and < 64 MiB: {}",
        verdict(wall < 2.0 && peak_mib < 64.0)
    );
    line(
        &format!("{LINES} lines"),
        [
            &format!("{wall:.2} s"),
            &format!("{peak_mib:.1} MiB"),
            "",
            "",
        ],
        &target,
    );
}
