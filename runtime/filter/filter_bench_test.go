package filter

import "testing"

// benchFields are the filterable fields of a typical resource.
var benchFields = []FieldInfo{
	{Name: "title", Type: String},
	{Name: "category", Type: String},
	{Name: "score", Type: Int},
	{Name: "rating", Type: Float},
	{Name: "published", Type: Bool},
	{Name: "happened_at", Type: DateTime},
	{Name: "tags", Type: String, List: true},
	{Name: "address.city", Type: String},
	{Name: "created_time", Type: DateTime, Meta: true},
}

// benchFilters are filters of the sizes list requests carry.
var benchFilters = []struct {
	name string
	src  string
}{
	{name: "one comparison", src: `category = "gamma"`},
	{name: "typical", src: `category = "gamma" && score >= 10 && happened_at < "2024-06-01T00:00:00Z"`},
	{name: "large", src: `(category in ["alpha", "beta", "gamma"] || title ~ "report") && !(score < 5) && ` +
		`tags = "go" && address.city ^= "Os" && rating is not null && published = true && created_time >= "2024-01-01T00:00:00Z"`},
}

// BenchmarkCompile measures what a list request does with its filter
// parameter before the backend sees it: Parse and Check.
func BenchmarkCompile(b *testing.B) {
	for _, bf := range benchFilters {
		b.Run(bf.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				e, err := Parse(bf.src)
				if err != nil {
					b.Fatal(err)
				}
				if err := Check(e, benchFields); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkParseSort measures the sort parameter of a list request.
func BenchmarkParseSort(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseSort("-happened_at,title", benchFields); err != nil {
			b.Fatal(err)
		}
	}
}
