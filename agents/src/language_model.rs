//! A loaded GGUF model with its tokenizer and prompt format, and generation
//! of answers, alone or batched for the agents of a round: streamed token by
//! token, cut at a deadline.

use std::fs::File;
use std::io::BufReader;
use std::path::Path;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use candle_core::Tensor;
use candle_core::quantized::gguf_file::Content;

use crate::commitment::{self, Commitment, Fingerprint};
use crate::gguf_tokenizer::GgufTokenizer;
use crate::prompt_format::PromptFormat;
use crate::sampling::{Sampler, Sampling};
use crate::stop_scanner::StopScanner;
use crate::transformer::{KvCache, LoadOptions, Transformer};

/// End-of-turn tokens of common chat formats, honoured when the vocabulary has them.
const END_OF_TURN_TOKENS: &[&str] = &["<|im_end|>", "<end_of_turn>", "<|endoftext|>", "<|eot_id|>"];

/// A model ready to generate: weights, tokenizer, prompt format, stop tokens.
pub struct LanguageModel {
    transformer: Transformer,
    tokenizer: GgufTokenizer,
    format: PromptFormat,
    stop_ids: Vec<u32>,
    /// SHA-256 of the file, hex: what answers commit to.
    sha256: String,
}

/// One generation: who speaks, what is asked, and under which limits.
#[derive(Debug, Clone)]
pub struct Request<'a> {
    /// The agent's system prompt.
    pub system: &'a str,
    /// The round's prompt.
    pub prompt: &'a str,
    /// Sampling settings.
    pub sampling: &'a Sampling,
    /// Seed of the sampler.
    pub seed: u64,
    /// When generation must stop, answer or not.
    pub deadline: Option<Instant>,
}

/// Why generation ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Finish {
    /// The model ended its turn.
    EndOfTurn,
    /// A stop string appeared (it is not part of the text).
    StopString,
    /// `max_tokens` were generated.
    MaxTokens,
    /// The deadline passed: the answer is truncated.
    Deadline,
}

/// An answer with its timing.
#[derive(Debug, Clone, PartialEq)]
pub struct Generation {
    /// The answer text (stop strings removed).
    pub text: String,
    /// Why it ended.
    pub finish: Finish,
    /// Tokens in the rendered prompt.
    pub prompt_tokens: usize,
    /// Tokens generated.
    pub generated_tokens: usize,
    /// Seconds spent on the prompt (time to first token); in a batch, the
    /// one pass that processes every prompt.
    pub prompt_secs: f64,
    /// Seconds spent generating after the prompt.
    pub generation_secs: f64,
    /// What the answer commits to, for a check without generating it again;
    /// `None` from a server, which shows no hidden states.
    pub commitment: Option<Commitment>,
}

impl Generation {
    /// Whether the deadline cut the answer short.
    pub fn truncated(&self) -> bool {
        self.finish == Finish::Deadline
    }

    /// Generated tokens per second.
    pub fn tokens_per_sec(&self) -> f64 {
        rate(self.generated_tokens, self.generation_secs)
    }

    /// Prompt tokens processed per second (of this prompt alone: in a
    /// batch, the pass also processed the others).
    pub fn prompt_tokens_per_sec(&self) -> f64 {
        rate(self.prompt_tokens, self.prompt_secs)
    }
}

/// Refuses a GGUF file shorter than its tensors need (a download or copy
/// cut short), before any weight is read.
fn check_complete(content: &Content, file_len: u64) -> Result<()> {
    let mut needed = content.tensor_data_offset;
    for (name, info) in &content.tensor_infos {
        let bytes = (info.shape.elem_count() / info.ggml_dtype.block_size()) as u64
            * info.ggml_dtype.type_size() as u64;
        let end = content
            .tensor_data_offset
            .checked_add(info.offset)
            .and_then(|start| start.checked_add(bytes))
            .with_context(|| format!("tensor {name} lies beyond any file size"))?;
        needed = needed.max(end);
    }
    if needed > file_len {
        bail!("truncated: its tensors need {needed} bytes, the file has {file_len}");
    }
    Ok(())
}

fn rate(tokens: usize, secs: f64) -> f64 {
    if secs > 0.0 {
        tokens as f64 / secs
    } else {
        0.0
    }
}

