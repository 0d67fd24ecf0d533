// Code generated via abigen V2 - DO NOT EDIT.
// This file is a generated binding and any manual changes will be lost.

package testtokens

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

// TestWalletMetaData contains all meta data concerning the TestWallet contract.
var TestWalletMetaData = bind.MetaData{
	ABI: "[{\"inputs\":[],\"stateMutability\":\"nonpayable\",\"type\":\"constructor\"},{\"inputs\":[],\"name\":\"ACCEPT\",\"outputs\":[{\"internalType\":\"uint8\",\"name\":\"\",\"type\":\"uint8\"}],\"stateMutability\":\"view\",\"type\":\"function\"},{\"inputs\":[],\"name\":\"BURN\",\"outputs\":[{\"internalType\":\"uint8\",\"name\":\"\",\"type\":\"uint8\"}],\"stateMutability\":\"view\",\"type\":\"function\"},{\"inputs\":[],\"name\":\"REENTER\",\"outputs\":[{\"internalType\":\"uint8\",\"name\":\"\",\"type\":\"uint8\"}],\"stateMutability\":\"view\",\"type\":\"function\"},{\"inputs\":[],\"name\":\"REJECT\",\"outputs\":[{\"internalType\":\"uint8\",\"name\":\"\",\"type\":\"uint8\"}],\"stateMutability\":\"view\",\"type\":\"function\"},{\"inputs\":[{\"internalType\":\"address\",\"name\":\"target\",\"type\":\"address\"},{\"internalType\":\"uint256\",\"name\":\"value\",\"type\":\"uint256\"},{\"internalType\":\"bytes\",\"name\":\"data\",\"type\":\"bytes\"}],\"name\":\"exec\",\"outputs\":[{\"internalType\":\"bytes\",\"name\":\"\",\"type\":\"bytes\"}],\"stateMutability\":\"payable\",\"type\":\"function\"},{\"inputs\":[],\"name\":\"hookCalls\",\"outputs\":[{\"internalType\":\"uint256\",\"name\":\"\",\"type\":\"uint256\"}],\"stateMutability\":\"view\",\"type\":\"function\"},{\"inputs\":[],\"name\":\"hookData\",\"outputs\":[{\"internalType\":\"bytes\",\"name\":\"\",\"type\":\"bytes\"}],\"stateMutability\":\"view\",\"type\":\"function\"},{\"inputs\":[],\"name\":\"hookTarget\",\"outputs\":[{\"internalType\":\"address\",\"name\":\"\",\"type\":\"address\"}],\"stateMutability\":\"view\",\"type\":\"function\"},{\"inputs\":[],\"name\":\"lastHookOk\",\"outputs\":[{\"internalType\":\"bool\",\"name\":\"\",\"type\":\"bool\"}],\"stateMutability\":\"view\",\"type\":\"function\"},{\"inputs\":[],\"name\":\"lastHookReturn\",\"outputs\":[{\"internalType\":\"bytes\",\"name\":\"\",\"type\":\"bytes\"}],\"stateMutability\":\"view\",\"type\":\"function\"},{\"inputs\":[],\"name\":\"owner\",\"outputs\":[{\"internalType\":\"address\",\"name\":\"\",\"type\":\"address\"}],\"stateMutability\":\"view\",\"type\":\"function\"},{\"inputs\":[],\"name\":\"receiveMode\",\"outputs\":[{\"internalType\":\"uint8\",\"name\":\"\",\"type\":\"uint8\"}],\"stateMutability\":\"view\",\"type\":\"function\"},{\"inputs\":[{\"internalType\":\"uint8\",\"name\":\"mode\",\"type\":\"uint8\"},{\"internalType\":\"address\",\"name\":\"target\",\"type\":\"address\"},{\"internalType\":\"bytes\",\"name\":\"data\",\"type\":\"bytes\"}],\"name\":\"setReceiveMode\",\"outputs\":[],\"stateMutability\":\"nonpayable\",\"type\":\"function\"},{\"stateMutability\":\"payable\",\"type\":\"receive\"}]",
	ID:  "TestWallet",
	Bin: "0x60a0604052348015600e575f5ffd5b50336080526080516109c46100395f395f81816102ae015281816103a2015261047e01526109c45ff3fe6080604052600436106100c2575f3560e01c8063ac3a89a51161007c578063c73fb67711610057578063c73fb67714610332578063d0eab2a814610346578063d2af4a601461035e578063fe6c020314610381575f5ffd5b8063ac3a89a5146102d0578063af2408ca146102f9578063c0a2526c1461031e575f5ffd5b80630565bb67146101f2578063353ac5f91461021b5780633eecfc4c146102565780636e22da19146102755780638b1ed75d146102895780638da5cb5b1461029d575f5ffd5b366101ee575f5460ff165f19016101205760405162461bcd60e51b815260206004820152601760248201527f77616c6c65742072656a65637473207061796d656e747300000000000000000060448201526064015b60405180910390fd5b5f5460ff1660021901610146575f5b60028190558061013e816105a9565b91505061012f565b5f5460ff16600119016101ec5760028054905f610162836105a9565b90915550505f8054604051829161010090046001600160a01b03169061018a90600190610605565b5f604051808303815f865af19150503d805f81146101c3576040519150601f19603f3d011682016040523d82523d5f602084013e6101c8565b606091505b506003805460ff1916831515179055909250905060046101e882826106d3565b5050505b005b5f5ffd5b6102056102003660046107ee565b610395565b6040516102129190610844565b60405180910390f35b348015610226575f5ffd5b505f5461023e9061010090046001600160a01b031681565b6040516001600160a01b039091168152602001610212565b348015610261575f5ffd5b506101ec610270366004610879565b610473565b348015610280575f5ffd5b50610205610510565b348015610294575f5ffd5b5061020561059c565b3480156102a8575f5ffd5b5061023e7f000000000000000000000000000000000000000000000000000000000000000081565b3480156102db575f5ffd5b506003546102e99060ff1681565b6040519015158152602001610212565b348015610304575f5ffd5b5061030c5f81565b60405160ff9091168152602001610212565b348015610329575f5ffd5b5061030c600381565b34801561033d575f5ffd5b5061030c600281565b348015610351575f5ffd5b505f5461030c9060ff1681565b348015610369575f5ffd5b5061037360025481565b604051908152602001610212565b34801561038c575f5ffd5b5061030c600181565b6060336001600160a01b037f000000000000000000000000000000000000000000000000000000000000000016146103fb5760405162461bcd60e51b81526020600482015260096024820152683737ba1037bbb732b960b91b6044820152606401610117565b5f5f866001600160a01b03168686866040516104189291906108c5565b5f6040518083038185875af1925050503d805f8114610452576040519150601f19603f3d011682016040523d82523d5f602084013e610457565b606091505b50915091508161046957805160208201fd5b9695505050505050565b336001600160a01b037f000000000000000000000000000000000000000000000000000000000000000016146104d75760405162461bcd60e51b81526020600482015260096024820152683737ba1037bbb732b960b91b6044820152606401610117565b5f80546001600160a01b038516610100026001600160a81b031990911660ff87161717905560016105098284836108d4565b5050505050565b6001805461051d906105cd565b80601f0160208091040260200160405190810160405280929190818152602001828054610549906105cd565b80156105945780601f1061056b57610100808354040283529160200191610594565b820191905f5260205f20905b81548152906001019060200180831161057757829003601f168201915b505050505081565b6004805461051d906105cd565b5f600182016105c657634e487b7160e01b5f52601160045260245ffd5b5060010190565b600181811c908216806105e157607f821691505b6020821081036105ff57634e487b7160e01b5f52602260045260245ffd5b50919050565b5f5f8354610612816105cd565b600182168015610629576001811461063e5761066b565b60ff198316865281151582028601935061066b565b865f5260205f205f5b8381101561066357815488820152600190910190602001610647565b505081860193505b509195945050505050565b634e487b7160e01b5f52604160045260245ffd5b601f8211156106ce57805f5260205f20601f840160051c810160208510156106af5750805b601f840160051c820191505b81811015610509575f81556001016106bb565b505050565b815167ffffffffffffffff8111156106ed576106ed610676565b610701816106fb84546105cd565b8461068a565b6020601f821160018114610733575f831561071c5750848201515b5f19600385901b1c1916600184901b178455610509565b5f84815260208120601f198516915b828110156107625787850151825560209485019460019092019101610742565b508482101561077f57868401515f19600387901b60f8161c191681555b50505050600190811b01905550565b80356001600160a01b03811681146107a4575f5ffd5b919050565b5f5f83601f8401126107b9575f5ffd5b50813567ffffffffffffffff8111156107d0575f5ffd5b6020830191508360208285010111156107e7575f5ffd5b9250929050565b5f5f5f5f60608587031215610801575f5ffd5b61080a8561078e565b935060208501359250604085013567ffffffffffffffff81111561082c575f5ffd5b610838878288016107a9565b95989497509550505050565b602081525f82518060208401528060208501604085015e5f604082850101526040601f19601f83011684010191505092915050565b5f5f5f5f6060858703121561088c575f5ffd5b843560ff8116811461089c575f5ffd5b93506108aa6020860161078e565b9250604085013567ffffffffffffffff81111561082c575f5ffd5b818382375f9101908152919050565b67ffffffffffffffff8311156108ec576108ec610676565b610900836108fa83546105cd565b8361068a565b5f601f841160018114610931575f851561091a5750838201355b5f19600387901b1c1916600186901b178355610509565b5f83815260208120601f198716915b828110156109605786850135825560209485019460019092019101610940565b508682101561097c575f1960f88860031b161c19848701351681555b505060018560011b018355505050505056fea264697066735822122087b3688a6f4432e43eb78065f2e56322461d84130794160eefc7efabb308150c64736f6c634300081c0033",
}

