package cluster

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/ethereum/go-ethereum/common"
	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/teeswap/teeswap/actors"
	"github.com/teeswap/teeswap/enclave"
	"github.com/teeswap/teeswap/enclave/provision"
)

// Errors of the key provisioning.
var (
	// ErrProvisionRefused: a key holder refused this member's offer (its
	// report fails the holder's policy); the holder's reason follows.
	ErrProvisionRefused = errors.New("cluster: a key holder refused this member's offer")
	// ErrNoKeyHolder: no holder answered before the context ended.
	ErrNoKeyHolder = errors.New("cluster: no key holder answered the offer")
	// ErrIdentityMismatch: the provisioned key is not the cluster's
	// recorded coordinator address.
	ErrIdentityMismatch = errors.New("cluster: provisioned key is not the cluster's coordinator key")
)

// ProvisionConfig configures ProvisionKey and ServeProvisioning.
type ProvisionConfig struct {
	Client *clientv3.Client
	Prefix string // default "/teeswap/"
	// Member is this member's unique name: its offer, answer and sealed
	// copy of the key live under it.
	Member  string
	Backend enclave.Backend
	// Verifier's policy is what other members' reports must pass, both the
	// joiners' (when this member answers) and the holder's (when it asks).
	Verifier *enclave.Verifier
	Logger   *slog.Logger
}

// etcd layout, under the prefix:
//
//	provision/address          the coordinator address (created once)
//	provision/key/<member>     that member's copy, sealed by its own backend
//	provision/offer/<member>   a joiner's provision.Offer (JSON)
//	provision/answer/<member>  a holder's provisionReply (JSON)
func (cfg *ProvisionConfig) key(parts ...string) string {
	return cfg.Prefix + "provision/" + strings.Join(parts, "/")
}

// provisionReply is a holder's answer to one offer, or its refusal.
type provisionReply struct {
	Answer *provision.Answer `json:"answer,omitempty"`
	Error  string            `json:"error,omitempty"`
}

