package source

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"callbox/acd/directory"
	"callbox/firmware/store"
)

func TestLive_RebuildsTheSourcesWhenTheStoredConfigurationChanges(t *testing.T) {
	st, err := store.Open(filepath.Join(t.TempDir(), "callbox.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := store.Put(st, store.Customer{ID: "c1", Name: "Li Lei", Numbers: []string{"+8613812345678"}}); err != nil {
		t.Fatal(err)
	}
	crm := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`{"level":"gold"}`))
	}))
	defer crm.Close()

	l := NewLive(st, directory.PlanCN, slog.New(slog.DiscardHandler))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- l.Run(ctx) }()
	defer func() { cancel(); <-done }()
	waitSources := func(n int) {
		t.Helper()
		for i := 0; len(l.Health()) != n; i++ {
			if i > 2000 {
				t.Fatalf("%d sources, want %d", len(l.Health()), n)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	waitSources(1) // the default: built-in only
	r, err := l.Lookup(ctx, "013812345678")
	if err != nil || r.Record.Name != "Li Lei" || r.Record.Fields["level"] != "" {
		t.Fatalf("built-in lookup: %+v %v", r, err)
	}

	cfg := store.DirectoryConfig{ID: store.DirectoryConfigKey, CacheSeconds: -1, Sources: []store.DataSource{{Type: TypeBuiltin},
		{Type: TypeHTTP, Name: "crm", URL: crm.URL + "/c?n={number}", Fields: map[string]string{"level": "level"}}}}
	if _, err := store.Put(st, cfg); err != nil {
		t.Fatal(err)
	}
	waitSources(2)
	if r, _ := l.Lookup(ctx, "013812345678"); r.Record.Fields["level"] != "gold" || r.Record.Name != "Li Lei" {
		t.Fatalf("after the edit: %+v", r)
	}

	// A configuration that cannot be built keeps the sources in use.
	cfg.Sources[1].Fields = nil
	if _, err := store.Put(st, cfg); err != nil {
		t.Fatal(err)
	}
	for i := 0; l.Err() == nil; i++ {
		if i > 2000 {
			t.Fatal("no build error reported")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if r, _ := l.Lookup(ctx, "013812345678"); r.Record.Fields["level"] != "gold" {
		t.Fatalf("sources lost on a bad edit: %+v", r)
	}
}