// TestWallet is an auto generated Go binding around an Ethereum contract.
type TestWallet struct {
	abi abi.ABI
}

// GetABI returns the ABI associated with this contract binding.
func (c *TestWallet) GetABI() abi.ABI {
	return c.abi
}

// NewTestWallet creates a new instance of TestWallet.
func NewTestWallet() *TestWallet {
	parsed, err := TestWalletMetaData.ParseABI()
	if err != nil {
		panic(errors.New("invalid ABI: " + err.Error()))
	}
	return &TestWallet{abi: *parsed}
}

// Instance creates a wrapper for a deployed contract instance at the given address.
// Use this to create the instance object passed to abigen v2 library functions Call, Transact, etc.
func (c *TestWallet) Instance(backend bind.ContractBackend, addr common.Address) *bind.BoundContract {
	return bind.NewBoundContract(addr, c.abi, backend, backend, backend)
}

// PackACCEPT is the Go binding used to pack the parameters required for calling
// the contract method with ID 0xaf2408ca.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function ACCEPT() view returns(uint8)
func (testWallet *TestWallet) PackACCEPT() []byte {
	enc, err := testWallet.abi.Pack("ACCEPT")
	if err != nil {
		panic(err)
	}
	return enc
}

// TryPackACCEPT is the Go binding used to pack the parameters required for calling
// the contract method with ID 0xaf2408ca.  This method will return an error
// if any inputs are invalid/nil.
//
// Solidity: function ACCEPT() view returns(uint8)
func (testWallet *TestWallet) TryPackACCEPT() ([]byte, error) {
	return testWallet.abi.Pack("ACCEPT")
}

