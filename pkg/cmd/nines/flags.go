package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"runtime/debug"
)

// version and commit name this binary, set by a build with
// -ldflags "-X main.version=v1.2.3 -X main.commit=abc123"; empty means what the Go build
// recorded (the module's version, the VCS revision), if anything.
var version, commit = "", ""

// newFlags returns the flag set of a command; parse prints its usage.
func newFlags(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.Usage = func() {}
	fs.SetOutput(io.Discard)
	return fs
}

// parse parses args of the command whose usage line is synopsis. With -h or --help it
// prints the usage to stdout and returns exitOK and false; on a bad flag it prints the
// error and the usage to stderr and returns exitUsage and false.
func parse(fs *flag.FlagSet, synopsis string, args []string, stdout, stderr io.Writer) (int, bool) {
	err := fs.Parse(args)
	switch {
	case err == nil:
		return exitOK, true
	case errors.Is(err, flag.ErrHelp):
		printUsage(fs, synopsis, stdout)
		return exitOK, false
	}
	fmt.Fprintf(stderr, "%s%v\n", errorPrefix, err)
	printUsage(fs, synopsis, stderr)
	return exitUsage, false
}

// printUsage writes the usage line and the flags of fs to w.
func printUsage(fs *flag.FlagSet, synopsis string, w io.Writer) {
	fmt.Fprintf(w, "usage: %s\n", synopsis)
	n := 0
	fs.VisitAll(func(*flag.Flag) { n++ })
	if n > 0 {
		fmt.Fprintln(w, "\nflags:")
		fs.SetOutput(w)
		fs.PrintDefaults()
		fs.SetOutput(io.Discard)
	}
}

// versionLine says which version and commit this binary is.
func versionLine() string {
	bi, _ := debug.ReadBuildInfo()
	return describeBuild(version, commit, bi)
}

// describeBuild writes "nines VERSION, commit REVISION": v and c when set, else the
// module's version and the VCS revision from bi (which may be nil), else devel and unknown.
func describeBuild(v, c string, bi *debug.BuildInfo) string {
	modified, fromVCS := false, false
	if bi != nil {
		if v == "" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			v = bi.Main.Version
		}
		for _, s := range bi.Settings {
			switch {
			case s.Key == "vcs.revision" && c == "":
				c, fromVCS = s.Value, true
			case s.Key == "vcs.modified":
				modified = s.Value == "true"
			}
		}
	}
	if v == "" {
		v = "devel"
	}
	if c == "" {
		c = "unknown"
	} else if modified && fromVCS {
		c += " (modified)"
	}
	return fmt.Sprintf("nines %s, commit %s\n", v, c)
}
