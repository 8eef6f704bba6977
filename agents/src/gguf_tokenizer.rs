//! Builds a `tokenizers` tokenizer from a GGUF file's own metadata, so no
//! tokenizer is ever downloaded and the ids match the ones the model was
//! trained with (and llama.cpp's).

use std::collections::HashMap;

use ahash::AHashMap;
use anyhow::{Context, Result, bail};
use candle_core::quantized::gguf_file::{Content, Value};
use tokenizers::decoders::byte_fallback::ByteFallback;
use tokenizers::decoders::byte_level::ByteLevel as ByteLevelDecoder;
use tokenizers::decoders::fuse::Fuse;
use tokenizers::decoders::sequence::Sequence as DecoderSequence;
use tokenizers::models::bpe::BPE;
use tokenizers::normalizers::replace::Replace;
use tokenizers::pre_tokenizers::byte_level::ByteLevel;
use tokenizers::pre_tokenizers::digits::Digits;
use tokenizers::pre_tokenizers::sequence::Sequence as PreSequence;
use tokenizers::{AddedToken, DecoderWrapper, Tokenizer};

/// GGUF `token_type` values (llama.cpp's `llama_token_type`).
const TOKEN_NORMAL: i32 = 1;
const TOKEN_CONTROL: i32 = 3;
const TOKEN_USER_DEFINED: i32 = 4;

/// SentencePiece's visible space.
const SPM_SPACE: &str = "\u{2581}";

/// A model's tokenizer together with the special ids generation needs.
pub struct GgufTokenizer {
    inner: Tokenizer,
    /// Beginning-of-sequence id, prepended when the model asks for it.
    bos: Option<u32>,
    /// Whether prompts start with `bos` (`tokenizer.ggml.add_bos_token`).
    add_bos: bool,
    /// End-of-sequence id from the metadata.
    eos: u32,
    /// Token texts by id, for chat-template variables and stop tokens.
    tokens: Vec<String>,
}

impl GgufTokenizer {
    /// The tokenizer of the GGUF file at `path`, read from its metadata
    /// alone (no weights).
    pub fn read(path: &std::path::Path) -> Result<Self> {
        let file =
            std::fs::File::open(path).with_context(|| format!("opening {}", path.display()))?;
        let content = Content::read(&mut std::io::BufReader::new(file))
            .with_context(|| format!("reading {} as GGUF", path.display()))?;
        Self::from_gguf(&content).with_context(|| format!("the tokenizer of {}", path.display()))
    }

    /// Reads the vocabulary, merges or scores and token types from `content`.
    pub fn from_gguf(content: &Content) -> Result<Self> {
        let md = &content.metadata;
        let model = get(md, "tokenizer.ggml.model")?.to_string()?.clone();
        let tokens: Vec<String> = get(md, "tokenizer.ggml.tokens")?
            .to_vec()?
            .iter()
            .map(|v| v.to_string().cloned())
            .collect::<candle_core::Result<_>>()?;
        let types: Vec<i32> = match md.get("tokenizer.ggml.token_type") {
            Some(v) => v
                .to_vec()?
                .iter()
                .map(Value::to_i32)
                .collect::<candle_core::Result<_>>()?,
            None => vec![TOKEN_NORMAL; tokens.len()],
        };
        if types.len() != tokens.len() {
            bail!(
                "GGUF tokenizer: token_type has {} entries for {} tokens",
                types.len(),
                tokens.len()
            );
        }
        let mut inner = match model.as_str() {
            "gpt2" => byte_level_bpe(md, &tokens)?,
            "llama" => sentencepiece_bpe(md, &tokens, &types)?,
            other => {
                bail!("GGUF tokenizer model '{other}' is not supported (supported: gpt2, llama)")
            }
        };
        let added: Vec<AddedToken> = tokens
            .iter()
            .zip(&types)
            .filter(|(_, t)| **t == TOKEN_CONTROL || **t == TOKEN_USER_DEFINED)
            .map(|(text, t)| AddedToken::from(text.clone(), *t == TOKEN_CONTROL))
            .collect();
        let (special, plain): (Vec<_>, Vec<_>) = added.into_iter().partition(|t| t.special);
        inner.add_special_tokens(&special);
        inner.add_tokens(&plain);
        let id = |key: &str| md.get(key).and_then(|v| v.to_u32().ok());
        Ok(Self {
            inner,
            bos: id("tokenizer.ggml.bos_token_id"),
            add_bos: md
                .get("tokenizer.ggml.add_bos_token")
                .and_then(|v| v.to_bool().ok())
                .unwrap_or(false),
            eos: id("tokenizer.ggml.eos_token_id").context("GGUF tokenizer has no eos_token_id")?,
            tokens,
        })
    }

    /// Token ids of `text`, with special tokens written in the text recognised,
    /// without BOS.
    pub fn encode(&self, text: &str) -> Result<Vec<u32>> {
        let encoding = self
            .inner
            .encode_fast(text, false)
            .map_err(|e| anyhow::anyhow!("tokenizing: {e}"))?;
        Ok(encoding.get_ids().to_vec())
    }

    /// Token ids of a whole prompt: BOS first when the model wants it.
    pub fn encode_prompt(&self, text: &str) -> Result<Vec<u32>> {
        let mut ids = Vec::new();
        if let (true, Some(bos)) = (self.add_bos, self.bos) {
            ids.push(bos);
        }
        ids.extend(self.encode(text)?);
        Ok(ids)
    }

