//! `claude-rs ask`: one prompt, one reply, every failure classified, retried
//! right, explained and logged.

use std::io::{IsTerminal, Read};
use std::sync::atomic::AtomicU64;
use std::time::Duration;

use serde::Serialize;
use serde_json::Value;

use crate::api::models::{close_matches, deprecation};
use crate::api::types::MAX_REQUEST_BYTES;
use crate::api::{Client, MessageParams, Reply, pricing};
use crate::cache::ReplyCache;
use crate::call::{Call, Say, Subject};
use crate::cli::AskArgs;
use crate::commands::interrupt::Interrupt;
use crate::config::{AskSettings, Context, OutputMode, UsageError, resolve_ask};
use crate::events::{Events, WithExit};
use crate::exit_code::ExitCode;
use crate::fallback::{self, AnsweredBy};
use crate::log::{CallRecord, CallUsage, EventLog, INTERRUPTED, OUTPUT_FAILED};
use crate::output_check::{Attempts, Capabilities};
use crate::report::{self, Style};
use crate::resilience::{AttemptFailure, Category, Failure, FinalFailure, SystemClock};
use crate::sanitize;
use crate::signal::Signal;
// A closed stdout (`| head`) is normal use and stays quiet; any other write
// error is kept by `crate::stdout` for the exit code and the log.
use crate::stdout::write as write_stdout;

const COMMAND: &str = "ask";

pub fn run(args: &AskArgs, ctx: &Context, style: &Style) -> anyhow::Result<ExitCode> {
    let mut settings = resolve_ask(args, ctx, style.stdout_is_terminal)?;
    let prompt = read_prompt(&args.prompt)?;
    let params = MessageParams::for_prompt(&settings.request, &prompt);
    let body_len = params.to_body(true).len();
    if body_len > MAX_REQUEST_BYTES {
        let problem = format!(
            "the request is {:.1} MB, over the API's 32 MB request limit",
            body_len as f64 / 1_048_576.0
        );
        return Err(UsageError::new(problem, "trim the prompt or system prompt").into());
    }
    for warning in &settings.connection.warnings {
        eprintln!("{}", report::warning(warning));
    }
    if let Some(notice) = deprecation(&settings.request.model) {
        eprintln!("{}", report::warning(&notice));
    }
    // Kept alive for the whole call: dropping it stops the fake API.
    let _mock = crate::commands::mock::start_for(&mut settings.connection)?;
    if settings.dry_run {
        return Ok(super::dry_run::ask(&settings, &params));
    }
    if let Some(code) = super::preflight::check(&settings, &params, args.count_tokens)? {
        return Ok(code);
    }
    Ok(Ask::new(settings, params, style).run())
}

/// The words given, then a blank line, then piped stdin. Either alone is
/// enough. A word that is exactly `-` is replaced by stdin, read even from a
/// terminal (type, then Ctrl-D).
fn read_prompt(words: &[String]) -> Result<String, UsageError> {
    let stdin = std::io::stdin();
    let dashes = words.iter().filter(|word| *word == "-").count();
    if dashes > 1 {
        return Err(UsageError::new(
            format!("`-` (stdin) is given {dashes} times; stdin can be read only once"),
            "give `-` once, where the piped text belongs among the words",
        ));
    }
    if dashes == 1 {
        let piped = read_stdin()?;
        // One line of stdin stands in the sentence, as the `-` did; several
        // (a diff, a file) are a block of their own, set apart by blank
        // lines, as when stdin is appended.
        let at = words.iter().position(|w| w == "-").unwrap_or(0);
        let (before, after) = (&words[..at], &words[at + 1..]);
        let piped = piped.trim_end_matches(['\n', '\r']);
        let prompt = match piped.contains('\n') {
            false => words
                .iter()
                .map(|word| if word == "-" { piped } else { word.as_str() })
                .collect::<Vec<_>>()
                .join(" "),
            true => [before.join(" ").as_str(), piped, after.join(" ").as_str()]
                .into_iter()
                .filter(|block| !block.trim().is_empty())
                .collect::<Vec<_>>()
                .join("\n\n"),
        };
        return non_empty(prompt);
    }
    let mut prompt = words.join(" ");
    if !stdin.is_terminal() {
        let piped = read_stdin()?;
        if !piped.trim().is_empty() {
            if !prompt.trim().is_empty() {
                prompt.push_str("\n\n");
            }
            prompt.push_str(&piped);
        }
    }
    non_empty(prompt)
}

