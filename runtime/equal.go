package runtime

import "time"

// ClockWindow reports whether t's local clock time (in t's location) lies in
// [start, end), both given as durations after midnight. A window whose end is
// before its start wraps midnight (22:00-06:00). It is what the `time`
// condition compiles to.
func ClockWindow(t time.Time, start, end time.Duration) bool {
	h, m, s := t.Clock()
	now := time.Duration(h)*time.Hour + time.Duration(m)*time.Minute + time.Duration(s)*time.Second
	if start <= end {
		return now >= start && now < end
	}
	return now >= start || now < end
}

// WeekdayIn reports whether t's weekday lies in from..to, inclusive; a range
// that ends before it starts wraps the week (fri-mon). It is what the
// `weekday` condition compiles to.
func WeekdayIn(t time.Time, from, to time.Weekday) bool {
	d := t.Weekday()
	if from <= to {
		return d >= from && d <= to
	}
	return d >= from || d <= to
}
