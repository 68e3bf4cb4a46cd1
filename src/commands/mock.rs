//! `claude-rs mock`: the fake Anthropic API, for offline scripts, demos and CI
//! smoke checks against realistic failures.

use std::path::PathBuf;
use std::time::Duration;

use crate::cli::MockArgs;
use crate::config::{self, Connection, EnvLookup, UsageError};
use crate::exit_code::ExitCode;
use fake_api::{MockConfig, MockServer, SCENARIOS, Step, TEST_CA_PEM, scenario};

/// A scenario name, or failing that a script of steps (`529,529,ok`), as a config.
pub fn config_for(
    scenario_name: Option<&str>,
    script: Option<&str>,
) -> Result<MockConfig, UsageError> {
    let mut config = match scenario_name {
        None => MockConfig::default(),
        Some(name) => match scenario(name) {
            Some(config) => config,
            None if script.is_none() && parse_script(name).is_ok() => {
                return config_for(None, Some(name));
            }
            None => {
                let names: Vec<&str> = SCENARIOS.iter().map(|(name, _)| *name).collect();
                return Err(UsageError::new(
                    format!("there is no mock scenario '{name}'"),
                    format!(
                        "use one of: {} (or a script of steps such as 529,529,ok)",
                        names.join(", ")
                    ),
                ));
            }
        },
    };
    if let Some(script) = script {
        config.script = parse_script(script)?;
    }
    Ok(config)
}

fn parse_script(script: &str) -> Result<Vec<Step>, UsageError> {
    fake_api::parse_script(script).map_err(|e| {
        UsageError::new(
            format!("bad mock step: {e}"),
            "see `claude-rs mock --help` for the steps",
        )
    })
}

/// Starts the fake API for `--mock SCENARIO` and points the connection at it.
/// The server lives as long as the returned value: keep it for the whole command.
pub fn start_for(connection: &mut Connection) -> Result<Option<MockServer>, UsageError> {
    let Some(scenario) = connection.mock_scenario.as_deref() else {
        return Ok(None);
    };
    let mut config = config_for(Some(scenario), None)?;
    // `claude-rs mock` keeps its fixed seed for reproducible scripts; a demo
    // with `--mock` should show different luck on each run.
    config.seed = fastrand::u64(..);
    let server = MockServer::start(config).map_err(|e| {
        UsageError::new(
            format!("could not start the fake API: {e}"),
            "check that 127.0.0.1 can be bound",
        )
    })?;
    connection.client.base_url = server.base_url();
    Ok(Some(server))
}

pub fn run(args: &MockArgs, env: EnvLookup) -> anyhow::Result<ExitCode> {
    let config = build_config(args)?;
    let ca_file = config.tls.then(|| write_test_ca(env)).transpose()?;
    let server = MockServer::start(config).map_err(|e| {
        UsageError::new(
            format!("could not start the fake API on port {}: {e}", args.port),
            "pick another --port, or 0 for any free one",
        )
    })?;
    let url = server.base_url();
    crate::stdout::line(&url);
    let trust = ca_file.map_or_else(String::new, |path| {
        format!(
            "\n  its certificate is signed by a test CA: pass --ca-cert {0} (or export SSL_CERT_FILE={0})",
            path.display()
        )
    });
    eprintln!(
        "claude-rs mock: the fake Anthropic API is listening on {url}\n  \
         export ANTHROPIC_BASE_URL={url} ANTHROPIC_API_KEY=sk-ant-mock-anything{trust}\n  \
         any key works; Ctrl-C stops it"
    );
    server.run_forever();
    Ok(ExitCode::Success)
}

/// The test CA the `--tls` fake API's certificate is signed by, written where
/// a client can be pointed at it: the same path every run, in the user's own
/// cache directory (not a shared temp directory another user could plant).
fn write_test_ca(env: EnvLookup) -> Result<PathBuf, UsageError> {
    let unwritable = |problem: String| {
        UsageError::new(
            problem,
            "set CLAUDE_RS_CACHE_DIR to a writable directory for the test CA file",
        )
    };
    let dir = config::cache_dir(env)
        .ok_or_else(|| unwritable("no cache directory for the test CA file".into()))?;
    let path = dir.join("mock-ca.pem");
    std::fs::create_dir_all(&dir)
        .and_then(|()| std::fs::write(&path, TEST_CA_PEM))
        .map_err(|e| unwritable(format!("could not write {}: {e}", path.display())))?;
    Ok(path)
}

