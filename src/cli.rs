//! The command line, clap definitions only. Resolving flags, environment and
//! defaults into settings happens in `config`.

use std::path::PathBuf;
use std::time::Duration;

use clap::builder::PossibleValuesParser;
use clap::{ArgGroup, Args, Parser, Subcommand};

use crate::exit_code::ExitCode;
use crate::report::ColorChoice;
use crate::resilience::Category;

/// `Exit codes:` for `--help`, written from the enum that knows them and
/// the categories that map to each, so the two cannot drift apart.
pub fn exit_codes_help() -> String {
    let mut out = String::from("Exit codes:\n");
    for code in ExitCode::ALL {
        let categories: Vec<&str> = Category::ALL
            .iter()
            .filter(|category| category.exit_code() == code)
            .map(|category| category.as_str())
            .collect();
        out.push_str(&format!("  {:<4} {}\n", code.code(), code.meaning()));
        if !categories.is_empty() {
            out.push_str(&format!("       categories: {}\n", categories.join(", ")));
        }
    }
    out + "\n" + ENVIRONMENT_HELP
}

// The long help texts are prose, kept as plain text beside this file (each
// without a final newline: clap prints them as they are, and man/ and
// completions/ are generated from them).
const ENVIRONMENT_HELP: &str = include_str!("help/environment.txt");

pub const BATCH_HELP: &str = include_str!("help/batch.txt");

pub const CONFIG_HELP: &str = include_str!("help/config.txt");

pub const EXPLAIN_HELP: &str = include_str!("help/explain.txt");

pub const LOG_HELP: &str = include_str!("help/log.txt");

pub const DOCTOR_HELP: &str = include_str!("help/doctor.txt");

/// The command with the help text that is only known at run time (the mock
/// scenarios). Parsing, completions and man pages all use this one.
pub fn full_command() -> clap::Command {
    use clap::CommandFactory;
    Cli::command().mut_subcommand("mock", |mock| mock.after_help(scenarios_help()))
}

/// Parses the process's arguments with `full_command`.
pub fn parse() -> Result<Cli, clap::Error> {
    use clap::FromArgMatches;
    let matches = full_command().try_get_matches()?;
    Cli::from_arg_matches(&matches)
}

#[derive(Debug, Parser)]
#[command(
    name = "claude-rs",
    version,
    about = "Send prompts to the Anthropic Claude Messages API, and know exactly what happened when it fails",
    long_about = "Send prompts to the Anthropic Claude Messages API. Every failure is classified (rate limit, overload, timeout, connection, key, ...), retried only when retrying can help, explained with its fix and request id, logged as JSON, and reported with a documented exit code.",
    after_long_help = exit_codes_help(),
    propagate_version = true,
    next_help_heading = "Global options"
)]
pub struct Cli {
    /// When to colour diagnostics on stderr (stdout is data and never coloured, except doctor's lines on a terminal)
    /// [default: auto, or `color` in the config file].
    #[arg(long, global = true, value_enum)]
    pub color: Option<ColorChoice>,

    /// Append the JSONL event log here [env: CLAUDE_RS_LOG] (default: `log_file` in the config file, else the user's state directory).
    #[arg(long, global = true, value_name = "PATH")]
    pub log_file: Option<PathBuf>,

    /// Use this profile of the config file ([profile.NAME]) over its top-level settings [env: CLAUDE_RS_PROFILE].
    #[arg(long, global = true, value_name = "NAME")]
    pub profile: Option<String>,

    #[command(flatten)]
    pub network: NetworkArgs,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Send a prompt and print the reply.
    #[command(after_long_help = exit_codes_help())]
    Ask(AskArgs),
    /// Send many prompts from a file: in parallel at the rate limit and not past it, resumable, nothing lost.
    #[command(after_long_help = BATCH_HELP)]
    Batch(BatchArgs),
    /// Explain an API error you already have: its category, whether claude-rs retries it, the fix and the exit code. Offline.
    #[command(after_long_help = EXPLAIN_HELP)]
    Explain(ExplainArgs),
    /// Show recent failures from the JSONL log, or sum it up with `log stats`.
    #[command(after_long_help = LOG_HELP)]
    Log(LogArgs),
    /// Check each hop to the API (config, proxy, DNS, TCP, TLS, HTTP, key, model, limits, clock) and the log: which one is broken, and the fix.
    #[command(after_long_help = DOCTOR_HELP)]
    Doctor(DoctorArgs),
    /// Run the fake Anthropic API on 127.0.0.1, with scriptable failures, for offline tests and demos.
    Mock(MockArgs),
    /// The config file: the settings in effect and where each comes from, or the file's path.
    #[command(after_long_help = CONFIG_HELP)]
    Config(ConfigArgs),
    /// Write shell completions and man pages (used to refresh completions/ and man/).
    #[command(hide = true)]
    Generate(GenerateArgs),
}

