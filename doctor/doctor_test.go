package doctor

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"

	"github.com/aks-kubenet/aks-kubenet/armid"
)

const (
	sub        = "0b1f6471-1bf0-4dda-aec3-cb9272f09590"
	providerU  = "urn:pulumi:prod::aks-kubenet::pulumi:providers:azure-native::default_2_82_0"
	clusterURN = "urn:pulumi:prod::aks-kubenet::aks-kubenet:cluster:AKSCluster$" + armid.ManagedCluster + "::aks-cluster"
	clusterID  = "/subscriptions/" + sub + "/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/aks"
)

// fakeStack records what the doctor does to the state.
type fakeStack struct {
	state     apitype.UntypedDeployment
	exportErr error
	calls     []string
	adopted   map[string]string
}

func (f *fakeStack) Export(context.Context) (apitype.UntypedDeployment, error) {
	f.calls = append(f.calls, "export")
	return f.state, f.exportErr
}

func (f *fakeStack) Import(context.Context, apitype.UntypedDeployment) error {
	f.calls = append(f.calls, "import")
	return nil
}

func (f *fakeStack) Cancel(context.Context) error {
	f.calls = append(f.calls, "cancel")
	return nil
}

func (f *fakeStack) Adopt(_ context.Context, adopt map[string]string) error {
	f.calls = append(f.calls, "adopt")
	f.adopted = adopt
	return nil
}

type fakeLocks []Lock

func (f fakeLocks) List(context.Context) ([]Lock, error) { return f, nil }

type fakeAzure map[string]bool

func (f fakeAzure) Exists(_ context.Context, id string) (bool, error) {
	return f[strings.ToLower(id)], nil
}

// state is a deployment with the default provider and pending creates of
// the cluster with inputs.
func state(t *testing.T, inputs ...map[string]any) apitype.UntypedDeployment {
	t.Helper()
	d := apitype.DeploymentV3{Resources: []apitype.ResourceV3{{
		URN: resource.URN(providerU), Custom: true, ID: "p1", Type: "pulumi:providers:azure-native",
		Inputs: map[string]any{"subscriptionId": sub},
	}}}
	for _, in := range inputs {
		d.PendingOperations = append(d.PendingOperations, apitype.OperationV2{Type: apitype.OperationTypeCreating, Resource: apitype.ResourceV3{
			URN: resource.URN(clusterURN), Custom: true, Type: armid.ManagedCluster, Provider: providerU + "::p1", Inputs: in,
		}})
	}
	b, err := json.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	return apitype.UntypedDeployment{Version: 3, Deployment: b}
}

var clusterInputs = map[string]any{"resourceGroupName": "rg", "resourceName": "aks"}

