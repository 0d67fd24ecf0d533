package cluster

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"time"

	"go.etcd.io/etcd/server/v3/embed"
)

// Embedded is a single-node etcd run in this process through etcd's embed
// package: the single-machine default and the tests' store. It listens on
// loopback only.
type Embedded struct {
	e *embed.Etcd
	// Endpoint is the client URL (http://127.0.0.1:port).
	Endpoint string
}

// StartEmbedded starts etcd with its data in dir on free loopback ports.
// noFsync trades durability for speed (tests, sims).
func StartEmbedded(dir string, noFsync bool) (*Embedded, error) {
	cport, err := freePort()
	if err != nil {
		return nil, err
	}
	pport, err := freePort()
	if err != nil {
		return nil, err
	}
	cfg := embed.NewConfig()
	cfg.Dir = dir
	cfg.Name = "teeswap"
	cfg.LogLevel = "error"
	cfg.UnsafeNoFsync = noFsync
	cu, _ := url.Parse(fmt.Sprintf("http://127.0.0.1:%d", cport))
	pu, _ := url.Parse(fmt.Sprintf("http://127.0.0.1:%d", pport))
	cfg.ListenClientUrls, cfg.AdvertiseClientUrls = []url.URL{*cu}, []url.URL{*cu}
	cfg.ListenPeerUrls, cfg.AdvertisePeerUrls = []url.URL{*pu}, []url.URL{*pu}
	cfg.InitialCluster = cfg.InitialClusterFromName(cfg.Name)
	e, err := embed.StartEtcd(cfg)
	if err != nil {
		return nil, fmt.Errorf("cluster: start etcd: %w", err)
	}
	select {
	case <-e.Server.ReadyNotify():
	case <-time.After(60 * time.Second):
		e.Close()
		return nil, errors.New("cluster: etcd did not become ready in 60s")
	}
	return &Embedded{e: e, Endpoint: cu.String()}, nil
}

// Close stops etcd.
func (x *Embedded) Close() { x.e.Close() }

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
