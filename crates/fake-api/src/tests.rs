//! Compiled only for tests: `lib.rs` declares this module under #[cfg(test)].
//! Wire-level tests: a real `MockServer` on 127.0.0.1 and ureq (or a raw
//! socket, where ureq would hide the detail) as the client.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::*;

const KEY: &str = "sk-test";

fn serve(config: MockConfig) -> MockServer {
    MockServer::start(config).expect("start mock server")
}

fn scripted(steps: &[&str]) -> MockServer {
    serve(MockConfig {
        script: steps.iter().map(|step| step.parse().unwrap()).collect(),
        ..MockConfig::default()
    })
}

fn agent_with_timeout(timeout: Duration) -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(5)))
        .timeout_recv_response(Some(timeout))
        .timeout_recv_body(Some(timeout))
        .build()
        .into()
}

fn agent() -> ureq::Agent {
    agent_with_timeout(Duration::from_secs(5))
}

fn request_body(stream: bool) -> Value {
    json!({
        "model": "claude-sonnet-4-6",
        "max_tokens": 1024,
        "stream": stream,
        "system": "Be brief.",
        "messages": [{"role": "user", "content": "What is Rust?"}]
    })
}

struct Reply {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl Reply {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }

    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("{e}: {}", self.body))
    }

    fn events(&self) -> Vec<(String, Value)> {
        parse_sse(&self.body)
    }
}

fn send(
    agent: &ureq::Agent,
    server: &MockServer,
    body: &Value,
) -> Result<ureq::http::Response<ureq::Body>, ureq::Error> {
    agent
        .post(format!("{}/v1/messages", server.base_url()))
        .header("x-api-key", KEY)
        .header("anthropic-version", "2023-06-01")
        .header("content-type", "application/json")
        .send(body.to_string())
}

fn read_reply(mut response: ureq::http::Response<ureq::Body>) -> Reply {
    let headers = response
        .headers()
        .iter()
        .map(|(name, value)| (name.to_string(), value.to_str().unwrap().to_string()))
        .collect();
    Reply {
        status: response.status().as_u16(),
        headers,
        body: response.body_mut().read_to_string().unwrap(),
    }
}

fn post_with(agent: &ureq::Agent, server: &MockServer, body: &Value) -> Reply {
    read_reply(send(agent, server, body).unwrap())
}

fn post(server: &MockServer, body: &Value) -> Reply {
    post_with(&agent(), server, body)
}

fn get(server: &MockServer, path: &str, key: Option<&str>) -> Reply {
    let mut request = agent().get(format!("{}{path}", server.base_url()));
    if let Some(key) = key {
        request = request.header("x-api-key", key);
    }
    read_reply(request.call().unwrap())
}

/// Reads what arrives until the connection fails or ends.
fn read_until_error(response: &mut ureq::http::Response<ureq::Body>) -> (String, bool) {
    let mut reader = response.body_mut().as_reader();
    let mut bytes = Vec::new();
    let mut buffer = [0u8; 4096];
    let failed = loop {
        match reader.read(&mut buffer) {
            Ok(0) => break false,
            Ok(n) => bytes.extend_from_slice(&buffer[..n]),
            Err(_) => break true,
        }
    };
    (String::from_utf8(bytes).unwrap(), failed)
}

/// A 200 stream's text up to where it goes silent; the read fails by timeout.
fn read_a_body_that_never_ends(server: &MockServer) -> String {
    let agent = agent_with_timeout(Duration::from_millis(300));
    let mut response = send(&agent, server, &request_body(true)).unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let (received, failed) = read_until_error(&mut response);
    assert!(failed, "the body must not end: {received}");
    received
}

fn parse_sse(text: &str) -> Vec<(String, Value)> {
    text.split("\n\n")
        .filter(|block| !block.trim().is_empty())
        .map(|block| {
            let mut lines = block.lines();
            let event = lines.next().unwrap().strip_prefix("event: ").unwrap();
            let data = lines.next().unwrap().strip_prefix("data: ").unwrap();
            assert!(lines.next().is_none(), "{block}");
            (event.to_string(), serde_json::from_str(data).unwrap())
        })
        .collect()
}

fn event_names(events: &[(String, Value)]) -> Vec<&str> {
    events.iter().map(|(name, _)| name.as_str()).collect()
}

fn streamed_text(events: &[(String, Value)]) -> String {
    events
        .iter()
        .filter(|(name, _)| name == "content_block_delta")
        .map(|(_, data)| data["delta"]["text"].as_str().unwrap())
        .collect()
}

fn assert_api_error(reply: &Reply, status: u16, error_type: &str, message: &str) {
    assert_eq!(reply.status, status, "{}", reply.body);
    assert_eq!(reply.header("content-type"), Some("application/json"));
    let body = reply.json();
    assert_eq!(body["type"], "error");
    assert_eq!(body["error"]["type"], error_type, "{}", reply.body);
    assert_eq!(body["error"]["message"], message, "{}", reply.body);
    let request_id = reply.header("request-id").expect("request-id header");
    assert!(request_id.starts_with("req_mock_"), "{request_id}");
    assert_eq!(body["request_id"], request_id);
}

/// Sends raw bytes and returns everything the server sends until it closes.
fn raw_exchange(server: &MockServer, bytes: &[u8]) -> String {
    let mut stream = TcpStream::connect(("127.0.0.1", server.port())).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(3)))
        .unwrap();
    stream.write_all(bytes).unwrap();
    let mut received = Vec::new();
    let _ = stream.read_to_end(&mut received);
    String::from_utf8_lossy(&received).into_owned()
}

const ECHO: &str = "Hello from the claude-rs fake API. You said: What is Rust?";

#[test]
fn ok_answers_json_with_echo_usage_and_headers() {
    let server = serve(MockConfig::default());
    let reply = post(&server, &request_body(false));
    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("content-type"), Some("application/json"));
    assert!(httpdate::parse_http_date(reply.header("date").unwrap()).is_ok());
    let request_id = reply.header("request-id").unwrap();
    assert!(request_id.starts_with("req_mock_"));
    assert!(reply.header("anthropic-ratelimit-requests-limit").is_none());
    let body = reply.json();
    assert!(body["id"].as_str().unwrap().starts_with("msg_mock_"));
    assert_eq!(body["type"], "message");
    assert_eq!(body["role"], "assistant");
    assert_eq!(body["model"], "claude-sonnet-4-6");
    assert_eq!(body["content"], json!([{"type": "text", "text": ECHO}]));
    assert_eq!(body["stop_reason"], "end_turn");
    assert_eq!(body["stop_sequence"], Value::Null);
    let chars = "Be brief.".len() + "What is Rust?".len();
    assert_eq!(body["usage"]["input_tokens"], (chars / 4 + 1) as u64);
    assert_eq!(body["usage"]["output_tokens"], 11);
    let recorded = server.message_requests();
    assert_eq!(recorded.len(), 1);
    assert_eq!(recorded[0].header("X-API-KEY"), Some(KEY));
    assert_eq!(recorded[0].json().unwrap()["max_tokens"], 1024);
    assert_eq!(recorded[0].path, "/v1/messages");
}

#[test]
fn ok_streams_the_anthropic_event_sequence() {
    let server = serve(MockConfig::default());
    let reply = post(&server, &request_body(true));
    assert_eq!(reply.status, 200);
    assert_eq!(
        reply.header("content-type"),
        Some("text/event-stream; charset=utf-8")
    );
    assert_eq!(reply.header("transfer-encoding"), Some("chunked"));
    assert!(reply.header("request-id").is_some());
    let events = reply.events();
    let names = event_names(&events);
    assert_eq!(names[..3], ["message_start", "content_block_start", "ping"]);
    assert_eq!(
        names[names.len() - 3..],
        ["content_block_stop", "message_delta", "message_stop"]
    );
    assert!(
        names[3..names.len() - 3]
            .iter()
            .all(|name| *name == "content_block_delta")
    );
    assert_eq!(events[0].1["message"]["usage"]["output_tokens"], 1);
    assert_eq!(events[0].1["message"]["model"], "claude-sonnet-4-6");
    assert_eq!(events[2].1, json!({"type": "ping"}));
    assert_eq!(
        events[3].1["delta"],
        json!({"type": "text_delta", "text": "Hello from the"})
    );
    assert_eq!(streamed_text(&events), ECHO);
    let delta = &events[names.len() - 2].1;
    assert_eq!(delta["delta"]["stop_reason"], "end_turn");
    assert_eq!(delta["usage"]["output_tokens"], 11);
    assert!(reply.body.contains("data: {\"type\": \"ping\"}\n\n"));
}

