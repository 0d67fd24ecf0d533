package evm

import (
	"errors"
	"fmt"
	"strings"

	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/rpc"

	"github.com/teeswap/teeswap/chain"
)

// classify maps node errors to the chain package's typed errors. Node errors
// arrive as JSON-RPC errors (also from the simulated backend, which runs an
// in-process RPC server), so matching is on codes, data and messages.
func classify(err error) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	var de rpc.DataError
	if errors.As(err, &de) {
		if data, ok := revertData(de.ErrorData()); ok || strings.Contains(msg, "execution reverted") {
			return chain.NewRevertError(data)
		}
	}
	if strings.Contains(msg, "execution reverted") {
		re := &chain.RevertError{}
		if _, reason, ok := strings.Cut(msg, "execution reverted: "); ok {
			re.Reason = reason
		}
		return re
	}
	if strings.Contains(msg, "insufficient funds") {
		return fmt.Errorf("%w: %w", chain.ErrInsufficientFunds, err)
	}
	return err
}

func revertData(v any) ([]byte, bool) {
	s, ok := v.(string)
	if !ok {
		return nil, false
	}
	b, err := hexutil.Decode(s)
	return b, err == nil
}

// isNonceError reports errors after which the sender's nonce must be re-read.
func isNonceError(err error) bool {
	msg := strings.ToLower(err.Error())
	for _, s := range []string{"nonce too low", "nonce too high", "already known", "replacement transaction underpriced", "known transaction"} {
		if strings.Contains(msg, s) {
			return true
		}
	}
	return false
}
