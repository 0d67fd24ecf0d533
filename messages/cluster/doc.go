// Package clusterpb holds the coordinator cluster's grain messages and the
// typed grain clients and kinds generated from messages/proto/cluster by
// protoactor's protoc-gen-go-grain (see messages/generate.sh).
package clusterpb
