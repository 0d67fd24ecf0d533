package terminal

import "errors"

// Rejections. Each handler wraps one of these with detail, so callers
// test them with errors.Is. A rejected input never changes the machine.
var (
	ErrMalformed            = errors.New("terminal: malformed message")
	ErrBadSignature         = errors.New("terminal: bad signature")
	ErrUntrustedCoordinator = errors.New("terminal: coordinator is not attested or not this channel's")
	ErrReplayedInstance     = errors.New("terminal: instance id already used")
	ErrUnknownInstance      = errors.New("terminal: unknown instance")
	ErrUnknownChannel       = errors.New("terminal: unknown channel")
	ErrNotParticipant       = errors.New("terminal: not a party of this network")
	ErrInsufficientBalance  = errors.New("terminal: insufficient balance")
	ErrChannelBusy          = errors.New("terminal: channel is held by another instance")
	ErrChannelClosed        = errors.New("terminal: channel is closed or closing")
	ErrStaleVersion         = errors.New("terminal: channel version already signed")
	ErrWrongPhase           = errors.New("terminal: message not valid in this phase")
	ErrExpired              = errors.New("terminal: instance deadline passed")
	ErrMissingAck           = errors.New("terminal: acknowledgement missing")
	ErrForgedAck            = errors.New("terminal: acknowledgement forged or from another instance or network")
	ErrAmountMismatch       = errors.New("terminal: amount does not match")
	ErrStateMismatch        = errors.New("terminal: counterparty signed a different channel state")
	ErrDuplicate            = errors.New("terminal: already applied")
	ErrConflictingOutcome   = errors.New("terminal: outcome conflicts with the one already applied")

	// Orders (docs/PROTOCOL.md, "Orders"): where this terminal is the
	// sender of a network, a PREPARE must carry its own signed order.
	ErrUnauthorised  = errors.New("terminal: no order of this terminal authorises the payment") // missing, forged, or another's
	ErrOrderExpired  = errors.New("terminal: order expired")
	ErrOrderReplayed = errors.New("terminal: order already used by another instance")
	ErrOrderMismatch = errors.New("terminal: order's legs or kind differ from the instance's")
	ErrNotPayer      = errors.New("terminal: this terminal sends no leg of the order")
)
