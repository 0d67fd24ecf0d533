// Code generated via abigen V2 - DO NOT EDIT.
// This file is a generated binding and any manual changes will be lost.

package contracts

import (
	"bytes"
	"errors"
	"math/big"

	"github.com/ethereum/go-ethereum/accounts/abi"
	"github.com/ethereum/go-ethereum/accounts/abi/bind/v2"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
)

// Reference imports to suppress errors if they are not otherwise used.
var (
	_ = bytes.Equal
	_ = errors.New
	_ = big.NewInt
	_ = common.Big1
	_ = types.BloomLookup
	_ = abi.ConvertType
)

// HTLCMetaData contains all meta data concerning the HTLC contract.
var HTLCMetaData = bind.MetaData{
	ABI: "[{\"inputs\":[],\"name\":\"BadLock\",\"type\":\"error\"},{\"inputs\":[],\"name\":\"Expired\",\"type\":\"error\"},{\"inputs\":[{\"internalType\":\"bytes32\",\"name\":\"id\",\"type\":\"bytes32\"}],\"name\":\"LockExists\",\"type\":\"error\"},{\"inputs\":[],\"name\":\"NotExpired\",\"type\":\"error\"},{\"inputs\":[{\"internalType\":\"bytes32\",\"name\":\"id\",\"type\":\"bytes32\"}],\"name\":\"NotLocked\",\"type\":\"error\"},{\"inputs\":[],\"name\":\"TransferFailed\",\"type\":\"error\"},{\"inputs\":[],\"name\":\"WrongPreimage\",\"type\":\"error\"},{\"anonymous\":false,\"inputs\":[{\"indexed\":true,\"internalType\":\"bytes32\",\"name\":\"id\",\"type\":\"bytes32\"},{\"indexed\":false,\"internalType\":\"bytes32\",\"name\":\"preimage\",\"type\":\"bytes32\"}],\"name\":\"Claimed\",\"type\":\"event\"},{\"anonymous\":false,\"inputs\":[{\"indexed\":true,\"internalType\":\"bytes32\",\"name\":\"id\",\"type\":\"bytes32\"},{\"indexed\":true,\"internalType\":\"address\",\"name\":\"sender\",\"type\":\"address\"},{\"indexed\":true,\"internalType\":\"address\",\"name\":\"receiver\",\"type\":\"address\"},{\"indexed\":false,\"internalType\":\"uint256\",\"name\":\"amount\",\"type\":\"uint256\"},{\"indexed\":false,\"internalType\":\"bytes32\",\"name\":\"hashlock\",\"type\":\"bytes32\"},{\"indexed\":false,\"internalType\":\"uint64\",\"name\":\"timelock\",\"type\":\"uint64\"}],\"name\":\"Locked\",\"type\":\"event\"},{\"anonymous\":false,\"inputs\":[{\"indexed\":true,\"internalType\":\"bytes32\",\"name\":\"id\",\"type\":\"bytes32\"}],\"name\":\"Refunded\",\"type\":\"event\"},{\"inputs\":[{\"internalType\":\"bytes32\",\"name\":\"id\",\"type\":\"bytes32\"},{\"internalType\":\"bytes32\",\"name\":\"preimage\",\"type\":\"bytes32\"}],\"name\":\"claim\",\"outputs\":[],\"stateMutability\":\"nonpayable\",\"type\":\"function\"},{\"inputs\":[{\"internalType\":\"bytes32\",\"name\":\"id\",\"type\":\"bytes32\"},{\"internalType\":\"address\",\"name\":\"receiver\",\"type\":\"address\"},{\"internalType\":\"bytes32\",\"name\":\"hashlock\",\"type\":\"bytes32\"},{\"internalType\":\"uint64\",\"name\":\"timelock\",\"type\":\"uint64\"}],\"name\":\"lock\",\"outputs\":[],\"stateMutability\":\"payable\",\"type\":\"function\"},{\"inputs\":[{\"internalType\":\"bytes32\",\"name\":\"\",\"type\":\"bytes32\"}],\"name\":\"locks\",\"outputs\":[{\"internalType\":\"address\",\"name\":\"sender\",\"type\":\"address\"},{\"internalType\":\"address\",\"name\":\"receiver\",\"type\":\"address\"},{\"internalType\":\"uint256\",\"name\":\"amount\",\"type\":\"uint256\"},{\"internalType\":\"bytes32\",\"name\":\"hashlock\",\"type\":\"bytes32\"},{\"internalType\":\"uint64\",\"name\":\"timelock\",\"type\":\"uint64\"},{\"internalType\":\"enumHTLC.State\",\"name\":\"state\",\"type\":\"uint8\"}],\"stateMutability\":\"view\",\"type\":\"function\"},{\"inputs\":[{\"internalType\":\"bytes32\",\"name\":\"id\",\"type\":\"bytes32\"}],\"name\":\"refund\",\"outputs\":[],\"stateMutability\":\"nonpayable\",\"type\":\"function\"}]",
	ID:  "HTLC",
	Bin: "0x6080604052348015600e575f5ffd5b5061078f8061001c5f395ff3fe60806040526004361061003e575f3560e01c80637249fbb61461004257806384cc9dfb14610063578063da93bee014610082578063ed5e843714610095575b5f5ffd5b34801561004d575f5ffd5b5061006161005c366004610620565b61011a565b005b34801561006e575f5ffd5b5061006161007d366004610637565b61025b565b610061610090366004610657565b610435565b3480156100a0575f5ffd5b506100ff6100af366004610620565b5f60208190529081526040902080546001820154600283015460038401546004909401546001600160a01b03938416949390921692909167ffffffffffffffff811690600160401b900460ff1686565b604051610111969594939291906106c9565b60405180910390f35b5f81815260208190526040902060016004820154600160401b900460ff166003811115610149576101496106b5565b1461016f5760405163e6b6c16f60e01b8152600481018390526024015b60405180910390fd5b600481015467ffffffffffffffff1642101561019e5760405163d0404f8560e01b815260040160405180910390fd5b60048101805460ff60401b19166803000000000000000017905560405182907ffe509803c09416b28ff3d8f690c8b0c61462a892c46d5430c8fb20abe472daf0905f90a2805460028201546040515f926001600160a01b031691908381818185875af1925050503d805f811461022f576040519150601f19603f3d011682016040523d82523d5f602084013e610234565b606091505b5050905080610256576040516312171d8360e31b815260040160405180910390fd5b505050565b5f82815260208190526040902060016004820154600160401b900460ff16600381111561028a5761028a6106b5565b146102ab5760405163e6b6c16f60e01b815260048101849052602401610166565b80600301546002836040516020016102c591815260200190565b60408051601f19818403018152908290526102df9161072c565b602060405180830381855afa1580156102fa573d5f5f3e3d5ffd5b5050506040513d601f19601f8201168201806040525081019061031d9190610742565b1461033b576040516349aa5c2760e11b815260040160405180910390fd5b600481015467ffffffffffffffff16421061036957604051630407b05b60e31b815260040160405180910390fd5b60048101805460ff60401b19166802000000000000000017905560405182815283907f38d6042dbdae8e73a7f6afbabd3fbe0873f9f5ed3cd71294591c3908c2e65fee9060200160405180910390a2600181015460028201546040515f926001600160a01b031691908381818185875af1925050503d805f8114610408576040519150601f19603f3d011682016040523d82523d5f602084013e61040d565b606091505b505090508061042f576040516312171d8360e31b815260040160405180910390fd5b50505050565b5f5f85815260208190526040902060040154600160401b900460ff166003811115610462576104626106b5565b1461048357604051631c3cc2df60e31b815260048101859052602401610166565b34158061049757506001600160a01b038316155b806104ac5750428167ffffffffffffffff1611155b156104ca576040516338f2115160e01b815260040160405180910390fd5b6040805160c0810182523381526001600160a01b038516602082015234918101919091526060810183905267ffffffffffffffff8216608082015260a08101600190525f8581526020818152604091829020835181546001600160a01b03199081166001600160a01b03928316178355928501516001830180549094169116179091559082015160028201556060820151600380830191909155608083015160048301805467ffffffffffffffff19811667ffffffffffffffff909316928317825560a086015193919268ffffffffffffffffff199091161790600160401b9084908111156105bb576105bb6106b5565b021790555050604080513481526020810185905267ffffffffffffffff84168183015290516001600160a01b0386169250339187917f4f6c8ec9481d8619704296e9db3aa775fd920d534ec45ef9e9e0fee3d20e11de9181900360600190a450505050565b5f60208284031215610630575f5ffd5b5035919050565b5f5f60408385031215610648575f5ffd5b50508035926020909101359150565b5f5f5f5f6080858703121561066a575f5ffd5b8435935060208501356001600160a01b0381168114610687575f5ffd5b925060408501359150606085013567ffffffffffffffff811681146106aa575f5ffd5b939692955090935050565b634e487b7160e01b5f52602160045260245ffd5b6001600160a01b03878116825286166020820152604081018590526060810184905267ffffffffffffffff8316608082015260c081016004831061071b57634e487b7160e01b5f52602160045260245ffd5b8260a0830152979650505050505050565b5f82518060208501845e5f920191825250919050565b5f60208284031215610752575f5ffd5b505191905056fea2646970667358221220a215b39a4928f46e7405af7b1eaa7d126e78652546fb000ce46a4b9bdde7b1d564736f6c634300081c0033",
}

