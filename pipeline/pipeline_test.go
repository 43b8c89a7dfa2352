package pipeline

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/aks-kubenet/aks-kubenet/iam/roles"
	"github.com/aks-kubenet/aks-kubenet/spec"
)

const (
	repo      = "acme/aks-kubenet"
	devSub    = "0b1f6471-1bf0-4dda-aec3-cb9272f09590"
	prodSub   = "5d7a1c2e-3b4f-4a6d-8e9f-0a1b2c3d4e5f"
	stageSub  = "2e6f8a1b-4c3d-4e5f-9a7b-6c8d0e1f2a3b"
	hubSub    = "7c3e9a52-5d1b-4f6e-9a08-3b2d4c5e6f71"
	container = "/subscriptions/9a8b7c6d-5e4f-4a3b-2c1d-0e9f8a7b6c5d/resourceGroups/state-rg/providers/Microsoft.Storage/storageAccounts/acmestate/blobServices/default/containers/pulumi-state"
)

// committed reads the committed stacks with their placeholders replaced, as
// the README tells each stack's owner to.
func committed(t *testing.T) []spec.Stack {
	t.Helper()
	stacks, err := LoadStacks("..")
	if err != nil {
		t.Fatal(err)
	}
	for i := range stacks {
		switch stacks[i].Name {
		case "dev":
			stacks[i].Subscription = devSub
		case "prod":
			stacks[i].Subscription = prodSub
			stacks[i].Hub.VnetID = strings.Replace(stacks[i].Hub.VnetID, spec.PlaceholderSubscription, hubSub, 1)
		case "staging":
			stacks[i].Subscription = stageSub
		default:
			t.Fatalf("a stack this test does not know: %s", stacks[i].Name)
		}
	}
	return stacks
}

