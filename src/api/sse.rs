//! A server-sent events decoder (the WHATWG event-stream rules we need):
//! `event:` and `data:` fields, multi-line data, comments, any line ending.

use std::io::{self, BufRead};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SseEvent {
    /// `message` when the server named none, as the spec says.
    pub event: String,
    pub data: String,
}

pub struct SseDecoder<R> {
    reader: R,
    line: Vec<u8>,
}

impl<R: BufRead> SseDecoder<R> {
    pub fn new(reader: R) -> SseDecoder<R> {
        SseDecoder {
            reader,
            line: Vec::with_capacity(256),
        }
    }

    /// The next event; `Ok(None)` at a clean end of stream. An event whose
    /// blank line never came (the stream was cut) is dropped, as the spec says.
    pub fn next_event(&mut self) -> io::Result<Option<SseEvent>> {
        let mut event: Option<String> = None;
        let mut data: Option<String> = None;
        loop {
            self.line.clear();
            if self.reader.read_until(b'\n', &mut self.line)? == 0 {
                return Ok(None);
            }
            let line = trim_line_ending(&self.line);
            if line.is_empty() {
                if let Some(data) = data.take() {
                    return Ok(Some(SseEvent {
                        event: event.take().unwrap_or_else(|| "message".into()),
                        data,
                    }));
                }
                event = None;
                continue;
            }
            let line = std::str::from_utf8(line).map_err(|_| {
                io::Error::new(io::ErrorKind::InvalidData, "the event stream is not UTF-8")
            })?;
            if line.starts_with(':') {
                continue;
            }
            let (field, value) = match line.split_once(':') {
                Some((field, value)) => (field, value.strip_prefix(' ').unwrap_or(value)),
                None => (line, ""),
            };
            match field {
                "event" => event = Some(value.to_string()),
                "data" => match &mut data {
                    Some(existing) => {
                        existing.push('\n');
                        existing.push_str(value);
                    }
                    None => data = Some(value.to_string()),
                },
                _ => {}
            }
        }
    }
}

fn trim_line_ending(line: &[u8]) -> &[u8] {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    line.strip_suffix(b"\r").unwrap_or(line)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(raw: &str) -> Vec<SseEvent> {
        let mut decoder = SseDecoder::new(raw.as_bytes());
        let mut events = Vec::new();
        while let Some(event) = decoder.next_event().unwrap() {
            events.push(event);
        }
        events
    }

    #[test]
    fn decodes_named_events_comments_and_multiline_data() {
        let events = decode(
            ": keep-alive\n\nevent: ping\ndata: {}\n\nevent: x\r\ndata: a\r\ndata: b\r\n\r\ndata:plain\n\n",
        );
        assert_eq!(events.len(), 3);
        assert_eq!(
            events[0],
            SseEvent {
                event: "ping".into(),
                data: "{}".into()
            }
        );
        assert_eq!(
            events[1],
            SseEvent {
                event: "x".into(),
                data: "a\nb".into()
            }
        );
        assert_eq!(
            events[2],
            SseEvent {
                event: "message".into(),
                data: "plain".into()
            }
        );
    }

    #[test]
    fn an_event_cut_before_its_blank_line_is_dropped() {
        assert!(decode("event: message_stop\ndata: {}").is_empty());
    }

    #[test]
    fn non_utf8_is_an_error() {
        let mut decoder = SseDecoder::new(&b"data: \xff\n\n"[..]);
        assert!(decoder.next_event().is_err());
    }
}
