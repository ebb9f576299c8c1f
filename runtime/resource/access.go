package resource

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/specstar-go/specstar/runtime/filter"
)

// The permission rules of a kind (Kind.Access) are enforced here, once,
// for every transport: a call first asks authorize for the caller's view
// of the kind under the rule of its action, then
//
//   - lists and counts add the view's row condition to the store query,
//     so that pages, totals and cursors cover exactly the readable rows;
//   - reads of one resource (and of its history, referrers, expanded
//     targets and change events) evaluate the condition on the record, and
//     a row outside it is a 404, as if it did not exist;
//   - writes evaluate the condition of their action on the current record
//     and on the record they would store, and refuse with 403;
//   - fields whose read rule the caller fails are removed from every
//     envelope, revision and diff, and are unknown to filters, sorts,
//     fields= and expand=; fields whose write rule the caller fails may
//     not change.
//
// Calls made inside a hook's transaction, and callers holding the admin
// role, are not restricted.

// compiledAccess is the compiled Access of one kind.
type compiledAccess struct {
	rules  map[Action]*compiledRule // by rule action (Action.Rule)
	fields []compiledField
}

// compiledField is the compiled field-level rules of one field; a nil
// rule does not restrict.
type compiledField struct {
	name        string
	read, write *compiledRule
	def         []byte
}

// compiledRule is a checked rule, ready to grant.
type compiledRule struct {
	src           string
	public        bool
	authenticated bool
	owner         bool
	roles         []string
	where         []whereAtom
}

// whereAtom is a checked where() condition.
type whereAtom struct {
	cond filter.Expr
	me   bool // holds @me, so grants nothing to anonymous callers
}

// ruleActions are the actions a spec's permissions name.
var ruleActions = []Action{ActionRead, ActionList, ActionCreate, ActionUpdate, ActionSwitch, ActionDelete, ActionRestore, ActionPurge}

// ruleSource returns the rule of action a in acc, with the defaults of
// Access.Rules.
func ruleSource(acc *Access, a Action) string {
	if src, ok := acc.Rules[a]; ok {
		return src
	}
	switch a {
	case ActionList:
		return ruleSource(acc, ActionRead)
	case ActionSwitch:
		return ruleSource(acc, ActionUpdate)
	case ActionRestore:
		return ruleSource(acc, ActionDelete)
	case ActionPurge:
		return "role:" + RoleAdmin
	}
	return "authenticated"
}

// ownerCond is the row condition of the owner atom.
var ownerCond = func() filter.Expr {
	e, err := filter.Parse(FieldCreatedBy + " = @me")
	if err == nil {
		err = filter.CheckRule(e, metaFields)
	}
	if err != nil {
		panic(err)
	}
	return e
}()

// compileAccess compiles the rules of k. Generated kinds hold rules the
// generator checked, so an error here is a bug of the code that built k.
func compileAccess(k *Kind) (*compiledAccess, error) {
	acc := k.Access
	ca := &compiledAccess{rules: make(map[Action]*compiledRule, len(ruleActions))}
	fields := FilterFields(k)
	for a := range acc.Rules {
		if a.Rule() != a || !isRuleAction(a) {
			return nil, fmt.Errorf("resource: %s: permissions name the action %q; rules are for read, list, create, update, switch, delete, restore and purge", k.Name, a)
		}
	}
	for _, a := range ruleActions {
		r, err := compileRule(ruleSource(acc, a), fields)
		if err != nil {
			return nil, fmt.Errorf("resource: %s: %s rule: %w", k.Name, a, err)
		}
		ca.rules[a] = r
	}
	for _, fa := range acc.Fields {
		cf := compiledField{name: fa.Field, def: fa.Default}
		for _, side := range []struct {
			src string
			out **compiledRule
		}{{fa.Read, &cf.read}, {fa.Write, &cf.write}} {
			if side.src == "" {
				continue
			}
			r, err := compileRule(side.src, nil)
			if err != nil {
				return nil, fmt.Errorf("resource: %s: rule of field %s: %w", k.Name, fa.Field, err)
			}
			if r.owner || len(r.where) > 0 {
				return nil, fmt.Errorf("resource: %s: rule of field %s: field rules take public, authenticated and role:NAME only", k.Name, fa.Field)
			}
			*side.out = r
		}
		ca.fields = append(ca.fields, cf)
	}
	if len(ca.fields) > 64 {
		return nil, fmt.Errorf("resource: %s: more than 64 fields have field rules", k.Name)
	}
	return ca, nil
}

