package azuresim

import (
	"context"
	"fmt"
	"os"
	"sort"
	"sync"
	"syscall"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil/rpcerror"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/aks-kubenet/aks-kubenet/armid"
)

// Version is the plugin version the simulated provider reports: the
// azure-native provider version the SDK modules in go.mod ask the engine for.
const Version = "2.82.0"

// Other functions the simulated provider answers.
const (
	getClientConfig  = "azure-native:authorization:getClientConfig"
	getResourceGroup = "azure-native:resources:getResourceGroup"
)

// Identities of the simulated Azure login.
const (
	TenantID = "72f988bf-86f1-41af-91ab-2d7cd011db47"
	ClientID = "04b07795-8ddb-461a-bbee-02f9e1bf7b46"
	ObjectID = "6d97229a-391f-473a-893f-f0608b592d7b"
)

// roleAssignmentLatency is how long a role assignment takes to create.
const roleAssignmentLatency = 500 * time.Millisecond

// Provider serves the cloud in one file as the azure-native resource provider.
// Every call opens the file, works on it and saves it, one call at a time, so
// that the tests may change the cloud between engine operations.
//
// Each provider instance is a plugin process of its own: the stack's default
// provider, and every explicit provider resource (an azure-native provider
// for a hub's subscription). They share the cloud file, one call at a time
// across processes (an flock on the file beside it), and each deploys into
// its own subscription.
type Provider struct {
	pulumirpc.UnimplementedResourceProviderServer

	path string
	mu   sync.Mutex
	// canceled is closed by Cancel: the engine was interrupted, and the
	// long-running operations the provider polls return at once.
	canceled   chan struct{}
	cancelOnce sync.Once
	// subscription is the instance's subscriptionId (azure-native:subscriptionId
	// for the default provider, the provider resource's input for an explicit
	// one), when set: as the real provider does, it deploys there, whatever
	// the login's default subscription (the cloud's) is.
	subscription string
}

// NewProvider returns the provider of the cloud file at path.
func NewProvider(path string) *Provider {
	return &Provider{path: path, canceled: make(chan struct{})}
}

// GetPluginInfo answers the version the SDK asks for.
func (p *Provider) GetPluginInfo(context.Context, *emptypb.Empty) (*pulumirpc.PluginInfo, error) {
	return &pulumirpc.PluginInfo{Version: Version}, nil
}

// CheckConfig accepts any provider config.
func (p *Provider) CheckConfig(_ context.Context, req *pulumirpc.CheckRequest) (*pulumirpc.CheckResponse, error) {
	return &pulumirpc.CheckResponse{Inputs: req.GetNews()}, nil
}

// DiffConfig reports no change to the provider's config.
func (p *Provider) DiffConfig(context.Context, *pulumirpc.DiffRequest) (*pulumirpc.DiffResponse, error) {
	return &pulumirpc.DiffResponse{Changes: pulumirpc.DiffResponse_DIFF_NONE}, nil
}

// Configure takes the instance's subscriptionId, and accepts secrets and
// previews, like azure-native.
func (p *Provider) Configure(_ context.Context, req *pulumirpc.ConfigureRequest) (*pulumirpc.ConfigureResponse, error) {
	args, err := unmarshal(req.GetArgs(), false)
	if err != nil {
		return nil, err
	}
	p.subscription = str(args, "subscriptionId")
	return &pulumirpc.ConfigureResponse{AcceptSecrets: true, SupportsPreview: true}, nil
}

// Cancel stops the polling of every long-running operation, as
// azure-native's Cancel cancels the context its operations run in
// (provider.go Cancel; faults.md §2.1): a create still running returns
// partial state.
func (p *Provider) Cancel(context.Context, *emptypb.Empty) (*emptypb.Empty, error) {
	p.cancelOnce.Do(func() { close(p.canceled) })
	return &emptypb.Empty{}, nil
}

// Check refuses resource types the simulation does not know and passes the
// inputs through.
func (p *Provider) Check(_ context.Context, req *pulumirpc.CheckRequest) (*pulumirpc.CheckResponse, error) {
	if _, err := kindOf(req.GetUrn()); err != nil {
		return nil, err
	}
	return &pulumirpc.CheckResponse{Inputs: req.GetNews()}, nil
}

