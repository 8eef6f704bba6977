//! The project's own decoder-only transformer on candle's quantized ops.
//!
//! One module serves both supported families, because they differ only in a
//! few switches: Llama (SmolLM2) and Gemma 3 (query/key norms, extra norms
//! after attention and MLP, GELU-tanh, scaled embeddings, sliding-window
//! layers with their own RoPE base). Weights are read-only during inference;
//! each sequence keeps its own [`KvCache`], so one loaded model serves every
//! agent that uses it.

use std::io::{Read, Seek};

use anyhow::{Context, Result, bail};
use candle_core::quantized::gguf_file::Content;
use candle_core::quantized::{GgmlDType, QTensor};
use candle_core::{Device, Tensor};

use crate::attention::{self, Heads, LayerCache, NewTokens, Rope};
use crate::linear::{Linear, Projections};
use crate::row_matmul::Kernel;
use crate::vector_ops::VectorOps;

/// The architectures this module implements.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    /// Llama-style: SiLU MLP, interleaved RoPE (GGUF permutes Q/K for it).
    Llama,
    /// Gemma 3: GELU-tanh MLP, NEOX RoPE, Q/K norms, post-norms, sliding windows.
    Gemma3,
}

/// Choices made when loading weights.
#[derive(Debug, Clone, Copy)]
pub struct LoadOptions {
    /// Longest sequence (prompt plus answer) to prepare RoPE tables for.
    pub max_context: usize,
    /// Re-quantize weights whose formats lack SIMD kernels here (Q5_0,
    /// Q5_1) to Q8_0, which has them: faster, slightly more memory. Q4_1
    /// keeps its stored form: it has its own kernel ([`crate::q4_1`]).
    pub requantize: bool,
    /// The kernel of the project's own weight formats, which also picks
    /// attention's arithmetic ([`VectorOps::for_kernel`]): the one
    /// `ARENA_KERNEL` names by default, so one process can hold the same
    /// model under several kernels (`arena bench verify --detection`).
    pub kernel: Kernel,
}

impl Default for LoadOptions {
    fn default() -> Self {
        Self {
            max_context: 4096,
            requantize: true,
            kernel: Kernel::detect(),
        }
    }
}

/// Hyper-parameters read from the GGUF metadata; the training model
/// ([`crate::training`]) reads the same ones, so both run one architecture.
#[derive(Debug, Clone)]
pub(crate) struct Config {
    pub(crate) family: Family,
    pub(crate) n_layer: usize,
    pub(crate) n_embd: usize,
    pub(crate) n_head: usize,
    pub(crate) n_kv_head: usize,
    pub(crate) head_dim: usize,
    pub(crate) eps: f32,
    pub(crate) rope_base: f32,
    /// RoPE base of sliding-window layers (Gemma 3 only).
    rope_base_local: f32,
    /// Window of local layers, in tokens (Gemma 3 only).
    sliding_window: Option<usize>,
    pub(crate) context_length: usize,
}

impl Config {
    pub(crate) fn from_gguf(content: &Content) -> Result<Self> {
        let md = &content.metadata;
        let arch = md
            .get("general.architecture")
            .and_then(|v| v.to_string().ok())
            .cloned()
            .context("GGUF has no general.architecture")?;
        let family = match arch.as_str() {
            "llama" => Family::Llama,
            "gemma3" => Family::Gemma3,
            other => {
                bail!("model architecture '{other}' is not supported (supported: llama, gemma3)")
            }
        };
        let u = |key: &str| -> Result<usize> {
            let full = format!("{arch}.{key}");
            Ok(md
                .get(&full)
                .with_context(|| format!("GGUF metadata has no '{full}'"))?
                .to_u32()? as usize)
        };
        let f = |key: &str| {
            md.get(&format!("{arch}.{key}"))
                .and_then(|v| v.to_f32().ok())
        };
        let n_embd = u("embedding_length")?;
        let n_head = u("attention.head_count")?;
        let head_dim = u("attention.key_length").unwrap_or(n_embd / n_head);
        Ok(Self {
            family,
            n_layer: u("block_count")?,
            n_embd,
            n_head,
            n_kv_head: u("attention.head_count_kv").unwrap_or(n_head),
            head_dim,
            eps: f("attention.layer_norm_rms_epsilon").unwrap_or(1e-5),
            rope_base: f("rope.freq_base").unwrap_or(10_000.0),
            rope_base_local: 10_000.0,
            sliding_window: match family {
                Family::Gemma3 => Some(u("attention.sliding_window").unwrap_or(512)),
                Family::Llama => None,
            },
            context_length: u("context_length").unwrap_or(2048),
        })
    }

