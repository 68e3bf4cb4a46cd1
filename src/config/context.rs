//! What every command that talks to the API starts from: the environment, the
//! user's config file and profile, and the global flags. Each setting is
//! picked through the layers (flags > environment > profile > file >
//! built-in defaults) here, and each pick is recorded, value and source, so
//! that `claude-rs config show` prints exactly what a command would use.

use std::cell::RefCell;
use std::fmt::Display;
use std::path::PathBuf;

use serde_json::Value;
use toml::Spanned;

use super::EnvLookup;
use crate::cli::NetworkArgs;
use crate::config::file::{BatchLayer, Layer};
use crate::config::user::{Source, Sourced, UserConfig, layered};

/// One setting as resolved: for `config show`.
#[derive(Clone, Debug, PartialEq)]
pub struct Shown {
    pub key: &'static str,
    pub value: Value,
    pub source: Source,
}

pub struct Context<'a> {
    pub env: EnvLookup<'a>,
    pub user: &'a UserConfig,
    /// `--log-file`.
    pub log_flag: Option<PathBuf>,
    pub network: &'a NetworkArgs,
    shown: RefCell<Vec<Shown>>,
}

impl<'a> Context<'a> {
    pub fn new(
        env: EnvLookup<'a>,
        user: &'a UserConfig,
        log_flag: Option<PathBuf>,
        network: &'a NetworkArgs,
    ) -> Context<'a> {
        Context {
            env,
            user,
            log_flag,
            network,
            shown: RefCell::new(Vec::new()),
        }
    }

    /// The settings picked so far, in the order they were picked.
    pub fn shown(&self) -> Vec<Shown> {
        self.shown.borrow().clone()
    }

    pub fn record(&self, key: &'static str, value: Value, source: &Source) {
        let mut shown = self.shown.borrow_mut();
        shown.retain(|s| s.key != key);
        shown.push(Shown {
            key,
            value,
            source: source.clone(),
        });
    }

    /// A top-level (or profile) key of the config file.
    pub fn config<T: Clone>(
        &self,
        key: impl Fn(&Layer) -> Option<&Spanned<T>>,
    ) -> Option<Sourced<T>> {
        self.user.get(key)
    }

    /// A key of a `[batch]` table.
    pub fn config_batch<T: Clone>(
        &self,
        key: impl Fn(&BatchLayer) -> Option<&Spanned<T>>,
    ) -> Option<Sourced<T>> {
        self.user.get(|layer| layer.batch.as_ref().and_then(&key))
    }

    /// flag > environment > profile > file > default, recorded under `key`.
    pub fn pick<T: Clone + Into<Value>>(
        &self,
        key: &'static str,
        flag: Option<(T, &'static str)>,
        env: Option<(T, &'static str)>,
        config: Option<Sourced<T>>,
        default: T,
    ) -> Sourced<T> {
        let picked = layered(flag, env, config, default);
        self.record(key, picked.value.clone().into(), &picked.source);
        picked
    }

    /// The same for a setting with no default.
    pub fn pick_optional<T: Clone + Into<Value>>(
        &self,
        key: &'static str,
        flag: Option<(T, &'static str)>,
        env: Option<(T, &'static str)>,
        config: Option<Sourced<T>>,
    ) -> Sourced<Option<T>> {
        self.pick(
            key,
            flag.map(|(v, n)| (Some(v), n)),
            env.map(|(v, n)| (Some(v), n)),
            config.map(|c| c.map(Some)),
            None,
        )
    }

    /// How a message names a value and where it came from: `--max-tokens 0`,
    /// `ANTHROPIC_MODEL 'x'`, or `max_tokens = 0 (/home/me/.config/claude-rs/config.toml, line 3)`.
    pub fn said(&self, source: &Source, flag: &str, key: &str, value: impl Display) -> String {
        let path = self.user.path.as_ref().map_or_else(
            || "the config file".to_string(),
            |p| p.display().to_string(),
        );
        match source {
            Source::Flag(name) => format!("{name} {value}"),
            Source::Env(name) => format!("{name}={value}"),
            Source::File { line } => format!("{key} = {value} ({path}, line {line})"),
            Source::Profile { name, line } => {
                format!("{key} = {value} ([profile.{name}] in {path}, line {line})")
            }
            Source::Default => format!("{flag} {value}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::file::ConfigFile;
    use std::path::Path;

    fn user(text: &str, profile: Option<&str>) -> UserConfig {
        UserConfig {
            path: Some(PathBuf::from("/c.toml")),
            file: Some(ConfigFile::parse(Path::new("/c.toml"), text.into(), Some(0o600)).unwrap()),
            profile: profile.map(str::to_string),
        }
    }

    #[test]
    fn picks_are_recorded_once_each_with_their_source() {
        let user = user(
            "max_tokens = 100\n[profile.work]\nmax_tokens = 200\n",
            Some("work"),
        );
        let network = NetworkArgs::default();
        let no_env = |_: &str| None;
        let ctx = Context::new(&no_env, &user, None, &network);
        let tokens = ctx.pick(
            "max_tokens",
            None,
            None,
            ctx.config(|l| l.max_tokens.as_ref()),
            4096,
        );
        assert_eq!(tokens.value, 200);
        let again = ctx.pick("max_tokens", Some((7u32, "--max-tokens")), None, None, 4096);
        assert_eq!(again.value, 7);
        let shown = ctx.shown();
        assert_eq!(shown.len(), 1, "a key shows once, as last picked");
        assert_eq!(shown[0].value, Value::from(7));
        assert_eq!(shown[0].source, Source::Flag("--max-tokens"));
        let system = ctx.pick_optional::<String>("system", None, None, None);
        assert_eq!(system.value, None);
        assert_eq!(ctx.shown()[1].value, Value::Null);
    }

    #[test]
    fn messages_say_where_a_value_came_from() {
        let user = user("", None);
        let network = NetworkArgs::default();
        let no_env = |_: &str| None;
        let ctx = Context::new(&no_env, &user, None, &network);
        assert_eq!(
            ctx.said(
                &Source::Flag("--max-tokens"),
                "--max-tokens",
                "max_tokens",
                0
            ),
            "--max-tokens 0"
        );
        assert_eq!(
            ctx.said(&Source::File { line: 3 }, "--max-tokens", "max_tokens", 0),
            "max_tokens = 0 (/c.toml, line 3)"
        );
        assert_eq!(
            ctx.said(
                &Source::Profile {
                    name: "work".into(),
                    line: 8
                },
                "--jobs",
                "jobs",
                0
            ),
            "jobs = 0 ([profile.work] in /c.toml, line 8)"
        );
        assert_eq!(
            ctx.said(&Source::Env("ANTHROPIC_MODEL"), "--model", "model", "x y"),
            "ANTHROPIC_MODEL=x y"
        );
    }
}
