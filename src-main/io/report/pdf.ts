/**
 * PDF of a report by headless Chromium (CLI and browser mode; SPEC §1: Debian's `chromium`).
 * The Electron app may pass its own printer (webContents.printToPDF) instead.
 */
import { execFile } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { ioError } from '@shared/errors'

/** Prints an HTML file to a PDF file. */
export type PdfPrinter = (htmlFile: string, pdfFile: string) => Promise<void>

const CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome', '/usr/bin/google-chrome-stable']

/** The Chromium binary: $POPDYN_CHROMIUM, else the first of the usual paths that exists; null when none. */
export function findChromium(): string | null {
  const env = process.env.POPDYN_CHROMIUM
  if (env) return existsSync(env) ? env : null
  return CANDIDATES.find((p) => existsSync(p)) ?? null
}

/** A printer using headless Chromium's --print-to-pdf; throws a clear error when Chromium is not installed. */
export function chromiumPrinter(binary = findChromium(), timeoutMs = 120_000): PdfPrinter {
  return async (htmlFile, pdfFile) => {
    if (!binary)
      throw ioError(`PDF needs Chromium (headless), which was not found (looked for $POPDYN_CHROMIUM, ${CANDIDATES.join(', ')}). Install it (Debian/Ubuntu: apt-get install chromium) or write the HTML report instead.`, undefined, 'no-chromium')
    const profile = mkdtempSync(join(tmpdir(), 'popdyn-chromium-'))
    try {
      await new Promise<void>((resolve, reject) => {
        execFile(
          binary,
          ['--headless', '--no-sandbox', '--disable-gpu', '--disable-extensions', '--no-first-run', '--no-default-browser-check', `--user-data-dir=${profile}`, '--no-pdf-header-footer', `--print-to-pdf=${pdfFile}`, pathToFileURL(htmlFile).href],
          { timeout: timeoutMs },
          (err, _stdout, stderr) => (err && !existsSync(pdfFile) ? reject(ioError(`Chromium could not print the report to PDF: ${err.message}${stderr ? ` — ${String(stderr).trim().split('\n').slice(-2).join(' ')}` : ''}`, err)) : resolve()),
        )
      })
    } finally {
      rmSync(profile, { recursive: true, force: true })
    }
    if (!existsSync(pdfFile) || !readFileSync(pdfFile).subarray(0, 5).equals(Buffer.from('%PDF-'))) throw ioError(`Chromium did not write a PDF to ${pdfFile}.`)
  }
}

/** Writes `html` to a temporary file and prints it to `pdfFile`. */
export async function htmlToPdf(html: string, pdfFile: string, printer: PdfPrinter = chromiumPrinter()): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'popdyn-report-'))
  try {
    const f = join(dir, 'report.html')
    writeFileSync(f, html)
    await printer(f, pdfFile)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

/** Pages of a PDF (count of page objects; 0 when they are compressed away). */
export function pdfPageCount(bytes: Uint8Array): number {
  return (Buffer.from(bytes).toString('latin1').match(/\/Type\s*\/Page(?![a-zA-Z])/g) ?? []).length
}
