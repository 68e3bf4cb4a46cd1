//! Named configurations for `claude-rs mock --scenario NAME`.

use std::time::Duration;

use super::{MockConfig, Step};

/// `(name, description)` of every scenario `scenario` knows, for `--help` and docs/mock.md.
pub const SCENARIOS: &[(&str, &str)] = &[
    ("ok", "every request succeeds"),
    (
        "flaky",
        "a 529 first, then 30% random faults: 529, 500, 503, 429, reset, cut stream",
    ),
    ("overloaded", "two 529 overloaded errors, then success"),
    ("rate-limited", "one 429 with retry-after: 1, then success"),
    ("down", "every request gets 500 api_error"),
    ("outage", "every request gets 529 overloaded_error"),
    ("auth", "every request gets 401 authentication_error"),
    ("permission", "every request gets 403 permission_error"),
    (
        "spend-limit",
        "every request gets 429 with enforced_spend_limit_reached and no retry-after",
    ),
    (
        "low-credit",
        "every request gets 400 credit balance too low",
    ),
    ("hang", "reads each request and never answers"),
    ("stall", "streams the start of a reply, then goes silent"),
    ("cut", "streams two text deltas, then drops the connection"),
    ("html-502", "two proxy 502 HTML pages, then success"),
    ("slow", "streams 10 text deltas 200 ms apart"),
    (
        "small-limits",
        "every model is served with max_tokens 1000 and max_input_tokens 2000 (the Models API's limits, not the built-in table's)",
    ),
];

const FLAKY_SEED: u64 = 7;

fn status(status: u16) -> Step {
    Step::Status {
        status,
        error_type: None,
        message: None,
        headers: Vec::new(),
    }
}

fn status_with_retry_after(code: u16, seconds: u64) -> Step {
    Step::Status {
        status: code,
        error_type: None,
        message: None,
        headers: vec![("retry-after".to_string(), seconds.to_string())],
    }
}

fn always(step: Step) -> MockConfig {
    MockConfig {
        then: step,
        ..MockConfig::default()
    }
}

fn scripted(script: Vec<Step>) -> MockConfig {
    MockConfig {
        script,
        ..MockConfig::default()
    }
}

/// The configuration of a named scenario (see `SCENARIOS`); `None` for an unknown name.
pub fn scenario(name: &str) -> Option<MockConfig> {
    let config = match name {
        "ok" => MockConfig::default(),
        // The first request always fails, so a demo shows the retry at once.
        "flaky" => MockConfig {
            script: vec![status(529)],
            fault_rate: 0.3,
            fault_steps: vec![
                status(529),
                status(500),
                status(503),
                status_with_retry_after(429, 1),
                Step::Reset,
                Step::SseCutBeforeText,
            ],
            seed: FLAKY_SEED,
            ..MockConfig::default()
        },
        "overloaded" => scripted(vec![status(529), status(529)]),
        "rate-limited" => scripted(vec![status_with_retry_after(429, 1)]),
        "down" => always(status(500)),
        "outage" => always(status(529)),
        "auth" => always(status(401)),
        "permission" => always(status(403)),
        "spend-limit" => always(Step::SpendLimit),
        "low-credit" => always(Step::LowCredit),
        "hang" => always(Step::Hang),
        "stall" => always(Step::Stall),
        "cut" => always(Step::SseCut),
        "html-502" => scripted(vec![Step::Html502, Step::Html502]),
        "slow" => always(Step::Slow {
            deltas: 10,
            gap: Duration::from_millis(200),
        }),
        "small-limits" => MockConfig {
            limits: Some((1000, 2000)),
            ..MockConfig::default()
        },
        _ => return None,
    };
    Some(config)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_listed_scenario_resolves() {
        for (name, description) in SCENARIOS {
            assert!(scenario(name).is_some(), "{name}");
            assert!(!description.is_empty());
        }
        assert!(scenario("nope").is_none());
    }

    #[test]
    fn scenarios_have_the_documented_shape() {
        let overloaded = scenario("overloaded").unwrap();
        assert_eq!(overloaded.script, vec![status(529), status(529)]);
        assert_eq!(overloaded.then, Step::Ok);
        assert_eq!(
            scenario("rate-limited").unwrap().script,
            vec!["429:retry-after=1".parse::<Step>().unwrap()]
        );
        let flaky = scenario("flaky").unwrap();
        assert_eq!(flaky.script, vec![status(529)]);
        assert_eq!(flaky.fault_rate, 0.3);
        let flaky_steps: Vec<String> = flaky.fault_steps.iter().map(Step::to_string).collect();
        assert_eq!(
            flaky_steps,
            [
                "529",
                "500",
                "503",
                "429:retry-after=1",
                "reset",
                "sse-cut-before-text"
            ]
        );
        assert_eq!(scenario("down").unwrap().then, status(500));
        assert_eq!(scenario("outage").unwrap().then, status(529));
        assert_eq!(scenario("slow").unwrap().then, "slow".parse().unwrap());
        assert_eq!(scenario("html-502").unwrap().script.len(), 2);
    }
}
