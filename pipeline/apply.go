package pipeline

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"os/exec"
	"regexp"
	"slices"
	"strings"

	"github.com/aks-kubenet/aks-kubenet/spec"
)

// Runner runs an az or gh command, with stdin when it is not empty, and
// returns its standard output.
type Runner interface {
	Run(ctx context.Context, stdin string, name string, args ...string) (string, error)
}

// ExecRunner runs commands (the az and gh CLIs) on the machine.
type ExecRunner struct{}

// Run runs name with args and returns its standard output, or an error with
// its standard error.
func (ExecRunner) Run(ctx context.Context, stdin, name string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	if stdin != "" {
		cmd.Stdin = strings.NewReader(stdin)
	}
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("%w: %s", err, strings.TrimSpace(errOut.String()))
	}
	return out.String(), nil
}

// Reviewer is a required reviewer of a reviewed environment: a team (by
// slug) or a user (by login) of the repository's owner.
type Reviewer struct {
	// Kind is "Team" or "User".
	Kind string
	// Name is the team's slug or the user's login.
	Name string
}

// ParseReviewer reads team:<slug> or user:<login>.
func ParseReviewer(s string) (Reviewer, error) {
	kind, name, ok := strings.Cut(s, ":")
	if ok && name != "" {
		switch strings.ToLower(kind) {
		case "team":
			return Reviewer{Kind: "Team", Name: name}, nil
		case "user":
			return Reviewer{Kind: "User", Name: name}, nil
		}
	}
	return Reviewer{}, fmt.Errorf("-reviewers %q: want team:<slug> or user:<login>", s)
}

// ApplyOptions are the inputs of Apply beyond the plan.
type ApplyOptions struct {
	// DryRun runs only the lookups and prints every change instead of making
	// it; with Offline as well, it runs nothing and prints the changes of a
	// first run on an empty tenant and repository.
	DryRun, Offline bool
	// Reviewers are the required reviewers of the reviewed environments.
	Reviewers []Reviewer
	// AllowSharedScopes carries out a plan with SharedScopes.
	AllowSharedScopes bool
}

// githubIssuer and tokenAudience are what a federated credential for GitHub
// Actions trusts
// (https://learn.microsoft.com/entra/workload-id/workload-identity-federation-create-trust#github-actions).
const (
	githubIssuer  = "https://token.actions.githubusercontent.com"
	tokenAudience = "api://AzureADTokenExchange"
)

// applier carries a plan out through a Runner, or prints what it would do.
type applier struct {
	ctx context.Context
	r   Runner
	o   ApplyOptions
	w   io.Writer
	// changes counts the changes made or, in a dry run, that would be.
	changes int
}

// lookup runs a command that changes nothing, even in a dry run; offline
// it finds nothing.
func (a *applier) lookup(name string, args ...string) (string, error) {
	if a.o.Offline {
		return "", nil
	}
	out, err := a.r.Run(a.ctx, "", name, args...)
	if err != nil {
		return "", fmt.Errorf("%s %s: %w", name, strings.Join(args, " "), err)
	}
	return strings.TrimSpace(out), nil
}

// change runs a command that changes something, or prints it in a dry run
// and returns stand-in, the value later commands use in its place.
func (a *applier) change(why, stdin, standIn, name string, args ...string) (string, error) {
	a.changes++
	if a.o.DryRun {
		fmt.Fprintf(a.w, "  would %s:\n    %s %s\n", why, name, quoteArgs(args))
		if stdin != "" {
			fmt.Fprintf(a.w, "    with input %s\n", stdin)
		}
		return standIn, nil
	}
	fmt.Fprintf(a.w, "  %s\n", why)
	out, err := a.r.Run(a.ctx, stdin, name, args...)
	if err != nil {
		return "", fmt.Errorf("%s: %s %s: %w", why, name, strings.Join(args, " "), err)
	}
	return strings.TrimSpace(out), nil
}

