//! A server-sent events decoder that follows the WHATWG event-stream
//! algorithm (HTML Living Standard, "Interpreting an event stream"): CRLF, LF and bare CR line endings, one leading
//! BOM ignored, UTF-8 decoded with replacement, `event:` and `data:` fields,
//! comments, and dispatch on a blank line only when there is data.
//!
//! The bytes come from the network, so nothing here trusts their size: one
//! line and one event's data are each bounded while they are read, and a
//! stream that passes a bound is an error naming it, never an allocation of
//! whatever the other side chose to send.

use std::fmt;
use std::io::{self, BufRead};

use crate::api::transport::size_text;

/// One line, and one event's data, may hold this much. The Messages API puts
/// each event on one `data:` line; its largest is a content block whose size
/// the context window bounds (a million tokens is a few MB of JSON), so this
/// leaves room many times over while an endless line cannot take the machine.
pub const MAX_EVENT_BYTES: usize = 16 * 1024 * 1024;

const BOM: &[u8] = b"\xEF\xBB\xBF";

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SseEvent {
    /// `message` when the server named none, as the spec says.
    pub event: String,
    pub data: String,
}

/// A stream that passed one of the decoder's bounds. Carried inside an
/// `io::Error` of kind `InvalidData`; its text names the bound.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TooLarge {
    what: &'static str,
    limit: usize,
}

impl fmt::Display for TooLarge {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} over {} in the reply stream: reading stopped at that bound (a damaged or hostile stream)",
            self.what,
            size_text(self.limit as u64)
        )
    }
}

impl std::error::Error for TooLarge {}

pub struct SseDecoder<R> {
    reader: R,
    limit: usize,
    /// The current line's bytes, without its line ending.
    line: Vec<u8>,
    /// The last line ended with CR: an LF that follows belongs to it, even
    /// when it arrives in the next read.
    after_cr: bool,
    /// A BOM is ignored only at the very start of the stream.
    first_line: bool,
    event_type: String,
    data: String,
}

impl<R: BufRead> SseDecoder<R> {
    pub fn new(reader: R) -> SseDecoder<R> {
        SseDecoder::with_limit(reader, MAX_EVENT_BYTES)
    }

    /// A decoder whose line and data bound is `limit` bytes.
    pub fn with_limit(reader: R, limit: usize) -> SseDecoder<R> {
        SseDecoder {
            reader,
            limit,
            line: Vec::new(),
            after_cr: false,
            first_line: true,
            event_type: String::new(),
            data: String::new(),
        }
    }

    /// The reader, with whatever the decoder has not consumed.
    pub fn into_inner(self) -> R {
        self.reader
    }

    /// The next event; `Ok(None)` at the end of the stream. An event whose
    /// blank line never came (the stream was cut) is dropped, as the spec
    /// says. A line or an event past the bound is an `InvalidData` error
    /// carrying `TooLarge`.
    pub fn next_event(&mut self) -> io::Result<Option<SseEvent>> {
        while self.read_line()? {
            if let Some(event) = self.process_line()? {
                return Ok(Some(event));
            }
        }
        Ok(None)
    }

    /// Reads the next whole line into `self.line`; `false` at the end of the
    /// stream, where a line without its ending is discarded.
    fn read_line(&mut self) -> io::Result<bool> {
        self.line.clear();
        loop {
            let available = match self.reader.fill_buf() {
                Ok(available) => available,
                Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
                Err(error) => return Err(error),
            };
            if available.is_empty() {
                return Ok(false);
            }
            let mut start = 0;
            if std::mem::take(&mut self.after_cr) && available[0] == b'\n' {
                start = 1;
            }
            let rest = &available[start..];
            match rest.iter().position(|&b| b == b'\n' || b == b'\r') {
                Some(at) => {
                    push_bounded(&mut self.line, &rest[..at], self.limit)?;
                    self.after_cr = rest[at] == b'\r';
                    self.reader.consume(start + at + 1);
                    return Ok(true);
                }
                None => {
                    push_bounded(&mut self.line, rest, self.limit)?;
                    let used = available.len();
                    self.reader.consume(used);
                }
            }
        }
    }

