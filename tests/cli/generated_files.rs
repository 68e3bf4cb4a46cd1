//! The committed completions and man pages must match the clap definitions.

#[test]
fn completions_and_man_pages_are_current() {
    let fresh = tempfile::tempdir().unwrap();
    claude_rs::commands::generate::write_all(fresh.path()).unwrap();
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let names = |dir: &std::path::Path| -> std::collections::BTreeSet<std::ffi::OsString> {
        std::fs::read_dir(dir)
            .unwrap()
            .map(|entry| entry.unwrap().file_name())
            .collect()
    };
    for folder in ["completions", "man"] {
        let generated = names(&fresh.path().join(folder));
        // A page for a subcommand that no longer exists is stale too.
        assert_eq!(
            names(&root.join(folder)),
            generated,
            "{folder}/ does not hold exactly the generated files: run `cargo run -- generate` and commit the result"
        );
        for name in generated {
            let committed = root.join(folder).join(&name);
            let expected = std::fs::read(fresh.path().join(folder).join(&name)).unwrap();
            let actual = std::fs::read(&committed).unwrap_or_default();
            assert!(
                actual == expected,
                "{} is stale: run `cargo run -- generate` and commit the result",
                committed.display()
            );
        }
    }
}

/// The config file's keys are declared once; the manual must document each,
/// in the config file's own section of docs/configuration.md.
#[test]
fn the_docs_document_every_config_key() {
    let page = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/configuration.md"),
    )
    .expect("docs/configuration.md is readable");
    let section = page
        .split("\n## The config file\n")
        .nth(1)
        .and_then(|rest| rest.split("\n## ").next())
        .expect("docs/configuration.md has a section `## The config file`");
    for key in claude_rs::config::file::KEYS
        .iter()
        .chain(claude_rs::config::file::BATCH_KEYS)
    {
        assert!(
            section.contains(&format!("`{key}`")),
            "docs/configuration.md's config file section does not list `{key}`"
        );
    }
}
