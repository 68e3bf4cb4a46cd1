//! The API key: a type that cannot be printed by accident. `Debug` and
//! `Display` show only its last four characters.

use std::fmt;

#[derive(Clone, PartialEq, Eq)]
pub struct ApiKey(String);

impl ApiKey {
    /// `None` for an empty or blank key: a set-but-empty variable is missing.
    pub fn new(raw: &str) -> Option<ApiKey> {
        let trimmed = raw.trim();
        (!trimmed.is_empty()).then(|| ApiKey(trimmed.to_string()))
    }

    /// The key itself, for the one place that sends it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// `…abcd`: enough to tell two keys apart, never enough to use one.
    pub fn masked(&self) -> String {
        let chars: Vec<char> = self.0.chars().collect();
        if chars.len() <= 8 {
            return "…".to_string();
        }
        let tail: String = chars[chars.len() - 4..].iter().collect();
        format!("…{tail}")
    }

    /// Whether it has the shape of an Anthropic key (`sk-ant-…`).
    pub fn looks_plausible(&self) -> bool {
        self.0.starts_with("sk-ant-") && self.0.len() >= 20
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ApiKey({})", self.masked())
    }
}

impl fmt::Display for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.masked())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_shows_more_than_four_characters() {
        let key = ApiKey::new("sk-ant-api03-SECRETSECRETSECRET-wxyz").unwrap();
        assert_eq!(key.masked(), "…wxyz");
        assert_eq!(format!("{key}"), "…wxyz");
        assert_eq!(format!("{key:?}"), "ApiKey(…wxyz)");
        assert!(!format!("{key:?}").contains("SECRET"));
        assert_eq!(ApiKey::new("short").unwrap().masked(), "…");
    }

    #[test]
    fn blank_is_missing() {
        assert!(ApiKey::new("  ").is_none());
        assert!(ApiKey::new("").is_none());
    }
}
