package aksfacts

import (
	"regexp"
	"strconv"
)

// MinSystemPoolVCPUs is the least vCPUs of a system pool's VM size: "System
// node pools require a VM SKU of at least 2 vCPUs and 4 GB memory"
// (https://learn.microsoft.com/azure/aks/use-system-pools#system-and-user-node-pools;
// aks-rules 2.11). AKS refuses a smaller one with SystemPoolSkuTooLow.
const MinSystemPoolVCPUs = 2

// vmSizeCPUs matches a VM size's name up to its vCPU count: the family
// letters after Standard_, then the count, "Standard_D4s_v5".
var vmSizeCPUs = regexp.MustCompile(`(?i)^(?:Standard_|Basic_)?[A-Z]+(\d+)`)

// VCPUs returns the vCPUs a VM size's name says, 4 for Standard_D4s_v5; ok
// is false when the name says none. A constrained-vCPU size
// (Standard_E64-16s_v5, 16 vCPUs) reads as its family's count, 64: Azure's
// naming puts the constrained count after the dash.
func VCPUs(vmSize string) (n int, ok bool) {
	m := vmSizeCPUs.FindStringSubmatch(vmSize)
	if m == nil {
		return 0, false
	}
	n, err := strconv.Atoi(m[1])
	return n, err == nil && n > 0
}