// Diff compares the old and the new inputs key by key, as azure-native v2's
// Diff does (provider/pkg/provider/diff.go, calculateDetailedDiff,
// applyAzureSpecificDiff, calculateChangesAndReplacements). A change,
// addition or removal of a replace key (ReplaceKeys), or below one, asks for
// a replacement, deleted first as azure-native does for resources with a
// fixed name; so does one of a nested replace key in an entry of an array
// input (agentPoolProfiles[].networkProfile), compared entry by entry by
// index. Any other change is an update. An unknown new value counts as a
// change. Two locations that differ in case and spaces only are no change;
// a replace key the old inputs lacked, added with the value the old outputs
// hold, is an update, not a replacement (azure-nextgen#238's workaround).
func (p *Provider) Diff(_ context.Context, req *pulumirpc.DiffRequest) (*pulumirpc.DiffResponse, error) {
	k, err := kindOf(req.GetUrn())
	if err != nil {
		return nil, err
	}
	oldStruct := req.GetOldInputs()
	if oldStruct == nil {
		oldStruct = req.GetOlds()
	}
	olds, err := unmarshal(oldStruct, false)
	if err != nil {
		return nil, err
	}
	oldOutputs, err := unmarshal(req.GetOlds(), false)
	if err != nil {
		return nil, err
	}
	news, err := unmarshal(req.GetNews(), false)
	if err != nil {
		return nil, err
	}
	resp := &pulumirpc.DiffResponse{DetailedDiff: map[string]*pulumirpc.PropertyDiff{}, HasDetailedDiff: true}
	for _, key := range unionKeys(olds, news) {
		ov, inOld := olds[key]
		nv, inNew := news[key]
		kind, changed := diffKind(ov, inOld, nv, inNew)
		if !changed {
			continue
		}
		name := string(key)
		if name == "location" && kind == pulumirpc.PropertyDiff_UPDATE && ov.IsString() && nv.IsString() &&
			sameLocation(ov.StringValue(), nv.StringValue()) {
			continue
		}
		resp.Diffs = append(resp.Diffs, name)
		replace := k.replaces(name)
		if replace && kind == pulumirpc.PropertyDiff_ADD && oldOutputs.HasValue(key) && oldOutputs[key].DeepEquals(nv) {
			replace = false
		}
		if replace {
			resp.Replaces = append(resp.Replaces, name)
			kind += pulumirpc.PropertyDiff_ADD_REPLACE - pulumirpc.PropertyDiff_ADD
		}
		resp.DetailedDiff[name] = &pulumirpc.PropertyDiff{Kind: kind, InputDiff: true}
		if !replace && kind == pulumirpc.PropertyDiff_UPDATE {
			for path, sub := range nestedReplaces(k, name, ov, nv) {
				resp.Replaces = append(resp.Replaces, path)
				resp.DetailedDiff[path] = &pulumirpc.PropertyDiff{Kind: sub + pulumirpc.PropertyDiff_ADD_REPLACE - pulumirpc.PropertyDiff_ADD, InputDiff: true}
			}
		}
	}
	sort.Strings(resp.Replaces)
	resp.Changes = pulumirpc.DiffResponse_DIFF_NONE
	if len(resp.Diffs) > 0 {
		resp.Changes = pulumirpc.DiffResponse_DIFF_SOME
	}
	resp.DeleteBeforeReplace = len(resp.Replaces) > 0
	return resp, nil
}

// diffKind is the kind of change from ov (inOld) to nv (inNew), and whether
// there is one.
func diffKind(ov resource.PropertyValue, inOld bool, nv resource.PropertyValue, inNew bool) (pulumirpc.PropertyDiff_Kind, bool) {
	switch {
	case inOld && !inNew:
		return pulumirpc.PropertyDiff_DELETE, true
	case !inOld && inNew:
		return pulumirpc.PropertyDiff_ADD, true
	case inOld && inNew && (nv.ContainsUnknowns() || !ov.DeepEquals(nv)):
		return pulumirpc.PropertyDiff_UPDATE, true
	}
	return 0, false
}

