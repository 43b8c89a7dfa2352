package plan

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/aks-kubenet/aks-kubenet/aksfacts"
	"github.com/aks-kubenet/aks-kubenet/internal/stackfile"
	"github.com/aks-kubenet/aks-kubenet/spec"
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
	// Renames are findings, by stack: each name the stack gives a resource
	// that differs from the base's.
	Renames map[string][]string `json:"-"`
	// PoolChanges are findings too, by stack: each change of what AKS cannot
	// change on a pool (aksfacts.FixedPoolSettings) of a user pool in both
	// checkouts, matched by name.
	PoolChanges map[string][]string `json:"-"`
	// Pools are, by stack, the user pools in only one checkout, matched by
	// name: a renamed pool is a new pool and a removed one, the way to change
	// what AKS cannot change on a pool. Not findings.
	Pools map[string]PoolDiff `json:"-"`
}

// PoolDiff is the user pools (aks-kubenet:pools) a stack adds and removes
// against its base, in config order.
type PoolDiff struct {
	Added   []string `json:"added"`
	Removed []string `json:"removed"`
}

// findingsOf returns the findings of stack, its renames then its pool
// changes; none without -base.
func (b *Base) findingsOf(stack string) []string {
	if b == nil {
		return nil
	}
	return slices.Concat(b.Renames[stack], b.PoolChanges[stack])
}

// renamesOf returns the renames of stack, none without -base.
func (b *Base) renamesOf(stack string) []string {
	if b == nil {
		return nil
	}
	return b.Renames[stack]
}

// poolChangesOf returns the pool changes of stack, none without -base.
func (b *Base) poolChangesOf(stack string) []string {
	if b == nil {
		return nil
	}
	return b.PoolChanges[stack]
}

// poolsOf returns the pools stack adds and removes; nil without -base or
// when it adds and removes none.
func (b *Base) poolsOf(stack string) *PoolDiff {
	if b == nil {
		return nil
	}
	if d, ok := b.Pools[stack]; ok {
		return &d
	}
	return nil
}

// poolDefaultFrom says where a fixed pool setting's default comes from, for
// "(default, ...)"; a setting not listed defaults to a constant.
var poolDefaultFrom = map[string]string{spec.PathPoolsVMSize: "from " + spec.PathClusterVMSize}

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
	b = &Base{Dir: baseDir, Compared: []string{}, New: []string{}, NotCompared: []string{},
		Renames: map[string][]string{}, PoolChanges: map[string][]string{}, Pools: map[string]PoolDiff{}}
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
		changes, diff := comparePools(s.Stack, old, head, baseSet, headSet)
		if len(changes) > 0 {
			b.PoolChanges[s.Stack] = changes
		}
		if len(diff.Added)+len(diff.Removed) > 0 {
			b.Pools[s.Stack] = diff
		}
	}
	return b, unreadable
}

// renames returns a finding for each name that stack gives a resource in head
// but not in base, in the order of aksfacts.Names. baseSet and headSet
// report whether a key is set in each config, rather than defaulted.
func renames(stack string, base, head spec.Stack, baseSet, headSet func(key string) bool) []string {
	var out []string
	for _, n := range aksfacts.Names {
		old, now := n.Value(base), n.Value(head)
		if old == now || old == "" || now == "" { // "": no such resource on one side
			continue
		}
		if n.Follows != nil && n.Follows(base) && n.Follows(head) {
			// A default that follows other names (AKS's node resource group
			// follows the group, the cluster and the location): their renames
			// are findings of their own, and the location is not a name
			// -base compares.
			continue
		}
		oldKey, newKey := n.Key(base), n.Key(head)
		change := fmt.Sprintf("%s %s -> %s", oldKey, old+defaulted(n, baseSet(oldKey)), now+defaulted(n, headSet(newKey)))
		if oldKey != newKey {
			change = fmt.Sprintf("%s %s -> %s %s", oldKey, old+defaulted(n, baseSet(oldKey)), newKey, now+defaulted(n, headSet(newKey)))
		}
		out = append(out, fmt.Sprintf("stack %s %s: %s. %s; Pulumi would delete and re-create %s, and a protected resource makes pulumi up refuse: see docs/operations.md, 'Changing a stack'",
			stack, n.Change, change, n.Cannot, n.Replaced))
	}
	return out
}

