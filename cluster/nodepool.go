package cluster

import (
	"slices"
	"time"

	containerservice "github.com/pulumi/pulumi-azure-native-sdk/containerservice/v2/v20240901"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/aks-kubenet/aks-kubenet/aksfacts"
	"github.com/aks-kubenet/aks-kubenet/spec"
)

// NodePoolArgs configures a NodePool.
type NodePoolArgs struct {
	// ResourceGroupName is the cluster's resource group.
	ResourceGroupName pulumi.StringInput
	// Cluster is the managed cluster the pool joins; the pool depends on it.
	Cluster *containerservice.ManagedCluster
	// SubnetID is the cluster's node subnet: with kubenet every pool's nodes
	// are in it, because AKS writes each node's pod route into the one route
	// table associated with it (aks-rules 1.7; a pool in another subnet would
	// need that subnet on the same route table).
	SubnetID pulumi.StringInput
	// Pool is the validated aks-kubenet:pools entry, with spec.Defaults
	// applied.
	Pool spec.Pool
	// Cluster config, for the Kubernetes version and the upgrade channel.
	ClusterConfig spec.Cluster
	// Tags are applied to the pool.
	Tags pulumi.StringMapInput
	// Protect protects the pool: a change that would replace it (its VM
	// size) fails instead of deleting it.
	Protect bool
	// After is the pool created (and updated) before this one, nil for the
	// first: AKS refuses an operation on a pool while another pool's runs
	// (409 OperationNotAllowed, which azure-native does not retry), so the
	// pools go one after the other, in config order.
	After pulumi.Resource
}

// OperationTimeout bounds each create, update and delete of the cluster
// and of a pool, below the up job's timeout in deploy.yml (a test checks):
// when AKS takes longer, the provider's own deadline ends the operation and
// the engine records the resource with its init errors, which the next up
// updates; a runner killed first would leave a pending create and a stale
// lock instead (faults.md §1.3, §2.2).
const OperationTimeout = 90 * time.Minute

// OperationTimeouts is OperationTimeout as the resource option of the
// cluster and its pools.
func OperationTimeouts() pulumi.ResourceOption {
	t := OperationTimeout.String()
	return pulumi.Timeouts(&pulumi.CustomTimeouts{Create: t, Update: t, Delete: t})
}

// NodePool is a user node pool of the cluster, an AgentPool of its own
// beside the inline system pool, as the azure-native maintainers advise for
// every pool but one small, stable system pool (pulumi-azure-native#2774).
type NodePool struct {
	pulumi.ResourceState

	// AgentPool is the pool.
	AgentPool *containerservice.AgentPool
}

