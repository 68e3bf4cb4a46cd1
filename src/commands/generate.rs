//! The hidden `generate` command: completions and man pages from the clap
//! definitions, committed under completions/ and man/ (a test keeps them current).

use std::fs;
use std::path::Path;

use anyhow::Context;
use clap::ValueEnum;
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
    for shell in Shell::value_variants() {
        clap_complete::generate_to(*shell, &mut full_command(), "claude-rs", &completions)?;
    }
    let command = full_command();
    write_man(&command, &man, "claude-rs")?;
    for sub in command.get_subcommands().filter(|s| !s.is_hide_set()) {
        // The page is claude-rs-ask(1), as git's are; what one types, in the
        // synopsis, is `claude-rs ask`.
        let name = format!("claude-rs-{}", sub.get_name());
        let sub = sub
            .clone()
            .display_name(name.clone())
            .bin_name(format!("claude-rs {}", sub.get_name()));
        write_man(&sub, &man, &name)?;
    }
    Ok(())
}

fn write_man(command: &clap::Command, dir: &Path, name: &str) -> std::io::Result<()> {
    let mut buffer = Vec::new();
    let man = clap_mangen::Man::new(command.clone());
    man.render_title(&mut buffer)?;
    man.render_name_section(&mut buffer)?;
    man.render_synopsis_section(&mut buffer)?;
    man.render_description_section(&mut buffer)?;
    if command.get_arguments().any(|arg| !arg.is_hide_set()) {
        man.render_options_section(&mut buffer)?;
    }
    if command.get_subcommands().any(|sub| !sub.is_hide_set()) {
        man.render_subcommands_section(&mut buffer)?;
    }
    let details = command
        .get_after_long_help()
        .or_else(|| command.get_after_help());
    if let Some(details) = details {
        buffer.extend_from_slice(preformatted("DETAILS", &details.to_string()).as_bytes());
    }
    if command.get_version().is_some() {
        man.render_version_section(&mut buffer)?;
    }
    fs::write(dir.join(format!("{name}.1")), buffer)
}

/// A section shown as it is written: the tables and lists of the help text
/// keep their columns instead of being filled into paragraphs.
fn preformatted(title: &str, text: &str) -> String {
    let mut out = format!(".SH {title}\n.nf\n");
    for line in text.lines() {
        let line = line.replace('\\', "\\e");
        // A line starting with . or ' would be read as a roff request.
        if line.starts_with(['.', '\'']) {
            out.push_str("\\&");
        }
        out.push_str(&line);
        out.push('\n');
    }
    out.push_str(".fi\n");
    out
}
