//! `--fallback-model`: one more call, on another model, when the model could
//! not answer (overloaded, or a server error) after every retry and nothing
//! of a reply reached stdout. Used by `ask` and a batch's items alike.
//!
//! Not for failures another model would meet the same way: the key
//! (authentication, permission, billing), the request (invalid, too large,
//! not found), the account's rate limit (shared by every model family's
//! traffic, and waited out by the retries). Not for timeouts either: a stall
//! or a connection failure says as much about the network as about the
//! model, and a `--deadline` that passed leaves no time for another call.

use std::time::Instant;

use crate::call::{Call, Subject};
use crate::log::CallRecord;
use crate::resilience::breaker::Health;
use crate::resilience::{AttemptFailure, CallOutcome, Category, FinalFailure, GiveUp, RetryPolicy};

/// Which model a call's outcome is from: its own, or the fallback.
#[derive(Clone, Copy, Debug)]
pub struct AnsweredBy<'a> {
    pub model: &'a str,
    /// The model that failed first, when the fallback answered (or failed).
    pub fallback_from: Option<&'a str>,
}

impl<'a> AnsweredBy<'a> {
    /// The call line, naming the model that answered and the one it fell back from.
    pub fn record(self, record: CallRecord<'a>) -> CallRecord<'a> {
        CallRecord {
            model: self.model,
            fallback_from: self.fallback_from,
            ..record
        }
    }
}

/// Whether a call that failed for good is one another model may answer.
/// `shown`: some reply text already reached stdout.
pub fn applies(failed: &FinalFailure, shown: bool) -> bool {
    let capacity = covers(failed.failure.category);
    let no_time = matches!(failed.give_up, GiveUp::DeadlineWouldPass);
    capacity && !shown && !no_time && !matches!(failed.give_up, GiveUp::OutputAlreadyShown)
}

/// The failures another model may answer: the model's capacity.
fn covers(category: Category) -> bool {
    matches!(category, Category::Overloaded | Category::ApiError)
}

/// What an attempt's outcome (`None`: a success) tells the circuit breaker
/// shared over a key. With a `fallback` model, nothing of what the fallback
/// covers: the breaker would open on the first model's overloads and then
/// hold, or stop, the fallback's call too.
pub fn health(failure: Option<Category>, fallback: bool) -> Health {
    match failure {
        Some(category) if fallback && covers(category) => Health::Neutral,
        _ => Health::of(failure),
    }
}

/// Runs `call` on its model and, when it fails as `applies` says and
/// `fallback` is another model, once more on `fallback`: one attempt, within
/// what is left of the deadline, announced on stderr. Attempts and time are
/// counted over both. `attempt` is given the model to ask, then the attempt's
/// number and deadline.
pub fn run<'a, T>(
    call: &Call<'a>,
    fallback: Option<&'a str>,
    mut attempt: impl FnMut(&str, u32, Option<Instant>) -> Result<T, AttemptFailure>,
) -> (CallOutcome<T>, AnsweredBy<'a>) {
    let mut shown = false;
    let first = call.run(|number, deadline_at| {
        attempt(call.model, number, deadline_at).inspect_err(|failed| shown |= failed.output_shown)
    });
    let own = AnsweredBy {
        model: call.model,
        fallback_from: None,
    };
    let (Err(failed), Some(model)) = (&first.result, fallback) else {
        return (first, own);
    };
    let deadline = match call.policy.deadline {
        Some(deadline) => match deadline.checked_sub(first.elapsed) {
            Some(left) if !left.is_zero() => Some(left),
            _ => return (first, own),
        },
        None => None,
    };
    if model == call.model || !applies(failed, shown) {
        return (first, own);
    }
    call.say
        .notice(&notice(call, failed, first.attempts, model));
    let policy = RetryPolicy {
        max_retries: 0,
        deadline,
        ..call.policy.clone()
    };
    let second = Call {
        model,
        policy: &policy,
        ..*call
    };
    let outcome = second.run(|number, deadline_at| attempt(model, number, deadline_at));
    let answered = AnsweredBy {
        model,
        fallback_from: Some(call.model),
    };
    (
        CallOutcome {
            attempts: first.attempts.saturating_add(outcome.attempts),
            elapsed: first.elapsed.saturating_add(outcome.elapsed),
            result: outcome.result,
        },
        answered,
    )
}

