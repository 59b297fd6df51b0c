package main

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"
)

// The budget, on a 2-core machine against the emulator on loopback.
const (
	budgetMain     = 15 * time.Millisecond // median wall time of the main step
	budgetPost     = 10 * time.Millisecond // median wall time of the post step
	budgetRSS      = 20_000_000            // peak RSS of a step, bytes
	budgetBinary   = 8_000_000             // stripped binary, bytes
	budgetMainReqs = 2                     // installation lookup + token
	budgetPostReqs = 1                     // revoke
	budgetScaling  = 1.5                   // 500-repos main median / owner-3-repos main median
)

// result is what the measured runs of a case left.
type result struct {
	c                benchCase
	main, post       []step // timed runs
	mainRSS, postRSS int64  // peak RSS in bytes over the traced runs; 0 = not measured
}

// percentile returns the nearest-rank percentile p (0 to 1) of the wall
// times of steps.
func percentile(steps []step, p float64) time.Duration {
	d := make([]time.Duration, len(steps))
	for i, s := range steps {
		d[i] = s.wall
	}
	slices.Sort(d)
	i := int(float64(len(d))*p+0.999999) - 1
	return d[max(0, min(i, len(d)-1))]
}

// requests returns the fewest and the most requests a step sent.
func requests(steps []step) (lo, hi int) {
	lo, hi = steps[0].requests, steps[0].requests
	for _, s := range steps {
		lo, hi = min(lo, s.requests), max(hi, s.requests)
	}
	return lo, hi
}

// reqText returns the requests per step: one number, or "min-max" when
// steps differed.
func reqText(steps []step) string {
	lo, hi := requests(steps)
	if lo == hi {
		return fmt.Sprint(lo)
	}
	return fmt.Sprintf("%d-%d", lo, hi)
}

// faultText returns the median number of minor page faults.
func faultText(steps []step) string {
	f := make([]int64, len(steps))
	for i, s := range steps {
		f[i] = s.faults
	}
	slices.Sort(f)
	return fmt.Sprint(f[len(f)/2])
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond)) }
func mb(b int64) string {
	if b == 0 {
		return "-"
	}
	return fmt.Sprintf("%.2f MB", float64(b)/1e6)
}

// printCases prints one row per case.
func printCases(w io.Writer, results []result) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "case\tmain p50\tmain p90\tpost p50\tpost p90\tmain RSS\tpost RSS\tmain faults\tpost faults\treq main\treq post\t")
	for _, r := range results {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n", r.c.name,
			ms(percentile(r.main, .5)), ms(percentile(r.main, .9)),
			ms(percentile(r.post, .5)), ms(percentile(r.post, .9)),
			mb(r.mainRSS), mb(r.postRSS), faultText(r.main), faultText(r.post),
			reqText(r.main), reqText(r.post))
	}
	tw.Flush()
	fmt.Fprintln(w)
	for _, r := range results {
		fmt.Fprintf(w, "  %-16s %s\n", r.c.name, r.c.about)
	}
}

// check is one line of the budget.
type check struct {
	what, measured, limit string
	ok                    bool
}

// budget compares the results and binary sizes with the budget.
func budget(results []result, sizes map[string]int64) []check {
	var checks []check
	var worstMain, worstPost time.Duration
	var worstMainCase, worstPostCase string
	var rss int64
	reqOK := true
	var scaleFrom, scaleTo time.Duration
	for _, r := range results {
		if m := percentile(r.main, .5); m > worstMain {
			worstMain, worstMainCase = m, r.c.name
		}
		if p := percentile(r.post, .5); p > worstPost {
			worstPost, worstPostCase = p, r.c.name
		}
		rss = max(rss, r.mainRSS, r.postRSS)
		if lo, hi := requests(r.main); lo != budgetMainReqs || hi != budgetMainReqs {
			reqOK = false
		}
		if lo, hi := requests(r.post); lo != budgetPostReqs || hi != budgetPostReqs {
			reqOK = false
		}
		switch r.c.name {
		case "owner-3-repos":
			scaleFrom = percentile(r.main, .5)
		case "500-repos":
			scaleTo = percentile(r.main, .5)
		}
	}
	checks = append(checks,
		check{"main step, median (slowest case: " + worstMainCase + ")", ms(worstMain), "< " + ms(budgetMain), worstMain < budgetMain},
		check{"post step, median (slowest case: " + worstPostCase + ")", ms(worstPost), "< " + ms(budgetPost), worstPost < budgetPost},
	)
	if rss > 0 {
		checks = append(checks, check{"peak RSS of any step", mb(rss), "< " + mb(budgetRSS), rss < budgetRSS})
	}
	for _, arch := range sortedKeys(sizes) {
		checks = append(checks, check{"stripped binary, " + arch, mb(sizes[arch]), "< " + mb(budgetBinary), sizes[arch] < budgetBinary})
	}
	checks = append(checks, check{"requests per run (main; post)", reqSummary(results), fmt.Sprintf("%d; %d", budgetMainReqs, budgetPostReqs), reqOK})
	if scaleFrom > 0 && scaleTo > 0 {
		ratio := float64(scaleTo) / float64(scaleFrom)
		checks = append(checks, check{"main median, 500-repos / owner-3-repos", fmt.Sprintf("%.2fx", ratio), fmt.Sprintf("<= %.1fx", budgetScaling), ratio <= budgetScaling})
	}
	return checks
}

func reqSummary(results []result) string {
	var main, post []string
	for _, r := range results {
		if t := reqText(r.main); !slices.Contains(main, t) {
			main = append(main, t)
		}
		if t := reqText(r.post); !slices.Contains(post, t) {
			post = append(post, t)
		}
	}
	return strings.Join(main, ",") + "; " + strings.Join(post, ",")
}

func printBudget(w io.Writer, checks []check) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "budget\tmeasured\tlimit\t")
	for _, c := range checks {
		verdict := "ok"
		if !c.ok {
			verdict = "OVER"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", c.what, c.measured, c.limit, verdict)
	}
	tw.Flush()
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
