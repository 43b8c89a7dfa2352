package retry

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aks-kubenet/aks-kubenet/armid"
)

const (
	cluster = armid.ManagedCluster
	pool    = armid.AgentPool
	grant   = armid.RoleAssignment
	route   = armid.Route
)

// azure is an error as azure-native reports it.
func azure(status int, code, msg string) string {
	return fmt.Sprintf("Status=%d Code=%q Message=%q", status, code, msg)
}

// repeat is n copies of err.
func repeat(err string, n int) []string {
	errs := make([]string, n)
	for i := range errs {
		errs[i] = err
	}
	return errs
}

func TestDecide(t *testing.T) {
	inProgress := azure(409, "OperationNotAllowed", "Operation is not allowed: Another agentpool operation (user1 - Creating) is in progress, please wait for it to finish")
	tests := []struct {
		name string
		typ  string
		errs []string
		want bool
	}{
		{"a pool refused while another pool's operation runs", pool, []string{inProgress}, true},
		{"the cluster refused while a canceled create runs on", cluster, []string{inProgress}, true},
		{"OperationNotAllowed for another reason is a refusal", cluster,
			[]string{azure(409, "OperationNotAllowed", "Operation is not allowed because the cluster is stopped")}, false},
		{"a route table grant not in effect yet", cluster, []string{azure(400, "CustomRouteTableMissingPermission", "must be given permission")}, true},
		{"a subnet grant not in effect yet, for a pool", pool, []string{azure(403, "LinkedAuthorizationFailed", "no permission to join subnet")}, true},
		{"a grant's principal not replicated yet", grant, []string{azure(400, "PrincipalNotFound", "Principal x does not exist")}, true},
		{"PrincipalNotFound is a grant's refusal only", cluster, []string{azure(400, "PrincipalNotFound", "Principal x does not exist")}, false},
		{"throttled past the provider's own retries, any type", route, []string{azure(429, "TooManyRequests", "throttled")}, true},
		{"throttled under another code, by its status", route, []string{azure(429, "SubscriptionRequestsThrottled", "throttled")}, true},
		{"a validation error is never retried", cluster, []string{azure(400, "InvalidParameter", "bad")}, false},
		{"a quota is never retried", cluster, []string{azure(400, "QuotaExceeded", "no cores")}, false},
		{"a change AKS cannot make is never retried", pool, []string{azure(400, "PropertyChangeNotAllowed", "vmSize")}, false},
		{"already existing is never retried", cluster, []string{"cannot create already existing resource '/subscriptions/x'"}, false},
		{"a canceled operation is never retried", cluster, []string{"resource created but read failed: context canceled"}, false},
		{"the newest error decides", pool, []string{azure(400, "InvalidParameter", "bad"), inProgress}, false},
		{"no error, no retry", pool, nil, false},
		{"the attempts are bounded", pool, repeat(inProgress, Azure.Attempts), false},
		{"one attempt under the bound still retries", pool, repeat(inProgress, Azure.Attempts-1), true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, rule, ok := Azure.Decide(tc.typ, tc.errs)
			if ok != tc.want {
				t.Fatalf("Decide(%s, %q) = %v (rule %q), want %v", tc.typ, tc.errs, ok, rule.Code, tc.want)
			}
			if ok && (rule.Why == "" || rule.Source == "") {
				t.Errorf("rule %s has no reason or no source", rule.Code)
			}
		})
	}
}

func TestWaitsDoubleUpToTheMaximum(t *testing.T) {
	t.Parallel()
	e := azure(429, "TooManyRequests", "throttled")
	want := []time.Duration{30 * time.Second, time.Minute, 2 * time.Minute, 4 * time.Minute}
	for len(want) < Azure.Attempts-1 {
		want = append(want, 5*time.Minute)
	}
	var errs []string
	var total time.Duration
	for i, w := range want {
		errs = append(errs, e)
		got, _, ok := Azure.Decide(route, errs)
		if !ok || got != w {
			t.Fatalf("after %d errors: wait %v (retry %v), want %v", i+1, got, ok, w)
		}
		total += got
	}
	if _, _, ok := Azure.Decide(route, append(errs, e)); ok {
		t.Errorf("retried after %d attempts", len(errs)+1)
	}
	if total < 55*time.Minute || total > 60*time.Minute {
		t.Errorf("the policy waits %v in all, want just under the 60 minutes AKS documents for a grant to take effect", total)
	}
}

func TestEveryRuleHasItsReasonAndSource(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	for _, r := range Rules {
		if r.Code == "" || r.Why == "" || r.Source == "" {
			t.Errorf("rule %+v: a code, a reason and a source, each", r)
		}
		if seen[r.Code+r.Contains] {
			t.Errorf("rule %s twice", r.Code)
		}
		seen[r.Code+r.Contains] = true
	}
}

// FuzzDecide: whatever the error text, a retry is only ever for a code the
// rules list, within the attempts, and never waits longer than the maximum.
func FuzzDecide(f *testing.F) {
	f.Add(cluster, `Status=409 Code="OperationNotAllowed" Message="Another operation (Creating) is in progress"`, 1)
	f.Add(grant, `Status=400 Code="PrincipalNotFound" Message="x"`, 7)
	f.Add(route, `Code="TooManyRequests"`, 3)
	f.Add(pool, `cannot create already existing resource 'Code="TooManyRequests"'`, 2)
	f.Fuzz(func(t *testing.T, typ, err string, n int) {
		n = n%10 + 1
		if n < 1 {
			n += 10
		}
		errs := make([]string, n)
		for i := range errs {
			errs[i] = err
		}
		wait, rule, ok := Azure.Decide(typ, errs)
		if !ok {
			return
		}
		if n >= Azure.Attempts {
			t.Fatalf("retried after %d attempts", n)
		}
		if wait <= 0 || wait > Azure.Max {
			t.Fatalf("wait %v", wait)
		}
		if (Code(err) != rule.Code && status(err) != rule.Status) || !strings.Contains(err, rule.Contains) {
			t.Fatalf("retried %q under rule %s", err, rule.Code)
		}
	})
}