/// `claude-sonnet-5-5: overloaded (HTTP 529) after 5 attempts · trying claude-haiku-5-5 once`.
fn notice(call: &Call, failed: &FinalFailure, attempts: u32, model: &str) -> String {
    let tries = match attempts {
        1 => "1 attempt".to_string(),
        n => format!("{n} attempts"),
    };
    let line = format!(
        "{}: {} after {tries} · trying {model} once",
        call.model,
        failed.failure.label()
    );
    match call.subject {
        Subject::Item(id) => format!("{id} · {line}"),
        _ => line,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::log::EventLog;
    use crate::resilience::Failure;
    use crate::resilience::retry::tests::FakeClock;
    use std::sync::atomic::AtomicU64;
    use std::time::Duration;

    fn failed(category: Category, give_up: GiveUp) -> FinalFailure {
        FinalFailure {
            failure: Failure::new(category, "x"),
            give_up,
            partial: None,
        }
    }

    #[test]
    fn only_the_models_own_failures_fall_back() {
        let exhausted = GiveUp::AttemptsExhausted;
        for category in Category::ALL {
            let expected = matches!(category, Category::Overloaded | Category::ApiError);
            assert_eq!(
                applies(&failed(category, exhausted), false),
                expected,
                "{category:?}"
            );
        }
    }

    #[test]
    fn no_fallback_after_output_or_past_the_deadline() {
        let overloaded = |give_up| failed(Category::Overloaded, give_up);
        assert!(!applies(&overloaded(GiveUp::AttemptsExhausted), true));
        assert!(!applies(&overloaded(GiveUp::OutputAlreadyShown), false));
        assert!(!applies(&overloaded(GiveUp::DeadlineWouldPass), false));
        assert!(applies(&overloaded(GiveUp::ServerSaidNo), false));
        assert!(applies(
            &overloaded(GiveUp::RetryAfterTooLong(Duration::from_secs(900))),
            false
        ));
    }

    struct Notices(std::cell::RefCell<Vec<String>>);

    impl crate::call::Say for Notices {
        fn notice(&self, line: &str) {
            self.0.borrow_mut().push(line.to_string());
        }
        fn warning(&self, _: &str) {}
    }

    /// Overloaded until the model is `haiku`; the models asked, in order.
    fn run_on(fallback: Option<&str>) -> (CallOutcome<String>, Vec<String>, Vec<String>) {
        let (clock, log) = (FakeClock::new(), EventLog::new(None));
        let say = Notices(Default::default());
        let retries = AtomicU64::new(0);
        let events = crate::events::Events::default();
        let policy = RetryPolicy {
            max_retries: 2,
            ..RetryPolicy::default()
        };
        let call = Call {
            command: "ask",
            model: "sonnet",
            subject: Subject::Prompt,
            policy: &policy,
            clock: &clock,
            log: &log,
            say: &say,
            events: &events,
            retries: &retries,
        };
        let mut asked = Vec::new();
        let (outcome, by) = run(&call, fallback, |model, _, _| {
            asked.push(model.to_string());
            match model {
                "haiku" => Ok(format!("{model:?}")),
                _ => Err(Failure::new(Category::Overloaded, "Overloaded").into()),
            }
        });
        assert_eq!(by.model, fallback.unwrap_or("sonnet"));
        assert_eq!(by.fallback_from, fallback.map(|_| "sonnet"));
        (outcome, asked, say.0.into_inner())
    }

    #[test]
    fn an_overloaded_model_falls_back_once_after_its_retries() {
        let (outcome, asked, notices) = run_on(Some("haiku"));
        assert_eq!(asked, ["sonnet", "sonnet", "sonnet", "haiku"]);
        assert_eq!(outcome.attempts, 4);
        assert!(outcome.result.is_ok());
        // Two retry notices, then the fallback's.
        assert_eq!(notices.len(), 3, "{notices:?}");
        assert_eq!(
            notices[2],
            "sonnet: overloaded after 3 attempts · trying haiku once"
        );
        let (outcome, asked, notices) = run_on(None);
        assert_eq!(asked, ["sonnet"; 3]);
        assert!(outcome.result.is_err());
        assert!(!notices.iter().any(|n| n.contains("trying")), "{notices:?}");
    }
}
