//! Refusals: what is wrong with the user's input, found before anything is
//! sent (exit 2), and the environment they are found in. A leaf: every
//! module may return one, and `crate::run` prints it, once.

use std::fmt;

/// A problem with the user's input: what, and how to fix it.
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

impl fmt::Display for UsageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.problem)
    }
}

impl std::error::Error for UsageError {}

/// A refusal already written out in full (a batch input's every bad line):
/// printed as it is, with exit 2.
#[derive(Clone, Debug, PartialEq)]
pub struct Refused(pub String);

impl fmt::Display for Refused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Refused {}

/// Reads one environment variable; injected so resolution is testable.
pub type EnvLookup<'a> = &'a dyn Fn(&str) -> Option<String>;

/// A variable that is set to something: set-but-blank counts as unset.
pub fn env_or_none(env: EnvLookup, name: &str) -> Option<String> {
    env(name).filter(|v| !v.trim().is_empty())
}
