//! The config file: `dirs::config_dir()/claude-rs/config.toml`, or
//! `CLAUDE_RS_CONFIG`. Top-level settings, a `[batch]` table, and profiles
//! (`[profile.work]`) holding the same keys. Every key is one line of the
//! list below, so the file format, `config show` and docs/configuration.md cannot drift
//! apart. A file that cannot be read, an unknown key or a value of the wrong
//! type is an error naming the file and the line.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;

use crate::config::usage::UsageError;
use crate::report::ColorChoice;

/// Declares the settings a file (and each profile) may hold, once: the
/// struct profiles use, the struct the whole file is read into, and the list
/// of key names.
macro_rules! settings {
    ($( $(#[$doc:meta])* $key:ident : $ty:ty ),* $(,)?) => {
        /// One layer of settings: the file's top level, or one profile. No
        /// `Debug`: it may hold a literal key.
        #[derive(Clone, Default, Deserialize)]
        #[serde(deny_unknown_fields)]
        pub struct Layer {
            $( $(#[$doc])* pub $key: Option<Spanned<$ty>>, )*
            pub batch: Option<BatchLayer>,
        }

        /// The whole file: a layer plus its profiles.
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct WholeFile {
            $( $key: Option<Spanned<$ty>>, )*
            batch: Option<BatchLayer>,
            profile: Option<BTreeMap<String, Layer>>,
        }

        impl WholeFile {
            fn split(self) -> (Layer, BTreeMap<String, Layer>) {
                let layer = Layer { $( $key: self.$key, )* batch: self.batch };
                (layer, self.profile.unwrap_or_default())
            }
        }

        /// The top-level keys, in the order docs/configuration.md lists them.
        pub const KEYS: &[&str] = &[$( stringify!($key), )*];
    };
}

settings! {
    /// The model for requests that name none.
    model: String,
    max_tokens: u32,
    system: String,
    temperature: f64,
    max_retries: u32,
    /// Stall timeout, seconds.
    timeout: f64,
    connect_timeout: f64,
    /// `~/` is the home directory.
    log_file: String,
    color: ColorChoice,
    /// A command whose first line of output is the key (`pass show anthropic`).
    api_key_cmd: String,
    /// Seconds `api_key_cmd` may take.
    api_key_cmd_timeout: f64,
    /// A literal key: allowed, warned about when the file is readable by others.
    api_key: String,
    base_url: String,
    proxy: String,
    /// A PEM file of CA certificates to trust besides the bundled roots; `~/` is the home directory.
    ca_cert: String,
    native_roots: bool,
    allow_insecure_http: bool,
    /// Beta features for the `anthropic-beta` header (`--beta`).
    betas: Vec<String>,
    /// The model tried once when a call fails with overloaded or a server error (`--fallback-model`).
    fallback_model: String,
    /// `false`: each process paces itself alone (`--no-shared-limits`).
    shared_limits: bool,
}

/// `[batch]`, at the top level or in a profile.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BatchLayer {
    pub jobs: Option<Spanned<usize>>,
    pub rpm: Option<Spanned<u32>>,
    pub tpm: Option<Spanned<u64>>,
    pub headroom: Option<Spanned<f64>>,
    /// Seconds with no success after which a batch stops.
    pub give_up_after: Option<Spanned<u64>>,
}

pub const BATCH_KEYS: &[&str] = &["jobs", "rpm", "tpm", "headroom", "give_up_after"];

/// A config file as read.
#[derive(Clone)]
pub struct ConfigFile {
    pub path: PathBuf,
    /// Kept to turn byte offsets into line numbers.
    text: String,
    pub top: Layer,
    pub profiles: BTreeMap<String, Layer>,
    /// The file's permission bits (Unix), for the literal-key warning.
    pub mode: Option<u32>,
}

/// Never the text or the values: the file may hold a literal key.
impl std::fmt::Debug for ConfigFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConfigFile")
            .field("path", &self.path)
            .field("profiles", &self.profiles.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

impl ConfigFile {
    /// Reads and parses the file. `Ok(None)` when it does not exist.
    pub fn load(path: &Path) -> Result<Option<ConfigFile>, UsageError> {
        let text = match read_bounded(path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => {
                return Err(UsageError::new(
                    format!("cannot read the config file {}: {e}", path.display()),
                    "fix its permissions, or point CLAUDE_RS_CONFIG at another file",
                ));
            }
        };
        let mode = permission_bits(path);
        ConfigFile::parse(path, text, mode).map(Some)
    }

    pub fn parse(path: &Path, text: String, mode: Option<u32>) -> Result<ConfigFile, UsageError> {
        let whole: WholeFile = toml::from_str(&text).map_err(|error| {
            let place = error.span().map_or(String::new(), |span| {
                format!(", line {}", line_of(&text, span.start))
            });
            UsageError::new(
                format!(
                    "bad config file {}{place}: {}",
                    path.display(),
                    collapse_whitespace(error.message())
                ),
                "fix that line: `claude-rs config --help` shows every key and its type",
            )
        })?;
        let (top, profiles) = whole.split();
        Ok(ConfigFile {
            path: path.to_path_buf(),
            text,
            top,
            profiles,
            mode,
        })
    }

    /// The 1-based line a value was read from.
    pub fn line<T>(&self, value: &Spanned<T>) -> usize {
        line_of(&self.text, value.span().start)
    }

    /// The layer of a profile chosen by `chosen_by` (`--profile` or
    /// `CLAUDE_RS_PROFILE`); an unknown name is an error listing the known ones.
    pub fn profile(&self, name: &str, chosen_by: &str) -> Result<&Layer, UsageError> {
        self.profiles
            .get(name)
            .ok_or_else(|| unknown_profile(name, Some(self), chosen_by))
    }

    /// A warning when the file holds a key (anywhere) and others may read it.
    pub fn key_exposure_warning(&self) -> Option<String> {
        let mode = self.mode?;
        let holds_a_key =
            self.top.api_key.is_some() || self.profiles.values().any(|p| p.api_key.is_some());
        (holds_a_key && mode & 0o077 != 0).then(|| {
            format!(
                "{} holds an API key and can be read by others (mode {:04o}): run chmod 600 {}, or use api_key_cmd",
                self.path.display(),
                mode & 0o777,
                self.path.display()
            )
        })
    }
}

/// A config file is a few hundred bytes; past this it is something else
/// (`CLAUDE_RS_CONFIG=/dev/zero`, a log), refused before it fills memory.
const MAX_CONFIG_BYTES: u64 = 1024 * 1024;

fn read_bounded(path: &Path) -> std::io::Result<String> {
    use std::io::Read;
    let mut bytes = Vec::new();
    crate::private::refuse_pipe(path)?;
    std::fs::File::open(path)?
        .take(MAX_CONFIG_BYTES + 1)
        .read_to_end(&mut bytes)?;
    let invalid = |what: &str| std::io::Error::new(std::io::ErrorKind::InvalidData, what);
    if bytes.len() as u64 > MAX_CONFIG_BYTES {
        return Err(invalid("it is over 1 MiB, too big for a config file"));
    }
    String::from_utf8(bytes).map_err(|_| invalid("stream did not contain valid UTF-8"))
}

pub fn unknown_profile(name: &str, file: Option<&ConfigFile>, chosen_by: &str) -> UsageError {
    let known: Vec<&str> = file
        .map(|f| f.profiles.keys().map(String::as_str).collect())
        .unwrap_or_default();
    let where_ = file.map_or_else(
        || "there is no config file".to_string(),
        |f| format!("{} has no [profile.{name}]", f.path.display()),
    );
    let undo = match chosen_by {
        "CLAUDE_RS_PROFILE" => "unset CLAUDE_RS_PROFILE".to_string(),
        flag => format!("drop {flag}"),
    };
    let fix = match known.is_empty() {
        true => format!(
            "define it as [profile.NAME] in the config file (claude-rs config path), or {undo}"
        ),
        false => format!("use one of: {}", known.join(", ")),
    };
    UsageError::new(
        format!("unknown profile '{name}' ({chosen_by}): {where_}"),
        fix,
    )
}

fn line_of(text: &str, offset: usize) -> usize {
    text.bytes().take(offset).filter(|&b| b == b'\n').count() + 1
}

/// toml's messages span lines; a diagnostic is one.
fn collapse_whitespace(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(unix)]
fn permission_bits(path: &Path) -> Option<u32> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).ok().map(|m| m.permissions().mode())
}

#[cfg(not(unix))]
fn permission_bits(_path: &Path) -> Option<u32> {
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn parse(text: &str) -> Result<ConfigFile, UsageError> {
        ConfigFile::parse(
            Path::new("/home/me/config.toml"),
            text.to_string(),
            Some(0o600),
        )
    }

    #[test]
    fn reads_top_level_batch_and_profiles_with_their_lines() {
        let file = parse(
            "model = \"claude-haiku-4-5\"\nmax_tokens = 512\n\n[batch]\nrpm = 50\n\n[profile.work]\nmodel = \"claude-opus-4-6\"\n[profile.work.batch]\njobs = 8\n",
        )
        .unwrap();
        let model = file.top.model.as_ref().unwrap();
        assert_eq!(model.get_ref(), "claude-haiku-4-5");
        assert_eq!(file.line(model), 1);
        assert_eq!(
            *file
                .top
                .batch
                .as_ref()
                .unwrap()
                .rpm
                .as_ref()
                .unwrap()
                .get_ref(),
            50
        );
        let work = file.profile("work", "--profile").unwrap();
        assert_eq!(work.model.as_ref().unwrap().get_ref(), "claude-opus-4-6");
        assert_eq!(file.line(work.model.as_ref().unwrap()), 8);
        assert_eq!(
            *work
                .batch
                .as_ref()
                .unwrap()
                .jobs
                .as_ref()
                .unwrap()
                .get_ref(),
            8
        );
    }

    #[test]
    fn an_unknown_key_names_the_line_and_the_keys() {
        let error = parse("model = \"x\"\nmodle = \"y\"\n").unwrap_err();
        assert!(
            error.problem.contains("/home/me/config.toml, line 2"),
            "{}",
            error.problem
        );
        assert!(error.problem.contains("modle"), "{}", error.problem);
        assert!(
            error.problem.contains("expected one of `model`"),
            "{}",
            error.problem
        );
        assert!(error.fix.contains("config --help"), "{}", error.fix);
        let in_profile = parse("[profile.x]\nmax_tokenz = 1\n").unwrap_err();
        assert!(
            in_profile.problem.contains("line 2"),
            "{}",
            in_profile.problem
        );
        let in_batch = parse("[batch]\nrpm = 1\njob = 2\n").unwrap_err();
        assert!(in_batch.problem.contains("line 3"), "{}", in_batch.problem);
    }

    #[test]
    fn a_wrong_type_names_the_line() {
        let error = parse("max_tokens = \"lots\"\n").unwrap_err();
        assert!(error.problem.contains("line 1"), "{}", error.problem);
        assert!(error.problem.contains("invalid type"), "{}", error.problem);
        let color = parse("\n\ncolor = \"purple\"\n").unwrap_err();
        assert!(color.problem.contains("line 3"), "{}", color.problem);
        let syntax = parse("model = \n").unwrap_err();
        assert!(syntax.problem.contains("line 1"), "{}", syntax.problem);
    }

    #[test]
    fn an_unknown_profile_lists_the_known_ones() {
        let file = parse("[profile.work]\n[profile.home]\n").unwrap();
        let Err(error) = file.profile("play", "--profile") else {
            panic!("play is no profile")
        };
        assert!(error.problem.contains("unknown profile 'play' (--profile)"));
        assert_eq!(error.fix, "use one of: home, work");
        assert!(
            unknown_profile("x", None, "--profile")
                .problem
                .contains("there is no config file")
        );
        assert!(
            unknown_profile("x", None, "CLAUDE_RS_PROFILE")
                .fix
                .contains("unset CLAUDE_RS_PROFILE")
        );
    }

    #[test]
    fn a_literal_key_in_a_readable_file_is_warned_about() {
        let text = "[profile.work]\napi_key = \"sk-ant-xyz\"\n".to_string();
        let open = ConfigFile::parse(Path::new("/c.toml"), text.clone(), Some(0o100644)).unwrap();
        let warning = open.key_exposure_warning().unwrap();
        assert!(
            warning.contains("mode 0644") && warning.contains("chmod 600"),
            "{warning}"
        );
        assert!(!warning.contains("sk-ant-xyz"));
        let private = ConfigFile::parse(Path::new("/c.toml"), text, Some(0o100600)).unwrap();
        assert_eq!(private.key_exposure_warning(), None);
        let no_key =
            ConfigFile::parse(Path::new("/c.toml"), "model = \"m\"".into(), Some(0o644)).unwrap();
        assert_eq!(no_key.key_exposure_warning(), None);
    }

    #[test]
    fn a_missing_file_is_no_file() {
        assert!(
            ConfigFile::load(Path::new("/nonexistent/claude-rs/config.toml"))
                .unwrap()
                .is_none()
        );
    }

    /// TOML-shaped text: known keys and tables with values of any type.
    fn config_text() -> impl Strategy<Value = String> {
        let line = prop_oneof![
            any::<String>(),
            (
                prop::sample::select(KEYS.to_vec()),
                prop_oneof![
                    any::<String>().prop_map(|v| format!("{v:?}")),
                    any::<i64>().prop_map(|n| n.to_string()),
                    any::<f64>().prop_map(|n| n.to_string()),
                    Just("1e400".to_string()),
                    Just("nan".to_string()),
                    Just("-inf".to_string()),
                    Just("18446744073709551616".to_string()),
                    Just("[[[[]]]]".to_string()),
                ],
            )
                .prop_map(|(key, value)| format!("{key} = {value}")),
            prop::sample::select(vec![
                "[batch]",
                "[profile.x]",
                "[profile.\"\"]",
                "[[profile]]",
                "jobs = 0"
            ])
            .prop_map(str::to_string),
        ];
        proptest::collection::vec(line, 0..10).prop_map(|lines| lines.join("\n"))
    }

    proptest! {
        #[test]
        fn any_text_is_a_config_or_an_error_naming_a_line(text in config_text()) {
            if let Err(error) = ConfigFile::parse(Path::new("c.toml"), text, Some(0o600)) {
                prop_assert!(error.problem.starts_with("bad config file c.toml"));
            }
        }
    }

    #[test]
    fn deep_nesting_and_an_endless_file_are_refused_not_crashed_on() {
        let deep = format!("model = {}{}", "[".repeat(100_000), "]".repeat(100_000));
        assert!(ConfigFile::parse(Path::new("c.toml"), deep, None).is_err());
        let dir = tempfile::tempdir().unwrap();
        let big = dir.path().join("big.toml");
        std::fs::write(&big, vec![b'#'; 2 << 20]).unwrap();
        let error = ConfigFile::load(&big).err().unwrap();
        assert!(error.problem.contains("over 1 MiB"), "{}", error.problem);
    }
}