// isRuleAction reports whether a is one of ruleActions.
func isRuleAction(a Action) bool {
	for _, r := range ruleActions {
		if r == a {
			return true
		}
	}
	return false
}

// compileRule parses and checks a rule. Roles are not checked: the
// generator checked them against the spec's roles.
func compileRule(src string, fields []filter.FieldInfo) (*compiledRule, error) {
	r, err := ParseRule(src)
	if err != nil {
		return nil, err
	}
	cr := &compiledRule{src: src}
	for _, a := range r.Atoms {
		switch a.Kind {
		case AtomPublic:
			cr.public = true
		case AtomAuthenticated:
			cr.authenticated = true
		case AtomOwner:
			cr.owner = true
		case AtomRole:
			cr.roles = append(cr.roles, a.Role)
		case AtomWhere:
			if err := filter.CheckRule(a.Where, fields); err != nil {
				return nil, &RuleError{Pos: a.WherePos, Msg: err.Error()}
			}
			cr.where = append(cr.where, whereAtom{cond: a.Where, me: filter.HasParams(a.Where)})
		}
	}
	return cr, nil
}

// grant returns the rows r grants p: every row (cond nil), the rows
// matching cond, or none (ok false).
func (r *compiledRule) grant(p *Principal) (cond filter.Expr, ok bool) {
	anon := p.IsAnonymous()
	if r.public || (r.authenticated && !anon) || p.HasRole(RoleAdmin) {
		return nil, true
	}
	for _, role := range r.roles {
		if p.HasRole(role) {
			return nil, true
		}
	}
	var conds []filter.Expr
	if r.owner && !anon {
		conds = append(conds, filter.Bind(ownerCond, p.ID))
	}
	for _, w := range r.where {
		if w.me && anon {
			continue
		}
		if w.me {
			conds = append(conds, filter.Bind(w.cond, p.ID))
		} else {
			conds = append(conds, w.cond)
		}
	}
	switch len(conds) {
	case 0:
		return nil, false
	case 1:
		return conds[0], true
	}
	return &filter.Or{At: 1, Terms: conds}, true
}

// passes reports whether r grants p everything (field rules have no row
// conditions).
func (r *compiledRule) passes(p *Principal) bool {
	if r == nil {
		return true
	}
	cond, ok := r.grant(p)
	return ok && cond == nil
}

// view is what one call may see and do on one kind: the row condition of
// its action and the fields hidden from its caller.
type view struct {
	p      *Principal
	access *compiledAccess
	// cond is the row condition of the call's action; nil: every row.
	cond filter.Expr
	// hidden has bit i set when the caller fails the read rule of
	// access.fields[i], readOnly when it fails the write rule.
	hidden, readOnly uint64
}

// open is the view of a caller without restrictions.
var open = &view{}

// errNoGrant is authorize's refusal of an authenticated caller that the
// rule grants no row: reads of one resource answer it with a 404, other
// calls with a 403.
var errNoGrant = errors.New("resource: no grant")

// authorize returns the caller's view of k for action a: it asks the
// authorizers, then applies k's rule for a.Rule(). An anonymous caller
// the rule grants nothing gets a 401; an authenticated one errNoGrant,
// which the caller turns into a 404 or 403 (denied).
func (s *Service) authorize(ctx context.Context, k *Kind, a Action) (*view, error) {
	if s.joined(ctx) != nil {
		return open, nil
	}
	for _, az := range s.authorizers {
		if err := az(ctx, k, a); err != nil {
			return nil, err
		}
	}
	return s.rules(ctx, k, a)
}

// rules is authorize without the authorizers, for the second view a
// write needs (the read rule of the row it changes).
func (s *Service) rules(ctx context.Context, k *Kind, a Action) (*view, error) {
	if s.joined(ctx) != nil {
		return open, nil
	}
	ca := s.access[k]
	if ca == nil {
		return open, nil
	}
	p := PrincipalFrom(ctx)
	if p.HasRole(RoleAdmin) {
		return open, nil
	}
	cond, ok := ca.rules[a.Rule()].grant(p)
	if !ok {
		if p.IsAnonymous() {
			return nil, Errorf(CodeUnauthenticated, "sign in to %s %s", describeAction(a), plural(k))
		}
		return nil, errNoGrant
	}
	var hidden, readOnly uint64
	for i := range ca.fields {
		if !ca.fields[i].read.passes(p) {
			hidden |= 1 << i
		}
		if !ca.fields[i].write.passes(p) {
			readOnly |= 1 << i
		}
	}
	if cond == nil && hidden == 0 && readOnly == 0 {
		return open, nil // nothing to apply
	}
	return &view{p: p, access: ca, cond: cond, hidden: hidden, readOnly: readOnly}, nil
}

