// SPDX-License-Identifier: UNLICENSED
pragma solidity 0.8.28;

/// @title HTLC: hash-time-locked contracts in the native coin.
/// @notice The baseline teeswap is measured against (sim/htlc.go): an
/// atomic cross-chain swap in the style of Herlihy's "Atomic Cross-Chain
/// Swaps" (PODC 2018), two parties and one contract per chain. A locks on
/// chain 1 under hash(secret); B, once that lock is confirmed, locks on
/// chain 2 under the same hash and a shorter timelock; A claims on chain 2
/// with the secret, revealing it; B claims on chain 1 with it. A lock not
/// claimed by its timelock can be refunded to its sender.
contract HTLC {
    enum State {
        None,
        Locked,
        Claimed,
        Refunded
    }

    struct Lock {
        address sender;
        address receiver;
        uint256 amount;
        bytes32 hashlock; // sha256(preimage)
        uint64 timelock; // unix seconds after which the sender may refund
        State state;
    }

    mapping(bytes32 => Lock) public locks;

    event Locked(bytes32 indexed id, address indexed sender, address indexed receiver, uint256 amount, bytes32 hashlock, uint64 timelock);
    event Claimed(bytes32 indexed id, bytes32 preimage);
    event Refunded(bytes32 indexed id);

    error LockExists(bytes32 id);
    error NotLocked(bytes32 id);
    error BadLock();
    error WrongPreimage();
    error Expired();
    error NotExpired();
    error TransferFailed();

    /// @notice Locks msg.value for receiver under hashlock until timelock.
    function lock(bytes32 id, address receiver, bytes32 hashlock, uint64 timelock) external payable {
        if (locks[id].state != State.None) revert LockExists(id);
        if (msg.value == 0 || receiver == address(0) || timelock <= block.timestamp) revert BadLock();
        locks[id] = Lock(msg.sender, receiver, msg.value, hashlock, timelock, State.Locked);
        emit Locked(id, msg.sender, receiver, msg.value, hashlock, timelock);
    }

    /// @notice Pays the lock to its receiver against the preimage of its
    /// hashlock, before the timelock. Anyone may submit it; the preimage
    /// becomes public in the Claimed event.
    function claim(bytes32 id, bytes32 preimage) external {
        Lock storage l = locks[id];
        if (l.state != State.Locked) revert NotLocked(id);
        if (sha256(abi.encodePacked(preimage)) != l.hashlock) revert WrongPreimage();
        if (block.timestamp >= l.timelock) revert Expired();
        l.state = State.Claimed;
        emit Claimed(id, preimage);
        (bool ok, ) = l.receiver.call{value: l.amount}("");
        if (!ok) revert TransferFailed();
    }

    /// @notice Returns an unclaimed lock to its sender after the timelock.
    function refund(bytes32 id) external {
        Lock storage l = locks[id];
        if (l.state != State.Locked) revert NotLocked(id);
        if (block.timestamp < l.timelock) revert NotExpired();
        l.state = State.Refunded;
        emit Refunded(id);
        (bool ok, ) = l.sender.call{value: l.amount}("");
        if (!ok) revert TransferFailed();
    }
}
