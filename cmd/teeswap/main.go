package main

import (
	"fmt"
	"os"
)

// exitError carries a process exit code with a message meant for people.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

// usageError marks bad flags or arguments (exit code 2).
func usageError(format string, args ...any) error {
	return &exitError{code: 2, err: fmt.Errorf(format, args...)}
}

func main() {
	prepareCommands(rootCmd)
	os.Exit(report(rootCmd.Execute(), os.Stdout, os.Stderr, flagJSON))
}
