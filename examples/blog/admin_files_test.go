package main

import (
	"bytes"
	"context"
	"encoding/json"
	"html"
	"image"
	"image/color"
	"image/png"
	"io"
	"mime/multipart"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/specstar-go/specstar/runtime/resource"
)

// formPart is one part of a multipart form: a value, or a file when
// filename is set.
type formPart struct {
	name, value, filename string
	content               []byte
}

// postMultipart sends a multipart form as a browser does: the CSRF token
// of the last page first, then the parts in order.
func (b *browser) postMultipart(path string, parts ...formPart) *page {
	b.t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	if b.csrf != "" {
		w.WriteField("csrf", b.csrf)
	}
	for _, p := range parts {
		if p.filename == "" && p.content == nil {
			w.WriteField(p.name, p.value)
			continue
		}
		fw, err := w.CreateFormFile(p.name, p.filename)
		if err != nil {
			b.t.Fatal(err)
		}
		fw.Write(p.content)
	}
	w.Close()
	req, _ := http.NewRequest("POST", b.base+path, &buf)
	req.Header.Set("Content-Type", w.FormDataContentType())
	return b.do(req)
}

// pngImage returns a small PNG of one colour.
func pngImage(t testing.TB, c color.Color) []byte { return pngSized(t, c, 24, 16) }

