package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// The command's flags: a stack is required, -apply and -print exclude each
// other, and -print gives the steps as az commands from the stack's config
// alone, offline (no login, no Pulumi CLI), for the committed dev stack:
// Calico off, the move, then Cilium.
func TestFlags(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		args []string
		code int
		want []string // in stdout+stderr, in this order
	}{
		{"no stack", nil, 2, []string{"usage: go run ./cmd/migrate -stack <name>"}},
		{"apply and print", []string{"-stack", "dev", "-dir", "../..", "-apply", "-print"}, 2, []string{"-apply and -print exclude each other"}},
		{"stray argument", []string{"-stack", "dev", "now"}, 2, []string{"usage:"}},
		{"print dev", []string{"-stack", "dev", "-dir", "../..", "-print"}, 0, []string{
			"Stack dev: cluster aks-kubenet-cluster in aks-kubenet-rg, from kubenet, policy calico",
			"az aks update --subscription 00000000-0000-0000-0000-000000000000 --resource-group aks-kubenet-rg --name aks-kubenet-cluster --network-policy none",
			"--network-plugin azure --network-plugin-mode overlay",
			"--network-dataplane cilium --network-policy cilium",
			"pulumi refresh --stack dev --yes",
			"cluster.networkPlugin overlay",
		}},
		{"print a target AKS cannot reach", []string{"-stack", "dev", "-dir", "../..", "-print", "-network-dataplane", "cilium", "-network-policy", "calico"}, 1, []string{"Nothing was changed."}},
		{"unknown stack", []string{"-stack", "nope", "-dir", "../..", "-print"}, 1, []string{"Pulumi.nope.yaml"}},
	} {
		var out bytes.Buffer
		code := run(context.Background(), tc.args, &out, &out)
		if code != tc.code {
			t.Errorf("%s: exit %d, want %d\n%s", tc.name, code, tc.code, out.String())
		}
		rest := out.String()
		for _, want := range tc.want {
			i := strings.Index(rest, want)
			if i < 0 {
				t.Errorf("%s: no %q (in order) in\n%s", tc.name, want, out.String())
				break
			}
			rest = rest[i+len(want):]
		}
	}
}
