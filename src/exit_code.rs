//! The process exit codes: a public contract that scripts and CI parse.
//! Changing one means changing README.md and docs/exit-codes.md (a test compares them with
//! this enum), the man pages and the tests together; `--help` is generated from it.

/// Every exit code claude-rs can return, named.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExitCode {
    Success = 0,
    /// A bug in claude-rs itself, or an environment it cannot work in.
    Internal = 1,
    /// Bad flags or local validation: nothing was sent.
    Usage = 2,
    /// The key, its permissions or the account's billing: retrying cannot help.
    Auth = 3,
    /// The request itself was refused (invalid, unknown model, too large).
    Request = 4,
    RateLimit = 5,
    /// The API failed: server errors, overloads, conflicts, unreadable responses.
    Api = 6,
    /// The network: timeouts and connection failures.
    Network = 7,
    /// The reply did not satisfy `--expect-json` or `--choices`.
    OutputValidation = 8,
    /// A batch finished but some items errored.
    BatchPartial = 9,
    /// The output could not be written: stdout failed (disk full, I/O error).
    Output = 10,
    /// SIGHUP (the terminal went away): stopped as at Ctrl-C.
    HungUp = 129,
    /// Interrupted by Ctrl-C.
    Interrupted = 130,
    /// SIGTERM: stopped as at Ctrl-C.
    Terminated = 143,
}

impl ExitCode {
    pub const ALL: [ExitCode; 14] = [
        ExitCode::Success,
        ExitCode::Internal,
        ExitCode::Usage,
        ExitCode::Auth,
        ExitCode::Request,
        ExitCode::RateLimit,
        ExitCode::Api,
        ExitCode::Network,
        ExitCode::OutputValidation,
        ExitCode::BatchPartial,
        ExitCode::Output,
        ExitCode::HungUp,
        ExitCode::Interrupted,
        ExitCode::Terminated,
    ];

    pub fn code(self) -> u8 {
        self as u8
    }

    pub fn meaning(self) -> &'static str {
        match self {
            ExitCode::Success => "success",
            ExitCode::Internal => "internal error (a bug: please report it)",
            ExitCode::Usage => "usage or local validation error; nothing was sent",
            ExitCode::Auth => "authentication, permission or billing: fix the key or account",
            ExitCode::Request => "the request was refused: invalid, unknown model, or too large",
            ExitCode::RateLimit => "rate limited, after the retries allowed",
            ExitCode::Api => {
                "the API failed: server error, overload, conflict or unreadable response"
            }
            ExitCode::Network => "network: timeout or connection failure",
            ExitCode::OutputValidation => {
                "the model refused, or its reply did not satisfy --expect-json or --choices"
            }
            ExitCode::BatchPartial => {
                "batch finished, but some items errored, were canceled or expired"
            }
            ExitCode::Output => {
                "the output could not be written: stdout failed (disk full, I/O error), or was closed while batch items were unfinished"
            }
            ExitCode::HungUp => "hung up (SIGHUP); a batch stops as at Ctrl-C",
            ExitCode::Interrupted => "interrupted (Ctrl-C)",
            ExitCode::Terminated => "terminated (SIGTERM); a batch stops as at Ctrl-C",
        }
    }
}

impl From<ExitCode> for std::process::ExitCode {
    fn from(code: ExitCode) -> Self {
        std::process::ExitCode::from(code.code())
    }
}