/// How to reach the API: global options, used by the commands that talk to
/// it (`ask`, `batch`, `doctor`).
#[derive(Debug, Default, Args)]
#[command(next_help_heading = "Network (global)")]
pub struct NetworkArgs {
    /// Send every request through this proxy, http://[user:password@]host:port or https://…,
    /// instead of HTTPS_PROXY / HTTP_PROXY / ALL_PROXY (NO_PROXY does not apply to it).
    #[arg(long, global = true, value_name = "URL")]
    pub proxy: Option<String>,

    /// Also trust the CA certificates in this PEM file (a corporate TLS-inspecting proxy's),
    /// besides the bundled Mozilla roots [env: SSL_CERT_FILE].
    #[arg(
        long,
        global = true,
        value_name = "FILE",
        conflicts_with = "native_roots"
    )]
    pub ca_cert: Option<PathBuf>,

    /// Trust the operating system's certificate store instead of the bundled Mozilla roots.
    #[arg(long, global = true)]
    pub native_roots: bool,

    /// Allow sending the API key over plain http:// to a host other than localhost, 127.0.0.0/8 or ::1.
    #[arg(long, global = true)]
    pub allow_insecure_http: bool,

    /// Use this beta feature (repeatable; sent as one anthropic-beta header), e.g. --beta files-api-2025-04-14
    /// [default: `betas` in the config file].
    #[arg(long = "beta", global = true, value_name = "NAME")]
    pub betas: Vec<String>,
}

/// What a request asks for: shared by `ask` and `batch` (where they are the
/// defaults for requests that do not say).
#[derive(Debug, Default, Args)]
pub struct RequestArgs {
    /// The model [env: ANTHROPIC_MODEL] [default: claude-sonnet-5-5].
    #[arg(short, long)]
    pub model: Option<String>,

    /// A system prompt.
    #[arg(short, long)]
    pub system: Option<String>,

    /// The most tokens the reply may have [default: 4096].
    #[arg(long, value_name = "N")]
    pub max_tokens: Option<u32>,

    /// Sampling temperature, 0.0 to 1.0.
    #[arg(long, value_name = "T", allow_negative_numbers = true)]
    pub temperature: Option<f64>,

    /// When a call still fails with overloaded (529) or a server error (5xx) after its retries,
    /// and nothing was printed yet, try this model once [default: `fallback_model` in the config file].
    #[arg(long, value_name = "MODEL")]
    pub fallback_model: Option<String>,
}

/// How hard to try: shared by `ask` and `batch`.
#[derive(Debug, Default, Args)]
pub struct RetryArgs {
    /// Retries after the first attempt; 0 disables retrying [default: 4].
    #[arg(long, value_name = "N")]
    pub max_retries: Option<u32>,

    /// Stall timeout in seconds: an attempt fails when the server sends nothing for this long.
    /// A long reply that keeps streaming is never cut by it [default: 30].
    #[arg(long, value_name = "SECS", allow_negative_numbers = true)]
    pub timeout: Option<f64>,

    /// Seconds allowed to establish a connection [default: 10].
    #[arg(long, value_name = "SECS", allow_negative_numbers = true)]
    pub connect_timeout: Option<f64>,

    /// Pace alone: share neither the rate limits, a 429's pause nor the circuit breaker with the
    /// other claude-rs processes using this base URL, key and model (see "Processes that share a key" in
    /// the README).
    #[arg(long)]
    pub no_shared_limits: bool,
}

