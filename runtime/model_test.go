package runtime_test

// This file stands in for the model package triggergen would generate for the
// types Card and Shop: the change and batch types, field predicates,
// snapshots, the model descriptors and the lifecycle functions, written by
// hand the way the generator emits them. The rest of the file holds the test
// helpers the engine tests share (an in-memory store, a call recorder, an
// engine constructor) and tests of the stand-in itself.

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/triggergen/triggergen/runtime"
)

// ---------------------------------------------------------------------------
// Card: what triggergen emits for `//trigger:model events=fraud_review`.

// Card is a SIM card.
type Card struct {
	ID      string
	Status  string
	Fraud   bool
	Quality int
	Tags    []string
	Owner   *string
}

// CardField names a tracked field of Card.
type CardField uint16

// The tracked fields of Card, in declaration order.
const (
	CardFieldID CardField = iota
	CardFieldStatus
	CardFieldFraud
	CardFieldQuality
	CardFieldTags
	CardFieldOwner
)

var cardFieldNames = [...]string{"ID", "Status", "Fraud", "Quality", "Tags", "Owner"}

// String returns the field's name.
func (f CardField) String() string {
	if int(f) < len(cardFieldNames) {
		return cardFieldNames[f]
	}
	return "CardField(" + strconv.Itoa(int(f)) + ")"
}

// CardChange is a change of a Card: the event and the instance before and
// after the operation.
type CardChange struct {
	Event    runtime.Event
	Old, New *Card
}

// CardBatch is the change set of a bulk operation on Cards.
type CardBatch struct {
	Event runtime.Event
	Items []CardChange
}

// CardFraudReview is Card's custom event fraud_review.
const CardFraudReview = runtime.FirstCustomEvent

// Instance returns the instance the change is about: Old on delete events,
// New otherwise.
func (c *CardChange) Instance() *Card {
	if c.Event.IsDelete() {
		return c.Old
	}
	return c.New
}

// IDChanged reports whether ID changed.
func (c *CardChange) IDChanged() bool { return c.Old.ID != c.New.ID }

// IDWas returns ID before the operation.
func (c *CardChange) IDWas() string { return c.Old.ID }

// StatusChanged reports whether Status changed.
func (c *CardChange) StatusChanged() bool { return c.Old.Status != c.New.Status }

// StatusWas returns Status before the operation.
func (c *CardChange) StatusWas() string { return c.Old.Status }

// FraudChanged reports whether Fraud changed.
func (c *CardChange) FraudChanged() bool { return c.Old.Fraud != c.New.Fraud }

// FraudWas returns Fraud before the operation.
func (c *CardChange) FraudWas() bool { return c.Old.Fraud }

// QualityChanged reports whether Quality changed.
func (c *CardChange) QualityChanged() bool { return c.Old.Quality != c.New.Quality }

// QualityWas returns Quality before the operation.
func (c *CardChange) QualityWas() int { return c.Old.Quality }

// TagsChanged reports whether Tags changed (nil and empty are equal).
func (c *CardChange) TagsChanged() bool { return !slices.Equal(c.Old.Tags, c.New.Tags) }

// TagsWas returns Tags before the operation.
func (c *CardChange) TagsWas() []string { return c.Old.Tags }

// OwnerChanged reports whether Owner changed: nil-ness, then the pointee.
func (c *CardChange) OwnerChanged() bool {
	a, b := c.Old.Owner, c.New.Owner
	if a == nil || b == nil {
		return (a == nil) != (b == nil)
	}
	return *a != *b
}

// OwnerWas returns Owner before the operation.
func (c *CardChange) OwnerWas() *string { return c.Old.Owner }

func (c *CardChange) fieldChanged(f CardField) bool {
	switch f {
	case CardFieldID:
		return c.IDChanged()
	case CardFieldStatus:
		return c.StatusChanged()
	case CardFieldFraud:
		return c.FraudChanged()
	case CardFieldQuality:
		return c.QualityChanged()
	case CardFieldTags:
		return c.TagsChanged()
	case CardFieldOwner:
		return c.OwnerChanged()
	}
	return false
}

