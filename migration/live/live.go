// Package live reads a stack's deployed cluster, its route table and its
// identity's grants from Azure, and runs the steps of the move to Azure CNI
// Overlay on the live cluster, through the Azure SDK for Go: one ARM update
// a step, each a GET of the whole cluster, the step's network-profile leaves
// changed and nothing else, and a PUT that names the ETag it read, polled to
// its end (overlay-migration.md §2.1 is what az aks update does the same way).
package live

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/arm"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/authorization/armauthorization/v2"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/containerservice/armcontainerservice/v6"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/network/armnetwork/v6"

	"github.com/aks-kubenet/aks-kubenet/armid"
	"github.com/aks-kubenet/aks-kubenet/migration"
	"github.com/aks-kubenet/aks-kubenet/spec"
)

// Azure is the stack's subscription, through the SDK's clients.
type Azure struct {
	clusters    *armcontainerservice.ManagedClustersClient
	tables      *armnetwork.RouteTablesClient
	assignments *armauthorization.RoleAssignmentsClient
	// PollEvery is how often a running update is polled and its progress
	// written.
	PollEvery time.Duration
}

// New returns the clients of subscription, logged in with cred; opts may be
// nil (Azure's public cloud).
func New(subscription string, cred azcore.TokenCredential, opts *arm.ClientOptions) (*Azure, error) {
	clusters, err := armcontainerservice.NewManagedClustersClient(subscription, cred, opts)
	if err != nil {
		return nil, fmt.Errorf("the AKS client: %w", err)
	}
	tables, err := armnetwork.NewRouteTablesClient(subscription, cred, opts)
	if err != nil {
		return nil, fmt.Errorf("the route table client: %w", err)
	}
	assignments, err := armauthorization.NewRoleAssignmentsClient(subscription, cred, opts)
	if err != nil {
		return nil, fmt.Errorf("the role assignment client: %w", err)
	}
	return &Azure{clusters: clusters, tables: tables, assignments: assignments, PollEvery: 15 * time.Second}, nil
}

// Read reads the stack's deployed cluster (by the names in its config), the
// route table of its node subnet and the role assignments its control-plane
// identity holds on the node subnets and the table.
func (a *Azure) Read(ctx context.Context, s spec.Stack) (migration.Live, error) {
	got, err := a.clusters.Get(ctx, s.ResourceGroup.Name, s.Cluster.Name, nil)
	if err != nil {
		return migration.Live{}, fmt.Errorf("reading the cluster %s in %s: %w", s.Cluster.Name, s.ResourceGroup.Name, describe(err))
	}
	live := clusterState(got.ManagedCluster)
	tableID, err := routeTableID(s)
	if err != nil {
		return migration.Live{}, err
	}
	table, err := a.tables.Get(ctx, s.ResourceGroup.Name, s.Network.RouteTableName, nil)
	if err != nil {
		return migration.Live{}, fmt.Errorf("reading the route table %s: %w", s.Network.RouteTableName, describe(err))
	}
	live.RouteTable = tableState(tableID, table.RouteTable)
	if live.PrincipalID == "" {
		return live, nil
	}
	for _, scope := range append(append([]string{}, live.NodeSubnetIDs...), live.RouteTable.ID) {
		grants, err := a.grants(ctx, scope, live.PrincipalID)
		if err != nil {
			return migration.Live{}, err
		}
		live.Grants = append(live.Grants, grants...)
	}
	return live, nil
}

// grants lists the role assignments of principal that apply at scope.
func (a *Azure) grants(ctx context.Context, scope, principal string) ([]migration.LiveGrant, error) {
	var out []migration.LiveGrant
	pager := a.assignments.NewListForScopePager(scope, &armauthorization.RoleAssignmentsClientListForScopeOptions{
		Filter: to.Ptr(fmt.Sprintf("principalId eq '%s'", principal)),
	})
	for pager.More() {
		page, err := pager.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("listing the role assignments on %s: %w", scope, describe(err))
		}
		for _, ra := range page.Value {
			if ra == nil || ra.Properties == nil {
				continue
			}
			out = append(out, migration.LiveGrant{
				Scope: value(ra.Properties.Scope), RoleDefinitionID: value(ra.Properties.RoleDefinitionID), PrincipalID: value(ra.Properties.PrincipalID),
			})
		}
	}
	return out, nil
}

