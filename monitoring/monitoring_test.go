package monitoring

import (
	"context"
	"fmt"
	"reflect"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/aks-kubenet/aks-kubenet/armid"
)

const (
	subscription  = "00000000-1111-2222-3333-444444444444"
	resourceGroup = "rg-aks-dev"
	location      = "eastus"
	clusterName   = "aks-dev"
	workspaceName = "aks-dev-logs"

	clusterType    = armid.ManagedCluster
	workspaceType  = armid.Workspace
	deploymentType = armid.Deployment
)

var (
	groupID     = "/subscriptions/" + subscription + "/resourceGroups/" + resourceGroup
	clusterID   = groupID + "/providers/Microsoft.ContainerService/managedClusters/" + clusterName
	workspaceID = groupID + "/providers/Microsoft.OperationalInsights/workspaces/" + workspaceName
)

// registered is one resource the program registered.
type registered struct {
	Type, Name string
	Inputs     map[string]any
	Parent     string   // parent URN
	Deps       []string // URNs the resource depends on, explicitly and through its inputs
}

// recorder is the mock resource monitor: it records every registration and
// answers with ARM-like ids. Mocks run concurrently, so it locks.
type recorder struct {
	mu        sync.Mutex
	resources []registered
}

func (r *recorder) NewResource(args pulumi.MockResourceArgs) (string, resource.PropertyMap, error) {
	rpc := args.RegisterRPC
	r.mu.Lock()
	r.resources = append(r.resources, registered{
		Type: args.TypeToken, Name: args.Name, Inputs: args.Inputs.Mappable(),
		Parent: rpc.GetParent(), Deps: rpc.GetDependencies(),
	})
	r.mu.Unlock()
	if !args.Custom {
		return "", args.Inputs, nil
	}
	rg := "/subscriptions/" + subscription + "/resourceGroups/" + args.Inputs["resourceGroupName"].StringValue()
	switch args.TypeToken {
	case clusterType:
		return rg + "/providers/Microsoft.ContainerService/managedClusters/" + args.Inputs["resourceName"].StringValue(), args.Inputs, nil
	case workspaceType:
		return rg + "/providers/Microsoft.OperationalInsights/workspaces/" + args.Inputs["workspaceName"].StringValue(), args.Inputs, nil
	case deploymentType:
		return rg + "/providers/Microsoft.Resources/deployments/" + args.Inputs["deploymentName"].StringValue(), args.Inputs, nil
	}
	return "", nil, fmt.Errorf("mock: unexpected resource type %s", args.TypeToken)
}

func (r *recorder) Call(args pulumi.MockCallArgs) (resource.PropertyMap, error) {
	return nil, fmt.Errorf("mock: unexpected call %s", args.Token)
}

// run runs program against the mocks and returns what it registered.
func run(t *testing.T, program pulumi.RunFunc) []registered {
	t.Helper()
	rec := &recorder{}
	ctx, err := pulumi.NewContext(context.Background(), pulumi.RunInfo{Project: "aks-kubenet", Stack: "test", Mocks: rec})
	if err != nil {
		t.Fatal(err)
	}
	if err := pulumi.RunWithContext(ctx, program); err != nil {
		t.Fatalf("program: %v", err)
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return rec.resources
}

// only returns the one resource of type typ, failing the test unless there is
// exactly one.
func only(t *testing.T, resources []registered, typ string) registered {
	t.Helper()
	var found []registered
	for _, r := range resources {
		if r.Type == typ {
			found = append(found, r)
		}
	}
	if len(found) != 1 {
		t.Fatalf("%d resources of type %s, want 1", len(found), typ)
	}
	return found[0]
}

// at returns the value at path in v, a tree of JSON-like maps and slices:
// string keys index maps, int keys index slices. It fails the test when the
// path does not exist.
func at(t *testing.T, v any, path ...any) any {
	t.Helper()
	for i, key := range path {
		switch k := key.(type) {
		case string:
			m, ok := v.(map[string]any)
			if !ok {
				t.Fatalf("%v: %T is not an object", path[:i+1], v)
			}
			if v, ok = m[k]; !ok {
				t.Fatalf("%v: no key %q", path[:i+1], k)
			}
		case int:
			s, ok := v.([]any)
			if !ok || k >= len(s) {
				t.Fatalf("%v: %T has no element %d", path[:i+1], v, k)
			}
			v = s[k]
		}
	}
	return v
}

// checkEqual fails the test unless got equals want.
func checkEqual(t *testing.T, what string, got, want any) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s = %#v, want %#v", what, got, want)
	}
}

