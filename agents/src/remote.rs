//! A model on an OpenAI-compatible server (llama.cpp's server,
//! llama-cpp-python's, vLLM, Ollama), local or remote, reached over HTTP or
//! HTTPS (certificates verified as the `tls` crate configures).
//!
//! Answers are streamed (`POST {url}/chat/completions` with `stream: true`,
//! read as server-sent events) so tokens reach the round's viewers as they
//! come and the round's deadline can cut an answer short exactly as it cuts
//! a local one: the text so far is kept and marked truncated. Stop strings
//! are sent to the server and also applied here with the local path's
//! scanner, so both trim and cut answers the same way.
//!
//! Sent from the agent's sampling: temperature, top_p, max_tokens, stop and
//! the seed (its low 31 bits, the range every server accepts). top_k and
//! repetition_penalty are not part of OpenAI's API, so the server's own
//! settings apply. A server that honours seeds (llama-cpp-python does)
//! repeats an answer for the same seed, so `arena verify` can replay it.
//!
//! Requests are retried with exponential backoff after a failed connection,
//! a 5xx or a 429, never after another 4xx or a timeout; each request is
//! bounded by the endpoint's timeout and by the round's deadline.

use std::io::{BufRead, BufReader};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::endpoint::Endpoint;
use crate::language_model::{Finish, Generation, Request};
use crate::stop_scanner::StopScanner;

/// The first wait before a retry; each further retry waits twice as long.
const FIRST_BACKOFF: Duration = Duration::from_millis(250);
/// Longest wait between two tries.
const MAX_BACKOFF: Duration = Duration::from_secs(8);
/// How much of an error body is quoted in messages.
const QUOTED_BODY_CHARS: usize = 300;

/// Why a request to the server failed. Each message names the URL asked.
#[derive(Debug, thiserror::Error)]
pub enum RemoteError {
    #[error(
        "the server at {url} is unreachable after {attempts} attempt(s): {message}. Start the server, or fix the endpoint's url"
    )]
    Unreachable {
        url: String,
        attempts: u32,
        message: String,
    },
    #[error("the server at {url} answered HTTP {status} after {attempts} attempt(s): {body}")]
    Status {
        url: String,
        status: u16,
        attempts: u32,
        body: String,
    },
    #[error(
        "the server at {url} sent no complete answer within {secs} s: raise the endpoint's timeout_secs, or use a faster server"
    )]
    Timeout { url: String, secs: u64 },
    #[error(
        "the server at {url} sent a reply that is not OpenAI's format ({message}): check that the url ends with the API's version, for example /v1"
    )]
    Protocol { url: String, message: String },
    #[error(
        "the server at {url} gives no log-probabilities ({detail}), and the judge reads its verdicts from them. Fix: start llama-cpp-python's server with --logits_all true, use a server that returns logprobs (vLLM does), or judge with a local model (--judge smollm2-135m)"
    )]
    NoLogprobs { url: String, detail: String },
    #[error(
        "environment variable {name}, named by the endpoint's api_key_env, is not set: export the API key in it"
    )]
    MissingKey { name: String },
    /// The server's certificate was refused; never retried.
    #[error("the server at {url} was refused: {message}")]
    Untrusted { url: String, message: String },
    /// The TLS configuration (a `--ca-file`) could not be made.
    #[error(transparent)]
    Tls(#[from] tls::TlsError),
}

/// One token of a text scored by the server, as `echo` returns it.
#[derive(Debug, Clone, PartialEq)]
pub struct TokenLogprob {
    /// Offset of the token in the text, in characters.
    pub offset: usize,
    /// The token's text.
    pub token: String,
    /// Its log-probability after the tokens before it; none for the first.
    pub logprob: Option<f64>,
}

/// A model served over HTTP. The API key, when there is one, is held here
/// only and sent only in the Authorization header; this type has no Debug.
pub struct RemoteModel {
    endpoint: Endpoint,
    model: String,
    api_key: Option<String>,
    client: reqwest::blocking::Client,
}

