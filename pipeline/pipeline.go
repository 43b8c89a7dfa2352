// Package pipeline derives, from the committed stacks, the identities and
// rights the GitHub workflows in .github/workflows run with, and the GitHub
// environments that guard them:
//
//   - one deploy identity per stack, trusted only by the GitHub environment of
//     the same name (repo:OWNER/REPO:environment:<stack>), with roles only on
//     its stack's scope, on its own blobs of a self-managed state container,
//     and, for a stack peered with a hub, exactly the peering's rights on the
//     hub VNet;
//   - one read-only identity for previews and the drift check, trusted by
//     pull requests and the main branch, with Reader on the stacks' scopes and
//     hub VNets and Storage Blob Data Reader on the state (the pinned CLI's
//     preview neither locks nor writes the state: tests/engine
//     TestPreviewNeedsOnlyReadAccessToTheState);
//   - one environment per stack that only main can deploy to, with required
//     reviewers where asked (prod).
//
// cmd/setup prints the plan and, with -apply, carries it out with the az and
// gh CLIs. The names of the variables and secrets the workflows read are
// declared here once; tests/workflows_test.go holds the workflows to them.
// The package has no Pulumi imports.
package pipeline

import (
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"

	"github.com/aks-kubenet/aks-kubenet/armid"
	"github.com/aks-kubenet/aks-kubenet/iam/roles"
	"github.com/aks-kubenet/aks-kubenet/internal/stackfile"
	"github.com/aks-kubenet/aks-kubenet/spec"
)

// The GitHub variables and secrets the workflows read. Deploy jobs read the
// environment's (their job names the environment); every other job reads the
// repository's, which never hold a deploy identity or a write-capable secret.
const (
	// VarDeployClientID is an environment variable of each deployment
	// environment: the client id of that stack's deploy identity.
	VarDeployClientID = "AZURE_CLIENT_ID"
	// VarPreviewClientID is a repository variable: the client id of the
	// read-only identity of previews and the drift check.
	VarPreviewClientID = "AZURE_PREVIEW_CLIENT_ID"
	// VarTenantID is a repository variable: the Entra tenant.
	VarTenantID = "AZURE_TENANT_ID"
	// VarSubscriptionPrefix, then the stack's name in capitals, is a
	// repository variable: the stack's subscription.
	VarSubscriptionPrefix = "AZURE_SUBSCRIPTION_ID_"
	// VarBackendURL and VarStorageAccount are repository variables of a
	// self-managed azblob:// state backend.
	VarBackendURL     = "PULUMI_BACKEND_URL"
	VarStorageAccount = "AZURE_STORAGE_ACCOUNT"
	// VarPulumiOrg is a repository variable with a Pulumi Cloud backend: the
	// organization.
	VarPulumiOrg = "PULUMI_ORG"
	// SecretPassphrase is a repository secret with a self-managed backend:
	// the passphrase of the stacks' secrets, which previews need to read the
	// config and the state. It decrypts; it grants no write.
	SecretPassphrase = "PULUMI_CONFIG_PASSPHRASE"
	// SecretDeployToken is an environment secret of each deployment
	// environment with Pulumi Cloud: a token that may write that stack only.
	SecretDeployToken = "PULUMI_ACCESS_TOKEN"
	// SecretPreviewToken is a repository secret with Pulumi Cloud: a token
	// of a team with Stack Read on the project's stacks ("allows for running
	// previews", https://www.pulumi.com/docs/administration/access-identity/rbac/permission-sets).
	SecretPreviewToken = "PULUMI_PREVIEW_ACCESS_TOKEN"
)

// DeployBranch is the only branch a deployment environment accepts.
const DeployBranch = "main"

// HubPeeringActions are the rights a stack's deploy identity holds on a hub
// VNet it peers with, and nothing else in the hub's subscription: read the
// VNet, write, read and delete the hub-to-spoke peering in it, and peer the
// spoke-to-hub half with it
// (https://learn.microsoft.com/azure/virtual-network/virtual-network-manage-peering#permissions).
var HubPeeringActions = []string{
	"Microsoft.Network/virtualNetworks/read",
	"Microsoft.Network/virtualNetworks/peer/action",
	"Microsoft.Network/virtualNetworks/virtualNetworkPeerings/read",
	"Microsoft.Network/virtualNetworks/virtualNetworkPeerings/write",
	"Microsoft.Network/virtualNetworks/virtualNetworkPeerings/delete",
}

