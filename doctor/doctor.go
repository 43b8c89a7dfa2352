// Package doctor repairs a stack's state after a run that was killed or
// canceled before it could record what it did (faults.md §2): a stale lock,
// which makes every later run fail at once, and pending creates, which make
// the next up create again what Azure already has ("cannot create already
// existing resource"). It never guesses: a pending create is looked up in
// Azure by its id, which follows from the inputs the state recorded (the
// program fixes every name, package armid), and is then either cleared
// (nothing was created) or adopted (the program imports it through the
// import resource option, aks-kubenet:adopt, in a run targeted at it). A
// state it cannot read, or a pending create whose id it cannot tell, stops
// it with what to do by hand.
//
// The same steps run in deploy.yml's up jobs, before the up, and as
// go run ./cmd/doctor at a terminal.
package doctor

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"

	"github.com/aks-kubenet/aks-kubenet/armid"
)

// Stack is the stack's state and the runs the doctor makes on it.
type Stack interface {
	// Export returns the stack's state (pulumi stack export).
	Export(ctx context.Context) (apitype.UntypedDeployment, error)
	// Import replaces the stack's state (pulumi stack import), which drops
	// every pending operation.
	Import(ctx context.Context, state apitype.UntypedDeployment) error
	// Cancel deletes the stack's locks (pulumi cancel).
	Cancel(ctx context.Context) error
	// Adopt runs pulumi up targeted at the URNs of adopt, with
	// aks-kubenet:adopt set to adopt for that run only: each is imported
	// from its Azure id.
	Adopt(ctx context.Context, adopt map[string]string) error
}

// Lock is a lock file of the stack, as the self-managed backend writes it.
type Lock struct {
	// Path is where it is in the backend.
	Path string
	// PID, Username, Hostname and Timestamp are the locking run's.
	PID       int       `json:"pid"`
	Username  string    `json:"username"`
	Hostname  string    `json:"hostname"`
	Timestamp time.Time `json:"timestamp"`
}

// String is the lock as the Pulumi CLI describes it.
func (l Lock) String() string {
	return fmt.Sprintf("%s: created by %s@%s (pid %d) at %s", l.Path, l.Username, l.Hostname, l.PID, l.Timestamp.Format(time.RFC3339))
}

// Locks lists the stack's lock files.
type Locks interface {
	List(ctx context.Context) ([]Lock, error)
}

// Azure looks resources up by id.
type Azure interface {
	// Exists reports whether Azure has the resource with ARM id id.
	Exists(ctx context.Context, id string) (bool, error)
}

// Options says what the doctor may do.
type Options struct {
	// Fix repairs what it finds; without it the doctor only reports.
	Fix bool
	// CancelStaleLock cancels a lock: only when nothing else can be running
	// on the stack (deploy.yml's per-stack concurrency group guarantees it;
	// at a terminal, the person running it).
	CancelStaleLock bool
	// Subscription is the stack's subscription (azure-native:subscriptionId),
	// for a resource whose provider the state does not name one for.
	Subscription string
}

// Pending is a create a killed run left pending.
type Pending struct {
	// URN and Type are the resource's.
	URN, Type string
	// ID is its Azure id, and Exists whether Azure has it.
	ID     string
	Exists bool
}

// Report is what the doctor found and did.
type Report struct {
	// Locks are the stack's locks, Canceled whether they were deleted.
	Locks    []Lock
	Canceled bool
	// Pending are the pending creates; Others counts the pending updates,
	// deletes and reads, which the next operation drops by itself.
	Pending []Pending
	Others  int
	// Repaired is true when the pending creates were cleared and what
	// existed adopted: the state changed, so a plan made before is stale.
	Repaired bool
}

// Healthy reports whether the doctor found nothing to repair.
func (r Report) Healthy() bool { return len(r.Locks) == 0 && len(r.Pending) == 0 }

// ErrUnreadable is returned when the state cannot be read at all.
var ErrUnreadable = errors.New("the stack's state cannot be read")