// checkParent fails the test unless r is the child of a component of type typ.
func checkParent(t *testing.T, r registered, typ string) {
	t.Helper()
	if got := resource.URN(r.Parent); !got.IsValid() || string(got.Type()) != typ {
		t.Errorf("%s %s has parent %q, want a %s", r.Type, r.Name, r.Parent, typ)
	}
}

func TestLogAnalyticsWorkspace(t *testing.T) {
	resources := run(t, func(ctx *pulumi.Context) error {
		_, err := NewLogAnalytics(ctx, "monitoring", LogAnalyticsArgs{
			ResourceGroupName: pulumi.String(resourceGroup),
			Location:          location,
			Name:              workspaceName,
			RetentionDays:     45,
			Tags:              pulumi.StringMap{"env": pulumi.String("dev")},
		})
		return err
	})

	ws := only(t, resources, workspaceType)
	checkParent(t, ws, "aks-kubenet:monitoring:LogAnalytics")
	checkEqual(t, "workspace name", ws.Inputs["workspaceName"], workspaceName)
	checkEqual(t, "workspace resource group", ws.Inputs["resourceGroupName"], resourceGroup)
	checkEqual(t, "workspace location", ws.Inputs["location"], location)
	checkEqual(t, "workspace sku", ws.Inputs["sku"], map[string]any{"name": "PerGB2018"})
	checkEqual(t, "workspace retention", ws.Inputs["retentionInDays"], 45.0)
	checkEqual(t, "workspace tags", ws.Inputs["tags"], map[string]any{"env": "dev"})
	if len(resources) != 2 {
		t.Errorf("registered %d resources, want the component and its workspace", len(resources))
	}
}

// fakeCluster stands for the AKS cluster, so that the tests need not build
// the containerservice package.
type fakeCluster struct {
	pulumi.CustomResourceState
}

// runContainerInsights registers a cluster, a workspace and the cluster's
// Container insights with tags, and returns what was registered.
func runContainerInsights(t *testing.T, tags pulumi.StringMapInput) []registered {
	t.Helper()
	return run(t, func(ctx *pulumi.Context) error {
		var cluster fakeCluster
		if err := ctx.RegisterResource(clusterType, "cluster", pulumi.Map{
			"resourceGroupName": pulumi.String(resourceGroup),
			"resourceName":      pulumi.String(clusterName),
		}, &cluster); err != nil {
			return err
		}
		logs, err := NewLogAnalytics(ctx, "monitoring", LogAnalyticsArgs{
			ResourceGroupName: pulumi.String(resourceGroup), Location: location, Name: workspaceName, RetentionDays: 30,
		})
		if err != nil {
			return err
		}
		_, err = NewContainerInsights(ctx, "container-insights", ContainerInsightsArgs{
			ResourceGroupName: pulumi.String(resourceGroup),
			Location:          location,
			ClusterName:       clusterName,
			ClusterID:         cluster.ID().ToStringOutput(),
			WorkspaceID:       logs.Workspace.ID().ToStringOutput(),
			Tags:              tags,
		})
		return err
	})
}

