package runtime

import "context"

// Edit takes the snapshot of m, applies edit to m and runs model's update
// triggers around persist, as Update does with that snapshot. Generated
// EditM functions call it. An error from edit is returned before any
// trigger runs, and m keeps whatever edit did to it.
func Edit[M, C, B any](ctx context.Context, eng *Engine, model *Model[M, C, B], m *M, edit func(*M) error, persist func(context.Context, *M) error) error {
	old := model.spec.Snapshot(m)
	if err := edit(m); err != nil {
		return err
	}
	return Update(ctx, eng, model, &old, m, persist)
}
