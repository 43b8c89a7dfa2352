// Package aksfacts holds what Azure, AKS and the azure-native provider fix,
// as plain Go values, each with its source: what a change replaces, what AKS
// cannot change on a pool, the names Azure cannot rename, the outbound rules
// AKS requires. It has no Pulumi types: the components build from these
// facts, and the preview, the offline plan and the simulated Azure compare
// with them, so each is written once.
package aksfacts

import (
	"fmt"
	"time"
)

// ClusterCreateOnlyInputs are the ManagedCluster inputs on which the
// azure-native v2 provider plans a replacement (deleting the cluster first)
// instead of an update, as its forceNewMap and schema mark them
// (willReplaceOnChanges): pulumi-azure-native provider/pkg/gen (forceNewMap,
// ContainerService ManagedCluster), with resourceGroupName and resourceName.
// The whole networkProfile is among them in v2 (only later releases
// narrowed it, pulumi-azure-native#4756). The simulated Azure of the engine
// tests asks for a replacement on exactly these.
var ClusterCreateOnlyInputs = []string{
	"resourceGroupName", "resourceName", "location", "dnsPrefix", "fqdnSubdomain", "diskEncryptionSetID",
	"linuxProfile", "networkProfile", "nodeResourceGroup", "windowsProfile",
}

// PoolCreateOnlyInputs are the AgentPool inputs on which the azure-native v2
// provider plans a replacement (deleting the pool first, its name being
// fixed) instead of an update: its forceNewMap for ContainerService AgentPool
// (pulumi-azure-native#3655), with the names. AKS refuses an in-place change
// of the other FixedPoolSettings. The simulated Azure of the engine tests
// replaces a pool on exactly these.
var PoolCreateOnlyInputs = []string{"resourceGroupName", "resourceName", "agentPoolName", "vmSize", "gpuInstanceProfile"}

// The network profile of an Azure CNI Overlay cluster, as ARM spells it:
// networkPlugin azure with networkPluginMode overlay
// (https://learn.microsoft.com/azure/aks/azure-cni-overlay).
const (
	NetworkPluginAzure       = "azure"
	NetworkPluginModeOverlay = "overlay"
)

// KubenetRetirement is the day AKS ends support for kubenet (aks-rules 8.1,
// https://learn.microsoft.com/azure/aks/configure-kubenet): a kubenet
// cluster should be on Azure CNI Overlay by then.
var KubenetRetirement = time.Date(2028, time.March, 31, 0, 0, 0, 0, time.UTC)

// DaysToKubenetRetirement is the whole days from the day of now to
// KubenetRetirement, 0 on and after it.
func DaysToKubenetRetirement(now time.Time) int {
	y, m, d := now.UTC().Date()
	today := time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	return max(0, int(KubenetRetirement.Sub(today).Hours()/24))
}

// KubenetRetirementNotice is what the preview and the plan say of a kubenet
// stack, days before KubenetRetirement.
func KubenetRetirementNotice(days int) string {
	return fmt.Sprintf("AKS retires kubenet on %s, %d days from today: move to Azure CNI Overlay (docs/overlay.md)",
		KubenetRetirement.Format(time.DateOnly), days)
}