/// What a reply must look like: shared by `ask` and `batch`.
#[derive(Debug, Args)]
pub struct ReplyCheckArgs {
    /// The reply must be JSON (a ```json fenced block is accepted); otherwise retry, then fail with output_validation.
    #[arg(long)]
    pub expect_json: bool,

    /// The trimmed reply must be one of these (case-insensitive); otherwise retry, then fail with output_validation.
    #[arg(long, value_delimiter = ',', value_name = "A,B,C")]
    pub choices: Option<Vec<String>>,

    /// The reply must be JSON valid against this JSON Schema (inline, starting with `{`, or a file's path); sent as structured output when the model supports it; otherwise retry with the errors shown to the model, then fail with output_validation.
    #[arg(long, value_name = "SCHEMA", conflicts_with_all = ["expect_json", "choices"])]
    pub schema: Option<String>,
}

#[derive(Debug, Args)]
pub struct AskArgs {
    /// The prompt. Piped stdin is read too: words first, then a blank line, then stdin.
    /// A word `-` is replaced by stdin, read even from a terminal.
    #[arg(value_name = "PROMPT")]
    pub prompt: Vec<String>,

    #[command(flatten)]
    pub request: RequestArgs,

    #[command(flatten)]
    pub retry: RetryArgs,

    /// Seconds for the whole call, retries and waits included.
    #[arg(long, value_name = "SECS", allow_negative_numbers = true)]
    pub deadline: Option<f64>,

    /// Print the reply only once it is complete (the default when stdout is not a terminal).
    #[arg(long, conflicts_with = "stream")]
    pub no_stream: bool,

    /// Print the reply as it arrives even when stdout is not a terminal.
    #[arg(long)]
    pub stream: bool,

    /// Print exactly one JSON object on stdout, for success or failure.
    #[arg(long)]
    pub json: bool,

    /// Print exactly the model's text: no newline added, nothing escaped, even on a terminal.
    #[arg(long, conflicts_with = "json")]
    pub raw: bool,

    /// After the reply, print its tokens and estimated cost on stderr.
    #[arg(long)]
    pub usage: bool,

    /// Print the prompt's input tokens (POST /v1/messages/count_tokens, free; an object with --json) and send nothing else.
    #[arg(long)]
    pub count_tokens: bool,

    #[command(flatten)]
    pub check: ReplyCheckArgs,

    /// When the call finally fails, print TEXT on stdout instead of nothing (the failure is still reported and logged).
    #[arg(long, value_name = "TEXT")]
    pub fallback: Option<String>,

    /// Cache successful replies; when a call finally fails with a transient error, print the cached reply to the identical request.
    #[arg(long)]
    pub fallback_cache: bool,

    /// No retry notices on stderr.
    #[arg(short, long)]
    pub quiet: bool,

    /// Show request and response metadata on stderr (never the key).
    #[arg(short, long, conflicts_with = "quiet")]
    pub verbose: bool,

    /// Answer from the built-in fake API with this scenario instead of the real API
    /// (no key or network needed), e.g. `--mock flaky`. See `claude-rs mock --help`.
    #[arg(long, value_name = "SCENARIO")]
    pub mock: Option<String>,

    /// Append one JSON object a line here for each retry, give-up and the outcome, for a program
    /// watching the call (`-`: stderr). See docs/events.md.
    #[arg(long, value_name = "FILE")]
    pub events: Option<PathBuf>,
    /// Print the request that would be sent (method, URL, headers with the key masked, body) and send nothing.
    #[arg(long, conflicts_with = "count_tokens")]
    pub dry_run: bool,
}

