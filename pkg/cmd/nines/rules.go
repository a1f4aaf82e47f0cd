package main

import (
	"fmt"
	"io"
	"os"

	"github.com/nines-slo/nines/pkg/definitions"
	"github.com/nines-slo/nines/pkg/rules"
)

// cmdRules loads definitions in any supported format and writes their Prometheus rules.
func cmdRules(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("rules")
	out := fs.String("out", "", "write the rule file here instead of to standard output")
	if code, ok := parse(fs, synRules, reorder(args), stdout, stderr); !ok {
		return code
	}
	if fs.NArg() == 0 {
		fmt.Fprintf(stderr, "%srules needs at least one definitions file or folder\n", errorPrefix)
		return exitUsage
	}
	res := definitions.Load(fs.Args(), "")
	for _, e := range res.Errors {
		fmt.Fprintln(stderr, e.Error())
	}
	if len(res.Errors) > 0 {
		fmt.Fprintf(stderr, "%s%s in the definitions: no rules written\n", errorPrefix, plural(len(res.Errors), "error", "errors"))
		return exitFailed
	}
	if len(res.SLOs) == 0 {
		fmt.Fprintf(stderr, "%sno SLO definitions found\n", errorPrefix)
		return exitFailed
	}
	f, err := rules.Build(res.SLOs, res.Alerts)
	if err == nil {
		var data []byte
		if data, err = f.Marshal(); err == nil {
			if *out == "" {
				_, err = stdout.Write(data)
			} else {
				err = os.WriteFile(*out, data, 0o644)
			}
		}
	}
	if err != nil {
		fmt.Fprintf(stderr, "%srules: %v\n", errorPrefix, err)
		return exitFailed
	}
	fmt.Fprintf(stderr, "rules for %s\n", plural(len(res.SLOs), "SLO", "SLOs"))
	return exitOK
}

// reorder moves flags after the paths in front of them, so that
// "nines rules PATH --out FILE" works as well as "nines rules --out FILE PATH".
func reorder(args []string) []string {
	var flags, paths []string
	for i := 0; i < len(args); i++ {
		switch a := args[i]; {
		case a == "--":
			paths = append(paths, args[i+1:]...)
			i = len(args)
		case len(a) > 1 && a[0] == '-':
			flags = append(flags, a)
			if (a == "--out" || a == "-out") && i+1 < len(args) {
				flags = append(flags, args[i+1])
				i++
			}
		default:
			paths = append(paths, a)
		}
	}
	return append(flags, paths...)
}