func derive(t *testing.T, o Options) Plan {
	t.Helper()
	p, err := Derive(o)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// stackNamed is the committed stack of that name.
func stackNamed(t *testing.T, stacks []spec.Stack, name string) spec.Stack {
	t.Helper()
	for _, s := range stacks {
		if s.Name == name {
			return s
		}
	}
	t.Fatalf("no committed stack %q", name)
	return spec.Stack{}
}

func appFor(t *testing.T, p Plan, stack string) App {
	t.Helper()
	for _, a := range p.Apps {
		if a.Stack == stack {
			return a
		}
	}
	t.Fatalf("no application for stack %q", stack)
	return App{}
}

// The committed stacks, with a self-managed state container: each deploy
// identity trusts only its environment and holds roles only on its own
// stack's scope, its hub VNet (only the peering's rights) and its own state
// blobs; the read-only identity trusts pull requests and main and only reads;
// only main deploys, prod after a reviewer. Each stack creates its resource
// group, so its scope is its own subscription; only prod peers with a hub;
// staging, like dev, is no production stack and deploys without a reviewer.
func TestCommittedStacks(t *testing.T) {
	stacks := committed(t)
	p := derive(t, Options{Repo: repo, Project: spec.Project, Stacks: stacks, StateContainer: container, Reviewed: []string{"prod"}})
	if len(p.Placeholders) > 0 || len(p.SharedScopes) > 0 {
		t.Errorf("placeholders %v, shared scopes %v; want none", p.Placeholders, p.SharedScopes)
	}
	for _, want := range []struct {
		stack, subscription string
		hub                 bool
	}{
		{"dev", devSub, false},
		{"prod", prodSub, true},
		{"staging", stageSub, false},
	} {
		s := stackNamed(t, stacks, want.stack)
		if got := Scope(s); got != "/subscriptions/"+want.subscription {
			t.Errorf("%s deploys at %s, want its own subscription /subscriptions/%s (it creates its resource group)", s.Name, got, want.subscription)
		}
		if (s.Hub != nil) != want.hub {
			t.Errorf("%s peers with a hub: %v, want %v", s.Name, s.Hub != nil, want.hub)
		}
		app := appFor(t, p, s.Name)
		if app.Name != "aks-kubenet-deploy-"+s.Name {
			t.Errorf("%s's deploy identity is %s, want aks-kubenet-deploy-%s", s.Name, app.Name, s.Name)
		}
		grants, what := 3, "Contributor, the RBAC administrator and its state blobs"
		if want.hub {
			grants, what = 4, what+", and the hub peering"
		}
		if len(app.Grants) != grants {
			t.Errorf("%s's deploy identity holds %d grants, want %d: %s", s.Name, len(app.Grants), grants, what)
		}
		if !slices.Contains(p.RepoVariables, Setting{Name: "AZURE_SUBSCRIPTION_ID_" + strings.ToUpper(s.Name), About: "stack " + s.Name + "'s subscription", Value: want.subscription}) {
			t.Errorf("no repository variable of %s's subscription %s among %v", s.Name, want.subscription, p.RepoVariables)
		}
	}
	var envs []string
	for _, e := range p.Environments {
		envs = append(envs, e.Name)
	}
	if want := []string{"dev", "prod", "staging"}; !slices.Equal(envs, want) {
		t.Errorf("environments %v, want %v", envs, want)
	}
	for _, s := range stacks {
		app := appFor(t, p, s.Name)
		if want := []string{"repo:" + repo + ":environment:" + s.Name}; !slices.Equal(app.Subjects, want) {
			t.Errorf("%s trusts %v, want only %v", app.Name, app.Subjects, want)
		}
		if app.Variable != VarDeployClientID {
			t.Errorf("%s's client id is in %s, want %s", app.Name, app.Variable, VarDeployClientID)
		}
		for _, g := range app.Grants {
			switch {
			case g.Scope == Scope(s):
				if g.RoleID != roles.Contributor && g.RoleID != roles.RBACAdministrator {
					t.Errorf("%s holds %s on its scope", app.Name, g.Role)
				}
				if g.RoleID == roles.RBACAdministrator && (!strings.Contains(g.Condition, roles.NetworkContributor) || !strings.Contains(g.Condition, roles.ClusterAdmin) || strings.Count(g.Condition, "GuidEquals {"+roles.NetworkContributor+", "+roles.ClusterAdmin+"}") != 2) {
					t.Errorf("%s may grant more than Network Contributor and AKS RBAC Cluster Admin: %s", app.Name, g.Condition)
				}
			case s.Hub != nil && g.Scope == s.Hub.VnetID:
				if p.HubRole == nil || g.Role != p.HubRole.Name {
					t.Errorf("%s holds %s on the hub VNet, want only the hub peering role", app.Name, g.Role)
				}
			case g.Scope == container:
				if g.RoleID != roles.StorageBlobDataContributor || !strings.Contains(g.Condition, "'.pulumi/stacks/aks-kubenet/"+s.Name+".json*'") {
					t.Errorf("%s holds %s on the state container with condition %q, want writes to its own blobs only", app.Name, g.Role, g.Condition)
				}
				for _, other := range stacks {
					if other.Name != s.Name && strings.Contains(g.Condition, "/"+other.Name+"/") {
						t.Errorf("%s may write %s's state: %s", app.Name, other.Name, g.Condition)
					}
				}
			default:
				t.Errorf("%s holds %s on %s, outside its stack's scope", app.Name, g.Role, g.Scope)
			}
		}
	}
	prod := appFor(t, p, "prod")
	hub := stackNamed(t, stacks, "prod").Hub.VnetID
	if !slices.ContainsFunc(prod.Grants, func(g Grant) bool { return g.Scope == hub }) {
		t.Error("prod's deploy identity holds nothing on the hub VNet: the first up from CI is refused at the hub-side peering")
	}
	if p.HubRole == nil || !slices.Equal(p.HubRole.AssignableScopes, []string{hub}) || !slices.Equal(p.HubRole.Actions, HubPeeringActions) {
		t.Errorf("hub role %+v, want the peering actions assignable at the hub VNet only", p.HubRole)
	}

	preview := appFor(t, p, "")
	if want := []string{"repo:" + repo + ":pull_request", "repo:" + repo + ":ref:refs/heads/main"}; !slices.Equal(preview.Subjects, want) {
		t.Errorf("%s trusts %v, want %v", preview.Name, preview.Subjects, want)
	}
	if preview.Variable != VarPreviewClientID {
		t.Errorf("%s's client id is in %s, want %s", preview.Name, preview.Variable, VarPreviewClientID)
	}
	for _, g := range preview.Grants {
		if g.RoleID != roles.Reader && g.RoleID != roles.StorageBlobDataReader {
			t.Errorf("the read-only identity holds %s on %s", g.Role, g.Scope)
		}
	}
	for _, e := range p.Environments {
		if e.Branch != "main" || e.Reviewers != (e.Name == "prod") {
			t.Errorf("environment %s: branch %s, reviewers %v; want main, reviewers on prod only", e.Name, e.Branch, e.Reviewers)
		}
		if len(e.Secrets) > 0 {
			t.Errorf("environment %s has secrets %v with a self-managed backend, which needs none", e.Name, e.Secrets)
		}
	}
}

// With Pulumi Cloud the write-capable tokens are environment secrets, and
// the repository holds only the read token.
func TestPulumiCloudTokens(t *testing.T) {
	p := derive(t, Options{Repo: repo, Project: spec.Project, Stacks: committed(t), PulumiOrg: "acme"})
	for _, e := range p.Environments {
		if len(e.Secrets) != 1 || e.Secrets[0].Name != SecretDeployToken {
			t.Errorf("environment %s has secrets %v, want its own %s", e.Name, e.Secrets, SecretDeployToken)
		}
	}
	if len(p.RepoSecrets) != 1 || p.RepoSecrets[0].Name != SecretPreviewToken {
		t.Errorf("repository secrets %v, want only %s", p.RepoSecrets, SecretPreviewToken)
	}
	for _, a := range p.Apps {
		for _, g := range a.Grants {
			if strings.Contains(g.Role, "Storage") {
				t.Errorf("%s holds %s without a self-managed backend", a.Name, g.Role)
			}
		}
	}
}

// Bad options are refused, every problem at once.
func TestDeriveRefuses(t *testing.T) {
	_, err := Derive(Options{Repo: "acme", Project: spec.Project, Stacks: committed(t), StateContainer: "/subscriptions/x/containers/y", Reviewed: []string{"production"}})
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{`-repo "acme"`, `-reviewed "production": no such stack (the stacks are dev, prod, staging)`, `-state-container "/subscriptions/x/containers/y"`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the error does not say %q:\n%v", want, err)
		}
	}
	if _, err := Derive(Options{Repo: repo, Project: spec.Project, Stacks: committed(t)}); err == nil || !strings.Contains(err.Error(), "-pulumi-org") {
		t.Errorf("with neither a state container nor a Pulumi org: %v", err)
	}
}

