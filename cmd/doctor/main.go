// Command doctor examines a stack's state before an up and repairs what a
// killed or canceled run left (package doctor): a stale lock, and pending
// creates, each looked up in Azure by its id and cleared or adopted.
//
//	go run ./cmd/doctor -stack prod                                   what it finds, and what -fix would do
//	go run ./cmd/doctor -stack prod -fix                              repairs the pending creates; refuses a lock
//	go run ./cmd/doctor -stack prod -fix -cancel-stale-lock           also cancels a lock: only when nothing else runs on the stack
//
// It runs pulumi (the Automation API, in the project's folder, with the
// environment's PULUMI_BACKEND_URL and passphrase) and az (the login's
// rights: Reader on the stack's resources, and a state container's blobs).
//
// Exit status: 0 when the state is sound, or was only unlocked (a plan made
// before still applies); 3 when it cleared or adopted pending creates (the
// state changed: make the plan again); 1 when it found something it was not
// allowed to repair, or cannot repair safely; 2 on bad flags.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"

	"github.com/aks-kubenet/aks-kubenet/doctor"
	"github.com/aks-kubenet/aks-kubenet/internal/stackfile"
	"github.com/aks-kubenet/aks-kubenet/pipeline"
	"github.com/aks-kubenet/aks-kubenet/spec"
)

// Exit statuses.
const (
	exitSound    = 0
	exitProblem  = 1
	exitUsage    = 2
	exitRepaired = 3
)

func main() {
	// A canceled CI job's SIGINT (then SIGTERM) reaches the pulumi runs the
	// doctor makes as a cancellation, not as a kill of the doctor alone.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("doctor", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		dir          = fs.String("dir", ".", "the project's folder (Pulumi.yaml and Pulumi.<stack>.yaml)")
		stackName    = fs.String("stack", "", "the stack, as named in Pulumi.<stack>.yaml")
		org          = fs.String("org", os.Getenv("PULUMI_ORG"), "the Pulumi Cloud organization, with a Pulumi Cloud backend")
		fix          = fs.Bool("fix", false, "repair what it finds: clear the pending creates and adopt what they created")
		cancelLock   = fs.Bool("cancel-stale-lock", false, "with -fix, cancel the stack's lock: only when nothing else runs on the stack")
		backend      = fs.String("backend", os.Getenv("PULUMI_BACKEND_URL"), "the state backend's URL (PULUMI_BACKEND_URL)")
		subscription = fs.String("subscription", "", "the stack's subscription, when its state does not name it (default: the stack file's "+spec.KeySubscriptionID+")")
	)
	if err := fs.Parse(args); err != nil {
		return exitUsage
	}
	if *stackName == "" || fs.NArg() > 0 {
		fmt.Fprintln(stderr, "doctor: give -stack, and no arguments")
		return exitUsage
	}
	if *subscription == "" {
		cfg, err := stackfile.Read(*dir, *stackName)
		if err != nil {
			fmt.Fprintln(stderr, "doctor:", err)
			return exitUsage
		}
		*subscription = cfg.Values[spec.KeySubscriptionID]
	}
	az := pipeline.ExecRunner{}
	locks, err := doctor.LocksOf(*backend, spec.Project, *stackName, az)
	if err != nil {
		fmt.Fprintln(stderr, "doctor:", err)
		return exitUsage
	}
	work, err := filepath.Abs(*dir)
	if err != nil {
		fmt.Fprintln(stderr, "doctor:", err)
		return exitUsage
	}
	qualified := *stackName
	if *org != "" {
		qualified = *org + "/" + *stackName
	}
	s, err := auto.SelectStackLocalSource(ctx, qualified, work)
	if err != nil {
		fmt.Fprintln(stderr, "doctor: selecting the stack:", err)
		return exitProblem
	}
	if locks == nil {
		fmt.Fprintln(stdout, "the backend is Pulumi Cloud, which keeps the stack's lock itself: a run it says is in progress and is not, cancel with pulumi cancel")
		locks = doctor.NoLocks{}
	}
	report, err := doctor.Examine(ctx, doctor.AutoStack{Stack: s}, locks, doctor.AzCLI{Az: az}, doctor.Options{
		Fix: *fix, CancelStaleLock: *cancelLock, Subscription: *subscription,
	})
	fmt.Fprint(stdout, report)
	if err != nil {
		fmt.Fprintln(stderr, "doctor:", err)
		return exitProblem
	}
	return status(report, *fix)
}

// status is the exit status of a report.
func status(r doctor.Report, fixed bool) int {
	switch {
	case r.Repaired:
		return exitRepaired
	case r.Healthy(), fixed && len(r.Pending) == 0:
		return exitSound
	}
	return exitProblem
}
