package spec

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math"
	"os"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/aks-kubenet/aks-kubenet/armid"
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
// Each problem's text starts with the key it is about and ": " ("cluster.nodeCount:
// want a whole number, got \"three\""), in package rules' key form without the
// project's namespace ("tags", "network.routes[0].name"). Load returns the
// Stack it decoded even when it reports problems: every key that decoded, with
// Defaults applied, and every key that did not left unset, so that the rules
// can still check the rest.
//
// A Source cannot list its keys, so Load cannot see a top-level key it does
// not know ("aks-kubenet:firewal"): UnknownKeys refuses those, given all the
// stack's keys.
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
		errs = append(errs, fmt.Errorf("%s: set %s or %s, not both (%s is the older spelling of %s)",
			PathOf(KeyResourceGroupName), KeyResourceGroup, KeyResourceGroupName, PathOf(KeyResourceGroupName), PathResourceGroupName))
	case hasLegacy:
		s.ResourceGroup.Name = legacy
	case hasGroup:
		errs = append(errs, decodeObject(PathOf(KeyResourceGroup), []byte(group), &s.ResourceGroup)...)
	}
	s.ResourceGroupKey = Project + ":" + PathResourceGroupName
	if hasLegacy && !hasGroup {
		s.ResourceGroupKey = KeyResourceGroupName
	}
	s.Protect, s.ReadLastDeployment = true, true
	for _, flag := range []struct {
		key string
		dst *bool
	}{
		{KeyProtect, &s.Protect},
		{KeyExportKubeconfig, &s.ExportKubeconfig},
		{KeyReadLastDeployment, &s.ReadLastDeployment},
	} {
		if v, ok := get(flag.key); ok {
			b, err := strconv.ParseBool(strings.TrimSpace(v))
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: want true or false, got %s", PathOf(flag.key), compact([]byte(v))))
				continue
			}
			*flag.dst = b
		}
	}
	if v, ok := get(KeyAdopt); ok {
		s.Adopt, errs = decodeAdopt(stackName, v, errs)
	}
	if v, ok := get(KeyTags); ok {
		if err := json.Unmarshal([]byte(v), &s.Tags); err != nil {
			s.Tags = nil
			errs = append(errs, fmt.Errorf("%s: want a map of string keys to string values, got %s", PathOf(KeyTags), v))
		}
	}
	_, s.HasSSHPublicKey = get(KeySSHPublicKey)
	if v, ok := get(KeyFirewall); ok {
		s.Firewall = &Firewall{}
		errs = append(errs, decodeObject(PathOf(KeyFirewall), []byte(v), s.Firewall)...)
	}
	if v, ok := get(KeyHub); ok {
		s.Hub = &Hub{}
		errs = append(errs, decodeObject(PathOf(KeyHub), []byte(v), s.Hub)...)
	}
	if v, ok := get(KeyPools); ok {
		s.Pools, errs = decodePools([]byte(v), errs)
	}
	for _, obj := range []struct {
		key string
		dst any
	}{{KeyNetwork, &s.Network}, {KeyCluster, &s.Cluster}} {
		v, ok := get(obj.key)
		if !ok {
			errs = append(errs, fmt.Errorf("%s: missing: set the %s object in the stack config (see docs/config.md)", PathOf(obj.key), obj.key))
			continue
		}
		errs = append(errs, decodeObject(PathOf(obj.key), []byte(v), obj.dst)...)
	}
	return Defaults(s), errors.Join(errs...)
}

