package plan

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/aks-kubenet/aks-kubenet/spec"
)

// A kubenet stack's plan counts the days to kubenet's retirement and points
// to Overlay; an Overlay stack's names its dataplane and the route table's
// user-defined routes only.
func TestNetworkLine(t *testing.T) {
	day := time.Date(2026, time.December, 7, 19, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		cluster spec.Cluster
		want    string
	}{
		{spec.Cluster{NetworkPlugin: spec.NetworkPluginKubenet},
			"Network: kubenet, a route per node in the route table; AKS retires kubenet on 2028-03-31, 480 days from today: move to Azure CNI Overlay (docs/overlay.md)\n"},
		{spec.Cluster{NetworkPlugin: spec.NetworkPluginOverlay, NetworkDataplane: spec.DataplaneCilium},
			"Network: Azure CNI Overlay, cilium dataplane; the route table holds only the user-defined routes (no per-node routes)\n"},
	} {
		var b bytes.Buffer
		writeNetworkText(&b, networkOf(c.cluster, day))
		if b.String() != c.want {
			t.Errorf("%s: %q, want %q", c.cluster.NetworkPlugin, b.String(), c.want)
		}
	}
	n := networkOf(spec.Cluster{NetworkPlugin: spec.NetworkPluginKubenet}, time.Date(2028, time.April, 1, 0, 0, 0, 0, time.UTC))
	if n.DaysLeft == nil || *n.DaysLeft != 0 || !strings.HasPrefix(n.Retires, "2028-03-31") {
		t.Errorf("after the retirement: %+v, want 0 days left", n)
	}
}