func TestContainerInsightsDeployment(t *testing.T) {
	d := only(t, runContainerInsights(t, pulumi.StringMap{"env": pulumi.String("dev")}), deploymentType)
	checkParent(t, d, "aks-kubenet:monitoring:ContainerInsights")
	checkEqual(t, "deployment name", d.Inputs["deploymentName"], "aks-dev-container-insights")
	checkEqual(t, "deployment resource group", d.Inputs["resourceGroupName"], resourceGroup)
	checkEqual(t, "deployment tags", d.Inputs["tags"], map[string]any{"env": "dev"})
	checkEqual(t, "deployment mode", at(t, d.Inputs, "properties", "mode"), "Incremental")

	template := at(t, d.Inputs, "properties", "template")
	resources, ok := at(t, template, "resources").([]any)
	if !ok || len(resources) != 2 {
		t.Fatalf("template resources = %#v, want the rule and the association", at(t, template, "resources"))
	}
	rule, association := resources[0], resources[1]

	const ruleName = "MSCI-eastus-aks-dev"
	const ruleID = "[resourceId('Microsoft.Insights/dataCollectionRules', 'MSCI-eastus-aks-dev')]"
	streams := []any{"Microsoft-ContainerInsights-Group-Default"}
	checkEqual(t, "rule type", at(t, rule, "type"), "Microsoft.Insights/dataCollectionRules")
	checkEqual(t, "rule apiVersion", at(t, rule, "apiVersion"), "2022-06-01")
	checkEqual(t, "rule name", at(t, rule, "name"), ruleName)
	checkEqual(t, "rule kind", at(t, rule, "kind"), "Linux")
	checkEqual(t, "rule location", at(t, rule, "location"), "[parameters('location')]")
	checkEqual(t, "rule tags", at(t, rule, "tags"), "[parameters('tags')]")
	extensions := at(t, rule, "properties", "dataSources", "extensions").([]any)
	if len(extensions) != 1 {
		t.Errorf("rule has %d extensions, want 1", len(extensions))
	}
	checkEqual(t, "extension name", at(t, extensions, 0, "name"), "ContainerInsightsExtension")
	checkEqual(t, "extension extensionName", at(t, extensions, 0, "extensionName"), "ContainerInsights")
	checkEqual(t, "extension streams", at(t, extensions, 0, "streams"), streams)
	checkEqual(t, "log analytics destinations", at(t, rule, "properties", "destinations", "logAnalytics"), []any{
		map[string]any{"name": "ciworkspace", "workspaceResourceId": "[parameters('workspaceResourceId')]"},
	})
	checkEqual(t, "data flows", at(t, rule, "properties", "dataFlows"), []any{
		map[string]any{"streams": streams, "destinations": []any{"ciworkspace"}},
	})

	checkEqual(t, "association type", at(t, association, "type"), "Microsoft.Insights/dataCollectionRuleAssociations")
	checkEqual(t, "association apiVersion", at(t, association, "apiVersion"), "2022-06-01")
	checkEqual(t, "association name", at(t, association, "name"), "ContainerInsightsExtension")
	checkEqual(t, "association scope", at(t, association, "scope"), "[parameters('clusterResourceId')]")
	checkEqual(t, "association rule", at(t, association, "properties", "dataCollectionRuleId"), ruleID)
	checkEqual(t, "association dependsOn", at(t, association, "dependsOn"), []any{ruleID})

	checkEqual(t, "parameters", at(t, d.Inputs, "properties", "parameters"), map[string]any{
		"location":            map[string]any{"value": location},
		"workspaceResourceId": map[string]any{"value": workspaceID},
		"clusterResourceId":   map[string]any{"value": clusterID},
		"tags":                map[string]any{"value": map[string]any{"env": "dev"}},
	})
	checkParameters(t, template, at(t, d.Inputs, "properties", "parameters").(map[string]any))
}

