//! Every console example in README.md and docs/*.md is run, and its output
//! checked: the manual cannot drift from the program.
//!
//! A fenced block marked `console` is a session:
//!
//! - a line starting with `$ ` is a command, run with `sh -c` in a fresh
//!   directory, with `claude-rs` (this build) first on `PATH` and the test
//!   environment of [`World`]: the fake API on 127.0.0.1 as
//!   `ANTHROPIC_BASE_URL`, a test key ending `wxyz`, `CLAUDE_RS_LOG`,
//!   `CLAUDE_RS_CONFIG`, `CLAUDE_RS_CACHE_DIR` and `HOME` in that directory,
//!   `NO_COLOR=1`, retry waits shrunk. Files a command writes stay for the
//!   next command of the same block; each block starts afresh.
//! - the lines after it are its expected output, stdout and stderr as they
//!   interleave on a terminal. In a line, `...` stands for any text (ports,
//!   times, paths, jittered waits); a line that is only `...` stands for any
//!   number of lines.
//! - a command must exit 0 unless the next command is `$ echo $?`, whose
//!   expected output is the code it must exit with instead.
//! - a command that opens a here-document (`<<'EOF'`) takes the lines up
//!   to its delimiter as its own, as a shell does.
//! - `console fake-api=STEPS` scripts the block's fake API (the steps of
//!   `claude-rs mock --script`, comma-separated; then every request succeeds).
//! - `console fake-api-tls` serves the fake API over HTTPS, with a certificate
//!   from a test CA that nothing trusts: what a TLS-inspecting proxy looks like.
//!
//! Blocks marked `sh` are shown, not run (a real key, the real API, a server
//! that keeps running); they may hold no `$ ` prompt, so that a runnable
//! example cannot hide among them. A block of any other kind is refused.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use fake_api::MockConfig;

use super::support::{KEY_SECRET_PART, World, steps};

/// The kinds of fenced block the documentation may use.
const KINDS: &[&str] = &["console", "sh", "json", "toml", "text", "yaml"];

/// A command hanging past this is killed and reported: a guard against a
/// stuck test, never a bound on how fast anything should be.
const HANG_GUARD: Duration = Duration::from_secs(120);

struct Example {
    file: String,
    line: usize,
    command: String,
    expected: Vec<String>,
    code: i32,
}

struct Block {
    file: String,
    fake_api: Option<String>,
    tls: bool,
    examples: Vec<Example>,
}

fn documents() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut paths = vec![root.join("README.md")];
    let mut docs: Vec<PathBuf> = std::fs::read_dir(root.join("docs"))
        .expect("docs/ is readable")
        .map(|entry| entry.expect("a docs/ entry").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "md"))
        .collect();
    docs.sort();
    paths.extend(docs);
    paths
}

/// The console blocks of one Markdown file; any misuse of a fence is an error.
fn blocks(file: &str, text: &str, errors: &mut Vec<String>) -> Vec<Block> {
    let mut found = Vec::new();
    let mut lines = text.lines().enumerate();
    while let Some((index, line)) = lines.next() {
        let Some(info) = line.strip_prefix("```") else {
            continue;
        };
        let mut words = info.split_whitespace();
        let kind = words.next().unwrap_or("");
        let attributes: Vec<&str> = words.collect();
        let mut body = Vec::new();
        let mut closed = false;
        for (_, line) in lines.by_ref() {
            if line.starts_with("```") {
                closed = true;
                break;
            }
            body.push(line);
        }
        let at = format!("{file}:{}", index + 1);
        if !closed {
            errors.push(format!("{at}: a fenced block is never closed"));
        }
        if !KINDS.contains(&kind) {
            errors.push(format!(
                "{at}: a block marked `{kind}`; use one of {KINDS:?} (`console` is run, `sh` is not)"
            ));
            continue;
        }
        if kind != "console" {
            if let Some(prompt) = body.iter().find(|l| l.starts_with("$ ")) {
                errors.push(format!(
                    "{at}: `{prompt}` in a `{kind}` block: make it a `console` block, which is run"
                ));
            }
            continue;
        }
        let mut fake_api = None;
        let mut tls = false;
        for attribute in attributes {
            match attribute.strip_prefix("fake-api=") {
                Some(script) => fake_api = Some(script.to_string()),
                None if attribute == "fake-api-tls" => tls = true,
                None => errors.push(format!("{at}: unknown attribute `{attribute}`")),
            }
        }
        let examples = examples(file, index + 2, &body, errors);
        if examples.is_empty() {
            errors.push(format!("{at}: a console block without a `$ ` command"));
        }
        found.push(Block {
            file: file.to_string(),
            fake_api,
            tls,
            examples,
        });
    }
    found
}