// comparePools matches the user pools of stack in base and head by name. It
// returns a finding for each setting AKS cannot change on a pool
// (aksfacts.FixedPoolSettings) that differs between a pool in both, in head's
// order of pools and the settings' order, and the pools only in head
// (added) and only in base (removed). baseSet and headSet report whether a
// key is set in each config, rather than defaulted.
func comparePools(stack string, base, head spec.Stack, baseSet, headSet func(key string) bool) ([]string, PoolDiff) {
	index := func(pools []spec.Pool) map[string]int {
		byName := map[string]int{}
		for i, p := range pools {
			if _, dup := byName[p.Name]; !dup { // a duplicate is rule 16's error
				byName[p.Name] = i
			}
		}
		return byName
	}
	inBase, inHead := index(base.Pools), index(head.Pools)
	var out []string
	diff := PoolDiff{Added: []string{}, Removed: []string{}}
	for i, p := range head.Pools {
		j, ok := inBase[p.Name]
		switch {
		case !ok:
			diff.Added = append(diff.Added, p.Name)
			continue
		case inHead[p.Name] != i:
			continue // a duplicate
		}
		for _, im := range aksfacts.FixedPoolSettings {
			old, now := im.Value(base.Pools[j]), im.Value(p)
			if old == now {
				continue
			}
			oldKey, newKey := spec.At(im.Path, j), spec.At(im.Path, i)
			change := fmt.Sprintf("%s %s -> %s", oldKey, shownPoolSetting(im.Path, old, baseSet(oldKey)), shownPoolSetting(im.Path, now, headSet(newKey)))
			if oldKey != newKey {
				change = fmt.Sprintf("%s %s -> %s %s", oldKey, shownPoolSetting(im.Path, old, baseSet(oldKey)), newKey, shownPoolSetting(im.Path, now, headSet(newKey)))
			}
			consequence := " and refuses the update, so pulumi up fails"
			if im.Replaces {
				consequence = "; Pulumi would delete and re-create the pool (and the pods on its nodes), and a protected pool makes pulumi up refuse"
			}
			out = append(out, fmt.Sprintf("stack %s changes pool %s's %s: %s. AKS cannot change it on a pool%s: add a pool under a new name instead, move the workloads, then remove this one: see docs/node-pools.md, 'Changing a pool'",
				stack, p.Name, im.What, change, consequence))
		}
	}
	for _, p := range base.Pools {
		if _, ok := inHead[p.Name]; !ok && !slices.Contains(diff.Removed, p.Name) {
			diff.Removed = append(diff.Removed, p.Name)
		}
	}
	return out, diff
}

// shownPoolSetting is the value of a fixed pool setting (its Path) as a
// finding shows it: "none" for no value, marked " (default, ...)" when its
// key is not set.
func shownPoolSetting(path, value string, set bool) string {
	if value == "" {
		value = "none"
	}
	if set {
		return value
	}
	if from, ok := poolDefaultFrom[path]; ok {
		return value + " (default, " + from + ")"
	}
	return value + " (default)"
}

// defaulted marks a name its key does not set: " (default, from cluster.name)".
func defaulted(n aksfacts.Name, set bool) string {
	if set {
		return ""
	}
	return " (default, " + n.From + ")"
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
	s, err := spec.Load(stack, cfg.Get)
	return s, func(key string) bool { return isSet(cfg.Values, key) }, err
}

// isSet reports whether the config values set key: a top-level key
// ("aks-kubenet:resourceGroupName"), a field of a config object
// ("network.vnetName", "aks-kubenet:resourceGroup.name", "cluster.monitoring.workspaceName")
// or of an entry of a config list ("pools[1].vmSize").
func isSet(values map[string]string, key string) bool {
	if !strings.Contains(key, ":") {
		key = spec.Project + ":" + key
	}
	top, path, nested := strings.Cut(key, ".")
	top, index, indexed := strings.Cut(top, "[")
	raw, ok := values[top]
	if !ok {
		return false
	}
	value := json.RawMessage(raw)
	if indexed {
		var items []json.RawMessage
		i, err := strconv.Atoi(strings.TrimSuffix(index, "]"))
		if err != nil || json.Unmarshal(value, &items) != nil || i < 0 || i >= len(items) {
			return false
		}
		value = items[i]
	}
	if !nested {
		return true
	}
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