// nestedReplaces are the nested replace keys of kind k under the array input
// key that changed from ov to nv, entry by entry by index (entries only in
// one of them are an addition or removal of the entry, no replacement), each
// by its path (agentPoolProfiles[0].networkProfile) with its kind of change.
func nestedReplaces(k kind, key string, ov, nv resource.PropertyValue) map[string]pulumirpc.PropertyDiff_Kind {
	subs := k.nestedReplaceKeys[key]
	if len(subs) == 0 || !ov.IsArray() || !nv.IsArray() {
		return nil
	}
	out := map[string]pulumirpc.PropertyDiff_Kind{}
	olds, news := ov.ArrayValue(), nv.ArrayValue()
	for i := 0; i < len(olds) && i < len(news); i++ {
		o, _ := olds[i].V.(resource.PropertyMap)
		n, _ := news[i].V.(resource.PropertyMap)
		for _, sub := range subs {
			sk := resource.PropertyKey(sub)
			ovs, inOld := o[sk]
			nvs, inNew := n[sk]
			if kind, changed := diffKind(ovs, inOld && ovs.HasValue(), nvs, inNew && nvs.HasValue()); changed {
				out[fmt.Sprintf("%s[%d].%s", key, i, sub)] = kind
			}
		}
	}
	return out
}

// Create creates the resource in the cloud; a preview only predicts its outputs.
func (p *Provider) Create(ctx context.Context, req *pulumirpc.CreateRequest) (*pulumirpc.CreateResponse, error) {
	typ := resource.URN(req.GetUrn()).Type().String()
	in, err := unmarshal(req.GetProperties(), true)
	if err != nil {
		return nil, err
	}
	if req.GetPreview() {
		outs := in.Copy()
		for k, v := range unknownComputed(typ, "", in) {
			outs[k] = v
		}
		outs["name"] = in[resource.PropertyKey(kinds[typ].NameKey)]
		props, err := marshal(outs)
		return &pulumirpc.CreateResponse{Properties: props}, err
	}
	// A role assignment takes a moment in Azure. Waiting outside the lock
	// lets the engine's other creates go on meanwhile, so that a resource that
	// ought to wait for a grant, and does not, is refused every time, not by
	// chance.
	if typ == RoleAssignment {
		time.Sleep(roleAssignmentLatency)
	}
	id, outs, err := p.put(ctx, typ, req.GetUrn(), in, req.GetProperties(), true)
	if err != nil {
		return nil, err
	}
	props, err := marshal(outs)
	return &pulumirpc.CreateResponse{Id: id, Properties: props}, err
}

// put PUTs the resource (create, or update) as azure-native does, with the
// faults armed for it: a refusal, a long-running operation that fails or
// runs until the engine cancels it (then partial state,
// ErrorResourceInitFailed), 429s within or beyond the provider's retries.
// An AKS operation takes aksOperation before it answers, the cluster busy
// meanwhile. inputs are the request's, for the partial state.
func (p *Provider) put(ctx context.Context, typ, urn string, in resource.PropertyMap, inputs *structpb.Struct, create bool,
) (string, resource.PropertyMap, error) {
	op := "update"
	if create {
		op = "create"
	}
	var id string
	var outs resource.PropertyMap
	var fired Fault
	err := p.withCloud(func(c *Cloud) error {
		want, err := c.ID(typ, in)
		if err != nil {
			return err
		}
		if fired, err = c.fire(op, typ, want); err != nil {
			return err
		}
		r, err := c.Put(typ, urn, in, create)
		if err != nil {
			return err
		}
		running := "Updating"
		if create {
			running = "Creating"
		}
		if cluster := aksCluster(typ, r.ID); cluster != "" {
			c.markBusy(cluster, operationName(typ, r.ID, running), time.Now().Add(aksOperation))
		}
		switch fired.Kind {
		case Fail, FailUnread:
			r.State = "Failed"
		case Hang:
			r.State, r.Until = "Creating", time.Now().Add(fired.Busy)
			if cluster := aksCluster(typ, r.ID); cluster != "" {
				c.markBusy(cluster, operationName(typ, r.ID, "Creating"), r.Until)
			}
		}
		id, outs = r.ID, c.outputs(r)
		return nil
	})
	if err != nil {
		return "", nil, err
	}
	switch fired.Kind {
	case Fail:
		return "", nil, partial(id, outs, fired.err().Error(), inputs)
	case FailUnread:
		return "", nil, partial(id, nil, "resource created but read failed: "+fired.err().Error(), inputs)
	case Hang:
		return "", nil, p.hang(ctx, typ, id, fired.Busy, inputs)
	}
	if aksCluster(typ, id) != "" {
		time.Sleep(aksOperation)
	}
	return id, outs, nil
}

