module github.com/specstar-go/specstar

go 1.26.0
