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

	// Orders (docs/PROTOCOL.md, "Orders"): every leg's sender must have
	// signed an order for exactly this request.
	ErrUnauthorised = errors.New("coordinator: a leg's sender did not authorise the request") // missing, forged, or a stranger's order
	ErrBadOrder     = errors.New("coordinator: order is not for this request")
	ErrOrderExpired = errors.New("coordinator: order expired")
)