    /// Gemma 3 alternates five sliding-window layers with one global layer.
    fn is_local(&self, layer: usize) -> bool {
        self.sliding_window.is_some() && !(layer + 1).is_multiple_of(6)
    }
}

/// RMS normalisation with a learned scale (GGUF stores Gemma's `1 + w` already).
#[derive(Debug, Clone)]
struct RmsNorm {
    weight: Tensor,
    eps: f32,
}

impl RmsNorm {
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        Ok(candle_nn::ops::rms_norm(
            &x.contiguous()?,
            &self.weight,
            self.eps,
        )?)
    }
}

#[derive(Debug, Clone)]
struct Layer {
    attn_norm: RmsNorm,
    /// Query, key and value projections.
    qkv: Projections,
    wo: Linear,
    q_norm: Option<RmsNorm>,
    k_norm: Option<RmsNorm>,
    post_attn_norm: Option<RmsNorm>,
    ffn_norm: RmsNorm,
    /// Gate and up projections of the MLP.
    gate_up: Projections,
    down: Linear,
    post_ffn_norm: Option<RmsNorm>,
    local: bool,
}

/// Keys and values of one sequence, per layer.
#[derive(Debug, Clone, Default)]
pub struct KvCache {
    layers: Vec<LayerCache>,
    len: usize,
}

