package echohttp

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/orchestratord/orchestratord/libs/nodeapi"
)

// decodeJSON reads exactly one JSON value from the request body into dst,
// reading at most limit bytes. Unknown members are ignored: node-agent bodies
// are open for version skew (orchestratord.yaml). Failures are a
// *nodeapi.ValidationError naming the field ("body" when no field applies),
// or the *http.MaxBytesError of an oversized body.
func decodeJSON(c echo.Context, dst any, limit int64) error {
	body := http.MaxBytesReader(c.Response(), c.Request().Body, limit)
	dec := json.NewDecoder(body)
	if err := dec.Decode(dst); err != nil {
		return decodeError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		if mbe := (*http.MaxBytesError)(nil); errors.As(err, &mbe) {
			return err
		}
		return invalidBody("trailing data after the JSON object")
	}
	return nil
}

func decodeError(err error) error {
	var (
		syn *json.SyntaxError
		typ *json.UnmarshalTypeError
		mbe *http.MaxBytesError
	)
	switch {
	case errors.As(err, &mbe):
		return err
	case errors.Is(err, io.EOF):
		return invalidBody("a JSON body is required")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return invalidBody("malformed JSON: unexpected end of input")
	case errors.As(err, &syn):
		return invalidBody("malformed JSON at byte " + strconv.FormatInt(syn.Offset, 10))
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" {
			field = "body"
		}
		return &nodeapi.ValidationError{Field: field, Reason: "wrong type: want " + typ.Type.String()}
	}
	return invalidBody("invalid JSON")
}

func invalidBody(reason string) error {
	return &nodeapi.ValidationError{Field: "body", Reason: reason}
}
