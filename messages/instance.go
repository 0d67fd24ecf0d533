package messages

import (
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
)

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
	case Kind_KIND_OUTCOME_APPLIED:
		m = &OutcomeApplied{}
	case Kind_KIND_OUTCOME_QUERY:
		m = &OutcomeQuery{}
	default:
		return [32]byte{}, false
	}
	if proto.Unmarshal(env.Payload, m) != nil || len(m.GetInstanceId()) != 32 {
		return [32]byte{}, false
	}
	return [32]byte(m.GetInstanceId()), true
}

// PeekInstance reads the instance id (field 1) and network index (field
// 2) of a payload without decoding the rest: every instance message puts
// them there. It agrees with a full decode whenever that succeeds (the
// last occurrence of a field wins, a field of the wrong wire type is
// ignored), and may answer for a payload a full decode would refuse, so
// it only finds a record to compare against, never decides anything.
func PeekInstance(payload []byte) (id [32]byte, network uint32, ok bool) {
	var raw []byte
	seen := false
	for len(payload) > 0 {
		num, typ, n := protowire.ConsumeTag(payload)
		if n < 0 {
			return id, 0, false
		}
		payload = payload[n:]
		switch {
		case num == 1 && typ == protowire.BytesType:
			v, m := protowire.ConsumeBytes(payload)
			if m < 0 {
				return id, 0, false
			}
			raw, seen, payload = v, true, payload[m:]
		case num == 2 && typ == protowire.VarintType:
			v, m := protowire.ConsumeVarint(payload)
			if m < 0 {
				return id, 0, false
			}
			network, payload = uint32(v), payload[m:]
		default:
			m := protowire.ConsumeFieldValue(num, typ, payload)
			if m < 0 {
				return id, 0, false
			}
			payload = payload[m:]
		}
	}
	if !seen || len(raw) != 32 {
		return id, 0, false
	}
	return [32]byte(raw), network, true
}
