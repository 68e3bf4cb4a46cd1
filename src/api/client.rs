//! The HTTP client: one ureq agent, reused for keep-alive, that turns every
//! attempt into a `Reply` or a classified failure. Nothing above this module
//! sees a ureq error.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read, Seek, SeekFrom};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock, mpsc};
use std::thread;
use std::time::{Duration, Instant, SystemTime};

use serde::de::DeserializeOwned;
use serde_json::Value;
use ureq::http::{HeaderMap, Method, Request, Response};
use ureq::{Agent, AsSendBody, BodyReader};

use super::batches::{BatchAnswer, BatchPage, MessageBatch};
use super::network::Network;
use super::sse::SseDecoder;
use super::stream::{MAX_REPLY_BYTES, StreamAssembler};
use super::types::{Message, MessageParams};
use crate::api::transport::{classify_body_read, classify_transport_to, size_text, unreadable};
use crate::config::base_url::BaseUrl;
use crate::diagnose::probe::handshake::IssuerProbe;
use crate::resilience::classify::{ResponseMeta, classify_response};
use crate::resilience::{AttemptFailure, Category, Cause, Failure};
use crate::secret::{ApiKey, scrub};

pub const ANTHROPIC_VERSION: &str = "2023-06-01";
const USER_AGENT: &str = concat!("claude-rs/", env!("CARGO_PKG_VERSION"));
const JSON: &str = "application/json";
/// Error bodies are small; a larger one is a proxy's page and is cut.
const ERROR_BODY_LIMIT: u64 = 1024 * 1024;
/// The API's response heads are a few KB; past this one is refused
/// (`invalid_response`) rather than buffered.
const MAX_RESPONSE_HEADER_BYTES: usize = 64 * 1024;
/// What may follow `message_stop` before the body ends; the API sends none.
const AFTER_STOP_LIMIT: u64 = 64 * 1024;
/// Bodies being read to their end after `message_stop` at once (see
/// `finish_body`); past this a body is dropped instead.
const MAX_FINISHING: usize = 8;
/// How long a whole reply waits for its body to end: the API's end follows
/// `message_stop` within a round trip; a server holding the body open costs
/// no more than this.
const AFTER_STOP_WAIT: Duration = Duration::from_millis(250);
/// A batch object is under 1 KB and a list page of 1,000 under 1 MB.
const BATCH_ANSWER_LIMIT: u64 = 16 * 1024 * 1024;
/// One line of a batch's results is one message (at most 128k output tokens,
/// well under this); a longer "line" is a broken download, not a result.
const MAX_RESULT_LINE_BYTES: u64 = 64 * 1024 * 1024;

#[derive(Clone, Debug)]
pub struct ClientSettings {
    /// scheme://host[:port], without `/v1`.
    pub base_url: String,
    pub api_key: ApiKey,
    pub connect_timeout: Duration,
    /// No progress for this long fails the attempt (headers or body).
    pub stall_timeout: Duration,
    /// Requests this client may have in flight at once (batch workers): the
    /// pool keeps that many connections alive instead of ureq's default 3.
    pub max_connections: usize,
    /// The proxy and the trusted roots.
    pub network: Network,
}

/// Model ids read from one page of the models list: the API lists a few dozen.
const MAX_MODEL_IDS: usize = 1000;
/// Pages of the models list followed: a real list fits in one.
const MAX_MODEL_PAGES: usize = 5;

/// A 2xx response with its head read, and its status.
type Head = (Response<ureq::Body>, ResponseMeta, u16);

/// Receives request and response metadata for `--verbose`. Never the key.
pub type Trace = Box<dyn Fn(&str) + Send + Sync>;

/// A request as this client sends it (`Client::outgoing`), without its body.
#[derive(Debug)]
pub struct Outgoing<'a> {
    pub method: Method,
    pub url: String,
    /// Every header this client sets, in the order it sets them.
    pub headers: Vec<(&'static str, Header<'a>)>,
}

/// A header's value; the key stays an `ApiKey` until it is sent.
#[derive(Clone, Copy, Debug)]
pub enum Header<'a> {
    Text(&'a str),
    Key(&'a ApiKey),
}

impl<'a> Header<'a> {
    fn expose(self) -> &'a str {
        match self {
            Header::Text(text) => text,
            Header::Key(key) => key.expose(),
        }
    }
}

impl Outgoing<'_> {
    /// The headers ureq adds on its own to a body of `body_bytes` (ureq 3
    /// with its `gzip` feature, as built here): the rest of the request head.
    pub fn added_by_ureq(&self, body_bytes: Option<usize>) -> Vec<(&'static str, String)> {
        // The URL's authority, as http's request target has it.
        let after_scheme = self.url.split_once("://").map_or("", |(_, rest)| rest);
        let host = after_scheme
            .split(['/', '?'])
            .next()
            .unwrap_or("")
            .to_string();
        let mut added = vec![("host", host), ("accept-encoding", "gzip".to_string())];
        if !self.headers.iter().any(|(name, _)| *name == "accept") {
            added.push(("accept", "*/*".to_string()));
        }
        if let Some(bytes) = body_bytes {
            added.push(("content-length", bytes.to_string()));
        }
        added
    }
}

