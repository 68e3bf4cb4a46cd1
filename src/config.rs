//! Flags and environment resolved once into the settings a command runs with
//! (flags > environment > defaults). Everything a user can get wrong locally
//! is caught here, before anything is sent, as a `UsageError` (exit 2).

pub mod network;

use std::path::PathBuf;
use std::time::Duration;

use crate::api::ClientSettings;
use crate::api::batches::{MAX_BATCH_BYTES, MAX_BATCH_REQUESTS};
use crate::api::models::{DEFAULT_MODEL, malformed_model_id, max_output_tokens};
use crate::cli::{AskArgs, BatchArgs, NetworkArgs, RequestArgs, RetryArgs};
use crate::output_check::Expectation;
use crate::resilience::RetryPolicy;
use crate::secret::ApiKey;

pub const DEFAULT_BASE_URL: &str = "https://api.anthropic.com";
/// What `--mock` uses when no key is set: the fake API accepts any key.
pub const MOCK_API_KEY: &str = "sk-ant-mock-key-for-the-fake-api-only";

/// A problem with the user's input, found before sending: what and how to fix it.
#[derive(Clone, Debug, PartialEq)]
pub struct UsageError {
    pub problem: String,
    pub fix: String,
}

impl UsageError {
    pub fn new(problem: impl Into<String>, fix: impl Into<String>) -> UsageError {
        UsageError {
            problem: problem.into(),
            fix: fix.into(),
        }
    }
}

/// Reads one environment variable; injected so resolution is testable.
pub type EnvLookup<'a> = &'a dyn Fn(&str) -> Option<String>;

pub fn env_or_none(env: EnvLookup, name: &str) -> Option<String> {
    env(name).filter(|v| !v.trim().is_empty())
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OutputMode {
    /// Print text as it arrives (a terminal, or `--stream`).
    Stream,
    /// Print once complete: nothing is on stdout until the reply is whole, so
    /// a failed attempt can be retried without duplicating text.
    Buffer,
}

/// Where requests go and how each attempt is bounded: shared by `ask` and `batch`.
#[derive(Debug)]
pub struct Connection {
    pub client: ClientSettings,
    pub sleep_scale: f64,
    pub mock_scenario: Option<String>,
    /// Notes for the user that are not errors (e.g. a /v1 dropped from the URL).
    pub warnings: Vec<String>,
}

/// The parts of a request a command fills in when the input does not.
#[derive(Clone, Debug, PartialEq)]
pub struct RequestDefaults {
    pub model: String,
    pub system: Option<String>,
    pub max_tokens: u32,
    pub temperature: Option<f64>,
}

#[derive(Debug)]
pub struct AskSettings {
    pub connection: Connection,
    pub request: RequestDefaults,
    pub policy: RetryPolicy,
    pub output: OutputMode,
    pub json: bool,
    /// Exactly the model's text on stdout (`--raw`).
    pub raw: bool,
    /// Tokens and estimated cost on stderr (`--usage`).
    pub usage: bool,
    pub expectation: Option<Expectation>,
    pub fallback_text: Option<String>,
    pub fallback_cache: Option<PathBuf>,
    pub quiet: bool,
    pub verbose: bool,
    pub log_path: Option<PathBuf>,
}

/// Where `batch` reads its requests.
#[derive(Clone, Debug, PartialEq)]
pub enum BatchInput {
    Stdin,
    File(PathBuf),
}

#[derive(Debug)]
pub struct BatchSettings {
    pub connection: Connection,
    pub request: RequestDefaults,
    pub policy: RetryPolicy,
    pub input: BatchInput,
    pub output: Option<PathBuf>,
    pub jobs: usize,
    pub rpm: Option<u32>,
    pub tpm: Option<u64>,
    /// The fraction of every limit actually used (0.9 for --headroom 10).
    pub rate_fraction: f64,
    pub expectation: Option<Expectation>,
    pub skip_invalid: bool,
    pub retry_errored: bool,
    pub quiet: bool,
    pub log_path: Option<PathBuf>,
}

/// How many requests and bytes one Message Batch may hold.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BatchLimits {
    pub max_requests: usize,
    pub max_bytes: u64,
}

