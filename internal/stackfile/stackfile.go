// Package stackfile reads a project's Pulumi.yaml and Pulumi.<stack>.yaml the way
// the Pulumi CLI hands them to a program: every config value as a string, objects
// and lists as JSON, project config defaults filled in. The offline plan and the
// program-level tests use it to run the real program on a committed stack file
// without the Pulumi CLI.
package stackfile

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

// Config is the configuration of one stack as a program receives it.
type Config struct {
	// Stack is the stack name; File the stack file it was read from.
	Stack, File string
	// Values maps full keys ("aks-kubenet:network") to their values: strings as
	// they are, anything else as JSON.
	Values map[string]string
	// Secure lists the config paths of encrypted (secure:) values in the
	// project's namespace, such as "aks-kubenet:sshPublicKey" or
	// "aks-kubenet:cluster.token": values the program reads. The key that holds
	// one is left out of Values: only the Pulumi CLI with the stack's secrets
	// provider can decrypt it.
	Secure []string
	// ProviderSecrets lists the config paths of encrypted values outside the
	// project's namespace: provider config such as "azure-native:clientSecret"
	// or "azure-native:clientCertificatePassword", which the Pulumi CLI hands
	// to the provider and the program never reads. The key that holds one is
	// left out of Values and it is not in Secure, so that a stack keeping its
	// provider credentials as secrets can be planned offline; its value (the
	// ciphertext) is kept nowhere.
	ProviderSecrets []string
	// Keys lists every key of the stack's config, sorted, as the Pulumi CLI
	// passes them to the program (in PULUMI_CONFIG): the keys of Values and
	// the keys that hold the encrypted values of Secure and ProviderSecrets,
	// such as "aks-kubenet:network" and "azure-native:clientSecret".
	Keys []string
}

// Get returns the value of key and whether the stack sets it: the
// spec.Source of the stack's config.
func (c Config) Get(key string) (string, bool) {
	v, ok := c.Values[key]
	return v, ok
}

// Read returns the configuration of stack from the project in dir: the stack's
// own values over the defaults declared in Pulumi.yaml. It returns an error
// naming the file for a missing or unparsable file, and the file and key for a
// value it cannot turn into config. Encrypted values are never decrypted nor
// kept: their paths go to Secure (the project's keys) or ProviderSecrets (any
// other namespace's).
func Read(dir, stack string) (Config, error) {
	project, err := readYAML(filepath.Join(dir, "Pulumi.yaml"))
	if err != nil {
		return Config{}, err
	}
	name, _ := project["name"].(string)
	if name == "" {
		return Config{}, fmt.Errorf("%s: no project name", filepath.Join(dir, "Pulumi.yaml"))
	}
	file := filepath.Join(dir, "Pulumi."+stack+".yaml")
	doc, err := readYAML(file)
	if err != nil {
		return Config{}, err
	}
	cfg := Config{Stack: stack, File: file, Values: map[string]string{}}

	declared, _ := project["config"].(map[string]any)
	for key, decl := range declared {
		d, ok := decl.(map[string]any)
		if !ok {
			continue
		}
		def, has := d["default"]
		if !has {
			def, has = d["value"]
		}
		if !has {
			continue
		}
		if !strings.Contains(key, ":") {
			key = name + ":" + key
		}
		v, err := configString(def)
		if err != nil {
			return Config{}, fmt.Errorf("%s: config %s default: %w", filepath.Join(dir, "Pulumi.yaml"), key, err)
		}
		cfg.Values[key] = v
	}

	values, ok := doc["config"].(map[string]any)
	if !ok && doc["config"] != nil {
		return Config{}, fmt.Errorf("%s: config: want a map of keys to values", file)
	}
	var encrypted []string
	for key, value := range values {
		if !strings.Contains(key, ":") {
			key = name + ":" + key
		}
		if path := securePath(key, value); path != "" {
			encrypted = append(encrypted, key)
			if strings.HasPrefix(key, name+":") {
				cfg.Secure = append(cfg.Secure, path)
			} else {
				cfg.ProviderSecrets = append(cfg.ProviderSecrets, path)
			}
			delete(cfg.Values, key)
			continue
		}
		v, err := configString(value)
		if err != nil {
			return Config{}, fmt.Errorf("%s: %s: %w", file, key, err)
		}
		cfg.Values[key] = v
	}
	sort.Strings(cfg.Secure)
	sort.Strings(cfg.ProviderSecrets)
	cfg.Keys = slices.AppendSeq(encrypted, maps.Keys(cfg.Values))
	slices.Sort(cfg.Keys)
	cfg.Keys = slices.Compact(cfg.Keys)
	return cfg, nil
}

// Stacks returns the names of the stacks that have a Pulumi.<stack>.yaml in dir,
// sorted.
func Stacks(dir string) ([]string, error) {
	files, err := filepath.Glob(filepath.Join(dir, "Pulumi.*.yaml"))
	if err != nil {
		return nil, err
	}
	var stacks []string
	for _, f := range files {
		stacks = append(stacks, strings.TrimSuffix(strings.TrimPrefix(filepath.Base(f), "Pulumi."), ".yaml"))
	}
	slices.Sort(stacks)
	if len(stacks) == 0 {
		return nil, fmt.Errorf("%s: no Pulumi.<stack>.yaml files", dir)
	}
	return stacks, nil
}

func readYAML(file string) (map[string]any, error) {
	raw, err := os.ReadFile(file)
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("%s: no such file", file)
	}
	if err != nil {
		return nil, err
	}
	var doc map[string]any
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		return nil, fmt.Errorf("%s: not valid YAML: %w", file, err)
	}
	if doc == nil {
		doc = map[string]any{}
	}
	return doc, nil
}

// securePath returns the config path of the first encrypted value in value
// ("aks-kubenet:sshPublicKey", "aks-kubenet:cluster.token"), or "".
func securePath(path string, value any) string {
	switch v := value.(type) {
	case map[string]any:
		if _, ok := v["secure"]; ok && len(v) == 1 {
			return path
		}
		for _, k := range slices.Sorted(maps.Keys(v)) {
			if p := securePath(path+"."+k, v[k]); p != "" {
				return p
			}
		}
	case []any:
		for i, item := range v {
			if p := securePath(fmt.Sprintf("%s[%d]", path, i), item); p != "" {
				return p
			}
		}
	}
	return ""
}

// configString renders a YAML value as the Pulumi CLI passes it to a program.
func configString(value any) (string, error) {
	switch v := value.(type) {
	case string:
		return v, nil
	case nil:
		return "", nil
	case bool, int, float64:
		return fmt.Sprint(v), nil
	}
	raw, err := json.Marshal(value)
	if err != nil {
		return "", fmt.Errorf("cannot be passed as config: %w", err)
	}
	return string(raw), nil
}
