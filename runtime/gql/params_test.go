package gql

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"

	"github.com/99designs/gqlgen/graphql"
)

// paramBodies are POST bodies of every shape readParams takes, and of
// shapes it leaves to encoding/json.
var paramBodies = []string{
	`{"query":"{ items { nodes { id } } }"}`,
	`{"query":"query($c: ItemCategory!) { items(filter: {category: {eq: $c}}) { nodes { id } } }","variables":{"c":"GAMMA"}}`,
	` { "query" : "q" , "operationName" : "Op" , "variables" : { "a" : true , "b" : false , "c" : null , "d" : "x" } , "extensions" : {} } `,
	`{"query":"q","variables":{"a":"1","a":"2"}}`,
	`{"query":"q \"quoted\" \\ \n \u00e9 \ud83d\ude00 é"}`,
	`{"query":"q","variables":{"k\u00e9y":"v\t"}}`,
	`{"query":"q"} trailing`,
	`{}`,
	// encoding/json's cases.
	`{"query":"q","variables":{"n":1,"f":1.5,"o":{"a":[1,2]}}}`,
	`{"query":"q","variables":null}`,
	`{"query":null}`,
	`{"Query":"q"}`,
	`{"query":"a","query":"b"}`,
	`{"query":"q","variables":{"a":"1"},"variables":{"b":"2"}}`,
	`{"query":"q","other":1}`,
	`{"query":"bad \x01 control"}`,
	`{"query":"q" "operationName":"x"}`,
	`{"query":"q",}`,
	`{"query":"q","variables":{"a":tru}}`,
	`{"query":"q","variables":{"a":truex}}`,
	`{"query":"\x"}`,
	`{"query":"invalid utf-8 ` + "\xff" + `"}`,
	`{"query":"q"`,
	`[]`,
	``,
	`null`,
}

// TestDecodeParams checks decodeParams against encoding/json, as
// gqlgen's POST transport decodes: the same parameters, and an error for
// the same bodies.
func TestDecodeParams(t *testing.T) {
	for _, body := range paramBodies {
		checkDecodeParams(t, []byte(body))
	}
	// The usual bodies take the reader, not encoding/json.
	for _, body := range paramBodies[:8] {
		if !readParams([]byte(body), &graphql.RawParams{}) {
			t.Errorf("readParams declined %s", body)
		}
	}
}

func FuzzDecodeParams(f *testing.F) {
	for _, body := range paramBodies {
		f.Add([]byte(body))
	}
	f.Fuzz(func(t *testing.T, body []byte) { checkDecodeParams(t, body) })
}

func checkDecodeParams(t *testing.T, body []byte) {
	t.Helper()
	var want graphql.RawParams
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	wantErr := dec.Decode(&want)
	var got graphql.RawParams
	gotErr := decodeParams(body, &got)
	if (gotErr != nil) != (wantErr != nil) {
		t.Fatalf("%q: error %v, encoding/json's %v", body, gotErr, wantErr)
	}
	if wantErr != nil {
		if gotErr.Error() != wantErr.Error() {
			t.Fatalf("%q: error %q, encoding/json's %q", body, gotErr, wantErr)
		}
		return
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%q: %#v, encoding/json's %#v", body, got, want)
	}
}
