// SPDX-License-Identifier: UNLICENSED
pragma solidity 0.8.28;

/// @title TestWallet: a contract account for tests. It forwards calls for
/// its owner and, on receiving the native coin, accepts, rejects, calls
/// back into another contract first, or burns all the gas it is given.
contract TestWallet {
    uint8 public constant ACCEPT = 0;
    uint8 public constant REJECT = 1;
    uint8 public constant REENTER = 2;
    uint8 public constant BURN = 3;

    address public immutable owner;
    uint8 public receiveMode;
    address public hookTarget;
    bytes public hookData;
    uint256 public hookCalls;
    bool public lastHookOk;
    bytes public lastHookReturn;

    constructor() {
        owner = msg.sender;
    }

    function setReceiveMode(uint8 mode, address target, bytes calldata data) external {
        require(msg.sender == owner, "not owner");
        receiveMode = mode;
        hookTarget = target;
        hookData = data;
    }

    /// @notice Calls target with value and data, reverting with its reason if it fails.
    function exec(address target, uint256 value, bytes calldata data) external payable returns (bytes memory) {
        require(msg.sender == owner, "not owner");
        (bool ok, bytes memory ret) = target.call{value: value}(data);
        if (!ok) {
            assembly {
                revert(add(ret, 32), mload(ret))
            }
        }
        return ret;
    }

    receive() external payable {
        require(receiveMode != REJECT, "wallet rejects payments");
        if (receiveMode == BURN) {
            for (uint256 i = 0; ; i++) {
                hookCalls = i; // storage writes burn gas until none is left
            }
        }
        if (receiveMode == REENTER) {
            hookCalls++;
            (bool ok, bytes memory ret) = hookTarget.call(hookData);
            lastHookOk = ok;
            lastHookReturn = ret;
        }
    }
}