func (cfg *ProvisionConfig) check() error {
	if cfg.Client == nil || cfg.Member == "" || cfg.Backend == nil || cfg.Verifier == nil || strings.Contains(cfg.Member, "/") {
		return errors.New("cluster: provisioning needs a client, a member name without '/', a backend and a verifier")
	}
	if cfg.Prefix == "" {
		cfg.Prefix = "/teeswap/"
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	return nil
}

// ProvisionKey returns the coordinator identity every member shares:
//   - a member that stored its own sealed copy before opens it;
//   - the first member generates the key inside its enclave and records
//     its address (create-if-absent, so two first members cannot both win);
//   - any other member gets it by attested provisioning (enclave/provision):
//     it publishes an offer, a member holding the key (ServeProvisioning)
//     checks the offer's report against its policy and answers with the
//     key sealed to the offer's ephemeral key and its own report, and this
//     member checks that report and opens the key inside its enclave.
//
// The key never leaves enclave code in the clear; each member stores only
// its own sealed copy. With simulation enclaves the exchange is the same,
// over forgeable simulated reports (logged as insecure).
func ProvisionKey(ctx context.Context, cfg ProvisionConfig) (enclave.Key, error) {
	if err := cfg.check(); err != nil {
		return nil, err
	}
	r, err := cfg.Client.Txn(ctx).Then(clientv3.OpGet(cfg.key("address")), clientv3.OpGet(cfg.key("key", cfg.Member))).Commit()
	if err != nil {
		return nil, fmt.Errorf("cluster: provision key: %w", err)
	}
	addrKVs, ownKVs := r.Responses[0].GetResponseRange().Kvs, r.Responses[1].GetResponseRange().Kvs
	if len(addrKVs) == 0 {
		fresh, err := cfg.Backend.NewKey()
		if err != nil {
			return nil, err
		}
		sealed, err := fresh.Sealed()
		if err != nil {
			return nil, err
		}
		won, err := cfg.Client.Txn(ctx).If(clientv3.Compare(clientv3.CreateRevision(cfg.key("address")), "=", 0)).
			Then(clientv3.OpPut(cfg.key("address"), fresh.Address().Hex()), clientv3.OpPut(cfg.key("key", cfg.Member), string(sealed))).
			Else(clientv3.OpGet(cfg.key("address"))).Commit()
		if err != nil {
			return nil, fmt.Errorf("cluster: provision key: %w", err)
		}
		if won.Succeeded {
			cfg.Logger.Info("generated the coordinator key", "member", cfg.Member, "coordinator", fresh.Address())
			return fresh, nil
		}
		addrKVs = won.Responses[0].GetResponseRange().Kvs
	}
	if len(addrKVs) != 1 || !common.IsHexAddress(string(addrKVs[0].Value)) {
		return nil, fmt.Errorf("%w: malformed coordinator address record", actors.ErrCorruptStore)
	}
	want := common.HexToAddress(string(addrKVs[0].Value))
	if len(ownKVs) == 1 {
		k, err := cfg.Backend.LoadKey(ownKVs[0].Value)
		if err == nil && k.Address() == want {
			return k, nil
		}
		cfg.Logger.Warn("this member's sealed coordinator key does not open; asking a holder again", "member", cfg.Member, "err", err)
	}
	return cfg.request(ctx, want)
}

// request runs the joiner's side of the exchange through etcd.
func (cfg *ProvisionConfig) request(ctx context.Context, want common.Address) (enclave.Key, error) {
	j, err := provision.NewJoiner(cfg.Backend, cfg.Logger)
	if err != nil {
		return nil, err
	}
	offer, err := json.Marshal(j.Offer())
	if err != nil {
		return nil, err
	}
	answerKey := cfg.key("answer", cfg.Member)
	put, err := cfg.Client.Txn(ctx).Then(clientv3.OpDelete(answerKey), clientv3.OpPut(cfg.key("offer", cfg.Member), string(offer))).Commit()
	if err != nil {
		return nil, fmt.Errorf("cluster: publish offer: %w", err)
	}
	cfg.Logger.Info("asked the cluster for the coordinator key", "member", cfg.Member, "coordinator", want)
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	for resp := range cfg.Client.Watch(wctx, answerKey, clientv3.WithRev(put.Header.Revision+1)) {
		if err := resp.Err(); err != nil {
			return nil, fmt.Errorf("cluster: watch for the answer: %w", err)
		}
		for _, ev := range resp.Events {
			if ev.Type != clientv3.EventTypePut {
				continue
			}
			k, err := cfg.accept(ctx, j, ev.Kv.Value, want)
			// Offer and answer are spent either way: a new attempt makes a
			// new ephemeral key.
			_, _ = cfg.Client.Delete(context.WithoutCancel(ctx), cfg.key("offer", cfg.Member))
			_, _ = cfg.Client.Delete(context.WithoutCancel(ctx), answerKey)
			return k, err
		}
	}
	return nil, fmt.Errorf("%w (%s): %w", ErrNoKeyHolder, cfg.Member, ctx.Err())
}

func (cfg *ProvisionConfig) accept(ctx context.Context, j *provision.Joiner, raw []byte, want common.Address) (enclave.Key, error) {
	var reply provisionReply
	if err := json.Unmarshal(raw, &reply); err != nil {
		return nil, fmt.Errorf("%w: %w: %v", provision.ErrAnswerRefused, provision.ErrMalformed, err)
	}
	if reply.Answer == nil {
		return nil, fmt.Errorf("%w: %s", ErrProvisionRefused, reply.Error)
	}
	if reply.Answer.Address != want {
		return nil, fmt.Errorf("%w: answer names %s, the cluster's is %s", ErrIdentityMismatch, reply.Answer.Address, want)
	}
	k, err := j.Accept(*reply.Answer, cfg.Verifier)
	if err != nil {
		return nil, err
	}
	sealed, err := k.Sealed()
	if err != nil {
		return nil, err
	}
	if _, err := cfg.Client.Put(ctx, cfg.key("key", cfg.Member), string(sealed)); err != nil {
		return nil, fmt.Errorf("cluster: store the sealed key: %w", err)
	}
	cfg.Logger.Info("received the coordinator key by attested provisioning", "member", cfg.Member, "coordinator", k.Address())
	return k, nil
}

// ServeProvisioning answers other members' offers with key until ctx
// ends: an offer whose report passes cfg.Verifier gets the key sealed to
// it; any other gets a refusal naming the reason (and nothing else).
func ServeProvisioning(ctx context.Context, cfg ProvisionConfig, key enclave.Key) error {
	if err := cfg.check(); err != nil {
		return err
	}
	offers := cfg.key("offer") + "/"
	got, err := cfg.Client.Get(ctx, offers, clientv3.WithPrefix())
	if err != nil {
		return fmt.Errorf("cluster: read offers: %w", err)
	}
	for _, kv := range got.Kvs {
		cfg.answer(ctx, key, strings.TrimPrefix(string(kv.Key), offers), kv.Value)
	}
	for resp := range cfg.Client.Watch(ctx, offers, clientv3.WithPrefix(), clientv3.WithRev(got.Header.Revision+1)) {
		if err := resp.Err(); err != nil {
			return fmt.Errorf("cluster: watch offers: %w", err)
		}
		for _, ev := range resp.Events {
			if ev.Type == clientv3.EventTypePut {
				cfg.answer(ctx, key, strings.TrimPrefix(string(ev.Kv.Key), offers), ev.Kv.Value)
			}
		}
	}
	return ctx.Err()
}

func (cfg *ProvisionConfig) answer(ctx context.Context, key enclave.Key, member string, raw []byte) {
	if member == cfg.Member || member == "" || strings.Contains(member, "/") {
		return
	}
	var reply provisionReply
	var offer provision.Offer
	if err := json.Unmarshal(raw, &offer); err != nil {
		reply.Error = fmt.Sprintf("%v: %v", provision.ErrMalformed, err)
	} else if a, err := provision.Provide(cfg.Backend, key, offer, cfg.Verifier, cfg.Logger); err != nil {
		reply.Error = err.Error()
	} else {
		reply.Answer = &a
	}
	if reply.Answer == nil {
		cfg.Logger.Warn("refused a member's offer for the coordinator key", "member", member, "err", reply.Error)
	} else {
		cfg.Logger.Info("provisioned the coordinator key to a member", "member", member)
	}
	b, err := json.Marshal(reply)
	if err != nil {
		return
	}
	if _, err := cfg.Client.Put(ctx, cfg.key("answer", member), string(b)); err != nil {
		cfg.Logger.Warn("answer a member's offer", "member", member, "err", err)
	}
}