#[derive(Debug, Args)]
#[command(group(ArgGroup::new("query").args(["status", "cancel", "list"])))]
pub struct BatchArgs {
    /// The requests, one per line: Message Batches lines {"custom_id","params"}, short lines
    /// {"custom_id","prompt"}, or plain text (its id is its line number). `-` reads stdin.
    #[arg(
        value_name = "INPUT",
        required_unless_present_any = ["status", "cancel", "list", "batch_id"]
    )]
    pub input: Option<PathBuf>,

    /// Write the results here (JSONL), flushed as each item finishes. Running again with
    /// the same OUTPUT resumes: ids already in it are skipped. Default: stdout (no resume).
    #[arg(short, long, value_name = "OUTPUT")]
    pub output: Option<PathBuf>,

    #[command(flatten)]
    pub request: RequestArgs,

    #[command(flatten)]
    pub retry: RetryArgs,

    #[command(flatten)]
    pub check: ReplyCheckArgs,

    /// Worker threads sending requests at the same time [default: 4].
    #[arg(short, long, value_name = "N", conflicts_with = "remote")]
    pub jobs: Option<usize>,

    /// Client-side limit: requests per minute, shared by all workers.
    #[arg(long, value_name = "N", conflicts_with = "remote")]
    pub rpm: Option<u32>,

    /// Client-side limit: input tokens per minute (estimated: 4 characters a token), shared by all workers.
    #[arg(long, value_name = "N", conflicts_with = "remote")]
    pub tpm: Option<u64>,

    /// Percent of --rpm / --tpm, and of the limits the API reports, kept unused [default: 10].
    #[arg(long, value_name = "PCT", value_parser = percentage, conflicts_with = "remote")]
    pub headroom: Option<f64>,

    /// Stop the batch, leaving the rest for a rerun, when no request has succeeded for this long
    /// (rate-limit and overload waits included), e.g. 30m [default: 10m].
    #[arg(long, value_name = "DURATION", value_parser = positive_duration, conflicts_with = "remote")]
    pub give_up_after: Option<Duration>,

    /// Write invalid input lines as errored results and go on, instead of refusing the input (exit 2).
    #[arg(long)]
    pub skip_invalid: bool,

    /// Also redo the items that errored in OUTPUT (by default only missing ones are done).
    #[arg(long)]
    pub retry_errored: bool,

    /// No retry notices on a terminal; the summary is still printed.
    #[arg(short, long)]
    pub quiet: bool,

    /// Answer from the built-in fake API with this scenario instead of the real API
    /// (no key or network needed), e.g. `--mock flaky`. See `claude-rs mock --help`.
    #[arg(long, value_name = "SCENARIO")]
    pub mock: Option<String>,

    /// Send the input through the Message Batches API instead (needs -o): submit, poll,
    /// download the results into OUTPUT. The batch ids are kept in OUTPUT.batches, so
    /// running the same command again resumes: nothing is submitted twice.
    #[arg(long, requires = "output")]
    pub remote: bool,

    /// With --remote -o OUTPUT and no INPUT: follow this already-submitted batch (one
    /// submitted elsewhere, or lost) and download its results into OUTPUT.
    #[arg(long, value_name = "ID", requires = "remote", conflicts_with_all = ["input", "retry_errored"])]
    pub batch_id: Option<String>,

    /// Print the state of a Message Batch (status, counts, times, results URL) and exit.
    #[arg(long, value_name = "ID", conflicts_with_all = ["input", "cancel", "remote", "list"])]
    pub status: Option<String>,

    /// Cancel a Message Batch, print its new state and exit. Results of the requests
    /// already processed stay available; the rest become `canceled`.
    #[arg(long, value_name = "ID", conflicts_with_all = ["input", "remote", "list"])]
    pub cancel: Option<String>,

    /// Print the 20 most recent Message Batches (id, status, counts, created) and exit:
    /// how to find a batch whose id was lost.
    #[arg(long, conflicts_with_all = ["input", "remote"])]
    pub list: bool,

    /// With --remote: seconds between polls of the batch's progress (above 0).
    #[arg(
        long,
        default_value_t = 10.0,
        value_name = "SECS",
        allow_negative_numbers = true
    )]
    pub poll_interval: f64,

    /// With --status, --cancel or --list: print the API's JSON on stdout, as it was sent.
    #[arg(long, requires = "query")]
    pub json: bool,

    /// Append one JSON object a line here for each retry, rate-limit pause, circuit breaker change,
    /// item's outcome and the run's end, for a program watching the batch (`-`: stderr). See docs/events.md.
    #[arg(long, value_name = "FILE")]
    pub events: Option<PathBuf>,
    /// Check INPUT and OUTPUT, print the plan (items, pace, ETA, estimated tokens and cost) and
    /// the first request in full, and send nothing; OUTPUT is not touched.
    #[arg(long, conflicts_with_all = ["status", "cancel", "list", "batch_id"])]
    pub dry_run: bool,
}

