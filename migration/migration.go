// Package migration is the pure logic of the in-place move of a deployed
// kubenet stack to Azure CNI Overlay (cmd/migrate): the target of the move
// (Target), the stack config after it (Migrated, Rewrite), the checks
// before it, offline on the stack's config (Preflight, Infos) and live on
// what Azure reports (LivePreflight), and the ARM updates that make it
// (Plan, Step, AzCommands).
//
// It has no Pulumi and no Azure SDK imports: the command reads Azure and
// fills Live, and this package decides. Rule numbers in comments and
// messages ("aks-rules 11.5") refer to docs/aks-rules.md, section 11 for
// the move itself.
package migration

import (
	"fmt"
	"strings"

	"github.com/aks-kubenet/aks-kubenet/rules"
)

// The command's flags that findings name when the value came from one, as
// Finding.Keys does with config paths.
const (
	FlagPodCIDR   = "-pod-cidr"
	FlagDataplane = "-network-dataplane"
	FlagPolicy    = "-network-policy"
)

// Report is what a preflight finds: rules.Report's errors, which refuse the
// move, and warnings, which do not, plus Infos, facts a person should know
// before the move (its cost, what it removes). Preflight returns the
// offline errors and warnings as a rules.Report and Infos the offline
// infos; LivePreflight returns a Report of the live ones.
type Report struct {
	rules.Report
	Infos []rules.Finding
}

// finding is a Finding without a code.
func finding(keys []string, format string, args ...any) rules.Finding {
	return rules.Finding{Keys: keys, Message: fmt.Sprintf(format, args...)}
}

// coded is a Finding with the AKS error code it spares.
func coded(code string, keys []string, format string, args ...any) rules.Finding {
	f := finding(keys, format, args...)
	f.Code = code
	return f
}

// list returns the items as an English list: "a", "a and b", "a, b and c".
func list(items []string) string {
	if len(items) < 2 {
		return strings.Join(items, "")
	}
	return strings.Join(items[:len(items)-1], ", ") + " and " + items[len(items)-1]
}
