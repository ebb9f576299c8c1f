package gogen

import (
	"fmt"
	"go/format"

	"github.com/dave/jennifer/jen"

	"github.com/specstar-go/specstar/generator/gen"
	"github.com/specstar-go/specstar/generator/model"
)

// upgradeDataFunc is the generated function the Kind of r calls to
// upgrade data of an older schema version: "upgradePostData".
func upgradeDataFunc(r *model.Resource) string { return r.UpgradeFunc() + "Data" }

// emitUpgrade emits, for a resource whose schema_version is above 1, the
// function its Kind.Upgrade calls:
//
//	func upgradePostData(old *resource.OldData) (json.RawMessage, error) {
//		var p Post
//		if err := old.DecodeShaped(&p); err != nil {
//			return nil, err
//		}
//		if err := upgradePost(old, &p); err != nil {
//			return nil, err
//		}
//		p.prepare()
//		return json.Marshal(&p)
//	}
func emitUpgrade(f *jen.File, r *model.Resource) {
	if r.SchemaVersion <= 1 {
		return
	}
	v := r.Receiver
	f.Commentf("%s brings the stored data of a %s written under an older schema_version", upgradeDataFunc(r), r.GoName)
	f.Commentf("to version %d: the fields that kept their name and type carry over, %s", r.SchemaVersion, r.UpgradeFunc())
	f.Commentf("(yours, in %s) sets the others, and the result is encoded as a write", r.UpgradeFile())
	f.Comment("encodes it (defaults filled in), without validation: data stored under")
	f.Comment("older rules stays readable.")
	f.Func().Id(upgradeDataFunc(r)).Params(jen.Id("old").Op("*").Qual(pkgResource, "OldData")).Params(jen.Qual("encoding/json", "RawMessage"), jen.Error()).Block(
		jen.Var().Id(v).Id(r.GoName),
		jen.If(jen.Err().Op(":=").Id("old").Dot("DecodeShaped").Call(jen.Op("&").Id(v)), jen.Err().Op("!=").Nil()).Block(
			jen.Return(jen.Nil(), jen.Err()),
		),
		jen.If(jen.Err().Op(":=").Id(r.UpgradeFunc()).Call(jen.Id("old"), jen.Op("&").Id(v)), jen.Err().Op("!=").Nil()).Block(
			jen.Return(jen.Nil(), jen.Err()),
		),
		jen.Id(v).Dot("prepare").Call(),
		jen.Return(jen.Qual("encoding/json", "Marshal").Call(jen.Op("&").Id(v))),
	)
	f.Line()
}

// upgradeScaffolds returns the user's upgrade file of every resource whose
// schema_version is above 1 (written once, when absent).
func upgradeScaffolds(m *model.Model) ([]*gen.File, error) {
	var out []*gen.File
	for _, r := range m.APIResources() {
		if r.SchemaVersion <= 1 {
			continue
		}
		src, err := UpgradeScaffold(m.Package, r)
		if err != nil {
			return nil, fmt.Errorf("gen: %s: %w", r.UpgradeFile(), err)
		}
		out = append(out, &gen.File{Path: r.UpgradeFile(), Content: src, Scaffold: true})
	}
	return out, nil
}

// UpgradeScaffold returns the user's file that upgrades the data of r
// written under an older schema_version (docs/migrations.md, "Versioned
// data migrations").
func UpgradeScaffold(pkg string, r *model.Resource) ([]byte, error) {
	cases := ""
	for v := 1; v < r.SchemaVersion; v++ {
		cases += fmt.Sprintf("\tcase %d:\n\t\t// Data of schema_version %d: set the fields of %s that it lacks.\n", v, v, r.GoName)
	}
	return format.Source(fmt.Appendf(nil, `package %[1]s

import "github.com/specstar-go/specstar/runtime/resource"

// This file is yours: specstar gen wrote it once, because %[2]s's schema_version
// went above 1, and never changes it. When you raise schema_version again, add
// a case for the version before.

// %[3]s brings a %[2]s written under an older schema_version (old.Version) to
// the current one, %[4]d. p already holds every field whose name and type did not
// change; set the others from the stored data, which old.Get reads by JSON
// path, for example:
//
//	var name string
//	if ok, err := old.Get("name", &name); err != nil {
//		return err
//	} else if ok {
//		p.First, p.Last, _ = strings.Cut(name, " ")
//	}
//
// It runs for every stored %[2]s when the server starts (or runs its migrate
// subcommand), and for every older revision when it is read; the stored bytes
// of revisions never change. An error stops the start, naming the record.
func %[3]s(old *resource.OldData, p *%[2]s) error {
	switch old.Version {
%[5]s	}
	return nil
}
`, pkg, r.GoName, r.UpgradeFunc(), r.SchemaVersion, cases))
}
