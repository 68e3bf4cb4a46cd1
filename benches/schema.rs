//! `cargo bench --bench schema`: what `--schema` costs on a 100 KB reply.
//! The release binary answers the same 100 KB JSON reply from the fake API
//! with `--expect-json` (parse only) and with `--schema` (parse, then
//! validate against a realistic schema of orders); the difference of the
//! medians is the schema's cost (reading, compiling, transforming and
//! validating). Missed targets are reported, never fatal.

mod support;

use std::process::Command;

use fake_api::{MockConfig, MockServer, Step};
use support::{Run, line, run_once, verdict};

const BIN: &str = env!("CARGO_BIN_EXE_claude-rs");
const WARMUPS: usize = 3;
const RUNS: usize = 30;
const API_KEY: &str = "sk-ant-bench-0000000000000000";

const SCHEMA: &str = r#"{"type": "object", "required": ["orders"], "properties": {
  "orders": {"type": "array", "items": {"type": "object",
    "required": ["id", "customer", "email", "placed", "items", "total", "status"],
    "properties": {
      "id": {"type": "string", "pattern": "^ord_[0-9]{6}$"},
      "customer": {"type": "string", "minLength": 1, "maxLength": 80},
      "email": {"type": "string", "format": "email"},
      "placed": {"type": "string", "format": "date"},
      "status": {"enum": ["open", "paid", "shipped", "cancelled"]},
      "total": {"type": "number", "minimum": 0},
      "items": {"type": "array", "minItems": 1, "items": {"type": "object",
        "required": ["sku", "qty", "price"],
        "properties": {
          "sku": {"type": "string", "pattern": "^[A-Z]{3}-[0-9]{4}$"},
          "qty": {"type": "integer", "minimum": 1, "maximum": 1000},
          "price": {"type": "number", "minimum": 0}}}}}}}}}"#;

/// About `bytes` of orders that satisfy SCHEMA.
fn reply(bytes: usize) -> String {
    let mut orders = Vec::new();
    let mut size = 0;
    let mut n = 0;
    while size < bytes {
        let order = format!(
            r#"{{"id":"ord_{n:06}","customer":"Customer {n}","email":"c{n}@example.com","placed":"2026-01-{:02}","status":"paid","total":{}.5,"items":[{{"sku":"ABC-{:04}","qty":2,"price":10.25}},{{"sku":"XYZ-0001","qty":1,"price":3}}]}}"#,
            n % 28 + 1,
            n * 3,
            n % 10_000
        );
        size += order.len() + 1;
        orders.push(order);
        n += 1;
    }
    format!(r#"{{"orders":[{}]}}"#, orders.join(","))
}

fn median(what: &str, make: impl Fn() -> Command) -> f64 {
    let mut times = Vec::new();
    for i in 0..WARMUPS + RUNS {
        let run: Run = run_once(&mut make());
        if run.exit != Some(0) {
            eprintln!(
                "bench `{what}` run {i}: exit {:?}\n{}",
                run.exit, run.stderr
            );
            std::process::exit(1);
        }
        if i >= WARMUPS {
            times.push(run.ms);
        }
    }
    times.sort_by(f64::total_cmp);
    (times[(RUNS - 1) / 2] + times[RUNS / 2]) / 2.0
}

fn main() {
    let body = reply(100_000);
    let server = MockServer::start(MockConfig {
        then: Step::Reply(body.clone()),
        ..MockConfig::default()
    })
    .unwrap_or_else(|e| panic!("cannot start the fake API on 127.0.0.1: {e}"));
    let dir = std::env::temp_dir().join(format!("claude-rs-bench-schema-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("the bench folder is made");
    let path = |name: &str| dir.join(name).to_string_lossy().into_owned();
    let (schema, config) = (path("schema.json"), path("config.toml"));
    std::fs::write(&schema, SCHEMA).expect("the schema is written");
    std::fs::write(&config, "").expect("the empty config file is written");
    let (url, log, cache) = (server.base_url(), path("log.jsonl"), path("cache"));
    let env = [
        ("ANTHROPIC_API_KEY", API_KEY),
        ("ANTHROPIC_BASE_URL", url.as_str()),
        ("CLAUDE_RS_LOG", log.as_str()),
        ("CLAUDE_RS_CONFIG", config.as_str()),
        // The model's facts are looked up once, then kept: as in real use.
        ("CLAUDE_RS_CACHE_DIR", cache.as_str()),
    ];
    let ask = |check: &[&str]| {
        let mut command = Command::new(BIN);
        command
            .env_clear()
            .envs(env)
            .args(["ask", "--max-retries", "0"]);
        command.args(check).arg("List the orders");
        command
    };
    let parsed = median("--expect-json", || ask(&["--expect-json"]));
    let checked = median("--schema", || ask(&["--schema", &schema]));
    let _ = std::fs::remove_dir_all(&dir);
    let cost = checked - parsed;

    println!(
        "\n--schema on a {} KB reply (release binary, fake API on 127.0.0.1, median of {RUNS} runs after {WARMUPS} warm-ups)",
        body.len() / 1000
    );
    line("what", ["median", "", "", ""], "target");
    line(
        "ask --expect-json",
        [&format!("{parsed:.2} ms"), "", "", ""],
        "",
    );
    line(
        "ask --schema",
        [&format!("{checked:.2} ms"), "", "", ""],
        "",
    );
    let target = format!("< 20 ms: {}", verdict(cost < 20.0));
    line(
        "the schema's cost",
        [&format!("{cost:.2} ms"), "", "", ""],
        &target,
    );
}
