package doctor

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optup"
	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"

	"github.com/aks-kubenet/aks-kubenet/pipeline"
	"github.com/aks-kubenet/aks-kubenet/spec"
)

// AutoStack is a Stack of the Automation API: the stack's Pulumi CLI.
type AutoStack struct {
	Stack auto.Stack
}

// Export runs pulumi stack export.
func (s AutoStack) Export(ctx context.Context) (apitype.UntypedDeployment, error) {
	return s.Stack.Export(ctx)
}

// Import runs pulumi stack import.
func (s AutoStack) Import(ctx context.Context, state apitype.UntypedDeployment) error {
	return s.Stack.Import(ctx, state)
}

// Cancel runs pulumi cancel --yes with the workspace's CLI and environment,
// whatever the Workspace is.
func (s AutoStack) Cancel(ctx context.Context) error {
	ws := s.Stack.Workspace()
	var env []string
	for k, v := range ws.GetEnvVars() {
		env = append(env, k+"="+v)
	}
	if home := ws.PulumiHome(); home != "" {
		env = append(env, "PULUMI_HOME="+home)
	}
	_, stderr, _, err := ws.PulumiCommand().Run(ctx, ws.WorkDir(), nil, nil, nil, env, "cancel", "--yes", "--stack", s.Stack.Name())
	if err != nil {
		return fmt.Errorf("%w: %s", err, strings.TrimSpace(stderr))
	}
	return nil
}

// Adopt sets aks-kubenet:adopt, runs pulumi up --target on each of its URNs,
// and removes the key again, whatever the up did.
func (s AutoStack) Adopt(ctx context.Context, adopt map[string]string) (err error) {
	b, err := json.Marshal(adopt)
	if err != nil {
		return err
	}
	if err := s.Stack.SetConfig(ctx, spec.KeyAdopt, auto.ConfigValue{Value: string(b)}); err != nil {
		return fmt.Errorf("setting %s: %w", spec.KeyAdopt, err)
	}
	defer func() {
		if rmErr := s.Stack.RemoveConfig(ctx, spec.KeyAdopt); rmErr != nil {
			err = errors.Join(err, fmt.Errorf("removing %s: %w", spec.KeyAdopt, rmErr))
		}
	}()
	_, err = s.Stack.Up(ctx, optup.Target(slices.Sorted(maps.Keys(adopt))))
	return err
}

// LocksOf returns the Locks of stack stackName of project in the
// self-managed backend backendURL: a file:// folder, or an azblob://
// container read with az. Pulumi Cloud keeps its locks in the service: nil,
// and the doctor leaves locks to pulumi cancel.
func LocksOf(backendURL, project, stackName string, az pipeline.Runner) (Locks, error) {
	// The DIY backend's lock folder (backend/diy/lock.go stackLockDir), its
	// organization always "organization".
	dir := path.Join(".pulumi", "locks", "organization", project, stackName)
	u, err := url.Parse(backendURL)
	if err != nil {
		return nil, fmt.Errorf("the backend URL %q: %w", backendURL, err)
	}
	switch u.Scheme {
	case "file":
		return FileLocks{Dir: filepath.Join(u.Path, filepath.FromSlash(dir))}, nil
	case "azblob":
		account := u.Query().Get("storage_account")
		if account == "" {
			account = os.Getenv("AZURE_STORAGE_ACCOUNT")
		}
		if account == "" {
			return nil, fmt.Errorf("the backend %s names no storage account: set AZURE_STORAGE_ACCOUNT", backendURL)
		}
		return BlobLocks{Az: az, Account: account, Container: u.Host, Prefix: dir + "/"}, nil
	case "", "https", "http":
		return nil, nil
	}
	return nil, fmt.Errorf("the backend %s: the doctor reads the locks of file:// and azblob:// backends", backendURL)
}

// FileLocks are the lock files in a file:// backend's folder.
type FileLocks struct {
	Dir string
}

// List reads every lock file.
func (f FileLocks) List(context.Context) ([]Lock, error) {
	entries, err := os.ReadDir(f.Dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var locks []Lock
	for _, e := range entries {
		// The file backend keeps each blob's attributes beside it.
		if e.IsDir() || strings.HasSuffix(e.Name(), ".attrs") {
			continue
		}
		p := filepath.Join(f.Dir, e.Name())
		b, err := os.ReadFile(p)
		if err != nil {
			return nil, err
		}
		l, err := parseLock(p, b)
		if err != nil {
			return nil, err
		}
		locks = append(locks, l)
	}
	return locks, nil
}

// BlobLocks are the lock blobs in an azblob:// backend's container, read
// with az (the job's login, Storage Blob Data Reader is enough).
type BlobLocks struct {
	Az                         pipeline.Runner
	Account, Container, Prefix string
}

// List lists and downloads every lock blob.
func (b BlobLocks) List(ctx context.Context) ([]Lock, error) {
	common := []string{"--account-name", b.Account, "--container-name", b.Container, "--auth-mode", "login"}
	out, err := b.Az.Run(ctx, "", "az", append([]string{"storage", "blob", "list", "--prefix", b.Prefix, "--query", "[].name", "-o", "json"}, common...)...)
	if err != nil {
		return nil, fmt.Errorf("listing the lock blobs: %w", err)
	}
	var names []string
	if err := json.Unmarshal([]byte(out), &names); err != nil {
		return nil, fmt.Errorf("listing the lock blobs: %w", err)
	}
	var locks []Lock
	for _, name := range names {
		content, err := b.Az.Run(ctx, "", "az", append([]string{"storage", "blob", "download", "--name", name, "--file", "/dev/stdout", "--no-progress", "-o", "none"}, common...)...)
		if err != nil {
			return nil, fmt.Errorf("reading the lock blob %s: %w", name, err)
		}
		l, err := parseLock("azblob://"+b.Container+"/"+name, []byte(content))
		if err != nil {
			return nil, err
		}
		locks = append(locks, l)
	}
	return locks, nil
}

func parseLock(where string, b []byte) (Lock, error) {
	l := Lock{Path: where}
	if err := json.Unmarshal(b, &l); err != nil {
		return Lock{}, fmt.Errorf("the lock %s: %w", where, err)
	}
	return l, nil
}

// AzCLI looks resources up with az resource show, the job's login.
type AzCLI struct {
	Az pipeline.Runner
}

// Exists runs az resource show --ids id: found, not found (ResourceNotFound,
// or a parent that is not found), or an error for anything else.
func (a AzCLI) Exists(ctx context.Context, id string) (bool, error) {
	_, err := a.Az.Run(ctx, "", "az", "resource", "show", "--ids", id, "--query", "id", "-o", "tsv")
	if err == nil {
		return true, nil
	}
	if msg := err.Error(); strings.Contains(msg, "NotFound") || strings.Contains(msg, "could not be found") || strings.Contains(msg, "was not found") {
		return false, nil
	}
	return false, err
}

// NoLocks is the Locks of a backend that keeps its locks itself (Pulumi
// Cloud): none the doctor can see.
type NoLocks struct{}

// List returns no lock.
func (NoLocks) List(context.Context) ([]Lock, error) { return nil, nil }
