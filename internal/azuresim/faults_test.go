package azuresim

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

// ARM's refusals read as azure-native reports them, with ARM's status for
// the code; the hooks and the tests match on Code="...".
func TestRefusalsAreAzureNativesText(t *testing.T) {
	t.Parallel()
	for code, status := range map[string]int{"InvalidParameter": 400, "ResourceNotFound": 404, "PrincipalNotFound": 400,
		"OperationNotAllowed": 409, "InUseSubnetCannotBeDeleted": 409, "LinkedAuthorizationFailed": 403} {
		var e *Error
		if err := refusal(code, "msg %d", 1); !errors.As(err, &e) || e.Status != status || err.Error() != fmt.Sprintf(`Status=%d Code="%s" Message="msg 1"`, status, code) {
			t.Errorf("refusal(%s) = %v, want status %d", code, err, status)
		}
	}
}

// A Throttle's 429s are absorbed by the provider's 4 attempts when there are
// at most 3 and Retry-After is at most 120 s; else the call fails with the
// 429, having spent the attempts it made.
func TestThrottleWithinTheProvidersRetryBudget(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		times      int
		retryAfter time.Duration
		fail       bool
		fired      int
	}{
		{3, 30 * time.Second, false, 3},
		{4, 30 * time.Second, true, 4},
		{5, 0, true, 4},
		{1, 5 * time.Minute, true, 1},
	} {
		f := &Fault{Kind: Throttle, Times: tc.times, RetryAfter: tc.retryAfter}
		err := f.throttled()
		if (err != nil) != tc.fail || f.Fired != tc.fired {
			t.Errorf("%d 429s, Retry-After %v: error %v, %d fired; want failure %v, %d fired", tc.times, tc.retryAfter, err, f.Fired, tc.fail, tc.fired)
		}
		if err != nil && !strings.HasPrefix(err.Error(), "Status=429 ") {
			t.Errorf("the throttled call's error %q", err)
		}
	}
}

// While an AKS operation runs on a cluster, AKS refuses another on the
// cluster or its pools (409 OperationNotAllowed, logged), and takes it once
// the operation ended.
func TestAKSRefusesAnOperationWhileAnotherRuns(t *testing.T) {
	t.Parallel()
	c, cluster := cloudWithCluster(t)
	c.markBusy(cluster.ID, operationName(AgentPool, cluster.ID+"/agentPools/user1", "Creating"), time.Now().Add(time.Hour))
	_, err := c.Put(AgentPool, "urn:pool", agentPool("user2"), true)
	if err == nil || !strings.Contains(err.Error(), `Code="OperationNotAllowed"`) ||
		!strings.Contains(err.Error(), "Another agentpool operation (user1 - Creating) is in progress") {
		t.Fatalf("a pool while another pool's create runs: %v", err)
	}
	if refused := c.Refused(); len(refused) != 1 || refused[0].Type != AgentPool {
		t.Errorf("refusals logged %v", refused)
	}
	if err := c.Delete(ManagedCluster, "urn", cluster.ID); err == nil {
		t.Error("the cluster deleted while a pool operation runs")
	}
	c.FinishOperations()
	if _, err := c.Put(AgentPool, "urn:pool", agentPool("user2"), true); err != nil {
		t.Errorf("a pool once the operation ended: %v", err)
	}
}

