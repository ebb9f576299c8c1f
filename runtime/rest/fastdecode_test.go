package rest

import (
	"reflect"
	"testing"

	"github.com/specstar-go/specstar/runtime/validate"
)

// decodeSlow is Decode without its fast path.
func decodeSlow(data []byte, v any, required ...string) error {
	return decodeChecked(data, v, required)
}

// fastDecodeSeeds are bodies for testPost that the fast path must get
// right: valid ones it should take, and ones the slow path refuses, which
// it must leave alone.
var fastDecodeSeeds = []string{
	`{"title":"x","views":3}`,
	`{"title":"x","views":-3,"score":1.5e3,"published":true,"tags":["a","b"],"author":{"name":"n","email":"e"},` +
		`"authors":[{"name":"a"},{"name":"b"}],"meta":{"k":1},"extra":{"Any":[1,{"X":2}]},"raw":{"Title":1},` +
		`"when":"2024-01-02T03:04:05Z","count":7,"quoted":"12","blob":"aGk=","amount":"1.5","note":"n"}`,
	`{"Title":"x"}`,
	`{"title":"x","author":{"Name":"n"}}`,
	`{"title":"x","authors":[{"name":"a","NAME":"b"}]}`,
	`{"title":"x","blob":[1]}`,
	`{"t\u0069tle":"x"}`,
	`{"title":"x","title":null}`,
	`{"title":null,"title":"x"}`,
	`{"title":"x","resource_id":"a"}`,
	`{"title":"x"} {}`,
	`null`,
	`[]`,
	`{"title":"x","quoted":12}`,
	`{"title":"x","when":"2024-01-02"}`,
	`{"title":"x","meta":{"K":1}}`,
	`{"title":"x","count":300}`,
	`{"title":"x","views":1.0}`,
	`{"title":"\u00e9\"x\\","extra":"\\u"}`,
	`{"title":"x","note":"y","testEmbedded":{}}`,
	`  {"title" : "x" , "views" : 3 }  `,
	// Text the slow path refuses: not Unicode (400) or holding U+0000 (422),
	// in values and keys, at any depth, in free-form values too.
	"{\"title\":\"A\xff\xfeB\"}",
	"{\"title\":\"\xc0\xaf\"}",
	`{"title":"\ud800"}`,
	`{"title":"\udc00"}`,
	`{"title":"\ud800\u0041"}`,
	`{"title":"x","tags":["a","b","\udc00"]}`,
	`{"title":"x","author":{"name":"\ud800\ud800"}}`,
	`{"title":"x","extra":{"k":"\u0000"}}`,
	`{"title":"x","raw":["\u0000"]}`,
	`{"title":"a\u0000b"}`,
	`{"title":"x","meta":{"\u0000":1}}`,
	"{\"title\":\"x\",\"meta\":{\"k\xff\":1}}",
	// Text both paths accept.
	`{"title":"\ud83d\ude00","note":"\\u0000\\ud800"}`,
	`{"title":"é😀\ufffd"}`,
}

// checkFastDecode checks that whenever the fast path accepts a body, the
// slow path accepts it too and decodes the same value, and that Decode
// accepts no body holding text it would not store as sent.
func checkFastDecode(t *testing.T, body string, required ...string) {
	var v testPost
	if err := Decode([]byte(body), &v, required...); err == nil && validate.TextFault([]byte(body)) != validate.FaultNone {
		t.Fatalf("Decode accepted %q, whose text is not Unicode without U+0000", body)
	}
	var fast, slow testPost
	if !decodeValid([]byte(body), &fast, required) {
		return
	}
	if err := decodeSlow([]byte(body), &slow, required...); err != nil {
		t.Fatalf("fast path accepted %s, slow path refused it: %v", body, err)
	}
	if !reflect.DeepEqual(fast, slow) {
		t.Fatalf("%s: fast path decoded %+v, slow path %+v", body, fast, slow)
	}
}

func TestFastDecodeAgreesWithSlow(t *testing.T) {
	taken := 0
	for _, body := range fastDecodeSeeds {
		for _, required := range [][]string{nil, {"title"}, {"views"}} {
			checkFastDecode(t, body, required...)
			var v testPost
			if decodeValid([]byte(body), &v, required) {
				taken++
			}
		}
	}
	if taken == 0 {
		t.Fatal("the fast path took no body")
	}
}

func FuzzFastDecode(f *testing.F) {
	for _, body := range fastDecodeSeeds {
		f.Add(body, true)
	}
	f.Fuzz(func(t *testing.T, body string, requireTitle bool) {
		if requireTitle {
			checkFastDecode(t, body, "title")
		} else {
			checkFastDecode(t, body)
		}
	})
}