/// Reads at most one byte past the request limit: more could never be sent,
/// and an endless stdin (`yes |`, `< /dev/zero`) must not eat the memory.
fn read_stdin() -> Result<String, UsageError> {
    let mut bytes = Vec::new();
    std::io::stdin()
        .lock()
        .take(MAX_REQUEST_BYTES as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| {
            UsageError::new(
                format!("could not read stdin: {e}"),
                "pipe the prompt in again, or pass it as words",
            )
        })?;
    if bytes.len() > MAX_REQUEST_BYTES {
        return Err(UsageError::new(
            "stdin is over the API's 32 MB request limit (reading stopped there; nothing was sent)",
            "trim the input, or split it and ask about each part",
        ));
    }
    String::from_utf8(bytes).map_err(|e| {
        UsageError::new(
            format!(
                "stdin is not valid UTF-8 (invalid byte at offset {})",
                e.utf8_error().valid_up_to()
            ),
            "convert the input to UTF-8 first, e.g. iconv -f LATIN1 -t UTF-8",
        )
    })
}

fn non_empty(prompt: String) -> Result<String, UsageError> {
    if prompt.trim().is_empty() {
        return Err(UsageError::new(
            "the prompt is empty",
            "give the prompt as words (claude-rs ask \"...\") or pipe it in (echo ... | claude-rs ask)",
        ));
    }
    Ok(prompt)
}

/// Where reply text goes as it arrives: straight to stdout when streaming,
/// nowhere until the end when buffering.
struct ReplySink {
    mode: OutputMode,
    sanitize: bool,
    shown_this_attempt: bool,
    ends_with_newline: bool,
}

impl ReplySink {
    fn on_text(&mut self, text: &str) {
        if self.mode != OutputMode::Stream || text.is_empty() {
            return;
        }
        let shown = match self.sanitize {
            true => sanitize::for_terminal(text),
            false => text.into(),
        };
        write_stdout(&shown);
        self.shown_this_attempt = true;
        self.ends_with_newline = text.ends_with('\n');
    }
}

struct Ask<'a> {
    settings: AskSettings,
    params: MessageParams,
    style: &'a Style,
    client: Client,
    log: EventLog,
    events: Events,
    clock: SystemClock,
    retries: AtomicU64,
}

impl Say for Ask<'_> {
    fn notice(&self, line: &str) {
        if !self.settings.quiet {
            eprintln!("{line}");
        }
    }
    fn warning(&self, line: &str) {
        eprintln!("{}", report::warning(line));
    }
}

impl<'a> Ask<'a> {
    fn new(settings: AskSettings, params: MessageParams, style: &'a Style) -> Ask<'a> {
        let connection = &settings.connection.client;
        let mut client = Client::new(connection);
        if settings.verbose {
            let proxy = connection.network.proxy_for(&connection.base_url);
            for line in [
                format!(
                    "claude-rs: base URL {}, model {}, key {}, timeouts: stall {}, connect {}, deadline {}, retries {}",
                    connection.base_url,
                    settings.request.model,
                    connection.api_key.masked(),
                    report::seconds(connection.stall_timeout),
                    report::seconds(connection.connect_timeout),
                    settings
                        .policy
                        .deadline
                        .map_or("none".into(), report::seconds),
                    settings.policy.max_retries,
                ),
                format!(
                    "claude-rs: proxy {}, trusting {}",
                    proxy.map_or("none".into(), |p| p.display()),
                    connection.network.trust.describe()
                ),
            ] {
                eprintln!("{}", sanitize::one_line(&line));
            }
            client = client.with_trace(Box::new(|text: &str| {
                for line in text.lines() {
                    eprintln!("{}", sanitize::one_line(line));
                }
            }));
        }
        let log = EventLog::new(settings.log_path.clone())
            .for_mock(settings.connection.mock_scenario.is_some());
        let clock = SystemClock {
            sleep_scale: settings.connection.sleep_scale,
        };
        let events = Events::open(settings.events.as_deref());
        Ask {
            settings,
            params,
            style,
            client,
            log,
            events,
            clock,
            retries: AtomicU64::new(0),
        }
    }

    fn call(&self) -> Call<'_> {
        Call {
            command: COMMAND,
            model: &self.settings.request.model,
            subject: Subject::Prompt,
            policy: &self.settings.policy,
            clock: &self.clock,
            log: &self.log,
            events: &self.events,
            say: self,
            retries: &self.retries,
        }
    }

