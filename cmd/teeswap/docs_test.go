package main

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

// Every teeswap command line in docs/OPERATIONS.md names a real command
// with flags it has, and every literal amount in it parses: the page
// cannot drift from the CLI. (The multi-process test runs the walk-through
// itself against geth --dev chains.)
func TestDocsOperationsCommandsExist(t *testing.T) {
	b, err := os.ReadFile("../../docs/OPERATIONS.md")
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	inCode := false
	cont := ""
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(strings.TrimSpace(l), "```") {
			inCode = !inCode
			continue
		}
		if !inCode {
			continue
		}
		l = cont + l
		if strings.HasSuffix(strings.TrimSpace(l), "\\") {
			cont = strings.TrimSuffix(strings.TrimSpace(l), "\\") + " "
			continue
		}
		cont = ""
		lines = append(lines, l)
	}
	invocation := regexp.MustCompile(`(?:^|[\s(])(?:\$T|teeswap)\s+([^|&#)]*)`)
	checked := 0
	for _, l := range lines {
		l = shellComment.ReplaceAllString(l, "") // "# ..." is prose, not a command
		for _, m := range invocation.FindAllStringSubmatch(l, -1) {
			if strings.HasPrefix(strings.TrimSpace(m[1]), "%s") || strings.HasPrefix(m[0], "teeswap ") && strings.Contains(l, "listening on") {
				continue // a sample of output, not a command
			}
			args := docArgs(m[1])
			if len(args) == 0 {
				continue
			}
			cmd, rest, err := rootCmd.Find(args)
			if err != nil || cmd == rootCmd {
				t.Errorf("OPERATIONS.md: %q: no such command (%v)", m[0], err)
				continue
			}
			checkDocFlags(t, cmd, rest, m[0])
			checked++
		}
	}
	if checked < 15 {
		t.Fatalf("only %d commands found in OPERATIONS.md", checked)
	}
}

// shellComment is a shell comment: from a # at the start of a line or
// after a blank to the end.
var shellComment = regexp.MustCompile(`(^|\s)#.*$`)

func docArgs(s string) []string {
	return strings.Fields(strings.NewReplacer("[", " ", "]", " ", `"`, "").Replace(s))
}

func checkDocFlags(t *testing.T, cmd *cobra.Command, args []string, line string) {
	t.Helper()
	for i, a := range args {
		if !strings.HasPrefix(a, "--") {
			continue
		}
		name, _, _ := strings.Cut(strings.TrimPrefix(a, "--"), "=")
		f := cmd.Flags().Lookup(name)
		if f == nil {
			f = cmd.InheritedFlags().Lookup(name)
		}
		if f == nil {
			t.Errorf("OPERATIONS.md: %q: %s has no flag --%s", line, cmd.CommandPath(), name)
			continue
		}
		if name == "amount" && i+1 < len(args) && !strings.HasPrefix(args[i+1], "<") {
			if _, err := native.parse(args[i+1]); err != nil {
				t.Errorf("OPERATIONS.md: %q: amount %q: %v", line, args[i+1], err)
			}
		}
	}
}