// hangLimit bounds a Hang whose engine never cancels it (a killed engine's
// orphaned plugin).
const hangLimit = 2 * time.Minute

// hang polls a long-running operation until the engine cancels it: then the
// operation runs on in Azure for busyFor, and the provider returns what
// azure-native returns when its context is canceled, partial state with
// the id only.
func (p *Provider) hang(ctx context.Context, typ, id string, busyFor time.Duration, inputs *structpb.Struct) error {
	engine := os.Getppid()
	poll := time.NewTicker(50 * time.Millisecond)
	defer poll.Stop()
	limit := time.After(hangLimit)
wait:
	for {
		select {
		case <-p.canceled:
			break wait
		case <-ctx.Done():
			break wait
		case <-limit:
			break wait
		case <-poll.C:
			if os.Getppid() != engine {
				// The engine was killed: nobody polls any more, and
				// Azure's operation runs on as the PUT left it.
				os.Exit(1)
			}
		}
	}
	err := p.withCloud(func(c *Cloud) error {
		until := time.Now().Add(busyFor)
		if r := c.Get(id); r != nil && r.State == "Creating" {
			r.Until = until
		}
		if cluster := aksCluster(typ, id); cluster != "" {
			c.markBusy(cluster, operationName(typ, id, "Creating"), until)
		}
		return nil
	})
	if err != nil {
		return err
	}
	return partial(id, nil, "resource created but read failed: "+context.Canceled.Error(), inputs)
}

// partial is azure-native's answer to a PUT accepted whose operation then
// failed: the error with ErrorResourceInitFailed, which the engine records
// as the resource with initErrors (crud.go partialError; faults.md §1.1).
// outs are the outputs of the GET after the failure, nil when it failed.
func partial(id string, outs resource.PropertyMap, reason string, inputs *structpb.Struct) error {
	detail := &pulumirpc.ErrorResourceInitFailed{Id: id, Reasons: []string{reason}, Inputs: inputs}
	if outs != nil {
		props, err := marshal(outs)
		if err != nil {
			return err
		}
		detail.Properties = props
	}
	return rpcerror.WithDetails(rpcerror.New(codes.Unknown, reason), detail)
}

// Update PUTs the new inputs; a preview only predicts the outputs.
func (p *Provider) Update(ctx context.Context, req *pulumirpc.UpdateRequest) (*pulumirpc.UpdateResponse, error) {
	typ := resource.URN(req.GetUrn()).Type().String()
	news, err := unmarshal(req.GetNews(), true)
	if err != nil {
		return nil, err
	}
	if req.GetPreview() {
		outs, err := unmarshal(req.GetOlds(), true)
		if err != nil {
			return nil, err
		}
		oldInputs, err := unmarshal(req.GetOldInputs(), true)
		if err != nil {
			return nil, err
		}
		for k, v := range news {
			outs[k] = previewOutput(typ, k, oldInputs[k], v, outs[k])
		}
		props, err := marshal(outs)
		return &pulumirpc.UpdateResponse{Properties: props}, err
	}
	_, outs, err := p.put(ctx, typ, req.GetUrn(), news, req.GetNews(), false)
	if err != nil {
		return nil, err
	}
	props, err := marshal(outs)
	return &pulumirpc.UpdateResponse{Properties: props}, err
}

// previewOutput predicts, for an update's preview, the output of input key
// whose old input was oldIn and new input is newIn, its old output oldOut: an
// input that does not change keeps its output (a firewall's ipConfigurations
// keep their private IPs), a changed one that Azure adds values to is
// unknown, and any other changed one is its new input.
func previewOutput(typ string, key resource.PropertyKey, oldIn, newIn, oldOut resource.PropertyValue) resource.PropertyValue {
	if oldOut.V != nil && oldIn.V != nil && oldIn.DeepEquals(newIn) {
		return oldOut
	}
	for _, k := range kinds[typ].filledKeys {
		if string(key) == k {
			return resource.MakeComputed(resource.NewProperty(""))
		}
	}
	return newIn
}

