package messages

import "google.golang.org/protobuf/proto"

// InstanceOf reads the instance id named by an envelope's payload, for
// routing, without checking the signature. It reports false when the
// kind names no instance or the payload does not decode.
func InstanceOf(env *Envelope) ([32]byte, bool) {
	var m interface {
		proto.Message
		GetInstanceId() []byte
	}
	switch env.GetKind() {
	case Kind_KIND_PREPARE:
		m = &Prepare{}
	case Kind_KIND_PREPARED:
		m = &Prepared{}
	case Kind_KIND_COMMIT:
		m = &Commit{}
	case Kind_KIND_COMMITTED:
		m = &Committed{}
	case Kind_KIND_CONFIRM:
		m = &Confirm{}
	case Kind_KIND_REFUND_REQUEST:
		m = &RefundRequest{}
	case Kind_KIND_REFUND_AUTHORIZED:
		m = &RefundAuthorized{}
	case Kind_KIND_REFUND_DENIED:
		m = &RefundDenied{}
	default:
		return [32]byte{}, false
	}
	if proto.Unmarshal(env.Payload, m) != nil || len(m.GetInstanceId()) != 32 {
		return [32]byte{}, false
	}
	return [32]byte(m.GetInstanceId()), true
}
