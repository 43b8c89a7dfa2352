package tests

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/aks-kubenet/aks-kubenet/spec"
)

// The config paths are declared once, in spec/keys.go and spec/paths.go
// (spec.Paths): the code names them by their constants, spec.At and
// spec.Index, and docs/config.md and Pulumi.yaml are checked against them
// here.

// pathsDeclaredIn are the files that declare the config paths, and
// pathsScanSkips the directories whose code does not read the config: the
// linters' module and the Azure simulator.
var (
	pathsDeclaredIn = []string{"spec/keys.go", "spec/paths.go"}
	pathsScanSkips  = []string{".git", "tools", "internal/azuresim"}
)

// configPathPattern matches a text that spells a config path: a top-level
// object of spec.Paths followed by "[" or by "." and one of its keys
// ("network.vnetCidr", "pools[%d].maxCount", "cluster.maintenanceWindow.day",
// "aks-kubenet:pools[0]"), and not inside a longer word: "network" alone,
// "the cluster's", "svc.cluster.local", a URL's /network/ and
// "azure-native:network:..." do not match.
func configPathPattern() *regexp.Regexp {
	fields := map[string][]string{} // top-level object -> its keys
	var tops []string
	for _, p := range spec.Paths() {
		top, rest, ok := cutTop(p.Path)
		if !ok {
			continue
		}
		if _, seen := fields[top]; !seen {
			tops = append(tops, top)
		}
		field, _, _ := strings.Cut(strings.TrimPrefix(strings.TrimPrefix(rest, "[]"), "."), ".")
		field = strings.TrimSuffix(field, "[]")
		if !slices.Contains(fields[top], field) {
			fields[top] = append(fields[top], field)
		}
	}
	alts := make([]string, len(tops))
	for i, top := range tops {
		alts[i] = regexp.QuoteMeta(top) + `(?:\[|\.(?:` + strings.Join(fields[top], "|") + `)\b)`
	}
	return regexp.MustCompile(`(?:^|[^A-Za-z0-9_.:/-]|` + regexp.QuoteMeta(spec.Project) + `:)(?:` + strings.Join(alts, "|") + `)`)
}

// cutTop splits a path of spec.Paths inside a top-level object into the
// object's name and the rest ("network", ".routes[].name"); ok is false for a
// top-level key.
func cutTop(path string) (top, rest string, ok bool) {
	i := strings.IndexAny(path, ".[")
	if i < 0 {
		return path, "", false
	}
	return path[:i], path[i:], true
}

// leafOf is the last key of a path of spec.Paths: "name" for
// network.routes[].name.
func leafOf(path string) string {
	return strings.TrimSuffix(path[strings.LastIndex(path, ".")+1:], "[]")
}

// pathLiterals returns the string literals of Go source src that spell a
// config path, each as "file:line: literal".
func pathLiterals(t *testing.T, name string, src []byte, pattern *regexp.Regexp) []string {
	t.Helper()
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, name, src, parser.SkipObjectResolution)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	var out []string
	ast.Inspect(f, func(n ast.Node) bool {
		lit, ok := n.(*ast.BasicLit)
		if !ok || lit.Kind != token.STRING {
			return true
		}
		if s, err := strconv.Unquote(lit.Value); err == nil && pattern.MatchString(s) {
			out = append(out, fmt.Sprintf("%s: %s", fset.Position(lit.Pos()), lit.Value))
		}
		return true
	})
	return out
}

