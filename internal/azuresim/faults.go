package azuresim

import (
	"fmt"
	"net/http"
	"os"
	"strings"
	"time"
)

// Error is a refusal as azure-native v2 reports it: the HTTP status and
// ARM's error code and message, in the provider's words
// (PulumiAzcoreResponseError, pulumi-azure-native#3778; faults.md §1.1).
type Error struct {
	// Status is the HTTP status of the refused request.
	Status int
	// Code is ARM's error code, for example CustomRouteTableMissingPermission.
	Code string
	// Message is ARM's message.
	Message string
}

// Error is the text the engine shows and the error hooks read:
// Status=409 Code="OperationNotAllowed" Message="...".
func (e *Error) Error() string {
	return fmt.Sprintf("Status=%d Code=%q Message=%q", e.Status, e.Code, e.Message)
}

// refusal is Azure's refusal with code: its status is the one ARM answers
// with for the code.
func refusal(code, format string, args ...any) error {
	return &Error{Status: statusOf(code), Code: code, Message: fmt.Sprintf(format, args...)}
}

// statusOf is the HTTP status ARM answers with for code.
func statusOf(code string) int {
	switch {
	case strings.HasSuffix(code, "NotFound") && code != "PrincipalNotFound":
		return http.StatusNotFound
	case code == "LinkedAuthorizationFailed" || code == "AuthorizationFailed":
		return http.StatusForbidden
	case code == "OperationNotAllowed" || code == "RouteConflict" || code == "AnotherOperationInProgress" ||
		strings.HasPrefix(code, "InUse") || strings.HasSuffix(code, "CannotBeDeleted"):
		return http.StatusConflict
	case code == "TooManyRequests":
		return http.StatusTooManyRequests
	}
	return http.StatusBadRequest
}

// alreadyExists is azure-native's refusal of a create whose GET before the
// PUT finds the resource (crud.go CanCreate; faults.md §1.1).
func alreadyExists(id string) error {
	return fmt.Errorf("cannot create already existing resource '%s'", id)
}

// FaultKind is how an armed Fault fails the call it fires on.
type FaultKind string

// The kinds of Fault, each as azure-native v2 reports it (faults.md §1.2,
// §2.3, §4.4).
const (
	// Refuse refuses the PUT or DELETE synchronously: nothing changes in
	// the cloud, and the provider returns the plain error (a validation or
	// preflight refusal).
	Refuse FaultKind = "refuse"
	// Fail accepts the PUT, then the long-running operation ends Failed: the
	// resource exists with provisioningState Failed, and the provider
	// returns partial state (ErrorResourceInitFailed) with its outputs.
	Fail FaultKind = "fail"
	// FailUnread is Fail whose GET after the failure fails too: partial
	// state with the id only ("resource created but read failed").
	FailUnread FaultKind = "fail-unread"
	// Hang accepts the PUT and polls until the provider is canceled; then it
	// returns partial state with the id only, reason "context canceled", as
	// azure-native's Cancel does. The ARM operation runs on in Azure for
	// Fault.Busy after the cancel (or after the PUT, when the engine is
	// killed instead): a cluster or pool PUT meanwhile gets AKS's 409.
	Hang FaultKind = "hang"
	// Throttle answers 429 to Fault.Times attempts: the provider's retry
	// policy absorbs up to 3 of them when Retry-After is at most 120 s
	// (faults.md §4.1), and fails with the 429 otherwise.
	Throttle FaultKind = "throttle"
)

