package rules

import (
	"strings"
	"testing"
)

// A system pool VM size whose name says fewer than 2 vCPUs is warned about,
// naming the minimum and AKS's code; 2 vCPUs and a name that says none are
// not (aks-rules 2.11). It is never a refusal: the memory is not known.
func TestSystemPoolSize(t *testing.T) {
	for size, warned := range map[string]bool{
		"Standard_B1s": true, "Standard_A1_v2": true, "Standard_DS1_v2": true,
		"Standard_B2s": false, "Standard_D4s_v5": false, "Custom_Size": false,
	} {
		s := base()
		s.Cluster.VMSize = size
		r := Check(s)
		got := false
		for _, w := range r.Warnings {
			if strings.Contains(w.Message, "cluster.vmSize "+size+" has 1 vCPU by its name: AKS takes a system pool only on a VM size of at least 2 vCPUs and 4 GB of memory, and refuses a smaller one with SystemPoolSkuTooLow") {
				got = true
			}
		}
		if got != warned {
			t.Errorf("%s: warned %t, want %t (warnings %v)", size, got, warned, r.Warnings)
		}
		for _, e := range r.Errors {
			if strings.Contains(e.Message, "vCPU") {
				t.Errorf("%s: refused: %s", size, e)
			}
		}
	}
}