// Changed reports whether any of fields changed; with no argument, whether
// any tracked field did.
func (c *CardChange) Changed(fields ...CardField) bool {
	if len(fields) == 0 {
		for f := range CardField(len(cardFieldNames)) {
			if c.fieldChanged(f) {
				return true
			}
		}
		return false
	}
	for _, f := range fields {
		if c.fieldChanged(f) {
			return true
		}
	}
	return false
}

// ChangedFields returns the tracked fields that changed, in declaration order.
func (c *CardChange) ChangedFields() []CardField {
	var out []CardField
	for f := range CardField(len(cardFieldNames)) {
		if c.fieldChanged(f) {
			out = append(out, f)
		}
	}
	return out
}

// SnapshotCard returns a deep copy of m.
func SnapshotCard(m *Card) Card {
	s := *m
	s.Tags = slices.Clone(m.Tags)
	if m.Owner != nil {
		v := *m.Owner
		s.Owner = &v
	}
	return s
}

// DiffCard returns the change from old to new under no event.
func DiffCard(old, new *Card) CardChange { return CardChange{Old: old, New: new} }

// CardModel is Card's model descriptor.
var CardModel = runtime.NewModel(runtime.ModelSpec[Card, CardChange, CardBatch]{
	Name:     "Card",
	Events:   []string{"fraud_review"},
	Key:      func(m *Card) string { return m.ID },
	Snapshot: SnapshotCard,
	Change:   func(c *CardChange) *runtime.Change[Card] { return (*runtime.Change[Card])(c) },
	Batch:    func(b *runtime.Batch[CardChange]) *CardBatch { return (*CardBatch)(b) },
})

// SetCardLoader registers the loader Engine.Execute uses for Cards.
func SetCardLoader(eng *runtime.Engine, load func(ctx context.Context, key string) (*Card, error)) {
	runtime.SetLoader(eng, CardModel, load)
}

// CreateCard runs Card's create triggers around persist.
func CreateCard(ctx context.Context, eng *runtime.Engine, m *Card, persist func(context.Context, *Card) error) error {
	return runtime.Do(ctx, eng, CardModel, runtime.OpCreate, nil, m, persist)
}

// UpdateCard runs Card's update triggers around persist; old is
// SnapshotCard(m) taken before the changes.
func UpdateCard(ctx context.Context, eng *runtime.Engine, old, m *Card, persist func(context.Context, *Card) error) error {
	return runtime.Do(ctx, eng, CardModel, runtime.OpUpdate, old, m, persist)
}

// DeleteCard runs Card's delete triggers around persist.
func DeleteCard(ctx context.Context, eng *runtime.Engine, m *Card, persist func(context.Context, *Card) error) error {
	return runtime.Do(ctx, eng, CardModel, runtime.OpDelete, nil, m, persist)
}

// CreateCards runs a bulk create of Cards.
func CreateCards(ctx context.Context, eng *runtime.Engine, ms []*Card, persist func(context.Context, []*Card) error) error {
	return runtime.DoMany(ctx, eng, CardModel, runtime.OpCreate, nil, ms, persist)
}

// UpdateCards runs a bulk update of Cards; old[i] is SnapshotCard(ms[i]).
func UpdateCards(ctx context.Context, eng *runtime.Engine, old []Card, ms []*Card, persist func(context.Context, []*Card) error) error {
	return runtime.DoMany(ctx, eng, CardModel, runtime.OpUpdate, old, ms, persist)
}

// DeleteCards runs a bulk delete of Cards.
func DeleteCards(ctx context.Context, eng *runtime.Engine, ms []*Card, persist func(context.Context, []*Card) error) error {
	return runtime.DoMany(ctx, eng, CardModel, runtime.OpDelete, nil, ms, persist)
}

// FireCard runs the Card triggers of exactly one event.
func FireCard(ctx context.Context, eng *runtime.Engine, ev runtime.Event, old, new *Card) error {
	return runtime.Do(ctx, eng, CardModel, runtime.FireOp(ev), old, new, nil)
}

