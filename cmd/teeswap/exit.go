package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/spf13/cobra"
)

// Exit codes, as docs/OPERATIONS.md lists them.
const (
	exitOK      = 0
	exitFailure = 1 // the request ran and failed, or a node could not be reached
	exitUsage   = 2 // bad command, flag or argument: nothing was sent
)

// reportedError is a failure whose details the command already printed
// (a --json result carrying its error): main adds nothing, so each error
// is stated once.
type reportedError struct{ err error }

func (e *reportedError) Error() string { return e.err.Error() }
func (e *reportedError) Unwrap() error { return e.err }

// prepareCommands makes every usage mistake cobra finds itself (an unknown
// command or flag, stray arguments) a usage error, exit 2. It is
// idempotent; main and the in-process tests call it before Execute.
func prepareCommands(root *cobra.Command) {
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError("%v", err) })
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		switch {
		case c.HasSubCommands() && !c.Runnable():
			// A group: "teeswap channel" alone prints its help, anything
			// else is an unknown subcommand.
			c.Args = func(c *cobra.Command, args []string) error {
				if len(args) > 0 {
					return usageError("unknown command %q for %q (see %s --help)", args[0], c.CommandPath(), c.CommandPath())
				}
				return nil
			}
			c.RunE = func(c *cobra.Command, _ []string) error { return c.Help() }
		case c.Args != nil:
			if _, done := wrappedArgs[c]; !done {
				inner := c.Args
				c.Args = func(c *cobra.Command, args []string) error {
					if err := inner(c, args); err != nil {
						return usageError("%v (see %s --help)", err, c.CommandPath())
					}
					return nil
				}
				wrappedArgs[c] = struct{}{}
			}
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
}

var wrappedArgs = map[*cobra.Command]struct{}{}

// errorJSON is what --json prints on stdout when a command fails.
type errorJSON struct {
	Error    string `json:"error"`
	ExitCode int    `json:"exit_code"`
}

// exitCode is the process exit code for err.
func exitCode(err error) int {
	if err == nil {
		return exitOK
	}
	var ee *exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	return exitFailure
}

// report states a command's failure once: as a JSON object on stdout with
// --json, else as one line on stderr. It returns the exit code.
func report(err error, stdout, stderr io.Writer, asJSON bool) int {
	code := exitCode(err)
	if err == nil {
		return code
	}
	var done *reportedError
	if errors.As(err, &done) {
		return code
	}
	if asJSON {
		b, _ := json.Marshal(errorJSON{Error: err.Error(), ExitCode: code})
		fmt.Fprintln(stdout, string(b))
		return code
	}
	fmt.Fprintln(stderr, "teeswap:", err)
	return code
}

// answerError says in one sentence why a node's answer did not come:
// the node has no such actor (dead letter), or it did not answer in time.
func answerError(pid *actor.PID, self string, timeout string, err error) error {
	switch {
	case errors.Is(err, actor.ErrDeadLetter):
		return fmt.Errorf("the node at %s is running but has no %q actor (is it a %s node?)", pid.Address, pid.Id, roleOf(pid.Id))
	case errors.Is(err, actor.ErrTimeout):
		return fmt.Errorf("no answer from %s at %s within %s (is the node running, and can it reach this client at %s?)", pid.Id, pid.Address, timeout, self)
	}
	return fmt.Errorf("no answer from %s at %s within %s (is the node running, and can it reach this client at %s?): %w", pid.Id, pid.Address, timeout, self, err)
}

func roleOf(actorID string) string {
	if actorID == actorDirectory {
		return "coordinator or watcher"
	}
	return strings.TrimSpace(actorID)
}
