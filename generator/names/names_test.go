package names

import (
	"slices"
	"strings"
	"testing"
)

type conv struct {
	name string
	in   string
	want string
}

func runConv(t *testing.T, fn func(string) string, tests []conv) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := fn(tt.in); got != tt.want {
				t.Errorf("(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestPascal(t *testing.T) {
	runConv(t, Pascal, []conv{
		{"snake", "blog_post", "BlogPost"},
		{"initialism at end", "author_id", "AuthorID"},
		{"plural initialism", "author_ids", "AuthorIDs"},
		{"url", "website_url", "WebsiteURL"},
		{"already pascal", "BlogPost", "BlogPost"},
		{"camel with initialism", "userId", "UserID"},
		{"leading initialism", "http_server", "HTTPServer"},
		{"upper run", "HTTPServer", "HTTPServer"},
		{"kebab", "in-progress", "InProgress"},
		{"digits", "v2_api", "V2API"},
		{"leading digit", "2fa", "2fa"},
		{"single", "post", "Post"},
		{"uuid", "external_uuid", "ExternalUUID"},
		{"spaces and symbols", "a+b c", "ABC"},
		{"empty", "", ""},
		{"only symbols", "+-+", ""},
		{"non ascii", "café_au_lait", "CaféAuLait"},
		{"https not plural of http", "https_url", "HTTPSURL"},
		{"short s word", "is_open", "IsOpen"},
	})
}

func TestCamel(t *testing.T) {
	runConv(t, Camel, []conv{
		{"pascal", "BlogPost", "blogPost"},
		{"snake initialism", "author_id", "authorID"},
		{"initialism only", "ID", "id"},
		{"leading initialism", "URLPath", "urlPath"},
		{"upper run", "HTTPServer", "httpServer"},
		{"single", "post", "post"},
		{"empty", "", ""},
	})
}

func TestSnake(t *testing.T) {
	runConv(t, Snake, []conv{
		{"pascal", "BlogPost", "blog_post"},
		{"initialism", "AuthorID", "author_id"},
		{"plural initialism", "AuthorIDs", "author_ids"},
		{"upper run", "HTTPServer", "http_server"},
		{"kebab", "blog-post", "blog_post"},
		{"digits", "Base64Value", "base64_value"},
		{"already snake", "blog_post", "blog_post"},
		{"single", "Post", "post"},
	})
}

func TestKebab(t *testing.T) {
	runConv(t, Kebab, []conv{
		{"pascal", "BlogPost", "blog-post"},
		{"initialism", "AuthorID", "author-id"},
		{"snake", "blog_post", "blog-post"},
		{"upper run", "HTTPServer", "http-server"},
		{"single", "Post", "post"},
	})
}

func TestPlural(t *testing.T) {
	runConv(t, Plural, []conv{
		{"regular", "Post", "Posts"},
		{"last word", "BlogPost", "BlogPosts"},
		{"snake", "blog_post", "blog_posts"},
		{"consonant y", "Category", "Categories"},
		{"vowel y", "Day", "Days"},
		{"x", "Box", "Boxes"},
		{"s", "Status", "Statuses"},
		{"ch", "Match", "Matches"},
		{"sh", "Wish", "Wishes"},
		{"z irregular", "Quiz", "Quizzes"},
		{"sis", "Analysis", "Analyses"},
		{"person", "Person", "People"},
		{"person lower", "person", "people"},
		{"child", "Child", "Children"},
		{"compound irregular", "SalesPerson", "SalesPeople"},
		{"uncountable", "News", "News"},
		{"uncountable staff", "Staff", "Staff"},
		{"compound uncountable", "SupportStaff", "SupportStaff"},
		{"initialism", "API", "APIs"},
		{"trailing initialism", "AuthorID", "AuthorIDs"},
		{"f to ves", "Leaf", "Leaves"},
		{"fe to ves", "Knife", "Knives"},
		{"o es", "Hero", "Heroes"},
		{"o s", "Photo", "Photos"},
		{"empty", "", ""},
	})
}

func TestReceiver(t *testing.T) {
	runConv(t, Receiver, []conv{
		{"one word", "Post", "p"},
		{"two words", "BlogPost", "bp"},
		{"upper run", "HTTPServer", "hs"},
		{"initialism", "AuthorID", "ai"},
		{"keyword", "GameObject", "g"},
		{"predeclared", "MaxAgeX", "m"},
		{"keyword if", "ItemFilter", "i"},
		{"no letters", "123", "r"},
		{"empty", "", "r"},
	})
}

func TestIdent(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		wantErr string
	}{
		{"exported", "BlogPost", ""},
		{"unexported", "blogPost", ""},
		{"underscore inside", "type_", ""},
		{"empty", "", "empty Go identifier"},
		{"blank", "_", "blank identifier"},
		{"leading digit", "2fa", "not a Go identifier"},
		{"dash", "blog-post", "not a Go identifier"},
		{"keyword", "type", "Go keyword"},
		{"keyword func", "func", "Go keyword"},
		{"predeclared any", "any", "predeclared"},
		{"predeclared string", "string", "predeclared"},
		{"predeclared error", "error", "predeclared"},
		{"predeclared len", "len", "predeclared"},
		{"predeclared nil", "nil", "predeclared"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Ident(tt.in)
			if tt.wantErr == "" {
				if err != nil || got != tt.in {
					t.Fatalf("Ident(%q) = %q, %v; want %q, nil", tt.in, got, err, tt.in)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("Ident(%q) error = %v, want it to contain %q", tt.in, err, tt.wantErr)
			}
		})
	}
}

func TestMustIdentPanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("MustIdent(\"type\") did not panic")
		}
	}()
	MustIdent("type")
}

func TestExported(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want bool
	}{
		{"upper", "Post", true},
		{"lower", "post", false},
		{"digit", "2fa", false},
		{"empty", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Exported(tt.in); got != tt.want {
				t.Errorf("Exported(%q) = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}

func TestDocLines(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []string
	}{
		{"one line", "A blog post.", []string{"A blog post."}},
		{"crlf and blank lines", "\r\nFirst.\r\n\r\nSecond.  \n\n", []string{"First.", "", "Second."}},
		{"lone cr", "a\rb", []string{"a", "b"}},
		{"block close", "ends */ here", []string{"ends * / here"}},
		{"repeated block close", "**//", []string{"** //"}},
		{"directive", "//go:generate rm -rf /", []string{" //go:generate rm -rf /"}},
		{"block open", "/* x", []string{" /* x"}},
		{"control characters", "a\x00b\x1bc\td", []string{"abc\td"}},
		{"invalid utf8", "a\xffb", []string{"a\uFFFDb"}},
		{"bom", "\uFEFFdoc", []string{"doc"}},
		{"indent kept", "list:\n  - one", []string{"list:", "  - one"}},
		{"empty", "", nil},
		{"blank", "  \n \t ", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := DocLines(tt.in)
			if !slices.Equal(got, tt.want) {
				t.Errorf("DocLines(%q) = %q, want %q", tt.in, got, tt.want)
			}
			for _, line := range got {
				if strings.Contains(line, "*/") {
					t.Errorf("line %q contains */", line)
				}
			}
		})
	}
}

func FuzzNames(f *testing.F) {
	for _, s := range []string{"blog_post", "HTTPServer", "AuthorIDs", "2fa", "a+b", "*/x", "Person"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, fn := range []func(string) string{Pascal, Camel, Snake, Kebab, Plural, Receiver} {
			fn(s)
		}
		if r := Receiver(s); r != "" {
			if _, err := Ident(r); err != nil {
				t.Errorf("Receiver(%q) = %q: %v", s, r, err)
			}
		}
		for _, line := range DocLines(s) {
			if strings.Contains(line, "*/") || strings.ContainsRune(line, '\n') {
				t.Errorf("DocLines(%q) produced unsafe line %q", s, line)
			}
		}
	})
}