// Options is what the plan is derived from.
type Options struct {
	// Repo is the GitHub repository, OWNER/REPO.
	Repo string
	// Project is the Pulumi project's name (Pulumi.yaml).
	Project string
	// Stacks are the committed stacks, as spec.Load reads them.
	Stacks []spec.Stack
	// StateContainer is the resource id of the blob container of a
	// self-managed azblob:// backend, or empty with Pulumi Cloud.
	StateContainer string
	// Reviewed are the stacks whose environment requires a reviewer.
	Reviewed []string
	// PulumiOrg is the Pulumi Cloud organization, without StateContainer.
	PulumiOrg string
}

// Plan is everything the one-time setup creates.
type Plan struct {
	// Repo is the GitHub repository, OWNER/REPO.
	Repo string
	// Apps are the Entra applications, deploy identities first, by stack.
	Apps []App
	// HubRole is the custom role of the hub-side peering; nil when no stack
	// peers with a hub.
	HubRole *CustomRole
	// Environments are the GitHub environments, one per stack.
	Environments []Environment
	// RepoVariables are the repository variables, by name, with what each
	// holds.
	RepoVariables []Setting
	// RepoSecrets are the repository secrets, which the person running the
	// setup sets (their values are not the setup's to know).
	RepoSecrets []Setting
	// SharedScopes lists, for each pair of stacks whose deploy scopes
	// overlap, why: one deploy identity could then write the other's
	// resources.
	SharedScopes []string
	// Placeholders lists the stacks whose subscription (or hub VNet) is
	// still the committed placeholder: the plan shows their scopes as they
	// are, and -apply refuses them.
	Placeholders []string
	// StorageAccount and Container are the parts of Options.StateContainer.
	StorageAccount, Container string
}

// App is one Entra application and its service principal.
type App struct {
	// Name is the application's display name.
	Name string
	// Stack is the stack it deploys; empty for the read-only identity.
	Stack string
	// Variable is the GitHub variable that holds its client id: an
	// environment variable of environment Stack, or a repository variable.
	Variable string
	// Subjects are the only token subjects its federated credentials trust.
	Subjects []string
	// Grants are its role assignments.
	Grants []Grant
}

// Grant is one role assignment.
type Grant struct {
	// Role is the role's name; RoleID the built-in role's id, or empty for
	// the custom HubRole.
	Role, RoleID string
	// Scope is the resource id it applies to.
	Scope string
	// Condition limits it (ABAC, condition version 2.0); empty for none.
	Condition string
	// Why says what the workflows need it for.
	Why string
}

// CustomRole is a custom role definition.
type CustomRole struct {
	// Name is the role's name, unique in the tenant.
	Name, Description string
	// Actions are its rights.
	Actions []string
	// AssignableScopes are the only scopes it can be assigned at.
	AssignableScopes []string
}

// Environment is a GitHub deployment environment.
type Environment struct {
	// Name is the stack's name.
	Name string
	// Reviewers is true when a deployment waits for a reviewer's approval.
	Reviewers bool
	// Branch is the only branch that may deploy to it.
	Branch string
	// Variables and Secrets are the environment's own.
	Variables, Secrets []Setting
}

// Setting is a GitHub variable or secret.
type Setting struct {
	// Name is the variable's or secret's name; About says what it holds.
	Name, About string
	// Value is its value where the plan knows it (a stack's subscription,
	// the backend's names); empty for a client id, the tenant and secrets.
	Value string
}

