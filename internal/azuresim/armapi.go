package azuresim

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/arm"
	azfake "github.com/Azure/azure-sdk-for-go/sdk/azcore/fake"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
	authfake "github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/authorization/armauthorization/v2/fake"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/containerservice/armcontainerservice/v6"
	csfake "github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/containerservice/armcontainerservice/v6/fake"
	netfake "github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/network/armnetwork/v6/fake"
	"github.com/aks-kubenet/aks-kubenet/armid"
)

// ARMCaller is the URN the cloud's log gives the operations a client of the
// ARM endpoint (ClientOptions) carries out: no Pulumi resource asked.
const ARMCaller = "arm"

// armPolls is how many non-terminal responses a cluster PUT through the
// ARM endpoint answers with before its terminal one: the PUT's own (201,
// provisioningState Updating) and the polls'.
const armPolls = 3

// armOperation is how long a cluster PUT through the ARM endpoint keeps the
// cluster busy (Updating, another PUT refused) when nobody polls it to its
// end; the poll that gets the terminal response ends it at once.
const armOperation = 5 * time.Second

// The API a cluster PUT and its polls carry in their context
// (runtime.CtxAPINameKey).
const clusterPutAPI = "ManagedClustersClient.BeginCreateOrUpdate"

// fakePollSuffix ends the path of a poll of an operation the SDK's fake
// poller follows (azcore's internal/pollers/fake).
const fakePollSuffix = "/get/fake/status"

// ClientOptions returns Azure SDK client options whose transport answers ARM
// requests from the simulated cloud in the file at path, through the SDK's
// fake servers (armcontainerservice/v6/fake, armnetwork/v6/fake,
// armauthorization/v2/fake), dispatched by the provider namespace of the
// request's URL. Use them with azfake.TokenCredential. Each request opens
// the cloud under the lock the provider plugins take (WithCloud), reads or
// changes it, and saves it. It answers:
//
//   - ManagedClustersClient.Get: the cluster in ARM's shape (armCluster),
//     its eTag, provisioningState and currentKubernetesVersion;
//   - ManagedClustersClient.BeginCreateOrUpdate of an existing cluster: a
//     full-object PUT through Cloud.Put, as the provider's Update, with the
//     If-Match/If-None-Match preconditions (412 PreconditionFailed) and the
//     faults armed for an update of the cluster; a long-running operation
//     whose first armPolls responses are Updating, the cluster busy
//     meanwhile (409 OperationNotAllowed to another PUT);
//   - RouteTablesClient.Get and SubnetsClient.Get;
//   - RoleAssignmentsClient.NewListForScopePager, with $filter
//     principalId eq '<id>' and atScope().
//
// A refusal is ARM's error response (code and message); a request for
// another namespace is 501 NotImplemented, and another method of the three
// clients the fake server's "not implemented" error.
func ClientOptions(path string) *arm.ClientOptions {
	e := armEndpoint{path: path}
	t := &armTransport{
		endpoint: e,
		clusters: csfake.NewServerFactoryTransport(&csfake.ServerFactory{
			ManagedClustersServer: csfake.ManagedClustersServer{Get: e.getCluster},
		}),
		network: netfake.NewServerFactoryTransport(&netfake.ServerFactory{
			RouteTablesServer: netfake.RouteTablesServer{Get: e.getRouteTable},
			SubnetsServer:     netfake.SubnetsServer{Get: e.getSubnet},
		}),
		auth: authfake.NewServerFactoryTransport(&authfake.ServerFactory{
			RoleAssignmentsServer: authfake.RoleAssignmentsServer{NewListForScopePager: e.listRoleAssignments},
		}),
		ops: map[string]*clusterOperation{},
	}
	return &arm.ClientOptions{ClientOptions: policy.ClientOptions{Transport: t}, DisableRPRegistration: true}
}

// armEndpoint answers the fake servers' calls from the cloud at path.
type armEndpoint struct{ path string }

// with runs fn on the cloud, in the subscription of the ARM id id.
func (e armEndpoint) with(id string, fn func(c *Cloud) error) error {
	return withCloudIn(e.path, subscriptionOf(id), fn)
}

// armTransport is the one policy.Transporter of ClientOptions: it dispatches
// a request to the fake server of its provider namespace, and plays the
// long-running cluster PUTs (clusterOperation).
type armTransport struct {
	endpoint                armEndpoint
	clusters, network, auth policy.Transporter

	mu sync.Mutex
	// ops are the cluster PUTs whose poller has not ended, by lower-case
	// cluster id.
	ops map[string]*clusterOperation
}

// armIDKey is the context key of the ARM id a request is about (its URL's
// path, without a poll's suffix), for the fake servers' handlers, which get
// the names in the path but not the subscription.
type armIDKey struct{}

