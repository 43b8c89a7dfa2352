package plan

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/aks-kubenet/aks-kubenet/iam/roles"
)

// What the text and Mermaid formats both show of a resource: a property at
// a path, a value, a role.

// roleName is the name of the built-in role whose definition id is id, or
// "custom role".
func roleName(id string) string {
	for guid, name := range roles.Names {
		if strings.HasSuffix(id, "/"+guid) {
			return name
		}
	}
	return "custom role"
}

// lookup returns the value at a dotted path with [i] indexes.
func lookup(props map[string]any, path string) (any, bool) {
	var v any = props
	for _, part := range strings.Split(path, ".") {
		name, index, hasIndex := strings.Cut(strings.TrimSuffix(part, "]"), "[")
		m, ok := v.(map[string]any)
		if !ok {
			return nil, false
		}
		if v, ok = m[name]; !ok {
			return nil, false
		}
		if hasIndex {
			items, ok := v.([]any)
			var i int
			if _, err := fmt.Sscan(index, &i); err != nil || !ok || i >= len(items) {
				return nil, false
			}
			v = items[i]
		}
	}
	return v, true
}

func format(v any) string {
	switch x := v.(type) {
	case []any:
		parts := make([]string, len(x))
		for i, item := range x {
			parts[i] = format(item)
		}
		return strings.Join(parts, ", ")
	case map[string]any:
		parts := make([]string, 0, len(x))
		for _, k := range slices.Sorted(maps.Keys(x)) {
			parts = append(parts, k+"="+format(x[k]))
		}
		return strings.Join(parts, ", ")
	case float64:
		return fmt.Sprintf("%g", x)
	}
	return fmt.Sprint(v)
}
