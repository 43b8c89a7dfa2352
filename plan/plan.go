// Package plan runs the real aks-kubenet program against Pulumi mocks, with no
// cloud calls and no Pulumi CLI, and reports what `pulumi up` would create for a
// stack file: every resource with its parent, dependencies and key properties,
// the IP plan with its capacity, the cluster's security posture, and the
// validation findings in the words `pulumi preview` uses. cmd/plan is its
// command line.
package plan

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
	"github.com/pulumi/pulumi/sdk/v3/go/common/tokens"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/aks-kubenet/aks-kubenet/aksfacts"
	"github.com/aks-kubenet/aks-kubenet/armid"
	"github.com/aks-kubenet/aks-kubenet/internal/stackfile"
	"github.com/aks-kubenet/aks-kubenet/ipplan"
	"github.com/aks-kubenet/aks-kubenet/spec"
	"github.com/aks-kubenet/aks-kubenet/stack"
)

// Placeholders stand for values only Azure knows before the resources exist.
const (
	// SubscriptionPlaceholder stands for the target subscription's id in
	// resource ids, which are otherwise known from the config.
	SubscriptionPlaceholder = "<subscription-id>"
	// Unknown marks a value Azure assigns when it creates a resource.
	Unknown = "<known after apply>"
	// Secret replaces every secret value; secrets are never printed.
	Secret = "[secret]"
	// standInSSHKey stands in for an encrypted aks-kubenet:sshPublicKey: a
	// public key of no one's, 2048-bit RSA like the keys AKS takes. It stays a
	// secret, so it is printed as Secret.
	standInSSHKey = "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQDIsiB/ffgDbEZJRCLdspcGC+QPVDeHWmvhNqSYfcPiUPnsgEHLLrcC8dF7XHECM54xtezOvd/UnUGDQuAq+7d6lUXO9E8yaFP/0bobEnXUit0Yr2dPji6T5f58AVOCUx6FoHYIGl339VwXC4v2Q8wJ8ruw915Fy8YBc0/1TYjZcnGCLVZ87MEGvJ+ZnmH1u1qtMUMl43Wcm1sxDIqe/cb7QqS897KW7z3C3YgOPDTvpxWejOuwG5wwUFXrrTNw/krxDGWpmxHIqC8sloaPlqJbXqJXY5r1mqzubKkxxrD0tNWyZd0ZFZS5NA42Em7rYO3psGgJYvsiAu9OkryU3kc/ plan-stand-in"
)

// Resource is one resource the program would register.
type Resource struct {
	// Type is the Pulumi type token; Name the logical name.
	Type string `json:"type"`
	Name string `json:"name"`
	// Component is true for the program's component resources.
	Component bool `json:"component,omitempty"`
	// Parent is the logical name of the component the resource belongs to, or
	// "" for a resource of the stack itself.
	Parent string `json:"parent,omitempty"`
	// DependsOn lists the logical names of the cloud resources this one waits
	// for, sorted.
	DependsOn []string `json:"dependsOn,omitempty"`
	// Step is the resource's place in the longest chain of creations that
	// leads to it: 1 for what depends on nothing, n+1 for what waits for a
	// step-n resource. Resources of the same step are created in parallel.
	// Components have none.
	Step int `json:"step,omitempty"`
	// ID is the resource id, with SubscriptionPlaceholder for the subscription.
	ID string `json:"id,omitempty"`
	// Properties are the inputs: values from config as they are, values only
	// Azure knows as Unknown, secrets as Secret.
	Properties map[string]any `json:"properties,omitempty"`

	urn, parentURN string
	depURNs        []string
}

// Stack is the plan of one stack.
type Stack struct {
	// Stack is the stack name, File its stack file, Location its region.
	Stack    string `json:"stack"`
	File     string `json:"file"`
	Location string `json:"location"`
	// Errors and Warnings are the validation findings, each in the words
	// Program reports it. A stack with errors registers no resource.
	Errors   []string `json:"errors"`
	Warnings []string `json:"warnings"`
	// Notes say what the plan could not check offline and pulumi preview
	// does: an encrypted aks-kubenet:sshPublicKey. Not findings.
	Notes []string `json:"notes,omitempty"`
	// IPPlan is the IP plan with its capacity; nil when the CIDRs do not parse.
	IPPlan *IPPlan `json:"ipPlan,omitempty"`
	// Posture is the cluster's security posture (see Posture); nil when the
	// config has errors, and the program deploys nothing.
	Posture []Setting `json:"posture,omitempty"`
	// Resources are the resources `pulumi up` would create, in dependency order.
	Resources []Resource `json:"resources"`
	// Network is the cluster's network mode.
	Network Network `json:"network"`

	config spec.Stack
}

