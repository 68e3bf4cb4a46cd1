//! Classification, retry policy and the retry loop: the core every command uses.

/// An enum whose variants' names are written once, beside them: the enum,
/// `ALL` in declaration order, and `as_str`.
macro_rules! named_enum {
    ($(#[$meta:meta])* pub enum $name:ident {
        $($(#[$doc:meta])* $variant:ident = $text:literal,)*
    }) => {
        $(#[$meta])*
        pub enum $name {
            $($(#[$doc])* $variant,)*
        }

        impl $name {
            pub const ALL: [$name; [$($text),*].len()] = [$($name::$variant),*];

            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text,)*
                }
            }
        }
    };
}

pub mod breaker;
pub mod category;
pub mod classify;
pub mod clock;
pub mod failure;
pub mod limiter;
pub mod policy;
pub mod retry;
pub mod shared;

pub use category::Category;
pub use clock::{Clock, SystemClock};
pub use failure::{Cause, Failure};
pub use policy::{Decision, GiveUp, RetryPolicy};
pub use retry::{AttemptFailure, CallOutcome, FailedAttempt, FinalFailure};
