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
