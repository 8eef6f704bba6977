//! Typed bindings generated from the committed, compiled artifact, so the Rust client always
//! speaks the ABI of the exact bytecode it deploys.

alloy::sol!(
    #[sol(rpc)]
    #[derive(Debug, PartialEq, Eq)]
    Arena,
    "artifacts/Arena.json"
);
