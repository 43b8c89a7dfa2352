// Package tests drives stack.Program end to end with Pulumi mocks: real stack
// files from the project root, every resource recorded with its inputs, parent
// and dependencies, and the stack outputs read back.
package tests

import (
	"context"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/tokens"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/internals"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"

	"github.com/aks-kubenet/aks-kubenet/armid"
	"github.com/aks-kubenet/aks-kubenet/internal/stackfile"
	"github.com/aks-kubenet/aks-kubenet/spec"
	"github.com/aks-kubenet/aks-kubenet/stack"
)

const subscription = "00000000-1111-2222-3333-444444444444"

// hubSubscription is the subscription of the prod stack's hub VNet in the
// tests, which replace the committed placeholder with it.
const hubSubscription = "99999999-1111-2222-3333-444444444444"

// adminGroup is the Entra group the tests grant cluster admin in place of
// the committed stacks' placeholder.
const adminGroup = "5a4b3c2d-1e0f-4a9b-8c7d-6e5f4a3b2c1d"

// registered is one resource the program registered.
type registered struct {
	Type, Name, URN string
	Custom          bool
	ID              string
	Inputs          resource.PropertyMap
	Parent          string   // parent URN
	Deps            []string // URNs the resource depends on (explicit and through inputs)
	IgnoreChanges   []string
	Protect         bool
	Provider        string // the provider reference, "urn::id", of an explicit provider
	RetainOnDelete  bool
	ErrorHooks      []string // the names of its error hooks
	ImportID        string   // the id of the import resource option
	Timeouts        *pulumirpc.RegisterResourceRequest_CustomTimeouts
}

// mockFirewallIP is the private address the mock gives every Azure Firewall:
// deliberately not 10.0.2.4, the address the dev stack's firewall subnet
// would give it, so that a test sees the route take the firewall's output.
const mockFirewallIP = "10.0.2.5"

// recorder is the mock resource monitor: it records every registration and
// answers with ARM-like ids and outputs. Mocks run concurrently, so it locks.
type recorder struct {
	mu        sync.Mutex
	resources []registered
	calls     []string // tokens of the invokes, in order
	stack     string
	// credentialFormats are the format arguments of the kubeconfig reads.
	credentialFormats []string

	// loginSubscription is the subscription getClientConfig answers.
	loginSubscription string
	// groups are the resource groups that exist before the program runs.
	groups map[string]bool
	// deployed are the outputs of the stack's last deployment.
	deployed map[string]any
	// network, when not nil, is the deployed cluster's network profile in
	// its state, which the cluster's outputs show in place of its inputs':
	// the cluster ignores its network mode (cluster.IgnoredChanges).
	network resource.PropertyMap
	// providers maps an explicit provider's reference to its subscription.
	providers map[string]string
}

