package openapi

import (
	_ "embed" // for go:embed
)

//go:embed orchestratord.yaml
var spec string

// Spec returns the OpenAPI document (YAML) in a fresh slice the caller owns.
func Spec() []byte { return []byte(spec) }

// ContentType is the media type to serve Spec with.
const ContentType = "application/yaml"
