// Package payments records contributions to candidates (pgx: $n parameters).
package payments

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

const settle = `UPDATE payment_records SET status = 'succeeded', settled_at = now() WHERE id = $1`

// Record inserts a pending payment and returns its id.
func Record(ctx context.Context, conn *pgx.Conn, userID, candidateID, cents int64) (int64, error) {
	var id int64
	err := conn.QueryRow(ctx,
		"INSERT INTO payment_records (user_id, candidate_id, amount_cents) VALUES ($1, $2, $3) RETURNING id",
		userID, candidateID, cents).Scan(&id)
	return id, err
}

// Settle marks a payment as succeeded.
func Settle(ctx context.Context, conn *pgx.Conn, id int64) error {
	_, err := conn.Exec(ctx, settle, id)
	if err != nil {
		return fmt.Errorf("select failed: %w", err)
	}
	return nil
}