/// A successful call: the whole message and what the response said about itself.
#[derive(Clone, Debug)]
pub struct Reply {
    pub message: Message,
    pub request_id: Option<String>,
    /// The `anthropic-ratelimit-*` headers, as sent.
    pub rate_limits: Vec<(String, String)>,
}

/// What one `GET` of the models endpoint said about itself, whatever its
/// status: `doctor` reports the status, the time and the headers as well as
/// the answer.
#[derive(Clone, Debug)]
pub struct ModelsResponse {
    pub status: u16,
    /// From sending the request to having the whole body.
    pub elapsed: Duration,
    /// When the headers arrived, by the local clock: the moment `date` describes.
    pub received_at: SystemTime,
    pub request_id: Option<String>,
    /// The `date` header, as sent.
    pub date: Option<String>,
    /// The `anthropic-ratelimit-*` headers, as sent.
    pub rate_limits: Vec<(String, String)>,
    /// The model ids on a 200 (one, for a single model); the classified
    /// failure otherwise.
    pub outcome: Result<Vec<String>, Failure>,
}

pub struct Client {
    agent: Agent,
    base_url: String,
    /// `None` only for `doctor`'s probe of whether the API answers at all.
    api_key: Option<ApiKey>,
    /// `host:port` of the proxy this client goes through, for failure messages.
    proxy: Option<String>,
    /// Names the issuer of the certificate presented when TLS fails.
    tls_probe: IssuerProbe,
    trace: Option<Trace>,
    /// The `anthropic-beta` header's value (`--beta`), if any.
    betas: Option<String>,
}

impl Client {
    pub fn new(settings: &ClientSettings) -> Client {
        Client::build(
            &settings.base_url,
            Some(settings.api_key.clone()),
            settings.connect_timeout,
            settings.stall_timeout,
            settings.max_connections,
            &settings.network,
        )
    }

    /// A client that sends no key: the API must still answer (401), which
    /// tells a broken network from a broken key.
    pub fn without_key(
        base_url: &str,
        connect_timeout: Duration,
        stall_timeout: Duration,
        network: &Network,
    ) -> Client {
        Client::build(base_url, None, connect_timeout, stall_timeout, 1, network)
    }

    fn build(
        base_url: &str,
        api_key: Option<ApiKey>,
        connect_timeout: Duration,
        stall_timeout: Duration,
        max_connections: usize,
        network: &Network,
    ) -> Client {
        let base_url = base_url.trim_end_matches('/').to_string();
        let proxy = network.proxy_for(&base_url);
        let agent: Agent = Agent::config_builder()
            // Statuses are ours to classify: as errors, ureq would drop the
            // body and headers (retry-after, request-id) we need.
            .http_status_as_error(false)
            // The API never redirects. Following one would carry x-api-key to
            // wherever it points (and turn a POST into a GET without the
            // prompt): a 3xx comes back to be classified as the failure it is.
            .max_redirects(0)
            // A resolver that never answers must not outlive --connect-timeout.
            .timeout_resolve(Some(connect_timeout))
            .timeout_connect(Some(connect_timeout))
            // Re-armed on every read: a long reply that keeps streaming lives,
            // a server that goes silent dies. A total timeout would kill both.
            .timeout_per_read(Some(stall_timeout))
            .timeout_per_write(Some(stall_timeout))
            .proxy(proxy.as_ref().map(|p| p.to_ureq()))
            .tls_config(network.trust.tls_config())
            .max_idle_connections_per_host(max_connections.max(3))
            .max_idle_connections(max_connections.max(10))
            .user_agent(USER_AGENT)
            // ureq's default too, set here because docs/errors.md documents it.
            .max_response_header_size(MAX_RESPONSE_HEADER_BYTES)
            .build()
            .into();
        let tls_probe = IssuerProbe::new(
            &base_url,
            proxy.clone(),
            network.trust.clone(),
            connect_timeout,
        );
        Client {
            agent,
            base_url,
            api_key,
            proxy: proxy.map(|p| p.name()),
            tls_probe,
            trace: None,
            betas: network.betas.clone(),
        }
    }

