package main

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/ghapptoken/app-token-action/internal/runnertest"
)

// The budget: the action next to the reference action (tools/bench/refaction)
// on the same machine, and the binary's size.
const (
	budgetMainRatio = 1.2  // main step median, action / reference, slowest case
	budgetPostRatio = 1.2  // post step median, action / reference, slowest case
	budgetRSSRatio  = 1.25 // peak RSS of a step, action / reference, worst case
	// budgetBinary is the stripped linux/amd64 binary, bytes: 7.2 MB for
	// the action, and 1 MB more for keyless signing with four KMSs.
	budgetBinary   = 8_200_000
	budgetMainReqs = 2 // installation lookup + token
	budgetPostReqs = 1 // revoke
	// budgetScaling bounds how the main step's median grows from
	// owner-3-repos to 500-repos, against how the reference's grows: most
	// of that growth is reading GitHub's half-megabyte answer, which any
	// program pays.
	budgetScaling = 1.2
)

// result is what the measured runs of a case left, per program.
type result struct {
	c      runnertest.Case
	runner *runnertest.Runner
	runs   []runs // indexed like the programs: progAction, progRef, progRefSignal
}

// runs are the measured runs of one program in one case.
type runs struct {
	main, post       []step // timed runs
	mainRSS, postRSS int64  // peak RSS in bytes over the traced runs; 0 = not measured
}

// rss returns the peak RSS of either step.
func (r runs) rss() int64 { return max(r.mainRSS, r.postRSS) }

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

// printCases prints one row per case, for the action.
func printCases(w io.Writer, results []result) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "action: case\tmain p50\tmain p90\tpost p50\tpost p90\tmain RSS\tpost RSS\tmain faults\tpost faults\treq main\treq post\t")
	for _, r := range results {
		a := r.runs[progAction]
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n", r.c.Name,
			ms(percentile(a.main, .5)), ms(percentile(a.main, .9)),
			ms(percentile(a.post, .5)), ms(percentile(a.post, .9)),
			mb(a.mainRSS), mb(a.postRSS), faultText(a.main), faultText(a.post),
			reqText(a.main), reqText(a.post))
	}
	tw.Flush()
	fmt.Fprintln(w)
	for _, r := range results {
		fmt.Fprintf(w, "  %-16s %s\n", r.c.Name, r.c.About)
	}
}

// ratio returns a / b, or 0 when b is 0.
func ratio[T int64 | time.Duration](a, b T) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

func ratioText(x float64) string {
	if x == 0 {
		return "-"
	}
	return fmt.Sprintf("%.2fx", x)
}

// printVersus prints, per case, the action's medians and peak RSS next to
// the reference action's with their ratios, and what signal.NotifyContext
// costs the reference: its medians with it minus without it.
func printVersus(w io.Writer, progs []program, results []result) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "vs reference: case\tmain p50\tref\tratio\tpost p50\tref\tratio\tpeak RSS\tref\tratio\t\tsignal: main\tpost\t")
	for _, r := range results {
		a, ref, sig := r.runs[progAction], r.runs[progRef], r.runs[progRefSignal]
		am, rm, sm := percentile(a.main, .5), percentile(ref.main, .5), percentile(sig.main, .5)
		ap, rp, sp := percentile(a.post, .5), percentile(ref.post, .5), percentile(sig.post, .5)
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t\t%s\t%s\t\n", r.c.Name,
			ms(am), ms(rm), ratioText(ratio(am, rm)),
			ms(ap), ms(rp), ratioText(ratio(ap, rp)),
			mb(a.rss()), mb(ref.rss()), ratioText(ratio(a.rss(), ref.rss())),
			signedMS(sm-rm), signedMS(sp-rp))
	}
	tw.Flush()
	m, p, n := signalCost(results)
	fmt.Fprintf(w, "\n  signal.NotifyContext costs the reference %s in the main step, %s in the post step (median of %d paired runs of each)\n\n", signedMS(m), signedMS(p), n)
	for _, p := range progs {
		fmt.Fprintf(w, "  %-11s %s, %s\n", p.name, mb(p.size), p.about)
	}
}

func signedMS(d time.Duration) string {
	return fmt.Sprintf("%+.2f ms", float64(d)/float64(time.Millisecond))
}

// check is one line of the budget.
type check struct {
	what, measured, limit string
	ok                    bool
}

