//! The API key: a type that cannot be printed by accident, and the scrubber
//! that keeps it out of everything claude-rs writes even when a server, a
//! proxy or the user hands it back to us inside other text.
//!
//! Every key built as an `ApiKey` is remembered for this process, so any
//! output path can scrub without being handed the key: stderr, `--json`, the
//! log, batch result files, doctor, explain, `--verbose` and config show all
//! call [`scrub`] (or [`scrub_json`]) on text that did not come from us.

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;
use std::sync::{PoisonError, RwLock};

use serde_json::Value;

#[derive(Clone, PartialEq, Eq)]
pub struct ApiKey(String);

impl ApiKey {
    /// `None` for an empty or blank key: a set-but-empty variable is missing.
    pub fn new(raw: &str) -> Option<ApiKey> {
        let trimmed = raw.trim();
        remember(trimmed);
        (!trimmed.is_empty()).then(|| ApiKey(trimmed.to_string()))
    }

    /// The key itself, for the one place that sends it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// `…abcd`: enough to tell two keys apart, never enough to use one.
    pub fn masked(&self) -> String {
        mask(&self.0)
    }

    /// What makes it look unlike an Anthropic key, in words that are true
    /// of it; `None` when it looks like one.
    pub fn doubt(&self) -> Option<String> {
        if !self.0.starts_with("sk-ant-") {
            return Some("does not start with sk-ant- as Anthropic keys do".into());
        }
        let length = self.0.chars().count();
        (length < MIN_KEY_CHARS).then(|| {
            format!(
                "starts with sk-ant- but is only {length} characters long; Anthropic keys are much longer (it may be cut short)"
            )
        })
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

/// Shorter than any key the Console hands out (they run to about 100).
const MIN_KEY_CHARS: usize = 20;

/// `…` and the last four characters; nothing of a secret of 8 or fewer.
fn mask(secret: &str) -> String {
    let chars: Vec<char> = secret.chars().collect();
    if chars.len() <= 8 {
        return "…".to_string();
    }
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("…{tail}")
}

/// The secrets of this process, lowercased: every key built, and any other
/// text that may hold one (an `api_key_cmd` people fill with the key itself).
static SECRETS: RwLock<Vec<Secret>> = RwLock::new(Vec::new());

/// Echoes shorter than this are not masked as pieces of a secret: a short
/// run of letters inside a key is an ordinary word elsewhere.
const MIN_ECHO_CHARS: usize = 12;
/// Runs read again from inside an escape, per text scrubbed (see scrub_runs).
const MAX_RESCANS: usize = 64;
/// Every Anthropic key starts so, whoever's it is.
const ANTHROPIC_KEY_PREFIX: &str = "sk-ant-";

/// Adds text to what [`scrub`] masks from now on in this process.
pub fn remember(secret: &str) {
    let secret = secret.trim().to_ascii_lowercase();
    if secret.is_empty() {
        return;
    }
    let mut secrets = SECRETS.write().unwrap_or_else(PoisonError::into_inner);
    // Each line and word of a key pasted with a line break in it is a secret
    // of its own: a server quoting one line of it must not show that line.
    let parts = secret
        .split(|c: char| c.is_whitespace())
        .filter(|part| part.chars().count() >= MIN_ECHO_CHARS)
        .map(str::to_string);
    for part in std::iter::once(secret.clone()).chain(parts) {
        if !secrets.iter().any(|known| known.text == part) {
            secrets.push(Secret::of(part));
        }
    }
}

/// Remembers each word of `text` that has the shape of a key (long, made of
/// a key's characters, letters and digits mixed), leaving ordinary words
/// such as a command's name and arguments in view.
pub fn remember_key_like_words(text: &str) {
    // Words are runs of a key's characters: shell punctuation around a
    // pasted key (`echo KEY;`, `$(KEY)`, `KEY|`) is not part of it.
    text.split(|c: char| !is_key_char(c))
        .filter(|word| {
            word.len() >= 16
                && word.chars().any(|c| c.is_ascii_digit())
                && word.chars().any(|c| c.is_ascii_alphabetic())
        })
        .for_each(remember);
}

/// Characters an API key is made of: a key inside other text is a maximal
/// run of these.
fn is_key_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '-' || c == '_'
}

/// Text with every secret of this process masked down to its last four
/// characters: verbatim, JSON-escaped or percent-encoded, in any case, whole
/// or cut short (a server quoting the first part of a key), and any
/// Anthropic key (`sk-ant-…`) at all.
pub fn scrub(text: &str) -> Cow<'_, str> {
    let secrets = SECRETS.read().unwrap_or_else(PoisonError::into_inner);
    let mut text = Cow::Borrowed(text);
    let (grams, literals): (Vec<&Secret>, Vec<&Secret>) = secrets
        .iter()
        .partition(|s| s.text.chars().all(is_key_char));
    // Secrets with characters outside a key's run are matched as literals,
    // in each form they take in the text we are handed.
    for secret in literals {
        for form in literal_forms(&secret.text) {
            if let Some(replaced) = replace_ignoring_case(&text, &form) {
                text = Cow::Owned(replaced);
            }
        }
    }
    // Literal runs first, then runs with escapes decoded: a `%` or `\u`
    // just before a key would otherwise eat its first characters.
    for decode in [false, true] {
        if let Some(scrubbed) = scrub_runs(&text, &grams, decode) {
            text = Cow::Owned(scrubbed);
        }
    }
    text
}

