package reportpage

// css is the page's only style sheet: system fonts, readable on screen and in print.
const css = `
:root { color-scheme: light; }
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; color: #111; background: #fff; margin: 0; }
main { max-width: 1000px; margin: 0 auto; padding: 1.5rem; }
h1 { margin: 0 0 .25rem; }
h2 { margin-top: 2rem; border-bottom: 2px solid #111; padding-bottom: .2rem; }
h2 small { font-weight: normal; font-size: .7em; color: #444; }
.meta, .note, figcaption { color: #444; }
.note { font-size: .9em; }
table { border-collapse: collapse; margin: .5rem 0 1rem; }
th, td { border-bottom: 1px solid #bbb; padding: .3rem .6rem; text-align: left; }
td .fig { font-variant-numeric: tabular-nums; white-space: nowrap; }
.summary td:nth-child(n+3) { text-align: right; }
.status-breached, .status-error { font-weight: bold; color: #a33a00; }
.status-ok { color: #00664a; }
blockquote.story { margin: .5rem 0; padding: .4rem .9rem; border-left: 4px solid #0072B2; background: #f3f7fb; font-style: italic; }
.advice { background: #f6f6f6; padding: .5rem .8rem; border-left: 4px solid #E69F00; }
.error { color: #a33a00; font-weight: bold; }
.charts { display: flex; flex-wrap: wrap; gap: 1rem; align-items: flex-start; }
figure { margin: 0; }
figcaption { font-size: .85em; max-width: 480px; }
svg.chart { max-width: 100%; height: auto; display: block; }
dl { display: grid; grid-template-columns: auto auto; gap: .2rem 1rem; margin: 0; }
dt { font-weight: bold; }
dd { margin: 0; }
footer { max-width: 1000px; margin: 0 auto; padding: 0 1.5rem 2rem; color: #666; font-size: .85em; }
a { color: #0072B2; }
@media print {
  body { font-size: 11pt; }
  main { max-width: none; padding: 0; }
  section.slo { break-before: page; }
  figure, table, .advice { break-inside: avoid; }
  a { color: inherit; text-decoration: none; }
  * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
}
`