#[test]
fn sse_is_sent_chunked_one_event_per_chunk() {
    let server = serve(MockConfig::default());
    let body = request_body(true).to_string();
    let raw = raw_exchange(
        &server,
        format!(
            "POST /v1/messages HTTP/1.1\r\nx-api-key: k\r\nconnection: close\r\ncontent-length: {}\r\n\r\n{body}",
            body.len()
        )
        .as_bytes(),
    );
    assert!(raw.contains("transfer-encoding: chunked\r\n"), "{raw}");
    assert!(raw.contains("\r\nevent: message_start\n"), "{raw}");
    assert!(raw.ends_with("\n\n\r\n0\r\n\r\n"), "{raw}");
}

#[test]
fn max_tokens_cuts_the_reply() {
    let server = serve(MockConfig::default());
    let mut body = request_body(false);
    body["max_tokens"] = json!(3);
    let reply = post(&server, &body).json();
    assert_eq!(reply["content"][0]["text"], "Hello from the");
    assert_eq!(reply["stop_reason"], "max_tokens");
    assert_eq!(reply["usage"]["output_tokens"], 3);
    body["stream"] = json!(true);
    let events = post(&server, &body).events();
    assert_eq!(streamed_text(&events), "Hello from the");
    let message_delta = &events[events.len() - 2].1;
    assert_eq!(message_delta["delta"]["stop_reason"], "max_tokens");
    assert_eq!(message_delta["usage"]["output_tokens"], 3);
}

#[test]
fn reply_step_answers_exactly_that_text() {
    let server = scripted(&["reply=Four words right here"]);
    let body = post(&server, &request_body(false)).json();
    assert_eq!(body["content"][0]["text"], "Four words right here");
    assert_eq!(body["usage"]["output_tokens"], 4);
    assert_eq!(
        post(&server, &request_body(false)).json()["content"][0]["text"],
        ECHO
    );
}

#[test]
fn validates_bodies_like_the_real_api() {
    let server = serve(MockConfig::default());
    let agent = agent();
    let raw = agent
        .post(format!("{}/v1/messages", server.base_url()))
        .header("x-api-key", KEY)
        .send("not json")
        .unwrap();
    let reply = read_reply(raw);
    assert_eq!(reply.status, 400);
    assert_eq!(reply.json()["error"]["type"], "invalid_request_error");

    let cases = [
        (
            json!({"model": "claude-sonnet-4-6", "max_tokens": 5}),
            400,
            "messages: Field required",
        ),
        (
            json!({"model": "claude-sonnet-4-6", "max_tokens": 5, "messages": []}),
            400,
            "messages: at least one message is required",
        ),
        (
            json!({"model": "claude-sonnet-4-6", "messages": [{"role": "user", "content": "x"}]}),
            400,
            "max_tokens: Field required",
        ),
        (
            json!({"model": "claude-nope", "max_tokens": 5, "messages": [{"role": "user", "content": "x"}]}),
            404,
            "model: claude-nope",
        ),
    ];
    for (body, status, message) in cases {
        let reply = post_with(&agent, &server, &body);
        let error_type = if status == 404 {
            "not_found_error"
        } else {
            "invalid_request_error"
        };
        assert_api_error(&reply, status, error_type, message);
    }
}

#[test]
fn missing_api_key_is_401_and_does_not_use_a_step() {
    let server = scripted(&["529"]);
    for key in [None, Some("")] {
        let mut request = agent().post(format!("{}/v1/messages", server.base_url()));
        if let Some(key) = key {
            request = request.header("x-api-key", key);
        }
        let reply = read_reply(request.send(request_body(false).to_string()).unwrap());
        assert_api_error(
            &reply,
            401,
            "authentication_error",
            "x-api-key header is required",
        );
    }
    assert_eq!(post(&server, &request_body(false)).status, 529);
    assert_eq!(server.message_requests().len(), 3);
}

#[test]
fn status_steps_use_canonical_errors_and_scripted_headers() {
    let server = scripted(&[
        "529",
        "429:retry-after=2:x-should-retry=false",
        "503:retry-after-ms=1500:type=overloaded_error:message=Busy: come back",
        "401",
        "403",
        "413",
    ]);
    let agent = agent();
    let body = request_body(false);
    assert_api_error(
        &post_with(&agent, &server, &body),
        529,
        "overloaded_error",
        "Overloaded",
    );
    let limited = post_with(&agent, &server, &body);
    assert_api_error(
        &limited,
        429,
        "rate_limit_error",
        "Number of requests has exceeded your per-minute rate limit",
    );
    assert_eq!(limited.header("retry-after"), Some("2"));
    assert_eq!(limited.header("x-should-retry"), Some("false"));
    let busy = post_with(&agent, &server, &body);
    assert_api_error(&busy, 503, "overloaded_error", "Busy: come back");
    assert_eq!(busy.header("retry-after-ms"), Some("1500"));
    assert_eq!(busy.header("retry-after"), None);
    assert_api_error(
        &post_with(&agent, &server, &body),
        401,
        "authentication_error",
        "invalid x-api-key",
    );
    assert_api_error(
        &post_with(&agent, &server, &body),
        403,
        "permission_error",
        "Your API key does not have permission to use the specified resource.",
    );
    assert_api_error(
        &post_with(&agent, &server, &body),
        413,
        "request_too_large",
        "Request exceeds the maximum allowed number of bytes.",
    );
    assert_eq!(post_with(&agent, &server, &body).status, 200);
}

#[test]
fn spend_limit_low_credit_and_overloaded_500() {
    let server = scripted(&["spend-limit", "low-credit", "overloaded-500"]);
    let body = request_body(false);
    let spend = post(&server, &body);
    assert_api_error(
        &spend,
        429,
        "rate_limit_error",
        responses::SPEND_LIMIT_MESSAGE,
    );
    assert_eq!(spend.header("retry-after"), None);
    assert_eq!(
        spend.json()["error"]["details"]["error_code"],
        "enforced_spend_limit_reached"
    );
    assert_api_error(
        &post(&server, &body),
        400,
        "invalid_request_error",
        "Your credit balance is too low to access the Anthropic API. Please go to Plans & Billing to upgrade or purchase credits.",
    );
    assert_api_error(&post(&server, &body), 500, "api_error", "Overloaded");
}

#[test]
fn html_502_looks_like_a_proxy_page() {
    let server = serve(MockConfig {
        script: vec![Step::Html502],
        rpm_limit: Some(100),
        ..MockConfig::default()
    });
    let reply = post(&server, &request_body(false));
    assert_eq!(reply.status, 502);
    assert_eq!(reply.header("content-type"), Some("text/html"));
    assert_eq!(reply.header("request-id"), None);
    assert_eq!(reply.header("anthropic-ratelimit-requests-limit"), None);
    assert!(reply.header("date").is_some());
    assert!(reply.body.starts_with("<html>"));
    assert!(reply.body.contains("<title>502 Bad Gateway</title>"));
    assert!(reply.body.contains("nginx"));
}

#[test]
fn reset_closes_without_a_response_and_is_recorded() {
    let server = scripted(&["reset"]);
    let result = send(&agent(), &server, &request_body(false));
    assert!(result.is_err(), "{:?}", result.map(|r| r.status()));
    assert_eq!(server.message_requests().len(), 1);
    assert_eq!(post(&server, &request_body(false)).status, 200);
}

