//! `cargo bench --bench cli`: process-level timings of the release binary against the
//! fake API on 127.0.0.1, curl doing the same request for comparison, and the binary size.
//! Missed targets are reported, never fatal; the bench fails only if something cannot run.

mod support;

use std::process::Command;

use fake_api::{MockConfig, MockServer};
use support::{Run, line, run_once, verdict};

const BIN: &str = env!("CARGO_BIN_EXE_claude-rs");
const WARMUPS: usize = 5;
const API_KEY: &str = "sk-ant-bench-0000000000000000";
/// Exactly what `claude-rs ask "hello"` sends (checked against the mock's record below).
const BODY: &str = r#"{"max_tokens":4096,"messages":[{"content":"hello","role":"user"}],"model":"claude-sonnet-5-5","stream":true}"#;

struct Stats {
    median: f64,
    p90: f64,
    mean: f64,
    peak_mib: f64,
}

/// WARMUPS unmeasured runs, then `n` measured ones; every run must pass `check`.
fn measure(
    what: &str,
    n: usize,
    make: impl Fn() -> Command,
    check: impl Fn(&Run) -> bool,
) -> Stats {
    let mut times = Vec::with_capacity(n);
    let mut peak_kib = 0;
    for i in 0..WARMUPS + n {
        let run = run_once(&mut make());
        if !check(&run) {
            eprintln!(
                "bench `{what}` run {i}: unexpected result (exit {:?})\n--- stdout:\n{}\n--- stderr:\n{}",
                run.exit, run.stdout, run.stderr
            );
            std::process::exit(1);
        }
        if i >= WARMUPS {
            times.push(run.ms);
            peak_kib = peak_kib.max(run.rss_kib);
        }
    }
    times.sort_by(f64::total_cmp);
    let median = (times[(n - 1) / 2] + times[n / 2]) / 2.0;
    let p90 = times[(n * 9).div_ceil(10) - 1]; // nearest rank
    let mean = times.iter().sum::<f64>() / n as f64;
    Stats {
        median,
        p90,
        mean,
        peak_mib: peak_kib as f64 / 1024.0,
    }
}

/// A line with only its first cell.
fn short(what: &str, value: &str, target: &str) {
    line(what, [value, "", "", ""], target);
}

fn row(what: &str, s: &Stats, target: &str) {
    let ms = |v: f64| format!("{v:.2} ms");
    let (median, p90, mean) = (ms(s.median), ms(s.p90), ms(s.mean));
    line(
        what,
        [&median, &p90, &mean, &format!("{:.1} MiB", s.peak_mib)],
        target,
    );
}

/// `program args…` with extra environment variables.
fn command(program: &str, args: &[&str], env: &[(&str, &str)]) -> Command {
    let mut cmd = Command::new(program);
    cmd.args(args).envs(env.iter().copied());
    cmd
}