// routeTableID is the id of the stack's route table.
func routeTableID(s spec.Stack) (string, error) {
	id, _, err := armid.Of(s.Subscription, armid.RouteTable, func(key string) string {
		switch key {
		case "resourceGroupName":
			return s.ResourceGroup.Name
		case "routeTableName":
			return s.Network.RouteTableName
		}
		return ""
	})
	if err != nil {
		return "", fmt.Errorf("the route table's id: %w", err)
	}
	return id, nil
}

// clusterState is what the preflight needs of a cluster GET.
func clusterState(mc armcontainerservice.ManagedCluster) migration.Live {
	live := migration.Live{ClusterID: value(mc.ID)}
	if mc.Identity != nil {
		if mc.Identity.Type != nil {
			live.IdentityType = string(*mc.Identity.Type)
		}
		for _, uai := range mc.Identity.UserAssignedIdentities {
			if uai != nil && uai.PrincipalID != nil {
				live.PrincipalID = *uai.PrincipalID
			}
		}
	}
	p := mc.Properties
	if p == nil {
		return live
	}
	live.ProvisioningState = value(p.ProvisioningState)
	live.KubernetesVersion = value(p.CurrentKubernetesVersion)
	if live.KubernetesVersion == "" {
		live.KubernetesVersion = value(p.KubernetesVersion)
	}
	live.Network = networkOf(p.NetworkProfile)
	seen := map[string]bool{}
	for _, pool := range p.AgentPoolProfiles {
		if pool == nil {
			continue
		}
		live.Pools = append(live.Pools, poolState(pool))
		if id := value(pool.VnetSubnetID); id != "" && !seen[strings.ToLower(id)] {
			seen[strings.ToLower(id)] = true
			live.NodeSubnetIDs = append(live.NodeSubnetIDs, id)
		}
	}
	return live
}

// poolState is one pool of a cluster GET.
func poolState(pool *armcontainerservice.ManagedClusterAgentPoolProfile) migration.LivePool {
	lp := migration.LivePool{
		Name: value(pool.Name), VMSize: value(pool.VMSize), Count: number(pool.Count), MaxCount: number(pool.MaxCount),
		MaxPods: number(pool.MaxPods), Autoscaling: pool.EnableAutoScaling != nil && *pool.EnableAutoScaling,
	}
	if pool.Type != nil {
		lp.Type = string(*pool.Type)
	}
	if pool.OSType != nil {
		lp.OSType = string(*pool.OSType)
	}
	if pool.UpgradeSettings != nil {
		lp.MaxSurge = value(pool.UpgradeSettings.MaxSurge)
	}
	return lp
}

// tableState is what the preflight needs of a route table GET.
func tableState(id string, rt armnetwork.RouteTable) migration.LiveRouteTable {
	table := migration.LiveRouteTable{ID: id}
	if rt.ID != nil {
		table.ID = *rt.ID
	}
	if rt.Properties == nil {
		return table
	}
	for _, subnet := range rt.Properties.Subnets {
		if subnet != nil && subnet.ID != nil {
			table.SubnetIDs = append(table.SubnetIDs, *subnet.ID)
		}
	}
	for _, r := range rt.Properties.Routes {
		if r == nil {
			continue
		}
		route := migration.LiveRoute{Name: value(r.Name)}
		if f := r.Properties; f != nil {
			route.AddressPrefix, route.NextHopIP = value(f.AddressPrefix), value(f.NextHopIPAddress)
			if f.NextHopType != nil {
				route.NextHopType = string(*f.NextHopType)
			}
		}
		table.Routes = append(table.Routes, route)
	}
	return table
}

