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

// HostileTokenMetaData contains all meta data concerning the HostileToken contract.
var HostileTokenMetaData = bind.MetaData{
	ABI: "[{\"inputs\":[],\"stateMutability\":\"nonpayable\",\"type\":\"constructor\"},{\"anonymous\":false,\"inputs\":[{\"indexed\":true,\"internalType\":\"address\",\"name\":\"owner\",\"type\":\"address\"},{\"indexed\":true,\"internalType\":\"address\",\"name\":\"spender\",\"type\":\"address\"},{\"indexed\":false,\"internalType\":\"uint256\",\"name\":\"value\",\"type\":\"uint256\"}],\"name\":\"Approval\",\"type\":\"event\"},{\"anonymous\":false,\"inputs\":[{\"indexed\":true,\"internalType\":\"address\",\"name\":\"from\",\"type\":\"address\"},{\"indexed\":true,\"internalType\":\"address\",\"name\":\"to\",\"type\":\"address\"},{\"indexed\":false,\"internalType\":\"uint256\",\"name\":\"value\",\"type\":\"uint256\"}],\"name\":\"Transfer\",\"type\":\"event\"},{\"inputs\":[{\"internalType\":\"address\",\"name\":\"\",\"type\":\"address\"},{\"internalType\":\"address\",\"name\":\"\",\"type\":\"address\"}],\"name\":\"allowance\",\"outputs\":[{\"internalType\":\"uint256\",\"name\":\"\",\"type\":\"uint256\"}],\"stateMutability\":\"view\",\"type\":\"function\"},{\"inputs\":[{\"internalType\":\"address\",\"name\":\"spender\",\"type\":\"address\"},{\"internalType\":\"uint256\",\"name\":\"amount\",\"type\":\"uint256\"}],\"name\":\"approve\",\"outputs\":[{\"internalType\":\"bool\",\"name\":\"\",\"type\":\"bool\"}],\"stateMutability\":\"nonpayable\",\"type\":\"function\"},{\"inputs\":[{\"internalType\":\"address\",\"name\":\"\",\"type\":\"address\"}],\"name\":\"balanceOf\",\"outputs\":[{\"internalType\":\"uint256\",\"name\":\"\",\"type\":\"uint256\"}],\"stateMutability\":\"view\",\"type\":\"function\"},{\"inputs\":[],\"name\":\"decimals\",\"outputs\":[{\"internalType\":\"uint8\",\"name\":\"\",\"type\":\"uint8\"}],\"stateMutability\":\"view\",\"type\":\"function\"},{\"inputs\":[],\"name\":\"failTransfers\",\"outputs\":[{\"internalType\":\"bool\",\"name\":\"\",\"type\":\"bool\"}],\"stateMutability\":\"view\",\"type\":\"function\"},{\"inputs\":[],\"name\":\"hookCalls\",\"outputs\":[{\"internalType\":\"uint256\",\"name\":\"\",\"type\":\"uint256\"}],\"stateMutability\":\"view\",\"type\":\"function\"},{\"inputs\":[],\"name\":\"hookData\",\"outputs\":[{\"internalType\":\"bytes\",\"name\":\"\",\"type\":\"bytes\"}],\"stateMutability\":\"view\",\"type\":\"function\"},{\"inputs\":[],\"name\":\"hookTarget\",\"outputs\":[{\"internalType\":\"address\",\"name\":\"\",\"type\":\"address\"}],\"stateMutability\":\"view\",\"type\":\"function\"},{\"inputs\":[],\"name\":\"lastHookOk\",\"outputs\":[{\"internalType\":\"bool\",\"name\":\"\",\"type\":\"bool\"}],\"stateMutability\":\"view\",\"type\":\"function\"},{\"inputs\":[],\"name\":\"lastHookReturn\",\"outputs\":[{\"internalType\":\"bytes\",\"name\":\"\",\"type\":\"bytes\"}],\"stateMutability\":\"view\",\"type\":\"function\"},{\"inputs\":[{\"internalType\":\"address\",\"name\":\"to\",\"type\":\"address\"},{\"internalType\":\"uint256\",\"name\":\"amount\",\"type\":\"uint256\"}],\"name\":\"mint\",\"outputs\":[],\"stateMutability\":\"nonpayable\",\"type\":\"function\"},{\"inputs\":[],\"name\":\"name\",\"outputs\":[{\"internalType\":\"string\",\"name\":\"\",\"type\":\"string\"}],\"stateMutability\":\"view\",\"type\":\"function\"},{\"inputs\":[],\"name\":\"returnNothing\",\"outputs\":[{\"internalType\":\"bool\",\"name\":\"\",\"type\":\"bool\"}],\"stateMutability\":\"view\",\"type\":\"function\"},{\"inputs\":[{\"internalType\":\"address\",\"name\":\"target\",\"type\":\"address\"},{\"internalType\":\"bytes\",\"name\":\"data\",\"type\":\"bytes\"}],\"name\":\"setHook\",\"outputs\":[],\"stateMutability\":\"nonpayable\",\"type\":\"function\"},{\"inputs\":[{\"internalType\":\"bool\",\"name\":\"returnNothing_\",\"type\":\"bool\"},{\"internalType\":\"bool\",\"name\":\"failTransfers_\",\"type\":\"bool\"},{\"internalType\":\"uint256\",\"name\":\"transferFromFee_\",\"type\":\"uint256\"}],\"name\":\"setModes\",\"outputs\":[],\"stateMutability\":\"nonpayable\",\"type\":\"function\"},{\"inputs\":[],\"name\":\"symbol\",\"outputs\":[{\"internalType\":\"string\",\"name\":\"\",\"type\":\"string\"}],\"stateMutability\":\"view\",\"type\":\"function\"},{\"inputs\":[],\"name\":\"totalSupply\",\"outputs\":[{\"internalType\":\"uint256\",\"name\":\"\",\"type\":\"uint256\"}],\"stateMutability\":\"view\",\"type\":\"function\"},{\"inputs\":[{\"internalType\":\"address\",\"name\":\"to\",\"type\":\"address\"},{\"internalType\":\"uint256\",\"name\":\"amount\",\"type\":\"uint256\"}],\"name\":\"transfer\",\"outputs\":[{\"internalType\":\"bool\",\"name\":\"\",\"type\":\"bool\"}],\"stateMutability\":\"nonpayable\",\"type\":\"function\"},{\"inputs\":[{\"internalType\":\"address\",\"name\":\"from\",\"type\":\"address\"},{\"internalType\":\"address\",\"name\":\"to\",\"type\":\"address\"},{\"internalType\":\"uint256\",\"name\":\"amount\",\"type\":\"uint256\"}],\"name\":\"transferFrom\",\"outputs\":[{\"internalType\":\"bool\",\"name\":\"\",\"type\":\"bool\"}],\"stateMutability\":\"nonpayable\",\"type\":\"function\"},{\"inputs\":[],\"name\":\"transferFromFee\",\"outputs\":[{\"internalType\":\"uint256\",\"name\":\"\",\"type\":\"uint256\"}],\"stateMutability\":\"view\",\"type\":\"function\"}]",
	ID:  "HostileToken",
	Bin: "0x608060405234801561000f575f5ffd5b5060405180604001604052806007815260200166486f7374696c6560c81b815250604051806040016040528060048152602001631213d4d560e21b815250815f908161005b9190610108565b5060016100688282610108565b5050506101c2565b634e487b7160e01b5f52604160045260245ffd5b600181811c9082168061009857607f821691505b6020821081036100b657634e487b7160e01b5f52602260045260245ffd5b50919050565b601f82111561010357805f5260205f20601f840160051c810160208510156100e15750805b601f840160051c820191505b81811015610100575f81556001016100ed565b50505b505050565b81516001600160401b0381111561012157610121610070565b6101358161012f8454610084565b846100bc565b6020601f821160018114610167575f83156101505750848201515b5f19600385901b1c1916600184901b178455610100565b5f84815260208120601f198516915b828110156101965787850151825560209485019460019092019101610176565b50848210156101b357868401515f19600387901b60f8161c191681555b50505050600190811b01905550565b610c71806101cf5f395ff3fe608060405234801561000f575f5ffd5b5060043610610127575f3560e01c806370a08231116100a9578063ac3a89a51161006e578063ac3a89a514610263578063c203b13714610270578063d2af4a6014610282578063dd62ed3e1461028b578063fa3be3d4146102b5575f5ffd5b806370a082311461021457806383450770146102335780638b1ed75d1461024057806395d89b4114610248578063a9059cbb14610250575f5ffd5b8063353ac5f9116100ef578063353ac5f9146101b057806340c10f19146101db57806343072d2e146101f057806366b34407146102035780636e22da191461020c575f5ffd5b806306fdde031461012b578063095ea7b31461014957806318160ddd1461016c57806323b872dd14610183578063313ce56714610196575b5f5ffd5b6101336102ee565b60405161014091906107d6565b60405180910390f35b61015c61015736600461080a565b610379565b6040519015158152602001610140565b61017560025481565b604051908152602001610140565b61015c610191366004610832565b6103e5565b61019e601281565b60405160ff9091168152602001610140565b6005546101c3906001600160a01b031681565b6040516001600160a01b039091168152602001610140565b6101ee6101e936600461080a565b61042a565b005b6101ee6101fe36600461086c565b6104b0565b610175600b5481565b6101336104de565b6101756102223660046108ea565b60036020525f908152604090205481565b600a5461015c9060ff1681565b6101336104eb565b6101336104f8565b61015c61025e36600461080a565b610505565b60085461015c9060ff1681565b600a5461015c90610100900460ff1681565b61017560075481565b610175610299366004610903565b600460209081525f928352604080842090915290825290205481565b6101ee6102c3366004610943565b600a805461ffff191693151561ff001916939093176101009215159290920291909117909155600b55565b5f80546102fa9061096c565b80601f01602080910402602001604051908101604052809291908181526020018280546103269061096c565b80156103715780601f1061034857610100808354040283529160200191610371565b820191905f5260205f20905b81548152906001019060200180831161035457829003601f168201915b505050505081565b335f8181526004602090815260408083206001600160a01b038716808552925280832085905551919290917f8c5be1e5ebec7d5bd14f71427d1e84f3dd0314c0f7b2291e5b200ac8c7c3b925906103d39086815260200190565b60405180910390a35060015b92915050565b5f6103ee610541565b6103f884836105ec565b610403848484610693565b600b541561041857610418835f600b54610693565b610420610799565b5060019392505050565b8060025f82825461043b91906109b8565b90915550506001600160a01b0382165f90815260036020526040812080548392906104679084906109b8565b90915550506040518181526001600160a01b038316905f907fddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef9060200160405180910390a35050565b600580546001600160a01b0319166001600160a01b03851617905560066104d8828483610a2a565b50505050565b600680546102fa9061096c565b600980546102fa9061096c565b600180546102fa9061096c565b5f61050e610541565b600a54610100900460ff161561052557505f6103df565b610530338484610693565b610538610799565b50600192915050565b6005546001600160a01b031661055357565b60078054905f61056283610ae4565b90915550506005546040515f9182916001600160a01b039091169061058990600690610afc565b5f604051808303815f865af19150503d805f81146105c2576040519150601f19603f3d011682016040523d82523d5f602084013e6105c7565b606091505b506008805460ff1916831515179055909250905060096105e78282610b6d565b505050565b6001600160a01b0382165f9081526004602090815260408083203384529091529020545f1981146105e757818110156106615760405162461bcd60e51b8152602060048201526012602482015271185b1b1bddd85b98d948195e18d95959195960721b60448201526064015b60405180910390fd5b61066b8282610c28565b6001600160a01b0384165f908152600460209081526040808320338452909152902055505050565b6001600160a01b0383165f908152600360205260409020548111156106ed5760405162461bcd60e51b815260206004820152601060248201526f18985b185b98d948195e18d95959195960821b6044820152606401610658565b6001600160a01b0383165f9081526003602052604081208054839290610714908490610c28565b90915550506001600160a01b0382165f90815260036020526040812080548392906107409084906109b8565b92505081905550816001600160a01b0316836001600160a01b03167fddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef8360405161078c91815260200190565b60405180910390a3505050565b600a5460ff16156107a657005b565b5f81518084528060208401602086015e5f602082860101526020601f19601f83011685010191505092915050565b602081525f6107e860208301846107a8565b9392505050565b80356001600160a01b0381168114610805575f5ffd5b919050565b5f5f6040838503121561081b575f5ffd5b610824836107ef565b946020939093013593505050565b5f5f5f60608486031215610844575f5ffd5b61084d846107ef565b925061085b602085016107ef565b929592945050506040919091013590565b5f5f5f6040848603121561087e575f5ffd5b610887846107ef565b9250602084013567ffffffffffffffff8111156108a2575f5ffd5b8401601f810186136108b2575f5ffd5b803567ffffffffffffffff8111156108c8575f5ffd5b8660208284010111156108d9575f5ffd5b939660209190910195509293505050565b5f602082840312156108fa575f5ffd5b6107e8826107ef565b5f5f60408385031215610914575f5ffd5b61091d836107ef565b915061092b602084016107ef565b90509250929050565b80358015158114610805575f5ffd5b5f5f5f60608486031215610955575f5ffd5b61095e84610934565b925061085b60208501610934565b600181811c9082168061098057607f821691505b60208210810361099e57634e487b7160e01b5f52602260045260245ffd5b50919050565b634e487b7160e01b5f52601160045260245ffd5b808201808211156103df576103df6109a4565b634e487b7160e01b5f52604160045260245ffd5b601f8211156105e757805f5260205f20601f840160051c81016020851015610a045750805b601f840160051c820191505b81811015610a23575f8155600101610a10565b5050505050565b67ffffffffffffffff831115610a4257610a426109cb565b610a5683610a50835461096c565b836109df565b5f601f841160018114610a87575f8515610a705750838201355b5f19600387901b1c1916600186901b178355610a23565b5f83815260208120601f198716915b82811015610ab65786850135825560209485019460019092019101610a96565b5086821015610ad2575f1960f88860031b161c19848701351681555b505060018560011b0183555050505050565b5f60018201610af557610af56109a4565b5060010190565b5f5f8354610b098161096c565b600182168015610b205760018114610b3557610b62565b60ff1983168652811515820286019350610b62565b865f5260205f205f5b83811015610b5a57815488820152600190910190602001610b3e565b505081860193505b509195945050505050565b815167ffffffffffffffff811115610b8757610b876109cb565b610b9b81610b95845461096c565b846109df565b6020601f821160018114610bcd575f8315610bb65750848201515b5f19600385901b1c1916600184901b178455610a23565b5f84815260208120601f198516915b82811015610bfc5787850151825560209485019460019092019101610bdc565b5084821015610c1957868401515f19600387901b60f8161c191681555b50505050600190811b01905550565b818103818111156103df576103df6109a456fea26469706673582212204cf93503f0b8dae17dcee3c7600a50e5a8dc47d2fba64f781196f0a231e88eb464736f6c634300081c0033",
}