fn build_config(args: &MockArgs) -> Result<MockConfig, UsageError> {
    let mut config = config_for(args.scenario.as_deref(), args.script.as_deref())?;
    config.port = args.port;
    config.tls = args.tls;
    if let Some(rate) = args.fault_rate {
        if !(0.0..=1.0).contains(&rate) {
            return Err(UsageError::new(
                format!("--fault-rate {rate} is outside 0 to 1"),
                "give a probability such as 0.2",
            ));
        }
        config.fault_rate = rate;
    }
    // A flag not given leaves the scenario's own value.
    const REFUSES_ALL: &str = " would refuse every request";
    config.rpm_limit = at_least_one("--rpm", args.rpm, REFUSES_ALL)?.or(config.rpm_limit);
    config.rpm_burst = at_least_one("--burst", args.burst, REFUSES_ALL)?.or(config.rpm_burst);
    config.itpm_limit = at_least_one("--tpm", args.tpm, REFUSES_ALL)?.or(config.itpm_limit);
    config.otpm_limit = at_least_one("--otpm", args.otpm, REFUSES_ALL)?.or(config.otpm_limit);
    let polls = ": a batch needs at least one poll to end";
    config.batch_polls =
        at_least_one("--batch-polls", args.batch_polls, polls)?.unwrap_or(config.batch_polls);
    config.latency = args
        .latency_ms
        .map_or(config.latency, Duration::from_millis);
    config.seed = args.seed.unwrap_or(config.seed);
    Ok(config)
}

/// A count flag's value, refused when it is 0: `--rpm 0 would refuse every
/// request`, `--batch-polls 0: a batch needs at least one poll to end`.
fn at_least_one<T: Copy + PartialEq + From<u8>>(
    flag: &str,
    value: Option<T>,
    why: &str,
) -> Result<Option<T>, UsageError> {
    if value != Some(T::from(0)) {
        return Ok(value);
    }
    Err(UsageError::new(
        format!("{flag} 0{why}"),
        format!("give {flag} 1 or more"),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args() -> MockArgs {
        MockArgs {
            port: 0,
            scenario: None,
            script: None,
            fault_rate: None,
            rpm: None,
            burst: None,
            tpm: None,
            otpm: None,
            batch_polls: None,
            latency_ms: None,
            seed: None,
            tls: false,
        }
    }

    #[test]
    fn limits_and_batch_polls_reach_the_config() {
        let config = build_config(&MockArgs {
            rpm: Some(1200),
            burst: Some(20),
            tpm: Some(40_000),
            otpm: Some(8_000),
            batch_polls: Some(5),
            ..args()
        })
        .unwrap();
        assert_eq!(config.rpm_limit, Some(1200));
        assert_eq!(config.rpm_burst, Some(20));
        assert_eq!(config.itpm_limit, Some(40_000));
        assert_eq!(config.otpm_limit, Some(8_000));
        assert_eq!(config.batch_polls, 5);
        let defaults = build_config(&args()).unwrap();
        assert_eq!(
            (
                defaults.rpm_burst,
                defaults.itpm_limit,
                defaults.batch_polls
            ),
            (None, None, 2)
        );
    }

    #[test]
    fn zero_limits_are_usage_errors() {
        let zero_burst = MockArgs {
            rpm: Some(60),
            burst: Some(0),
            ..args()
        };
        let zero_tpm = MockArgs {
            tpm: Some(0),
            ..args()
        };
        let zero_otpm = MockArgs {
            otpm: Some(0),
            ..args()
        };
        let zero_polls = MockArgs {
            batch_polls: Some(0),
            ..args()
        };
        for (zero, flag) in [
            (zero_burst, "--burst 0"),
            (zero_tpm, "--tpm 0"),
            (zero_otpm, "--otpm 0"),
            (zero_polls, "--batch-polls 0"),
        ] {
            let error = build_config(&zero).unwrap_err();
            assert!(error.problem.starts_with(flag), "{}", error.problem);
        }
    }
}