// idFrom is the ARM id of the request whose context is ctx.
func idFrom(ctx context.Context) string {
	id, _ := ctx.Value(armIDKey{}).(string)
	return id
}

// Do answers req from the simulated cloud.
func (t *armTransport) Do(req *http.Request) (*http.Response, error) {
	id := "/" + strings.TrimLeft(strings.TrimSuffix(req.URL.Path, fakePollSuffix), "/")
	req = req.WithContext(context.WithValue(req.Context(), armIDKey{}, id))
	api, _ := req.Context().Value(runtime.CtxAPINameKey{}).(string)
	var resp *http.Response
	var err error
	switch ns := strings.ToLower(providerNamespace(req.URL.Path)); {
	case ns == "microsoft.containerservice" && api == clusterPutAPI && req.Method == http.MethodPut:
		return t.beginClusterPut(req, id)
	case ns == "microsoft.containerservice" && api == clusterPutAPI:
		return t.pollClusterPut(req, id)
	case ns == "microsoft.containerservice":
		resp, err = t.clusters.Do(req)
	case ns == "microsoft.network":
		resp, err = t.network.Do(req)
	case ns == "microsoft.authorization":
		resp, err = t.auth.Do(req)
	default:
		return errorResponse(req, &Error{Status: http.StatusNotImplemented, Code: "NotImplemented",
			Message: fmt.Sprintf("azuresim: %s %s is not simulated", req.Method, req.URL.Path)}, 0), nil
	}
	return answer(req, resp, err)
}

// providerNamespace is the namespace of the last provider in an ARM path
// (Microsoft.Authorization for a role assignment under a route table), or "".
func providerNamespace(path string) string {
	i := strings.LastIndex(strings.ToLower(path), "/providers/")
	if i < 0 {
		return ""
	}
	ns, _, _ := strings.Cut(path[i+len("/providers/"):], "/")
	return ns
}

// throttled is a 429 that says when to retry.
type throttled struct {
	refused    *Error
	retryAfter time.Duration
}

// Error is the 429's.
func (t *throttled) Error() string { return t.refused.Error() }

// Unwrap is the 429.
func (t *throttled) Unwrap() error { return t.refused }

// answer is the fake server's answer to req, with a refusal of the cloud's
// (an *Error the handlers set) made ARM's error response, which the fake
// servers cannot give a message.
func answer(req *http.Request, resp *http.Response, err error) (*http.Response, error) {
	var th *throttled
	if errors.As(err, &th) {
		return errorResponse(req, th.refused, th.retryAfter), nil
	}
	var refused *Error
	if errors.As(err, &refused) {
		return errorResponse(req, refused, 0), nil
	}
	return resp, err
}

// errorResponse is ARM's response to req for the refusal e: its status,
// x-ms-error-code and {"error": {"code", "message"}}; a 429 says when to
// retry (Retry-After-Ms, retryAfter or a millisecond, so that a client's
// retries take no time in tests).
func errorResponse(req *http.Request, e *Error, retryAfter time.Duration) *http.Response {
	body, _ := json.Marshal(map[string]any{"error": map[string]string{"code": e.Code, "message": e.Message}})
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	h.Set("x-ms-error-code", e.Code)
	if e.Status == http.StatusTooManyRequests {
		h.Set("Retry-After-Ms", strconv.FormatInt(max(retryAfter.Milliseconds(), 1), 10))
	}
	return &http.Response{
		Status: fmt.Sprintf("%d %s", e.Status, http.StatusText(e.Status)), StatusCode: e.Status,
		Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1, Header: h, Request: req,
		Body: io.NopCloser(bytes.NewReader(body)), ContentLength: int64(len(body)),
	}
}

// notFound is ARM's refusal of a GET or PUT of a resource of ARM type
// armType with id that does not exist.
func notFound(armType, id string) error {
	return refusal("ResourceNotFound", "The Resource '%s/%s' under resource group '%s' was not found.", armType, lastSegment(id), resourceGroupOf(id))
}

// resourceGroupOf is the resource group in an ARM id, or "".
func resourceGroupOf(id string) string {
	parsed, err := armid.Parse(id, "")
	if err != nil {
		return ""
	}
	return parsed.ResourceGroupName
}

// clusterOperation is one cluster PUT through the ARM endpoint, from its
// acceptance to its poller's terminal response: the fake server that
// answers it and its polls (one per PUT, as the fake servers track an
// operation by the cluster's path), and what the PUT fired.
type clusterOperation struct {
	id  string
	srv policy.Transporter
	// running is the cluster as the non-terminal responses return it.
	running []byte
	// failed is the error the operation ends with (a Fail fault).
	failed *Error
	// hang is set when a Hang fault fired: the polls wait for the client's
	// context to end, then the operation runs on for busyAfter.
	hang      bool
	busyAfter time.Duration
}