func TestContainerInsightsWithoutTags(t *testing.T) {
	d := only(t, runContainerInsights(t, nil), deploymentType)
	parameters := at(t, d.Inputs, "properties", "parameters").(map[string]any)
	if _, ok := parameters["tags"]; ok {
		t.Errorf("parameters = %#v, want no tags", parameters)
	}
	checkParameters(t, at(t, d.Inputs, "properties", "template"), parameters)
}

// parameterReference matches the template expressions that read a parameter.
var parameterReference = regexp.MustCompile(`parameters\('([^']*)'\)`)

// checkParameters fails the test unless every parameter the template reads is
// declared, and every declared parameter without a default value is given.
func checkParameters(t *testing.T, template any, given map[string]any) {
	t.Helper()
	declared := at(t, template, "parameters").(map[string]any)
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			for _, e := range v {
				walk(e)
			}
		case []any:
			for _, e := range v {
				walk(e)
			}
		case string:
			for _, m := range parameterReference.FindAllStringSubmatch(v, -1) {
				if _, ok := declared[m[1]]; !ok {
					t.Errorf("template reads parameter %q, which it does not declare", m[1])
				}
			}
		}
	}
	walk(at(t, template, "resources"))
	for name, p := range declared {
		_, hasDefault := p.(map[string]any)["defaultValue"]
		if _, ok := given[name]; !ok && !hasDefault {
			t.Errorf("parameter %q has no default and no value", name)
		}
	}
}

func TestContainerInsightsWaitsForClusterAndWorkspace(t *testing.T) {
	d := only(t, runContainerInsights(t, nil), deploymentType)
	for _, want := range []struct{ typ, name string }{{clusterType, "cluster"}, {workspaceType, "monitoring-workspace"}} {
		found := false
		for _, dep := range d.Deps {
			if u := resource.URN(dep); string(u.Type()) == want.typ && u.Name() == want.name {
				found = true
			}
		}
		if !found {
			t.Errorf("deployment depends on %v, want %s %s among them", d.Deps, want.typ, want.name)
		}
	}
}

func TestAddonConfig(t *testing.T) {
	got := AddonConfig(pulumi.String(workspaceID))
	want := pulumi.StringMap{
		"logAnalyticsWorkspaceResourceID": pulumi.String(workspaceID),
		"useAADAuth":                      pulumi.String("true"),
	}
	checkEqual(t, "AddonConfig", got, want)
}

func TestDataCollectionRuleName(t *testing.T) {
	long := strings.Repeat("c", 63) // the longest AKS cluster name
	cases := []struct {
		name, location, cluster, want string
	}{
		{name: "short names are joined", location: "eastus", cluster: "aks-dev", want: "MSCI-eastus-aks-dev"},
		{name: "64 characters are kept", location: "westeurope", cluster: strings.Repeat("c", 48),
			want: "MSCI-westeurope-" + strings.Repeat("c", 48)},
		{name: "a longer name is cut to 64", location: "westeurope", cluster: long,
			want: "MSCI-westeurope-" + strings.Repeat("c", 48)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := DataCollectionRuleName(tc.location, tc.cluster)
			if got != tc.want || len(got) > 64 {
				t.Errorf("DataCollectionRuleName(%q, %q) = %q, want %q", tc.location, tc.cluster, got, tc.want)
			}
		})
	}
}

func TestDeploymentName(t *testing.T) {
	cases := []struct {
		name, cluster, want string
	}{
		{name: "a short cluster name is kept", cluster: "aks-dev", want: "aks-dev-container-insights"},
		{name: "45 characters are kept", cluster: strings.Repeat("c", 45), want: strings.Repeat("c", 45) + "-container-insights"},
		{name: "a longer cluster name is cut", cluster: strings.Repeat("c", 63), want: strings.Repeat("c", 45) + "-container-insights"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := DeploymentName(tc.cluster)
			if got != tc.want || len(got) > 64 {
				t.Errorf("DeploymentName(%q) = %q (%d characters), want %q", tc.cluster, got, len(got), tc.want)
			}
		})
	}
}
