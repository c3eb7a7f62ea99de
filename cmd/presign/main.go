// Command presign makes Amazon S3 presigned URLs that are byte-for-byte the
// URLs the AWS SDKs make.
//
//	presign url PUT s3://uploads/cat.jpg --content-type image/jpeg --expires 1h
//
// Run "presign help" for the subcommands and "presign <command> -h" for the
// flags of one. Credentials and the region come from the standard AWS
// sources (environment, shared config and credentials files, SSO, web
// identity, container and EC2 instance roles); see "presign url -h".
//
// Exit status: 0 on success, 2 for a usage error (a bad argument or flag,
// with the fix in the message), 1 for any other error.
package main

import (
	"context"
	"fmt"
	"github.com/presign-dev/presign/internal/suggest"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
)

// command is one subcommand. Run parses args (the arguments after the
// subcommand's name) and does the work; it returns [errHelp] after printing
// its help, a [*cliError] for errors with a known fix, or any other error.
type command interface {
	Run(ctx context.Context, args []string) error
}

// streams are where a command writes its output and its notes.
type streams struct {
	stdin          io.Reader // a URL or a document given as "-"
	stdout, stderr io.Writer
}

// commands is the registry of subcommands, in the order "presign help"
// lists them. A new subcommand is one file with its type and one line here.
var commands = []struct {
	name, summary string
	new           func(streams) command
}{
	{"url", "make a presigned URL for an S3 operation (GET, PUT, HEAD, DELETE, multipart steps)", newURLCommand},
	{"post", "make a presigned POST form for browser uploads (json, html or curl)", newPostCommand},
	{"upload", "upload a file through a presigned PUT URL or POST form, with progress", newUploadCommand},
	{"download", "download an object through a presigned GET URL, resuming an interrupted one", newDownloadCommand},
	{"serve", "run an S3-compatible server on local disk for presigned URLs, forms and SDKs", newServeCommand},
	{"inspect", "explain a presigned URL: its parameters, expiry and risks", newInspectCommand},
	{"verify", "check a presigned URL's signature with the signer's credentials", newVerifyCommand},
	{"diagnose", "explain S3's error response to a presigned URL", newDiagnoseCommand},
	{"store", "check (and repair) the data directory of serve's embedded store", newStoreCommand},
}

const mainUsage = `presign makes Amazon S3 presigned URLs, byte-for-byte the AWS SDKs' URLs.

Usage:
  presign <command> [arguments] [flags]
  presign help [command]

Commands:
%s
Run "presign <command> -h" for a command's arguments and flags.
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run runs the command line args (without the program name) and returns
// the exit status. It writes only to stdout and stderr.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		printMainUsage(stderr)
		return 2
	}
	name, rest := args[0], args[1:]
	switch name {
	case "version", "-version", "--version":
		fmt.Fprintf(stdout, "presign %s\n", version())
		return 0
	case "help", "-h", "-help", "--help":
		if len(rest) == 0 {
			printMainUsage(stdout)
			return 0
		}
		name, rest = rest[0], []string{"-h"}
	}
	for _, c := range commands {
		if c.name == name {
			err := c.new(streams{stdin: os.Stdin, stdout: stdout, stderr: stderr}).Run(ctx, rest)
			return report(stderr, err)
		}
	}
	names := make([]string, len(commands))
	for i, c := range commands {
		names[i] = c.name
	}
	if near := suggest.Nearest(name, names); near != "" {
		return report(stderr, usageErrorf("did you mean 'presign "+near+"'? 'presign help' lists the commands", "unknown command %q", name))
	}
	return report(stderr, usageErrorf("run 'presign help' for the list of commands", "unknown command %q", name))
}

func printMainUsage(w io.Writer) {
	var list strings.Builder
	for _, c := range commands {
		fmt.Fprintf(&list, "  %-10s %s\n", c.name, c.summary)
	}
	fmt.Fprintf(w, mainUsage, list.String())
}

// version is the build's version: the module version of a release (go
// install ...@v1.2.3), else the VCS revision it was built from.
func version() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	if v := bi.Main.Version; v != "" && v != "(devel)" {
		return v
	}
	var rev, modified, when string
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				modified = "+modified"
			}
		case "vcs.time":
			when = " (" + s.Value + ")"
		}
	}
	if rev == "" {
		return "devel"
	}
	return "devel-" + rev[:min(12, len(rev))] + modified + when
}
