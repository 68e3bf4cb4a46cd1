//! Flags and environment resolved once into the settings a command runs with
//! (flags > environment > defaults). Everything a user can get wrong locally
//! is caught here, before anything is sent, as a `UsageError` (exit 2).

pub mod base_url;
pub mod context;
pub mod file;
pub mod key_command;
pub mod network;
pub mod usage;
pub mod user;

pub use usage::{EnvLookup, Refused, UsageError, env_or_none};

pub use context::{Context, Shown};

use base_url::BaseUrl;
use std::path::PathBuf;
use std::time::Duration;

use crate::api::ClientSettings;
use crate::api::batches::{MAX_BATCH_BYTES, MAX_BATCH_REQUESTS};
use crate::api::models::{DEFAULT_MODEL, malformed_model_id};
use crate::cli::{AskArgs, BatchArgs, ReplyCheckArgs, RequestArgs, RetryArgs};
use crate::config::user::{Source, Sourced};
use crate::output_check::Expectation;
use crate::resilience::RetryPolicy;
use crate::secret::ApiKey;
use serde_json::Value;

pub const DEFAULT_BASE_URL: &str = "https://api.anthropic.com";
/// What `--mock` uses when no key is set: the fake API accepts any key.
pub const MOCK_API_KEY: &str = "sk-ant-mock-key-for-the-fake-api-only";
/// `Connection::key_source` of a dry run that found no key.
pub const NO_KEY: &str = "no key is set; it would come from ANTHROPIC_API_KEY, else api_key_cmd or api_key in the config file";

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
    /// The folder where processes on one key share their pace (`None`: alone).
    pub shared_limits: Option<PathBuf>,
    /// Where the key came from, as a failure about it names it
    /// (`env ANTHROPIC_API_KEY`, `config file, line 3`, …).
    pub key_source: String,
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
    /// `--fallback-model`.
    pub fallback_model: Option<String>,
    /// `--dry-run`: print the request, send nothing.
    pub dry_run: bool,
    /// Where the Models API's facts are kept (`None` under `--mock`).
    pub model_cache: Option<PathBuf>,
    pub quiet: bool,
    pub verbose: bool,
    pub log_path: Option<PathBuf>,
    /// `--events`: the file (`-`: stderr) for a program's events.
    pub events: Option<PathBuf>,
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
    pub pacing: Pacing,
    pub expectation: Option<Expectation>,
    /// Where the Models API's facts are kept (`None` under `--mock`).
    pub model_cache: Option<PathBuf>,
    pub skip_invalid: bool,
    pub retry_errored: bool,
    pub quiet: bool,
    pub log_path: Option<PathBuf>,
    pub events: Option<PathBuf>,
    /// `--fallback-model`, for the items that do not name it themselves.
    pub fallback_model: Option<String>,
    /// `--dry-run`: print the plan, send nothing, leave OUTPUT alone.
    pub dry_run: bool,
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
    pub events: Option<PathBuf>,
    pub remote: RemoteSettings,
}

/// The most worker threads `--jobs` may ask for.
pub const MAX_JOBS: usize = 256;

pub const DEFAULT_MAX_TOKENS: u32 = 4096;
pub const DEFAULT_MAX_RETRIES: u32 = 4;
/// Seconds.
pub const DEFAULT_STALL_TIMEOUT: f64 = 30.0;
pub const DEFAULT_CONNECT_TIMEOUT: f64 = 10.0;
pub const DEFAULT_JOBS: usize = 4;
/// Percent of every limit kept unused.
pub const DEFAULT_HEADROOM: f64 = 10.0;

/// How long a batch goes on with no request succeeding.
pub const DEFAULT_GIVE_UP_AFTER: Duration = Duration::from_secs(600);

/// A batch waits out a server's retry-after up to this long: nobody is waiting
/// at a terminal, and giving up would turn a pause into errored items.
pub const BATCH_RETRY_AFTER_CAP: Duration = Duration::from_secs(600);

/// `~/…` in a path from the config file means the home directory.
pub fn expand_home(path: &str) -> PathBuf {
    match (path.strip_prefix("~/"), dirs::home_dir()) {
        (Some(rest), Some(home)) => home.join(rest),
        _ => PathBuf::from(path),
    }
}

/// `--log-file`, else `CLAUDE_RS_LOG`, else `log_file` in the config file,
/// else the user's state directory.
pub fn log_path(ctx: &Context) -> Option<PathBuf> {
    // A flag's path is used as given, even if it is not UTF-8.
    if let Some(flag) = &ctx.log_flag {
        let shown = flag.display().to_string().into();
        ctx.record("log_file", shown, &Source::Flag("--log-file"));
        return Some(flag.clone());
    }
    let picked = ctx.pick_optional(
        "log_file",
        None,
        env_or_none(ctx.env, "CLAUDE_RS_LOG").map(|p| (p, "CLAUDE_RS_LOG")),
        ctx.config(|l| l.log_file.as_ref()),
    );
    match picked.value {
        Some(path) => Some(expand_home(&path)),
        None => {
            let default = crate::log::default_path();
            let shown = default.as_ref().map(|p| p.display().to_string());
            ctx.record("log_file", shown.into(), &Source::Default);
            default
        }
    }
}