// denied turns errNoGrant into the 403 of action a on k.
func denied(err error, k *Kind, a Action) error {
	if err == errNoGrant {
		return Errorf(CodeForbidden, "you may not %s %s", describeAction(a), plural(k))
	}
	return err
}

// hiddenAs404 turns errNoGrant into the 404 of resource id.
func hiddenAs404(err error, k *Kind, id string) error {
	if err == errNoGrant {
		return notFound(k, id)
	}
	return err
}

// describeAction names an action in messages: "update".
func describeAction(a Action) string {
	switch a {
	case ActionList, ActionCount:
		return "list"
	case ActionRevisions, ActionRevision, ActionDiff:
		return "read the history of"
	case ActionReferrers, ActionSubscribe:
		return "read"
	case ActionPatch:
		return "update"
	}
	return string(a)
}

// plural names the resources of a kind in messages: "blog posts".
func plural(k *Kind) string {
	n := noun(k)
	if k.Path != "" {
		n = strings.ReplaceAll(k.Path, "-", " ")
	}
	return n
}

// restricted reports whether v applies anything.
func (v *view) restricted() bool { return v.access != nil }

// admits reports whether rec is among the rows of v.
func (v *view) admits(rec *Record) bool {
	return v.cond == nil || Eval(v.cond, recordValues{rec}) == True
}

// recordValues reads the fields of a record for Eval.
type recordValues struct{ rec *Record }

// Value implements Valuer.
func (r recordValues) Value(f filter.FieldInfo) any { return FieldValue(r.rec, f) }

// hiddenNames returns the names of the fields v hides.
func (v *view) hiddenNames() []string {
	if v.hidden == 0 {
		return nil
	}
	var out []string
	for i, f := range v.access.fields {
		if v.hidden&(1<<i) != 0 {
			out = append(out, f.name)
		}
	}
	return out
}

// isHidden reports whether v hides the data field name.
func (v *view) isHidden(name string) bool {
	if v.hidden == 0 {
		return false
	}
	for i, f := range v.access.fields {
		if v.hidden&(1<<i) != 0 && f.name == name {
			return true
		}
	}
	return false
}

// strip removes the hidden fields from env's data (env is the caller's
// copy).
func (v *view) strip(env *Envelope) error {
	if v.hidden == 0 || env == nil {
		return nil
	}
	data, err := omit(env.Data, v.hiddenNames())
	if err != nil {
		return err
	}
	env.Data = data
	return nil
}

// omit returns the data object without the members named in drop.
func omit(data json.RawMessage, drop []string) (json.RawMessage, error) {
	if len(drop) == 0 || len(data) == 0 || data[0] != '{' {
		return data, nil
	}
	out := make([]byte, 0, len(data))
	out = append(out, '{')
	err := eachMember(data, func(key string, raw []byte) {
		for _, d := range drop {
			if d == key {
				return
			}
		}
		if len(out) > 1 {
			out = append(out, ',')
		}
		k, _ := json.Marshal(key)
		out = append(out, k...)
		out = append(out, ':')
		out = append(out, raw...)
	})
	if err != nil {
		return nil, err
	}
	return append(out, '}'), nil
}

// checkFieldWrites applies the field-level rules to a write of data over
// current (nil on create) and returns the data to store.
//
//   - On create, a field the caller may not write must be empty or hold
//     its default.
//   - On update (carry), a field the caller cannot read or may not write
//     that arrives empty or at its default keeps its stored value: the
//     caller left it out (typed decoding fills in the default), or cannot
//     know it. Any other value of a field the caller may not write is a
//     403, and for a field the caller cannot read even the stored value
//     is: accepting it would confirm a guess.
//   - On switch (no carry), a field the caller may not write must not
//     change between the current revision and the target.
func (v *view) checkFieldWrites(k *Kind, current, data json.RawMessage, carry bool) (json.RawMessage, error) {
	if v.hidden == 0 && v.readOnly == 0 {
		return data, nil
	}
	for i := range v.access.fields {
		f := &v.access.fields[i]
		hidden, readOnly := v.hidden&(1<<i) != 0, v.readOnly&(1<<i) != 0
		if !hidden && !readOnly {
			continue
		}
		got, _, err := Lookup(data, f.name)
		if err != nil {
			return nil, backendErr("write", err)
		}
		left := isEmpty(got) || f.def != nil && jsonEqual(got, f.def)
		var was []byte
		if current != nil {
			if was, _, err = Lookup(current, f.name); err != nil {
				return nil, backendErr("write", err)
			}
		}
		var ok bool
		switch {
		case current == nil:
			ok = !readOnly || left
		case carry && left:
			if data, err = setMember(data, f.name, was); err != nil {
				return nil, backendErr("write", err)
			}
			ok = true
		case carry:
			ok = !readOnly || !hidden && jsonEqual(got, was)
		default:
			ok = !readOnly || jsonEqual(got, was) || isEmpty(got) && isEmpty(was)
		}
		if !ok {
			return nil, &Error{
				Code:   CodeForbidden,
				Detail: fmt.Sprintf("you may not change the field %s of %s", f.name, plural(k)),
				Fields: []FieldError{{Field: f.name, Message: "you may not change this field"}},
			}
		}
	}
	return data, nil
}