// Examine reads the stack's state and locks and, with opts.Fix, repairs
// them: cancels a stale lock (only with opts.CancelStaleLock), then clears
// the pending creates and adopts what they created. It returns what it
// found and did, and an error when it cannot go on safely.
func Examine(ctx context.Context, stack Stack, locks Locks, az Azure, opts Options) (Report, error) {
	var r Report
	state, err := stack.Export(ctx)
	if err != nil {
		return r, fmt.Errorf("%w (pulumi stack export: %w): restore the last good checkpoint (the backend's <stack>.json.bak, "+
			"or a copy in .pulumi/backups or .pulumi/history) over the stack's file, or run pulumi state repair; do not run up until export works",
			ErrUnreadable, err)
	}
	var deployment apitype.DeploymentV3
	if err := json.Unmarshal(state.Deployment, &deployment); err != nil {
		return r, fmt.Errorf("%w (the deployment in pulumi stack export: %w)", ErrUnreadable, err)
	}
	if r.Locks, err = locks.List(ctx); err != nil {
		return r, fmt.Errorf("listing the stack's locks: %w", err)
	}
	if len(r.Locks) > 0 && opts.Fix {
		if !opts.CancelStaleLock {
			return r, fmt.Errorf("the stack is locked (%s): if no other pulumi command runs on it, run again with -cancel-stale-lock", describe(r.Locks))
		}
		if err := stack.Cancel(ctx); err != nil {
			return r, fmt.Errorf("pulumi cancel: %w", err)
		}
		r.Canceled = true
	}
	if r.Pending, r.Others, err = pendingCreates(ctx, deployment, az, opts.Subscription); err != nil {
		return r, err
	}
	if len(r.Pending) == 0 || !opts.Fix {
		return r, nil
	}
	// pulumi stack import drops every pending operation: the creates are
	// resolved below, the others the next operation would drop anyway.
	if err := stack.Import(ctx, state); err != nil {
		return r, fmt.Errorf("clearing the pending operations (pulumi stack import): %w", err)
	}
	r.Repaired = true
	adopt := map[string]string{}
	for _, p := range r.Pending {
		if p.Exists {
			adopt[p.URN] = p.ID
		}
	}
	if len(adopt) == 0 {
		return r, nil
	}
	if err := stack.Adopt(ctx, adopt); err != nil {
		return r, fmt.Errorf("adopting %s: %w; the pending creates are cleared: run the doctor's adoption again, or pulumi import each", strings.Join(slices.Sorted(maps.Keys(adopt)), ", "), err)
	}
	return r, nil
}

// pendingCreates returns the deployment's pending creates, each with its
// Azure id and whether Azure has it, and the number of other pending
// operations.
func pendingCreates(ctx context.Context, d apitype.DeploymentV3, az Azure, subscription string) ([]Pending, int, error) {
	var out []Pending
	others := 0
	for _, op := range d.PendingOperations {
		if op.Type != apitype.OperationTypeCreating {
			others++
			continue
		}
		res := op.Resource
		p := Pending{URN: string(res.URN), Type: string(res.Type)}
		if !res.Custom {
			return nil, 0, fmt.Errorf("pending create of %s, which is not an Azure resource: clear it with pulumi refresh --clear-pending-creates", res.URN)
		}
		sub := providerSubscription(d, res.Provider)
		if sub == "" {
			sub = subscription
		}
		if sub == "" {
			return nil, 0, fmt.Errorf("pending create of %s: no subscription in its provider's state; give the stack's with -subscription", res.URN)
		}
		id, _, err := armid.Of(sub, p.Type, func(key string) string {
			s, _ := res.Inputs[key].(string)
			return s
		})
		if err != nil {
			return nil, 0, fmt.Errorf("pending create of %s: its Azure id does not follow from the state (%w); look it up in Azure and run pulumi import, "+
				"or pulumi refresh --clear-pending-creates if nothing was created", res.URN, err)
		}
		p.ID = id
		if p.Exists, err = az.Exists(ctx, id); err != nil {
			return nil, 0, fmt.Errorf("looking up %s in Azure: %w", id, err)
		}
		out = append(out, p)
	}
	return out, others, nil
}

// providerSubscription is the subscriptionId of the provider reference ref
// ("<urn>::<id>") in d, or "".
func providerSubscription(d apitype.DeploymentV3, ref string) string {
	i := strings.LastIndex(ref, "::")
	if i < 0 {
		return ""
	}
	for _, res := range d.Resources {
		if string(res.URN) == ref[:i] {
			s, _ := res.Inputs["subscriptionId"].(string)
			return s
		}
	}
	return ""
}

// describe lists locks in one line.
func describe(locks []Lock) string {
	s := make([]string, len(locks))
	for i, l := range locks {
		s[i] = l.String()
	}
	return strings.Join(s, "; ")
}

// String is the report for a person: what was found, what was done, and
// what follows.
func (r Report) String() string {
	var b strings.Builder
	if r.Healthy() {
		b.WriteString("the state is sound: no lock, no pending create\n")
	}
	for _, l := range r.Locks {
		fmt.Fprintf(&b, "lock %s", l)
		if r.Canceled {
			b.WriteString(": canceled (stale: nothing else runs on the stack)")
		}
		b.WriteString("\n")
	}
	for _, p := range r.Pending {
		switch {
		case p.Exists && r.Repaired:
			fmt.Fprintf(&b, "pending create of %s: %s exists in Azure, adopted (imported)\n", p.URN, p.ID)
		case r.Repaired:
			fmt.Fprintf(&b, "pending create of %s: %s does not exist in Azure, cleared; the next up creates it\n", p.URN, p.ID)
		case p.Exists:
			fmt.Fprintf(&b, "pending create of %s: %s exists in Azure; -fix adopts it\n", p.URN, p.ID)
		default:
			fmt.Fprintf(&b, "pending create of %s: %s does not exist in Azure; -fix clears it\n", p.URN, p.ID)
		}
	}
	if r.Others > 0 {
		fmt.Fprintf(&b, "%d other pending operation(s) (update, delete, read): the next operation drops them\n", r.Others)
	}
	return b.String()
}