    pub fn with_trace(mut self, trace: Trace) -> Client {
        self.trace = Some(trace);
        self
    }

    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// One API request, with what every request carries (see `outgoing`).
    /// `timeout` bounds the whole call, besides the stall timeout of each read.
    fn send(
        &self,
        method: Method,
        url: &str,
        accept: Option<&str>,
        timeout: Option<Duration>,
        body: impl AsSendBody,
    ) -> Result<Response<ureq::Body>, ureq::Error> {
        let outgoing = self.outgoing(method, url, accept);
        let request = outgoing.headers.iter().fold(
            Request::builder()
                .method(outgoing.method.clone())
                .uri(&outgoing.url),
            |r, (name, value)| r.header(*name, value.expose()),
        );
        let request = self.agent.configure_request(request.body(body)?);
        self.agent.run(request.timeout_global(timeout).build())
    }

    /// The request `send` makes, as data: what every request carries (the
    /// API version, `--beta`, the key when this client has one; a POST's body
    /// is JSON). `--dry-run` prints this, so what it shows is what is sent.
    pub fn outgoing<'a>(
        &'a self,
        method: Method,
        url: &str,
        accept: Option<&'a str>,
    ) -> Outgoing<'a> {
        let json = (method == Method::POST).then_some(JSON);
        let headers = [
            ("user-agent", Some(Header::Text(USER_AGENT))),
            ("anthropic-version", Some(Header::Text(ANTHROPIC_VERSION))),
            ("anthropic-beta", self.betas.as_deref().map(Header::Text)),
            ("x-api-key", self.api_key.as_ref().map(Header::Key)),
            ("content-type", json.map(Header::Text)),
            ("accept", accept.map(Header::Text)),
        ];
        Outgoing {
            method,
            url: url.to_string(),
            headers: headers
                .into_iter()
                .filter_map(|(name, value)| Some((name, value?)))
                .collect(),
        }
    }

    /// `POST /v1/messages` for `params` as `create_message` sends it: always
    /// streamed on the wire, so that the stall timeout can tell a long answer
    /// from a dead server.
    pub fn message_request(&self, params: &MessageParams) -> (Outgoing<'_>, Vec<u8>) {
        let url = format!("{}/v1/messages", self.base_url);
        let outgoing = self.outgoing(Method::POST, &url, Some("text/event-stream"));
        (outgoing, params.to_body(true))
    }

    /// `POST /v1/messages/batches` as `create_batch` sends it (its body is
    /// the batch's JSON, built from a file).
    pub fn batch_create_request(&self) -> Outgoing<'_> {
        let url = format!("{}/v1/messages/batches", self.base_url);
        self.outgoing(Method::POST, &url, Some(JSON))
    }

    /// A failure to send or to get the response's head. A TLS failure gets
    /// one probe handshake of our own, to name the certificate's issuer.
    fn transport_failure(&self, error: ureq::Error) -> Failure {
        let subject = Some(self.tls_probe.subject());
        let failure = classify_transport_to(error, self.proxy.as_deref(), subject);
        match failure.cause {
            Some(Cause::Tls) => self.tls_probe.explain(failure),
            _ => failure,
        }
    }

    fn trace(&self, line: impl FnOnce() -> String) {
        if let Some(trace) = &self.trace {
            trace(&scrub(&line()));
        }
    }

    /// One attempt at `POST /v1/messages` (see `message_request`). `on_text`
    /// gets each piece of reply text as it arrives.
    pub fn create_message(
        &self,
        params: &MessageParams,
        deadline_at: Option<Instant>,
        on_text: &mut dyn FnMut(&str),
    ) -> Result<Reply, AttemptFailure> {
        let (outgoing, body) = self.message_request(params);
        let timeout = remaining(deadline_at)?;
        let (url, bytes, model) = (&outgoing.url, body.len(), params.model());
        self.trace(|| format!("> POST {url} ({bytes} bytes, model {model}, stream)"));
        let started = Instant::now();
        let accept = Some("text/event-stream");
        let (response, meta, status) =
            self.exchange(Method::POST, url, accept, timeout, &body[..])?;
        let rate_limits = rate_limit_headers(response.headers());
        let is_event_stream = meta
            .content_type
            .as_deref()
            .is_some_and(|t| t.starts_with("text/event-stream"));
        let read = if is_event_stream {
            self.read_stream(response, &meta, on_text)
        } else {
            self.read_json_message(response, &meta)
                .inspect(|message| on_text(&message.text()))
                .map_err(AttemptFailure::from)
        };
        // The head arrived, whatever broke after it: the log and --json show it.
        let message = read.map_err(|failed| AttemptFailure {
            failure: after_head(failed.failure, meta.request_id.as_deref(), status),
            ..failed
        })?;
        let ms = started.elapsed().as_millis();
        let stop = message.stop_reason.as_deref().unwrap_or("none");
        let (input, output) = (message.usage.input_tokens, message.usage.output_tokens);
        self.trace(|| {
            format!("< done in {ms} ms: stop_reason {stop}, {input} input / {output} output tokens")
        });
        Ok(Reply {
            message,
            request_id: meta.request_id,
            rate_limits,
        })
    }

    /// `send`, and a 2xx response with its head read, or the classified
    /// failure: no response at all, or an error status with its body.
    fn exchange(
        &self,
        method: Method,
        url: &str,
        accept: Option<&str>,
        timeout: Option<Duration>,
        body: impl AsSendBody,
    ) -> Result<Head, AttemptFailure> {
        let started = Instant::now();
        let sent = self.send(method, url, accept, timeout, body);
        let response = sent.map_err(|e| AttemptFailure::from(self.transport_failure(e)))?;
        self.trace(|| {
            let headers = response.headers();
            let (status, ms) = (response.status().as_u16(), started.elapsed().as_millis());
            let mut line = format!("< HTTP {status} in {ms} ms");
            let named =
                "request-id content-type retry-after retry-after-ms x-should-retry location";
            let named = named
                .split(' ')
                .filter_map(|name| Some((name.to_string(), header(headers, name)?)));
            for (name, value) in named.chain(rate_limit_headers(headers)) {
                line.push_str(&format!("\n<   {name}: {value}"));
            }
            line
        });
        let meta = response_meta(response.headers());
        let status = response.status().as_u16();
        if !(200..300).contains(&status) {
            return Err(self.read_error(response, status, &meta).into());
        }
        Ok((response, meta, status))
    }

    fn read_error(
        &self,
        response: Response<ureq::Body>,
        status: u16,
        meta: &ResponseMeta,
    ) -> Failure {
        // A body we cannot read, or read whole, still leaves the status and
        // what did arrive to classify by; the message says how it ended.
        let (body, end) = read_up_to(response.into_body(), ERROR_BODY_LIMIT);
        let mut failure = classify_response(status, meta, &body, SystemTime::now());
        match end {
            BodyEnd::Whole => {}
            BodyEnd::OverLimit => {
                let limit = size_text(ERROR_BODY_LIMIT);
                failure.message += &format!(" (only the first {limit} of a longer body was read)");
            }
            BodyEnd::Broken(error) => {
                let broke = classify_body_read(error, self.proxy.as_deref()).message;
                let bytes = body.len();
                failure.message += &format!(" (the body broke off after {bytes} bytes: {broke})");
            }
        }
        failure
    }

    /// A whole 2xx body of at most `limit` bytes; past the limit, an
    /// `invalid_response` naming it, since no answer we expect is that large.
    fn read_whole(&self, body: ureq::Body, limit: u64, what: &str) -> Result<Vec<u8>, Failure> {
        match read_up_to(body, limit) {
            (bytes, BodyEnd::Whole) => Ok(bytes),
            (_, BodyEnd::OverLimit) => Err(unreadable(format!(
                "{what} is over {}, more than any answer the API sends: reading stopped at that bound",
                size_text(limit)
            ))),
            (_, BodyEnd::Broken(error)) => Err(stream_cut(error, self.proxy.as_deref())),
        }
    }

    fn read_stream(
        &self,
        response: Response<ureq::Body>,
        meta: &ResponseMeta,
        on_text: &mut dyn FnMut(&str),
    ) -> Result<Message, AttemptFailure> {
        let request_id = meta.request_id.as_deref();
        let reader = BufReader::with_capacity(16 * 1024, response.into_body().into_reader());
        let mut decoder = SseDecoder::new(reader);
        let mut assembler = StreamAssembler::new();
        let read = loop {
            let event = match decoder.next_event() {
                Ok(Some(event)) => event,
                Ok(None) => break assembler.finish(request_id),
                Err(error)
                    if error.kind() == io::ErrorKind::InvalidData
                        && error
                            .get_ref()
                            .is_none_or(|inner| !inner.is::<ureq::Error>()) =>
                {
                    break Err(unreadable(error.to_string()));
                }
                Err(error) => {
                    break Err(stream_cut(error, self.proxy.as_deref()));
                }
            };
            match assembler.apply(&event, request_id) {
                Ok(Some(text)) => on_text(&text),
                Ok(None) => {}
                Err(failure) => break Err(failure),
            }
            // The reply is whole: a server that keeps the body open after
            // message_stop must not hold it back until the stall timeout.
            if assembler.is_complete() {
                finish_body(decoder.into_inner());
                break assembler.finish(request_id);
            }
        };
        read.map_err(|failure| {
            let text = assembler.text_so_far();
            let partial = (!text.is_empty()).then(|| text.to_string());
            AttemptFailure {
                partial,
                ..failure.into()
            }
        })
    }

    fn read_json_message(
        &self,
        response: Response<ureq::Body>,
        meta: &ResponseMeta,
    ) -> Result<Message, Failure> {
        let limit = MAX_REPLY_BYTES as u64;
        let body = self.read_whole(response.into_body(), limit, "the message body")?;
        serde_json::from_slice::<Message>(&body)
            .map(Message::scrubbed)
            .map_err(|e| {
                // A sign-in or error page sent with 200 is a proxy's, and is
                // described as the same page with an error status would be.
                let page = classify_response(200, meta, &body, SystemTime::now());
                if page.cause == Some(Cause::HtmlPage) {
                    return page;
                }
                unreadable(format!(
                    "the response is not the message JSON the API documents ({e})"
                ))
            })
    }

    /// `GET /v1/models`: free and authenticated. Used to name the models that
    /// exist when one was not found.
    /// Follows `has_more` / `last_id` through at most `MAX_MODEL_PAGES` pages.
    pub fn list_models(&self, timeout: Duration) -> Result<Vec<String>, Failure> {
        let mut ids = Vec::new();
        let mut after = String::new();
        for _ in 0..MAX_MODEL_PAGES {
            let url = format!("{}/v1/models?limit=1000{after}", self.base_url);
            let page = self.get_value(&url, timeout, "models list")?;
            ids.extend(model_ids(&page));
            let (Some(true), Some(last)) = (page["has_more"].as_bool(), page["last_id"].as_str())
            else {
                break;
            };
            after = format!("&after_id={}", path_segment(last));
        }
        Ok(ids)
    }

    /// `GET /v1/models/{id}`: the model object, with its limits and capabilities.
    pub fn model_info(&self, id: &str, timeout: Duration) -> Result<Value, Failure> {
        let url = format!("{}/v1/models/{}", self.base_url, path_segment(id));
        self.get_value(&url, timeout, "model")
    }

    /// `GET url` for any JSON, bounded by `timeout`.
    fn get_value(&self, url: &str, timeout: Duration, what: &str) -> Result<Value, Failure> {
        self.json_call(Method::GET, url, Some(timeout), (), what)
            .map(|answer| answer.value)
            .map_err(|failed| failed.failure)
    }

    /// `POST /v1/messages/count_tokens` (free): the request's input tokens.
    /// Its body is the request's model, system and messages: no max_tokens.
    pub fn count_tokens(
        &self,
        params: &MessageParams,
        timeout: Duration,
    ) -> Result<u64, AttemptFailure> {
        let mut body = params.as_map().clone();
        body.retain(|key, _| matches!(key.as_str(), "model" | "system" | "messages"));
        let url = format!("{}/v1/messages/count_tokens", self.base_url);
        let body = serde_json::to_vec(&body).unwrap_or_default();
        let answer: BatchAnswer<Value> =
            self.json_call(Method::POST, &url, Some(timeout), &body[..], "token count")?;
        let problem = "the token count answer has no input_tokens number";
        let failure = Failure::new(Category::InvalidResponse, problem);
        answer.value["input_tokens"].as_u64().ok_or(failure.into())
    }

    /// `GET /v1/models` (all of them), or `GET /v1/models/{id}` for one: the
    /// way to find an alias the list does not show. `Err` is a transport
    /// failure (no response at all); any status is an `Ok` whose `outcome`
    /// holds the classified failure.
    pub fn get_models(
        &self,
        model: Option<&str>,
        timeout: Duration,
    ) -> Result<ModelsResponse, Failure> {
        let url = match model {
            Some(id) => format!("{}/v1/models/{}", self.base_url, path_segment(id)),
            None => format!("{}/v1/models?limit=1000", self.base_url),
        };
        let started = Instant::now();
        let response = self
            .send(Method::GET, &url, None, Some(timeout), ())
            .map_err(|e| self.transport_failure(e))?;
        let received_at = SystemTime::now();
        let headers = response.headers();
        let meta = response_meta(headers);
        let date = header(headers, "date");
        let rate_limits = rate_limit_headers(headers);
        let status = response.status().as_u16();
        let outcome = if status == 200 {
            self.read_json_answer::<Value>((response, meta.clone(), status), "models list")
                .map(|answer| model_ids(&answer.value))
                .map_err(|failed| failed.failure)
        } else {
            Err(self.read_error(response, status, &meta))
        };
        Ok(ModelsResponse {
            status,
            elapsed: started.elapsed(),
            received_at,
            request_id: meta.request_id,
            date,
            rate_limits,
            outcome,
        })
    }

    /// `POST /v1/messages/batches` with the JSON body held in `body`, sent
    /// from its start with its length (ureq takes a file's length from its
    /// metadata), so that a 256 MB batch never sits in memory. Not idempotent:
    /// the caller decides whether a failure may be retried
    /// (`Failure::proves_nothing_was_done`).
    pub fn create_batch(&self, body: &File) -> Result<BatchAnswer<MessageBatch>, AttemptFailure> {
        let mut body = body;
        // Each attempt sends the whole file again. Rewinding a regular file
        // cannot fail in practice; if it did, nothing was sent.
        if let Err(e) = body.seek(SeekFrom::Start(0)) {
            let problem =
                format!("could not read the batch body back from its temporary file: {e}");
            return Err(Failure::new(Category::InvalidRequest, problem).into());
        }
        let url = self.batch_create_request().url;
        self.trace(|| {
            let bytes = body.metadata().map(|m| m.len()).unwrap_or(0);
            format!("> POST {url} ({bytes} bytes)")
        });
        let head = self.exchange(Method::POST, &url, Some(JSON), None, body)?;
        self.read_json_answer(head, "create batch")
    }

    /// `GET /v1/messages/batches/{id}`: one poll.
    pub fn get_batch(&self, id: &str) -> Result<BatchAnswer<MessageBatch>, AttemptFailure> {
        let url = format!("{}/v1/messages/batches/{}", self.base_url, path_segment(id));
        self.json_call(Method::GET, &url, None, (), "batch")
    }

    /// `POST /v1/messages/batches/{id}/cancel`. Cancelling twice changes
    /// nothing, so unlike the create it may be retried after any failure.
    pub fn cancel_batch(&self, id: &str) -> Result<BatchAnswer<MessageBatch>, AttemptFailure> {
        let id = path_segment(id);
        let url = format!("{}/v1/messages/batches/{id}/cancel", self.base_url);
        self.json_call(Method::POST, &url, None, &[][..], "cancel batch")
    }

    /// `GET /v1/messages/batches?limit=N`: the newest batches first.
    pub fn list_batches(&self, limit: u32) -> Result<BatchAnswer<BatchPage>, AttemptFailure> {
        let url = format!("{}/v1/messages/batches?limit={limit}", self.base_url);
        self.json_call(Method::GET, &url, None, (), "batch list")
    }

    /// A batches, Models or token-count call whose answer is JSON.
    fn json_call<T: DeserializeOwned>(
        &self,
        method: Method,
        url: &str,
        timeout: Option<Duration>,
        body: impl AsSendBody,
        what: &str,
    ) -> Result<BatchAnswer<T>, AttemptFailure> {
        self.trace(|| format!("> {method} {url}"));
        let head = self.exchange(method, url, Some(JSON), timeout, body)?;
        self.read_json_answer(head, what)
    }

    /// Opens an ended batch's results (JSONL) for reading line by line.
    /// `results_url` is absolute; the key goes only to the base URL's own
    /// host, so a `results_url` elsewhere (a gateway in ANTHROPIC_BASE_URL
    /// that passes the API's URL through) is replaced by the documented path
    /// on the base URL.
    pub fn batch_results(&self, batch: &MessageBatch) -> Result<ResultLines, AttemptFailure> {
        let url = match batch.results_url.as_deref() {
            Some(url) if same_origin(url, &self.base_url) => url.to_string(),
            _ => format!(
                "{}/v1/messages/batches/{}/results",
                self.base_url,
                path_segment(&batch.id)
            ),
        };
        self.trace(|| format!("> GET {url}"));
        let (response, meta, status) = self.exchange(Method::GET, &url, None, None, ())?;
        Ok(ResultLines {
            reader: BufReader::with_capacity(64 * 1024, response.into_body().into_reader()),
            proxy: self.proxy.clone(),
            status,
            request_id: meta.request_id,
        })
    }

    /// The JSON answer in a 2xx response's body, or the classified failure.
    fn read_json_answer<T: DeserializeOwned>(
        &self,
        (response, meta, status): Head,
        what: &str,
    ) -> Result<BatchAnswer<T>, AttemptFailure> {
        let request_id = meta.request_id.as_deref();
        let with_request_id =
            |failure| AttemptFailure::from(after_head(failure, request_id, status));
        let answer = format!("the {what} answer");
        let read = self.read_whole(response.into_body(), BATCH_ANSWER_LIMIT, &answer);
        let bytes = read.map_err(with_request_id)?;
        let unreadable = |problem: String| {
            let problem = format!("{answer} is not the JSON the API documents ({problem})");
            with_request_id(unreadable(problem))
        };
        let body = String::from_utf8(bytes).map_err(|e| unreadable(e.to_string()))?;
        let value = serde_json::from_str::<T>(&body).map_err(|e| unreadable(e.to_string()))?;
        Ok(BatchAnswer {
            value,
            body,
            request_id: meta.request_id,
        })
    }
}

