//! Typed bindings generated from the committed, compiled artifact, so the Rust client always
//! speaks the ABI of the exact bytecode it deploys.

// The generated `open` takes the contract's seven parameters plus the instance.
#![allow(clippy::too_many_arguments)]

alloy::sol!(
    #[sol(rpc)]
    #[derive(Debug, PartialEq, Eq)]
    Arena,
    "artifacts/Arena.json"
);

// `sol!` reads the artifact without telling cargo; including it makes a recompiled artifact
// rebuild the bindings instead of leaving stale bytecode in the client.
const _: &[u8] = include_bytes!("../artifacts/Arena.json");