// isEmpty reports whether a member's value is absent or null.
func isEmpty(raw []byte) bool { return len(raw) == 0 || string(raw) == "null" }

// guard is what a write to an existing resource checks: the caller must
// see the row (read rule, else 404) and hold the rule of the action on
// it (else 403), before and after the change.
type guard struct {
	read, act *view
	k         *Kind
	a         Action
}

// guard returns the guard of action a on k for the caller of ctx; the
// authorizers are asked once, with a.
func (s *Service) guard(ctx context.Context, k *Kind, a Action) (*guard, error) {
	act, err := s.authorize(ctx, k, a)
	if err != nil {
		return nil, denied(err, k, a)
	}
	g := &guard{read: open, act: act, k: k, a: a}
	if s.access[k] != nil {
		if g.read, err = s.rules(ctx, k, ActionRead); err == errNoGrant {
			g.read = nil // no row is readable
		} else if err != nil {
			return nil, err
		}
	}
	return g, nil
}

// current checks the resource as stored.
func (g *guard) current(rec *Record) error {
	if g.read == nil || !g.read.admits(rec) {
		return notFound(g.k, rec.Meta.ResourceID)
	}
	if !g.act.admits(rec) {
		return Errorf(CodeForbidden, "you may not %s this %s", describeAction(g.a), noun(g.k))
	}
	return nil
}

// result checks the resource as the write would store it.
func (g *guard) result(rec *Record) error {
	if !g.act.admits(rec) {
		return Errorf(CodeForbidden, "you may not %s %s: the result would be outside the %s you may %s",
			describeAction(g.a), plural(g.k), plural(g.k), describeAction(g.a))
	}
	return nil
}

// visible returns data without the fields hidden from the caller: what
// a patch of the caller applies to.
func (g *guard) visible(data json.RawMessage) (json.RawMessage, error) {
	if g.act.hidden == 0 {
		return data, nil
	}
	return omit(data, g.act.hiddenNames())
}

// jsonEqual reports whether two JSON values are equal as values.
func jsonEqual(a, b []byte) bool {
	if bytes.Equal(a, b) {
		return true
	}
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	xa, _ := json.Marshal(x)
	ya, _ := json.Marshal(y)
	return bytes.Equal(xa, ya)
}

// setMember returns the data object with member key set to raw (removed
// when raw is empty).
func setMember(data json.RawMessage, key string, raw []byte) (json.RawMessage, error) {
	out, err := omit(data, []string{key})
	if err != nil || len(raw) == 0 {
		return out, err
	}
	k, _ := json.Marshal(key)
	buf := make([]byte, 0, len(out)+len(k)+len(raw)+2)
	buf = append(buf, out[:len(out)-1]...)
	if len(out) > 2 {
		buf = append(buf, ',')
	}
	buf = append(buf, k...)
	buf = append(buf, ':')
	buf = append(buf, raw...)
	return append(buf, '}'), nil
}

// Visible returns env as the caller of ctx may see it, for transports
// that deliver resources the Service did not read for the call (GraphQL
// subscriptions): nil, false when the caller may not read it, else a
// copy without the fields hidden from the caller. A nil env (the change
// of a purge) is visible only to callers who may read every row.
func (s *Service) Visible(ctx context.Context, k *Kind, env *Envelope) (*Envelope, bool) {
	v, err := s.authorize(ctx, k, ActionSubscribe)
	switch {
	case err != nil:
		return nil, false
	case env == nil:
		return nil, v.cond == nil
	}
	if !v.restricted() {
		return env, true
	}
	rec := &Record{Meta: env.Meta, Current: env.RevisionInfo, Data: env.Data}
	if !v.admits(rec) {
		return nil, false
	}
	out := *env
	if err := v.strip(&out); err != nil {
		return nil, false
	}
	return &out, true
}