// Two stacks whose deploy scopes overlap are reported: one identity could
// write the other's resources.
func TestSharedScopes(t *testing.T) {
	group := func(name, sub, rg string, existing bool) spec.Stack {
		return spec.Stack{Name: name, Subscription: sub, ResourceGroup: spec.ResourceGroup{Name: rg, Existing: existing}}
	}
	for _, tc := range []struct {
		name   string
		stacks []spec.Stack
		want   string
	}{
		{"own subscriptions", []spec.Stack{group("dev", devSub, "a", false), group("prod", prodSub, "b", false)}, ""},
		{"own groups in one subscription", []spec.Stack{group("dev", devSub, "a", true), group("prod", devSub, "b", true)}, ""},
		{"one subscription, groups created", []spec.Stack{group("dev", devSub, "a", false), group("prod", devSub, "b", false)}, "dev and prod deploy at the same scope"},
		{"one stack's subscription holds the other's group", []spec.Stack{group("dev", devSub, "a", false), group("prod", devSub, "b", true)}, "dev's identity could write prod's resources"},
		{"the other way round", []spec.Stack{group("prod", devSub, "b", true), group("dev", devSub, "a", false)}, "dev's identity could write prod's resources"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := derive(t, Options{Repo: repo, Project: spec.Project, Stacks: tc.stacks, StateContainer: container})
			got := strings.Join(p.SharedScopes, "\n")
			if tc.want == "" && got != "" || tc.want != "" && !strings.Contains(got, tc.want) {
				t.Errorf("shared scopes %q, want %q", got, tc.want)
			}
		})
	}
}

