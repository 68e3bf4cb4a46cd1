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
//! 3. One stray 429 (`retry-after: 1`) after 20 requests, at 1,200 a minute
//!    with a burst of 1: wall time against the ideal, 429s, items errored.
//! 4. Two batches at once on one such limit, with `--rpm` and learning it
//!    from the headers: exit codes, items errored, combined wall, 429s.
//! 5. Soak: 10,000 items through 5% random faults, SIGKILLed twice and
//!    resumed: every id exactly once in OUTPUT, items errored.
//!
//! `cargo bench --bench batch -- soak` runs only the scenarios whose name
//! contains an argument (pacing, throughput, stray-429, shared-limit, soak, resume).
//! 6. Resume: a 1,000,000-line OUTPUT with nothing left to do: wall time and
//!    peak memory of reading it back and checking the input against it.
//!
//! Missed targets are reported, never fatal; the bench fails only if a run fails.

mod support;

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fake_api::{MockConfig, MockServer, Step};
use support::{Run, line, run_once, verdict};

const BIN: &str = env!("CARGO_BIN_EXE_claude-rs");

/// The binary whose `batch` is measured: this build's, or another given in
/// `CLAUDE_RS_BENCH_BIN` (an earlier release, for figures side by side; the
/// fake API always runs from this build).
fn measured_bin() -> String {
    std::env::var("CLAUDE_RS_BENCH_BIN").unwrap_or_else(|_| BIN.to_string())
}
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
    fresh(dir, "run");
    let (run, tally) = run_batch(&server.url, dir, "run", input, extra);
    if run.exit != Some(0) {
        eprintln!(
            "bench batch {extra:?}: exit {:?}\n--- stderr:\n{}",
            run.exit, run.stderr
        );
        std::process::exit(1);
    }
    assert_eq!(
        tally.lines,
        count_lines(input),
        "every item has its result line"
    );
    (run, tally.rate_limited)
}

/// Where run `name` writes its results and its log.
fn output_path(dir: &Path, name: &str) -> PathBuf {
    dir.join(format!("{name}.out.jsonl"))
}

fn log_path(dir: &Path, name: &str) -> PathBuf {
    dir.join(format!("{name}.log.jsonl"))
}

/// Forgets run `name`: the next one starts from nothing instead of resuming.
fn fresh(dir: &Path, name: &str) {
    let _ = std::fs::remove_file(output_path(dir, name));
    let _ = std::fs::remove_file(log_path(dir, name));
}

/// `claude-rs batch INPUT -o NAME.out.jsonl` against `url`, logging to NAME.log.jsonl.
fn batch_command(url: &str, dir: &Path, name: &str, input: &Path, extra: &[&str]) -> Command {
    let mut command = Command::new(measured_bin());
    command
        .arg("batch")
        .arg(input)
        .arg("-o")
        .arg(output_path(dir, name))
        .args(extra)
        .env_clear()
        .env("ANTHROPIC_API_KEY", API_KEY)
        .env("ANTHROPIC_BASE_URL", url)
        .env("CLAUDE_RS_LOG", log_path(dir, name))
        .env("CLAUDE_RS_CONFIG", empty_config(dir))
        // The pace batches on one key share: the bench's, not the user's.
        .env("XDG_RUNTIME_DIR", dir.join("runtime"));
    command
}

/// Runs run `name` to its end (resuming what OUTPUT holds) and reads what it left.
fn run_batch(url: &str, dir: &Path, name: &str, input: &Path, extra: &[&str]) -> (Run, Tally) {
    let run = run_once(&mut batch_command(url, dir, name, input, extra));
    (run, Tally::read(dir, name))
}

/// What a run left in its OUTPUT and its log.
#[derive(Debug, Default)]
struct Tally {
    /// Result lines, torn ones included.
    lines: usize,
    /// Result lines whose `result.type` is `errored`.
    errored: usize,
    /// Each id with how many result lines name it.
    ids: std::collections::HashMap<String, usize>,
    /// 429s received: failed attempts and failed calls with HTTP status 429.
    rate_limited: usize,
}

