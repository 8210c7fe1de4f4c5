package catalog

import (
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Bounds on what one entry may hold.
const (
	MaxIDLen         = 128       // model ids, as api.md §2 and the OpenAPI ModelRef pattern say
	MaxURLLen        = 2048      // source_url and sbom.uri
	MaxTags          = 64        // tags per entry
	MaxTagLen        = 128       // bytes per tag
	MaxManifests     = 1024      // manifests per entry
	MaxSignatures    = 64        // signatures per entry
	MaxTextLen       = 256       // signer, algo
	MaxRegistries    = 64        // trust_policy.allowed_registries
	MaxCARoots       = 16        // trust_policy.ca_roots
	MaxCARootLen     = 16 << 10  // bytes per PEM root
	maxHostLen       = 253       // DNS name limit, plus what a port adds below
	maxDigestHexLen  = 256       // hex characters of a manifest or SBOM digest
	minDigestHexLen  = 32        // the shortest digest worth the name (128 bits)
	maxDigestAlgoLen = 32        // "sha256", "sha512", "blake3", …
	maxSchemeLen     = 32        // URL schemes worth naming in an error
	sha256Prefix     = "sha256:" // the only algorithm of Entry.Digest
)

const idRule = "must be 1-128 characters of [A-Za-z0-9._:@+/-], not starting or ending with '/', without '..' or '//'"

// ValidModelID reports whether id is a valid model id: 1–128 characters of
// [A-Za-z0-9._:@+/-], no leading or trailing '/', no "..", no "//".
func ValidModelID(id string) bool {
	if len(id) == 0 || len(id) > MaxIDLen || id[0] == '/' || id[len(id)-1] == '/' {
		return false
	}
	if strings.Contains(id, "..") || strings.Contains(id, "//") {
		return false
	}
	for i := 0; i < len(id); i++ {
		if !refChar(id[i]) {
			return false
		}
	}
	return true
}

func refChar(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	case c == '.', c == '_', c == ':', c == '@', c == '+', c == '-', c == '/':
		return true
	}
	return false
}

// ValidDigest reports whether d is "sha256:" followed by 64 lowercase hex
// characters.
func ValidDigest(d string) bool {
	return len(d) == len(sha256Prefix)+64 && strings.HasPrefix(d, sha256Prefix) && lowerHex(d[len(sha256Prefix):])
}

func lowerHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if ('0' > c || c > '9') && ('a' > c || c > 'f') {
			return false
		}
	}
	return true
}

// validAnyDigest accepts "<algorithm>:<lowercase hex>" as manifests and SBOMs
// use it: the algorithm is 1–32 of [a-z0-9+._-], the hex 32–256 characters.
func validAnyDigest(d string) bool {
	algo, hex, ok := strings.Cut(d, ":")
	if !ok || len(algo) == 0 || len(algo) > maxDigestAlgoLen || len(hex) < minDigestHexLen || len(hex) > maxDigestHexLen {
		return false
	}
	for i := 0; i < len(algo); i++ {
		c := algo[i]
		if ('a' > c || c > 'z') && ('0' > c || c > '9') && c != '+' && c != '.' && c != '_' && c != '-' {
			return false
		}
	}
	return lowerHex(hex)
}

func validateID(id string) error {
	if id == "" {
		return invalid("id", "required")
	}
	if !ValidModelID(id) {
		return invalid("id", idRule)
	}
	return nil
}

// validateEntry checks the fields a caller of Create sets.
func validateEntry(e *Entry) error {
	if err := validateID(e.ID); err != nil {
		return err
	}
	if e.Digest == "" {
		return invalid("digest", "required")
	}
	if !ValidDigest(e.Digest) {
		return invalid("digest", "must be sha256:<64 lowercase hex>")
	}
	if err := validateSource(e.SourceURL, e.TrustPolicy); err != nil {
		return err
	}
	if err := validateTags(e.Tags); err != nil {
		return err
	}
	if err := validateManifests(e.Manifests); err != nil {
		return err
	}
	if err := validateSignatures(e.Signatures); err != nil {
		return err
	}
	if err := validateSBOM(e.SBOM); err != nil {
		return err
	}
	return validatePolicy(e.TrustPolicy)
}