func (r *recorder) NewResource(args pulumi.MockResourceArgs) (string, resource.PropertyMap, error) {
	if args.TypeToken == "pulumi:pulumi:StackReference" {
		// The program reads its own last deployment: the mock stack has none
		// unless the test gave it.
		return args.ID, resource.PropertyMap{"outputs": resource.NewProperty(resource.NewPropertyMapFromMap(r.deployed))}, nil
	}
	rpc := args.RegisterRPC
	if strings.HasPrefix(args.TypeToken, "pulumi:providers:") {
		id := args.Name + "-provider-id"
		r.mu.Lock()
		r.providers[urn(r.stack, rpc.GetParent(), args.TypeToken, args.Name)+"::"+id] = str(args.Inputs, "subscriptionId")
		r.resources = append(r.resources, registered{Type: args.TypeToken, Name: args.Name, Custom: true, ID: id, Inputs: args.Inputs,
			Parent: rpc.GetParent(), URN: urn(r.stack, rpc.GetParent(), args.TypeToken, args.Name)})
		r.mu.Unlock()
		return id, args.Inputs, nil
	}
	outputs := args.Inputs.Copy()
	id := ""
	if args.Custom {
		kind, ok := armid.Types[args.TypeToken]
		if !ok {
			return "", nil, fmt.Errorf("mock: unexpected resource type %s", args.TypeToken)
		}
		name := str(args.Inputs, kind.NameKey)
		if name == "" {
			return "", nil, fmt.Errorf("mock: %s %s has no Azure name (%s)", args.TypeToken, args.Name, kind.NameKey)
		}
		outputs["name"] = resource.NewProperty(name)
		sub := subscription
		r.mu.Lock()
		if explicit, ok := r.providers[rpc.GetProvider()]; ok {
			sub = explicit
		}
		r.mu.Unlock()
		var err error
		id, _, err = armid.Of(sub, args.TypeToken, func(key string) string { return str(args.Inputs, key) })
		if err != nil {
			return "", nil, fmt.Errorf("mock: %s %s: %w", args.TypeToken, args.Name, err)
		}
		switch args.TypeToken {
		case armid.UserAssignedIdentity:
			outputs["principalId"] = resource.NewProperty("principal-" + name)
			outputs["clientId"] = resource.NewProperty("client-" + name)
		case armid.ManagedCluster:
			if r.network != nil {
				outputs["networkProfile"] = resource.NewProperty(r.network)
			}
			outputs["oidcIssuerProfile"] = resource.NewProperty(resource.PropertyMap{
				"enabled":   resource.NewProperty(true),
				"issuerURL": resource.NewProperty("https://eastus.oic.prod-aks.azure.com/tenant/" + name + "/"),
			})
			if str(args.Inputs, "nodeResourceGroup") == "" {
				outputs["nodeResourceGroup"] = resource.NewProperty(fmt.Sprintf("MC_%s_%s_%s",
					str(args.Inputs, "resourceGroupName"), name, str(args.Inputs, "location")))
			}
		case armid.PublicIPAddress:
			outputs["ipAddress"] = resource.NewProperty(fmt.Sprintf("20.0.0.%d", len(name)))
		case armid.AzureFirewall:
			outputs["ipConfigurations"] = resource.NewProperty([]resource.PropertyValue{resource.NewProperty(resource.PropertyMap{
				"privateIPAddress": resource.NewProperty(mockFirewallIP),
			})})
		}
	}
	reg := registered{
		Type: args.TypeToken, Name: args.Name, Custom: args.Custom, ID: id, Inputs: args.Inputs,
		Parent: rpc.GetParent(), Deps: rpc.GetDependencies(), IgnoreChanges: rpc.GetIgnoreChanges(), Protect: rpc.GetProtect(),
		Provider: rpc.GetProvider(), RetainOnDelete: rpc.GetRetainOnDelete(), ErrorHooks: rpc.GetHooks().GetOnError(),
		ImportID: rpc.GetImportId(), Timeouts: rpc.GetCustomTimeouts(),
		URN: urn(r.stack, rpc.GetParent(), args.TypeToken, args.Name),
	}
	r.mu.Lock()
	r.resources = append(r.resources, reg)
	r.mu.Unlock()
	return id, outputs, nil
}

// urn computes a resource's URN the way the mock monitor does.
func urn(stackName, parent, typ, name string) string {
	parentType := tokens.Type("")
	if p := resource.URN(parent); p != "" && p.QualifiedType() != resource.RootStackType {
		parentType = p.QualifiedType()
	}
	return string(resource.NewURN(tokens.QName(stackName), "aks-kubenet", parentType, tokens.Type(typ), name))
}

func (r *recorder) Call(args pulumi.MockCallArgs) (resource.PropertyMap, error) {
	r.mu.Lock()
	r.calls = append(r.calls, args.Token)
	r.mu.Unlock()
	switch args.Token {
	case "azure-native:authorization:getClientConfig":
		return resource.PropertyMap{
			"subscriptionId": resource.NewProperty(r.loginSubscription),
			"tenantId":       resource.NewProperty("72f988bf-86f1-41af-91ab-2d7cd011db47"),
			"clientId":       resource.NewProperty("client"),
			"objectId":       resource.NewProperty("object"),
		}, nil
	case "azure-native:resources:getResourceGroup":
		name := str(args.Args, "resourceGroupName")
		if !r.groups[name] {
			return nil, fmt.Errorf("ResourceGroupNotFound: Resource group '%s' could not be found", name)
		}
		return resource.PropertyMap{
			"name":     resource.NewProperty(name),
			"id":       resource.NewProperty("/subscriptions/" + subscription + "/resourceGroups/" + name),
			"location": resource.NewProperty("eastus"),
		}, nil
	case armid.ListUserCredentials:
	default:
		return nil, fmt.Errorf("mock: unexpected call %s", args.Token)
	}
	r.mu.Lock()
	r.credentialFormats = append(r.credentialFormats, str(args.Args, "format"))
	r.mu.Unlock()
	kubeconfig := "apiVersion: v1\nkind: Config\nclusters:\n- name: " + str(args.Args, "resourceName") + "\n"
	return resource.PropertyMap{
		"kubeconfigs": resource.NewProperty([]resource.PropertyValue{
			resource.NewProperty(resource.PropertyMap{
				"name":  resource.NewProperty("clusterUser"),
				"value": resource.NewProperty(base64.StdEncoding.EncodeToString([]byte(kubeconfig))),
			}),
		}),
	}, nil
}

