package auth

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/specstar-go/specstar/runtime/resource"
)

// Exit codes of UsersCommand.
const (
	cliOK      = 0
	cliFailure = 1
	cliUsage   = 2
)

// usersUsage is the help of the users command.
const usersUsage = `usage:
  users create EMAIL --role ROLE [--role ROLE ...] [--name NAME]
  users set-password EMAIL
  users list

create and set-password read the password from standard input: one line
(at least 8 bytes). set-password ends every session and token of the user.
`

// usageError is a mistake in the command line.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

// UsersCommand runs the users subcommand of a generated server binary
// (args follow "users"), with the Auth started on the server's
// Service. It returns the exit code: 0, 1 on failure, 2 on a usage
// mistake (with the usage on stderr).
func (a *Auth) UsersCommand(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	err := a.usersCommand(ctx, args, stdin, stdout)
	var ue *usageError
	switch {
	case err == nil:
		return cliOK
	case errors.Is(err, flag.ErrHelp):
		fmt.Fprint(stderr, usersUsage)
		return cliOK
	case errors.As(err, &ue):
		fmt.Fprintf(stderr, "error: %s\n\n%s", ue.msg, usersUsage)
		return cliUsage
	}
	fmt.Fprintf(stderr, "error: %s\n", cliMessage(err))
	return cliFailure
}

// cliMessage is the message of a failure: the detail and field errors of
// a *resource.Error, else the error.
func cliMessage(err error) string {
	var re *resource.Error
	if !errors.As(err, &re) {
		return err.Error()
	}
	msg := re.Detail
	for _, f := range re.Fields {
		if !strings.Contains(msg, f.Message) {
			msg += "; " + f.Field + " " + f.Message
		}
	}
	return msg
}

func (a *Auth) usersCommand(ctx context.Context, args []string, stdin io.Reader, stdout io.Writer) error {
	if len(args) == 0 {
		return &usageError{"users needs a subcommand: create, set-password or list"}
	}
	if _, err := a.service(); err != nil {
		return err
	}
	ctx = sys(ctx)
	switch cmd, rest := args[0], args[1:]; cmd {
	case "create":
		return a.cliCreate(ctx, rest, stdin, stdout)
	case "set-password":
		return a.cliSetPassword(ctx, rest, stdin, stdout)
	case "list":
		if len(rest) > 0 {
			return &usageError{"users list takes no arguments"}
		}
		return a.cliList(ctx, stdout)
	case "-h", "-help", "--help", "help":
		return flag.ErrHelp
	default:
		return &usageError{fmt.Sprintf("unknown users subcommand %q", cmd)}
	}
}

// rolesFlag collects repeated --role flags.
type rolesFlag []string

func (r *rolesFlag) String() string     { return strings.Join(*r, ",") }
func (r *rolesFlag) Set(s string) error { *r = append(*r, s); return nil }

// parseArgs parses flags and positional arguments in any order.
func parseArgs(fs *flag.FlagSet, args []string) ([]string, error) {
	fs.SetOutput(io.Discard)
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, &usageError{err.Error()}
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

func (a *Auth) cliCreate(ctx context.Context, args []string, stdin io.Reader, stdout io.Writer) error {
	fs := flag.NewFlagSet("users create", flag.ContinueOnError)
	var roles rolesFlag
	fs.Var(&roles, "role", "a role of the user (repeat for several)")
	name := fs.String("name", "", "the user's name")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return &usageError{"users create takes one EMAIL"}
	}
	if len(roles) == 0 {
		return &usageError{"users create needs at least one --role (one of " + strings.Join(a.roles, ", ") + ")"}
	}
	for _, r := range roles {
		if !slices.Contains(a.roles, r) {
			return &usageError{fmt.Sprintf("unknown role %q (the spec's roles: %s)", r, strings.Join(a.roles, ", "))}
		}
	}
	email := pos[0]
	if !strings.Contains(email, "@") {
		return &usageError{fmt.Sprintf("%q is not an email address", email)}
	}
	password, err := readPassword(stdin)
	if err != nil {
		return err
	}
	data, err := json.Marshal(map[string]any{
		"email": email, "name": *name, "roles": slices.Compact(slices.Sorted(slices.Values(roles))),
		"disabled": false, passwordKey: password,
	})
	if err != nil {
		return err
	}
	svc, err := a.service()
	if err != nil {
		return err
	}
	env, err := svc.Create(ctx, a.kinds.user, data, resource.WriteOptions{})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "created user %s (%s)\n", env.Meta.ResourceID, email)
	return nil
}

func (a *Auth) cliSetPassword(ctx context.Context, args []string, stdin io.Reader, stdout io.Writer) error {
	fs := flag.NewFlagSet("users set-password", flag.ContinueOnError)
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return &usageError{"users set-password takes one EMAIL"}
	}
	acc, err := a.findAccount(ctx, pos[0])
	if err != nil {
		return err
	}
	if acc == nil {
		return fmt.Errorf("no user has the email %s", pos[0])
	}
	password, err := readPassword(stdin)
	if err != nil {
		return err
	}
	svc, err := a.service()
	if err != nil {
		return err
	}
	pw, err := json.Marshal(password)
	if err != nil {
		return err
	}
	_, err = svc.Patch(ctx, a.kinds.user, acc.id, func(cur json.RawMessage) (json.RawMessage, error) {
		return withMember(cur, passwordKey, pw)
	}, resource.WriteOptions{})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "set the password of user %s (%s); their sessions and tokens are revoked\n", acc.id, acc.user.Email)
	return nil
}

// withMember returns the JSON object data with member key set to value
// (the other members keep their order; key goes last).
func withMember(data json.RawMessage, key string, value json.RawMessage) (json.RawMessage, error) {
	stripped, _, _, _ := stripKey(data, key)
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(stripped, &obj); err != nil {
		return nil, err
	}
	body := bytes.TrimSpace(stripped)
	out := bytes.TrimRight(slices.Clone(body[:len(body)-1]), " \t\r\n") // without its "}"
	if len(obj) > 0 {
		out = append(out, ',')
	}
	k, _ := json.Marshal(key)
	out = append(out, k...)
	out = append(out, ':')
	out = append(out, value...)
	return append(out, '}'), nil
}

func (a *Auth) cliList(ctx context.Context, stdout io.Writer) error {
	envs, err := a.listAll(ctx, a.kinds.user, "")
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tEMAIL\tNAME\tROLES\tDISABLED")
	for _, env := range envs {
		var d userData
		if err := json.Unmarshal(env.Data, &d); err != nil {
			return err
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%t\n", env.Meta.ResourceID, d.Email, d.Name, strings.Join(d.Roles, ","), d.Disabled)
	}
	return tw.Flush()
}

// readPassword reads one line from r (without its line ending) and
// checks it as a password.
func readPassword(r io.Reader) (string, error) {
	if r == nil {
		return "", errors.New("the password is read from standard input, which is missing")
	}
	br := bufio.NewReaderSize(r, MaxPasswordLen+2)
	line, err := br.ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("reading the password from standard input: %w", err)
	}
	line = strings.TrimSuffix(strings.TrimSuffix(line, "\n"), "\r")
	if line == "" {
		return "", errors.New("no password on standard input: write it as one line, e.g. `read -rs PW && printf '%s\\n' \"$PW\" | ... users create ...`")
	}
	if err := checkPassword("password", line); err != nil {
		return "", errors.New("the password " + strings.TrimPrefix(cliMessage(err), "password "))
	}
	return line, nil
}
