//! Check 1, config: the config file, the key, the base URL, the model and the
//! log path, each resolved exactly as `ask` resolves them.

use crate::config::base_url::{BaseUrl, Scheme};
use std::path::PathBuf;

use ureq::http::Uri;

use super::check::Check;
use crate::config::user::Source;
use crate::config::{self, Context, UsageError};
use crate::exit_code::ExitCode;
use crate::secret::ApiKey;

const NAME: &str = "config";

/// Where the API is: the base URL taken apart for the network checks.
#[derive(Clone, Debug, PartialEq)]
pub struct Target {
    pub base_url: String,
    pub uri: Uri,
    pub https: bool,
    /// Without the brackets of an IPv6 literal.
    pub host: String,
    pub port: u16,
}

impl Target {
    pub fn from_base_url(base_url: &str) -> Option<Target> {
        let uri: Uri = base_url.parse().ok()?;
        let url = BaseUrl::parse(base_url).ok()?.url;
        Some(Target {
            base_url: base_url.to_string(),
            host: url.bare_host().to_string(),
            uri,
            https: url.scheme == Scheme::Https,
            port: url.port,
        })
    }
}

/// What the later checks need from the configuration; `Err` says why a
/// check that needs the value is skipped.
#[derive(Debug)]
pub struct Settings {
    pub key: Option<ApiKey>,
    pub target: Result<Target, String>,
    pub model: Result<String, String>,
    pub log_path: Option<PathBuf>,
}

/// One finding: what was found, the fix when something is wrong, and
/// whether that makes the setting unusable (else it is only doubtful).
struct Finding {
    text: String,
    fix: Option<String>,
    fatal: bool,
}

impl Finding {
    fn fine(text: String) -> Finding {
        Finding {
            text,
            fix: None,
            fatal: false,
        }
    }

    fn doubtful(text: String, fix: String) -> Finding {
        Finding {
            fix: Some(fix),
            ..Finding::fine(text)
        }
    }

    /// A setting that cannot be used: its problem, and its fix as a sentence.
    fn refused(text: String, error: &UsageError) -> Finding {
        Finding {
            fatal: true,
            ..Finding::doubtful(text, format!("{}.", capitalised(&error.fix)))
        }
    }
}

pub fn check(
    model_flag: Option<&str>,
    allow_insecure_http: bool,
    config_error: Option<&UsageError>,
    ctx: &Context,
) -> (Check, Settings) {
    let file_finding = config_file(config_error, ctx);
    let (key, key_finding) = key(ctx);
    let (target, url_finding) = target(ctx);
    let (key, url_finding) = withhold_key(key, url_finding, &target, allow_insecure_http);
    let (model, model_finding) = model(model_flag, ctx);
    let log_path = config::log_path(ctx);
    let log_finding = Finding::fine(match &log_path {
        Some(path) => format!("log {}", path.display()),
        None => "no log path".to_string(),
    });
    let mut findings = vec![key_finding, url_finding, model_finding, log_finding];
    findings.extend(file_finding);
    let settings = Settings {
        key,
        target,
        model,
        log_path,
    };
    (verdict(&findings), settings)
}

/// The config file: where it is, the profile in use, and why it could not
/// be used, if it could not (a bad line, an unknown profile).
fn config_file(error: Option<&UsageError>, ctx: &Context) -> Option<Finding> {
    if let Some(error) = error {
        return Some(Finding::refused(error.problem.clone(), error));
    }
    let file = ctx.user.file.as_ref()?;
    let profile = ctx
        .user
        .profile
        .as_ref()
        .map(|name| format!(", profile {name}"))
        .unwrap_or_default();
    let text = format!("config file {}{profile}", file.path.display());
    Some(match file.key_exposure_warning() {
        Some(warning) => Finding::doubtful(text, format!("{}.", capitalised(&warning))),
        None => Finding::fine(text),
    })
}

/// Where a setting came from, as recorded while it was resolved.
fn source_of(ctx: &Context, key: &str) -> Option<Source> {
    ctx.shown()
        .into_iter()
        .find(|shown| shown.key == key)
        .map(|shown| shown.source)
}

