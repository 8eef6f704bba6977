//! ERC-20 tokens that entry fees can be paid in, seen from one account: the Test USD stablecoin
//! deployed on local chains, or any other ERC-20 through the same standard calls.

use alloy::primitives::{Address, U256};

use crate::bindings::TestUSD::{self, TestUSDInstance};
use crate::chain::Chain;
use crate::client::TxOutcome;
use crate::error::{ChainError, from_contract_error};

/// What the test stablecoin mints to each holder at deployment: one million TUSD.
pub const TEST_USD_PER_HOLDER: u128 = 1_000_000 * 10u128.pow(TEST_USD_DECIMALS as u32);
/// Test USD has 6 decimals, like USDC.
pub const TEST_USD_DECIMALS: u8 = 6;

/// An ERC-20 token driven by one account of a [`Chain`]. The binding is Test USD's, whose ABI is
/// plain ERC-20, so it reads and approves any standard token.
#[derive(Clone)]
pub struct TokenClient {
    chain: Chain,
    contract: TestUSDInstance<alloy::providers::DynProvider>,
}

impl TokenClient {
    /// Deploys Test USD, minting [`TEST_USD_PER_HOLDER`] to each of `holders`.
    pub async fn deploy_test_usd(
        chain: &Chain,
        holders: &[Address],
    ) -> Result<TokenClient, ChainError> {
        let address = TestUSD::deploy_builder(
            chain.provider().clone(),
            holders.to_vec(),
            U256::from(TEST_USD_PER_HOLDER),
        )
        .deploy()
        .await
        .map_err(|e| from_contract_error(e, chain.url(), "deploy Test USD"))?;
        Ok(TokenClient::at(chain, address))
    }

    /// The token at `address`.
    pub fn at(chain: &Chain, address: Address) -> TokenClient {
        TokenClient {
            chain: chain.clone(),
            contract: TestUSD::new(address, chain.provider().clone()),
        }
    }

    /// The same token seen from another account.
    pub fn with_chain(&self, chain: &Chain) -> TokenClient {
        TokenClient::at(chain, self.address())
    }

    /// The token's address.
    pub fn address(&self) -> Address {
        *self.contract.address()
    }

    /// The token's symbol, e.g. "TUSD".
    pub async fn symbol(&self) -> Result<String, ChainError> {
        self.contract
            .symbol()
            .call()
            .await
            .map_err(|e| self.err(e, "symbol()"))
    }

    /// How many decimals the token's amounts have (6 for Test USD).
    pub async fn decimals(&self) -> Result<u8, ChainError> {
        self.contract
            .decimals()
            .call()
            .await
            .map_err(|e| self.err(e, "decimals()"))
    }

    /// What `account` holds, in the token's smallest unit.
    pub async fn balance_of(&self, account: Address) -> Result<U256, ChainError> {
        self.contract
            .balanceOf(account)
            .call()
            .await
            .map_err(|e| self.err(e, "balanceOf"))
    }

    /// How much `spender` may still take from `owner`.
    pub async fn allowance(&self, owner: Address, spender: Address) -> Result<U256, ChainError> {
        self.contract
            .allowance(owner, spender)
            .call()
            .await
            .map_err(|e| self.err(e, "allowance"))
    }

    /// Lets `spender` take up to `amount` from the sending account (replacing any allowance).
    pub async fn approve(&self, spender: Address, amount: U256) -> Result<TxOutcome, ChainError> {
        let action = format!("approve {spender} for {amount} of token {}", self.address());
        let pending = self
            .contract
            .approve(spender, amount)
            .send()
            .await
            .map_err(|e| self.err(e, &action))?;
        let hash = *pending.tx_hash();
        crate::client::confirm_on(&self.chain, hash, &action).await
    }

    /// Sends `amount` from the sending account to `to`.
    pub async fn transfer(&self, to: Address, amount: U256) -> Result<TxOutcome, ChainError> {
        let action = format!("transfer {amount} of token {} to {to}", self.address());
        let pending = self
            .contract
            .transfer(to, amount)
            .send()
            .await
            .map_err(|e| self.err(e, &action))?;
        let hash = *pending.tx_hash();
        crate::client::confirm_on(&self.chain, hash, &action).await
    }

    fn err(&self, e: alloy::contract::Error, action: &str) -> ChainError {
        from_contract_error(e, self.chain.url(), action)
    }
}