// Fault is a failure armed in the simulated cloud: the provider fires it on
// the next calls that match, as many times as Times says.
type Fault struct {
	// Op is "create", "update" or "delete".
	Op string `json:"op"`
	// Type is the azure-native type token, for example ManagedCluster.
	Type string `json:"type"`
	// Name, when set, is the resource's Azure name (its id's last segment).
	Name string `json:"name,omitempty"`
	// Kind is how the call fails.
	Kind FaultKind `json:"kind"`
	// Code and Message are ARM's error; Code defaults to InternalServerError.
	Code    string `json:"code,omitempty"`
	Message string `json:"message,omitempty"`
	// Times is how many calls it fires on (Throttle: how many 429s ARM
	// answers); 0 is once.
	Times int `json:"times,omitempty"`
	// Busy is how long a Hang's ARM operation runs on (Hang only).
	Busy time.Duration `json:"busy,omitempty"`
	// RetryAfter is the Retry-After header of a Throttle's 429s.
	RetryAfter time.Duration `json:"retryAfter,omitempty"`
	// Fired counts the calls it fired on.
	Fired int `json:"fired,omitempty"`
	// EnginePID is the pid of the Pulumi CLI whose call it last fired on:
	// the provider plugin's parent, which a test may kill.
	EnginePID int `json:"enginePid,omitempty"`
}

// Arm arms the fault in the cloud.
func (c *Cloud) Arm(f Fault) {
	c.Faults = append(c.Faults, f)
}

// FiredFaults returns the faults that fired, with the pid of the engine they fired
// in.
func (c *Cloud) FiredFaults() []Fault {
	var out []Fault
	for _, f := range c.Faults {
		if f.Fired > 0 {
			out = append(out, f)
		}
	}
	return out
}

// fault returns the armed fault that matches a call (op on the resource of
// type typ with ARM id id) and has calls left, counting the call, or nil.
func (c *Cloud) fault(op, typ, id string) *Fault {
	for i := range c.Faults {
		f := &c.Faults[i]
		if f.Op != op || f.Type != typ || (f.Name != "" && !strings.EqualFold(f.Name, lastSegment(id))) {
			continue
		}
		if f.Kind == Throttle || f.Fired < max(f.Times, 1) {
			return f
		}
	}
	return nil
}

// fire fires the fault armed for a call (op on the resource of type typ
// with ARM id id), if any, in the engine that is the provider's parent: a
// throttle is nil when the provider's retries absorb it and its 429 when
// they do not; a refusal, and any fault of a delete, is its error; a fault
// that lets the PUT through (Fail, FailUnread, Hang) is returned for the
// provider to play after the PUT.
func (c *Cloud) fire(op, typ, id string) (Fault, error) {
	f := c.fault(op, typ, id)
	if f == nil {
		return Fault{}, nil
	}
	f.EnginePID = os.Getppid()
	if f.Kind == Throttle {
		return Fault{}, f.throttled()
	}
	f.Fired++
	if f.Kind == Refuse || op == "delete" {
		return Fault{}, f.err()
	}
	return *f, nil
}

// err is the fault's error.
func (f *Fault) err() *Error {
	code := f.Code
	if code == "" {
		code = "InternalServerError"
	}
	msg := f.Message
	if msg == "" {
		msg = "the simulated fault " + string(f.Kind) + " on " + f.Op + " of " + f.Type
	}
	status := statusOf(code)
	if f.Kind == Throttle {
		status = http.StatusTooManyRequests
	} else if code == "InternalServerError" {
		status = http.StatusInternalServerError
	}
	return &Error{Status: status, Code: code, Message: msg}
}

// The retry budget of azure-native v2's azcore pipeline (client_azcore.go
// initPipelineOpts; faults.md §4.1): 3 retries, so 4 attempts, of a 429,
// 408, 5xx or 409 AnotherOperationInProgress; a Retry-After over the
// longest delay is not waited for.
const (
	providerRetries       = 3
	providerMaxRetryDelay = 120 * time.Second
)

// throttled plays the provider's retry policy against a Throttle fault: it
// takes the 429s the attempts get and returns the error when they are
// spent, or nil when a retry got through.
func (f *Fault) throttled() error {
	left := max(f.Times, 1) - f.Fired
	attempts := providerRetries + 1
	if f.RetryAfter > providerMaxRetryDelay {
		attempts = 1
	}
	if left <= 0 {
		return nil
	}
	if left < attempts {
		f.Fired += left
		return nil
	}
	f.Fired += attempts
	return f.err()
}