impl RemoteModel {
    /// The model named `model` at `endpoint` (validated by the caller),
    /// reading the API key from the environment variable the endpoint names.
    pub fn new(model: &str, endpoint: &Endpoint) -> Result<Self, RemoteError> {
        let api_key = match &endpoint.api_key_env {
            Some(name) => Some(
                std::env::var(name).map_err(|_| RemoteError::MissingKey { name: name.clone() })?,
            ),
            None => None,
        };
        let client = reqwest::blocking::Client::builder()
            .tls_backend_preconfigured(tls::client_config()?)
            .connect_timeout(Duration::from_secs(endpoint.timeout_secs.min(10)))
            .build()
            .map_err(|e| RemoteError::Protocol {
                url: endpoint.url.clone(),
                message: format!("building the HTTP client: {e}"),
            })?;
        Ok(Self {
            endpoint: endpoint.clone(),
            model: model.to_owned(),
            api_key,
            client,
        })
    }

    /// The model's name at the server.
    pub fn model(&self) -> &str {
        &self.model
    }

    /// The server's base URL.
    pub fn url(&self) -> &str {
        &self.endpoint.url
    }

    /// Answers `request` as a local model would: streamed to `on_text`,
    /// cut by its stop strings, `max_tokens` and deadline.
    pub fn generate(
        &self,
        request: &Request<'_>,
        on_text: &mut dyn FnMut(&str),
    ) -> Result<Generation, RemoteError> {
        let started = Instant::now();
        let sampling = request.sampling;
        let stops: Vec<&str> = sampling.stop.iter().map(String::as_str).collect();
        let mut answer = StreamedAnswer {
            scanner: StopScanner::new(&stops),
            started,
            first_piece: None,
            pieces: 0,
            usage: None,
        };
        let past_deadline = || request.deadline.is_some_and(|d| Instant::now() >= d);
        if past_deadline() {
            return Ok(answer.finish(Finish::Deadline, on_text));
        }
        let mut body = json!({
            "model": self.model,
            "messages": [
                {"role": "system", "content": request.system},
                {"role": "user", "content": request.prompt},
            ],
            "max_tokens": sampling.max_tokens,
            "temperature": sampling.temperature,
            "top_p": sampling.top_p,
            "seed": request.seed & 0x7fff_ffff,
            "stream": true,
        });
        if !stops.is_empty() {
            body["stop"] = json!(stops);
        }
        let url = self.url_of("chat/completions");
        let response = match self.post(&url, &body, request.deadline) {
            Ok(response) => response,
            Err(RemoteError::Timeout { .. }) if past_deadline() => {
                return Ok(answer.finish(Finish::Deadline, on_text));
            }
            Err(e) => return Err(e),
        };
        let protocol = |message: String| RemoteError::Protocol {
            url: url.clone(),
            message,
        };
        let mut finish = None;
        let mut done = false;
        for line in BufReader::new(response).lines() {
            let line = match line {
                Ok(line) => line,
                Err(_) if past_deadline() => {
                    finish = Some(Finish::Deadline);
                    break;
                }
                Err(e) if e.kind() == std::io::ErrorKind::TimedOut => {
                    return Err(self.timeout(&url));
                }
                Err(e) => return Err(protocol(format!("the stream broke off: {e}"))),
            };
            let Some(data) = line.strip_prefix("data:").map(str::trim) else {
                continue;
            };
            if data == "[DONE]" {
                done = true;
                break;
            }
            let chunk: Value = serde_json::from_str(data)
                .map_err(|e| protocol(format!("an event is not JSON: {e}")))?;
            if let Some(error) = chunk.get("error") {
                return Err(protocol(format!("the stream carried an error: {error}")));
            }
            if let Some(usage) = chunk.get("usage").filter(|u| !u.is_null()) {
                answer.usage = Some(usage.clone());
            }
            let choice = &chunk["choices"][0];
            if let Some(piece) = choice["delta"]["content"].as_str()
                && !piece.is_empty()
                && answer.push(piece, on_text)
            {
                finish = Some(Finish::StopString);
                break;
            }
            match choice["finish_reason"].as_str() {
                Some("length") => finish = Some(Finish::MaxTokens),
                Some(_) => finish = Some(Finish::EndOfTurn),
                None if past_deadline() => {
                    finish = Some(Finish::Deadline);
                    break;
                }
                None => {}
            }
        }
        match finish {
            Some(finish) => Ok(answer.finish(finish, on_text)),
            None if done => Ok(answer.finish(Finish::EndOfTurn, on_text)),
            None => Err(protocol(
                "the stream ended without a finish reason".to_owned(),
            )),
        }
    }

