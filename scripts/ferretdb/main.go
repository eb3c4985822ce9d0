// Command ferretdb runs FerretDB as Debrief's embedded MongoDB-compatible store: on SQLite files by
// default, or on PostgreSQL with -postgresql-url (how the suite is checked against FerretDB on PostgreSQL).
//
// It uses FerretDB's embeddable package rather than its own command, which refuses to start when
// built from the module proxy (the release's version file is not in the module zip).
// It prints the connection URI on one stdout line once it accepts connections, and stops on
// SIGINT/SIGTERM.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/FerretDB/FerretDB/ferretdb"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:0", "TCP address to listen on (port 0 picks a free one)")
	dir := flag.String("dir", "data/ferretdb", "directory holding the SQLite files")
	level := flag.String("log-level", "warn", "log level: debug, info, warn or error")
	pgURL := flag.String("postgresql-url", "", "use PostgreSQL at this URL instead of SQLite files")
	// normal: SQLite syncs its write-ahead log to disk at checkpoints, not at every commit; a commit
	// survives the store's crash (it is in the operating system's hands), not the machine's.
	synchronous := flag.String("sqlite-synchronous", "full", "SQLite's synchronous setting: full (sync at every commit) or normal")
	flag.Parse()

	var lv slog.Level
	if err := lv.UnmarshalText([]byte(*level)); err != nil {
		fmt.Fprintln(os.Stderr, "ferretdb: bad -log-level:", err)
		os.Exit(2)
	}
	if err := os.MkdirAll(*dir, 0o755); err != nil {
		fmt.Fprintln(os.Stderr, "ferretdb:", err)
		os.Exit(1)
	}

	if *synchronous != "full" && *synchronous != "normal" {
		fmt.Fprintln(os.Stderr, "ferretdb: -sqlite-synchronous must be full or normal")
		os.Exit(2)
	}

	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: lv}))
	config := &ferretdb.Config{
		Listener:  ferretdb.ListenerConfig{TCP: *listen},
		Logger:    logger,
		Handler:   "sqlite",
		SQLiteURL: "file:" + *dir + "/?_pragma=synchronous(" + *synchronous + ")",
	}
	if *pgURL != "" {
		config.Handler, config.SQLiteURL, config.PostgreSQLURL = "postgresql", "", *pgURL
	}
	f, err := ferretdb.New(config)
	if err != nil {
		fmt.Fprintln(os.Stderr, "ferretdb:", err)
		os.Exit(1)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = f.Run(ctx)
	}()

	// MongoDBURI waits until the listener is bound.
	fmt.Println(f.MongoDBURI())
	<-done
}