// logRecorder stands in for ctx.Log and keeps the warnings, the infos and
// the errors.
type logRecorder struct {
	mu                      sync.Mutex
	warnings, infos, errors []string
}

func (l *logRecorder) Debug(string, *pulumi.LogArgs) error { return nil }
func (l *logRecorder) Info(msg string, _ *pulumi.LogArgs) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.infos = append(l.infos, msg)
	return nil
}
func (l *logRecorder) Error(msg string, _ *pulumi.LogArgs) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.errors = append(l.errors, msg)
	return nil
}
func (l *logRecorder) Warn(msg string, _ *pulumi.LogArgs) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.warnings = append(l.warnings, msg)
	return nil
}

// run is the outcome of one run of stack.Program.
type run struct {
	err       error
	resources []registered
	calls     []string
	warnings  []string
	// infos are the program's info messages.
	infos []string
	// errors are the program's error messages.
	errors []string
	// credentialFormats are the format arguments of the kubeconfig reads.
	credentialFormats []string
	outputs           map[string]internals.UnsafeAwaitOutputResult
}

// surroundings are what a run of the program meets outside its config.
type surroundings struct {
	// preview runs the program as pulumi preview does (a dry run); else as
	// pulumi up does.
	preview bool
	// loginSubscription is the subscription the provider deploys into; ""
	// is the one the stack names, or subscription when it names none.
	loginSubscription string
	// groups are the resource groups that exist already.
	groups []string
	// deployed are the outputs of the stack's last deployment.
	deployed map[string]any
	// network, when not nil, is the deployed cluster's network profile in
	// its state (the last up's, or the last refresh's).
	network map[string]any
}

// runProgram runs stack.Program on stack with the given config values, as
// pulumi up would, logged in to the stack's subscription.
func runProgram(t *testing.T, stackName string, config map[string]string, secretKeys ...string) run {
	t.Helper()
	return runProgramIn(t, surroundings{}, stackName, config, secretKeys...)
}

// runProgramIn runs stack.Program in the given surroundings.
func runProgramIn(t *testing.T, env surroundings, stackName string, config map[string]string, secretKeys ...string) run {
	t.Helper()
	mocks := &recorder{stack: stackName, loginSubscription: env.loginSubscription, groups: map[string]bool{}, deployed: env.deployed,
		providers: map[string]string{}}
	if env.network != nil {
		mocks.network = resource.NewPropertyMapFromMap(env.network)
	}
	if mocks.loginSubscription == "" {
		mocks.loginSubscription = config[spec.KeySubscriptionID]
	}
	if mocks.loginSubscription == "" {
		mocks.loginSubscription = subscription
	}
	for _, g := range env.groups {
		mocks.groups[g] = true
	}
	ctx, err := pulumi.NewContext(context.Background(), pulumi.RunInfo{
		Project: "aks-kubenet", Stack: stackName, Config: config, ConfigSecretKeys: secretKeys, Mocks: mocks, DryRun: env.preview,
	})
	if err != nil {
		t.Fatal(err)
	}
	logs := &logRecorder{}
	ctx.Log = logs
	out := run{err: pulumi.RunWithContext(ctx, stack.Program), outputs: map[string]internals.UnsafeAwaitOutputResult{}}
	for name, value := range ctx.GetCurrentExportMap() {
		res, err := internals.UnsafeAwaitOutput(context.Background(), pulumi.ToOutput(value))
		if err != nil {
			if out.err == nil {
				t.Fatalf("output %s: %v", name, err)
			}
			continue // the program failed on it
		}
		out.outputs[name] = res
	}
	out.resources, out.warnings, out.infos, out.errors, out.calls, out.credentialFormats = mocks.resources, logs.warnings, logs.infos, logs.errors, mocks.calls, mocks.credentialFormats
	return out
}