// Read returns the resource as the cloud holds it, or no id when it is gone.
// The refreshed inputs follow azure-native's Read (provider/pkg/provider/
// provider.go Read, with applyDiff and applyValueDiff): it projects the old
// outputs and the resource's view now onto the inputs' shape, diffs the two
// projections, and applies that diff to the old inputs, leaf by leaf: a leaf
// whose value Azure changed since the last read or write is copied in, added
// when the program never set it (a changed networkProfile.podCidrs), removed
// when Azure no longer has it; a leaf nobody changed keeps the program's
// input, and one the program never set stays out (what AKS fills in at
// create time, networkProfile.podCidrs among it, is an output until it
// changes). The sub-resources listed inline (a table's routes, a VNet's
// subnets) stay out of the inputs, as azure-native v2 keeps them apart
// (aks-rules 9.4); values Azure computes (ids, provisioning state) are
// outputs only. With no old inputs (an import) the inputs are the view.
func (p *Provider) Read(_ context.Context, req *pulumirpc.ReadRequest) (*pulumirpc.ReadResponse, error) {
	oldInputs, err := unmarshal(req.GetInputs(), true)
	if err != nil {
		return nil, err
	}
	oldOutputs, err := unmarshal(req.GetProperties(), true)
	if err != nil {
		return nil, err
	}
	resp := &pulumirpc.ReadResponse{}
	err = p.withCloud(func(c *Cloud) error {
		r := c.Get(req.GetId())
		if r == nil {
			return nil
		}
		view := c.View(r)
		inputs := view
		if len(oldInputs) > 0 {
			inputs = refreshedInputs(oldInputs, oldOutputs, view, r)
		}
		if resp.Inputs, err = marshal(inputs); err != nil {
			return err
		}
		if resp.Properties, err = marshal(c.outputs(r)); err != nil {
			return err
		}
		resp.Id = r.ID
		return nil
	})
	return resp, err
}

// refreshedInputs applies to the old inputs what changed in Azure between the
// old outputs and the resource's view now, leaf by leaf (applyDiff). Both
// are first projected onto the inputs' shape (inputShape): what Azure
// computed is left out, a value of its own (an id, a principal) and what it
// adds inside an input (a cluster's aadProfile.tenantID) being outputs only.
func refreshedInputs(oldInputs, oldOutputs, view resource.PropertyMap, r *Resource) resource.PropertyMap {
	return applyDiff(oldInputs, inputShape(oldOutputs, r), inputShape(view, r))
}

// inputShape is the projection of the resource r's outputs, or of its view,
// onto its inputs (azure-native's SdkOutputsToSdkInputs): without its name,
// its inline sub-resources, the values Azure computes on its own, and what
// Azure adds inside an input (withoutFilled).
func inputShape(m resource.PropertyMap, r *Resource) resource.PropertyMap {
	out := m.Copy()
	delete(out, "name")
	if inline := kinds[r.Type].inlineKey; inline != "" {
		delete(out, resource.PropertyKey(inline))
	}
	for key, filled := range r.Computed {
		if _, input := r.Properties[key]; !input {
			delete(out, key)
			continue
		}
		if v, ok := out[key]; ok {
			out[key] = withoutFilled(v, filled)
		}
	}
	return out
}

// applyDiff applies to values (the old inputs) the diff between old and new
// (the projections of the old outputs and of the cloud's view), as
// azure-native's applyDiff does (provider/pkg/provider/provider.go, v2): a
// key new has and old had not is added, one old had and new has not is
// removed, and a changed one is applied by applyValueDiff when values has
// it, or copied whole when it does not. A key whose value did not change
// keeps values' own, or stays out.
func applyDiff(values, old, new resource.PropertyMap) resource.PropertyMap {
	result := resource.PropertyMap{}
	for key, v := range values {
		if old[key].HasValue() && !new[key].HasValue() {
			continue // deleted in Azure
		}
		result[key] = v
	}
	for _, key := range unionKeys(old, new) {
		ov, nv := old[key], new[key]
		inOld, inNew := ov.HasValue(), nv.HasValue()
		switch {
		case !inNew:
		case !inOld:
			result[key] = nv
		case ov.DeepEquals(nv):
		default:
			if base, has := values[key]; has {
				result[key] = applyValueDiff(base, ov, nv)
			} else {
				result[key] = nv
			}
		}
	}
	return result
}

