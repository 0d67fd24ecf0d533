package coordinator

import "errors"

// Rejections; a rejected input leaves the machine unchanged.
var (
	ErrMalformed       = errors.New("coordinator: malformed message")
	ErrBadSignature    = errors.New("coordinator: bad signature")
	ErrInvalidRoute    = errors.New("coordinator: route does not serve the request")
	ErrUnknownInstance = errors.New("coordinator: unknown instance")
	ErrNotParticipant  = errors.New("coordinator: signer is not a terminal of this instance")
	ErrForeignAck      = errors.New("coordinator: ack is for another instance, network or message")
	ErrBadChannelState = errors.New("coordinator: ack carries a wrong channel state")
	ErrConflictingAck  = errors.New("coordinator: terminal sent two different acks")
	ErrWrongPhase      = errors.New("coordinator: message not valid in this phase")
)