// decodeAdopt decodes aks-kubenet:adopt, a map of the URNs of stack
// stackName's resources to the Azure ids to adopt them from, appending what
// is wrong to errs.
func decodeAdopt(stackName, raw string, errs []error) (map[string]string, []error) {
	var adopt map[string]string
	if err := json.Unmarshal([]byte(raw), &adopt); err != nil {
		return nil, append(errs, fmt.Errorf("%s: want a map of resource URNs to Azure resource ids, got %s", PathOf(KeyAdopt), compact([]byte(raw))))
	}
	prefix := "urn:pulumi:" + stackName + "::" + Project + "::"
	for _, urn := range slices.Sorted(maps.Keys(adopt)) {
		if !strings.HasPrefix(urn, prefix) {
			errs = append(errs, fmt.Errorf("%s: %q is not the URN of a resource of stack %s (want %s...)", PathOf(KeyAdopt), urn, stackName, prefix))
		}
		if id := adopt[urn]; !isResourceID(id) {
			errs = append(errs, fmt.Errorf("%s: %q: %q is not an Azure resource id (want /subscriptions/...)", PathOf(KeyAdopt), urn, id))
		}
	}
	return adopt, errs
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
	names := slices.Sorted(maps.Keys(known))
	for _, name := range slices.Sorted(maps.Keys(fields)) {
		key := path + "." + name
		i, ok := known[name]
		if !ok {
			errs = append(errs, fmt.Errorf("%s: unknown key%s", key, suggestion(name, names, "")))
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
				errs = append(errs, decodeObject(Index(key, j), item, list.Index(j).Addr().Interface())...)
			}
			field.Set(list)
			continue
		}
		if field.Kind() == reflect.Pointer && field.Type().Elem().Kind() == reflect.Struct {
			// A nested object: decoded key by key too, so that an unknown or
			// mistyped key inside it is reported by its full path.
			if string(value) == "null" {
				continue
			}
			obj := reflect.New(field.Type().Elem())
			errs = append(errs, decodeObject(key, value, obj.Interface())...)
			field.Set(obj)
			continue
		}
		if n, ok := wholeNumber(value); ok && field.Type() == reflect.TypeFor[*int]() {
			field.Set(reflect.ValueOf(&n))
			continue
		}
		if err := json.Unmarshal(value, field.Addr().Interface()); err != nil {
			// encoding/json may have filled in part of the value (a *int
			// pointing at 0 for "three"): leave the key unset instead.
			field.SetZero()
			errs = append(errs, fmt.Errorf("%s: want %s, got %s", key, describeType(field.Type()), plainNumber(value)))
		}
	}
	return errs
}

// suggestion returns the hint of an unknown key name: the known key nearest
// to it, " (did you mean vnetCidr?)", or else the list of the known keys,
// " (known keys: a, b, c)". known must be sorted; prefix goes before each
// known key shown ("aks-kubenet:" for the top-level keys).
func suggestion(name string, known []string, prefix string) string {
	if k, ok := Nearest(name, known); ok {
		return fmt.Sprintf(" (did you mean %s%s?)", prefix, k)
	}
	shown := make([]string, len(known))
	for i, k := range known {
		shown[i] = prefix + k
	}
	return " (known keys: " + strings.Join(shown, ", ") + ")"
}

// Nearest returns the word of known that name probably means, and false when
// there is none: the only word that name begins, ignoring case ("nextHopIP"
// for nextHopIpAddress, not the nearer nextHopType), or else the word nearest
// to name by case-insensitive edit distance (Levenshtein) when it is near
// enough to be a misspelling, at most max(2, len(name)/3) edits away. Of words
// equally near it returns the first in known. Load uses it for config keys,
// package rules for other names, such as service tags.
func Nearest(name string, known []string) (string, bool) {
	lower := strings.ToLower(name)
	var begun []string
	for _, k := range known {
		if strings.HasPrefix(strings.ToLower(k), lower) {
			begun = append(begun, k)
		}
	}
	if len(begun) == 1 {
		return begun[0], true
	}
	limit := max(2, utf8.RuneCountInString(name)/3)
	best, bestDist := "", limit+1
	for _, k := range known {
		if d := editDistance(lower, strings.ToLower(k)); d < bestDist {
			best, bestDist = k, d
		}
	}
	return best, best != ""
}