#[test]
fn reset_on_a_raw_socket_is_an_immediate_close() {
    let server = scripted(&["reset"]);
    let body = request_body(false).to_string();
    let raw = raw_exchange(
        &server,
        format!(
            "POST /v1/messages HTTP/1.1\r\nx-api-key: k\r\ncontent-length: {}\r\n\r\n{body}",
            body.len()
        )
        .as_bytes(),
    );
    assert_eq!(raw, "");
}

#[test]
fn hang_times_out_the_client_and_drop_ends_it() {
    let server = scripted(&["hang"]);
    let result = send(
        &agent_with_timeout(Duration::from_millis(300)),
        &server,
        &request_body(false),
    );
    assert!(matches!(result, Err(ureq::Error::Timeout(_))), "{result:?}");
    assert_eq!(server.message_requests().len(), 1);
    // Dropping returns although a handler is still hanging, and frees the port.
    let port = server.port();
    drop(server);
    assert!(TcpStream::connect(("127.0.0.1", port)).is_err());
}

#[test]
fn stall_sends_a_start_then_nothing() {
    let server = scripted(&["stall"]);
    let events = parse_sse(&read_a_body_that_never_ends(&server));
    assert_eq!(
        event_names(&events),
        [
            "message_start",
            "content_block_start",
            "content_block_delta"
        ]
    );
    let port = server.port();
    drop(server);
    assert!(TcpStream::connect(("127.0.0.1", port)).is_err());
}

#[test]
fn truncated_body_ends_early() {
    let server = scripted(&["truncated"]);
    let mut response = send(&agent(), &server, &request_body(false)).unwrap();
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(response.headers()["content-type"], "application/json");
    let promised: usize = response.headers()["content-length"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    let (received, failed) = read_until_error(&mut response);
    assert!(failed);
    assert!(received.len() < promised);
    assert!(received.starts_with("{\"id\":\"msg_mock_"));
}

#[test]
fn invalid_json_is_a_200_that_does_not_parse() {
    let server = scripted(&["invalid-json"]);
    let reply = post(&server, &request_body(false));
    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("content-type"), Some("application/json"));
    assert_eq!(reply.body, "{\"id\": \"msg_");
    assert!(serde_json::from_str::<Value>(&reply.body).is_err());
}

#[test]
fn sse_error_ends_the_stream_with_an_error_event() {
    let server = scripted(&["sse-error", "sse-error=api_error"]);
    let events = post(&server, &request_body(true)).events();
    assert_eq!(
        event_names(&events),
        [
            "message_start",
            "content_block_start",
            "content_block_delta",
            "error"
        ]
    );
    let error = &events[3].1;
    assert_eq!(error["type"], "error");
    assert_eq!(
        error["error"],
        json!({"type": "overloaded_error", "message": "Overloaded"})
    );
    assert!(
        error["request_id"]
            .as_str()
            .unwrap()
            .starts_with("req_mock_")
    );
    let events = post(&server, &request_body(false)).events();
    assert_eq!(events[3].1["error"]["type"], "api_error");
}

#[test]
fn sse_cuts_close_the_connection_mid_body() {
    let server = scripted(&["sse-cut", "sse-cut-before-text"]);
    let agent = agent();
    let mut response = send(&agent, &server, &request_body(true)).unwrap();
    let (received, failed) = read_until_error(&mut response);
    assert!(failed);
    let events = parse_sse(&received);
    assert_eq!(
        event_names(&events),
        [
            "message_start",
            "content_block_start",
            "content_block_delta",
            "content_block_delta"
        ]
    );
    let mut response = send(&agent, &server, &request_body(true)).unwrap();
    let (received, failed) = read_until_error(&mut response);
    assert!(failed);
    assert_eq!(event_names(&parse_sse(&received)), ["message_start"]);
    assert_eq!(post_with(&agent, &server, &request_body(false)).status, 200);
}

#[test]
fn sse_no_stop_finishes_the_body_without_message_stop() {
    let server = scripted(&["sse-no-stop"]);
    let events = post(&server, &request_body(true)).events();
    let names = event_names(&events);
    assert_eq!(names.last(), Some(&"message_delta"));
    assert!(!names.contains(&"message_stop"));
    assert_eq!(streamed_text(&events), ECHO);
}

#[test]
fn slow_paces_its_deltas() {
    let server = scripted(&["slow=3/60"]);
    let started = Instant::now();
    let events = post(&server, &request_body(true)).events();
    assert!(started.elapsed() >= Duration::from_millis(180));
    let names = event_names(&events);
    assert_eq!(
        names
            .iter()
            .filter(|name| **name == "content_block_delta")
            .count(),
        3
    );
    assert_eq!(names.last(), Some(&"message_stop"));
    assert_eq!(
        streamed_text(&events),
        "Slow part 1 of 3. Slow part 2 of 3. Slow part 3 of 3. "
    );
    assert_eq!(events[events.len() - 2].1["usage"]["output_tokens"], 15);
}

#[test]
fn keep_alive_serves_several_requests_per_connection() {
    let server = serve(MockConfig::default());
    let agent = agent();
    assert_eq!(post_with(&agent, &server, &request_body(false)).status, 200);
    assert_eq!(post_with(&agent, &server, &request_body(true)).status, 200);
    assert_eq!(server.message_requests().len(), 2);

    let body = request_body(false).to_string();
    let one = format!(
        "POST /v1/messages HTTP/1.1\r\nx-api-key: k\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    );
    let last = format!(
        "POST /v1/messages HTTP/1.1\r\nx-api-key: k\r\nConnection: close\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    );
    let raw = raw_exchange(&server, format!("{one}{last}").as_bytes());
    assert_eq!(raw.matches("HTTP/1.1 200 OK\r\n").count(), 2, "{raw}");
    assert_eq!(raw.matches("connection: close\r\n").count(), 1, "{raw}");
    assert_eq!(server.message_requests().len(), 4);
}

#[test]
fn rpm_limit_refuses_without_consuming_the_script() {
    let server = serve(MockConfig {
        script: vec![
            "reply=one".parse().unwrap(),
            "reply=two".parse().unwrap(),
            "529".parse().unwrap(),
        ],
        rpm_limit: Some(2),
        ..MockConfig::default()
    });
    let agent = agent();
    let first = post_with(&agent, &server, &request_body(false));
    assert_eq!(first.status, 200);
    assert_eq!(
        first.header("anthropic-ratelimit-requests-limit"),
        Some("2")
    );
    assert_eq!(
        first.header("anthropic-ratelimit-requests-remaining"),
        Some("1")
    );
    let models = get(&server, "/v1/models", Some(KEY));
    assert_eq!(
        models.header("anthropic-ratelimit-requests-remaining"),
        Some("1")
    );
    assert_eq!(post_with(&agent, &server, &request_body(false)).status, 200);
    let refused = post_with(&agent, &server, &request_body(false));
    assert_api_error(
        &refused,
        429,
        "rate_limit_error",
        "Number of requests has exceeded your per-minute rate limit",
    );
    let retry_after: u64 = refused.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=60).contains(&retry_after), "{retry_after}");
    assert_eq!(
        refused.header("anthropic-ratelimit-requests-remaining"),
        Some("0")
    );
    let reset = refused
        .header("anthropic-ratelimit-requests-reset")
        .unwrap();
    let reset = humantime::parse_rfc3339(reset).unwrap();
    assert!(reset > std::time::SystemTime::now());
    assert_eq!(server.shared.steps_served(), 2);
    assert_eq!(server.message_requests().len(), 3);
}

#[test]
fn rpm_bucket_burst_sets_capacity_and_headers() {
    let server = serve(MockConfig {
        rpm_limit: Some(60),
        rpm_burst: Some(2),
        ..MockConfig::default()
    });
    let agent = agent();
    let first = post_with(&agent, &server, &request_body(false));
    assert_eq!(first.status, 200);
    assert_eq!(
        first.header("anthropic-ratelimit-requests-limit"),
        Some("60"),
        "the per-minute limit, not the burst"
    );
    assert_eq!(
        first.header("anthropic-ratelimit-requests-remaining"),
        Some("1")
    );
    assert!(
        first
            .header("anthropic-ratelimit-input-tokens-limit")
            .is_none()
    );
    let second = post_with(&agent, &server, &request_body(false));
    assert_eq!(
        second.header("anthropic-ratelimit-requests-remaining"),
        Some("0")
    );
    // Full again when both tokens are back: about 2 s at one a second.
    let reset =
        humantime::parse_rfc3339(second.header("anthropic-ratelimit-requests-reset").unwrap())
            .unwrap();
    let until_reset = reset
        .duration_since(std::time::SystemTime::now())
        .unwrap_or_default();
    assert!(until_reset <= Duration::from_secs(3), "{until_reset:?}");
    let refused = post_with(&agent, &server, &request_body(false));
    assert_eq!(refused.status, 429);
    assert_eq!(refused.header("retry-after"), Some("1"));
    assert_eq!(server.shared.steps_served(), 2);
}