// beginClusterPut answers a cluster PUT: through a fake server of its own
// (clusterOperation), tracked until its poller ends.
func (t *armTransport) beginClusterPut(req *http.Request, id string) (*http.Response, error) {
	op := &clusterOperation{id: id}
	op.srv = csfake.NewManagedClustersServerTransport(&csfake.ManagedClustersServer{
		BeginCreateOrUpdate: func(_ context.Context, _, _ string, mc armcontainerservice.ManagedCluster, o *armcontainerservice.ManagedClustersClientBeginCreateOrUpdateOptions,
		) (azfake.PollerResponder[armcontainerservice.ManagedClustersClientCreateOrUpdateResponse], azfake.ErrorResponder) {
			return t.endpoint.putCluster(op, mc, o)
		},
	})
	resp, err := op.srv.Do(req)
	if err != nil {
		return answer(req, resp, err)
	}
	t.mu.Lock()
	t.ops[strings.ToLower(id)] = op
	t.mu.Unlock()
	return inProgress(resp, op), nil
}

// inProgress is resp, a non-terminal response of op, with the cluster as it
// is while op runs and a Retry-After-Ms of a millisecond, so that a client
// polls at once whatever its polling frequency.
func inProgress(resp *http.Response, op *clusterOperation) *http.Response {
	resp.Header.Set("Retry-After-Ms", "1")
	resp.Header.Set("Content-Type", "application/json")
	resp.Body = io.NopCloser(bytes.NewReader(op.running))
	resp.ContentLength = int64(len(op.running))
	return resp
}

// pollClusterPut answers a poll of the cluster PUT on id: the operation's
// next response; the terminal one ends the operation. A hung operation
// answers when the client's context ends (hangUp).
func (t *armTransport) pollClusterPut(req *http.Request, id string) (*http.Response, error) {
	t.mu.Lock()
	op := t.ops[strings.ToLower(id)]
	t.mu.Unlock()
	if op == nil {
		return errorResponse(req, &Error{Status: http.StatusNotFound, Code: "NotFound", Message: "azuresim: no operation runs on " + id}, 0), nil
	}
	if op.hang {
		return nil, t.hangUp(req.Context(), op)
	}
	resp, err := op.srv.Do(req)
	if err == nil && resp.Header.Get("Fake-Poller-Status") == "InProgress" {
		return inProgress(resp, op), nil
	}
	if endErr := t.end(op, 0); endErr != nil {
		return nil, endErr
	}
	if err != nil && op.failed != nil {
		return errorResponse(req, op.failed, 0), nil
	}
	return answer(req, resp, err)
}