func TestExamine(t *testing.T) {
	stale := Lock{Path: "locks/x.json", PID: 4242, Username: "runner", Hostname: "gh"}
	tests := []struct {
		name      string
		state     func(t *testing.T) apitype.UntypedDeployment
		locks     fakeLocks
		azure     fakeAzure
		opts      Options
		wantCalls []string
		wantAdopt map[string]string
		wantErr   string
		repaired  bool
	}{
		{name: "a sound state is left alone", state: func(t *testing.T) apitype.UntypedDeployment { return state(t) },
			opts: Options{Fix: true, CancelStaleLock: true}, wantCalls: []string{"export"}},
		{name: "a lock is not canceled without leave", state: func(t *testing.T) apitype.UntypedDeployment { return state(t) },
			locks: fakeLocks{stale}, opts: Options{Fix: true}, wantCalls: []string{"export"}, wantErr: "-cancel-stale-lock"},
		{name: "a stale lock is canceled with leave", state: func(t *testing.T) apitype.UntypedDeployment { return state(t) },
			locks: fakeLocks{stale}, opts: Options{Fix: true, CancelStaleLock: true}, wantCalls: []string{"export", "cancel"}},
		{name: "a pending create Azure has is adopted", state: func(t *testing.T) apitype.UntypedDeployment { return state(t, clusterInputs) },
			azure: fakeAzure{strings.ToLower(clusterID): true}, opts: Options{Fix: true},
			wantCalls: []string{"export", "import", "adopt"}, wantAdopt: map[string]string{clusterURN: clusterID}, repaired: true},
		{name: "a pending create Azure does not have is cleared", state: func(t *testing.T) apitype.UntypedDeployment { return state(t, clusterInputs) },
			azure: fakeAzure{}, opts: Options{Fix: true}, wantCalls: []string{"export", "import"}, repaired: true},
		{name: "without -fix it only reports", state: func(t *testing.T) apitype.UntypedDeployment { return state(t, clusterInputs) },
			locks: fakeLocks{stale}, azure: fakeAzure{strings.ToLower(clusterID): true}, wantCalls: []string{"export"}},
		{name: "an id it cannot tell stops it before any change",
			state: func(t *testing.T) apitype.UntypedDeployment {
				return state(t, map[string]any{"resourceGroupName": "rg"})
			},
			opts: Options{Fix: true}, wantCalls: []string{"export"}, wantErr: `missing required property "resourceName"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := &fakeStack{state: tc.state(t)}
			r, err := Examine(context.Background(), s, tc.locks, tc.azure, tc.opts)
			if tc.wantErr == "" && err != nil || tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)) {
				t.Fatalf("error %v, want %q", err, tc.wantErr)
			}
			if !reflect.DeepEqual(s.calls, tc.wantCalls) {
				t.Errorf("calls %v, want %v", s.calls, tc.wantCalls)
			}
			if !reflect.DeepEqual(s.adopted, tc.wantAdopt) {
				t.Errorf("adopted %v, want %v", s.adopted, tc.wantAdopt)
			}
			if r.Repaired != tc.repaired {
				t.Errorf("repaired %v, want %v", r.Repaired, tc.repaired)
			}
			if r.String() == "" {
				t.Error("an empty report")
			}
		})
	}
}

func TestUnreadableState(t *testing.T) {
	t.Parallel()
	s := &fakeStack{exportErr: errors.New("failed to load checkpoint: unexpected end of JSON input")}
	_, err := Examine(context.Background(), s, fakeLocks{}, fakeAzure{}, Options{Fix: true, CancelStaleLock: true})
	if !errors.Is(err, ErrUnreadable) || !strings.Contains(err.Error(), ".bak") {
		t.Fatalf("error %v, want ErrUnreadable with the way back", err)
	}
}

func TestFileLocks(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	locks, err := LocksOf("file://"+dir, "aks-kubenet", "prod", nil)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := locks.List(context.Background()); err != nil || len(got) != 0 {
		t.Fatalf("no lock folder: %v, %v", got, err)
	}
	lockDir := filepath.Join(dir, ".pulumi", "locks", "organization", "aks-kubenet", "prod")
	if err := os.MkdirAll(lockDir, 0o755); err != nil {
		t.Fatal(err)
	}
	content := `{"pid":4242,"username":"runner","hostname":"gh","timestamp":"2026-12-07T13:43:23Z"}`
	if err := os.WriteFile(filepath.Join(lockDir, "a.json"), []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	got, err := locks.List(context.Background())
	if err != nil || len(got) != 1 || got[0].PID != 4242 || !strings.Contains(got[0].String(), "runner@gh (pid 4242) at 2026-12-07T13:43:23Z") {
		t.Fatalf("locks %v, %v", got, err)
	}
}

// fakeAz answers az commands from a table of argument prefixes.
type fakeAz map[string]string

func (f fakeAz) Run(_ context.Context, _ string, name string, args ...string) (string, error) {
	line := name + " " + strings.Join(args, " ")
	for prefix, out := range f {
		if strings.HasPrefix(line, prefix) {
			if strings.HasPrefix(out, "error:") {
				return "", errors.New(out)
			}
			return out, nil
		}
	}
	return "", errors.New("unexpected command: " + line)
}

func TestAzureLookups(t *testing.T) {
	t.Parallel()
	az := fakeAz{
		"az resource show --ids /found":                                                      "/found\n",
		"az resource show --ids /missing":                                                    "error: (ResourceNotFound) The Resource '/missing' was not found",
		"az resource show --ids /denied":                                                     "error: (AuthorizationFailed) no read",
		"az storage blob list --prefix .pulumi/locks/organization/aks-kubenet/prod/":         `[".pulumi/locks/organization/aks-kubenet/prod/a.json"]`,
		"az storage blob download --name .pulumi/locks/organization/aks-kubenet/prod/a.json": `{"pid":7,"username":"u","hostname":"h"}`,
	}
	ctx := context.Background()
	for id, want := range map[string]bool{"/found": true, "/missing": false} {
		if got, err := (AzCLI{Az: az}).Exists(ctx, id); err != nil || got != want {
			t.Errorf("Exists(%s) = %v, %v; want %v", id, got, err, want)
		}
	}
	if _, err := (AzCLI{Az: az}).Exists(ctx, "/denied"); err == nil {
		t.Error("a lookup Azure refuses counts as an answer; want an error")
	}
	locks, err := LocksOf("azblob://state?storage_account=acct", "aks-kubenet", "prod", az)
	if err != nil {
		t.Fatal(err)
	}
	got, err := locks.List(ctx)
	if err != nil || len(got) != 1 || got[0].PID != 7 || !strings.HasPrefix(got[0].Path, "azblob://state/") {
		t.Fatalf("blob locks %v, %v", got, err)
	}
}