// IPPlan is a stack's address plan next to the capacity it gives the node
// pools.
type IPPlan struct {
	VnetCidr       string `json:"vnetCidr"`
	NodeSubnetCidr string `json:"nodeSubnetCidr"`
	PodCidr        string `json:"podCidr"`
	ServiceCidr    string `json:"serviceCidr"`
	DNSServiceIP   string `json:"dnsServiceIP"`
	ipplan.Capacity
	// Pools are Capacity.Pools, the system pool first, each with its mode,
	// priority and maxSurge; in JSON they take Capacity.Pools' place.
	Pools []Pool `json:"pools"`
	// Binding is the limit that binds first (Capacity.Limits[0]).
	Binding ipplan.Limit `json:"binding"`
}

// Pool is one node pool's row of the IP plan: its size over an upgrade, with
// what the config says of it.
type Pool struct {
	ipplan.Pool
	// Mode is System or User; the system pool's is System.
	Mode string `json:"mode"`
	// Priority is Regular or Spot.
	Priority string `json:"priority"`
	// MaxSurge is the pool's maxSurge as configured: "1", "33%".
	MaxSurge string `json:"maxSurge"`
}

// pools returns the rows of capacity's pools: the system pool (s.Cluster),
// then s.Pools in order, as ipplan.Pools counts them.
func pools(s spec.Stack, capacity ipplan.Capacity) []Pool {
	rows := make([]Pool, len(capacity.Pools))
	for i, p := range capacity.Pools {
		rows[i] = Pool{Pool: p, Mode: spec.PoolModeSystem, Priority: spec.PriorityRegular, MaxSurge: string(s.Cluster.MaxSurge)}
		if i > 0 && i <= len(s.Pools) {
			c := s.Pools[i-1]
			rows[i].Mode, rows[i].Priority, rows[i].MaxSurge = c.Mode, c.Priority, string(c.MaxSurge)
		}
	}
	return rows
}

// InputError is a stack file the plan cannot read: missing, not YAML, or with
// an encrypted value it cannot decrypt.
type InputError struct{ Err error }

func (e InputError) Error() string { return e.Err.Error() }
func (e InputError) Unwrap() error { return e.Err }

// Build plans the stack stackName of the project in dir. It returns an
// InputError when the stack file cannot be read; validation errors are not
// Go errors but the plan's Errors, those of pulumi preview in its order
// (stack.Validate). An encrypted aks-kubenet:sshPublicKey is replaced by a
// stand-in RSA key (its value does not change the plan) and not checked, which
// a note says; encrypted provider config such as azure-native:clientSecret is
// neither needed nor read; any other encrypted value is an InputError naming
// the file and the key.
//
// Every key of the project's namespace in the stack file, encrypted or not,
// must be one the program reads (spec.KnownKeys): an unknown one is one of
// the plan's Errors, in the words Program reports it with under the Pulumi CLI.
func Build(dir, stackName string) (Stack, error) {
	cfg, err := stackfile.Read(dir, stackName)
	if err != nil {
		return Stack{}, InputError{err}
	}
	// known reports whether an encrypted value's path ("aks-kubenet:sshPublicKey",
	// "aks-kubenet:cluster.token") is in a key the program reads.
	known := func(path string) bool {
		for _, key := range spec.KnownKeys() {
			if rest, ok := strings.CutPrefix(path, key); ok && (rest == "" || rest[0] == '.' || rest[0] == '[') {
				return true
			}
		}
		return false
	}
	var secretKeys []string
	for _, path := range cfg.Secure {
		if !known(path) {
			continue // in an unknown key, which stack.Check refuses
		}
		if path != spec.KeySSHPublicKey {
			return Stack{}, InputError{fmt.Errorf("%s: %s is encrypted (secure:) and the offline plan cannot decrypt it; only %s may be a secret",
				cfg.File, path, spec.KeySSHPublicKey)}
		}
		cfg.Values[path] = standInSSHKey
		secretKeys = append(secretKeys, path)
	}

	secretSSHKey := slices.Contains(secretKeys, spec.KeySSHPublicKey)
	s, report := stack.Validate(stackName, cfg.Get, cfg.Keys, stack.Checks{SecretSSHKey: secretSSHKey})
	p := Stack{Stack: stackName, File: cfg.File, Location: s.Location, config: s, Errors: []string{}, Warnings: []string{}}
	if secretSSHKey {
		p.Notes = []string{fmt.Sprintf("%s is encrypted (secure:), and the offline plan cannot decrypt it to check it: pulumi preview does", spec.KeySSHPublicKey)}
	}
	for _, f := range report.Errors {
		p.Errors = append(p.Errors, f.String())
	}
	for _, f := range report.Warnings {
		p.Warnings = append(p.Warnings, f.String())
	}
	if capacity, err := ipplan.Compute(s); err == nil && len(capacity.Limits) > 0 {
		p.IPPlan = &IPPlan{
			VnetCidr: s.Network.VnetCidr, NodeSubnetCidr: s.Network.NodeSubnetCidr,
			PodCidr: s.Cluster.PodCidr, ServiceCidr: s.Cluster.ServiceCidr, DNSServiceIP: s.Cluster.DNSServiceIP,
			Capacity: capacity, Pools: pools(s, capacity), Binding: capacity.Limits[0],
		}
	}
	if len(p.Errors) > 0 {
		p.Resources = []Resource{}
		return p, nil
	}
	p.Posture = Posture(s)
	p.Network = networkOf(s.Cluster, now())
	p.Resources, err = register(stackName, cfg.Values, secretKeys)
	if err != nil {
		return Stack{}, fmt.Errorf("%s: running the program: %w", cfg.File, err)
	}
	return p, nil
}