#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// A status (529), an API error type (overloaded_error) or a category (rate_limit).
    /// Without words, piped stdin is read: an error body, an SSE error event, a log line or an SDK exception.
    #[arg(value_name = "INPUT")]
    pub input: Vec<String>,

    /// Print one JSON object on stdout.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct LogArgs {
    #[command(subcommand)]
    pub command: Option<LogCommand>,

    /// Only failures newer than this, e.g. 30m, 1h, 2days.
    #[arg(long, value_name = "DUR", value_parser = positive_duration)]
    pub since: Option<Duration>,

    /// Only failures of this category.
    // The names from the one list, for validation and completions.
    #[arg(long, value_name = "CATEGORY", value_parser = PossibleValuesParser::new(Category::ALL.map(Category::as_str)))]
    pub category: Option<String>,

    /// Print the matching log lines unchanged (JSONL).
    #[arg(long)]
    pub json: bool,

    /// Show at most the N newest failures (0 shows all).
    #[arg(long, default_value_t = 20, value_name = "N")]
    pub limit: usize,
}

#[derive(Debug, Subcommand)]
pub enum LogCommand {
    /// Calls, success rate, failures by category, retries and the worst window of time.
    Stats(LogStatsArgs),
}

#[derive(Debug, Args)]
pub struct LogStatsArgs {
    /// Sum up the log since this long ago.
    #[arg(long, value_name = "DUR", default_value = "24h", value_parser = positive_duration)]
    pub since: Duration,

    /// The size of the windows the worst one is picked from.
    #[arg(long, value_name = "DUR", default_value = "5m", value_parser = positive_duration)]
    pub window: Duration,

    /// Exit with the dominant failure category's code when any window with calls
    /// has a success rate below PCT percent (0 to 100).
    #[arg(long, value_name = "PCT", value_parser = percentage)]
    pub alert_below: Option<f64>,

    /// Print one JSON object on stdout.
    #[arg(long, conflicts_with = "prometheus")]
    pub json: bool,

    /// Print the stats in Prometheus's text format, for node_exporter's
    /// textfile collector (calls by outcome, failed attempts by category,
    /// retries, the success ratio and the worst window's).
    #[arg(long)]
    pub prometheus: bool,
}

#[derive(Debug, Args)]
pub struct DoctorArgs {
    /// Print one JSON object on stdout: {"ok", "exit_code", "checks": [{"name", "status", "figure", "message", "fix"}]}.
    #[arg(long)]
    pub json: bool,

    /// Only the checks that need no network: config, proxy, health and log.
    #[arg(long)]
    pub offline: bool,

    /// The model to look for [env: ANTHROPIC_MODEL] [default: claude-sonnet-5-5].
    #[arg(short, long)]
    pub model: Option<String>,

    /// Seconds each network check may take (a whole request: twice this).
    #[arg(
        long,
        default_value_t = 5.0,
        value_name = "SECS",
        allow_negative_numbers = true
    )]
    pub timeout: f64,
}

#[derive(Debug, Args)]
pub struct ConfigArgs {
    #[command(subcommand)]
    pub command: ConfigCommand,
}

#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Print every setting in effect, where it came from (flag, env, profile, file, default), the key masked.
    Show(ConfigShowArgs),
    /// Print the path of the config file (whether it exists or not).
    Path,
}

#[derive(Debug, Args)]
pub struct ConfigShowArgs {
    /// One JSON object on stdout: {"config_file", "exists", "profile", "settings": [{"key", "value", "source"}]}.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct MockArgs {
    /// Port on 127.0.0.1 (0 picks a free one).
    #[arg(long, default_value_t = 0)]
    pub port: u16,

    /// A named scenario (see the list below).
    #[arg(long, value_name = "NAME")]
    pub scenario: Option<String>,

    /// Steps for successive requests, comma-separated, e.g. `529,429:retry-after=2,ok`
    /// (overrides the scenario's script).
    #[arg(long, value_name = "STEPS")]
    pub script: Option<String>,

    /// Probability (0 to 1) of a random fault on each request after the script.
    #[arg(long, value_name = "P")]
    pub fault_rate: Option<f64>,