func validateSource(raw string, p *TrustPolicy) error {
	if raw == "" {
		return nil
	}
	if len(raw) > MaxURLLen {
		return invalid("source_url", "at most "+strconv.Itoa(MaxURLLen)+" bytes")
	}
	src, reason := parseSource(raw)
	if reason != "" {
		return invalid("source_url", reason)
	}
	if p != nil && len(p.AllowedRegistries) > 0 && src.kind != sourceFile && !src.allowed(p.AllowedRegistries) {
		return invalid("source_url", "host "+strconv.Quote(src.host)+" is not in trust_policy.allowed_registries")
	}
	return nil
}

// allowed reports whether the source's host, with or without its port, is
// one of the allowed registries (case-insensitive).
func (s source) allowed(registries []string) bool {
	for _, r := range registries {
		if strings.EqualFold(r, s.host) || strings.EqualFold(r, s.hostname) {
			return true
		}
	}
	return false
}

type sourceKind int

const (
	sourceFile sourceKind = iota + 1
	sourceHTTP
	sourceRegistry
)

// source is a parsed source_url.
type source struct {
	kind     sourceKind
	scheme   string // "file", "http", "https", or "registry"
	host     string // host[:port] of http(s) and registry sources
	hostname string // host without the port
	path     string // absolute path of a file source
}

// parseSource parses a source_url. The reason is empty on success and reads
// after "source_url" otherwise.
func parseSource(raw string) (source, string) {
	scheme, _, hasScheme := strings.Cut(raw, "://")
	if !hasScheme {
		return parseRegistryRef(raw)
	}
	switch strings.ToLower(scheme) {
	case "file":
		return parseFileURL(raw)
	case "http", "https":
		u, err := url.Parse(raw)
		switch {
		case err != nil || u.Host == "" || u.Opaque != "":
			return source{}, "must be an absolute http(s) URL with a host"
		case u.User != nil:
			return source{}, "must not carry credentials"
		}
		return source{kind: sourceHTTP, scheme: strings.ToLower(scheme), host: u.Host, hostname: u.Hostname()}, ""
	}
	if !validScheme(scheme) {
		return source{}, "must be a file://, http(s):// URL or a registry reference"
	}
	return source{}, "scheme " + strconv.Quote(scheme) + " is not supported: use file://, http(s):// or a registry reference"
}

// validScheme accepts an RFC 3986 scheme: a letter, then letters, digits,
// '+', '-' or '.'.
func validScheme(s string) bool {
	if s == "" || len(s) > maxSchemeLen || !('a' <= s[0] && s[0] <= 'z' || 'A' <= s[0] && s[0] <= 'Z') {
		return false
	}
	for i := 1; i < len(s); i++ {
		c := s[i]
		if ('a' > c || c > 'z') && ('A' > c || c > 'Z') && ('0' > c || c > '9') && c != '+' && c != '-' && c != '.' {
			return false
		}
	}
	return true
}

func parseFileURL(raw string) (source, string) {
	const rule = "must be file:///absolute/path"
	u, err := url.Parse(raw)
	switch {
	case err != nil || u.Opaque != "" || u.User != nil:
		return source{}, rule
	case u.Host != "" && u.Host != "localhost":
		return source{}, "must name a local file (file:///absolute/path), not host " + strconv.Quote(u.Host)
	case u.RawQuery != "" || u.Fragment != "" || u.ForceQuery:
		return source{}, rule + " without query or fragment"
	case !strings.HasPrefix(u.Path, "/") || strings.IndexByte(u.Path, 0) >= 0:
		return source{}, rule
	}
	return source{kind: sourceFile, scheme: "file", path: u.Path}, ""
}

// parseRegistryRef accepts host[:port]/repository[:tag][@digest], where the
// host has a dot or a port or is localhost, as container registries name
// their artifacts (e.g. "ghcr.io/org/model:q4" or "hf.co/org/model").
func parseRegistryRef(raw string) (source, string) {
	const rule = "must be a file://, http(s):// URL or a registry reference host/repository[:tag][@digest]"
	host, repo, ok := strings.Cut(raw, "/")
	if !ok || repo == "" || !validHost(host) || !strings.ContainsAny(host, ".:") && host != "localhost" {
		return source{}, rule
	}
	if repo[len(repo)-1] == '/' || strings.Contains(repo, "//") || strings.Contains(repo, "..") {
		return source{}, rule
	}
	for i := 0; i < len(repo); i++ {
		if !refChar(repo[i]) {
			return source{}, rule
		}
	}
	hostname, _, _ := strings.Cut(host, ":")
	return source{kind: sourceRegistry, scheme: "registry", host: host, hostname: hostname}, ""
}

