//! The Message Batches side of `claude-rs batch`: `--remote` (after the same
//! input check as a local batch), `--batch-id`, `--status`, `--cancel` and
//! `--list`. The work itself is in `crate::batch::remote`.

use super::local::{Batch, say_warnings};
use crate::api::batches::BatchAnswer;
use crate::batch::progress::{Plain, warn};
use crate::batch::remote::calls::{BatchCall, Called, Calls, Say};
use crate::batch::remote::download::Output;
use crate::batch::remote::run::{self, Job, Work};
use crate::batch::remote::show;
use crate::batch::remote::state::State;
use crate::batch::resume::{open_output, read_output};
use crate::batch::run::Feed;
use crate::cli::BatchArgs;
use crate::config::{BatchApiSettings, Context, RemoteSettings, UsageError, resolve_batch_api};
use crate::exit_code::ExitCode;
use crate::report::Style;
use crate::sanitize;
use crate::signal::Signals;
use crate::stdout::line as print_data_line;

/// How many batches `--list` shows.
const LIST_LIMIT: u32 = 20;

/// `--remote INPUT -o OUTPUT`, once the input has passed the checks.
pub(super) fn submit(
    mut batch: Batch,
    remote: RemoteSettings,
    style: &Style,
) -> anyhow::Result<ExitCode> {
    let output = batch.settings.output.clone().ok_or_else(needs_output)?;
    let mut state = State::read(&output)?;
    if batch.pending == 0 && !state.has_pending() {
        let code = batch.nothing_to_do();
        // A state file whose batches are all downloaded is no longer needed.
        if state.exists()
            && let Err(error) = state.remove_if_done()
        {
            warn(&format!(
                "could not remove {}: {error}",
                state.path().display()
            ));
        }
        return Ok(code);
    }
    let file = open_output(&output, &mut batch.done)?;
    batch.say_resuming();
    let mut output = Output::new(file, &batch.done);
    output.tally = batch.tally;
    let settings = batch.settings;
    let job = Job {
        settings: BatchApiSettings {
            connection: settings.connection,
            policy: settings.policy,
            output: settings.output,
            retry_errored: settings.retry_errored,
            quiet: settings.quiet,
            log_path: settings.log_path,
            events: settings.events,
            remote,
        },
        work: Work::Input(
            Box::new(Feed {
                input: batch.input,
                defaults: settings.request,
                invalid: batch.checked.invalid,
                done: batch.done,
            }),
            batch.pending,
        ),
        output,
        state,
    };
    Ok(run::run(job, style))
}

/// `--remote --batch-id ID -o OUTPUT`: download a batch submitted elsewhere.
pub(super) fn follow(
    args: &BatchArgs,
    id: &str,
    ctx: &Context,
    style: &Style,
) -> anyhow::Result<ExitCode> {
    batch_id(id)?;
    let settings = resolve_batch_api(args, ctx)?;
    let output = settings.output.clone().ok_or_else(needs_output)?;
    let mut done = read_output(&output, settings.retry_errored)?;
    let state = State::read(&output)?;
    let file = open_output(&output, &mut done)?;
    say_warnings(&settings.connection.warnings);
    done.say_repairs(&output.display().to_string());
    let job = Job {
        settings,
        work: Work::Follow(id.to_string()),
        output: Output::new(file, &done),
        state,
    };
    Ok(run::run(job, style))
}

/// `--status ID`, `--cancel ID`, `--list`: one call, its answer on stdout.
pub(super) fn query(args: &BatchArgs, ctx: &Context, style: &Style) -> anyhow::Result<ExitCode> {
    if let Some(id) = args.status.as_deref().or(args.cancel.as_deref()) {
        batch_id(id)?;
    }
    let settings = resolve_batch_api(args, ctx)?;
    say_warnings(&settings.connection.warnings);
    let say = Plain {
        quiet: settings.quiet,
    };
    // Signals keep their default here: there is nothing to save.
    let calls = Calls::new(&settings, Signals::new(), &say);
    let json = settings.remote.json;
    let on_terminal = style.stdout_is_terminal;
    let status = |called| answer(called, json, on_terminal, show::status);
    Ok(match (&args.status, &args.cancel) {
        (Some(id), _) => status(calls.call(BatchCall::Retrieve, Some(id), |c| c.get_batch(id))),
        (None, Some(id)) => status(calls.call(BatchCall::Cancel, Some(id), |c| c.cancel_batch(id))),
        (None, None) => {
            let called = calls.call(BatchCall::List, None, |c| c.list_batches(LIST_LIMIT));
            if let Called::Done(page) = &called {
                if page.value.data.is_empty() && !json {
                    eprintln!("no Message Batches yet");
                } else if page.value.has_more && !json {
                    say.notice(&format!(
                        "the {LIST_LIMIT} most recent batches; the API has older ones"
                    ));
                }
            }
            answer(called, json, on_terminal, |page| show::list(&page.data))
        }
    })
}

/// Prints a call's answer (its JSON as sent, or `render`'s lines), or its failure.
fn answer<T>(
    called: Called<BatchAnswer<T>>,
    json: bool,
    on_terminal: bool,
    render: impl FnOnce(&T) -> String,
) -> ExitCode {
    match called {
        Called::Done(answer) => {
            let text = match json {
                true => scrubbed_json(&answer.body),
                false => crate::secret::scrub(&render(&answer.value)).into_owned(),
            };
            if !text.is_empty() {
                // JSON escapes control characters, but not bidi or zero-width ones.
                let shown = match on_terminal {
                    true => sanitize::for_terminal(&text).into_owned(),
                    false => text,
                };
                print_data_line(&shown);
            }
            ExitCode::Success
        }
        // Never pressed: these calls keep Ctrl-C's default.
        Called::Interrupted => ExitCode::Interrupted,
        Called::Failed(failed) => {
            eprintln!("{}", failed.render());
            failed.failure.failure.category.exit_code()
        }
    }
}

/// The API's JSON answer as sent, or with any key in it masked. It is parsed
/// first: a key written with JSON escapes (`sk\u002dant…`) is only seen as
/// a key once decoded. Every field of a batch object is the server's word
/// about the batch, never the model's data, so all of it is scrubbed.
fn scrubbed_json(body: &str) -> String {
    match serde_json::from_str::<serde_json::Value>(body) {
        Ok(value) => {
            let mut scrubbed = value.clone();
            crate::secret::scrub_json(&mut scrubbed);
            // As sent, byte for byte, unless there was something to mask.
            match scrubbed == value {
                true => body.trim().to_string(),
                false => scrubbed.to_string(),
            }
        }
        Err(_) => crate::secret::scrub(body.trim()).into_owned(),
    }
}

/// An id is one path segment of the API's URLs: anything else is a typo.
fn batch_id(id: &str) -> Result<(), UsageError> {
    let plausible = !id.is_empty()
        && id.len() <= 256
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    match plausible {
        true => Ok(()),
        false => Err(UsageError::new(
            format!("'{}' is not a Message Batch id", sanitize::one_line(id)),
            "give an id such as msgbatch_01HkcTjaV5uDC8jWR4ZsDV8d (claude-rs batch --list shows the recent ones)",
        )),
    }
}

fn needs_output() -> UsageError {
    UsageError::new(
        "--remote needs -o OUTPUT",
        "give the results file: claude-rs batch --remote prompts.jsonl -o results.jsonl",
    )
}
