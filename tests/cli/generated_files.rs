//! The committed completions and man pages must match the clap definitions.

#[test]
fn completions_and_man_pages_are_current() {
    let fresh = tempfile::tempdir().unwrap();
    claude_rs::commands::generate::write_all(fresh.path()).unwrap();
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut checked = 0;
    for folder in ["completions", "man"] {
        for entry in std::fs::read_dir(fresh.path().join(folder)).unwrap() {
            let entry = entry.unwrap();
            let committed = root.join(folder).join(entry.file_name());
            let expected = std::fs::read(entry.path()).unwrap();
            let actual = std::fs::read(&committed).unwrap_or_default();
            assert!(
                actual == expected,
                "{} is stale: run `cargo run -- generate` and commit the result",
                committed.display()
            );
            checked += 1;
        }
    }
    assert!(
        checked >= 8,
        "expected 5 completions and 3 man pages, checked {checked}"
    );
}

/// The config file's keys are declared once; the README must document each.
#[test]
fn the_readme_documents_every_config_key() {
    let readme =
        std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md"))
            .expect("README.md is readable");
    let section = readme
        .split("## Configuration")
        .nth(1)
        .expect("README has a Configuration section");
    for key in claude_rs::settings::file::KEYS
        .iter()
        .chain(claude_rs::settings::file::BATCH_KEYS)
    {
        assert!(
            section.contains(&format!("`{key}`")),
            "README's Configuration section does not list `{key}`"
        );
    }
}
