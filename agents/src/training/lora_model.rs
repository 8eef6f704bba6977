//! The project's Llama transformer ([`crate::transformer`]) again, in f32
//! on candle's differentiable ops, with low-rank adapters (LoRA) on the
//! projections of every layer: what DPO trains.
//!
//! candle's quantized matrix products have no backward pass, so the GGUF
//! weights are dequantized once and kept frozen; only the adapters are
//! [`Var`]s. Everything else mirrors the inference path: the same
//! hyper-parameters ([`Config`]), the same RoPE tables and interleaved
//! rotation of GGUF's permuted query/key weights ([`Rope`]), RMS norms,
//! grouped-query attention and the SiLU MLP, so adapters merged into the
//! weights give the inference path the model that was trained.

use std::io::{Read, Seek};

use anyhow::{Context, Result, bail};
use candle_core::quantized::gguf_file::Content;
use candle_core::{D, DType, Device, Tensor, Var};
use candle_nn::ops;
use candle_nn::rotary_emb::rope_i_slow;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::attention::Rope;
use crate::transformer::{Config, Family};

/// One frozen weight matrix, (out, in), with its adapter (every projection
/// of every layer has one, attention and MLP alike, as QLoRA does):
/// `y = x W^T + scale * (x A^T) B^T`, A (rank, in), B (out, rank). B starts
/// at zero, so an untrained adapter leaves the model as it was.
struct Projection {
    /// GGUF tensor name.
    name: String,
    weight: Tensor,
    a: Var,
    b: Var,
}

impl Projection {
    fn forward(&self, x: &Tensor, scale: f64, adapted: bool) -> Result<Tensor> {
        let y = x.matmul(&self.weight.t()?)?;
        if !adapted {
            return Ok(y);
        }
        let low = x
            .matmul(&self.a.as_tensor().t()?)?
            .matmul(&self.b.as_tensor().t()?)?;
        Ok((y + (low * scale)?)?)
    }
}

struct Layer {
    attn_norm: Tensor,
    q: Projection,
    k: Projection,
    v: Projection,
    o: Projection,
    ffn_norm: Tensor,
    gate: Projection,
    up: Projection,
    down: Projection,
}

impl Layer {
    fn projections(&self) -> [&Projection; 7] {
        [
            &self.q, &self.k, &self.v, &self.o, &self.gate, &self.up, &self.down,
        ]
    }
}

/// One token sequence to score: a prompt and an answer after it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scored {
    /// Prompt and answer tokens, one after the other.
    pub tokens: Vec<u32>,
    /// How many of `tokens` are the prompt (at least 1).
    pub prompt_len: usize,
}

/// A Llama GGUF model in f32 with LoRA adapters.
pub struct LoraModel {
    cfg: Config,
    embeddings: Tensor,
    /// `None` when the output projection is the embedding table (tied).
    output: Option<Tensor>,
    layers: Vec<Layer>,
    out_norm: Tensor,
    /// RoPE tables, (positions, head_dim / 2).
    cos: Tensor,
    sin: Tensor,
    /// The adapters' scale, alpha / rank.
    scale: f64,
}

/// LoRA's alpha over the rank: alpha = 2 x rank, a common choice, keeps the
/// update's size independent of the rank.
const ADAPTER_SCALE: f64 = 2.0;