// HTLC is an auto generated Go binding around an Ethereum contract.
type HTLC struct {
	abi abi.ABI
}

// GetABI returns the ABI associated with this contract binding.
func (c *HTLC) GetABI() abi.ABI {
	return c.abi
}

// NewHTLC creates a new instance of HTLC.
func NewHTLC() *HTLC {
	parsed, err := HTLCMetaData.ParseABI()
	if err != nil {
		panic(errors.New("invalid ABI: " + err.Error()))
	}
	return &HTLC{abi: *parsed}
}

// Instance creates a wrapper for a deployed contract instance at the given address.
// Use this to create the instance object passed to abigen v2 library functions Call, Transact, etc.
func (c *HTLC) Instance(backend bind.ContractBackend, addr common.Address) *bind.BoundContract {
	return bind.NewBoundContract(addr, c.abi, backend, backend, backend)
}

// PackClaim is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x84cc9dfb.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function claim(bytes32 id, bytes32 preimage) returns()
func (hTLC *HTLC) PackClaim(id [32]byte, preimage [32]byte) []byte {
	enc, err := hTLC.abi.Pack("claim", id, preimage)
	if err != nil {
		panic(err)
	}
	return enc
}

// TryPackClaim is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x84cc9dfb.  This method will return an error
// if any inputs are invalid/nil.
//
// Solidity: function claim(bytes32 id, bytes32 preimage) returns()
func (hTLC *HTLC) TryPackClaim(id [32]byte, preimage [32]byte) ([]byte, error) {
	return hTLC.abi.Pack("claim", id, preimage)
}

