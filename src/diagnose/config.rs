//! Check 1, config: the key, the base URL, the model and the log path, each
//! resolved exactly as `ask` resolves them.

use std::path::PathBuf;

use ureq::http::Uri;

use super::check::Check;
use crate::config::{self, DEFAULT_BASE_URL, EnvLookup, env_or_none};
use crate::exit_code::ExitCode;
use crate::secret::ApiKey;

const NAME: &str = "config";
/// Today the only place a key comes from.
const KEY_SOURCE: &str = "env ANTHROPIC_API_KEY";

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
        let https = uri.scheme_str() == Some("https");
        let host = uri.host()?.trim_start_matches('[').trim_end_matches(']');
        let port = uri.port_u16().unwrap_or(if https { 443 } else { 80 });
        Some(Target {
            base_url: base_url.to_string(),
            host: host.to_string(),
            uri,
            https,
            port,
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

/// One finding: what was found, and the fix when something is wrong.
struct Finding {
    text: String,
    problem: Option<Problem>,
}

enum Problem {
    Fatal(String),
    Doubtful(String),
}

impl Finding {
    fn fine(text: String) -> Finding {
        Finding {
            text,
            problem: None,
        }
    }
}

pub fn check(
    model_flag: Option<&str>,
    log_flag: Option<PathBuf>,
    allow_insecure_http: bool,
    env: EnvLookup,
) -> (Check, Settings) {
    let (key, key_finding) = key(env);
    let (target, url_finding) = target(env);
    let (key, url_finding) = withhold_key(key, url_finding, &target, allow_insecure_http);
    let (model, model_finding) = model(model_flag, env);
    let log_path = config::log_path(log_flag, env);
    let log_finding = Finding::fine(match &log_path {
        Some(path) => format!("log {}", path.display()),
        None => "no log path".to_string(),
    });
    let findings = [key_finding, url_finding, model_finding, log_finding];
    let settings = Settings {
        key,
        target,
        model,
        log_path,
    };
    (verdict(&findings), settings)
}

fn key(env: EnvLookup) -> (Option<ApiKey>, Finding) {
    match config::api_key(env, false) {
        Ok(key) if key.looks_plausible() => {
            let text = format!("key {} from {KEY_SOURCE}", key.masked());
            (Some(key), Finding::fine(text))
        }
        Ok(key) => {
            let finding = Finding {
                text: format!(
                    "key {} from {KEY_SOURCE} does not look like an Anthropic key (sk-ant-…)",
                    key.masked()
                ),
                problem: Some(Problem::Doubtful(
                    "Check that ANTHROPIC_API_KEY holds the whole key as copied from the Console, without quotes or spaces.".into(),
                )),
            };
            (Some(key), finding)
        }
        Err(error) => {
            let finding = Finding {
                text: error.problem,
                problem: Some(Problem::Fatal(
                    "export ANTHROPIC_API_KEY=sk-ant-... (create one at https://console.anthropic.com/settings/keys)."
                        .into(),
                )),
            };
            (None, finding)
        }
    }
}

fn target(env: EnvLookup) -> (Result<Target, String>, Finding) {
    let raw = env_or_none(env, "ANTHROPIC_BASE_URL");
    let mut warnings = Vec::new();
    let checked = config::base_url(raw.as_deref().unwrap_or(DEFAULT_BASE_URL), &mut warnings);
    let invalid = "no valid base URL (config failed)".to_string();
    match checked.map(|url| (Target::from_base_url(&url), url)) {
        Ok((Some(target), url)) => {
            let source = if raw.is_some() { "" } else { " (default)" };
            let text = format!("base URL {url}{source}");
            let finding = match warnings.pop() {
                Some(warning) => Finding {
                    text: format!("{text}: {warning}"),
                    problem: Some(Problem::Doubtful(format!(
                        "Set ANTHROPIC_BASE_URL={url} (without /v1)."
                    ))),
                },
                None => Finding::fine(text),
            };
            (Ok(target), finding)
        }
        Ok((None, url)) => {
            let finding = Finding {
                text: format!("the base URL '{url}' has no host"),
                problem: Some(Problem::Fatal(
                    "Set ANTHROPIC_BASE_URL to scheme://host[:port], e.g. https://api.anthropic.com."
                        .into(),
                )),
            };
            (Err(invalid), finding)
        }
        Err(error) => {
            let finding = Finding {
                text: error.problem,
                problem: Some(Problem::Fatal(format!("{}.", capitalised(&error.fix)))),
            };
            (Err(invalid), finding)
        }
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
            let finding = Finding {
                text: format!("{}; {}", found.text, error.problem),
                problem: Some(Problem::Fatal(format!("{}.", capitalised(&error.fix)))),
            };
            (None, finding)
        }
    }
}

fn model(flag: Option<&str>, env: EnvLookup) -> (Result<String, String>, Finding) {
    match config::model(flag, env) {
        Ok(model) => {
            let finding = Finding::fine(format!("model {model}"));
            (Ok(model), finding)
        }
        Err(error) => {
            let finding = Finding {
                text: error.problem,
                problem: Some(Problem::Fatal(format!("{}.", capitalised(&error.fix)))),
            };
            (Err("no valid model id (config failed)".into()), finding)
        }
    }
}

/// One line for all findings: the worst decides the status, problems first.
fn verdict(findings: &[Finding]) -> Check {
    let mut ordered: Vec<&Finding> = findings.iter().collect();
    ordered.sort_by_key(|f| match f.problem {
        Some(Problem::Fatal(_)) => 0,
        Some(Problem::Doubtful(_)) => 1,
        None => 2,
    });
    let message = ordered
        .iter()
        .map(|f| f.text.as_str())
        .collect::<Vec<_>>()
        .join("; ");
    let fixes: Vec<&str> = ordered
        .iter()
        .filter_map(|f| match &f.problem {
            Some(Problem::Fatal(fix) | Problem::Doubtful(fix)) => Some(fix.as_str()),
            None => None,
        })
        .collect();
    let fatal = findings
        .iter()
        .any(|f| matches!(f.problem, Some(Problem::Fatal(_))));
    match (fatal, fixes.is_empty()) {
        (true, _) => Check::fail(NAME, message, fixes.join(" "), ExitCode::Usage),
        (false, false) => Check::warn(NAME, message, fixes.join(" ")),
        (false, true) => Check::pass(NAME, message),
    }
}

fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnose::check::Status;
    use crate::diagnose::test_env::env_of;

    const KEY: &str = "sk-ant-api03-SECRETSECRETSECRET-wxyz";

    #[test]
    fn a_full_configuration_passes_and_shows_only_the_key_tail() {
        let env = env_of(&[
            ("ANTHROPIC_API_KEY", KEY),
            ("CLAUDE_RS_LOG", "/tmp/l.jsonl"),
        ]);
        let (check, settings) = check(None, None, false, &env);
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
        assert!(check.message.contains("model claude-sonnet-4-6"));
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
        let (check, settings) = check(None, None, false, &env);
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
        assert_eq!(check(None, None, false, &env).0.status, Status::Warn);
        let env = env_of(&[
            ("ANTHROPIC_API_KEY", KEY),
            ("ANTHROPIC_BASE_URL", "https://gw.example/v1"),
        ]);
        let (found, settings) = check(None, None, false, &env);
        assert_eq!(found.status, Status::Warn);
        assert_eq!(settings.target.unwrap().base_url, "https://gw.example");
        let env = env_of(&[
            ("ANTHROPIC_API_KEY", KEY),
            ("ANTHROPIC_BASE_URL", "ftp://x"),
        ]);
        let (found, settings) = check(Some("claude sonnet"), None, false, &env);
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
        let (found, settings) = check(None, None, false, &env);
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
        let (found, settings) = check(None, None, true, &env);
        assert_eq!(found.status, Status::Pass, "{found:?}");
        assert!(settings.key.is_some());
    }

    #[test]
    fn ipv6_hosts_lose_their_brackets() {
        let target = Target::from_base_url("http://[::1]:8080").unwrap();
        assert_eq!((target.host.as_str(), target.port), ("::1", 8080));
    }
}
