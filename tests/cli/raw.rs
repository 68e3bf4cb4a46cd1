//! A hostile server that answers with exactly the bytes a test gives it: the
//! project's fake API speaks the API's shapes, and these tests need to put
//! the key, odd numbers and odd dates in fields that it never varies.

#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// One request as the server read it.
#[derive(Clone, Debug)]
pub struct Seen {
    pub method: String,
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Seen {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn streams(&self) -> bool {
        serde_json::from_slice::<serde_json::Value>(&self.body)
            .map(|body| body["stream"] == true)
            .unwrap_or(false)
    }
}

type Handler = dyn Fn(&Seen) -> Vec<u8> + Send + Sync;

pub struct RawServer {
    port: u16,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl RawServer {
    /// Answers every request with `handler`'s bytes, then closes the connection.
    pub fn start(handler: impl Fn(&Seen) -> Vec<u8> + Send + Sync + 'static) -> RawServer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
        let port = listener.local_addr().expect("an address").port();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let handler: Arc<Handler> = Arc::new(handler);
        let recorded = Arc::clone(&seen);
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let handler = Arc::clone(&handler);
                let recorded = Arc::clone(&recorded);
                std::thread::spawn(move || serve(stream, &*handler, &recorded));
            }
        });
        RawServer { port, seen }
    }

    pub fn base_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}

fn serve(mut stream: TcpStream, handler: &Handler, seen: &Mutex<Vec<Seen>>) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(30)));
    let mut data = Vec::new();
    let mut buf = [0u8; 65536];
    let head_end = loop {
        if let Some(at) = data.windows(4).position(|w| w == b"\r\n\r\n") {
            break at;
        }
        match stream.read(&mut buf) {
            Ok(0) | Err(_) => return,
            Ok(n) => data.extend_from_slice(&buf[..n]),
        }
    };
    let head = String::from_utf8_lossy(&data[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let mut first = lines.next().unwrap_or("").split(' ');
    let method = first.next().unwrap_or("").to_string();
    let path = first.next().unwrap_or("").to_string();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let length: usize = headers
        .iter()
        .find(|(n, _)| n == "content-length")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let mut body = data[head_end + 4..].to_vec();
    while body.len() < length {
        match stream.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => body.extend_from_slice(&buf[..n]),
        }
    }
    let request = Seen {
        method,
        path,
        headers,
        body,
    };
    seen.lock().unwrap().push(request.clone());
    let _ = stream.write_all(&handler(&request));
    let _ = stream.flush();
}

/// A whole HTTP/1.1 response: status line, the headers given, a
/// content-length and `connection: close`.
pub fn response(status: &str, headers: &[(&str, &str)], body: &[u8]) -> Vec<u8> {
    let mut out = format!("HTTP/1.1 {status}\r\n");
    for (name, value) in headers {
        out.push_str(&format!("{name}: {value}\r\n"));
    }
    out.push_str(&format!(
        "content-length: {}\r\nconnection: close\r\n\r\n",
        body.len()
    ));
    let mut bytes = out.into_bytes();
    bytes.extend_from_slice(body);
    bytes
}

pub fn json_response(status: &str, headers: &[(&str, &str)], body: &serde_json::Value) -> Vec<u8> {
    let mut all = vec![("content-type", "application/json")];
    all.extend_from_slice(headers);
    response(status, &all, body.to_string().as_bytes())
}

/// An SSE body of these `(event, data)` pairs.
pub fn sse_body(events: &[(&str, serde_json::Value)]) -> Vec<u8> {
    events
        .iter()
        .map(|(event, data)| format!("event: {event}\ndata: {data}\n\n"))
        .collect::<String>()
        .into_bytes()
}

/// A whole message the way the API sends it, with its fields from `message`
/// (id, model, content, stop_reason, usage...) over the usual ones.
pub fn message(overrides: serde_json::Value) -> serde_json::Value {
    let mut base = serde_json::json!({
        "id": "msg_raw", "type": "message", "role": "assistant", "model": "claude-sonnet-4-6",
        "content": [{"type": "text", "text": "hello"}],
        "stop_reason": "end_turn", "stop_sequence": null,
        "usage": {"input_tokens": 10, "output_tokens": 5}
    });
    if let (Some(base), Some(overrides)) = (base.as_object_mut(), overrides.as_object()) {
        for (key, value) in overrides {
            base.insert(key.clone(), value.clone());
        }
    }
    base
}

/// The same message as the stream events the API would send for it.
pub fn message_events(message: &serde_json::Value) -> Vec<(&'static str, serde_json::Value)> {
    let mut start = message.clone();
    start["content"] = serde_json::json!([]);
    start["stop_reason"] = serde_json::Value::Null;
    let mut events = vec![(
        "message_start",
        serde_json::json!({"type": "message_start", "message": start}),
    )];
    for (index, block) in message["content"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .enumerate()
    {
        let text = block["text"].as_str().unwrap_or("").to_string();
        let mut empty = block.clone();
        if empty.get("text").is_some() {
            empty["text"] = "".into();
        }
        events.push((
            "content_block_start",
            serde_json::json!({"type": "content_block_start", "index": index, "content_block": empty}),
        ));
        if !text.is_empty() {
            events.push((
                "content_block_delta",
                serde_json::json!({"type": "content_block_delta", "index": index, "delta": {"type": "text_delta", "text": text}}),
            ));
        }
        events.push((
            "content_block_stop",
            serde_json::json!({"type": "content_block_stop", "index": index}),
        ));
    }
    events.push((
        "message_delta",
        serde_json::json!({"type": "message_delta", "delta": {"stop_reason": message["stop_reason"], "stop_sequence": message["stop_sequence"]}, "usage": {"output_tokens": message["usage"]["output_tokens"]}}),
    ));
    events.push(("message_stop", serde_json::json!({"type": "message_stop"})));
    events
}

/// Answers a Messages request with `message`, as JSON or as a stream,
/// whichever the request asked for, with `headers` besides.
pub fn answering(
    message: serde_json::Value,
    headers: Vec<(String, String)>,
) -> impl Fn(&Seen) -> Vec<u8> + Send + Sync + 'static {
    move |seen| {
        let extra: Vec<(&str, &str)> = headers
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .collect();
        if seen.streams() {
            let mut all = vec![("content-type", "text/event-stream")];
            all.extend_from_slice(&extra);
            response("200 OK", &all, &sse_body(&message_events(&message)))
        } else {
            json_response("200 OK", &extra, &message)
        }
    }
}