// networkOf is the network mode of a network profile.
func networkOf(p *armcontainerservice.NetworkProfile) migration.Network {
	if p == nil {
		return migration.Network{}
	}
	n := migration.Network{PodCIDR: value(p.PodCidr)}
	if p.NetworkPlugin != nil {
		n.Plugin = string(*p.NetworkPlugin)
	}
	if p.NetworkPluginMode != nil {
		n.Mode = string(*p.NetworkPluginMode)
	}
	if p.NetworkDataplane != nil {
		n.Dataplane = string(*p.NetworkDataplane)
	}
	if p.NetworkPolicy != nil {
		n.Policy = string(*p.NetworkPolicy)
	}
	return n
}

// setNetwork changes in p the leaves set sets, and nothing else.
func setNetwork(p *armcontainerservice.NetworkProfile, set migration.Network) {
	if set.Plugin != "" {
		p.NetworkPlugin = to.Ptr(armcontainerservice.NetworkPlugin(set.Plugin))
	}
	if set.Mode != "" {
		p.NetworkPluginMode = to.Ptr(armcontainerservice.NetworkPluginMode(set.Mode))
	}
	if set.Dataplane != "" {
		p.NetworkDataplane = to.Ptr(armcontainerservice.NetworkDataplane(set.Dataplane))
	}
	if set.Policy != "" {
		p.NetworkPolicy = to.Ptr(armcontainerservice.NetworkPolicy(set.Policy))
	}
	if set.PodCIDR != "" {
		p.PodCidr = to.Ptr(set.PodCIDR)
		p.PodCidrs = []*string{to.Ptr(set.PodCIDR)}
	}
}

// Network reads the live cluster's network mode.
func (a *Azure) Network(ctx context.Context, s spec.Stack) (migration.Network, error) {
	got, err := a.clusters.Get(ctx, s.ResourceGroup.Name, s.Cluster.Name, nil)
	if err != nil {
		return migration.Network{}, fmt.Errorf("reading the cluster %s in %s: %w", s.Cluster.Name, s.ResourceGroup.Name, describe(err))
	}
	return clusterState(got.ManagedCluster).Network, nil
}

// StepResult is what Run did of one step.
type StepResult struct {
	// Step is the step.
	Step migration.Step
	// Skipped is true when the live cluster had taken it already.
	Skipped bool
	// Took is how long its update ran, from the PUT to the end of the
	// operation.
	Took time.Duration
}

// Run takes the steps in order on the stack's live cluster, each only when
// the cluster has not taken it already (a rerun resumes where the last run
// stopped), and writes each step's progress to out. It stops at the first
// step that fails, with an error that names it; the results of the steps
// before are returned with it.
func (a *Azure) Run(ctx context.Context, s spec.Stack, steps []migration.Step, out io.Writer) ([]StepResult, error) {
	var results []StepResult
	for i, step := range steps {
		res, err := a.runStep(ctx, s, step, fmt.Sprintf("step %d of %d", i+1, len(steps)), out)
		if err != nil {
			return results, fmt.Errorf("%s, %s: %w", fmt.Sprintf("step %d of %d", i+1, len(steps)), step.Title, err)
		}
		results = append(results, res)
	}
	return results, nil
}