/// A batch's results as they download: one JSONL line at a time, never the
/// whole file in memory.
pub struct ResultLines {
    reader: BufReader<BodyReader<'static>>,
    proxy: Option<String>,
    /// The success status the download came with, for its failures.
    status: u16,
    pub request_id: Option<String>,
}

impl ResultLines {
    /// Reads the next line into `line`, without its line ending; `false` at
    /// the end. A cut connection or a stall is the classified failure.
    pub fn next_line(&mut self, line: &mut Vec<u8>) -> Result<bool, Failure> {
        line.clear();
        let read = (&mut self.reader)
            .take(MAX_RESULT_LINE_BYTES)
            .read_until(b'\n', line)
            .map_err(|e| stream_cut(e, self.proxy.as_deref()))
            .map_err(|failure| after_head(failure, self.request_id.as_deref(), self.status))?;
        if read == 0 {
            return Ok(false);
        }
        if line.last() == Some(&b'\n') {
            line.pop();
            if line.last() == Some(&b'\r') {
                line.pop();
            }
        } else if read as u64 == MAX_RESULT_LINE_BYTES {
            let problem = "a line of the batch results is over 64 MB: the download is damaged";
            return Err(after_head(
                unreadable(problem),
                self.request_id.as_deref(),
                self.status,
            ));
        }
        Ok(true)
    }
}

