package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"

	"github.com/presign-dev/presign/objstore/disk"
)

const storeUsage = `Usage: presign store check DIR [--repair] [--json]

Checks the data directory of presign serve's embedded store: every object
file against the index (DIR/index.db), and every index record against its
file. It reports each disagreement, and with --repair fixes it:

  orphan      a file no index record names, left by a write or delete that
              a crash cut short; it was never visible. Repair removes it.
  missing     a record whose file is gone or is not that object. Repair
              removes the record (the object is no longer listed).
  mismatch    a record that disagrees with its file's header. Repair
              rewrites the record from the file.
  unreadable  a file that is not a whole object where its key puts it.
              Repair moves it into DIR/damaged, where nothing is lost.
  mode        a file or directory others can read. Repair makes it 0600 or
              0700.

presign serve must not be running on DIR: the check takes the directory's
lock. It reads every object's header, so it takes a while on a large store.

Flags:
  --repair    fix what is found
  --json      print the result as JSON

Exit status: 0 when the store is consistent (or was repaired), 1 when
problems were found and not repaired, 2 for a wrong command line.

Examples:
  presign store check ./data
  presign store check ./data --repair
`

// storeCommand is "presign store": maintenance of an embedded store's data
// directory.
type storeCommand struct {
	streams
}

func newStoreCommand(s streams) command { return &storeCommand{streams: s} }

// Run parses args and runs the subcommand.
func (c *storeCommand) Run(ctx context.Context, args []string) error {
	fs := newFlagSet("store")
	repair := fs.Bool("repair", false, "")
	asJSON := fs.Bool("json", false, "")
	pos, _, err := parseCommand("store", storeUsage, fs, args, c.stdout)
	if err != nil {
		return err
	}
	switch {
	case len(pos) == 0:
		return usageErrorf("run 'presign store check DIR', DIR being serve's --data directory", "presign store needs a subcommand")
	case pos[0] != "check":
		return usageErrorf("the one subcommand is check: 'presign store check DIR'", "unknown subcommand %q", pos[0])
	case len(pos) != 2:
		return usageErrorf("give one data directory: 'presign store check DIR'", "presign store check takes one directory, got %d arguments", len(pos)-1)
	}
	dir := pos[1]
	st, err := os.Stat(dir)
	if err != nil {
		return &cliError{msg: fmt.Sprintf("cannot check %s: %v", dir, err), hint: "give serve's --data directory"}
	}
	if !st.IsDir() {
		return usageErrorf("give serve's --data directory", "%s is not a directory", dir)
	}
	if _, err := os.Stat(dir + "/buckets"); err != nil {
		return &cliError{msg: fmt.Sprintf("%s is not a data directory of presign serve (it has no buckets/)", dir), hint: "give serve's --data directory"}
	}
	s, err := disk.OpenWith(dir, disk.Options{MultipartExpiry: -1})
	if err != nil {
		if strings.Contains(err.Error(), "in use") {
			return &cliError{msg: fmt.Sprintf("%s is open in another process (presign serve?)", dir), hint: "stop it first; the check needs the directory to itself", err: err}
		}
		return failf("opening %s: %w", dir, err)
	}
	defer s.Close()
	res, err := s.Check(ctx, *repair)
	if err != nil {
		return failf("checking %s: %w", dir, err)
	}
	if *asJSON {
		if res.Problems == nil {
			res.Problems = []disk.Problem{}
		}
		enc := json.NewEncoder(c.stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(res); err != nil {
			return err
		}
	} else {
		for _, p := range res.Problems {
			what := p.Bucket
			if p.Key != "" {
				what += "/" + p.Key
			}
			done := ""
			if p.Repaired {
				done = " [repaired]"
			}
			fmt.Fprintf(c.stdout, "%-10s %s: %s (%s)%s\n", p.Kind, what, p.Detail, p.Path, done)
		}
		fmt.Fprintf(c.stdout, "checked %d buckets, %d objects, %d files: ", res.Buckets, res.Objects, res.Files)
		switch {
		case len(res.Problems) == 0:
			fmt.Fprintln(c.stdout, "files and index agree")
		case *repair:
			fmt.Fprintf(c.stdout, "%d problems, all repaired\n", len(res.Problems))
		default:
			fmt.Fprintf(c.stdout, "%d problems\n", len(res.Problems))
		}
	}
	if len(res.Problems) > 0 && !*repair {
		return &cliError{msg: fmt.Sprintf("%s: files and index disagree in %d places", dir, len(res.Problems)), hint: "run again with --repair to fix them"}
	}
	return nil
}