/// The commands of a block's body (which starts on line `first`), each with
/// its expected output and exit code.
fn examples(file: &str, first: usize, body: &[&str], errors: &mut Vec<String>) -> Vec<Example> {
    let mut examples: Vec<Example> = Vec::new();
    let mut index = 0;
    while index < body.len() {
        let line = first + index;
        let Some(command) = body[index].strip_prefix("$ ") else {
            errors.push(format!(
                "{file}:{line}: output before any `$ ` command: {:?}",
                body[index]
            ));
            index += 1;
            continue;
        };
        index += 1;
        let mut command = command.to_string();
        if let Some(delimiter) = heredoc(&command) {
            // The here-document's lines belong to the command, up to its delimiter.
            loop {
                let Some(next) = body.get(index) else {
                    errors.push(format!(
                        "{file}:{line}: no `{delimiter}` ends the here-document"
                    ));
                    break;
                };
                index += 1;
                command.push('\n');
                command.push_str(next);
                if next.trim() == delimiter {
                    break;
                }
            }
        }
        let mut expected = Vec::new();
        while index < body.len() && !body[index].starts_with("$ ") {
            expected.push(body[index].to_string());
            index += 1;
        }
        if command.trim() == "echo $?" {
            let code = match (examples.last_mut(), expected.as_slice()) {
                (Some(previous), [code]) => code.trim().parse().ok().map(|c| (previous, c)),
                _ => None,
            };
            match code {
                Some((previous, code)) => previous.code = code,
                None => errors.push(format!(
                    "{file}:{line}: `$ echo $?` must follow a command and show one exit code"
                )),
            }
            continue;
        }
        examples.push(Example {
            file: file.to_string(),
            line,
            command,
            expected,
            code: 0,
        });
    }
    examples
}

/// The delimiter of a here-document the command opens (`<<'EOF'`, `<<EOF`).
fn heredoc(command: &str) -> Option<String> {
    let (_, rest) = command.split_once("<<")?;
    let word: String = rest
        .trim_start_matches('-')
        .trim_start()
        .trim_start_matches(['\'', '"'])
        .chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .collect();
    (!word.is_empty()).then_some(word)
}

/// Whether `line` matches `pattern`, where `...` stands for any text.
fn line_matches(pattern: &str, line: &str) -> bool {
    let parts: Vec<&str> = pattern.split("...").collect();
    if parts.len() == 1 {
        return pattern == line;
    }
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if !line.starts_with(first) || line.len() < first.len() + last.len() {
        return false;
    }
    let mut rest = &line[first.len()..];
    for part in &parts[1..parts.len() - 1] {
        match rest.find(part) {
            Some(at) => rest = &rest[at + part.len()..],
            None => return false,
        }
    }
    rest.ends_with(last)
}

/// Whether the output's lines match the expected ones, where a line that is
/// only `...` stands for any number of lines.
fn output_matches(expected: &[String], actual: &[&str]) -> bool {
    match expected.split_first() {
        None => actual.is_empty(),
        Some((pattern, rest)) if pattern.trim() == "..." => {
            (0..=actual.len()).any(|skip| output_matches(rest, &actual[skip..]))
        }
        Some((pattern, rest)) => actual.split_first().is_some_and(|(line, more)| {
            line_matches(pattern.trim_end(), line.trim_end()) && output_matches(rest, more)
        }),
    }
}

/// Runs one command line in the block's world: its exit code, and stdout and
/// stderr through one pipe, interleaved as they were written.
fn run(world: &World, command_line: &str) -> (i32, String) {
    let template = world.process();
    let binary = PathBuf::from(template.get_program());
    let bin_dir = binary.parent().expect("the binary's folder");
    let mut command = std::process::Command::new("sh");
    command.env_clear();
    for (name, value) in template.get_envs() {
        if let Some(value) = value {
            command.env(name, value);
        }
    }
    let (mut reader, writer) = std::io::pipe().expect("a pipe");
    command
        .env("PATH", format!("{}:/usr/bin:/bin", bin_dir.display()))
        .env("HOME", world.dir.path())
        .current_dir(world.dir.path())
        .arg("-c")
        .arg(command_line)
        .stdin(std::process::Stdio::null())
        .stdout(writer.try_clone().expect("the pipe's writer"))
        .stderr(writer);
    let mut child = command.spawn().expect("sh runs");
    drop(command); // its copies of the writer: the read below ends with the child
    let output = std::thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = reader.read_to_end(&mut bytes);
        String::from_utf8_lossy(&bytes).into_owned()
    });
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("the child can be waited for") {
            break Some(status);
        }
        if started.elapsed() > HANG_GUARD {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let output = output.join().expect("the output is read");
    match status {
        Some(status) => (status.code().unwrap_or(-1), output),
        None => (
            -1,
            format!("{output}\n(killed: still running after {HANG_GUARD:?})"),
        ),
    }
}