fn main() {
    let server = MockServer::start(MockConfig::default())
        .unwrap_or_else(|e| panic!("cannot start the fake API on 127.0.0.1: {e}"));
    let url = server.base_url();
    let log = std::env::temp_dir().join(format!("claude-rs-bench-{}.jsonl", std::process::id()));
    let log_path = log.to_str().expect("the temp dir path is UTF-8");

    let exit_ok = |run: &Run| run.exit == Some(0);
    let version = measure(
        "--version",
        200,
        || command(BIN, &["--version"], &[]),
        exit_ok,
    );

    let ask_args = ["ask", "--no-stream", "--max-retries", "0", "hello"];
    // An empty config file: the bench measures the defaults, whatever the
    // user running it keeps in theirs.
    let config = std::env::temp_dir().join(format!("claude-rs-bench-{}.toml", std::process::id()));
    std::fs::write(&config, "").expect("the empty config file is written");
    let config_path = config.to_str().expect("the temp dir path is UTF-8");
    let ask_env = [
        ("ANTHROPIC_API_KEY", API_KEY),
        ("ANTHROPIC_BASE_URL", &url),
        ("CLAUDE_RS_LOG", log_path),
        ("CLAUDE_RS_CONFIG", config_path),
    ];
    let ask_ok = |run: &Run| run.exit == Some(0) && run.stdout.contains("You said: hello");
    let ask = measure("ask", 100, || command(BIN, &ask_args, &ask_env), ask_ok);
    let _ = std::fs::remove_file(&log);
    let _ = std::fs::remove_file(&config);

    // Every ask must really have reached the API, with the body curl is about to send.
    let sent = server.message_requests();
    assert_eq!(
        sent.len(),
        WARMUPS + 100,
        "the fake API did not get one request per ask"
    );
    let expected = serde_json::from_str(BODY).expect("BODY is JSON");
    assert!(sent[0].json() == Some(expected), "ask did not send BODY");

    let curl_missing = Command::new("curl").arg("--version").output().is_err();
    let endpoint = format!("{url}/v1/messages");
    let key_header = format!("x-api-key: {API_KEY}");
    #[rustfmt::skip]
    let curl_args = [
        "-sS", "--fail", "-X", "POST", &endpoint, "-H", &key_header,
        "-H", "anthropic-version: 2023-06-01", "-H", "content-type: application/json", "-d", BODY,
    ];
    let curl =
        (!curl_missing).then(|| measure("curl", 100, || command("curl", &curl_args, &[]), exit_ok));

    // A long streamed reply: the time to assemble it must grow with its
    // length, not with its square (4x the deltas, at most 5x the time).
    let long_reply = |deltas: u32| {
        let scenario = format!("slow={deltas}/0");
        let args = ["ask", "--no-stream", "--mock", scenario.as_str(), "hello"];
        let env = [
            ("CLAUDE_RS_LOG", log_path),
            ("CLAUDE_RS_CONFIG", config_path),
        ];
        std::fs::write(&config, "").expect("the empty config file is written");
        let expected = format!("Slow part {deltas} of {deltas}.");
        measure(
            &format!("ask, {deltas} deltas"),
            5,
            || command(BIN, &args, &env),
            |run: &Run| run.exit == Some(0) && run.stdout.contains(&expected),
        )
    };
    let short_reply = long_reply(25_000);
    let long_reply = long_reply(100_000);
    let _ = std::fs::remove_file(&log);
    let _ = std::fs::remove_file(&config);

    let size = std::fs::metadata(BIN).unwrap_or_else(|e| panic!("cannot stat {BIN}: {e}"));
    let size_mb = size.len() as f64 / 1_000_000.0;

    println!("\nclaude-rs benchmarks (fake API on 127.0.0.1, N runs after {WARMUPS} warm-ups)");
    line("what", ["median", "p90", "mean", "peak RSS"], "target");
    let startup = format!("startup < 5 ms: {}", verdict(version.median < 5.0));
    row("claude-rs --version (N=200)", &version, &startup);
    let peak = format!("peak < 12 MiB: {}", verdict(ask.peak_mib < 12.0));
    row("claude-rs ask --no-stream (N=100)", &ask, &peak);
    match &curl {
        Some(curl) => {
            row("curl, same request (N=100)", curl, "");
            let ratio = ask.median / curl.median;
            let target = format!("<= 1.3x: {}", verdict(ratio <= 1.3));
            short("ask / curl (median)", &format!("{ratio:.2}x"), &target);
        }
        None => short("curl, same request", "", "skipped: curl is not on PATH"),
    }
    row("ask, a reply of 25,000 deltas (N=5)", &short_reply, "");
    let growth = long_reply.median / short_reply.median;
    let linear = format!("<= 5x for 4x the deltas: {}", verdict(growth <= 5.0));
    row("ask, a reply of 100,000 deltas (N=5)", &long_reply, &linear);
    short(
        "growth, 4x the deltas",
        &format!("{growth:.2}x"),
        "linear: about 4x",
    );
    let target = format!("< 6 MB: {}", verdict(size_mb < 6.0));
    short("release binary", &format!("{size_mb:.1} MB"), &target);
}