    /// The top `top` log-probabilities of the first token of the reply to
    /// `user` under `system` (chat completions with `logprobs: true`), as
    /// (token text, log-probability).
    pub fn first_token_logprobs(
        &self,
        system: &str,
        user: &str,
        top: usize,
    ) -> Result<Vec<(String, f64)>, RemoteError> {
        let url = self.url_of("chat/completions");
        let body = json!({
            "model": self.model,
            "messages": [
                {"role": "system", "content": system},
                {"role": "user", "content": user},
            ],
            "max_tokens": 1,
            "temperature": 0.0,
            "logprobs": true,
            "top_logprobs": top,
        });
        let reply = self.post_for_logprobs(&url, &body)?;
        let no_logprobs = |detail: &str| RemoteError::NoLogprobs {
            url: url.clone(),
            detail: detail.to_owned(),
        };
        let top = reply["choices"][0]["logprobs"]["content"][0]["top_logprobs"]
            .as_array()
            .ok_or_else(|| no_logprobs("its chat reply has no logprobs.content[0].top_logprobs"))?;
        top.iter()
            .map(
                |entry| match (entry["token"].as_str(), entry["logprob"].as_f64()) {
                    (Some(token), Some(logprob)) => Ok((token.to_owned(), logprob)),
                    _ => Err(no_logprobs("a top_logprobs entry lacks token or logprob")),
                },
            )
            .collect()
    }

    /// The log-probability of every token of `text` after the tokens before
    /// it, as the completions endpoint returns it with `echo: true`.
    pub fn prompt_logprobs(&self, text: &str) -> Result<Vec<TokenLogprob>, RemoteError> {
        let url = self.url_of("completions");
        let body = json!({
            "model": self.model,
            "prompt": text,
            "max_tokens": 1,
            "temperature": 0.0,
            "echo": true,
            "logprobs": 0,
        });
        let reply = self.post_for_logprobs(&url, &body)?;
        let no_logprobs = |detail: &str| RemoteError::NoLogprobs {
            url: url.clone(),
            detail: detail.to_owned(),
        };
        let logprobs = &reply["choices"][0]["logprobs"];
        let (Some(tokens), Some(values), Some(offsets)) = (
            logprobs["tokens"].as_array(),
            logprobs["token_logprobs"].as_array(),
            logprobs["text_offset"].as_array(),
        ) else {
            return Err(no_logprobs(
                "its echoed completion has no logprobs.tokens, token_logprobs and text_offset",
            ));
        };
        if tokens.len() != values.len() || tokens.len() != offsets.len() {
            return Err(no_logprobs("the echoed logprobs lists differ in length"));
        }
        let scored = tokens
            .iter()
            .zip(values)
            .zip(offsets)
            .map(|((token, value), offset)| {
                Ok(TokenLogprob {
                    offset: offset
                        .as_u64()
                        .ok_or_else(|| no_logprobs("a text_offset is not a number"))?
                        as usize,
                    token: token.as_str().unwrap_or_default().to_owned(),
                    logprob: value.as_f64(),
                })
            })
            .collect::<Result<Vec<_>, RemoteError>>()?;
        if scored.first().is_none_or(|t| t.offset != 0) {
            return Err(no_logprobs(
                "its completions endpoint did not echo the prompt's tokens: echo is not supported",
            ));
        }
        Ok(scored)
    }

    fn url_of(&self, path: &str) -> String {
        format!("{}/{path}", self.endpoint.url)
    }

    fn timeout(&self, url: &str) -> RemoteError {
        RemoteError::Timeout {
            url: url.to_owned(),
            secs: self.endpoint.timeout_secs,
        }
    }

    /// A non-streamed request whose reply must carry log-probabilities: a
    /// refusal that mentions them (llama-cpp-python without --logits_all)
    /// becomes [`RemoteError::NoLogprobs`].
    fn post_for_logprobs(&self, url: &str, body: &Value) -> Result<Value, RemoteError> {
        let response = self.post(url, body, None).map_err(|e| match e {
            RemoteError::Status { url, body, .. }
                if body.contains("logprobs") || body.contains("logits_all") =>
            {
                RemoteError::NoLogprobs { url, detail: body }
            }
            other => other,
        })?;
        response.json::<Value>().map_err(|e| RemoteError::Protocol {
            url: url.to_owned(),
            message: format!("the reply is not JSON: {e}"),
        })
    }