pub(crate) fn cache_dir(env: EnvLookup) -> Option<PathBuf> {
    env_or_none(env, "CLAUDE_RS_CACHE_DIR")
        .map(PathBuf::from)
        .or_else(|| dirs::cache_dir().map(|d| d.join("claude-rs")))
}

/// Where the processes on one key share their pace, unless turned off:
/// `$XDG_RUNTIME_DIR/claude-rs/limits` (a per-login tmpfs), else the cache
/// folder's `limits`.
pub fn shared_limits_dir(turned_off: bool, ctx: &Context) -> Option<PathBuf> {
    let on = ctx.pick(
        "shared_limits",
        turned_off.then_some((false, "--no-shared-limits")),
        None,
        ctx.config(|l| l.shared_limits.as_ref()),
        true,
    );
    let runtime = env_or_none(ctx.env, "XDG_RUNTIME_DIR")
        .map(PathBuf::from)
        // The spec's rule: a relative path is to be ignored.
        .filter(|dir| dir.is_absolute())
        .map(|dir| dir.join("claude-rs"));
    let dir = runtime.or_else(|| cache_dir(ctx.env))?;
    on.value.then(|| dir.join("limits"))
}

pub fn seconds(flag: &str, value: f64) -> Result<Duration, UsageError> {
    match seconds_problem(value) {
        Some(problem) => Err(UsageError::new(
            format!("{flag} {} {problem}", shown_seconds(value)),
            format!("give {flag} a number of seconds above 0, e.g. {flag} 30"),
        )),
        None => Ok(Duration::from_secs_f64(value)),
    }
}

/// The longest time any flag may name; a duration of it is far from overflowing.
const MAX_SECONDS: f64 = 1e7;

/// What is wrong with a number of seconds, said of the value; `None` if nothing.
fn seconds_problem(value: f64) -> Option<&'static str> {
    match value {
        v if v.is_nan() => Some("is not a number"),
        v if v <= 0.0 => Some("is not above 0"),
        v if v > MAX_SECONDS => {
            Some("is longer than claude-rs waits (at most 10000000 seconds, about 115 days)")
        }
        _ => None,
    }
}

/// A huge value written as 1e19, not as twenty digits.
fn shown_seconds(value: f64) -> String {
    match value.abs() >= MAX_SECONDS && value.is_finite() {
        true => format!("{value:e}"),
        false => value.to_string(),
    }
}

/// `seconds` for a value that may come from the config file: the message
/// says where it came from.
fn picked_seconds(
    ctx: &Context,
    picked: &Sourced<f64>,
    flag: &str,
    key: &str,
) -> Result<Duration, UsageError> {
    let Some(problem) = seconds_problem(picked.value) else {
        return Ok(Duration::from_secs_f64(picked.value));
    };
    match picked.source {
        Source::Flag(_) | Source::Default => seconds(flag, picked.value),
        _ => Err(UsageError::new(
            format!(
                "{} {problem}",
                ctx.said(&picked.source, flag, key, shown_seconds(picked.value))
            ),
            format!("set {key} to a number of seconds above 0, e.g. {key} = 30"),
        )),
    }
}

/// `ANTHROPIC_BASE_URL`, else `base_url` in the config file, else the API's:
/// checked, and without a trailing `/` or `/v1`.
pub fn resolve_base_url(ctx: &Context, warnings: &mut Vec<String>) -> Result<String, UsageError> {
    let picked = ctx.pick(
        "base_url",
        None,
        env_or_none(ctx.env, "ANTHROPIC_BASE_URL").map(|u| (u, "ANTHROPIC_BASE_URL")),
        ctx.config(|l| l.base_url.as_ref()),
        DEFAULT_BASE_URL.to_string(),
    );
    let fix = "set ANTHROPIC_BASE_URL (or base_url in the config file) to scheme://host[:port], e.g. https://api.anthropic.com";
    let parsed = BaseUrl::parse(&picked.value).map_err(|problem| UsageError::new(problem, fix))?;
    let origin = parsed.url.origin();
    if parsed.dropped_v1 {
        warnings.push(format!(
            "the base URL ends in /v1; claude-rs adds that itself, so it uses {origin}"
        ));
    }
    Ok(origin)
}

/// `--beta` (all of them), else `betas` in the config file, comma-joined for
/// the `anthropic-beta` header. A name must fit in a header between commas.
pub fn betas(ctx: &Context) -> Result<Option<String>, UsageError> {
    let flags = (!ctx.network.betas.is_empty()).then(|| (ctx.network.betas.clone(), "--beta"));
    let picked = ctx.pick(
        "betas",
        flags,
        None,
        ctx.config(|l| l.betas.as_ref()),
        Vec::new(),
    );
    let fits =
        |name: &&String| !name.is_empty() && name.chars().all(|c| c.is_ascii_graphic() && c != ',');
    match picked.value.iter().find(|name| !fits(name)) {
        None => Ok((!picked.value.is_empty()).then(|| picked.value.join(","))),
        Some(name) => Err(UsageError::new(
            format!(
                "{} is not a beta name: it must be ASCII letters, digits and punctuation, without spaces or commas",
                ctx.said(&picked.source, "--beta", "betas", format!("{name:?}"))
            ),
            "give each beta on its own, as Anthropic's docs spell it, e.g. --beta files-api-2025-04-14",
        )),
    }
}

