// SPDX-License-Identifier: UNLICENSED
pragma solidity 0.8.28;

import "./TestToken.sol";

/// @title HostileToken: an ERC-20 for adversarial tests. It can call back
/// into another contract from transfer and transferFrom, return nothing
/// (like some deployed tokens), fail its transfers, or deliver less than
/// asked on transferFrom.
contract HostileToken is TestToken {
    address public hookTarget;
    bytes public hookData;
    uint256 public hookCalls;
    bool public lastHookOk;
    bytes public lastHookReturn;

    bool public returnNothing;
    bool public failTransfers;
    uint256 public transferFromFee;

    constructor() TestToken("Hostile", "HOST") {}

    /// @notice Makes every transfer and transferFrom call target with data
    /// first; a zero target turns it off.
    function setHook(address target, bytes calldata data) external {
        hookTarget = target;
        hookData = data;
    }

    function setModes(bool returnNothing_, bool failTransfers_, uint256 transferFromFee_) external {
        returnNothing = returnNothing_;
        failTransfers = failTransfers_;
        transferFromFee = transferFromFee_;
    }

    function transfer(address to, uint256 amount) external override returns (bool) {
        _hook();
        if (failTransfers) return false;
        _move(msg.sender, to, amount);
        _end();
        return true;
    }

    function transferFrom(address from, address to, uint256 amount) external override returns (bool) {
        _hook();
        _spend(from, amount);
        _move(from, to, amount);
        if (transferFromFee > 0) {
            // The fee leaves the recipient again, burnt.
            _move(to, address(0), transferFromFee);
        }
        _end();
        return true;
    }

    function _hook() private {
        if (hookTarget == address(0)) return;
        hookCalls++;
        (bool ok, bytes memory ret) = hookTarget.call(hookData);
        lastHookOk = ok;
        lastHookReturn = ret;
    }

    function _end() private view {
        if (returnNothing) {
            assembly {
                return(0, 0)
            }
        }
    }
}
