//! Errors a user sees name the thing that failed and how to fix it.

mod common;

use common::{Env, FEE, agent};
use contracts::client::DEFAULT_SPLIT_BPS;
use contracts::{Chain, ChainError};

#[tokio::test]
async fn a_dead_node_is_named_by_its_url() {
    // Port 1 on loopback: nothing listens there.
    let key = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d";
    let err = Chain::connect("http://127.0.0.1:1", key)
        .await
        .err()
        .expect("connected to a dead node");
    assert!(matches!(err, ChainError::Rpc { .. }), "{err}");
    assert!(err.to_string().contains("http://127.0.0.1:1"), "{err}");
}

#[tokio::test]
async fn a_key_in_the_node_url_is_never_in_an_error() {
    let key = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d";
    for url in [
        "http://127.0.0.1:1/v3/k3yInTheUrl",
        "http://127.0.0.1:1/?apikey=k3yInTheUrl",
        "http://user:k3yInTheUrl@127.0.0.1:1/",
    ] {
        let err = Chain::connect(url, key).await.err().expect("a dead node");
        let shown = format!("{err} {err:?}");
        assert!(!shown.contains("k3yInTheUrl"), "{shown}");
        assert!(shown.contains("http://127.0.0.1:1"), "{shown}");
    }
}

#[tokio::test]
async fn bad_keys_and_urls_are_refused_before_any_request() {
    let err = Chain::connect("http://127.0.0.1:1", "0x1234")
        .await
        .err()
        .unwrap();
    assert!(matches!(err, ChainError::BadKey(_)), "{err}");
    let key = "59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d";
    let err = Chain::connect("not a url", key).await.err().unwrap();
    assert!(matches!(err, ChainError::BadUrl { .. }), "{err}");
}

#[tokio::test]
async fn a_wrong_fee_reads_as_a_sentence_with_both_amounts() {
    let env = Env::start(2).await;
    env.open(1, &DEFAULT_SPLIT_BPS).await;
    let err = env.players[0]
        .enter(1, agent(env.players[0].chain().account()), FEE - 7)
        .await
        .unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains(&format!(
            "paid {} wei but the entry fee is exactly {FEE} wei",
            FEE - 7
        )),
        "{text}"
    );
    assert!(text.contains("enter round 1"), "{text}");
}
