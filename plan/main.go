package plan

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"

	"github.com/aks-kubenet/aks-kubenet/internal/stackfile"
	"github.com/aks-kubenet/aks-kubenet/rules"
	"github.com/aks-kubenet/aks-kubenet/spec"
)

// Exit statuses of Main.
const (
	ExitOK         = 0 // no errors (warnings allowed)
	ExitFindings   = 1 // a stack's config, or two stacks together, would be refused
	ExitInputError = 2 // bad flags, or a stack file that cannot be read
)

// Main is the plan command: it parses args, plans one stack (-stack NAME) or
// every Pulumi.*.yaml of the project (-all), writes the plan to stdout in the
// -format asked for, and returns the exit status. Problems with the input go
// to stderr, one line each, naming the file and key.
//
// With -base DIR, a checkout of the project at the base of a pull request
// (git worktree add /tmp/base origin/main), each stack that DIR has too is
// compared with its base: every resource name that changes is an error, since
// Azure cannot rename and Pulumi would delete and re-create the resource; so is
// every change of what AKS cannot change on an existing node pool (its VM
// size, zones, maxPods, OS SKU or priority), pools matched by name.
func Main(args []string, stdout, stderr io.Writer) int {
	flags := flag.NewFlagSet("plan", flag.ContinueOnError)
	flags.SetOutput(stderr)
	stackName := flags.String("stack", "", "plan the stack in Pulumi.`NAME`.yaml")
	all := flags.Bool("all", false, "plan every Pulumi.*.yaml, and check the stacks against each other")
	format := flags.String("format", "text", "output `format`: text, mermaid or json")
	dir := flags.String("dir", ".", "the project `directory` (where Pulumi.yaml is)")
	baseDir := flags.String("base", "", "refuse renames and pool changes AKS cannot make: compare each stack's resource names and node pools with the same stack's in `DIR`, a checkout of the project at the base of the change (git worktree add /tmp/base origin/main)")
	flags.Usage = func() {
		fmt.Fprintln(stderr, "usage: plan (-stack NAME | -all) [-format text|mermaid|json] [-dir DIR] [-base DIR]")
		fmt.Fprintln(stderr, "Shows what `pulumi up` would create, offline: resources, dependencies, IP plan, security posture and findings.")
		flags.PrintDefaults()
	}
	if err := flags.Parse(args); err != nil {
		return ExitInputError
	}
	if (*stackName == "") == !*all || flags.NArg() > 0 {
		flags.Usage()
		return ExitInputError
	}
	if *format != "text" && *format != "mermaid" && *format != "json" {
		fmt.Fprintf(stderr, "plan: -format %q: want text, mermaid or json\n", *format)
		return ExitInputError
	}

	if *baseDir != "" {
		if err := checkBaseDir(*baseDir); err != nil {
			fmt.Fprintf(stderr, "plan: %v\n", err)
			return ExitInputError
		}
	}

	names := []string{*stackName}
	if *all {
		var err error
		if names, err = stackfile.Stacks(*dir); err != nil {
			fmt.Fprintf(stderr, "plan: %v\n", err)
			return ExitInputError
		}
	}
	// failed is the exit status of what could not be read or planned (see
	// Verdict.Status).
	failed := ExitOK
	var stacks []Stack
	for _, name := range names {
		s, err := Build(*dir, name)
		if err != nil {
			fmt.Fprintf(stderr, "plan: %v\n", err)
			if errors.As(err, new(InputError)) {
				failed = ExitInputError
			} else {
				failed = max(failed, ExitFindings)
			}
			continue
		}
		stacks = append(stacks, s)
	}
	crossStack, crossed := across(stacks)
	var base *Base
	if *baseDir != "" {
		var unreadable []error
		base, unreadable = compareBase(*baseDir, *dir, stacks)
		for _, err := range unreadable {
			fmt.Fprintf(stderr, "plan: %v\n", err)
			failed = ExitInputError
		}
	}
	v := judge(failed, stacks, crossed, base)

	switch *format {
	case "json":
		if err := WriteJSON(stdout, stacks, crossStack, base, v); err != nil {
			fmt.Fprintf(stderr, "plan: %v\n", err)
			return ExitInputError
		}
	case "mermaid":
		WriteMermaid(stdout, stacks)
		for _, s := range stacks {
			for _, e := range slices.Concat(s.Errors, base.findingsOf(s.Stack)) {
				fmt.Fprintf(stderr, "plan: %s: %s\n", s.File, e)
			}
		}
		for _, e := range crossStack {
			fmt.Fprintf(stderr, "plan: %s\n", e)
		}
	default:
		WriteText(stdout, stacks, crossStack, base)
	}
	return v.Status
}

// Verdict is the one source of the exit status and of the json format's ok:
// whether pulumi up would take each stack, and the status that follows.
type Verdict struct {
	// Status is Main's exit status: ExitInputError when a stack file (or,
	// under -base, a base stack file) cannot be read; else ExitFindings when
	// a stack is refused or could not be planned; else ExitOK.
	Status int
	// Refused are the names of the stacks the plan refuses: for their
	// errors, a cross-stack error that names them, or -base's renames and
	// pool changes.
	Refused map[string]bool
}

// judge returns the verdict on stacks, given failed, the exit status of what
// could not be read or planned, crossed, the stacks a cross-stack error
// names, and what -base found (nil without -base).
func judge(failed int, stacks []Stack, crossed map[string]bool, base *Base) Verdict {
	v := Verdict{Status: failed, Refused: map[string]bool{}}
	for _, s := range stacks {
		if len(s.Errors) > 0 || crossed[s.Stack] || len(base.findingsOf(s.Stack)) > 0 {
			v.Refused[s.Stack] = true
			v.Status = max(v.Status, ExitFindings)
		}
	}
	return v
}

// across checks the stacks against each other (package rules' CheckAcross),
// every stack whose file was read, refused or not: a stack's own errors do
// not hide its clashes with the others. It returns the errors and the names
// of the stacks they name; each error is about a pair of stacks.
func across(stacks []Stack) ([]string, map[string]bool) {
	named := map[string]bool{}
	if len(stacks) < 2 {
		return nil, named
	}
	configs := make([]spec.Stack, len(stacks))
	for i, s := range stacks {
		configs[i] = s.config
	}
	var found []string
	for _, f := range rules.CheckAcross(configs) {
		found = append(found, f.String())
	}
	for i, a := range stacks {
		for _, b := range stacks[i+1:] {
			if len(rules.CheckAcross([]spec.Stack{a.config, b.config})) > 0 {
				named[a.Stack], named[b.Stack] = true, true
			}
		}
	}
	return found, named
}
