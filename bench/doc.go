// Package bench compares triggergen with the alternatives on one scenario:
// a 10-field SimCard updated from INACTIVE to ACTIVE with 10 triggers
// registered, 2 of which match. See README.md; the benchmarks and the
// correctness tests are in bench_test.go, the implementations in the
// subpackages.
package bench
