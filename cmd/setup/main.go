// Command setup makes the identities, rights and GitHub environments the
// workflows in .github/workflows run with, from the committed stacks (see
// package pipeline), with the az and gh CLIs. It prints what it would do
// unless given -apply, and it is safe to run again: it makes only what is
// missing and corrects what differs from the plan.
//
//	go run ./cmd/setup -repo OWNER/REPO -state-container <container id> -offline   the plan, with no az or gh call
//	go run ./cmd/setup -repo OWNER/REPO -state-container <container id>            the changes it would make (lookups only)
//	go run ./cmd/setup -repo OWNER/REPO -state-container <container id> -reviewers team:platform-admins -apply
//
// With Pulumi Cloud instead of a self-managed state container, give
// -pulumi-org. The exit status is 0 on success, 1 when it refuses or a
// command fails, 2 on bad flags or stack files.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/aks-kubenet/aks-kubenet/pipeline"
	"github.com/aks-kubenet/aks-kubenet/spec"
)

func main() {
	os.Exit(run(context.Background(), os.Args[1:], os.Stdout, os.Stderr, pipeline.ExecRunner{}))
}

// run is the command, with its runner given, for the tests.
func run(ctx context.Context, args []string, stdout, stderr io.Writer, r pipeline.Runner) int {
	fs := flag.NewFlagSet("setup", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		dir       = fs.String("dir", ".", "the project's folder (Pulumi.yaml and Pulumi.<stack>.yaml)")
		repo      = fs.String("repo", "", "the GitHub repository, OWNER/REPO")
		container = fs.String("state-container", "", "the resource id of the azblob:// state backend's blob container; empty for Pulumi Cloud")
		org       = fs.String("pulumi-org", "", "the Pulumi Cloud organization, without -state-container")
		reviewed  = fs.String("reviewed", "prod", "comma-separated stacks whose deployments wait for a reviewer")
		reviewers = fs.String("reviewers", "", "comma-separated required reviewers: team:<slug> or user:<login>")
		apply     = fs.Bool("apply", false, "make the changes (without it, print them)")
		offline   = fs.Bool("offline", false, "with the dry run: call neither az nor gh, and show a first run's changes")
		shared    = fs.Bool("allow-shared-scopes", false, "apply even when one stack's deploy scope contains another's")
	)
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *apply && *offline {
		fmt.Fprintln(stderr, "setup: -offline is for the dry run; -apply needs az and gh")
		return 2
	}
	stacks, err := pipeline.LoadStacks(*dir)
	if err != nil {
		fmt.Fprintln(stderr, "setup:", err)
		return 2
	}
	var rvs []pipeline.Reviewer
	for _, s := range splitList(*reviewers) {
		rv, err := pipeline.ParseReviewer(s)
		if err != nil {
			fmt.Fprintln(stderr, "setup:", err)
			return 2
		}
		rvs = append(rvs, rv)
	}
	plan, err := pipeline.Derive(pipeline.Options{
		Repo: *repo, Project: spec.Project, Stacks: stacks, StateContainer: *container,
		Reviewed: splitList(*reviewed), PulumiOrg: *org,
	})
	if err != nil {
		fmt.Fprintln(stderr, "setup:", err)
		return 2
	}
	pipeline.WritePlan(stdout, plan)
	fmt.Fprintln(stdout)
	err = pipeline.Apply(ctx, plan, r, stdout, pipeline.ApplyOptions{
		DryRun: !*apply, Offline: *offline, Reviewers: rvs, AllowSharedScopes: *shared,
	})
	if err != nil {
		fmt.Fprintln(stderr, "setup:", err)
		return 1
	}
	return 0
}

// splitList splits a comma-separated flag, dropping empty items.
func splitList(s string) []string {
	var out []string
	for _, item := range strings.Split(s, ",") {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	return out
}