// PackLock is the Go binding used to pack the parameters required for calling
// the contract method with ID 0xda93bee0.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function lock(bytes32 id, address receiver, bytes32 hashlock, uint64 timelock) payable returns()
func (hTLC *HTLC) PackLock(id [32]byte, receiver common.Address, hashlock [32]byte, timelock uint64) []byte {
	enc, err := hTLC.abi.Pack("lock", id, receiver, hashlock, timelock)
	if err != nil {
		panic(err)
	}
	return enc
}

// TryPackLock is the Go binding used to pack the parameters required for calling
// the contract method with ID 0xda93bee0.  This method will return an error
// if any inputs are invalid/nil.
//
// Solidity: function lock(bytes32 id, address receiver, bytes32 hashlock, uint64 timelock) payable returns()
func (hTLC *HTLC) TryPackLock(id [32]byte, receiver common.Address, hashlock [32]byte, timelock uint64) ([]byte, error) {
	return hTLC.abi.Pack("lock", id, receiver, hashlock, timelock)
}

// PackLocks is the Go binding used to pack the parameters required for calling
// the contract method with ID 0xed5e8437.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function locks(bytes32 ) view returns(address sender, address receiver, uint256 amount, bytes32 hashlock, uint64 timelock, uint8 state)
func (hTLC *HTLC) PackLocks(arg0 [32]byte) []byte {
	enc, err := hTLC.abi.Pack("locks", arg0)
	if err != nil {
		panic(err)
	}
	return enc
}