    /// What a signal leaves behind: the call line, the JSON object, a notice.
    fn on_interrupt(&self) -> impl FnOnce(Signal, u32, Duration) + Send + 'static {
        let json = self.settings.json;
        // After the terminal's `^C`, on a line of its own.
        let terminal = self.style.stderr_is_terminal;
        let newline = if terminal { "\n" } else { "" };
        let model = self.settings.request.model.clone();
        let log = EventLog::new(self.settings.log_path.clone())
            .for_mock(self.settings.connection.mock_scenario.is_some());
        let events = self.events.clone();
        move |signal, attempts, elapsed| {
            let by = signal.name();
            let mut record = CallRecord::interrupted(COMMAND, &model, by, attempts, elapsed);
            warn(log.append(&record));
            record.event = "outcome";
            let exit_code = signal.exit_code().code();
            warn(events.emit(&WithExit {
                record: &record,
                exit_code,
            }));
            if json {
                print_json(&JsonFailure {
                    status: "error",
                    error: JsonError {
                        category: INTERRUPTED,
                        http_status: None,
                        kind: None,
                        message: &format!("interrupted by {by} before the reply was complete"),
                        request_id: None,
                        retryable: false,
                        fix: "Run the command again for a reply.".into(),
                    },
                    attempts,
                    partial: None,
                    fallback: None,
                    model: None,
                    fallback_from: None,
                });
            }
            eprintln!(
                "{newline}interrupted ({by}) during attempt {attempts}, after {}: the call was abandoned",
                report::seconds(elapsed)
            );
        }
    }

    fn run(self) -> ExitCode {
        let interrupt = Interrupt::install(self.on_interrupt());
        let mut sink = ReplySink {
            mode: self.settings.output,
            sanitize: self.style.stdout_is_terminal && !self.settings.raw,
            shown_this_attempt: false,
            ends_with_newline: true,
        };
        let fallback = self.settings.fallback_model.as_deref();
        let call = self.call();
        let mut pace =
            super::pace::Pace::for_ask(&self.settings, &self.params, self.events.clone());
        let capabilities = Capabilities::new(self.settings.model_cache.clone());
        let expectation = self.settings.expectation.as_ref();
        let structured = |model: &str| capabilities.structured_outputs(&self.client, model);
        let mut attempts = Attempts::new(&self.params, expectation, || {
            structured(&self.settings.request.model)
        });
        let (outcome, by) = fallback::run(&call, fallback, |model, _, deadline_at| {
            if attempts.params().model() != model {
                attempts = attempts.on_model(model, || structured(model));
            }
            interrupt.attempt();
            pace.before(model, deadline_at)?;
            sink.shown_this_attempt = false;
            let reply = self
                .client
                .create_message(attempts.params(), deadline_at, &mut |text| {
                    sink.on_text(text)
                })
                .map_err(|failed| {
                    pace.failed(&failed.failure);
                    AttemptFailure {
                        output_shown: sink.shown_this_attempt,
                        ..failed
                    }
                })?;
            pace.replied(&reply);
            let data = attempts.check(&reply)?;
            Ok((reply, data))
        });
        interrupt.end();
        let newline_owed = sink.shown_this_attempt && !sink.ends_with_newline;
        if sink.mode == OutputMode::Stream && newline_owed && !self.settings.raw {
            write_stdout("\n");
        }
        match outcome.result {
            Ok((reply, data)) => self.succeed(&reply, data, outcome.attempts, outcome.elapsed, by),
            Err(failed) => self.fail(&failed, outcome.attempts, outcome.elapsed, by),
        }
    }

    fn succeed(
        &self,
        reply: &Reply,
        data: Value,
        attempts: u32,
        elapsed: Duration,
        by: AnsweredBy,
    ) -> ExitCode {
        let message = &reply.message;
        let text = message.text();
        let usage = CallUsage {
            request_id: reply.request_id.as_deref(),
            input_tokens: message.usage.input_tokens,
            output_tokens: message.usage.output_tokens,
        };
        if let Some(dir) = &self.settings.fallback_cache {
            warn(ReplyCache::new(dir.clone()).put(&self.cache_key(), &text));
        }
        if self.settings.json {
            print_json(&JsonSuccess {
                status: "success",
                data,
                // serde_json's map sorts keys: these are in order already.
                tokens: serde_json::json!({"input": message.usage.input_tokens, "output": message.usage.output_tokens}),
                request_id: reply.request_id.as_deref(),
                model: &message.model,
                stop_reason: message.stop_reason.as_deref(),
                attempts,
                fallback_from: by.fallback_from,
            });
        } else if self.settings.output == OutputMode::Buffer && self.settings.raw {
            write_stdout(&text);
        } else if self.settings.output == OutputMode::Buffer {
            let shown = match &data {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            let shown = match self.style.stdout_is_terminal {
                true => sanitize::for_terminal(&shown).into_owned(),
                false => shown,
            };
            write_stdout(&shown);
            if !shown.ends_with('\n') {
                write_stdout("\n");
            }
        }
        // Logged after writing: a reply that never reached stdout is not a
        // delivered success.
        let mut record = by.record(CallRecord::success(
            COMMAND,
            &self.settings.request.model,
            usage,
            attempts,
            elapsed,
        ));
        if crate::stdout::failure().is_some() {
            record.outcome = OUTPUT_FAILED;
        }
        self.call().log_call(record);
        if self.settings.usage {
            eprintln!("{}", usage_line(message));
        }
        let max_tokens = self.settings.request.max_tokens;
        warn(match message.stop_reason.as_deref() {
            Some("model_context_window_exceeded") => Some(format!(
                "the reply stopped because the conversation filled {}'s context window ({} input + {} output tokens); shorten the prompt, or lower --max-tokens to leave the reply room",
                message.model, message.usage.input_tokens, message.usage.output_tokens
            )),
            Some("max_tokens") => Some(format!(
                "the reply was cut at --max-tokens {max_tokens} ({} output tokens); raise it, e.g. --max-tokens {}",
                message.usage.output_tokens,
                max_tokens.saturating_mul(2)
            )),
            _ => None,
        });
        ExitCode::Success
    }

    fn cache_key(&self) -> Value {
        serde_json::json!({"base_url": self.settings.connection.client.base_url, "params": Value::Object(self.params.as_map().clone())})
    }

    fn fail(
        &self,
        failed: &FinalFailure,
        attempts: u32,
        elapsed: Duration,
        by: AnsweredBy,
    ) -> ExitCode {
        let failure = &failed.failure;
        let record = CallRecord::failure(COMMAND, by.model, failure, attempts, elapsed);
        self.call().log_call(by.record(record));
        let fix = self.fix(failure);
        let fallback = self.fallback(failure.category);
        if self.settings.json {
            print_json(&JsonFailure {
                status: "error",
                error: JsonError {
                    category: failure.category.as_str(),
                    http_status: failure.http_status,
                    kind: failure.error_type.as_deref(),
                    message: &failure.message,
                    request_id: failure.request_id.as_deref(),
                    retryable: failure.retryable(),
                    fix: fix.clone(),
                },
                attempts,
                partial: failed.partial.as_deref(),
                fallback: fallback.as_ref(),
                model: by.fallback_from.map(|_| by.model),
                fallback_from: by.fallback_from,
            });
        } else {
            eprintln!(
                "{}",
                report::render_failure_with_fix(failed, attempts, elapsed, &fix)
            );
            if let Some(fallback) = &fallback {
                let note = match &fallback.cached_at {
                    Some(at) => format!(
                        "printed a cached reply to the identical request, stored {at}, instead"
                    ),
                    None => "printed the --fallback text instead".to_string(),
                };
                eprintln!("{}", report::warning(&note));
                write_stdout(&fallback.text);
                if !fallback.text.ends_with('\n') {
                    write_stdout("\n");
                }
            }
        }
        failure.category.exit_code()
    }

    /// The core's fix, after advice that needs what only this command knows.
    fn fix(&self, failure: &Failure) -> String {
        let extra = match failure.category {
            Category::Authentication => {
                let connection = &self.settings.connection;
                let scripted = match &connection.mock_scenario {
                    Some(_) => "The fake API (--mock) scripts this refusal whatever the key. ",
                    None => "",
                };
                format!(
                    "{scripted}The key was rejected; the key in use ({}) ends in {}.",
                    connection.key_source,
                    connection.client.api_key.masked()
                )
            }
            Category::NotFound => self.models_hint(),
            _ => return failure.fix(),
        };
        format!("{extra} {}", failure.fix())
    }

    fn models_hint(&self) -> String {
        let wanted = &self.settings.request.model;
        match self.client.list_models(Duration::from_secs(5)) {
            Ok(models) if models.iter().any(|m| m == wanted) => {
                format!(
                    "The model {wanted} exists, so the endpoint was not found: check ANTHROPIC_BASE_URL."
                )
            }
            Ok(models) if !models.is_empty() => {
                let close = close_matches(wanted, &models);
                let mut hint = String::new();
                if let Some(best) = close.first() {
                    hint.push_str(&format!("Did you mean {best}? "));
                }
                let shown: Vec<&str> = models.iter().take(12).map(String::as_str).collect();
                hint.push_str(&format!("Models this key can use: {}.", shown.join(", ")));
                sanitize::one_line(&hint).into_owned()
            }
            _ => format!(
                "List the models this key can use with: curl -s {}/v1/models -H \"x-api-key: $ANTHROPIC_API_KEY\" -H \"anthropic-version: 2023-06-01\".",
                self.client.base_url()
            ),
        }
    }

    fn fallback(&self, category: Category) -> Option<Fallback> {
        let transient = category.retryable_by_default() && category != Category::OutputValidation;
        if let (Some(dir), true) = (&self.settings.fallback_cache, transient)
            && let Some(hit) = ReplyCache::new(dir.clone()).get(&self.cache_key())
        {
            return Some(Fallback {
                source: "cache",
                text: hit.text,
                cached_at: Some(hit.stored_at),
            });
        }
        self.settings.fallback_text.as_ref().map(|text| Fallback {
            source: "text",
            text: text.clone(),
            cached_at: None,
        })
    }
}