fn key(ctx: &Context) -> (Option<ApiKey>, Finding) {
    match config::api_key(ctx, false) {
        Ok(key) => {
            let source =
                source_of(ctx, "api_key").map_or_else(String::new, |s| format!(" from {s}"));
            let Some(doubt) = key.doubt() else {
                let text = format!("key {}{source}", key.masked());
                return (Some(key), Finding::fine(text));
            };
            let finding = Finding::doubtful(
                format!("key {}{source} {doubt}", key.masked()),
                "Check that the key is whole, as copied from the Console, without quotes or spaces.".into(),
            );
            (Some(key), finding)
        }
        Err(error) => (None, Finding::refused(error.problem.clone(), &error)),
    }
}

fn target(ctx: &Context) -> (Result<Target, String>, Finding) {
    let mut warnings = Vec::new();
    let checked = config::resolve_base_url(ctx, &mut warnings);
    let invalid = "no valid base URL (config failed)".to_string();
    match checked.map(|url| (Target::from_base_url(&url), url)) {
        Ok((Some(target), url)) => {
            let source = match source_of(ctx, "base_url") {
                Some(Source::Default) | None => " (default)".to_string(),
                Some(source) => format!(" (from {source})"),
            };
            let text = format!("base URL {url}{source}");
            let finding = match warnings.pop() {
                Some(warning) => Finding::doubtful(
                    format!("{text}: {warning}"),
                    format!("Set the base URL to {url} (without /v1)."),
                ),
                None => Finding::fine(text),
            };
            (Ok(target), finding)
        }
        Ok((None, url)) => {
            let finding = Finding {
                fatal: true,
                ..Finding::doubtful(
                    format!("the base URL '{url}' has no host"),
                    "Set ANTHROPIC_BASE_URL to scheme://host[:port], e.g. https://api.anthropic.com."
                        .into(),
                )
            };
            (Err(invalid), finding)
        }
        Err(error) => (
            Err(invalid),
            Finding::refused(error.problem.clone(), &error),
        ),
    }
}

/// The key is withheld from a plain-http host that is not this machine, as
/// `ask` withholds it: the checks that need no key still run against it.
fn withhold_key(
    key: Option<ApiKey>,
    found: Finding,
    target: &Result<Target, String>,
    allow_insecure_http: bool,
) -> (Option<ApiKey>, Finding) {
    let Ok(target) = target else {
        return (key, found);
    };
    match config::network::check_plain_http(&target.base_url, allow_insecure_http) {
        Ok(()) => (key, found),
        Err(error) => {
            let text = format!("{}; {}", found.text, error.problem);
            (None, Finding::refused(text, &error))
        }
    }
}

fn model(flag: Option<&str>, ctx: &Context) -> (Result<String, String>, Finding) {
    match config::model(flag, ctx) {
        Ok(model) => (Ok(model.clone()), Finding::fine(format!("model {model}"))),
        Err(error) => {
            let finding = Finding::refused(error.problem.clone(), &error);
            (Err("no valid model id (config failed)".into()), finding)
        }
    }
}

/// One line for all findings: the worst decides the status, problems first.
fn verdict(findings: &[Finding]) -> Check {
    let mut ordered: Vec<&Finding> = findings.iter().collect();
    ordered.sort_by_key(|f| (!f.fatal, f.fix.is_none()));
    let message = ordered
        .iter()
        .map(|f| f.text.as_str())
        .collect::<Vec<_>>()
        .join("; ");
    let fixes: Vec<&str> = ordered.iter().filter_map(|f| f.fix.as_deref()).collect();
    match (findings.iter().any(|f| f.fatal), fixes.is_empty()) {
        (true, _) => Check::fail(NAME, message, fixes.join(" "), ExitCode::Usage),
        (false, false) => Check::warn(NAME, message, fixes.join(" ")),
        (false, true) => Check::pass(NAME, message),
    }
}

fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    let first = chars.next().map(char::to_uppercase);
    first.into_iter().flatten().chain(chars).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::EnvLookup;
    use crate::diagnose::check::Status;
    use crate::diagnose::test_env::env_of;

    const KEY: &str = "sk-ant-api03-SECRETSECRETSECRET-wxyz";

    fn run_check(
        model: Option<&str>,
        allow_insecure_http: bool,
        env: EnvLookup,
    ) -> (Check, Settings) {
        let user = crate::config::user::UserConfig::default();
        let network = crate::cli::NetworkArgs::default();
        let ctx = Context::new(env, &user, None, &network);
        check(model, allow_insecure_http, None, &ctx)
    }

    #[test]
    fn a_config_file_that_cannot_be_used_fails_the_check_with_its_fix() {
        let env = env_of(&[("ANTHROPIC_API_KEY", KEY)]);
        let user = crate::config::user::UserConfig::default();
        let network = crate::cli::NetworkArgs::default();
        let ctx = Context::new(&env, &user, None, &network);
        let error = UsageError::new(
            "bad config file /c.toml, line 2: unknown field `modle`",
            "fix that line",
        );
        let (found, _) = check(None, false, Some(&error), &ctx);
        assert_eq!(found.status, Status::Fail);
        assert!(found.message.contains("line 2: unknown field"), "{found:?}");
        assert_eq!(found.fix.as_deref(), Some("Fix that line."));
    }

    #[test]
    fn a_full_configuration_passes_and_shows_only_the_key_tail() {
        let env = env_of(&[
            ("ANTHROPIC_API_KEY", KEY),
            ("CLAUDE_RS_LOG", "/tmp/l.jsonl"),
        ]);
        let (check, settings) = run_check(None, false, &env);
        assert_eq!(check.status, Status::Pass, "{check:?}");
        assert!(
            check
                .message
                .contains("key …wxyz from env ANTHROPIC_API_KEY")
        );
        assert!(
            check
                .message
                .contains("https://api.anthropic.com (default)")
        );
        assert!(check.message.contains("model claude-sonnet-5-5"));
        assert!(check.message.contains("log /tmp/l.jsonl"));
        assert!(!check.message.contains("SECRET"));
        let target = settings.target.unwrap();
        assert_eq!(
            (target.host.as_str(), target.port, target.https),
            ("api.anthropic.com", 443, true)
        );
    }

    #[test]
    fn a_missing_key_fails_with_exit_2_and_keeps_the_rest() {
        let env = env_of(&[("ANTHROPIC_BASE_URL", "http://127.0.0.1:9")]);
        let (check, settings) = run_check(None, false, &env);
        assert_eq!(check.status, Status::Fail);
        assert_eq!(check.exit_code, Some(ExitCode::Usage));
        assert!(check.message.starts_with("no API key"), "{}", check.message);
        assert!(check.fix.unwrap().contains("ANTHROPIC_API_KEY"));
        assert!(settings.key.is_none());
        assert_eq!(settings.target.unwrap().port, 9);
    }

    #[test]
    fn doubtful_values_warn_and_bad_ones_fail() {
        let env = env_of(&[("ANTHROPIC_API_KEY", "not-a-key-but-long-enough")]);
        assert_eq!(run_check(None, false, &env).0.status, Status::Warn);
        let env = env_of(&[
            ("ANTHROPIC_API_KEY", KEY),
            ("ANTHROPIC_BASE_URL", "https://gw.example/v1"),
        ]);
        let (found, settings) = run_check(None, false, &env);
        assert_eq!(found.status, Status::Warn);
        assert_eq!(settings.target.unwrap().base_url, "https://gw.example");
        let env = env_of(&[
            ("ANTHROPIC_API_KEY", KEY),
            ("ANTHROPIC_BASE_URL", "ftp://x"),
        ]);
        let (found, settings) = run_check(Some("claude sonnet"), false, &env);
        assert_eq!(found.status, Status::Fail);
        assert!(settings.target.is_err() && settings.model.is_err());
        assert!(found.fix.unwrap().starts_with("Set ANTHROPIC_BASE_URL"));
    }

    #[test]
    fn the_key_is_withheld_from_plain_http_to_another_host() {
        let env = env_of(&[
            ("ANTHROPIC_API_KEY", KEY),
            ("ANTHROPIC_BASE_URL", "http://gw.example:8080"),
        ]);
        let (found, settings) = run_check(None, false, &env);
        assert_eq!(found.status, Status::Fail);
        assert_eq!(found.exit_code, Some(ExitCode::Usage));
        assert!(
            found
                .message
                .contains("refusing to send the API key in the clear to http://gw.example:8080"),
            "{}",
            found.message
        );
        assert!(found.fix.unwrap().contains("--allow-insecure-http"));
        assert!(settings.key.is_none());
        assert_eq!(settings.target.unwrap().host, "gw.example");
        let (found, settings) = run_check(None, true, &env);
        assert_eq!(found.status, Status::Pass, "{found:?}");
        assert!(settings.key.is_some());
    }

    #[test]
    fn ipv6_hosts_lose_their_brackets() {
        let target = Target::from_base_url("http://[::1]:8080").unwrap();
        assert_eq!((target.host.as_str(), target.port), ("::1", 8080));
    }
}
