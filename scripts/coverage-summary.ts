/**
 * Turns jest's coverage/coverage-summary.json into a Markdown table and appends it to the GitHub
 * job summary ($GITHUB_STEP_SUMMARY), or prints it when that is unset.
 *
 *   npm run coverage:summary -- coverage/coverage-summary.json "Unit tests"
 */
import { appendFile, readFile } from 'node:fs/promises';
import { pathToFileURL } from 'node:url';
import { z } from 'zod';

const metric = z.object({ total: z.number(), covered: z.number(), pct: z.union([z.number(), z.literal('Unknown')]) });
const summarySchema = z.object({ total: z.object({ lines: metric, statements: metric, functions: metric, branches: metric }) }).loose();
export type CoverageSummary = z.infer<typeof summarySchema>;

export function parseSummary(json: unknown): CoverageSummary {
  return summarySchema.parse(json);
}

/** A Markdown section: totals per metric plus the 10 least covered files. */
export function toMarkdown(summary: CoverageSummary, title: string): string {
  const pct = (p: number | 'Unknown') => (p === 'Unknown' ? 'n/a' : `${p.toFixed(1)}%`);
  const rows = (['lines', 'statements', 'functions', 'branches'] as const).map((k) => {
    const m = summary.total[k];
    return `| ${k} | ${pct(m.pct)} | ${m.covered}/${m.total} |`;
  });
  const files = Object.entries(summary)
    .filter(([k]) => k !== 'total')
    .map(([file, v]) => ({ file, pct: (v as CoverageSummary['total']).lines?.pct }))
    .filter((f): f is { file: string; pct: number } => typeof f.pct === 'number')
    .sort((a, b) => a.pct - b.pct)
    .slice(0, 10);
  const cwd = process.cwd() + '/';
  const lowest = files.length
    ? ['', '<details><summary>Least covered files (lines)</summary>', '', '| file | lines |', '| --- | --- |', ...files.map((f) => `| ${f.file.replace(cwd, '')} | ${f.pct.toFixed(1)}% |`), '', '</details>']
    : [];
  return [`### Coverage — ${title}`, '', '| metric | covered | count |', '| --- | --- | --- |', ...rows, ...lowest, ''].join('\n');
}

async function main(): Promise<void> {
  const [file = 'coverage/coverage-summary.json', title = 'tests'] = process.argv.slice(2);
  const markdown = toMarkdown(parseSummary(JSON.parse(await readFile(file, 'utf8'))), title);
  const target = process.env.GITHUB_STEP_SUMMARY;
  if (target) await appendFile(target, markdown + '\n');
  else console.log(markdown);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((err: unknown) => {
    console.error((err as Error).message);
    process.exit(1);
  });
}
