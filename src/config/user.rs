//! The user's own settings as layers: the config file and its profiles.
//! `config` resolves every setting through the layers
//! (flags > environment > profile > file > built-in defaults) and keeps where
//! each value came from, for `claude-rs config show` and for error messages.

use std::fmt;
use std::path::PathBuf;

use toml::Spanned;

use super::file::{ConfigFile, Layer, unknown_profile};
use crate::config::usage::{EnvLookup, UsageError, env_or_none};

/// Where a setting's value came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Source {
    Flag(&'static str),
    Env(&'static str),
    Profile { name: String, line: usize },
    File { line: usize },
    Default,
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Flag(flag) => write!(f, "flag {flag}"),
            Source::Env(name) => write!(f, "env {name}"),
            Source::Profile { name, line } => write!(f, "profile {name}, line {line}"),
            Source::File { line } => write!(f, "config file, line {line}"),
            Source::Default => f.write_str("default"),
        }
    }
}

/// A value and where it came from.
#[derive(Clone, Debug, PartialEq)]
pub struct Sourced<T> {
    pub value: T,
    pub source: Source,
}

impl<T> Sourced<T> {
    pub fn new(value: T, source: Source) -> Sourced<T> {
        Sourced { value, source }
    }

    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Sourced<U> {
        Sourced {
            value: f(self.value),
            source: self.source,
        }
    }
}

/// `CLAUDE_RS_CONFIG`, else `dirs::config_dir()/claude-rs/config.toml`.
pub fn config_path(env: EnvLookup) -> Option<PathBuf> {
    env_or_none(env, "CLAUDE_RS_CONFIG")
        .map(PathBuf::from)
        .or_else(|| dirs::config_dir().map(|dir| dir.join("claude-rs").join("config.toml")))
}

/// The config file (if any) and the profile chosen: the two lowest layers
/// above the built-in defaults.
#[derive(Clone, Debug, Default)]
pub struct UserConfig {
    pub path: Option<PathBuf>,
    pub file: Option<ConfigFile>,
    pub profile: Option<String>,
}

impl UserConfig {
    /// Loads the file and checks the profile (`--profile`, else `CLAUDE_RS_PROFILE`).
    pub fn load(profile_flag: Option<&str>, env: EnvLookup) -> Result<UserConfig, UsageError> {
        let path = config_path(env);
        let explicit = env_or_none(env, "CLAUDE_RS_CONFIG").is_some();
        let file = path.as_deref().map(ConfigFile::load).transpose()?.flatten();
        if let (None, true, Some(path)) = (&file, explicit, &path) {
            return Err(UsageError::new(
                format!(
                    "CLAUDE_RS_CONFIG names {}, which does not exist",
                    path.display()
                ),
                "create it, or unset CLAUDE_RS_CONFIG to use the default path (claude-rs config path)",
            ));
        }
        let (profile, chosen_by) = match profile_flag {
            Some(name) => (Some(name.to_string()), "--profile"),
            None => (env_or_none(env, "CLAUDE_RS_PROFILE"), "CLAUDE_RS_PROFILE"),
        };
        if let Some(name) = &profile {
            match &file {
                Some(file) => file.profile(name, chosen_by).map(drop)?,
                None => return Err(unknown_profile(name, None, chosen_by)),
            }
        }
        Ok(UserConfig {
            path,
            file,
            profile,
        })
    }

    /// The chosen profile's value of a key, else the file's top-level one.
    pub fn get<T: Clone>(&self, key: impl Fn(&Layer) -> Option<&Spanned<T>>) -> Option<Sourced<T>> {
        let file = self.file.as_ref()?;
        if let Some(name) = &self.profile
            && let Some(value) = file.profiles.get(name).and_then(&key)
        {
            let source = Source::Profile {
                name: name.clone(),
                line: file.line(value),
            };
            return Some(Sourced::new(value.get_ref().clone(), source));
        }
        key(&file.top).map(|value| {
            Sourced::new(
                value.get_ref().clone(),
                Source::File {
                    line: file.line(value),
                },
            )
        })
    }

    /// Warnings about the file itself (a literal key readable by others).
    pub fn warnings(&self) -> Vec<String> {
        self.file
            .as_ref()
            .and_then(ConfigFile::key_exposure_warning)
            .into_iter()
            .collect()
    }
}