// runStep takes one step: a GET of the whole cluster, the step's leaves
// changed, a PUT with the ETag read, polled to its end.
func (a *Azure) runStep(ctx context.Context, s spec.Stack, step migration.Step, label string, out io.Writer) (StepResult, error) {
	got, err := a.clusters.Get(ctx, s.ResourceGroup.Name, s.Cluster.Name, nil)
	if err != nil {
		return StepResult{}, fmt.Errorf("reading the cluster: %w", describe(err))
	}
	mc := got.ManagedCluster
	if mc.Properties == nil || mc.Properties.NetworkProfile == nil {
		return StepResult{}, errors.New("the cluster has no network profile")
	}
	if state := value(mc.Properties.ProvisioningState); state != "Succeeded" {
		return StepResult{}, fmt.Errorf("the cluster's provisioning state is %s, not Succeeded: wait for the operation that runs on it to end, or reconcile a failed one with az aks update --resource-group %s --name %s, then run this again",
			state, s.ResourceGroup.Name, s.Cluster.Name)
	}
	if step.Done(networkOf(mc.Properties.NetworkProfile)) {
		fmt.Fprintf(out, "%s, %s: taken already\n", label, step.Title)
		return StepResult{Step: step, Skipped: true}, nil
	}
	setNetwork(mc.Properties.NetworkProfile, step.Set)
	fmt.Fprintf(out, "%s, %s: updating the cluster\n", label, step.Title)
	start := time.Now()
	poller, err := a.clusters.BeginCreateOrUpdate(ctx, s.ResourceGroup.Name, s.Cluster.Name, mc,
		&armcontainerservice.ManagedClustersClientBeginCreateOrUpdateOptions{IfMatch: got.ETag})
	if err != nil {
		return StepResult{}, fmt.Errorf("AKS refused the update: %w", describe(err))
	}
	for !poller.Done() {
		if _, err := poller.Poll(ctx); err != nil {
			return StepResult{}, fmt.Errorf("polling the update: %w", describe(err))
		}
		if poller.Done() {
			break
		}
		fmt.Fprintf(out, "%s, %s: running for %s\n", label, step.Title, time.Since(start).Round(time.Second))
		select {
		case <-ctx.Done():
			return StepResult{}, fmt.Errorf("stopped while the update ran on in Azure: %w", ctx.Err())
		case <-time.After(a.PollEvery):
		}
	}
	res, err := poller.Result(ctx)
	if err != nil {
		return StepResult{}, fmt.Errorf("the update failed: %w", describe(err))
	}
	took := time.Since(start)
	if p := res.Properties; p == nil || value(p.ProvisioningState) != "Succeeded" {
		return StepResult{}, errors.New("the update ended, but the cluster is not Succeeded")
	}
	fmt.Fprintf(out, "%s, %s: done in %s\n", label, step.Title, took.Round(time.Millisecond))
	return StepResult{Step: step, Took: took}, nil
}

// describe turns an ARM error into its code and message, without the
// request and response dump the SDK's error text carries.
func describe(err error) error {
	var re *azcore.ResponseError
	if !errors.As(err, &re) {
		return err
	}
	if re.StatusCode == http.StatusPreconditionFailed {
		return fmt.Errorf("%s: the cluster changed since it was read (someone else updated it); run this again: %w", re.ErrorCode, errShort{re})
	}
	return errShort{re}
}

// errShort is an ARM error shown as its code, its message and its status.
type errShort struct{ re *azcore.ResponseError }

func (e errShort) Error() string {
	if msg := armMessage(e.re); msg != "" {
		return fmt.Sprintf("%s: %s (HTTP %d)", e.re.ErrorCode, msg, e.re.StatusCode)
	}
	return fmt.Sprintf("%s (HTTP %d)", e.re.ErrorCode, e.re.StatusCode)
}

// armMessage is the message of ARM's error body ({"error": {"code",
// "message"}}), or "".
func armMessage(re *azcore.ResponseError) string {
	if re.RawResponse == nil || re.RawResponse.Body == nil {
		return ""
	}
	body, err := io.ReadAll(re.RawResponse.Body)
	if err != nil {
		return ""
	}
	re.RawResponse.Body = io.NopCloser(bytes.NewReader(body))
	var doc struct {
		Error struct {
			Message string `json:"message"`
		} `json:"error"`
	}
	if json.Unmarshal(body, &doc) != nil {
		return ""
	}
	return doc.Error.Message
}

func (e errShort) Unwrap() error { return e.re }

func value(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

func number(p *int32) int {
	if p == nil {
		return 0
	}
	return int(*p)
}
