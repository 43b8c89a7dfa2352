package plan

import (
	"encoding/json"
	"io"
)

// jsonStack is a stack's plan with, under -base, its renames, its pool
// changes and the pools it adds and removes.
type jsonStack struct {
	Stack
	// Renames and PoolChanges are -base's findings: an error each. Only with
	// -base.
	Renames     []string `json:"renames,omitempty"`
	PoolChanges []string `json:"poolChanges,omitempty"`
	// BasePools are the user pools the stack adds and removes against the
	// base, matched by name; only with -base, and when it adds or removes one.
	BasePools *PoolDiff `json:"basePools,omitempty"`
	// OK is false when the plan refuses the stack (Verdict.Refused).
	OK bool `json:"ok"`
}

// WriteJSON writes everything machine-readable: each stack's plan (with its
// renames, pool changes and added and removed pools under -base) and its ok,
// the cross-stack errors, what -base compared (base, only with -base), and
// ok, false when the plan exits with any status but ExitOK (v.Status).
func WriteJSON(w io.Writer, stacks []Stack, crossStack []string, base *Base, v Verdict) error {
	out := make([]jsonStack, len(stacks))
	for i, s := range stacks {
		out[i] = jsonStack{Stack: s, Renames: base.renamesOf(s.Stack), PoolChanges: base.poolChangesOf(s.Stack), BasePools: base.poolsOf(s.Stack),
			OK: !v.Refused[s.Stack]}
	}
	if crossStack == nil {
		crossStack = []string{}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(struct {
		Stacks     []jsonStack `json:"stacks"`
		CrossStack []string    `json:"crossStackErrors"`
		Base       *Base       `json:"base,omitempty"`
		OK         bool        `json:"ok"`
	}{out, crossStack, base, v.Status == ExitOK})
}
