// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

/// @title Test USD (TUSD): a 6-decimal ERC-20 stablecoin for local chains only.
/// @notice Deployed next to the arena on the tournament's own anvil (and by `arena chain deploy`)
/// so token-fee rounds can be played without a real stablecoin. Its whole supply is minted at
/// deployment to the given holders (the node's funded accounts); nobody can mint afterwards, so
/// it behaves like a fixed-supply token. It has no value and must never be used on a public
/// chain in place of a real one.
contract TestUSD {
    string public constant name = "Test USD";
    string public constant symbol = "TUSD";
    uint8 public constant decimals = 6;

    uint256 public totalSupply;
    mapping(address => uint256) public balanceOf;
    mapping(address => mapping(address => uint256)) public allowance;

    event Transfer(address indexed from, address indexed to, uint256 value);
    event Approval(address indexed owner, address indexed spender, uint256 value);

    error InsufficientBalance(address from, uint256 balance, uint256 needed);
    error InsufficientAllowance(address spender, uint256 allowance, uint256 needed);
    error ZeroAddress();

    /// Mints `amountEach` (in units of 10^-6 TUSD) to every one of `holders`.
    constructor(address[] memory holders, uint256 amountEach) {
        for (uint256 i; i < holders.length; ++i) {
            _transfer(address(0), holders[i], amountEach);
        }
        totalSupply = amountEach * holders.length;
    }

    function transfer(address to, uint256 value) external returns (bool) {
        _transfer(msg.sender, to, value);
        return true;
    }

    function approve(address spender, uint256 value) external returns (bool) {
        allowance[msg.sender][spender] = value;
        emit Approval(msg.sender, spender, value);
        return true;
    }

    function transferFrom(address from, address to, uint256 value) external returns (bool) {
        uint256 allowed = allowance[from][msg.sender];
        if (allowed != type(uint256).max) {
            if (allowed < value) revert InsufficientAllowance(msg.sender, allowed, value);
            allowance[from][msg.sender] = allowed - value;
        }
        _transfer(from, to, value);
        return true;
    }

    /// Moves `value` from `from` (address 0: minting) to `to`.
    function _transfer(address from, address to, uint256 value) private {
        if (to == address(0)) revert ZeroAddress();
        if (from != address(0)) {
            uint256 held = balanceOf[from];
            if (held < value) revert InsufficientBalance(from, held, value);
            balanceOf[from] = held - value;
        }
        balanceOf[to] += value;
        emit Transfer(from, to, value);
    }
}