fn check(block: &Block, failures: &mut Vec<String>) {
    let world = World::new(MockConfig {
        script: block.fake_api.as_deref().map(steps).unwrap_or_default(),
        tls: block.tls,
        ..MockConfig::default()
    });
    for example in &block.examples {
        let (code, output) = run(&world, &example.command);
        let actual: Vec<&str> = output.lines().collect();
        let leaked = output.contains(KEY_SECRET_PART);
        if code != example.code || !output_matches(&example.expected, &actual) || leaked {
            failures.push(format!(
                "{}:{}: $ {}\n--- expected (exit {}):\n{}\n--- actual (exit {code}){}:\n{}",
                example.file,
                example.line,
                example.command,
                example.code,
                example.expected.join("\n"),
                if leaked { ", THE KEY LEAKED" } else { "" },
                output.trim_end(),
            ));
        }
    }
}

#[test]
fn every_console_example_in_the_docs_runs_as_shown() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut errors = Vec::new();
    let mut all = Vec::new();
    for path in documents() {
        let name = path
            .strip_prefix(root)
            .unwrap_or(&path)
            .display()
            .to_string();
        let text = std::fs::read_to_string(&path).expect("a readable document");
        all.extend(blocks(&name, &text, &mut errors));
    }
    assert!(errors.is_empty(), "{}", errors.join("\n"));
    let readme = all.iter().filter(|b| b.file == "README.md").count();
    assert!(readme > 0, "README.md has no console example");
    let count: usize = all.iter().map(|b| b.examples.len()).sum();
    eprintln!("{count} console examples in {} blocks", all.len());
    let failures = std::sync::Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for chunk in all.chunks(all.len().div_ceil(4).max(1)) {
            let failures = &failures;
            scope.spawn(move || {
                let mut mine = Vec::new();
                for block in chunk {
                    check(block, &mut mine);
                }
                failures.lock().unwrap().extend(mine);
            });
        }
    });
    let failures = failures.into_inner().unwrap();
    assert!(
        failures.is_empty(),
        "{} of {count} console examples drifted from the program:\n\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}

#[test]
fn the_matcher_knows_its_wildcards() {
    assert!(line_matches(
        "retry 1/4 in ...s · req_...",
        "retry 1/4 in 2.4s · req_01"
    ));
    assert!(!line_matches("retry 1/4 in ...s", "retry 2/4 in 2.4s"));
    assert!(!line_matches("a...a", "a"));
    assert!(line_matches("exact", "exact"));
    let lines = |text: &str| text.lines().map(str::to_string).collect::<Vec<_>>();
    assert!(output_matches(&lines("a\n...\nd"), &["a", "b", "c", "d"]));
    assert!(output_matches(&lines("a\n...\nb"), &["a", "b"]));
    assert!(!output_matches(&lines("a\nb"), &["a", "b", "c"]));
    assert!(!output_matches(&lines("a\n...\nd"), &["a", "b"]));
    let mut errors = Vec::new();
    let found = blocks(
        "t.md",
        "```console\n$ claude-rs x\nout\n$ echo $?\n3\n```\n```bash\n$ y\n```\n```sh\n$ z\n```\n",
        &mut errors,
    );
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].examples.len(), 1);
    assert_eq!(found[0].examples[0].code, 3);
    assert_eq!(found[0].examples[0].expected, ["out"]);
    assert_eq!(errors.len(), 2, "{errors:?}");
}

/// The rows of the first table after `heading` in `text`.
fn table_after(text: &str, heading: &str) -> Vec<String> {
    let rest = text
        .split_once(heading)
        .unwrap_or_else(|| panic!("no `{heading}`"))
        .1;
    rest.lines()
        .skip_while(|line| !line.starts_with('|'))
        .take_while(|line| line.starts_with('|'))
        .map(str::to_string)
        .collect()
}

