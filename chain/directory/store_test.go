package directory_test

import (
	"path/filepath"
	"testing"

	"github.com/teeswap/teeswap/chain/directory"
	"github.com/teeswap/teeswap/chain/directory/directorytest"
)

func TestMemStore(t *testing.T) {
	directorytest.TestStore(t, func(*testing.T) directory.Store { return directory.NewMemStore() })
}

func openBolt(t *testing.T, path string) *directory.BoltStore {
	t.Helper()
	s, err := directory.OpenBolt(path)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestBoltStore(t *testing.T) {
	directorytest.TestStore(t,
		func(t *testing.T) directory.Store { return openBolt(t, filepath.Join(t.TempDir(), "dir.db")) },
		directorytest.WithReopen(func(t *testing.T, s directory.Store) directory.Store {
			path := s.(*directory.BoltStore).Path()
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			return openBolt(t, path)
		}))
}

// The Router is itself a Store and must behave like the one it wraps.
func TestRouterStore(t *testing.T) {
	newRouter := func(t *testing.T, s directory.Store) directory.Store {
		r, err := directory.NewRouter(s)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	t.Run("mem", func(t *testing.T) {
		directorytest.TestStore(t, func(t *testing.T) directory.Store { return newRouter(t, directory.NewMemStore()) })
	})
	t.Run("bolt", func(t *testing.T) {
		directorytest.TestStore(t,
			func(t *testing.T) directory.Store {
				return newRouter(t, openBolt(t, filepath.Join(t.TempDir(), "dir.db")))
			},
			directorytest.WithReopen(func(t *testing.T, s directory.Store) directory.Store {
				r := s.(*directory.Router)
				path := r.Unwrap().(*directory.BoltStore).Path()
				if err := r.Close(); err != nil {
					t.Fatal(err)
				}
				return newRouter(t, openBolt(t, path))
			}))
	})
}