#[test]
fn rpm_bucket_refills_continuously() {
    // 600 a minute is one token every 100 ms: no waiting for a minute to pass.
    let server = serve(MockConfig {
        rpm_limit: Some(600),
        rpm_burst: Some(1),
        ..MockConfig::default()
    });
    let agent = agent();
    assert_eq!(post_with(&agent, &server, &request_body(false)).status, 200);
    let refused = post_with(&agent, &server, &request_body(false));
    assert_eq!(refused.status, 429);
    assert_eq!(refused.header("retry-after"), Some("1"));
    std::thread::sleep(Duration::from_millis(150));
    let refilled = post_with(&agent, &server, &request_body(false));
    assert_eq!(refilled.status, 200);
    assert_eq!(
        refilled.header("anthropic-ratelimit-requests-remaining"),
        Some("0")
    );
}

/// A request whose estimated input tokens are `tokens` (4 characters each, plus 1).
fn body_costing(tokens: usize) -> Value {
    json!({
        "model": "claude-sonnet-4-6",
        "max_tokens": 16,
        "messages": [{"role": "user", "content": "abcd".repeat(tokens - 1)}]
    })
}

#[test]
fn tpm_bucket_refuses_what_does_not_fit_and_spares_the_request_bucket() {
    let server = serve(MockConfig {
        rpm_limit: Some(60),
        itpm_limit: Some(100),
        script: vec!["reply=one".parse().unwrap(), "reply=two".parse().unwrap()],
        ..MockConfig::default()
    });
    let agent = agent();
    let first = post_with(&agent, &server, &body_costing(91));
    assert_eq!(first.status, 200);
    assert_eq!(first.json()["usage"]["input_tokens"], 91);
    assert_eq!(
        first.header("anthropic-ratelimit-input-tokens-limit"),
        Some("100")
    );
    assert_eq!(
        first.header("anthropic-ratelimit-input-tokens-remaining"),
        Some("9")
    );
    assert!(
        first
            .header("anthropic-ratelimit-input-tokens-reset")
            .is_some()
    );
    assert_eq!(
        first.header("anthropic-ratelimit-requests-remaining"),
        Some("59")
    );
    let refused = post_with(&agent, &server, &body_costing(91));
    assert_api_error(
        &refused,
        429,
        "rate_limit_error",
        "Number of input tokens has exceeded your per-minute rate limit",
    );
    // 82 tokens missing at 100 a minute: 49.2 s, less what refilled meanwhile.
    let retry_after: u64 = refused.header("retry-after").unwrap().parse().unwrap();
    assert!((49..=50).contains(&retry_after), "{retry_after}");
    assert_eq!(
        refused.header("anthropic-ratelimit-requests-remaining"),
        Some("59"),
        "refused by the token bucket, the request bucket keeps its token"
    );
    let small = post_with(&agent, &server, &body_costing(6));
    assert_eq!(small.json()["content"][0]["text"], "two");
    assert_eq!(
        small.header("anthropic-ratelimit-input-tokens-remaining"),
        Some("3")
    );
    assert_eq!(
        small.header("anthropic-ratelimit-requests-remaining"),
        Some("58")
    );
    let models = get(&server, "/v1/models", Some(KEY));
    assert_eq!(
        models.header("anthropic-ratelimit-input-tokens-remaining"),
        Some("3")
    );
}

#[test]
fn tpm_admits_an_oversized_request_from_a_full_bucket() {
    let server = serve(MockConfig {
        itpm_limit: Some(50),
        ..MockConfig::default()
    });
    let agent = agent();
    let big = post_with(&agent, &server, &body_costing(91));
    assert_eq!(
        big.status, 200,
        "larger than the bucket, but the bucket was full"
    );
    assert_eq!(
        big.header("anthropic-ratelimit-input-tokens-remaining"),
        Some("0")
    );
    let next = post_with(&agent, &server, &body_costing(2));
    assert_eq!(next.status, 429);
    // 41 tokens of debt plus 2 at 50 a minute: 51.6 s, less what refilled meanwhile.
    let retry_after: u64 = next.header("retry-after").unwrap().parse().unwrap();
    assert!((51..=52).contains(&retry_after), "{retry_after}");
}

#[test]
fn an_unparsable_body_costs_one_input_token() {
    let server = serve(MockConfig {
        itpm_limit: Some(5),
        ..MockConfig::default()
    });
    let reply = read_reply(
        agent()
            .post(format!("{}/v1/messages", server.base_url()))
            .header("x-api-key", KEY)
            .send("not json")
            .unwrap(),
    );
    assert_eq!(reply.status, 400);
    assert_eq!(
        reply.header("anthropic-ratelimit-input-tokens-remaining"),
        Some("4")
    );
}

#[test]
fn random_faults_repeat_per_seed() {
    let statuses = |seed: u64| {
        let server = serve(MockConfig {
            fault_rate: 0.5,
            seed,
            ..MockConfig::default()
        });
        let agent = agent();
        (0..24)
            .map(|_| post_with(&agent, &server, &request_body(false)).status)
            .collect::<Vec<_>>()
    };
    let first = statuses(42);
    assert_eq!(first, statuses(42));
    for status in [200, 529, 500] {
        assert!(first.contains(&status), "{first:?}");
    }
    assert_ne!(first, statuses(43));
}

#[test]
fn fault_rate_one_always_faults_after_the_script() {
    let server = serve(MockConfig {
        script: vec![Step::Ok],
        fault_rate: 1.0,
        fault_steps: vec!["418".parse().unwrap()],
        ..MockConfig::default()
    });
    let agent = agent();
    assert_eq!(post_with(&agent, &server, &request_body(false)).status, 200);
    for _ in 0..3 {
        assert_eq!(post_with(&agent, &server, &request_body(false)).status, 418);
    }
}

#[test]
fn models_are_listed_and_never_faulted() {
    let server = serve(MockConfig {
        then: "500".parse().unwrap(),
        ..MockConfig::default()
    });
    let list = get(&server, "/v1/models", Some(KEY));
    assert_eq!(list.status, 200);
    let body = list.json();
    assert_eq!(body["data"].as_array().unwrap().len(), DEFAULT_MODELS.len());
    let first = &body["data"][0];
    assert_eq!(
        (first["type"].as_str(), first["id"].as_str()),
        (Some("model"), Some(DEFAULT_MODELS[0]))
    );
    assert_eq!(
        (
            first["max_tokens"].as_u64(),
            first["max_input_tokens"].as_u64()
        ),
        (Some(128_000), Some(1_000_000))
    );
    assert_eq!(first["capabilities"]["batch"]["supported"], true);
    assert_eq!(body["has_more"], false);
    assert_eq!(body["first_id"], DEFAULT_MODELS[0]);
    assert_eq!(body["last_id"], "claude-opus-4-1");
    let one = get(&server, "/v1/models/claude-haiku-4-5", Some(KEY)).json();
    assert_eq!(one["display_name"], "Claude Haiku 4.5");
    assert_eq!(
        (one["max_tokens"].as_u64(), one["max_input_tokens"].as_u64()),
        (Some(64_000), Some(200_000))
    );
    let page = get(&server, "/v1/models?limit=3", Some(KEY)).json();
    assert_eq!(
        (page["data"].as_array().unwrap().len(), &page["has_more"]),
        (3, &json!(true))
    );
    assert_eq!(page["last_id"], DEFAULT_MODELS[2]);
    let next = get(
        &server,
        &format!("/v1/models?limit=3&after_id={}", DEFAULT_MODELS[2]),
        Some(KEY),
    )
    .json();
    assert_eq!(next["first_id"], DEFAULT_MODELS[3]);
    assert_api_error(
        &get(&server, "/v1/models/gpt-4", Some(KEY)),
        404,
        "not_found_error",
        "model: gpt-4",
    );
    assert_api_error(
        &get(&server, "/v1/models", None),
        401,
        "authentication_error",
        "x-api-key header is required",
    );
    assert_eq!(server.message_requests().len(), 0);
    assert_eq!(server.requests().len(), 6);
}

