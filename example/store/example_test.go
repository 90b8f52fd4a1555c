package store_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/triggergen/triggergen/example/models"
	"github.com/triggergen/triggergen/example/store"
	"github.com/triggergen/triggergen/example/triggers"
	"github.com/triggergen/triggergen/runtime"
)

// A sale recorded in a transaction: the SSM triggers take the card out of
// the shop's stock and update its performance in the same transaction.
func ExampleStore_InTx() {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "ssm")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)

	eng := runtime.New(runtime.Config{})
	defer eng.Close(ctx)
	if err := triggers.Register(eng); err != nil {
		fmt.Println(err)
		return
	}
	st, err := store.Open(ctx, filepath.Join(dir, "ssm.db"))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer st.Close()

	err = st.InTx(ctx, eng, func(ctx context.Context, tx *store.Tx) error {
		if err := tx.CreateShop(ctx, &models.Shop{ID: "s1", Name: "Central", Status: models.ShopOpen, Stock: 10}); err != nil {
			return err
		}
		if err := tx.CreateSimCard(ctx, &models.SimCard{ID: "c1", SerialNumber: "8944-0001", ShopID: "s1"}); err != nil {
			return err
		}
		return tx.RecordSale(ctx, &models.Sale{ID: "sale1", ShopID: "s1", SimCardID: "c1", Amount: 15})
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	shop, err := st.Shop(ctx, "s1")
	if err != nil {
		fmt.Println(err)
		return
	}
	perf, err := st.Performance(ctx)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("stock %d, sales %d, performance %+v\n", shop.Stock, shop.SalesCount, perf[0])
	// Output:
	// stock 9, sales 1, performance {ShopID:s1 Sales:1 Revenue:15 AverageSale:15}
}