/// `--model`, else `ANTHROPIC_MODEL`, else `model` in the config file, else the default.
pub fn model(flag: Option<&str>, ctx: &Context) -> Result<String, UsageError> {
    let picked = ctx.pick(
        "model",
        flag.map(|m| (m.to_string(), "--model")),
        env_or_none(ctx.env, "ANTHROPIC_MODEL").map(|m| (m, "ANTHROPIC_MODEL")),
        ctx.config(|l| l.model.as_ref()),
        DEFAULT_MODEL.to_string(),
    );
    if let Some(problem) = malformed_model_id(&picked.value) {
        let value = format!("'{}'", picked.value);
        let said = ctx.said(&picked.source, "--model", "model", value);
        return Err(UsageError::new(
            format!("{said} is not a model id: {problem}"),
            format!(
                "give a model id such as {DEFAULT_MODEL} (--model, ANTHROPIC_MODEL or model in the config file)"
            ),
        ));
    }
    Ok(picked.value)
}

/// `--fallback-model`, else `fallback_model` in the config file: a model id
/// other than `model` (the same model again would only be one more retry:
/// refused from the flag, ignored from the file).
pub fn fallback_model(
    flag: Option<&str>,
    model: &str,
    ctx: &Context,
) -> Result<Option<String>, UsageError> {
    let picked = ctx.pick_optional(
        "fallback_model",
        flag.map(|m| (m.to_string(), "--fallback-model")),
        None,
        ctx.config(|l| l.fallback_model.as_ref()),
    );
    let Some(fallback) = &picked.value else {
        return Ok(None);
    };
    let said = ctx.said(
        &picked.source,
        "--fallback-model",
        "fallback_model",
        format!("'{fallback}'"),
    );
    let fix = "give another model, e.g. --fallback-model claude-haiku-5-5 (--fallback-model or fallback_model in the config file)";
    if let Some(problem) = malformed_model_id(fallback) {
        return Err(UsageError::new(
            format!("{said} is not a model id: {problem}"),
            fix,
        ));
    }
    // The config file's fallback is a default for every model: a command on
    // that very model simply has none.
    if fallback == model && !matches!(picked.source, Source::Flag(_)) {
        return Ok(None);
    }
    if fallback == model {
        return Err(UsageError::new(
            format!("{said} is the model itself: a fallback must be another model"),
            fix,
        ));
    }
    Ok(picked.value)
}

/// `ANTHROPIC_API_KEY`, else the config file's `api_key_cmd` or `api_key`
/// (a profile's over the top level's). With `--mock` and no key, the fake
/// API's: no command is run for it.
pub fn api_key(ctx: &Context, mock: bool) -> Result<ApiKey, UsageError> {
    find_api_key(ctx, mock)?.ok_or_else(|| {
        UsageError::new(
            "no API key: ANTHROPIC_API_KEY is not set (or is empty), and the config file has no api_key_cmd",
            "export ANTHROPIC_API_KEY=sk-ant-... (create one at https://console.anthropic.com/settings/keys), \
             or set api_key_cmd = \"pass show anthropic\" in the config file (claude-rs config path), \
             or try claude-rs without a key: claude-rs ask --mock flaky \"hello\"",
        )
    })
}