// hangUp waits, for a hung operation's poll, until the client's context ends
// (or hangLimit passes), then lets the operation run on in Azure for its
// fault's Busy, as the provider's hang does.
func (t *armTransport) hangUp(ctx context.Context, op *clusterOperation) error {
	select {
	case <-ctx.Done():
	case <-time.After(hangLimit):
	}
	if err := t.end(op, op.busyAfter); err != nil {
		return err
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return fmt.Errorf("azuresim: the hung operation on %s was not canceled within %s", op.id, hangLimit)
}

// end stops tracking op and ends its AKS operation in the cloud after
// busyFor.
func (t *armTransport) end(op *clusterOperation, busyFor time.Duration) error {
	t.mu.Lock()
	if t.ops[strings.ToLower(op.id)] == op {
		delete(t.ops, strings.ToLower(op.id))
	}
	t.mu.Unlock()
	return t.endpoint.with(op.id, func(c *Cloud) error {
		c.markBusy(op.id, operationName(ManagedCluster, op.id, "Updating"), time.Now().Add(busyFor))
		return nil
	})
}

// putCluster answers the PUT of a cluster with ARM body mc and options o,
// for op.
func (e armEndpoint) putCluster(op *clusterOperation, mc armcontainerservice.ManagedCluster, o *armcontainerservice.ManagedClustersClientBeginCreateOrUpdateOptions,
) (resp azfake.PollerResponder[armcontainerservice.ManagedClustersClientCreateOrUpdateResponse], errResp azfake.ErrorResponder) {
	var final armcontainerservice.ManagedCluster
	err := e.with(op.id, func(c *Cloud) error {
		var err error
		final, err = c.armUpdateCluster(op, mc, o)
		return err
	})
	if err != nil {
		errResp.SetError(err)
		return resp, errResp
	}
	resp.AddNonTerminalResponse(http.StatusCreated, nil)
	for i := 1; i < armPolls; i++ {
		resp.AddNonTerminalResponse(http.StatusOK, nil)
	}
	if op.failed != nil {
		resp.SetTerminalError(op.failed.Status, op.failed.Code)
	} else {
		resp.SetTerminalResponse(http.StatusOK, armcontainerservice.ManagedClustersClientCreateOrUpdateResponse{ManagedCluster: final}, nil)
	}
	return resp, errResp
}

// armUpdateCluster carries out the PUT of op's cluster with ARM body mc and
// options o, as AKS does: a throttle armed for an update of the cluster
// answers first; the preconditions hold (checkPreconditions); the other
// faults fire; the body, in input shape (clusterInputs), goes through Put
// as the provider's Update does, every check included, logged as
// ARMCaller's. The cluster stays the resource of whoever made it. Then the
// cluster is busy Updating until the operation ends (armOperation at the
// longest); a Fail leaves it Failed, its new inputs kept (faults.md §1.1:
// the PUT was accepted and the resource holds what it asked for; a PUT
// again reconciles it); a Hang keeps it busy until its poll is canceled.
// It returns the cluster as the terminal response returns it.
func (c *Cloud) armUpdateCluster(op *clusterOperation, mc armcontainerservice.ManagedCluster, o *armcontainerservice.ManagedClustersClientBeginCreateOrUpdateOptions,
) (armcontainerservice.ManagedCluster, error) {
	existing := c.Get(op.id)
	if existing == nil || existing.Type != ManagedCluster {
		return armcontainerservice.ManagedCluster{}, &Error{Status: http.StatusNotImplemented, Code: "NotImplemented",
			Message: "azuresim: creating a managed cluster through the ARM endpoint is not simulated: " + op.id + " does not exist"}
	}
	if err := c.armThrottle("update", ManagedCluster, existing.ID); err != nil {
		return armcontainerservice.ManagedCluster{}, err
	}
	if err := checkPreconditions(c.clusterETag(existing), o); err != nil {
		return armcontainerservice.ManagedCluster{}, err
	}
	fired, err := c.fire("update", ManagedCluster, existing.ID)
	if err != nil {
		return armcontainerservice.ManagedCluster{}, err
	}
	in, err := c.clusterInputs(existing, mc)
	if err != nil {
		return armcontainerservice.ManagedCluster{}, err
	}
	r, err := c.Put(ManagedCluster, ARMCaller, in, false)
	if err != nil {
		return armcontainerservice.ManagedCluster{}, err
	}
	r.URN, r.By = existing.URN, existing.By
	until := time.Now().Add(armOperation)
	switch fired.Kind {
	case Fail, FailUnread:
		r.State, op.failed = "Failed", fired.err()
	case Hang:
		op.hang, op.busyAfter, until = true, fired.Busy, time.Now().Add(hangLimit)
	}
	c.markBusy(r.ID, operationName(ManagedCluster, r.ID, "Updating"), until)
	running, err := c.armCluster(r, "Updating")
	if err != nil {
		return armcontainerservice.ManagedCluster{}, err
	}
	if op.running, err = json.Marshal(running); err != nil {
		return armcontainerservice.ManagedCluster{}, err
	}
	return c.armCluster(r, "Succeeded")
}

// armThrottle answers a request that a Throttle fault armed for op on the
// resource of type typ with id matches, while it has 429s left: its 429,
// with its RetryAfter. The client's own retry policy then retries, as the
// real SDK's does. Other faults are fire's.
func (c *Cloud) armThrottle(op, typ, id string) error {
	f := c.fault(op, typ, id)
	if f == nil || f.Kind != Throttle || f.Fired >= max(f.Times, 1) {
		return nil
	}
	f.Fired++
	return &throttled{refused: f.err(), retryAfter: f.RetryAfter}
}

// checkPreconditions refuses a PUT whose If-Match names another eTag than
// the resource's (or whose If-None-Match names its eTag, or *), as ARM
// does: 412 PreconditionFailed. "*" matches any existing resource; eTags
// compare with or without their quotes.
func checkPreconditions(etag string, o *armcontainerservice.ManagedClustersClientBeginCreateOrUpdateOptions) error {
	if o == nil {
		return nil
	}
	if m := o.IfMatch; m != nil && *m != "*" && strings.Trim(*m, `"`) != strings.Trim(etag, `"`) {
		return &Error{Status: http.StatusPreconditionFailed, Code: "PreconditionFailed",
			Message: fmt.Sprintf("The specified If-Match header %s does not match the current eTag %s of the resource.", *m, etag)}
	}
	if n := o.IfNoneMatch; n != nil && (*n == "*" || strings.Trim(*n, `"`) == strings.Trim(etag, `"`)) {
		return &Error{Status: http.StatusPreconditionFailed, Code: "PreconditionFailed",
			Message: fmt.Sprintf("The specified If-None-Match header %s matches the resource, whose eTag is %s.", *n, etag)}
	}
	return nil
}
