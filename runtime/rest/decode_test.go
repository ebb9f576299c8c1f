package rest

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/specstar-go/specstar/runtime/resource"
)

type testAuthor struct {
	Name  string  `json:"name"`
	Email *string `json:"email,omitempty"`
}

type testEmbedded struct {
	Note string `json:"note"`
}

type testPost struct {
	Title     string          `json:"title"`
	Views     int32           `json:"views"`
	Score     float64         `json:"score"`
	Published bool            `json:"published"`
	Tags      []string        `json:"tags"`
	Author    *testAuthor     `json:"author"`
	Authors   []testAuthor    `json:"authors"`
	Meta      map[string]int  `json:"meta"`
	Extra     any             `json:"extra"`
	Raw       json.RawMessage `json:"raw"`
	When      *time.Time      `json:"when"`
	Count     uint8           `json:"count"`
	Quoted    int             `json:"quoted,string"`
	Blob      []byte          `json:"blob"`
	Skipped   string          `json:"-"`
	Amount    json.Number     `json:"amount"`
	testEmbedded
}

func TestDecodeJSON(t *testing.T) {
	tests := []struct {
		name        string
		contentType string
		body        string
		required    []string
		wantCode    resource.Code // "" for success
		wantFields  []string
		wantDetail  string
	}{
		{name: "valid", contentType: "application/json", body: `{"title":"x","views":3}`},
		{name: "charset utf-8", contentType: "application/json; charset=UTF-8", body: `{"title":"x"}`},
		{name: "every field", contentType: "application/json", body: `{"title":"x","views":-3,"score":1.5e3,"published":true,
			"tags":["a"],"author":{"name":"n","email":null},"authors":[{"name":"m"}],"meta":{"k":1},"extra":[1,{"a":null}],
			"raw":{"any":"thing"},"when":"2024-01-02T03:04:05Z","count":255,"quoted":"12","blob":"aGk=","note":"n"}`,
			required: []string{"title", "author.name", "authors.name"}},
		{name: "json.Number from a number", contentType: "application/json", body: `{"amount":12345678901234567890.5}`},
		{name: "json.Number from a numeric string", contentType: "application/json", body: `{"amount":"-1e3"}`},
		{name: "json.Number from a word", contentType: "application/json", body: `{"amount":"lots"}`,
			wantCode: resource.CodeValidation, wantFields: []string{"amount"}},
		{name: "json.Number from a boolean", contentType: "application/json", body: `{"amount":true}`,
			wantCode: resource.CodeValidation, wantFields: []string{"amount"}},
		{name: "nulls are accepted", contentType: "application/json", body: `{"title":null,"author":null,"tags":null,"views":null}`},

		{name: "no content type", body: `{}`, wantCode: resource.CodeUnsupportedMedia, wantDetail: "Content-Type header is missing"},
		{name: "text plain", contentType: "text/plain", body: `{}`, wantCode: resource.CodeUnsupportedMedia, wantDetail: `"text/plain" is not supported`},
		{name: "merge patch type", contentType: MIMEMergePatch, body: `{}`, wantCode: resource.CodeUnsupportedMedia},
		{name: "bad charset", contentType: "application/json; charset=latin1", body: `{}`, wantCode: resource.CodeUnsupportedMedia, wantDetail: "latin1"},
		{name: "unparsable content type", contentType: "application/json; =", body: `{}`, wantCode: resource.CodeUnsupportedMedia},

		{name: "empty body", contentType: "application/json", body: ``, wantCode: resource.CodeBadRequest, wantDetail: "empty"},
		{name: "blank body", contentType: "application/json", body: " \n\t", wantCode: resource.CodeBadRequest, wantDetail: "empty"},
		{name: "syntax error", contentType: "application/json", body: `{"title":}`, wantCode: resource.CodeBadRequest, wantDetail: "byte offset 10"},
		{name: "truncated", contentType: "application/json", body: `{"title":"x"`, wantCode: resource.CodeBadRequest, wantDetail: "unexpected end of input"},
		{name: "trailing data", contentType: "application/json", body: `{"title":"x"} {}`, wantCode: resource.CodeBadRequest, wantDetail: "unexpected data after"},
		{name: "trailing garbage", contentType: "application/json", body: `{"title":"x"}]`, wantCode: resource.CodeBadRequest, wantDetail: "unexpected data after"},
		{name: "not an object", contentType: "application/json", body: `[{"title":"x"}]`, wantCode: resource.CodeBadRequest, wantDetail: "must be a JSON object, not an array"},

		{name: "invalid utf-8", contentType: "application/json", body: "{\"title\":\"A\xff\xfeB\"}",
			wantCode: resource.CodeBadRequest, wantFields: []string{"title"}, wantDetail: "not valid Unicode"},
		{name: "overlong encoding", contentType: "application/json", body: "{\"title\":\"\xc0\xaf\"}",
			wantCode: resource.CodeBadRequest, wantFields: []string{"title"}},
		{name: "encoded surrogate", contentType: "application/json", body: "{\"title\":\"\xed\xa0\x80\"}",
			wantCode: resource.CodeBadRequest, wantFields: []string{"title"}},
		{name: "lone high surrogate", contentType: "application/json", body: `{"title":"\ud800"}`,
			wantCode: resource.CodeBadRequest, wantFields: []string{"title"}},
		{name: "lone low surrogate", contentType: "application/json", body: `{"title":"x\udc00"}`,
			wantCode: resource.CodeBadRequest, wantFields: []string{"title"}},
		{name: "high surrogate then no low", contentType: "application/json", body: `{"title":"\ud800\u0041"}`,
			wantCode: resource.CodeBadRequest, wantFields: []string{"title"}},
		{name: "surrogate pair", contentType: "application/json", body: `{"title":"\ud83d\ude00"}`},
		{name: "malformed text in nested fields", contentType: "application/json",
			body:     "{\"author\":{\"name\":\"\\ud800\"},\"authors\":[{\"name\":\"a\"},{\"name\":\"\xff\"}],\"tags\":[\"a\",\"b\",\"\\udc00\"]}",
			wantCode: resource.CodeBadRequest, wantFields: []string{"author.name", "authors[1].name", "tags[2]"}},
		{name: "malformed text in free-form values", contentType: "application/json",
			body:     "{\"extra\":{\"k\":[\"\xff\"]},\"raw\":{\"x\":\"\\ud800\"}}",
			wantCode: resource.CodeBadRequest, wantFields: []string{"extra.k[0]", "raw.x"}},
		{name: "malformed key", contentType: "application/json", body: "{\"author\":{\"na\xffme\":\"x\"}}",
			wantCode: resource.CodeBadRequest, wantFields: []string{"author.na\uFFFDme"}},
		{name: "malformed text beats every other mistake", contentType: "application/json",
			body: "{\"title\":\"\\u0000\",\"bogus\":1,\"note\":\"\xff\"}", required: []string{"views"},
			wantCode: resource.CodeBadRequest, wantFields: []string{"note"}},
		{name: "nul", contentType: "application/json", body: `{"title":"a\u0000b"}`,
			wantCode: resource.CodeValidation, wantFields: []string{"title"}},
		{name: "nul in a key", contentType: "application/json", body: `{"extra":{"\u0000":1}}`,
			wantCode: resource.CodeValidation, wantFields: []string{"extra.\x00"}},
		{name: "nul in json.RawMessage", contentType: "application/json", body: `{"raw":["\u0000"]}`,
			wantCode: resource.CodeValidation, wantFields: []string{"raw[0]"}},
		{name: "nul with other mistakes", contentType: "application/json", body: `{"zzz":1,"tags":["\u0000"]}`, required: []string{"title"},
			wantCode: resource.CodeValidation, wantFields: []string{"zzz", "tags[0]", "title"}},
		{name: "escaped backslash before u0000", contentType: "application/json", body: `{"title":"\\u0000"}`},

		{name: "resource_id", contentType: "application/json", body: `{"title":"x","resource_id":"abc"}`,
			wantCode: resource.CodeValidation, wantFields: []string{"resource_id"}},
		{name: "unknown top-level field", contentType: "application/json", body: `{"title":"x","bogus":1}`,
			wantCode: resource.CodeValidation, wantFields: []string{"bogus"}},
		{name: "unknown nested field", contentType: "application/json", body: `{"author":{"name":"a","nick":"b"}}`,
			wantCode: resource.CodeValidation, wantFields: []string{"author.nick"}},
		{name: "unknown field in array element", contentType: "application/json", body: `{"authors":[{"name":"a"},{"nme":"b"}]}`,
			wantCode: resource.CodeValidation, wantFields: []string{"authors[1].nme"}},
		{name: "keys are case-sensitive", contentType: "application/json", body: `{"Title":"x"}`,
			wantCode: resource.CodeValidation, wantFields: []string{"Title"}},
		{name: "ignored field is unknown", contentType: "application/json", body: `{"Skipped":"x"}`,
			wantCode: resource.CodeValidation, wantFields: []string{"Skipped"}},

		{name: "string expected", contentType: "application/json", body: `{"title":5}`,
			wantCode: resource.CodeValidation, wantFields: []string{"title"}},
		{name: "integer expected", contentType: "application/json", body: `{"views":1.5}`,
			wantCode: resource.CodeValidation, wantFields: []string{"views"}},
		{name: "integer out of range", contentType: "application/json", body: `{"views":3000000000}`,
			wantCode: resource.CodeValidation, wantFields: []string{"views"}},
		{name: "negative unsigned", contentType: "application/json", body: `{"count":-1}`,
			wantCode: resource.CodeValidation, wantFields: []string{"count"}},
		{name: "number expected", contentType: "application/json", body: `{"score":"high"}`,
			wantCode: resource.CodeValidation, wantFields: []string{"score"}},
		{name: "boolean expected", contentType: "application/json", body: `{"published":"true"}`,
			wantCode: resource.CodeValidation, wantFields: []string{"published"}},
		{name: "array element type", contentType: "application/json", body: `{"tags":["a",1,true]}`,
			wantCode: resource.CodeValidation, wantFields: []string{"tags[1]", "tags[2]"}},
		{name: "object expected", contentType: "application/json", body: `{"author":"me"}`,
			wantCode: resource.CodeValidation, wantFields: []string{"author"}},
		{name: "array expected", contentType: "application/json", body: `{"tags":"a"}`,
			wantCode: resource.CodeValidation, wantFields: []string{"tags"}},
		{name: "map value type", contentType: "application/json", body: `{"meta":{"a":"b"}}`,
			wantCode: resource.CodeValidation, wantFields: []string{"meta.a"}},
		{name: "bad time", contentType: "application/json", body: `{"when":"yesterday"}`,
			wantCode: resource.CodeValidation, wantFields: []string{"when"}},
		{name: "quoted number must be a string", contentType: "application/json", body: `{"quoted":12}`,
			wantCode: resource.CodeValidation, wantFields: []string{"quoted"}},
		{name: "bytes need a string", contentType: "application/json", body: `{"blob":[1]}`,
			wantCode: resource.CodeValidation, wantFields: []string{"blob"}},

		{name: "required missing", contentType: "application/json", body: `{}`, required: []string{"title", "author.name"},
			wantCode: resource.CodeValidation, wantFields: []string{"title"}},
		{name: "required null", contentType: "application/json", body: `{"title":null}`, required: []string{"title"},
			wantCode: resource.CodeValidation, wantFields: []string{"title"}},
		{name: "required nested when parent present", contentType: "application/json", body: `{"author":{}}`,
			required: []string{"title", "author.name"}, wantCode: resource.CodeValidation, wantFields: []string{"title", "author.name"}},
		{name: "required in array elements", contentType: "application/json", body: `{"authors":[{"name":"a"},{},{"name":null}]}`,
			required: []string{"authors.name"}, wantCode: resource.CodeValidation, wantFields: []string{"authors[1].name", "authors[2].name"}},
		{name: "every problem at once", contentType: "application/json", body: `{"resource_id":"x","zzz":1,"views":"x"}`,
			required: []string{"title"}, wantCode: resource.CodeValidation, wantFields: []string{"resource_id", "views", "zzz", "title"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, _ := newContext(http.MethodPost, "/api/posts", tt.contentType, tt.body)
			var p testPost
			err := DecodeJSON(c, &p, tt.required...)
			if tt.wantCode == "" {
				if err != nil {
					t.Fatalf("DecodeJSON: %v", err)
				}
				return
			}
			assertError(t, err, tt.wantCode, tt.wantFields, tt.wantDetail)
		})
	}
}