// applyValueDiff is azure-native's applyValueDiff: objects are compared key
// by key and only the changed keys are applied to base; arrays element by
// element, an element beyond base's or old's copied as it is; anything else
// is the new value.
func applyValueDiff(base, old, new resource.PropertyValue) resource.PropertyValue {
	switch {
	case base.IsObject() && old.IsObject() && new.IsObject():
		return resource.NewProperty(applyDiff(base.ObjectValue(), old.ObjectValue(), new.ObjectValue()))
	case base.IsArray() && old.IsArray() && new.IsArray():
		b, o, n := base.ArrayValue(), old.ArrayValue(), new.ArrayValue()
		out := make([]resource.PropertyValue, len(n))
		for i, el := range n {
			if i >= len(b) || i >= len(o) {
				out[i] = el
				continue
			}
			out[i] = applyValueDiff(b[i], o[i], el)
		}
		return resource.NewProperty(out)
	}
	return new
}

// Delete deletes the resource from the cloud.
func (p *Provider) Delete(_ context.Context, req *pulumirpc.DeleteRequest) (*emptypb.Empty, error) {
	typ := resource.URN(req.GetUrn()).Type().String()
	err := p.withCloud(func(c *Cloud) error {
		if _, err := c.fire("delete", typ, req.GetId()); err != nil {
			return err
		}
		if err := c.Delete(typ, req.GetUrn(), req.GetId()); err != nil {
			return err
		}
		if typ == AgentPool {
			c.markBusy(aksCluster(typ, req.GetId()), operationName(typ, req.GetId(), "Deleting"), time.Now().Add(aksOperation))
		}
		return nil
	})
	if err == nil && typ == AgentPool {
		time.Sleep(aksOperation)
	}
	return &emptypb.Empty{}, err
}

// Invoke answers listManagedClusterUserCredentials, getClientConfig and
// getResourceGroup; other functions are not simulated and fail.
func (p *Provider) Invoke(_ context.Context, req *pulumirpc.InvokeRequest) (*pulumirpc.InvokeResponse, error) {
	args, err := unmarshal(req.GetArgs(), false)
	if err != nil {
		return nil, err
	}
	var ret resource.PropertyMap
	err = p.withCloud(func(c *Cloud) error {
		switch req.GetTok() {
		case armid.ListUserCredentials:
			encoded, err := c.ListUserCredentials(str(args, "resourceGroupName"), str(args, "resourceName"), str(args, "format"))
			ret = credentials(encoded)
			return err
		case getClientConfig:
			ret = resource.PropertyMap{
				"subscriptionId": resource.NewProperty(c.Subscription),
				"tenantId":       resource.NewProperty(TenantID),
				"clientId":       resource.NewProperty(ClientID),
				"objectId":       resource.NewProperty(ObjectID),
			}
			return nil
		case getResourceGroup:
			group, err := c.ResourceGroup(str(args, "resourceGroupName"))
			if err != nil {
				return err
			}
			ret = c.outputs(group)
			ret["id"] = resource.NewProperty(group.ID)
			return nil
		}
		return fmt.Errorf("azuresim: function %s is not simulated", req.GetTok())
	})
	if err != nil {
		return nil, err
	}
	out, err := marshal(ret)
	return &pulumirpc.InvokeResponse{Return: out}, err
}

// credentials is listClusterUserCredential's answer for a kubeconfig in
// base64.
func credentials(encoded string) resource.PropertyMap {
	return resource.PropertyMap{
		"kubeconfigs": resource.NewProperty([]resource.PropertyValue{
			resource.NewProperty(resource.PropertyMap{
				"name":  resource.NewProperty("clusterUser"),
				"value": resource.NewProperty(encoded),
			}),
		}),
	}
}

// withCloud runs fn on the cloud, one call at a time across every provider
// instance, in the instance's subscription, and saves what fn did.
func (p *Provider) withCloud(fn func(c *Cloud) error) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return withCloudIn(p.path, p.subscription, fn)
}

