package mutants

// Mutant is one planted fault: Old, found exactly once in File (or every
// time with All), becomes New. Kill is the -run pattern of the tests that
// must fail with it, in Pkg (default ./enclave/protocoltest/).
type Mutant struct {
	File     string
	Old, New string
	All      bool
	Kill     string
	Pkg      string
	// CI marks the mutants make test runs (the classes issue 10 found
	// surviving, and one per file); TEESWAP_MUTANTS=all runs every one.
	CI bool
}

const (
	term  = "enclave/terminal/protocol.go"
	chans = "enclave/terminal/channels.go"
	mach  = "enclave/terminal/machine.go"
	settl = "enclave/terminal/settle.go"
	txgo  = "enclave/terminal/tx.go"
	inst  = "enclave/coordinator/instance.go"
	alloc = "enclave/coordinator/allocator.go"
	env   = "messages/envelope.go"
	eip   = "messages/eip712.go"
	amt   = "messages/amount.go"
	route = "messages/route.go"
	verif = "enclave/verify.go"

	msgs = "./messages/"
	encl = "./enclave/"
)

// List is every mutant. Each is a check an attacker (a stranger, a lying
// counterparty or coordinator, a host) would like gone.
var List = []Mutant{
	// terminal: who may speak.
	{File: term, Old: "if !m.trusted[signer] {", New: "if false {", Kill: "TestTerminalRejectsPrepareFromUnadmittedCoordinator|TestTerminalRefundAuthorizedFromOtherCoordinators", CI: true},
	{File: term, Old: "return len(sig) > 0 && bytes.Equal(env.Signature, sig) && bytes.Equal(d[:], digest)", New: "return len(sig) > 0 && bytes.Equal(d[:], digest)", Kill: "TestTerminalAnswersResentPrepareOnlyIfIdentical"},
	{File: term, Old: "if errors.Is(err, messages.ErrBadSignature) || errors.Is(err, messages.ErrSignerMismatch) {", New: "if errors.Is(err, messages.ErrBadSignature) {", Kill: "TestTerminalRejectsBadSignature"},
	{File: term, Old: "if common.BytesToAddress(p.Coordinator) != coord {", New: "if false {", Kill: "TestTerminalPrepareFieldChecks"},
	{File: term, Old: "if common.BytesToAddress(r.Coordinator) != coord {\n\t\treturn nil, id,", New: "if false {\n\t\treturn nil, id,", Kill: "TestTerminalCommitFromAnotherAdmittedCoordinator|TestTerminalConfirmPhases"},
	{File: term, Old: "if common.BytesToAddress(r.Coordinator) != coord {\n\t\treturn Output{},", New: "if false {\n\t\treturn Output{},", Kill: "TestTerminalRefundAuthorizedFromOtherCoordinators"},
	{File: term, Old: "if common.BytesToAddress(c.Coordinator) != coord {", New: "if false {", Kill: "TestTerminalRejectsPrepareForAnotherCoordinatorsChannel"},
	// terminal: PREPARE fields and bounds.
	{File: term, Old: "if err := p.Network.Validate(); err != nil {", New: "if err := p.Network.Validate(); false && err != nil {", Kill: "TestTerminalPrepareFieldChecks|TestTerminalRejectsUnknownChannelAndLowBalance"},
	{File: term, Old: "if p.NetworkIndex >= p.NetworkCount {", New: "if p.NetworkIndex > p.NetworkCount {", Kill: "TestTerminalPrepareFieldChecks"},
	{File: term, Old: "if p.Kind != messages.InstanceKind_INSTANCE_KIND_CROSS_CHAIN_SWAP && p.Kind != messages.InstanceKind_INSTANCE_KIND_PAYMENT {", New: "if false {", Kill: "TestTerminalPrepareFieldChecks"},
	{File: term, Old: "if r := m.instances[key]; r != nil {", New: "if r := m.instances[key]; r != nil && false {", Kill: "TestTerminalRejectsReplayedInstance"},
	{File: term, Old: "if r.Phase == messages.TerminalPhase_TERMINAL_PHASE_PREPARED && bytes.Equal(r.PrepareDigest, digest[:]) {", New: "if r.Phase == messages.TerminalPhase_TERMINAL_PHASE_PREPARED {", Kill: "TestTerminalRefusesSecondPrepareWhilePrepared"},
	{File: term, Old: "if nowMs >= p.DeadlineMs {", New: "if nowMs > p.DeadlineMs {", Kill: "TestTerminalRejectsUnknownChannelAndLowBalance"},
	{File: term, Old: "if l.hop.Version <= l.channel.MaxSignedVersion {", New: "if l.hop.Version < l.channel.MaxSignedVersion {", Kill: "TestTerminalRejectsStaleVersion", CI: true},
	{File: term, Old: "payerIsA := common.BytesToAddress(l.hop.Payer) == common.BytesToAddress(l.channel.PartyA)", New: "payerIsA := common.BytesToAddress(l.hop.Payer) != common.BytesToAddress(l.channel.PartyA)", Kill: "TestTerminalChecksThePayersSideOfTheChannel", CI: true},
	{File: term, Old: "side(resolve(l.channel.Latest), payerIsA).Cmp(amount) < 0", New: "side(resolve(l.channel.Latest), payerIsA).Cmp(amount) <= 0", Kill: "TestTerminalPrepareFieldChecks"},
	{File: term, Old: "side(resolve(l.channel.Latest), payerIsA).Cmp(amount) < 0", New: "side(resolve(l.channel.Latest), payerIsA).Cmp(amount) < -1", Kill: "TestTerminalPrepareFieldChecks|TestTerminalChecksThePayersSideOfTheChannel"},
	{File: term, Old: "if c.ChainId != n.ChainId || ", New: "if ", Kill: "TestTerminalPrepareFieldChecks"},
	{File: term, Old: "!bytes.Equal(c.Contract, n.Contract) || !bytes.Equal(c.Asset, n.Asset)", New: "!bytes.Equal(c.Asset, n.Asset)", Kill: "TestTerminalPrepareFieldChecks"},
	{File: term, Old: "!bytes.Equal(c.Contract, n.Contract) || !bytes.Equal(c.Asset, n.Asset)", New: "!bytes.Equal(c.Contract, n.Contract)", Kill: "TestTerminalPrepareFieldChecks"},
	{File: term, Old: "!(payer == a && payee == b || payer == b && payee == a)", New: "a == b && payer == payee", Kill: "TestTerminalPrepareFieldChecks"},
	{File: term, Old: "\t\tif c.Closed {", New: "\t\tif false {", Kill: "TestTerminalRejectsPrepareForAnotherCoordinatorsChannel"},
	{File: term, Old: "if c.Phase != messages.ChannelPhase_CHANNEL_PHASE_IDLE {\n\t\t\treturn nil,", New: "if false {\n\t\t\treturn nil,", Kill: "TestTerminalRejectsWrongPhase"},
	{File: term, Old: "if len(legs) == 0 {", New: "if false {", Kill: "TestTerminalRejectsUnknownChannelAndLowBalance"},
	{File: term, Old: "aToB := common.BytesToAddress(h.Payer) == common.BytesToAddress(c.PartyA)", New: "aToB := common.BytesToAddress(h.Payer) != common.BytesToAddress(c.PartyA)", Kill: "TestFig1SwapConfirms"},
	{File: term, Old: "\tst.Version++\n", New: "\n", Kill: "TestFig1SwapConfirms"},
	// terminal: acks inside COMMIT and CONFIRM.
	{File: term, Old: "signer, err = env.Open(kind, &a)", New: "err = proto.Unmarshal(env.Payload, &a)\n\t\t\tsigner = common.BytesToAddress(env.Signer)", All: true, Kill: "TestTerminalCommitAckWithInvalidSignature|TestTerminalConfirmAckChecks", CI: true},
	{File: term, Old: "case common.BytesToAddress(terminal) != signer:", New: "case len(terminal) < 0:", Kill: "TestTerminalCommitAckNamesAnotherTerminal|TestTerminalConfirmAckChecks", CI: true},
	{File: term, Old: "case !member[signer]:", New: "case false:", Kill: "TestTerminalCommitAckFromOutsider"},
	{File: term, Old: "case !bytes.Equal(instance, id[:]) || network != net || !bytes.Equal(ackDigest, digest):", New: "case network != net || !bytes.Equal(ackDigest, digest) || len(instance) < 0:", Kill: "TestTerminalCommitAckForAnotherInstanceNetworkOrPrepare"},
	{File: term, Old: "case !bytes.Equal(instance, id[:]) || network != net || !bytes.Equal(ackDigest, digest):", New: "case !bytes.Equal(instance, id[:]) || !bytes.Equal(ackDigest, digest) || network+1 == 0:", Kill: "TestTerminalCommitAckForAnotherInstanceNetworkOrPrepare"},
	{File: term, Old: "case !bytes.Equal(instance, id[:]) || network != net || !bytes.Equal(ackDigest, digest):", New: "case !bytes.Equal(instance, id[:]) || network != net || len(ackDigest) < 0:", Kill: "TestTerminalCommitAckForAnotherInstanceNetworkOrPrepare|TestTerminalConfirmAckChecks"},
	{File: term, Old: "if _, dup := byTerminal[signer]; dup {", New: "if false {", Kill: "TestTerminalCommitTwoAcksFromOneTerminal"},
	{File: term, Old: "if _, ok := byTerminal[t]; !ok {", New: "if false {", Kill: "TestTerminalCommitMissingAckOfNonPeer|TestTerminalConfirmAckChecks", CI: true},
	{File: term, Old: "if !carriesOwn(c.PreparedAcks, r.PreparedAck, m.self) {", New: "if false {", Kill: "TestTerminalCommitCarriesAnAckOfOursWeDidNotSend", CI: true},
	{File: term, Old: "return own != nil && bytes.Equal(e.Payload, own.Payload)", New: "return own != nil", Kill: "TestTerminalCommitCarriesAnAckOfOursWeDidNotSend"},
	{File: term, Old: "if !bytes.Equal(s.State.GetLock().GetAmount(), want.Lock.GetAmount()) {", New: "if false {", Kill: "TestTerminalCommitPeerStateChecks|TestTerminalRejectsBadAcks"},
	{File: term, Old: "if !proto.Equal(s.State, want) {", New: "if false {", Kill: "TestTerminalCommitPeerStateChecks|TestTerminalConfirmAckChecks", CI: true},
	{File: term, Old: "if err != nil || signer != peer {", New: "if err != nil || signer == peer && false {", Kill: "TestTerminalCommitPeerStateChecks"},
	{File: term, Old: "if err != nil || signer != peer {", New: "if false && (err != nil || signer != peer) {", Kill: "TestTerminalCommitPeerStateChecks|TestTerminalConfirmAckChecks"},
	{File: term, Old: "return nil, fmt.Errorf(\"%w: %s signed no state for channel %x\", ErrMissingAck, peer, want.ChannelId)", New: "return nil, nil", Kill: "TestTerminalCommitPeerStateChecks"},
	// terminal: phases and outcomes.
	{File: term, Old: "r.Phase == messages.TerminalPhase_TERMINAL_PHASE_COMMITTED && same(env, r.CommitDigest, r.CommitSignature)", New: "r.Phase == messages.TerminalPhase_TERMINAL_PHASE_COMMITTED", Kill: "TestTerminalCommitPhases"},
	{File: term, Old: "if bytes.Equal(r.CommitDigest, digest[:]) {", New: "if true {", Kill: "TestTerminalCommitPhases"},
	{File: term, Old: "fmt.Errorf(\"%w: COMMIT in %v\", ErrWrongPhase, r.Phase)", New: "error(nil)", Kill: "TestTerminalRefundAuthorizedTwice"},
	{File: term, Old: "fmt.Errorf(\"%w: %x confirmed\", ErrDuplicate, id)", New: "error(nil)", Kill: "TestTerminalConfirmPhases"},
	{File: term, Old: "fmt.Errorf(\"%w: %x was refunded\", ErrConflictingOutcome, id)", New: "error(nil)", Kill: "TestTerminalRefundAuthorizedTwice"},
	{File: term, Old: "fmt.Errorf(\"%w: CONFIRM in %v\", ErrWrongPhase, r.Phase)", New: "error(nil)", Kill: "TestTerminalRejectsWrongPhase"},
	{File: term, Old: "if err := checkOutcome(n, id, true, c.OutcomeSignature, coord); err != nil {", New: "if err := checkOutcome(n, id, true, c.OutcomeSignature, coord); false && err != nil {", Kill: "TestTerminalConfirmOutcomeSignature|TestTerminalRejectsForgedOutcome", CI: true},
	{File: term, Old: "sig, err := peerSignature(states[peer], peer, leg.Committed)\n\t\tif err != nil {", New: "sig, err := peerSignature(states[peer], peer, leg.Committed)\n\t\tif false && err != nil {", Kill: "TestTerminalConfirmAckChecks"},
	{File: term, Old: "if err != nil || got != coord {", New: "if err != nil || got == coord && false {", Kill: "TestTerminalConfirmOutcomeSignature|TestTerminalRefundAuthorizedOutcomeSignature"},
	{File: term, Old: "if err := checkOutcome(r.Prepare.Network, id, false, ra.OutcomeSignature, coord); err != nil {", New: "if err := checkOutcome(r.Prepare.Network, id, false, ra.OutcomeSignature, coord); false && err != nil {", Kill: "TestTerminalRefundAuthorizedOutcomeSignature", CI: true},
	{File: term, Old: "fmt.Errorf(\"%w: %x refunded\", ErrDuplicate, id)", New: "error(nil)", Kill: "TestTerminalRefundAuthorizedTwice"},
	{File: term, Old: "fmt.Errorf(\"%w: %x was confirmed\", ErrConflictingOutcome, id)", New: "error(nil)", Kill: "TestTerminalRejectsForgedOutcome"},
	{File: term, Old: "case messages.TerminalPhase_TERMINAL_PHASE_PREPARED, messages.TerminalPhase_TERMINAL_PHASE_COMMITTED:\n\t\t\tcoord = r.Coordinator", New: "default:\n\t\t\tcoord = r.Coordinator", Kill: "TestTerminalRefundRequestAndDeclineRejections"},
	{File: term, Old: "r != nil && r.Phase != messages.TerminalPhase_TERMINAL_PHASE_REFUNDED {", New: "r == nil && false {", Kill: "TestTerminalRefundRequestAndDeclineRejections"},
	// terminal: settled states (issue 9).
	{File: settl, Old: "if signer != peer {", New: "if false {", Kill: "TestSettledStateRejections", CI: true},
	{File: settl, Old: "signer, err := s.State.Verify()\n\tif err != nil {", New: "signer, _ := s.State.Verify()\n\tif false {", Kill: "TestSettledStateRejections"},
	{File: settl, Old: "case st.Lock != nil || !proto.Equal(st, pending):", New: "case st.Lock != nil || proto.Size(st) < 0:", Kill: "TestSettledStateRejections", CI: true},
	{File: settl, Old: "case st.Version < pending.Version:", New: "case false:", Kill: "TestSettledStateRejections|TestSettledStateResentAfterLossAndCrash"},
	{File: settl, Old: "if s.HaveYours {\n\t\t\treturn Output{}", New: "if false {\n\t\t\treturn Output{}", Kill: "TestSettledStateRejections"},
	{File: settl, Old: "st.Version = leg.Prepared.Version + messages.SettledVersionOffset", New: "st.Version = leg.Prepared.Version + 1", Kill: "TestSettledStateAfterConfirm|TestSettledStateAfterRefund"},
	{File: txgo, Old: "consider(c.Settled, c.SettledSigA, c.SettledSigB)", New: "consider(c.Settled, c.SettledSigA, nil)", Kill: "TestSettledStateAfterConfirm"},
	// terminal: channel events and balances.
	{File: chans, Old: "if ev.A != m.self && ev.B != m.self {", New: "if false {", Kill: "TestTerminalChannelEventRejections", CI: true},
	{File: chans, Old: "if ev.A == ev.B {", New: "if false {", Kill: "TestTerminalChannelEventRejections"},
	{File: chans, Old: "ev.DepositA == nil || ev.DepositA.Sign() < 0 || ev.DepositA.BitLen() > 256", New: "ev.DepositA == nil || ev.DepositA.BitLen() > 256", Kill: "TestTerminalChannelEventRejections"},
	{File: chans, Old: "ev.DepositA == nil || ev.DepositA.Sign() < 0 || ev.DepositA.BitLen() > 256", New: "ev.DepositA == nil || ev.DepositA.Sign() < 0 || ev.DepositA.BitLen() > 257", Kill: "TestTerminalChannelEventRejections"},
	{File: chans, Old: "if _, ok := m.channels[ev.ChannelID]; ok {", New: "if false {", Kill: "TestTerminalChannelEventRejections"},
	{File: chans, Old: "if c.Closed {", New: "if false {", Kill: "TestTerminalChannelEventRejections"},
	{File: chans, Old: "if c.Phase != messages.ChannelPhase_CHANNEL_PHASE_IDLE {\n\t\treturn Output{},", New: "if false {\n\t\treturn Output{},", Kill: "TestTerminalRefusesSecondPrepareWhilePrepared"},
	{File: chans, Old: "depositA.Cmp(oldA) < 0 || ", New: "", Kill: "TestTerminalChannelEventRejections"},
	{File: chans, Old: "depositB.Cmp(oldB) < 0 || ", New: "", Kill: "TestTerminalChannelEventRejections"},
	{File: chans, Old: "depositA.BitLen() > 256 || ", New: "", Kill: "TestTerminalChannelEventRejections"},
	{File: chans, Old: "if depositA.Cmp(oldA) == 0 && depositB.Cmp(oldB) == 0 {", New: "if false {", Kill: "TestTerminalChannelEventRejections"},
	{File: chans, Old: "if c.Phase != messages.ChannelPhase_CHANNEL_PHASE_IDLE {\n\t\treturn CloseTerms{},", New: "if false {\n\t\treturn CloseTerms{},", Kill: "TestTerminalRefusesSecondPrepareWhilePrepared|TestCooperativeCloseSignsOnlyAgreedTerms"},
	{File: chans, Old: "expect.ChainID != terms.ChainID || ", New: "", Kill: "TestCooperativeCloseChecksEveryTerm"},
	{File: chans, Old: "expect.Version != terms.Version ||", New: "", Kill: "TestCooperativeCloseChecksEveryTerm"},
	{File: chans, Old: "expect.BalanceA.Cmp(terms.BalanceA) != 0 || ", New: "", Kill: "TestCooperativeCloseChecksEveryTerm", CI: true},
	{File: chans, Old: " || expect.BalanceB.Cmp(terms.BalanceB) != 0", New: "", Kill: "TestCooperativeCloseChecksEveryTerm"},
	{File: mach, Old: "if err := m.verify(report, addr); err != nil {", New: "if err := m.verify(report, addr); false && err != nil {", Kill: "TestTerminalRejectsUnattestedCoordinator"},
	{File: mach, Old: "st.Lock != nil && st.Lock.AToB == isA", New: "st.Lock != nil && st.Lock.AToB != isA", Kill: "TestTerminalRefusesSecondPrepareWhilePrepared"},
	{File: mach, Old: "toA := l.Stage == messages.LockStage_LOCK_STAGE_COMMITTED && !l.AToB ||", New: "toA := l.Stage == messages.LockStage_LOCK_STAGE_COMMITTED && l.AToB ||", Kill: "TestFig1SwapConfirms"},

	// coordinator: acks.
	{File: inst, Old: "if errors.Is(err, messages.ErrBadSignature) || errors.Is(err, messages.ErrSignerMismatch) {\n\t\treturn fmt.Errorf(\"%w: %v\", ErrBadSignature, err)", New: "if errors.Is(err, messages.ErrBadSignature) {\n\t\treturn fmt.Errorf(\"%w: %v\", ErrBadSignature, err)", Kill: "TestCoordinatorAckHeaderChecks|TestCoordinatorRejections|TestCoordinatorRefundRequestChecks"},
	{File: inst, Old: "h.signer, err = env.Open(kind, &a)", New: "err = proto.Unmarshal(env.Payload, &a)\n\t\th.signer = common.BytesToAddress(env.Signer)", All: true, Kill: "TestCoordinatorAckHeaderChecks|TestCoordinatorLateAndSplicedAcks", CI: true},
	{File: inst, Old: "if common.BytesToAddress(terminal) != h.signer {", New: "if len(terminal) < 0 {", Kill: "TestCoordinatorAckHeaderChecks"},
	{File: inst, Old: "if !bytes.Equal(instance, in.id[:]) || int(h.net) >= len(in.rec.Networks) {", New: "if len(instance) < 0 || int(h.net) >= len(in.rec.Networks) {", Kill: "TestCoordinatorAckHeaderChecks"},
	{File: inst, Old: "if !bytes.Equal(instance, in.id[:]) || int(h.net) >= len(in.rec.Networks) {", New: "if !bytes.Equal(instance, in.id[:]) || int(h.net) > len(in.rec.Networks) {", Kill: "TestCoordinatorAckHeaderChecks"},
	{File: inst, Old: "if !bytes.Equal(digestRaw, want[:]) {", New: "if len(digestRaw) < 0 {", Kill: "TestCoordinatorAckHeaderChecks|TestCoordinatorCommittedAckChecks"},
	{File: inst, Old: "if h.index < 0 {", New: "if false {", Kill: "TestCoordinatorAckHeaderChecks"},
	{File: inst, Old: "in.asked[i] = np.Commit.Digest()", New: "_ = np.Commit.Digest()", Kill: "TestCoordinatorRestoredMidInstanceFinishes", CI: true},
	{File: inst, Old: "in.asked[i] = np.Prepare.Digest()", New: "_ = np.Prepare.Digest()", Kill: "TestCoordinatorRestoredMidInstanceFinishes"},
	{File: inst, Old: "case st.ChainId != n.ChainId || !bytes.Equal(st.Contract, n.Contract) || st.Version != version:", New: "case !bytes.Equal(st.Contract, n.Contract) || st.Version != version:", Kill: "TestCoordinatorAckChannelStateChecks"},
	{File: inst, Old: "case st.ChainId != n.ChainId || !bytes.Equal(st.Contract, n.Contract) || st.Version != version:", New: "case st.ChainId != n.ChainId || st.Version != version:", Kill: "TestCoordinatorAckChannelStateChecks"},
	{File: inst, Old: "case st.ChainId != n.ChainId || !bytes.Equal(st.Contract, n.Contract) || st.Version != version:", New: "case st.ChainId != n.ChainId || !bytes.Equal(st.Contract, n.Contract):", Kill: "TestCoordinatorAckChannelStateChecks|TestCoordinatorCommittedAckChecks"},
	{File: inst, Old: "\t\tif !h.prepared {\n\t\t\tversion++\n\t\t}", New: "", Kill: "TestFig1SwapConfirms|TestCoordinatorCommittedAckChecks"},
	{File: inst, Old: "!bytes.Equal(l.LockId, in.id[:]) || ", New: "", Kill: "TestCoordinatorAckChannelStateChecks"},
	{File: inst, Old: "!bytes.Equal(l.Amount, n.Amount) || ", New: "", Kill: "TestCoordinatorAckChannelStateChecks"},
	{File: inst, Old: "l.Stage != stage || ", New: "l.Stage != stage && false || ", Kill: "TestCoordinatorAckChannelStateChecks|TestCoordinatorCommittedAckChecks"},
	{File: inst, Old: " || l.CrossChain != cross:", New: " || cross && false:", Kill: "TestCoordinatorAckChannelStateChecks"},
	{File: inst, Old: "if signer, err := found.Verify(); err != nil || signer != h.signer {", New: "if signer, err := found.Verify(); err != nil || signer == h.signer && false {", Kill: "TestCoordinatorAckChannelStateChecks"},
	{File: inst, Old: "if signer, err := found.Verify(); err != nil || signer != h.signer {", New: "if signer, err := found.Verify(); false && (err != nil || signer != h.signer) {", Kill: "TestCoordinatorAckChannelStateChecks", CI: true},
	{File: inst, Old: "if len(h.states) != seen {", New: "if len(h.states) != seen && false {", Kill: "TestCoordinatorAckChannelStateChecks", CI: true},
	{File: inst, Old: "if nowMs < in.rec.DeadlineMs || in.Decided() {", New: "if nowMs <= in.rec.DeadlineMs || in.Decided() {", Kill: "TestCoordinatorAckAtTheDeadline", CI: true},
	{File: inst, Old: "if in.rec.Phase != want {", New: "if in.rec.Phase != want && false {", Kill: "TestCoordinatorLateCommittedAckAfterRefund|TestRefundAuthorizedNeverCommits"},
	{File: inst, Old: "if have := slots[h.index]; have.Kind != messages.Kind_KIND_UNSPECIFIED {", New: "if have := slots[h.index]; false && have.Kind != messages.Kind_KIND_UNSPECIFIED {", Kill: "TestCoordinatorConflictingAck", CI: true},
	{File: inst, Old: "if !in.statesAgree(kind) {", New: "if false {", Kill: "TestCoordinatorRefundsOnStateMismatch", CI: true},
	{File: inst, Old: "if other, ok := byChannel[k]; ok && !proto.Equal(other, s.State) {", New: "if other, ok := byChannel[k]; false && ok && !proto.Equal(other, s.State) {", Kill: "TestCoordinatorRefundsOnStateMismatch"},
	{File: inst, Old: "bytes.Equal(s.Signature, env.GetSignature()) &&", New: "", Kill: "TestCoordinatorTakesResentAckOnlyIfIdentical"},
	{File: inst, Old: "bytes.Equal(s.Payload, env.GetPayload())", New: "true", Kill: "TestCoordinatorLateAndSplicedAcks"},
	// coordinator: refund requests.
	{File: inst, Old: "if common.BytesToAddress(req.Terminal) != signer || !bytes.Equal(req.InstanceId, in.id[:]) {", New: "if !bytes.Equal(req.InstanceId, in.id[:]) {", Kill: "TestCoordinatorRefundRequestChecks"},
	{File: inst, Old: "if common.BytesToAddress(req.Terminal) != signer || !bytes.Equal(req.InstanceId, in.id[:]) {", New: "if common.BytesToAddress(req.Terminal) != signer {", Kill: "TestCoordinatorRefundRequestChecks"},
	{File: inst, Old: "if len(nets) == 0 {", New: "if false {", Kill: "TestCoordinatorRejections"},
	{File: inst, Old: "\t\tif o, fired, err := in.expired(nowMs); fired || err != nil {\n\t\t\treturn o, err\n\t\t}\n\t\treturn in.authorizeRefund", New: "\t\treturn in.authorizeRefund", Kill: "TestCoordinatorLateAndSplicedAcks"},
	// coordinator: creating instances.
	{File: alloc, Old: "if req == nil || len(req.Legs) == 0 {", New: "if req == nil {", Kill: "TestCreateRejections", CI: true},
	{File: alloc, Old: "if len(routes) != len(req.Legs) {", New: "if false {", Kill: "TestCreateRejections"},
	{File: alloc, Old: "if len(req.Legs) != 1 {", New: "if false {", Kill: "TestCreateRejections"},
	{File: alloc, Old: "return 0, fmt.Errorf(\"%w: kind %v\", ErrMalformed, kind)", New: "", Kill: "TestCreateRejections"},
	{File: alloc, Old: "if r == nil || len(r.Hops) == 0 {", New: "if r == nil {", Kill: "TestCreateRejections"},
	{File: alloc, Old: "if err1 != nil || err2 != nil || err3 != nil {", New: "if err2 != nil || err3 != nil || err1 != nil && false {", Kill: "TestCreateRejections"},
	{File: alloc, Old: "if err1 != nil || err2 != nil || err3 != nil {", New: "if err1 != nil || err3 != nil || err2 != nil && false {", Kill: "TestCreateRejections"},
	{File: alloc, Old: "if err1 != nil || err2 != nil || err3 != nil {", New: "if err1 != nil || err2 != nil || err3 != nil && false {", Kill: "TestCreateRejections"},
	{File: alloc, Old: "if amount.Sign() <= 0 {", New: "if amount.Sign() < 0 {", Kill: "TestCreateRejections"},
	{File: alloc, Old: "case r.ChainId != leg.ChainId:", New: "case false:", Kill: "TestCoordinatorRejectsRoutesThatDoNotServeTheRequest"},
	{File: alloc, Old: "case string(r.Asset) != string(leg.Asset):", New: "case false:", Kill: "TestCreateRejections"},
	{File: alloc, Old: "case string(r.Amount) != string(leg.Amount):", New: "case false:", Kill: "TestCoordinatorRejectsRoutesThatDoNotServeTheRequest"},
	{File: alloc, Old: "common.BytesToAddress(first.Payer) != sender || ", New: "common.BytesToAddress(first.Payer) != sender && false || ", Kill: "TestCreateRejections"},
	{File: alloc, Old: " || common.BytesToAddress(last.Payee) != receiver:", New: " || common.BytesToAddress(last.Payee) != receiver && false:", Kill: "TestCoordinatorRejectsRoutesThatDoNotServeTheRequest"},
	{File: alloc, Old: "if channels[string(h.ChannelId)] {", New: "if false {", Kill: "TestCreateRejections"},
	{File: alloc, Old: "if err := n.Validate(); err != nil {", New: "if err := n.Validate(); false && err != nil {", Kill: "TestCreateRejections"},
	{File: alloc, Old: "if timeout > MaxTimeoutMs {", New: "if timeout >= MaxTimeoutMs {", Kill: "TestCreateRejectsOverlongTimeout"},
	{File: alloc, Old: "if timeout > MaxTimeoutMs {", New: "if false {", Kill: "TestCreateRejectsOverlongTimeout"},
	{File: alloc, Old: "if timeout <= 0 {", New: "if timeout < 0 {", Kill: "TestCreateRejections"},
	{File: alloc, Old: "versions[key] = v + messages.VersionsPerHop", New: "versions[key] = v + messages.VersionsPerHop - 1", Kill: "TestCreateRejections"},
	{File: alloc, Old: "} else if common.BytesToAddress(meta.Coordinator) != self {", New: "} else if false {", Kill: "TestCreateRejections"},

	// messages.
	{File: env, Old: "if e == nil || len(e.Signer) != common.AddressLength {", New: "if e == nil {", Kill: "TestEnvelopeChecks", Pkg: msgs, CI: true},
	{File: env, Old: "if got != signer {", New: "if false {", Kill: "TestEnvelopeChecks", Pkg: msgs},
	{File: env, Old: "if e.Kind != kind {", New: "if false {", Kill: "TestEnvelopeChecks", Pkg: msgs},
	{File: env, Old: "if err := proto.Unmarshal(e.Payload, msg); err != nil {", New: "if err := proto.Unmarshal(e.Payload, msg); false && err != nil {", Kill: "TestEnvelopeChecks", Pkg: msgs},
	{File: env, Old: "if len(sig) != crypto.SignatureLength {", New: "if false {", Kill: "TestEnvelopeChecks", Pkg: msgs},
	{File: env, Old: "crypto.ValidateSignatureValues(sig[64], bigFrom(r), bigFrom(s), true)", New: "crypto.ValidateSignatureValues(sig[64], bigFrom(r), bigFrom(s), false)", Kill: "TestEnvelopeChecks", Pkg: msgs},
	{File: env, Old: "h.Write(k[:])", New: "", Kill: "TestDigestsCoverEveryField", Pkg: msgs},
	{File: eip, Old: "if got != signer {", New: "if false {", Kill: "TestEnvelopeChecks", Pkg: msgs},
	{File: eip, Old: "if stage != LockStage_LOCK_STAGE_PREPARED && stage != LockStage_LOCK_STAGE_COMMITTED {", New: "if false {", Kill: "TestDigestsCoverEveryField", Pkg: msgs},
	{File: eip, Old: "uintWord(amounts[2]), uintWord(amounts[3]),", New: "uintWord(amounts[2]), uintWord(amounts[2]),", Kill: "TestDigestsCoverEveryField", Pkg: msgs, CI: true},
	{File: eip, Old: "uintWord(amounts[0]), uintWord(amounts[1]),", New: "uintWord(amounts[0]), uintWord(amounts[0]),", Kill: "TestDigestsCoverEveryField", Pkg: msgs},
	{File: eip, Old: "boolWord(aToB), u64Word(uint64(stage)), boolWord(cross))", New: "boolWord(aToB), u64Word(uint64(stage)), boolWord(cross && false))", Kill: "TestDigestsCoverEveryField", Pkg: msgs},
	{File: eip, Old: "lockID, uintWord(lockAmount), boolWord(aToB)", New: "lockID, uintWord(lockAmount), boolWord(aToB && false)", Kill: "TestDigestsCoverEveryField", Pkg: msgs},
	{File: eip, Old: "return hashWords(domainTypeHash, nameHash, versionHash, u64Word(chainID), addrWord(contract), salt)", New: "return hashWords(domainTypeHash, nameHash, versionHash, u64Word(chainID), addrWord(contract), [32]byte{})", Kill: "TestDigestsCoverEveryField", Pkg: msgs},
	{File: eip, Old: "structHash := hashWords(outcomeTypeHash, instanceID, boolWord(confirmed))", New: "structHash := hashWords(outcomeTypeHash, instanceID, boolWord(true))", Kill: "TestDigestsCoverEveryField|TestTerminalConfirmOutcomeSignature"},
	{File: eip, Old: "structHash := hashWords(cooperativeCloseTypeHash, u64Word(version), uintWord(balanceA), uintWord(balanceB))", New: "structHash := hashWords(cooperativeCloseTypeHash, u64Word(version), uintWord(balanceA), uintWord(balanceA))", Kill: "TestDigestsCoverEveryField", Pkg: msgs},
	{File: amt, Old: "if len(b) > maxAmountBytes {", New: "if len(b) >= maxAmountBytes {", Kill: "TestAmountBounds", Pkg: msgs, CI: true},
	{File: amt, Old: "if len(b) > maxAmountBytes {", New: "if false {", Kill: "TestAmountBounds", Pkg: msgs},
	{File: amt, Old: "if len(b) > 0 && b[0] == 0 {", New: "if false {", Kill: "TestAmountBounds", Pkg: msgs},
	{File: amt, Old: "if v == nil || v.Sign() <= 0 {", New: "if v == nil {", Kill: "TestAmountBounds", Pkg: msgs},
	{File: route, Old: "if amount.Sign() <= 0 {", New: "if amount.Sign() < 0 {", Kill: "TestNetworkValidateChecks", Pkg: msgs},
	{File: route, Old: "if len(n.Hops) == 0 {", New: "if false {", Kill: "TestNetworkValidateChecks", Pkg: msgs},
	{File: route, Old: "if channels[id] {", New: "if false {", Kill: "TestNetworkValidateChecks", Pkg: msgs},
	{File: route, Old: "if payer == payee {", New: "if payer == payee && false {", Kill: "TestNetworkValidateChecks", Pkg: msgs},
	{File: route, Old: "if i > 0 && common.BytesToAddress(n.Hops[i-1].Payee) != payer {", New: "if false {", Kill: "TestNetworkValidateChecks", Pkg: msgs},
	{File: route, Old: "if h.Version == 0 {", New: "if false {", Kill: "TestNetworkValidateChecks", Pkg: msgs, CI: true},
	{File: route, Old: "if h.Version > math.MaxUint64-(VersionsPerHop-1) {", New: "if h.Version > math.MaxUint64 {", Kill: "TestNetworkValidateChecks", Pkg: msgs},
	{File: route, Old: "if h.Version > math.MaxUint64-(VersionsPerHop-1) {", New: "if h.Version >= math.MaxUint64-(VersionsPerHop-1) {", Kill: "TestNetworkValidateChecks", Pkg: msgs},
	{File: route, Old: "if _, err := Address(n.Asset); err != nil {", New: "if _, err := Address(n.Asset); false && err != nil {", Kill: "TestNetworkValidateChecks", Pkg: msgs},

	// enclave: attestation reports.
	{File: verif, Old: "if !sameBytes(report.ReportData, trusted.ReportData) ||", New: "if false ||", Kill: "TestVerifyRefusesEachEditedField", Pkg: encl},
	{File: verif, Old: "report.Simulated != trusted.Simulated ||", New: "false ||", Kill: "TestVerifyRefusesEachEditedField|TestSGXPolicy", Pkg: encl},
	{File: verif, Old: "report.Debug != trusted.Debug ||", New: "false ||", Kill: "TestVerifyRefusesEachEditedField", Pkg: encl},
	{File: verif, Old: "report.SecurityVersion != trusted.SecurityVersion ||", New: "false ||", Kill: "TestVerifyRefusesEachEditedField|TestSGXPolicy", Pkg: encl},
	{File: verif, Old: "!sameBytes(report.UniqueID, trusted.UniqueID) ||", New: "false ||", Kill: "TestVerifyRefusesEachEditedField", Pkg: encl},
	{File: verif, Old: "!sameBytes(report.SignerID, trusted.SignerID) ||", New: "false ||", Kill: "TestVerifyRefusesEachEditedField", Pkg: encl},
	{File: verif, Old: "!sameBytes(report.ProductID, trusted.ProductID) {", New: "false {", Kill: "TestVerifyRefusesEachEditedField", Pkg: encl},
	{File: verif, Old: "if !bytes.Equal(trusted.ReportData, BindAddress(expectedAddr)) {", New: "if false {", Kill: "TestVerifySimulationPolicy|TestSGXPolicy", Pkg: encl, CI: true},
	{File: verif, Old: "if !v.Policy.AllowSimulation {", New: "if false {", Kill: "TestVerifySimulationPolicy", Pkg: encl},
	{File: verif, Old: "if len(raw) == 0 {", New: "if false {", Kill: "TestDefaultVerifierRejectsUnverifiableSGX", Pkg: encl},
	{File: verif, Old: "if len(m.want) > 0 && !bytes.Equal(m.want, m.found) {", New: "if false {", Kill: "TestSGXPolicy|TestVerifyRefusesEachEditedField", Pkg: encl},
	{File: verif, Old: "if r.SecurityVersion < p.MinSecurityVersion {", New: "if r.SecurityVersion <= p.MinSecurityVersion {", Kill: "TestSGXPolicy|TestVerifyRefusesEachEditedField", Pkg: encl},
	{File: verif, Old: "if r.Debug && !p.AllowDebug {", New: "if false {", Kill: "TestSGXPolicy", Pkg: encl},
}