// HostileToken is an auto generated Go binding around an Ethereum contract.
type HostileToken struct {
	abi abi.ABI
}

// GetABI returns the ABI associated with this contract binding.
func (c *HostileToken) GetABI() abi.ABI {
	return c.abi
}

// NewHostileToken creates a new instance of HostileToken.
func NewHostileToken() *HostileToken {
	parsed, err := HostileTokenMetaData.ParseABI()
	if err != nil {
		panic(errors.New("invalid ABI: " + err.Error()))
	}
	return &HostileToken{abi: *parsed}
}

// Instance creates a wrapper for a deployed contract instance at the given address.
// Use this to create the instance object passed to abigen v2 library functions Call, Transact, etc.
func (c *HostileToken) Instance(backend bind.ContractBackend, addr common.Address) *bind.BoundContract {
	return bind.NewBoundContract(addr, c.abi, backend, backend, backend)
}

// PackAllowance is the Go binding used to pack the parameters required for calling
// the contract method with ID 0xdd62ed3e.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function allowance(address , address ) view returns(uint256)
func (hostileToken *HostileToken) PackAllowance(arg0 common.Address, arg1 common.Address) []byte {
	enc, err := hostileToken.abi.Pack("allowance", arg0, arg1)
	if err != nil {
		panic(err)
	}
	return enc
}