    /// Text of `ids`, special tokens included.
    pub fn decode(&self, ids: &[u32]) -> Result<String> {
        self.inner
            .decode(ids, false)
            .map_err(|e| anyhow::anyhow!("decoding: {e}"))
    }

    /// The underlying tokenizer, for streaming decode.
    pub fn inner(&self) -> &Tokenizer {
        &self.inner
    }

    /// The end-of-sequence id.
    pub fn eos(&self) -> u32 {
        self.eos
    }

    /// The text of a token id, if it exists.
    pub fn token_text(&self, id: u32) -> Option<&str> {
        self.tokens.get(id as usize).map(String::as_str)
    }

    /// SHA-256 of the vocabulary (every token's text, in id order), hex: two
    /// models with the same digest tokenize text the same way, so training
    /// on one model's pairs can tell whether another's answers fit it.
    pub fn vocabulary_digest(&self) -> String {
        use sha2::{Digest, Sha256};
        let mut hasher = Sha256::new();
        for token in &self.tokens {
            hasher.update(token.as_bytes());
            hasher.update([0]);
        }
        hex::encode(hasher.finalize())
    }

    /// The id of a token given by its exact text, if it is in the vocabulary.
    pub fn token_id(&self, text: &str) -> Option<u32> {
        self.inner.token_to_id(text)
    }
}

fn get<'a>(md: &'a HashMap<String, Value>, key: &str) -> Result<&'a Value> {
    md.get(key)
        .with_context(|| format!("GGUF metadata has no '{key}': not a complete model file"))
}

fn vocab(tokens: &[String]) -> AHashMap<String, u32> {
    tokens
        .iter()
        .enumerate()
        .map(|(i, t)| (t.clone(), i as u32))
        .collect()
}

/// GPT-2 style byte-level BPE (SmolLM2): explicit merges, digits split one by one.
fn byte_level_bpe(md: &HashMap<String, Value>, tokens: &[String]) -> Result<Tokenizer> {
    let merges = get(md, "tokenizer.ggml.merges")?
        .to_vec()?
        .iter()
        .map(|v| {
            let line = v.to_string()?;
            let (a, b) = line
                .split_once(' ')
                .ok_or_else(|| candle_core::Error::Msg(format!("malformed merge '{line}'")))?;
            Ok((a.to_owned(), b.to_owned()))
        })
        .collect::<candle_core::Result<Vec<_>>>()?;
    let bpe = BPE::builder()
        .vocab_and_merges(vocab(tokens), merges)
        .build()
        .map_err(|e| anyhow::anyhow!("building BPE: {e}"))?;
    let mut tokenizer = Tokenizer::new(bpe);
    tokenizer.with_pre_tokenizer(Some(PreSequence::new(vec![
        Digits::new(true).into(),
        ByteLevel::new(false, true, true).into(),
    ])));
    tokenizer.with_decoder(Some(ByteLevelDecoder::default()));
    Ok(tokenizer)
}

/// SentencePiece BPE (Gemma): merges ranked by the score of the merged piece,
/// which reproduces SentencePiece's highest-score-first merging; unknown
/// characters fall back to byte tokens.
fn sentencepiece_bpe(
    md: &HashMap<String, Value>,
    tokens: &[String],
    types: &[i32],
) -> Result<Tokenizer> {
    let scores: Vec<f32> = get(md, "tokenizer.ggml.scores")?
        .to_vec()?
        .iter()
        .map(Value::to_f32)
        .collect::<candle_core::Result<_>>()?;
    let vocab = vocab(tokens);
    let mut merges: Vec<(f32, u32, String, String)> = Vec::new();
    for (id, piece) in tokens.iter().enumerate() {
        if types[id] != TOKEN_NORMAL {
            continue;
        }
        for (split, _) in piece.char_indices().skip(1) {
            let (left, right) = piece.split_at(split);
            if vocab.contains_key(left) && vocab.contains_key(right) {
                merges.push((scores[id], id as u32, left.to_owned(), right.to_owned()));
            }
        }
    }
    // Highest score first; equal scores in vocabulary order.
    merges.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    let merges = merges.into_iter().map(|(_, _, l, r)| (l, r)).collect();
    let unk = md
        .get("tokenizer.ggml.unknown_token_id")
        .and_then(|v| v.to_u32().ok())
        .and_then(|id| tokens.get(id as usize))
        .cloned();
    let mut builder = BPE::builder()
        .vocab_and_merges(vocab, merges)
        .byte_fallback(true)
        .fuse_unk(true);
    if let Some(unk) = unk {
        builder = builder.unk_token(unk);
    }
    let bpe = builder
        .build()
        .map_err(|e| anyhow::anyhow!("building BPE: {e}"))?;
    let mut tokenizer = Tokenizer::new(bpe);
    let space = |from: &str, to: &str| {
        Replace::new(from, to).map_err(|e| anyhow::anyhow!("space replacement: {e}"))
    };
    tokenizer.with_normalizer(Some(space(" ", SPM_SPACE)?));
    tokenizer.with_decoder(Some(DecoderSequence::new(vec![
        DecoderWrapper::Replace(space(SPM_SPACE, " ")?),
        ByteFallback::new().into(),
        Fuse::new().into(),
    ])));
    Ok(tokenizer)
}