impl LanguageModel {
    /// Loads a GGUF file: weights, tokenizer and prompt format from its
    /// metadata. A file that cannot be used (not GGUF, truncated, another
    /// architecture) gives one message naming the file, what is wrong with
    /// it and the fix.
    pub fn load(path: &Path, options: LoadOptions) -> Result<Self> {
        crate::row_matmul::Kernel::from_env().map_err(anyhow::Error::msg)?;
        Self::read(path, options).map_err(|e| {
            anyhow::anyhow!(
                "model file {} cannot be used ({e:#}): fetch it again with `arena models fetch`, or give a complete GGUF file of a Llama or Gemma 3 model",
                path.display()
            )
        })
    }

    /// [`LanguageModel::load`] without the file's name and the fix.
    fn read(path: &Path, options: LoadOptions) -> Result<Self> {
        let file = File::open(path).context("opening it")?;
        let file_len = file.metadata().context("reading its size")?.len();
        let sha256 = crate::fetch::sha256_file(path).context("reading it")?;
        let mut reader = BufReader::new(file);
        let content = Content::read(&mut reader).context("not a GGUF file")?;
        check_complete(&content, file_len)?;
        let tokenizer = GgufTokenizer::from_gguf(&content).context("its tokenizer")?;
        let transformer =
            Transformer::load(&content, &mut reader, options).context("its weights")?;
        let text_of = |id: Option<u32>| {
            id.and_then(|id| tokenizer.token_text(id))
                .unwrap_or_default()
                .to_owned()
        };
        let format = match content
            .metadata
            .get("tokenizer.chat_template")
            .and_then(|v| v.to_string().ok())
        {
            Some(template) => PromptFormat::Chat {
                template: template.clone(),
                bos_token: text_of(
                    content
                        .metadata
                        .get("tokenizer.ggml.bos_token_id")
                        .and_then(|v| v.to_u32().ok()),
                ),
                eos_token: text_of(Some(tokenizer.eos())),
            },
            None => PromptFormat::Completion,
        };
        let mut stop_ids = vec![tokenizer.eos()];
        stop_ids.extend(
            END_OF_TURN_TOKENS
                .iter()
                .filter_map(|t| tokenizer.token_id(t)),
        );
        stop_ids.dedup();
        Ok(Self {
            transformer,
            tokenizer,
            format,
            stop_ids,
            sha256,
        })
    }

    /// SHA-256 of the model file, hex.
    pub fn sha256(&self) -> &str {
        &self.sha256
    }

    /// The stop strings of a request: its own and the prompt format's.
    pub(crate) fn stops<'a>(&'a self, sampling: &'a Sampling) -> Vec<&'a str> {
        let mut stops: Vec<&str> = sampling.stop.iter().map(String::as_str).collect();
        stops.extend(self.format.implied_stops());
        stops
    }

    /// The text an answer of `tokens` under `sampling` reads as: decoded as
    /// it streams, cut before its first stop string. What a commitment's
    /// tokens must give.
    pub fn answer_text(&self, tokens: &[u32], sampling: &Sampling) -> Result<String> {
        let stops = self.stops(sampling);
        let mut decoder = self.tokenizer.inner().decode_stream(true);
        let mut stream = StopScanner::new(&stops);
        for &token in tokens {
            let piece = decoder
                .step(token)
                .map_err(|e| anyhow::anyhow!("decoding token {token}: {e}"))?;
            if let Some(piece) = piece
                && stream.push(&piece, &mut |_| {})
            {
                return Ok(stream.text);
            }
        }
        stream.flush(&mut |_| {});
        Ok(stream.text)
    }

    /// The tokenizer built from the model's metadata.
    pub fn tokenizer(&self) -> &GgufTokenizer {
        &self.tokenizer
    }

    /// The transformer, for scoring and benchmarks.
    pub fn transformer(&self) -> &Transformer {
        &self.transformer
    }

    /// The prompt format in use.
    pub fn format(&self) -> &PromptFormat {
        &self.format
    }

    /// The full prompt text for a system and user prompt.
    pub fn render_prompt(&self, system: &str, prompt: &str) -> Result<String> {
        self.format.render(system, prompt)
    }

    /// Generates an answer, passing each new piece of text to `on_text` as
    /// soon as it is certain not to be part of a stop string.
    pub fn generate(
        &self,
        request: &Request<'_>,
        on_text: &mut dyn FnMut(&str),
    ) -> Result<Generation> {
        let mut answers = self.generate_batch(std::slice::from_ref(request), &mut |_, piece| {
            on_text(piece)
        })?;
        Ok(answers.remove(0))
    }