// register runs stack.Program as `pulumi preview` would and returns what it
// registered.
func register(stackName string, config map[string]string, secretKeys []string) ([]Resource, error) {
	mocks := &recorder{stack: stackName, subscription: config[spec.KeySubscriptionID]}
	ctx, err := pulumi.NewContext(context.Background(), pulumi.RunInfo{
		Project: spec.Project, Stack: stackName, Config: config, ConfigSecretKeys: secretKeys,
		Mocks: mocks, DryRun: true,
	})
	if err != nil {
		return nil, err
	}
	if err := pulumi.RunWithContext(ctx, stack.Program); err != nil {
		return nil, err
	}
	if mocks.err != nil {
		return nil, mocks.err
	}
	return order(mocks.resources), nil
}

// recorder is the mock resource monitor: it records each registration and
// answers with what a preview knows, the inputs, the Azure name and an id
// predicted from the names, and nothing that Azure assigns.
type recorder struct {
	mu        sync.Mutex
	stack     string
	resources []Resource
	err       error
	// subscription is the one the stack names, which the plan assumes the
	// Azure login deploys into.
	subscription string
}

func (r *recorder) NewResource(args pulumi.MockResourceArgs) (string, resource.PropertyMap, error) {
	if args.TypeToken == "pulumi:pulumi:StackReference" {
		// The program reads its own last deployment to call out renames; the
		// plan knows none, and shows no such read.
		return args.ID, resource.PropertyMap{"outputs": resource.NewProperty(resource.PropertyMap{})}, nil
	}
	if strings.HasPrefix(args.TypeToken, "pulumi:providers:") {
		// An explicit provider (the hub's subscription): no Azure resource.
		return args.Name + "-provider", resource.PropertyMap{}, nil
	}
	rpc := args.RegisterRPC
	inputs, err := plugin.UnmarshalProperties(rpc.GetObject(), plugin.MarshalOptions{
		KeepUnknowns: true, KeepSecrets: true, KeepResources: true,
	})
	if err != nil {
		return "", nil, err
	}
	res := Resource{
		Type: args.TypeToken, Name: args.Name, Component: !args.Custom,
		urn: newURN(r.stack, rpc.GetParent(), args.TypeToken, args.Name), parentURN: rpc.GetParent(),
		depURNs: rpc.GetDependencies(),
	}
	outputs := resource.PropertyMap{}
	if args.Custom {
		res.Properties = plainMap(inputs)
		kind, known := armid.Types[args.TypeToken]
		if !known {
			return "", nil, fmt.Errorf("plan: the program registered %s, which the plan does not know", args.TypeToken)
		}
		for k, v := range inputs {
			if !v.ContainsUnknowns() {
				outputs[k] = v
			}
		}
		if name := knownString(inputs, kind.NameKey); name != "" {
			outputs["name"] = resource.NewProperty(name)
			// The id, with SubscriptionPlaceholder for the subscription, when
			// every input it is made of is known; else it is unknown too. A
			// role assignment gets none: its name, a GUID, is mostly made from
			// a principal id only Azure knows, and the plan shows no role
			// assignment's id rather than some.
			if args.TypeToken != armid.RoleAssignment {
				id, _, err := armid.Of(SubscriptionPlaceholder, args.TypeToken, func(key string) string { return knownString(inputs, key) })
				if err == nil {
					res.ID = id
				}
			}
		}
		switch args.TypeToken {
		case armid.PublicIPAddress:
			outputs["ipAddress"] = resource.MakeComputed(resource.NewProperty(""))
		case armid.AzureFirewall:
			outputs["ipConfigurations"] = resource.NewProperty([]resource.PropertyValue{resource.NewProperty(resource.PropertyMap{
				"privateIPAddress": resource.NewProperty(r.expectedFirewallIP(inputs)),
			})})
		}
	}
	r.mu.Lock()
	r.resources = append(r.resources, res)
	r.mu.Unlock()
	return res.ID, outputs, nil
}