// UnpackACCEPT is the Go binding that unpacks the parameters returned
// from invoking the contract method with ID 0xaf2408ca.
//
// Solidity: function ACCEPT() view returns(uint8)
func (testWallet *TestWallet) UnpackACCEPT(data []byte) (uint8, error) {
	out, err := testWallet.abi.Unpack("ACCEPT", data)
	if err != nil {
		return *new(uint8), err
	}
	out0 := *abi.ConvertType(out[0], new(uint8)).(*uint8)
	return out0, nil
}

// PackBURN is the Go binding used to pack the parameters required for calling
// the contract method with ID 0xc0a2526c.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function BURN() view returns(uint8)
func (testWallet *TestWallet) PackBURN() []byte {
	enc, err := testWallet.abi.Pack("BURN")
	if err != nil {
		panic(err)
	}
	return enc
}

// TryPackBURN is the Go binding used to pack the parameters required for calling
// the contract method with ID 0xc0a2526c.  This method will return an error
// if any inputs are invalid/nil.
//
// Solidity: function BURN() view returns(uint8)
func (testWallet *TestWallet) TryPackBURN() ([]byte, error) {
	return testWallet.abi.Pack("BURN")
}

// UnpackBURN is the Go binding that unpacks the parameters returned
// from invoking the contract method with ID 0xc0a2526c.
//
// Solidity: function BURN() view returns(uint8)
func (testWallet *TestWallet) UnpackBURN(data []byte) (uint8, error) {
	out, err := testWallet.abi.Unpack("BURN", data)
	if err != nil {
		return *new(uint8), err
	}
	out0 := *abi.ConvertType(out[0], new(uint8)).(*uint8)
	return out0, nil
}