fn warn(warning: Option<String>) {
    if let Some(warning) = warning {
        eprintln!("{}", report::warning(&warning));
    }
}

/// `usage: 12 input + 85 output tokens · ≈ $0.0013 (claude-sonnet-4-6: $3 / $15 per million)`.
fn usage_line(message: &crate::api::Message) -> String {
    let usage = &message.usage;
    let mut line = format!(
        "usage: {} input + {} output tokens",
        usage.input_tokens, usage.output_tokens
    );
    let cache = |name: &str| usage.other.get(name).and_then(Value::as_u64).unwrap_or(0);
    let (read, written) = (
        cache("cache_read_input_tokens"),
        cache("cache_creation_input_tokens"),
    );
    // Counts from the wire may be anything up to u64::MAX.
    if read.saturating_add(written) > 0 {
        line.push_str(&format!(" (cache: {read} read, {written} written)"));
    }
    let model = sanitize::one_line(&message.model);
    match (
        pricing::cost(&message.model, usage),
        pricing::prices(&message.model),
    ) {
        (Some(cost), Some((input, output))) => line.push_str(&format!(
            " · ≈ {} ({model}: ${input} / ${output} per million input / output tokens)",
            pricing::dollars(cost)
        )),
        _ => line.push_str(&format!(" · no price known for {model}")),
    }
    line
}