/// A failure to read a response whose head arrived: it carries the head's
/// status, and its request id unless it names its own.
fn after_head(mut failure: Failure, request_id: Option<&str>, status: u16) -> Failure {
    failure.request_id = failure.request_id.or(request_id.map(str::to_string));
    failure.http_status.get_or_insert(status);
    failure
}

/// How reading a body ended.
enum BodyEnd {
    Whole,
    /// More than the limit was there; only the limit was kept.
    OverLimit,
    /// The connection broke or stalled; what arrived before is kept.
    Broken(io::Error),
}

/// Up to `limit` bytes of a body. ureq's own limit fails without the bytes
/// it read, and `into_reader` has none: a body is bounded here.
fn read_up_to(body: ureq::Body, limit: u64) -> (Vec<u8>, BodyEnd) {
    let mut bytes = Vec::new();
    let read = body
        .into_reader()
        .take(limit.saturating_add(1))
        .read_to_end(&mut bytes);
    let end = match read {
        Err(error) => BodyEnd::Broken(error),
        Ok(_) if bytes.len() as u64 > limit => {
            bytes.truncate(limit as usize);
            BodyEnd::OverLimit
        }
        Ok(_) => BodyEnd::Whole,
    };
    (bytes, end)
}

/// After `message_stop` the API ends the body at once, and reading that end
/// hands the connection back to the pool for the next call. A server that
/// keeps the body open must not hold a whole reply back, so the end is read
/// by a reader thread and awaited for `AFTER_STOP_WAIT` only; the reader goes
/// on until the body ends, the stall timeout or `AFTER_STOP_LIMIT` bytes.
/// The readers are kept and reused (a thread each call would cost a batch a
/// third of its pace); one starts when a body finds none idle, up to
/// `MAX_FINISHING` (a one-shot `ask` starts one, not all). When all are busy
/// and as many bodies wait, the body is dropped, which costs only the
/// connection.
fn finish_body(body: impl Read + Send + 'static) {
    static READERS: OnceLock<EndReaders> = OnceLock::new();
    let (ended, end) = mpsc::sync_channel(1);
    if READERS
        .get_or_init(EndReaders::new)
        .hand_over(Box::new(body), ended)
    {
        let _ = end.recv_timeout(AFTER_STOP_WAIT);
    }
}