    fn process_line(&mut self) -> io::Result<Option<SseEvent>> {
        let mut line = &self.line[..];
        if std::mem::take(&mut self.first_line) {
            line = line.strip_prefix(BOM).unwrap_or(line);
        }
        if line.is_empty() {
            return Ok(self.dispatch());
        }
        if line[0] == b':' {
            return Ok(None);
        }
        // `field:value`, `field: value`, or a lone `field` with an empty value.
        let (field, value) =
            line.split_at(line.iter().position(|&b| b == b':').unwrap_or(line.len()));
        let value = value.get(1..).unwrap_or_default();
        let value = value.strip_prefix(b" ").unwrap_or(value);
        match field {
            b"event" => self.event_type = String::from_utf8_lossy(value).into_owned(),
            b"data" => {
                if self.data.len() + value.len() + 1 > self.limit {
                    return Err(too_large("an SSE event's data", self.limit));
                }
                self.data.push_str(&String::from_utf8_lossy(value));
                self.data.push('\n');
            }
            // `id` and `retry` steer a browser's reconnection; we never
            // reconnect mid-reply, and unknown fields are ignored by the spec.
            _ => {}
        }
        Ok(None)
    }

    fn dispatch(&mut self) -> Option<SseEvent> {
        let event_type = std::mem::take(&mut self.event_type);
        let mut data = std::mem::take(&mut self.data);
        if data.is_empty() {
            return None;
        }
        data.pop();
        let event = Some(event_type).filter(|name| !name.is_empty());
        let event = event.unwrap_or_else(|| "message".to_string());
        Some(SseEvent { event, data })
    }
}

/// Appends `bytes` unless that would pass `limit`: an endless line fails at
/// the bound instead of growing without end.
fn push_bounded(line: &mut Vec<u8>, bytes: &[u8], limit: usize) -> io::Result<()> {
    if line.len() + bytes.len() > limit {
        return Err(too_large("an SSE line", limit));
    }
    line.extend_from_slice(bytes);
    Ok(())
}

