package azuresim

import (
	"fmt"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

// Principal types of the directory, as role assignments name them.
const (
	User             = "User"
	Group            = "Group"
	ServicePrincipal = "ServicePrincipal"
)

// Principal is one user, group or service principal of the Entra ID tenant.
type Principal struct {
	// Type is User, Group or ServicePrincipal.
	Type string `json:"type"`
	// DisplayName is the name it was created with.
	DisplayName string `json:"displayName"`
}

// CreatePrincipal adds a principal of type typ (User, Group or
// ServicePrincipal) named displayName to the directory, as an Entra ID
// administrator would, and returns its object id: the same for the same type
// and name on every run, so that creating it again changes nothing.
func (c *Cloud) CreatePrincipal(typ, displayName string) (string, error) {
	switch typ {
	case User, Group, ServicePrincipal:
	default:
		return "", fmt.Errorf("azuresim: principal type %q: want %s, %s or %s", typ, User, Group, ServicePrincipal)
	}
	id := stableUUID("entra-"+typ, displayName)
	if c.Directory == nil {
		c.Directory = map[string]Principal{}
	}
	c.Directory[id] = Principal{Type: typ, DisplayName: displayName}
	return id, nil
}

// principalType returns the type of the principal with object id, compared
// without case: a directory entry's, or ServicePrincipal for a managed
// identity's principal. ok is false when the tenant has no such principal.
func (c *Cloud) principalType(id string) (typ string, ok bool) {
	if p, ok := c.Directory[strings.ToLower(id)]; ok {
		return p.Type, true
	}
	if c.identityByPrincipal(id) != nil {
		return ServicePrincipal, true
	}
	return "", false
}

// checkPrincipal makes ARM's checks of a role assignment's principal: it
// exists in the tenant (PrincipalNotFound), and a principalType, when given,
// is its type (UnmatchedPrincipalType; the messages are ARM's, its typo included,
// without the final full stop).
func (c *Cloud) checkPrincipal(in resource.PropertyMap) error {
	id := str(in, "principalId")
	typ, ok := c.principalType(id)
	if uami := c.identityByPrincipal(id); uami != nil && str(in, "principalType") == "" && recent(uami.Created, c.Delays.PrincipalReplication) {
		// A new identity's principal is not yet replicated to where ARM
		// looks it up; with principalType ARM does not look (faults.md §4.2).
		ok = false
	}
	if !ok {
		return refusal("PrincipalNotFound", "Principal %s does not exist in the directory %s. Check that you have the correct principal ID. "+
			"If you are creating this principal and then immediately assigning a role, this error might be related to a replication delay. "+
			"In this case, set the role assignment principalType property to a value, such as ServicePrincipal, User, or Group", id, TenantID)
	}
	if want := str(in, "principalType"); want != "" && want != typ {
		return refusal("UnmatchedPrincipalType", "The PrincipalId '%s' has type '%s' , which is different from specified PrinciaplType '%s'", id, typ, want)
	}
	return nil
}