// TryPackAllowance is the Go binding used to pack the parameters required for calling
// the contract method with ID 0xdd62ed3e.  This method will return an error
// if any inputs are invalid/nil.
//
// Solidity: function allowance(address , address ) view returns(uint256)
func (hostileToken *HostileToken) TryPackAllowance(arg0 common.Address, arg1 common.Address) ([]byte, error) {
	return hostileToken.abi.Pack("allowance", arg0, arg1)
}

// UnpackAllowance is the Go binding that unpacks the parameters returned
// from invoking the contract method with ID 0xdd62ed3e.
//
// Solidity: function allowance(address , address ) view returns(uint256)
func (hostileToken *HostileToken) UnpackAllowance(data []byte) (*big.Int, error) {
	out, err := hostileToken.abi.Unpack("allowance", data)
	if err != nil {
		return new(big.Int), err
	}
	out0 := abi.ConvertType(out[0], new(big.Int)).(*big.Int)
	return out0, nil
}

// PackApprove is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x095ea7b3.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function approve(address spender, uint256 amount) returns(bool)
func (hostileToken *HostileToken) PackApprove(spender common.Address, amount *big.Int) []byte {
	enc, err := hostileToken.abi.Pack("approve", spender, amount)
	if err != nil {
		panic(err)
	}
	return enc
}

