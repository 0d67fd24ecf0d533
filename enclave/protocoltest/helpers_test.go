package protocoltest_test

import gethcommon "github.com/ethereum/go-ethereum/common"

func common(b []byte) gethcommon.Address { return gethcommon.BytesToAddress(b) }
