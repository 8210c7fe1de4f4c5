// Package wire holds the Go wire types of the orchestratord HTTP contract
// (docs/api.md): request and response bodies, SSE frame payloads, the error
// envelope, the OpenAI-compatible surface and an exported constant with a
// Valid check for every enumeration the contract names.
//
// The types are plain structs whose JSON tags spell the fields exactly as
// api.md does. Optional numbers are pointers so that 0 is distinguishable from
// absent (an unlimited budget is omitted, not sent as 0). Fields that carry
// arbitrary JSON objects (artifact content, metadata) are json.RawMessage so
// their bytes survive a round trip unchanged.
//
// The stream payloads (StartedFrame, TokenFrame, EndFrame, ErrorFrame,
// ChatCompletionChunk, CompletionChunk, Usage) and AdmissionResponse have an
// AppendJSON method that encodes without reflection into a caller's buffer;
// its output is byte-for-byte what encoding/json produces. The two chunk
// types always encode "choices" as an array, never null.
// TaskRequest.DecodeCommon decodes the common form of a task body without
// reflection to exactly encoding/json's result and refuses everything else,
// which is then left to encoding/json.
//
// Import rule: package wire imports the standard library only. Every other
// module of the workspace may import it.
package wire