// note prints something the setup leaves to a person.
func (a *applier) note(format string, args ...any) {
	fmt.Fprintf(a.w, "  NOTE: "+format+"\n", args...)
}

var shellSafe = regexp.MustCompile(`^[A-Za-z0-9_./:=@,+-]+$`)

// quoteArgs renders args as a shell would need them.
func quoteArgs(args []string) string {
	out := make([]string, len(args))
	for i, arg := range args {
		if shellSafe.MatchString(arg) {
			out[i] = arg
		} else {
			out[i] = "'" + strings.ReplaceAll(arg, "'", `'\''`) + "'"
		}
	}
	return strings.Join(out, " ")
}

// Apply carries the plan out with the az and gh CLIs, logged in as someone
// who may create applications, assign roles on every scope of the plan (the
// hub VNet's included) and administer the repository. It is idempotent: it
// looks each thing up and creates only what is missing, replaces a role
// assignment whose condition differs, and removes the federated credentials
// and deployment branch policies of its applications and environments that
// the plan does not have, so that each identity trusts exactly the plan's
// subjects. It never deletes a role assignment, variable or secret it did
// not make: those it names, with the command that removes them. It writes
// what it does (or in a dry run would do) to w.
func Apply(ctx context.Context, p Plan, r Runner, w io.Writer, o ApplyOptions) error {
	if !o.DryRun {
		var refusals []string
		for _, ph := range p.Placeholders {
			refusals = append(refusals, "placeholder: "+ph+" (replace it in the stack file first)")
		}
		if len(p.SharedScopes) > 0 && !o.AllowSharedScopes {
			for _, s := range p.SharedScopes {
				refusals = append(refusals, "shared scope: "+s+" (give each stack its own subscription, or an existing resource group with "+spec.PathResourceGroupExisting+"; -allow-shared-scopes accepts it)")
			}
		}
		for _, e := range p.Environments {
			if e.Reviewers && len(o.Reviewers) == 0 {
				refusals = append(refusals, "-reviewers: environment "+e.Name+" requires reviewers; name at least one (team:<slug> or user:<login>)")
				break
			}
		}
		if len(refusals) > 0 {
			return fmt.Errorf("the setup refuses to run:\n  %s", strings.Join(refusals, "\n  "))
		}
	}
	a := &applier{ctx: ctx, r: r, o: o, w: w}
	steps := []func(Plan) error{a.hubRole, a.apps, a.environments, a.repository}
	for _, step := range steps {
		if err := step(p); err != nil {
			return err
		}
	}
	if o.DryRun {
		fmt.Fprintf(w, "\n%d change(s) to make; run again with -apply to make them.\n", a.changes)
	} else {
		fmt.Fprintf(w, "\n%d change(s) made.\n", a.changes)
	}
	return nil
}

// hubRole creates or updates the custom role of the hub-side peering.
func (a *applier) hubRole(p Plan) error {
	if p.HubRole == nil {
		return nil
	}
	fmt.Fprintf(a.w, "custom role %q, assignable at %s\n", p.HubRole.Name, strings.Join(p.HubRole.AssignableScopes, ", "))
	existing, err := a.lookup("az", "role", "definition", "list", "--custom-role-only", "true", "--name", p.HubRole.Name,
		"--query", "[0].[name, join(',', permissions[0].actions), join(',', assignableScopes)]", "-o", "tsv")
	if err != nil {
		return err
	}
	def := map[string]any{
		"Name": p.HubRole.Name, "Description": p.HubRole.Description, "IsCustom": true,
		"Actions": p.HubRole.Actions, "NotActions": []string{}, "AssignableScopes": p.HubRole.AssignableScopes,
	}
	fields := strings.Split(existing, "\t")
	if existing == "" {
		b, _ := json.Marshal(def)
		_, err = a.change("create the custom role", "", "", "az", "role", "definition", "create", "--role-definition", string(b))
		return err
	}
	if len(fields) == 3 && sameSet(fields[1], p.HubRole.Actions) && sameSet(fields[2], p.HubRole.AssignableScopes) {
		return nil
	}
	def["Id"] = fields[0]
	b, _ := json.Marshal(def)
	_, err = a.change("update the custom role to exactly its actions and scopes", "", "", "az", "role", "definition", "update", "--role-definition", string(b))
	return err
}

