// Command migrate moves a deployed kubenet stack's cluster to Azure CNI
// Overlay in place: checked first, one way, and resumable (docs/migration.md).
//
//	go run ./cmd/migrate -stack dev                dry run: the offline and live checks, and the steps it would take
//	go run ./cmd/migrate -stack dev -apply         take the steps, refresh the stack, rewrite Pulumi.dev.yaml, preview
//	go run ./cmd/migrate -stack dev -print         the same steps as az commands, offline
//	go run ./cmd/migrate -stack dev -pod-cidr 10.244.0.0/14 -network-dataplane azure -network-policy calico
//
// It logs in to Azure as the azure-native provider does: a service principal
// from ARM_CLIENT_ID, ARM_CLIENT_SECRET and ARM_TENANT_ID when they are set,
// else Azure's default chain (AZURE_* variables, workload or managed
// identity, az login). It reads the stack with the Pulumi CLI, logged in to
// the stack's backend.
//
// The exit status is 0 when the move is done (or the dry run found nothing
// against it), 1 when a check refused it or a step failed, 2 for bad flags.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"github.com/pulumi/pulumi/sdk/v3/go/auto"

	"github.com/aks-kubenet/aks-kubenet/migration"
	"github.com/aks-kubenet/aks-kubenet/migration/live"
	"github.com/aks-kubenet/aks-kubenet/migration/workflow"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run parses the flags and migrates, returning the exit status.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("migrate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o workflow.Options
	fs.StringVar(&o.Stack, "stack", "", "the stack to move (its Pulumi.<stack>.yaml must say kubenet)")
	fs.StringVar(&o.Dir, "dir", ".", "the project's folder")
	fs.BoolVar(&o.Apply, "apply", false, "take the steps (without it, a dry run that changes nothing)")
	fs.BoolVar(&o.Print, "print", false, "print the steps as az commands and stop (offline)")
	fs.StringVar(&o.PodCIDR, flagName(migration.FlagPodCIDR), "", "a new pod CIDR (default: the stack's); AKS documents expanding it")
	fs.StringVar(&o.Dataplane, flagName(migration.FlagDataplane), "", "the dataplane after the move: cilium (default) or azure")
	fs.StringVar(&o.Policy, flagName(migration.FlagPolicy), "", "the network policy after the move: cilium (default with cilium), calico or none")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if o.Stack == "" || fs.NArg() > 0 {
		fmt.Fprintln(stderr, "usage: go run ./cmd/migrate -stack <name> [-apply | -print] [-pod-cidr CIDR] [-network-dataplane cilium|azure] [-network-policy cilium|calico|none]")
		return 2
	}
	if o.Apply && o.Print {
		fmt.Fprintln(stderr, "-apply and -print exclude each other: -print is for teams that run the steps by hand")
		return 2
	}
	deps := workflow.Deps{
		Out:   stdout,
		Azure: login,
		Stack: func() (workflow.Stack, error) {
			st, err := auto.SelectStackLocalSource(ctx, o.Stack, o.Dir)
			if err != nil {
				return nil, fmt.Errorf("selecting the stack %s in %s: %w", o.Stack, o.Dir, err)
			}
			return &st, nil
		},
	}
	if _, err := workflow.Migrate(ctx, o, deps); err != nil {
		fmt.Fprintf(stderr, "\n%v\n", err)
		if errors.Is(err, workflow.ErrRefused) {
			fmt.Fprintln(stderr, "Nothing was changed.")
		}
		return 1
	}
	return 0
}

// login returns the clients of subscription, the stack's.
func login(subscription string) (*live.Azure, error) {
	var cred azcore.TokenCredential
	var err error
	if id, secret, tenant := os.Getenv("ARM_CLIENT_ID"), os.Getenv("ARM_CLIENT_SECRET"), os.Getenv("ARM_TENANT_ID"); id != "" && secret != "" && tenant != "" {
		cred, err = azidentity.NewClientSecretCredential(tenant, id, secret, nil)
	} else {
		cred, err = azidentity.NewDefaultAzureCredential(nil)
	}
	if err != nil {
		return nil, fmt.Errorf("logging in to Azure: %w", err)
	}
	return live.New(subscription, cred, nil)
}

// flagName is a flag's name without its dash.
func flagName(flag string) string { return flag[1:] }