// ---------------------------------------------------------------------------
// Shop: what triggergen emits for `//trigger:model`.

// Shop is a point of sale.
type Shop struct {
	ID    string
	Sales int
}

// ShopChange is a change of a Shop.
type ShopChange struct {
	Event    runtime.Event
	Old, New *Shop
}

// ShopBatch is the change set of a bulk operation on Shops.
type ShopBatch struct {
	Event runtime.Event
	Items []ShopChange
}

// Instance returns Old on delete events, New otherwise.
func (c *ShopChange) Instance() *Shop {
	if c.Event.IsDelete() {
		return c.Old
	}
	return c.New
}

// SalesChanged reports whether Sales changed.
func (c *ShopChange) SalesChanged() bool { return c.Old.Sales != c.New.Sales }

// SalesWas returns Sales before the operation.
func (c *ShopChange) SalesWas() int { return c.Old.Sales }

// SnapshotShop returns a deep copy of m.
func SnapshotShop(m *Shop) Shop { return *m }

// ShopModel is Shop's model descriptor.
var ShopModel = runtime.NewModel(runtime.ModelSpec[Shop, ShopChange, ShopBatch]{
	Name:     "Shop",
	Key:      func(m *Shop) string { return m.ID },
	Snapshot: SnapshotShop,
	Change:   func(c *ShopChange) *runtime.Change[Shop] { return (*runtime.Change[Shop])(c) },
	Batch:    func(b *runtime.Batch[ShopChange]) *ShopBatch { return (*ShopBatch)(b) },
})

// CreateShop runs Shop's create triggers around persist.
func CreateShop(ctx context.Context, eng *runtime.Engine, m *Shop, persist func(context.Context, *Shop) error) error {
	return runtime.Do(ctx, eng, ShopModel, runtime.OpCreate, nil, m, persist)
}

// UpdateShop runs Shop's update triggers around persist.
func UpdateShop(ctx context.Context, eng *runtime.Engine, old, m *Shop, persist func(context.Context, *Shop) error) error {
	return runtime.Do(ctx, eng, ShopModel, runtime.OpUpdate, old, m, persist)
}

// DeleteShop runs Shop's delete triggers around persist.
func DeleteShop(ctx context.Context, eng *runtime.Engine, m *Shop, persist func(context.Context, *Shop) error) error {
	return runtime.Do(ctx, eng, ShopModel, runtime.OpDelete, nil, m, persist)
}

// ---------------------------------------------------------------------------
// Test helpers.

// errNilInstance is what the store returns when persist gets a nil instance.
var errNilInstance = errors.New("store: persist called with a nil instance")

// store is an in-memory table of one model; its methods are persist
// functions.
type store[M any] struct {
	key  func(*M) string
	snap func(*M) M

	mu      sync.Mutex
	rows    map[string]M
	saves   int // calls of Save and SaveAll
	deletes int // calls of Remove and RemoveAll
	failNow error
}

func newStore[M any](key func(*M) string, snap func(*M) M) *store[M] {
	return &store[M]{key: key, snap: snap, rows: map[string]M{}}
}

func newCardStore() *store[Card] { return newStore(func(c *Card) string { return c.ID }, SnapshotCard) }
func newShopStore() *store[Shop] { return newStore(func(s *Shop) string { return s.ID }, SnapshotShop) }

// Save stores a deep copy of m.
func (s *store[M]) Save(_ context.Context, m *M) error {
	if m == nil {
		return errNilInstance
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.saves++
	if s.failNow != nil {
		return s.failNow
	}
	s.rows[s.key(m)] = s.snap(m)
	return nil
}

// SaveAll stores deep copies of ms.
func (s *store[M]) SaveAll(_ context.Context, ms []*M) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.saves++
	if s.failNow != nil {
		return s.failNow
	}
	for _, m := range ms {
		if m == nil {
			return errNilInstance
		}
		s.rows[s.key(m)] = s.snap(m)
	}
	return nil
}