// TryPackLocks is the Go binding used to pack the parameters required for calling
// the contract method with ID 0xed5e8437.  This method will return an error
// if any inputs are invalid/nil.
//
// Solidity: function locks(bytes32 ) view returns(address sender, address receiver, uint256 amount, bytes32 hashlock, uint64 timelock, uint8 state)
func (hTLC *HTLC) TryPackLocks(arg0 [32]byte) ([]byte, error) {
	return hTLC.abi.Pack("locks", arg0)
}

// LocksOutput serves as a container for the return parameters of contract
// method Locks.
type LocksOutput struct {
	Sender   common.Address
	Receiver common.Address
	Amount   *big.Int
	Hashlock [32]byte
	Timelock uint64
	State    uint8
}

// UnpackLocks is the Go binding that unpacks the parameters returned
// from invoking the contract method with ID 0xed5e8437.
//
// Solidity: function locks(bytes32 ) view returns(address sender, address receiver, uint256 amount, bytes32 hashlock, uint64 timelock, uint8 state)
func (hTLC *HTLC) UnpackLocks(data []byte) (LocksOutput, error) {
	out, err := hTLC.abi.Unpack("locks", data)
	outstruct := new(LocksOutput)
	if err != nil {
		return *outstruct, err
	}
	outstruct.Sender = *abi.ConvertType(out[0], new(common.Address)).(*common.Address)
	outstruct.Receiver = *abi.ConvertType(out[1], new(common.Address)).(*common.Address)
	outstruct.Amount = abi.ConvertType(out[2], new(big.Int)).(*big.Int)
	outstruct.Hashlock = *abi.ConvertType(out[3], new([32]byte)).(*[32]byte)
	outstruct.Timelock = *abi.ConvertType(out[4], new(uint64)).(*uint64)
	outstruct.State = *abi.ConvertType(out[5], new(uint8)).(*uint8)
	return *outstruct, nil
}

// PackRefund is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x7249fbb6.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function refund(bytes32 id) returns()
func (hTLC *HTLC) PackRefund(id [32]byte) []byte {
	enc, err := hTLC.abi.Pack("refund", id)
	if err != nil {
		panic(err)
	}
	return enc
}

// TryPackRefund is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x7249fbb6.  This method will return an error
// if any inputs are invalid/nil.
//
// Solidity: function refund(bytes32 id) returns()
func (hTLC *HTLC) TryPackRefund(id [32]byte) ([]byte, error) {
	return hTLC.abi.Pack("refund", id)
}

// HTLCClaimed represents a Claimed event raised by the HTLC contract.
type HTLCClaimed struct {
	Id       [32]byte
	Preimage [32]byte
	Raw      *types.Log // Blockchain specific contextual infos
}

const HTLCClaimedEventName = "Claimed"

// ContractEventName returns the user-defined event name.
func (HTLCClaimed) ContractEventName() string {
	return HTLCClaimedEventName
}