/// [`scrub`] applied to every string (and object key) in a JSON value.
pub fn scrub_json(value: &mut Value) {
    match value {
        Value::String(text) => {
            if let Cow::Owned(scrubbed) = scrub(text) {
                *text = scrubbed;
            }
        }
        Value::Array(items) => items.iter_mut().for_each(scrub_json),
        Value::Object(object) => {
            let entries = std::mem::take(object);
            for (key, mut item) in entries {
                scrub_json(&mut item);
                object.insert(scrub(&key).into_owned(), item);
            }
        }
        _ => {}
    }
}

/// The forms a secret takes inside JSON and URLs, besides itself.
fn literal_forms(secret: &str) -> Vec<String> {
    // Its JSON string without the quotes around it.
    let json = serde_json::to_string(secret).unwrap_or_default();
    let json = json[1.min(json.len())..json.len().saturating_sub(1)].to_string();
    let percent: String = secret
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                char::from(b).to_string()
            }
            _ => format!("%{b:02x}"),
        })
        .collect();
    let mut forms = vec![secret.to_string(), json, percent];
    forms.dedup();
    forms.retain(|form| !form.is_empty());
    forms
}

/// `text` with every case-insensitive occurrence of `needle` (lowercase)
/// masked; `None` when there is none.
fn replace_ignoring_case(text: &str, needle: &str) -> Option<String> {
    // ASCII lowercasing keeps every byte index of `text`.
    let lower = text.to_ascii_lowercase();
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for (start, _) in lower.match_indices(needle) {
        out.push_str(&text[at..start]);
        out.push_str(&mask(&text[start..start + needle.len()]));
        at = start + needle.len();
    }
    (at > 0).then(|| out + &text[at..])
}

/// Masks the runs of key characters that are, hold, or are a long piece of
/// a secret, or hold an Anthropic key. `None` when nothing was masked.
///
/// A key character written as a JSON escape (`\u002d`) or percent-encoded
/// (`%2D`) counts as that character: a server that escapes the dashes of a
/// key it echoes in text we cannot parse (a cut JSON body, an HTML page, a
/// URL) must not split the key into runs too short to be recognised.
fn scrub_runs(text: &str, secrets: &[&Secret], decode: bool) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out: Option<String> = None;
    let mut copied = 0;
    let mut index = 0;
    let mut rescans = MAX_RESCANS;
    while index < bytes.len() {
        let Some((c, width)) = key_unit(bytes, index, decode) else {
            // Step over a whole character: indices stay on char boundaries.
            index += text[index..].chars().next().map_or(1, char::len_utf8);
            continue;
        };
        let from = index;
        let mut decoded = String::new();
        decoded.push(c);
        index += width;
        // Where the first escape's digits start: `%50` may be `%` then a
        // key starting `50`, not `P`.
        let mut first_escape = (width > 1).then_some(from + 1);
        while let Some((c, width)) = key_unit(bytes, index, decode) {
            if width > 1 && first_escape.is_none() {
                first_escape = Some(index + 1);
            }
            decoded.push(c);
            index += width;
        }
        if let Some(masked) = mask_run(&decoded, secrets) {
            let out = out.get_or_insert_with(|| String::with_capacity(text.len()));
            out.push_str(&text[copied..from]);
            out.push_str(&masked);
            copied = index;
        } else if let Some(again) = first_escape.filter(|_| rescans > 0) {
            // Read the run again from inside its first escape; bounded, so
            // text full of escapes costs a fixed multiple, not the square.
            rescans -= 1;
            index = again;
        }
    }
    let mut out = out?;
    out.push_str(&text[copied..]);
    Some(out)
}