// WithCloud runs fn on the cloud in the file at path and saves what fn did,
// even when fn fails (a refusal counts the fault that fired, and changes
// nothing else). Calls take turns across goroutines and processes, the
// provider plugins' included, through an flock on the file path+".lock".
func WithCloud(path string, fn func(c *Cloud) error) error {
	return withCloudIn(path, "", fn)
}

// withCloudIn is WithCloud in subscription, when not empty: the ids fn makes
// are in it, whatever the login's default subscription (the cloud's) is.
func withCloudIn(path, subscription string, fn func(c *Cloud) error) error {
	lock, err := os.OpenFile(path+".lock", os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return err
	}
	defer func() { _ = lock.Close() }() // and so releases the lock
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		return fmt.Errorf("locking the simulated cloud: %w", err)
	}
	c, err := Open(path)
	if err != nil {
		return err
	}
	login := c.Subscription
	if subscription != "" {
		c.Subscription = subscription
	}
	err = fn(c)
	c.Subscription = login
	if saveErr := c.Save(); saveErr != nil {
		return saveErr
	}
	return err
}

// outputs are the resource's state as the provider returns it: its view, the
// values Azure computed (merged into the input of the same name when both
// are objects), and its name.
func (c *Cloud) outputs(r *Resource) resource.PropertyMap {
	outs := c.View(r)
	for k, v := range r.Computed {
		outs[k] = merged(outs[k], v)
	}
	outs["name"] = resource.NewProperty(lastSegment(r.ID))
	if _, ok := outs["provisioningState"]; ok || r.State != "" {
		outs["provisioningState"] = resource.NewProperty(r.provisioningState())
	}
	return outs
}

// merged is base with over's values: object into object, key by key, and
// over's value in place of anything else.
func merged(base, over resource.PropertyValue) resource.PropertyValue {
	if !base.IsObject() || !over.IsObject() {
		return over
	}
	out := base.ObjectValue().Copy()
	for k, v := range over.ObjectValue() {
		out[k] = merged(out[k], v)
	}
	return resource.NewProperty(out)
}

// withoutFilled is v without what filled adds to it (the inverse of merged
// for the keys filled has): an object loses filled's keys, down to filled's
// leaves; anything else is v.
func withoutFilled(v, filled resource.PropertyValue) resource.PropertyValue {
	if !v.IsObject() || !filled.IsObject() {
		return v
	}
	out := v.ObjectValue().Copy()
	for k, f := range filled.ObjectValue() {
		sub, ok := out[k]
		switch {
		case !ok:
		case f.IsObject() && sub.IsObject():
			if rest := withoutFilled(sub, f); len(rest.ObjectValue()) > 0 {
				out[k] = rest
			} else {
				delete(out, k)
			}
		default:
			delete(out, k)
		}
	}
	return resource.NewProperty(out)
}

func kindOf(urn string) (kind, error) {
	typ := resource.URN(urn).Type().String()
	k, ok := kinds[typ]
	if !ok {
		return kind{}, fmt.Errorf("azuresim: %s is not a simulated resource type", typ)
	}
	return k, nil
}

func unionKeys(a, b resource.PropertyMap) []resource.PropertyKey {
	seen := map[resource.PropertyKey]bool{}
	var keys []resource.PropertyKey
	for _, m := range []resource.PropertyMap{a, b} {
		for k := range m {
			if !seen[k] {
				seen[k] = true
				keys = append(keys, k)
			}
		}
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i] < keys[j] })
	return keys
}

// unmarshal reads properties from the engine, unknowns kept, secrets kept
// only with keepSecrets (a diff compares plain values).
func unmarshal(s *structpb.Struct, keepSecrets bool) (resource.PropertyMap, error) {
	if s == nil {
		return resource.PropertyMap{}, nil
	}
	return plugin.UnmarshalProperties(s, plugin.MarshalOptions{KeepUnknowns: true, KeepSecrets: keepSecrets})
}

func marshal(m resource.PropertyMap) (*structpb.Struct, error) {
	return plugin.MarshalProperties(m, plugin.MarshalOptions{KeepUnknowns: true, KeepSecrets: true})
}
