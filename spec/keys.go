package spec

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
)

// The config keys the program reads: every key of a stack's config, declared
// here once. Object keys hold JSON, as the Pulumi engine passes structured
// stack config to a program; the paths inside them are the Path constants of
// paths.go, generated from the json tags of the types they decode into.
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
	// KeyReadLastDeployment is set false by deploy.yml's plan and up jobs.
	KeyReadLastDeployment = Project + ":readLastDeployment"
	// KeyAdopt is set by the state doctor (cmd/doctor) for one run only.
	KeyAdopt    = Project + ":adopt"
	KeyFirewall = Project + ":firewall"
	KeyHub      = Project + ":hub"
	KeyNetwork  = Project + ":network"
	KeyCluster  = Project + ":cluster"
	KeyPools    = Project + ":pools"
)

// projectKeys are the keys of the project's namespace, each with the Go type
// Load decodes its value into: the walk of Paths starts here.
var projectKeys = []struct {
	key   string
	value reflect.Type
}{
	{KeyResourceGroup, reflect.TypeFor[ResourceGroup]()},
	{KeyResourceGroupName, reflect.TypeFor[string]()},
	{KeyTags, reflect.TypeFor[map[string]string]()},
	{KeySSHPublicKey, reflect.TypeFor[string]()},
	{KeyProtect, reflect.TypeFor[bool]()},
	{KeyExportKubeconfig, reflect.TypeFor[bool]()},
	{KeyReadLastDeployment, reflect.TypeFor[bool]()},
	{KeyAdopt, reflect.TypeFor[map[string]string]()},
	{KeyFirewall, reflect.TypeFor[Firewall]()},
	{KeyHub, reflect.TypeFor[Hub]()},
	{KeyNetwork, reflect.TypeFor[Network]()},
	{KeyCluster, reflect.TypeFor[Cluster]()},
	{KeyPools, reflect.TypeFor[[]Pool]()},
}

// KnownKeys returns the keys in the project's namespace that the program
// reads, sorted: a key of the namespace that is not one of them is a
// misspelling or a leftover, and UnknownKeys refuses it. Keys of other
// namespaces (azure-native:location, pulumi:tags) are not the program's to
// refuse.
func KnownKeys() []string {
	keys := make([]string, len(projectKeys))
	for i, k := range projectKeys {
		keys[i] = k.key
	}
	return slices.Sorted(slices.Values(keys))
}

// PathOf returns the path of a key of the project's namespace, as findings
// name it: the key without the namespace ("network" for
// aks-kubenet:network).
func PathOf(key string) string { return strings.TrimPrefix(key, Project+":") }

// ConfigPath is one path of the project's config: a top-level key of its
// namespace or a key inside one's object, down to the values.
type ConfigPath struct {
	// Path is the path as findings name it, "network.routes[].name": a list
	// of objects' entries are written [], which At fills in.
	Path string
	// Name is the Go name of its constant: a top-level key's in keys.go,
	// KeyNetwork; any other's in paths.go, Path, then the Go names of the
	// fields on the way, PathNetworkRoutesName.
	Name string
}

// Paths returns every path of the project's config, in the order of
// projectKeys and of the fields of each type: each top-level key, and,
// inside an object, each field with a json tag, recursively into nested
// objects and into the entries of lists of objects. A map, a list of
// scalars and a scalar end a path.
func Paths() []ConfigPath {
	var out []ConfigPath
	var walk, walkFields func(path, name string, t reflect.Type)
	walk = func(path, name string, t reflect.Type) {
		out = append(out, ConfigPath{Path: path, Name: name})
		walkFields(path, name, t)
	}
	walkFields = func(path, name string, t reflect.Type) {
		for t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		if t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Struct {
			path, t = path+"[]", t.Elem()
		}
		if t.Kind() != reflect.Struct {
			return
		}
		for i := range t.NumField() {
			f := t.Field(i)
			if tag, _, _ := strings.Cut(f.Tag.Get("json"), ","); tag != "" && tag != "-" {
				walk(path+"."+tag, name+f.Name, f.Type)
			}
		}
	}
	for _, k := range projectKeys {
		path := PathOf(k.key)
		title := strings.ToUpper(path[:1]) + path[1:]
		out = append(out, ConfigPath{Path: path, Name: "Key" + title})
		walkFields(path, "Path"+title, k.value)
	}
	return out
}

// At returns path with the indexes of its list entries filled in, in order:
// At(PathPoolsVMSize, 1) is "pools[1].vmSize".
func At(path string, index ...int) string {
	for _, i := range index {
		path = strings.Replace(path, "[]", fmt.Sprintf("[%d]", i), 1)
	}
	return path
}

// Index returns the path of entry i of the list at path:
// Index(PathClusterZones, 1) is "cluster.zones[1]".
func Index(path string, i int) string { return fmt.Sprintf("%s[%d]", path, i) }

// Leaf returns the last key of path: "vmSize" for pools[].vmSize.
func Leaf(path string) string { return path[strings.LastIndex(path, ".")+1:] }