type EndJob = (Box<dyn Read + Send>, mpsc::SyncSender<()>);

/// The threads that read bodies to their end, one pool for the process:
/// they live as long as it does, and take turns waiting for the next body.
struct EndReaders {
    // Room for as many bodies as there are readers: a reply never waits for
    // a reader to come back to the queue (a rendezvous dropped four in ten).
    jobs: mpsc::SyncSender<EndJob>,
    queue: Arc<Mutex<mpsc::Receiver<EndJob>>>,
    idle: Arc<AtomicUsize>,
    started: AtomicUsize,
}

impl EndReaders {
    fn new() -> EndReaders {
        let (jobs, queue) = mpsc::sync_channel(MAX_FINISHING);
        EndReaders {
            jobs,
            queue: Arc::new(Mutex::new(queue)),
            idle: Arc::new(AtomicUsize::new(0)),
            started: AtomicUsize::new(0),
        }
    }

    /// Queues `body` for a reader; `false` when it was dropped instead.
    fn hand_over(&self, body: Box<dyn Read + Send>, ended: mpsc::SyncSender<()>) -> bool {
        let more = |n: usize| (n < MAX_FINISHING).then_some(n + 1);
        if self.idle.load(Ordering::SeqCst) == 0
            && self
                .started
                .fetch_update(Ordering::SeqCst, Ordering::SeqCst, more)
                .is_ok()
        {
            let (queue, idle) = (Arc::clone(&self.queue), Arc::clone(&self.idle));
            let _ = thread::Builder::new()
                .name("body-end".to_string())
                .spawn(move || {
                    loop {
                        idle.fetch_add(1, Ordering::SeqCst);
                        let job = queue.lock().unwrap_or_else(|e| e.into_inner()).recv();
                        idle.fetch_sub(1, Ordering::SeqCst);
                        let Ok((body, ended)) = job else { return };
                        let _ = io::copy(&mut body.take(AFTER_STOP_LIMIT), &mut io::sink());
                        let _ = ended.try_send(());
                    }
                });
        }
        self.jobs.try_send((body, ended)).is_ok()
    }
}