fn too_large(what: &'static str, limit: usize) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, TooLarge { what, limit })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::io::{BufReader, Read};

    fn decode_with(reader: impl BufRead, limit: usize) -> io::Result<Vec<SseEvent>> {
        let mut decoder = SseDecoder::with_limit(reader, limit);
        let mut events = Vec::new();
        while let Some(event) = decoder.next_event()? {
            events.push(event);
        }
        Ok(events)
    }

    fn decode(raw: &str) -> Vec<SseEvent> {
        decode_with(raw.as_bytes(), MAX_EVENT_BYTES).unwrap()
    }

    fn event(event: &str, data: &str) -> SseEvent {
        SseEvent {
            event: event.into(),
            data: data.into(),
        }
    }

    /// Hands out the bytes in the chunk sizes given (cycled), the way a
    /// socket returns whatever arrived.
    struct Chunked<'a> {
        bytes: &'a [u8],
        sizes: Vec<usize>,
        next: usize,
    }

    impl Read for Chunked<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let size = self.sizes[self.next % self.sizes.len()].max(1);
            self.next += 1;
            let n = size.min(buf.len()).min(self.bytes.len());
            buf[..n].copy_from_slice(&self.bytes[..n]);
            self.bytes = &self.bytes[n..];
            Ok(n)
        }
    }

    /// The WHATWG algorithm as the spec words it, over the whole input at
    /// once: decode (one BOM dropped, invalid UTF-8 replaced), split into
    /// lines, and interpret each.
    fn reference(bytes: &[u8]) -> Vec<SseEvent> {
        let bytes = bytes.strip_prefix(BOM).unwrap_or(bytes);
        let text = String::from_utf8_lossy(bytes);
        let mut lines = Vec::new();
        let mut current = String::new();
        let mut chars = text.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '\r' => {
                    if chars.peek() == Some(&'\n') {
                        chars.next();
                    }
                    lines.push(std::mem::take(&mut current));
                }
                '\n' => lines.push(std::mem::take(&mut current)),
                c => current.push(c),
            }
        }
        // The unterminated last line is discarded with the rest of the stream.
        let (mut events, mut event_type, mut data) = (Vec::new(), String::new(), String::new());
        for line in lines {
            if line.is_empty() {
                if data.is_empty() {
                    event_type.clear();
                    continue;
                }
                data.pop();
                let name = if event_type.is_empty() {
                    "message".to_string()
                } else {
                    std::mem::take(&mut event_type)
                };
                events.push(event(&name, &std::mem::take(&mut data)));
                event_type.clear();
                continue;
            }
            if line.starts_with(':') {
                continue;
            }
            let (field, value) = match line.split_once(':') {
                Some((field, value)) => (field, value.strip_prefix(' ').unwrap_or(value)),
                None => (line.as_str(), ""),
            };
            match field {
                "event" => event_type = value.to_string(),
                "data" => {
                    data.push_str(value);
                    data.push('\n');
                }
                _ => {}
            }
        }
        events
    }

    /// Bytes drawn mostly from the pieces an event stream is made of, so
    /// that generated inputs hold real events and every line ending.
    fn stream_bytes() -> impl Strategy<Value = Vec<u8>> {
        let piece = prop_oneof![
            Just(b"event".to_vec()),
            Just(b"data".to_vec()),
            Just(b"id".to_vec()),
            Just(b":".to_vec()),
            Just(b": ".to_vec()),
            Just(b" ".to_vec()),
            Just(b"\r".to_vec()),
            Just(b"\n".to_vec()),
            Just(b"\r\n".to_vec()),
            Just(BOM.to_vec()),
            Just(b"\xFF".to_vec()),
            Just("é".as_bytes().to_vec()),
            "[a-z{}\"]{0,4}".prop_map(String::into_bytes),
            any::<u8>().prop_map(|b| vec![b]),
        ];
        prop::collection::vec(piece, 0..60).prop_map(|pieces| pieces.concat())
    }

    proptest! {
        #[test]
        fn the_same_events_however_the_bytes_are_split(
            bytes in stream_bytes(),
            sizes in prop::collection::vec(1usize..9, 1..8),
            capacity in 1usize..16,
            limit in prop_oneof![Just(MAX_EVENT_BYTES), 1usize..40],
        ) {
            // Passing a bound is part of the answer: it too must not depend
            // on where the reads happened to end.
            let outcome = |reader: &mut dyn BufRead| {
                decode_with(reader, limit).map_err(|e| e.to_string())
            };
            let whole = outcome(&mut &bytes[..]);
            let chunked = Chunked { bytes: &bytes, sizes, next: 0 };
            let split = outcome(&mut BufReader::with_capacity(capacity, chunked));
            prop_assert_eq!(split, whole);
        }

        #[test]
        fn decodes_as_the_whatwg_algorithm_does(bytes in stream_bytes()) {
            prop_assert_eq!(decode_with(&bytes[..], MAX_EVENT_BYTES).unwrap(), reference(&bytes));
        }

        #[test]
        fn any_bytes_decode_or_fail_without_panicking(
            bytes in prop::collection::vec(any::<u8>(), 0..512),
            limit in 1usize..64,
        ) {
            if let Ok(events) = decode_with(&bytes[..], limit) {
                prop_assert!(events.iter().all(|e| e.data.len() < limit));
            }
        }

        #[test]
        fn an_endless_line_fails_at_the_bound(
            limit in 1usize..100_000,
            prefix in "(data|event|:)?",
        ) {
            let endless = prefix.as_bytes().chain(io::repeat(b'x'));
            let mut decoder = SseDecoder::with_limit(BufReader::new(endless), limit);
            let error = decoder.next_event().unwrap_err();
            prop_assert_eq!(error.kind(), io::ErrorKind::InvalidData);
            prop_assert!(error.get_ref().is_some_and(|e| e.is::<TooLarge>()));
            prop_assert!(decoder.line.capacity() <= 2 * limit + 8 * 1024);
        }
    }

    #[test]
    fn decodes_named_events_comments_and_multiline_data() {
        let events = decode(
            ": keep-alive\n\nevent: ping\ndata: {}\n\nevent: x\r\ndata: a\r\ndata: b\r\n\r\ndata:plain\n\n",
        );
        assert_eq!(
            events,
            [
                event("ping", "{}"),
                event("x", "a\nb"),
                event("message", "plain")
            ]
        );
    }

    #[test]
    fn bare_cr_line_endings_and_a_leading_bom() {
        let events = decode("\u{FEFF}event: a\rdata: 1\r\rdata: 2\r\n\r\n");
        assert_eq!(events, [event("a", "1"), event("message", "2")]);
        // Only the first BOM is the stream's; a later one is text.
        let events = decode("\u{FEFF}data: x\n\n\u{FEFF}data: y\n\n");
        assert_eq!(events, [event("message", "x")]);
    }

    #[test]
    fn a_cr_and_lf_in_different_reads_are_one_line_ending() {
        let bytes = b"data: a\r\n\r\n";
        for size in 1..bytes.len() {
            let chunked = Chunked {
                bytes,
                sizes: vec![size],
                next: 0,
            };
            let events = decode_with(BufReader::with_capacity(1, chunked), 64).unwrap();
            assert_eq!(events, [event("message", "a")], "reads of {size}");
        }
    }

    #[test]
    fn field_rules_of_the_spec() {
        // An empty `event:` is the default type; the type resets after each event.
        assert_eq!(
            decode("event:\ndata: a\n\ndata: b\n\n"),
            [event("message", "a"), event("message", "b")]
        );
        assert_eq!(
            decode("event: x\ndata: a\n\ndata: b\n\n"),
            [event("x", "a"), event("message", "b")]
        );
        // A line without a colon is a field with an empty value.
        assert_eq!(decode("data\n\n"), [event("message", "")]);
        // Only one space after the colon is removed.
        assert_eq!(decode("data:  two\n\n"), [event("message", " two")]);
        // No data, no event; and the type set for it does not leak into the next.
        assert_eq!(
            decode("event: lost\n\ndata: z\n\n"),
            [event("message", "z")]
        );
        // id and retry are ignored.
        assert_eq!(
            decode("id: 7\nretry: 10\ndata: q\n\n"),
            [event("message", "q")]
        );
    }

    #[test]
    fn an_event_cut_before_its_blank_line_is_dropped() {
        assert!(decode("event: message_stop\ndata: {}").is_empty());
        assert!(decode("event: message_stop\ndata: {}\n").is_empty());
    }

    #[test]
    fn invalid_utf8_is_replaced_as_the_spec_decodes() {
        let events = decode_with(&b"data: \xff\n\n"[..], 64).unwrap();
        assert_eq!(events, [event("message", "\u{FFFD}")]);
    }

    #[test]
    fn a_long_line_and_long_data_name_their_bound() {
        let error = decode_with(&b"data: 0123456789\n\n"[..], 8).unwrap_err();
        assert_eq!(
            error.to_string(),
            "an SSE line over 8 bytes in the reply stream: reading stopped at that bound (a damaged or hostile stream)"
        );
        let error = decode_with(&b"data: 12345\ndata: 12345\n\n"[..], 11).unwrap_err();
        assert!(
            error
                .to_string()
                .starts_with("an SSE event's data over 11 bytes"),
            "{error}"
        );
        assert_eq!(
            too_large("an SSE line", MAX_EVENT_BYTES)
                .to_string()
                .split(" in ")
                .next(),
            Some("an SSE line over 16 MiB")
        );
    }
}