func TestDecodeValues(t *testing.T) {
	body := `{"title":"t","views":7,"tags":["a","b"],"author":{"name":"n"},"extra":{"big":123456789012345678901234567890},
		"quoted":"12","when":"2024-01-02T03:04:05Z","note":"embedded"}`
	var p testPost
	if err := Decode([]byte(body), &p); err != nil {
		t.Fatal(err)
	}
	when := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
	want := testPost{Title: "t", Views: 7, Tags: []string{"a", "b"}, Author: &testAuthor{Name: "n"},
		Extra: map[string]any{"big": json.Number("123456789012345678901234567890")}, Quoted: 12, When: &when,
		testEmbedded: testEmbedded{Note: "embedded"}}
	if !reflect.DeepEqual(p, want) {
		t.Errorf("decoded\n %+v\nwant\n %+v", p, want)
	}
}

// TestDecodeKeepsText checks that what Decode accepts is decoded to
// exactly the text that was sent, on both paths.
func TestDecodeKeepsText(t *testing.T) {
	for _, required := range [][]string{nil, {"author.name"}} { // the fast path, the slow path
		var p testPost
		body := `{"title":"\ud83d\ude00 é\u00e9 \\u0000 \ufffd","author":{"name":"😀"}}`
		if err := Decode([]byte(body), &p, required...); err != nil {
			t.Fatal(err)
		}
		if want := "😀 éé \\u0000 \uFFFD"; p.Title != want {
			t.Errorf("required %v: title = %q, want %q", required, p.Title, want)
		}
	}
}