    /// Generates the answers to several requests at once, as a round does
    /// for the agents sharing this model: each step is one forward pass for
    /// every unfinished answer, so the weights are read once per step for all
    /// of them. Each answer is byte-identical to what [`LanguageModel::generate`]
    /// gives for its request alone (same seed, same text, same stops,
    /// deadline and `max_tokens`). `on_text(i, piece)` streams the pieces of
    /// answer `i` as [`LanguageModel::generate`] does.
    pub fn generate_batch(
        &self,
        requests: &[Request<'_>],
        on_text: &mut dyn FnMut(usize, &str),
    ) -> Result<Vec<Generation>> {
        let stops: Vec<Vec<&str>> = requests
            .iter()
            .map(|request| self.stops(request.sampling))
            .collect();
        let prompts = requests
            .iter()
            .map(|request| self.prompt_ids(request))
            .collect::<Result<Vec<_>>>()?;
        // Every prompt in one pass: the first logits of each answer.
        let mut caches: Vec<KvCache> = prompts
            .iter()
            .map(|_| self.transformer.new_cache())
            .collect();
        let started = Instant::now();
        let prompt_refs: Vec<&[u32]> = prompts.iter().map(Vec::as_slice).collect();
        let hidden = self.transformer.forward_batch_hidden(
            &prompt_refs,
            &mut caches.iter_mut().collect::<Vec<_>>(),
            &vec![1; prompts.len()],
        )?;
        let logits = self.transformer.logits(&hidden)?;
        let hidden = hidden.to_vec2::<f32>()?;
        let prompt_secs = started.elapsed().as_secs_f64();
        let mut answers = Vec::with_capacity(requests.len());
        for (row, ((request, stops), (prompt, cache))) in requests
            .iter()
            .zip(&stops)
            .zip(prompts.iter().zip(caches))
            .enumerate()
        {
            answers.push(Answer {
                max_tokens: request.sampling.max_tokens,
                deadline: request.deadline,
                sampler: request.sampling.sampler(request.seed),
                decoder: self.tokenizer.inner().decode_stream(true),
                stream: StopScanner::new(stops),
                cache,
                logits: logits.get(row)?,
                hidden: hidden[row].clone(),
                fingerprints: Vec::new(),
                seed: request.seed,
                generated: Vec::new(),
                finish: None,
                prompt_tokens: prompt.len(),
                prompt_secs,
                generation_secs: 0.0,
            });
        }
        let generation_started = Instant::now();
        loop {
            for (i, answer) in answers.iter_mut().enumerate() {
                if answer.finish.is_none() {
                    answer.step(&self.stop_ids, &mut |piece| on_text(i, piece))?;
                    if answer.finish.is_some() {
                        answer.generation_secs = generation_started.elapsed().as_secs_f64();
                    }
                }
            }
            let mut active: Vec<&mut Answer<'_, '_>> = answers
                .iter_mut()
                .filter(|answer| answer.finish.is_none())
                .collect();
            if active.is_empty() {
                break;
            }
            let tokens: Vec<[u32; 1]> = active.iter().map(|a| [a.last_token()]).collect();
            let tokens: Vec<&[u32]> = tokens.iter().map(|t| t.as_slice()).collect();
            let mut caches: Vec<&mut KvCache> = active.iter_mut().map(|a| &mut a.cache).collect();
            let hidden = self.transformer.forward_batch_hidden(
                &tokens,
                &mut caches,
                &vec![1; tokens.len()],
            )?;
            let logits = self.transformer.logits(&hidden)?;
            let mut hidden = hidden.to_vec2::<f32>()?.into_iter();
            for (row, answer) in active.into_iter().enumerate() {
                answer.logits = logits.get(row)?;
                answer.hidden = hidden.next().expect("one hidden row per answer");
            }
        }
        Ok(answers
            .into_iter()
            .map(|answer| answer.into_generation(&self.sha256))
            .collect())
    }

    /// The tokens of a request's rendered prompt, checked against the
    /// model's context.
    pub(crate) fn prompt_ids(&self, request: &Request<'_>) -> Result<Vec<u32>> {
        let text = self.render_prompt(request.system, request.prompt)?;
        let prompt_ids = self.tokenizer.encode_prompt(&text)?;
        let limit = self.transformer.max_context();
        let max_tokens = request.sampling.max_tokens;
        if prompt_ids.len() + max_tokens > limit {
            bail!(
                "the prompt is {} tokens; with max_tokens {max_tokens} it exceeds the model context of {limit} tokens: shorten the prompt or the system prompt, or lower max_tokens",
                prompt_ids.len(),
            );
        }
        if prompt_ids.is_empty() {
            bail!("the rendered prompt has no tokens: give a prompt or a system prompt");
        }
        Ok(prompt_ids)
    }
}

/// The tokenizer's incremental decoder.
type Decoder<'t> = tokenizers::DecodeStream<
    't,
    tokenizers::ModelWrapper,
    tokenizers::NormalizerWrapper,
    tokenizers::PreTokenizerWrapper,
    tokenizers::PostProcessorWrapper,
    tokenizers::DecoderWrapper,
>;

/// One answer being generated: its sampler, cache, text so far and limits.
struct Answer<'t, 's> {
    max_tokens: usize,
    deadline: Option<Instant>,
    sampler: Sampler,
    decoder: Decoder<'t>,
    stream: StopScanner<'s>,
    cache: KvCache,
    /// Logits predicting the next token.
    logits: Tensor,
    /// The last hidden state those logits came from.
    hidden: Vec<f32>,
    /// The sketch of `hidden` before each generated token.
    fingerprints: Vec<Fingerprint>,
    seed: u64,
    generated: Vec<u32>,
    finish: Option<Finish>,
    prompt_tokens: usize,
    prompt_secs: f64,
    generation_secs: f64,
}

impl Answer<'_, '_> {
    /// Picks the next token from `logits` and streams its text, or sets
    /// `finish` when the answer is over. After a step that leaves `finish`
    /// unset, the last token must be fed to the model.
    fn step(&mut self, stop_ids: &[u32], on_text: &mut dyn FnMut(&str)) -> Result<()> {
        if self.deadline.is_some_and(|d| Instant::now() >= d) {
            return self.end(Finish::Deadline, on_text);
        }
        if self.generated.len() >= self.max_tokens {
            return self.end(Finish::MaxTokens, on_text);
        }
        let next = self.sampler.next(&self.logits, &self.generated)?;
        if stop_ids.contains(&next) {
            return self.end(Finish::EndOfTurn, on_text);
        }
        let position = self.generated.len();
        self.fingerprints.push(Fingerprint {
            position: position as u32,
            top: Vec::new(),
            sketch: commitment::sketch(&self.hidden, self.seed, position),
        });
        self.generated.push(next);
        let piece = self
            .decoder
            .step(next)
            .map_err(|e| anyhow::anyhow!("decoding token {next}: {e}"))?;
        if let Some(piece) = piece
            && self.stream.push(&piece, on_text)
        {
            return self.end(Finish::StopString, on_text);
        }
        if self.generated.len() >= self.max_tokens {
            return self.end(Finish::MaxTokens, on_text);
        }
        Ok(())
    }