// expectedFirewallIP is the private address Azure gives a firewall: the
// first usable host of its subnet (the fourth address, after Azure's three
// reserved ones), marked as expected, since only Azure knows it for sure.
func (r *recorder) expectedFirewallIP(firewall resource.PropertyMap) string {
	subnetID := ""
	if configs, ok := firewall["ipConfigurations"]; ok && configs.IsArray() && len(configs.ArrayValue()) > 0 {
		if subnet, ok := configs.ArrayValue()[0].ObjectValue()["subnet"]; ok && subnet.IsObject() {
			subnetID = knownString(subnet.ObjectValue(), "id")
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, res := range r.resources {
		if res.ID == "" || res.ID != subnetID {
			continue
		}
		prefix, ok := res.Properties["addressPrefix"].(string)
		if p, err := netip.ParsePrefix(prefix); ok && err == nil {
			return p.Masked().Addr().Next().Next().Next().Next().String() + " (expected)"
		}
	}
	return Unknown
}

// knownString is the string input key of m, or "" when it is not a known
// string.
func knownString(m resource.PropertyMap, key string) string {
	if v, ok := m[resource.PropertyKey(key)]; ok && v.IsString() {
		return v.StringValue()
	}
	return ""
}

func (r *recorder) Call(args pulumi.MockCallArgs) (resource.PropertyMap, error) {
	switch args.Token {
	case "azure-native:authorization:getClientConfig":
		// Offline, the login is assumed to be in the subscription the stack
		// names; the plan's findings say when it names none.
		sub := r.subscription
		if sub == "" {
			sub = SubscriptionPlaceholder
		}
		return resource.PropertyMap{"subscriptionId": resource.NewProperty(sub)}, nil
	case "azure-native:resources:getResourceGroup":
		// An existing group is assumed to exist; pulumi preview looks it up.
		return resource.PropertyMap{"name": args.Args["resourceGroupName"]}, nil
	}
	// The program's other call reads the cluster's kubeconfig, a secret
	// output the plan never shows: answer with a placeholder.
	if args.Token != armid.ListUserCredentials {
		r.mu.Lock()
		defer r.mu.Unlock()
		if r.err == nil {
			r.err = fmt.Errorf("plan: the program called %s, which the plan does not know", args.Token)
		}
		return resource.PropertyMap{}, nil
	}
	placeholder := base64.StdEncoding.EncodeToString([]byte(Unknown))
	return resource.PropertyMap{"kubeconfigs": resource.NewProperty([]resource.PropertyValue{
		resource.NewProperty(resource.PropertyMap{"name": resource.NewProperty("clusterUser"), "value": resource.NewProperty(placeholder)}),
	})}, nil
}

// newURN computes a resource's URN as the mock monitor does.
func newURN(stackName, parent, typ, name string) string {
	parentType := tokens.Type("")
	if p := resource.URN(parent); p != "" && p.QualifiedType() != resource.RootStackType {
		parentType = p.QualifiedType()
	}
	return string(resource.NewURN(tokens.QName(stackName), tokens.PackageName(spec.Project), parentType, tokens.Type(typ), name))
}

// plainMap turns inputs into plain values for printing: unknowns become
// Unknown and secrets Secret.
func plainMap(m resource.PropertyMap) map[string]any {
	out := map[string]any{}
	for k, v := range m {
		if strings.HasPrefix(string(k), "__") {
			continue
		}
		out[string(k)] = plainValue(v)
	}
	return out
}

func plainValue(v resource.PropertyValue) any {
	switch {
	case v.IsSecret():
		return Secret
	case v.IsComputed(), v.IsOutput() && !v.OutputValue().Known:
		return Unknown
	case v.IsOutput():
		if v.OutputValue().Secret {
			return Secret
		}
		return plainValue(v.OutputValue().Element)
	case v.IsString():
		return v.StringValue()
	case v.IsNumber():
		return v.NumberValue()
	case v.IsBool():
		return v.BoolValue()
	case v.IsArray():
		items := []any{}
		for _, item := range v.ArrayValue() {
			items = append(items, plainValue(item))
		}
		return items
	case v.IsObject():
		return plainMap(v.ObjectValue())
	}
	return nil
}

// order resolves URNs to logical names and sorts resources so that every
// resource comes after what it depends on, ties by name; a component comes
// just before its first child.
func order(all []Resource) []Resource {
	byURN := map[string]*Resource{}
	for i := range all {
		byURN[all[i].urn] = &all[i]
	}
	depth := map[string]int{}
	var visit func(r *Resource) int
	visit = func(r *Resource) int {
		if d, ok := depth[r.urn]; ok {
			return d
		}
		depth[r.urn] = 0 // guards against a cycle, which a Pulumi program cannot build
		d := 0
		for _, u := range r.depURNs {
			if dep, ok := byURN[u]; ok && !dep.Component {
				d = max(d, visit(dep)+1)
			}
		}
		depth[r.urn] = d
		return d
	}
	for i := range all {
		r := &all[i]
		if p, ok := byURN[r.parentURN]; ok {
			r.Parent = p.Name
		}
		for _, u := range r.depURNs {
			if dep, ok := byURN[u]; ok && !dep.Component {
				r.DependsOn = append(r.DependsOn, dep.Name)
			}
		}
		slices.Sort(r.DependsOn)
		if !r.Component {
			r.Step = visit(r) + 1
		}
	}
	// A component sorts with its earliest child.
	rank := map[string]int{}
	for _, r := range all {
		if !r.Component {
			rank[r.urn] = depth[r.urn]
		}
	}
	for _, r := range all {
		if p, ok := byURN[r.parentURN]; ok && p.Component && !r.Component {
			if cur, seen := rank[p.urn]; !seen || depth[r.urn] < cur {
				rank[p.urn] = depth[r.urn]
			}
		}
	}
	slices.SortStableFunc(all, func(a, b Resource) int {
		if c := rank[a.urn] - rank[b.urn]; c != 0 {
			return c
		}
		if a.Component != b.Component {
			if a.Component {
				return -1
			}
			return 1
		}
		return strings.Compare(a.Name, b.Name)
	})
	return all
}

// now is the plan's clock, for the days left to kubenet's retirement.
var now = time.Now

// Network is a stack's network mode as the plan shows it.
type Network struct {
	// Plugin is kubenet or overlay (cluster.networkPlugin).
	Plugin string `json:"plugin"`
	// Dataplane is an Overlay cluster's dataplane, azure or cilium.
	Dataplane string `json:"dataplane,omitempty"`
	// PodRoutes is true when AKS writes a route for each node into the
	// stack's route table (kubenet); with Overlay the table holds only the
	// user-defined routes.
	PodRoutes bool `json:"podRoutes"`
	// Retires is kubenet's end of support, and DaysLeft the days to it, for
	// a kubenet stack.
	Retires  string `json:"retires,omitempty"`
	DaysLeft *int   `json:"daysLeft,omitempty"`
}

// networkOf is the network mode of cluster c on the day of now.
func networkOf(c spec.Cluster, now time.Time) Network {
	if c.Overlay() {
		return Network{Plugin: c.NetworkPlugin, Dataplane: c.NetworkDataplane}
	}
	days := aksfacts.DaysToKubenetRetirement(now)
	return Network{Plugin: c.NetworkPlugin, PodRoutes: true, Retires: aksfacts.KubenetRetirement.Format(time.DateOnly), DaysLeft: &days}
}