// TestDecodeRefusesRewrittenText checks that no body whose text
// encoding/json would rewrite is accepted, on either path, and that the
// target keeps nothing of it.
func TestDecodeRefusesRewrittenText(t *testing.T) {
	for _, text := range []string{"A\xff\xfeB", "\xc0\xaf", `\ud800`, `\udc00`, `\ud800\ud800`, `\ud800x`} {
		for _, required := range [][]string{nil, {"author.name"}} {
			body := `{"title":"` + text + `","author":{"name":"n"}}`
			p := testPost{Title: "before"}
			err := Decode([]byte(body), &p, required...)
			assertError(t, err, resource.CodeBadRequest, []string{"title"}, "")
			if p.Title != "" {
				t.Errorf("%q: the target holds %q after a refusal", body, p.Title)
			}
		}
	}
}

func TestDecodeIntoMap(t *testing.T) {
	var m map[string]any
	if err := Decode([]byte(`{"a":{"b":1}}`), &m); err != nil {
		t.Fatal(err)
	}
	if _, ok := m["a"].(map[string]any)["b"].(json.Number); !ok {
		t.Errorf("decoded %#v, want a json.Number", m)
	}
}

func TestDecodeNonPointer(t *testing.T) {
	var p testPost
	err := Decode([]byte(`{}`), p)
	var re *resource.Error
	if err == nil || errors.As(err, &re) {
		t.Errorf("Decode into a non-pointer = %v, want a programming error", err)
	}
}