// Remove deletes m.
func (s *store[M]) Remove(_ context.Context, m *M) error {
	if m == nil {
		return errNilInstance
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.deletes++
	delete(s.rows, s.key(m))
	return nil
}

// RemoveAll deletes ms.
func (s *store[M]) RemoveAll(_ context.Context, ms []*M) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.deletes++
	for _, m := range ms {
		if m == nil {
			return errNilInstance
		}
		delete(s.rows, s.key(m))
	}
	return nil
}

// Get returns the stored row for key.
func (s *store[M]) Get(key string) (M, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, ok := s.rows[key]
	return m, ok
}

// Put stores m without counting a save.
func (s *store[M]) Put(m M) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rows[s.key(&m)] = m
}

// Load is a loader for Engine.Execute: a fresh copy of the stored row.
func (s *store[M]) Load(_ context.Context, key string) (*M, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, ok := s.rows[key]
	if !ok {
		return nil, fmt.Errorf("key %q: %w", key, runtime.ErrNotFound)
	}
	c := s.snap(&m)
	return &c, nil
}

// Counts returns how often Save(All) and Remove(All) were called.
func (s *store[M]) Counts() (saves, deletes int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.saves, s.deletes
}

// recorder records what happened, in order, across goroutines.
type recorder struct {
	mu   sync.Mutex
	list []string
}

func (r *recorder) add(s string) {
	r.mu.Lock()
	r.list = append(r.list, s)
	r.mu.Unlock()
}

func (r *recorder) get() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.list)
}

// action returns a Card action that records name.
func (r *recorder) action(name string) runtime.Action[CardChange] {
	return func(context.Context, *CardChange) error { r.add(name); return nil }
}

// newEngine returns an engine with a fresh audit, a silent logger and cfg's
// other settings; it is closed when the test ends.
func newEngine(t testing.TB, cfg runtime.Config) *runtime.Engine {
	t.Helper()
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Audit == nil {
		cfg.Audit = runtime.NewMemoryAudit(1000)
	}
	eng := runtime.New(cfg)
	t.Cleanup(func() { _ = eng.Close(context.Background()) })
	return eng
}

// on registers a Card trigger or fails the test.
func on(t testing.TB, eng *runtime.Engine, tr runtime.Trigger[CardChange]) {
	t.Helper()
	require.NoError(t, runtime.On(eng, CardModel, tr))
}

// onBatch registers a Card bulk trigger or fails the test.
func onBatch(t testing.TB, eng *runtime.Engine, tr runtime.BatchTrigger[CardChange, CardBatch]) {
	t.Helper()
	require.NoError(t, runtime.OnBatch(eng, CardModel, tr))
}

// cond builds a Card condition.
func cond(desc string, test func(c *CardChange) bool) runtime.Condition[CardChange] {
	return runtime.Condition[CardChange]{
		Description: desc,
		Test:        func(_ context.Context, c *CardChange) bool { return test(c) },
	}
}

// acts wraps actions in a slice.
func acts(as ...runtime.Action[CardChange]) []runtime.Action[CardChange] { return as }

// noop is an action that does nothing.
func noop(context.Context, *CardChange) error { return nil }

// triggerErrors returns every *runtime.TriggerError in err's tree, outermost
// first, without descending into a TriggerError.
func triggerErrors(err error) []*runtime.TriggerError {
	var out []*runtime.TriggerError
	var walk func(error)
	walk = func(err error) {
		if err == nil {
			return
		}
		if te, ok := err.(*runtime.TriggerError); ok {
			out = append(out, te)
			return
		}
		switch u := err.(type) {
		case interface{ Unwrap() []error }:
			for _, e := range u.Unwrap() {
				walk(e)
			}
		case interface{ Unwrap() error }:
			walk(u.Unwrap())
		}
	}
	walk(err)
	return out
}

// triggerNames returns the names of triggerErrors(err).
func triggerNames(err error) []string {
	var names []string
	for _, te := range triggerErrors(err) {
		names = append(names, te.Trigger)
	}
	return names
}

func strp(s string) *string { return &s }

// ---------------------------------------------------------------------------
// Tests of the stand-in: the engine tests rely on it behaving like generated
// code.