// UnpackClaimedEvent is the Go binding that unpacks the event data emitted
// by contract.
//
// Solidity: event Claimed(bytes32 indexed id, bytes32 preimage)
func (hTLC *HTLC) UnpackClaimedEvent(log *types.Log) (*HTLCClaimed, error) {
	event := "Claimed"
	if len(log.Topics) == 0 {
		return nil, bind.ErrNoEventSignature
	}
	if log.Topics[0] != hTLC.abi.Events[event].ID {
		return nil, bind.ErrEventSignatureMismatch
	}
	out := new(HTLCClaimed)
	if len(log.Data) > 0 {
		if err := hTLC.abi.UnpackIntoInterface(out, event, log.Data); err != nil {
			return nil, err
		}
	}
	var indexed abi.Arguments
	for _, arg := range hTLC.abi.Events[event].Inputs {
		if arg.Indexed {
			indexed = append(indexed, arg)
		}
	}
	if err := abi.ParseTopics(out, indexed, log.Topics[1:]); err != nil {
		return nil, err
	}
	out.Raw = log
	return out, nil
}

// HTLCLocked represents a Locked event raised by the HTLC contract.
type HTLCLocked struct {
	Id       [32]byte
	Sender   common.Address
	Receiver common.Address
	Amount   *big.Int
	Hashlock [32]byte
	Timelock uint64
	Raw      *types.Log // Blockchain specific contextual infos
}

const HTLCLockedEventName = "Locked"

// ContractEventName returns the user-defined event name.
func (HTLCLocked) ContractEventName() string {
	return HTLCLockedEventName
}

// UnpackLockedEvent is the Go binding that unpacks the event data emitted
// by contract.
//
// Solidity: event Locked(bytes32 indexed id, address indexed sender, address indexed receiver, uint256 amount, bytes32 hashlock, uint64 timelock)
func (hTLC *HTLC) UnpackLockedEvent(log *types.Log) (*HTLCLocked, error) {
	event := "Locked"
	if len(log.Topics) == 0 {
		return nil, bind.ErrNoEventSignature
	}
	if log.Topics[0] != hTLC.abi.Events[event].ID {
		return nil, bind.ErrEventSignatureMismatch
	}
	out := new(HTLCLocked)
	if len(log.Data) > 0 {
		if err := hTLC.abi.UnpackIntoInterface(out, event, log.Data); err != nil {
			return nil, err
		}
	}
	var indexed abi.Arguments
	for _, arg := range hTLC.abi.Events[event].Inputs {
		if arg.Indexed {
			indexed = append(indexed, arg)
		}
	}
	if err := abi.ParseTopics(out, indexed, log.Topics[1:]); err != nil {
		return nil, err
	}
	out.Raw = log
	return out, nil
}

// HTLCRefunded represents a Refunded event raised by the HTLC contract.
type HTLCRefunded struct {
	Id  [32]byte
	Raw *types.Log // Blockchain specific contextual infos
}

const HTLCRefundedEventName = "Refunded"

// ContractEventName returns the user-defined event name.
func (HTLCRefunded) ContractEventName() string {
	return HTLCRefundedEventName
}

// UnpackRefundedEvent is the Go binding that unpacks the event data emitted
// by contract.
//
// Solidity: event Refunded(bytes32 indexed id)
func (hTLC *HTLC) UnpackRefundedEvent(log *types.Log) (*HTLCRefunded, error) {
	event := "Refunded"
	if len(log.Topics) == 0 {
		return nil, bind.ErrNoEventSignature
	}
	if log.Topics[0] != hTLC.abi.Events[event].ID {
		return nil, bind.ErrEventSignatureMismatch
	}
	out := new(HTLCRefunded)
	if len(log.Data) > 0 {
		if err := hTLC.abi.UnpackIntoInterface(out, event, log.Data); err != nil {
			return nil, err
		}
	}
	var indexed abi.Arguments
	for _, arg := range hTLC.abi.Events[event].Inputs {
		if arg.Indexed {
			indexed = append(indexed, arg)
		}
	}
	if err := abi.ParseTopics(out, indexed, log.Topics[1:]); err != nil {
		return nil, err
	}
	out.Raw = log
	return out, nil
}