// TryPackApprove is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x095ea7b3.  This method will return an error
// if any inputs are invalid/nil.
//
// Solidity: function approve(address spender, uint256 amount) returns(bool)
func (hostileToken *HostileToken) TryPackApprove(spender common.Address, amount *big.Int) ([]byte, error) {
	return hostileToken.abi.Pack("approve", spender, amount)
}

// UnpackApprove is the Go binding that unpacks the parameters returned
// from invoking the contract method with ID 0x095ea7b3.
//
// Solidity: function approve(address spender, uint256 amount) returns(bool)
func (hostileToken *HostileToken) UnpackApprove(data []byte) (bool, error) {
	out, err := hostileToken.abi.Unpack("approve", data)
	if err != nil {
		return *new(bool), err
	}
	out0 := *abi.ConvertType(out[0], new(bool)).(*bool)
	return out0, nil
}

// PackBalanceOf is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x70a08231.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function balanceOf(address ) view returns(uint256)
func (hostileToken *HostileToken) PackBalanceOf(arg0 common.Address) []byte {
	enc, err := hostileToken.abi.Pack("balanceOf", arg0)
	if err != nil {
		panic(err)
	}
	return enc
}

// TryPackBalanceOf is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x70a08231.  This method will return an error
// if any inputs are invalid/nil.
//
// Solidity: function balanceOf(address ) view returns(uint256)
func (hostileToken *HostileToken) TryPackBalanceOf(arg0 common.Address) ([]byte, error) {
	return hostileToken.abi.Pack("balanceOf", arg0)
}

