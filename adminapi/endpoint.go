package adminapi

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
)

// EndpointFile is where, under data_dir, a running process publishes its
// admin API: the CLI finds the process by the data dir of its config.
const EndpointFile = "admin.json"

// Endpoint is the content of EndpointFile.
type Endpoint struct {
	// URL is the API's base, http://host:port.
	URL string `json:"url"`
	// Token is the bearer token every request carries.
	Token string `json:"token"`
	// PID is the process that wrote the file.
	PID int `json:"pid"`
	// SandboxURL is the in-process sandboxd's address (airlock all), for
	// `airlock files` when sandboxd listens on a port chosen at start.
	SandboxURL string `json:"sandbox_url,omitempty"`
}

// NewToken returns 256 random bits in hex.
func NewToken() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("admin token: %w", err)
	}
	return hex.EncodeToString(b), nil
}

// Publish writes ep to dataDir/admin.json, mode 0600, atomically (a
// reader never sees half a file). The returned func removes the file if
// it is still this one (a process started later on the same data dir
// may have replaced it).
func Publish(dataDir string, ep Endpoint) (remove func(), err error) {
	b, err := json.Marshal(ep)
	if err != nil {
		return nil, err
	}
	path := filepath.Join(dataDir, EndpointFile)
	f, err := os.CreateTemp(dataDir, ".admin-*.json")
	if err != nil {
		return nil, fmt.Errorf("admin endpoint: %w", err)
	}
	defer os.Remove(f.Name())
	// CreateTemp makes the file 0600 already; say so for the reader.
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return nil, fmt.Errorf("admin endpoint: %w", err)
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return nil, fmt.Errorf("admin endpoint: %w", err)
	}
	if err := f.Close(); err != nil {
		return nil, fmt.Errorf("admin endpoint: %w", err)
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return nil, fmt.Errorf("admin endpoint: %w", err)
	}
	return func() {
		if cur, err := os.ReadFile(path); err == nil && bytes.Equal(cur, b) {
			os.Remove(path)
		}
	}, nil
}

// ReadEndpoint reads dataDir/admin.json; an error wrapping os.ErrNotExist
// when no process has published one.
func ReadEndpoint(dataDir string) (*Endpoint, error) {
	b, err := os.ReadFile(filepath.Join(dataDir, EndpointFile))
	if err != nil {
		return nil, fmt.Errorf("admin endpoint: %w", err)
	}
	var ep Endpoint
	if err := json.Unmarshal(b, &ep); err != nil || ep.URL == "" || ep.Token == "" {
		return nil, fmt.Errorf("admin endpoint %s: not a published endpoint", filepath.Join(dataDir, EndpointFile))
	}
	return &ep, nil
}