// PackREENTER is the Go binding used to pack the parameters required for calling
// the contract method with ID 0xc73fb677.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function REENTER() view returns(uint8)
func (testWallet *TestWallet) PackREENTER() []byte {
	enc, err := testWallet.abi.Pack("REENTER")
	if err != nil {
		panic(err)
	}
	return enc
}

// TryPackREENTER is the Go binding used to pack the parameters required for calling
// the contract method with ID 0xc73fb677.  This method will return an error
// if any inputs are invalid/nil.
//
// Solidity: function REENTER() view returns(uint8)
func (testWallet *TestWallet) TryPackREENTER() ([]byte, error) {
	return testWallet.abi.Pack("REENTER")
}

// UnpackREENTER is the Go binding that unpacks the parameters returned
// from invoking the contract method with ID 0xc73fb677.
//
// Solidity: function REENTER() view returns(uint8)
func (testWallet *TestWallet) UnpackREENTER(data []byte) (uint8, error) {
	out, err := testWallet.abi.Unpack("REENTER", data)
	if err != nil {
		return *new(uint8), err
	}
	out0 := *abi.ConvertType(out[0], new(uint8)).(*uint8)
	return out0, nil
}

// PackREJECT is the Go binding used to pack the parameters required for calling
// the contract method with ID 0xfe6c0203.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function REJECT() view returns(uint8)
func (testWallet *TestWallet) PackREJECT() []byte {
	enc, err := testWallet.abi.Pack("REJECT")
	if err != nil {
		panic(err)
	}
	return enc
}

// TryPackREJECT is the Go binding used to pack the parameters required for calling
// the contract method with ID 0xfe6c0203.  This method will return an error
// if any inputs are invalid/nil.
//
// Solidity: function REJECT() view returns(uint8)
func (testWallet *TestWallet) TryPackREJECT() ([]byte, error) {
	return testWallet.abi.Pack("REJECT")
}

// UnpackREJECT is the Go binding that unpacks the parameters returned
// from invoking the contract method with ID 0xfe6c0203.
//
// Solidity: function REJECT() view returns(uint8)
func (testWallet *TestWallet) UnpackREJECT(data []byte) (uint8, error) {
	out, err := testWallet.abi.Unpack("REJECT", data)
	if err != nil {
		return *new(uint8), err
	}
	out0 := *abi.ConvertType(out[0], new(uint8)).(*uint8)
	return out0, nil
}

// PackExec is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x0565bb67.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function exec(address target, uint256 value, bytes data) payable returns(bytes)
func (testWallet *TestWallet) PackExec(target common.Address, value *big.Int, data []byte) []byte {
	enc, err := testWallet.abi.Pack("exec", target, value, data)
	if err != nil {
		panic(err)
	}
	return enc
}

// TryPackExec is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x0565bb67.  This method will return an error
// if any inputs are invalid/nil.
//
// Solidity: function exec(address target, uint256 value, bytes data) payable returns(bytes)
func (testWallet *TestWallet) TryPackExec(target common.Address, value *big.Int, data []byte) ([]byte, error) {
	return testWallet.abi.Pack("exec", target, value, data)
}

// UnpackExec is the Go binding that unpacks the parameters returned
// from invoking the contract method with ID 0x0565bb67.
//
// Solidity: function exec(address target, uint256 value, bytes data) payable returns(bytes)
func (testWallet *TestWallet) UnpackExec(data []byte) ([]byte, error) {
	out, err := testWallet.abi.Unpack("exec", data)
	if err != nil {
		return *new([]byte), err
	}
	out0 := *abi.ConvertType(out[0], new([]byte)).(*[]byte)
	return out0, nil
}

// PackHookCalls is the Go binding used to pack the parameters required for calling
// the contract method with ID 0xd2af4a60.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function hookCalls() view returns(uint256)
func (testWallet *TestWallet) PackHookCalls() []byte {
	enc, err := testWallet.abi.Pack("hookCalls")
	if err != nil {
		panic(err)
	}
	return enc
}

