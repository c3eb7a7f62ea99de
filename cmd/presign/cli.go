package main

import (
	"errors"
	"flag"
	"fmt"
	"github.com/presign-dev/presign/internal/suggest"
	"io"
	"os"
	"strings"

	"github.com/presign-dev/presign"
	"github.com/presign-dev/presign/postpolicy"
)

// errHelp is returned by a command that printed its help as asked; the
// exit status is 0.
var errHelp = errors.New("presign: help requested")

// cliError is an error of the command line: it prints as
// "presign: <msg> (<hint>)", or "presign: <msg>" without a hint. Usage
// errors (bad arguments, flags or their combinations) exit with status 2,
// the others with 1.
type cliError struct {
	msg, hint string
	usage     bool
	err       error // the cause, if any, for errors.Is and errors.As
	// quoted is set when msg is the whole message of a library error,
	// which starts with its package's name ("presign: ...") already.
	quoted bool
}

func (e *cliError) Error() string {
	if e.quoted {
		return e.text()
	}
	return "presign: " + e.text()
}

// text is the message and its hint, without the command's name.
func (e *cliError) text() string {
	s := e.msg
	if e.hint != "" {
		s += " (" + e.hint + ")"
	}
	return s
}

func (e *cliError) Unwrap() error { return e.err }

// plainText is err's message without the command's name, for a list of
// mistakes: a *cliError's message and hint, any other error's message.
func plainText(err error) string {
	if ce, ok := err.(*cliError); ok && !ce.quoted {
		return ce.text()
	}
	return err.Error()
}

// usageErrorf returns a usage error with hint as the fix.
func usageErrorf(hint, format string, args ...any) error {
	return &cliError{msg: fmt.Sprintf(format, args...), hint: hint, usage: true}
}

// failf returns an error with no known fix, printed as "presign: " and the
// formatted message; the error of a %w verb is its cause.
func failf(format string, args ...any) error {
	e := fmt.Errorf(format, args...)
	return &cliError{msg: e.Error(), err: errors.Unwrap(e)}
}

// fromLibrary turns an error of the presign library into a usage error
// printed in the command line's style: an [presign.InputError]'s message and
// hint, the hint in terms of this command's flags where the library's
// names its API. The library's errors are all about its inputs, which come
// from the command line of cmd, except for the credentials errors of the
// provider, which are returned as they are.
func fromLibrary(err error, cmd string) error {
	var (
		ce *cliError
		le *presign.LifetimeError
		ie *presign.InputError
		pe *postpolicy.InputError
	)
	switch {
	case errors.As(err, &ce):
		return ce
	case errors.As(err, &le):
		return &cliError{msg: fmt.Sprintf("expiry %v is longer than the credentials allow: %s", le.Expires, le.Reason),
			hint: fmt.Sprintf("ask for at most %v with --expires", le.Max), usage: true, err: err}
	case errors.As(err, &ie):
		return libraryUsage(ie.Msg, ie.Hint, cmd, err)
	case errors.As(err, &pe):
		return libraryUsage(pe.Msg, pe.Hint, cmd, err)
	}
	return &cliError{msg: err.Error(), quoted: true, hint: "see 'presign " + cmd + " -h'", usage: true, err: err}
}

// libraryUsage is the usage error of a library error's message and hint.
func libraryUsage(msg, hint, cmd string, err error) error {
	if hint == "" {
		hint = "see 'presign " + cmd + " -h'"
	}
	return &cliError{msg: msg, hint: hint, usage: true, err: err}
}

// report prints err, if any, as one line on stderr and returns the exit
// status: 0 for nil and errHelp, 2 for usage errors, 1 otherwise. Errors
// other than a *cliError, which names the command already, are printed
// after "presign: ".
func report(stderr io.Writer, err error) int {
	if err == nil || errors.Is(err, errHelp) {
		return 0
	}
	msg := err.Error()
	if _, ours := err.(*cliError); !ours {
		msg = "presign: " + msg
	}
	fmt.Fprintln(stderr, oneLine(redact(msg)))
	var ce *cliError
	if errors.As(err, &ce) && ce.usage {
		return 2
	}
	return 1
}

// oneLine folds line breaks and runs of spaces so that an error, including
// one quoted from a dependency, prints as a single line.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// redact removes the secrets of the environment's credentials from s, as a
// last line of defence: no message should contain them in the first place.
func redact(s string) string {
	for _, name := range []string{"AWS_SECRET_ACCESS_KEY", "AWS_SECRET_KEY", "AWS_SESSION_TOKEN"} {
		if v := os.Getenv(name); len(v) >= 8 {
			s = strings.ReplaceAll(s, v, "[redacted]")
		}
	}
	return s
}

