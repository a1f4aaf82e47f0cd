// Package demo generates a deterministic synthetic Prometheus history that knows its true counts.
//
// Every series is sampled every 60 s exactly on the minute grid (timestamps are multiples
// of 60 s). The default history (Default) runs 75 days, from 2025-12-31T00:00:00Z to
// 2026-03-16T00:00:00Z inclusive: 108,001 samples per series. It is generated from a PCG
// source with a fixed seed (DefaultSeed), so it is identical on every run and machine.
// Step i covers (t_{i-1}, t_i]; the first sample (at Start) has no events and every counter
// is 0 there. All incident dates below are fixed; a Config whose span misses them simply
// does not contain them. Incidents start on the hour and cover the steps in (start, end].
//
// Series (13):
//
//	http_requests_total{code="200"|"500",job="checkout"}                counters
//	http_request_duration_seconds_bucket{job="checkout",le="0.1"|"0.25"|"0.5"|"1"|"+Inf"}
//	http_request_duration_seconds_count{job="checkout"}                 (= both codes)
//	http_request_duration_seconds_sum{job="checkout"}
//	search_requests_total{job="search"}, search_errors_total{job="search"}  (bad ⊂ total)
//	support_tickets_total{product="checkout"}                           counter
//	probe_success{instance="checkout",job="blackbox"}                   gauge 0/1
//
// Checkout traffic is Poisson with a daily cycle of 1200–4800 requests per minute
// (20–80 req/s, peak 15:00 UTC); the baseline error ratio is 0.05 %. Incidents (error ratio):
//
//	2026-01-14 09:00–11:00  20 %   (415,200 requests, 82,994 errors)
//	2026-01-27 14:00–14:30  100 %  outage (142,797 requests, all errors)
//	2026-02-05 06:00–12:00  12 %
//	2026-02-12 13:00–17:00  20 %
//	2026-02-19 00:00–08:00   8 %
//	2026-02-24 10:00–16:00  12 %
//
// True checkout totals (requests / errors / error ratio):
//
//	2025-12-31 (1 day)     4,320,018 /     2,203 / 0.051 %
//	January 2026         133,916,473 /   292,676 / 0.219 %  (misses 99.9 %, meets 99.5 %)
//	February 2026        120,969,262 /   664,341 / 0.549 %  (badly misses 99.9 %, misses 99.5 %)
//	March 1–15 2026       63,718,892 /    31,913 / 0.050 %
//	whole history        322,924,645 /   991,133 / 0.307 %
//
// Counter reset: the checkout process restarts just after the 2026-02-10T03:29Z sample
// (Reset = 03:30). All checkout counters (requests and histogram) drop and the 03:30 sample
// holds only the events of (03:29, 03:30], so no event is lost or invented by increase().
//
// Gap: no checkout samples (requests, histogram) and no probe samples strictly between
// GapStart 2026-03-03T06:00Z and GapEnd 12:00Z, and no checkout traffic in (06:00, 12:00]:
// the 12:00 samples equal the 06:00 ones. 359 samples are missing per affected series.
//
// Latency: requests fall into the bands ≤0.1 s / ≤0.25 / ≤0.5 / ≤1 / >1 s with shares
// 70/20/7/2/1 % normally and 30/25/20/15/10 % during checkout incidents; _sum counts
// 0.05/0.175/0.375/0.75/2 s per request of each band (in whole milliseconds). Whole history:
// 224,001,412 requests ≤ 0.1 s, 288,840,425 ≤ 0.25 s, 312,110,926 ≤ 0.5 s, 319,233,351 ≤ 1 s.
//
// Search: Poisson traffic of 300–1200 requests per minute (peak 13:00 UTC), baseline error
// ratio 0.1 %; incidents 2026-01-08 02:00–05:00 at 5 %, 2026-02-20 16:00–17:00 at 50 %,
// 2026-03-10 09:00–13:00 at 3 %. Whole history: 81,014,701 requests, 122,347 errors.
//
// Probe: probe_success is 0 for the 30 minutes of the outage, with probability 0.2 per
// minute during checkout incidents of 20 % or more, 0.001 otherwise, and absent in the gap:
// 107,642 samples, 107,432 of them 1 (good) and 210 of them 0.
//
// Happiness signal: support tickets per hour (H, H+1h] = Poisson(2) + round(0.02 × checkout
// errors in the previous hour × (1 + 0.1 N(0,1))), spread over the hour's minutes, so the
// best lag between checkout errors and tickets is 1 hour. Whole history: 23,735 tickets.
//
// WriteOpenMetrics renders the default history as about 99 MB of OpenMetrics text
// (1.4 M samples); promtool turns it into about 3.6 MB of TSDB blocks in a few seconds.
//
// Real scrapes: History.Scrape samples the event model as Prometheus scraping one target
// would store it (interval, offset, jitter, missed scrapes and runs of them, process
// restarts, monitoring gaps while traffic goes on). The events of a step are spread over
// it, so a scraped counter holds whole events and is exact at every step end: History.True
// stays the truth. RealScrapes is the scenario of the real-scrape tests; on the 40 days
// from 2026-01-20 it holds 3,077,954 samples (4 series at 10 s, 15 s, 30 s, 1 min, 2 min).
package demo
