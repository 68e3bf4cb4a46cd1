fn main() -> std::process::ExitCode {
    // A bug must still look like claude-rs: one plain sentence and the
    // documented exit code 1, not a backtrace or an abort.
    std::panic::set_hook(Box::new(|info| {
        let location = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        eprintln!(
            "error: internal error in claude-rs {}{location} (a bug: please report it with the command you ran)",
            env!("CARGO_PKG_VERSION")
        );
        std::process::exit(1);
    }));
    claude_rs::run().into()
}
