// Package retry decides which failed Azure operations the program retries
// within a pulumi up: the refusals azure-native v2 gives up on at once but
// that Azure stops making after a while, each with its source. Nothing else
// is retried: a validation error, a quota, a conflict of names or an
// operation that failed in Azure (a Failed long-running operation) fail the
// step as before, for a person to read.
//
// It is plain Go: the program's error hook (package stack) asks Policy.Decide
// with the errors the engine passes it.
package retry

import (
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Rule is one refusal the program retries.
type Rule struct {
	// Code is ARM's error code, as azure-native reports it (Code="...").
	Code string
	// Status, when set, matches the HTTP status (Status=429) whatever the
	// code.
	Status int
	// Contains, when set, must be in the error text too.
	Contains string
	// Types are the resource types it is retried for, by the last segment
	// of their type token (ManagedCluster); none is every type.
	Types []string
	// Why says why a retry can succeed, and Source where that is from.
	Why, Source string
}

// Rules are the refusals the program retries. azure-native v2's own retry
// policy already takes 408, 429, 5xx and 409 AnotherOperationInProgress
// answered to a request (4 attempts; faults.md §4.1); these are the ones it
// returns at once.
var Rules = []Rule{
	{
		Code: "OperationNotAllowed", Contains: "is in progress",
		Types: []string{"ManagedCluster", "AgentPool", "MaintenanceConfiguration"},
		Why: "AKS refuses an operation on a cluster or its pools while another one runs " +
			"(the cluster's own, AKS's, or one a canceled run left going), and azure-native does not retry the 409",
		Source: "Azure/terraform-azurerm-avm-ptn-aks-production#25, cilium/cilium#25944, https://aka.ms/aks-pending-operation",
	},
	{
		Code:  "CustomRouteTableMissingPermission",
		Types: []string{"ManagedCluster", "AgentPool"},
		Why:   "AKS checks its identity's Network Contributor grant on the route table, which can take minutes to take effect after it is created",
		Source: "https://learn.microsoft.com/azure/aks/user-assigned-managed-identity and /azure/aks/configure-kubenet (permissions can take up to 60 minutes to propagate, aks-rules 1.18); " +
			"https://learn.microsoft.com/azure/role-based-access-control/troubleshooting (role assignment changes take effect late); " +
			"Azure/AKS-Construction#501 (a synchronous 400: nothing is created, so a retry is safe); " +
			"Azure/terraform-azure-avm-ptn-alz-sub-vending#47 (Microsoft's module retries RBAC propagation refusals). " +
			"That AKS's check itself meets the delay is an inference, not a reported failure",
	},
	{
		Code:   "LinkedAuthorizationFailed",
		Types:  []string{"ManagedCluster", "AgentPool"},
		Why:    "AKS checks its identity's right to join the node subnet, granted moments before and not yet in effect",
		Source: "https://learn.microsoft.com/azure/role-based-access-control/troubleshooting",
	},
	{
		Code:   "PrincipalNotFound",
		Types:  []string{"RoleAssignment"},
		Why:    "a principal created moments before has not replicated to where ARM looks it up",
		Source: "https://aka.ms/docs-principaltype; azure-docs#89279",
	},
	{
		Code: "TooManyRequests", Status: http.StatusTooManyRequests,
		Why:    "ARM throttles a subscription's writes; its token bucket refills within a minute, after the provider's own 4 attempts are spent",
		Source: "https://learn.microsoft.com/azure/azure-resource-manager/management/request-limits-and-throttling",
	},
	{
		Code:   "AnotherOperationInProgress",
		Why:    "a long-running operation that ended with it: the provider retries the code only when a request is answered with it",
		Source: "pulumi-azure-native#903 (shouldRetryConflict); faults.md §4.1",
	},
	{
		Code:   "RetryableErrorDueToAnotherOperation",
		Why:    "the network resource provider locks a resource another operation writes",
		Source: "https://learn.microsoft.com/azure/azure-resource-manager/management/request-limits-and-throttling",
	},
}

// Policy bounds the retries: how many attempts in all, the wait before the
// first retry, doubled before each next one up to Max.
type Policy struct {
	Attempts   int
	First, Max time.Duration
}

// Azure is the program's policy: 15 attempts, 30 s, 1, 2, 4 then 5 min
// apart, about 58 minutes of waiting in all: as long as AKS documents a
// new grant may take to reach the cluster's identity ("can take up to 60
// minutes", https://learn.microsoft.com/azure/aks/user-assigned-managed-identity),
// longer than AKS's usual pool operation, shorter than the cluster's
// operation timeout.
var Azure = Policy{Attempts: 15, First: 30 * time.Second, Max: 5 * time.Minute}

var (
	codePattern   = regexp.MustCompile(`Code="([A-Za-z]+)"`)
	statusPattern = regexp.MustCompile(`^Status=([0-9]{3}) `)
)

// Code returns ARM's error code in an azure-native error text, or "".
func Code(err string) string {
	if m := codePattern.FindStringSubmatch(err); m != nil {
		return m[1]
	}
	return ""
}

// Decide says whether to retry an operation on a resource of type typ (its
// type token) that failed with errs (every error so far, newest first, as
// the engine passes them to an error hook), how long to wait first, and the
// rule that allows it. It retries only a refusal Rules lists, fewer times
// in all than p.Attempts.
func (p Policy) Decide(typ string, errs []string) (wait time.Duration, rule Rule, ok bool) {
	if len(errs) == 0 || len(errs) >= p.Attempts {
		return 0, Rule{}, false
	}
	rule, ok = Match(typ, errs[0])
	if !ok {
		return 0, Rule{}, false
	}
	wait = p.First
	for i := 1; i < len(errs) && wait < p.Max; i++ {
		wait *= 2
	}
	return min(wait, p.Max), rule, true
}

// status returns the HTTP status an azure-native error text starts with,
// or 0.
func status(err string) int {
	if m := statusPattern.FindStringSubmatch(err); m != nil {
		n, _ := strconv.Atoi(m[1])
		return n
	}
	return 0
}

// Match returns the rule that allows a retry of err on a resource of type
// typ, if any.
func Match(typ, err string) (Rule, bool) {
	code, st := Code(err), status(err)
	if code == "" && st == 0 {
		return Rule{}, false
	}
	name := typ[strings.LastIndex(typ, ":")+1:]
	for _, r := range Rules {
		if !(code != "" && r.Code == code || r.Status != 0 && r.Status == st) || (r.Contains != "" && !strings.Contains(err, r.Contains)) {
			continue
		}
		if len(r.Types) == 0 || slices.Contains(r.Types, name) {
			return r, true
		}
	}
	return Rule{}, false
}
