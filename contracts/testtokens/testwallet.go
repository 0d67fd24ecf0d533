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
	ABI: "[{\"inputs\":[],\"stateMutability\":\"nonpayable\",\"type\":\"constructor\"},{\"inputs\":[],\"name\":\"ACCEPT\",\"outputs\":[{\"internalType\":\"uint8\",\"name\":\"\",\"type\":\"uint8\"}],\"stateMutability\":\"view\",\"type\":\"function\"},{\"inputs\":[],\"name\":\"REENTER\",\"outputs\":[{\"internalType\":\"uint8\",\"name\":\"\",\"type\":\"uint8\"}],\"stateMutability\":\"view\",\"type\":\"function\"},{\"inputs\":[],\"name\":\"REJECT\",\"outputs\":[{\"internalType\":\"uint8\",\"name\":\"\",\"type\":\"uint8\"}],\"stateMutability\":\"view\",\"type\":\"function\"},{\"inputs\":[{\"internalType\":\"address\",\"name\":\"target\",\"type\":\"address\"},{\"internalType\":\"uint256\",\"name\":\"value\",\"type\":\"uint256\"},{\"internalType\":\"bytes\",\"name\":\"data\",\"type\":\"bytes\"}],\"name\":\"exec\",\"outputs\":[{\"internalType\":\"bytes\",\"name\":\"\",\"type\":\"bytes\"}],\"stateMutability\":\"payable\",\"type\":\"function\"},{\"inputs\":[],\"name\":\"hookCalls\",\"outputs\":[{\"internalType\":\"uint256\",\"name\":\"\",\"type\":\"uint256\"}],\"stateMutability\":\"view\",\"type\":\"function\"},{\"inputs\":[],\"name\":\"hookData\",\"outputs\":[{\"internalType\":\"bytes\",\"name\":\"\",\"type\":\"bytes\"}],\"stateMutability\":\"view\",\"type\":\"function\"},{\"inputs\":[],\"name\":\"hookTarget\",\"outputs\":[{\"internalType\":\"address\",\"name\":\"\",\"type\":\"address\"}],\"stateMutability\":\"view\",\"type\":\"function\"},{\"inputs\":[],\"name\":\"lastHookOk\",\"outputs\":[{\"internalType\":\"bool\",\"name\":\"\",\"type\":\"bool\"}],\"stateMutability\":\"view\",\"type\":\"function\"},{\"inputs\":[],\"name\":\"lastHookReturn\",\"outputs\":[{\"internalType\":\"bytes\",\"name\":\"\",\"type\":\"bytes\"}],\"stateMutability\":\"view\",\"type\":\"function\"},{\"inputs\":[],\"name\":\"owner\",\"outputs\":[{\"internalType\":\"address\",\"name\":\"\",\"type\":\"address\"}],\"stateMutability\":\"view\",\"type\":\"function\"},{\"inputs\":[],\"name\":\"receiveMode\",\"outputs\":[{\"internalType\":\"uint8\",\"name\":\"\",\"type\":\"uint8\"}],\"stateMutability\":\"view\",\"type\":\"function\"},{\"inputs\":[{\"internalType\":\"uint8\",\"name\":\"mode\",\"type\":\"uint8\"},{\"internalType\":\"address\",\"name\":\"target\",\"type\":\"address\"},{\"internalType\":\"bytes\",\"name\":\"data\",\"type\":\"bytes\"}],\"name\":\"setReceiveMode\",\"outputs\":[],\"stateMutability\":\"nonpayable\",\"type\":\"function\"},{\"stateMutability\":\"payable\",\"type\":\"receive\"}]",
	ID:  "TestWallet",
	Bin: "0x60a0604052348015600e575f5ffd5b50336080526080516109706100395f395f818161026e0152818161034e015261042a01526109705ff3fe6080604052600436106100a8575f3560e01c8063ac3a89a511610062578063ac3a89a514610290578063af2408ca146102b9578063c73fb677146102de578063d0eab2a8146102f2578063d2af4a601461030a578063fe6c02031461032d575f5ffd5b80630565bb67146101b2578063353ac5f9146101db5780633eecfc4c146102165780636e22da19146102355780638b1ed75d146102495780638da5cb5b1461025d575f5ffd5b366101ae575f5460ff165f19016101065760405162461bcd60e51b815260206004820152601760248201527f77616c6c65742072656a65637473207061796d656e747300000000000000000060448201526064015b60405180910390fd5b5f5460ff16600119016101ac5760028054905f61012283610555565b90915550505f8054604051829161010090046001600160a01b03169061014a906001906105b1565b5f604051808303815f865af19150503d805f8114610183576040519150601f19603f3d011682016040523d82523d5f602084013e610188565b606091505b506003805460ff1916831515179055909250905060046101a8828261067f565b5050505b005b5f5ffd5b6101c56101c036600461079a565b610341565b6040516101d291906107f0565b60405180910390f35b3480156101e6575f5ffd5b505f546101fe9061010090046001600160a01b031681565b6040516001600160a01b0390911681526020016101d2565b348015610221575f5ffd5b506101ac610230366004610825565b61041f565b348015610240575f5ffd5b506101c56104bc565b348015610254575f5ffd5b506101c5610548565b348015610268575f5ffd5b506101fe7f000000000000000000000000000000000000000000000000000000000000000081565b34801561029b575f5ffd5b506003546102a99060ff1681565b60405190151581526020016101d2565b3480156102c4575f5ffd5b506102cc5f81565b60405160ff90911681526020016101d2565b3480156102e9575f5ffd5b506102cc600281565b3480156102fd575f5ffd5b505f546102cc9060ff1681565b348015610315575f5ffd5b5061031f60025481565b6040519081526020016101d2565b348015610338575f5ffd5b506102cc600181565b6060336001600160a01b037f000000000000000000000000000000000000000000000000000000000000000016146103a75760405162461bcd60e51b81526020600482015260096024820152683737ba1037bbb732b960b91b60448201526064016100fd565b5f5f866001600160a01b03168686866040516103c4929190610871565b5f6040518083038185875af1925050503d805f81146103fe576040519150601f19603f3d011682016040523d82523d5f602084013e610403565b606091505b50915091508161041557805160208201fd5b9695505050505050565b336001600160a01b037f000000000000000000000000000000000000000000000000000000000000000016146104835760405162461bcd60e51b81526020600482015260096024820152683737ba1037bbb732b960b91b60448201526064016100fd565b5f80546001600160a01b038516610100026001600160a81b031990911660ff87161717905560016104b5828483610880565b5050505050565b600180546104c990610579565b80601f01602080910402602001604051908101604052809291908181526020018280546104f590610579565b80156105405780601f1061051757610100808354040283529160200191610540565b820191905f5260205f20905b81548152906001019060200180831161052357829003601f168201915b505050505081565b600480546104c990610579565b5f6001820161057257634e487b7160e01b5f52601160045260245ffd5b5060010190565b600181811c9082168061058d57607f821691505b6020821081036105ab57634e487b7160e01b5f52602260045260245ffd5b50919050565b5f5f83546105be81610579565b6001821680156105d557600181146105ea57610617565b60ff1983168652811515820286019350610617565b865f5260205f205f5b8381101561060f578154888201526001909101906020016105f3565b505081860193505b509195945050505050565b634e487b7160e01b5f52604160045260245ffd5b601f82111561067a57805f5260205f20601f840160051c8101602085101561065b5750805b601f840160051c820191505b818110156104b5575f8155600101610667565b505050565b815167ffffffffffffffff81111561069957610699610622565b6106ad816106a78454610579565b84610636565b6020601f8211600181146106df575f83156106c85750848201515b5f19600385901b1c1916600184901b1784556104b5565b5f84815260208120601f198516915b8281101561070e57878501518255602094850194600190920191016106ee565b508482101561072b57868401515f19600387901b60f8161c191681555b50505050600190811b01905550565b80356001600160a01b0381168114610750575f5ffd5b919050565b5f5f83601f840112610765575f5ffd5b50813567ffffffffffffffff81111561077c575f5ffd5b602083019150836020828501011115610793575f5ffd5b9250929050565b5f5f5f5f606085870312156107ad575f5ffd5b6107b68561073a565b935060208501359250604085013567ffffffffffffffff8111156107d8575f5ffd5b6107e487828801610755565b95989497509550505050565b602081525f82518060208401528060208501604085015e5f604082850101526040601f19601f83011684010191505092915050565b5f5f5f5f60608587031215610838575f5ffd5b843560ff81168114610848575f5ffd5b93506108566020860161073a565b9250604085013567ffffffffffffffff8111156107d8575f5ffd5b818382375f9101908152919050565b67ffffffffffffffff83111561089857610898610622565b6108ac836108a68354610579565b83610636565b5f601f8411600181146108dd575f85156108c65750838201355b5f19600387901b1c1916600186901b1783556104b5565b5f83815260208120601f198716915b8281101561090c57868501358255602094850194600190920191016108ec565b5086821015610928575f1960f88860031b161c19848701351681555b505060018560011b018355505050505056fea2646970667358221220c907292b99ed58ddce4da61e8dbbdc1dc05927c8764d5eec339426f043c9f47f64736f6c634300081c0033",
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
