//! A trained model as a GGUF file the inference path loads like any other:
//! the source file's metadata (tokenizer and chat template included) and
//! tensors, with the trained projections replaced by their merged weights
//! quantized to Q8_0 (which the project's SIMD kernels run) and every other
//! tensor kept byte for byte. Metadata and tensors are written in a fixed
//! order, so the same weights always give the same file and sha256.

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufReader, BufWriter, Write};
use std::path::Path;

use anyhow::{Context, Result, bail};
use candle_core::quantized::gguf_file::{self, Content, Value};
use candle_core::quantized::{GgmlDType, QTensor};
use candle_core::{Device, Tensor};

/// The alignment candle's writer uses for tensor data.
const WRITER_ALIGNMENT: u32 = 32;

/// Writes `source` with the tensors of `merged` (by GGUF name, f32)
/// replaced to `out` (beside it first, then renamed into place) and returns
/// the new file's sha256, hex.
pub fn write_merged(source: &Path, merged: &[(String, Tensor)], out: &Path) -> Result<String> {
    let mut reader = BufReader::new(
        File::open(source).with_context(|| format!("opening {}", source.display()))?,
    );
    let content = Content::read(&mut reader)
        .with_context(|| format!("reading {} as GGUF", source.display()))?;
    let replaced: HashMap<&str, &Tensor> = merged.iter().map(|(n, t)| (n.as_str(), t)).collect();
    for name in replaced.keys() {
        if !content.tensor_infos.contains_key(*name) {
            bail!("{} has no tensor '{name}' to replace", source.display());
        }
    }
    // Tensors in the source's order (by offset); names break no ties.
    let mut names: Vec<&String> = content.tensor_infos.keys().collect();
    names.sort_by(|a, b| {
        let offset = |n: &String| content.tensor_infos[n].offset;
        offset(a).cmp(&offset(b)).then_with(|| a.cmp(b))
    });
    let dev = Device::Cpu;
    let mut tensors: Vec<(&str, QTensor)> = Vec::with_capacity(names.len());
    for name in names {
        let tensor = match replaced.get(name.as_str()) {
            Some(weights) => QTensor::quantize(weights, GgmlDType::Q8_0)
                .with_context(|| format!("quantizing {name} to Q8_0"))?,
            None => content
                .tensor(&mut reader, name, &dev)
                .with_context(|| format!("reading tensor '{name}'"))?,
        };
        tensors.push((name, tensor));
    }
    let mut metadata: Vec<(&str, &Value)> = content
        .metadata
        .iter()
        .filter(|(k, _)| k.as_str() != "general.alignment")
        .map(|(k, v)| (k.as_str(), v))
        .collect();
    let alignment = Value::U32(WRITER_ALIGNMENT);
    metadata.push(("general.alignment", &alignment));
    metadata.sort_by_key(|(k, _)| *k);
    let tensor_refs: Vec<(&str, &QTensor)> = tensors.iter().map(|(n, t)| (*n, t)).collect();

    let partial = out.with_extension("partial");
    let write = || -> Result<()> {
        let mut file = BufWriter::new(File::create(&partial)?);
        gguf_file::write(&mut file, &metadata, &tensor_refs)?;
        file.flush()?;
        file.into_inner().map_err(|e| e.into_error())?.sync_all()?;
        Ok(())
    };
    write()
        .inspect_err(|_| {
            let _ = std::fs::remove_file(&partial);
        })
        .with_context(|| format!("writing {}", partial.display()))?;
    std::fs::rename(&partial, out).with_context(|| format!("writing {}", out.display()))?;
    crate::fetch::sha256_file(out).with_context(|| format!("reading {}", out.display()))
}
