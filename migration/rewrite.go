package migration

import (
	"bytes"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"unicode/utf8"

	"gopkg.in/yaml.v3"

	"github.com/aks-kubenet/aks-kubenet/spec"
)

// ErrCannotEdit is wrapped by Rewrite's errors about a stack file whose
// structure it cannot edit safely: edit the file by hand instead.
var ErrCannotEdit = errors.New("cannot edit the stack file safely")

// Rewrite returns the bytes of a Pulumi.<stack>.yaml file edited to say what
// Migrated(before, t) says, every other byte kept: in aks-kubenet:cluster
// networkPlugin overlay, networkDataplane, networkPolicy, podCidr when it
// changes, and maxPods where the file leaves it unset, and maxPods in each
// entry of aks-kubenet:pools that leaves it unset (aks-rules 11.15). A
// key the file has gets its new value in place; a key it lacks goes at the
// end of its mapping, at its indentation. before is the stack read from the
// file, spec.Defaults applied.
//
// It refuses, with an error wrapping ErrCannotEdit, a file whose structure
// it cannot edit safely: the cluster config given as a secret, a string or
// a flow mapping, a value to change given as a secret, a block scalar,
// with a tag or an anchor, pools that are not the stack's, or an edit that
// does not read back as exactly the intended change.
func Rewrite(file []byte, before spec.Stack, t Target) ([]byte, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(file, &doc); err != nil {
		return nil, fmt.Errorf("the stack file is not valid YAML: %w", err)
	}
	config, err := configOf(&doc)
	if err != nil {
		return nil, err
	}
	e := newEditor(file)
	changes, err := rewriteChanges(config, before, t)
	if err != nil {
		return nil, err
	}
	if err := e.make(changes); err != nil {
		return nil, err
	}
	out := e.apply()
	if err := readsBack(file, out, changes); err != nil {
		return nil, err
	}
	return out, nil
}

// change is one key Rewrite sets in a mapping of the file.
type change struct {
	// mapping is the mapping node, and path its place in the document as
	// yaml decodes it: keys (string) and list indexes (int).
	mapping *yaml.Node
	path    []any
	// key is the key; value its new value as yaml decodes it.
	key   string
	value any
	// missingOnly leaves a value the file has as it is.
	missingOnly bool
}

// rewriteChanges returns the changes that make the file's config say what
// Migrated says.
func rewriteChanges(config *yaml.Node, before spec.Stack, t Target) ([]change, error) {
	clusterKey, cluster, err := object(config, spec.KeyCluster, true)
	if err != nil {
		return nil, err
	}
	after := Migrated(before, t)
	at := []any{"config", clusterKey}
	set := func(path, value string) change {
		return change{mapping: cluster, path: at, key: spec.Leaf(path), value: value}
	}
	changes := []change{
		set(spec.PathClusterNetworkPlugin, spec.NetworkPluginOverlay),
		set(spec.PathClusterNetworkDataplane, t.Dataplane),
		set(spec.PathClusterNetworkPolicy, t.Policy),
	}
	if !keptPodCIDR(before, t) {
		changes = append(changes, set(spec.PathClusterPodCidr, t.PodCIDR))
	}
	changes = append(changes, change{mapping: cluster, path: at, key: spec.Leaf(spec.PathClusterMaxPods), value: *after.Cluster.MaxPods, missingOnly: true})
	pools, err := poolChanges(config, after)
	return append(changes, pools...), err
}

// poolChanges pins maxPods in each entry of aks-kubenet:pools that leaves
// it unset.
func poolChanges(config *yaml.Node, after spec.Stack) ([]change, error) {
	poolsKey, pools, err := object(config, spec.KeyPools, false)
	if err != nil {
		return nil, err
	}
	n := 0
	if pools != nil {
		n = len(pools.Content)
	}
	if n != len(after.Pools) {
		return nil, fmt.Errorf("%w: the file has %d pools in %s, the stack %d", ErrCannotEdit, n, spec.KeyPools, len(after.Pools))
	}
	var out []change
	for i, p := range after.Pools {
		entry := pools.Content[i]
		if entry.Kind != yaml.MappingNode || entry.Style&yaml.FlowStyle != 0 || len(entry.Content) == 0 {
			return nil, fmt.Errorf("%w: entry %d of %s is not a block mapping", ErrCannotEdit, i, spec.KeyPools)
		}
		out = append(out, change{mapping: entry, path: []any{"config", poolsKey, i}, key: spec.Leaf(spec.PathPoolsMaxPods), value: *p.MaxPods, missingOnly: true})
	}
	return out, nil
}