// editDistance is the Levenshtein distance between a and b, in runes: the
// fewest insertions, deletions and substitutions that turn a into b.
func editDistance(a, b string) int {
	x, y := []rune(a), []rune(b)
	prev, cur := make([]int, len(y)+1), make([]int, len(y)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := range x {
		cur[0] = i + 1
		for j := range y {
			cost := 1
			if x[i] == y[j] {
				cost = 0
			}
			cur[j+1] = min(prev[j+1]+1, cur[j]+1, prev[j]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(y)]
}

// UnknownKeys returns one error for each key of keys, all of a stack's config
// keys ("aks-kubenet:network", "azure-native:location"), that is in the
// project's namespace and not one of KnownKeys, in key order, each with the
// known key it probably meant:
//
//	aks-kubenet:firewal: unknown key (did you mean aks-kubenet:firewall?)
//
// Values are never shown: an unknown key may hold a secret.
func UnknownKeys(keys []string) []error {
	known := KnownKeys()
	names := make([]string, len(known))
	for i, k := range known {
		names[i] = PathOf(k)
	}
	var errs []error
	for _, key := range slices.Compact(slices.Sorted(slices.Values(keys))) {
		name, ours := strings.CutPrefix(key, Project+":")
		if !ours || slices.Contains(names, name) {
			continue
		}
		errs = append(errs, fmt.Errorf("%s: unknown key%s", key, suggestion(name, names, Project+":")))
	}
	return errs
}

// EnvConfig is the environment variable in which the Pulumi CLI hands a
// program its whole config, as a JSON object of full keys to values.
const EnvConfig = "PULUMI_CONFIG"

// ProgramConfigKeys returns the keys of every config value the Pulumi CLI
// passed the program in EnvConfig, sorted; nil when EnvConfig is not set or
// does not parse (an inline Automation API program, or a test harness), and
// the program then knows only the keys it asks for.
func ProgramConfigKeys() []string {
	keys, _ := ConfigKeys(os.Getenv(EnvConfig))
	return keys
}

// ConfigKeys returns the keys of raw, the JSON object of EnvConfig, sorted,
// and whether raw is such an object.
func ConfigKeys(raw string) ([]string, bool) {
	var config map[string]json.RawMessage
	if strings.TrimSpace(raw) == "" || json.Unmarshal([]byte(raw), &config) != nil || config == nil {
		return nil, false
	}
	return slices.Sorted(maps.Keys(config)), true
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

// wholeNumber returns the JSON number raw as an int when it is a whole number
// in int's range written in float form, "1e+06" or "3.0": the Pulumi CLI
// hands a YAML integer inside an object over in such a form.
func wholeNumber(raw []byte) (int, bool) {
	text := strings.TrimSpace(string(raw))
	if !strings.ContainsAny(text, ".eE") {
		return 0, false
	}
	f, err := strconv.ParseFloat(text, 64)
	if err != nil || f != math.Trunc(f) || f < math.MinInt32 || f > math.MaxInt32 {
		return 0, false
	}
	return int(f), true
}

// plainNumber returns raw for a message: a JSON number in decimal form
// ("1.5e+06" as 1500000, "1e-07" as 0.0000001), anything else as compact
// gives it.
func plainNumber(raw []byte) string {
	text := strings.TrimSpace(string(raw))
	if f, err := strconv.ParseFloat(text, 64); err == nil && strings.ContainsAny(text, "eE") {
		return strconv.FormatFloat(f, 'f', -1, 64)
	}
	return compact(raw)
}

// compact returns raw JSON on one line, short enough for an error message.
func compact(raw []byte) string {
	s := strings.Join(strings.Fields(string(raw)), " ")
	if len(s) > 80 {
		s = s[:77] + "..."
	}
	return s
}

// decodePools decodes aks-kubenet:pools, a list of pool objects, each key by
// key (decodeObject), and appends its problems to errs.
func decodePools(raw []byte, errs []error) ([]Pool, []error) {
	var items []json.RawMessage
	if err := json.Unmarshal(raw, &items); err != nil {
		return nil, append(errs, fmt.Errorf("%s: want a list of pool objects, got %s", PathOf(KeyPools), compact(raw)))
	}
	pools := make([]Pool, len(items))
	for i, item := range items {
		errs = append(errs, decodeObject(Index(PathOf(KeyPools), i), item, &pools[i])...)
	}
	return pools, errs
}

// isResourceID reports whether id is an Azure resource id in a subscription.
func isResourceID(id string) bool {
	parsed, err := armid.Parse(id, "")
	return err == nil && parsed.SubscriptionID != ""
}