func TestDecodeErrorBackstop(t *testing.T) {
	tests := []struct {
		name       string
		err        error
		wantFields []string
	}{
		{name: "type error", err: &json.UnmarshalTypeError{Value: "number", Type: reflect.TypeFor[string](), Field: "a.b"},
			wantFields: []string{"a.b"}},
		{name: "unknown field", err: errors.New(`json: unknown field "x\"y"`), wantFields: []string{`x"y`}},
		{name: "other", err: errors.New("json: cannot parse"), wantFields: []string{""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assertError(t, decodeError(tt.err), resource.CodeValidation, tt.wantFields, "")
		})
	}
}

// errReader fails every read with err.
type errReader struct{ err error }

func (r errReader) Read([]byte) (int, error) { return 0, r.err }

func TestDecodeJSONBodyLimits(t *testing.T) {
	tests := []struct {
		name       string
		body       func(w http.ResponseWriter) io.ReadCloser
		wantCode   resource.Code
		wantDetail string
	}{
		{name: "http.MaxBytesReader", body: func(w http.ResponseWriter) io.ReadCloser {
			return http.MaxBytesReader(w, io.NopCloser(strings.NewReader(`{"title":"0123456789"}`)), 5)
		}, wantCode: resource.CodePayloadTooLarge, wantDetail: "limit of 5 bytes"},
		{name: "echo body limit error", body: func(http.ResponseWriter) io.ReadCloser {
			return io.NopCloser(errReader{echo.ErrStatusRequestEntityTooLarge})
		}, wantCode: resource.CodePayloadTooLarge, wantDetail: "too large"},
		{name: "read failure", body: func(http.ResponseWriter) io.ReadCloser {
			return io.NopCloser(errReader{io.ErrUnexpectedEOF})
		}, wantCode: resource.CodeBadRequest, wantDetail: "could not be read"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, rec := newContext(http.MethodPost, "/api/posts", "application/json", "")
			c.Request().Body = tt.body(rec)
			var p testPost
			assertError(t, DecodeJSON(c, &p), tt.wantCode, nil, tt.wantDetail)
		})
	}
}

func TestDecodeJSONThroughErrorHandler(t *testing.T) {
	e := echo.New()
	e.HTTPErrorHandler = ErrorHandler(nil)
	e.POST("/api/posts", func(c echo.Context) error {
		var p testPost
		if err := DecodeJSON(c, &p, "title"); err != nil {
			return err
		}
		return JSON(c, http.StatusOK, p)
	})
	req := httptest.NewRequest(http.MethodPost, "/api/posts", strings.NewReader(`{"views":"x","nope":1}`))
	req.Header.Set(echo.HeaderContentType, "application/json")
	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, req)
	if rec.Code != http.StatusUnprocessableEntity {
		t.Fatalf("status = %d, want 422 (%s)", rec.Code, rec.Body)
	}
	p := decodeProblem(t, rec)
	want := []resource.FieldError{
		{Field: "nope", Message: "unknown field"},
		{Field: "views", Message: "must be an integer, not a string"},
		{Field: "title", Message: "is required"},
	}
	if !reflect.DeepEqual(p.Errors, want) {
		t.Errorf("errors = %+v, want %+v", p.Errors, want)
	}
}