/// The key, or `None` when none is set anywhere.
fn find_api_key(ctx: &Context, mock: bool) -> Result<Option<ApiKey>, UsageError> {
    let from_env = (ctx.env)("ANTHROPIC_API_KEY")
        .as_deref()
        .and_then(ApiKey::new);
    if from_env.is_none() && mock {
        let key = ApiKey::new(MOCK_API_KEY).ok_or_else(|| UsageError::new("no mock key", ""))?;
        ctx.record("api_key", "(any: the fake API)".into(), &Source::Default);
        return Ok(Some(key));
    }
    let command = ctx.config(|l| l.api_key_cmd.as_ref());
    let literal = ctx.config(|l| l.api_key.as_ref());
    // The key, where it came from (as `config show` says it, and as a
    // refusal names it) and how to fix a key that cannot be sent.
    let (key, source, how, from, fix) = match (from_env, command, literal) {
        (Some(key), _, _) => (
            key,
            Source::Env("ANTHROPIC_API_KEY"),
            "",
            "ANTHROPIC_API_KEY".to_string(),
            "export ANTHROPIC_API_KEY=sk-ant-...",
        ),
        (None, Some(command), Some(literal)) if rank(&command.source) == rank(&literal.source) => {
            return Err(UsageError::new(
                format!(
                    "the config file sets both api_key ({}) and api_key_cmd ({}) in the same place",
                    literal.source, command.source
                ),
                "keep one of them: api_key_cmd, so that the key stays out of the file",
            ));
        }
        (None, Some(command), literal)
            if literal
                .as_ref()
                .is_none_or(|l| rank(&command.source) > rank(&l.source)) =>
        {
            let timeout = ctx
                .config(|l| l.api_key_cmd_timeout.as_ref())
                .map(|t| picked_seconds(ctx, &t, "api_key_cmd_timeout", "api_key_cmd_timeout"))
                .transpose()?
                .unwrap_or(key_command::DEFAULT_TIMEOUT);
            let key = key_command::key_from_command(&command.value, timeout)?;
            let from = format!("the output of api_key_cmd ({})", command.source);
            let fix = "make api_key_cmd print the key alone on its first line";
            (key, command.source, " (from api_key_cmd)", from, fix)
        }
        (None, _, Some(literal)) => {
            let from = format!("api_key in the config file ({})", literal.source);
            let key = ApiKey::new(&literal.value).ok_or_else(|| {
                UsageError::new(
                    format!("{from} is empty"),
                    "set it to the key, or better, use api_key_cmd",
                )
            })?;
            let fix = "set api_key = \"sk-ant-...\" on one line";
            (key, literal.source, "", from, fix)
        }
        _ => {
            ctx.record("api_key", Value::Null, &Source::Default);
            return Ok(None);
        }
    };
    ctx.record("api_key", format!("{}{how}", key.masked()).into(), &source);
    sendable(key, &from, fix).map(Some)
}

/// A key goes into the `x-api-key` header, which holds visible ASCII only: a
/// line break or a stray character from a bad copy would otherwise surface as
/// a network failure after every retry. Refused here, naming where the key
/// came from and never any of it beyond its last 4 characters.
fn sendable(key: ApiKey, from: &str, fix: &str) -> Result<ApiKey, UsageError> {
    let Some((at, bad)) = key
        .expose()
        .chars()
        .enumerate()
        .find(|(_, c)| !c.is_ascii_graphic())
    else {
        return Ok(key);
    };
    let what = match bad {
        '\n' | '\r' => "a line break".to_string(),
        '\t' => "a tab".to_string(),
        ' ' => "a space".to_string(),
        c if c.is_control() => format!("a control character (U+{:04X})", u32::from(c)),
        c => format!("a character that is not ASCII (U+{:04X})", u32::from(c)),
    };
    Err(UsageError::new(
        format!(
            "the API key from {from} (ending in {}) holds {what} at character {}: it cannot be sent in an HTTP header, so nothing was sent",
            key.masked(),
            at + 1
        ),
        format!("copy the key again, in one piece with nothing around it, then {fix}"),
    ))
}

/// Profiles outrank the file's top level.
fn rank(source: &Source) -> u8 {
    match source {
        Source::Profile { .. } => 2,
        Source::File { .. } => 1,
        _ => 0,
    }
}

/// Retries and the two timeouts, from flags, then the config file.
pub fn resolve_retry(
    args: &RetryArgs,
    ctx: &Context,
) -> Result<(u32, Duration, Duration), UsageError> {
    let retries = ctx.pick(
        "max_retries",
        args.max_retries.map(|n| (n, "--max-retries")),
        None,
        ctx.config(|l| l.max_retries.as_ref()),
        DEFAULT_MAX_RETRIES,
    );
    let stall = ctx.pick(
        "timeout",
        args.timeout.map(|t| (t, "--timeout")),
        None,
        ctx.config(|l| l.timeout.as_ref()),
        DEFAULT_STALL_TIMEOUT,
    );
    let connect = ctx.pick(
        "connect_timeout",
        args.connect_timeout.map(|t| (t, "--connect-timeout")),
        None,
        ctx.config(|l| l.connect_timeout.as_ref()),
        DEFAULT_CONNECT_TIMEOUT,
    );
    Ok((
        retries.value,
        picked_seconds(ctx, &stall, "--timeout", "timeout")?,
        picked_seconds(ctx, &connect, "--connect-timeout", "connect_timeout")?,
    ))
}

