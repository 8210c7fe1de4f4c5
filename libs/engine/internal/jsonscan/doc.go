// Package jsonscan reads the few fields an engine adapter needs from one JSON
// text without reflection and without allocating: a Cursor walks objects and
// arrays in place, skips the values nobody asked for, and decodes strings with
// exactly the unescaping rules of encoding/json (including \uXXXX surrogate
// pairs and the replacement of invalid UTF-8).
//
// Import rule: standard library only; internal to the engine module.
package jsonscan
