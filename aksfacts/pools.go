package aksfacts

import (
	"cmp"
	"fmt"
	"strings"

	"github.com/aks-kubenet/aks-kubenet/spec"
)

// FixedPoolSetting is a pool setting AKS cannot change on an existing pool
// (https://learn.microsoft.com/azure/aks/manage-node-pools#limitations).
type FixedPoolSetting struct {
	// Path is its config path, spec.PathPoolsVMSize.
	Path string
	// What names it in messages: "VM size".
	What string
	// Replaces is true when the provider replaces the pool on a change
	// (PoolCreateOnlyInputs); otherwise AKS refuses the update.
	Replaces bool
	// Value is the setting of a pool, "" for none.
	Value func(spec.Pool) string
}

// FixedPoolSettings are the settings AKS cannot change on a pool in place,
// in the order the summaries list them: the preview (a deployed pool's
// summary against PoolSummary) and the plan's -base compare them.
var FixedPoolSettings = []FixedPoolSetting{
	{spec.PathPoolsVMSize, "VM size", true, func(p spec.Pool) string { return p.VMSize }},
	{spec.PathPoolsZones, "availability zones", false, func(p spec.Pool) string { return strings.Join(p.Zones, ",") }},
	{spec.PathPoolsMaxPods, "pods per node", false, func(p spec.Pool) string {
		if p.MaxPods == nil {
			return ""
		}
		return fmt.Sprint(*p.MaxPods)
	}},
	{spec.PathPoolsOSSku, "OS SKU", false, func(p spec.Pool) string { return p.OSSku }},
	// AKS returns no priority for a Regular pool.
	{spec.PathPoolsPriority, "priority", false, func(p spec.Pool) string { return cmp.Or(p.Priority, spec.PriorityRegular) }},
}

// PoolSummary is the summary of a pool's FixedPoolSettings, which the
// preview compares with a deployed pool's: "vmSize=Standard_D4s_v5
// zones=1,2,3 maxPods=110 osSku=Ubuntu priority=Regular".
func PoolSummary(p spec.Pool) string {
	fields := make([]string, len(FixedPoolSettings))
	for i, s := range FixedPoolSettings {
		fields[i] = s.Field() + "=" + s.Value(p)
	}
	return strings.Join(fields, " ")
}

// Field is the setting's key in an aks-kubenet:pools entry: "vmSize".
func (s FixedPoolSetting) Field() string { return spec.Leaf(s.Path) }