/// The exit codes are a contract, shown twice (README and docs/exit-codes.md):
/// both tables are the same, and they hold every code the program has, with
/// exactly the categories that exit with it.
#[test]
fn the_exit_code_tables_match_the_program() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    // A newline first, so that a heading on the first line is found like any other.
    let read = |name: &str| {
        "\n".to_string() + &std::fs::read_to_string(root.join(name)).expect("a readable document")
    };

    let readme = table_after(&read("README.md"), "\n## Exit codes\n");
    let docs = table_after(&read("docs/exit-codes.md"), "\n# Exit codes\n");
    assert_eq!(
        readme, docs,
        "README's exit-code table differs from docs/exit-codes.md's"
    );
    let rows: Vec<(u8, Vec<String>)> = docs[2..]
        .iter()
        .map(|row| {
            let cells: Vec<&str> = row.trim_matches('|').split(" | ").collect();
            let code = cells[0].trim().parse().expect("a code");
            let categories = cells[cells.len() - 1]
                .split(',')
                .map(|c| c.trim().trim_matches('`').to_string())
                .filter(|c| !c.is_empty() && !c.contains(' '))
                .collect();
            (code, categories)
        })
        .collect();
    let codes: Vec<u8> = rows.iter().map(|(code, _)| *code).collect();
    let expected: Vec<u8> = claude_rs::exit_code::ExitCode::ALL
        .iter()
        .map(|code| code.code())
        .collect();
    assert_eq!(codes, expected, "the table's codes are not the program's");
    for (code, categories) in rows {
        let mut listed = categories.clone();
        listed.sort();
        let mut actual: Vec<String> = claude_rs::resilience::Category::ALL
            .iter()
            .filter(|category| category.exit_code().code() == code)
            .map(|category| category.as_str().to_string())
            .collect();
        actual.sort();
        assert_eq!(listed, actual, "the categories that exit {code}");
    }
}

/// A heading's anchor, as GitHub makes it.
fn anchor(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter(|c| c.is_alphanumeric() || matches!(c, ' ' | '-' | '_'))
        .map(|c| if c == ' ' { '-' } else { c })
        .collect()
}

/// Text outside fenced blocks, and the anchors of its headings.
fn prose(text: &str) -> (String, Vec<String>) {
    let (mut kept, mut anchors, mut fenced) = (String::new(), Vec::new(), false);
    for line in text.lines() {
        if line.starts_with("```") {
            fenced = !fenced;
            continue;
        }
        if fenced {
            continue;
        }
        if let Some(heading) = line.strip_prefix('#') {
            anchors.push(anchor(heading.trim_start_matches('#')));
        }
        kept.push_str(line);
        kept.push('\n');
    }
    (kept, anchors)
}

/// Every link between README.md and docs/ leads to a file that exists and,
/// with `#anchor`, to a heading it has: the manual moved, its links must not rot.
#[test]
fn every_link_between_the_docs_resolves() {
    let mut broken = Vec::new();
    let mut links = 0;
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for path in documents() {
        let name = path
            .strip_prefix(root)
            .unwrap_or(&path)
            .display()
            .to_string();
        let (text, own) = prose(&std::fs::read_to_string(&path).expect("a readable document"));
        for (at, _) in text.match_indices("](") {
            let link = text[at + 2..].split(')').next().unwrap_or_default();
            if link.contains("://") || link.starts_with("mailto:") {
                continue;
            }
            links += 1;
            let (file, fragment) = link.split_once('#').unwrap_or((link, ""));
            let anchors = if file.is_empty() {
                own.clone()
            } else {
                let target = path.parent().expect("a folder").join(file);
                match std::fs::read_to_string(&target) {
                    Ok(text) if file.ends_with(".md") => prose(&text).1,
                    Ok(_) => Vec::new(),
                    Err(_) if target.exists() => Vec::new(),
                    Err(_) => {
                        broken.push(format!("{name}: {link}: no such file"));
                        continue;
                    }
                }
            };
            if !fragment.is_empty() && !anchors.iter().any(|a| a == fragment) {
                broken.push(format!("{name}: {link}: no such heading"));
            }
        }
    }
    assert!(links > 0, "no links found");
    assert!(broken.is_empty(), "broken links:\n{}", broken.join("\n"));
}