// The matcher flags a path however it is written, and leaves other text
// alone.
func TestConfigPathPattern(t *testing.T) {
	pattern := configPathPattern()
	for _, c := range []struct {
		text string
		want bool
	}{
		{"network.vnetCidr", true},
		{"cluster.vmSize is missing: set the nodes' VM size, such as %s", true},
		{"%s %s is not inside hub.addressSpace %s", true},
		{"pools[%d].%s", true},
		{"pools[1].vmSize", true},
		{"cluster.clusterAdmins[%d]", true},
		{"cluster.maintenanceWindow.day", true},
		{"(resourceGroup.existing is true)", true},
		{"firewall.networkRules[%d].name", true},
		{"aks-kubenet:pools[0].maxCount", true},
		{"network", false},
		{"the cluster's nodes", false},
		{"hub", false},
		{"%s: want a list of pool objects", false},
		{"azure-native:network:VirtualNetwork", false},
		{"https://example.com/docs/network.routes", false},
		{"kube-dns.kube-system.svc.cluster.local", false},
		{"github.com/pulumi/pulumi-azure-native-sdk/network/v2", false},
		{"cluster.go", false},
		{"network.Foo", false},
	} {
		if got := pattern.MatchString(c.text); got != c.want {
			t.Errorf("%q: matched %v, want %v", c.text, got, c.want)
		}
	}
	src := []byte("package p\n\nconst a = \"fine\"\n\nvar b = fmt.Sprintf(\"pools[%d].maxCount\", 1)\n")
	if got := pathLiterals(t, "p.go", src, pattern); len(got) != 1 || !strings.HasPrefix(got[0], "p.go:5:") {
		t.Errorf("pathLiterals = %q, want the literal of line 5", got)
	}
}

