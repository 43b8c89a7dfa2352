// Command plan shows what `pulumi up` would create for a stack of this project,
// offline: it runs the real program against Pulumi mocks, with no Azure account
// and no Pulumi CLI.
//
//	go run ./cmd/plan -stack dev                   resources, IP plan, security posture, findings
//	go run ./cmd/plan -stack dev -format mermaid   dependency graph
//	go run ./cmd/plan -all                         every stack, checked against each other, postures side by side
//	go run ./cmd/plan -all -format json            every stack, machine-readable
//	go run ./cmd/plan -all -base /tmp/base         every stack against a checkout of the base branch: renames and pool changes AKS cannot make refused
//
// The exit status is 0 when no stack has an error, 1 when a stack's config (or
// two stacks together) would be refused, 2 when a stack file cannot be read;
// the json format's ok is true exactly when it is 0.
package main

import (
	"os"

	"github.com/aks-kubenet/aks-kubenet/plan"
)

func main() {
	os.Exit(plan.Main(os.Args[1:], os.Stdout, os.Stderr))
}