// fakeCLI answers the az and gh commands of Apply: lookups from answers (by
// a prefix of the command line), nothing otherwise; every command is
// recorded.
type fakeCLI struct {
	answers map[string]string
	ran     []string
}

func (f *fakeCLI) Run(_ context.Context, stdin, name string, args ...string) (string, error) {
	line := name + " " + strings.Join(args, " ")
	if stdin != "" {
		line += " <<< " + stdin
	}
	f.ran = append(f.ran, line)
	for prefix, out := range f.answers {
		if strings.HasPrefix(line, prefix) {
			return out, nil
		}
	}
	switch {
	case strings.Contains(line, "ad app create"):
		return "appid-" + args[len(args)-7] + "\n", nil // the display name
	case strings.Contains(line, "ad sp create"):
		return "sp-" + args[3] + "\n", nil
	case strings.HasPrefix(line, "gh api orgs/"):
		return "4242\n", nil
	}
	return "", nil
}

// changes are the commands that changed something.
func (f *fakeCLI) changes() []string {
	var out []string
	for _, line := range f.ran {
		if strings.Contains(line, " create ") || strings.Contains(line, " delete ") || strings.Contains(line, "-X ") || strings.Contains(line, "variable set") || strings.Contains(line, " update ") {
			out = append(out, line)
		}
	}
	return out
}

func apply(t *testing.T, p Plan, f *fakeCLI, o ApplyOptions) string {
	t.Helper()
	var out bytes.Buffer
	if err := Apply(context.Background(), p, f, &out, o); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	return out.String()
}

// A first run on an empty tenant makes every application with exactly its
// subjects, every grant, and the environments with reviewers on prod.
func TestApplyOnAnEmptyTenant(t *testing.T) {
	p := derive(t, Options{Repo: repo, Project: spec.Project, Stacks: committed(t), StateContainer: container, Reviewed: []string{"prod"}})
	f := &fakeCLI{}
	apply(t, p, f, ApplyOptions{Reviewers: []Reviewer{{Kind: "Team", Name: "platform-admins"}}})
	changes := strings.Join(f.changes(), "\n")
	for _, app := range p.Apps {
		if !strings.Contains(changes, "ad app create --display-name "+app.Name+" ") {
			t.Errorf("no application %s made", app.Name)
		}
	}
	var trusts []string
	for _, line := range f.changes() {
		if i := strings.Index(line, `"subject":"`); i >= 0 && strings.Contains(line, "federated-credential create") {
			id := strings.Fields(line)[6]
			trusts = append(trusts, id+" "+strings.Split(line[i+len(`"subject":"`):], `"`)[0])
		}
	}
	want := []string{
		"appid-aks-kubenet-deploy-dev repo:" + repo + ":environment:dev",
		"appid-aks-kubenet-deploy-prod repo:" + repo + ":environment:prod",
		"appid-aks-kubenet-deploy-staging repo:" + repo + ":environment:staging",
		"appid-aks-kubenet-preview repo:" + repo + ":pull_request",
		"appid-aks-kubenet-preview repo:" + repo + ":ref:refs/heads/main",
	}
	if !slices.Equal(trusts, want) {
		t.Errorf("federated credentials made:\n%s\nwant:\n%s", strings.Join(trusts, "\n"), strings.Join(want, "\n"))
	}
	grants := 0
	for _, a := range p.Apps {
		grants += len(a.Grants)
	}
	if got := strings.Count(changes, "role assignment create"); got != grants {
		t.Errorf("%d role assignments made, want %d", got, grants)
	}
	if !strings.Contains(changes, `environments/prod --input - <<< {"deployment_branch_policy":{"custom_branch_policies":true,"protected_branches":false},"prevent_self_review":true,"reviewers":[{"type":"Team","id":4242}]}`) {
		t.Errorf("prod is not made with its reviewers:\n%s", changes)
	}
	for _, env := range []string{"dev", "staging"} {
		if !strings.Contains(changes, `environments/`+env+` --input - <<< {"deployment_branch_policy":{"custom_branch_policies":true,"protected_branches":false},"prevent_self_review":false,"reviewers":[]}`) {
			t.Errorf("%s is not made main-only without reviewers:\n%s", env, changes)
		}
	}
	for _, env := range []string{"dev", "prod", "staging"} {
		if !strings.Contains(changes, "environments/"+env+"/deployment-branch-policies -f name=main -f type=branch") {
			t.Errorf("environment %s accepts any branch", env)
		}
		if !strings.Contains(changes, "variable set AZURE_CLIENT_ID --repo "+repo+" --env "+env+" --body appid-aks-kubenet-deploy-"+env) {
			t.Errorf("environment %s does not get its deploy identity", env)
		}
	}
	if strings.Contains(changes, "variable set AZURE_CLIENT_ID --repo "+repo+" --body") {
		t.Error("a deploy identity is set as a repository variable, which pull requests read")
	}
}

