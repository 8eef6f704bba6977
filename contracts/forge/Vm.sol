// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

/// The forge cheatcodes these tests use, declared here because forge-std cannot be fetched
/// offline. The address is forge's fixed cheatcode address.
interface Vm {
    function warp(uint256 newTimestamp) external;
    function deal(address account, uint256 newBalance) external;
    function prank(address msgSender) external;
    function expectRevert(bytes calldata revertData) external;
    function assume(bool condition) external pure;

    /// One event as `getRecordedLogs` returns it.
    struct Log {
        bytes32[] topics;
        bytes data;
        address emitter;
    }

    function recordLogs() external;
    function getRecordedLogs() external returns (Log[] memory logs);
}

/// Base of every test contract: the cheatcodes, and the target lists forge's invariant runner
/// reads (`targetContracts()`, `targetSelectors()`).
abstract contract ForgeTest {
    Vm internal constant vm = Vm(address(uint160(uint256(keccak256("hevm cheat code")))));

    struct FuzzSelector {
        address addr;
        bytes4[] selectors;
    }

    address[] private targets;
    FuzzSelector[] private selectors;

    /// Makes `target`'s `functions` the only calls of invariant runs.
    function target(address target_, bytes4[] memory functions) internal {
        targets.push(target_);
        selectors.push(FuzzSelector(target_, functions));
    }

    function targetContracts() public view returns (address[] memory) {
        return targets;
    }

    function targetSelectors() public view returns (FuzzSelector[] memory) {
        return selectors;
    }

    function assertEq(uint256 a, uint256 b, string memory what) internal pure {
        if (a != b) revert(string.concat(what, ": ", _str(a), " != ", _str(b)));
    }

    function assertEq(address a, address b, string memory what) internal pure {
        assertEq(uint256(uint160(a)), uint256(uint160(b)), what);
    }

    function assertTrue(bool condition, string memory what) internal pure {
        if (!condition) revert(what);
    }

    function _str(uint256 v) private pure returns (string memory) {
        if (v == 0) return "0";
        bytes memory b;
        while (v != 0) {
            b = abi.encodePacked(bytes1(uint8(48 + v % 10)), b);
            v /= 10;
        }
        return string(b);
    }
}