// parseArgs parses args with fs, accepting flags before, between and after
// the positional arguments, which it returns in order. Everything after a
// "--" is positional. The standard flag package alone stops at the first
// positional argument.
func parseArgs(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if n := len(args) - len(rest); n > 0 && args[n-1] == "--" {
			return append(pos, rest...), nil
		}
		if len(rest) == 0 {
			return pos, nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

// newFlagSet returns a FlagSet that reports errors instead of printing them:
// the caller turns them into one-line usage errors.
func newFlagSet(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	return fs
}

// flagVars are flags of a command, each name with where its value goes:
// strings (empty by default), bools (false) and repeatable lists.
type flagVars struct {
	strings map[string]*string
	bools   map[string]*bool
	lists   map[string]*listFlag
}

// defineFlags defines the flags of v on fs. Like all of this program's
// flags they carry no usage text: each command's usage is written whole.
func defineFlags(fs *flag.FlagSet, v flagVars) {
	for name, p := range v.strings {
		fs.StringVar(p, name, "", "")
	}
	for name, p := range v.bools {
		fs.BoolVar(p, name, false, "")
	}
	for name, p := range v.lists {
		fs.Var(p, name, "")
	}
}

// flagError turns an error of fs.Parse into a usage error; an unknown flag
// that is a near miss of one of fs's gets "did you mean".
func flagError(cmd string, fs *flag.FlagSet, err error) error {
	msg := err.Error()
	// The flag package names flags with one dash; the usage shows two.
	msg = strings.Replace(msg, " -", " --", 1)
	if name, ok := strings.CutPrefix(err.Error(), "flag provided but not defined: -"); ok {
		var names []string
		fs.VisitAll(func(f *flag.Flag) { names = append(names, f.Name) })
		if near := suggest.Nearest(strings.TrimLeft(name, "-"), names); near != "" {
			return usageErrorf("did you mean --"+near+"? see 'presign "+cmd+" -h'", "%s", msg)
		}
	}
	return usageErrorf("see 'presign "+cmd+" -h'", "%s", msg)
}

// listFlag is a repeatable string flag.
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }

func (l *listFlag) Set(v string) error {
	*l = append(*l, v)
	return nil
}

// names splits the values of a repeatable flag that also takes
// comma-separated lists, dropping empty entries.
func (l listFlag) names() []string {
	var out []string
	for _, v := range l {
		for _, n := range strings.Split(v, ",") {
			if n = strings.TrimSpace(n); n != "" {
				out = append(out, n)
			}
		}
	}
	return out
}

// splitKV splits a k=v flag value at its first '='. The value may be
// empty; the name may not.
func splitKV(flagName, s string) (k, v string, err error) {
	k, v, ok := strings.Cut(s, "=")
	if !ok || strings.TrimSpace(k) == "" {
		return "", "", usageErrorf("write it as --"+flagName+" name=value, such as --"+flagName+" "+kvExample[flagName],
			"--%s %q is not name=value", flagName, s)
	}
	return strings.TrimSpace(k), v, nil
}

var kvExample = map[string]string{"metadata": "owner=alice", "header": "x-amz-acl=private"}

// shellQuote quotes s for a POSIX shell when it has characters the shell
// would interpret: in single quotes, each single quote written as '\”.
func shellQuote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./:=@%+,", r))
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// parseCommand parses a subcommand's arguments with fs, flags anywhere: on
// -h it prints usage to out and returns errHelp, a flag error becomes a
// usage error naming the command, and set reports the flags given.
func parseCommand(name, usage string, fs *flag.FlagSet, args []string, out io.Writer) (pos []string, set map[string]bool, err error) {
	pos, err = parseArgs(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprint(out, usage)
		return nil, nil, errHelp
	}
	if err != nil {
		return nil, nil, flagError(name, fs, err)
	}
	set = map[string]bool{}
	fs.Visit(func(fl *flag.Flag) { set[fl.Name] = true })
	return pos, set, nil
}

// requestFlags are the flags of a signing command (url, post): its flag
// set, and the validation of what was given into a request R.
type requestFlags[R any] interface {
	flagSet() *flag.FlagSet
	given(set map[string]bool)
	request(pos []string) (R, error)
}

// parseRequest parses a signing command's arguments into f and validates
// them into its request; it loads no configuration.
func parseRequest[R any](name, usage string, f requestFlags[R], args []string, out io.Writer) (R, error) {
	pos, set, err := parseCommand(name, usage, f.flagSet(), args, out)
	if err != nil {
		var zero R
		return zero, err
	}
	f.given(set)
	return f.request(pos)
}