// sameSet reports whether the comma-separated list holds exactly want.
func sameSet(list string, want []string) bool {
	got := strings.Split(list, ",")
	slices.Sort(got)
	w := slices.Clone(want)
	slices.Sort(w)
	return slices.EqualFunc(got, w, strings.EqualFold)
}

// apps makes each application, its service principal, its federated
// credentials and its role assignments.
func (a *applier) apps(p Plan) error {
	for _, app := range p.Apps {
		fmt.Fprintf(a.w, "application %s (trusts %s)\n", app.Name, strings.Join(app.Subjects, ", "))
		appID, err := a.lookup("az", "ad", "app", "list", "--display-name", app.Name, "--query", "[0].appId", "-o", "tsv")
		if err != nil {
			return err
		}
		if appID == "" {
			if appID, err = a.change("create the application", "", "<appId of "+app.Name+">",
				"az", "ad", "app", "create", "--display-name", app.Name, "--sign-in-audience", "AzureADMyOrg", "--query", "appId", "-o", "tsv"); err != nil {
				return err
			}
		}
		spID, err := a.lookup("az", "ad", "sp", "list", "--filter", "appId eq '"+appID+"'", "--query", "[0].id", "-o", "tsv")
		if err != nil {
			return err
		}
		if spID == "" {
			if spID, err = a.change("create its service principal", "", "<objectId of "+app.Name+">",
				"az", "ad", "sp", "create", "--id", appID, "--query", "id", "-o", "tsv"); err != nil {
				return err
			}
		}
		if err := a.credentials(app, appID); err != nil {
			return err
		}
		if err := a.grants(p, app, spID); err != nil {
			return err
		}
		if app.Stack == "" {
			if _, err := a.change("set repository variable "+app.Variable, "", "", "gh", "variable", "set", app.Variable, "--repo", p.Repo, "--body", appID); err != nil {
				return err
			}
		} else {
			if _, err := a.change("set variable "+app.Variable+" of environment "+app.Stack, "", "", "gh", "variable", "set", app.Variable, "--repo", p.Repo, "--env", app.Stack, "--body", appID); err != nil {
				return err
			}
		}
	}
	return nil
}

// credentialName is a federated credential's name for subject.
func credentialName(subject string) string {
	_, rest, _ := strings.Cut(subject, ":") // OWNER/REPO:...
	_, rest, _ = strings.Cut(rest, ":")     // environment:dev
	return "github-" + nonName.ReplaceAllString(rest, "-")
}

var nonName = regexp.MustCompile(`[^A-Za-z0-9-]+`)

// credentials makes the application trust exactly its subjects.
func (a *applier) credentials(app App, appID string) error {
	list, err := a.lookup("az", "ad", "app", "federated-credential", "list", "--id", appID, "--query", "[].[name, subject]", "-o", "tsv")
	if err != nil {
		return err
	}
	have := map[string]string{} // subject → name
	for line := range strings.Lines(list) {
		name, subject, _ := strings.Cut(strings.TrimSpace(line), "\t")
		if name != "" {
			have[subject] = name
		}
	}
	for _, subject := range app.Subjects {
		if _, ok := have[subject]; ok {
			continue
		}
		params, _ := json.Marshal(map[string]any{
			"name": credentialName(subject), "issuer": githubIssuer, "subject": subject,
			"audiences": []string{tokenAudience}, "description": "GitHub Actions, " + subject,
		})
		if _, err := a.change("trust "+subject, "", "", "az", "ad", "app", "federated-credential", "create", "--id", appID, "--parameters", string(params)); err != nil {
			return err
		}
	}
	for _, subject := range slices.Sorted(maps.Keys(have)) {
		if slices.Contains(app.Subjects, subject) {
			continue
		}
		if _, err := a.change("stop trusting "+subject+" (not in the plan)", "", "", "az", "ad", "app", "federated-credential", "delete", "--id", appID, "--federated-credential-id", have[subject]); err != nil {
			return err
		}
	}
	return nil
}

