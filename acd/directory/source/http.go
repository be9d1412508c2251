package source

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"callbox/acd/directory"
)

// HTTPConfig describes a CRM reached over HTTP/JSON.
type HTTPConfig struct {
	// Name identifies the source on the status page.
	Name string
	// URL is a template; "{number}" is replaced by the normalised number,
	// query-escaped ("https://crm.example/api/customers?phone={number}").
	URL string
	// Header and Value are an optional authentication header
	// ("Authorization", "Bearer ...").
	Header, Value string
	// Fields maps record fields ("name", "company", "vip", a custom field
	// name; see directory.Record.Set) to JSON paths in the answer:
	// dot-separated object keys and array indexes ("data.0.full_name").
	Fields map[string]string
	// Timeout bounds one request (default 2 s; the directory's own
	// per-source timeout usually cuts sooner).
	Timeout time.Duration
	// Client is the HTTP client (default a plain one with Timeout).
	Client *http.Client
}

// HTTP is a CRM reached over HTTP/JSON. A 404 answer, or an answer in
// which no mapped path has a value, means not found.
type HTTP struct {
	cfg HTTPConfig
}

// ErrConfig: a source's configuration is incomplete or malformed.
var ErrConfig = errors.New("directory: bad source configuration")

// maxBody bounds what a CRM may send back.
const maxBody = 1 << 20

// NewHTTP checks cfg and returns the source.
func NewHTTP(cfg HTTPConfig) (*HTTP, error) {
	if cfg.Name == "" || !strings.Contains(cfg.URL, "{number}") || len(cfg.Fields) == 0 {
		return nil, fmt.Errorf("%w: http source needs a name, a URL with {number} and field mappings", ErrConfig)
	}
	u, err := url.Parse(strings.ReplaceAll(cfg.URL, "{number}", "0"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("%w: http source URL %q", ErrConfig, cfg.URL)
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 2 * time.Second
	}
	if cfg.Client == nil {
		cfg.Client = &http.Client{Timeout: cfg.Timeout}
	}
	return &HTTP{cfg: cfg}, nil
}

// Name implements directory.Source.
func (h *HTTP) Name() string { return h.cfg.Name }

// Lookup implements directory.Source.
func (h *HTTP) Lookup(ctx context.Context, number string) (directory.Record, error) {
	ctx, cancel := context.WithTimeout(ctx, h.cfg.Timeout)
	defer cancel()
	u := strings.ReplaceAll(h.cfg.URL, "{number}", url.QueryEscape(number))
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return directory.Record{}, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	req.Header.Set("Accept", "application/json")
	if h.cfg.Header != "" {
		req.Header.Set(h.cfg.Header, h.cfg.Value)
	}
	resp, err := h.cfg.Client.Do(req)
	if err != nil {
		return directory.Record{}, err
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusNotFound {
		return directory.Record{}, directory.ErrNotFound
	}
	if resp.StatusCode/100 != 2 {
		return directory.Record{}, fmt.Errorf("directory: %s answered %s", h.cfg.Name, resp.Status)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return directory.Record{}, err
	}
	return MapJSON(body, h.cfg.Fields)
}

// MapJSON builds a record from a JSON document, taking each field from its
// path. No value at any path means directory.ErrNotFound.
func MapJSON(body []byte, fields map[string]string) (directory.Record, error) {
	var doc any
	if err := json.Unmarshal(body, &doc); err != nil {
		return directory.Record{}, fmt.Errorf("directory: answer is not JSON: %w", err)
	}
	var r directory.Record
	for field, path := range fields {
		if v, ok := directory.PickJSON(doc, path); ok {
			r.Set(field, v)
		}
	}
	if r.Empty() {
		return directory.Record{}, directory.ErrNotFound
	}
	return r, nil
}
