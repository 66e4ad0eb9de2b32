/**
 * The HTML shell of a report: inline CSS (screen and print), a Content-Security-Policy that
 * forbids every external request (the report must open offline and leak nothing), no scripts.
 */
import { esc } from '@shared/figures/index'

const CSS = `
:root { color-scheme: light; }
body { font: 14px/1.45 Helvetica, Arial, sans-serif; color: #1d1d1f; max-width: 1100px; margin: 24px auto; padding: 0 24px; }
h1 { font-size: 22px; margin: 0 0 4px; }
h2 { font-size: 18px; border-bottom: 1px solid #ddd; padding-bottom: 4px; margin-top: 28px; }
h3 { font-size: 15px; margin: 18px 0 8px; }
.subtitle, .muted { color: #666; }
table.popdyn-table { border-collapse: collapse; margin: 8px 0 14px; font-size: 13px; }
table.popdyn-table caption { text-align: left; font-weight: 600; padding: 4px 0; }
table.popdyn-table th, table.popdyn-table td { border: 1px solid #d8d8d8; padding: 3px 8px; vertical-align: top; text-align: left; }
table.popdyn-table th { background: #f3f5f7; }
table.popdyn-table td.num { text-align: right; font-variant-numeric: tabular-nums; }
table.kv td:first-child { font-weight: 600; background: #fafafa; }
td.hash, .mono, code { font-family: ui-monospace, Menlo, Consolas, monospace; font-size: 12px; word-break: break-all; }
table.params td:nth-child(4) { color: #777; font-size: 12px; }
.grid { display: flex; flex-wrap: wrap; gap: 10px; }
figure.fig { margin: 8px 0; break-inside: avoid; page-break-inside: avoid; }
figure.fig svg { max-width: 100%; height: auto; }
figcaption { font-size: 12px; color: #444; max-width: 540px; }
.note { background: #fff8e5; border-left: 3px solid #E69F00; padding: 6px 10px; font-size: 13px; }
blockquote.methods { background: #f6f8fa; border-left: 3px solid #0072B2; margin: 8px 0; padding: 10px 14px; }
ul.warnings li { color: #8a4b00; }
@page { size: A4; margin: 14mm; }
@media print { body { margin: 0; max-width: none; padding: 0; } h2 { break-after: avoid; } section { break-inside: auto; } }
`

export function documentHtml(a: { title: string; subtitle: string; body: string }): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="PopDyn Studio">
<title>${esc(a.title)}</title>
<style>${CSS}</style>
</head>
<body>
<header><h1>${esc(a.title)}</h1><p class="subtitle">${esc(a.subtitle)}</p></header>
${a.body}
</body>
</html>
`
}