#[test]
fn a_refused_key_is_refused_on_the_models_endpoint_too() {
    for (name, status, error_type) in [
        ("auth", 401, "authentication_error"),
        ("permission", 403, "permission_error"),
    ] {
        let server = serve(super::scenario(name).unwrap());
        let list = get(&server, "/v1/models", Some(KEY));
        assert_eq!(list.status, status, "{name}");
        assert_eq!(list.json()["error"]["type"], error_type, "{name}");
        let one = get(&server, "/v1/models/claude-haiku-4-5", Some(KEY));
        assert_eq!(one.status, status, "{name}");
    }
    let down = serve(super::scenario("down").unwrap());
    assert_eq!(get(&down, "/v1/models", Some(KEY)).status, 200);
}

#[test]
fn unknown_routes_are_404_json() {
    let server = serve(MockConfig::default());
    for path in ["/", "/v1/complete", "/v1/messages/count_tokens"] {
        assert_api_error(
            &get(&server, path, Some(KEY)),
            404,
            "not_found_error",
            "Not found",
        );
    }
    assert_eq!(server.requests()[0].path, "/");
}

#[test]
fn malformed_request_line_gets_400_and_close() {
    let server = serve(MockConfig::default());
    let raw = raw_exchange(&server, b"this is not http\r\n\r\n");
    assert!(raw.starts_with("HTTP/1.1 400 Bad Request\r\n"), "{raw}");
    assert!(raw.contains("connection: close\r\n"));
    assert!(raw.contains("\"invalid_request_error\""));
    assert!(server.requests().is_empty());
}

#[test]
fn chunked_request_bodies_get_411_and_are_recorded() {
    let server = serve(MockConfig::default());
    let raw = raw_exchange(
        &server,
        b"POST /v1/messages HTTP/1.1\r\nx-api-key: k\r\ntransfer-encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n",
    );
    assert!(raw.starts_with("HTTP/1.1 411 Length Required\r\n"), "{raw}");
    assert!(raw.contains("connection: close\r\n"));
    assert_eq!(server.message_requests().len(), 1);
}

#[test]
fn expect_100_continue_is_honoured() {
    let server = serve(MockConfig::default());
    let body = request_body(false).to_string();
    let mut stream = TcpStream::connect(("127.0.0.1", server.port())).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(3)))
        .unwrap();
    let head = format!(
        "POST /v1/messages HTTP/1.1\r\nx-api-key: k\r\nexpect: 100-continue\r\nconnection: close\r\ncontent-length: {}\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).unwrap();
    let mut interim = [0u8; 25];
    stream.read_exact(&mut interim).unwrap();
    assert_eq!(&interim, b"HTTP/1.1 100 Continue\r\n\r\n");
    stream.write_all(body.as_bytes()).unwrap();
    let mut rest = String::new();
    stream.read_to_string(&mut rest).unwrap();
    assert!(rest.starts_with("HTTP/1.1 200 OK\r\n"), "{rest}");
}

#[test]
fn latency_delays_message_requests_only() {
    // A latency far longer than the client waits: only a request it does
    // not delay can be answered in time.
    let server = serve(MockConfig {
        latency: Duration::from_secs(60),
        ..MockConfig::default()
    });
    let patient = agent_with_timeout(Duration::from_secs(2));
    let models = patient
        .get(format!("{}/v1/models", server.base_url()))
        .header("x-api-key", KEY)
        .call();
    assert_eq!(models.unwrap().status().as_u16(), 200);
    let message = send(&patient, &server, &request_body(false));
    assert!(
        matches!(message, Err(ureq::Error::Timeout(_))),
        "{message:?}"
    );
}

#[test]
fn request_ids_count_up_and_match_the_body() {
    let server = scripted(&["500", "500"]);
    let first = post(&server, &request_body(false));
    let second = post(&server, &request_body(false));
    assert_eq!(first.header("request-id"), Some("req_mock_000001"));
    assert_eq!(second.header("request-id"), Some("req_mock_000002"));
    assert_eq!(second.json()["request_id"], "req_mock_000002");
}

#[test]
fn drop_closes_idle_connections_and_the_port() {
    let server = serve(MockConfig::default());
    let port = server.port();
    assert_eq!(server.base_url(), format!("http://127.0.0.1:{port}"));
    let mut idle = TcpStream::connect(("127.0.0.1", port)).unwrap();
    idle.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
    std::thread::sleep(Duration::from_millis(50));
    drop(server);
    let mut buffer = [0u8; 1];
    assert!(matches!(idle.read(&mut buffer), Ok(0) | Err(_)));
    assert!(TcpStream::connect(("127.0.0.1", port)).is_err());
}

#[test]
fn run_forever_returns_only_when_stopped() {
    let server = std::sync::Arc::new(serve(MockConfig::default()));
    let runner = {
        let server = std::sync::Arc::clone(&server);
        std::thread::spawn(move || server.run_forever())
    };
    std::thread::sleep(Duration::from_millis(50));
    assert!(!runner.is_finished());
    server.shared.lifecycle.stop();
    runner.join().unwrap();
}

#[test]
fn a_hanging_connection_does_not_block_others() {
    let server = scripted(&["hang", "reply=still here"]);
    let hung = {
        let url = server.base_url();
        std::thread::spawn(move || {
            agent_with_timeout(Duration::from_millis(300))
                .post(format!("{url}/v1/messages"))
                .header("x-api-key", KEY)
                .send(request_body(false).to_string())
                .is_err()
        })
    };
    while server.message_requests().is_empty() {
        std::thread::sleep(Duration::from_millis(5));
    }
    let reply = post(&server, &request_body(false));
    assert_eq!(reply.json()["content"][0]["text"], "still here");
    assert!(hung.join().unwrap());
}

#[test]
fn drop_interrupts_a_slow_stream() {
    let server = scripted(&["slow=100/100"]);
    let mut response = send(&agent(), &server, &request_body(true)).unwrap();
    let reader = std::thread::spawn(move || read_until_error(&mut response));
    std::thread::sleep(Duration::from_millis(150));
    drop(server);
    let (received, failed) = reader.join().unwrap();
    assert!(failed);
    assert!(received.contains("content_block_delta"));
}

#[test]
fn head_requests_close_the_connection() {
    let server = serve(MockConfig::default());
    let raw = raw_exchange(&server, b"HEAD / HTTP/1.1\r\n\r\n");
    assert!(raw.starts_with("HTTP/1.1 404 Not Found\r\n"), "{raw}");
    assert!(raw.contains("connection: close\r\n"));
}

// ---- Message Batches ----

fn batch_post(server: &MockServer, path: &str, body: &Value) -> Reply {
    read_reply(
        agent()
            .post(format!("{}{path}", server.base_url()))
            .header("x-api-key", KEY)
            .header("content-type", "application/json")
            .send(body.to_string())
            .unwrap(),
    )
}

fn cancel(server: &MockServer, id: &str) -> Reply {
    read_reply(
        agent()
            .post(format!(
                "{}/v1/messages/batches/{id}/cancel",
                server.base_url()
            ))
            .header("x-api-key", KEY)
            .send_empty()
            .unwrap(),
    )
}

fn batch_request(custom_id: &str, params: Value) -> Value {
    json!({"custom_id": custom_id, "params": params})
}

fn params(text: &str) -> Value {
    json!({
        "model": "claude-haiku-4-5",
        "max_tokens": 64,
        "messages": [{"role": "user", "content": text}]
    })
}

