package plan

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/aks-kubenet/aks-kubenet/spec"
	"github.com/aks-kubenet/aks-kubenet/stackfile"
)

// Base is what -base found: the project's stacks compared with the same stacks
// in another checkout of the project, the base of a pull request.
type Base struct {
	// Dir is the base checkout.
	Dir string `json:"dir"`
	// Compared are the stacks in both checkouts; New those only in the
	// project, which have nothing to rename.
	Compared []string `json:"compared"`
	New      []string `json:"new"`
	// NotCompared are the stacks in both whose config does not load on one
	// side, each as "NAME: why"; the program refuses such a config, so it has
	// deployed nothing with it.
	NotCompared []string `json:"notCompared"`
	// Renames are the findings, by stack: each name the stack gives a resource
	// that differs from the base's.
	Renames map[string][]string `json:"-"`
}

// count is the number of renames in all stacks.
func (b *Base) count() int {
	if b == nil {
		return 0
	}
	n := 0
	for _, r := range b.Renames {
		n += len(r)
	}
	return n
}

// renamesOf returns the renames of stack, none without -base.
func (b *Base) renamesOf(stack string) []string {
	if b == nil {
		return nil
	}
	return b.Renames[stack]
}

// renamable is one name a stack gives a resource Azure cannot rename.
type renamable struct {
	// change is what the stack does, after "stack prod ": "renames the route table".
	change string
	// key is the config key of the name, with the project namespace when it
	// is a top-level key; groupKey means the stack's ResourceGroupKey.
	key string
	// value is the name the stack gives, its default applied.
	value func(spec.Stack) string
	// cannot is why the change replaces, replaced what Pulumi re-creates.
	cannot, replaced string
	// from says where the default comes from, for "(default, from ...)".
	from string
}

const groupKey = ""

// renamables are the names -base compares, in the order it reports them.
var renamables = []renamable{
	{"renames the resource group", groupKey, func(s spec.Stack) string { return s.ResourceGroup.Name },
		"Azure cannot rename", "it (and everything in it)", "from the stack name"},
	{"renames the VNet", "network.vnetName", func(s spec.Stack) string { return s.Network.VnetName },
		"Azure cannot rename", "it (and everything in it)", "from the stack name"},
	{"renames the node subnet", "network.subnetName", func(s spec.Stack) string { return s.Network.SubnetName },
		"Azure cannot rename", "it (and everything in it)", "from the stack name"},
	{"renames the route table", "network.routeTableName", func(s spec.Stack) string { return s.Network.RouteTableName },
		"Azure cannot rename", "it (and everything in it)", "from the stack name"},
	{"renames the AKS cluster", "cluster.name", func(s spec.Stack) string { return s.Cluster.Name },
		"Azure cannot rename", "it (and everything in it)", "from the stack name"},
	{"renames the cluster identity", "cluster.identityName", func(s spec.Stack) string { return s.Cluster.IdentityName },
		"Azure cannot rename", "it (and its role assignments)", "from cluster.name"},
	{"changes the AKS cluster's DNS prefix", "cluster.dnsPrefix", func(s spec.Stack) string { return s.Cluster.DNSPrefix },
		"AKS cannot change it on a cluster", "the cluster (and everything in it)", "from cluster.name"},
	{"renames the cluster's node resource group", "cluster.nodeResourceGroup", nodeResourceGroup,
		"AKS cannot change it on a cluster", "the cluster (and everything in it)", "AKS's MC_<group>_<cluster>_<location>"},
	{"renames the Log Analytics workspace", "cluster.monitoring.workspaceName", func(s spec.Stack) string { return s.Cluster.WorkspaceName() },
		"Azure cannot rename", "it (and lose the logs in it)", "from cluster.name"},
}

// nodeResourceGroup is the cluster's node resource group: the configured one,
// or the one AKS names when none is (MC_<group>_<cluster>_<location>).
func nodeResourceGroup(s spec.Stack) string {
	if s.Cluster.NodeResourceGroup != "" {
		return s.Cluster.NodeResourceGroup
	}
	return fmt.Sprintf("MC_%s_%s_%s", s.ResourceGroup.Name, s.Cluster.Name, s.Location)
}

// checkBaseDir returns an InputError when baseDir holds no project.
func checkBaseDir(baseDir string) error {
	if _, err := os.Stat(filepath.Join(baseDir, "Pulumi.yaml")); err != nil {
		return InputError{fmt.Errorf("-base %s: no Pulumi.yaml there: want a checkout of the project at the base of the change, such as git worktree add /tmp/base origin/main", baseDir)}
	}
	return nil
}

