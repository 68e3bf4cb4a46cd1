//! Classification, retry policy and the retry loop: the core every command uses.

pub mod breaker;
pub mod category;
pub mod classify;
pub mod clock;
pub mod failure;
pub mod limiter;
pub mod policy;
pub mod retry;

pub use category::Category;
pub use clock::{Clock, SystemClock};
pub use failure::{Cause, Failure};
pub use policy::{Decision, GiveUp, RetryPolicy, WaitSource};
pub use retry::{AttemptFailure, CallOutcome, FailedAttempt, FinalFailure};
