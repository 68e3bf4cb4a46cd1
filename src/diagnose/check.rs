//! One line of `doctor`'s report: a check's verdict, its measured figure, and
//! for anything not passing, the fix.

use std::time::Duration;

use serde::Serialize;

use crate::exit_code::ExitCode;
use crate::resilience::Failure;
use crate::sanitize;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Pass,
    Warn,
    Fail,
    Skip,
}

impl Status {
    pub fn symbol(self) -> &'static str {
        match self {
            Status::Pass => "✓",
            Status::Warn => "!",
            Status::Fail => "✗",
            Status::Skip => "-",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Check {
    pub name: &'static str,
    pub status: Status,
    /// What was measured (`38 ms`, `HTTP 401`, `+2 s`), when something was.
    pub figure: Option<String>,
    pub message: String,
    pub fix: Option<String>,
    /// The exit code a failure stands for; `doctor` exits with the first one.
    #[serde(skip)]
    pub exit_code: Option<ExitCode>,
}

impl Check {
    pub fn pass(name: &'static str, message: impl Into<String>) -> Check {
        Check {
            name,
            status: Status::Pass,
            figure: None,
            message: message.into(),
            fix: None,
            exit_code: None,
        }
    }

    pub fn warn(name: &'static str, message: impl Into<String>, fix: impl Into<String>) -> Check {
        Check {
            status: Status::Warn,
            fix: Some(fix.into()),
            ..Check::pass(name, message)
        }
    }

    pub fn fail(
        name: &'static str,
        message: impl Into<String>,
        fix: impl Into<String>,
        exit_code: ExitCode,
    ) -> Check {
        Check {
            status: Status::Fail,
            fix: Some(fix.into()),
            exit_code: Some(exit_code),
            ..Check::pass(name, message)
        }
    }

    /// A failure classified by the core: its category decides the exit code.
    pub fn failed(
        name: &'static str,
        failure: &Failure,
        message: impl Into<String>,
        fix: impl Into<String>,
    ) -> Check {
        Check::fail(name, message, fix, failure.category.exit_code())
    }

    /// Not run, because a check it depends on failed or does not apply.
    pub fn skip(name: &'static str, reason: &str) -> Check {
        Check {
            status: Status::Skip,
            ..Check::pass(name, format!("skipped: {reason}"))
        }
    }

    pub fn with_figure(mut self, figure: impl Into<String>) -> Check {
        self.figure = Some(figure.into());
        self
    }

    /// Every text made safe for a terminal: messages quote servers, proxies
    /// and certificates, none of which may drive the terminal.
    pub fn sanitized(self) -> Check {
        let clean = |text: String| sanitize::one_line(&text).into_owned();
        Check {
            figure: self.figure.map(clean),
            message: clean(self.message),
            fix: self.fix.map(clean),
            ..self
        }
    }
}

/// `38 ms`: whole milliseconds are precise enough for a network hop.
pub fn millis(duration: Duration) -> String {
    format!("{} ms", duration.as_millis())
}

/// `5 s`, `0.5 s`: how a timeout is named in messages.
pub fn secs(duration: Duration) -> String {
    // A whole number of seconds is written without a point: `5`, not `5.0`.
    format!("{} s", duration.as_secs_f64())
}

/// The exit code of the first failing check, else success: the first
/// failure is the broken hop, the later ones mostly its echoes.
pub fn exit_code(checks: &[Check]) -> ExitCode {
    checks
        .iter()
        .find(|check| check.status == Status::Fail)
        .map_or(ExitCode::Success, |check| {
            check.exit_code.unwrap_or(ExitCode::Internal)
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resilience::Category;

    #[test]
    fn the_first_failure_decides_the_exit_code() {
        let network = Failure::new(Category::Connection, "refused");
        let checks = [
            Check::pass("config", "ok"),
            Check::warn("proxy", "odd", "look"),
            Check::failed("tcp", &network, "refused", "start it"),
            Check::fail("model", "gone", "pick one", ExitCode::Request),
        ];
        assert_eq!(exit_code(&checks), ExitCode::Network);
        assert_eq!(exit_code(&checks[..2]), ExitCode::Success);
        assert_eq!(exit_code(&checks[3..]), ExitCode::Request);
    }

    #[test]
    fn json_shape_is_the_documented_one() {
        let check = Check::skip("tls", "tcp failed");
        let json = serde_json::to_value(&check).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"name":"tls","status":"skip","figure":null,"message":"skipped: tcp failed","fix":null})
        );
        let json = serde_json::to_value(Check::pass("dns", "x").with_figure("3 ms")).unwrap();
        assert_eq!(json["status"], "pass");
        assert_eq!(json["figure"], "3 ms");
    }

    #[test]
    fn sanitized_escapes_what_servers_said() {
        let check = Check::warn("http", "evil\x1b[31m", "fix\nme").sanitized();
        assert_eq!(check.message, "evil\\u{1b}[31m");
        assert_eq!(check.fix.as_deref(), Some("fix\\nme"));
    }

    #[test]
    fn durations_read_naturally() {
        assert_eq!(millis(Duration::from_micros(38_600)), "38 ms");
        assert_eq!(secs(Duration::from_secs(5)), "5 s");
        assert_eq!(secs(Duration::from_millis(500)), "0.5 s");
    }
}
