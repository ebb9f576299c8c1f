//go:build specstar

// Every field type and constraint the spec language has: the Go form of
// testdata/gen/alltypes/spec.yaml.
package store

import (
	"encoding/json"
	"time"

	"github.com/specstar-go/specstar/runtime/spec"
)

var _ = spec.Spec{Version: 1, Package: "store", Output: "internal/store"}

// The owner of things.
type Owner struct {
	spec.Resource `specstar:"path=people"`

	Name string `specstar:"required,display"`
}

type Thing struct {
	spec.Resource `specstar:"default_sort=-count|location.city,keep_last=5,max_age=720h"`

	Label      string     `specstar:"required,min_length=1,max_length=64,pattern=^[A-Za-z ]+$,unique,index"`
	Notes      spec.Text  `specstar:"max_length=10000"`
	Count      int64      `specstar:"required,min=-5,max=500,index"`
	Ratio      float64    `specstar:"min=0.5"`
	Weight     *float64   `specstar:"max=99.9,default=1.5"`
	Active     bool       `specstar:"default=true,index"`
	SeenAt     time.Time  `specstar:"required,index"`
	ExpiresAt  *time.Time `specstar:"default=2030-01-02T03:04:05Z"`
	BornOn     spec.Date  `specstar:"index"`
	Kind       spec.Enum  `specstar:"values=small|large|extra_large,default=small"`
	Email      spec.Email `specstar:"unique"`
	Homepage   spec.URL
	APIID      spec.UUID `json:"api_id" specstar:"required,unique"`
	Raw        json.RawMessage
	RawReq     spec.JSON   `specstar:"required"`
	Labels     []string    `specstar:"min_length=1,max_length=5,default=new"`
	Sizes      []spec.Enum `specstar:"values=s|m|l,index"`
	Scores     []int
	Times      []time.Time
	IDs        []spec.UUID
	Codes      []string        `specstar:"required"`
	Owner      spec.Ref[Owner] `specstar:"required"`
	Backup     spec.Ref[Owner] `specstar:"on_delete=set_null"`
	Parent     spec.Ref[Thing] `specstar:"on_delete=cascade"`
	Photo      spec.File       `specstar:"max_size=5MB,accept=image/png|image/jpeg"`
	Attachment spec.File       `specstar:"required"`
	Location   location        `specstar:"required"`
	Extra      *struct {
		Note  spec.Text
		Level int `specstar:"default=3"`
	}
}

// location is a named object type: the field Location of Thing uses it.
// The doc comment of an object type is not a description; the doc comment
// of the field that uses it would be.
type location struct {
	City string `specstar:"required,index"`
	Zip  string `specstar:"pattern=^[0-9]{5}$"`
	Geo  *geo
}

type geo struct {
	Lat  float64 `specstar:"required,min=-90,max=90"`
	Lng  float64 `specstar:"required,min=-180,max=180"`
	Seen time.Time
}