impl KvCache {
    /// Number of positions already processed.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether nothing has been processed yet.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

/// Token embeddings, in f32 when looked up (f16 moved SmolLM2 logits by up
/// to 0.5).
#[derive(Debug)]
enum Embeddings {
    /// Rows of a quantized matrix in one of the project's formats, often
    /// the output projection itself: Gemma 3's 262k x 640 table in f32
    /// alone took 671 MB.
    Rows(Linear),
    /// The whole table in f32, for other formats.
    Table(Tensor),
}

impl Embeddings {
    /// The embeddings of `ids`, shape (ids, n_embd).
    fn lookup(&self, ids: &[u32]) -> Result<Tensor> {
        Ok(match self {
            Self::Rows(matrix) => matrix.rows(ids)?,
            Self::Table(table) => table.index_select(&Tensor::new(ids, &Device::Cpu)?, 0)?,
        })
    }
}

/// A loaded model: weights and RoPE tables, shared by all sequences.
#[derive(Debug)]
pub struct Transformer {
    cfg: Config,
    embeddings: Embeddings,
    layers: Vec<Layer>,
    out_norm: RmsNorm,
    output: Linear,
    rope_global: Rope,
    rope_local: Rope,
    max_context: usize,
    /// Attention's arithmetic, chosen with the matrix kernel.
    vector_ops: VectorOps,
}

impl Transformer {
    /// Loads the weights described by `content` from `reader`.
    pub fn load<R: Read + Seek>(
        content: &Content,
        reader: &mut R,
        options: LoadOptions,
    ) -> Result<Self> {
        let cfg = Config::from_gguf(content)?;
        let dev = Device::Cpu;
        let mut tensor = |name: &str| -> Result<QTensor> {
            content
                .tensor(reader, name, &dev)
                .with_context(|| format!("reading tensor '{name}'"))
        };
        let norm = |q: QTensor, eps: f32| -> Result<RmsNorm> {
            Ok(RmsNorm {
                weight: q.dequantize(&dev)?,
                eps,
            })
        };
        let prepare = |q: QTensor| -> Result<QTensor> {
            Ok(match q.dtype() {
                GgmlDType::Q5_0 | GgmlDType::Q5_1 if options.requantize => {
                    QTensor::quantize(&q.dequantize(&dev)?, GgmlDType::Q8_0)?
                }
                _ => q,
            })
        };
        let kernel = options.kernel;
        let matmul = |q: QTensor| -> Result<Linear> { Ok(Linear::new(prepare(q)?, kernel)?) };
        let projections = |parts: Vec<QTensor>| -> Result<Projections> {
            let parts = parts.into_iter().map(prepare).collect::<Result<_>>()?;
            Ok(Projections::new(parts, kernel)?)
        };
        let gemma = cfg.family == Family::Gemma3;
        let token_embd = tensor("token_embd.weight")?;
        let kept_quantized = Linear::gives_rows(token_embd.dtype());
        let (embeddings, output) = if content.tensor_infos.contains_key("output.weight") {
            let embeddings = if kept_quantized {
                Embeddings::Rows(Linear::new(token_embd, kernel)?)
            } else {
                Embeddings::Table(token_embd.dequantize(&dev)?)
            };
            (embeddings, matmul(tensor("output.weight")?)?)
        } else if kept_quantized {
            // Tied, and one matrix serves both (its format is not re-quantized).
            let output = matmul(token_embd)?;
            (Embeddings::Rows(output.clone()), output)
        } else {
            let table = Embeddings::Table(token_embd.dequantize(&dev)?);
            (table, matmul(token_embd)?)
        };
        let mut layers = Vec::with_capacity(cfg.n_layer);
        for i in 0..cfg.n_layer {
            let mut t = |name: &str| tensor(&format!("blk.{i}.{name}.weight"));
            let mut optional_norm = |name: &str| -> Result<Option<RmsNorm>> {
                if gemma {
                    Ok(Some(norm(t(name)?, cfg.eps)?))
                } else {
                    Ok(None)
                }
            };
            let q_norm = optional_norm("attn_q_norm")?;
            let k_norm = optional_norm("attn_k_norm")?;
            let post_attn_norm = optional_norm("post_attention_norm")?;
            let post_ffn_norm = optional_norm("post_ffw_norm")?;
            layers.push(Layer {
                attn_norm: norm(t("attn_norm")?, cfg.eps)?,
                qkv: projections(vec![t("attn_q")?, t("attn_k")?, t("attn_v")?])?,
                wo: matmul(t("attn_output")?)?,
                q_norm,
                k_norm,
                post_attn_norm,
                ffn_norm: norm(t("ffn_norm")?, cfg.eps)?,
                gate_up: projections(vec![t("ffn_gate")?, t("ffn_up")?])?,
                down: matmul(t("ffn_down")?)?,
                post_ffn_norm,
                local: cfg.is_local(i),
            });
        }
        let max_context = options.max_context.min(cfg.context_length);
        let interleaved = cfg.family == Family::Llama;
        let rope_global = Rope::new(cfg.head_dim, cfg.rope_base, max_context, interleaved);
        let rope_local = Rope::new(cfg.head_dim, cfg.rope_base_local, max_context, interleaved);
        Ok(Self {
            out_norm: norm(tensor("output_norm.weight")?, cfg.eps)?,
            embeddings,
            layers,
            output,
            rope_global,
            rope_local,
            max_context,
            vector_ops: VectorOps::for_kernel(kernel),
            cfg,
        })
    }

    /// The model's architecture family.
    pub fn family(&self) -> Family {
        self.cfg.family
    }

    /// The longest sequence this instance can process.
    pub fn max_context(&self) -> usize {
        self.max_context
    }

    /// A new, empty cache for one sequence.
    pub fn new_cache(&self) -> KvCache {
        KvCache {
            layers: vec![LayerCache::default(); self.cfg.n_layer],
            len: 0,
        }
    }

    /// Feeds `tokens` after what `cache` holds and returns the logits (f32,
    /// vocabulary-sized) predicting the token that follows the last one.
    pub fn forward(&self, tokens: &[u32], cache: &mut KvCache) -> Result<Tensor> {
        Ok(self.run(&[tokens], &mut [cache], &[1])?.flatten_all()?)
    }

