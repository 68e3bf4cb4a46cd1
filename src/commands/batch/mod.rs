//! `claude-rs batch`: check the whole input, pick up where an earlier run
//! left OUTPUT, run the items locally (`local`) or through the Message
//! Batches API (`remote`), sum up. The work itself is in `crate::batch`.

mod local;
mod remote;

use local::prepare;

use crate::cli::BatchArgs;
use crate::config::{Context, resolve_remote};
use crate::exit_code::ExitCode;
use crate::report::Style;

pub fn run(args: &BatchArgs, ctx: &Context, style: &Style) -> anyhow::Result<ExitCode> {
    if args.status.is_some() || args.cancel.is_some() || args.list {
        return remote::query(args, ctx, style);
    }
    if let Some(id) = &args.batch_id {
        return remote::follow(args, id, ctx, style);
    }
    // The remote flags are checked before the input is read.
    let remote = args
        .remote
        .then(|| resolve_remote(args, ctx.env))
        .transpose()?;
    let mut batch = prepare(args, ctx)?;
    if args.dry_run {
        return batch.dry_run(remote.as_ref());
    }
    match remote {
        Some(remote) => remote::submit(*batch, remote, style),
        None => batch.run(style),
    }
}