// grants makes the application's role assignments, and names those it holds
// beyond the plan.
func (a *applier) grants(p Plan, app App, spID string) error {
	for _, g := range app.Grants {
		role := g.RoleID
		if role == "" {
			role = g.Role
		}
		got, err := a.lookup("az", "role", "assignment", "list", "--assignee", spID, "--role", role, "--scope", g.Scope, "--query", "[0].[id, condition]", "-o", "tsv")
		if err != nil {
			return err
		}
		if got != "" {
			id, condition, _ := strings.Cut(got, "\t")
			if condition == "None" {
				condition = ""
			}
			if condition == g.Condition {
				continue
			}
			if _, err := a.change("remove "+g.Role+" on "+g.Scope+" (its condition differs from the plan's)", "", "", "az", "role", "assignment", "delete", "--ids", id); err != nil {
				return err
			}
		}
		args := []string{"role", "assignment", "create", "--assignee-object-id", spID, "--assignee-principal-type", "ServicePrincipal",
			"--role", role, "--scope", g.Scope, "--description", g.Why}
		if g.Condition != "" {
			args = append(args, "--condition", g.Condition, "--condition-version", "2.0")
		}
		if _, err := a.change("grant "+g.Role+" on "+g.Scope, "", "", "az", args...); err != nil {
			return err
		}
	}
	all, err := a.lookup("az", "role", "assignment", "list", "--assignee", spID, "--all", "--query", "[].[roleDefinitionName, scope, id]", "-o", "tsv")
	if err != nil {
		return err
	}
	for line := range strings.Lines(all) {
		f := strings.Split(strings.TrimSpace(line), "\t")
		if len(f) != 3 || slices.ContainsFunc(app.Grants, func(g Grant) bool { return g.Role == f[0] && strings.EqualFold(g.Scope, f[1]) }) {
			continue
		}
		a.note("%s also holds %s on %s, which the plan does not give it: az role assignment delete --ids %s", app.Name, f[0], f[1], f[2])
	}
	return nil
}

