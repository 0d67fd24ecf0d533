package cluster

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/teeswap/teeswap/chain/directory"
)

// The channel directory a gateway routes over, published in etcd under
// <prefix>directory/. In a deployment each member would follow the chains
// itself (chain watchers); the sim and tests publish their channels here
// instead, once, and every member's gateway loads them at start.

// PutChannel publishes one channel for the members' route finders.
func PutChannel(ctx context.Context, cli *clientv3.Client, prefix string, ch directory.Channel) error {
	b, err := json.Marshal(ch)
	if err != nil {
		return err
	}
	_, err = cli.Put(ctx, prefix+"directory/"+hex.EncodeToString(ch.ID[:]), string(b))
	return err
}

// LoadDirectory puts every published channel into r and returns how many.
func LoadDirectory(ctx context.Context, cli *clientv3.Client, prefix string, r *directory.Router) (int, error) {
	resp, err := cli.Get(ctx, prefix+"directory/", clientv3.WithPrefix())
	if err != nil {
		return 0, fmt.Errorf("cluster: load directory: %w", err)
	}
	for _, kv := range resp.Kvs {
		if err := putJSON(r, kv.Value); err != nil {
			return 0, fmt.Errorf("cluster: directory entry %s: %w", kv.Key, err)
		}
	}
	return len(resp.Kvs), nil
}

// FollowDirectory loads the published channels into r, then keeps r in
// step with later publications until ctx ends.
func FollowDirectory(ctx context.Context, cli *clientv3.Client, prefix string, r *directory.Router, log func(err error)) error {
	resp, err := cli.Get(ctx, prefix+"directory/", clientv3.WithPrefix())
	if err != nil {
		return fmt.Errorf("cluster: load directory: %w", err)
	}
	for _, kv := range resp.Kvs {
		if err := putJSON(r, kv.Value); err != nil {
			return fmt.Errorf("cluster: directory entry %s: %w", kv.Key, err)
		}
	}
	go func() {
		for w := range cli.Watch(ctx, prefix+"directory/", clientv3.WithPrefix(), clientv3.WithRev(resp.Header.Revision+1)) {
			for _, ev := range w.Events {
				if ev.Type != clientv3.EventTypePut {
					continue
				}
				if err := putJSON(r, ev.Kv.Value); err != nil && log != nil {
					log(fmt.Errorf("cluster: directory entry %s: %w", ev.Kv.Key, err))
				}
			}
		}
	}()
	return nil
}

func putJSON(r *directory.Router, b []byte) error {
	var ch directory.Channel
	if err := json.Unmarshal(b, &ch); err != nil {
		return err
	}
	return r.Put(ch)
}