/// The API key, base URL, network and timeouts: everything a client needs.
/// A dry run needs no key: without one, it shows where one would come from.
pub fn resolve_connection(
    retry: &RetryArgs,
    mock: Option<&str>,
    dry_run: bool,
    ctx: &Context,
) -> Result<(Connection, u32), UsageError> {
    let mut warnings = Vec::new();
    let api_key = match dry_run {
        true => find_api_key(ctx, mock.is_some())?,
        false => Some(api_key(ctx, mock.is_some())?),
    };
    let key_source = match ctx.shown().into_iter().find(|shown| shown.key == "api_key") {
        _ if api_key.is_none() => NO_KEY.to_string(),
        Some(shown) if shown.source != Source::Default => shown.source.to_string(),
        _ => "the fake API's own, as --mock sends no real key".to_string(),
    };
    // Never sent: a dry run sends nothing, and shows `key_source` instead.
    let api_key = match api_key.or_else(|| ApiKey::new(MOCK_API_KEY)) {
        Some(key) => key,
        None => return Err(UsageError::new("no placeholder key", "")),
    };
    let base_url = match mock {
        // Filled in once the fake API is listening.
        Some(_) => String::new(),
        None => resolve_base_url(ctx, &mut warnings)?,
    };
    let plain_http = mock.is_some() || base_url.to_ascii_lowercase().starts_with("http://");
    let network = network::resolve_for(ctx, plain_http)?;
    if mock.is_none() {
        network::check_plain_http(&base_url, network.allow_insecure_http)?;
    }
    let (max_retries, stall_timeout, connect_timeout) = resolve_retry(retry, ctx)?;
    let sleep_scale = (ctx.env)("CLAUDE_RS_TEST_SLEEP_SCALE")
        .and_then(|v| v.parse::<f64>().ok())
        .filter(|v| v.is_finite() && *v >= 0.0)
        .unwrap_or(1.0);
    warnings.extend(ctx.user.warnings());
    let connection = Connection {
        client: ClientSettings {
            base_url,
            api_key,
            connect_timeout,
            stall_timeout,
            max_connections: 1,
            network: network.network,
        },
        sleep_scale,
        mock_scenario: mock.map(str::to_string),
        // The fake API started by --mock is this process's alone.
        shared_limits: shared_limits_dir(retry.no_shared_limits, ctx).filter(|_| mock.is_none()),
        key_source,
        warnings,
    };
    Ok((connection, max_retries))
}

/// The model, system prompt, max tokens and temperature, checked.
pub fn resolve_request(args: &RequestArgs, ctx: &Context) -> Result<RequestDefaults, UsageError> {
    // Every value is picked (and so recorded for `config show`) before any
    // is judged: one bad setting must not hide the others.
    let model = model(args.model.as_deref(), ctx);
    let max_tokens = ctx.pick(
        "max_tokens",
        args.max_tokens.map(|n| (n, "--max-tokens")),
        None,
        ctx.config(|l| l.max_tokens.as_ref()),
        DEFAULT_MAX_TOKENS,
    );
    let system = ctx.pick_optional(
        "system",
        args.system.clone().map(|s| (s, "--system")),
        None,
        ctx.config(|l| l.system.as_ref()),
    );
    let temperature = ctx.pick_optional(
        "temperature",
        args.temperature.map(|t| (t, "--temperature")),
        None,
        ctx.config(|l| l.temperature.as_ref()),
    );
    let model = model?;
    // Only 0 is refused here: the model's own limit is checked against the
    // Models API before sending (`commands::preflight`).
    if max_tokens.value == 0 {
        let said = ctx.said(&max_tokens.source, "--max-tokens", "max_tokens", 0);
        let problem = "leaves no room for a reply";
        return Err(match max_tokens.source {
            Source::Flag(_) | Source::Default => UsageError::new(
                format!("{said} {problem}"),
                "give --max-tokens a value of 1 or more (default 4096)",
            ),
            _ => UsageError::new(
                format!("{said}: {problem}"),
                "change max_tokens in the config file (claude-rs config show says where it is set)",
            ),
        });
    }
    if let Some(t) = temperature.value
        && !(0.0..=1.0).contains(&t)
    {
        let said = ctx.said(&temperature.source, "--temperature", "temperature", t);
        return Err(UsageError::new(
            format!("{said} is outside 0.0 to 1.0"),
            "give the temperature a value from 0.0 (focused) to 1.0 (creative)",
        ));
    }
    Ok(RequestDefaults {
        model,
        system: system.value,
        max_tokens: max_tokens.value,
        temperature: temperature.value,
    })
}

/// What a call asks and what its reply must be, alike for `ask` and `batch`:
/// the request's defaults, the fallback model, the reply check.
fn resolve_call(
    args: &RequestArgs,
    check: &ReplyCheckArgs,
    ctx: &Context,
) -> Result<(RequestDefaults, Option<String>, Option<Expectation>), UsageError> {
    let request = resolve_request(args, ctx)?;
    let fallback_model = fallback_model(args.fallback_model.as_deref(), &request.model, ctx)?;
    let expectation = Expectation::from_flags(
        check.expect_json,
        check.choices.as_deref(),
        check.schema.as_deref(),
    )?;
    Ok((request, fallback_model, expectation))
}

pub fn resolve_ask(
    args: &AskArgs,
    ctx: &Context,
    stdout_is_terminal: bool,
) -> Result<AskSettings, UsageError> {
    let (connection, max_retries) =
        resolve_connection(&args.retry, args.mock.as_deref(), args.dry_run, ctx)?;
    let (request, fallback_model, expectation) = resolve_call(&args.request, &args.check, ctx)?;
    let buffered = args.json || expectation.is_some() || args.no_stream;
    let output = match !buffered && (args.stream || stdout_is_terminal) {
        true => OutputMode::Stream,
        false => OutputMode::Buffer,
    };
    let deadline = args
        .deadline
        .map(|d| seconds("--deadline", d))
        .transpose()?;
    Ok(AskSettings {
        connection,
        request,
        policy: RetryPolicy {
            max_retries,
            deadline,
            ..RetryPolicy::default()
        },
        output,
        json: args.json,
        raw: args.raw,
        usage: args.usage,
        expectation,
        fallback_text: args.fallback.clone(),
        fallback_cache: args.fallback_cache.then(|| cache_dir(ctx.env)).flatten(),
        fallback_model,
        dry_run: args.dry_run,
        model_cache: args.mock.is_none().then(|| cache_dir(ctx.env)).flatten(),
        quiet: args.quiet,
        verbose: args.verbose,
        log_path: log_path(ctx),
        events: args.events.clone(),
    })
}