// validHost accepts a DNS name or IPv4 address with an optional port.
func validHost(h string) bool {
	name, port, hasPort := strings.Cut(h, ":")
	if name == "" || len(name) > maxHostLen || name[0] == '.' || name[0] == '-' {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if ('a' > c || c > 'z') && ('A' > c || c > 'Z') && ('0' > c || c > '9') && c != '.' && c != '-' {
			return false
		}
	}
	if !hasPort {
		return true
	}
	n, err := strconv.Atoi(port)
	return err == nil && n > 0 && n <= 65535 && port[0] != '+'
}

func indexed(prefix string, i int, suffix string) string {
	return prefix + "[" + strconv.Itoa(i) + "]" + suffix
}

func validateTags(tags []string) error {
	if len(tags) > MaxTags {
		return invalid("tags", "at most "+strconv.Itoa(MaxTags)+" entries")
	}
	for i, tag := range tags {
		if tag == "" || !printable(tag, MaxTagLen) {
			return invalid(indexed("tags", i, ""), "must be 1-"+strconv.Itoa(MaxTagLen)+" bytes of printable UTF-8")
		}
	}
	return nil
}

func validateManifests(ms []Manifest) error {
	if len(ms) > MaxManifests {
		return invalid("manifests", "at most "+strconv.Itoa(MaxManifests)+" entries")
	}
	for i, m := range ms {
		if m.Digest == "" {
			return invalid(indexed("manifests", i, ".digest"), "required")
		}
		if !validAnyDigest(m.Digest) {
			return invalid(indexed("manifests", i, ".digest"), "must be <algorithm>:<lowercase hex>")
		}
		if m.SizeBytes < 0 {
			return invalid(indexed("manifests", i, ".size_bytes"), "must be >= 0")
		}
	}
	return nil
}

func validateSignatures(sigs []Signature) error {
	if len(sigs) > MaxSignatures {
		return invalid("signatures", "at most "+strconv.Itoa(MaxSignatures)+" entries")
	}
	for i, s := range sigs {
		if s.Signer == "" || !printable(s.Signer, MaxTextLen) {
			return invalid(indexed("signatures", i, ".signer"), "must be 1-"+strconv.Itoa(MaxTextLen)+" bytes of printable UTF-8")
		}
		if s.Algo == "" || !printable(s.Algo, MaxTextLen) {
			return invalid(indexed("signatures", i, ".algo"), "must be 1-"+strconv.Itoa(MaxTextLen)+" bytes of printable UTF-8")
		}
		if s.TimestampMs < 0 {
			return invalid(indexed("signatures", i, ".timestamp_ms"), "must be >= 0")
		}
	}
	return nil
}

func validateSBOM(s *SBOM) error {
	if s == nil {
		return nil
	}
	if !printable(s.URI, MaxURLLen) {
		return invalid("sbom.uri", "must be printable UTF-8 of at most "+strconv.Itoa(MaxURLLen)+" bytes")
	}
	if s.Digest != "" && !validAnyDigest(s.Digest) {
		return invalid("sbom.digest", "must be <algorithm>:<lowercase hex>")
	}
	return nil
}

func validatePolicy(p *TrustPolicy) error {
	if p == nil {
		return nil
	}
	if p.Mode != TrustStrict && p.Mode != TrustPermissive {
		return invalid("trust_policy.mode", "must be strict or permissive")
	}
	if len(p.AllowedRegistries) > MaxRegistries {
		return invalid("trust_policy.allowed_registries", "at most "+strconv.Itoa(MaxRegistries)+" entries")
	}
	for i, r := range p.AllowedRegistries {
		if !validHost(r) {
			return invalid(indexed("trust_policy.allowed_registries", i, ""), "must be a host name with an optional port")
		}
	}
	if len(p.CARoots) > MaxCARoots {
		return invalid("trust_policy.ca_roots", "at most "+strconv.Itoa(MaxCARoots)+" entries")
	}
	for i, r := range p.CARoots {
		if r == "" || len(r) > MaxCARootLen || !utf8.ValidString(r) {
			return invalid(indexed("trust_policy.ca_roots", i, ""), "must be 1-"+strconv.Itoa(MaxCARootLen)+" bytes of UTF-8 (PEM)")
		}
	}
	return nil
}

// printable accepts UTF-8 of at most max bytes without control characters.
func printable(s string, max int) bool {
	if len(s) > max || !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			return false
		}
	}
	return true
}