// UnpackBalanceOf is the Go binding that unpacks the parameters returned
// from invoking the contract method with ID 0x70a08231.
//
// Solidity: function balanceOf(address ) view returns(uint256)
func (hostileToken *HostileToken) UnpackBalanceOf(data []byte) (*big.Int, error) {
	out, err := hostileToken.abi.Unpack("balanceOf", data)
	if err != nil {
		return new(big.Int), err
	}
	out0 := abi.ConvertType(out[0], new(big.Int)).(*big.Int)
	return out0, nil
}

// PackDecimals is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x313ce567.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function decimals() view returns(uint8)
func (hostileToken *HostileToken) PackDecimals() []byte {
	enc, err := hostileToken.abi.Pack("decimals")
	if err != nil {
		panic(err)
	}
	return enc
}

// TryPackDecimals is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x313ce567.  This method will return an error
// if any inputs are invalid/nil.
//
// Solidity: function decimals() view returns(uint8)
func (hostileToken *HostileToken) TryPackDecimals() ([]byte, error) {
	return hostileToken.abi.Pack("decimals")
}

// UnpackDecimals is the Go binding that unpacks the parameters returned
// from invoking the contract method with ID 0x313ce567.
//
// Solidity: function decimals() view returns(uint8)
func (hostileToken *HostileToken) UnpackDecimals(data []byte) (uint8, error) {
	out, err := hostileToken.abi.Unpack("decimals", data)
	if err != nil {
		return *new(uint8), err
	}
	out0 := *abi.ConvertType(out[0], new(uint8)).(*uint8)
	return out0, nil
}

// PackFailTransfers is the Go binding used to pack the parameters required for calling
// the contract method with ID 0xc203b137.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function failTransfers() view returns(bool)
func (hostileToken *HostileToken) PackFailTransfers() []byte {
	enc, err := hostileToken.abi.Pack("failTransfers")
	if err != nil {
		panic(err)
	}
	return enc
}

// TryPackFailTransfers is the Go binding used to pack the parameters required for calling
// the contract method with ID 0xc203b137.  This method will return an error
// if any inputs are invalid/nil.
//
// Solidity: function failTransfers() view returns(bool)
func (hostileToken *HostileToken) TryPackFailTransfers() ([]byte, error) {
	return hostileToken.abi.Pack("failTransfers")
}

// UnpackFailTransfers is the Go binding that unpacks the parameters returned
// from invoking the contract method with ID 0xc203b137.
//
// Solidity: function failTransfers() view returns(bool)
func (hostileToken *HostileToken) UnpackFailTransfers(data []byte) (bool, error) {
	out, err := hostileToken.abi.Unpack("failTransfers", data)
	if err != nil {
		return *new(bool), err
	}
	out0 := *abi.ConvertType(out[0], new(bool)).(*bool)
	return out0, nil
}