fn print_json(value: &impl Serialize) {
    if let Ok(text) = serde_json::to_string(value) {
        write_stdout(&text);
        write_stdout("\n");
    }
}

#[derive(Serialize)]
struct JsonSuccess<'a> {
    status: &'static str,
    data: Value,
    tokens: Value,
    request_id: Option<&'a str>,
    model: &'a str,
    stop_reason: Option<&'a str>,
    attempts: u32,
    /// The model that failed before `model`, its `--fallback-model`, answered.
    #[serde(skip_serializing_if = "Option::is_none")]
    fallback_from: Option<&'a str>,
}

#[derive(Serialize)]
struct JsonError<'a> {
    category: &'a str,
    http_status: Option<u16>,
    #[serde(rename = "type")]
    kind: Option<&'a str>,
    message: &'a str,
    request_id: Option<&'a str>,
    retryable: bool,
    fix: String,
}

#[derive(Serialize)]
struct Fallback {
    source: &'static str,
    text: String,
    cached_at: Option<String>,
}

#[derive(Serialize)]
struct JsonFailure<'a> {
    status: &'static str,
    error: JsonError<'a>,
    attempts: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    partial: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    fallback: Option<&'a Fallback>,
    /// After a fallback, the `--fallback-model` that failed too (the
    /// failure is its) and the model it fell back from.
    #[serde(skip_serializing_if = "Option::is_none")]
    model: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    fallback_from: Option<&'a str>,
}