/// How fast a local batch goes: workers, limits and headroom, from flags,
/// then the config file's `[batch]`.
#[derive(Debug)]
pub struct Pacing {
    pub jobs: usize,
    pub rpm: Option<u32>,
    pub tpm: Option<u64>,
    /// The fraction of every limit actually used (0.9 for a headroom of 10).
    pub rate_fraction: f64,
    /// No success for this long stops the batch (`--give-up-after`).
    pub give_up_after: Duration,
}

pub fn resolve_pacing(
    jobs: Option<usize>,
    rpm: Option<u32>,
    tpm: Option<u64>,
    headroom: Option<f64>,
    give_up_after: Option<Duration>,
    ctx: &Context,
) -> Result<Pacing, UsageError> {
    let jobs = ctx.pick(
        "batch.jobs",
        jobs.map(|n| (n, "--jobs")),
        None,
        ctx.config_batch(|b| b.jobs.as_ref()),
        DEFAULT_JOBS,
    );
    if jobs.value == 0 || jobs.value > MAX_JOBS {
        let said = ctx.said(&jobs.source, "--jobs", "jobs", jobs.value);
        return Err(UsageError::new(
            format!("{said} is outside 1 to {MAX_JOBS}"),
            "give a number of workers such as 4 (more rarely helps: the rate limit is shared)",
        ));
    }
    let rpm = ctx.pick_optional(
        "batch.rpm",
        rpm.map(|n| (n, "--rpm")),
        None,
        ctx.config_batch(|b| b.rpm.as_ref()),
    );
    let tpm = ctx.pick_optional(
        "batch.tpm",
        tpm.map(|n| (n, "--tpm")),
        None,
        ctx.config_batch(|b| b.tpm.as_ref()),
    );
    for (limit, flag, key) in [
        (rpm.value.map(u64::from), &rpm.source, "rpm"),
        (tpm.value, &tpm.source, "tpm"),
    ] {
        if limit == Some(0) {
            let said = ctx.said(flag, &format!("--{key}"), key, 0);
            return Err(UsageError::new(
                format!("{said} would never send anything"),
                "give the limit of your account, e.g. --rpm 50, or leave it out to learn it from the API",
            ));
        }
    }
    let headroom = ctx.pick(
        "batch.headroom",
        headroom.map(|h| (h, "--headroom")),
        None,
        ctx.config_batch(|b| b.headroom.as_ref()),
        DEFAULT_HEADROOM,
    );
    if !(0.0..100.0).contains(&headroom.value) {
        let said = ctx.said(&headroom.source, "--headroom", "headroom", headroom.value);
        let problem = match headroom.value >= 100.0 {
            true => format!("{said} keeps the whole limit unused"),
            false => format!("{said} is not a percentage"),
        };
        return Err(UsageError::new(
            problem,
            "give a percentage from 0 to below 100, e.g. 10 (the default)",
        ));
    }
    // Whole seconds, at least one: the config file's unit.
    let give_up_after = ctx.pick(
        "batch.give_up_after",
        give_up_after.map(|d| (d.as_secs().max(1), "--give-up-after")),
        None,
        ctx.config_batch(|b| b.give_up_after.as_ref()),
        DEFAULT_GIVE_UP_AFTER.as_secs(),
    );
    Ok(Pacing {
        jobs: jobs.value,
        rpm: rpm.value,
        tpm: tpm.value,
        rate_fraction: 1.0 - headroom.value / 100.0,
        give_up_after: Duration::from_secs(give_up_after.value.max(1)),
    })
}

pub fn resolve_batch(args: &BatchArgs, ctx: &Context) -> Result<BatchSettings, UsageError> {
    let (mut connection, max_retries) =
        resolve_connection(&args.retry, args.mock.as_deref(), args.dry_run, ctx)?;
    let (request, fallback_model, expectation) = resolve_call(&args.request, &args.check, ctx)?;
    let pacing = resolve_pacing(
        args.jobs,
        args.rpm,
        args.tpm,
        args.headroom,
        args.give_up_after,
        ctx,
    )?;
    connection.client.max_connections = pacing.jobs;
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
    if args.retry_errored && args.output.is_none() {
        return Err(UsageError::new(
            "--retry-errored needs the OUTPUT of an earlier run",
            "give the same -o OUTPUT as the run whose errored items should be redone",
        ));
    }
    Ok(BatchSettings {
        connection,
        request,
        // The gate paces rate limits and overloads, and the give-up bound ends them.
        policy: RetryPolicy {
            pauses_are_free: true,
            overloads_are_paid: fallback_model.is_some(),
            ..batch_policy(max_retries)
        },
        input,
        output: args.output.clone(),
        pacing,
        expectation,
        model_cache: args.mock.is_none().then(|| cache_dir(ctx.env)).flatten(),
        skip_invalid: args.skip_invalid,
        retry_errored: args.retry_errored,
        quiet: args.quiet,
        log_path: log_path(ctx),
        events: args.events.clone(),
        fallback_model,
        dry_run: args.dry_run,
    })
}