    /// Server-side rate limit in requests per minute on /v1/messages: a token bucket
    /// refilled at N/60 per second (429 with retry-after when empty).
    #[arg(long, value_name = "N")]
    pub rpm: Option<u32>,

    /// Capacity of the --rpm bucket (default: the --rpm value). A small burst enforces
    /// the limit over shorter intervals: --rpm 1200 --burst 20 allows about 20 a second.
    #[arg(long, value_name = "N", requires = "rpm")]
    pub burst: Option<u32>,

    /// Server-side limit in input tokens per minute on /v1/messages (a token bucket;
    /// 429 with retry-after when a request's estimated input tokens do not fit).
    #[arg(long, value_name = "N")]
    pub tpm: Option<u64>,

    /// Server-side limit in output tokens per minute on /v1/messages (a token bucket;
    /// a request is charged its max_tokens, then given back what its reply did not use).
    #[arg(long, value_name = "N")]
    pub otpm: Option<u64>,

    /// Polls (GET /v1/messages/batches/ID) it takes a Message Batch to end.
    #[arg(long, value_name = "N")]
    pub batch_polls: Option<u32>,

    /// Latency added to every /v1/messages answer, in milliseconds.
    #[arg(long, value_name = "MS")]
    pub latency_ms: Option<u64>,

    /// Seed for the random faults.
    #[arg(long)]
    pub seed: Option<u64>,

    /// Serve HTTPS (for testing --ca-cert and certificate failures), with a certificate for
    /// 127.0.0.1 signed by a test CA whose PEM file is written to the cache directory.
    #[arg(long)]
    pub tls: bool,
}

#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// The directory that holds completions/ and man/.
    #[arg(long, default_value = ".")]
    pub out: PathBuf,
}

/// `claude-rs mock --help`'s list of scenarios and steps, from the fake
/// API's own tables so that it cannot drift from them.
fn scenarios_help() -> String {
    let mut out = String::from("Scenarios:\n");
    for (name, description) in fake_api::SCENARIOS {
        out.push_str(&format!("  {name:<22} {description}\n"));
    }
    out.push_str(
        "\nSteps (for --script, comma-separated; each /v1/messages request and each Message Batches call\n\
         takes the next step, then the scenario goes on):\n",
    );
    let mut line = String::from(" ");
    for form in fake_api::STEP_FORMS.split(", ") {
        if line.len() + form.len() > 96 {
            out += &format!("{}\n", line.trim_end());
            line = String::from(" ");
        }
        line += &format!(" {form},");
    }
    out + line.trim_end_matches(',') + "\n"
}

/// A duration such as `90s`, `5m` or `1h 30m`, above zero (`--since`, `--window`).
pub fn positive_duration(text: &str) -> Result<Duration, String> {
    match humantime::parse_duration(text) {
        Ok(duration) if !duration.is_zero() => Ok(duration),
        Ok(_) => Err("the duration must be above zero, e.g. 5m".into()),
        Err(error) => Err(format!("{error}; use e.g. 90s, 5m, 1h, 2days")),
    }
}

/// A percentage from 0 to 100 (`--alert-below`).
pub fn percentage(text: &str) -> Result<f64, String> {
    match text.trim().trim_end_matches('%').parse::<f64>() {
        Ok(value) if (0.0..=100.0).contains(&value) => Ok(value),
        _ => Err("give a percentage from 0 to 100, e.g. 95".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_and_percentages_for_the_log_command() {
        assert_eq!(positive_duration("5m"), Ok(Duration::from_secs(300)));
        assert_eq!(positive_duration("1h 30m"), Ok(Duration::from_secs(5400)));
        assert!(positive_duration("0s").is_err());
        assert!(positive_duration("soon").unwrap_err().contains("e.g. 90s"));
        assert_eq!(percentage("95"), Ok(95.0));
        assert_eq!(percentage("99.5%"), Ok(99.5));
        assert!(percentage("101").is_err());
        assert!(percentage("-1").is_err());
        assert!(percentage("NaN").is_err());
    }
    use clap::CommandFactory;

    #[test]
    fn the_definitions_are_consistent() {
        Cli::command().debug_assert();
        full_command().debug_assert();
    }
}