    /// Ends the answer, flushing held-back text unless a stop string cut it.
    fn end(&mut self, finish: Finish, on_text: &mut dyn FnMut(&str)) -> Result<()> {
        if finish != Finish::StopString {
            self.stream.flush(on_text);
        }
        self.finish = Some(finish);
        Ok(())
    }

    fn last_token(&self) -> u32 {
        *self
            .generated
            .last()
            .expect("a step that continues generated a token")
    }

    /// The finished answer, committing to the fingerprints at the
    /// positions its seed chooses.
    fn into_generation(self, model_sha256: &str) -> Generation {
        let chosen = commitment::positions(self.seed, self.generated.len());
        let fingerprints = chosen
            .into_iter()
            .map(|p| self.fingerprints[p].clone())
            .collect();
        Generation {
            commitment: Some(Commitment {
                model_sha256: model_sha256.to_owned(),
                tokens: self.generated.clone(),
                fingerprints,
                numerics: Some(crate::row_matmul::numerics().to_owned()),
            }),
            text: self.stream.text,
            finish: self.finish.expect("finished answers only"),
            prompt_tokens: self.prompt_tokens,
            generated_tokens: self.generated.len(),
            prompt_secs: self.prompt_secs,
            generation_secs: self.generation_secs,
        }
    }
}
