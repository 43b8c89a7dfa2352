package armid

import (
	"errors"
	"fmt"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/arm"
)

// Parse parses an Azure Resource Manager id with the Azure SDK for Go's
// parser (arm.ParseResourceID): its subscription, resource group, type,
// name and parent. With armType set ("Microsoft.Network/virtualNetworks"),
// an id of another type is an error too; ARM compares types without regard
// to case, and so does Parse. Every id the program reads from config or
// state is parsed here.
func Parse(id, armType string) (*arm.ResourceID, error) {
	parsed, err := arm.ParseResourceID(id)
	if err == nil && strings.Contains(id, "//") {
		// The SDK's parser skips empty segments; ARM has none.
		err = errors.New("an empty segment")
	}
	if err != nil {
		return nil, fmt.Errorf("%q is not an Azure resource id: %w", id, err)
	}
	if armType != "" && !strings.EqualFold(parsed.ResourceType.String(), armType) {
		return nil, fmt.Errorf("%q is the id of a %s, not of a %s", id, parsed.ResourceType, armType)
	}
	return parsed, nil
}