// configOf returns the file's config mapping.
func configOf(doc *yaml.Node) (*yaml.Node, error) {
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, fmt.Errorf("%w: it is not a mapping with a config key", ErrCannotEdit)
	}
	_, config := lookup(doc.Content[0], "config")
	if config == nil || config.Kind != yaml.MappingNode || config.Style&yaml.FlowStyle != 0 {
		return nil, fmt.Errorf("%w: it has no config mapping in block style", ErrCannotEdit)
	}
	return config, nil
}

// object returns the key and value of config key (spelled with the
// project's namespace or without, as the Pulumi CLI reads both): a block
// mapping for aks-kubenet:cluster, a block sequence for aks-kubenet:pools.
// A missing key is an error when required, else nil.
func object(config *yaml.Node, key string, required bool) (string, *yaml.Node, error) {
	name, value := lookup(config, key)
	if value == nil {
		name, value = lookup(config, spec.PathOf(key))
	}
	want, what := yaml.SequenceNode, "a list"
	if key == spec.KeyCluster {
		want, what = yaml.MappingNode, "an object"
	}
	switch {
	case value == nil && required:
		return "", nil, fmt.Errorf("%w: it has no %s", ErrCannotEdit, key)
	case value == nil:
		return "", nil, nil
	case value.Kind == yaml.MappingNode && hasKey(value, "secure"):
		return "", nil, fmt.Errorf("%w: %s is a secret; edit it with pulumi config set --path", ErrCannotEdit, key)
	case value.Kind != want || value.Style&yaml.FlowStyle != 0 || value.Anchor != "" || value.Kind == yaml.MappingNode && hasKey(value, "<<"):
		return "", nil, fmt.Errorf("%w: %s is not %s in block style without anchors or merges", ErrCannotEdit, key, what)
	}
	return name, value, nil
}

// lookup returns the key and the value of key in mapping m, or nil.
func lookup(m *yaml.Node, key string) (string, *yaml.Node) {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if k := m.Content[i]; k.Kind == yaml.ScalarNode && k.Value == key {
			return k.Value, m.Content[i+1]
		}
	}
	return "", nil
}

// hasKey reports whether mapping m has key.
func hasKey(m *yaml.Node, key string) bool {
	_, v := lookup(m, key)
	return v != nil
}

// editor collects edits of a file's bytes, by position.
type editor struct {
	src   []byte
	lines []int // the offset each line starts at, line 1 first
	edits []edit
}

// edit replaces the bytes from..to with text.
type edit struct {
	from, to int
	text     string
}

func newEditor(src []byte) *editor {
	e := &editor{src: src, lines: []int{0}}
	for i, b := range src {
		if b == '\n' {
			e.lines = append(e.lines, i+1)
		}
	}
	return e
}

// make turns the changes into edits: a value replaced in place, or the
// missing keys of each mapping added after its last line.
func (e *editor) make(changes []change) error {
	missing := map[*yaml.Node][]change{}
	var order []*yaml.Node
	for _, c := range changes {
		_, v := lookup(c.mapping, c.key)
		switch {
		case v == nil:
			if missing[c.mapping] == nil {
				order = append(order, c.mapping)
			}
			missing[c.mapping] = append(missing[c.mapping], c)
		case c.missingOnly:
		case v.Kind == yaml.ScalarNode && v.Value == fmt.Sprint(c.value):
		default:
			if err := e.replace(v, c); err != nil {
				return err
			}
		}
	}
	for _, m := range order {
		if err := e.append(m, missing[m]); err != nil {
			return err
		}
	}
	return nil
}

// replace replaces the scalar v, the value of c.key, with c.value.
func (e *editor) replace(v *yaml.Node, c change) error {
	if v.Kind != yaml.ScalarNode || v.Style&(yaml.LiteralStyle|yaml.FoldedStyle|yaml.TaggedStyle) != 0 || v.Anchor != "" {
		return fmt.Errorf("%w: %s on line %d is not a plain or quoted value", ErrCannotEdit, c.key, v.Line)
	}
	from, err := e.offset(v.Line, v.Column)
	if err != nil {
		return err
	}
	to, err := e.scalarEnd(from, v)
	if err != nil {
		return err
	}
	e.edits = append(e.edits, edit{from, to, render(c.value)})
	return nil
}

// offset is the byte offset of a yaml position, line and column from 1,
// the column in characters.
func (e *editor) offset(line, column int) (int, error) {
	if line < 1 || line > len(e.lines) {
		return 0, fmt.Errorf("%w: line %d is outside the file", ErrCannotEdit, line)
	}
	off := e.lines[line-1]
	for range column - 1 {
		if off >= len(e.src) || e.src[off] == '\n' {
			return 0, fmt.Errorf("%w: column %d is outside line %d", ErrCannotEdit, column, line)
		}
		_, size := utf8.DecodeRune(e.src[off:])
		off += size
	}
	return off, nil
}

