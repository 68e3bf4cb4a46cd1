//! `cargo bench --bench shared`: `ask` processes sharing one pace, against
//! the fake API on 127.0.0.1 (in this process).
//!
//! 1. Loops: 8 shell loops of 10 `ask`s each, all at once, against a limit of
//!    600 requests a minute with a burst of 5 (`xargs -P 8` in a script).
//!    Every prompt must be answered, with 429s at most 10% of the requests.
//!    Requests, 429s, exit codes and wall time.
//! 2. Cost: one `ask` with the shared state and with `--no-shared-limits`,
//!    many runs each, interleaved, in alternating order: the median of the
//!    differences, round by round, must be under 1 ms.
//!
//! `CLAUDE_RS_BENCH_BIN=/path/to/an/older/claude-rs` measures that binary too,
//! side by side (it runs without the flag the older one lacks).
//! `cargo bench --bench shared -- cost` runs only the scenarios named.
//! Missed targets are reported, never fatal.

mod support;

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use fake_api::{MockConfig, MockServer};
use support::{line, run_once, verdict};

const BIN: &str = env!("CARGO_BIN_EXE_claude-rs");
const API_KEY: &str = "sk-ant-bench-0000000000000000";
const LOOPS: usize = 8;
const ASKS: usize = 10;
const COST_RUNS: usize = 60;

/// A clean environment: the bench's own config, log, cache and runtime folders.
fn env(command: &mut Command, url: &str, dir: &Path) {
    std::fs::write(dir.join("config.toml"), "").expect("the config file is written");
    command
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("ANTHROPIC_API_KEY", API_KEY)
        .env("ANTHROPIC_BASE_URL", url)
        .env("CLAUDE_RS_CONFIG", dir.join("config.toml"))
        .env("CLAUDE_RS_LOG", dir.join("log.jsonl"))
        .env("CLAUDE_RS_CACHE_DIR", dir.join("cache"))
        .env("XDG_RUNTIME_DIR", dir.join("runtime"));
}

struct Loops {
    requests: usize,
    rate_limited: usize,
    /// Exit codes other than 0, by code.
    failed: Vec<(i32, usize)>,
    answered: usize,
    wall_s: f64,
}

fn loops(bin: &str) -> Loops {
    let server = MockServer::start(MockConfig {
        rpm_limit: Some(600),
        rpm_burst: Some(5),
        ..MockConfig::default()
    })
    .expect("the fake API starts");
    let dir = tempfile::tempdir().expect("a temp dir");
    let script = format!(
        "for i in $(seq {ASKS}); do \"$BIN\" ask \"loop $L prompt $i\" >/dev/null 2>&1; echo $?; done"
    );
    let start = Instant::now();
    let children: Vec<_> = (1..=LOOPS)
        .map(|l| {
            let mut command = Command::new("sh");
            env(&mut command, &server.base_url(), dir.path());
            command
                .args(["-c", &script])
                .env("BIN", bin)
                .env("L", l.to_string())
                .stdout(std::process::Stdio::piped());
            command.spawn().expect("sh starts")
        })
        .collect();
    let mut codes = Vec::new();
    for child in children {
        let output = child.wait_with_output().expect("the loop ends");
        let text = String::from_utf8_lossy(&output.stdout).into_owned();
        codes.extend(
            text.lines()
                .map(|code| code.trim().parse::<i32>().unwrap_or(-1)),
        );
    }
    let wall_s = start.elapsed().as_secs_f64();
    let mut failed: Vec<(i32, usize)> = Vec::new();
    for code in codes.iter().filter(|code| **code != 0) {
        match failed.iter_mut().find(|(c, _)| c == code) {
            Some((_, n)) => *n += 1,
            None => failed.push((*code, 1)),
        }
    }
    let answered = codes.iter().filter(|code| **code == 0).count();
    let requests = server.message_requests().len();
    Loops {
        requests,
        // The fake refuses only for the limit: every other request was answered.
        rate_limited: requests.saturating_sub(answered),
        failed,
        answered,
        wall_s,
    }
}