fn create_batch(server: &MockServer, requests: Vec<Value>) -> Reply {
    batch_post(
        server,
        "/v1/messages/batches",
        &json!({ "requests": requests }),
    )
}

fn counts(batch: &Value) -> [u64; 5] {
    let counts = &batch["request_counts"];
    ["processing", "succeeded", "errored", "canceled", "expired"]
        .map(|name| counts[name].as_u64().unwrap())
}

fn results_by_id(reply: &Reply) -> std::collections::BTreeMap<String, Value> {
    let mut by_id = std::collections::BTreeMap::new();
    for line in reply.body.lines() {
        let line: Value = serde_json::from_str(line).unwrap();
        let custom_id = line["custom_id"].as_str().unwrap().to_string();
        assert!(
            by_id
                .insert(custom_id.clone(), line["result"].clone())
                .is_none(),
            "{custom_id} twice"
        );
    }
    by_id
}

#[test]
fn a_batch_goes_from_created_through_polls_to_results() {
    let server = serve(MockConfig {
        batch_polls: 3,
        ..MockConfig::default()
    });
    let mut overloaded = params("third");
    overloaded["metadata"] = json!({"user_id": "mock-error-529"});
    let mut expired = params("sixth");
    expired["metadata"] = json!({"user_id": "mock-expired"});
    let requests = vec![
        batch_request("first", params("first")),
        batch_request("second-2", params("second")),
        batch_request("third_3", overloaded),
        batch_request(
            "no-max-tokens",
            json!({"model": "claude-haiku-4-5", "messages": [{"role": "user", "content": "x"}]}),
        ),
        batch_request(
            "unknown-model",
            json!({"model": "claude-nope", "max_tokens": 5, "messages": [{"role": "user", "content": "x"}]}),
        ),
        batch_request("sixth", expired),
        batch_request("seventh", params("seventh")),
    ];
    let created = create_batch(&server, requests);
    assert_eq!(created.status, 200, "{}", created.body);
    assert_eq!(created.header("content-type"), Some("application/json"));
    assert!(
        created
            .header("request-id")
            .unwrap()
            .starts_with("req_mock_")
    );
    assert!(
        created.body.starts_with(
            r#"{"id":"msgbatch_mock_000001","type":"message_batch","processing_status":"in_progress","request_counts":{"processing":7,"succeeded":0,"errored":0,"canceled":0,"expired":0},"ended_at":null,"created_at":""#
        ),
        "{}",
        created.body
    );
    assert!(
        created
            .body
            .ends_with(r#","cancel_initiated_at":null,"archived_at":null,"results_url":null}"#),
        "{}",
        created.body
    );
    let batch = created.json();
    let created_at = humantime::parse_rfc3339(batch["created_at"].as_str().unwrap()).unwrap();
    let expires_at = humantime::parse_rfc3339(batch["expires_at"].as_str().unwrap()).unwrap();
    assert_eq!(
        expires_at.duration_since(created_at).unwrap(),
        Duration::from_secs(24 * 3600)
    );
    let path = "/v1/messages/batches/msgbatch_mock_000001";

    assert_api_error(
        &get(&server, &format!("{path}/results"), Some(KEY)),
        400,
        "invalid_request_error",
        "Results for Message Batch msgbatch_mock_000001 are not available yet: its processing_status is in_progress, not ended",
    );
    let first_poll = get(&server, path, Some(KEY)).json();
    assert_eq!(first_poll["processing_status"], "in_progress");
    assert_eq!(counts(&first_poll), [5, 2, 0, 0, 0]);
    let second_poll = get(&server, path, Some(KEY)).json();
    assert_eq!(counts(&second_poll), [3, 2, 2, 0, 0]);
    assert_eq!(second_poll["results_url"], Value::Null);
    let ended = get(&server, path, Some(KEY)).json();
    assert_eq!(ended["processing_status"], "ended");
    assert_eq!(counts(&ended), [0, 3, 3, 0, 1]);
    assert!(humantime::parse_rfc3339(ended["ended_at"].as_str().unwrap()).is_ok());
    let results_url = ended["results_url"].as_str().unwrap();
    assert_eq!(results_url, format!("{}{path}/results", server.base_url()));

    let results = read_reply(
        agent()
            .get(results_url)
            .header("x-api-key", KEY)
            .header("accept", "application/binary")
            .call()
            .unwrap(),
    );
    assert_eq!(results.status, 200);
    assert_eq!(results.header("content-type"), Some("application/x-jsonl"));
    assert!(results.body.ends_with('\n'));
    let order: Vec<String> = results
        .body
        .lines()
        .map(|line| {
            serde_json::from_str::<Value>(line).unwrap()["custom_id"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    let input_order = [
        "first",
        "second-2",
        "third_3",
        "no-max-tokens",
        "unknown-model",
        "sixth",
        "seventh",
    ];
    assert_ne!(order, input_order, "clients must not depend on input order");
    let by_id = results_by_id(&results);
    assert_eq!(by_id.len(), 7);
    for custom_id in input_order {
        assert!(by_id.contains_key(custom_id), "{custom_id} missing");
    }

    // A success is exactly what POST /v1/messages answers, with its own id.
    let succeeded = &by_id["first"];
    assert_eq!(succeeded["type"], "succeeded");
    let mut message = succeeded["message"].clone();
    let id = message["id"].take();
    assert!(id.as_str().unwrap().starts_with("msg_mock_"), "{id}");
    let mut direct = post(&server, &params("first")).json();
    direct["id"].take();
    assert_eq!(message, direct);
    assert_ne!(
        by_id["first"]["message"]["id"],
        by_id["seventh"]["message"]["id"]
    );
    assert_eq!(
        by_id["seventh"]["message"]["content"][0]["text"],
        "Hello from the claude-rs fake API. You said: seventh"
    );

    assert_eq!(
        by_id["third_3"],
        json!({"type": "errored", "error": {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}})
    );
    assert_eq!(
        by_id["no-max-tokens"],
        json!({"type": "errored", "error": {"type": "error", "error": {"type": "invalid_request_error", "message": "max_tokens: Field required"}}})
    );
    assert_eq!(
        by_id["unknown-model"]["error"]["error"],
        json!({"type": "not_found_error", "message": "model: claude-nope"})
    );
    assert_eq!(by_id["sixth"], json!({"type": "expired"}));
    assert!(results.body.contains(r#"{"custom_id":"third_3","result":{"type":"errored","error":{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}}}"#));

    // Polling an ended batch changes nothing; the results stay the same.
    assert_eq!(get(&server, path, Some(KEY)).json(), ended);
    assert_eq!(
        get(&server, &format!("{path}/results"), Some(KEY)).body,
        results.body
    );
    assert_eq!(server.batch_requests().len(), 8);
    assert_eq!(server.message_requests().len(), 1);
}

#[test]
fn batch_creation_is_validated_like_the_real_api() {
    let server = serve(MockConfig::default());
    let cases = [
        (json!([]), "The request body must be a JSON object"),
        (
            json!({"requests": []}),
            "requests: List should have at least 1 item after validation, not 0",
        ),
        (
            json!({"requests": [batch_request("a b", params("x"))]}),
            "requests.0.custom_id: String should match pattern '^[a-zA-Z0-9_-]{1,64}$'",
        ),
        (
            json!({"requests": [batch_request("a", params("x")), batch_request("a", params("y"))]}),
            "requests.1.custom_id: 'a' is used by an earlier request; each custom_id must be unique within the batch",
        ),
        (
            json!({"requests": [{"custom_id": "a", "params": "x"}]}),
            "requests.0.params: Input should be a valid dictionary",
        ),
    ];
    for (body, message) in cases {
        let reply = batch_post(&server, "/v1/messages/batches", &body);
        assert_api_error(&reply, 400, "invalid_request_error", message);
    }
    let list = get(&server, "/v1/messages/batches", Some(KEY)).json();
    assert_eq!(list["data"], json!([]), "no batch was created");
}

#[test]
fn cancel_ends_the_batch_at_the_next_poll() {
    let server = serve(MockConfig::default());
    let requests = (0..4)
        .map(|n| batch_request(&format!("r{n}"), params("x")))
        .collect();
    assert_eq!(create_batch(&server, requests).status, 200);
    let path = "/v1/messages/batches/msgbatch_mock_000001";
    assert_eq!(
        counts(&get(&server, path, Some(KEY)).json()),
        [2, 2, 0, 0, 0]
    );
    let canceling = cancel(&server, "msgbatch_mock_000001");
    assert_eq!(canceling.status, 200, "{}", canceling.body);
    let canceling = canceling.json();
    assert_eq!(canceling["processing_status"], "canceling");
    assert!(humantime::parse_rfc3339(canceling["cancel_initiated_at"].as_str().unwrap()).is_ok());
    assert_eq!(canceling["ended_at"], Value::Null);
    assert_api_error(
        &get(&server, &format!("{path}/results"), Some(KEY)),
        400,
        "invalid_request_error",
        "Results for Message Batch msgbatch_mock_000001 are not available yet: its processing_status is canceling, not ended",
    );
    let ended = get(&server, path, Some(KEY)).json();
    assert_eq!(ended["processing_status"], "ended");
    assert_eq!(counts(&ended), [0, 2, 0, 2, 0]);
    assert_eq!(
        ended["cancel_initiated_at"],
        canceling["cancel_initiated_at"]
    );
    let results = results_by_id(&get(&server, &format!("{path}/results"), Some(KEY)));
    let canceled: Vec<&String> = results
        .iter()
        .filter(|(_, result)| **result == json!({"type": "canceled"}))
        .map(|(id, _)| id)
        .collect();
    assert_eq!(canceled, ["r2", "r3"]);
    assert_eq!(results["r0"]["type"], "succeeded");
    assert_api_error(
        &cancel(&server, "msgbatch_mock_000001"),
        400,
        "invalid_request_error",
        "Message Batch msgbatch_mock_000001 has already ended and can no longer be canceled",
    );
}

#[test]
fn batches_are_listed_newest_first_and_paged() {
    let server = serve(MockConfig::default());
    let empty = get(&server, "/v1/messages/batches", Some(KEY));
    assert_eq!(
        empty.body,
        r#"{"data":[],"has_more":false,"first_id":null,"last_id":null}"#
    );
    for n in 0..3 {
        let created = create_batch(&server, vec![batch_request(&format!("r{n}"), params("x"))]);
        assert_eq!(created.status, 200);
    }
    get(
        &server,
        "/v1/messages/batches/msgbatch_mock_000002",
        Some(KEY),
    );
    let list = get(&server, "/v1/messages/batches", Some(KEY)).json();
    let ids: Vec<&str> = list["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|batch| batch["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        [
            "msgbatch_mock_000003",
            "msgbatch_mock_000002",
            "msgbatch_mock_000001"
        ]
    );
    assert_eq!(list["has_more"], false);
    assert_eq!(list["first_id"], "msgbatch_mock_000003");
    assert_eq!(list["last_id"], "msgbatch_mock_000001");
    assert_eq!(
        list["data"][1]["request_counts"]["succeeded"], 0,
        "one poll of two: 1 × 1/2 rounds down"
    );
    assert_eq!(list["data"][0]["type"], "message_batch");
    let page = get(
        &server,
        "/v1/messages/batches?limit=2&after_id=msgbatch_mock_000003",
        Some(KEY),
    )
    .json();
    assert_eq!(page["first_id"], "msgbatch_mock_000002");
    assert_eq!(page["last_id"], "msgbatch_mock_000001");
    assert_eq!(page["has_more"], false);
    assert_eq!(
        get(&server, "/v1/messages/batches?limit=1", Some(KEY)).json()["has_more"],
        true
    );
    assert_api_error(
        &get(&server, "/v1/messages/batches?limit=0", Some(KEY)),
        400,
        "invalid_request_error",
        "limit: Input should be greater than or equal to 1",
    );
}

#[test]
fn unknown_batches_are_404_on_every_endpoint() {
    let server = serve(MockConfig::default());
    for path in [
        "/v1/messages/batches/msgbatch_nope",
        "/v1/messages/batches/msgbatch_nope/results",
    ] {
        assert_api_error(
            &get(&server, path, Some(KEY)),
            404,
            "not_found_error",
            "message_batch: msgbatch_nope",
        );
    }
    assert_api_error(
        &cancel(&server, "msgbatch_nope"),
        404,
        "not_found_error",
        "message_batch: msgbatch_nope",
    );
    assert_api_error(
        &get(&server, "/v1/messages/batches/x/cancel", Some(KEY)),
        404,
        "not_found_error",
        "Not found",
    );
}

#[test]
fn batches_need_a_key_and_refuse_it_in_the_auth_scenarios() {
    let server = scripted(&["529"]);
    assert_api_error(
        &get(&server, "/v1/messages/batches", None),
        401,
        "authentication_error",
        "x-api-key header is required",
    );
    assert_eq!(server.shared.steps_served(), 0, "no key, no step");
    for (name, status, error_type) in [
        ("auth", 401, "authentication_error"),
        ("permission", 403, "permission_error"),
    ] {
        let server = serve(super::scenario(name).unwrap());
        let created = create_batch(&server, vec![batch_request("a", params("x"))]);
        assert_eq!(created.status, status, "{name}");
        assert_eq!(created.json()["error"]["type"], error_type, "{name}");
        assert_eq!(
            get(&server, "/v1/messages/batches", Some(KEY)).status,
            status
        );
        assert_eq!(server.shared.steps_served(), 0, "{name}");
    }
}

#[test]
fn batches_calls_take_steps_from_the_shared_script() {
    let server = scripted(&["529", "ok", "reply=third", "reset", "500"]);
    let overloaded = create_batch(&server, vec![batch_request("a", params("x"))]);
    assert_api_error(&overloaded, 529, "overloaded_error", "Overloaded");
    let created = create_batch(&server, vec![batch_request("a", params("x"))]);
    assert_eq!(
        created.json()["id"],
        "msgbatch_mock_000001",
        "the refused call created nothing"
    );
    let reply = post(&server, &request_body(false));
    assert_eq!(reply.json()["content"][0]["text"], "third");
    let reset = agent()
        .get(format!(
            "{}/v1/messages/batches/msgbatch_mock_000001",
            server.base_url()
        ))
        .header("x-api-key", KEY)
        .call();
    assert!(reset.is_err(), "{:?}", reset.map(|r| r.status()));
    assert_eq!(post(&server, &request_body(false)).status, 500);
    assert_eq!(server.batch_requests().len(), 3);
    assert_eq!(server.message_requests().len(), 2);
    assert_eq!(server.shared.steps_served(), 5);
}

#[test]
fn truncated_and_invalid_json_damage_a_batch_answer_that_took_effect() {
    let server = scripted(&["truncated", "invalid-json", "invalid-json", "sse-cut"]);
    let body = json!({"requests": [batch_request("a", params("x"))]}).to_string();
    let mut response = agent()
        .post(format!("{}/v1/messages/batches", server.base_url()))
        .header("x-api-key", KEY)
        .send(body)
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let (received, failed) = read_until_error(&mut response);
    assert!(failed);
    assert!(
        received.starts_with(r#"{"id":"msgbatch_mock_000001""#),
        "{received}"
    );
    let poll = get(
        &server,
        "/v1/messages/batches/msgbatch_mock_000001",
        Some(KEY),
    );
    assert_eq!(poll.status, 200);
    assert_eq!(poll.body, r#"{"id": "msgbatch_"#);
    // The mangled poll still counted: a second poll (an SSE step: normal answer) ends the batch.
    let missing = get(&server, "/v1/messages/batches/msgbatch_nope", Some(KEY));
    assert_eq!(missing.status, 404, "an error answer is sent as it is");
    let ended = get(
        &server,
        "/v1/messages/batches/msgbatch_mock_000001",
        Some(KEY),
    )
    .json();
    assert_eq!(ended["processing_status"], "ended");
}

#[test]
fn rate_limits_do_not_apply_to_batches() {
    let server = serve(MockConfig {
        rpm_limit: Some(1),
        itpm_limit: Some(1),
        ..MockConfig::default()
    });
    assert_eq!(post(&server, &request_body(false)).status, 200);
    assert_eq!(post(&server, &request_body(false)).status, 429);
    let created = create_batch(
        &server,
        vec![batch_request("a", params(&"long ".repeat(100)))],
    );
    assert_eq!(created.status, 200);
    assert!(
        created
            .header("anthropic-ratelimit-requests-limit")
            .is_none()
    );
}

#[test]
fn a_handler_that_panicked_fails_the_test_that_dropped_the_server() {
    let server = serve(MockConfig::default());
    let answered = agent()
        .get(format!(
            "{}{}",
            server.base_url(),
            super::routes::PANIC_PATH
        ))
        .call();
    assert!(answered.is_err(), "the connection dies with its handler");
    let dropped = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| drop(server)));
    let said = dropped.expect_err("dropping the server must panic");
    let said = said.downcast_ref::<String>().cloned().unwrap_or_default();
    assert!(said.contains("a handler panicked"), "{said}");
}

#[test]
fn sse_hold_sends_a_whole_reply_and_never_ends_the_body() {
    let server = scripted(&["sse-hold"]);
    let events = parse_sse(&read_a_body_that_never_ends(&server));
    assert_eq!(event_names(&events).last(), Some(&"message_stop"));
    assert_eq!(streamed_text(&events), ECHO);
}

#[test]
fn sse_cr_ends_lines_with_a_bare_cr_after_a_bom() {
    let server = scripted(&["sse-cr"]);
    let reply = post(&server, &request_body(true));
    assert_eq!(reply.status, 200);
    assert!(reply.body.starts_with("\u{FEFF}event: message_start\r"));
    assert!(!reply.body.contains('\n'));
    let as_lf = reply
        .body
        .trim_start_matches('\u{FEFF}')
        .replace('\r', "\n");
    assert_eq!(streamed_text(&parse_sse(&as_lf)), ECHO);
}

#[test]
fn sse_long_line_streams_one_data_line_of_the_given_size() {
    let server = scripted(&["sse-long-line=300000"]);
    let reply = post(&server, &request_body(true));
    assert_eq!(reply.status, 200);
    assert_eq!(
        reply.header("content-type"),
        Some("text/event-stream; charset=utf-8")
    );
    let (start, rest) = reply.body.split_once("\n\n").unwrap();
    assert!(start.starts_with("event: message_start\n"));
    let line = rest
        .strip_prefix("data: ")
        .unwrap()
        .strip_suffix("\n\n")
        .unwrap();
    assert_eq!(line.len(), 300_000);
    assert!(!line.contains(['\r', '\n']));
}

#[test]
fn huge_body_sends_that_many_bytes_with_its_status() {
    let server = scripted(&["huge-body=200000", "huge-body=10/200"]);
    let reply = post(&server, &request_body(false));
    assert_eq!(reply.status, 500);
    assert_eq!(reply.header("content-type"), Some("text/plain"));
    assert_eq!(reply.body.len(), 200_000);
    assert!(reply.body.starts_with("filler from the claude-rs fake API"));
    let reply = post(&server, &request_body(false));
    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("content-type"), Some("application/json"));
    assert_eq!(reply.body, "filler fro");
}

#[test]
fn huge_header_sends_one_header_of_that_size_then_the_answer() {
    let server = scripted(&["huge-header=100000", "huge-header=100"]);
    let error = send(&agent(), &server, &request_body(true)).unwrap_err();
    assert!(
        matches!(error, ureq::Error::LargeResponseHeader(_, _)),
        "{error}"
    );
    let reply = post(&server, &request_body(true));
    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("x-huge").map(str::len), Some(100));
    assert_eq!(reply.json()["content"][0]["text"], ECHO);
}

#[test]
fn html_200_is_a_sign_in_page_without_request_id() {
    let server = scripted(&["html-200"]);
    let reply = post(&server, &request_body(true));
    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("content-type"), Some("text/html"));
    assert!(reply.header("request-id").is_none());
    assert!(reply.body.contains("<title>Sign in to continue</title>"));
}

#[test]
fn two_clients_share_the_servers_bucket() {
    // One a minute, a bucket of one: whoever comes second waits, whichever
    // connection (or process) it comes from.
    let server = serve(MockConfig {
        rpm_limit: Some(1),
        rpm_burst: Some(1),
        ..MockConfig::default()
    });
    let first = post_with(&agent(), &server, &request_body(false));
    assert_eq!(first.status, 200);
    let second = post_with(&agent(), &server, &request_body(false));
    assert_eq!(second.status, 429);
    let retry_after: u64 = second.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=60).contains(&retry_after), "{retry_after}");
    assert_eq!(
        second.header("anthropic-ratelimit-requests-remaining"),
        Some("0")
    );
    assert_eq!(server.connections(), 2, "two clients, two connections");
    assert_eq!(server.shared.steps_served(), 1);
}

#[test]
fn a_scripted_429_lands_on_the_chosen_request_inside_the_limits() {
    let server = serve(MockConfig {
        script: parse_script("ok*20,429:retry-after=1").unwrap(),
        rpm_limit: Some(60_000),
        rpm_burst: Some(100),
        ..MockConfig::default()
    });
    let agent = agent();
    let statuses: Vec<u16> = (0..22)
        .map(|_| post_with(&agent, &server, &request_body(false)).status)
        .collect();
    let mut expected = vec![200; 22];
    expected[20] = 429;
    assert_eq!(statuses, expected);
    let requests = server.message_requests();
    assert_eq!(requests.len(), 22);
    let stray = serve(MockConfig {
        script: parse_script("429:retry-after=1").unwrap(),
        rpm_limit: Some(1200),
        rpm_burst: Some(1),
        ..MockConfig::default()
    });
    let refused = post(&stray, &request_body(false));
    assert_api_error(
        &refused,
        429,
        "rate_limit_error",
        "Number of requests has exceeded your per-minute rate limit",
    );
    assert_eq!(refused.header("retry-after"), Some("1"));
    assert_eq!(
        refused.header("anthropic-ratelimit-requests-limit"),
        Some("1200"),
        "the injected 429 carries the bucket's headers"
    );
    assert!(
        refused
            .header("anthropic-ratelimit-requests-reset")
            .is_some()
    );
}

fn body_with_max_tokens(max_tokens: u64) -> Value {
    json!({
        "model": "claude-sonnet-4-6",
        "max_tokens": max_tokens,
        "messages": [{"role": "user", "content": "hello"}]
    })
}

#[test]
fn output_tokens_are_estimated_from_max_tokens_then_settled() {
    let server = serve(MockConfig {
        otpm_limit: Some(100),
        ..MockConfig::default()
    });
    let agent = agent();
    let first = post_with(&agent, &server, &body_with_max_tokens(60));
    assert_eq!(first.status, 200);
    // Charged the estimate when admitted: what the real API reports.
    assert_eq!(
        first.header("anthropic-ratelimit-output-tokens-remaining"),
        Some("40")
    );
    assert_eq!(
        first.header("anthropic-ratelimit-output-tokens-limit"),
        Some("100")
    );
    assert_eq!(
        first.header("anthropic-ratelimit-tokens-limit"),
        Some("100")
    );
    assert_eq!(
        first.header("anthropic-ratelimit-tokens-remaining"),
        Some("40")
    );
    assert!(
        first
            .header("anthropic-ratelimit-output-tokens-reset")
            .is_some()
    );
    assert!(first.header("anthropic-ratelimit-requests-limit").is_none());
    // 40 left would refuse another 60: admitted only because the first
    // reply's unused tokens came back.
    let second = post_with(&agent, &server, &body_with_max_tokens(60));
    assert_eq!(second.status, 200);
    // A request as large as the bucket needs it full; two replies are out.
    let refused = post_with(&agent, &server, &body_with_max_tokens(100));
    assert_api_error(
        &refused,
        429,
        "rate_limit_error",
        "Number of output tokens has exceeded your per-minute rate limit",
    );
    assert!(refused.header("retry-after").is_some());
}