impl Tally {
    fn read(dir: &Path, name: &str) -> Tally {
        let mut tally = Tally::default();
        let results = std::fs::read_to_string(output_path(dir, name)).unwrap_or_default();
        for line in results.lines() {
            tally.lines += 1;
            let Ok(result) = serde_json::from_str::<serde_json::Value>(line) else {
                continue;
            };
            if result["result"]["type"] == "errored" {
                tally.errored += 1;
            }
            if let Some(id) = result["custom_id"].as_str() {
                *tally.ids.entry(id.to_string()).or_default() += 1;
            }
        }
        let log = std::fs::read_to_string(log_path(dir, name)).unwrap_or_default();
        tally.rate_limited = log
            .lines()
            .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
            .filter(|entry| entry["event"] == "attempt" || entry["event"] == "call")
            .filter(|entry| entry["http_status"] == 429)
            .count();
        tally
    }
}

/// An empty config file: the bench measures the defaults, whatever the
/// user running it keeps in theirs.
fn empty_config(dir: &Path) -> PathBuf {
    let path = dir.join("config.toml");
    std::fs::write(&path, "").unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
    path
}

fn count_lines(path: &Path) -> usize {
    std::fs::read_to_string(path)
        .map(|t| t.lines().count())
        .unwrap_or(0)
}

/// A scenario, given the directory to write its files in.
type Scenario = fn(&Path);

/// The scenarios, each runnable alone: `cargo bench --bench batch -- NAME…`
/// runs those whose name contains one of the arguments (all without one).
const SCENARIOS: &[(&str, Scenario)] = &[
    ("pacing", pacing),
    ("throughput", throughput),
    ("stray-429", stray_429),
    ("shared-limit", shared_limit),
    ("soak", soak),
    ("resume", resume_with_nothing_to_do),
];

fn main() {
    // cargo passes `--bench`; any other argument picks scenarios by name.
    let wanted: Vec<String> = std::env::args()
        .skip(1)
        .filter(|arg| !arg.starts_with('-'))
        .collect();
    let dir = tempfile::tempdir().expect("a temp dir");
    println!(
        "\nclaude-rs batch benchmarks (fake API on 127.0.0.1): {}",
        measured_bin()
    );
    for (name, run) in SCENARIOS {
        if wanted.is_empty() || wanted.iter().any(|w| name.contains(w.as_str())) {
            run(dir.path());
        }
    }
}

fn pacing(dir: &Path) {
    let paced_input = dir.join("paced.txt");
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
        let (run, rate_limited) = batch(&server, dir, &paced_input, &args);
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
}