// UnpackError attempts to decode the provided error data using user-defined
// error definitions.
func (hTLC *HTLC) UnpackError(raw []byte) (any, error) {
	if bytes.Equal(raw[:4], hTLC.abi.Errors["BadLock"].ID.Bytes()[:4]) {
		return hTLC.UnpackBadLockError(raw[4:])
	}
	if bytes.Equal(raw[:4], hTLC.abi.Errors["Expired"].ID.Bytes()[:4]) {
		return hTLC.UnpackExpiredError(raw[4:])
	}
	if bytes.Equal(raw[:4], hTLC.abi.Errors["LockExists"].ID.Bytes()[:4]) {
		return hTLC.UnpackLockExistsError(raw[4:])
	}
	if bytes.Equal(raw[:4], hTLC.abi.Errors["NotExpired"].ID.Bytes()[:4]) {
		return hTLC.UnpackNotExpiredError(raw[4:])
	}
	if bytes.Equal(raw[:4], hTLC.abi.Errors["NotLocked"].ID.Bytes()[:4]) {
		return hTLC.UnpackNotLockedError(raw[4:])
	}
	if bytes.Equal(raw[:4], hTLC.abi.Errors["TransferFailed"].ID.Bytes()[:4]) {
		return hTLC.UnpackTransferFailedError(raw[4:])
	}
	if bytes.Equal(raw[:4], hTLC.abi.Errors["WrongPreimage"].ID.Bytes()[:4]) {
		return hTLC.UnpackWrongPreimageError(raw[4:])
	}
	return nil, errors.New("Unknown error")
}

// HTLCBadLock represents a BadLock error raised by the HTLC contract.
type HTLCBadLock struct {
}

// ErrorID returns the hash of canonical representation of the error's signature.
//
// Solidity: error BadLock()
func HTLCBadLockErrorID() common.Hash {
	return common.HexToHash("0x38f21151b0da11244f7981bb8747eda58f48b9a0499cea6cd5495e4e29db9921")
}

// UnpackBadLockError is the Go binding used to decode the provided
// error data into the corresponding Go error struct.
//
// Solidity: error BadLock()
func (hTLC *HTLC) UnpackBadLockError(raw []byte) (*HTLCBadLock, error) {
	out := new(HTLCBadLock)
	if err := hTLC.abi.UnpackIntoInterface(out, "BadLock", raw); err != nil {
		return nil, err
	}
	return out, nil
}

// HTLCExpired represents a Expired error raised by the HTLC contract.
type HTLCExpired struct {
}

// ErrorID returns the hash of canonical representation of the error's signature.
//
// Solidity: error Expired()
func HTLCExpiredErrorID() common.Hash {
	return common.HexToHash("0x203d82d8d99f63bfecc8335216735e0271df4249ea752b030f9ab305b94e5afe")
}

// UnpackExpiredError is the Go binding used to decode the provided
// error data into the corresponding Go error struct.
//
// Solidity: error Expired()
func (hTLC *HTLC) UnpackExpiredError(raw []byte) (*HTLCExpired, error) {
	out := new(HTLCExpired)
	if err := hTLC.abi.UnpackIntoInterface(out, "Expired", raw); err != nil {
		return nil, err
	}
	return out, nil
}

// HTLCLockExists represents a LockExists error raised by the HTLC contract.
type HTLCLockExists struct {
	Id [32]byte
}

// ErrorID returns the hash of canonical representation of the error's signature.
//
// Solidity: error LockExists(bytes32 id)
func HTLCLockExistsErrorID() common.Hash {
	return common.HexToHash("0xe1e616f86316812aa756b6f1528c40498374c2b304af2dc22c0938c6c81d5497")
}

