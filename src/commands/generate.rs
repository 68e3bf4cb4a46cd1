//! The hidden `generate` command: completions and man pages from the clap
//! definitions, committed under completions/ and man/ (a test keeps them current).

use std::fs;
use std::path::Path;

use anyhow::Context;
use clap_complete::Shell;

use crate::cli::{GenerateArgs, full_command};
use crate::exit_code::ExitCode;

pub fn run(args: &GenerateArgs) -> anyhow::Result<ExitCode> {
    write_all(&args.out).with_context(|| {
        format!(
            "could not write completions and man pages under {}",
            args.out.display()
        )
    })?;
    Ok(ExitCode::Success)
}

pub fn write_all(out: &Path) -> std::io::Result<()> {
    let completions = out.join("completions");
    let man = out.join("man");
    fs::create_dir_all(&completions)?;
    fs::create_dir_all(&man)?;
    for shell in [
        Shell::Bash,
        Shell::Zsh,
        Shell::Fish,
        Shell::PowerShell,
        Shell::Elvish,
    ] {
        clap_complete::generate_to(shell, &mut full_command(), "claude-rs", &completions)?;
    }
    let command = full_command();
    write_man(&command, &man, "claude-rs")?;
    for sub in command.get_subcommands().filter(|s| !s.is_hide_set()) {
        let name = format!("claude-rs-{}", sub.get_name());
        let sub = sub.clone().name(name.clone());
        write_man(&sub, &man, &name)?;
    }
    Ok(())
}

fn write_man(command: &clap::Command, dir: &Path, name: &str) -> std::io::Result<()> {
    let mut buffer = Vec::new();
    clap_mangen::Man::new(command.clone()).render(&mut buffer)?;
    fs::write(dir.join(format!("{name}.1")), buffer)
}