// compareBase compares the stacks planned from the project in dir with the
// same stacks in baseDir, which checkBaseDir accepted. A base stack file it
// cannot read is not compared, and is among the returned unreadable errors,
// each naming the file.
func compareBase(baseDir, dir string, stacks []Stack) (b *Base, unreadable []error) {
	b = &Base{Dir: baseDir, Compared: []string{}, New: []string{}, NotCompared: []string{}, Renames: map[string][]string{}}
	for _, s := range stacks {
		if _, err := os.Stat(filepath.Join(baseDir, "Pulumi."+s.Stack+".yaml")); errors.Is(err, os.ErrNotExist) {
			b.New = append(b.New, s.Stack)
			continue
		}
		old, baseSet, err := loadNames(baseDir, s.Stack)
		if errors.As(err, new(InputError)) {
			unreadable = append(unreadable, fmt.Errorf("-base: %w", err))
			b.NotCompared = append(b.NotCompared, fmt.Sprintf("%s: %v", s.Stack, err))
			continue
		}
		if err != nil {
			b.NotCompared = append(b.NotCompared, fmt.Sprintf("%s: the base config does not load: %s", s.Stack, firstLine(err)))
			continue
		}
		head, headSet, err := loadNames(dir, s.Stack)
		if err != nil {
			b.NotCompared = append(b.NotCompared, fmt.Sprintf("%s: the config does not load: %s", s.Stack, firstLine(err)))
			continue
		}
		b.Compared = append(b.Compared, s.Stack)
		if r := renames(s.Stack, old, head, baseSet, headSet); len(r) > 0 {
			b.Renames[s.Stack] = r
		}
	}
	return b, unreadable
}

// renames returns a finding for each name that stack gives a resource in head
// but not in base, in the order of renamables. baseSet and headSet report
// whether a key is set in each config, rather than defaulted.
func renames(stack string, base, head spec.Stack, baseSet, headSet func(key string) bool) []string {
	var out []string
	for _, r := range renamables {
		old, now := r.value(base), r.value(head)
		if old == now || old == "" || now == "" { // "": no such resource on one side
			continue
		}
		if r.key == "cluster.nodeResourceGroup" && base.Cluster.NodeResourceGroup == "" && head.Cluster.NodeResourceGroup == "" {
			// AKS's own name follows the group and cluster, whose renames are
			// findings of their own, and the location (not a name: -base does
			// not compare it).
			continue
		}
		oldKey, newKey := r.key, r.key
		if r.key == groupKey {
			oldKey, newKey = base.ResourceGroupKey, head.ResourceGroupKey
		}
		change := fmt.Sprintf("%s %s -> %s", oldKey, old+r.defaulted(baseSet(oldKey)), now+r.defaulted(headSet(newKey)))
		if oldKey != newKey {
			change = fmt.Sprintf("%s %s -> %s %s", oldKey, old+r.defaulted(baseSet(oldKey)), newKey, now+r.defaulted(headSet(newKey)))
		}
		out = append(out, fmt.Sprintf("stack %s %s: %s. %s; Pulumi would delete and re-create %s, and a protected resource makes pulumi up refuse: see the README's 'Changing a stack'",
			stack, r.change, change, r.cannot, r.replaced))
	}
	return out
}

// defaulted marks a name its key does not set: " (default, from cluster.name)".
func (r renamable) defaulted(set bool) string {
	if set {
		return ""
	}
	return " (default, " + r.from + ")"
}

// loadNames reads the stack's config from the project in dir as the program
// would, and returns it with the function that tells a key set in the stack
// file from a defaulted one. It returns an InputError when the stack file
// cannot be read, and the structural errors of spec.Load otherwise.
func loadNames(dir, stack string) (spec.Stack, func(key string) bool, error) {
	cfg, err := stackfile.Read(dir, stack)
	if err != nil {
		return spec.Stack{}, nil, InputError{err}
	}
	for _, path := range cfg.Secure {
		if path == spec.KeySSHPublicKey {
			cfg.Values[path] = Secret
		}
	}
	s, err := spec.Load(stack, func(key string) (string, bool) {
		v, ok := cfg.Values[key]
		return v, ok
	})
	return s, func(key string) bool { return isSet(cfg.Values, key) }, err
}

// isSet reports whether the config values set key: a top-level key
// ("aks-kubenet:resourceGroupName") or a field of a config object
// ("network.vnetName", "aks-kubenet:resourceGroup.name", "cluster.monitoring.workspaceName").
func isSet(values map[string]string, key string) bool {
	if !strings.Contains(key, ":") {
		key = spec.Project + ":" + key
	}
	top, path, nested := strings.Cut(key, ".")
	raw, ok := values[top]
	if !nested || !ok {
		return ok
	}
	value := json.RawMessage(raw)
	for field := range strings.SplitSeq(path, ".") {
		var fields map[string]json.RawMessage
		if json.Unmarshal(value, &fields) != nil {
			return false
		}
		if value, ok = fields[field]; !ok {
			return false
		}
	}
	return true
}

// firstLine is the first line of err's text, for a one-line summary of
// spec.Load's joined errors.
func firstLine(err error) string {
	text, _, _ := strings.Cut(err.Error(), "\n")
	return text
}
