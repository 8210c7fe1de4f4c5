// Package realengine is the end-to-end suite against real inference: a real
// Ollama (llama.cpp underneath) serving the tiny random model of
// tools/gguf, registered twice by a node agent (engine "ollama" on its
// native API, engine "openai" on its /v1 API), with orchestratord in front.
//
// The tests carry the build tag "realengine" so that `make test` needs no
// Ollama; `make e2e` (tools/scripts/e2e-ollama.sh) builds or reuses the
// Ollama binary, generates the model and runs them with
//
//	ORCHD_E2E_OLLAMA=<ollama binary> ORCHD_E2E_MODEL=<model.gguf> ORCHD_E2E_BIN=<dir of orchestratord, node-agent> \
//	  go test -tags realengine -count=1 ./e2e/realengine
package realengine