/// flags > environment > profile > file > built-in default.
pub fn layered<T>(
    flag: Option<(T, &'static str)>,
    env: Option<(T, &'static str)>,
    config: Option<Sourced<T>>,
    default: T,
) -> Sourced<T> {
    if let Some((value, name)) = flag {
        return Sourced::new(value, Source::Flag(name));
    }
    if let Some((value, name)) = env {
        return Sourced::new(value, Source::Env(name));
    }
    config.unwrap_or(Sourced::new(default, Source::Default))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn config(text: &str, profile: Option<&str>) -> UserConfig {
        UserConfig {
            path: Some(PathBuf::from("/c.toml")),
            file: Some(ConfigFile::parse(Path::new("/c.toml"), text.into(), Some(0o600)).unwrap()),
            profile: profile.map(str::to_string),
        }
    }

    const TEXT: &str = "model = \"file-model\"\nmax_tokens = 100\n[batch]\nrpm = 10\n[profile.work]\nmodel = \"work-model\"\n[profile.work.batch]\nrpm = 20\n";

    #[test]
    fn a_profile_wins_over_the_file_and_falls_back_to_it() {
        let work = config(TEXT, Some("work"));
        let model = work.get(|l| l.model.as_ref()).unwrap();
        assert_eq!(model.value, "work-model");
        assert_eq!(
            model.source,
            Source::Profile {
                name: "work".into(),
                line: 6
            }
        );
        let tokens = work.get(|l| l.max_tokens.as_ref()).unwrap();
        assert_eq!(
            (tokens.value, tokens.source),
            (100, Source::File { line: 2 })
        );
        fn rpm(layer: &Layer) -> Option<&Spanned<u32>> {
            layer.batch.as_ref().and_then(|b| b.rpm.as_ref())
        }
        assert_eq!(work.get(rpm).unwrap().value, 20);
        let plain = config(TEXT, None);
        assert_eq!(plain.get(|l| l.model.as_ref()).unwrap().value, "file-model");
        assert_eq!(plain.get(rpm).unwrap().value, 10);
        assert_eq!(plain.get(|l| l.system.as_ref()), None);
    }

    #[test]
    fn flags_beat_env_beat_config_beat_defaults() {
        let from_file = Some(Sourced::new(3, Source::File { line: 1 }));
        assert_eq!(
            layered(Some((1, "--n")), Some((2, "N")), from_file.clone(), 4).value,
            1
        );
        assert_eq!(
            layered(None, Some((2, "N")), from_file.clone(), 4).source,
            Source::Env("N")
        );
        assert_eq!(layered(None, None, from_file, 4).value, 3);
        assert_eq!(layered::<u32>(None, None, None, 4).source, Source::Default);
    }

    #[test]
    fn sources_read_well() {
        assert_eq!(Source::Flag("--model").to_string(), "flag --model");
        assert_eq!(
            Source::Env("ANTHROPIC_MODEL").to_string(),
            "env ANTHROPIC_MODEL"
        );
        assert_eq!(
            Source::Profile {
                name: "work".into(),
                line: 8
            }
            .to_string(),
            "profile work, line 8"
        );
        assert_eq!(Source::File { line: 3 }.to_string(), "config file, line 3");
    }

    #[test]
    fn an_explicit_config_path_must_exist_and_a_profile_must_be_defined() {
        let env = |name: &str| match name {
            "CLAUDE_RS_CONFIG" => Some("/nonexistent/claude-rs.toml".to_string()),
            _ => None,
        };
        let error = UserConfig::load(None, &env).unwrap_err();
        assert!(
            error.problem.contains("does not exist"),
            "{}",
            error.problem
        );
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.toml");
        std::fs::write(&path, "[profile.work]\n").unwrap();
        let path_text = path.to_string_lossy().into_owned();
        let env = move |name: &str| (name == "CLAUDE_RS_CONFIG").then(|| path_text.clone());
        assert!(UserConfig::load(Some("work"), &env).is_ok());
        assert!(
            UserConfig::load(Some("home"), &env)
                .unwrap_err()
                .problem
                .contains("unknown profile")
        );
    }
}