var (
	repoName       = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9-]*/[A-Za-z0-9._-]+$`)
	storageAccount = regexp.MustCompile(`^[a-z0-9]{3,24}$`)
	blobContainer  = regexp.MustCompile(`^[a-z0-9-]{3,63}$`)
	subscriptionID = regexp.MustCompile(`(?i)^[0-9a-f-]{36}$`)
	envName        = regexp.MustCompile(`^[A-Za-z0-9_.-]+$`)
)

// Scope is the scope of a stack's deploy identity: the stack's resource group
// when it exists already (resourceGroup.existing), else the subscription,
// where the program creates the group.
func Scope(s spec.Stack) string {
	if s.ResourceGroup.Existing {
		return "/subscriptions/" + s.Subscription + "/resourceGroups/" + s.ResourceGroup.Name
	}
	return "/subscriptions/" + s.Subscription
}

// Subject is the subject of the GitHub OIDC token that a job of repo in
// environment env presents
// (https://docs.github.com/actions/reference/security/oidc#example-subject-claims).
func Subject(repo, env string) string { return "repo:" + repo + ":environment:" + env }

// PullRequestSubject and MainSubject are the subjects of a pull request's
// jobs and of jobs on the main branch outside an environment (the drift
// check, the deploy's plan jobs, the /preview command).
func PullRequestSubject(repo string) string { return "repo:" + repo + ":pull_request" }

// MainSubject is the subject of a job on the main branch outside an
// environment.
func MainSubject(repo string) string { return "repo:" + repo + ":ref:refs/heads/" + DeployBranch }

// SubscriptionVariable is the repository variable of a stack's subscription.
func SubscriptionVariable(stack string) string {
	return VarSubscriptionPrefix + strings.ToUpper(stack)
}

// Derive returns the plan, or every problem with the options at once.
func Derive(o Options) (Plan, error) {
	var errs []error
	if !repoName.MatchString(o.Repo) {
		errs = append(errs, fmt.Errorf("-repo %q: want OWNER/REPO, the GitHub repository the workflows run in", o.Repo))
	}
	if len(o.Stacks) == 0 {
		errs = append(errs, errors.New("no stacks: the setup needs at least one Pulumi.<stack>.yaml"))
	}
	names := map[string]bool{}
	for _, s := range o.Stacks {
		names[s.Name] = true
		if !envName.MatchString(s.Name) {
			errs = append(errs, fmt.Errorf("stack %q: a GitHub environment name of letters, digits, '_', '.' and '-' only", s.Name))
		}
	}
	for _, r := range o.Reviewed {
		if !names[r] {
			errs = append(errs, fmt.Errorf("-reviewed %q: no such stack (the stacks are %s)", r, strings.Join(slices.Sorted(maps.Keys(names)), ", ")))
		}
	}
	p := Plan{Repo: o.Repo}
	if o.StateContainer != "" {
		account, container, ok := parseContainerID(o.StateContainer)
		if !ok {
			errs = append(errs, fmt.Errorf("-state-container %q: want a blob container's resource id, /subscriptions/<id>/resourceGroups/<group>/providers/Microsoft.Storage/storageAccounts/<account>/blobServices/default/containers/<container>", o.StateContainer))
		} else {
			p.StorageAccount, p.Container = account, container
		}
	}
	if o.StateContainer == "" && o.PulumiOrg == "" {
		errs = append(errs, errors.New("-pulumi-org: with Pulumi Cloud (no -state-container) the organization is needed"))
	}
	if err := errors.Join(errs...); err != nil {
		return Plan{}, err
	}

	preview := App{
		Name:     o.Project + "-preview",
		Variable: VarPreviewClientID,
		Subjects: []string{PullRequestSubject(o.Repo), MainSubject(o.Repo)},
	}
	var hubs []string
	for _, s := range o.Stacks {
		scope := Scope(s)
		if s.Subscription == spec.PlaceholderSubscription || s.Subscription == "" {
			p.Placeholders = append(p.Placeholders, fmt.Sprintf("%s: %s is %q", s.Name, spec.KeySubscriptionID, s.Subscription))
		}
		contributorWhy := "creates and changes the stack's resources"
		if !s.ResourceGroup.Existing {
			contributorWhy += " and its resource group"
		}
		deploy := App{
			Name:     o.Project + "-deploy-" + s.Name,
			Stack:    s.Name,
			Variable: VarDeployClientID,
			Subjects: []string{Subject(o.Repo, s.Name)},
			Grants: []Grant{
				{Role: roles.Names[roles.Contributor], RoleID: roles.Contributor, Scope: scope,
					Why: contributorWhy},
				{Role: roles.Names[roles.RBACAdministrator], RoleID: roles.RBACAdministrator, Scope: scope,
					Condition: grantOnlyCondition(roles.NetworkContributor, roles.ClusterAdmin),
					Why:       "the program's grants: Network Contributor for the cluster identity, AKS RBAC Cluster Admin for " + spec.PathClusterClusterAdmins + "; no other role"},
			},
		}
		preview.grant(Grant{Role: roles.Names[roles.Reader], RoleID: roles.Reader, Scope: scope,
			Why: "previews and the drift check of " + s.Name + " read and refresh its resources"})
		if s.ExportKubeconfig {
			preview.grant(Grant{Role: roles.Names[roles.ClusterUser], RoleID: roles.ClusterUser, Scope: scope,
				Why: s.Name + " exports the kubeconfig, which a preview reads (listClusterUserCredential)"})
		}
		if s.Hub != nil {
			if strings.Contains(s.Hub.VnetID, spec.PlaceholderSubscription) {
				p.Placeholders = append(p.Placeholders, fmt.Sprintf("%s: %s.vnetId is the placeholder %s", s.Name, spec.KeyHub, s.Hub.VnetID))
			}
			deploy.Grants = append(deploy.Grants, Grant{Role: hubRoleName(o.Project), Scope: s.Hub.VnetID,
				Why: "the hub-to-spoke peering the program writes in the hub VNet, and the spoke-to-hub peering with it; nothing else in the hub's subscription"})
			preview.grant(Grant{Role: roles.Names[roles.Reader], RoleID: roles.Reader, Scope: s.Hub.VnetID,
				Why: "the refresh of " + s.Name + "'s hub-to-spoke peering"})
			if !slices.Contains(hubs, s.Hub.VnetID) {
				hubs = append(hubs, s.Hub.VnetID)
			}
		}
		env := Environment{Name: s.Name, Branch: DeployBranch, Reviewers: slices.Contains(o.Reviewed, s.Name),
			Variables: []Setting{{Name: VarDeployClientID, About: "the client id of " + deploy.Name}}}
		if o.StateContainer != "" {
			deploy.Grants = append(deploy.Grants, Grant{Role: roles.Names[roles.StorageBlobDataContributor], RoleID: roles.StorageBlobDataContributor,
				Scope: o.StateContainer, Condition: ownBlobsCondition(o.Project, s.Name),
				Why: "writes " + s.Name + "'s state, its lock, history and backups, and no other stack's blobs"})
		} else {
			env.Secrets = append(env.Secrets, Setting{Name: SecretDeployToken, About: "a Pulumi Cloud token that may write stack " + s.Name + " only (Stack Write)"})
		}
		p.Apps = append(p.Apps, deploy)
		p.Environments = append(p.Environments, env)
	}
	if o.StateContainer != "" {
		preview.Grants = append(preview.Grants, Grant{Role: roles.Names[roles.StorageBlobDataReader], RoleID: roles.StorageBlobDataReader,
			Scope: o.StateContainer, Why: "previews read the state; they neither lock nor write it"})
	}
	p.Apps = append(p.Apps, preview)
	if len(hubs) > 0 {
		slices.Sort(hubs)
		p.HubRole = &CustomRole{
			Name:             hubRoleName(o.Project),
			Description:      "The hub side of an " + o.Project + " stack's peering with its hub VNet, and nothing else.",
			Actions:          HubPeeringActions,
			AssignableScopes: hubs,
		}
	}

	p.RepoVariables = []Setting{
		{Name: VarPreviewClientID, About: "the client id of " + preview.Name},
		{Name: VarTenantID, About: "the Entra tenant's id"},
	}
	for _, s := range o.Stacks {
		p.RepoVariables = append(p.RepoVariables, Setting{Name: SubscriptionVariable(s.Name), About: "stack " + s.Name + "'s subscription", Value: s.Subscription})
	}
	if o.StateContainer != "" {
		p.RepoVariables = append(p.RepoVariables,
			Setting{Name: VarBackendURL, About: "the state backend", Value: "azblob://" + p.Container},
			Setting{Name: VarStorageAccount, About: "the state's storage account", Value: p.StorageAccount})
		p.RepoSecrets = []Setting{{Name: SecretPassphrase, About: "the passphrase of the stacks' secrets"}}
	} else {
		p.RepoVariables = append(p.RepoVariables, Setting{Name: VarPulumiOrg, About: "the Pulumi Cloud organization", Value: o.PulumiOrg})
		p.RepoSecrets = []Setting{{Name: SecretPreviewToken, About: "a Pulumi Cloud token of a team with Stack Read on the project's stacks"}}
	}
	p.SharedScopes = sharedScopes(o.Stacks)
	return p, nil
}

// grant adds g, or its reason to the grant of the same role at the same
// scope (two stacks in one subscription).
func (a *App) grant(g Grant) {
	for i, have := range a.Grants {
		if have.Role == g.Role && strings.EqualFold(have.Scope, g.Scope) && have.Condition == g.Condition {
			a.Grants[i].Why += "; " + g.Why
			return
		}
	}
	a.Grants = append(a.Grants, g)
}

// LoadStacks reads every committed stack of the project in dir as the
// program would.
func LoadStacks(dir string) ([]spec.Stack, error) {
	names, err := stackfile.Stacks(dir)
	if err != nil {
		return nil, err
	}
	var stacks []spec.Stack
	var errs []error
	for _, name := range names {
		cfg, err := stackfile.Read(dir, name)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		s, err := spec.Load(name, cfg.Get)
		if err != nil {
			errs = append(errs, fmt.Errorf("stack %s: %w", name, err))
			continue
		}
		stacks = append(stacks, s)
	}
	return stacks, errors.Join(errs...)
}

// hubRoleName is the name of the custom role of the hub-side peering.
func hubRoleName(project string) string { return project + " hub peering" }

// grantOnlyCondition limits Role Based Access Control Administrator to
// assigning and removing the given roles
// (https://learn.microsoft.com/azure/role-based-access-control/delegate-role-assignments-examples).
func grantOnlyCondition(roleIDs ...string) string {
	ids := strings.Join(roleIDs, ", ")
	return "((!(ActionMatches{'Microsoft.Authorization/roleAssignments/write'})) OR " +
		"(@Request[Microsoft.Authorization/roleAssignments:RoleDefinitionId] ForAnyOfAnyValues:GuidEquals {" + ids + "})) AND " +
		"((!(ActionMatches{'Microsoft.Authorization/roleAssignments/delete'})) OR " +
		"(@Resource[Microsoft.Authorization/roleAssignments:RoleDefinitionId] ForAnyOfAnyValues:GuidEquals {" + ids + "}))"
}

// StateBlobs are the blob paths of a stack's state in a DIY backend of the
// pinned CLI (project-scoped layout): the checkpoint (and its .bak, .gz), then
// under a folder of its own the lock (.pulumi/locks/organization/<project>/<stack>/),
// the history and the backups.
func StateBlobs(project, stack string) []string {
	return []string{
		".pulumi/stacks/" + project + "/" + stack + ".json*",
		".pulumi/*/" + project + "/" + stack + "/*",
	}
}

// ownBlobsCondition lets Storage Blob Data Contributor write, add and delete
// only the blobs of one stack's state; reads stay open (the backend reads
// .pulumi/meta.yaml)
// (https://learn.microsoft.com/azure/storage/blobs/storage-auth-abac-attributes).
func ownBlobsCondition(project, stack string) string {
	var paths []string
	for _, p := range StateBlobs(project, stack) {
		paths = append(paths, "@Resource[Microsoft.Storage/storageAccounts/blobServices/containers/blobs:path] StringLike '"+p+"'")
	}
	return "((!(ActionMatches{'Microsoft.Storage/storageAccounts/blobServices/containers/blobs/write'}) AND " +
		"!(ActionMatches{'Microsoft.Storage/storageAccounts/blobServices/containers/blobs/add/action'}) AND " +
		"!(ActionMatches{'Microsoft.Storage/storageAccounts/blobServices/containers/blobs/delete'})) OR (" +
		strings.Join(paths, " OR ") + "))"
}

// sharedScopes reports each pair of stacks where one deploy scope contains
// the other's: the first stack's identity could write the second's resources.
func sharedScopes(stacks []spec.Stack) []string {
	var out []string
	for i, a := range stacks {
		for _, b := range stacks[i+1:] {
			sa, sb := strings.ToLower(Scope(a)), strings.ToLower(Scope(b))
			switch {
			case sa == sb:
				out = append(out, fmt.Sprintf("%s and %s deploy at the same scope %s: each one's identity could write the other's resources", a.Name, b.Name, Scope(a)))
			case strings.HasPrefix(sb, sa+"/"):
				out = append(out, fmt.Sprintf("%s's scope %s contains %s's %s: %s's identity could write %s's resources", a.Name, Scope(a), b.Name, Scope(b), a.Name, b.Name))
			case strings.HasPrefix(sa, sb+"/"):
				out = append(out, fmt.Sprintf("%s's scope %s contains %s's %s: %s's identity could write %s's resources", b.Name, Scope(b), a.Name, Scope(a), b.Name, a.Name))
			}
		}
	}
	return out
}

// parseContainerID returns the storage account and the container of a blob
// container's resource id, and false when id is not one:
// /subscriptions/<id>/resourceGroups/<group>/providers/Microsoft.Storage/storageAccounts/<account>/blobServices/default/containers/<container>.
func parseContainerID(id string) (account, container string, ok bool) {
	c, err := armid.Parse(id, "Microsoft.Storage/storageAccounts/blobServices/containers")
	if err != nil || !subscriptionID.MatchString(c.SubscriptionID) || c.Parent.Name != "default" {
		return "", "", false
	}
	account, container = c.Parent.Parent.Name, c.Name
	return account, container, storageAccount.MatchString(account) && blobContainer.MatchString(container)
}