// No Go file spells a config path in a string literal, in code or in a
// message's format: each names it by its constant of spec/keys.go or
// spec/paths.go, with spec.At and spec.Index for list entries, so that a
// renamed key cannot leave a message or a finding's key behind.
func TestConfigPathsAreDeclaredOnce(t *testing.T) {
	pattern := configPathPattern()
	root := ".."
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, path)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			if slices.Contains(pathsScanSkips, rel) || d.Name() == "testdata" {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(rel, ".go") || strings.HasSuffix(rel, "_test.go") || slices.Contains(pathsDeclaredIn, rel) {
			return nil
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, hit := range pathLiterals(t, rel, src, pattern) {
			t.Errorf("%s spells a config path: use its constant of spec/keys.go or spec/paths.go (spec.At, spec.Index for entries)", hit)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// configDoc is what docs/config.md says about the keys.
type configDoc struct {
	// topRows are the rows of the "Top-level keys" table by their key
	// ("aks-kubenet:resourceGroup").
	topRows map[string]string
	// sections are the texts of the sections headed `aks-kubenet:<name>`,
	// by name ("network"), and rowKeys the keys of their tables' first
	// column ("minCount" and "maxCount" of "`minCount`, `maxCount`").
	sections map[string]string
	rowKeys  map[string][]string
}

var (
	keySection = regexp.MustCompile("^## `" + regexp.QuoteMeta(spec.Project) + ":([A-Za-z]+)`")
	backticked = regexp.MustCompile("`([^`]+)`")
)

// parseConfigDoc reads the top-level table and the key sections of a config
// reference in docs/config.md's form; fenced code is left out.
func parseConfigDoc(text string) configDoc {
	doc := configDoc{topRows: map[string]string{}, sections: map[string]string{}, rowKeys: map[string][]string{}}
	section, top, fenced := "", false, false
	for _, line := range strings.Split(text, "\n") {
		if strings.HasPrefix(line, "```") {
			fenced = !fenced
			continue
		}
		if fenced {
			continue
		}
		if strings.HasPrefix(line, "## ") {
			section, top = "", line == "## Top-level keys"
			if m := keySection.FindStringSubmatch(line); m != nil {
				section = m[1]
				doc.sections[section] += "" // a section without a table is still one
			}
			continue
		}
		var first []string
		if cells := strings.Split(line, "|"); strings.HasPrefix(line, "|") && len(cells) > 2 {
			for _, m := range backticked.FindAllStringSubmatch(cells[1], -1) {
				first = append(first, m[1])
			}
		}
		switch {
		case top:
			for _, k := range first {
				doc.topRows[k] = line
			}
		case section != "":
			doc.sections[section] += line + "\n"
			doc.rowKeys[section] = append(doc.rowKeys[section], first...)
		}
	}
	return doc
}

// undocumented returns the paths of paths that doc does not document: a
// top-level key needs a row of the top-level table or a section; a key of
// its object needs a first-column row of the section's tables, and a key
// deeper down (routes[].name, maintenanceWindow.day) its name in backticks
// in the section; for an object documented in a row of the top-level table
// (resourceGroup), the key's name in backticks in that row.
func undocumented(doc configDoc, paths []spec.ConfigPath) []string {
	var out []string
	for _, p := range paths {
		top, rest, inside := cutTop(p.Path)
		section, hasSection := doc.sections[top]
		row, hasRow := doc.topRows[spec.Project+":"+top]
		leaf := leafOf(p.Path)
		direct := strings.Count(strings.TrimPrefix(rest, "[]"), ".") == 1
		var ok bool
		switch {
		case !inside:
			ok = hasSection || hasRow
		case hasSection && direct:
			ok = slices.Contains(doc.rowKeys[top], leaf)
		case hasSection:
			ok = strings.Contains(section, "`"+leaf+"`")
		case hasRow:
			ok = strings.Contains(row, "`"+leaf+"`")
		}
		if !ok {
			out = append(out, p.Path)
		}
	}
	return out
}

// stale returns what doc documents that is no key: a section of a
// top-level key that is not one, a first-column row of a section's tables
// that names no key inside that section's object, and a top-level row in
// the project's namespace that is no top-level key of paths.
func stale(doc configDoc, paths []spec.ConfigPath) []string {
	leaves := map[string][]string{} // top-level key -> the names of the keys inside it
	var known []string              // the top-level keys
	for _, p := range paths {
		if top, _, inside := cutTop(p.Path); inside {
			leaves[top] = append(leaves[top], leafOf(p.Path))
		} else {
			known = append(known, spec.Project+":"+top)
		}
	}
	var out []string
	for _, name := range slices.Sorted(maps.Keys(doc.sections)) {
		if !slices.Contains(known, spec.Project+":"+name) {
			out = append(out, "section "+spec.Project+":"+name)
			continue
		}
		for _, k := range doc.rowKeys[name] {
			if !slices.Contains(leaves[name], k) {
				out = append(out, name+" row "+k)
			}
		}
	}
	for _, k := range slices.Sorted(maps.Keys(doc.topRows)) {
		if strings.HasPrefix(k, spec.Project+":") && !slices.Contains(known, k) {
			out = append(out, "top-level row "+k)
		}
	}
	return out
}

// The checks of docs/config.md fail on a key it leaves out and on a row of
// a key the program does not have.
func TestConfigDocChecksCatchGaps(t *testing.T) {
	paths := []spec.ConfigPath{
		{Path: "network"}, {Path: "network.vnetCidr"}, {Path: "network.routes"}, {Path: "network.routes[].name"},
		{Path: "pools"}, {Path: "pools[].minCount"}, {Path: "pools[].maxCount"},
		{Path: "resourceGroup"}, {Path: "resourceGroup.existing"}, {Path: "tags"},
	}
	good := strings.Join([]string{
		"## Top-level keys", "",
		"| key | rules |", "| --- | --- |",
		"| `aks-kubenet:resourceGroup` | `existing`: a group that exists |",
		"| `aks-kubenet:tags` | a map |",
		"", "## `aks-kubenet:network`", "",
		"| key | rules |", "| --- | --- |",
		"| `vnetCidr` | canonical |",
		"| `routes` | the UDRs |", "",
		"| key | rules |", "| --- | --- |",
		"| `name` | unique |",
		"", "## `aks-kubenet:pools`", "",
		"| key | rules |", "| --- | --- |",
		"| `minCount`, `maxCount` | both or neither |",
		"", "## Capacity", "",
		"| ceiling | holds |", "| --- | --- |",
		"| `cluster.podCidr` | one /24 per node |",
	}, "\n")
	if got := undocumented(parseConfigDoc(good), paths); got != nil {
		t.Errorf("undocumented(good) = %q, want none", got)
	}
	if got := stale(parseConfigDoc(good), paths); got != nil {
		t.Errorf("stale(good) = %q, want none", got)
	}
	for _, c := range []struct {
		name, old, new string
		undocumented   []string
		stale          []string
	}{
		{"a key of an object", "| `vnetCidr` | canonical |\n", "", []string{"network.vnetCidr"}, nil},
		{"a key in prose only", "| `vnetCidr` | canonical |\n", "Set `vnetCidr`.\n", []string{"network.vnetCidr"}, nil},
		{"a key of list entries", "| `name` | unique |", "| `label` | unique |", []string{"network.routes[].name"}, []string{"network row label"}},
		{"a shared row", "`minCount`, `maxCount`", "`minCount`", []string{"pools[].maxCount"}, nil},
		{"a key of a top-level row", "`existing`: a group", "a group", []string{"resourceGroup.existing"}, nil},
		{"a top-level key", "| `aks-kubenet:tags` | a map |\n", "", []string{"tags"}, nil},
		{"a stale section", "## `aks-kubenet:pools`", "## `aks-kubenet:pool`", []string{"pools", "pools[].minCount", "pools[].maxCount"}, []string{"section aks-kubenet:pool"}},
		{"a stale top-level row", "`aks-kubenet:tags`", "`aks-kubenet:tag`", []string{"tags"}, []string{"top-level row aks-kubenet:tag"}},
	} {
		doc := parseConfigDoc(strings.Replace(good, c.old, c.new, 1))
		if got := undocumented(doc, paths); !slices.Equal(got, c.undocumented) {
			t.Errorf("%s: undocumented = %q, want %q", c.name, got, c.undocumented)
		}
		if got := stale(doc, paths); !slices.Equal(got, c.stale) {
			t.Errorf("%s: stale = %q, want %q", c.name, got, c.stale)
		}
	}
}

// docs/config.md documents every key of the config, down to the keys of
// list entries and nested objects, and no key the program does not read.
func TestConfigReferenceDocumentsEveryKey(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "docs", "config.md"))
	if err != nil {
		t.Fatal(err)
	}
	doc := parseConfigDoc(string(b))
	for _, p := range undocumented(doc, spec.Paths()) {
		t.Errorf("docs/config.md does not document %s: add it to its key's table (see TestConfigDocChecksCatchGaps for the form)", p)
	}
	for _, s := range stale(doc, spec.Paths()) {
		t.Errorf("docs/config.md documents %s, which is no config key", s)
	}
}

// undeclaredKeys are the keys of spec.KnownKeys that Pulumi.yaml does not
// declare, and why. The pulumi CLI requires every key Pulumi.yaml declares
// without a default in every stack (pulumi/pulumi#21797), and a declared
// default reaches every stack as a key that is set: so an optional key whose
// absence means something is not declared.
var undeclaredKeys = map[string]string{
	// Set by tooling, never by hand.
	spec.KeyAdopt: "set only by the state doctor (cmd/doctor), for one targeted up",
	// Kept for the stacks that still have it.
	spec.KeyResourceGroupName: "the older spelling of resourceGroup.name",
	// Optional, and a default would change what the program does.
	spec.KeyResourceGroup: "optional; any default would clash with resourceGroupName, which Load refuses beside it",
	spec.KeyFirewall:      "optional: the key's presence turns egress mode 2 on, and so would any default",
	spec.KeyHub:           "optional: the key's presence turns egress mode 3 on, and so would any default",
	spec.KeyPools:         "optional, and left out like the optional objects: a default would make every stack's pools a set key",
	spec.KeySSHPublicKey:  "an optional secret: without a default it would be required, and a default would be in plain text",
}

// pulumiProject is the part of Pulumi.yaml the checks read.
type pulumiProject struct {
	Config map[string]struct {
		Type        string `yaml:"type"`
		Description string `yaml:"description"`
	} `yaml:"config"`
}

// listsKeys reports whether description, of the object at top-level key
// top, lists the object's keys by hand: it names one of the keys that is
// no English word (camelCase, "vnetCidr"), or three of them.
func listsKeys(top, description string, paths []spec.ConfigPath) bool {
	named := 0
	for _, p := range paths {
		t, rest, inside := cutTop(p.Path)
		if !inside || t != top || strings.Count(strings.TrimPrefix(rest, "[]"), ".") != 1 {
			continue
		}
		leaf := leafOf(p.Path)
		if regexp.MustCompile(`\b` + regexp.QuoteMeta(leaf) + `\b`).MatchString(description) {
			named++
			if strings.ToLower(leaf) != leaf {
				return true
			}
		}
	}
	return named >= 3
}

// The check of Pulumi.yaml's descriptions fails on one that lists keys.
func TestPulumiYamlChecksCatchKeyLists(t *testing.T) {
	for _, c := range []struct {
		description string
		want        bool
	}{
		{"The cluster's VNet, node subnet, route table and routes. See docs/config.md.", false},
		{"VNet and routes: vnetCidr, nodeSubnetCidr. See docs/config.md.", true},
		{"The network: routes, nsg and peering by peeredCidrs.", true},
		{"The network: routes, nsg and the subnet.", false},
	} {
		if got := listsKeys("network", c.description, spec.Paths()); got != c.want {
			t.Errorf("listsKeys(%q) = %v, want %v", c.description, got, c.want)
		}
	}
}

// Pulumi.yaml declares the keys the program reads (but undeclaredKeys) and
// no other key of the project's namespace; an object's description says
// what the object is and leaves its keys to docs/config.md, so that they are
// listed in one place.
func TestPulumiYamlDeclaresEveryKey(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "Pulumi.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var project pulumiProject
	if err := yaml.Unmarshal(b, &project); err != nil {
		t.Fatal(err)
	}
	declared := map[string]bool{}
	for name, c := range project.Config {
		key := name
		if !strings.Contains(key, ":") {
			key = spec.Project + ":" + name
		}
		declared[key] = true
		if !strings.HasPrefix(key, spec.Project+":") {
			continue
		}
		if !slices.Contains(spec.KnownKeys(), key) {
			t.Errorf("Pulumi.yaml declares %s, which the program does not read", name)
		}
		if _, ok := undeclaredKeys[key]; ok {
			t.Errorf("Pulumi.yaml declares %s, which undeclaredKeys says it does not: drop one or the other", name)
		}
		if c.Type != "object" {
			continue
		}
		if top := spec.PathOf(key); listsKeys(top, c.Description, spec.Paths()) {
			t.Errorf("Pulumi.yaml's description of %s lists its keys: say what the object is and leave the keys to docs/config.md", name)
		} else if hasKeys(top) && !strings.Contains(c.Description, "docs/config.md") {
			t.Errorf("Pulumi.yaml's description of %s does not point at docs/config.md, which lists its keys", name)
		}
	}
	for _, key := range spec.KnownKeys() {
		if _, ok := undeclaredKeys[key]; !ok && !declared[key] {
			t.Errorf("Pulumi.yaml does not declare %s: declare it with its description (and a default: a key declared without one is required), or add it to undeclaredKeys with the reason", key)
		}
	}
}

// hasKeys reports whether the value of top-level key top is an object with
// keys of its own, not a map (tags) or a scalar.
func hasKeys(top string) bool {
	return slices.ContainsFunc(spec.Paths(), func(p spec.ConfigPath) bool {
		t, _, inside := cutTop(p.Path)
		return inside && t == top
	})
}
