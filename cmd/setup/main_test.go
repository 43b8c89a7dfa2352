package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// noCLI fails the test on any az or gh call.
type noCLI struct{ t *testing.T }

func (n noCLI) Run(_ context.Context, _, name string, args ...string) (string, error) {
	n.t.Errorf("ran %s %s", name, strings.Join(args, " "))
	return "", nil
}

const stateContainer = "/subscriptions/9a8b7c6d-5e4f-4a3b-2c1d-0e9f8a7b6c5d/resourceGroups/state-rg/providers/Microsoft.Storage/storageAccounts/acmestate/blobServices/default/containers/pulumi-state"

// The offline dry run on the committed stacks prints the plan and a first
// run's changes, calls nothing, and warns about the placeholders.
func TestOfflineDryRun(t *testing.T) {
	var out, errOut bytes.Buffer
	code := run(context.Background(), []string{"-dir", "../..", "-repo", "acme/aks-kubenet", "-state-container", stateContainer, "-offline"}, &out, &errOut, noCLI{t})
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	for _, want := range []string{
		"aks-kubenet-deploy-prod (deploys prod; client id in variable AZURE_CLIENT_ID of environment prod)",
		"  trusts only: repo:acme/aks-kubenet:environment:prod\n",
		"aks-kubenet hub peering on /subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/hub-weu-rg/providers/Microsoft.Network/virtualNetworks/hub-weu-vnet",
		"environment prod: deploys from main only, after a reviewer's approval",
		"WARNING: placeholder in dev: azure-native:subscriptionId",
		"would trust repo:acme/aks-kubenet:pull_request",
		"change(s) to make; run again with -apply to make them.",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("no %q in:\n%s", want, out.String())
		}
	}
}

// Bad flags and a refused apply exit non-zero with the reason.
func TestRefusals(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"apply offline", []string{"-repo", "acme/aks-kubenet", "-state-container", stateContainer, "-apply", "-offline"}, 2, "-offline is for the dry run"},
		{"bad repo", []string{"-repo", "acme", "-state-container", stateContainer, "-offline"}, 2, `-repo "acme"`},
		{"bad reviewer", []string{"-repo", "acme/aks-kubenet", "-state-container", stateContainer, "-reviewers", "platform-admins"}, 2, "want team:<slug> or user:<login>"},
		{"placeholders", []string{"-repo", "acme/aks-kubenet", "-state-container", stateContainer, "-reviewers", "team:platform-admins", "-apply"}, 1, "placeholder: dev"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			code := run(context.Background(), append([]string{"-dir", "../.."}, tc.args...), &out, &errOut, noCLI{t})
			if code != tc.code || !strings.Contains(errOut.String(), tc.want) {
				t.Errorf("exit %d, stderr %q; want exit %d and %q", code, errOut.String(), tc.code, tc.want)
			}
		})
	}
}