/// The key character at `at` and how many bytes it takes: itself, or a
/// `\uXXXX` or `%XX` escape of one when `decode`.
fn key_unit(bytes: &[u8], at: usize, decode: bool) -> Option<(char, usize)> {
    let first = *bytes.get(at)?;
    if is_key_char(char::from(first)) {
        return Some((char::from(first), 1));
    }
    if !decode {
        return None;
    }
    let hex = |range: std::ops::Range<usize>| -> Option<char> {
        let digits = std::str::from_utf8(bytes.get(range)?).ok()?;
        if !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        let c = char::from_u32(u32::from_str_radix(digits, 16).ok()?)?;
        is_key_char(c).then_some(c)
    };
    match first {
        b'\\' if bytes.get(at + 1) == Some(&b'u') => hex(at + 2..at + 6).map(|c| (c, 6)),
        b'%' => hex(at + 1..at + 3).map(|c| (c, 3)),
        _ => None,
    }
}

/// The run with what is secret in it masked, or `None` if nothing is.
fn mask_run(run: &str, secrets: &[&Secret]) -> Option<String> {
    // Runs are ASCII (see is_key_char), so lowercasing keeps every index.
    let lower = run.to_ascii_lowercase();
    // (start, end, whether its last four characters may show): they may
    // when they are a key's own last four, never from inside a key.
    let mut spans: Vec<(usize, usize, bool)> = Vec::new();
    // A window scan: building a searcher for every run costs more than it.
    let prefix = ANTHROPIC_KEY_PREFIX.as_bytes();
    if let Some(at) = lower
        .as_bytes()
        .windows(prefix.len())
        .position(|w| w == prefix)
        && run.len() - at > ANTHROPIC_KEY_PREFIX.len()
    {
        spans.push((at, run.len(), true));
    }
    for secret in secrets {
        if secret.text.len() < MIN_ECHO_CHARS {
            // A short key can only be recognised whole.
            if lower == secret.text {
                spans.push((0, run.len(), true));
            }
            continue;
        }
        pieces_of(&lower, secret, &mut spans);
    }
    if spans.is_empty() {
        return None;
    }
    spans.sort_unstable();
    let mut spans = spans.into_iter().peekable();
    let mut out = String::with_capacity(run.len());
    let mut at = 0;
    while let Some((start, mut end, mut reveal)) = spans.next() {
        // Overlapping spans become one, which shows its end only if all do.
        while let Some((_, next_end, next_reveal)) = spans.next_if(|next| next.0 < end) {
            end = end.max(next_end);
            reveal &= next_reveal;
        }
        out.push_str(&run[at..start]);
        match reveal {
            true => out.push_str(&mask(&run[start..end])),
            false => out.push('…'),
        }
        at = end;
    }
    out.push_str(&run[at..]);
    Some(out)
}

/// Runs longer than this are searched for whole secrets only: a piece
/// search costs the run's length once per character of the secret.
const MAX_PIECE_SEARCH: usize = 64 * 1024;