// A second run over what the first made changes no application, credential,
// grant or branch policy; over the old one-application setup, it stops the
// deploy identity trusting pull requests and main, replaces a grant whose
// condition differs, removes any other deployment branch policy, and names
// the repository variable and secret a pull request could reach.
func TestApplyIsIdempotentAndCorrects(t *testing.T) {
	p := derive(t, Options{Repo: repo, Project: spec.Project, Stacks: committed(t), StateContainer: container, Reviewed: []string{"prod"}})
	done := map[string]string{
		"az role definition list": "guid-hub\t" + strings.Join(HubPeeringActions, ",") + "\t" + p.HubRole.AssignableScopes[0],
		"gh api orgs/":            "4242",
	}
	for _, app := range p.Apps {
		done["az ad app list --display-name "+app.Name+" "] = "appid-" + app.Name
		done["az ad sp list --filter appId eq 'appid-"+app.Name+"'"] = "sp-" + app.Name
		var creds []string
		for _, s := range app.Subjects {
			creds = append(creds, credentialName(s)+"\t"+s)
		}
		done["az ad app federated-credential list --id appid-"+app.Name+" "] = strings.Join(creds, "\n")
		for _, g := range app.Grants {
			role := g.RoleID
			if role == "" {
				role = g.Role
			}
			condition := g.Condition
			if condition == "" {
				condition = "None"
			}
			done[fmt.Sprintf("az role assignment list --assignee sp-%s --role %s --scope %s ", app.Name, role, g.Scope)] = "id-" + role + "\t" + condition
		}
	}
	for _, env := range []string{"dev", "prod", "staging"} {
		done["gh api repos/"+repo+"/environments/"+env+"/deployment-branch-policies"] = "11\tmain\tbranch"
	}

	f := &fakeCLI{answers: done}
	apply(t, p, f, ApplyOptions{Reviewers: []Reviewer{{Kind: "Team", Name: "platform-admins"}}})
	for _, line := range f.changes() {
		if !strings.Contains(line, "variable set") && !strings.Contains(line, "-X PUT") {
			t.Errorf("a second run changes %s", line)
		}
	}

	// The old setup: one deploy app also trusted by pull requests and main, a
	// Storage grant without its condition, any branch deploying, and the
	// deploy identity and Pulumi token at the repository's level.
	old := map[string]string{}
	for k, v := range done {
		old[k] = v
	}
	old["az ad app federated-credential list --id appid-aks-kubenet-deploy-dev "] = "github-environment-dev\trepo:" + repo + ":environment:dev\ngithub-pull-request\trepo:" + repo + ":pull_request\ngithub-main\trepo:" + repo + ":ref:refs/heads/main"
	old["az role assignment list --assignee sp-aks-kubenet-deploy-prod --role "+roles.StorageBlobDataContributor+" --scope "+container+" "] = "id-old-storage\tNone"
	old["gh api repos/"+repo+"/environments/dev/deployment-branch-policies"] = "12\t*\tbranch"
	old["gh variable list"] = "AZURE_CLIENT_ID\nAZURE_TENANT_ID"
	old["gh secret list"] = "PULUMI_ACCESS_TOKEN"
	f = &fakeCLI{answers: old}
	out := apply(t, p, f, ApplyOptions{Reviewers: []Reviewer{{Kind: "Team", Name: "platform-admins"}}})
	changes := strings.Join(f.changes(), "\n")
	for _, want := range []string{
		"az ad app federated-credential delete --id appid-aks-kubenet-deploy-dev --federated-credential-id github-pull-request",
		"az ad app federated-credential delete --id appid-aks-kubenet-deploy-dev --federated-credential-id github-main",
		"az role assignment delete --ids id-old-storage",
		"az role assignment create --assignee-object-id sp-aks-kubenet-deploy-prod --assignee-principal-type ServicePrincipal --role " + roles.StorageBlobDataContributor,
		"gh api -X DELETE repos/" + repo + "/environments/dev/deployment-branch-policies/12",
		"gh api -X POST repos/" + repo + "/environments/dev/deployment-branch-policies -f name=main -f type=branch",
	} {
		if !strings.Contains(changes, want) {
			t.Errorf("no %q among the changes:\n%s", want, changes)
		}
	}
	for _, want := range []string{"gh variable delete AZURE_CLIENT_ID --repo " + repo, "gh secret delete PULUMI_ACCESS_TOKEN --repo " + repo} {
		if !strings.Contains(out, want) {
			t.Errorf("the output does not name %q:\n%s", want, out)
		}
	}
}

