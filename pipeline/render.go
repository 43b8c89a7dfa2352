package pipeline

import (
	"fmt"
	"io"
	"strings"
)

// WritePlan writes the plan for people: each identity with what it trusts
// and holds, the hub role, the environments, the repository's variables and
// secrets, and what the plan refuses or warns about.
func WritePlan(w io.Writer, p Plan) {
	fmt.Fprintf(w, "One-time setup of %s\n", p.Repo)
	for _, app := range p.Apps {
		fmt.Fprintf(w, "\n%s", app.Name)
		if app.Stack != "" {
			fmt.Fprintf(w, " (deploys %s; client id in variable %s of environment %s)\n", app.Stack, app.Variable, app.Stack)
		} else {
			fmt.Fprintf(w, " (previews and drift, read-only; client id in repository variable %s)\n", app.Variable)
		}
		fmt.Fprintf(w, "  trusts only: %s\n", strings.Join(app.Subjects, ", "))
		for _, g := range app.Grants {
			fmt.Fprintf(w, "  %s on %s", g.Role, g.Scope)
			if g.Condition != "" {
				fmt.Fprint(w, " (with a condition)")
			}
			fmt.Fprintf(w, ": %s\n", g.Why)
		}
	}
	if p.HubRole != nil {
		fmt.Fprintf(w, "\ncustom role %q: %s\n  assignable at: %s\n", p.HubRole.Name, strings.Join(p.HubRole.Actions, ", "), strings.Join(p.HubRole.AssignableScopes, ", "))
	}
	for _, e := range p.Environments {
		fmt.Fprintf(w, "\nenvironment %s: deploys from %s only", e.Name, e.Branch)
		if e.Reviewers {
			fmt.Fprint(w, ", after a reviewer's approval")
		}
		fmt.Fprintln(w)
		for _, v := range e.Variables {
			fmt.Fprintf(w, "  variable %s: %s\n", v.Name, v.About)
		}
		for _, s := range e.Secrets {
			fmt.Fprintf(w, "  secret %s: %s\n", s.Name, s.About)
		}
	}
	fmt.Fprintln(w, "\nrepository")
	for _, v := range p.RepoVariables {
		fmt.Fprintf(w, "  variable %s: %s", v.Name, v.About)
		if v.Value != "" {
			fmt.Fprintf(w, " (%s)", v.Value)
		}
		fmt.Fprintln(w)
	}
	for _, s := range p.RepoSecrets {
		fmt.Fprintf(w, "  secret %s: %s\n", s.Name, s.About)
	}
	for _, s := range p.SharedScopes {
		fmt.Fprintf(w, "\nWARNING: %s\n", s)
	}
	for _, s := range p.Placeholders {
		fmt.Fprintf(w, "\nWARNING: placeholder in %s; -apply refuses it\n", s)
	}
}