/// Adds the spans of `lower` that are the secret, or a piece of it at least
/// MIN_ECHO_CHARS long wherever it sits in the run (a key cut short after a
/// `req_` prefix, the first line of a key split across two).
fn pieces_of(lower: &str, secret: &Secret, spans: &mut Vec<(usize, usize, bool)>) {
    let (run, key) = (lower.as_bytes(), secret.text.as_bytes());
    let mut extend = |begin: usize, from: usize, length: usize| {
        // As far as the run goes on matching the secret.
        let mut length = length;
        while begin + length < run.len()
            && from + length < key.len()
            && run[begin + length] == key[from + length]
        {
            length += 1;
        }
        spans.push((begin, begin + length, from + length == key.len()));
    };
    if lower.len() > MAX_PIECE_SEARCH {
        let mut search = 0;
        while let Some(found) = lower[search..].find(secret.text.as_str()) {
            extend(search + found, 0, key.len());
            search += found + 1;
        }
        return;
    }
    if run.len() < MIN_ECHO_CHARS {
        return;
    }
    for begin in 0..=run.len() - MIN_ECHO_CHARS {
        if let Some(froms) = secret.at.get(&run[begin..begin + MIN_ECHO_CHARS]) {
            for &from in froms {
                extend(begin, from, MIN_ECHO_CHARS);
            }
        }
    }
}

/// A secret, lowercased, with its pieces of MIN_ECHO_CHARS indexed once, when
/// it is remembered: every scrub then looks a run up window by window
/// instead of searching it once per piece.
struct Secret {
    text: String,
    at: HashMap<Vec<u8>, Vec<usize>>,
}