// UnpackLockExistsError is the Go binding used to decode the provided
// error data into the corresponding Go error struct.
//
// Solidity: error LockExists(bytes32 id)
func (hTLC *HTLC) UnpackLockExistsError(raw []byte) (*HTLCLockExists, error) {
	out := new(HTLCLockExists)
	if err := hTLC.abi.UnpackIntoInterface(out, "LockExists", raw); err != nil {
		return nil, err
	}
	return out, nil
}

// HTLCNotExpired represents a NotExpired error raised by the HTLC contract.
type HTLCNotExpired struct {
}

// ErrorID returns the hash of canonical representation of the error's signature.
//
// Solidity: error NotExpired()
func HTLCNotExpiredErrorID() common.Hash {
	return common.HexToHash("0xd0404f85ba4e05bc9297b11eebe43be7ba513eafd8961efcc62c4ef15e5bc0b9")
}

// UnpackNotExpiredError is the Go binding used to decode the provided
// error data into the corresponding Go error struct.
//
// Solidity: error NotExpired()
func (hTLC *HTLC) UnpackNotExpiredError(raw []byte) (*HTLCNotExpired, error) {
	out := new(HTLCNotExpired)
	if err := hTLC.abi.UnpackIntoInterface(out, "NotExpired", raw); err != nil {
		return nil, err
	}
	return out, nil
}

// HTLCNotLocked represents a NotLocked error raised by the HTLC contract.
type HTLCNotLocked struct {
	Id [32]byte
}

// ErrorID returns the hash of canonical representation of the error's signature.
//
// Solidity: error NotLocked(bytes32 id)
func HTLCNotLockedErrorID() common.Hash {
	return common.HexToHash("0xe6b6c16f9f3132bf12c90fc18d1b7c0ed31561ca037a6d4829467de0c0f148d5")
}

// UnpackNotLockedError is the Go binding used to decode the provided
// error data into the corresponding Go error struct.
//
// Solidity: error NotLocked(bytes32 id)
func (hTLC *HTLC) UnpackNotLockedError(raw []byte) (*HTLCNotLocked, error) {
	out := new(HTLCNotLocked)
	if err := hTLC.abi.UnpackIntoInterface(out, "NotLocked", raw); err != nil {
		return nil, err
	}
	return out, nil
}

// HTLCTransferFailed represents a TransferFailed error raised by the HTLC contract.
type HTLCTransferFailed struct {
}

// ErrorID returns the hash of canonical representation of the error's signature.
//
// Solidity: error TransferFailed()
func HTLCTransferFailedErrorID() common.Hash {
	return common.HexToHash("0x90b8ec1877afffd816d05d9b13947f3ff18ec5851c38bad15ec2b710f92391b1")
}

// UnpackTransferFailedError is the Go binding used to decode the provided
// error data into the corresponding Go error struct.
//
// Solidity: error TransferFailed()
func (hTLC *HTLC) UnpackTransferFailedError(raw []byte) (*HTLCTransferFailed, error) {
	out := new(HTLCTransferFailed)
	if err := hTLC.abi.UnpackIntoInterface(out, "TransferFailed", raw); err != nil {
		return nil, err
	}
	return out, nil
}

// HTLCWrongPreimage represents a WrongPreimage error raised by the HTLC contract.
type HTLCWrongPreimage struct {
}

// ErrorID returns the hash of canonical representation of the error's signature.
//
// Solidity: error WrongPreimage()
func HTLCWrongPreimageErrorID() common.Hash {
	return common.HexToHash("0x9354b84e62dcaf9c788bd8b99659a09ebacbb47096d473e1990d808b63b68575")
}

// UnpackWrongPreimageError is the Go binding used to decode the provided
// error data into the corresponding Go error struct.
//
// Solidity: error WrongPreimage()
func (hTLC *HTLC) UnpackWrongPreimageError(raw []byte) (*HTLCWrongPreimage, error) {
	out := new(HTLCWrongPreimage)
	if err := hTLC.abi.UnpackIntoInterface(out, "WrongPreimage", raw); err != nil {
		return nil, err
	}
	return out, nil
}