impl LoraModel {
    /// Loads the weights of `content` from `reader`, dequantized, with
    /// adapters of `rank` initialised from `seed` (A uniform in
    /// +-1/sqrt(in), as PyTorch's LoRA does; B zero), for sequences of up
    /// to `max_len` tokens.
    pub fn load<R: Read + Seek>(
        content: &Content,
        reader: &mut R,
        rank: usize,
        seed: u64,
        max_len: usize,
    ) -> Result<Self> {
        let cfg = Config::from_gguf(content)?;
        if cfg.family != Family::Llama {
            bail!(
                "training supports Llama-family models (smollm2-135m); this model is {:?}",
                cfg.family
            );
        }
        if rank == 0 {
            bail!("an adapter rank of 0 trains nothing: use a rank of at least 1");
        }
        let dev = Device::Cpu;
        let mut rng = StdRng::seed_from_u64(seed);
        let mut weight = |name: &str| -> Result<Tensor> {
            Ok(content
                .tensor(reader, name, &dev)
                .with_context(|| format!("reading tensor '{name}'"))?
                .dequantize(&dev)?)
        };
        let embeddings = weight("token_embd.weight")?;
        let output = if content.tensor_infos.contains_key("output.weight") {
            Some(weight("output.weight")?)
        } else {
            None
        };
        let mut layers = Vec::with_capacity(cfg.n_layer);
        for i in 0..cfg.n_layer {
            let attn_norm = weight(&format!("blk.{i}.attn_norm.weight"))?;
            let ffn_norm = weight(&format!("blk.{i}.ffn_norm.weight"))?;
            let mut projection = |short: &str| -> Result<Projection> {
                let name = format!("blk.{i}.{short}.weight");
                let w = weight(&name)?;
                let (out, input) = w.dims2()?;
                let bound = 1.0 / (input as f32).sqrt();
                let a: Vec<f32> = (0..rank * input)
                    .map(|_| rng.random_range(-bound..bound))
                    .collect();
                let a = Var::from_tensor(&Tensor::from_vec(a, (rank, input), &dev)?)?;
                let b = Var::zeros((out, rank), DType::F32, &dev)?;
                Ok(Projection {
                    name,
                    weight: w,
                    a,
                    b,
                })
            };
            layers.push(Layer {
                q: projection("attn_q")?,
                k: projection("attn_k")?,
                v: projection("attn_v")?,
                o: projection("attn_output")?,
                gate: projection("ffn_gate")?,
                up: projection("ffn_up")?,
                down: projection("ffn_down")?,
                attn_norm,
                ffn_norm,
            });
        }
        let max_len = max_len.min(cfg.context_length);
        let rope = Rope::new(cfg.head_dim, cfg.rope_base, max_len, true);
        let (cos, sin) = rope.tables();
        let half = cfg.head_dim / 2;
        Ok(Self {
            out_norm: weight("output_norm.weight")?,
            cos: Tensor::from_slice(cos, (max_len, half), &dev)?,
            sin: Tensor::from_slice(sin, (max_len, half), &dev)?,
            embeddings,
            output,
            layers,
            scale: ADAPTER_SCALE,
            cfg,
        })
    }

    /// Longest sequence the RoPE tables cover.
    pub fn max_len(&self) -> usize {
        self.cos.dims()[0]
    }

    /// Every adapter matrix, named `NAME.lora_a` / `NAME.lora_b` after its
    /// GGUF tensor: what the optimizer updates and a checkpoint saves.
    pub fn adapters(&self) -> Vec<(String, Var)> {
        let mut all = Vec::new();
        for layer in &self.layers {
            for p in layer.projections() {
                all.push((format!("{}.lora_a", p.name), p.a.clone()));
                all.push((format!("{}.lora_b", p.name), p.b.clone()));
            }
        }
        all
    }

    /// The adapted weights with their adapters merged in, `W + scale * B A`,
    /// by GGUF tensor name.
    pub fn merged(&self) -> Result<Vec<(String, Tensor)>> {
        let mut merged = Vec::new();
        for layer in &self.layers {
            for p in layer.projections() {
                let delta = (p.b.as_tensor().matmul(p.a.as_tensor())? * self.scale)?;
                merged.push((p.name.clone(), (&p.weight + delta)?));
            }
        }
        Ok(merged)
    }