    /// Like [`Transformer::forward`], but returns the logits after each of
    /// the last `n` tokens, shape (n, vocabulary): scoring a known
    /// continuation takes one pass instead of one per token.
    pub fn forward_tail(&self, tokens: &[u32], cache: &mut KvCache, n: usize) -> Result<Tensor> {
        self.run(&[tokens], &mut [cache], &[n])
    }

    /// One pass for several sequences at once: `tokens[i]` (any number of
    /// tokens, a prompt or one decoding step) follow what `caches[i]` holds.
    /// Returns the logits after the last token of each, shape (sequences,
    /// vocabulary).
    ///
    /// The projections see all new tokens of all sequences as rows of one
    /// matrix, so each weight is read once per pass for all of them;
    /// attention runs per sequence on its own cache and positions, so
    /// sequences of different lengths need no padding. Every row is
    /// computed exactly as [`Transformer::forward`] computes it for its
    /// sequence alone: the results are bit-identical.
    pub fn forward_batch(&self, tokens: &[&[u32]], caches: &mut [&mut KvCache]) -> Result<Tensor> {
        if tokens.len() != caches.len() {
            bail!(
                "forward_batch needs one token list per sequence, got {} for {} caches",
                tokens.len(),
                caches.len()
            );
        }
        self.run(tokens, caches, &vec![1; tokens.len()])
    }

    /// [`Transformer::forward_batch`] returning the last hidden states after
    /// the last `tails[i]` tokens of sequence `i` (after the final norm, what
    /// the output projection reads), one sequence's rows after the other,
    /// shape (sum of tails, n_embd): a judge scores a batch of known
    /// continuations of different lengths in one pass ([`crate::prefill`]),
    /// and the rows are a fingerprint of the computation that commits an
    /// answer to its model and context ([`crate::commitment`]). The logits
    /// are [`Transformer::logits`] of these rows.
    pub fn forward_batch_hidden(
        &self,
        tokens: &[&[u32]],
        caches: &mut [&mut KvCache],
        tails: &[usize],
    ) -> Result<Tensor> {
        if tokens.len() != caches.len() || tokens.len() != tails.len() {
            bail!(
                "forward_batch_hidden needs one token list and tail per sequence, got {} and {} for {} caches",
                tokens.len(),
                tails.len(),
                caches.len()
            );
        }
        self.run_hidden(tokens, caches, tails)
    }

    /// The logits of last hidden states, shape (rows, vocabulary).
    pub fn logits(&self, hidden: &Tensor) -> Result<Tensor> {
        Ok(self.output.forward(hidden)?)
    }

    /// Runs the new `tokens` of each sequence and returns the logits after
    /// the last `tails[i]` of each, shape (sum of tails, vocabulary).
    fn run(
        &self,
        tokens: &[&[u32]],
        caches: &mut [&mut KvCache],
        tails: &[usize],
    ) -> Result<Tensor> {
        self.logits(&self.run_hidden(tokens, caches, tails)?)
    }

    /// [`Transformer::run`] up to the last hidden states.
    fn run_hidden(
        &self,
        tokens: &[&[u32]],
        caches: &mut [&mut KvCache],
        tails: &[usize],
    ) -> Result<Tensor> {
        if tokens.is_empty() {
            bail!("a forward pass needs at least one sequence");
        }
        for ((sequence, cache), &tail) in tokens.iter().zip(caches.iter()).zip(tails) {
            if tail == 0 || tail > sequence.len() {
                bail!(
                    "a sequence of {} new tokens cannot give logits after its last {tail}",
                    sequence.len()
                );
            }
            if cache.len + sequence.len() > self.max_context {
                bail!(
                    "sequence of {} tokens exceeds the model context of {} tokens",
                    cache.len + sequence.len(),
                    self.max_context
                );
            }
        }
        let lengths: Vec<usize> = tokens.iter().map(|t| t.len()).collect();
        let mut x = self.embeddings.lookup(&tokens.concat())?;
        if self.cfg.family == Family::Gemma3 {
            x = (x * (self.cfg.n_embd as f64).sqrt())?;
        }
        for (index, layer) in self.layers.iter().enumerate() {
            x = self.layer_forward(layer, index, &x, &lengths, caches)?;
        }
        for (cache, length) in caches.iter_mut().zip(&lengths) {
            cache.len += length;
        }
        let mut last_rows = Vec::with_capacity(tails.iter().sum());
        let mut end = 0;
        for (length, tail) in lengths.iter().zip(tails) {
            end += length;
            last_rows.extend((end - tail..end).map(|r| r as u32));
        }
        let last = x.index_select(&Tensor::new(last_rows, &Device::Cpu)?, 0)?;
        self.out_norm.forward(&last)
    }

