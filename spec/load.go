package spec

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strconv"
	"strings"
)

// Config keys the program reads. Object keys hold JSON, as the Pulumi engine
// passes structured stack config to a program.
const (
	KeyLocation       = "azure-native:location"
	KeySubscriptionID = "azure-native:subscriptionId"
	KeyResourceGroup  = Project + ":resourceGroup"
	// KeyResourceGroupName is the older spelling of resourceGroup.name; it
	// still works, for a group the program creates.
	KeyResourceGroupName = Project + ":resourceGroupName"
	KeyTags              = Project + ":tags"
	KeySSHPublicKey      = Project + ":sshPublicKey"
	KeyProtect           = Project + ":protect"
	KeyExportKubeconfig  = Project + ":exportKubeconfig"
	KeyFirewall          = Project + ":firewall"
	KeyHub               = Project + ":hub"
	KeyNetwork           = Project + ":network"
	KeyCluster           = Project + ":cluster"
)

// Source returns the raw value of a config key ("aks-kubenet:network") and
// whether the key is set.
type Source func(key string) (value string, ok bool)

// Load reads the stack's configuration from get and applies Defaults. It
// reports every structural problem at once, joined into one error, each naming
// the key and the value: a missing required key, an object that is not an
// object, a key the program does not know (with the one it probably meant), and
// a value of the wrong type. Rules on the values themselves are package rules'.
//
// Secrets are never read into the result: for aks-kubenet:sshPublicKey Load only
// records whether it is set.
func Load(stackName string, get Source) (Stack, error) {
	s := Stack{Name: stackName}
	var errs []error
	if v, ok := get(KeyLocation); ok {
		s.Location = strings.TrimSpace(v)
	}
	if v, ok := get(KeySubscriptionID); ok {
		s.Subscription = strings.TrimSpace(v)
	}
	legacy, hasLegacy := get(KeyResourceGroupName)
	group, hasGroup := get(KeyResourceGroup)
	switch {
	case hasLegacy && hasGroup:
		errs = append(errs, fmt.Errorf("resourceGroupName: set %s or %s, not both (resourceGroupName is the older spelling of resourceGroup.name)", KeyResourceGroup, KeyResourceGroupName))
	case hasLegacy:
		s.ResourceGroup.Name = legacy
	case hasGroup:
		errs = append(errs, decodeObject("resourceGroup", []byte(group), &s.ResourceGroup)...)
	}
	s.ResourceGroupKey = KeyResourceGroup + ".name"
	if hasLegacy && !hasGroup {
		s.ResourceGroupKey = KeyResourceGroupName
	}
	s.Protect = true
	for _, flag := range []struct {
		key, name string
		dst       *bool
	}{{KeyProtect, "protect", &s.Protect}, {KeyExportKubeconfig, "exportKubeconfig", &s.ExportKubeconfig}} {
		if v, ok := get(flag.key); ok {
			b, err := strconv.ParseBool(strings.TrimSpace(v))
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: want true or false, got %s", flag.name, compact([]byte(v))))
				continue
			}
			*flag.dst = b
		}
	}
	if v, ok := get(KeyTags); ok {
		if err := json.Unmarshal([]byte(v), &s.Tags); err != nil {
			errs = append(errs, fmt.Errorf("tags: want a map of string keys to string values, got %s", v))
		}
	}
	_, s.HasSSHPublicKey = get(KeySSHPublicKey)
	if v, ok := get(KeyFirewall); ok {
		s.Firewall = &Firewall{}
		errs = append(errs, decodeObject("firewall", []byte(v), s.Firewall)...)
	}
	if v, ok := get(KeyHub); ok {
		s.Hub = &Hub{}
		errs = append(errs, decodeObject("hub", []byte(v), s.Hub)...)
	}
	for _, obj := range []struct {
		key, name string
		dst       any
	}{{KeyNetwork, "network", &s.Network}, {KeyCluster, "cluster", &s.Cluster}} {
		v, ok := get(obj.key)
		if !ok {
			errs = append(errs, fmt.Errorf("%s: missing: set the %s object in the stack config (see the README's config reference)", obj.name, obj.key))
			continue
		}
		errs = append(errs, decodeObject(obj.name, []byte(v), obj.dst)...)
	}
	return Defaults(s), errors.Join(errs...)
}

// decodeObject decodes the JSON object raw into the struct dst field by field,
// so that every unknown key and every mistyped value is reported, not only the
// first. path is the config path of raw ("network", "network.routes[0]").
func decodeObject(path string, raw []byte, dst any) []error {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(raw, &fields); err != nil || fields == nil {
		return []error{fmt.Errorf("%s: want an object of keys, got %s", path, compact(raw))}
	}
	v := reflect.ValueOf(dst).Elem()
	known := map[string]int{}
	for i := range v.NumField() {
		if tag, _, _ := strings.Cut(v.Type().Field(i).Tag.Get("json"), ","); tag != "" {
			known[tag] = i
		}
	}
	var errs []error
	for _, name := range slices.Sorted(maps.Keys(fields)) {
		key := path + "." + name
		i, ok := known[name]
		if !ok {
			errs = append(errs, fmt.Errorf("%s: unknown key%s", key, suggestion(name, known)))
			continue
		}
		field, value := v.Field(i), fields[name]
		if field.Kind() == reflect.Slice && field.Type().Elem().Kind() == reflect.Struct {
			var items []json.RawMessage
			if err := json.Unmarshal(value, &items); err != nil {
				errs = append(errs, fmt.Errorf("%s: want a list of objects, got %s", key, compact(value)))
				continue
			}
			list := reflect.MakeSlice(field.Type(), len(items), len(items))
			for j, item := range items {
				errs = append(errs, decodeObject(fmt.Sprintf("%s[%d]", key, j), item, list.Index(j).Addr().Interface())...)
			}
			field.Set(list)
			continue
		}
		if err := json.Unmarshal(value, field.Addr().Interface()); err != nil {
			errs = append(errs, fmt.Errorf("%s: want %s, got %s", key, describeType(field.Type()), compact(value)))
		}
	}
	return errs
}

// suggestion names the known key that differs from name only in case, or lists
// the known keys.
func suggestion(name string, known map[string]int) string {
	keys := slices.Sorted(maps.Keys(known))
	for _, k := range keys {
		if strings.EqualFold(k, name) {
			return fmt.Sprintf(" (did you mean %s?)", k)
		}
	}
	return " (known keys: " + strings.Join(keys, ", ") + ")"
}

func describeType(t reflect.Type) string {
	switch {
	case t == reflect.TypeFor[Surge]():
		return `a node count or a percentage such as "33%"`
	case t == reflect.TypeFor[StringList]():
		return `a list of strings or numbers, such as [1, 2, 3]`
	case t.Kind() == reflect.Bool, t.Kind() == reflect.Pointer && t.Elem().Kind() == reflect.Bool:
		return "true or false"
	case t.Kind() == reflect.Pointer && t.Elem().Kind() == reflect.Int:
		return "a whole number"
	case t.Kind() == reflect.Slice:
		return "a list of strings"
	default:
		return `a string (quote values such as "1.31")`
	}
}

// compact returns raw JSON on one line, short enough for an error message.
func compact(raw []byte) string {
	s := strings.Join(strings.Fields(string(raw)), " ")
	if len(s) > 80 {
		s = s[:77] + "..."
	}
	return s
}
