package triggers

import (
	"context"
	"fmt"
	"time"

	"github.com/triggergen/triggergen/example/models"
	"github.com/triggergen/triggergen/runtime"
)

// HandleShopStatus tells the shop's staff and operations when a shop is
// suspended, closed or reopened.
//
//trigger:on Shop after_update
//trigger:name shop_status_change_handler
//trigger:when Status changed
func HandleShopStatus(ctx context.Context, c *models.ShopChange) error {
	s, err := storeFrom(ctx)
	if err != nil {
		return err
	}
	msg := fmt.Sprintf("shop %s is now %s (was %s)", c.New.Name, c.New.Status, c.StatusWas())
	if err := s.Notify(ctx, "shop:"+c.New.ID, msg); err != nil {
		return err
	}
	if c.New.Status != models.ShopOpen {
		return s.Notify(ctx, "operations", msg)
	}
	return nil
}

// UpdateSalesPerformance keeps the shop's sales performance aggregate
// current as its sales grow.
//
//trigger:on Shop after_update
//trigger:name shop_sales_performance_update
//trigger:when SalesCount changed or Revenue changed
//trigger:priority low
func UpdateSalesPerformance(ctx context.Context, c *models.ShopChange) error {
	s, err := storeFrom(ctx)
	if err != nil {
		return err
	}
	return s.RecordPerformance(ctx, c.New.ID, c.New.SalesCount, c.New.Revenue)
}

// TrackInventorySale takes a sold SIM card out of its shop's stock and
// counts the sale. Saving the shop fires the shop's own triggers.
//
//trigger:on Sale after_create
//trigger:name shop_inventory_sale_tracking
//trigger:when ShopID != "" and Amount >= 0
func TrackInventorySale(ctx context.Context, c *models.SaleChange) error {
	s, err := storeFrom(ctx)
	if err != nil {
		return err
	}
	shop, err := s.Shop(ctx, c.New.ShopID)
	if err != nil {
		return err
	}
	old := models.SnapshotShop(shop)
	if shop.Stock <= 0 {
		return fmt.Errorf("shop %s has no SIM cards in stock", shop.ID)
	}
	shop.Stock--
	shop.SalesCount++
	shop.Revenue += c.New.Amount
	return s.SaveShop(ctx, &old, shop)
}

// RunTransferWorkflow moves stock between shops as a transfer advances:
// shipping takes the cards out of the sending shop, receiving puts them
// into the receiving one, and every stage is recorded on the transfer.
//
//trigger:on Transfer before_update
//trigger:name shop_transfer_workflow
//trigger:when Stage changed
//trigger:when Stage in (TransferShipped, TransferReceived, TransferRejected)
func RunTransferWorkflow(ctx context.Context, c *models.TransferChange) error {
	s, err := storeFrom(ctx)
	if err != nil {
		return err
	}
	t := c.New
	switch t.Stage {
	case models.TransferShipped:
		if err := moveStock(ctx, s, t.FromShopID, -t.Quantity); err != nil {
			return err
		}
	case models.TransferReceived:
		if c.StageWas() != models.TransferShipped {
			return fmt.Errorf("transfer %s: received before it was shipped (stage %s)", t.ID, c.StageWas())
		}
		if err := moveStock(ctx, s, t.ToShopID, t.Quantity); err != nil {
			return err
		}
	}
	now := runtime.Now(ctx)
	t.History = append(t.History, fmt.Sprintf("%s->%s", c.StageWas(), t.Stage))
	if t.StageTimes == nil {
		t.StageTimes = map[string]time.Time{}
	}
	t.StageTimes[string(t.Stage)] = now
	t.UpdatedAt = now
	return s.Notify(ctx, "shop:"+t.ToShopID, fmt.Sprintf("transfer %s of %d SIM cards: %s", t.ID, t.Quantity, t.Stage))
}

func moveStock(ctx context.Context, s Store, shopID string, delta int) error {
	shop, err := s.Shop(ctx, shopID)
	if err != nil {
		return err
	}
	if shop.Stock+delta < 0 {
		return fmt.Errorf("shop %s has %d SIM cards, cannot ship %d", shop.ID, shop.Stock, -delta)
	}
	old := models.SnapshotShop(shop)
	shop.Stock += delta
	return s.SaveShop(ctx, &old, shop)
}