// TryPackHookCalls is the Go binding used to pack the parameters required for calling
// the contract method with ID 0xd2af4a60.  This method will return an error
// if any inputs are invalid/nil.
//
// Solidity: function hookCalls() view returns(uint256)
func (testWallet *TestWallet) TryPackHookCalls() ([]byte, error) {
	return testWallet.abi.Pack("hookCalls")
}

// UnpackHookCalls is the Go binding that unpacks the parameters returned
// from invoking the contract method with ID 0xd2af4a60.
//
// Solidity: function hookCalls() view returns(uint256)
func (testWallet *TestWallet) UnpackHookCalls(data []byte) (*big.Int, error) {
	out, err := testWallet.abi.Unpack("hookCalls", data)
	if err != nil {
		return new(big.Int), err
	}
	out0 := abi.ConvertType(out[0], new(big.Int)).(*big.Int)
	return out0, nil
}

// PackHookData is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x6e22da19.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function hookData() view returns(bytes)
func (testWallet *TestWallet) PackHookData() []byte {
	enc, err := testWallet.abi.Pack("hookData")
	if err != nil {
		panic(err)
	}
	return enc
}

// TryPackHookData is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x6e22da19.  This method will return an error
// if any inputs are invalid/nil.
//
// Solidity: function hookData() view returns(bytes)
func (testWallet *TestWallet) TryPackHookData() ([]byte, error) {
	return testWallet.abi.Pack("hookData")
}

// UnpackHookData is the Go binding that unpacks the parameters returned
// from invoking the contract method with ID 0x6e22da19.
//
// Solidity: function hookData() view returns(bytes)
func (testWallet *TestWallet) UnpackHookData(data []byte) ([]byte, error) {
	out, err := testWallet.abi.Unpack("hookData", data)
	if err != nil {
		return *new([]byte), err
	}
	out0 := *abi.ConvertType(out[0], new([]byte)).(*[]byte)
	return out0, nil
}

// PackHookTarget is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x353ac5f9.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function hookTarget() view returns(address)
func (testWallet *TestWallet) PackHookTarget() []byte {
	enc, err := testWallet.abi.Pack("hookTarget")
	if err != nil {
		panic(err)
	}
	return enc
}

// TryPackHookTarget is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x353ac5f9.  This method will return an error
// if any inputs are invalid/nil.
//
// Solidity: function hookTarget() view returns(address)
func (testWallet *TestWallet) TryPackHookTarget() ([]byte, error) {
	return testWallet.abi.Pack("hookTarget")
}

// UnpackHookTarget is the Go binding that unpacks the parameters returned
// from invoking the contract method with ID 0x353ac5f9.
//
// Solidity: function hookTarget() view returns(address)
func (testWallet *TestWallet) UnpackHookTarget(data []byte) (common.Address, error) {
	out, err := testWallet.abi.Unpack("hookTarget", data)
	if err != nil {
		return *new(common.Address), err
	}
	out0 := *abi.ConvertType(out[0], new(common.Address)).(*common.Address)
	return out0, nil
}

// PackLastHookOk is the Go binding used to pack the parameters required for calling
// the contract method with ID 0xac3a89a5.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function lastHookOk() view returns(bool)
func (testWallet *TestWallet) PackLastHookOk() []byte {
	enc, err := testWallet.abi.Pack("lastHookOk")
	if err != nil {
		panic(err)
	}
	return enc
}

// TryPackLastHookOk is the Go binding used to pack the parameters required for calling
// the contract method with ID 0xac3a89a5.  This method will return an error
// if any inputs are invalid/nil.
//
// Solidity: function lastHookOk() view returns(bool)
func (testWallet *TestWallet) TryPackLastHookOk() ([]byte, error) {
	return testWallet.abi.Pack("lastHookOk")
}

// UnpackLastHookOk is the Go binding that unpacks the parameters returned
// from invoking the contract method with ID 0xac3a89a5.
//
// Solidity: function lastHookOk() view returns(bool)
func (testWallet *TestWallet) UnpackLastHookOk(data []byte) (bool, error) {
	out, err := testWallet.abi.Unpack("lastHookOk", data)
	if err != nil {
		return *new(bool), err
	}
	out0 := *abi.ConvertType(out[0], new(bool)).(*bool)
	return out0, nil
}

