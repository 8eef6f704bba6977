//! Typed bindings generated from the committed, compiled artifacts, so the Rust client always
//! speaks the ABI of the exact bytecode it deploys.

// The generated `open` takes the contract's eight parameters plus the instance.
#![allow(clippy::too_many_arguments)]

alloy::sol!(
    #[sol(rpc)]
    #[derive(Debug, PartialEq, Eq)]
    Arena,
    "artifacts/Arena.json"
);

alloy::sol!(
    #[sol(rpc)]
    #[derive(Debug, PartialEq, Eq)]
    TestUSD,
    "artifacts/TestUSD.json"
);

// `sol!` reads the artifacts without telling cargo; including them makes a recompiled artifact
// rebuild the bindings instead of leaving stale bytecode in the client.
const _: &[u8] = include_bytes!("../artifacts/Arena.json");
const _: &[u8] = include_bytes!("../artifacts/TestUSD.json");
