// Package openapi embeds the OpenAPI 3.0.3 document of the orchestratord HTTP
// contract (orchestratord.yaml): every route of api.md §3–§9 plus /healthz,
// /readyz and /metrics, with schemas that match package wire field for field.
//
// Import rule: standard library only (the tests also use kin-openapi to load,
// validate and check responses against the document).
package openapi
