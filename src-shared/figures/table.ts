/** Tables as escaped HTML strings (the report and the app's run panel share them). */
import { esc } from './svg'

export interface TableColumn {
  key: string
  label: string
  /** @default 'left' for text, 'right' for numbers (decided per cell) */
  align?: 'left' | 'right'
}

export type Cell = string | number | boolean | null | undefined

/** Number as text: integers as they are, others to 4 significant digits; exponent for very large/small. */
export function formatNumber(v: number): string {
  if (!Number.isFinite(v)) return String(v)
  if (Number.isInteger(v) && Math.abs(v) < 1e9) return String(v)
  const a = Math.abs(v)
  if (a !== 0 && (a >= 1e6 || a < 1e-3)) return v.toExponential(3)
  return String(Number(v.toPrecision(4)))
}

function cellText(c: Cell): string {
  if (c === null || c === undefined) return '—'
  if (typeof c === 'number') return formatNumber(c)
  return String(c)
}

/** `<table class="popdyn-table">` with a caption, header row and one row per record. */
export function htmlTable(spec: { columns: TableColumn[]; rows: Record<string, Cell>[]; caption?: string; className?: string }): string {
  const out = [`<table class="popdyn-table${spec.className ? ' ' + esc(spec.className) : ''}">`]
  if (spec.caption) out.push(`<caption>${esc(spec.caption)}</caption>`)
  out.push('<thead><tr>' + spec.columns.map((c) => `<th scope="col"${c.align === 'right' ? ' class="num"' : ''}>${esc(c.label)}</th>`).join('') + '</tr></thead><tbody>')
  for (const r of spec.rows) {
    out.push(
      '<tr>' +
        spec.columns
          .map((c) => {
            const v = r[c.key]
            const right = c.align ? c.align === 'right' : typeof v === 'number'
            return `<td${right ? ' class="num"' : ''}>${esc(cellText(v))}</td>`
          })
          .join('') +
        '</tr>',
    )
  }
  out.push('</tbody></table>')
  return out.join('')
}