    /// One layer for x of shape (new tokens of all sequences, n_embd), the
    /// sequences' rows one after the other (`lengths` of each).
    fn layer_forward(
        &self,
        layer: &Layer,
        index: usize,
        x: &Tensor,
        lengths: &[usize],
        caches: &mut [&mut KvCache],
    ) -> Result<Tensor> {
        let h = layer.attn_norm.forward(x)?;
        let mut h = self.attention(layer, index, &h, lengths, caches)?;
        if let Some(n) = &layer.post_attn_norm {
            h = n.forward(&h)?;
        }
        let x = (x + h)?;
        let h = layer.ffn_norm.forward(&x)?;
        let [gate, up]: [Tensor; 2] = layer
            .gate_up
            .forward(&h)?
            .try_into()
            .map_err(|_| anyhow::anyhow!("gate and up projections"))?;
        let gate = match self.cfg.family {
            Family::Llama => candle_nn::ops::silu(&gate)?,
            Family::Gemma3 => gate.gelu()?,
        };
        let mut h = layer.down.forward(&(gate * up)?)?;
        if let Some(n) = &layer.post_ffn_norm {
            h = n.forward(&h)?;
        }
        Ok((x + h)?)
    }

    /// Self-attention of layer `index`, rows as in [`Transformer::layer_forward`].
    fn attention(
        &self,
        layer: &Layer,
        index: usize,
        x: &Tensor,
        lengths: &[usize],
        caches: &mut [&mut KvCache],
    ) -> Result<Tensor> {
        let rows = x.dim(0)?;
        let (n_head, n_kv, hd) = (self.cfg.n_head, self.cfg.n_kv_head, self.cfg.head_dim);
        let [q, k, v]: [Tensor; 3] = layer
            .qkv
            .forward(x)?
            .try_into()
            .map_err(|_| anyhow::anyhow!("query, key and value projections"))?;
        let q = q.reshape((rows, n_head, hd))?;
        let k = k.reshape((rows, n_kv, hd))?;
        let q = match &layer.q_norm {
            Some(n) => n.forward(&q)?,
            None => q,
        };
        let k = match &layer.k_norm {
            Some(n) => n.forward(&k)?,
            None => k,
        };
        let heads = Heads {
            query_heads: n_head,
            kv_heads: n_kv,
            head_dim: hd,
            window: layer.local.then_some(self.cfg.sliding_window).flatten(),
        };
        let rope = if layer.local {
            &self.rope_local
        } else {
            &self.rope_global
        };
        let offsets: Vec<usize> = caches.iter().map(|c| c.len).collect();
        let mut layer_caches: Vec<&mut LayerCache> =
            caches.iter_mut().map(|c| &mut c.layers[index]).collect();
        let y = attention::attend(
            heads,
            rope,
            NewTokens {
                lengths,
                queries: &mut q.flatten_all()?.to_vec1()?,
                keys: &mut k.flatten_all()?.to_vec1()?,
                values: &v.flatten_all()?.to_vec1()?,
            },
            &mut layer_caches,
            &offsets,
            self.vector_ops,
        );
        let y = Tensor::from_vec(y, (rows, n_head * hd), &Device::Cpu)?;
        Ok(layer.wo.forward(&y)?)
    }
}