func TestCardChangePredicates(t *testing.T) {
	base := Card{ID: "c1", Status: "ACTIVE", Quality: 3, Tags: []string{"a"}, Owner: strp("ann")}
	tests := []struct {
		name   string
		edit   func(c *Card)
		want   []CardField
		status bool
	}{
		{name: "nothing", edit: func(*Card) {}},
		{name: "status", edit: func(c *Card) { c.Status = "BLOCKED" }, want: []CardField{CardFieldStatus}, status: true},
		{name: "fraud", edit: func(c *Card) { c.Fraud = true }, want: []CardField{CardFieldFraud}},
		{name: "quality", edit: func(c *Card) { c.Quality = 9 }, want: []CardField{CardFieldQuality}},
		{name: "tag element", edit: func(c *Card) { c.Tags[0] = "b" }, want: []CardField{CardFieldTags}},
		{name: "tags cleared", edit: func(c *Card) { c.Tags = nil }, want: []CardField{CardFieldTags}},
		{name: "owner pointee", edit: func(c *Card) { *c.Owner = "bob" }, want: []CardField{CardFieldOwner}},
		{name: "owner same pointee new pointer", edit: func(c *Card) { c.Owner = strp("ann") }},
		{name: "owner nil", edit: func(c *Card) { c.Owner = nil }, want: []CardField{CardFieldOwner}},
		{
			name: "several", edit: func(c *Card) { c.Status = "X"; c.Owner = nil },
			want: []CardField{CardFieldStatus, CardFieldOwner}, status: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cur := SnapshotCard(&base)
			old := SnapshotCard(&cur)
			tt.edit(&cur)
			ch := DiffCard(&old, &cur)
			assert.Equal(t, tt.want, ch.ChangedFields())
			assert.Equal(t, len(tt.want) > 0, ch.Changed())
			assert.Equal(t, tt.status, ch.Changed(CardFieldStatus))
			assert.Equal(t, tt.status, ch.StatusChanged())
			assert.Equal(t, "ACTIVE", ch.StatusWas())
		})
	}
	empty := DiffCard(&Card{Tags: []string{}}, &Card{})
	assert.False(t, empty.TagsChanged(), "nil and empty slices are equal")
	assert.Equal(t, "Quality", CardFieldQuality.String())
	assert.Equal(t, "CardField(99)", CardField(99).String())
}

func TestSnapshotCardIsDeep(t *testing.T) {
	c := Card{ID: "c1", Tags: []string{"a", "b"}, Owner: strp("ann")}
	s := SnapshotCard(&c)
	c.Tags[0] = "x"
	*c.Owner = "bob"
	assert.Equal(t, []string{"a", "b"}, s.Tags)
	assert.Equal(t, "ann", *s.Owner)
	var empty Card
	assert.Equal(t, Card{}, SnapshotCard(&empty))
}

func TestCardModelDescriptor(t *testing.T) {
	assert.Equal(t, "Card", runtime.Spec(CardModel).Name)
	spec := runtime.Spec(CardModel)
	assert.Equal(t, []string{"fraud_review"}, spec.Events)
	assert.Equal(t, runtime.Event(64), CardFraudReview)
	assert.Equal(t, "fraud_review", runtime.EventName(CardModel, CardFraudReview))
	assert.Equal(t, "before_save", runtime.EventName(CardModel, runtime.BeforeSave))
	assert.Equal(t, "custom_64", runtime.EventName(ShopModel, CardFraudReview), "custom events are per model")
	assert.Equal(t, "c9", spec.Key(&Card{ID: "c9"}))
	spec.Events[0] = "changed"
	assert.Equal(t, []string{"fraud_review"}, runtime.Spec(CardModel).Events, "Spec returns a copy")

	del := CardChange{Event: runtime.AfterDelete, Old: &Card{ID: "old"}, New: &Card{}}
	assert.Equal(t, "old", del.Instance().ID)
	upd := CardChange{Event: runtime.AfterUpdate, Old: &Card{ID: "old"}, New: &Card{ID: "new"}}
	assert.Equal(t, "new", upd.Instance().ID)
}
