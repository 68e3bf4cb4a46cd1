fn main() -> std::process::ExitCode {
    claude_rs::run().into()
}
