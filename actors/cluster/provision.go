package cluster

import (
	"context"
	"fmt"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/teeswap/teeswap/actors"
	"github.com/teeswap/teeswap/enclave"
)

// ProvisionKey returns the coordinator identity every member shares. The
// first member to call it generates the key inside its backend and stores
// it, sealed, in etcd (create-if-absent, so two first members cannot both
// win); the others open the stored blob with their backend.
//
// That works only where all members' backends share a sealing key: the
// SIMULATION backend given the same sealing key in the clear (labelled so
// in every log), or SGX enclaves sealing to the same key on one platform.
// Across SGX machines the sealing keys differ, and the key must instead be
// handed over by attested provisioning (docs/OPERATIONS.md, "Coordinator
// cluster"); that step is not implemented here.
func ProvisionKey(ctx context.Context, cli *clientv3.Client, prefix string, b enclave.Backend) (enclave.Key, error) {
	if prefix == "" {
		prefix = "/teeswap/"
	}
	k := prefix + "coordinator-key"
	fresh, err := b.NewKey()
	if err != nil {
		return nil, err
	}
	sealed, err := fresh.Sealed()
	if err != nil {
		return nil, err
	}
	r, err := cli.Txn(ctx).If(clientv3.Compare(clientv3.CreateRevision(k), "=", 0)).
		Then(clientv3.OpPut(k, string(sealed))).Else(clientv3.OpGet(k)).Commit()
	if err != nil {
		return nil, fmt.Errorf("cluster: provision key: %w", err)
	}
	if r.Succeeded {
		return fresh, nil
	}
	kvs := r.Responses[0].GetResponseRange().Kvs
	if len(kvs) != 1 {
		return nil, fmt.Errorf("%w: coordinator key vanished", actors.ErrCorruptStore)
	}
	key, err := b.LoadKey(kvs[0].Value)
	if err != nil {
		return nil, fmt.Errorf("%w: the stored coordinator key does not open with this member's sealing key: %v", actors.ErrCorruptStore, err)
	}
	return key, nil
}
