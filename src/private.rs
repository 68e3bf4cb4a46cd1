//! Files that hold prompts or replies are private to the user: created with
//! mode 0600, in folders of mode 0700, as the log is. A file the user chose
//! and that already exists keeps the mode they gave it.

use std::fs::{self, OpenOptions};
use std::io;
use std::path::Path;

/// Options that create a new file with mode 0600 (an existing file's mode is
/// left alone: the user chose it).
pub fn new_file_options() -> OpenOptions {
    #[cfg_attr(not(unix), allow(unused_mut))]
    let mut options = OpenOptions::new();
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options
}

/// `O_NONBLOCK` where its value is known without the libc crate (the
/// Linux value differs on alpha, mips, parisc and sparc, left out).
const O_NONBLOCK: Option<i32> = if cfg!(any(
    target_os = "macos",
    target_os = "ios",
    target_os = "freebsd",
    target_os = "openbsd",
    target_os = "netbsd"
)) {
    Some(0x4)
} else if cfg!(all(
    any(target_os = "linux", target_os = "android"),
    any(
        target_arch = "x86",
        target_arch = "x86_64",
        target_arch = "arm",
        target_arch = "aarch64",
        target_arch = "riscv64",
        target_arch = "powerpc64",
        target_arch = "s390x"
    )
)) {
    Some(0o4000)
} else {
    None
};

/// Makes opening for writing never wait: a FIFO nobody reads (a `--log-file`
/// pointed at a named pipe by mistake) fails at once with "no such device or
/// address" instead of hanging the command before it does anything. A FIFO
/// with a reader (`--log-file /dev/stderr` piped to a collector) still opens.
/// No effect on regular files.
pub fn never_wait_to_open(options: &mut OpenOptions) -> &mut OpenOptions {
    #[cfg(unix)]
    if let Some(flag) = O_NONBLOCK {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(flag);
    }
    options
}

/// The error of an open made by [`never_wait_to_open`], said plainly: a FIFO
/// without a reader gives ENXIO, whose own text ("no such device or
/// address") names nothing the user can act on.
pub fn open_error(error: io::Error) -> io::Error {
    // ENXIO is 6 on every platform never_wait_to_open acts on.
    match error.raw_os_error() {
        Some(6) if O_NONBLOCK.is_some() => io::Error::new(
            error.kind(),
            "it is a FIFO (named pipe) that no program is reading",
        ),
        _ => error,
    }
}

/// An error when `path` exists and is a FIFO or a socket: a file claude-rs
/// must read back whole (the config file, OUTPUT) would wait forever for a
/// writer that may never come.
pub fn refuse_pipe(path: &Path) -> io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if let Ok(meta) = fs::metadata(path) {
            let kind = meta.file_type();
            if kind.is_fifo() || kind.is_socket() {
                let name = match kind.is_fifo() {
                    true => "a FIFO (named pipe)",
                    false => "a socket",
                };
                return Err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    format!("it is {name}, not a file, and reading it would wait for a writer"),
                ));
            }
        }
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

/// Creates `dir` (and any missing parent) with mode 0700, or tightens an
/// existing `dir` to 0700 when others could read or enter it. Only for a
/// folder claude-rs names itself: a folder the user chose is theirs.
pub fn own_dir(dir: &Path) -> io::Result<()> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(dir)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = fs::metadata(dir)?.permissions().mode();
        if mode & 0o077 != 0 {
            fs::set_permissions(dir, fs::Permissions::from_mode(0o700)).map_err(|e| {
                io::Error::new(
                    e.kind(),
                    format!(
                        "{} has mode {:04o} and could not be made private (0700): {e}",
                        dir.display(),
                        mode & 0o7777
                    ),
                )
            })?;
        }
    }
    Ok(())
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::io::Write;
    use std::os::unix::fs::PermissionsExt;

    fn mode(path: &Path) -> u32 {
        fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn a_new_folder_is_0700_and_a_loose_one_of_ours_is_tightened() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("a").join("b");
        own_dir(&dir).unwrap();
        assert_eq!(mode(&dir), 0o700);
        assert_eq!(mode(&root.path().join("a")), 0o700);
        fs::set_permissions(&dir, fs::Permissions::from_mode(0o755)).unwrap();
        own_dir(&dir).unwrap();
        assert_eq!(mode(&dir), 0o700);
    }

    #[test]
    fn new_files_are_0600_and_existing_ones_keep_their_mode() {
        let root = tempfile::tempdir().unwrap();
        let path = root.path().join("out");
        let mut file = new_file_options()
            .create(true)
            .append(true)
            .open(&path)
            .unwrap();
        file.write_all(b"x").unwrap();
        assert_eq!(mode(&path), 0o600);
        fs::set_permissions(&path, fs::Permissions::from_mode(0o640)).unwrap();
        new_file_options()
            .create(true)
            .append(true)
            .open(&path)
            .unwrap();
        assert_eq!(mode(&path), 0o640);
    }
}
