package plan

import (
	"bytes"
	"encoding/json"
	"maps"
	"slices"
	"testing"

	"github.com/aks-kubenet/aks-kubenet/spec"
)

// kubenetStack is a planned kubenet stack named name with pod CIDR podCidr
// and the errors errs.
func kubenetStack(name, podCidr string, errs ...string) Stack {
	return Stack{Stack: name, Errors: append([]string{}, errs...), config: spec.Stack{Name: name,
		Cluster: spec.Cluster{NetworkPlugin: spec.NetworkPluginKubenet, PodCidr: podCidr}}}
}

// across names the two stacks of each cross-stack error, refused or not, and
// no other.
func TestAcrossNamesTheStacksOfEachError(t *testing.T) {
	stacks := []Stack{
		kubenetStack("dev", "10.244.0.0/16", "aks-kubenet:sshPublicKey is a ssh-ed25519 key: ..."),
		kubenetStack("prod", "10.245.0.0/16"),
		kubenetStack("qa", "10.244.0.0/16"),
	}
	found, named := across(stacks)
	if len(found) != 1 {
		t.Fatalf("cross-stack errors %q, want the pod CIDR clash of dev and qa", found)
	}
	if got := slices.Sorted(maps.Keys(named)); !slices.Equal(got, []string{"dev", "qa"}) {
		t.Errorf("named %v, want dev and qa", got)
	}
	if found, named := across(stacks[:1]); found != nil || len(named) != 0 {
		t.Errorf("one stack: %q, %v, want nothing", found, named)
	}
}

// The verdict on each stack and the exit status come from the same
// findings: a stack's errors, a cross-stack error naming it and -base's
// findings refuse it; a stack file that cannot be read outranks them all.
func TestJudge(t *testing.T) {
	renamed := &Base{Renames: map[string][]string{"prod": {"stack prod renames the route table: ..."}}}
	cases := []struct {
		name        string
		failed      int
		stacks      []Stack
		crossed     map[string]bool
		base        *Base
		wantStatus  int
		wantRefused []string
	}{
		{name: "nothing found", stacks: []Stack{kubenetStack("dev", ""), kubenetStack("prod", "")}, wantStatus: ExitOK},
		{name: "a stack's error", stacks: []Stack{kubenetStack("dev", "", "bad key"), kubenetStack("prod", "")},
			wantStatus: ExitFindings, wantRefused: []string{"dev"}},
		{name: "a cross-stack error", stacks: []Stack{kubenetStack("dev", ""), kubenetStack("prod", ""), kubenetStack("qa", "")},
			crossed: map[string]bool{"dev": true, "qa": true}, wantStatus: ExitFindings, wantRefused: []string{"dev", "qa"}},
		{name: "a rename", stacks: []Stack{kubenetStack("dev", ""), kubenetStack("prod", "")}, base: renamed,
			wantStatus: ExitFindings, wantRefused: []string{"prod"}},
		{name: "a stack the program failed on", failed: ExitFindings, stacks: []Stack{kubenetStack("dev", "")}, wantStatus: ExitFindings},
		{name: "an unreadable stack file and a refused stack", failed: ExitInputError, stacks: []Stack{kubenetStack("dev", "", "bad key")},
			wantStatus: ExitInputError, wantRefused: []string{"dev"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			v := judge(tc.failed, tc.stacks, tc.crossed, tc.base)
			if got := slices.Sorted(maps.Keys(v.Refused)); v.Status != tc.wantStatus || !slices.Equal(got, tc.wantRefused) {
				t.Errorf("status %d, refused %v; want %d, %v", v.Status, got, tc.wantStatus, tc.wantRefused)
			}
		})
	}
}

// The json format's ok, overall and for each stack, is the verdict's: false
// whenever the plan exits with another status than ExitOK.
func TestJSONOKIsTheVerdict(t *testing.T) {
	stacks := []Stack{kubenetStack("dev", "", "bad key"), kubenetStack("prod", "")}
	for _, status := range []int{ExitOK, ExitFindings, ExitInputError} {
		var b bytes.Buffer
		if err := WriteJSON(&b, stacks, nil, nil, Verdict{Status: status, Refused: map[string]bool{"dev": true}}); err != nil {
			t.Fatal(err)
		}
		var doc struct {
			Stacks []struct{ OK bool }
			OK     bool
		}
		if err := json.Unmarshal(b.Bytes(), &doc); err != nil {
			t.Fatal(err)
		}
		if doc.OK != (status == ExitOK) || len(doc.Stacks) != 2 || doc.Stacks[0].OK || !doc.Stacks[1].OK {
			t.Errorf("status %d: %s", status, b.String())
		}
	}
}