fn scenario_loops(bins: &[(&str, String)]) {
    println!(
        "\n1. {LOOPS} shell loops of {ASKS} asks at once, 600 requests/min, burst 5 (target: all {} answered, 429s <= 10% of requests)",
        LOOPS * ASKS
    );
    line(
        "binary",
        ["requests", "429s", "answered", "wall"],
        "exits / verdict",
    );
    for (name, bin) in bins {
        let run = loops(bin);
        let exits = match run.failed.is_empty() {
            true => "all 0".to_string(),
            false => run
                .failed
                .iter()
                .map(|(code, n)| format!("{n} exit {code}"))
                .collect::<Vec<_>>()
                .join(", "),
        };
        let met = run.answered == LOOPS * ASKS && run.rate_limited * 10 <= run.requests;
        line(
            name,
            [
                &run.requests.to_string(),
                &run.rate_limited.to_string(),
                &run.answered.to_string(),
                &format!("{:.1}s", run.wall_s),
            ],
            &format!("{exits}; {}", verdict(met)),
        );
    }
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn scenario_cost(bins: &[(&str, String)]) {
    println!(
        "\n2. One ask, median of {COST_RUNS} runs each, interleaved (target: the shared state costs < 1 ms)"
    );
    let server = MockServer::start(MockConfig::default()).expect("the fake API starts");
    let dir = tempfile::tempdir().expect("a temp dir");
    let ask = |bin: &str, extra: &[&str]| {
        let mut command = Command::new(bin);
        env(&mut command, &server.base_url(), dir.path());
        command.arg("ask").args(extra).arg("hello");
        let run = run_once(&mut command);
        assert_eq!(run.exit, Some(0), "ask failed: {}", run.stderr);
        run.ms
    };
    let mut variants: Vec<(String, String, Vec<&str>)> = vec![
        ("this build, shared".into(), BIN.to_string(), vec![]),
        (
            "this build, --no-shared-limits".into(),
            BIN.to_string(),
            vec!["--no-shared-limits"],
        ),
    ];
    for (name, bin) in bins.iter().skip(1) {
        variants.push((name.to_string(), bin.clone(), vec![]));
    }
    let mut times: Vec<Vec<f64>> = vec![Vec::new(); variants.len()];
    for run in 0..COST_RUNS {
        // Every other round backwards: the first of a round runs slower.
        let mut order: Vec<usize> = (0..variants.len()).collect();
        if run % 2 == 1 {
            order.reverse();
        }
        for n in order {
            let (_, bin, extra) = &variants[n];
            times[n].push(ask(bin, extra));
        }
    }
    // The cost: the median of the two variants' differences, round by round.
    let cost = median(times[0].iter().zip(&times[1]).map(|(a, b)| a - b).collect());
    let medians: Vec<f64> = times.into_iter().map(median).collect();
    line("variant", ["median", "", "", ""], "");
    for ((name, _, _), ms) in variants.iter().zip(&medians) {
        line(name, [&format!("{ms:.2}ms"), "", "", ""], "");
    }
    line(
        "shared state cost (paired)",
        [&format!("{cost:+.2}ms"), "", "", ""],
        &format!("target < 1 ms: {}", verdict(cost < 1.0)),
    );
}

fn main() {
    let wanted: Vec<String> = std::env::args()
        .skip(1)
        .filter(|arg| !arg.starts_with('-'))
        .collect();
    let run = |name: &str| wanted.is_empty() || wanted.iter().any(|w| name.contains(w.as_str()));
    let mut bins = vec![("this build", BIN.to_string())];
    if let Ok(other) = std::env::var("CLAUDE_RS_BENCH_BIN") {
        bins.push(("CLAUDE_RS_BENCH_BIN", other));
    }
    for (name, bin) in &bins {
        println!("{name}: {bin}");
    }
    if run("loops") {
        scenario_loops(&bins);
    }
    if run("cost") {
        scenario_cost(&bins);
    }
}