// scalarEnd is the offset after the scalar v starting at from, on its
// line: after its closing quote, or before a comment or the end of the line.
func (e *editor) scalarEnd(from int, v *yaml.Node) (int, error) {
	line := e.src[from:]
	if i := bytes.IndexByte(line, '\n'); i >= 0 {
		line = line[:i]
	}
	var end int
	switch {
	case v.Style&yaml.DoubleQuotedStyle != 0:
		end = closingQuote(line, '"')
	case v.Style&yaml.SingleQuotedStyle != 0:
		end = closingQuote(line, '\'')
	default:
		end = len(line)
		if i := bytes.Index(line, []byte(" #")); i >= 0 {
			end = i
		}
		end = len(bytes.TrimRight(line[:end], " \t\r"))
	}
	if end < 0 {
		return 0, fmt.Errorf("%w: the value on line %d goes on past its line", ErrCannotEdit, v.Line)
	}
	return from + end, nil
}

// closingQuote returns the offset after the quote that closes the string
// line starts with, or -1 when it does not close on the line.
func closingQuote(line []byte, quote byte) int {
	for i := 1; i < len(line); i++ {
		switch {
		case quote == '"' && line[i] == '\\':
			i++
		case line[i] == quote && quote == '\'' && i+1 < len(line) && line[i+1] == '\'':
			i++
		case line[i] == quote:
			return i + 1
		}
	}
	return -1
}

// append adds the changes' keys at the end of mapping m, at the indentation
// of its keys.
func (e *editor) append(m *yaml.Node, changes []change) error {
	last := lastLine(m)
	if last < 1 || last > len(e.lines) {
		return fmt.Errorf("%w: the mapping on line %d ends outside the file", ErrCannotEdit, m.Line)
	}
	at := len(e.src)
	if last < len(e.lines) {
		at = e.lines[last]
	}
	var b bytes.Buffer
	if at == len(e.src) && len(e.src) > 0 && e.src[len(e.src)-1] != '\n' {
		b.WriteByte('\n')
	}
	indent := bytes.Repeat([]byte{' '}, m.Content[0].Column-1)
	for _, c := range changes {
		fmt.Fprintf(&b, "%s%s: %s\n", indent, c.key, render(c.value))
	}
	e.edits = append(e.edits, edit{at, at, b.String()})
	return nil
}

// lastLine is the last line a node or any node in it starts on.
func lastLine(n *yaml.Node) int {
	last := n.Line
	for _, c := range n.Content {
		last = max(last, lastLine(c))
	}
	return last
}

// render writes a value as YAML reads it back: plain when it reads back as
// itself, else double-quoted.
func render(value any) string {
	s := fmt.Sprint(value)
	var back any
	if err := yaml.Unmarshal([]byte(s), &back); err == nil && reflect.DeepEqual(back, value) {
		return s
	}
	return strconv.Quote(s)
}

// apply returns the source with the edits made, the last one first.
func (e *editor) apply() []byte {
	slices.SortStableFunc(e.edits, func(a, b edit) int { return b.from - a.from })
	out := slices.Clone(e.src)
	for _, ed := range e.edits {
		out = slices.Concat(out[:ed.from], []byte(ed.text), out[ed.to:])
	}
	return out
}

// readsBack checks that out reads as file with the changes made, and
// nothing else changed.
func readsBack(file, out []byte, changes []change) error {
	var want, got any
	if err := yaml.Unmarshal(file, &want); err != nil {
		return fmt.Errorf("the stack file is not valid YAML: %w", err)
	}
	for _, c := range changes {
		m, ok := walk(want, c.path).(map[string]any)
		if !ok {
			return fmt.Errorf("%w: the file has no mapping at %v", ErrCannotEdit, c.path)
		}
		if _, has := m[c.key]; !has || !c.missingOnly {
			m[c.key] = c.value
		}
	}
	if err := yaml.Unmarshal(out, &got); err != nil || !reflect.DeepEqual(want, got) {
		return fmt.Errorf("%w: the edited file does not read back as the intended change", ErrCannotEdit)
	}
	return nil
}

// walk follows path, keys and indexes, into a decoded document; nil when
// it leads nowhere.
func walk(doc any, path []any) any {
	for _, step := range path {
		switch k := step.(type) {
		case string:
			m, _ := doc.(map[string]any)
			doc = m[k]
		case int:
			l, _ := doc.([]any)
			if k >= len(l) {
				return nil
			}
			doc = l[k]
		}
	}
	return doc
}
