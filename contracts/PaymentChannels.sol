// SPDX-License-Identifier: UNLICENSED
pragma solidity 0.8.28;

/// @title PaymentChannels: teeswap's payment-channel contract, one per chain.
/// @notice Holds many two-party channels, each in the native coin or one
/// ERC-20 token. Channel states are EIP-712 typed data signed by both
/// parties (see messages/eip712.go, which computes the same digests).
/// Settlement rule: a lock's fate is decided only by its coordinator's
/// signed outcome for the lock's instance (submitOutcome), for same-chain
/// and cross-chain locks alike; a lock without an outcome when its channel
/// finalizes returns to its payer. Only the state a close ends on counts.
/// docs/CONTRACT.md describes the rules and argues why they hold.
contract PaymentChannels {
    // ---------------------------------------------------------------- types

    /// @notice A channel state as both parties sign it. Its fields and their
    /// order are the EIP-712 type ChannelState.
    struct State {
        uint64 version;
        uint256 depositA; // on-chain deposits this state accounts for
        uint256 depositB;
        uint256 balanceA;
        uint256 balanceB;
        bytes32 lockId; // the instance id of the pending transfer
        uint256 lockAmount;
        bool lockAToB; // the payer is A
        uint8 lockStage; // 0 none, 1 prepared, 2 committed (informational)
        bool lockCrossChain; // informational: settles like any lock
    }

    /// @notice Everything the contract knows about one channel.
    struct Channel {
        address a; // the opener
        address b; // the counterparty
        address token; // address(0): the native coin
        address coordinator; // settles the channel's locks
        uint256 depositA; // cumulative deposits of A
        uint256 depositB;
        uint8 status; // STATUS_*
        uint64 closingVersion; // version of the state the close stands on
        uint64 deadline; // end of the challenge period (unix seconds)
        // The closing state, reduced: what each side gets before the lock
        // resolves (top-ups the state did not see included), and the lock.
        uint256 closeBalanceA;
        uint256 closeBalanceB;
        bytes32 lockId;
        uint256 lockAmount;
        bool lockAToB;
        uint8 lockStage;
        bool lockCrossChain;
    }

    // ------------------------------------------------------------ constants

    uint8 internal constant STATUS_NONE = 0;
    uint8 internal constant STATUS_OPEN = 1;
    uint8 internal constant STATUS_CLOSING = 2;
    uint8 internal constant STATUS_CLOSED = 3;

    uint8 internal constant STAGE_NONE = 0;
    uint8 internal constant STAGE_PREPARED = 1;
    uint8 internal constant STAGE_COMMITTED = 2;

    uint8 internal constant OUTCOME_NONE = 0;
    uint8 internal constant OUTCOME_CONFIRMED = 1;
    uint8 internal constant OUTCOME_REFUNDED = 2;

    bytes32 private constant DOMAIN_TYPEHASH =
        keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract,bytes32 salt)");
    bytes32 private constant CHANNEL_STATE_TYPEHASH = keccak256(
        "ChannelState(uint64 version,uint256 depositA,uint256 depositB,uint256 balanceA,uint256 balanceB,bytes32 lockId,uint256 lockAmount,bool lockAToB,uint8 lockStage,bool lockCrossChain)"
    );
    bytes32 private constant COOPERATIVE_CLOSE_TYPEHASH =
        keccak256("CooperativeClose(uint64 version,uint256 balanceA,uint256 balanceB)");
    bytes32 private constant OUTCOME_TYPEHASH = keccak256("Outcome(bytes32 instanceId,bool confirmed)");
    bytes32 private constant NAME_HASH = keccak256("teeswap");
    bytes32 private constant VERSION_HASH = keccak256("1");

    /// @dev Upper bound of s in a canonical (low-s) secp256k1 signature.
    uint256 private constant MAX_S = 0x7FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF5D576E7357A4501DDFE92F46681B20A0;

    // ---------------------------------------------------------------- state

    /// @notice Bounds of the challenge period: never zero, and small
    /// enough that a deadline can never overflow or lock funds for years.
    uint64 public constant MIN_CHALLENGE_PERIOD = 1;
    uint64 public constant MAX_CHALLENGE_PERIOD = 30 days;

    /// @notice Gas forwarded with a native payout. A recipient that needs
    /// more (or burns it) is credited to withdrawable instead, so a close
    /// costs its caller a bounded amount of gas.
    uint256 public constant PAYOUT_GAS = 50_000;

    /// @notice Seconds between a unilateral close and its finalization.
    uint64 public immutable challengePeriod;

    /// @notice Counter mixed into every new channel id.
    uint256 public nonce;

    mapping(bytes32 => Channel) private channels;
    /// @dev channelId => depositA + depositB after open or a top-up =>
    /// depositA then, plus one (zero: no such total). Deposits only grow,
    /// so a total names exactly one moment of the channel's deposits:
    /// cooperativeClose uses it to learn which deposits its balances saw.
    mapping(bytes32 => mapping(uint256 => uint256)) private depositsAt;
    /// @dev keccak256(abi.encode(coordinator, instanceId)) => OUTCOME_*
    mapping(bytes32 => uint8) private outcomes;

    /// @notice Payouts whose transfer failed, claimable with withdraw.
    mapping(address token => mapping(address account => uint256)) public withdrawable;

    uint256 private entered = 1; // 1: not entered, 2: entered

    // --------------------------------------------------------------- events

    event ChannelOpened(
        bytes32 indexed channelId, address indexed a, address indexed b, address token, address coordinator, uint256 depositA
    );
    event ChannelToppedUp(
        bytes32 indexed channelId, address indexed by, uint256 amount, uint256 depositA, uint256 depositB
    );
    event CloseRequested(bytes32 indexed channelId, address indexed by, uint64 version, uint64 deadline);
    event Challenged(bytes32 indexed channelId, address indexed by, uint64 version);
    event ChannelClosed(bytes32 indexed channelId, uint256 payoutA, uint256 payoutB);
    /// @notice finalize resolved the closing state's lock by the outcome
    /// (OUTCOME_*) recorded for (the channel's coordinator, lockId):
    /// confirmed sends it to its payee, anything else back to its payer.
    event LockResolved(bytes32 indexed channelId, bytes32 indexed lockId, uint8 outcome, bool toPayee, uint256 amount);
    event OutcomeRecorded(bytes32 indexed instanceId, address indexed coordinator, bool confirmed);
    /// @notice A payout could not be transferred and was credited to withdrawable.
    event PayoutDeferred(address indexed token, address indexed account, uint256 amount);
    event Withdrawn(address indexed token, address indexed account, uint256 amount);

    // ------------------------------------------------------------ modifiers

    modifier nonReentrant() {
        require(entered == 1, "reentrant call");
        entered = 2;
        _;
        entered = 1;
    }

    constructor(uint64 challengePeriod_) {
        require(
            challengePeriod_ >= MIN_CHALLENGE_PERIOD && challengePeriod_ <= MAX_CHALLENGE_PERIOD,
            "challenge period out of range"
        );
        challengePeriod = challengePeriod_;
    }

    // ------------------------------------------------------- open and top up

    /// @notice Opens a channel with the caller as party A and deposits amount
    /// of token (address(0): the native coin, sent as msg.value).
    function open(address counterparty, address token, uint256 amount, address coordinator)
        external
        payable
        nonReentrant
        returns (bytes32 channelId)
    {
        require(counterparty != address(0), "zero counterparty");
        require(counterparty != msg.sender, "counterparty is caller");
        require(coordinator != address(0), "zero coordinator");
        require(amount > 0, "zero amount");

        channelId = keccak256(abi.encode(block.chainid, address(this), msg.sender, counterparty, nonce++));
        Channel storage c = channels[channelId];
        // The id commits to a fresh nonce, so it is always new.
        c.a = msg.sender;
        c.b = counterparty;
        c.token = token;
        c.coordinator = coordinator;
        c.depositA = amount;
        c.status = STATUS_OPEN;
        depositsAt[channelId][amount] = amount + 1;
        emit ChannelOpened(channelId, msg.sender, counterparty, token, coordinator, amount);

        _pullDeposit(token, amount);
    }

    /// @notice Adds amount to the caller's deposit in an open channel.
    function topUp(bytes32 channelId, uint256 amount) external payable nonReentrant {
        Channel storage c = channels[channelId];
        require(c.status != STATUS_NONE, "unknown channel");
        require(c.status == STATUS_OPEN, "channel not open");
        require(amount > 0, "zero amount");
        if (msg.sender == c.a) {
            c.depositA += amount;
        } else if (msg.sender == c.b) {
            c.depositB += amount;
        } else {
            revert("not a party");
        }
        depositsAt[channelId][c.depositA + c.depositB] = c.depositA + 1;
        emit ChannelToppedUp(channelId, msg.sender, amount, c.depositA, c.depositB);

        _pullDeposit(c.token, amount);
    }

    // ---------------------------------------------------------------- close

    /// @notice Closes a channel at once with final balances both parties
    /// signed as EIP-712 CooperativeClose. Works while open or closing.
    /// The balances must add up to the deposits at some moment of the
    /// channel (after its open or a top-up): those are the deposits the
    /// parties saw, and later top-ups go back to whoever made them, so a
    /// top-up cannot void a signed close. A close has no lock: the parties
    /// sign one only once no lock is pending.
    function cooperativeClose(
        bytes32 channelId,
        uint64 version,
        uint256 balanceA,
        uint256 balanceB,
        bytes calldata sigA,
        bytes calldata sigB
    ) external nonReentrant {
        Channel storage c = channels[channelId];
        require(c.status != STATUS_NONE, "unknown channel");
        require(c.status != STATUS_CLOSED, "channel closed");
        uint256 seenA = depositsAt[channelId][balanceA + balanceB];
        require(seenA != 0, "balances do not match deposits");
        seenA -= 1;
        uint256 seenB = balanceA + balanceB - seenA;
        bytes32 digest = _digest(
            _domainSeparator(channelId),
            keccak256(abi.encode(COOPERATIVE_CLOSE_TYPEHASH, version, balanceA, balanceB))
        );
        _checkSignatures(c, digest, sigA, sigB);

        uint256 payoutA = balanceA + (c.depositA - seenA);
        uint256 payoutB = balanceB + (c.depositB - seenB);
        c.status = STATUS_CLOSED;
        c.closingVersion = version;
        c.closeBalanceA = payoutA;
        c.closeBalanceB = payoutB;
        _clearLock(c);
        emit ChannelClosed(channelId, payoutA, payoutB);

        _payout(c.token, c.a, payoutA);
        _payout(c.token, c.b, payoutB);
    }

    /// @notice Starts the challenge period on st, a state both parties
    /// signed, or with st.version == 0 and no signatures, on the deposits.
    function closeUnilateral(bytes32 channelId, State calldata st, bytes calldata sigA, bytes calldata sigB)
        external
        nonReentrant
    {
        Channel storage c = channels[channelId];
        require(c.status != STATUS_NONE, "unknown channel");
        require(c.status == STATUS_OPEN, "channel not open");
        _requireParty(c);

        if (st.version == 0) {
            require(sigA.length == 0 && sigB.length == 0, "version 0 takes no signatures");
            c.closeBalanceA = c.depositA;
            c.closeBalanceB = c.depositB;
        } else {
            _acceptState(channelId, c, st, sigA, sigB);
        }
        uint64 deadline = uint64(block.timestamp) + challengePeriod;
        c.status = STATUS_CLOSING;
        c.closingVersion = st.version;
        c.deadline = deadline;
        emit CloseRequested(channelId, msg.sender, st.version, deadline);
    }

    /// @notice Replaces the closing state by a newer one, before the
    /// deadline. Anyone holding a newer state both parties signed may call
    /// it (a watchtower, say): the signatures are the authority. The
    /// deadline does not move.
    function challenge(bytes32 channelId, State calldata st, bytes calldata sigA, bytes calldata sigB)
        external
        nonReentrant
    {
        Channel storage c = channels[channelId];
        require(c.status != STATUS_NONE, "unknown channel");
        require(c.status == STATUS_CLOSING, "channel not closing");
        require(block.timestamp < c.deadline, "challenge period over");
        require(st.version > c.closingVersion, "version not newer");

        _acceptState(channelId, c, st, sigA, sigB);
        c.closingVersion = st.version;
        emit Challenged(channelId, msg.sender, st.version);
    }

    /// @notice Pays out a closing channel once its challenge period is over.
    /// Anyone may call it. The closing state's lock goes to its payee if
    /// the coordinator's CONFIRMED outcome for it is on chain by now, and
    /// back to its payer otherwise (refunded, or no outcome).
    function finalize(bytes32 channelId) external nonReentrant {
        Channel storage c = channels[channelId];
        require(c.status != STATUS_NONE, "unknown channel");
        require(c.status == STATUS_CLOSING, "channel not closing");
        require(block.timestamp >= c.deadline, "challenge period not over");

        uint256 payoutA = c.closeBalanceA;
        uint256 payoutB = c.closeBalanceB;
        if (c.lockStage != STAGE_NONE) {
            uint8 o = outcomes[_key(c.coordinator, c.lockId)];
            bool toPayee = o == OUTCOME_CONFIRMED;
            if (toPayee == c.lockAToB) payoutB += c.lockAmount;
            else payoutA += c.lockAmount;
            emit LockResolved(channelId, c.lockId, o, toPayee, c.lockAmount);
        }
        c.status = STATUS_CLOSED;
        emit ChannelClosed(channelId, payoutA, payoutB);

        _payout(c.token, c.a, payoutA);
        _payout(c.token, c.b, payoutB);
    }

    /// @notice Transfers the caller's deferred payouts in token to it.
    function withdraw(address token) external nonReentrant {
        uint256 amount = withdrawable[token][msg.sender];
        require(amount > 0, "nothing to withdraw");
        withdrawable[token][msg.sender] = 0;
        emit Withdrawn(token, msg.sender, amount);
        require(_transfer(token, msg.sender, amount, gasleft()), "transfer failed");
    }

    // ------------------------------------------------------------- outcomes

    /// @notice Records the outcome of an instance (a payment or a swap),
    /// signed by its coordinator as EIP-712 Outcome under this chain's and
    /// contract's domain with a zero salt. It decides every lock of the
    /// instance in every channel naming that coordinator that has not
    /// finalized yet. Anyone may submit it. An outcome is final: a
    /// different one reverts, the same one again is a no-op.
    function submitOutcome(bytes32 instanceId, bool confirmed, address coordinator, bytes calldata sig)
        external
        nonReentrant
    {
        require(coordinator != address(0), "zero coordinator");
        bytes32 digest =
            _digest(_domainSeparator(bytes32(0)), keccak256(abi.encode(OUTCOME_TYPEHASH, instanceId, confirmed)));
        require(_recover(digest, sig) == coordinator, "bad coordinator signature");

        bytes32 key = _key(coordinator, instanceId);
        uint8 o = confirmed ? OUTCOME_CONFIRMED : OUTCOME_REFUNDED;
        uint8 had = outcomes[key];
        if (had == o) return;
        require(had == OUTCOME_NONE, "outcome already recorded");
        outcomes[key] = o;
        emit OutcomeRecorded(instanceId, coordinator, confirmed);
    }

    // ---------------------------------------------------------------- views

    function getChannel(bytes32 channelId) external view returns (Channel memory) {
        return channels[channelId];
    }

    /// @notice The recorded outcome (OUTCOME_*) of an instance.
    function outcome(address coordinator, bytes32 instanceId) external view returns (uint8) {
        return outcomes[_key(coordinator, instanceId)];
    }

    /// @notice The EIP-712 domain separator for salt (a channel id, or zero
    /// for outcomes) on this contract and chain.
    function domainSeparator(bytes32 salt) external view returns (bytes32) {
        return _domainSeparator(salt);
    }

    /// @notice The EIP-712 digest both parties sign for st on channelId.
    function stateDigest(bytes32 channelId, State calldata st) external view returns (bytes32) {
        return _digest(_domainSeparator(channelId), keccak256(abi.encode(CHANNEL_STATE_TYPEHASH, st)));
    }

    // ------------------------------------------------------------- internal

    function _requireParty(Channel storage c) private view {
        require(msg.sender == c.a || msg.sender == c.b, "not a party");
    }

    function _clearLock(Channel storage c) private {
        c.lockId = bytes32(0);
        c.lockAmount = 0;
        c.lockAToB = false;
        c.lockStage = STAGE_NONE;
        c.lockCrossChain = false;
    }

    /// @dev Checks st and its signatures and stores it as the closing
    /// state. It fixes nothing beyond this channel's closing state: a
    /// newer state replaces it entirely.
    function _acceptState(
        bytes32 channelId,
        Channel storage c,
        State calldata st,
        bytes calldata sigA,
        bytes calldata sigB
    ) private {
        require(st.lockStage <= STAGE_COMMITTED, "bad lock stage");
        if (st.lockStage == STAGE_NONE) {
            require(
                st.lockId == bytes32(0) && st.lockAmount == 0 && !st.lockAToB && !st.lockCrossChain,
                "lock fields without a lock"
            );
        } else {
            require(st.lockAmount > 0, "zero lock amount");
        }
        require(st.balanceA + st.balanceB + st.lockAmount == st.depositA + st.depositB, "state does not add up");
        require(st.depositA <= c.depositA && st.depositB <= c.depositB, "state deposits exceed deposits");

        bytes32 digest = _digest(_domainSeparator(channelId), keccak256(abi.encode(CHANNEL_STATE_TYPEHASH, st)));
        _checkSignatures(c, digest, sigA, sigB);

        c.closeBalanceA = c.depositA - st.depositA + st.balanceA;
        c.closeBalanceB = c.depositB - st.depositB + st.balanceB;
        c.lockId = st.lockId;
        c.lockAmount = st.lockAmount;
        c.lockAToB = st.lockAToB;
        c.lockStage = st.lockStage;
        c.lockCrossChain = st.lockCrossChain;
    }

    function _key(address coordinator, bytes32 id) private pure returns (bytes32) {
        return keccak256(abi.encode(coordinator, id));
    }

    function _domainSeparator(bytes32 salt) private view returns (bytes32) {
        return keccak256(abi.encode(DOMAIN_TYPEHASH, NAME_HASH, VERSION_HASH, block.chainid, address(this), salt));
    }

    function _digest(bytes32 domain, bytes32 structHash) private pure returns (bytes32) {
        return keccak256(abi.encodePacked(hex"1901", domain, structHash));
    }

    function _checkSignatures(Channel storage c, bytes32 digest, bytes calldata sigA, bytes calldata sigB)
        private
        view
    {
        require(_recover(digest, sigA) == c.a, "bad signature of A");
        require(_recover(digest, sigB) == c.b, "bad signature of B");
    }

    /// @dev Recovers the signer of a 65-byte [r || s || v] signature, v in
    /// {0, 1, 27, 28}. Reverts on a malformed or high-s signature or when
    /// recovery fails.
    function _recover(bytes32 digest, bytes calldata sig) private pure returns (address signer) {
        require(sig.length == 65, "bad signature length");
        bytes32 r = bytes32(sig[0:32]);
        bytes32 s = bytes32(sig[32:64]);
        uint8 v = uint8(sig[64]);
        if (v < 27) v += 27;
        require(v == 27 || v == 28, "bad signature v");
        require(uint256(s) <= MAX_S, "high-s signature");
        signer = ecrecover(digest, v, r, s);
        require(signer != address(0), "invalid signature");
    }

    /// @dev Takes amount from the caller: msg.value for the native coin,
    /// transferFrom for a token, which must arrive in full.
    function _pullDeposit(address token, uint256 amount) private {
        if (token == address(0)) {
            require(msg.value == amount, "value does not match amount");
            return;
        }
        require(msg.value == 0, "value sent with token deposit");
        require(token.code.length > 0, "token is not a contract");
        uint256 before = _balanceOf(token);
        (bool ok, bytes memory ret) =
            token.call(abi.encodeWithSelector(0x23b872dd, msg.sender, address(this), amount)); // transferFrom
        require(ok && (ret.length == 0 || (ret.length >= 32 && abi.decode(ret, (uint256)) == 1)), "transferFrom failed");
        require(_balanceOf(token) - before == amount, "token transfer amount mismatch");
    }

    function _balanceOf(address token) private view returns (uint256) {
        (bool ok, bytes memory ret) = token.staticcall(abi.encodeWithSelector(0x70a08231, address(this))); // balanceOf
        require(ok && ret.length >= 32, "balanceOf failed");
        return abi.decode(ret, (uint256));
    }

    /// @dev Pays amount to to, or credits withdrawable when the transfer
    /// fails, so that one recipient can never block a close.
    function _payout(address token, address to, uint256 amount) private {
        if (amount == 0) return;
        if (!_transfer(token, to, amount, PAYOUT_GAS)) {
            withdrawable[token][to] += amount;
            emit PayoutDeferred(token, to, amount);
        }
    }

    /// @dev Sends amount of token (address(0): the native coin) to to and
    /// reports success. It copies at most one word of return data, so a
    /// recipient or token cannot make it pay for a large return. A native
    /// payout forwards nativeGas (PAYOUT_GAS in closes, everything left in
    /// withdraw, where the recipient pays for its own receive).
    function _transfer(address token, address to, uint256 amount, uint256 nativeGas) private returns (bool ok) {
        if (token == address(0)) {
            assembly ("memory-safe") {
                ok := call(nativeGas, to, amount, 0, 0, 0, 0)
            }
            return ok;
        }
        bytes memory data = abi.encodeWithSelector(0xa9059cbb, to, amount); // transfer
        uint256 size;
        uint256 word;
        assembly ("memory-safe") {
            ok := call(gas(), token, 0, add(data, 32), mload(data), 0, 32)
            size := returndatasize()
            word := mload(0)
        }
        if (!ok) return false;
        // Tokens that return nothing succeed by not reverting.
        if (size == 0) return token.code.length > 0;
        return size >= 32 && word == 1;
    }
}