// readStack returns the config values of a committed Pulumi.<stack>.yaml.
func readStack(t *testing.T, stackName string) map[string]string {
	t.Helper()
	cfg, err := stackfile.Read("..", stackName)
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Secure) > 0 {
		t.Fatalf("%s has encrypted values %v; committed stacks must run offline", cfg.File, cfg.Secure)
	}
	return cfg.Values
}

// runStackFile runs stack.Program on a committed Pulumi.<stack>.yaml, with
// its placeholder subscription replaced by subscription, as the README tells
// the stack's owner to do.
func runStackFile(t *testing.T, stackName string) run {
	t.Helper()
	return runProgram(t, stackName, ownStack(t, stackName))
}

// ownStack is a committed stack's config with the placeholder subscription,
// hub subscription and admin group replaced by the tests' own.
func ownStack(t *testing.T, stackName string) map[string]string {
	t.Helper()
	config := readStack(t, stackName)
	if config[spec.KeySubscriptionID] == spec.PlaceholderSubscription {
		config[spec.KeySubscriptionID] = subscription
	}
	if hub, ok := config[spec.KeyHub]; ok {
		config[spec.KeyHub] = strings.ReplaceAll(hub, "/subscriptions/"+spec.PlaceholderSubscription+"/", "/subscriptions/"+hubSubscription+"/")
	}
	if cluster, ok := config[spec.KeyCluster]; ok {
		config[spec.KeyCluster] = strings.ReplaceAll(cluster, ":"+spec.PlaceholderSubscription, ":"+adminGroup)
	}
	return config
}

// byType returns the registered resources of type typ.
func (r run) byType(typ string) []registered {
	var out []registered
	for _, res := range r.resources {
		if res.Type == typ {
			out = append(out, res)
		}
	}
	return out
}

// named returns the resource with logical name name, failing the test
// otherwise.
func (r run) named(t *testing.T, name string) registered {
	t.Helper()
	for _, res := range r.resources {
		if res.Name == name {
			return res
		}
	}
	t.Fatalf("no resource named %s", name)
	return registered{}
}

// one returns the only resource of type typ, failing the test otherwise.
func (r run) one(t *testing.T, typ string) registered {
	t.Helper()
	found := r.byType(typ)
	if len(found) != 1 {
		t.Fatalf("want exactly one %s, got %d", typ, len(found))
	}
	return found[0]
}

// byURN returns the registered resource with the given URN.
func (r run) byURN(u string) (registered, bool) {
	for _, res := range r.resources {
		if res.URN == u {
			return res, true
		}
	}
	return registered{}, false
}

// dependsOn reports whether res depends directly on dep.
func dependsOn(res, dep registered) bool {
	for _, d := range res.Deps {
		if d == dep.URN {
			return true
		}
	}
	return false
}

// prop returns the value at a dotted path ("networkProfile.podCidr",
// "agentPoolProfiles[0].count") of a property map, looking through secrets;
// the zero PropertyValue when the path does not exist.
func prop(m resource.PropertyMap, path string) resource.PropertyValue {
	v := resource.NewProperty(m)
	for _, part := range strings.Split(path, ".") {
		name, index, hasIndex := strings.Cut(strings.TrimSuffix(part, "]"), "[")
		v = unsecret(v)
		if !v.IsObject() {
			return resource.PropertyValue{}
		}
		v = v.ObjectValue()[resource.PropertyKey(name)]
		if hasIndex {
			i, _ := strconv.Atoi(index)
			v = unsecret(v)
			if !v.IsArray() || i >= len(v.ArrayValue()) {
				return resource.PropertyValue{}
			}
			v = v.ArrayValue()[i]
		}
	}
	return unsecret(v)
}

func unsecret(v resource.PropertyValue) resource.PropertyValue {
	for v.IsSecret() {
		v = v.SecretValue().Element
	}
	return v
}

// str is the string at path, or "".
func str(m resource.PropertyMap, path string) string {
	if v := prop(m, path); v.IsString() {
		return v.StringValue()
	}
	return ""
}
