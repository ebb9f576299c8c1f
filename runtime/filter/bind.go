package filter

// HasParams reports whether e holds a parameter such as @me.
func HasParams(e Expr) bool {
	switch e := e.(type) {
	case *And:
		for _, t := range e.Terms {
			if HasParams(t) {
				return true
			}
		}
	case *Or:
		for _, t := range e.Terms {
			if HasParams(t) {
				return true
			}
		}
	case *Not:
		return HasParams(e.X)
	case *Cmp:
		return e.Value.Kind == KindParam
	case *In:
		for _, v := range e.Values {
			if v.Kind == KindParam {
				return true
			}
		}
	}
	return false
}

// Bind returns e with every @me replaced by the string me, as a checked
// string literal. The nodes that hold no parameter are shared with e,
// which is not modified: a checked rule is bound once per request.
func Bind(e Expr, me string) Expr {
	if !HasParams(e) {
		return e
	}
	switch e := e.(type) {
	case *And:
		out := &And{At: e.At, Terms: make([]Expr, len(e.Terms))}
		for i, t := range e.Terms {
			out.Terms[i] = Bind(t, me)
		}
		return out
	case *Or:
		out := &Or{At: e.At, Terms: make([]Expr, len(e.Terms))}
		for i, t := range e.Terms {
			out.Terms[i] = Bind(t, me)
		}
		return out
	case *Not:
		return &Not{At: e.At, X: Bind(e.X, me)}
	case *Cmp:
		out := *e
		out.Value = bindValue(e.Value, me)
		return &out
	case *In:
		out := *e
		out.Values = make([]Value, len(e.Values))
		for i, v := range e.Values {
			out.Values[i] = bindValue(v, me)
		}
		return &out
	}
	return e
}

// bindValue replaces a parameter with me.
func bindValue(v Value, me string) Value {
	if v.Kind != KindParam {
		return v
	}
	return Value{At: v.At, Kind: KindString, Raw: quote(me), Str: me}
}

// Conjoin returns the conjunction of a and b, either of which may be nil
// (no condition). Neither is modified.
func Conjoin(a, b Expr) Expr {
	switch {
	case a == nil:
		return b
	case b == nil:
		return a
	}
	terms := make([]Expr, 0, 2)
	for _, e := range []Expr{a, b} {
		if and, ok := e.(*And); ok {
			terms = append(terms, and.Terms...)
		} else {
			terms = append(terms, e)
		}
	}
	return &And{At: a.Pos(), Terms: terms}
}