// Delays are Azure's propagation delays the cloud plays, off unless a test
// sets them (faults.md §4.2, §4.4).
type Delays struct {
	// PrincipalReplication is how long a new managed identity's principal is
	// unknown to ARM's directory lookup: a role assignment for it without
	// principalType is refused (PrincipalNotFound) meanwhile; with
	// principalType ARM skips the lookup and accepts it.
	PrincipalReplication time.Duration `json:"principalReplication,omitempty"`
	// RoleAssignmentPropagation is how long a new role assignment takes to
	// take effect: AKS does not see it meanwhile, and refuses a cluster or
	// pool whose identity it is the only grant of
	// (CustomRouteTableMissingPermission, LinkedAuthorizationFailed). An
	// inference from RBAC's documented delay, not an observed AKS refusal
	// (faults.md §4.2).
	RoleAssignmentPropagation time.Duration `json:"roleAssignmentPropagation,omitempty"`
}

// aksOperation is how long an AKS operation on a cluster or a pool runs
// after its PUT is accepted: another operation on the cluster or its pools
// meanwhile is refused (busy).
const aksOperation = 250 * time.Millisecond

// Operation in progress on a cluster: what AKS says and until when.
type busy struct {
	// What is the operation as AKS names it: "Creating", or
	// "agentpool operation (user1 - Creating)".
	What string `json:"what"`
	// Until is when it ends.
	Until time.Time `json:"until"`
}

// markBusy records an AKS operation on cluster clusterID until until.
func (c *Cloud) markBusy(clusterID, what string, until time.Time) {
	if c.Busy == nil {
		c.Busy = map[string]busy{}
	}
	c.Busy[strings.ToLower(clusterID)] = busy{What: what, Until: until}
}

// checkNotBusy refuses an operation on cluster clusterID while another one
// runs, as AKS does: 409 OperationNotAllowed, which azure-native does not
// retry (its code is not AnotherOperationInProgress; faults.md §4.1,
// Azure/azure-workload-identity#417, cilium/cilium#25944).
func (c *Cloud) checkNotBusy(clusterID string) error {
	b, ok := c.Busy[strings.ToLower(clusterID)]
	if !ok || !time.Now().Before(b.Until) {
		return nil
	}
	return refusal("OperationNotAllowed", "Operation is not allowed: Another %s is in progress, please wait for it to finish before starting a new operation. "+
		"See https://aka.ms/aks-pending-operation for more details", b.What)
}

// aksCluster returns the id of the cluster an AKS operation on the resource
// of type typ with id works on: the cluster itself or a pool's cluster, else
// "".
func aksCluster(typ, id string) string {
	switch typ {
	case ManagedCluster:
		return id
	case AgentPool:
		return id[:strings.LastIndex(strings.ToLower(id), "/agentpools/")]
	}
	return ""
}

// operationName is AKS's name of an operation of kind op ("Creating",
// "Updating", "Deleting") on the resource of type typ with id.
func operationName(typ, id, op string) string {
	if typ == AgentPool {
		return fmt.Sprintf("agentpool operation (%s - %s)", lastSegment(id), op)
	}
	return "operation (" + op + ")"
}

// recent reports whether t is within d of now.
func recent(t time.Time, d time.Duration) bool {
	return d > 0 && !t.IsZero() && time.Since(t) < d
}

// FinishOperations ends every AKS operation running in the cloud, as AKS
// does when it is done: the clusters are no longer busy, and a resource
// still Creating is Succeeded.
func (c *Cloud) FinishOperations() {
	c.Busy = nil
	for _, r := range c.Resources {
		if r.State == "Creating" {
			r.State = ""
		}
	}
}

// Refused returns the operations AKS refused because another one ran, in
// the order it refused them.
func (c *Cloud) Refused() []Operation {
	var out []Operation
	for _, op := range c.Log {
		if op.Op == "refused" {
			out = append(out, op)
		}
	}
	return out
}