// pngSized returns a w×h PNG shading from c to white.
func pngSized(t testing.TB, c color.Color, w, h int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	r0, g0, b0, _ := c.RGBA()
	for x := range w {
		for y := range h {
			k := uint32(x*255/w+y*255/h) / 2
			mix := func(v uint32) uint8 { return uint8((v>>8)*(255-k)/255 + k) }
			img.Set(x, y, color.RGBA{mix(r0), mix(g0), mix(b0), 255})
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

var pendingRE = regexp.MustCompile(`name="attachments\.upload" value="([^"]+)"`)

func TestAdminFiles(t *testing.T) {
	e := newAdminEnv(t)
	sys := resource.AsSystem(context.Background())
	author, err := e.svc.Create(sys, e.kind("Author"), json.RawMessage(`{"name":"Ada","email":"ada@example.com"}`), resource.WriteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	b := e.browser()
	b.login("ed@example.com")
	red, blue := pngImage(t, color.RGBA{200, 0, 0, 255}), pngImage(t, color.RGBA{0, 0, 200, 255})

	// The form is multipart, with a file input per file field.
	b.get("/admin/posts/new").must(t, http.StatusOK, `enctype="multipart/form-data"`, `type="file" id="f-cover" name="cover" accept="image/png,image/jpeg"`,
		`name="attachments" multiple`, "PNG or JPEG, at most 5 MB")

	// A create with a cover and two attachments.
	p := b.postMultipart("/admin/posts/new",
		formPart{name: "title", value: "With files"}, formPart{name: "author", value: author.Meta.ResourceID}, formPart{name: "submit", value: "save"},
		formPart{name: "cover", filename: "red.png", content: red},
		formPart{name: "attachments", filename: "notes.txt", content: []byte("first notes\n")},
		formPart{name: "attachments", filename: "more.txt", content: []byte("more notes\n")},
	)
	id := createdID(t, p, "/admin/posts")
	detail := b.get("/admin/posts/" + id)
	detail.must(t, http.StatusOK, `src="/admin/posts/`+id+`/files/cover"`, "red.png", "notes.txt", "more.txt",
		`href="/admin/posts/`+id+`/files/attachments/1"`, "image/png")

	// Downloads are served under the cookie session.
	dl := b.get("/admin/posts/" + id + "/files/cover")
	if dl.Status != http.StatusOK || dl.Body != string(red) || dl.Header.Get("Content-Type") != "image/png" {
		t.Fatalf("cover download: %d %q, %d bytes", dl.Status, dl.Header.Get("Content-Type"), len(dl.Body))
	}
	if dl := b.get("/admin/posts/" + id + "/files/attachments/1"); dl.Status != http.StatusOK || dl.Body != "more notes\n" {
		t.Fatalf("attachment download: %d %q", dl.Status, dl.Body)
	}
	if dl := b.get("/admin/posts/" + id + "/files/attachments/2"); dl.Status != http.StatusNotFound {
		t.Fatalf("a download past the list: %d", dl.Status)
	}
	// Without a login there is no download.
	if dl := e.browser().get("/admin/posts/" + id + "/files/cover"); dl.Status != http.StatusSeeOther {
		t.Fatalf("an anonymous download: %d", dl.Status)
	}

	// Edit: the form shows the files; replace the cover, remove one
	// attachment, add another.
	env, _ := e.svc.Get(sys, e.kind("Post"), id, resource.ReadOptions{})
	var data struct {
		Cover       resource.File   `json:"cover"`
		Attachments []resource.File `json:"attachments"`
	}
	json.Unmarshal(env.Data, &data)
	edit := b.get("/admin/posts/" + id + "/edit")
	edit.must(t, http.StatusOK, "Replace with", "Add files", `name="attachments.remove" value="`+data.Attachments[0].ID+`"`, `alt="Preview of red.png"`)
	p = b.postMultipart("/admin/posts/"+id+"/edit",
		formPart{name: "etag", value: resource.ETag(&env.RevisionInfo)},
		formPart{name: "title", value: "With files"}, formPart{name: "author", value: author.Meta.ResourceID}, formPart{name: "submit", value: "save"},
		formPart{name: "cover", filename: "blue.png", content: blue},
		formPart{name: "attachments.remove", value: data.Attachments[0].ID},
		formPart{name: "attachments", filename: "third.txt", content: []byte("third\n")},
	)
	if p.Status != http.StatusSeeOther {
		t.Fatalf("edit with files: %d\n%s", p.Status, p.Body)
	}
	env, _ = e.svc.Get(sys, e.kind("Post"), id, resource.ReadOptions{})
	data.Attachments = nil
	json.Unmarshal(env.Data, &data)
	if data.Cover.Name != "blue.png" || len(data.Attachments) != 2 || data.Attachments[0].Name != "more.txt" || data.Attachments[1].Name != "third.txt" {
		t.Fatalf("after the edit: %s", env.Data)
	}
	// The old revision's cover is still there, by ?revision=.
	if dl := b.get("/admin/posts/" + id + "/files/cover?revision=1"); dl.Body != string(red) {
		t.Fatalf("revision 1's cover: %d, %d bytes", dl.Status, len(dl.Body))
	}

	// A refused write keeps the new upload for the next try.
	env, _ = e.svc.Get(sys, e.kind("Post"), id, resource.ReadOptions{})
	etag := resource.ETag(&env.RevisionInfo)
	p = b.postMultipart("/admin/posts/"+id+"/edit",
		formPart{name: "etag", value: etag},
		formPart{name: "title", value: "No"}, formPart{name: "author", value: author.Meta.ResourceID}, formPart{name: "submit", value: "save"},
		formPart{name: "attachments", filename: "fourth.txt", content: []byte("fourth\n")},
	)
	p.must(t, http.StatusUnprocessableEntity, "one field needs a change", "fourth.txt", "uploaded, not saved yet")
	m := pendingRE.FindStringSubmatch(p.Body)
	if m == nil {
		t.Fatalf("the refused form does not carry the upload:\n%s", p.Body)
	}
	p = b.postMultipart("/admin/posts/"+id+"/edit",
		formPart{name: "etag", value: etag},
		formPart{name: "title", value: "Now long enough"}, formPart{name: "author", value: author.Meta.ResourceID}, formPart{name: "submit", value: "save"},
		formPart{name: "attachments.upload", value: html.UnescapeString(m[1])},
	)
	if p.Status != http.StatusSeeOther {
		t.Fatalf("the second try: %d\n%s", p.Status, p.Body)
	}
	env, _ = e.svc.Get(sys, e.kind("Post"), id, resource.ReadOptions{})
	data.Attachments = nil
	json.Unmarshal(env.Data, &data)
	if len(data.Attachments) != 3 || data.Attachments[2].Name != "fourth.txt" {
		t.Fatalf("after the second try: %s", env.Data)
	}

	// A file of a type the field does not accept is refused at its input.
	env, _ = e.svc.Get(sys, e.kind("Post"), id, resource.ReadOptions{})
	p = b.postMultipart("/admin/posts/"+id+"/edit",
		formPart{name: "etag", value: resource.ETag(&env.RevisionInfo)},
		formPart{name: "title", value: "Now long enough"}, formPart{name: "author", value: author.Meta.ResourceID}, formPart{name: "submit", value: "save"},
		formPart{name: "cover", filename: "cover.txt", content: []byte("not an image")},
	)
	p.must(t, http.StatusUnprocessableEntity, `id="f-cover-error"`, "not one of the accepted types image/png, image/jpeg")

	// Remove the cover.
	p = b.postMultipart("/admin/posts/"+id+"/edit",
		formPart{name: "etag", value: resource.ETag(&env.RevisionInfo)},
		formPart{name: "title", value: "Now long enough"}, formPart{name: "author", value: author.Meta.ResourceID}, formPart{name: "submit", value: "save"},
		formPart{name: "cover.remove", value: data.Cover.ID},
	)
	if p.Status != http.StatusSeeOther {
		t.Fatalf("remove the cover: %d\n%s", p.Status, p.Body)
	}
	env, _ = e.svc.Get(sys, e.kind("Post"), id, resource.ReadOptions{})
	if strings.Contains(string(env.Data), `"cover":{`) {
		t.Fatalf("the cover is still there: %s", env.Data)
	}

	// A file larger than the server's body limit of JSON requests (10 MiB)
	// but within the field's max_size (20 MB) is uploaded: the admin's
	// multipart forms are bounded file by file, as the API's are.
	b.get("/admin/posts/new")
	big := bytes.Repeat([]byte("0123456789abcdef"), 11<<16) // 11 MiB
	p = b.postMultipart("/admin/posts/new",
		formPart{name: "title", value: "A big attachment"}, formPart{name: "author", value: author.Meta.ResourceID}, formPart{name: "submit", value: "save"},
		formPart{name: "attachments", filename: "big.txt", content: big},
	)
	bigID := createdID(t, p, "/admin/posts")
	if dl := b.get("/admin/posts/" + bigID + "/files/attachments/0"); dl.Status != http.StatusOK || len(dl.Body) != len(big) {
		t.Fatalf("the big attachment's download: %d, %d bytes", dl.Status, len(dl.Body))
	}

	// A multipart form whose first part is not the CSRF token is refused
	// before anything is read.
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	fw, _ := w.CreateFormFile("cover", "x.png")
	fw.Write(red)
	w.WriteField("csrf", b.csrf)
	w.Close()
	req, _ := http.NewRequest("POST", e.url+"/admin/posts/new", &buf)
	req.Header.Set("Content-Type", w.FormDataContentType())
	b.do(req).must(t, http.StatusForbidden, "CSRF check failed")

	// A viewer may read the post (the rule lets viewers read every post)
	// and download its files; an anonymous reader of a draft may not: the
	// post is a draft and readers see published ones only.
	v := e.browser()
	v.login("vi@example.com")
	if dl := v.get("/admin/posts/" + id + "/files/attachments/0"); dl.Status != http.StatusOK {
		t.Fatalf("a viewer's download: %d", dl.Status)
	}
	// A reader without a role may read published posts only: the draft's
	// files are not served to them.
	if _, err := e.svc.Create(sys, e.kind("User"), json.RawMessage(`{"email":"reader@example.com","roles":[],"password":"`+adminPassword+`"}`), resource.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	rd := e.browser()
	rd.login("reader@example.com")
	if dl := rd.get("/admin/posts/" + id + "/files/attachments/0"); dl.Status != http.StatusNotFound || strings.Contains(dl.Body, "more notes") {
		t.Fatalf("a reader's download of a draft's file: %d", dl.Status)
	}
	res, err := http.Get(e.url + "/api/posts/" + id + "/files/attachments/0")
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	if res.StatusCode == http.StatusOK {
		t.Fatalf("an anonymous API download of a draft's file: %d", res.StatusCode)
	}
}