// -apply refuses placeholders, shared scopes and a reviewed environment
// without reviewers, every one at once; a dry run shows them and goes on.
func TestApplyRefuses(t *testing.T) {
	stacks, err := LoadStacks("..")
	if err != nil {
		t.Fatal(err)
	}
	p := derive(t, Options{Repo: repo, Project: spec.Project, Stacks: stacks, StateContainer: container, Reviewed: []string{"prod"}})
	f := &fakeCLI{}
	err = Apply(context.Background(), p, f, &bytes.Buffer{}, ApplyOptions{})
	if err == nil {
		t.Fatal("-apply ran with the committed placeholders")
	}
	for _, want := range []string{"placeholder: dev: azure-native:subscriptionId", "placeholder: prod: aks-kubenet:hub.vnetId", "placeholder: staging: azure-native:subscriptionId",
		"shared scope: dev and prod deploy at the same scope", "shared scope: dev and staging deploy at the same scope", "shared scope: prod and staging deploy at the same scope", "-reviewers: environment prod requires reviewers"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the refusal does not say %q:\n%v", want, err)
		}
	}
	if strings.Contains(err.Error(), "environment staging requires reviewers") {
		t.Errorf("staging, no production stack, is refused without reviewers:\n%v", err)
	}
	if len(f.ran) > 0 {
		t.Errorf("a refused -apply ran %v", f.ran)
	}
	var out bytes.Buffer
	if err := Apply(context.Background(), p, f, &out, ApplyOptions{DryRun: true, Offline: true}); err != nil {
		t.Fatalf("the offline dry run: %v", err)
	}
	if len(f.ran) > 0 {
		t.Errorf("the offline dry run ran %v", f.ran)
	}
	if !strings.Contains(out.String(), "would trust repo:"+repo+":environment:prod") {
		t.Errorf("the dry run does not show the changes:\n%s", out.String())
	}
}
