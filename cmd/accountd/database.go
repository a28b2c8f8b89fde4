package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/accountd/accountd/internal/account"
	"github.com/accountd/accountd/internal/postgres"
	"github.com/accountd/accountd/internal/sqlite"
)

// database is an open store of either backend, with its migrations.
type database struct {
	store   account.Store
	migrate func(ctx context.Context) ([]string, error)
	pending func(ctx context.Context) ([]string, error)
	close   func()
}

// Close closes the database.
func (d *database) Close() { d.close() }

// isPostgres reports whether ACCOUNTD_DATABASE_URL names PostgreSQL.
func isPostgres(url string) bool {
	return strings.HasPrefix(url, "postgres://") || strings.HasPrefix(url, "postgresql://")
}

// openDB opens the database named by the configuration: PostgreSQL for a
// postgres:// URL, else a SQLite file.
func openDB(ctx context.Context, cfg *config) (*database, error) {
	if isPostgres(cfg.DatabaseURL) {
		ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
		defer cancel()
		db, err := postgres.Open(ctx, cfg.DatabaseURL)
		if err != nil {
			return nil, fmt.Errorf("ACCOUNTD_DATABASE_URL: %w", err)
		}
		return &database{store: db.Store(), migrate: db.Migrate, pending: db.Pending, close: db.Close}, nil
	}
	db, err := sqlite.Open(cfg.DatabaseURL)
	if err != nil {
		return nil, err
	}
	return &database{store: db.Store(), migrate: db.Migrate, pending: db.Pending,
		close: func() { _ = db.Close() }}, nil
}

// openStore opens the database, migrates it when asked, and refuses a schema
// with pending migrations.
func openStore(ctx context.Context, cfg *config, migrate bool) (*database, error) {
	db, err := openDB(ctx, cfg)
	if err != nil {
		return nil, err
	}
	if migrate {
		if _, err := db.migrate(ctx); err != nil {
			db.Close()
			return nil, err
		}
	}
	pending, err := db.pending(ctx)
	if err != nil {
		db.Close()
		return nil, err
	}
	if len(pending) > 0 {
		db.Close()
		return nil, fmt.Errorf("the database schema is old (%d migrations pending): run `accountd migrate`", len(pending))
	}
	return db, nil
}
