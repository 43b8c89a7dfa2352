package stack

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/aks-kubenet/aks-kubenet/retry"
)

// retryHook is the name of the error hook every azure-native resource has.
const retryHook = "aks-kubenet-azure-retry"

// recovery registers what lets an up ride out Azure's passing refusals and
// the state doctor adopt what a killed run created: one error hook on every
// azure-native resource, which retries an operation Azure refused for a
// while (package retry: AKS's 409 while another operation runs, a grant not
// in effect yet, throttling) after policy's wait, and never anything else;
// and, for each URN in adopt, the import resource option with its Azure id,
// so that the engine reads the resource a killed run created instead of
// creating it again ("cannot create already existing resource").
//
// Both go through one stack transformation, registered before any
// resource, so that no constructor can forget them.
func recovery(ctx *pulumi.Context, policy retry.Policy, adopt map[string]string) error {
	hook, err := ctx.RegisterErrorHook(retryHook, func(args *pulumi.ErrorHookArgs) (bool, error) {
		wait, rule, ok := policy.Decide(string(args.Type), args.Errors)
		if !ok {
			return false, nil
		}
		msg := fmt.Sprintf("%s of %s refused with %s: retrying in %s (attempt %d of %d): %s",
			args.FailedOperation, args.Name, rule.Code, wait, len(args.Errors)+1, policy.Attempts, rule.Why)
		if err := ctx.Log.Warn(msg, nil); err != nil {
			return false, err
		}
		time.Sleep(wait)
		return true, nil
	})
	if err != nil {
		return fmt.Errorf("registering the retry hook: %w", err)
	}
	// A resource of the program is known by its type and name, as no two
	// share them (TestRecoveryOptions): the URN's last type and its name.
	adopted := map[string]string{}
	for urn, id := range adopt {
		u := resource.URN(urn)
		adopted[string(u.Type())+"::"+u.Name()] = id
	}
	return ctx.RegisterStackTransformation(func(args *pulumi.ResourceTransformationArgs) *pulumi.ResourceTransformationResult {
		if !strings.HasPrefix(args.Type, "azure-native:") {
			return nil // components and providers
		}
		// A copy: a constructor may pass one slice of options to several
		// resources.
		opts := append(slices.Clone(args.Opts), pulumi.ResourceHooks(&pulumi.ResourceHookBinding{OnError: []*pulumi.ErrorHook{hook}}))
		if id, ok := adopted[args.Type+"::"+args.Name]; ok {
			opts = append(opts, pulumi.Import(pulumi.ID(id)))
		}
		return &pulumi.ResourceTransformationResult{Props: args.Props, Opts: opts}
	})
}