// A new identity's principal is not yet where ARM looks it up: a grant
// without principalType is refused (PrincipalNotFound) during the
// replication delay; with it, ARM does not look, and accepts it. The
// program's grants carry principalType: this is what makes them pass.
func TestPrincipalReplicationDelay(t *testing.T) {
	t.Parallel()
	c := cloudWithNetwork(t)
	c.Delays.PrincipalReplication = time.Hour
	uami := c.Get("/subscriptions/" + sub + "/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/uami")
	uami.Created = time.Now()
	grant := func(name, principalType string) error {
		p := props("scope", tableIDRef, "roleAssignmentName", name, "principalId", uami.Computed["principalId"].StringValue(),
			"roleDefinitionId", "/subscriptions/"+sub+"/providers/Microsoft.Authorization/roleDefinitions/"+networkContributor)
		if principalType != "" {
			p["principalType"] = props("t", principalType)["t"]
		}
		_, err := c.Put(RoleAssignment, "urn", p, true)
		return err
	}
	if err := grant("g1", ""); err == nil || !strings.Contains(err.Error(), `Code="PrincipalNotFound"`) {
		t.Errorf("a grant without principalType during replication: %v, want PrincipalNotFound", err)
	}
	if err := grant("g2", ServicePrincipal); err != nil {
		t.Errorf("a grant with principalType during replication: %v", err)
	}
}

// A new grant is not in effect for AKS during the propagation delay: the
// cluster whose identity it is the only grant of is refused; after it, the
// cluster is created.
func TestRoleAssignmentPropagationDelay(t *testing.T) {
	t.Parallel()
	c, cluster := cloudWithCluster(t)
	if err := c.Remove(cluster.ID); err != nil {
		t.Fatal(err)
	}
	c.Delays.RoleAssignmentPropagation = time.Hour
	for _, ra := range c.Find(RoleAssignment) {
		ra.Created = time.Now()
	}
	if _, err := c.Put(ManagedCluster, "urn", postureCluster(), true); err == nil || !strings.Contains(err.Error(), "CustomRouteTableMissingPermission") {
		t.Errorf("a cluster right after its grants: %v, want CustomRouteTableMissingPermission", err)
	}
	c.Delays.RoleAssignmentPropagation = 0
	if _, err := c.Put(ManagedCluster, "urn", postureCluster(), true); err != nil {
		t.Errorf("a cluster once the grants are in effect: %v", err)
	}
}

// An update is a PUT: a resource gone from Azure is made again, but for the
// types whose sub-resources azure-native reads first (a route table, a
// VNet), where it fails as the provider does; a create of what exists fails
// with the provider's text.
func TestUpdateIsAnUpsert(t *testing.T) {
	t.Parallel()
	c, cluster := cloudWithCluster(t)
	if _, err := c.Put(AgentPool, "urn:pool", agentPool("user1"), true); err != nil {
		t.Fatal(err)
	}
	if err := c.Remove(cluster.ID + "/agentPools/user1"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Put(AgentPool, "urn:pool", agentPool("user1"), false); err != nil || c.Get(cluster.ID+"/agentPools/user1") == nil {
		t.Errorf("an update of a pool gone from Azure: %v, want it made again", err)
	}
	if _, err := c.Put(AgentPool, "urn:pool", agentPool("user1"), true); err == nil || err.Error() != "cannot create already existing resource '"+cluster.ID+"/agentPools/user1'" {
		t.Errorf("a create of an existing pool: %v", err)
	}
	table := props("resourceGroupName", "rg", "routeTableName", "gone", "location", "eastus")
	if _, err := c.Put(RouteTable, "urn", table, false); err == nil || !strings.Contains(err.Error(), "failed maintaining unset sub-resource properties") {
		t.Errorf("an update of a route table gone from Azure: %v, want the provider's read-first failure", err)
	}
}

// An armed fault fires on the calls it matches, as many times as it says.
func TestFaultsFireOnTheCallsTheyMatch(t *testing.T) {
	t.Parallel()
	c := &Cloud{}
	c.Arm(Fault{Op: "create", Type: AgentPool, Name: "spot", Kind: Refuse, Times: 2})
	id := clusterID + "/agentPools/spot"
	for i, want := range []bool{true, true, false} {
		f := c.fault("create", AgentPool, id)
		if (f != nil) != want {
			t.Fatalf("call %d: fault %v, want %v", i+1, f, want)
		}
		if f != nil {
			f.Fired++
		}
	}
	if c.fault("create", AgentPool, clusterID+"/agentPools/general") != nil || c.fault("update", AgentPool, id) != nil {
		t.Error("a fault fired on a call it does not name")
	}
}