impl Secret {
    fn of(text: String) -> Secret {
        let key = text.as_bytes();
        let mut at: HashMap<Vec<u8>, Vec<usize>> = HashMap::new();
        if key.len() >= MIN_ECHO_CHARS {
            // Every Anthropic key starts `sk-ant-api03-`: a piece of that
            // alone is anyone's, so a piece must reach past it to be this key's.
            let shared = match text.starts_with(ANTHROPIC_KEY_PREFIX) {
                true => text.match_indices('-').nth(2).map_or(0, |(i, _)| i + 1),
                false => 0,
            };
            let first = shared
                .saturating_sub(MIN_ECHO_CHARS - 1)
                .min(key.len() - MIN_ECHO_CHARS);
            for from in first..=key.len() - MIN_ECHO_CHARS {
                at.entry(key[from..from + MIN_ECHO_CHARS].to_vec())
                    .or_default()
                    .push(from);
            }
        }
        Secret { text, at }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const KEY: &str = "sk-ant-api03-SECRETSECRETSECRET-wxyz";

    #[test]
    fn never_shows_more_than_four_characters() {
        let key = ApiKey::new(KEY).unwrap();
        assert_eq!(key.masked(), "…wxyz");
        assert_eq!(format!("{key}"), "…wxyz");
        assert_eq!(format!("{key:?}"), "ApiKey(…wxyz)");
        assert!(!format!("{key:?}").contains("SECRET"));
        assert_eq!(ApiKey::new("short").unwrap().masked(), "…");
    }

    #[test]
    fn a_doubt_about_a_key_says_what_is_true_of_it() {
        assert_eq!(ApiKey::new(KEY).unwrap().doubt(), None);
        let short = ApiKey::new("sk-ant-api03-abc").unwrap().doubt().unwrap();
        assert!(
            short.contains("starts with sk-ant- but is only 16 characters"),
            "{short}"
        );
        let other = ApiKey::new("corp-token-0123456789")
            .unwrap()
            .doubt()
            .unwrap();
        assert!(other.contains("does not start with sk-ant-"), "{other}");
    }

    #[test]
    fn blank_is_missing() {
        assert!(ApiKey::new("  ").is_none());
        assert!(ApiKey::new("").is_none());
    }

    #[test]
    fn a_remembered_key_is_masked_in_every_form() {
        remember("gateway-key-Q7RZ00PLMNBVCX44");
        for text in [
            "invalid x-api-key: gateway-key-Q7RZ00PLMNBVCX44",
            "\"gateway-key-Q7RZ00PLMNBVCX44\"",
            "GATEWAY-KEY-Q7RZ00PLMNBVCX44 was rejected",
            "<title>key=gateway-key-Q7RZ00PLMNBVCX44&x=1</title>",
            "prefix-gateway-key-Q7RZ00PLMNBVCX44-suffix",
            // cut short by the server
            "key gateway-key-Q7RZ00PL… is not valid",
        ] {
            let scrubbed = scrub(text);
            assert!(
                !scrubbed.to_ascii_lowercase().contains("q7rz00pl"),
                "{text} → {scrubbed}"
            );
        }
        assert_eq!(
            scrub("bad key gateway-key-Q7RZ00PLMNBVCX44."),
            "bad key …CX44."
        );
    }

    #[test]
    fn any_anthropic_key_is_masked_even_if_not_ours() {
        assert_eq!(
            scrub("key sk-ant-admin01-somebodyElses_key-9876 refused"),
            "key …9876 refused"
        );
        assert_eq!(scrub("Bearer:SK-ANT-api03-zzzzzzzzzz"), "Bearer:…zzzz");
    }

    #[test]
    fn a_key_with_unusual_characters_is_masked_escaped_and_percent_encoded() {
        remember("p@ss/\"word\"+with spaces!42");
        for text in [
            "echo: p@ss/\"word\"+with spaces!42",
            r#"{"message":"p@ss/\"word\"+with spaces!42"}"#,
            "url?key=p%40ss%2f%22word%22%2bwith%20spaces%2142",
        ] {
            let scrubbed = scrub(text);
            assert!(!scrubbed.contains("word"), "{text} → {scrubbed}");
        }
    }

    #[test]
    fn key_like_words_of_a_command_are_remembered_and_the_rest_kept() {
        remember_key_like_words("echo 'gw0-PASTED-by-mistake-77aa' | pass show anthropic");
        assert_eq!(
            scrub("api_key_cmd `echo 'gw0-PASTED-by-mistake-77aa' | pass show anthropic`"),
            "api_key_cmd `echo '…77aa' | pass show anthropic`"
        );
    }

    #[test]
    fn a_key_pasted_among_shell_punctuation_is_remembered() {
        remember_key_like_words(
            "echo gw-PUNCTUATEDKEY-1234abcd; exit 3 && x=$(gw-SUBSHELLKEY-99zz00aa)|y",
        );
        let scrubbed =
            scrub("`echo gw-PUNCTUATEDKEY-1234abcd; exit 3 && x=$(gw-SUBSHELLKEY-99zz00aa)|y`");
        assert_eq!(scrubbed, "`echo …abcd; exit 3 && x=$(…00aa)|y`");
    }

    #[test]
    fn ordinary_text_is_not_copied_or_changed() {
        let text = "overloaded (HTTP 529) · retry 2/4 in 3.1s · req_011CSHoEeqs5C35K2UUqR7Fy";
        assert!(matches!(scrub(text), Cow::Borrowed(_)));
        // A masked key does not get masked again.
        assert_eq!(scrub("key …wxyz"), "key …wxyz");
    }

    #[test]
    fn a_piece_of_a_key_shows_none_of_its_characters() {
        remember("gw-PIECEWISEKEY-abcdefgh-0123456789-tail");
        // Cut short, and split across a line: only the key's own end shows.
        assert_eq!(
            scrub("key gw-PIECEWISEKEY-abcd… rejected"),
            "key …… rejected"
        );
        assert_eq!(
            scrub("gw-PIECEWISEKEY-abcd\nefgh-0123456789-tail"),
            "…\n…tail"
        );
    }

    #[test]
    fn a_key_with_escaped_characters_in_unparsed_text_is_masked() {
        for text in [
            r#"{"message":"bad key sk\u002dant\u002dapi03\u002dESCAPEDESCAPED\u002dwxyz" (cut"#,
            "<a href=\"/?k=sk%2Dant%2Dapi03%2DESCAPEDESCAPED%2dwxyz\">",
            r"key SK\u002DANT\u002DAPI03-ESCAPEDESCAPED-WXYZ.",
        ] {
            let scrubbed = scrub(text);
            assert!(
                !scrubbed.to_ascii_lowercase().contains("escapedescaped"),
                "{text} → {scrubbed}"
            );
        }
        // Escapes that are not of a key, and not next to one, are left alone.
        assert!(matches!(
            scrub(r"100%25 \u00e9t\u00e9 a%2Fb"),
            Cow::Borrowed(_)
        ));
    }

    #[test]
    fn json_values_are_scrubbed_everywhere() {
        let mut value = serde_json::json!({
            "error": {"message": format!("bad {KEY}"), "details": [KEY]},
            KEY: 1
        });
        scrub_json(&mut value);
        assert!(!value.to_string().contains("SECRET"), "{value}");
    }

    proptest! {
        // Each case remembers a key for the rest of the process, and every
        // scrub looks at every key: 64 cases keep the suite quick.
        #![proptest_config(ProptestConfig::with_cases(64))]

        #[test]
        fn no_key_survives_in_any_text(
            before in ".{0,40}",
            after in ".{0,40}",
            key in "[A-Za-z0-9_-]{20,60}",
            upper in any::<bool>(),
        ) {
            remember(&key);
            let placed = if upper { key.to_ascii_uppercase() } else { key.clone() };
            let text = format!("{before}{placed}{after}");
            let scrubbed = scrub(&text);
            prop_assert!(!scrubbed.to_ascii_lowercase().contains(&key.to_ascii_lowercase()));
            // At most the last four characters of the key are left in view.
            let head = &key.to_ascii_lowercase()[..key.len() - 4];
            prop_assert!(!scrubbed.to_ascii_lowercase().contains(head));
        }

        #[test]
        fn no_anthropic_key_survives(
            before in ".{0,40}",
            after in "[^A-Za-z0-9_-].{0,40}",
            tail in "[A-Za-z0-9_-]{10,80}",
        ) {
            let key = format!("sk-ant-{tail}");
            let scrubbed = scrub(&format!("{before}{key}{after}")).into_owned();
            prop_assert!(!scrubbed.contains(&key));
        }

        #[test]
        fn no_key_survives_with_its_characters_escaped(
            before in ".{0,20}",
            after in ".{0,20}",
            key in "[A-Za-z0-9_-]{20,40}",
            escapes in proptest::collection::vec(0u8..3, 40),
        ) {
            remember(&key);
            // Each character verbatim, as \uXXXX, or as %XX.
            let placed: String = key
                .chars()
                .zip(escapes.iter().cycle())
                .map(|(c, how)| match how {
                    0 => c.to_string(),
                    1 => format!("\\u{:04x}", c as u32),
                    _ => format!("%{:02X}", c as u32),
                })
                .collect();
            let scrubbed = scrub(&format!("{before}{placed}{after}")).into_owned();
            prop_assert!(!scrubbed.contains(&placed));
            let head = &key.to_ascii_lowercase()[..key.len() - 4];
            prop_assert!(!scrubbed.to_ascii_lowercase().contains(head));
        }

        #[test]
        fn scrubbing_never_panics_and_is_stable(text in any::<String>()) {
            let once = scrub(&text).into_owned();
            prop_assert_eq!(scrub(&once).into_owned(), once);
        }
    }

    proptest! {
        // Each case remembers one more key for the rest of the process, and
        // every scrub after it searches them all: fewer cases, same reach.
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn no_piece_of_a_key_survives_wherever_it_is_cut(
            before in "[A-Za-z0-9_ -]{0,12}",
            after in "[A-Za-z0-9_ -]{0,12}",
            key in "[A-Za-z0-9_-]{24,48}",
            cut in 0usize..48,
            length in 12usize..48,
        ) {
            remember(&key);
            let start = cut % (key.len() - 11);
            let end = (start + length).min(key.len());
            let piece = &key[start..end];
            prop_assume!(piece.len() >= MIN_ECHO_CHARS);
            let scrubbed = scrub(&format!("{before}{piece}{after}")).into_owned();
            prop_assert!(!scrubbed.to_ascii_lowercase().contains(&piece.to_ascii_lowercase()));
        }

    }
}