// PackHookCalls is the Go binding used to pack the parameters required for calling
// the contract method with ID 0xd2af4a60.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function hookCalls() view returns(uint256)
func (hostileToken *HostileToken) PackHookCalls() []byte {
	enc, err := hostileToken.abi.Pack("hookCalls")
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
func (hostileToken *HostileToken) TryPackHookCalls() ([]byte, error) {
	return hostileToken.abi.Pack("hookCalls")
}

// UnpackHookCalls is the Go binding that unpacks the parameters returned
// from invoking the contract method with ID 0xd2af4a60.
//
// Solidity: function hookCalls() view returns(uint256)
func (hostileToken *HostileToken) UnpackHookCalls(data []byte) (*big.Int, error) {
	out, err := hostileToken.abi.Unpack("hookCalls", data)
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
func (hostileToken *HostileToken) PackHookData() []byte {
	enc, err := hostileToken.abi.Pack("hookData")
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
func (hostileToken *HostileToken) TryPackHookData() ([]byte, error) {
	return hostileToken.abi.Pack("hookData")
}

// UnpackHookData is the Go binding that unpacks the parameters returned
// from invoking the contract method with ID 0x6e22da19.
//
// Solidity: function hookData() view returns(bytes)
func (hostileToken *HostileToken) UnpackHookData(data []byte) ([]byte, error) {
	out, err := hostileToken.abi.Unpack("hookData", data)
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
func (hostileToken *HostileToken) PackHookTarget() []byte {
	enc, err := hostileToken.abi.Pack("hookTarget")
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
func (hostileToken *HostileToken) TryPackHookTarget() ([]byte, error) {
	return hostileToken.abi.Pack("hookTarget")
}

// UnpackHookTarget is the Go binding that unpacks the parameters returned
// from invoking the contract method with ID 0x353ac5f9.
//
// Solidity: function hookTarget() view returns(address)
func (hostileToken *HostileToken) UnpackHookTarget(data []byte) (common.Address, error) {
	out, err := hostileToken.abi.Unpack("hookTarget", data)
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
func (hostileToken *HostileToken) PackLastHookOk() []byte {
	enc, err := hostileToken.abi.Pack("lastHookOk")
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
func (hostileToken *HostileToken) TryPackLastHookOk() ([]byte, error) {
	return hostileToken.abi.Pack("lastHookOk")
}

// UnpackLastHookOk is the Go binding that unpacks the parameters returned
// from invoking the contract method with ID 0xac3a89a5.
//
// Solidity: function lastHookOk() view returns(bool)
func (hostileToken *HostileToken) UnpackLastHookOk(data []byte) (bool, error) {
	out, err := hostileToken.abi.Unpack("lastHookOk", data)
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
func (hostileToken *HostileToken) PackLastHookReturn() []byte {
	enc, err := hostileToken.abi.Pack("lastHookReturn")
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
func (hostileToken *HostileToken) TryPackLastHookReturn() ([]byte, error) {
	return hostileToken.abi.Pack("lastHookReturn")
}

// UnpackLastHookReturn is the Go binding that unpacks the parameters returned
// from invoking the contract method with ID 0x8b1ed75d.
//
// Solidity: function lastHookReturn() view returns(bytes)
func (hostileToken *HostileToken) UnpackLastHookReturn(data []byte) ([]byte, error) {
	out, err := hostileToken.abi.Unpack("lastHookReturn", data)
	if err != nil {
		return *new([]byte), err
	}
	out0 := *abi.ConvertType(out[0], new([]byte)).(*[]byte)
	return out0, nil
}

// PackMint is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x40c10f19.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function mint(address to, uint256 amount) returns()
func (hostileToken *HostileToken) PackMint(to common.Address, amount *big.Int) []byte {
	enc, err := hostileToken.abi.Pack("mint", to, amount)
	if err != nil {
		panic(err)
	}
	return enc
}

// TryPackMint is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x40c10f19.  This method will return an error
// if any inputs are invalid/nil.
//
// Solidity: function mint(address to, uint256 amount) returns()
func (hostileToken *HostileToken) TryPackMint(to common.Address, amount *big.Int) ([]byte, error) {
	return hostileToken.abi.Pack("mint", to, amount)
}

// PackName is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x06fdde03.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function name() view returns(string)
func (hostileToken *HostileToken) PackName() []byte {
	enc, err := hostileToken.abi.Pack("name")
	if err != nil {
		panic(err)
	}
	return enc
}

// TryPackName is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x06fdde03.  This method will return an error
// if any inputs are invalid/nil.
//
// Solidity: function name() view returns(string)
func (hostileToken *HostileToken) TryPackName() ([]byte, error) {
	return hostileToken.abi.Pack("name")
}

// UnpackName is the Go binding that unpacks the parameters returned
// from invoking the contract method with ID 0x06fdde03.
//
// Solidity: function name() view returns(string)
func (hostileToken *HostileToken) UnpackName(data []byte) (string, error) {
	out, err := hostileToken.abi.Unpack("name", data)
	if err != nil {
		return *new(string), err
	}
	out0 := *abi.ConvertType(out[0], new(string)).(*string)
	return out0, nil
}

// PackReturnNothing is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x83450770.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function returnNothing() view returns(bool)
func (hostileToken *HostileToken) PackReturnNothing() []byte {
	enc, err := hostileToken.abi.Pack("returnNothing")
	if err != nil {
		panic(err)
	}
	return enc
}

// TryPackReturnNothing is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x83450770.  This method will return an error
// if any inputs are invalid/nil.
//
// Solidity: function returnNothing() view returns(bool)
func (hostileToken *HostileToken) TryPackReturnNothing() ([]byte, error) {
	return hostileToken.abi.Pack("returnNothing")
}

// UnpackReturnNothing is the Go binding that unpacks the parameters returned
// from invoking the contract method with ID 0x83450770.
//
// Solidity: function returnNothing() view returns(bool)
func (hostileToken *HostileToken) UnpackReturnNothing(data []byte) (bool, error) {
	out, err := hostileToken.abi.Unpack("returnNothing", data)
	if err != nil {
		return *new(bool), err
	}
	out0 := *abi.ConvertType(out[0], new(bool)).(*bool)
	return out0, nil
}

// PackSetHook is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x43072d2e.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function setHook(address target, bytes data) returns()
func (hostileToken *HostileToken) PackSetHook(target common.Address, data []byte) []byte {
	enc, err := hostileToken.abi.Pack("setHook", target, data)
	if err != nil {
		panic(err)
	}
	return enc
}

// TryPackSetHook is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x43072d2e.  This method will return an error
// if any inputs are invalid/nil.
//
// Solidity: function setHook(address target, bytes data) returns()
func (hostileToken *HostileToken) TryPackSetHook(target common.Address, data []byte) ([]byte, error) {
	return hostileToken.abi.Pack("setHook", target, data)
}

// PackSetModes is the Go binding used to pack the parameters required for calling
// the contract method with ID 0xfa3be3d4.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function setModes(bool returnNothing_, bool failTransfers_, uint256 transferFromFee_) returns()
func (hostileToken *HostileToken) PackSetModes(returnNothing bool, failTransfers bool, transferFromFee *big.Int) []byte {
	enc, err := hostileToken.abi.Pack("setModes", returnNothing, failTransfers, transferFromFee)
	if err != nil {
		panic(err)
	}
	return enc
}

// TryPackSetModes is the Go binding used to pack the parameters required for calling
// the contract method with ID 0xfa3be3d4.  This method will return an error
// if any inputs are invalid/nil.
//
// Solidity: function setModes(bool returnNothing_, bool failTransfers_, uint256 transferFromFee_) returns()
func (hostileToken *HostileToken) TryPackSetModes(returnNothing bool, failTransfers bool, transferFromFee *big.Int) ([]byte, error) {
	return hostileToken.abi.Pack("setModes", returnNothing, failTransfers, transferFromFee)
}

// PackSymbol is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x95d89b41.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function symbol() view returns(string)
func (hostileToken *HostileToken) PackSymbol() []byte {
	enc, err := hostileToken.abi.Pack("symbol")
	if err != nil {
		panic(err)
	}
	return enc
}

// TryPackSymbol is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x95d89b41.  This method will return an error
// if any inputs are invalid/nil.
//
// Solidity: function symbol() view returns(string)
func (hostileToken *HostileToken) TryPackSymbol() ([]byte, error) {
	return hostileToken.abi.Pack("symbol")
}

// UnpackSymbol is the Go binding that unpacks the parameters returned
// from invoking the contract method with ID 0x95d89b41.
//
// Solidity: function symbol() view returns(string)
func (hostileToken *HostileToken) UnpackSymbol(data []byte) (string, error) {
	out, err := hostileToken.abi.Unpack("symbol", data)
	if err != nil {
		return *new(string), err
	}
	out0 := *abi.ConvertType(out[0], new(string)).(*string)
	return out0, nil
}

// PackTotalSupply is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x18160ddd.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function totalSupply() view returns(uint256)
func (hostileToken *HostileToken) PackTotalSupply() []byte {
	enc, err := hostileToken.abi.Pack("totalSupply")
	if err != nil {
		panic(err)
	}
	return enc
}

// TryPackTotalSupply is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x18160ddd.  This method will return an error
// if any inputs are invalid/nil.
//
// Solidity: function totalSupply() view returns(uint256)
func (hostileToken *HostileToken) TryPackTotalSupply() ([]byte, error) {
	return hostileToken.abi.Pack("totalSupply")
}

// UnpackTotalSupply is the Go binding that unpacks the parameters returned
// from invoking the contract method with ID 0x18160ddd.
//
// Solidity: function totalSupply() view returns(uint256)
func (hostileToken *HostileToken) UnpackTotalSupply(data []byte) (*big.Int, error) {
	out, err := hostileToken.abi.Unpack("totalSupply", data)
	if err != nil {
		return new(big.Int), err
	}
	out0 := abi.ConvertType(out[0], new(big.Int)).(*big.Int)
	return out0, nil
}

// PackTransfer is the Go binding used to pack the parameters required for calling
// the contract method with ID 0xa9059cbb.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function transfer(address to, uint256 amount) returns(bool)
func (hostileToken *HostileToken) PackTransfer(to common.Address, amount *big.Int) []byte {
	enc, err := hostileToken.abi.Pack("transfer", to, amount)
	if err != nil {
		panic(err)
	}
	return enc
}

// TryPackTransfer is the Go binding used to pack the parameters required for calling
// the contract method with ID 0xa9059cbb.  This method will return an error
// if any inputs are invalid/nil.
//
// Solidity: function transfer(address to, uint256 amount) returns(bool)
func (hostileToken *HostileToken) TryPackTransfer(to common.Address, amount *big.Int) ([]byte, error) {
	return hostileToken.abi.Pack("transfer", to, amount)
}

// UnpackTransfer is the Go binding that unpacks the parameters returned
// from invoking the contract method with ID 0xa9059cbb.
//
// Solidity: function transfer(address to, uint256 amount) returns(bool)
func (hostileToken *HostileToken) UnpackTransfer(data []byte) (bool, error) {
	out, err := hostileToken.abi.Unpack("transfer", data)
	if err != nil {
		return *new(bool), err
	}
	out0 := *abi.ConvertType(out[0], new(bool)).(*bool)
	return out0, nil
}

// PackTransferFrom is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x23b872dd.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function transferFrom(address from, address to, uint256 amount) returns(bool)
func (hostileToken *HostileToken) PackTransferFrom(from common.Address, to common.Address, amount *big.Int) []byte {
	enc, err := hostileToken.abi.Pack("transferFrom", from, to, amount)
	if err != nil {
		panic(err)
	}
	return enc
}

// TryPackTransferFrom is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x23b872dd.  This method will return an error
// if any inputs are invalid/nil.
//
// Solidity: function transferFrom(address from, address to, uint256 amount) returns(bool)
func (hostileToken *HostileToken) TryPackTransferFrom(from common.Address, to common.Address, amount *big.Int) ([]byte, error) {
	return hostileToken.abi.Pack("transferFrom", from, to, amount)
}

// UnpackTransferFrom is the Go binding that unpacks the parameters returned
// from invoking the contract method with ID 0x23b872dd.
//
// Solidity: function transferFrom(address from, address to, uint256 amount) returns(bool)
func (hostileToken *HostileToken) UnpackTransferFrom(data []byte) (bool, error) {
	out, err := hostileToken.abi.Unpack("transferFrom", data)
	if err != nil {
		return *new(bool), err
	}
	out0 := *abi.ConvertType(out[0], new(bool)).(*bool)
	return out0, nil
}

// PackTransferFromFee is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x66b34407.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function transferFromFee() view returns(uint256)
func (hostileToken *HostileToken) PackTransferFromFee() []byte {
	enc, err := hostileToken.abi.Pack("transferFromFee")
	if err != nil {
		panic(err)
	}
	return enc
}

// TryPackTransferFromFee is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x66b34407.  This method will return an error
// if any inputs are invalid/nil.
//
// Solidity: function transferFromFee() view returns(uint256)
func (hostileToken *HostileToken) TryPackTransferFromFee() ([]byte, error) {
	return hostileToken.abi.Pack("transferFromFee")
}

// UnpackTransferFromFee is the Go binding that unpacks the parameters returned
// from invoking the contract method with ID 0x66b34407.
//
// Solidity: function transferFromFee() view returns(uint256)
func (hostileToken *HostileToken) UnpackTransferFromFee(data []byte) (*big.Int, error) {
	out, err := hostileToken.abi.Unpack("transferFromFee", data)
	if err != nil {
		return new(big.Int), err
	}
	out0 := abi.ConvertType(out[0], new(big.Int)).(*big.Int)
	return out0, nil
}

// HostileTokenApproval represents a Approval event raised by the HostileToken contract.
type HostileTokenApproval struct {
	Owner   common.Address
	Spender common.Address
	Value   *big.Int
	Raw     *types.Log // Blockchain specific contextual infos
}

const HostileTokenApprovalEventName = "Approval"

// ContractEventName returns the user-defined event name.
func (HostileTokenApproval) ContractEventName() string {
	return HostileTokenApprovalEventName
}

// UnpackApprovalEvent is the Go binding that unpacks the event data emitted
// by contract.
//
// Solidity: event Approval(address indexed owner, address indexed spender, uint256 value)
func (hostileToken *HostileToken) UnpackApprovalEvent(log *types.Log) (*HostileTokenApproval, error) {
	event := "Approval"
	if len(log.Topics) == 0 {
		return nil, bind.ErrNoEventSignature
	}
	if log.Topics[0] != hostileToken.abi.Events[event].ID {
		return nil, bind.ErrEventSignatureMismatch
	}
	out := new(HostileTokenApproval)
	if len(log.Data) > 0 {
		if err := hostileToken.abi.UnpackIntoInterface(out, event, log.Data); err != nil {
			return nil, err
		}
	}
	var indexed abi.Arguments
	for _, arg := range hostileToken.abi.Events[event].Inputs {
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

// HostileTokenTransfer represents a Transfer event raised by the HostileToken contract.
type HostileTokenTransfer struct {
	From  common.Address
	To    common.Address
	Value *big.Int
	Raw   *types.Log // Blockchain specific contextual infos
}

const HostileTokenTransferEventName = "Transfer"

// ContractEventName returns the user-defined event name.
func (HostileTokenTransfer) ContractEventName() string {
	return HostileTokenTransferEventName
}

// UnpackTransferEvent is the Go binding that unpacks the event data emitted
// by contract.
//
// Solidity: event Transfer(address indexed from, address indexed to, uint256 value)
func (hostileToken *HostileToken) UnpackTransferEvent(log *types.Log) (*HostileTokenTransfer, error) {
	event := "Transfer"
	if len(log.Topics) == 0 {
		return nil, bind.ErrNoEventSignature
	}
	if log.Topics[0] != hostileToken.abi.Events[event].ID {
		return nil, bind.ErrEventSignatureMismatch
	}
	out := new(HostileTokenTransfer)
	if len(log.Data) > 0 {
		if err := hostileToken.abi.UnpackIntoInterface(out, event, log.Data); err != nil {
			return nil, err
		}
	}
	var indexed abi.Arguments
	for _, arg := range hostileToken.abi.Events[event].Inputs {
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