// NewNodePool registers the pool as the child of a component of type
// aks-kubenet:cluster:NodePool named "pool-<name>". The pool's name is part of
// every logical name, so that renaming a pool in config creates a new pool
// and deletes the old one, the safe way to change what AKS cannot change on a
// pool (its VM size, zones, maxPods, OS or priority): a replacement under the
// same name would delete the pool first.
func NewNodePool(ctx *pulumi.Context, args NodePoolArgs, opts ...pulumi.ResourceOption) (*NodePool, error) {
	p := args.Pool
	name := "pool-" + p.Name
	np := &NodePool{}
	if err := ctx.RegisterComponentResource("aks-kubenet:cluster:NodePool", name, np, opts...); err != nil {
		return nil, err
	}
	pool := &containerservice.AgentPoolArgs{
		ResourceGroupName:   args.ResourceGroupName,
		ResourceName:        args.Cluster.Name,
		AgentPoolName:       pulumi.String(p.Name),
		Mode:                pulumi.String(p.Mode),
		OsType:              pulumi.String("Linux"),
		OsSKU:               pulumi.String(p.OSSku),
		Type:                pulumi.String("VirtualMachineScaleSets"), // required by userDefinedRouting, aks-rules 5.1
		VmSize:              pulumi.String(p.VMSize),
		Count:               pulumi.IntPtrFromPtr(p.NodeCount),
		MaxPods:             pulumi.IntPtrFromPtr(p.MaxPods),
		VnetSubnetID:        args.SubnetID,
		OrchestratorVersion: optional(args.ClusterConfig.KubernetesVersion),
		AvailabilityZones:   zones(p.Zones),
		UpgradeSettings:     &containerservice.AgentPoolUpgradeSettingsArgs{MaxSurge: pulumi.String(string(p.MaxSurge))},
		NodeTaints:          taints(p),
		Tags:                args.Tags,
	}
	if len(p.Labels) > 0 {
		pool.NodeLabels = pulumi.ToStringMap(p.Labels)
	}
	if p.Autoscaling() {
		pool.EnableAutoScaling = pulumi.Bool(true)
		pool.MinCount = pulumi.IntPtrFromPtr(p.MinCount)
		pool.MaxCount = pulumi.IntPtrFromPtr(p.MaxCount)
	}
	if p.Spot() {
		pool.ScaleSetPriority = pulumi.String(spec.PrioritySpot)
		pool.ScaleSetEvictionPolicy = pulumi.String(p.EvictionPolicy)
		pool.SpotMaxPrice = pulumi.Float64PtrFromPtr(p.SpotMaxPrice)
	}
	after := []pulumi.Resource{args.Cluster}
	if args.After != nil {
		after = append(after, args.After)
	}
	agentPool, err := containerservice.NewAgentPool(ctx, name+"-agentpool", pool,
		pulumi.Parent(np), pulumi.DependsOn(after), OperationTimeouts(),
		pulumi.IgnoreChanges(PoolIgnoredChanges(p, args.ClusterConfig)), pulumi.Protect(args.Protect))
	if err != nil {
		return nil, err
	}
	np.AgentPool = agentPool
	return np, ctx.RegisterResourceOutputs(np, pulumi.Map{"name": agentPool.Name, "immutable": PoolImmutables(agentPool)})
}

// PoolIgnoredChanges are the pool properties that change without the
// program: the count when the autoscaler owns it; the version when the
// cluster's is AKS's (see IgnoredChanges); and, on a Spot pool, the label AKS
// adds itself (kubernetes.azure.com/scalesetpriority), which a refresh would
// otherwise turn into a diff.
func PoolIgnoredChanges(p spec.Pool, c spec.Cluster) []string {
	var ignore []string
	if p.Autoscaling() {
		ignore = append(ignore, "count")
	}
	if versionIgnored(c) {
		ignore = append(ignore, "orchestratorVersion")
	}
	if p.Spot() {
		ignore = append(ignore, `nodeLabels["kubernetes.azure.com/scalesetpriority"]`)
	}
	return ignore
}

// taints are the pool's taints, with the one AKS puts on every Spot pool
// (spec.SpotTaint) added when missing, so that the pool as AKS returns it
// matches the config.
func taints(p spec.Pool) pulumi.StringArrayInput {
	t := slices.Clone(p.Taints)
	if p.Spot() && !slices.Contains(t, spec.SpotTaint) {
		t = append(t, spec.SpotTaint)
	}
	if len(t) == 0 {
		return nil
	}
	return pulumi.ToStringArray(t)
}

// PoolImmutables is a deployed pool's summary of its aksfacts.FixedPoolSettings.
// The preview compares it with the config's (aksfacts.PoolSummary) to call out such
// a change before pulumi up runs into it.
func PoolImmutables(pool *containerservice.AgentPool) pulumi.StringOutput {
	return pulumi.All(pool.VmSize, pool.AvailabilityZones, pool.MaxPods, pool.OsSKU, pool.ScaleSetPriority).ApplyT(func(v []any) string {
		deref := func(s *string) string {
			if s == nil {
				return ""
			}
			return *s
		}
		return aksfacts.PoolSummary(spec.Pool{
			VMSize: deref(v[0].(*string)), Zones: v[1].([]string), MaxPods: v[2].(*int),
			OSSku: deref(v[3].(*string)), Priority: deref(v[4].(*string)),
		})
	}).(pulumi.StringOutput)
}
