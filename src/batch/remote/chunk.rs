//! Splitting the items into Message Batches bodies, each within the API's
//! limits (100,000 requests, 256 MB), written as they come to an unnamed
//! temporary file: memory stays flat however many items there are, and the
//! file vanishes with the process.

use std::fs::File;
use std::io::{self, BufWriter, Write};

use serde::Serialize;
use serde_json::{Map, Value};

use crate::api::MessageParams;
use crate::config::BatchLimits;

pub const PREFIX: &[u8] = br#"{"requests":["#;
pub const SUFFIX: &[u8] = b"]}";

/// A finished body, ready to send.
pub struct Body {
    pub file: File,
    /// The items it holds, in input order.
    pub custom_ids: Vec<String>,
    /// Its exact size, which the tests hold the limits' arithmetic to.
    #[cfg(test)]
    pub bytes: u64,
}

struct Open {
    writer: BufWriter<File>,
    custom_ids: Vec<String>,
    bytes: u64,
}

pub struct Chunker {
    limits: BatchLimits,
    open: Option<Open>,
}

#[derive(Serialize)]
struct Request<'a> {
    custom_id: &'a str,
    params: &'a Map<String, Value>,
}

/// One request of a body, as it is written into it.
pub fn entry(custom_id: &str, params: &MessageParams) -> io::Result<Vec<u8>> {
    // The params as the input gave them, defaults filled in; `stream`
    // was removed when the line was read (a batch request cannot stream).
    serde_json::to_vec(&Request {
        custom_id,
        params: params.as_map(),
    })
    .map_err(io::Error::other)
}

impl Chunker {
    pub fn new(limits: BatchLimits) -> Chunker {
        Chunker { limits, open: None }
    }

    /// Items in the body being written.
    #[cfg(test)]
    pub fn pending(&self) -> u64 {
        self.open
            .as_ref()
            .map_or(0, |open| open.custom_ids.len() as u64)
    }

    /// Adds one request. When it would not fit in the body being written,
    /// that body is finished and returned, and the request starts the next.
    pub fn add(&mut self, custom_id: &str, params: &MessageParams) -> io::Result<Option<Body>> {
        let entry = entry(custom_id, params)?;
        let entry_bytes = entry.len() as u64;
        let full = self.open.as_ref().is_some_and(|open| {
            let count = open.custom_ids.len();
            let bytes = open.bytes + 1 + entry_bytes + SUFFIX.len() as u64;
            count + 1 > self.limits.max_requests || bytes > self.limits.max_bytes
        });
        let finished = if full { self.finish()? } else { None };
        let open = match self.open.as_mut() {
            Some(open) => {
                open.writer.write_all(b",")?;
                open.bytes += 1;
                open
            }
            None => {
                let mut writer = BufWriter::with_capacity(256 * 1024, tempfile::tempfile()?);
                writer.write_all(PREFIX)?;
                self.open.insert(Open {
                    writer,
                    custom_ids: Vec::new(),
                    bytes: PREFIX.len() as u64,
                })
            }
        };
        open.writer.write_all(&entry)?;
        open.bytes += entry_bytes;
        open.custom_ids.push(custom_id.to_string());
        Ok(finished)
    }

    /// The body being written, closed; `None` when it holds nothing.
    pub fn finish(&mut self) -> io::Result<Option<Body>> {
        let Some(mut open) = self.open.take() else {
            return Ok(None);
        };
        open.writer.write_all(SUFFIX)?;
        let file = open.writer.into_inner().map_err(|e| e.into_error())?;
        Ok(Some(Body {
            file,
            custom_ids: open.custom_ids,
            #[cfg(test)]
            bytes: open.bytes + SUFFIX.len() as u64,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::RequestDefaults;
    use std::io::{Read, Seek, SeekFrom};

    fn params(prompt: &str) -> MessageParams {
        MessageParams::for_prompt(
            &RequestDefaults {
                model: "claude-sonnet-4-6".into(),
                system: None,
                max_tokens: 10,
                temperature: None,
            },
            prompt,
        )
    }

    fn read(body: &mut Body) -> Value {
        let mut text = String::new();
        body.file.seek(SeekFrom::Start(0)).unwrap();
        body.file.read_to_string(&mut text).unwrap();
        assert_eq!(text.len() as u64, body.bytes, "the size is exact");
        serde_json::from_str(&text).unwrap()
    }

    fn collect(limits: BatchLimits, count: usize) -> Vec<Body> {
        let mut chunker = Chunker::new(limits);
        let mut bodies = Vec::new();
        for n in 0..count {
            if let Some(body) = chunker
                .add(&format!("r{n}"), &params("hello there"))
                .unwrap()
            {
                bodies.push(body);
            }
        }
        bodies.extend(chunker.finish().unwrap());
        bodies
    }

    #[test]
    fn the_request_limit_splits_in_input_order() {
        let limits = BatchLimits {
            max_requests: 2,
            max_bytes: u64::MAX,
        };
        let mut bodies = collect(limits, 5);
        let ids: Vec<Vec<String>> = bodies.iter().map(|b| b.custom_ids.clone()).collect();
        assert_eq!(ids, [vec!["r0", "r1"], vec!["r2", "r3"], vec!["r4"]]);
        let first = read(&mut bodies[0]);
        assert_eq!(first["requests"][1]["custom_id"], "r1");
        assert_eq!(
            first["requests"][1]["params"]["messages"][0]["content"],
            "hello there"
        );
        assert_eq!(first["requests"][0]["params"]["max_tokens"], 10);
        assert!(first["requests"][0]["params"].get("stream").is_none());
    }

    #[test]
    fn the_byte_limit_is_never_passed() {
        let one = collect(BatchLimits::default(), 1).remove(0).bytes;
        // Room for three requests, not four.
        let limits = BatchLimits {
            max_requests: 100,
            max_bytes: one * 3 - 20,
        };
        let mut bodies = collect(limits, 10);
        assert!(bodies.len() >= 4, "{}", bodies.len());
        for body in &mut bodies {
            assert!(body.bytes <= limits.max_bytes);
            read(body);
        }
        let total: usize = bodies.iter().map(|b| b.custom_ids.len()).sum();
        assert_eq!(total, 10);
    }

    #[test]
    fn nothing_added_is_no_body() {
        let mut chunker = Chunker::new(BatchLimits::default());
        assert!(chunker.finish().unwrap().is_none());
        assert_eq!(chunker.pending(), 0);
    }
}