/// The ids of a model list (`data[].id`) or of one model object (`id`). Only
/// ids a model id could be, and no more of them than a real list holds: they
/// are quoted in "Did you mean" and compared one by one, so a hostile list of
/// a million ids, or one id of megabytes, must cost neither time nor a
/// screenful of junk.
pub fn model_ids(body: &Value) -> Vec<String> {
    let plausible = |id: &&str| crate::api::models::malformed_model_id(id).is_none();
    let listed = match body["id"].as_str() {
        Some(id) => vec![id],
        None => body["data"].as_array().map_or_else(Vec::new, |models| {
            models.iter().filter_map(|m| m["id"].as_str()).collect()
        }),
    };
    listed
        .into_iter()
        .filter(plausible)
        .take(MAX_MODEL_IDS)
        .map(str::to_string)
        .collect()
}

/// Whether `url` is on the same scheme, host and port as `base`: the one
/// base-URL parser decides.
fn same_origin(url: &str, base: &str) -> bool {
    BaseUrl::parse(base).is_ok_and(|base| base.url.same_origin(url))
}

/// A model id as one path segment: ids may hold `/`, `:` or `@` (Bedrock and
/// Vertex style), which must not split or end the path.
fn path_segment(id: &str) -> String {
    id.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                char::from(b).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The time left before the deadline, or the deadline failure if none is.
fn remaining(deadline_at: Option<Instant>) -> Result<Option<Duration>, AttemptFailure> {
    let left = deadline_at.map(|at| at.saturating_duration_since(Instant::now()));
    if left.is_some_and(|left| left.is_zero()) {
        let failure = Failure::new(Category::Timeout, "the call ran past its --deadline")
            .with_cause(Cause::Deadline);
        return Err(failure.into());
    }
    Ok(left)
}

/// A connection that breaks in the middle of a 200 reply is a cut stream:
/// reported as the network failure it is, or as an incomplete reply.
fn stream_cut(error: io::Error, proxy: Option<&str>) -> Failure {
    let failure = classify_body_read(error, proxy);
    match failure.cause {
        Some(Cause::Reset) => {
            let message = format!("the reply stream was cut: {}", failure.message);
            Failure { message, ..failure }
        }
        _ => failure,
    }
}

/// A header's value, scrubbed: a proxy may echo the key into any header,
/// and these values reach `--verbose`, failures and the log.
fn header(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(|v| scrub(v).into_owned())
}

fn response_meta(headers: &HeaderMap) -> ResponseMeta {
    ResponseMeta {
        request_id: header(headers, "request-id"),
        retry_after_ms: header(headers, "retry-after-ms"),
        retry_after: header(headers, "retry-after"),
        should_retry: header(headers, "x-should-retry"),
        content_type: header(headers, "content-type"),
        location: header(headers, "location"),
    }
}

fn rate_limit_headers(headers: &HeaderMap) -> Vec<(String, String)> {
    let mut found: Vec<(String, String)> = headers
        .iter()
        .filter(|(name, _)| name.as_str().starts_with("anthropic-ratelimit-"))
        .filter_map(|(name, value)| {
            Some((
                name.as_str().to_string(),
                scrub(value.to_str().ok()?).into_owned(),
            ))
        })
        .collect();
    found.sort();
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_key_goes_only_to_the_base_urls_own_host() {
        let base = "https://api.anthropic.com";
        assert!(same_origin(
            "https://api.anthropic.com/v1/messages/batches/b/results",
            base
        ));
        assert!(same_origin("https://API.anthropic.com:443/v1/x", base));
        assert!(!same_origin("https://evil.example/v1/x", base));
        assert!(!same_origin("http://api.anthropic.com/v1/x", base));
        assert!(!same_origin("https://api.anthropic.com:8443/v1/x", base));
        assert!(same_origin(
            "http://127.0.0.1:4000/v1/x",
            "http://127.0.0.1:4000"
        ));
        assert!(!same_origin("not a url", base));
    }

    #[test]
    fn a_model_id_stays_one_path_segment() {
        assert_eq!(path_segment("claude-sonnet-4-6"), "claude-sonnet-4-6");
        assert_eq!(
            path_segment("anthropic.claude-3-haiku-20240307-v1:0"),
            "anthropic.claude-3-haiku-20240307-v1%3A0"
        );
        assert_eq!(path_segment("a/b@c"), "a%2Fb%40c");
    }
}