fn throughput(dir: &Path) {
    println!("\n2. no latency, no limit, --jobs 4");
    line("what", ["wall", "items/s", "peak RSS", ""], "target");
    for count in [10_000, 100_000] {
        let input = dir.join(format!("items-{count}.txt"));
        write_prompts(&input, count);
        let server = FakeApi::start(&[]);
        let (run, _) = batch(&server, dir, &input, &[]);
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
}

/// Resume: every line of the input asks the same (ids are line numbers), so
/// one real result line gives the shape and the fingerprint of all of them.
fn resume_with_nothing_to_do(dir: &Path) {
    const LINES: usize = 1_000_000;
    let one = dir.join("resume-one.txt");
    std::fs::write(&one, "the same prompt\n").expect("the input is written");
    let server = FakeApi::start(&[]);
    let _ = batch(&server, dir, &one, &[]);
    let output = output_path(dir, "run");
    let template = std::fs::read_to_string(&output).expect("one result line");
    let rest = template
        .strip_prefix("{\"custom_id\":\"1\"")
        .expect("a result line starts with its id");
    // Written through a buffer, never held whole: a child's peak RSS counts
    // the pages this process had when it forked.
    let mut file = std::io::BufWriter::new(std::fs::File::create(&output).expect("OUTPUT"));
    for n in 1..=LINES {
        write!(file, "{{\"custom_id\":\"{n}\"{rest}").expect("OUTPUT is written");
    }
    file.flush().expect("OUTPUT is written");
    drop(file);
    let input = dir.join("resume.txt");
    let mut file = std::io::BufWriter::new(std::fs::File::create(&input).expect("INPUT"));
    for _ in 0..LINES {
        file.write_all(b"the same prompt\n")
            .expect("the input is written");
    }
    file.flush().expect("the input is written");
    drop(file);
    let mut command = Command::new(measured_bin());
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
    println!("\n6. resume: OUTPUT of {LINES} lines, nothing left to do");
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

/// Issue 11's limit: 1,200 a minute enforced with a bucket of 1 (no burst
/// at all), 50 ms latency; `script` first, then success.
fn strict_server(script: Vec<Step>) -> MockServer {
    MockServer::start(MockConfig {
        script,
        rpm_limit: Some(SERVER_RPM),
        rpm_burst: Some(1),
        latency: Duration::from_millis(50),
        ..MockConfig::default()
    })
    .expect("the fake API starts")
}

fn ideal_for(items: usize) -> f64 {
    items as f64 * 60.0 / f64::from(SERVER_RPM)
}

const STRAY_AFTER: usize = 20;

fn stray_429(dir: &Path) {
    let input = dir.join("stray.txt");
    write_prompts(&input, PACED_ITEMS);
    let ideal = ideal_for(PACED_ITEMS);
    println!(
        "\n3. one stray 429 (retry-after: 1) after {STRAY_AFTER} requests; {PACED_ITEMS} items, 50 ms latency, \
         server limit {SERVER_RPM}/min (bucket of 1), --jobs 4 --rpm {SERVER_RPM}; ideal {ideal:.1} s"
    );
    line("what", ["wall", "x ideal", "429s", "errored"], "target");
    let mut script = vec![Step::Ok; STRAY_AFTER];
    script.push(Step::Status {
        status: 429,
        error_type: None,
        message: None,
        headers: vec![("retry-after".to_string(), "1".to_string())],
    });
    let server = strict_server(script);
    fresh(dir, "stray");
    let rpm = SERVER_RPM.to_string();
    let args = ["--jobs", "4", "--rpm", &rpm];
    let (run, tally) = run_batch(&server.base_url(), dir, "stray", &input, &args);
    let ratio = run.ms / 1000.0 / ideal;
    let met = run.exit == Some(0) && ratio <= 1.35 && tally.errored == 0 && tally.rate_limited <= 4;
    line(
        &format!("stray 429 (exit {})", exit_text(&run)),
        [
            &format!("{:.1} s", run.ms / 1000.0),
            &format!("{ratio:.2}x"),
            &tally.rate_limited.to_string(),
            &tally.errored.to_string(),
        ],
        &format!("exit 0, <= 1.35x, 0 errored, <= 4 429s: {}", verdict(met)),
    );
}

fn exit_text(run: &Run) -> String {
    run.exit
        .map_or("killed".to_string(), |code| code.to_string())
}

/// Items in each of the two batches that share one limit.
const SHARED_ITEMS: usize = PACED_ITEMS / 2;

fn shared_limit(dir: &Path) {
    let input = dir.join("shared.txt");
    write_prompts(&input, SHARED_ITEMS);
    let ideal = ideal_for(2 * SHARED_ITEMS);
    println!(
        "\n4. two batches at once, {SHARED_ITEMS} items each, on one server limit of {SERVER_RPM}/min \
         (bucket of 1), 50 ms latency, --jobs 4 each; ideal for both {ideal:.1} s"
    );
    line("what", ["wall", "x ideal", "429s", "errored"], "target");
    let rpm = SERVER_RPM.to_string();
    let variants: [(&str, Vec<&str>); 2] = [
        ("--rpm 1200 each", vec!["--rpm", &rpm]),
        ("learned from headers", vec![]),
    ];
    for (what, args) in variants {
        let server = strict_server(Vec::new());
        let url = server.base_url();
        let start = Instant::now();
        let runs: Vec<(Run, Tally)> = std::thread::scope(|scope| {
            let handles: Vec<_> = ["shared-a", "shared-b"]
                .map(|name| {
                    fresh(dir, name);
                    let (url, input, args) = (&url, &input, &args);
                    scope.spawn(move || run_batch(url, dir, name, input, args))
                })
                .into_iter()
                .collect();
            handles
                .into_iter()
                .map(|handle| handle.join().expect("a batch run"))
                .collect()
        });
        let wall = start.elapsed().as_secs_f64();
        let exits: Vec<String> = runs.iter().map(|(run, _)| exit_text(run)).collect();
        let errored: usize = runs.iter().map(|(_, tally)| tally.errored).sum();
        let rate_limited: usize = runs.iter().map(|(_, tally)| tally.rate_limited).sum();
        let ratio = wall / ideal;
        let met = runs.iter().all(|(run, _)| run.exit == Some(0))
            && errored == 0
            && ratio <= 1.5
            && rate_limited * 10 <= 2 * SHARED_ITEMS;
        line(
            &format!("{what} (exits {})", exits.join(", ")),
            [
                &format!("{wall:.1} s"),
                &format!("{ratio:.2}x"),
                &rate_limited.to_string(),
                &errored.to_string(),
            ],
            &format!("exits 0, <= 1.5x, 0 errored, 429s <= 10%: {}", verdict(met)),
        );
    }
}

const SOAK_ITEMS: usize = 10_000;
/// OUTPUT line counts at which the soak's first two runs are killed.
const SOAK_KILLS: [usize; 2] = [SOAK_ITEMS * 3 / 10, SOAK_ITEMS * 6 / 10];

fn soak(dir: &Path) {
    let input = dir.join("soak.txt");
    write_prompts(&input, SOAK_ITEMS);
    println!(
        "\n5. soak: {SOAK_ITEMS} items, 5% random faults (529, 500, reset, cut stream), server limit \
         60,000/min (bucket of 100), --jobs 16; SIGKILLed at {} and {} results, then resumed",
        SOAK_KILLS[0], SOAK_KILLS[1]
    );
    line("what", ["wall", "lines", "ids", "errored"], "target");
    let server = MockServer::start(MockConfig {
        fault_rate: 0.05,
        fault_steps: vec![
            Step::Status {
                status: 529,
                error_type: None,
                message: None,
                headers: Vec::new(),
            },
            Step::Status {
                status: 500,
                error_type: None,
                message: None,
                headers: Vec::new(),
            },
            Step::Reset,
            Step::SseCut,
        ],
        rpm_limit: Some(60_000),
        rpm_burst: Some(100),
        ..MockConfig::default()
    })
    .expect("the fake API starts");
    let url = server.base_url();
    fresh(dir, "soak");
    let args = ["--jobs", "16"];
    let start = Instant::now();
    for kill_at in SOAK_KILLS {
        let mut child = batch_command(&url, dir, "soak", &input, &args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("claude-rs batch starts");
        while count_lines(&output_path(dir, "soak")) < kill_at {
            if child.try_wait().ok().flatten().is_some() {
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        // Child::kill sends SIGKILL: no handler runs, a line may be torn.
        let _ = child.kill();
        let _ = child.wait();
    }
    let (run, tally) = run_batch(&url, dir, "soak", &input, &args);
    let wall = start.elapsed().as_secs_f64();
    let distinct = tally.ids.len();
    let repeated = tally.ids.values().filter(|&&count| count > 1).count();
    let met = run.exit == Some(0)
        && distinct == SOAK_ITEMS
        && repeated == 0
        && tally.lines == SOAK_ITEMS
        && tally.errored == 0;
    line(
        &format!("killed twice, resumed (exit {})", exit_text(&run)),
        [
            &format!("{wall:.1} s"),
            &tally.lines.to_string(),
            &format!("{distinct} ({repeated} twice+)"),
            &tally.errored.to_string(),
        ],
        &format!("every id once, 0 errored: {}", verdict(met)),
    );
}
