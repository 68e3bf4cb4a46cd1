//! Text from the server is untrusted: before it reaches a terminal, control,
//! escape, bidi-override and zero-width characters are made visible instead of
//! being obeyed (a reply or error message must not be able to drive the terminal).

use std::borrow::Cow;

fn is_dangerous(c: char) -> bool {
    c.is_control()
        || matches!(c,
            '\u{200B}'..='\u{200F}'   // zero-width and direction marks
            | '\u{202A}'..='\u{202E}' // bidi embeddings and overrides
            | '\u{2066}'..='\u{2069}' // bidi isolates
            | '\u{FEFF}')
}

/// For one-line diagnostics: every control character, newlines included, is
/// escaped, and every secret masked (a diagnostic may quote anything the
/// server, a proxy or the user sent).
pub fn one_line(text: &str) -> Cow<'_, str> {
    match crate::secret::scrub(text) {
        Cow::Borrowed(text) => escape(text, |_| false),
        Cow::Owned(scrubbed) => Cow::Owned(escape(&scrubbed, |_| false).into_owned()),
    }
}

/// For reply text shown on a terminal: newlines and tabs pass, the rest is
/// escaped. Not scrubbed: the reply is the user's data.
pub fn for_terminal(text: &str) -> Cow<'_, str> {
    escape(text, |c| c == '\n' || c == '\t')
}

fn escape(text: &str, allowed: impl Fn(char) -> bool) -> Cow<'_, str> {
    if !text.chars().any(|c| is_dangerous(c) && !allowed(c)) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        // `\n`, `\r`, `\t`, else `\u{1b}`: no dangerous character is one
        // that `escape_default` writes otherwise.
        match is_dangerous(c) && !allowed(c) {
            true => out.extend(c.escape_default()),
            false => out.push(c),
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_sequences_are_made_visible() {
        assert_eq!(one_line("bad\x1b[31mred\x07"), "bad\\u{1b}[31mred\\u{7}");
        assert_eq!(one_line("two\nlines"), "two\\nlines");
        assert_eq!(
            for_terminal("two\nlines\x1b]0;title\x07"),
            "two\nlines\\u{1b}]0;title\\u{7}"
        );
        assert_eq!(one_line("abc\u{202E}def"), "abc\\u{202e}def");
        assert_eq!(one_line("\u{9b}31m"), "\\u{9b}31m");
    }

    #[test]
    fn clean_text_is_not_copied() {
        assert!(matches!(one_line("plain ünïcode ✓"), Cow::Borrowed(_)));
    }
}