    /// POSTs `body` to `url`, retrying with backoff while that makes sense
    /// and time remains before `deadline`.
    fn post(
        &self,
        url: &str,
        body: &Value,
        deadline: Option<Instant>,
    ) -> Result<reqwest::blocking::Response, RemoteError> {
        let mut attempts = 0;
        loop {
            attempts += 1;
            let mut timeout = Duration::from_secs(self.endpoint.timeout_secs);
            if let Some(deadline) = deadline {
                timeout = timeout.min(deadline.saturating_duration_since(Instant::now()));
            }
            let mut builder = self.client.post(url).json(body).timeout(timeout);
            if let Some(key) = &self.api_key {
                builder = builder.bearer_auth(key);
            }
            let failure = match builder.send() {
                Ok(response) if response.status().is_success() => return Ok(response),
                Ok(response) => {
                    let status = response.status();
                    let text = response.text().unwrap_or_default();
                    let failure = RemoteError::Status {
                        url: url.to_owned(),
                        status: status.as_u16(),
                        attempts,
                        body: quote(&text),
                    };
                    if !(status.is_server_error() || status.as_u16() == 429) {
                        return Err(failure);
                    }
                    failure
                }
                Err(e) if e.is_timeout() => return Err(self.timeout(url)),
                Err(e) if let Some(problem) = tls::certificate_problem(&e) => {
                    let host = e.url().and_then(|u| u.host_str()).unwrap_or(url);
                    return Err(RemoteError::Untrusted {
                        url: url.to_owned(),
                        message: tls::untrusted_message(host, &problem),
                    });
                }
                Err(e) => RemoteError::Unreachable {
                    url: url.to_owned(),
                    attempts,
                    message: error_chain(&e),
                },
            };
            let backoff = FIRST_BACKOFF
                .saturating_mul(1 << (attempts - 1).min(16))
                .min(MAX_BACKOFF);
            let too_late = deadline.is_some_and(|d| Instant::now() + backoff >= d);
            if attempts > self.endpoint.retries || too_late {
                return Err(failure);
            }
            tracing::warn!("{failure}; trying again in {backoff:?}");
            std::thread::sleep(backoff);
        }
    }
}

/// An answer being read from the stream.
struct StreamedAnswer<'s> {
    scanner: StopScanner<'s>,
    started: Instant,
    first_piece: Option<Instant>,
    /// Content events received: one per token on the servers we know.
    pieces: usize,
    /// The server's token counts, when it sends them.
    usage: Option<Value>,
}

impl StreamedAnswer<'_> {
    /// Adds a piece of text; true when a stop string ended the answer.
    fn push(&mut self, piece: &str, on_text: &mut dyn FnMut(&str)) -> bool {
        self.first_piece.get_or_insert_with(Instant::now);
        self.pieces += 1;
        self.scanner.push(piece, on_text)
    }

    fn finish(mut self, finish: Finish, on_text: &mut dyn FnMut(&str)) -> Generation {
        if finish != Finish::StopString {
            self.scanner.flush(on_text);
        }
        let now = Instant::now();
        let first = self.first_piece.unwrap_or(now);
        let count = |field: &str| {
            self.usage
                .as_ref()
                .and_then(|u| u[field].as_u64())
                .map(|n| n as usize)
        };
        Generation {
            generated_tokens: count("completion_tokens").unwrap_or(self.pieces),
            prompt_tokens: count("prompt_tokens").unwrap_or(0),
            text: self.scanner.text,
            finish,
            prompt_secs: (first - self.started).as_secs_f64(),
            generation_secs: (now - first).as_secs_f64(),
            commitment: None,
        }
    }
}

/// The first characters of an error body, on one line.
fn quote(text: &str) -> String {
    let one_line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    match one_line.char_indices().nth(QUOTED_BODY_CHARS) {
        Some((cut, _)) => format!("{}...", &one_line[..cut]),
        None => one_line,
    }
}

/// An error and its causes, which reqwest keeps apart ("error sending
/// request" alone does not say "connection refused").
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_error_bodies_are_quoted_short_on_one_line() {
        assert_eq!(quote("a\n  b"), "a b");
        let long = "x".repeat(1000);
        assert_eq!(quote(&long).len(), QUOTED_BODY_CHARS + 3);
    }

    #[test]
    fn a_missing_api_key_names_its_variable() {
        let mut endpoint = Endpoint::at("http://127.0.0.1:9/v1");
        endpoint.api_key_env = Some("ARENA_TEST_SURELY_UNSET_KEY".into());
        let err = RemoteModel::new("m", &endpoint).err().unwrap().to_string();
        assert!(err.contains("ARENA_TEST_SURELY_UNSET_KEY"), "{err}");
    }
}