/// A batch waits out long retry-afters: nobody is waiting at a terminal.
fn batch_policy(max_retries: u32) -> RetryPolicy {
    RetryPolicy {
        max_retries,
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
    if args.check.expect_json || args.check.choices.is_some() || args.check.schema.is_some() {
        return Err(UsageError::new(
            "--expect-json, --choices and --schema check each reply as it arrives and retry it; the Message Batches API cannot",
            "check the replies in OUTPUT afterwards, or run the batch locally (without --remote)",
        ));
    }
    if args.request.fallback_model.is_some() {
        return Err(UsageError::new(
            "--fallback-model tries another model when a call made here fails; the Message Batches API runs the items itself",
            "run the batch locally (without --remote) to fall back, or leave --fallback-model out",
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
pub fn resolve_batch_api(args: &BatchArgs, ctx: &Context) -> Result<BatchApiSettings, UsageError> {
    let remote = resolve_remote(args, ctx.env)?;
    let (connection, max_retries) = resolve_connection(&args.retry, None, false, ctx)?;
    Ok(BatchApiSettings {
        connection,
        policy: batch_policy(max_retries),
        output: args.output.clone(),
        retry_errored: args.retry_errored,
        quiet: args.quiet,
        log_path: log_path(ctx),
        events: args.events.clone(),
        remote,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::NetworkArgs;
    use crate::config::file::ConfigFile;
    use crate::config::user::UserConfig;

    fn no_env(_: &str) -> Option<String> {
        None
    }

    /// `resolve_base_url` of `raw` given as ANTHROPIC_BASE_URL.
    fn base_url(raw: &str, warnings: &mut Vec<String>) -> Result<String, UsageError> {
        let env = |name: &str| (name == "ANTHROPIC_BASE_URL").then(|| raw.to_string());
        with_ctx(&env, None, None, |ctx| resolve_base_url(ctx, warnings))
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

    /// Runs `body` with a context made of `env` and, if given, a config file.
    fn with_ctx<R>(
        env: EnvLookup,
        file: Option<&str>,
        profile: Option<&str>,
        body: impl FnOnce(&Context) -> R,
    ) -> R {
        let user = UserConfig {
            path: Some(PathBuf::from("/home/me/.config/claude-rs/config.toml")),
            file: file.map(|text| {
                ConfigFile::parse(
                    std::path::Path::new("/home/me/.config/claude-rs/config.toml"),
                    text.into(),
                    Some(0o600),
                )
                .unwrap()
            }),
            profile: profile.map(str::to_string),
        };
        let network = NetworkArgs::default();
        let ctx = Context::new(env, &user, None, &network);
        body(&ctx)
    }

    #[test]
    fn a_missing_key_names_the_variable_and_the_config_file_option() {
        let error = with_ctx(&no_env, None, None, |ctx| api_key(ctx, false).unwrap_err());
        assert!(error.problem.contains("ANTHROPIC_API_KEY"));
        assert!(error.fix.contains("api_key_cmd"), "{}", error.fix);
        let blank = |name: &str| (name == "ANTHROPIC_API_KEY").then(|| "  ".to_string());
        assert!(with_ctx(&blank, None, None, |ctx| api_key(ctx, false).is_err()));
        assert!(with_ctx(&no_env, None, None, |ctx| api_key(ctx, true).is_ok()));
    }

    #[cfg(unix)]
    #[test]
    fn the_key_comes_from_env_then_the_profile_then_the_file() {
        let file = "api_key_cmd = \"echo sk-ant-from-file-cmd-00000001\"\n[profile.work]\napi_key_cmd = \"echo sk-ant-from-work-cmd-00000002\"\n";
        let key = |env: EnvLookup, profile: Option<&str>| {
            with_ctx(env, Some(file), profile, |ctx| {
                let key = api_key(ctx, false).unwrap();
                let shown = ctx.shown();
                (key.expose().to_string(), shown[0].source.clone())
            })
        };
        assert_eq!(
            key(&no_env, None),
            (
                "sk-ant-from-file-cmd-00000001".into(),
                Source::File { line: 1 }
            )
        );
        assert_eq!(
            key(&no_env, Some("work")),
            (
                "sk-ant-from-work-cmd-00000002".into(),
                Source::Profile {
                    name: "work".into(),
                    line: 3
                }
            )
        );
        let env = |name: &str| {
            (name == "ANTHROPIC_API_KEY").then(|| "sk-ant-from-the-env-000003".to_string())
        };
        assert_eq!(key(&env, Some("work")).0, "sk-ant-from-the-env-000003");
        let both = "api_key = \"sk-ant-x\"\napi_key_cmd = \"echo y\"\n";
        let error = with_ctx(&no_env, Some(both), None, |ctx| {
            api_key(ctx, false).unwrap_err()
        });
        assert!(error.problem.contains("both api_key"), "{}", error.problem);
        let shown = with_ctx(
            &no_env,
            Some("api_key = \"sk-ant-literal-key-0000wxyz\"\n"),
            None,
            |ctx| {
                api_key(ctx, false).unwrap();
                ctx.shown()[0].value.clone()
            },
        );
        assert_eq!(shown, Value::from("…wxyz"), "the key is shown masked");
    }

    #[test]
    fn flags_beat_env_beat_profile_beat_file_for_the_model() {
        let file = "model = \"claude-haiku-4-5\"\n[profile.work]\nmodel = \"claude-opus-4-6\"\n";
        let env = |name: &str| (name == "ANTHROPIC_MODEL").then(|| "claude-sonnet-4-5".to_string());
        let pick = |flag: Option<&str>, env: EnvLookup, profile: Option<&str>| {
            with_ctx(env, Some(file), profile, |ctx| model(flag, ctx).unwrap())
        };
        assert_eq!(
            pick(Some("claude-opus-4-1"), &env, Some("work")),
            "claude-opus-4-1"
        );
        assert_eq!(pick(None, &env, Some("work")), "claude-sonnet-4-5");
        assert_eq!(pick(None, &no_env, Some("work")), "claude-opus-4-6");
        assert_eq!(pick(None, &no_env, None), "claude-haiku-4-5");
        assert_eq!(
            with_ctx(&no_env, None, None, |ctx| model(None, ctx).unwrap()),
            DEFAULT_MODEL
        );
        let bad = with_ctx(
            &no_env,
            Some("\nmodel = \"claude sonnet\"\n"),
            None,
            |ctx| model(None, ctx).unwrap_err(),
        );
        assert!(
            bad.problem.contains(
                "model = 'claude sonnet' (/home/me/.config/claude-rs/config.toml, line 2)"
            ),
            "{}",
            bad.problem
        );
    }

    #[test]
    fn values_from_the_file_are_checked_and_named_with_their_line() {
        let tokens = with_ctx(&no_env, Some("max_tokens = 0\n"), None, |ctx| {
            resolve_request(&RequestArgs::default(), ctx).unwrap_err()
        });
        assert!(
            tokens.problem.starts_with("max_tokens = 0 ("),
            "{}",
            tokens.problem
        );
        assert!(tokens.problem.contains("line 1"), "{}", tokens.problem);
        let timeout = with_ctx(
            &no_env,
            Some("[profile.p]\ntimeout = -1.0\n"),
            Some("p"),
            |ctx| resolve_retry(&RetryArgs::default(), ctx).unwrap_err(),
        );
        assert!(
            timeout.problem.contains("[profile.p]"),
            "{}",
            timeout.problem
        );
        let jobs = with_ctx(&no_env, Some("[batch]\njobs = 0\n"), None, |ctx| {
            resolve_pacing(None, None, None, None, None, ctx)
                .err()
                .unwrap()
        });
        assert!(jobs.problem.contains("jobs = 0 ("), "{}", jobs.problem);
        let pacing = with_ctx(
            &no_env,
            Some("[batch]\njobs = 8\nrpm = 50\nheadroom = 20.0\n"),
            None,
            |ctx| {
                resolve_pacing(Some(2), None, None, None, None, ctx)
                    .ok()
                    .unwrap()
            },
        );
        assert_eq!(
            (pacing.jobs, pacing.rpm),
            (2, Some(50)),
            "the flag beats the file"
        );
        assert!((pacing.rate_fraction - 0.8).abs() < 1e-9);
    }

    #[test]
    fn the_log_path_comes_from_the_flag_env_or_file_with_home_expanded() {
        let file = "log_file = \"~/logs/claude.jsonl\"\n";
        let path = with_ctx(&no_env, Some(file), None, |ctx| log_path(ctx).unwrap());
        if let Some(home) = dirs::home_dir() {
            assert_eq!(path, home.join("logs/claude.jsonl"));
        }
        let env = |name: &str| (name == "CLAUDE_RS_LOG").then(|| "/tmp/env.jsonl".to_string());
        assert_eq!(
            with_ctx(&env, Some(file), None, |ctx| log_path(ctx).unwrap()),
            PathBuf::from("/tmp/env.jsonl")
        );
    }

    #[test]
    fn max_tokens_needs_room_and_leaves_the_models_limit_to_the_api() {
        let tokens = |n: u32| {
            let args = RequestArgs {
                max_tokens: Some(n),
                ..RequestArgs::default()
            };
            with_ctx(&no_env, None, None, |ctx| resolve_request(&args, ctx))
        };
        assert!(tokens(0).is_err());
        assert!(
            tokens(1_000_000).is_ok(),
            "the live limit is checked before sending"
        );
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