// budget compares the results and binary sizes with the budget.
func budget(results []result, sizes map[string]int64) []check {
	var checks []check
	var worstMain, worstPost, worstRSS float64
	var worstMainCase, worstPostCase, worstRSSCase string
	reqOK := true
	var scaleFrom, scaleTo, refFrom, refTo time.Duration
	for _, r := range results {
		a, ref := r.runs[progAction], r.runs[progRef]
		if x := ratio(percentile(a.main, .5), percentile(ref.main, .5)); x > worstMain {
			worstMain, worstMainCase = x, r.c.Name
		}
		if x := ratio(percentile(a.post, .5), percentile(ref.post, .5)); x > worstPost {
			worstPost, worstPostCase = x, r.c.Name
		}
		if x := ratio(a.rss(), ref.rss()); x > worstRSS {
			worstRSS, worstRSSCase = x, r.c.Name
		}
		if lo, hi := requests(a.main); lo != budgetMainReqs || hi != budgetMainReqs {
			reqOK = false
		}
		if lo, hi := requests(a.post); lo != budgetPostReqs || hi != budgetPostReqs {
			reqOK = false
		}
		switch r.c.Name {
		case "owner-3-repos":
			scaleFrom, refFrom = percentile(a.main, .5), percentile(ref.main, .5)
		case "500-repos":
			scaleTo, refTo = percentile(a.main, .5), percentile(ref.main, .5)
		}
	}
	checks = append(checks,
		check{"main step median / reference (slowest: " + worstMainCase + ")", ratioText(worstMain), fmt.Sprintf("<= %.2fx", budgetMainRatio), worstMain <= budgetMainRatio},
		check{"post step median / reference (slowest: " + worstPostCase + ")", ratioText(worstPost), fmt.Sprintf("<= %.2fx", budgetPostRatio), worstPost <= budgetPostRatio},
	)
	if worstRSS > 0 {
		checks = append(checks, check{"peak RSS of a step / reference (worst: " + worstRSSCase + ")", ratioText(worstRSS), fmt.Sprintf("<= %.2fx", budgetRSSRatio), worstRSS <= budgetRSSRatio})
	}
	for _, arch := range slices.Sorted(maps.Keys(sizes)) {
		if arch == "linux/amd64" {
			checks = append(checks, check{"stripped binary, " + arch, mb(sizes[arch]), "<= " + mb(budgetBinary), sizes[arch] <= budgetBinary})
		} else {
			checks = append(checks, check{"stripped binary, " + arch, mb(sizes[arch]), "(no limit)", true})
		}
	}
	checks = append(checks, check{"requests per run (main; post)", reqSummary(results), fmt.Sprintf("%d; %d", budgetMainReqs, budgetPostReqs), reqOK})
	if scaleFrom > 0 && scaleTo > 0 && refFrom > 0 && refTo > 0 {
		x := float64(scaleTo) / float64(scaleFrom)
		r := float64(refTo) / float64(refFrom)
		checks = append(checks, check{"main median, 500-repos / owner-3-repos, vs the reference's", fmt.Sprintf("%.2fx vs %.2fx", x, r), fmt.Sprintf("<= %.1f times", budgetScaling), x <= budgetScaling*r})
	}
	return checks
}

func reqSummary(results []result) string {
	var main, post []string
	for _, r := range results {
		a := r.runs[progAction]
		if t := reqText(a.main); !slices.Contains(main, t) {
			main = append(main, t)
		}
		if t := reqText(a.post); !slices.Contains(post, t) {
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

// signalCost returns the median difference in wall time, main step and
// post step, between the reference with signal.NotifyContext and without
// it, over pairs of runs of the same case in the same round, and the
// number of pairs.
func signalCost(results []result) (mainStep, postStep time.Duration, n int) {
	var dm, dp []time.Duration
	for _, r := range results {
		ref, sig := r.runs[progRef], r.runs[progRefSignal]
		for i := range min(len(ref.main), len(sig.main)) {
			dm = append(dm, sig.main[i].wall-ref.main[i].wall)
			dp = append(dp, sig.post[i].wall-ref.post[i].wall)
		}
	}
	if len(dm) == 0 {
		return 0, 0, 0
	}
	slices.Sort(dm)
	slices.Sort(dp)
	return dm[len(dm)/2], dp[len(dp)/2], len(dm)
}