    /// Sum of the log-probabilities of each sequence's answer tokens, shape
    /// (sequences): with the adapters (`adapted`, the policy, whose graph
    /// reaches the adapters for backpropagation) or without them (the
    /// reference model). The sequences run as one right-padded batch:
    /// causal attention keeps the padding out of every real position.
    pub fn answer_log_probs(&self, batch: &[Scored], adapted: bool) -> Result<Tensor> {
        let dev = Device::Cpu;
        let width = batch.iter().map(|s| s.tokens.len()).max().unwrap_or(0);
        if width > self.max_len() {
            bail!(
                "a sequence of {width} tokens is longer than the {} the model was prepared for",
                self.max_len()
            );
        }
        let mut ids = Vec::with_capacity(batch.len() * width);
        // Rows of the padded batch whose next token is an answer token.
        let (mut rows, mut targets, mut counts) = (Vec::new(), Vec::new(), Vec::new());
        for (b, s) in batch.iter().enumerate() {
            if s.prompt_len == 0 || s.prompt_len >= s.tokens.len() {
                bail!("a scored sequence needs a prompt and at least one answer token");
            }
            ids.extend_from_slice(&s.tokens);
            ids.resize((b + 1) * width, 0);
            for t in s.prompt_len - 1..s.tokens.len() - 1 {
                rows.push((b * width + t) as u32);
                targets.push(s.tokens[t + 1]);
            }
            counts.push(s.tokens.len() - s.prompt_len);
        }
        let hidden = self.hidden(&ids, batch.len(), width, adapted)?;
        let picked = hidden.index_select(&Tensor::new(rows, &dev)?, 0)?;
        let picked = ops::rms_norm_slow(&picked, &self.out_norm, self.cfg.eps)?;
        let output = self.output.as_ref().unwrap_or(&self.embeddings);
        let logits = picked.matmul(&output.t()?)?;
        let log_probs = ops::log_softmax(&logits, D::Minus1)?;
        let n = targets.len();
        let token_log_probs = log_probs
            .gather(&Tensor::from_vec(targets, (n, 1), &dev)?, 1)?
            .squeeze(1)?;
        let mut sums = Vec::with_capacity(counts.len());
        let mut start = 0;
        for count in counts {
            sums.push(token_log_probs.narrow(0, start, count)?.sum_keepdim(0)?);
            start += count;
        }
        Ok(Tensor::cat(&sums, 0)?)
    }

    /// Hidden states after the last layer (before the final norm), shape
    /// (batch * width, n_embd), for `ids` of `batch` sequences of `width`.
    fn hidden(&self, ids: &[u32], batch: usize, width: usize, adapted: bool) -> Result<Tensor> {
        let dev = Device::Cpu;
        let cfg = &self.cfg;
        let mut x = self.embeddings.index_select(&Tensor::new(ids, &dev)?, 0)?;
        let mask: Vec<f32> = (0..width)
            .flat_map(|i| (0..width).map(move |j| if j > i { f32::NEG_INFINITY } else { 0.0 }))
            .collect();
        let mask = Tensor::from_vec(mask, (width, width), &dev)?;
        let (cos, sin) = (self.cos.narrow(0, 0, width)?, self.sin.narrow(0, 0, width)?);
        let (n_head, n_kv, hd) = (cfg.n_head, cfg.n_kv_head, cfg.head_dim);
        let group = n_head / n_kv;
        let s = self.scale;
        for layer in &self.layers {
            let h = ops::rms_norm_slow(&x, &layer.attn_norm, cfg.eps)?;
            let heads = |p: &Projection, count: usize| -> Result<Tensor> {
                Ok(p.forward(&h, s, adapted)?
                    .reshape((batch, width, count, hd))?
                    .transpose(1, 2)?
                    .contiguous()?)
            };
            let q = rope_i_slow(&heads(&layer.q, n_head)?, &cos, &sin)?;
            let k = rope_i_slow(&heads(&layer.k, n_kv)?, &cos, &sin)?;
            let v = heads(&layer.v, n_kv)?;
            let repeat = |t: Tensor| -> Result<Tensor> {
                Ok(t.unsqueeze(2)?
                    .broadcast_as((batch, n_kv, group, width, hd))?
                    .reshape((batch, n_head, width, hd))?)
            };
            let (k, v) = (repeat(k)?, repeat(v)?);
            let scores = (q.matmul(&k.t()?)? / (hd as f64).sqrt())?.broadcast_add(&mask)?;
            let weights = ops::softmax(&scores, D::Minus1)?;
            let y = weights
                .matmul(&v)?
                .transpose(1, 2)?
                .reshape((batch * width, n_head * hd))?;
            x = (x + layer.o.forward(&y, s, adapted)?)?;
            let h = ops::rms_norm_slow(&x, &layer.ffn_norm, cfg.eps)?;
            let gate = layer.gate.forward(&h, s, adapted)?.silu()?;
            let up = layer.up.forward(&h, s, adapted)?;
            x = (x + layer.down.forward(&(gate * up)?, s, adapted)?)?;
        }
        Ok(x)
    }
}