impl Default for BatchLimits {
    fn default() -> BatchLimits {
        BatchLimits {
            max_requests: MAX_BATCH_REQUESTS,
            max_bytes: MAX_BATCH_BYTES,
        }
    }
}

/// What the Message Batches API paths add: `--remote`, `--batch-id`,
/// `--status`, `--cancel` and `--list`.
#[derive(Debug)]
pub struct RemoteSettings {
    pub poll_interval: Duration,
    pub limits: BatchLimits,
    /// `--status`, `--cancel`, `--list`: the API's JSON on stdout.
    pub json: bool,
}

/// Everything a Message Batches call needs when there is no INPUT to check
/// (`--status`, `--cancel`, `--list`, `--batch-id`).
#[derive(Debug)]
pub struct BatchApiSettings {
    pub connection: Connection,
    pub policy: RetryPolicy,
    pub output: Option<PathBuf>,
    pub retry_errored: bool,
    pub quiet: bool,
    pub log_path: Option<PathBuf>,
    pub remote: RemoteSettings,
}

/// The most worker threads `--jobs` may ask for.
pub const MAX_JOBS: usize = 256;

/// A batch waits out a server's retry-after up to this long: nobody is waiting
/// at a terminal, and giving up would turn a pause into errored items.
pub const BATCH_RETRY_AFTER_CAP: Duration = Duration::from_secs(600);

pub fn log_path(flag: Option<PathBuf>, env: EnvLookup) -> Option<PathBuf> {
    flag.or_else(|| env_or_none(env, "CLAUDE_RS_LOG").map(PathBuf::from))
        .or_else(crate::log::default_path)
}

pub(crate) fn cache_dir(env: EnvLookup) -> Option<PathBuf> {
    env_or_none(env, "CLAUDE_RS_CACHE_DIR")
        .map(PathBuf::from)
        .or_else(|| dirs::cache_dir().map(|d| d.join("claude-rs")))
}

