//! What both benchmarks share: running the release binary as a child and
//! reading its wall time and peak memory, and printing table lines.

// libc::wait4 is the only way to get one child's peak memory (ru_maxrss), and it is unsafe FFI.
#![allow(unsafe_code)]
#![allow(dead_code)]

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::Instant;

pub struct Run {
    pub ms: f64,
    pub rss_kib: i64,
    pub exit: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

/// Spawns `cmd` with piped output, drains both pipes, and reaps it with wait4 for its rusage.
#[allow(clippy::zombie_processes)] // the child is reaped by wait4, which clippy cannot see
pub fn run_once(cmd: &mut Command) -> Run {
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let start = Instant::now();
    let mut child = cmd
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {:?}: {e}", cmd.get_program()));
    let mut stderr_pipe = child.stderr.take().expect("stderr is piped");
    let stderr_reader = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = stderr_pipe.read_to_string(&mut text);
        text
    });
    let mut stdout = String::new();
    let mut stdout_pipe = child.stdout.take().expect("stdout is piped");
    let _ = stdout_pipe.read_to_string(&mut stdout);
    let stderr = stderr_reader.join().unwrap_or_default();
    let pid = child.id() as libc::pid_t;
    let mut status: libc::c_int = 0;
    // SAFETY: rusage is plain old data, so all-zero is a valid value.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    loop {
        // SAFETY: both pointers are to live locals; pid is our own unreaped child.
        let rc = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
        if rc == pid {
            break;
        }
        let error = std::io::Error::last_os_error();
        assert!(
            error.kind() == std::io::ErrorKind::Interrupted,
            "wait4({pid}) failed: {error}"
        );
    }
    let ms = start.elapsed().as_secs_f64() * 1000.0;
    let exit = libc::WIFEXITED(status).then(|| libc::WEXITSTATUS(status));
    Run {
        ms,
        rss_kib: usage.ru_maxrss,
        exit,
        stdout,
        stderr,
    }
}

pub fn verdict(met: bool) -> &'static str {
    if met { "met" } else { "MISSED" }
}

/// One table line: the label, four right-aligned cells, the target.
pub fn line(what: &str, cells: [&str; 4], target: &str) {
    let [a, b, c, d] = cells;
    let text = format!("{what:<34} {a:>10} {b:>10} {c:>10} {d:>10}   {target}");
    println!("{}", text.trim_end());
}