// environments makes each deployment environment: main only, reviewers
// where asked.
func (a *applier) environments(p Plan) error {
	owner, _, _ := strings.Cut(p.Repo, "/")
	type ghReviewer struct {
		Type string `json:"type"`
		ID   int64  `json:"id"`
	}
	reviewers := []ghReviewer{}
	for _, rv := range a.o.Reviewers {
		path := "users/" + rv.Name
		if rv.Kind == "Team" {
			path = "orgs/" + owner + "/teams/" + rv.Name
		}
		id, err := a.lookup("gh", "api", path, "--jq", ".id")
		if err != nil {
			return err
		}
		var n int64
		if _, err := fmt.Sscan(id, &n); err != nil && !a.o.Offline {
			return fmt.Errorf("reviewer %s %s: no id in %q", rv.Kind, rv.Name, id)
		}
		reviewers = append(reviewers, ghReviewer{Type: rv.Kind, ID: n})
	}
	for _, e := range p.Environments {
		fmt.Fprintf(a.w, "environment %s (deploys from %s only", e.Name, e.Branch)
		if e.Reviewers {
			fmt.Fprint(a.w, ", after a reviewer's approval")
		}
		fmt.Fprintln(a.w, ")")
		body := map[string]any{
			"prevent_self_review":      e.Reviewers,
			"deployment_branch_policy": map[string]bool{"protected_branches": false, "custom_branch_policies": true},
			"reviewers":                []ghReviewer{},
		}
		if e.Reviewers {
			body["reviewers"] = reviewers
		}
		b, _ := json.Marshal(body)
		if _, err := a.change("create or update the environment", string(b), "", "gh", "api", "-X", "PUT", "repos/"+p.Repo+"/environments/"+e.Name, "--input", "-"); err != nil {
			return err
		}
		policies, err := a.lookup("gh", "api", "repos/"+p.Repo+"/environments/"+e.Name+"/deployment-branch-policies",
			"--jq", `.branch_policies[] | "\(.id)\t\(.name)\t\(.type)"`)
		if err != nil {
			return err
		}
		hasMain := false
		for line := range strings.Lines(policies) {
			f := strings.Split(strings.TrimSpace(line), "\t")
			if len(f) != 3 {
				continue
			}
			if f[1] == e.Branch && f[2] == "branch" {
				hasMain = true
				continue
			}
			if _, err := a.change("remove deployment policy "+f[2]+" "+f[1]+" (only "+e.Branch+" deploys)", "", "",
				"gh", "api", "-X", "DELETE", "repos/"+p.Repo+"/environments/"+e.Name+"/deployment-branch-policies/"+f[0]); err != nil {
				return err
			}
		}
		if !hasMain {
			if _, err := a.change("let only "+e.Branch+" deploy", "", "",
				"gh", "api", "-X", "POST", "repos/"+p.Repo+"/environments/"+e.Name+"/deployment-branch-policies", "-f", "name="+e.Branch, "-f", "type=branch"); err != nil {
				return err
			}
		}
		for _, s := range e.Secrets {
			a.note("set secret %s of environment %s (%s): gh secret set %s --repo %s --env %s", s.Name, e.Name, s.About, s.Name, p.Repo, e.Name)
		}
	}
	return nil
}

// repository sets the repository variables, and names what an earlier setup
// left at the repository's level that a pull request could reach.
func (a *applier) repository(p Plan) error {
	fmt.Fprintf(a.w, "repository %s\n", p.Repo)
	tenant, err := a.lookup("az", "account", "show", "--query", "tenantId", "-o", "tsv")
	if err != nil {
		return err
	}
	if tenant == "" {
		tenant = "<the tenant of az account show>"
	}
	for _, v := range p.RepoVariables {
		value := v.Value
		switch v.Name {
		case VarPreviewClientID:
			continue // set with its application
		case VarTenantID:
			value = tenant
		}
		if _, err := a.change("set repository variable "+v.Name, "", "", "gh", "variable", "set", v.Name, "--repo", p.Repo, "--body", value); err != nil {
			return err
		}
	}
	for _, s := range p.RepoSecrets {
		a.note("set repository secret %s (%s): gh secret set %s --repo %s", s.Name, s.About, s.Name, p.Repo)
	}
	for _, e := range p.Environments {
		a.note("create stack %s in the backend once, if it is not there: pulumi stack init %s", e.Name, e.Name)
	}
	vars, err := a.lookup("gh", "variable", "list", "--repo", p.Repo, "--json", "name", "--jq", ".[].name")
	if err != nil {
		return err
	}
	if slices.Contains(strings.Fields(vars), VarDeployClientID) {
		a.note("repository variable %s holds a deploy identity where every pull request can read it (an earlier setup): gh variable delete %s --repo %s", VarDeployClientID, VarDeployClientID, p.Repo)
	}
	secrets, err := a.lookup("gh", "secret", "list", "--repo", p.Repo, "--json", "name", "--jq", ".[].name")
	if err != nil {
		return err
	}
	if slices.Contains(strings.Fields(secrets), SecretDeployToken) {
		a.note("repository secret %s can write every stack and every pull request's preview receives it (an earlier setup): move it to the environments, then gh secret delete %s --repo %s", SecretDeployToken, SecretDeployToken, p.Repo)
	}
	return nil
}