pub fn seconds(flag: &str, value: f64) -> Result<Duration, UsageError> {
    if !value.is_finite() || value <= 0.0 || value > 1e7 {
        return Err(UsageError::new(
            format!("{flag} {value} is not a positive number of seconds"),
            format!("give {flag} a number of seconds above 0, e.g. {flag} 30"),
        ));
    }
    Ok(Duration::from_secs_f64(value))
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

/// Checks ANTHROPIC_BASE_URL and returns it without a trailing `/` or `/v1`.
pub fn base_url(raw: &str, warnings: &mut Vec<String>) -> Result<String, UsageError> {
    let fix = "set ANTHROPIC_BASE_URL to scheme://host[:port], e.g. https://api.anthropic.com";
    let trimmed = raw.trim().trim_end_matches('/');
    let Some((scheme, rest)) = trimmed.split_once("://") else {
        return Err(UsageError::new(
            format!("the base URL '{trimmed}' has no http:// or https:// scheme"),
            fix,
        ));
    };
    if scheme != "http" && scheme != "https" {
        return Err(UsageError::new(
            format!(
                "the base URL '{trimmed}' uses '{scheme}://'; only http and https are supported"
            ),
            fix,
        ));
    }
    if rest.is_empty() || rest.starts_with('/') || trimmed.parse::<ureq::http::Uri>().is_err() {
        return Err(UsageError::new(
            format!("the base URL '{trimmed}' is not a valid URL with a host"),
            fix,
        ));
    }
    if let Some(without) = trimmed.strip_suffix("/v1") {
        warnings.push(format!(
            "ANTHROPIC_BASE_URL ends in /v1; claude-rs adds that itself, so it uses {without}"
        ));
        return Ok(without.to_string());
    }
    Ok(trimmed.to_string())
}

pub fn model(flag: Option<&str>, env: EnvLookup) -> Result<String, UsageError> {
    let model = flag
        .map(str::to_string)
        .or_else(|| env_or_none(env, "ANTHROPIC_MODEL"))
        .unwrap_or_else(|| DEFAULT_MODEL.to_string());
    if let Some(problem) = malformed_model_id(&model) {
        return Err(UsageError::new(
            format!("'{model}' is not a model id: {problem}"),
            format!("pass a model id such as {DEFAULT_MODEL} with --model or ANTHROPIC_MODEL"),
        ));
    }
    Ok(model)
}

pub fn api_key(env: EnvLookup, mock: bool) -> Result<ApiKey, UsageError> {
    match env("ANTHROPIC_API_KEY").as_deref().and_then(ApiKey::new) {
        Some(key) => Ok(key),
        None if mock => ApiKey::new(MOCK_API_KEY).ok_or_else(|| UsageError::new("no mock key", "")),
        None => Err(UsageError::new(
            "no API key: ANTHROPIC_API_KEY is not set (or is empty)",
            "export ANTHROPIC_API_KEY=sk-ant-... (create one at https://console.anthropic.com/settings/keys), \
             or try claude-rs without a key: claude-rs ask --mock flaky \"hello\"",
        )),
    }
}

/// The API key, base URL, timeouts and test knobs, from flags and environment.
pub fn resolve_connection(
    retry: &RetryArgs,
    mock: Option<&str>,
    network_args: &NetworkArgs,
    env: EnvLookup,
) -> Result<Connection, UsageError> {
    let mut warnings = Vec::new();
    let api_key = api_key(env, mock.is_some())?;
    let base_url = match mock {
        // Filled in once the fake API is listening.
        Some(_) => String::new(),
        None => base_url(
            &env_or_none(env, "ANTHROPIC_BASE_URL").unwrap_or_else(|| DEFAULT_BASE_URL.into()),
            &mut warnings,
        )?,
    };
    if mock.is_none() {
        network::check_plain_http(&base_url, network_args.allow_insecure_http)?;
    }
    let network = network::resolve(network_args, env)?;
    let sleep_scale = env("CLAUDE_RS_TEST_SLEEP_SCALE")
        .and_then(|v| v.parse::<f64>().ok())
        .filter(|v| v.is_finite() && *v >= 0.0)
        .unwrap_or(1.0);
    Ok(Connection {
        client: ClientSettings {
            base_url,
            api_key,
            connect_timeout: seconds("--connect-timeout", retry.connect_timeout)?,
            stall_timeout: seconds("--timeout", retry.timeout)?,
            max_connections: 1,
            network,
        },
        sleep_scale,
        mock_scenario: mock.map(str::to_string),
        warnings,
    })
}

/// The model, system prompt, max tokens and temperature, checked.
pub fn resolve_request(args: &RequestArgs, env: EnvLookup) -> Result<RequestDefaults, UsageError> {
    let model = model(args.model.as_deref(), env)?;
    check_max_tokens(args.max_tokens, &model)?;
    if let Some(t) = args.temperature
        && !(0.0..=1.0).contains(&t)
    {
        return Err(UsageError::new(
            format!("--temperature {t} is outside 0.0 to 1.0"),
            "give --temperature a value from 0.0 (focused) to 1.0 (creative)",
        ));
    }
    Ok(RequestDefaults {
        model,
        system: args.system.clone(),
        max_tokens: args.max_tokens,
        temperature: args.temperature,
    })
}

pub fn resolve_ask(
    args: &AskArgs,
    log_file: Option<PathBuf>,
    network: &NetworkArgs,
    env: EnvLookup,
    stdout_is_terminal: bool,
) -> Result<AskSettings, UsageError> {
    let connection = resolve_connection(&args.retry, args.mock.as_deref(), network, env)?;
    let request = resolve_request(&args.request, env)?;
    let expectation =
        Expectation::from_flags(args.check.expect_json, args.check.choices.as_deref())?;
    let output = if args.json || expectation.is_some() || args.no_stream {
        OutputMode::Buffer
    } else if args.stream || stdout_is_terminal {
        OutputMode::Stream
    } else {
        OutputMode::Buffer
    };
    let deadline = args
        .deadline
        .map(|d| seconds("--deadline", d))
        .transpose()?;
    Ok(AskSettings {
        connection,
        request,
        policy: RetryPolicy {
            max_retries: args.retry.max_retries,
            deadline,
            ..RetryPolicy::default()
        },
        output,
        json: args.json,
        raw: args.raw,
        usage: args.usage,
        expectation,
        fallback_text: args.fallback.clone(),
        fallback_cache: args.fallback_cache.then(|| cache_dir(env)).flatten(),
        quiet: args.quiet,
        verbose: args.verbose,
        log_path: log_path(log_file, env),
    })
}

pub fn resolve_batch(
    args: &BatchArgs,
    log_file: Option<PathBuf>,
    network: &NetworkArgs,
    env: EnvLookup,
) -> Result<BatchSettings, UsageError> {
    let mut connection = resolve_connection(&args.retry, args.mock.as_deref(), network, env)?;
    let request = resolve_request(&args.request, env)?;
    let expectation =
        Expectation::from_flags(args.check.expect_json, args.check.choices.as_deref())?;
    if args.jobs == 0 || args.jobs > MAX_JOBS {
        return Err(UsageError::new(
            format!("--jobs {} is outside 1 to {MAX_JOBS}", args.jobs),
            "give --jobs a number of workers such as 4 (more rarely helps: the rate limit is shared)",
        ));
    }
    connection.client.max_connections = args.jobs;
    if args.rpm == Some(0) || args.tpm == Some(0) {
        return Err(UsageError::new(
            "--rpm 0 / --tpm 0 would never send anything",
            "give the limit of your account, e.g. --rpm 50, or leave it out to learn it from the API",
        ));
    }
    if args.headroom >= 100.0 {
        return Err(UsageError::new(
            format!("--headroom {} keeps the whole limit unused", args.headroom),
            "give a percentage below 100, e.g. --headroom 10 (the default)",
        ));
    }
    let input = match args.input.as_deref() {
        Some(path) if path.as_os_str() == "-" => BatchInput::Stdin,
        Some(path) => BatchInput::File(path.to_path_buf()),
        None => {
            return Err(UsageError::new(
                "no INPUT file",
                "give the requests file, or - to read stdin: claude-rs batch prompts.jsonl -o results.jsonl",
            ));
        }
    };
    if let (BatchInput::File(input), Some(output)) = (&input, &args.output)
        && same_file(input, output)
    {
        return Err(UsageError::new(
            format!("OUTPUT {} is the INPUT file", output.display()),
            "write the results to another file, e.g. -o results.jsonl",
        ));
    }
    if args.retry_errored && args.output.is_none() {
        return Err(UsageError::new(
            "--retry-errored needs the OUTPUT of an earlier run",
            "give the same -o OUTPUT as the run whose errored items should be redone",
        ));
    }
    Ok(BatchSettings {
        connection,
        request,
        policy: batch_policy(args),
        input,
        output: args.output.clone(),
        jobs: args.jobs,
        rpm: args.rpm,
        tpm: args.tpm,
        rate_fraction: 1.0 - args.headroom / 100.0,
        expectation,
        skip_invalid: args.skip_invalid,
        retry_errored: args.retry_errored,
        quiet: args.quiet,
        log_path: log_path(log_file, env),
    })
}

/// A batch waits out long retry-afters: nobody is waiting at a terminal.
fn batch_policy(args: &BatchArgs) -> RetryPolicy {
    RetryPolicy {
        max_retries: args.retry.max_retries,
        retry_after_cap: BATCH_RETRY_AFTER_CAP,
        ..RetryPolicy::default()
    }
}

/// For tests only: a lower number of requests per Message Batch, so that
/// splitting the input into several batches can be seen without 100,001 items.
const TEST_BATCH_LIMIT_VAR: &str = "CLAUDE_RS_TEST_BATCH_LIMIT";

/// The settings every Message Batches path shares, checked.
pub fn resolve_remote(args: &BatchArgs, env: EnvLookup) -> Result<RemoteSettings, UsageError> {
    if args.mock.is_some() {
        return Err(UsageError::new(
            "--mock runs the fake API inside this process, so a Message Batch could not outlive it",
            "run the fake API on its own (claude-rs mock --batch-polls 3 &) and point ANTHROPIC_BASE_URL at it",
        ));
    }
    if args.check.expect_json || args.check.choices.is_some() {
        return Err(UsageError::new(
            "--expect-json and --choices check each reply as it arrives and retry it; the Message Batches API cannot",
            "check the replies in OUTPUT afterwards, or run the batch locally (without --remote)",
        ));
    }
    let poll_interval = seconds("--poll-interval", args.poll_interval)?;
    let mut limits = BatchLimits::default();
    if let Some(max) = env(TEST_BATCH_LIMIT_VAR).and_then(|v| v.trim().parse::<usize>().ok()) {
        limits.max_requests = max.clamp(1, MAX_BATCH_REQUESTS);
    }
    Ok(RemoteSettings {
        poll_interval,
        limits,
        json: args.json,
    })
}

/// Settings for the Message Batches calls that read no INPUT.
pub fn resolve_batch_api(
    args: &BatchArgs,
    log_file: Option<PathBuf>,
    network: &NetworkArgs,
    env: EnvLookup,
) -> Result<BatchApiSettings, UsageError> {
    let remote = resolve_remote(args, env)?;
    let connection = resolve_connection(&args.retry, None, network, env)?;
    Ok(BatchApiSettings {
        connection,
        policy: batch_policy(args),
        output: args.output.clone(),
        retry_errored: args.retry_errored,
        quiet: args.quiet,
        log_path: log_path(log_file, env),
        remote,
    })
}

/// Whether two paths name the same file (an OUTPUT that does not exist yet cannot be the input).
fn same_file(a: &std::path::Path, b: &std::path::Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}

pub(crate) fn check_max_tokens(max_tokens: u32, model: &str) -> Result<(), UsageError> {
    if max_tokens == 0 {
        return Err(UsageError::new(
            "--max-tokens 0 leaves no room for a reply",
            "give --max-tokens a value of 1 or more (default 4096)",
        ));
    }
    if let Some(limit) = max_output_tokens(model)
        && max_tokens > limit
    {
        return Err(UsageError::new(
            format!("--max-tokens {max_tokens} is above {model}'s limit of {limit} output tokens"),
            format!("give --max-tokens {limit} or less"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_env(_: &str) -> Option<String> {
        None
    }

    #[test]
    fn base_url_must_be_http_with_a_host() {
        let mut warnings = Vec::new();
        assert_eq!(
            base_url("https://api.anthropic.com/", &mut warnings).unwrap(),
            "https://api.anthropic.com"
        );
        assert_eq!(
            base_url("http://127.0.0.1:8080", &mut warnings).unwrap(),
            "http://127.0.0.1:8080"
        );
        assert!(warnings.is_empty());
        assert!(
            base_url("ftp://x", &mut warnings)
                .unwrap_err()
                .problem
                .contains("ftp://")
        );
        assert!(base_url("api.anthropic.com", &mut warnings).is_err());
        assert!(base_url("https://", &mut warnings).is_err());
        assert_eq!(
            base_url("https://gw.example/v1", &mut warnings).unwrap(),
            "https://gw.example"
        );
        assert_eq!(warnings.len(), 1);
    }

    #[test]
    fn a_missing_key_names_the_variable() {
        let error = api_key(&no_env, false).unwrap_err();
        assert!(error.problem.contains("ANTHROPIC_API_KEY"));
        let blank = |name: &str| (name == "ANTHROPIC_API_KEY").then(|| "  ".to_string());
        assert!(api_key(&blank, false).is_err());
        assert!(api_key(&no_env, true).is_ok());
    }

    #[test]
    fn flags_override_env_for_the_model() {
        let env = |name: &str| (name == "ANTHROPIC_MODEL").then(|| "claude-haiku-4-5".to_string());
        assert_eq!(model(None, &env).unwrap(), "claude-haiku-4-5");
        assert_eq!(
            model(Some("claude-opus-4-6"), &env).unwrap(),
            "claude-opus-4-6"
        );
        assert_eq!(model(None, &no_env).unwrap(), DEFAULT_MODEL);
        assert!(model(Some("claude sonnet"), &no_env).is_err());
    }

    #[test]
    fn max_tokens_is_bounded_by_the_model() {
        assert!(check_max_tokens(0, "claude-sonnet-4-6").is_err());
        assert!(check_max_tokens(64_000, "claude-sonnet-4-6").is_ok());
        let error = check_max_tokens(64_001, "claude-sonnet-4-6").unwrap_err();
        assert!(error.problem.contains("64000"), "{}", error.problem);
        assert!(check_max_tokens(1_000_000, "unknown-model").is_ok());
    }

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

    #[test]
    fn timeouts_must_be_positive() {
        assert!(seconds("--timeout", 0.0).is_err());
        assert!(seconds("--timeout", f64::NAN).is_err());
        assert_eq!(
            seconds("--timeout", 1.5).unwrap(),
            Duration::from_millis(1500)
        );
    }
}