// PackLastHookReturn is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x8b1ed75d.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function lastHookReturn() view returns(bytes)
func (testWallet *TestWallet) PackLastHookReturn() []byte {
	enc, err := testWallet.abi.Pack("lastHookReturn")
	if err != nil {
		panic(err)
	}
	return enc
}

// TryPackLastHookReturn is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x8b1ed75d.  This method will return an error
// if any inputs are invalid/nil.
//
// Solidity: function lastHookReturn() view returns(bytes)
func (testWallet *TestWallet) TryPackLastHookReturn() ([]byte, error) {
	return testWallet.abi.Pack("lastHookReturn")
}

// UnpackLastHookReturn is the Go binding that unpacks the parameters returned
// from invoking the contract method with ID 0x8b1ed75d.
//
// Solidity: function lastHookReturn() view returns(bytes)
func (testWallet *TestWallet) UnpackLastHookReturn(data []byte) ([]byte, error) {
	out, err := testWallet.abi.Unpack("lastHookReturn", data)
	if err != nil {
		return *new([]byte), err
	}
	out0 := *abi.ConvertType(out[0], new([]byte)).(*[]byte)
	return out0, nil
}

// PackOwner is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x8da5cb5b.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function owner() view returns(address)
func (testWallet *TestWallet) PackOwner() []byte {
	enc, err := testWallet.abi.Pack("owner")
	if err != nil {
		panic(err)
	}
	return enc
}

// TryPackOwner is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x8da5cb5b.  This method will return an error
// if any inputs are invalid/nil.
//
// Solidity: function owner() view returns(address)
func (testWallet *TestWallet) TryPackOwner() ([]byte, error) {
	return testWallet.abi.Pack("owner")
}

// UnpackOwner is the Go binding that unpacks the parameters returned
// from invoking the contract method with ID 0x8da5cb5b.
//
// Solidity: function owner() view returns(address)
func (testWallet *TestWallet) UnpackOwner(data []byte) (common.Address, error) {
	out, err := testWallet.abi.Unpack("owner", data)
	if err != nil {
		return *new(common.Address), err
	}
	out0 := *abi.ConvertType(out[0], new(common.Address)).(*common.Address)
	return out0, nil
}

// PackReceiveMode is the Go binding used to pack the parameters required for calling
// the contract method with ID 0xd0eab2a8.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function receiveMode() view returns(uint8)
func (testWallet *TestWallet) PackReceiveMode() []byte {
	enc, err := testWallet.abi.Pack("receiveMode")
	if err != nil {
		panic(err)
	}
	return enc
}

// TryPackReceiveMode is the Go binding used to pack the parameters required for calling
// the contract method with ID 0xd0eab2a8.  This method will return an error
// if any inputs are invalid/nil.
//
// Solidity: function receiveMode() view returns(uint8)
func (testWallet *TestWallet) TryPackReceiveMode() ([]byte, error) {
	return testWallet.abi.Pack("receiveMode")
}

// UnpackReceiveMode is the Go binding that unpacks the parameters returned
// from invoking the contract method with ID 0xd0eab2a8.
//
// Solidity: function receiveMode() view returns(uint8)
func (testWallet *TestWallet) UnpackReceiveMode(data []byte) (uint8, error) {
	out, err := testWallet.abi.Unpack("receiveMode", data)
	if err != nil {
		return *new(uint8), err
	}
	out0 := *abi.ConvertType(out[0], new(uint8)).(*uint8)
	return out0, nil
}

// PackSetReceiveMode is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x3eecfc4c.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function setReceiveMode(uint8 mode, address target, bytes data) returns()
func (testWallet *TestWallet) PackSetReceiveMode(mode uint8, target common.Address, data []byte) []byte {
	enc, err := testWallet.abi.Pack("setReceiveMode", mode, target, data)
	if err != nil {
		panic(err)
	}
	return enc
}

// TryPackSetReceiveMode is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x3eecfc4c.  This method will return an error
// if any inputs are invalid/nil.
//
// Solidity: function setReceiveMode(uint8 mode, address target, bytes data) returns()
func (testWallet *TestWallet) TryPackSetReceiveMode(mode uint8, target common.Address, data []byte) ([]byte, error) {
	return testWallet.abi.Pack("setReceiveMode", mode, target, data)
}
